"""``symcnn sweep``: a network's quantities over a grid of values (table, CSV, JSON, plot)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from ..errors import SolveError
from ..quantities import QUANTITIES
from ..sweep import (
    plot_sweep,
    summary_json,
    summary_text,
    sweep,
    sweep_csv,
    sweep_json,
    sweep_summary,
    sweep_table,
)
from .common import (
    add_command,
    add_set_option,
    add_spec_argument,
    parse_assignment,
    positive_integer,
    write,
)

__all__ = ["ProgressBar", "register", "run"]

HELP = "evaluate a network over a grid of values (table, CSV, JSON, plot)"
DESCRIPTION = """\
Evaluate the chosen quantities at every point of a grid of symbol values (the Cartesian product of
the axes). The formulas are compiled once to NumPy, so a million points take about a second.
Points where the network is invalid (a kernel larger than its input...) are marked, with blanks.

With --engine dask, --min/--max, --pareto or --histogram the grid is never held in memory: it is
evaluated chunk by chunk (on Dask's threads, or a dask.distributed cluster with --scheduler) and
summarised: points valid and meeting --where, each quantity's range, the best point, the Pareto
front, histograms.
"""
EPILOG = """\
axes: NAME=LO..HI[:STEP] (inclusive) or NAME=V1,V2,... (mixed: 1..4,8,16)

examples:
  symcnn sweep examples/symbolic.yaml k1=8..64:8 H=32,64,128 --set W=H --set k2=16
  symcnn sweep examples/solve_budget.yaml k1=1..256 --show params --format csv
  symcnn sweep examples/solve_budget.yaml k1=1..256 --show params --plot params.png
  symcnn sweep examples/symbolic.yaml k1=1..64 k2=1..64 H=16..256 --set W=H --engine dask \
      --show params,macs --where "params<=1e6" --max macs --pareto params,-macs
"""
FORMATS = {"table": None, "csv": sweep_csv, "json": sweep_json}
ENGINES = ("numpy", "dask")


def register(subparsers: Any) -> None:
    parser = add_command(subparsers, "sweep", HELP, DESCRIPTION, EPILOG)
    add_spec_argument(parser)
    parser.add_argument(
        "axes",
        nargs="+",
        metavar="NAME=VALUES",
        help="a swept symbol and its values, such as k1=8..64:8 or H=32,64,128",
    )
    parser.add_argument(
        "--show",
        action="append",
        default=[],
        metavar="QUANTITY",
        help=f"a column: {', '.join(QUANTITIES)} (default: params, output_shape), "
        "LAYER.params, an expression...; repeatable or comma-separated",
    )
    add_set_option(parser)
    parser.add_argument(
        "--where",
        dest="targets",
        action="append",
        default=[],
        metavar="TARGET",
        help='keep only points that meet a target, such as "params<=1e6"',
    )
    parser.add_argument(
        "--format", choices=sorted(FORMATS), default="table", help="table (default), csv or json"
    )
    parser.add_argument(
        "--limit",
        type=positive_integer,
        default=100,
        metavar="N",
        help="rows of the table (default 100; csv and json give every row)",
    )
    parser.add_argument(
        "--plot", metavar="FILE", help="also save a plot (.png, .svg or .pdf; needs matplotlib)"
    )
    parser.add_argument("--x", metavar="NAME", help="the plot's x axis: a swept symbol")
    parser.add_argument("--y", metavar="QUANTITY", help="the plot's y axis: a shown column")
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="show a progress bar on stderr (default: on long sweeps in a terminal)",
    )
    progress.add_argument("--no-progress", dest="progress", action="store_false")
    summary = parser.add_argument_group("summaries (the grid never held in memory)")
    summary.add_argument(
        "--engine",
        choices=ENGINES,
        default="numpy",
        help="numpy (default: in this process) or dask (chunks on Dask; pip install "
        "'symcnn[dask]'); dask always summarises",
    )
    summary.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a dask.distributed scheduler, such as tcp://127.0.0.1:8786 (implies --engine dask)",
    )
    best = summary.add_mutually_exclusive_group()
    best.add_argument("--min", metavar="QUANTITY", help="the point with the least QUANTITY")
    best.add_argument("--max", metavar="QUANTITY", help="the point with the most QUANTITY")
    summary.add_argument(
        "--pareto",
        nargs="?",
        const="params,macs",
        metavar="Q1,Q2",
        help="the Pareto front of these quantities, all minimised (default params,macs; "
        "-QUANTITY to maximise one)",
    )
    summary.add_argument(
        "--histogram",
        action="append",
        default=[],
        metavar="QUANTITY",
        help="a histogram of QUANTITY over the points kept (repeatable)",
    )
    summary.add_argument(
        "--bins", type=positive_integer, default=10, metavar="N", help="histogram bins (10)"
    )
    parser.set_defaults(run=run)


class ProgressBar:
    """A one-line progress bar on a text stream, redrawn at most ten times a second."""

    def __init__(self, stream: TextIO, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self.started = time.monotonic()
        self.drawn = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.drawn < 0.1:
            return
        self.drawn = now
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done:,}/{total:,} points, {now - self.started:.1f} s")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


LONG = 200_000


def _progress(choice: bool | None, total_hint: int) -> Callable[[int, int], None] | None:
    if choice is False:
        return None
    if choice is None and not (sys.stderr.isatty() and total_hint >= LONG):
        return None
    return ProgressBar(sys.stderr)


def run(arguments: argparse.Namespace) -> int:
    from ..sweep import parse_grid

    grid = parse_grid(arguments.axes)
    total = 1
    for axis in grid.values():
        total *= len(axis)
    shown = [q.strip() for item in arguments.show for q in _split(item)] or [
        "params",
        "output_shape",
    ]
    values = dict(parse_assignment(text) for text in arguments.values)
    if _summarising(arguments):
        return _summary(arguments, grid, shown, values, total)
    result = sweep(
        arguments.spec,
        grid,
        shown,
        values=values,
        where=arguments.targets,
        progress=_progress(arguments.progress, total),
    )
    formatter = FORMATS[arguments.format]
    write(sweep_table(result, arguments.limit) if formatter is None else formatter(result))
    if arguments.plot:
        path = plot_sweep(result, arguments.plot, arguments.x, arguments.y)
        print(f"plot saved to {path}", file=sys.stderr)
    return 0


def _summarising(arguments: argparse.Namespace) -> bool:
    chosen = (arguments.min, arguments.max, arguments.pareto, arguments.scheduler)
    return arguments.engine == "dask" or arguments.histogram or any(c is not None for c in chosen)


def _summary(
    arguments: argparse.Namespace,
    grid: dict[str, list[int]],
    shown: list[str],
    values: dict[str, Any],
    total: int,
) -> int:
    if arguments.format == "csv" or arguments.plot:
        raise SolveError(
            "a summary (--engine dask, --min, --max, --pareto, --histogram) is a table or JSON: "
            "drop --format csv and --plot, or sweep in memory without them"
        )
    engine = "dask" if arguments.scheduler is not None else arguments.engine
    summary = sweep_summary(
        arguments.spec,
        grid,
        shown,
        values=values,
        where=arguments.targets,
        minimize=arguments.min,
        maximize=arguments.max,
        pareto=_split(arguments.pareto) if arguments.pareto else (),
        histogram=[q for item in arguments.histogram for q in _split(item)],
        bins=arguments.bins,
        engine=engine,
        scheduler=arguments.scheduler,
        progress=_progress(arguments.progress, total),
    )
    write(
        summary_json(summary)
        if arguments.format == "json"
        else summary_text(summary, arguments.limit)
    )
    return 0


def _split(text: str) -> list[str]:
    """Comma-separated columns, keeping commas inside brackets (``min(a, b)``)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in parts if p.strip()]
