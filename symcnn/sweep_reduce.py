"""Reductions of a sweep that never hold its grid: counts, ranges, the best point, the Pareto
front and histograms, each computed on a block of points and merged.

Every reduction is a :class:`Partial` of one block; :func:`combine` merges two in any order or
grouping and gives the same result (the best point and the front break ties by the lowest flat
index), so the in-process engine (:func:`summarize`) and the Dask engine
(:mod:`symcnn.sweep_dask`) agree to the last digit however the grid is cut.

>>> import symcnn
>>> from symcnn.sweep import sweep_summary
>>> net = symcnn.load({"input": ["H", "H", 3], "layers": [
...     {"type": "conv2d", "out_channels": "k", "kernel_size": 5}]})
>>> summary = sweep_summary(net, {"k": "8..64:8", "H": "32,64"}, ["params", "macs"],
...                         where=["params <= 4000"], minimize="macs", pareto=["params", "-k"])
>>> print(summary_text(summary), end="")
points: 16, valid: 16, meeting params <= 4000: 12
params: 608 .. 3,648
macs: 470,400 .. 12,960,000
-k: -48 .. -8
best (least macs): k = 8, H = 32, params = 608, macs = 470,400, -k = -8
Pareto front of (params, -k): 6 points
 k   H  params       macs   -k
 8  32     608    470,400   -8
16  32   1,216    940,800  -16
24  32   1,824  1,411,200  -24
32  32   2,432  1,881,600  -32
40  32   3,040  2,352,000  -40
48  32   3,648  2,822,400  -48

(``params`` does not depend on ``H``: of the points with equal objectives, the front keeps the
first, ``H = 32``.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import symcnn.limits as limits

from ._sweep_plan import Block, Plan
from ._sweep_summary import SweepSummary, summary_json, summary_text
from ._sweep_table import EXACT
from .errors import SolveError
from .limits import how_to_raise

__all__ = [
    "Partial",
    "Reductions",
    "SweepSummary",
    "combine",
    "reduce_block",
    "summarize",
    "summary_json",
    "summary_text",
]

#: points evaluated at once in one process (the arrays of every subformula are this long)
BLOCK = 1 << 16


@dataclass(frozen=True)
class Reductions:
    """What to compute besides counts and ranges; quantities are labels of the plan's columns."""

    minimize: str | None = None
    maximize: str | None = None
    pareto: tuple[str, ...] = ()
    histogram: tuple[str, ...] = ()
    bins: int = 10
    #: each histogram's bins: (name, "int", low, width, count) for whole numbers, else
    #: (name, "float", low, high, count)
    edges: tuple[tuple[str, str, Any, Any, int], ...] = ()

    @classmethod
    def checked(
        cls,
        minimize: str | None,
        maximize: str | None,
        pareto: Sequence[str],
        histogram: Sequence[str],
        bins: int,
    ) -> Reductions:
        if minimize is not None and maximize is not None:
            raise SolveError("minimize and maximize: choose one quantity to optimise")
        if isinstance(pareto, str) or isinstance(histogram, str):
            raise SolveError("pareto and histogram take a list of quantities, such as ['params']")
        most = limits.MAX_HISTOGRAM_BINS
        if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= most:
            raise SolveError(
                f"bins={bins!r}: a whole number from 1 to {most:,} "
                + how_to_raise("MAX_HISTOGRAM_BINS")
            )
        if len(pareto) == 1:
            raise SolveError("pareto: a front needs at least two quantities, such as params,macs")
        return cls(
            minimize=minimize.strip() if minimize else None,
            maximize=maximize.strip() if maximize else None,
            pareto=tuple(dict.fromkeys(q.strip() for q in pareto)),
            histogram=tuple(dict.fromkeys(q.strip() for q in histogram)),
            bins=bins,
        )

    @property
    def objective(self) -> str | None:
        return self.minimize or self.maximize

    def quantities(self) -> list[str]:
        named = [self.objective] if self.objective else []
        return [*named, *self.pareto, *self.histogram]

    def labelled(self, labels: Sequence[str]) -> Reductions:
        """Check that every quantity named is one column of the sweep (a shape is several)."""
        for name in self.quantities():
            if name not in labels:
                raise SolveError(
                    f"{name!r} is not one column of the sweep (a shape has one per axis); "
                    f"choose among {', '.join(labels)}"
                )
        return self


@dataclass(frozen=True)
class Partial:
    """The reductions of some points of the grid; ``names`` are the variables then the
    quantities, and rows (the best point, the front) hold a value per name."""

    points: int
    valid: int
    feasible: int
    ranges: dict[str, tuple[Any, Any]]
    best: tuple[Any, int, tuple[Any, ...]] | None
    front_index: np.ndarray
    front: list[np.ndarray]
    histograms: dict[str, np.ndarray]
    notes: frozenset[str] = field(default_factory=frozenset)


def reduce_block(
    block: Block, names: Sequence[str], wanted: Reductions, known: Partial | None = None
) -> Partial:
    """A block's reductions; its points' flat indices are ``block.start`` onwards. ``known``:
    reductions of earlier points, whose front lets this block skip the points it dominates."""
    feasible = block.valid & block.kept
    index = np.flatnonzero(feasible) + block.start
    columns = [np.asarray(c)[feasible] for c in [*block.points, *block.outputs]]
    notes = set()
    for name, column in zip(names, columns, strict=True):
        if column.dtype.kind == "O":
            raise SolveError(
                f"{name} exceeds int64 on this grid: a summary needs int64 values; sweep a "
                "smaller range or use the in-memory sweep (exact Python integers)"
            )
        if column.dtype.kind == "f" and column.size and np.abs(column).max() >= EXACT:
            notes.add(f"{name} exceeds 2**53 at some points: those values are rounded")
    at = dict(zip(names, columns, strict=True))
    ranges = {
        name: (_number(at[name].min()), _number(at[name].max()))
        for name in names[len(block.points) :]
        if at[name].size
    }
    best = None
    if wanted.objective is not None and index.size:
        values = at[wanted.objective]
        i = int(np.argmax(values) if wanted.maximize else np.argmin(values))  # first: lowest
        key = _number(values[i])
        best = (-key if wanted.maximize else key, int(index[i]), _row(columns, i))
    front_index, front = index[:0], [c[:0] for c in columns]
    if wanted.pareto and index.size:
        objectives = [names.index(q) for q in wanted.pareto]
        candidates = _undominated(columns, objectives, known)
        front_index, front = pareto_front(
            index[candidates], [c[candidates] for c in columns], objectives
        )
    histograms = {}
    for name, kind, low, high_or_width, count in wanted.edges:
        histograms[name] = _histogram(at[name], kind, low, high_or_width, count)
    return Partial(
        points=len(block.valid),
        valid=int(block.valid.sum()),
        feasible=int(index.size),
        ranges=ranges,
        best=best,
        front_index=front_index,
        front=front,
        histograms=histograms,
        notes=frozenset(notes),
    )


def combine(a: Partial, b: Partial, pareto: Sequence[int] = ()) -> Partial:
    """Two partials as one (``pareto``: the positions of the front's quantities in the names)."""
    ranges = dict(a.ranges)
    for name, (low, high) in b.ranges.items():
        mine = ranges.get(name)
        ranges[name] = (low, high) if mine is None else (min(mine[0], low), max(mine[1], high))
    bests = [x for x in (a.best, b.best) if x is not None]
    best = min(bests, key=lambda x: (x[0], x[1])) if bests else None
    index = np.concatenate([a.front_index, b.front_index])
    front = [np.concatenate(pair) for pair in zip(a.front, b.front, strict=True)]
    if pareto and index.size:
        index, front = pareto_front(index, front, pareto)
    histograms = {name: a.histograms[name] + b.histograms[name] for name in a.histograms}
    return Partial(
        points=a.points + b.points,
        valid=a.valid + b.valid,
        feasible=a.feasible + b.feasible,
        ranges=ranges,
        best=best,
        front_index=index,
        front=front,
        histograms=histograms,
        notes=a.notes | b.notes,
    )


def pareto_front(
    index: np.ndarray, columns: list[np.ndarray], objectives: Sequence[int]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The points no other point beats or equals in every objective (all minimised), ordered by
    the objectives; of points with equal objectives, the one of lowest index."""
    keys = [columns[i] for i in objectives]
    order = np.lexsort([index, *reversed(keys)])  # the first objective sorts first
    keys = [k[order] for k in keys]
    first = np.ones(order.size, dtype=bool)
    if order.size > 1:
        first[1:] = np.any([k[1:] != k[:-1] for k in keys], axis=0)
    order, keys = order[first], [k[first] for k in keys]
    if len(keys) == 2:
        # sorted by the first objective: a point is on the front when its second beats every
        # point before it
        second = keys[1]
        keep = np.ones(second.size, dtype=bool)
        keep[1:] = second[1:] < np.minimum.accumulate(second)[:-1]
        order = order[keep]
    else:
        # the first point left (in objective order) is on the front: drop all it dominates
        stack = np.stack(keys, axis=1)
        chosen = []
        remaining = np.arange(order.size)
        while remaining.size:
            head = remaining[0]
            chosen.append(head)
            remaining = remaining[~np.all(stack[remaining] >= stack[head], axis=1)]
        order = order[np.array(chosen, dtype=np.int64)]
    return index[order], [c[order] for c in columns]


def _undominated(
    columns: list[np.ndarray], objectives: Sequence[int], known: Partial | None
) -> np.ndarray:
    """Which points no point of ``known``'s front beats or equals (two objectives: a binary
    search in the front, which is sorted by the first and strictly falling in the second)."""
    if known is None or len(objectives) != 2 or not known.front_index.size:
        return np.ones(columns[0].size, dtype=bool)
    first, second = (columns[i] for i in objectives)
    front_first, front_second = (known.front[i] for i in objectives)
    j = np.searchsorted(front_first, first, side="right") - 1
    beaten = (j >= 0) & (front_second[np.maximum(j, 0)] <= second)
    return ~beaten


def histogram_edges(partial: Partial, wanted: Reductions) -> Reductions:
    """The histograms' bins, from the quantities' ranges (a first pass over the grid): whole
    numbers get bins of a whole width, so that a value's bin is an exact integer division."""
    edges = []
    for name in wanted.histogram:
        if name not in partial.ranges:  # no point is valid and meets the targets: no bins
            edges.append((name, "int", 0, 1, 0))
            continue
        low, high = partial.ranges[name]
        if isinstance(low, int) and isinstance(high, int):
            width = -(-(high - low + 1) // wanted.bins)
            edges.append((name, "int", low, width, -(-(high - low + 1) // width)))
        else:
            edges.append((name, "float", low, high, wanted.bins))
    return Reductions(**{**wanted.__dict__, "edges": tuple(edges)})


def _histogram(values: np.ndarray, kind: str, low: Any, second: Any, count: int) -> np.ndarray:
    if kind == "int":
        bins = (values.astype(np.int64) - low) // second
        return np.bincount(bins, minlength=count).astype(np.int64)
    counts, _ = np.histogram(values, bins=count, range=(low, second))
    return counts.astype(np.int64)


def _number(value: Any) -> Any:
    """A NumPy scalar as a Python number (an int when it is a whole number below 2**53)."""
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and value.is_integer() and abs(value) < EXACT:
        return int(value)
    return value


def _row(columns: list[np.ndarray], i: int) -> tuple[Any, ...]:
    return tuple(_number(c[i]) for c in columns)


# ------------------------------------------------------------------------------ the summary


def finish(plan: Plan, wanted: Reductions, partial: Partial) -> SweepSummary:
    """The summary of a whole grid's partial."""
    names = [s.name for s in plan.variables] + plan.labels
    histograms = {}
    for name, kind, low, second, count in wanted.edges:
        counts = partial.histograms[name].tolist()
        if kind == "int":
            bins = [(low + i * second, low + (i + 1) * second, c) for i, c in enumerate(counts)]
        else:
            cuts = np.linspace(low, second, count + 1).tolist()
            bins = [(cuts[i], cuts[i + 1], c) for i, c in enumerate(counts)]
        histograms[name] = tuple(bins)
    best = dict(zip(names, partial.best[2], strict=True)) if partial.best else None
    front = [
        dict(zip(names, (_number(c[i]) for c in partial.front), strict=True))
        for i in range(partial.front_index.size)
    ]
    return SweepSummary(
        variables=tuple(names[: len(plan.variables)]),
        quantities=tuple(plan.labels),
        points=partial.points,
        valid=partial.valid,
        feasible=partial.feasible,
        where=plan.where,
        ranges={name: partial.ranges[name] for name in plan.labels if name in partial.ranges},
        minimize=wanted.minimize,
        maximize=wanted.maximize,
        best=best,
        pareto_axes=wanted.pareto,
        pareto=tuple(front),
        histograms=histograms,
        notes=tuple(plan.notes) + tuple(sorted(partial.notes)),
    )


def partial_of(
    plan: Plan, wanted: Reductions, start: int, stop: int, block: int = BLOCK
) -> Partial:
    """The reductions of the points ``start`` to ``stop``, evaluated ``block`` points at a time."""
    names = [s.name for s in plan.variables] + plan.labels
    axes = [names.index(q) for q in wanted.pareto]
    merged: Partial | None = None
    for low in range(start, stop, block):
        part = reduce_block(plan.evaluate(low, min(stop, low + block)), names, wanted, merged)
        merged = part if merged is None else combine(merged, part, axes)
    assert merged is not None, "an empty stretch of the grid"
    return merged


def summarize(
    plan: Plan, wanted: Reductions, progress: Callable[[int, int], None] | None = None
) -> SweepSummary:
    """The summary computed in this process, block after block."""
    return two_passes(
        plan, wanted, lambda reductions, first: _in_process(plan, reductions, first, progress)
    )


def two_passes(
    plan: Plan, wanted: Reductions, run: Callable[[Reductions, bool], Partial]
) -> SweepSummary:
    """The summary from ``run(reductions, first_pass)``: one pass over the grid, and a second for
    histograms, whose bins span the ranges the first pass found."""
    merged = run(wanted, True)
    if wanted.histogram:
        edges = histogram_edges(merged, wanted)
        counts = run(Reductions(histogram=wanted.histogram, edges=edges.edges), False)
        merged = Partial(**{**merged.__dict__, "histograms": counts.histograms})
        wanted = edges
    return finish(plan, wanted, merged)


def _in_process(
    plan: Plan, wanted: Reductions, first: bool, progress: Callable[[int, int], None] | None
) -> Partial:
    names = [s.name for s in plan.variables] + plan.labels
    axes = [names.index(q) for q in wanted.pareto]
    total = plan.total
    passes = 2 if wanted.histogram or not first else 1
    done = 0 if first else total
    merged: Partial | None = None
    for low in range(0, total, BLOCK):
        high = min(total, low + BLOCK)
        part = reduce_block(plan.evaluate(low, high), names, wanted, merged)
        merged = part if merged is None else combine(merged, part, axes)
        if progress is not None:
            progress(done + high, passes * total)
    assert merged is not None
    return merged
