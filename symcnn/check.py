"""Checking a claim — a formula or a number — against the engine, and naming the mistake behind it.

A claim is compared with one quantity: a layer's general formula (``conv2d.params``), one concrete
layer (``linear 128->256 params``) or a network's total or row (a spec and a quantity). The verdict
says whether the two are equivalent under the symbols' assumptions; if not, it gives the
difference, a smallest counterexample of small positive integers, and a diagnosis: the catalogued
mistakes (:mod:`symcnn.mistakes`) and the other configurations that produce the claim.

A formula is compared with the layer's formula at PyTorch's defaults (groups 1, stride 1, padding
0, dilation 1) for every symbol the claim does not mention, with ``bias`` left a symbol; a claim
that is right for one value of the bias flag only (``((m*n*d)+1)*k`` is the count *with* a bias) is
right "when bias = 1".

>>> verdict = check("((m*n*d)+1)*k", "conv2d.params")
>>> verdict.right, verdict.condition
(True, 'bias = 1')
>>> verdict = check("((m*n)+1)*k", "conv2d.params")
>>> verdict.right, verdict.condition, verdict.difference
(False, 'd = 1', -k*m*n*(d - 1))
>>> verdict.counterexample
Counterexample(values={m: 1, n: 1, d: 2, k: 1}, claim=2, truth=3)
>>> [diagnosis.title for diagnosis in verdict.diagnoses]
['forgot the input depth d']
>>> verdict = check("32,896", "linear 128->256 params")
>>> verdict.right, verdict.truth
(False, 33024)
>>> [diagnosis.title for diagnosis in verdict.diagnoses]
['put the bias on the input side', 'another configuration: in and out swapped (p = 256, c = 128)']
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy

from .errors import ParseError, SpecError
from .layers import Row
from .mistakes import Form, Mistake, wrong_values
from .network import Network
from .parse import parse_expression
from .quantities import QUANTITIES, LayerQuantity, general_quantity, layer_quantity, read_quantity
from .symbols import NOTATION, bias, c, d, k, p

__all__ = [
    "Counterexample",
    "Diagnosis",
    "Target",
    "Verdict",
    "check",
    "equivalent",
    "format_verdict",
    "normalize",
]

Expr = sympy.Expr

#: the most terms an expanded claim may have before symcnn refuses to compare it
MAX_TERMS = 5000
#: how many assignments the counterexample search tries, and up to which total size
SEARCH_BUDGET = 3000
SEARCH_COST = 16
#: names people use that are not the notation's, and what to write instead
HINTS = {
    "f": "the filter size is m (width) and n (height)",
    "F": "the filter size is m (width) and n (height)",
    "s": "the stride is s_w (s_h, s_t on the other axes)",
    "S": "the stride is s_w (s_h, s_t on the other axes)",
    "K": "the number of filters is k",
    "b": "the bias flag is bias",
    "C": "input channels are d, output channels k",
}


@dataclass(frozen=True)
class Counterexample:
    """Values of the symbols where the claim and the engine differ, and both values there."""

    values: Mapping[sympy.Symbol, Expr]
    claim: Expr | None  # None: the claim is undefined there (a division by zero)
    truth: Expr


@dataclass(frozen=True)
class Diagnosis:
    """Why a claim may be what it is: a catalogued mistake or another configuration.

    ``rows`` names the layers a mistake was made on when the target is a network.
    """

    kind: str  # "mistake" or "configuration"
    title: str
    detail: str
    mistake: Mistake | None = None
    rows: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Target:
    """The quantity a claim is compared with."""

    label: str
    truth: Expr
    quantity: str
    rows: tuple[Row, ...]
    general: Expr | None = None
    claim_values: Mapping[sympy.Symbol, Expr] = field(default_factory=dict)
    defaults: Mapping[sympy.Symbol, Expr] = field(default_factory=dict)
    constraints: tuple[sympy.Basic, ...] = ()
    flags: frozenset[sympy.Symbol] = frozenset()
    layout: str = "HWC"
    #: the one row whose quantity this is (a layer, or one row of a network)
    row: Row | None = None


@dataclass(frozen=True)
class Verdict:
    """The outcome of :func:`check`.

    ``right`` is true when the claim equals the engine's value for every value of the symbols, or
    (``condition``) for one setting of the bias flag that the claim leaves implicit. ``proved``
    says whether equivalence was shown symbolically rather than by trying values.
    """

    claim_text: str
    claim: Expr
    target: Target
    right: bool
    proved: bool
    condition: str | None
    assumed: Mapping[sympy.Symbol, Expr]
    difference: Expr | None
    counterexample: Counterexample | None
    diagnoses: tuple[Diagnosis, ...]
    tried: int = 0

    @property
    def truth(self) -> Expr:
        return self.target.truth

    @property
    def status(self) -> str:
        if self.right:
            return "right" if self.condition is None else "right-when"
        return "wrong"

    def as_dict(self) -> dict[str, Any]:
        """The verdict as JSON-ready data."""
        example = self.counterexample
        return {
            "verdict": self.status,
            "right": self.right,
            "proved": self.proved,
            "claim": _text(self.claim),
            "claim_text": self.claim_text,
            "against": self.target.label,
            "quantity": self.target.quantity,
            "truth": _text(self.truth),
            "general": None if self.target.general is None else _text(self.target.general),
            "defaults": {s.name: _text(v) for s, v in self.target.defaults.items()},
            "condition": self.condition,
            "assumed": {s.name: _text(v) for s, v in self.assumed.items()},
            "difference": None if self.difference is None else _text(self.difference),
            "counterexample": None
            if example is None
            else {
                "values": {s.name: _text(v) for s, v in example.values.items()},
                "claim": None if example.claim is None else _text(example.claim),
                "truth": _text(example.truth),
            },
            "diagnosis": [
                {
                    "kind": diagnosis.kind,
                    "id": None if diagnosis.mistake is None else diagnosis.mistake.id,
                    "title": diagnosis.title,
                    "detail": diagnosis.detail,
                    "rows": list(diagnosis.rows),
                    "note": diagnosis.note,
                    "explanation": None
                    if diagnosis.mistake is None
                    else diagnosis.mistake.explanation,
                    "source": None if diagnosis.mistake is None else diagnosis.mistake.source,
                }
                for diagnosis in self.diagnoses
            ],
        }


def _text(expr: Expr) -> str:
    return sympy.sstr(expr)


# ----------------------------------------------------------------------------------- algebra


def _term_bound(expr: sympy.Basic) -> float:
    """An upper bound on the number of terms ``expand(expr)`` can produce."""
    if expr.is_Add:
        return sum(_term_bound(arg) for arg in expr.args)
    if expr.is_Mul:
        return math.prod(_term_bound(arg) for arg in expr.args)
    if expr.is_Pow:
        base, exponent = expr.args
        if exponent.is_Integer and int(exponent) > 0:
            # a sum of t terms to the power e has at most C(t + e - 1, e) monomials
            terms = _term_bound(base)
            if terms <= 1:
                return 1
            if terms > MAX_TERMS:
                return terms
            return math.comb(int(terms) + int(exponent) - 1, int(exponent))
        return 1
    return 1


def _guard(expr: Expr, what: str) -> None:
    if _term_bound(expr) > MAX_TERMS:
        raise ParseError(f"{what} is too large to compare (more than {MAX_TERMS} terms expanded)")


def _ceiling_as_floor(argument: Expr) -> Expr:
    """⌈a/b⌉ = ⌊(a + b − 1)/b⌋ for integers a and b > 0, so that floors meet floors."""
    numerator, denominator = sympy.fraction(sympy.together(argument))
    if numerator.is_integer and denominator.is_integer and denominator.is_positive:
        return sympy.floor(sympy.expand((numerator + denominator - 1) / denominator))
    return sympy.ceiling(sympy.expand(argument))


def normalize(expr: Expr) -> Expr:
    """A canonical form for comparing formulas: expanded, with every floor's argument expanded (so
    ``⌊(W − m + s)/s⌋`` becomes ``⌊W/s − m/s⌋ + 1``) and ceilings of quotients turned into floors.

    >>> from symcnn.symbols import NOTATION
    >>> W, m, s = (NOTATION[name].symbol for name in ("W", "m", "s_w"))
    >>> normalize(sympy.ceiling((W - m + 1) / s) - sympy.floor((W - m) / s) - 1)
    0
    """
    expr = sympy.expand(expr)
    if expr.has(sympy.ceiling):
        expr = expr.replace(sympy.ceiling, _ceiling_as_floor)
    if expr.has(sympy.floor):
        expr = expr.replace(sympy.floor, lambda argument: sympy.floor(sympy.expand(argument)))
        expr = sympy.expand(expr)
    return expr


def equivalent(left: Expr, right: Expr) -> bool:
    """Whether two formulas are equal for every value of their symbols, shown symbolically."""
    return bool(normalize(left - right) == 0)


_PRIMES = tuple(sympy.primerange(101, 400))


def _is_zero(expr: Expr) -> bool:
    """Whether ``expr`` normalizes to 0; a nonzero value at one point of the symbols' domain
    (distinct primes) settles "no" without expanding anything."""
    symbols = sorted(expr.free_symbols, key=str)
    if len(symbols) <= len(_PRIMES):
        point = dict(zip(symbols, (sympy.Integer(q) for q in _PRIMES), strict=False))
        value = expr.xreplace(point)
        if value.is_number and _defined(value) and value != 0:
            return False
    return bool(normalize(expr) == 0)


def _simplified(difference: Expr) -> Expr:
    difference = normalize(difference)
    if difference.is_polynomial() and sympy.count_ops(difference) < 400:
        return sympy.factor(difference)
    return difference


def _condition(difference: Expr, flags: frozenset[sympy.Symbol]) -> str | None:
    """When a nonzero polynomial difference vanishes, said simply: ``d = 1``, ``bias = 1``."""
    for flag in sorted(flags & difference.free_symbols, key=str):
        zeros = [value for value in (0, 1) if _is_zero(difference.xreplace({flag: value}))]
        if len(zeros) == 1:
            return f"{flag} = {zeros[0]}"
    if not difference.is_polynomial() or sympy.count_ops(difference) > 400:
        return None
    factors = [base for base, _ in sympy.factor_list(difference)[1]]
    equations = []
    for factor in factors:
        if factor.is_nonzero:
            continue
        solutions = []
        for symbol in _ordered(factor.free_symbols):
            poly = sympy.Poly(factor, symbol)
            if poly.degree() != 1:
                continue
            slope, offset = poly.all_coeffs()
            solution = sympy.factor(-offset / slope)
            if symbol.is_positive and solution.is_positive is False:
                break  # the factor cannot vanish: the symbol would have to be 0 or less
            if symbol.is_nonnegative and solution.is_nonnegative is False:
                break
            solutions.append(f"{symbol} = {sympy.sstr(solution)}")
            if sympy.count_ops(solution) <= 2:
                equations.append(solutions[-1])
                break
        else:
            return None  # the factor vanishes somewhere, but not simply said
    if not equations:
        return "never"
    return " or ".join(equations)


def _ordered(symbols: Sequence[sympy.Symbol] | set[sympy.Basic]) -> list[sympy.Symbol]:
    """Symbols in the notation's order (m, n, t, d, k, c, p, bias, g…), then by name."""
    order = {name: index for index, name in enumerate(NOTATION)}
    return sorted(
        (s for s in symbols if isinstance(s, sympy.Symbol)),
        key=lambda s: (order.get(s.name, len(order)), s.name),
    )


# ------------------------------------------------------------------------------ counterexamples


def _assignments(
    symbols: Sequence[sympy.Symbol], flags: frozenset[sympy.Symbol]
) -> Iterator[dict[sympy.Symbol, Expr]]:
    """Assignments of small integers in order of total size: flags in {0, 1}, nonnegative symbols
    from 0, the others from 1."""
    lows = [0 if (s in flags or (s.is_nonnegative and not s.is_positive)) else 1 for s in symbols]
    highs = [1 if s in flags else None for s in symbols]
    count = len(symbols)

    def compositions(total: int, index: int) -> Iterator[tuple[int, ...]]:
        if index == count - 1:
            high = highs[index]
            if high is None or total <= high - lows[index]:
                yield (total,)
            return
        high = highs[index]
        top = total if high is None else min(total, high - lows[index])
        for first in range(top + 1):
            for rest in compositions(total - first, index + 1):
                yield (first, *rest)

    if count == 0:
        yield {}
        return
    for cost in range(SEARCH_COST + 1):
        for extra in compositions(cost, 0):
            yield {
                s: sympy.Integer(low + more)
                for s, low, more in zip(symbols, lows, extra, strict=True)
            }


def _satisfies(constraints: Sequence[sympy.Basic], values: Mapping[sympy.Symbol, Expr]) -> bool:
    for condition in constraints:
        if condition.xreplace(values) == sympy.false:
            return False
    return True


def _defined(value: Expr) -> bool:
    return not value.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)


def _search(
    claim: Expr,
    truth: Expr,
    constraints: Sequence[sympy.Basic],
    flags: frozenset[sympy.Symbol],
) -> tuple[Counterexample | None, int]:
    """The smallest assignment (by total size) where claim and truth differ, and how many valid
    assignments were tried."""
    symbols = _ordered(claim.free_symbols | truth.free_symbols)
    tried = 0
    for values in _assignments(symbols, flags):
        if tried >= SEARCH_BUDGET:
            break
        if not _satisfies(constraints, values):
            continue
        tried += 1
        truth_value = truth.xreplace(values)
        claim_value = claim.xreplace(values)
        if not _defined(truth_value):
            continue
        if not _defined(claim_value):
            return Counterexample(values, None, truth_value), tried
        if claim_value != truth_value:
            return Counterexample(values, claim_value, truth_value), tried
    return None, tried


# ----------------------------------------------------------------------------------- targets


def _claim_symbol(names: Mapping[str, sympy.Symbol] | None, name: str) -> sympy.Symbol:
    if names is None:
        if name in NOTATION:
            return NOTATION[name].symbol
        hint = f"; {HINTS[name]}" if name in HINTS else ""
        raise ParseError(
            f"unknown name {name!r}{hint} (the notation's names: {', '.join(NOTATION)})"
        )
    if name in names:
        return names[name]
    known = ", ".join(sorted(names)) or "none: the network is numeric"
    raise ParseError(f"unknown name {name!r} (this network's symbols: {known})")


def parse_claim(claim: Any, names: Mapping[str, sympy.Symbol] | None = None) -> Expr:
    """A claim as an expression: text through the safe parser, or a number. ``names`` are the
    symbols a claim may use (default: the notation's)."""
    if isinstance(claim, bool):
        raise ParseError(f"a claim must be a formula or a number, not {claim!r}")
    if isinstance(claim, int):
        return sympy.Integer(claim)
    if isinstance(claim, sympy.Expr):
        return claim
    if not isinstance(claim, str):
        raise ParseError(f"a claim must be a formula or a number, not {type(claim).__name__}")
    return parse_expression(claim, lambda name: _claim_symbol(names, name))


def _flags(rows: Sequence[Row], truth: Expr) -> frozenset[sympy.Symbol]:
    """The bias flags among the truth's symbols: whatever a row's ``bias`` stands for."""
    flags: set[sympy.Symbol] = set()
    for row in rows:
        value = row.values.get(bias)
        if isinstance(value, sympy.Basic):
            flags |= {s for s in value.free_symbols if isinstance(s, sympy.Symbol)}
    return frozenset(flags & truth.free_symbols)


def _relevant_defaults(
    defaults: Mapping[sympy.Symbol, Expr], general: Expr | None
) -> dict[sympy.Symbol, Expr]:
    if general is None:
        return dict(defaults)
    return {s: v for s, v in defaults.items() if s in general.free_symbols}


def _layer_target(quantity: LayerQuantity) -> Target:
    row = quantity.row
    general = general_quantity(row, quantity.quantity)
    return Target(
        label=quantity.label,
        truth=quantity.truth,
        quantity=quantity.quantity,
        rows=(row,),
        general=general,
        claim_values=quantity.claim_values,
        defaults=_relevant_defaults(quantity.defaults, general),
        constraints=quantity.constraints,
        flags=_flags((row,), quantity.truth) if quantity.general else frozenset(),
        row=row,
    )


NETWORK_QUANTITIES = ("params", "buffers", "activation_size", "total_activations")


def network_target(net: Network, quantity: str = "params") -> Target:
    """A network's total (``params``, ``buffers``, ``activation_size``, ``total_activations``) or
    one row's quantity (``CONV2.params``, ``2.out_w``)."""
    name = (quantity or "params").strip()
    conditions = tuple(check.condition for check in net.conditions)
    label = net.name or "the network"
    if name in NETWORK_QUANTITIES:
        truth = getattr(net, name)
        rows = net.rows if name in ("params", "buffers") else ()
        return Target(
            label=f"{label}: {name}",
            truth=truth,
            quantity=name,
            rows=tuple(rows),
            constraints=conditions,
            flags=_flags(rows, truth),
            layout=net.layout,
        )
    row_key, dot, row_quantity = name.rpartition(".")
    if not dot or row_quantity not in QUANTITIES:
        valid = ", ".join([*NETWORK_QUANTITIES, *(f"ROW.{q}" for q in QUANTITIES)])
        raise SpecError(f"unknown quantity {quantity!r} (valid: {valid})", field="quantity")
    row = _find_row(net, row_key)
    truth = read_quantity(row, row_quantity, net.layout)
    return Target(
        label=f"{label}: {row.name} ({row.type}) {QUANTITIES[row_quantity]}",
        truth=truth,
        quantity=row_quantity,
        rows=(row,),
        constraints=conditions,
        flags=_flags((row,), truth),
        layout=net.layout,
        row=row,
    )


def _find_row(net: Network, key: str) -> Row:
    for row in net.rows:
        if row.name == key:
            return row
    if key.lstrip("-").isdigit() and -len(net.rows) <= int(key) < len(net.rows):
        return net.rows[int(key)]
    names = ", ".join(row.name for row in net.rows)
    raise SpecError(f"no layer {key!r} in the network (layers: {names})", field="quantity")


def _is_spec(against: Any) -> bool:
    if isinstance(against, Network | Mapping):
        return True
    text = str(against).strip().lower()
    return "\n" in text or text.endswith((".yaml", ".yml", ".json"))


def _load(against: Any) -> Network:
    from .spec import load

    return against if isinstance(against, Network) else load(against)


# ----------------------------------------------------------------------------------- diagnosis


def _describe(form: Form, value: Expr) -> str:
    return f"wrong formula {form.formula}, here {_number(value)}"


def _mistakes_on_row(
    claim: Expr, target: Target, row: Row, assumed: Mapping[sympy.Symbol, Expr]
) -> list[Diagnosis]:
    truth = target.truth
    found: dict[str, Diagnosis] = {}
    exact: set[str] = set()  # mistakes matched by one of their forms, not only "any nonzero"
    for form, wrong in wrong_values(row, target.quantity):
        mistake = form.mistake
        if mistake.id in exact:
            continue
        if form.any_nonzero:
            if truth == 0 and not claim.is_zero:
                if _is_zero(claim - wrong):
                    exact.add(mistake.id)
                    detail = _describe(form, wrong)
                elif mistake.id in found:
                    continue
                else:
                    detail = f"{row.type} has none: any count but 0 is this mistake"
                found[mistake.id] = Diagnosis("mistake", mistake.title, detail, mistake)
            continue
        if _is_zero(wrong - truth):
            continue  # the mistake makes no difference here
        note = ""
        if _is_zero(claim - wrong):
            pass
        elif assumed and _is_zero((claim - wrong).xreplace(assumed)):
            note = "with " + ", ".join(f"{s} = {v}" for s, v in assumed.items())
            wrong = wrong.xreplace(assumed)
        else:
            continue
        exact.add(mistake.id)
        found[mistake.id] = Diagnosis(
            "mistake", mistake.title, _describe(form, wrong), mistake, note=note
        )
    return list(found.values())


def _configurations(claim: Expr, target: Target, row: Row) -> list[Diagnosis]:
    """Other settings of the same layer that give the claim: in and out swapped, bias flipped."""
    values = dict(row.values)
    general = general_quantity(row, target.quantity)
    if general is None:
        return []
    variants: list[tuple[str, dict[Any, Expr]]] = []
    for first, second in ((d, k), (p, c)):
        if first in values and second in values and values[first] != values[second]:
            swapped = {**values, first: values[second], second: values[first]}
            variants.append(
                (
                    f"in and out swapped ({first} = {values[second]}, {second} = {values[first]})",
                    swapped,
                )
            )
    flag = values.get(bias)
    if flag in (sympy.S.Zero, sympy.S.One):
        flipped = 1 - flag
        with_flag = "without a bias" if flipped == 0 else "with a bias"
        for label, variant in list(variants):
            variants.append((f"{label} and {with_flag}", {**variant, bias: flipped}))
        variants.insert(0, (with_flag + f" (bias = {flipped})", {**values, bias: flipped}))
    found = []
    for label, variant in variants:
        value = general.xreplace(variant)
        if not _is_zero(value - target.truth) and _is_zero(claim - value):
            found.append(
                Diagnosis("configuration", f"another configuration: {label}", _number(value))
            )
    return found


def _row_options(
    target: Target, generic: Mapping[sympy.Symbol, Expr]
) -> list[list[tuple[Form | None, Expr, Expr]]]:
    """Per row: (form, value, value at the generic point), the row's own value first."""
    options = []
    for row in target.rows:
        own = read_quantity(row, target.quantity, target.layout)
        choices: list[tuple[Form | None, Expr, Expr]] = [(None, own, own.xreplace(generic))]
        seen = {choices[0][2]}
        for form, wrong in wrong_values(row, target.quantity):
            at = wrong.xreplace(generic)
            if at in seen or not at.is_number:
                continue
            seen.add(at)
            choices.append((form, wrong, at))
        options.append(choices)
    return options


def _explain_sum(
    options: list[list[tuple[Form | None, Expr, Expr]]], goal: Expr, limit: int = 200_000
) -> list[int] | None:
    """Choose one option per row so the values sum to ``goal``, with the fewest distinct mistakes
    and then the fewest rows wrong. Values are nonnegative, which prunes sums past the goal."""
    if not goal.is_number or goal < 0:
        return None
    floors = [min(option[2] for option in row) for row in options]
    rest = [sum(floors[i + 1 :]) for i in range(len(options))]
    # state: (sum, mistakes used) -> (rows wrong, choice list)
    states: dict[tuple[Expr, frozenset[str]], tuple[int, tuple[int, ...]]] = {
        (sympy.S.Zero, frozenset()): (0, ())
    }
    for index, row in enumerate(options):
        following: dict[tuple[Expr, frozenset[str]], tuple[int, tuple[int, ...]]] = {}
        for (total, used), (wrong, choices) in states.items():
            for choice, (form, _, value) in enumerate(row):
                new_total = total + value
                if new_total + rest[index] > goal:
                    continue
                new_used = used if form is None else used | {form.mistake.id}
                if len(new_used) > 3:
                    continue
                key = (new_total, new_used)
                candidate = (wrong + (form is not None), (*choices, choice))
                if key not in following or candidate[0] < following[key][0]:
                    following[key] = candidate
        states = following
        if len(states) > limit:
            return None
    best = None
    for (total, used), (wrong, choices) in states.items():
        if total == goal:
            score = (len(used), wrong)
            if best is None or score < best[0]:
                best = (score, choices)
    return None if best is None else list(best[1])


def _generic_point(
    symbols: set[sympy.Basic], flags: frozenset[sympy.Symbol], assumed: Mapping[sympy.Symbol, Expr]
) -> dict[sympy.Symbol, Expr]:
    primes = iter(sympy.primerange(101, 10_000))
    point: dict[sympy.Symbol, Expr] = {}
    for symbol in _ordered(symbols):
        if symbol in assumed:
            point[symbol] = assumed[symbol]
        elif symbol in flags:
            point[symbol] = sympy.S.One
        else:
            point[symbol] = sympy.Integer(next(primes))
    return point


def _mistakes_on_rows(
    claim: Expr, target: Target, assumed: Mapping[sympy.Symbol, Expr]
) -> list[Diagnosis]:
    """Which catalogued mistakes, made on which rows, turn the network's total into the claim."""
    symbols: set[sympy.Basic] = set(claim.free_symbols | target.truth.free_symbols)
    for row in target.rows:
        symbols |= read_quantity(row, target.quantity, target.layout).free_symbols
    point = _generic_point(symbols, target.flags, assumed)
    options = _row_options(target, point)
    choices = _explain_sum(options, claim.xreplace(point))
    if choices is None or all(choice == 0 for choice in choices):
        return []
    chosen = [options[i][choice] for i, choice in enumerate(choices)]
    explained = sympy.Add(*(value for _, value, _ in chosen))
    if not _is_zero((claim - explained).xreplace(assumed)):
        return []
    by_mistake: dict[str, list[tuple[Row, Form, Expr]]] = {}
    for row, (form, value, _) in zip(target.rows, chosen, strict=True):
        if form is not None:
            by_mistake.setdefault(form.mistake.id, []).append((row, form, value))
    found = []
    for entries in by_mistake.values():
        mistake = entries[0][1].mistake
        names = tuple(row.name for row, _, _ in entries)
        detail = ", ".join(f"{row.name}: {_number(value)}" for row, _, value in entries)
        found.append(Diagnosis("mistake", mistake.title, detail, mistake, rows=names))
    return found


def _diagnose(claim: Expr, target: Target, assumed: Mapping[sympy.Symbol, Expr]) -> list[Diagnosis]:
    if target.row is not None:
        found = _mistakes_on_row(claim, target, target.row, assumed)
        if claim.is_number:
            found += _configurations(claim, target, target.row)
        return found
    if target.rows:
        return _mistakes_on_rows(claim, target, assumed)
    return []


def _bias_for_mistakes(claim: Expr, target: Target) -> dict[sympy.Symbol, Expr]:
    """The flag values under which the claim matches a catalogued mistake, if any."""
    flags = sorted(target.flags - claim.free_symbols, key=str)
    if not flags:
        return {}
    for values in itertools.product((1, 0), repeat=len(flags)):
        assumed = {flag: sympy.Integer(v) for flag, v in zip(flags, values, strict=True)}
        if _diagnose(claim, target, assumed):
            return assumed
    return {}


# ----------------------------------------------------------------------------------- check


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
                condition = ", ".join(f"{flag} = {value}" for flag, value in trial.items())
                notes = _diagnose(claim, target, {})
                return Verdict(
                    claim_text,
                    claim,
                    target,
                    True,
                    True,
                    condition,
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


# ----------------------------------------------------------------------------------- text


def _number(expr: Expr) -> str:
    if isinstance(expr, sympy.Integer):
        return f"{int(expr):,}"
    return sympy.sstr(expr)


def _assignment(values: Mapping[sympy.Symbol, Expr]) -> str:
    return ", ".join(f"{symbol} = {_number(value)}" for symbol, value in values.items())


def format_verdict(verdict: Verdict) -> str:
    """A verdict as the lines ``symcnn check`` prints."""
    target = verdict.target
    text = verdict.claim_text.strip()
    lines = [f"claim:     {text}"]
    plain = "".join(text.split()).replace(",", "")
    if plain not in (sympy.sstr(verdict.claim), sympy.sstr(verdict.claim).replace(" ", "")):
        lines[0] += f"  =  {_number(verdict.claim)}"
    lines.append(f"engine:    {_number(target.truth)}")
    lines.append(f"           {target.label}")
    if target.general is not None and target.general != target.truth:
        formula = f"           formula {sympy.sstr(target.general)}"
        if target.defaults:
            formula += f" at the defaults {_assignment(target.defaults)}"
        lines.append(formula)
    if verdict.right and verdict.condition is None:
        how = (
            "proved symbolically"
            if verdict.proved
            else f"no counterexample in {verdict.tried} tries"
        )
        lines.append(f"verdict:   right ({how})")
    elif verdict.right:
        lines.append(f"verdict:   right when {verdict.condition}")
    else:
        text = "wrong"
        if verdict.condition == "never":
            text += ": the two never agree"
        elif verdict.condition:
            text += f": they agree only when {verdict.condition}"
        if verdict.assumed:
            text += f" (compared with {_assignment(verdict.assumed)})"
        lines.append(f"verdict:   {text}")
        if verdict.difference is not None and not (
            verdict.claim.is_number and target.truth.is_number
        ):
            lines.append(f"difference: claim − engine = {sympy.sstr(verdict.difference)}")
        elif verdict.difference is not None:
            lines.append(f"difference: claim − engine = {_number(verdict.difference)}")
        example = verdict.counterexample
        if example is not None and example.values:
            claim_value = "undefined" if example.claim is None else _number(example.claim)
            lines.append(
                f"counterexample: {_assignment(example.values)}: claim {claim_value}, "
                f"engine {_number(example.truth)}"
            )
    for diagnosis in verdict.diagnoses:
        head = "diagnosis: " if not verdict.right else "note:      "
        title = diagnosis.title
        if diagnosis.mistake is not None:
            title += f" [{diagnosis.mistake.id}]"
        if diagnosis.note:
            title += f" ({diagnosis.note})"
        lines.append(f"{head}{title}")
        lines.append(f"           {diagnosis.detail}")
        if diagnosis.mistake is not None:
            lines += _wrapped(diagnosis.mistake.explanation)
            lines += _wrapped(f"source: {diagnosis.mistake.source}")
    return "\n".join(lines) + "\n"


def _wrapped(text: str) -> list[str]:
    return textwrap.wrap(
        text,
        width=100,
        initial_indent=" " * 11,
        subsequent_indent=" " * 11,
        break_on_hyphens=False,
    )
