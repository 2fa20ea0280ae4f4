"""How fast symcnn summarises graphs: ResNet-50 against torchinfo, and a deep residual graph.

First, ResNet-50 from the command line, start-up included, as a user meets it: each run is a
fresh process.

* ``symcnn summary examples/resnet50.yaml``;
* torchinfo on the same network: a process that imports torch and torchinfo, builds the
  hand-built copy of torchvision's ``resnet50()`` in ``tests/zoo_models.py`` and runs
  ``torchinfo.summary(model, input_size=(1, 3, 224, 224))``.

The runs take turns (one of each command, then again), so that a change in the machine's load
falls on both; the median of each is reported, with the ratio, and both totals are compared. The
start-up floors are timed the same way: the bare interpreter, ``import symcnn`` and
``symcnn --help`` (which import no SymPy), ``import sympy`` (which every symcnn command that
reads a spec needs) and ``import torch`` (which torchinfo needs).

Second, a residual graph of N blocks (a 3x3 convolution, a BatchNorm, a ReLU, and an ``add`` of
the block's input), generated here and built with ``symcnn.load(spec).params`` at 100, 250, 500
and 1,000 blocks, in this process. The time per block should not grow with the depth already
built; the ratio of the per-block time at the largest size to that at the smallest is about 1 when
the growth is linear.

Usage::

    python benchmarks/bench_graph.py                      # about a minute
    python benchmarks/bench_graph.py --runs 9             # more fresh-process runs per command
    python benchmarks/bench_graph.py --blocks 100 1000 2000 --repeat 5
    python benchmarks/bench_graph.py --runs 0             # the residual graph only

This is a benchmark, not a test: it prints tables and asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import sympy

import symcnn

ROOT = Path(__file__).resolve().parent.parent
RESNET50 = ROOT / "examples" / "resnet50.yaml"

TORCHINFO = f"""\
import sys
sys.path.insert(0, {str(ROOT / "tests")!r})
import torchinfo
from zoo_models import resnet50
torchinfo.summary(resnet50(), input_size=(1, 3, 224, 224))
"""

#: what each fresh process runs: (label, argv)
SYMCNN_COMMAND = ("symcnn summary examples/resnet50.yaml", ["-m", "symcnn", "summary", RESNET50])
TORCHINFO_COMMAND = ("torchinfo.summary(resnet50(), (1, 3, 224, 224))", ["-c", TORCHINFO])
FLOORS = [
    ("python -c pass", ["-c", "pass"]),
    ("python -c 'import symcnn'", ["-c", "import symcnn"]),
    ("symcnn --help", ["-m", "symcnn", "--help"]),
    ("python -c 'import sympy'", ["-c", "import sympy"]),
    ("python -c 'import torch'", ["-c", "import torch"]),
]
SYMPY_FLOOR = FLOORS[3][0]


def run_process(arguments: Sequence[str | Path], bytecode: Path) -> tuple[float, str]:
    """Run ``python ARGUMENTS`` with this checkout's symcnn first on the path: seconds, stdout.

    Compiled bytecode is kept in the folder ``bytecode``, as an installed package keeps it in
    ``__pycache__``, even where ``PYTHONDONTWRITEBYTECODE`` is set: compiling symcnn's sources
    again in every process would add some 0.2 s that no user pays.
    """
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = str(bytecode)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT), *filter(None, [environment.get("PYTHONPATH")])]
    )
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, *map(str, arguments)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - start, completed.stdout


def symcnn_total(output: str) -> int:
    """The parameter total of ``symcnn summary``'s table: the last line, next to the buffers."""
    *_, params, _buffers = output.splitlines()[-1].split()
    return int(params.replace(",", ""))


def torchinfo_total(output: str) -> int:
    match = re.search(r"^Total params: ([\d,]+)$", output, re.MULTILINE)
    assert match is not None, output
    return int(match.group(1).replace(",", ""))


def startup(runs: int) -> None:
    """ResNet-50 from the command line: symcnn against torchinfo, each in fresh processes."""
    commands = [SYMCNN_COMMAND, TORCHINFO_COMMAND, *FLOORS]
    times: dict[str, list[float]] = {label: [] for label, _ in commands}
    outputs: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="bench-graph-bytecode-") as bytecode:
        for _, arguments in commands:  # warm the disk cache and write the bytecode, untimed
            run_process(arguments, Path(bytecode))
        for _ in range(runs):
            for label, arguments in commands:
                seconds, outputs[label] = run_process(arguments, Path(bytecode))
                times[label].append(seconds)
    medians = {label: statistics.median(values) for label, values in times.items()}
    symcnn_median = medians[SYMCNN_COMMAND[0]]

    print(f"Summarising ResNet-50 in a fresh process (start-up included), median of {runs} runs")
    print(f"{'command':<50}  {'median':>8}  {'min':>8}  {'vs symcnn':>9}")
    for label, _ in commands:
        if label == FLOORS[0][0]:
            print("start-up floors:")
        median, fastest = medians[label], min(times[label])
        print(f"{label:<50}  {median:>7.2f}s  {fastest:>7.2f}s  {median / symcnn_median:>8.1f}x")
    params = symcnn_total(outputs[SYMCNN_COMMAND[0]])
    reference = torchinfo_total(outputs[TORCHINFO_COMMAND[0]])
    print(
        f"symcnn is {medians[TORCHINFO_COMMAND[0]] / symcnn_median:.1f}x faster than torchinfo "
        f"(goal: 10x); totals {params:,} and {reference:,}: agree {params == reference}"
    )
    sympy_floor = medians[SYMPY_FLOOR]
    print(
        f"symcnn's own work after start-up: {symcnn_median - sympy_floor:.2f}s "
        f"(its median minus that of 'import sympy')"
    )


def residual(blocks: int) -> dict[str, Any]:
    """A spec of ``blocks`` residual blocks: conv -> bn -> relu -> add(the block's input)."""
    block = {
        "layers": [
            {
                "type": "conv2d",
                "name": "conv",
                "out_channels": 16,
                "kernel_size": 3,
                "padding": 1,
                "bias": False,
            },
            {"type": "batchnorm2d", "name": "bn"},
            {"type": "relu", "name": "relu"},
            {"type": "add", "name": "add", "from": ["relu", "input"]},
        ]
    }
    return {
        "name": f"residual-{blocks}",
        "input": [16, 32, 32],
        "layout": "CHW",
        "blocks": {"residual": block},
        "layers": [{"block": "residual", "name": f"block{i}"} for i in range(1, blocks + 1)],
    }


#: parameters of one block: a 3x3 convolution 16 -> 16 without bias, a BatchNorm of 16 channels
BLOCK_PARAMS = 3 * 3 * 16 * 16 + 2 * 16


def best_of(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs (seconds), and the last result."""
    times = []
    result = None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def build(spec: dict[str, Any]) -> sympy.Expr:
    return symcnn.load(spec).params


def linearity(sizes: list[int], repeat: int) -> None:
    """Building the residual graph at several depths: the time per block should stay flat."""
    build(residual(10))  # warm SymPy's caches and imports
    print(f"Building a residual graph (symcnn.load(spec).params), best of {repeat}")
    print(f"{'blocks':>8}  {'layers':>7}  {'time':>8}  {'per block':>10}  params right")
    per_block = []
    for blocks in sizes:
        seconds, params = best_of(repeat, lambda b=blocks: build(residual(b)))
        per_block.append(seconds / blocks)
        right = params == blocks * BLOCK_PARAMS
        print(
            f"{blocks:>8,}  {4 * blocks:>7,}  {seconds:>7.3f}s  "
            f"{1000 * seconds / blocks:>7.3f} ms  {right}"
        )
    if len(sizes) > 1:
        print(
            f"per-block time at {sizes[-1]:,} vs {sizes[0]:,} blocks: "
            f"{per_block[-1] / per_block[0]:.2f}x (linear growth is 1x)"
        )


def in_process(repeat: int) -> None:
    """ResNet-50 once both tools are loaded (a notebook's second question): the spec read, built
    and rendered as the summary table, against ``torchinfo.summary`` of the model already built."""
    import contextlib
    import io

    import torch  # noqa: F401  (torchinfo needs it; imported before timing)
    import torchinfo

    sys.path.insert(0, str(ROOT / "tests"))
    from zoo_models import resnet50

    from symcnn.render import text_table

    model = resnet50()

    def torchinfo_run() -> Any:
        with contextlib.redirect_stdout(io.StringIO()):
            return torchinfo.summary(model, input_size=(1, 3, 224, 224), verbose=0)

    def symcnn_run() -> Any:
        return text_table(symcnn.load(RESNET50))

    torchinfo_run(), symcnn_run()  # warm both: imports, caches
    theirs, _ = best_of(repeat, torchinfo_run)
    ours, _ = best_of(repeat, symcnn_run)
    print(f"ResNet-50 in one process, both tools loaded (best of {repeat}):")
    print(f"  symcnn load + table   {ours * 1000:8.1f} ms")
    print(f"  torchinfo.summary     {theirs * 1000:8.1f} ms")
    print(f"  ratio                 {theirs / ours:8.1f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=5, help="fresh-process runs per command (0: skip ResNet-50)"
    )
    parser.add_argument("--blocks", type=int, nargs="+", default=[100, 250, 500, 1000])
    parser.add_argument("--repeat", type=int, default=3, help="builds per size (best is kept)")
    arguments = parser.parse_args()

    print(
        f"symcnn {symcnn.__version__}, SymPy {sympy.__version__}, "
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs"
    )
    print()
    if arguments.runs > 0:
        startup(arguments.runs)
        print()
        in_process(arguments.repeat)
        print()
    linearity(sorted(arguments.blocks), arguments.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
