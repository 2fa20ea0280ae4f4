"""Evaluating formulas fast: exactly at one point, with some symbols replaced, or over arrays.

A network's totals are large trees that share most of their subtrees (every layer's output size
contains the previous layer's). ``expr.subs`` and ``expr.xreplace`` walk the tree and rebuild every
node; the walks here visit each *distinct* node once (a memo keyed by the node) and, for exact
values, never build a SymPy object at all: integers stay Python ``int`` and fractions ``Fraction``.
Over many points the formulas are compiled once with :func:`sympy.lambdify` to NumPy, with floors
as exact integer divisions.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from .references import network_quantity, values_table

__all__ = [
    "Compiled",
    "Exact",
    "FloorDiv",
    "compile_numpy",
    "evaluate_network",
    "exact",
    "fits_int64",
    "integer_floors",
    "substitute",
    "to_sympy",
]

Number = int | Fraction

_RELATIONS: dict[type, Callable[[Any, Any], bool]] = {
    sympy.Eq: operator.eq,
    sympy.Ne: operator.ne,
    sympy.Ge: operator.ge,
    sympy.Gt: operator.gt,
    sympy.Le: operator.le,
    sympy.Lt: operator.lt,
}


def _power(base: Number, exponent: Number) -> Number:
    if isinstance(exponent, int) or exponent.denominator == 1:
        exponent = int(exponent)
        if exponent >= 0:
            return base**exponent
        return Fraction(1) / Fraction(base) ** -exponent
    raise TypeError("non-integer power")


def _apply(node: sympy.Basic, args: list[Any]) -> Any:
    """The value of ``node`` given the values of its arguments (Python numbers and booleans)."""
    if node.is_Add:
        total: Number = 0
        for value in args:
            total += value
        return total
    if node.is_Mul:
        product: Number = 1
        for value in args:
            product *= value
        return product
    if node.is_Pow:
        return _power(args[0], args[1])
    if isinstance(node, sympy.floor):
        return math.floor(args[0])
    if isinstance(node, sympy.ceiling):
        return math.ceil(args[0])
    if isinstance(node, sympy.Min):
        return min(args)
    if isinstance(node, sympy.Max):
        return max(args)
    if isinstance(node, sympy.Mod):
        return args[0] % args[1]
    if isinstance(node, sympy.Abs):
        return abs(args[0])
    relation = _RELATIONS.get(type(node))
    if relation is not None:
        return relation(args[0], args[1])
    if isinstance(node, sympy.And):
        return all(args)
    if isinstance(node, sympy.Or):
        return any(args)
    if isinstance(node, sympy.Not):
        return not args[0]
    if isinstance(node, sympy.functions.elementary.piecewise.ExprCondPair):
        return (args[0], args[1])
    if isinstance(node, sympy.Piecewise):
        for value, condition in args:
            if condition:
                return value
        raise ArithmeticError("no branch of a Piecewise applies")
    # anything else: let SymPy evaluate the node with numbers in place (rare, so not fast)
    result = node.func(*(to_sympy(value) for value in args))
    return _from_sympy(result)


def _from_sympy(value: sympy.Basic) -> Any:
    if value is sympy.true or value is sympy.false:
        return bool(value)
    if value.is_Integer:
        return int(value)
    if value.is_Rational:
        return Fraction(int(value.p), int(value.q))
    raise TypeError(f"cannot evaluate {value} exactly")


def to_sympy(value: Any) -> sympy.Basic:
    """An exact Python value (``int``, ``Fraction``, ``bool``) as the SymPy object it stands for."""
    if isinstance(value, bool):
        return sympy.true if value else sympy.false
    if isinstance(value, int):
        return sympy.Integer(value)
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, sympy.Basic):
        return value
    raise TypeError(f"cannot turn {value!r} into an exact SymPy value")  # never parse text


class Exact:
    """Exact values of formulas at one point; subtrees shared between formulas are computed once.

    >>> from sympy import Symbol, floor
    >>> H = Symbol("H", integer=True, positive=True)
    >>> at = Exact({H: 71})
    >>> size = floor((H - 3) / 2) + 1
    >>> at(size), at(floor((size - 3) / 2) + 1)
    (35, 17)
    """

    def __init__(self, values: Mapping[sympy.Symbol, Number]) -> None:
        self.memo: dict[sympy.Basic, Any] = {
            symbol: int(v) if isinstance(v, sympy.Integer) else v for symbol, v in values.items()
        }

    def __call__(self, expr: sympy.Basic) -> Any:
        memo = self.memo
        if expr in memo:
            return memo[expr]
        for node in bottom_up([expr], memo):
            args = node.args
            memo[node] = _apply(node, [memo[arg] for arg in args]) if args else self._leaf(node)
        return memo[expr]

    @staticmethod
    def _leaf(node: sympy.Basic) -> Any:
        if node.is_Symbol:
            raise KeyError(node)
        return _from_sympy(node)


def exact(expr: sympy.Basic, values: Mapping[sympy.Symbol, Number]) -> Any:
    """The exact value of ``expr`` at ``values`` (``int``, ``Fraction`` or ``bool``)."""
    return Exact(values)(expr)


def substitute(
    exprs: Sequence[sympy.Basic], mapping: Mapping[sympy.Basic, sympy.Basic]
) -> list[sympy.Basic]:
    """``[e.xreplace(mapping) for e in exprs]``, but each distinct subtree is rebuilt only once."""
    memo: dict[sympy.Basic, sympy.Basic] = dict(mapping)
    for node in bottom_up(exprs, memo):
        memo[node] = _rebuilt(node, [memo[arg] for arg in node.args])
    return [memo[root] for root in exprs]


def bottom_up(roots: Sequence[sympy.Basic], done: Mapping[sympy.Basic, Any]) -> Iterator[Any]:
    """Every distinct subtree of ``roots`` not yet in ``done``, children before parents, once
    each and without recursion (deep networks nest floors deeper than Python recurses). The
    caller puts each node it is given into ``done`` before asking for the next."""
    for root in roots:
        stack = [root]
        while stack:
            node = stack[-1]
            if node in done:
                stack.pop()
                continue
            missing = [arg for arg in node.args if arg not in done]
            if missing:
                stack.extend(missing)
                continue
            stack.pop()
            yield node


def _rebuilt(node: sympy.Basic, args: list[sympy.Basic]) -> sympy.Basic:
    """``node`` with new arguments, or ``node`` itself when none changed."""
    if all(new is old for new, old in zip(args, node.args, strict=True)):
        return node
    return node.func(*args)


class FloorDiv(sympy.Function):
    """``⌊p/q⌋`` for integers ``p`` and ``q > 0``, left unevaluated so that it compiles to NumPy's
    exact integer ``floor_divide`` instead of a floating-point division and ``floor``."""

    is_integer = True


def integer_floors(exprs: Sequence[sympy.Basic]) -> list[sympy.Basic]:
    """``exprs`` with every floor and ceiling of a fraction ``p/q`` (integer ``p``, positive
    integer ``q``) written as :class:`FloorDiv`.

    SymPy keeps ``⌊(H + 1)/3⌋`` as ``floor(H/3 + 1/3)``; in floating point ``8/3 + 1/3`` is
    ``2.9999999999999996`` and its floor is 2, not 3. Integer division has no such error.
    """
    memo: dict[sympy.Basic, sympy.Basic] = {}
    for node in bottom_up(exprs, memo):
        args = [memo[arg] for arg in node.args]
        if isinstance(node, sympy.floor | sympy.ceiling):
            memo[node] = _divide(node, args[0])
        else:
            memo[node] = _rebuilt(node, args)
    return [memo[root] for root in exprs]


def _divide(node: sympy.Basic, argument: sympy.Expr) -> sympy.Basic:
    numerator, denominator = sympy.fraction(sympy.together(argument))
    if denominator.is_Number and denominator < 0:
        numerator, denominator = -numerator, -denominator
    if not (numerator.is_integer and denominator.is_integer and denominator.is_positive):
        return node.func(argument)
    if isinstance(node, sympy.floor):
        return FloorDiv(numerator, denominator)
    return -FloorDiv(-numerator, denominator)


#: every value inside a formula must stay below this for int64 arithmetic to be exact
INT64_SAFE = float(2**61)
_UNBOUNDED = (-math.inf, math.inf)


def fits_int64(
    exprs: Sequence[sympy.Basic], ranges: Mapping[sympy.Symbol, tuple[int, int]]
) -> bool:
    """Whether every subformula stays within :data:`INT64_SAFE` when each symbol ranges over
    ``ranges`` (interval arithmetic: a safe over-estimate)."""
    memo: dict[sympy.Basic, tuple[float, float]] = {}

    def interval(node: sympy.Basic, args: list[tuple[float, float]]) -> tuple[float, float]:
        if node.is_Symbol:
            low, high = ranges.get(node, _UNBOUNDED)  # type: ignore[call-overload]
            return float(low), float(high)
        if node.is_Number:
            return float(node), float(node)
        if node.is_Add:
            return sum(a[0] for a in args), sum(a[1] for a in args)
        if node.is_Mul:
            low, high = 1.0, 1.0
            for a in args:
                corners = [x * y for x in (low, high) for y in a if not math.isnan(x * y)]
                low, high = min(corners, default=-math.inf), max(corners, default=math.inf)
            return low, high
        if node.is_Pow and node.args[1].is_Integer:
            (low, high), power = args[0], int(node.args[1])
            if power < 0:
                if low <= 0 <= high:
                    return _UNBOUNDED
                low, high, power = 1 / high, 1 / low, -power
            corners = [low**power, high**power]
            if power % 2 == 0 and low <= 0 <= high:
                corners.append(0.0)
            return min(corners), max(corners)
        if isinstance(node, FloorDiv):
            (p_low, p_high), (q_low, q_high) = args
            if q_low <= 0:
                return _UNBOUNDED
            corners = [p / q for p in (p_low, p_high) for q in (q_low, q_high)]
            return min(corners) - 1, max(corners)
        if isinstance(node, sympy.floor | sympy.ceiling):
            return args[0][0] - 1, args[0][1] + 1
        if isinstance(node, sympy.Min | sympy.Max | sympy.Piecewise):
            return min(a[0] for a in args), max(a[1] for a in args)
        if isinstance(node, sympy.functions.elementary.piecewise.ExprCondPair):
            return args[0]
        if isinstance(node, sympy.Mod):
            bound = max(abs(args[1][0]), abs(args[1][1]))
            return -bound, bound
        if isinstance(node, sympy.Abs):
            return 0.0, max(abs(args[0][0]), abs(args[0][1]))
        if isinstance(node, sympy.logic.boolalg.Boolean):
            return 0.0, 1.0
        return _UNBOUNDED

    for node in bottom_up(exprs, memo):
        low, high = interval(node, [memo[arg] for arg in node.args])
        if not max(abs(low), abs(high)) < INT64_SAFE:
            return False
        memo[node] = (low, high)
    return True


class Compiled:
    """Formulas compiled once with :func:`sympy.lambdify` (common subexpressions shared), called
    with one array of integers per symbol.

    Floors and ceilings of fractions become exact integer divisions (:func:`integer_floors`).
    When interval arithmetic shows every subformula fits in int64 over the arrays' range, the
    arithmetic is int64 (fast, exact); otherwise Python integers in object arrays (exact, slower).
    Formulas with true fractions outside a floor (``d·m·n/g``) give float64 results.
    """

    def __init__(self, exprs: Sequence[sympy.Basic], symbols: Iterable[sympy.Symbol]) -> None:
        self.symbols = list(symbols)
        self.exprs = integer_floors(list(exprs))
        # dummify: a user symbol named like a name the generated code uses (FloorDiv, numpy,
        # floor, x0...) must not shadow it
        self.function = sympy.lambdify(
            self.symbols,
            self.exprs,
            modules=[{"FloorDiv": np.floor_divide}, "numpy"],
            cse=True,
            dummify=True,
        )

    def __call__(self, *arrays: Any) -> list[np.ndarray]:
        columns = [np.asarray(array) for array in arrays]
        ranges = {
            symbol: (int(column.min()), int(column.max()))
            for symbol, column in zip(self.symbols, columns, strict=True)
            if column.size
        }
        dtype = np.int64 if fits_int64(self.exprs, ranges) else object
        columns = [column.astype(dtype) for column in columns]
        shape = np.broadcast_shapes(*(column.shape for column in columns)) if columns else ()
        with np.errstate(all="ignore"):
            results = self.function(*columns)
        return [np.broadcast_to(np.asarray(result), shape) for result in results]


def compile_numpy(exprs: Sequence[sympy.Basic], symbols: Iterable[sympy.Symbol]) -> Compiled:
    """``exprs`` compiled to one NumPy function of ``symbols`` (see :class:`Compiled`)."""
    return Compiled(exprs, symbols)


def evaluate_network(
    net: Any, values: Mapping[Any, Any], quantities: Sequence[str]
) -> dict[str, Any]:
    """:meth:`symcnn.Network.evaluate`: quantities at a point, without rebuilding the network."""
    table = values_table(net, values)
    chosen = [network_quantity(net, name) for name in quantities]
    exprs = [expr for q in chosen for expr in q.values]
    conditions = [check.condition for check in net.conditions]
    numeric = {s: v for s, v in table.items() if v.is_Rational}
    results: list[Any] = []
    if len(numeric) == len(table) and len(table) >= len(net.symbols):
        at = Exact({s: _from_sympy(v) for s, v in numeric.items()})
        try:
            results = [to_sympy(at(expr)) for expr in exprs]
            verdicts = [at(condition) for condition in conditions]
        except KeyError:  # a symbol without a value: fall back to substitution
            results = []
    if not results and exprs:
        done = substitute([*exprs, *conditions], table)
        results, verdicts = done[: len(exprs)], done[len(exprs) :]
    elif not exprs:
        verdicts = substitute(conditions, table)
    for check, verdict in zip(net.conditions, verdicts, strict=True):
        if verdict is False or verdict == sympy.false:
            net.subs({s.name: v for s, v in table.items()})  # raises with the numbers in
            raise check.fail()
    answer: dict[str, Any] = {}
    position = 0
    for q in chosen:
        width = len(q.values)
        part = results[position : position + width]
        answer[q.name] = tuple(part) if q.is_shape else part[0]
        position += width
    return answer
