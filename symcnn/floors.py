"""The floor normal form: a strided size stays one floor however many strided layers feed it.

For an integer ``x``, positive integers ``a`` and ``b`` and an integer ``c``::

    ⌊(⌊x/a⌋ + c)/b⌋ = ⌊(x + a·c)/(a·b)⌋        ⌈(⌈x/a⌉ + c)/b⌉ = ⌈(x + a·c)/(a·b)⌉

(proof: docs/floors.md). A layer's output size is its general formula with the input size put in;
:func:`substitute` puts it in through these identities instead of nesting, so two stride-2 layers
on ``H`` give ``⌊H/4⌋``, not ``⌊⌊H/2⌋/2⌋``, and a size stays ``μ·⌊N/S⌋ + γ`` (``N`` an
integer polynomial of the input's symbols, ``S`` a positive integer, ``μ`` and ``γ`` integers)::

    >>> from sympy import Symbol, floor
    >>> H, W = Symbol("H", integer=True, positive=True), Symbol("W", integer=True, positive=True)
    >>> size = floor((W - 2) / 2) + 1                  # a 2×2 window, stride 2
    >>> half = substitute(size, {W: H})
    >>> half, substitute(size, {W: half}), substitute(size, {W: 3 * half + 1})
    (floor(H/2), floor(H/4), floor(3*floor(H/2)/2 + 1/2))

Where no identity applies (``⌊(3·⌊H/2⌋ + 1)/2⌋``: 2 neither divides nor is divided by 3) the
size nests one level, soundly, and the next layers collapse onto that. Mixed rounding converts
the inner term first: ``⌈y/a⌉ = ⌊(y + a − 1)/a⌋`` and ``⌊y/a⌋ = ⌈(y − a + 1)/a⌉``.

This module knows no layer; :mod:`symcnn.layers.base` builds every row's quantities through
:func:`substitute`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, TypeAlias

import sympy

__all__ = [
    "bound",
    "ceil_mode_size",
    "compose",
    "normal_form",
    "round_of",
    "rounded",
    "substitute",
]

Expr: TypeAlias = sympy.Expr
_ROUNDINGS = (sympy.floor, sympy.ceiling)


def _rounded(expr: sympy.Basic) -> bool:
    # an atom (a number, a symbol) holds no rounding: most values a layer binds are atoms
    return isinstance(expr, sympy.Basic) and not expr.is_Atom and expr.has(*_ROUNDINGS)


def _integral(expr: Any) -> bool:
    """Whether ``expr`` is an integer by its shape: a sum of products of integers, integer
    symbols, and floors and ceilings, with nonnegative integer powers. Decided without SymPy's
    assumption system, whose queries on deep sizes cost more than all the rest."""
    if isinstance(expr, int) or expr.is_Integer:
        return True
    if expr.is_Symbol:
        return expr.is_integer is True
    if isinstance(expr, (*_ROUNDINGS, sympy.Min, sympy.Max)):
        return isinstance(expr, _ROUNDINGS) or all(_integral(arg) for arg in expr.args)
    if expr.is_Add or expr.is_Mul:
        return all(_integral(arg) for arg in expr.args)
    if expr.is_Pow:
        return _integral(expr.base) and expr.exp.is_Integer and expr.exp >= 0
    return False


def _positive(expr: Any) -> bool:
    """Whether ``expr`` is positive by its shape: a product of positive numbers and symbols."""
    if expr.is_Number:
        return bool(expr > 0)
    if expr.is_Symbol:
        return expr.is_positive is True
    if expr.is_Mul:
        return all(_positive(arg) for arg in expr.args)
    if expr.is_Pow:
        return _positive(expr.base) and expr.exp.is_Integer
    return False


#: integer symbols no value holds, standing in for rounded values while the rest is substituted;
#: the same ones every time, so that SymPy's cache knows the formulas they give
_STAND_INS: list[sympy.Dummy] = []


def _stand_in(position: int) -> sympy.Dummy:
    while len(_STAND_INS) <= position:
        _STAND_INS.append(sympy.Dummy(f"x{len(_STAND_INS)}", integer=True))
    return _STAND_INS[position]


def substitute(expr: sympy.Basic, values: Mapping[Any, Any]) -> Any:
    """``expr.xreplace(values)`` (simultaneous), with every value that holds a floor or a ceiling
    put in through the normal form (:func:`compose`), so the result nests no deeper than it."""
    if isinstance(expr, sympy.Number):  # a count that is already a number (a ReLU's 0 parameters)
        return expr
    rounded = {symbol: value for symbol, value in values.items() if _rounded(value)}
    if not rounded:
        return expr.xreplace(dict(values))
    # the values may hold the notation's own symbols (a spec's input [H, W, 3] gives W the value
    # W), so the rounded ones go in through fresh symbols, after the plain substitution
    mapping = dict(values)
    fresh = {}
    for position, (symbol, value) in enumerate(rounded.items()):
        stand_in = _stand_in(position)
        mapping[symbol] = stand_in
        fresh[stand_in] = value
    result = expr.xreplace(mapping)
    for stand_in, value in fresh.items():
        result = compose(result, stand_in, value)
    return result


def compose(expr: sympy.Basic, x: sympy.Symbol, value: Any) -> Any:
    """``expr`` with the integer symbol ``x`` replaced by ``value``, every floor or ceiling of
    ``x`` composed with ``value``'s through the normal form where an identity applies."""
    if not expr.has(x):
        return expr
    if expr == x:
        return value
    if isinstance(expr, _ROUNDINGS):
        return _round(type(expr), expr.args[0], x, value)
    if not expr.args or isinstance(expr, sympy.Pow | sympy.Piecewise):
        return expr.xreplace({x: value})
    return expr.func(*(compose(arg, x, value) for arg in expr.args))


def round_of(rounding: Any, arg: Any) -> Any:
    """``rounding(arg)`` (``sympy.floor`` or ``sympy.ceiling``), collapsed through the normal form
    when ``arg`` holds one rounded term: ``round_of(floor, floor(H/2)/2)`` is ``⌊H/4⌋``. How
    :func:`symcnn.formula.evaluate` rounds, so a working's nested form is the count's own."""
    if isinstance(arg, sympy.Basic) and arg.has(*_ROUNDINGS):
        found = [
            factor
            for term in sympy.Add.make_args(arg)
            for factor in sympy.Mul.make_args(term)
            if isinstance(factor, _ROUNDINGS)
        ]
        if len(found) == 1:
            stand_in = _stand_in(0)
            return _round(rounding, arg.xreplace({found[0]: stand_in}), stand_in, found[0])
    return rounding(arg)


def normal_form(expr: sympy.Basic) -> tuple[Expr, Any, Expr, Expr, Expr] | None:
    """``expr`` as ``(μ, rounding, N, S, γ)`` with ``expr = μ·rounding(N/S) + γ``: ``rounding``
    ``sympy.floor`` or ``sympy.ceiling``, ``N`` and ``γ`` integer-valued, ``S`` a positive
    integer, ``μ`` a nonzero integer; ``None`` when ``expr`` is not of that form."""
    terms = sympy.Add.make_args(expr)
    rounded = [term for term in terms if term.has(*_ROUNDINGS)]
    if len(rounded) != 1:
        return None
    mu, rounding = rounded[0].as_coeff_Mul()
    if not isinstance(rounding, _ROUNDINGS) or not mu.is_Integer:
        return None
    rest = sympy.Add(*(term for term in terms if term is not rounded[0]))
    if not _integral(rest):
        return None
    parts = _fraction(rounding.args[0])
    if parts is None:
        return None
    numerator, denominator = parts
    return mu, type(rounding), numerator, denominator, rest


def _fraction(arg: Expr) -> tuple[Expr, Expr] | None:
    """``arg`` as ``N/S``, ``N`` integer-valued and ``S`` a positive integer (a number, or a
    product of positive integer symbols), or ``None``."""
    denominators = [term.as_coeff_Mul()[0] for term in sympy.Add.make_args(arg)]
    scale = sympy.ilcm(1, *(int(q.q) for q in denominators if isinstance(q, sympy.Rational)))
    denominator: Expr = sympy.Integer(scale)
    numerator = sympy.expand(arg * denominator)
    if not _integral(numerator):
        # a symbolic stride: ⌊(W − m)/s⌋
        numerator, denominator = sympy.fraction(sympy.together(arg))
    if not (_integral(numerator) and _integral(denominator) and _positive(denominator)):
        return None
    return numerator, denominator


def _convert(rounding: Any, target: Any, numerator: Expr, denominator: Expr) -> Expr:
    """The numerator of ``rounding(N/S)`` written as ``target``: ⌈N/S⌉ = ⌊(N + S − 1)/S⌋ and
    ⌊N/S⌋ = ⌈(N − S + 1)/S⌉ for integer N and positive integer S."""
    if rounding is target:
        return numerator
    shift = denominator - 1
    return numerator + shift if target is sympy.floor else numerator - shift


def _round(outer: Any, arg: Expr, x: sympy.Symbol, value: Any) -> Any:
    """``outer(arg)`` with ``x`` replaced by ``value``, collapsed when ``arg`` is linear in ``x``
    and ``value`` is in normal form."""

    def nested() -> Any:
        return outer(arg.xreplace({x: value}))

    inner = normal_form(value) if _rounded(value) else None
    parts = _fraction(arg)
    if inner is None or parts is None:
        return nested()
    numerator, b = parts
    constant, dependent = numerator.as_independent(x, as_Add=True)
    a, rest = dependent.as_independent(x, as_Add=False)
    if rest != x or not (_integral(a) and _integral(constant)):
        return nested()
    mu, rounding, big_n, big_s, gamma = inner
    # outer((a·μ·rounding(N/S) + a·γ + c)/b) = outer((M·y + K)/b) with y = rounding(N/S)
    multiple = a * mu
    offset = sympy.expand(a * gamma + constant)
    # the rounded term itself, as ``value`` holds it: rebuilding it would make SymPy decide
    # again, through its assumptions, that it does not simplify (most of a deep chain's time)
    y = next(term for term in sympy.Add.make_args(value) if term.has(*_ROUNDINGS))
    y = y.as_coeff_Mul()[1]
    if _integral(multiple / b):
        # b | M: M·y/b is an integer and comes out of the rounding whole
        return sympy.expand(multiple / b) * y + outer(offset / b)  # type: ignore[operator]
    ratio = b / multiple
    if _positive(multiple) and _integral(ratio):
        # M | b: outer((y + K/M)/(b/M)) = outer((y + outer(K/M))/(b/M)), then the identity
        shift = outer(offset / multiple)
        top = _convert(rounding, outer, big_n, big_s)
        return rounded(outer, sympy.expand(top + big_s * shift), big_s * ratio)
    return nested()


def rounded(rounding: Any, numerator: Expr, denominator: Expr) -> Expr:
    """``rounding(numerator/denominator)`` (``sympy.floor`` or ``sympy.ceiling``) for an integer
    polynomial ``numerator`` and a positive integer ``denominator``, built directly: the terms
    the denominator divides come out whole, a common factor of what stays and the denominator is
    cancelled (``⌊(g·P + r)/(g·Q)⌋ = ⌊(P + ⌊r/g⌋)/Q⌋`` for integer ``P``), and SymPy's own
    simplification, which re-derives all this at a cost that grows with the numbers, is skipped.
    """
    if not denominator.is_Integer:
        return rounding(numerator / denominator)
    q = int(denominator)
    whole: list[Expr] = []
    kept: list[tuple[int, Expr]] = []
    remainder = 0
    for term in sympy.Add.make_args(numerator):
        coefficient, monomial = term.as_coeff_Mul()
        if not coefficient.is_Integer or not _integral(monomial):
            return rounding(numerator / denominator)
        c = int(coefficient)
        if monomial == 1:
            whole.append(sympy.Integer(c // q))
            remainder = c % q
        elif c % q == 0:
            whole.append(sympy.Integer(c // q) * monomial)
        else:
            kept.append((c, monomial))
    if not kept:
        top = 1 if rounding is sympy.ceiling and remainder else 0
        return sympy.Add(*whole, sympy.Integer(top))
    g = q
    for c, _ in kept:
        g = math.gcd(g, c)
    if g > 1:
        remainder = -(-remainder // g) if rounding is sympy.ceiling else remainder // g
        kept = [(c // g, monomial) for c, monomial in kept]
        q //= g
    fraction = sympy.Add(
        *(sympy.Rational(c, q) * monomial for c, monomial in kept), sympy.Rational(remainder, q)
    )
    return sympy.Add(*whole, rounding(fraction, evaluate=False))


def ceil_mode_size(size: Expr, padding: Expr, extent: Expr, stride: Expr) -> Expr:
    """PyTorch's ceil-mode pooling size, ``⌈(W + 2z − e)/s⌉ + 1`` less one when the last window
    would start in the right padding, as one floor: ``⌊(W + min(2z − e + s − 1, z − 1))/s⌋ + 1``
    (``e`` the dilated kernel's extent). The first term counts the windows rounding up; the
    second the window starts ``j·s ≤ W + z − 1``; the last window is dropped exactly when the
    first exceeds the second, by one at most since ``z ≤ e/2`` (docs/floors.md)."""
    shift = sympy.Min(2 * padding - extent + stride - 1, padding - 1)
    return sympy.floor((size + shift) / stride) + 1


def bound(relation: Any, left: Any, right: Any) -> sympy.Basic:
    """The condition ``relation(left, right)`` (``sympy.Ge``, ``Gt``, ``Le`` or ``Lt``); when it
    is ``μ·⌊(α·H + β)/S⌋ + γ ≥ c`` on one integer symbol ``H``, as the bound on ``H`` it is
    (``H ≥ 16``): ``⌊y⌋ ≥ k`` is ``y ≥ k`` for an integer ``k``.

    >>> from sympy import Ge, Symbol, ceiling, floor
    >>> H = Symbol("H", integer=True, positive=True)
    >>> bound(Ge, floor(H / 4) - 3, 1), bound(Ge, ceiling((H + 1) / 2), 3), bound(Ge, H, 1)
    (H >= 16, H >= 4, True)
    """
    found = _least(relation, _basic(left), _basic(right))
    return relation(left, right) if found is None else sympy.Ge(*found)


def _basic(value: Any) -> Expr:
    """An engine value (a SymPy expression or a Python integer) as a SymPy expression."""
    return value if isinstance(value, sympy.Basic) else sympy.Integer(value)


def _least(relation: Any, left: Expr, right: Expr) -> tuple[sympy.Symbol, Expr] | None:
    """``(H, L)`` when ``relation(left, right)`` is ``H ≥ L``; ``None`` when it is not a bound."""
    if relation in (sympy.Le, sympy.Lt):
        left, right = right, left
    if not right.is_Integer:
        left, right = sympy.expand(left - right), sympy.Integer(0)
    threshold = right + (1 if relation in (sympy.Gt, sympy.Lt) else 0)
    form = normal_form(left) if left.has(*_ROUNDINGS) else None
    if form is None:
        if not _integral(left) or left.has(*_ROUNDINGS):
            return None
        form = (sympy.Integer(1), sympy.floor, left, sympy.Integer(1), sympy.Integer(0))
    mu, rounding, numerator, denominator, gamma = form
    if numerator.has(*_ROUNDINGS):
        return None
    if not (mu.is_Integer and gamma.is_Integer and denominator.is_Integer) or mu <= 0:
        return None
    symbols = numerator.free_symbols
    if len(symbols) != 1:
        return None
    (symbol,) = symbols
    if symbol.is_integer is not True:
        return None
    beta, dependent = numerator.as_independent(symbol, as_Add=True)
    alpha, rest = dependent.as_independent(symbol, as_Add=False)
    if rest != symbol or not (alpha.is_Integer and beta.is_Integer) or alpha <= 0:
        return None
    # μ·r + γ ≥ t ⇔ r ≥ ⌈(t − γ)/μ⌉ =: k; ⌊y⌋ ≥ k ⇔ y ≥ k; ⌈y⌉ ≥ k ⇔ y > k − 1
    k = -((gamma - threshold) // mu)
    if rounding is sympy.floor:
        least = k * denominator - beta
    else:
        least = (k - 1) * denominator + 1 - beta
    return symbol, -((-least) // alpha)
