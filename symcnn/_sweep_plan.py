"""A sweep's plan: the grid's axes, and the network's formulas compiled once to evaluate any
stretch of the grid's points from their flat indices.

The grid is never listed: a point's coordinates come from its flat index
(:func:`numpy.unravel_index`), so a stretch of the grid ``[start, stop)`` is evaluated from an
``arange`` and nothing else. Both engines use it: the in-memory sweep (:mod:`symcnn.sweep`) and
the Dask engine (:mod:`symcnn.sweep_dask`), whose workers receive the plan (SymPy expressions,
which pickle) and compile it again on first use.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy
from sympy import Expr

import symcnn.limits as limits

from .errors import ParseError, SolveError
from .evaluate import Compiled, compile_numpy, fits_int64, substitute
from .limits import how_to_raise
from .network import Network
from .parse import parse_expression
from .references import check_value, network_quantity, parse_number_text, values_table
from .solve._targets import parse_target

__all__ = ["Block", "Plan", "parse_grid", "parse_values", "plan_sweep"]


# ------------------------------------------------------------------------------ the grid


def _integer(text: str, context: str) -> int:
    try:
        value = parse_expression(parse_number_text(text), lambda name: _no_names(name, context))
    except ParseError as error:
        raise SolveError(f"{context}: {error}") from None
    if not value.is_Integer:
        raise SolveError(f"{context}: {text!r} is not an integer")
    return int(value)


def _no_names(name: str, context: str) -> Expr:
    raise SolveError(f"{context}: values must be numbers, not {name}")


def parse_values(text: str, name: str = "value") -> list[int]:
    """The values a grid axis takes: ``8..64:8`` (from, to inclusive, step), ``32,64,128``, or
    both mixed (``1..4,8,16``).

    >>> parse_values("8..64:8")
    [8, 16, 24, 32, 40, 48, 56, 64]
    >>> parse_values("32, 64, 2^7")
    [32, 64, 128]
    """
    context = f"{name}={text}"
    values: list[int] = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            raise SolveError(f"{context}: empty value (expected 8..64:8 or 32,64,128)")
        span, colon, step_text = item.partition(":")
        low_text, dots, high_text = span.partition("..")
        if dots:
            if not low_text.strip() or not high_text.strip():
                raise SolveError(f"{context}: a range needs both ends, such as 8..64")
            low, high = _integer(low_text, context), _integer(high_text, context)
            step = _integer(step_text, context) if colon else 1
            if step < 1:
                raise SolveError(f"{context}: the step must be a positive integer")
            if high < low:
                raise SolveError(f"{context}: the range {low}..{high} is empty")
            span_values = range(low, high + 1, step)
            most = limits.MAX_SWEEP_POINTS
            if len(values) + len(span_values) > most:  # counted before it is listed
                raise SolveError(
                    f"{context}: {len(span_values):,} values, more than the {most:,} points a "
                    "sweep may have " + how_to_raise("MAX_SWEEP_POINTS")
                )
            values += span_values
        elif colon:
            raise SolveError(f"{context}: a step needs a range, such as 8..64:8")
        else:
            values.append(_integer(item, context))
    return list(dict.fromkeys(values))


def parse_grid(items: Iterable[str] | Mapping[str, Any]) -> dict[str, list[int]]:
    """``["k1=8..64:8", "H=32,64,128"]`` (or a mapping to text, ranges or lists) as axis values."""
    grid: dict[str, list[int]] = {}
    pairs: Iterable[tuple[str, Any]]
    if isinstance(items, Mapping):
        pairs = items.items()
    else:
        pairs = []
        for item in items:
            name, equals, text = str(item).partition("=")
            if not equals or not name.strip() or not text.strip():
                raise SolveError(f"sweep {item!r}: expected NAME=VALUES, such as k1=8..64:8")
            pairs.append((name.strip(), text.strip()))  # type: ignore[attr-defined]
    for name, raw in pairs:
        name = str(name)
        if name in grid:
            raise SolveError(f"{name} is swept twice")
        if isinstance(raw, str):
            values = parse_values(raw, name)
        elif isinstance(raw, int) and not isinstance(raw, bool):
            values = [raw]
        else:
            try:
                values = [int(v) for v in raw]
            except (TypeError, ValueError):
                raise SolveError(f"values of {name} must be integers, got {raw!r}") from None
        if not values:
            raise SolveError(f"{name} has no values")
        grid[name] = values
    if not grid:
        raise SolveError("nothing to sweep: give at least one NAME=VALUES, such as k1=8..64:8")
    return grid


# ------------------------------------------------------------------------------ the plan


def quantity_columns(net: Network, names: Sequence[str]) -> list[tuple[str, Expr]]:
    """Each quantity's columns (a shape gives one per axis) as ``(label, expression)``."""
    columns = []
    for name in names:
        q = network_quantity(net, name)
        columns += list(zip(q.labels(), q.values, strict=True))
    return columns


@dataclass(frozen=True)
class Block:
    """A stretch ``[start, stop)`` of the grid, evaluated: the swept values at each point, each
    quantity's column (as the compiled formulas give it), whether the network is valid there, and
    whether the point meets the ``where`` targets."""

    start: int
    points: list[np.ndarray]
    outputs: list[np.ndarray]
    valid: np.ndarray
    kept: np.ndarray


@dataclass
class Plan:
    """What a sweep evaluates: the swept symbols and their values, the quantity columns, and the
    formulas (quantities, validity checks, the two sides of each ``where`` target)."""

    variables: list[sympy.Symbol]
    axes: list[np.ndarray]
    labels: list[str]
    exprs: list[sympy.Basic]
    shown: int
    testable: int
    relations: list[str]
    where: tuple[str, ...]
    notes: list[str]
    _compiled: Compiled | None = field(default=None, repr=False, compare=False)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(axis) for axis in self.axes)

    @property
    def total(self) -> int:
        return math.prod(self.shape)

    def __getstate__(self) -> dict[str, Any]:
        # a compiled function does not pickle: a Dask worker compiles the plan again
        return {**self.__dict__, "_compiled": None}

    def compiled(self) -> Compiled:
        if self._compiled is None:
            self._compiled = compile_numpy(self.exprs, self.variables)
        return self._compiled

    def fits_int64(self) -> bool:
        """Whether every formula stays exact in int64 over the whole grid (interval arithmetic)."""
        ranges = {
            s: (int(axis.min()), int(axis.max()))
            for s, axis in zip(self.variables, self.axes, strict=True)
        }
        return all(axis.dtype != object for axis in self.axes) and fits_int64(self.exprs, ranges)

    def evaluate(self, start: int, stop: int) -> Block:
        """The points ``start`` to ``stop`` (flat indices, C order) evaluated."""
        coords = np.unravel_index(np.arange(start, stop), self.shape)
        points = [axis[coord] for axis, coord in zip(self.axes, coords, strict=True)]
        outputs = self.compiled()(*points)
        shown = [np.array(outputs[i]) for i in range(self.shown)]
        valid = np.ones(stop - start, dtype=bool)
        kept = np.ones(stop - start, dtype=bool)
        position = self.shown
        for _ in range(self.testable):
            valid &= np.asarray(outputs[position]).astype(bool)
            position += 1
        for relation in self.relations:
            residual = np.asarray(outputs[position] - outputs[position + 1])
            kept &= _compare(residual, relation)
            position += 2
        for column in shown:
            if column.dtype.kind == "f":
                valid &= np.isfinite(column)
        return Block(start, points, shown, valid, kept)


def plan_sweep(
    network: Any,
    grid: Mapping[str, Any] | Iterable[str],
    quantities: Sequence[str],
    values: Mapping[str, Any] | None,
    where: Sequence[str],
    max_points: int,
) -> Plan:
    """Check a sweep's request and compile its formulas (see :func:`symcnn.sweep`)."""
    net = network if isinstance(network, Network) else _load(network)
    axes = parse_grid(grid)
    table = values_table(net, values)
    swept = values_table(net, dict.fromkeys(axes, 1))
    variables = list(swept)
    for symbol in variables:
        if symbol in table:
            raise SolveError(f"{symbol} is both swept and given a value")
        for value in (min(axes[symbol.name]), max(axes[symbol.name])):
            check_value(symbol, sympy.Integer(value), symbol.name)
    total = math.prod(len(v) for v in axes.values())
    if total > max_points:
        raise SolveError(f"the sweep has {total:,} points, more than max_points={max_points:,}")
    if not quantities:
        raise SolveError("choose at least one quantity to show, such as params")
    columns = quantity_columns(net, quantities)
    conditions = [check.condition for check in net.conditions]
    targets = [parse_target(net, text) for text in where]
    pairs = [(t.relation, lhs, rhs) for t in targets for _, lhs, rhs in t.pairs()]
    exprs = [expr for _, expr in columns] + conditions
    exprs += [side for _, lhs, rhs in pairs for side in (lhs, rhs)]
    done = substitute(exprs, table) if table else exprs
    shown = done[: len(columns)]
    checks = done[len(columns) : len(columns) + len(conditions)]
    filters = done[len(columns) + len(conditions) :]
    allowed = set(variables)
    missing: set[sympy.Symbol] = set()
    for expr in [*shown, *filters]:
        missing |= expr.free_symbols - allowed
    if missing:
        names = ", ".join(sorted(s.name for s in missing))
        raise SolveError(
            f"the quantities depend on {names}, which {'is' if len(missing) == 1 else 'are'} "
            f"neither swept nor given: sweep {sorted(s.name for s in missing)[0]}=… or give a "
            "value (values= / --set)"
        )
    notes = []
    for check, verdict in zip(net.conditions, checks, strict=True):
        if verdict == sympy.false:
            net.subs({s.name: v for s, v in table.items()})  # raises with the numbers in
            raise check.fail()
    open_checks = [c for c in checks if c not in (sympy.true, sympy.false)]
    testable = [c for c in open_checks if c.free_symbols <= allowed]
    if len(testable) < len(open_checks):
        notes.append(
            f"{len(open_checks) - len(testable)} validity check(s) involve symbols that are "
            "neither swept nor given and were not checked"
        )
    # values past int64 are Python integers in object arrays (exact, slower)
    arrays = [np.asarray(axes[s.name], dtype=_dtype(axes[s.name])) for s in variables]
    return Plan(
        variables=variables,
        axes=arrays,
        labels=[label for label, _ in columns],
        exprs=[*shown, *testable, *filters],
        shown=len(shown),
        testable=len(testable),
        relations=[relation for relation, _, _ in pairs],
        where=tuple(where),
        notes=notes,
    )


def _dtype(values: Sequence[int]) -> Any:
    return np.int64 if all(-(2**63) <= v < 2**63 for v in values) else object


def _load(source: Any) -> Network:
    from .network import load

    return load(source)


def _compare(residual: np.ndarray, relation: str) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.asarray(
            {
                "==": residual == 0,
                "<=": residual <= 0,
                "<": residual < 0,
                ">=": residual >= 0,
                ">": residual > 0,
            }[relation]
        ).astype(bool)
