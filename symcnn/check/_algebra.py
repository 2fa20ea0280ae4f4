"""Comparing formulas: a canonical form, when a difference vanishes, and the smallest
counterexample among small positive integers."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import sympy
from sympy import Expr

import symcnn.limits as limits

from ..errors import ParseError
from ..limits import how_to_raise
from ..parse import expanded_terms
from ..symbols import NOTATION
from ._verdict import Counterexample

__all__ = ["MAX_TERMS", "SEARCH_BUDGET", "SEARCH_COST", "equivalent", "normalize"]


#: the most terms an expanded claim may have before symcnn refuses to compare it (the value of
#: :data:`symcnn.limits.MAX_EXPANDED_TERMS` at import; the check reads the live value)
MAX_TERMS = limits.MAX_EXPANDED_TERMS
#: how many assignments the counterexample search tries, and up to which total size
SEARCH_BUDGET = 3000
SEARCH_COST = 16


def _guard(expr: Expr, what: str) -> None:
    cap = limits.MAX_EXPANDED_TERMS
    if expanded_terms(expr) > cap:
        raise ParseError(
            f"{what} is too large to compare (more than {cap} terms expanded) "
            + how_to_raise("MAX_EXPANDED_TERMS")
        )


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
