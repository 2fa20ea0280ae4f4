"""How far a sweep summary goes in bounded memory: 10^9 points on Dask's local threads.

The network is the symbolic LeNet (``examples/symbolic.yaml``: an ``H x W`` colour image, ``k1``
and ``k2`` filters). The grid is ``k1 = 1..100`` x ``k2 = 1..100`` x ``H = 28..(27 + N/10^4/100)``
x ``W = 28..127``; the summary counts the points with at most 10^6 parameters, finds the one
with the most MACs among them, and their Pareto front of (params, -MACs): fewest parameters,
most MACs (the most computation a parameter budget buys). Each measurement runs in a fresh
process, so that its peak memory (``ru_maxrss``, start-up and imports included) is its own:

* the in-memory ``symcnn.sweep`` of the same network and quantities on 10^6 points (the whole
  table held), per point;
* the in-process summary (``engine="numpy"``) on 10^6 points;
* the Dask summary (``engine="dask"``, local threads) on ``--points`` points (10^9 by default).

The summaries of 10^6 points by both engines are compared (the same JSON). This is a benchmark,
not a test: it prints a table and asserts nothing.

    python benchmarks/bench_sweep_dask.py                   # about 10 minutes on 2 cores
    python benchmarks/bench_sweep_dask.py --points 1e8      # about a minute
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "examples" / "symbolic.yaml"
QUANTITIES = ["params", "macs"]
WHERE = ["params <= 1e6"]


def grid(points: int) -> dict[str, str]:
    heights = points // 10**6
    if heights * 10**6 != points or heights < 1:
        raise SystemExit("--points must be a multiple of 10^6")
    return {"k1": "1..100", "k2": "1..100", "H": f"28..{27 + heights}", "W": "28..127"}


def one(kind: str, points: int) -> dict[str, object]:
    """One measurement, in this (fresh) process."""
    import symcnn
    from symcnn.sweep import summary_json, sweep_summary

    net = symcnn.load(SPEC)
    started = time.perf_counter()
    if kind == "memory":
        result = symcnn.sweep(net, grid(points), QUANTITIES, where=WHERE)
        answer = f"{len(result):,} rows"
    else:
        summary = sweep_summary(
            net,
            grid(points),
            QUANTITIES,
            where=WHERE,
            maximize="macs",
            pareto=["params", "-macs"],
            engine=kind,
        )
        answer = summary_json(summary)
    elapsed = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "kind": kind,
        "points": points,
        "seconds": elapsed,
        "cpu": usage.ru_utime + usage.ru_stime,  # the whole process's, start-up included
        "peak": usage.ru_maxrss * 1024,
        "answer": answer,
    }


def measure(kind: str, points: int) -> dict[str, object]:
    run = subprocess.run(
        [sys.executable, __file__, "--one", kind, "--points", str(points)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(run.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=float, default=1e9, help="points of the Dask sweep")
    parser.add_argument("--one", choices=["memory", "numpy", "dask"], help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    points = int(arguments.points)
    if arguments.one:
        print(json.dumps(one(arguments.one, points)))
        return
    import dask
    import numpy as np
    import sympy

    import symcnn

    print(
        f"symcnn {symcnn.__version__}, SymPy {sympy.__version__}, NumPy {np.__version__}, "
        f"Dask {dask.__version__}, Python {platform.python_version()}"
    )
    runs = [measure("memory", 10**6), measure("numpy", 10**6), measure("dask", 10**6)]
    runs.append(measure("dask", points))
    base = runs[0]["seconds"] / 10**6  # type: ignore[operator]
    print(
        f"{'what':44} {'points':>15} {'time':>9} {'CPU':>8} {'per point':>10} {'vs memory':>9} "
        f"{'peak RSS':>9}"
    )
    names = {"memory": "symcnn.sweep (the table in memory)", "numpy": "sweep_summary, in process"}
    for run in runs:
        seconds, count = float(run["seconds"]), int(run["points"])  # type: ignore[arg-type]
        name = names.get(str(run["kind"]), "sweep_summary, engine='dask' (local threads)")
        per = seconds / count
        print(
            f"{name:44} {count:>15,} {seconds:>8.2f}s {float(run['cpu']):>7.1f}s "  # type: ignore[arg-type]
            f"{per * 1e9:>8.1f}ns {per / base:>8.2f}x "
            f"{int(run['peak']) / 2**20:>7.0f}MB"  # type: ignore[call-overload]
        )
    print(
        "summaries of 10^6 points, numpy and dask engines, identical:",
        runs[1]["answer"] == runs[2]["answer"],
    )
    summary = json.loads(str(runs[3]["answer"]))
    print(
        f"{summary['feasible']:,} of {summary['points']:,} points have at most 10^6 parameters; "
        f"most MACs: {summary['best']}; Pareto front: {len(summary['pareto'])} points"
    )


if __name__ == "__main__":
    main()
