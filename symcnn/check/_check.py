"""The check itself: a claim against a target, proved equal, equal for one bias setting, or
wrong with a counterexample and a diagnosis."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from typing import Any

import sympy
from sympy import Expr

from ..errors import SpecError
from ..references import layer_quantity
from ._algebra import _condition, _guard, _is_zero, _search, _simplified, normalize
from ._diagnosis import _bias_for_mistakes, _diagnose
from ._targets import _is_spec, _layer_target, _load, network_target, parse_claim
from ._verdict import Diagnosis, Target, Verdict

__all__ = ["check", "compare"]


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
        expression = parse_claim(claim)
        resolved = layer_quantity(
            str(against), values, keep=set(expression.free_symbols), quantity=quantity
        )
        target = _layer_target(resolved)
    return compare(claim_text, expression, target)


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
