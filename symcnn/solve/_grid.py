"""Searching a grid: bounds derived from monotone constraints, then every point, vectorized.

Constraints on several unknowns (and one-unknown constraints with no closed form) are compiled to
NumPy once and evaluated over the product of the unknowns' domains in chunks; points whose float
values are in doubt are checked exactly.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy
from sympy import Expr

from ..errors import SolveError
from ..evaluate import compile_numpy, exact
from ._integers import IntRange, IntSet, direction, monotone_set
from ._question import _Constraint, _Question

CHUNK = 1 << 18
#: how far floating-point residuals are trusted (beyond this, points are checked exactly)
EXACT_FLOAT = 2.0**50


@dataclass
class _Grid:
    """What a vectorized search over a grid found."""

    count: int = 0
    points: list[tuple[int, ...]] = field(default_factory=list)
    searched: int = 0
    total: int = 0
    complete: bool = True
    alone: list[bool] = field(default_factory=list)
    best: float | None = None
    best_points: list[tuple[int, ...]] = field(default_factory=list)
    near: list[tuple[float, tuple[int, ...]]] = field(default_factory=list)
    inexact: bool = False
    runs: list[IntRange] = field(default_factory=list)


def _size(values: IntSet) -> int:
    """How many integers ``values`` holds (every range has an end by the time a grid is made)."""
    return sum(int(r.high) - int(r.low) + 1 for r in values.ranges if r.high is not None)


def _array(values: IntSet) -> np.ndarray:
    return (
        np.concatenate(
            [np.arange(r.low, r.high + 1, dtype=np.int64) for r in values.ranges]  # type: ignore[operator]
        )
        if values.ranges
        else np.zeros(0, dtype=np.int64)
    )


class _GridSearch(_Question):
    """The question, with a vectorized search over the unknowns' domains."""

    def _derive_bounds(self, constraints: list[_Constraint]) -> None:
        """Upper bounds from constraints that move one way in every unknown."""
        for _ in range(len(self.unknowns) + 1):
            changed = False
            for c in constraints:
                if c.predicate is not None:
                    continue
                symbols = sorted(c.symbols, key=lambda s: s.name)
                ways = {s: direction(c.expr, s, self.domains[s].low or 0) for s in symbols}
                if None in ways.values():
                    continue
                for x in symbols:
                    domain = self.domains[x]
                    low = domain.low
                    if low is None:  # empty: nothing to bound
                        continue
                    bound = self._bound_from(c, x, ways)  # type: ignore[arg-type]
                    if bound is not None and (domain.high is None or bound < domain.high):
                        self.domains[x] = domain & IntSet.range(low, bound)
                        changed = True
            if not changed:
                return

    def _bound_from(
        self, c: _Constraint, x: sympy.Symbol, ways: Mapping[sympy.Symbol, int]
    ) -> int | None:
        way = ways[x]
        if way == 1 and c.relation in ("==", "<=", "<"):
            extreme, relation = "min", "<="
        elif way == -1 and c.relation in ("==", ">=", ">"):
            extreme, relation = "max", ">="
        else:
            return None
        point: dict[sympy.Symbol, int] = {}
        for y, w in ways.items():
            if y == x:
                continue
            domain = self.domains[y]
            low_end = (w >= 0) == (extreme == "min")
            value = domain.low if low_end else domain.high
            if value is None:
                return None
            point[y] = value
        low = self.domains[x].low
        if low is None:
            return None
        found, complete = monotone_set(
            lambda v: exact(c.expr, {**point, x: v}), way, relation, low, None
        )
        if not complete or found.high is None:
            return None
        return found.high if found else low - 1

    def _decide(
        self,
        symbols: Sequence[sympy.Symbol],
        columns: Sequence[np.ndarray],
        c: _Constraint,
        outputs: Sequence[np.ndarray],
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Which points satisfy ``c``, from float values; doubtful points are checked exactly."""
        if c.predicate is not None:
            return np.asarray(outputs[0]).astype(bool), None
        lhs, rhs = outputs
        residual = np.asarray(lhs - rhs)
        with np.errstate(all="ignore"):
            mask = np.asarray(
                {
                    "==": residual == 0,
                    "<=": residual <= 0,
                    "<": residual < 0,
                    ">=": residual >= 0,
                    ">": residual > 0,
                }[c.relation]
            ).astype(bool)
            if residual.dtype.kind == "f":  # a true fraction in the formula: check near misses
                scale = np.abs(lhs) + np.abs(rhs) + 1
                doubtful = (
                    ~np.isfinite(residual)
                    | (scale >= EXACT_FLOAT)
                    | ((np.abs(residual) < 1) & (residual != 0))
                )
            elif residual.dtype.kind == "O":
                doubtful = np.array([not isinstance(v, int) for v in residual.ravel()], dtype=bool)
            else:
                doubtful = np.zeros(residual.shape, dtype=bool)
        for i in np.flatnonzero(doubtful):
            point = {s: int(column[i]) for s, column in zip(symbols, columns, strict=True)}
            mask[i] = c.holds_at(point)
        return mask, np.abs(residual)

    def _grid(
        self,
        symbols: Sequence[sympy.Symbol],
        domains: Sequence[IntSet],
        constraints: Sequence[_Constraint],
        objective: tuple[str, Expr] | None,
        keep_all: bool = False,
    ) -> _Grid:
        """Every point of the product of ``domains``, in chunks, vectorized: the count, the first
        ``limit`` solutions (or the best, with an objective), whether each constraint alone ever
        holds, and the nearest misses when nothing does. ``keep_all`` (one symbol) also keeps
        every solution, as runs of consecutive values."""
        # counted before any array is made: 1..1e12 must be refused, not allocated
        shape = tuple(_size(d) for d in domains)
        total = math.prod(shape)
        grid = _Grid(total=total, alone=[False] * len(constraints))
        if total > self.max_points:
            bounds = ", ".join(
                f"{s}={d.low}..{d.high}" for s, d in zip(symbols, domains, strict=True)
            )
            raise SolveError(
                f"the search space {bounds} has {total:,} points, more than max_points="
                f"{self.max_points:,}; narrow the bounds or add targets"
            )
        arrays = [_array(d) for d in domains]
        exprs: list[Expr] = []
        for c in constraints:
            exprs += [c.predicate] if c.predicate is not None else [c.lhs, c.rhs]
        if objective is not None:
            exprs.append(objective[1])
        compiled = compile_numpy(exprs, symbols)
        equalities = [
            i
            for i, c in enumerate(constraints)
            if c.relation == "==" and c.predicate is None and c.target is not None
        ]
        for start in range(0, total, CHUNK):
            if time.monotonic() > self.deadline:
                grid.complete = False
                break
            index = np.arange(start, min(total, start + CHUNK))
            coords = np.unravel_index(index, shape)
            columns = [array[coord] for array, coord in zip(arrays, coords, strict=True)]
            outputs = compiled(*columns)
            position, masks = 0, []
            residuals: dict[int, np.ndarray] = {}  # by constraint; a predicate has none
            for n, c in enumerate(constraints):
                width = 1 if c.predicate is not None else 2
                mask, residual = self._decide(
                    symbols, columns, c, outputs[position : position + width]
                )
                masks.append(mask)
                if residual is not None:
                    residuals[n] = residual
                position += width
            ok = np.logical_and.reduce(masks) if masks else np.ones(len(index), dtype=bool)
            for i, mask in enumerate(masks):
                grid.alone[i] |= bool(mask.any())
            grid.searched += len(index)
            found = np.flatnonzero(ok)
            grid.count += len(found)
            if keep_all and len(found):
                values = columns[0][found]
                breaks = np.flatnonzero(np.diff(values) != 1)
                starts = np.concatenate((np.array([0]), breaks + 1))
                ends = np.concatenate((breaks, np.array([len(values) - 1])))
                grid.runs += [
                    IntRange(int(values[a]), int(values[b]))
                    for a, b in zip(starts, ends, strict=True)
                ]
            if objective is not None and len(found):
                self._track_best(grid, outputs[-1], found, columns, objective[0])
            elif len(grid.points) < self.limit:
                for i in found[: self.limit - len(grid.points)]:
                    grid.points.append(tuple(int(col[i]) for col in columns))
            if not grid.count and equalities:
                others = [m for i, m in enumerate(masks) if i not in equalities]
                allowed = np.logical_and.reduce(others) if others else np.ones(len(index), bool)
                miss = np.sum([residuals[i] for i in equalities], axis=0)
                for i in np.flatnonzero(allowed)[np.argsort(miss[allowed], kind="stable")[:3]]:
                    heapq.heappush(grid.near, (-float(miss[i]), tuple(int(c[i]) for c in columns)))
                    if len(grid.near) > 3:
                        heapq.heappop(grid.near)
        return grid

    def _track_best(
        self,
        grid: _Grid,
        values: np.ndarray,
        found: np.ndarray,
        columns: Sequence[np.ndarray],
        kind: str,
    ) -> None:
        scores = values[found] if kind == "max" else -values[found]
        if np.any(np.abs(scores) >= EXACT_FLOAT):
            grid.inexact = True
        top = float(np.max(scores))
        if grid.best is None or top > grid.best:
            grid.best, grid.best_points = top, []
        if top == grid.best:
            for i in found[scores == top]:
                if len(grid.best_points) >= self.limit:
                    break
                grid.best_points.append(tuple(int(col[i]) for col in columns))
