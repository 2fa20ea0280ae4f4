"""Sweep summaries (``symcnn.sweep(..., engine="dask")``, ``sweep_summary``, ``symcnn sweep
--engine dask``): the reductions of a grid computed chunk by chunk on Dask, checked against the
in-memory sweep's table reduced the obvious way (a loop over its rows), on Dask's threads and on a
``dask.distributed`` LocalCluster."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from distributed import LocalCluster
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn
import symcnn.sweep_dask as sweep_dask
from symcnn import SolveError
from symcnn._sweep_plan import plan_sweep
from symcnn.cli import main
from symcnn.sweep import SweepSummary, summary_json, summary_text, sweep_summary

ROOT = Path(__file__).resolve().parent.parent
SYMBOLIC = ROOT / "examples" / "symbolic.yaml"
NET = symcnn.load(SYMBOLIC)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ----------------------------------------------------------------------------- the reference


def dominates(a: tuple, b: tuple) -> bool:
    return all(x <= y for x, y in zip(a, b, strict=True)) and a != b


def reference(
    grid: dict,
    quantities: list[str],
    where: list[str],
    *,
    values: dict | None = None,
    minimize: str | None = None,
    maximize: str | None = None,
    pareto: tuple[str, ...] = (),
    histogram: tuple[str, ...] = (),
    bins: int = 10,
) -> dict:
    """The summary from the in-memory sweep's rows, by plain loops: counts, ranges, the first
    best row, the rows nobody dominates (the first of equal ones), histograms bin by bin."""
    shown = list(
        dict.fromkeys(
            [
                *quantities,
                *([minimize or maximize] if minimize or maximize else []),
                *pareto,
                *histogram,
            ]
        )
    )
    everything = symcnn.sweep(NET, grid, shown, values=values)
    kept = symcnn.sweep(NET, grid, shown, values=values, where=where)
    rows = [row for row in kept.rows() if row["valid"]]
    names = [*kept.variables, *kept.quantities]
    rows = [{name: row[name] for name in names} for row in rows]
    answer: dict = {
        "points": len(everything),
        "valid": int(everything.valid.sum()),
        "feasible": len(rows),
        "ranges": {q: [min(r[q] for r in rows), max(r[q] for r in rows)] for q in kept.quantities}
        if rows
        else {},
    }
    best = None
    for row in rows:
        key = row[minimize] if minimize else -row[maximize] if maximize else None
        if key is not None and (best is None or key < best[0]):
            best = (key, row)
    answer["best"] = best[1] if best else None
    front, seen = [], set()
    for row in rows:
        point = tuple(row[q] for q in pareto)
        if point in seen or any(dominates(tuple(o[q] for q in pareto), point) for o in rows):
            continue
        seen.add(point)
        front.append(row)
    front.sort(key=lambda r: tuple(r[q] for q in pareto))  # stable: the first of equal ones
    answer["pareto"] = front if pareto else []
    histograms = {}
    for q in histogram:
        if not rows:
            histograms[q] = []
            continue
        low, high = answer["ranges"][q]
        width = -(-(high - low + 1) // bins)
        count = -(-(high - low + 1) // width)
        counts = [0] * count
        for row in rows:
            counts[(row[q] - low) // width] += 1
        histograms[q] = [
            {"low": low + i * width, "high": low + (i + 1) * width, "count": c}
            for i, c in enumerate(counts)
        ]
    answer["histograms"] = histograms
    return answer


def compared(summary: SweepSummary) -> dict:
    data = json.loads(summary_json(summary))
    return {
        key: data[key]
        for key in ("points", "valid", "feasible", "ranges", "best", "pareto", "histograms")
    }


# ----------------------------------------------------------------------------- agreement


@settings(max_examples=12, deadline=None)
@given(
    h=st.lists(st.integers(8, 60), min_size=1, max_size=5, unique=True),
    k1=st.lists(st.integers(1, 40), min_size=1, max_size=5, unique=True),
    k2=st.lists(st.integers(1, 40), min_size=1, max_size=4, unique=True),
    budget=st.integers(10_000, 200_000),
    partition=st.integers(1, 40),
    best=st.sampled_from(["minimize", "maximize"]),
)
def test_dask_summary_equals_the_in_memory_sweep_reduced_by_hand(
    h, k1, k2, budget, partition, best
):
    grid = {"H": h, "k1": k1, "k2": k2}
    options = {best: "macs", "pareto": ("params", "-macs"), "histogram": ("params",), "bins": 4}
    where = [f"params <= {budget}"]
    expected = reference(grid, ["params"], where, values={"W": "H"}, **options)
    summary = symcnn.sweep(
        NET,
        grid,
        ["params"],
        values={"W": "H"},
        where=where,
        engine="dask",
        partition=partition,
        **options,
    )
    assert isinstance(summary, SweepSummary)
    assert compared(summary) == expected
    in_process = sweep_summary(NET, grid, ["params"], values={"W": "H"}, where=where, **options)
    assert summary_json(in_process) == summary_json(summary)


def test_a_front_of_three_quantities_and_ties_broken_by_the_lowest_index():
    grid = {"H": "20..44:4", "k1": "1..12", "k2": "1..12"}
    pareto = ("params", "-total_activations", "k1 + k2")
    expected = reference(grid, [], [], values={"W": "H"}, pareto=pareto)
    summary = sweep_summary(
        NET, grid, [], values={"W": "H"}, pareto=pareto, engine="dask", partition=97
    )
    assert compared(summary) == expected and len(summary.pareto) > 3
    # params and macs do not depend on W when the last axis is dropped: equal objectives, and the
    # front keeps the point of lowest index (W = 28, the first value)
    ties = sweep_summary(
        NET,
        {"k1": "1..4", "W": "28..40:4"},
        values={"H": 32, "k2": 8},
        pareto=("k1", "-k1"),
        engine="dask",
        partition=3,
    )
    assert {row["W"] for row in ties.pareto} <= {28, 32, 36, 40}


def test_engines_agree_across_blocks_and_partitions():
    grid = {"k1": "1..60", "k2": "1..60", "H": "16..100:3", "W": "32"}  # 104,400 points
    options = {"maximize": "macs", "pareto": ("params", "-macs"), "histogram": ("params", "macs")}
    where = ["params <= 3e5"]
    numpy_summary = sweep_summary(NET, grid, ["params", "macs"], where=where, **options)
    dask_summary = sweep_summary(
        NET, grid, ["params", "macs"], where=where, engine="dask", partition=30_011, **options
    )
    assert numpy_summary.points == 104_400 and numpy_summary.feasible > 0
    assert summary_json(dask_summary) == summary_json(numpy_summary)
    assert summary_text(dask_summary) == summary_text(numpy_summary)
    # the histograms count every feasible point once
    for bins in dask_summary.histograms.values():
        assert sum(c for _, _, c in bins) == dask_summary.feasible


def test_progress_reaches_every_point_of_both_passes():
    calls: list[tuple[int, int]] = []
    sweep_summary(
        NET,
        {"k1": "1..30", "k2": "1..30", "H": "32"},
        ["params"],
        values={"W": 32},
        histogram=["params"],
        engine="dask",
        partition=100,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls[-1] == (1800, 1800) and [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_a_plan_pickles_for_a_worker_and_compiles_again():
    plan = plan_sweep(
        NET,
        {"H": "20..40", "k1": "1..5"},
        ["params", "macs"],
        {"W": "H", "k2": 7},
        ["params<=1e5"],
        10**6,
    )
    plan.evaluate(0, 3)  # compiled here
    again = pickle.loads(pickle.dumps(plan))
    a, b = plan.evaluate(0, plan.total), again.evaluate(0, plan.total)
    assert all(np.array_equal(x, y) for x, y in zip(a.outputs, b.outputs, strict=True))
    assert np.array_equal(a.valid, b.valid) and np.array_equal(a.kept, b.kept)


# ----------------------------------------------------------------------------- a cluster


def test_cli_on_a_local_cluster_prints_the_in_process_summary(capsys):
    arguments = [
        "sweep",
        SYMBOLIC,
        "k1=1..12",
        "k2=1..12",
        "H=16..48:4",
        "--set",
        "W=H",
        "--show",
        "params,macs",
        "--where",
        "params<=1e5",
        "--max",
        "macs",
        "--pareto",
        "params,-macs",
        "--histogram",
        "params",
        "--bins",
        "5",
        "--no-progress",
    ]
    code, in_process, err = run(capsys, *arguments, "--format", "json")
    assert code == 0, err
    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        code, on_cluster, err = run(
            capsys, *arguments, "--format", "json", "--scheduler", cluster.scheduler_address
        )
        assert code == 0, err
        code, text, err = run(
            capsys, *arguments, "--engine", "dask", "--scheduler", cluster.scheduler_address
        )
    assert on_cluster == in_process
    data = json.loads(on_cluster)
    expected = reference(
        {"k1": "1..12", "k2": "1..12", "H": "16..48:4"},
        ["params", "macs"],
        ["params<=1e5"],
        values={"W": "H"},
        maximize="macs",
        pareto=("params", "-macs"),
        histogram=("params",),
        bins=5,
    )
    assert {key: data[key] for key in expected} == expected
    assert (
        text.startswith(f"points: {12 * 12 * 9:,}, valid: ")
        and "Pareto front of (params, -macs)" in text
    )


# ----------------------------------------------------------------------------- memory


MEMORY_CHECK = """
import resource, sys, symcnn
from symcnn.sweep import sweep_summary
net = symcnn.load({"input": ["n"], "layers": [{"type": "linear", "out_features": "m"}]})
sweep_summary(net, {"n": "1..10", "m": "1..10"}, ["params"], engine="dask")  # imports, compiled
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
summary = sweep_summary(net, {"n": "1..20000", "m": "1..1000"}, ["params"],
                        where=["params <= 5e6"], engine="dask")
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(summary.points, summary.feasible, (after - before) * 1024)
"""


def test_twenty_million_points_in_bounded_memory():
    """2·10^7 points, whose table (n, m, params as int64) would take 480 MB, summarised while the
    process's peak memory grows by a small fraction of that."""
    done = subprocess.run(
        [sys.executable, "-c", MEMORY_CHECK],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        cwd=ROOT,
    )
    points, feasible, growth = map(int, done.stdout.split())
    # params = (n + 1)·m <= 5·10^6: for each n, m <= 5e6 // (n + 1), at most 1000
    assert points == 20_000_000
    assert feasible == sum(min(1000, 5_000_000 // (n + 1)) for n in range(1, 20_001))
    assert growth < 200 * 2**20, f"peak memory grew by {growth / 2**20:.0f} MB"


# ----------------------------------------------------------------------------- errors


#: a small sweep of the symbolic example, for the refusals below
SMALL_SWEEP = ("sweep", SYMBOLIC, "H=32", "k1=1..3", "--set", "W=32", "--set", "k2=4")


def test_missing_dask_is_one_line_naming_the_extra(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    code, out, err = run(capsys, *SMALL_SWEEP, "--engine", "dask")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "pip install 'symcnn[dask]'" in err


def test_a_scheduler_that_does_not_answer_is_one_line(capsys, monkeypatch):
    monkeypatch.setattr(sweep_dask, "CONNECT_TIMEOUT", 1)
    for address in ("tcp://127.0.0.1:9", "nonsense"):
        code, out, err = run(capsys, *SMALL_SWEEP, "--scheduler", address, "--no-progress")
        assert code == 2 and out == "" and err.count("\n") == 1, err
        assert f"--scheduler {address}: no Dask scheduler answered" in err


def test_values_past_int64_are_refused_by_the_dask_engine():
    with pytest.raises(SolveError, match="exceed int64"):
        sweep_summary(
            NET, {"k1": [1, 2**40], "k2": [1, 2**40]}, values={"H": 32, "W": 32}, engine="dask"
        )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"minimize": "params", "maximize": "macs"}, "choose one"),
        ({"bins": 0}, "bins=0"),
        ({"pareto": ["params"]}, "at least two"),
        ({"pareto": "params,macs"}, "a list"),
        ({"minimize": "output_shape"}, "not one column"),
        ({"engine": "spark"}, "engine='spark'"),
        ({"partition": 0, "engine": "dask"}, "partition=0"),
        ({"scheduler": 3, "engine": "dask"}, "scheduler=3"),
    ],
)
def test_summary_errors(options, message):
    with pytest.raises(SolveError, match=message):
        sweep_summary(
            NET, {"k1": "1..3"}, ["params"], values={"H": 32, "W": 32, "k2": 4}, **options
        )


def test_reductions_need_the_dask_engine_in_sweep():
    with pytest.raises(SolveError, match="only with engine='dask'"):
        symcnn.sweep(
            NET,
            {"k1": "1..3"},
            ["params"],
            values={"H": 32, "W": 32, "k2": 4},
            pareto=["params", "macs"],
        )


def test_cli_summary_refuses_csv_and_plot(capsys):
    code, _, err = run(
        capsys,
        "sweep",
        SYMBOLIC,
        "k1=1..3",
        "--set",
        "H=32",
        "--set",
        "W=32",
        "--set",
        "k2=4",
        "--pareto",
        "--format",
        "csv",
    )
    assert code == 2 and "a summary" in err and err.count("\n") == 1


def test_importing_symcnn_and_sweeping_in_memory_never_import_dask():
    code = (
        "import sys, symcnn, symcnn.sweep, symcnn.sweep_dask\n"
        "symcnn.sweep('examples/solve_budget.yaml', {'k1': '1..4'}, ['params'])\n"
        "assert not any(m == 'dask' or m.startswith(('dask.', 'distributed')) for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)
