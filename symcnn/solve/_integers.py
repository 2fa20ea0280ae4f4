"""Integer solutions of one-unknown constraints: polynomials exactly, monotone formulas by search.

A constraint is ``expr ⋈ 0`` with ``⋈`` one of ``== <= < >= >``. Its integer solutions form a
union of integer ranges (:class:`IntSet`):

* a polynomial (in the unknown) changes sign only at its real roots, so testing one integer
  between consecutive roots decides every range — the answer is exact and needs no bounds;
* a formula with floors and ceilings (strided output sizes) is not a polynomial, but it is usually
  *monotone* in the unknown, and then its solution set is one range, found by galloping and
  bisection with exact evaluations;
* anything else is evaluated at every integer of a finite range.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction

import sympy

from ..evaluate import Exact, bottom_up

__all__ = ["Depends", "IntRange", "IntSet", "degree", "direction", "holds"]

#: the furthest an unbounded monotone search gallops (2**62, past any realistic network size)
SEARCH_LIMIT = 2**62
#: polynomials of higher degree are treated as general formulas
MAX_DEGREE = 12

RELATIONS = ("==", "<=", "<", ">=", ">")
FLIPPED = {"==": "==", "<=": ">=", "<": ">", ">=": "<=", ">": "<"}


def holds(value: object, relation: str) -> bool:
    """Whether ``value ⋈ 0``."""
    if relation == "==":
        return value == 0
    if relation == "<=":
        return value <= 0  # type: ignore[operator]
    if relation == "<":
        return value < 0  # type: ignore[operator]
    if relation == ">=":
        return value >= 0  # type: ignore[operator]
    return value > 0  # type: ignore[operator]


@dataclass(frozen=True, order=True)
class IntRange:
    """The integers ``low..high``; ``high`` is ``None`` for a range without end."""

    low: int
    high: int | None

    def __contains__(self, value: object) -> bool:
        return (
            isinstance(value, int)
            and self.low <= value
            and (self.high is None or value <= self.high)
        )

    def __len__(self) -> int:
        if self.high is None:
            raise OverflowError("an unbounded range has no length")
        return self.high - self.low + 1

    @property
    def size(self) -> int | None:
        return None if self.high is None else self.high - self.low + 1

    def __str__(self) -> str:
        if self.high is None:
            return f"{self.low}.."
        return str(self.low) if self.low == self.high else f"{self.low}..{self.high}"


class IntSet:
    """A finite union of disjoint integer ranges, sorted; the last may have no end.

    >>> IntSet.range(1, None) & IntSet([IntRange(3, 5), IntRange(9, 9)])
    IntSet(3..5, 9)
    """

    __slots__ = ("ranges",)

    def __init__(self, ranges: Iterable[IntRange] = ()) -> None:
        merged: list[IntRange] = []
        for r in sorted(r for r in ranges if r.high is None or r.high >= r.low):
            if merged and (merged[-1].high is None or r.low <= merged[-1].high + 1):
                last = merged[-1]
                high = None if last.high is None or r.high is None else max(last.high, r.high)
                merged[-1] = IntRange(last.low, high)
            else:
                merged.append(r)
        self.ranges = tuple(merged)

    @classmethod
    def range(cls, low: int, high: int | None) -> IntSet:
        return cls([IntRange(low, high)])

    @classmethod
    def points(cls, values: Iterable[int]) -> IntSet:
        return cls(IntRange(v, v) for v in values)

    def __and__(self, other: IntSet) -> IntSet:
        out = []
        for a in self.ranges:
            for b in other.ranges:
                low = max(a.low, b.low)
                highs = [h for h in (a.high, b.high) if h is not None]
                high = min(highs) if highs else None
                if high is None or low <= high:
                    out.append(IntRange(low, high))
        return IntSet(out)

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IntSet) and self.ranges == other.ranges

    def __hash__(self) -> int:
        return hash(self.ranges)

    def __repr__(self) -> str:
        return f"IntSet({', '.join(map(str, self.ranges))})"

    @property
    def finite(self) -> bool:
        return all(r.high is not None for r in self.ranges)

    @property
    def size(self) -> int | None:
        """How many integers; ``None`` when infinite."""
        if not self.finite:
            return None
        return sum(len(r) for r in self.ranges)

    @property
    def low(self) -> int | None:
        return self.ranges[0].low if self.ranges else None

    @property
    def high(self) -> int | None:
        return self.ranges[-1].high if self.ranges else None

    def __iter__(self) -> Iterator[int]:
        for r in self.ranges:
            stop = SEARCH_LIMIT if r.high is None else r.high
            yield from range(r.low, stop + 1)

    def __contains__(self, value: object) -> bool:
        return any(value in r for r in self.ranges)


# ------------------------------------------------------------------------------ structure


def degree(expr: sympy.Basic, x: sympy.Symbol, depends: Depends | None = None) -> int | None:
    """The degree of ``expr`` as a polynomial in ``x``; ``None`` when it is not one.

    Other symbols count as constants. Each distinct subtree is looked at once.

    >>> from sympy import Symbol, floor
    >>> k = Symbol("k")
    >>> degree((5*5*8 + 1)*k + 608, k), degree(floor(k/2) + 1, k), degree(3*floor(k), k)
    (1, None, None)
    """
    memo: dict[sympy.Basic, int | None] = {}
    contains = depends or Depends(x)

    def walk(node: sympy.Basic) -> int | None:
        if node in memo:
            return memo[node]
        if node == x:
            result: int | None = 1
        elif not node.args:
            result = 0
        elif node.is_Add:
            parts = [walk(arg) for arg in node.args]
            result = None if None in parts else max(parts)  # type: ignore[type-var]
        elif node.is_Mul:
            parts = [walk(arg) for arg in node.args]
            result = None if None in parts else sum(parts)  # type: ignore[arg-type]
        elif node.is_Pow:
            base, exponent = walk(node.args[0]), walk(node.args[1])
            power = node.args[1]
            if exponent != 0 or base is None:
                result = None
            elif base == 0:
                result = 0
            elif power.is_Integer and int(power) >= 0:
                result = base * int(power)
            else:
                result = None
        else:
            result = None if contains(node) else 0
        memo[node] = result
        return result

    return walk(expr)


class Depends:
    """Whether a subtree contains ``x`` (and whether ``x`` is its only symbol), memoized: SymPy's
    ``free_symbols`` is recomputed on every call, which is quadratic on deep formulas."""

    def __init__(self, x: sympy.Symbol) -> None:
        self.x = x
        self.memo: dict[sympy.Basic, tuple[bool, bool]] = {}

    def _walk(self, node: sympy.Basic) -> tuple[bool, bool]:
        """(contains x, contains a symbol other than x)"""
        memo = self.memo
        if node in memo:
            return memo[node]
        for top in bottom_up([node], memo):
            if top.is_Symbol:
                memo[top] = (top == self.x, top != self.x)
            else:
                parts = [memo[a] for a in top.args]
                memo[top] = (any(p[0] for p in parts), any(p[1] for p in parts))
        return memo[node]

    def __call__(self, node: sympy.Basic) -> bool:
        return self._walk(node)[0]

    def only(self, node: sympy.Basic) -> bool:
        has_x, others = self._walk(node)
        return has_x and not others


def direction(
    expr: sympy.Basic, x: sympy.Symbol, low: int, depends: Depends | None = None
) -> int | None:
    """+1 if ``expr`` never decreases as ``x`` grows from ``low``, -1 if it never increases,
    0 if it does not depend on ``x``, ``None`` when that cannot be shown. ``depends`` may be
    shared between calls on formulas that share subtrees.

    Floors, ceilings, sums, minima and maxima keep a direction; products and powers keep it when
    the factors are nonnegative, which is proved by SymPy's assumptions or, for a factor that grows
    with ``x`` and has no other symbol, by its exact value at ``low``.

    >>> from sympy import Symbol, floor
    >>> H = Symbol("H", integer=True, positive=True)
    >>> direction(floor((floor((H - 3)/2) - 2)/2) + 1, H, 1), direction(33 - H, H, 1)
    (1, -1)
    """
    memo: dict[sympy.Basic, int | None] = {}
    at_low = Exact({x: low})
    depends = depends or Depends(x)

    def nonnegative(node: sympy.Basic, way: int | None, strict: bool = False) -> bool:
        """``node >= 0`` (``> 0`` if strict) for every x from ``low`` on."""
        if node.is_positive or (not strict and node.is_nonnegative):
            return True
        if way == 1 and depends.only(node):  # growing: its value at ``low`` is its least
            try:
                value = at_low(node)
            except (TypeError, ArithmeticError, ZeroDivisionError):
                return False
            return bool(value > 0) if strict else bool(value >= 0)
        return False

    def combine(ways: list[int | None]) -> int | None:
        if None in ways:
            return None
        moving = {w for w in ways if w}
        if len(moving) > 1:
            return None
        return moving.pop() if moving else 0

    def walk(node: sympy.Basic) -> int | None:
        if node in memo:
            return memo[node]
        if node == x:
            result: int | None = 1
        elif not depends(node):
            result = 0
        elif node.is_Add or isinstance(node, sympy.Min | sympy.Max):
            result = combine([walk(arg) for arg in node.args])
        elif isinstance(node, sympy.floor | sympy.ceiling):
            result = walk(node.args[0])
        elif node.is_Mul:
            result = _product(node)
        elif node.is_Pow:
            result = _power(node)
        else:
            result = None
        memo[node] = result
        return result

    def _product(node: sympy.Mul) -> int | None:
        constant = sympy.Mul(*(a for a in node.args if not depends(a)))
        varying = [a for a in node.args if depends(a)]
        if constant.is_nonnegative:
            sign = 1
        elif constant.is_nonpositive:
            sign = -1
        else:
            return None
        ways = [walk(a) for a in varying]
        if len(varying) == 1:
            return None if ways[0] is None else sign * ways[0]
        # a product of nonnegative factors that all grow (or all shrink) grows (or shrinks)
        if not all(nonnegative(a, w) for a, w in zip(varying, ways, strict=True)):
            return None
        way = combine(ways)
        return None if way is None else sign * way

    def _power(node: sympy.Pow) -> int | None:
        base, exponent = node.args
        if depends(exponent):
            return None
        way = walk(base)
        if way is None:
            return None
        if exponent.is_Integer and int(exponent) % 2 == 1 and int(exponent) > 0:
            return way
        if exponent.is_positive and nonnegative(base, way):
            return way
        if exponent.is_negative and nonnegative(base, way, strict=True):
            return -way
        return None

    return walk(expr)


# ------------------------------------------------------------------------------ solving


@dataclass(frozen=True)
class Polynomial:
    """A polynomial in one unknown with exact rational coefficients, lowest degree first."""

    coefficients: tuple[Fraction, ...]

    @classmethod
    def interpolate(cls, evaluate: Callable[[int], Fraction | int], degree: int) -> Polynomial:
        """The polynomial of ``degree`` through the values of ``evaluate`` at 0, 1, …, degree.

        Newton's forward differences keep every step exact.
        """
        values = [Fraction(evaluate(i)) for i in range(degree + 1)]
        differences = [values[0]]
        row = values
        for _ in range(degree):
            row = [b - a for a, b in itertools.pairwise(row)]
            differences.append(row[0])
        # sum_j differences[j] * binomial(x, j), expanded into monomials
        coefficients = [Fraction(0)] * (degree + 1)
        falling = [Fraction(1)]  # coefficients of x(x-1)...(x-j+1)/j!
        for j, difference in enumerate(differences):
            for i, c in enumerate(falling):
                coefficients[i] += difference * c
            nxt = [Fraction(0)] * (len(falling) + 1)
            for i, c in enumerate(falling):
                nxt[i + 1] += c / (j + 1)
                nxt[i] -= c * j / (j + 1)
            falling = nxt
        while len(coefficients) > 1 and coefficients[-1] == 0:
            coefficients.pop()
        return cls(tuple(coefficients))

    def __call__(self, x: int | Fraction) -> Fraction:
        total = Fraction(0)
        for c in reversed(self.coefficients):
            total = total * x + c
        return total

    @property
    def degree(self) -> int:
        return len(self.coefficients) - 1

    def as_expr(self, x: sympy.Symbol) -> sympy.Expr:
        return sympy.Add(
            *(
                sympy.Rational(c.numerator, c.denominator) * x**i
                for i, c in enumerate(self.coefficients)
            )
        )

    def real_roots(self) -> list[sympy.Expr]:
        """The distinct real roots, exact (rationals, surds or ``CRootOf``), in increasing order."""
        if self.degree < 1:
            return []
        poly = sympy.Poly(
            list(reversed([sympy.Rational(c.numerator, c.denominator) for c in self.coefficients])),
            sympy.Dummy("x"),
        )
        return sorted(set(sympy.real_roots(poly)), key=lambda r: float(r))


def polynomial_set(poly: Polynomial, relation: str, low: int) -> IntSet:
    """The integers ``x >= low`` with ``poly(x) ⋈ 0``, exactly."""
    cuts = sorted(
        {int(f(root)) for root in poly.real_roots() for f in (sympy.floor, sympy.ceiling)}
    )
    cuts = [c for c in cuts if c >= low]
    segments: list[IntRange] = []
    start = low
    for cut in cuts:
        if start <= cut - 1:
            segments.append(IntRange(start, cut - 1))
        segments.append(IntRange(cut, cut))
        start = cut + 1
    segments.append(IntRange(start, None))
    return IntSet(s for s in segments if holds(poly(s.low), relation))


def first_true(
    predicate: Callable[[int], bool], low: int, high: int | None
) -> tuple[int | None, bool]:
    """The least ``x`` in ``low..high`` with ``predicate(x)``, for a predicate that stays true once
    true; ``(None, complete)`` when there is none — ``complete`` is False when an unbounded search
    stopped at :data:`SEARCH_LIMIT`."""
    if predicate(low):
        return low, True
    if high is None:  # gallop: low+1, low+3, low+7, ...
        step, last_false = 1, low
        while True:
            probe = low + step
            if probe > SEARCH_LIMIT:
                return None, False
            if predicate(probe):
                lo, hi = last_false, probe
                break
            last_false, step = probe, step * 2
    else:
        if not predicate(high):
            return None, True
        lo, hi = low, high
    while hi - lo > 1:  # predicate(lo) is false, predicate(hi) true
        mid = (lo + hi) // 2
        if predicate(mid):
            hi = mid
        else:
            lo = mid
    return hi, True


def monotone_set(
    value: Callable[[int], Fraction | int], way: int, relation: str, low: int, high: int | None
) -> tuple[IntSet, bool]:
    """The integers in ``low..high`` where ``value(x) ⋈ 0``, for ``value`` monotone in direction
    ``way`` (+1 or -1). Returns the set and whether the search was complete."""
    oriented: Callable[[int], Fraction | int] = value
    if way < 0:
        relation = FLIPPED[relation]
        oriented = lambda x: -value(x)  # noqa: E731
    # oriented never decreases: {x: oriented(x) >= 0} and {x: > 0} are final segments
    at_least, done1 = first_true(lambda x: oriented(x) >= 0, low, high)
    above, done2 = first_true(lambda x: oriented(x) > 0, low, high)
    complete = done1 and done2
    end = high
    if relation in ("<=", "<"):
        cut = above if relation == "<=" else at_least
        if cut is None:
            return (IntSet.range(low, end), complete)
        return (IntSet.range(low, cut - 1), complete)
    if relation in (">=", ">"):
        cut = at_least if relation == ">=" else above
        if cut is None:
            return IntSet(), complete
        return IntSet.range(cut, end), complete
    if at_least is None:
        return IntSet(), complete
    last = end if above is None else above - 1
    if last is not None and last < at_least:
        return IntSet(), complete
    return IntSet.range(at_least, last), complete


def crossing(
    value: Callable[[int], Fraction | int], way: int, low: int, high: int | None
) -> tuple[int | None, int | None]:
    """For a monotone ``value`` with no zero: the last integer before it changes sign and the first
    after (either may be ``None``)."""
    oriented = value if way > 0 else (lambda x: -value(x))
    after, _ = first_true(lambda x: oriented(x) > 0, low, high)
    before = None if after is None else after - 1
    if after is None:
        before = high
    if before is not None and before < low:
        before = None
    return before, after
