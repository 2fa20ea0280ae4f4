"""The Dask engine of a sweep summary: the grid cut into partitions, each a Dask task that
evaluates its points from their flat indices (a block at a time) and returns its reductions.

No task ever sees the grid: a partition is two integers, ``start`` and ``stop``, and its
coordinates come from :func:`numpy.unravel_index` on an ``arange`` of ``BLOCK`` points at a time,
so a worker holds a block's arrays (every subformula of ``BLOCK`` points) and the partials it
returns are small (counts, ranges, one best row, a front, histogram counts). On Dask's local
threads the partials are merged by a tree of tasks; on a ``dask.distributed`` cluster (a
scheduler's address, or a ``Client``) they are merged here, in order, each gathered and freed.
The merge gives the same result in any order, so both give the in-process summary exactly.

Dask is an optional extra (``pip install 'symcnn[dask]'``), imported only when this runs.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from ._sweep_plan import Plan
from .errors import SolveError
from .sweep_reduce import (
    Partial,
    Reductions,
    SweepSummary,
    combine,
    partial_of,
    two_passes,
)

__all__ = ["PARTITION", "summarize_dask"]

#: points of one Dask task (evaluated in blocks of ``symcnn.sweep_reduce.BLOCK``)
PARTITION = 1 << 22
#: seconds to wait for a ``dask.distributed`` scheduler to answer
CONNECT_TIMEOUT = 10


def _require(module: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        raise SolveError(
            f"the Dask engine needs {module.split('.')[0]}, which is not installed: "
            "pip install 'symcnn[dask]'"
        ) from None


def summarize_dask(
    plan: Plan,
    wanted: Reductions,
    scheduler: Any = None,
    *,
    partition: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SweepSummary:
    """The summary of ``plan``'s grid computed by Dask: local threads when ``scheduler`` is
    ``None``, else the ``dask.distributed`` cluster at that address (or that ``Client``)."""
    size = PARTITION if partition is None else partition
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise SolveError(f"partition={partition!r}: a positive number of points")
    dask = _require("dask")
    if not plan.fits_int64():
        raise SolveError(
            "the quantities may exceed int64 on this grid (interval arithmetic over its "
            "ranges), and the Dask engine computes in int64: sweep smaller ranges, or use the "
            "in-memory sweep, which keeps exact Python integers"
        )
    cuts = [(low, min(plan.total, low + size)) for low in range(0, plan.total, size)]
    names = [s.name for s in plan.variables] + plan.labels
    tracker = _Progress(progress, plan.total, 2 if wanted.histogram else 1)
    if scheduler is None:

        def run(reductions: Reductions, first: bool) -> Partial:
            return _local(dask, plan, reductions, cuts, names, tracker)

        return two_passes(plan, wanted, run)
    distributed = _require("distributed")
    client, own = _client(distributed, scheduler)
    try:
        remote = client.scatter(plan, broadcast=True)

        def run_remote(reductions: Reductions, first: bool) -> Partial:
            futures = [
                client.submit(partial_of, remote, reductions, low, high, pure=False)
                for low, high in cuts
            ]
            axes = [names.index(q) for q in reductions.pareto]
            merged: Partial | None = None
            for future in futures:  # in order: a partition's result is gathered, then freed
                part = future.result()
                future.release()
                merged = part if merged is None else combine(merged, part, axes)
                tracker.add(part.points)
            assert merged is not None
            return merged

        return two_passes(plan, wanted, run_remote)
    finally:
        if own:
            client.close()


def _local(
    dask: ModuleType,
    plan: Plan,
    wanted: Reductions,
    cuts: list[tuple[int, int]],
    names: list[str],
    tracker: _Progress,
) -> Partial:
    delayed = dask.delayed
    axes = [names.index(q) for q in wanted.pareto]
    level = [
        delayed(partial_of, pure=True)(plan, wanted, low, high, dask_key_name=f"symcnn-part-{i}")
        for i, (low, high) in enumerate(cuts)
    ]
    while len(level) > 1:  # a balanced tree of merges: few partials are held at once
        pairs = [level[i : i + 2] for i in range(0, len(level), 2)]
        level = [delayed(combine)(*pair, axes) if len(pair) == 2 else pair[0] for pair in pairs]
    sizes = {f"symcnn-part-{i}": high - low for i, (low, high) in enumerate(cuts)}

    class Counter(dask.callbacks.Callback):  # type: ignore[name-defined,misc]
        def _posttask(self, key: Any, result: Any, dsk: Any, state: Any, worker: Any) -> None:
            tracker.add(sizes.get(key, 0) if isinstance(key, str) else 0)

    with Counter():
        (merged,) = dask.compute(level[0], scheduler="threads")
    return merged  # type: ignore[no-any-return]


class _Progress:
    """Points done over all passes, reported to ``progress(done, total)`` (from any thread)."""

    def __init__(self, progress: Callable[[int, int], None] | None, points: int, passes: int):
        self.progress = progress
        self.total = points * passes
        self.done = 0
        self.lock = threading.Lock()

    def add(self, points: int) -> None:
        if self.progress is None or not points:
            return
        with self.lock:
            self.done += points
            self.progress(self.done, self.total)


def _client(distributed: ModuleType, scheduler: Any) -> tuple[Any, bool]:
    """A ``dask.distributed`` client for ``scheduler`` (an address, or a client already made),
    and whether it is ours to close."""
    if not isinstance(scheduler, str):
        if not hasattr(scheduler, "submit"):
            raise SolveError(
                f"scheduler={scheduler!r}: give a dask.distributed address "
                "(tcp://HOST:PORT) or a Client"
            )
        return scheduler, False
    try:
        client = distributed.Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError, TypeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise SolveError(
            f"--scheduler {scheduler}: no Dask scheduler answered ({reason}); start one with "
            "`dask scheduler` and give its address, such as tcp://127.0.0.1:8786"
        ) from None
    return client, True
