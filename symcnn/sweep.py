"""Sweeping a design space: a network's quantities over a grid of values, compiled to NumPy.

The formulas are compiled once (:func:`sympy.lambdify`, common subexpressions shared) and evaluated
over the whole grid in chunks of float64 arrays, which hold integers exactly up to 2**53; results
come back as int64 columns when they are exact. The network's validity checks are compiled too, so
every point says whether the network it describes is valid.

>>> import symcnn
>>> net = symcnn.load({"input": ["H", "H", 3], "layers": [
...     {"type": "conv2d", "out_channels": "k", "kernel_size": 5}]})
>>> result = sweep(net, {"k": "8..16:8", "H": "32,64"})
>>> print(sweep_table(result), end="")
 k   H  params  output_shape[0]  output_shape[1]  output_shape[2]
 8  32     608               28               28                8
 8  64     608               60               60                8
16  32   1,216               28               28               16
16  64   1,216               60               60               16

Past memory (and past one machine), ``engine="dask"`` evaluates the grid chunk by chunk and keeps
only reductions of it: counts, the best design, the Pareto front and histograms (a
:class:`~symcnn.sweep_reduce.SweepSummary`, see :mod:`symcnn.sweep_dask`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy

import symcnn.limits as limits

from ._sweep_plan import parse_grid, parse_values, plan_sweep, quantity_columns
from ._sweep_table import EXACT, Sweep, plot_sweep, sweep_csv, sweep_json, sweep_table
from .errors import SolveError
from .evaluate import compile_numpy
from .network import Network
from .references import values_table
from .sweep_reduce import Reductions, SweepSummary, summarize, summary_json, summary_text

__all__ = [
    "Sweep",
    "SweepSummary",
    "compile_quantities",
    "parse_grid",
    "parse_values",
    "plot_sweep",
    "summary_json",
    "summary_text",
    "sweep",
    "sweep_csv",
    "sweep_json",
    "sweep_summary",
    "sweep_table",
]

CHUNK = 1 << 17
MAX_POINTS = limits.MAX_SWEEP_POINTS  # its value at import; the checks read symcnn.limits
ENGINES = ("numpy", "dask")


# ------------------------------------------------------------------------------ compiling


def _symbols(net: Network, names: Sequence[str | sympy.Symbol]) -> list[sympy.Symbol]:
    table = values_table(net, {(n.name if isinstance(n, sympy.Symbol) else n): 1 for n in names})
    return list(table)


def compile_quantities(
    net: Network, quantities: Sequence[str], symbols: Sequence[str | sympy.Symbol]
) -> Callable[..., list[np.ndarray]]:
    """:meth:`symcnn.Network.lambdify`: quantities (shapes give one array per axis) as one NumPy
    function of ``symbols``."""
    chosen = _symbols(net, symbols)
    exprs = [expr for _, expr in quantity_columns(net, quantities)]
    missing = set().union(*(e.free_symbols for e in exprs)) - set(chosen) if exprs else set()
    if missing:
        raise SolveError(
            f"the quantities also depend on {', '.join(sorted(s.name for s in missing))}; "
            "add them to the symbols"
        )
    return compile_numpy(exprs, chosen)


# ------------------------------------------------------------------------------ sweeping


def sweep(
    network: Any,
    grid: Mapping[str, Any] | Iterable[str],
    quantities: Sequence[str] = ("params", "output_shape"),
    *,
    values: Mapping[str, Any] | None = None,
    where: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
    max_points: int | None = None,
    engine: str = "numpy",
    scheduler: Any = None,
    **reductions: Any,
) -> Any:
    """Evaluate ``quantities`` at every point of ``grid`` (the Cartesian product of its axes).

    ``grid`` maps symbols to values (``"8..64:8"``, ``"32,64,128"``, a range or a list) or is a list
    of ``NAME=VALUES`` texts; ``values`` fixes other symbols (numbers or expressions of the swept
    ones, such as ``{"W": "H"}``); ``where`` keeps only the points that meet targets such as
    ``"params <= 1e6"``; ``progress(done, total)`` is called after each chunk.

    With ``engine="numpy"`` (the default) the result is the whole table, a :class:`Sweep`. With
    ``engine="dask"`` the grid is never held in memory: the result is a :class:`SweepSummary`
    (see :func:`sweep_summary`, whose keyword arguments ``minimize``, ``maximize``, ``pareto``,
    ``histogram``, ``bins``, ``scheduler`` and ``partition`` it takes).
    """
    if engine not in ENGINES:
        raise SolveError(f"engine={engine!r}: choose one of {', '.join(ENGINES)}")
    if engine == "dask":
        return sweep_summary(
            network,
            grid,
            quantities,
            values=values,
            where=where,
            progress=progress,
            max_points=max_points,
            engine=engine,
            scheduler=scheduler,
            **reductions,
        )
    if scheduler is not None or reductions:
        given = sorted(reductions) + (["scheduler"] if scheduler is not None else [])
        raise SolveError(
            f"{', '.join(given)}: only with engine='dask' (or symcnn.sweep.sweep_summary)"
        )
    most = limits.MAX_SWEEP_POINTS if max_points is None else max_points
    plan = plan_sweep(network, grid, quantities, values, where, most)
    total = plan.total
    chunks: list[list[np.ndarray]] = [[] for _ in range(plan.shown)]
    valid = np.ones(total, dtype=bool)
    kept = np.ones(total, dtype=bool)
    grid_columns = {
        s.name: np.empty(total, dtype=a.dtype)
        for s, a in zip(plan.variables, plan.axes, strict=True)
    }
    for start in range(0, total, CHUNK):
        stop = min(total, start + CHUNK)
        block = plan.evaluate(start, stop)
        for s, column in zip(plan.variables, block.points, strict=True):
            grid_columns[s.name][start:stop] = column
        for i, column in enumerate(block.outputs):
            chunks[i].append(column)
        valid[start:stop] = block.valid
        kept[start:stop] = block.kept
        if progress is not None:
            progress(stop, total)
    notes = list(plan.notes)
    if plan.relations:
        kept &= valid
        notes.append(f"{int(kept.sum()):,} of {total:,} points meet {'; '.join(where)}")
    quantity_columns_: dict[str, np.ndarray] = {}
    for label, parts in zip(plan.labels, chunks, strict=True):
        quantity_columns_[label] = _exact_column(_join(parts), valid, label, notes)
    everything = {**grid_columns, **quantity_columns_}
    everything = {name: column[kept] for name, column in everything.items()}
    return Sweep(
        variables=tuple(s.name for s in plan.variables),
        quantities=tuple(plan.labels),
        columns=everything,
        valid=valid[kept],
        notes=tuple(notes),
    )


def sweep_summary(
    network: Any,
    grid: Mapping[str, Any] | Iterable[str],
    quantities: Sequence[str] = ("params",),
    *,
    values: Mapping[str, Any] | None = None,
    where: Sequence[str] = (),
    minimize: str | None = None,
    maximize: str | None = None,
    pareto: Sequence[str] = (),
    histogram: Sequence[str] = (),
    bins: int = 10,
    engine: str = "numpy",
    scheduler: Any = None,
    partition: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    max_points: int | None = None,
) -> SweepSummary:
    """Reductions of a sweep, computed chunk by chunk without holding the grid: how many points
    are valid and meet ``where``, each quantity's range, the best point (``minimize`` or
    ``maximize`` a quantity), the Pareto front of the ``pareto`` quantities (all minimised; to
    maximise one, give its negative, such as ``-total_activations``) and histograms of
    ``histogram`` quantities in ``bins`` equal bins over their range.

    ``engine="numpy"`` runs in this process; ``engine="dask"`` on Dask's threads, or on a
    ``dask.distributed`` cluster when ``scheduler`` is its address (or a ``Client``), in
    partitions of ``partition`` points. Both give the same summary. Quantities named by the
    reductions are added to ``quantities``.
    """
    if engine not in ENGINES:
        raise SolveError(f"engine={engine!r}: choose one of {', '.join(ENGINES)}")
    wanted = Reductions.checked(minimize, maximize, pareto, histogram, bins)
    if engine == "numpy" and (scheduler is not None or partition is not None):
        raise SolveError("scheduler and partition: only with engine='dask'")
    if max_points is None:
        max_points = limits.MAX_SWEEP_POINTS if engine == "numpy" else limits.MAX_DASK_POINTS
    shown = list(dict.fromkeys([*quantities, *wanted.quantities()]))
    plan = plan_sweep(network, grid, shown, values, where, max_points)
    wanted = wanted.labelled(plan.labels)
    if engine == "numpy":
        return summarize(plan, wanted, progress=progress)
    from .sweep_dask import summarize_dask

    return summarize_dask(plan, wanted, scheduler, partition=partition, progress=progress)


def _join(parts: list[np.ndarray]) -> np.ndarray:
    if not parts:
        return np.zeros(0, dtype=np.int64)
    kinds = {part.dtype.kind for part in parts}
    if "O" in kinds:
        return np.concatenate([part.astype(object) for part in parts])
    return np.concatenate(parts)


def _exact_column(
    column: np.ndarray, valid: np.ndarray, label: str, notes: list[str]
) -> np.ndarray:
    """A column as int64 where that is exact: blanks (0) at invalid points."""
    values = column[valid]
    if column.dtype.kind in "iu":
        out = np.zeros(column.shape, dtype=np.int64)
        out[valid] = values
        return out
    if column.dtype.kind == "O":
        if all(isinstance(v, int) and abs(v) < 2**63 for v in values):
            out = np.zeros(column.shape, dtype=np.int64)
            out[valid] = np.array(values.tolist(), dtype=np.int64)
            return out
        notes.append(f"{label} exceeds int64 at some points: kept as Python integers")
        return column
    if values.size and np.abs(values).max() >= EXACT:
        notes.append(f"{label} exceeds 2**53 at some points: those values are rounded")
        return column
    if values.size and not np.all(values == np.round(values)):
        return column
    out = np.zeros(column.shape, dtype=np.int64)
    out[valid] = values.astype(np.int64)
    return out
