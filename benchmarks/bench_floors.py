"""Symbolic at any depth: strided chains, values before building, output, start-up and sweeps.

Every row is a ratio of two times measured in the same run (so the machine's load falls on both):

* **strided chain**: ``symcnn.load(spec)`` of a chain on a symbolic ``[H, W, 3]`` input with a
  3×3 stride-2 convolution (padding 1) every 10 layers and ReLUs between, at 100, 1,000 and 10,000
  layers, SymPy's cache cleared before each; the ratio is the time per layer at N against 100
  layers (1 when the growth is linear).
  Each size stays one floor (``⌊(H + 2^k − 1)/2^k⌋``, :mod:`symcnn.floors`); the number of
  roundings in the output height is printed.
* **nested floors**: the same 100-layer chain's height built as main built it before the normal
  form, one layer's formula put into the next with plain ``xreplace``, against symcnn's normal form.
* **values before building**: 120 ``maxpool2d(2)`` on ``[H, H, 3]`` with ``H = 2^121`` given to
  ``load(values=)``, against the same network with ``H`` symbolic.
* **output**: ``symcnn summary --format json|markdown|latex`` of a 5,000-layer symbolic chain
  (fresh processes), against ``import sympy``; and in-process, the rendering alone of the loaded
  chain (each format with the printed-string caches emptied first), against its load.
* **start-up**: ``symcnn --help`` and ``symcnn summary examples/lenet5.yaml`` against
  ``python -c "import sympy"`` (fresh processes, median of ``--runs``), with symcnn's bytecode
  written once and read, and again with it never written (``PYTHONDONTWRITEBYTECODE=1``).
* **a long sum printed**: the total of a 5,000-layer chain whose every convolution has its own
  width, printed by symcnn against ``sympy.sstr`` (SymPy orders a sum's terms in time T·G).
* **sweep csv**: ``symcnn sweep … --format csv`` of 10^6 rows to a file, against the in-memory
  ``symcnn.sweep`` of the same grid; and in-process, ``sweep_csv`` of the swept grid (the CSV
  text alone) against the sweep itself.

Usage::

    python benchmarks/bench_floors.py              # a few minutes
    python benchmarks/bench_floors.py --quick      # smaller sizes, seconds

This is a benchmark, not a test: it prints one table and asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sympy
import yaml

import symcnn

ROOT = Path(__file__).resolve().parent.parent
LENET = ROOT / "examples" / "lenet5.yaml"
SYMBOLIC = ROOT / "examples" / "symbolic.yaml"


def strided_chain(depth: int, every: int = 10) -> dict[str, Any]:
    """``depth`` layers on ``[H, W, 3]``: a 3×3 stride-2 convolution every ``every`` layers."""
    layers = [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1}
        if i % every == 0
        else {"type": "relu"}
        for i in range(depth)
    ]
    return {"input": ["H", "W", 3], "layers": layers}


def roundings(expr: sympy.Basic) -> int:
    return sum(
        1
        for node in sympy.preorder_traversal(expr)
        if isinstance(node, sympy.floor | sympy.ceiling)
    )


def timed(work: Callable[[], Any], repeat: int = 1) -> float:
    """The best of ``repeat`` runs of ``work``, each after clearing SymPy's cache, so that no run
    reuses the expressions an earlier one built (a deeper chain repeats a shallower one's)."""
    best = float("inf")
    for _ in range(repeat):
        sympy.core.cache.clear_cache()
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def nested_height(depth: int, every: int = 10) -> sympy.Expr:
    """The chain's height as plain substitution builds it: ⌊(⌊(H − 1)/2⌋ + 1 − 1)/2⌋ + 1…"""
    height = sympy.Symbol("H", integer=True, positive=True)
    size: sympy.Expr = height
    for i in range(depth):
        if i % every == 0:
            size = sympy.floor((size + 2 - 3) / 2) + 1
    return size


#: compiled bytecode kept between the fresh processes (as an installed copy keeps it), even where
#: PYTHONDONTWRITEBYTECODE is set: otherwise every run compiles symcnn's sources again
BYTECODE = tempfile.mkdtemp(prefix="symcnn-bench-")


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = BYTECODE
    return env


def process_time(command: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    """The median wall time of ``command`` in fresh processes."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            command, env=env or environment(), capture_output=True, check=True, timeout=600
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved(
    commands: list[list[str]], runs: int, env: dict[str, str] | None = None
) -> list[float]:
    """Median times of ``commands``, run in turns so the machine's load falls on all."""
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for position, command in enumerate(commands):
            times[position].append(process_time(command, 1, env))
    return [statistics.median(t) for t in times]


def _empty_string_caches() -> None:
    from symcnn.render import _latex_text, _strings

    _strings._cached.cache_clear()
    _strings._PRINTER._strings.clear()
    _latex_text.latex_expr.cache_clear()


def output_rendering(depth: int, table: list[tuple[str, str, str, str]]) -> None:
    """In-process: each format's rendering of the loaded ``depth``-layer chain, against its load."""
    from symcnn.render.latex import latex_summary
    from symcnn.render.table import summary_table
    from symcnn.render.text import json_summary, markdown_summary, text_summary

    built: list[Any] = []
    load = timed(lambda: built.append(symcnn.load(strided_chain(depth))))
    net = built[-1]
    renderers: dict[str, Callable[[], Any]] = {
        "json": lambda: json_summary(net),
        "markdown": lambda: markdown_summary(summary_table(net)),
        "latex": lambda: latex_summary(summary_table(net)),
        "table": lambda: text_summary(summary_table(net)),
    }
    for fmt, render in renderers.items():
        _empty_string_caches()
        start = time.perf_counter()
        render()
        seconds = time.perf_counter() - start
        table.append(
            (
                f"{fmt} of the {depth:,}-layer chain, rendering alone (in-process)",
                f"{seconds:.2f} s",
                f"{seconds / load:.2f}× its load ({load:.2f} s)",
                "",
            )
        )


def wide_total(depth: int, table: list[tuple[str, str, str, str]]) -> None:
    """In-process: the printed total of a ``depth``-layer chain whose every convolution has its
    own width (``k1 … k{depth/2}``, a sum of as many terms in as many symbols), symcnn's printer
    (linear-time term order, :mod:`symcnn.render._order`) against ``sympy.sstr``."""
    from bench_summary import chain

    from symcnn.render._strings import sstr

    total = symcnn.load(chain(depth, True)).params
    _empty_string_caches()
    start = time.perf_counter()
    ours = sstr(total)
    seconds = time.perf_counter() - start
    start = time.perf_counter()
    theirs = sympy.sstr(total)
    reference = time.perf_counter() - start
    assert ours == theirs
    table.append(
        (
            f"total of a {depth:,}-layer chain, a width per conv ({len(total.args):,} terms), "
            "printed",
            f"{seconds:.3f} s",
            f"{seconds / reference:.3f}× sympy.sstr ({reference:.2f} s)",
            "the same string",
        )
    )


def sweep_rendering(rows_wanted: int, table: list[tuple[str, str, str, str]]) -> None:
    """In-process: the CSV text of a ``rows_wanted``-point sweep, against the sweep."""
    from symcnn.sweep import sweep_csv

    side = round(rows_wanted**0.5)
    net = symcnn.load(str(SYMBOLIC), values={"H": 32, "W": 32})
    grid = {"k1": range(1, side + 1), "k2": range(1, side + 1)}
    start = time.perf_counter()
    result = symcnn.sweep(net, grid)
    swept = time.perf_counter() - start
    start = time.perf_counter()
    text = sweep_csv(result)
    seconds = time.perf_counter() - start
    table.append(
        (
            f"sweep_csv, {text.count(chr(10)) - 1:,} rows (in-process)",
            f"{seconds:.2f} s",
            f"{seconds / swept:.2f}× the sweep ({swept:.2f} s)",
            "",
        )
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--runs", type=int, default=5, help="fresh processes per command")
    args = parser.parse_args(argv)
    depths = [100, 300, 1000] if args.quick else [100, 1000, 10000]
    output_depth = 500 if args.quick else 5000
    rows_wanted = 10**4 if args.quick else 10**6
    python = sys.executable
    table: list[tuple[str, str, str, str]] = []

    symcnn.load(strided_chain(20))  # warm up: imports and SymPy's caches of the small formulas
    base = timed(lambda: symcnn.load(strided_chain(depths[0])), 3) / depths[0]
    for depth in depths:
        built: list[Any] = []

        def build(d: int = depth, into: list[Any] = built) -> None:
            into.append(symcnn.load(strided_chain(d)))

        seconds = timed(build)
        ratio = (seconds / depth) / base
        height = built[-1].output_shape[0]
        table.append(
            (
                f"strided chain, {depth:,} layers (load)",
                f"{seconds:.3f} s",
                f"{ratio:.2f}× per layer vs 100",
                f"{roundings(height)} rounding(s) in H_out",
            )
        )

    depth = depths[0]
    normal = timed(lambda: symcnn.load(strided_chain(depth)).output_shape, 3)
    plain = timed(lambda: nested_height(depth), 1)
    table.append(
        (
            f"nested floors by plain xreplace, {depth} layers",
            f"{plain:.3f} s",
            f"{plain / normal:.1f}× symcnn's load",
            f"{roundings(nested_height(depth))} roundings",
        )
    )

    pools = {"input": ["H", "H", 3], "layers": [{"type": "maxpool2d", "kernel_size": 2}] * 120}
    given = timed(lambda: symcnn.load(pools, values={"H": "2^121"}), 3)
    small = timed(lambda: symcnn.load(pools).output_shape, 3)
    table.append(
        (
            "120 maxpool2d(2), load(values={H: 2^121})",
            f"{given:.3f} s",
            f"{given / small:.2f}× with H symbolic",
            str(symcnn.load(pools, values={"H": "2^121"}).output_shape),
        )
    )

    output_rendering(output_depth, table)
    wide_total(output_depth, table)
    sweep_rendering(rows_wanted, table)

    sympy_import = [python, "-c", "import sympy"]
    process_time([python, "-m", "symcnn", "summary", str(LENET)], 1)  # compile the bytecode once
    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "deep.yaml"
        spec.write_text(yaml.safe_dump(strided_chain(output_depth)))
        for fmt in ("json", "markdown", "latex"):
            command = [python, "-m", "symcnn", "summary", str(spec), "--format", fmt]
            out, ref = interleaved([command, sympy_import], max(1, args.runs // 2))
            table.append(
                (
                    f"summary --format {fmt}, {output_depth:,}-layer symbolic chain",
                    f"{out:.2f} s",
                    f"{out / ref:.1f}× import sympy",
                    "",
                )
            )

        help_time, summary_time, ref = interleaved(
            [
                [python, "-m", "symcnn", "--help"],
                [python, "-m", "symcnn", "summary", str(LENET)],
                sympy_import,
            ],
            args.runs,
        )
        table.append(
            ("symcnn --help", f"{help_time:.2f} s", f"{help_time / ref:.2f}× import sympy", "")
        )
        # symcnn's own modules compiled in every process, as in a container that sets
        # PYTHONDONTWRITEBYTECODE over an editable install (SymPy's installed bytecode is read)
        fresh = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        fresh.pop("PYTHONPYCACHEPREFIX", None)
        fresh["PYTHONPATH"] = environment()["PYTHONPATH"]
        summary_fresh, ref_fresh = interleaved(
            [[python, "-m", "symcnn", "summary", str(LENET)], sympy_import], args.runs, fresh
        )
        table.append(
            (
                "symcnn summary examples/lenet5.yaml",
                f"{summary_time:.2f} s",
                f"{summary_time / ref:.2f}× import sympy",
                f"import sympy {ref:.2f} s",
            )
        )
        table.append(
            (
                "the same, symcnn's bytecode not written",
                f"{summary_fresh:.2f} s",
                f"{summary_fresh / ref_fresh:.2f}× import sympy",
                f"import sympy {ref_fresh:.2f} s",
            )
        )

        side = round(rows_wanted**0.5)
        target = Path(folder) / "sweep.csv"
        sweep = [
            python,
            "-m",
            "symcnn",
            "sweep",
            str(SYMBOLIC),
            f"k1=1..{side}",
            f"k2=1..{side}",
            "--set",
            "H=32",
            "--set",
            "W=32",
            "--format",
            "csv",
        ]

        def write_csv() -> None:
            with target.open("w") as out:
                subprocess.run(sweep, env=environment(), stdout=out, check=True, timeout=600)

        def in_memory() -> None:
            subprocess.run(
                [
                    python,
                    "-c",
                    f"import symcnn; net = symcnn.load({str(SYMBOLIC)!r}, "
                    "values={'H': 32, 'W': 32}); "
                    f"symcnn.sweep(net, {{'k1': range(1, {side + 1}), "
                    f"'k2': range(1, {side + 1})}})",
                ],
                env=environment(),
                check=True,
                timeout=600,
                capture_output=True,
            )

        csv_time = timed(write_csv)
        memory_time = timed(in_memory)
        lines = sum(1 for _ in target.open()) - 1
        table.append(
            (
                f"sweep --format csv, {lines:,} rows (process)",
                f"{csv_time:.2f} s",
                f"{csv_time / memory_time:.2f}× the in-memory sweep (process)",
                "",
            )
        )

    width = [max(len(row[i]) for row in table) for i in range(4)]
    python_version = sys.version.split()[0]
    print(f"Symbolic at any depth — Python {python_version}, SymPy {sympy.__version__}")
    heading = ("measurement", "time", "ratio (same run)", "note")
    print("  ".join(h.ljust(w) for h, w in zip(heading, width, strict=True)))
    for row in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, width, strict=True)).rstrip())


if __name__ == "__main__":
    main()
