"""Why a claim is what it is: catalogued mistakes (on one layer, or on some rows of a network
that add up to the claim) and other configurations of the same layer."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import sympy
from sympy import Expr

from ..layers import Row
from ..mistakes import Form, wrong_values
from ..references import axis_index, general_quantity, parse_reference, read_quantity
from ..symbols import bias, c, d, k, p
from ._algebra import _is_zero, _ordered
from ._text import _number
from ._verdict import Diagnosis, Target


def _catalogue_name(row: Row, quantity: str, layout: str) -> str:
    """``quantity`` as the mistake catalogue names it: an output axis is ``out_w``, ``out_h`` or
    ``out_t`` there, where references write ``output_shape[i]``."""
    reference = parse_reference(quantity)
    if reference is None or reference.alias is not None or reference.index is None:
        return quantity
    if reference.quantity.name != "output_shape" or not row.output_shape:
        return quantity
    rank = len(row.output_shape)
    for axis in ("w", "h", "t"):
        if axis_index(rank, layout, axis) == reference.index % rank:
            return f"out_{axis}"
    return quantity


def _describe(form: Form, value: Expr) -> str:
    return f"wrong formula {form.formula}, here {_number(value)}"


def _mistakes_on_row(
    claim: Expr, target: Target, row: Row, assumed: Mapping[sympy.Symbol, Expr]
) -> list[Diagnosis]:
    truth = target.truth
    found: dict[str, Diagnosis] = {}
    exact: set[str] = set()  # mistakes matched by one of their forms, not only "any nonzero"
    for form, wrong in wrong_values(row, _catalogue_name(row, target.quantity, target.layout)):
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
    if flag is not None and flag in (sympy.S.Zero, sympy.S.One):
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
        for form, wrong in wrong_values(row, _catalogue_name(row, target.quantity, target.layout)):
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
