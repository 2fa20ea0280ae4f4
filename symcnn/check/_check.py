"""The check itself: a claim against a target, proved equal, equal for one bias setting, or
wrong with a counterexample and a diagnosis."""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Mapping
from typing import Any

import sympy
from sympy import Expr

from ..errors import ParseError, SpecError
from ..parse import FUNCTIONS, parse_expression
from ..references import layer_quantity
from ..symbols import NOTATION
from ._algebra import _condition, _guard, _is_zero, _search, _simplified, normalize
from ._diagnosis import _bias_for_mistakes, _diagnose
from ._targets import _is_spec, _layer_target, _load, network_target, parse_claim
from ._verdict import Diagnosis, Target, Verdict

__all__ = ["check", "check_shape", "compare", "shape_claim"]


def check(
    claim: Any,
    against: Any,
    *,
    quantity: str | None = None,
    values: Mapping[str, Any] | None = None,
) -> Verdict:
    """Check a claim (formula text, a number or a SymPy expression) against the engine.

    ``against`` is a layer reference (``"conv2d.params"``, ``"linear 128->256 params"``; see
    :mod:`symcnn.quantities`), or a spec (a path, a mapping or a :class:`~symcnn.Network`) with
    ``quantity`` (``params`` by default, or ``buffers``, ``activation_size``,
    ``total_activations``, ``ROW.params``, ``ROW.out_w``…). ``values`` give symbols values in both
    the claim and the engine's formula (``{"g": "d"}`` for a depthwise convolution).
    """
    claim_text = claim if isinstance(claim, str) else sympy.sstr(claim)
    values = dict(values or {})
    if _is_spec(against):
        net = _load(against)
        names = dict(net.symbols)
        expression = parse_claim(claim, names)
        given = {}
        for name, value in values.items():
            symbol = net.symbols.get(str(name))
            if symbol is None:
                raise SpecError(
                    f"unknown symbol {name} (this network's symbols: "
                    f"{', '.join(sorted(net.symbols)) or 'none'})"
                )
            given[symbol] = parse_claim(
                value if not isinstance(value, int) else sympy.Integer(value), names
            )
        if given:
            net = net.subs({s.name: v for s, v in given.items()})
        target = network_target(net, quantity or "params")
        target = dataclasses.replace(target, claim_values=given)
    else:
        if quantity is not None and "." not in str(against) and " " not in str(against).strip():
            against = f"{against}.{quantity}"
            quantity = None
        reading = ""
        try:
            expression = parse_claim(claim)
        except ParseError as error:
            found = _textbook_reading(claim)
            if found is None:
                raise
            (expression, reading) = found
            del error
        resolved = layer_quantity(
            str(against), values, keep=set(expression.free_symbols), quantity=quantity
        )
        target = _layer_target(resolved)
        if reading:
            return dataclasses.replace(compare(claim_text, expression, target), reading=reading)
    return compare(claim_text, expression, target)


#: the alphabets of common textbooks and courses, each letter as symcnn's notation writes it: a
#: claim that the notation cannot read but one of these can is read in it, and the verdict says so
ALPHABETS: dict[str, dict[str, str]] = {
    "Andrew Ng's (deeplearning.ai)": {
        "n": "W",
        "f": "m",
        "p": "z_w",
        "s": "s_w",
        "n_c": "d",
        "n_H": "H",
        "n_W": "W",
    },
    "CS231n's": {"W": "W", "H": "H", "F": "m", "P": "z_w", "S": "s_w", "K": "k", "D": "d"},
    "Dumoulin & Visin's": {"i": "W", "k": "m", "p": "z_w", "s": "s_w"},
}
_MEANINGS = {
    "W": "input width",
    "H": "input height",
    "m": "filter width",
    "z_w": "padding",
    "s_w": "stride",
    "d": "input depth",
    "k": "filters",
}


def _textbook_reading(claim: Any) -> tuple[Expr, str] | None:
    """The claim read in the first textbook alphabet that has every name it uses, with a note
    saying which letter means what here; ``None`` when none does."""
    if not isinstance(claim, str):
        return None
    used = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", claim)) - FUNCTION_NAMES
    for book, alphabet in ALPHABETS.items():
        if used and used <= set(alphabet):

            def letter(name: str, alphabet: Mapping[str, str] = alphabet) -> Expr:
                return NOTATION[alphabet[name]].symbol

            try:
                expression = parse_expression(claim, letter)
            except ParseError:
                continue
            letters = ", ".join(
                f"{name} = {alphabet[name]} ({_MEANINGS.get(alphabet[name], '')})".replace(
                    " ()", ""
                )
                for name in sorted(used)
            )
            return expression, f"{book} notation: {letters}"
    return None


def compare(claim_text: str, claim: Expr, target: Target) -> Verdict:
    """The verdict on ``claim`` (an expression) against a resolved target."""
    claim = claim.xreplace(dict(target.claim_values))
    truth = target.truth
    _guard(claim, "the claim")
    _guard(truth, "the engine's formula")
    difference = normalize(claim - truth)
    flags = target.flags
    if difference == 0:
        return Verdict(claim_text, claim, target, True, True, None, {}, None, None, ())
    assumed: dict[sympy.Symbol, Expr] = {}
    implicit = sorted((flags & difference.free_symbols) - claim.free_symbols, key=str)
    if implicit:
        for settings in itertools.product((1, 0), repeat=len(implicit)):
            trial = {flag: sympy.Integer(v) for flag, v in zip(implicit, settings, strict=True)}
            if _is_zero(difference.xreplace(trial)):
                when = ", ".join(f"{flag} = {value}" for flag, value in trial.items())
                notes = _diagnose(claim, target, {})
                return Verdict(
                    claim_text,
                    claim,
                    target,
                    True,
                    True,
                    when,
                    trial,
                    None,
                    None,
                    tuple(_as_note(diagnosis) for diagnosis in notes),
                )
        assumed = _bias_for_mistakes(claim, target) or {flag: sympy.S.One for flag in implicit}
    compared_claim = claim.xreplace(assumed)
    compared_truth = truth.xreplace(assumed)
    shown = _simplified(difference.xreplace(assumed))
    constraints = target.constraints
    counterexample, tried = _search(compared_claim, compared_truth, constraints, flags)
    diagnoses = tuple(_diagnose(claim, target, assumed))
    if counterexample is None and not _certainly_different(shown):
        # no symbolic proof either way, and no value tells them apart
        return Verdict(claim_text, claim, target, True, False, None, {}, None, None, (), tried)
    condition = _condition(shown, flags) if not claim.is_number or not truth.is_number else None
    return Verdict(
        claim_text,
        claim,
        target,
        False,
        True,
        condition,
        assumed,
        shown,
        counterexample,
        diagnoses,
        tried,
    )


def _certainly_different(difference: Expr) -> bool:
    """A nonzero polynomial (no floors, minima…) differs somewhere among the positive integers."""
    return difference != 0 and bool(difference.is_polynomial())


def _as_note(diagnosis: Diagnosis) -> Diagnosis:
    note = (
        "if the layer has a bias"
        if diagnosis.mistake and diagnosis.mistake.id == "forgot-bias"
        else ""
    )
    return Diagnosis(
        diagnosis.kind,
        diagnosis.title,
        diagnosis.detail,
        diagnosis.mistake,
        diagnosis.rows,
        note or diagnosis.note,
    )


FUNCTION_NAMES = frozenset(FUNCTIONS)
_SHAPE_CLAIM = re.compile(r"\s*\d+(?:\s*[x×]\s*\d+)+\s*")
_LISTED_CLAIM = re.compile(r"\s*[\[(](?P<items>[^\[\]()]*,[^\[\]()]*)[\])]\s*")


def shape_claim(claim: Any) -> list[str] | None:
    """The sizes of a claim that is a whole shape (``29x29x32``, ``[29, 29, 32]``,
    ``(H-4, W-4, 8)``), or ``None`` for a claim of one number or formula."""
    if not isinstance(claim, str):
        return None
    if _SHAPE_CLAIM.fullmatch(claim):
        return [part.strip() for part in re.split(r"[x×]", claim)]
    listed = _LISTED_CLAIM.fullmatch(claim)
    if listed:
        return [part.strip() for part in listed["items"].split(",")]
    return None


def check_shape(
    claim: str,
    against: Any,
    *,
    quantity: str | None = None,
    values: Mapping[str, Any] | None = None,
) -> tuple[Verdict, ...]:
    """Check a whole shape (``"29x29x32"``, ``"[H-4, W-4, 8]"``) axis by axis: one verdict per
    axis of ``quantity`` (``output_shape`` by default; for a layer reference, the shape it names,
    such as ``conv2d.output_shape``). A claim with the wrong number of axes is refused."""
    sizes = shape_claim(claim)
    if sizes is None or not all(sizes):
        raise SpecError(f"{claim!r} is not a shape such as 29x29x32 or [29, 29, 32]")
    if _is_spec(against):
        net = _load(against)
        name = quantity or "output_shape"

        def one(index: int, text: str) -> Verdict:
            return check(text, net, quantity=f"{name}[{index}]", values=values)
    else:
        reference = str(against) if quantity is None else f"{against}.{quantity}"
        if not re.search(r"(?:^|[. ])\w*shape$", reference):
            reference += ".output_shape" if "." not in reference else ""

        def one(index: int, text: str) -> Verdict:
            return check(text, f"{reference}[{index}]", values=values)

    verdicts = tuple(one(index, text) for index, text in enumerate(sizes))
    try:
        one(len(sizes), "1")
    except SpecError:
        return verdicts  # no axis past the claim's: the ranks agree
    raise SpecError(f"the claim {claim!r} has {len(sizes)} axes, fewer than the shape's")
