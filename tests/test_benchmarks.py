"""The benchmark scripts run (on tiny sizes) and read the outputs they compare; no timing here."""

from __future__ import annotations

import importlib.util
import io
import os
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path
from types import ModuleType

import torchinfo
from torch import nn

from symcnn.cli import main

ROOT = Path(__file__).resolve().parent.parent
BENCH_GRAPH = ROOT / "benchmarks" / "bench_graph.py"


def load_script(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_graph_runs_on_a_tiny_residual_graph() -> None:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), environment.get("PYTHONPATH")])
    )
    completed = subprocess.run(
        [sys.executable, str(BENCH_GRAPH), "--runs", "0", "--blocks", "3", "2", "--repeat", "1"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = completed.stdout.splitlines()
    rows = [line.split() for line in lines if line.split()[:1] in (["2"], ["3"])]
    assert [(row[0], row[1], row[-1]) for row in rows] == [("2", "8", "True"), ("3", "12", "True")]
    assert lines[-1].startswith("per-block time at 3 vs 2 blocks: ")


def test_bench_graph_reads_both_totals() -> None:
    bench = load_script(BENCH_GRAPH)
    summary = io.StringIO()
    with redirect_stdout(summary):
        assert main(["summary", str(bench.RESNET50)]) == 0
    assert bench.symcnn_total(summary.getvalue()) == 25_557_032
    report = str(torchinfo.summary(nn.Linear(3, 4), input_size=(1, 3), verbose=0))
    assert bench.torchinfo_total(report) == 16


def test_bench_graph_residual_spec_has_the_counted_parameters() -> None:
    bench = load_script(BENCH_GRAPH)
    net = bench.symcnn.load(bench.residual(5))
    assert len(net.rows) == 4 * 5
    assert net.params == 5 * bench.BLOCK_PARAMS
    assert [row.name for row in net.rows[-4:]] == [
        f"block5.{name}" for name in ("conv", "bn", "relu", "add")
    ]


def test_bench_floors_chain_is_the_nested_form_it_compares_with() -> None:
    """bench_floors.py's strided chain has, in one floor, the height its plain nested form has."""
    import sympy

    import symcnn

    bench = load_script(ROOT / "benchmarks" / "bench_floors.py")
    net = symcnn.load(bench.strided_chain(60))
    collapsed, nested = net.output_shape[0], bench.nested_height(60)
    assert bench.roundings(collapsed) == 1 and bench.roundings(nested) == 6
    height = net.symbols["H"]
    for size in (1, 2, 63, 64, 65, 1000, 2**20 + 7):
        assert collapsed.xreplace({height: size}) == nested.xreplace(
            {sympy.Symbol("H", integer=True, positive=True): size}
        )
