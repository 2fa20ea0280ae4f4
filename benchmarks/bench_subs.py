"""How fast a deep symbolic network is evaluated at one point: symcnn against naive ``expr.subs``.

The network is a 500-layer chain of 3x3 convolutions on an ``[H, W, 3]`` input, every layer with
its own width ``k1`` ... ``k500`` and a stride-2 stage every 25 layers, so the output sizes are
nested floors and the total activation count repeats them in every term. Every symbol gets a
number, and four ways compute the totals (params, total activations, output shape):

* ``Network.evaluate``: symcnn's fast path — every distinct subformula evaluated once, exactly,
  with Python integers (no SymPy object built);
* ``xreplace``: SymPy's simultaneous replacement, rebuilding the (shared) tree;
* ``Network.subs``: symcnn's exact path, which rebuilds the network from the spec with the values
  in place so that every check runs;
* naive ``expr.subs(values)`` on the same expressions.

Naive ``subs`` takes tens of seconds at 500 layers, so by default it is timed at 50, 100 and 200
layers and extrapolated to 500 with a power law fitted to those three (say ``--full`` to time it at
500 too). This is a benchmark, not a test: it prints a table and asserts nothing.

    python benchmarks/bench_subs.py           # about 30 s
    python benchmarks/bench_subs.py --full    # about 1 min more
"""

from __future__ import annotations

import argparse
import gc
import math
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

import sympy

import symcnn

QUANTITIES = ["params", "total_activations", "output_shape"]


def chain(depth: int, stride_every: int = 25) -> dict[str, Any]:
    layers = [
        {
            "type": "conv2d",
            "out_channels": f"k{i + 1}",
            "kernel_size": 3,
            "padding": 1,
            "stride": 2 if i % stride_every == stride_every - 1 else 1,
        }
        for i in range(depth)
    ]
    return {"name": f"chain-{depth}", "input": ["H", "W", 3], "layers": layers}


def values_for(net: symcnn.Network) -> dict[str, int]:
    return {name: 4096 if name in ("H", "W") else 8 + int(name[1:]) % 9 for name in net.symbols}


def best_of(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def totals(net: symcnn.Network) -> list[sympy.Expr]:
    return [net.params, net.total_activations, *net.output_shape]


def naive(net: symcnn.Network, values: dict[str, int]) -> list[sympy.Expr]:
    mapping = {net.symbols[name]: value for name, value in values.items()}
    return [expr.subs(mapping) for expr in totals(net)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=500)
    parser.add_argument("--full", action="store_true", help="also time naive subs at full depth")
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args(argv)
    depth = arguments.depth
    print(
        f"symcnn {symcnn.__version__}, SymPy {sympy.__version__}, Python "
        f"{platform.python_version()} on {platform.machine()}"
    )
    start = time.perf_counter()
    net = symcnn.load(chain(depth))
    print(
        f"\n{depth}-layer symbolic chain: {len(net.symbols)} symbols, built in "
        f"{time.perf_counter() - start:.1f} s (not counted below)"
    )
    values = values_for(net)
    mapping = {net.symbols[name]: sympy.Integer(v) for name, v in values.items()}

    fast, answer = best_of(arguments.repeat, lambda: net.evaluate(values, quantities=QUANTITIES))
    expected = [answer["params"], answer["total_activations"], *answer["output_shape"]]
    rows = [("Network.evaluate (symcnn)", depth, fast, True, False)]
    took, result = best_of(arguments.repeat, lambda: [e.xreplace(mapping) for e in totals(net)])
    rows.append(("xreplace", depth, took, result == expected, False))
    took, rebuilt = best_of(1, lambda: net.subs(values))
    rows.append(("Network.subs (rebuild)", depth, took, totals(rebuilt) == expected, False))

    small_depths = [d for d in (50, 100, 200) if d < depth]
    measured = []
    for small in small_depths:
        small_net = symcnn.load(chain(small))
        small_values = values_for(small_net)
        took, result = best_of(1, lambda n=small_net, v=small_values: naive(n, v))
        reference = small_net.evaluate(small_values, quantities=QUANTITIES)
        agrees = result == [
            reference["params"],
            reference["total_activations"],
            *reference["output_shape"],
        ]
        measured.append((small, took))
        rows.append(("naive expr.subs", small, took, agrees, False))
    if arguments.full or not measured:
        took, result = best_of(1, lambda: naive(net, values))
        rows.append(("naive expr.subs", depth, took, result == expected, False))
        naive_full = took
    else:  # a power law t = a * depth^b through the measured points (least squares in log-log)
        xs = [math.log(d) for d, _ in measured]
        ys = [math.log(t) for _, t in measured]
        mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / max(
            sum((x - mean_x) ** 2 for x in xs), 1e-12
        )
        naive_full = math.exp(mean_y + slope * (math.log(depth) - mean_x))
        rows.append(
            (f"naive expr.subs (extrapolated, ~depth^{slope:.2f})", depth, naive_full, None, True)
        )

    print(
        f"\nEvaluating params, total activations and the output shape at one point (best of "
        f"{arguments.repeat})"
    )
    print(f"{'method':<44}{'layers':>7}{'time':>11}{'vs evaluate':>13}  agrees")
    for name, layers, took, agrees, estimate in rows:
        shown = "n/a" if agrees is None else str(agrees)
        ratio = f"{took / fast:,.0f}x" if layers == depth else ""
        mark = "~" if estimate else ""
        print(f"{name:<44}{layers:>7,}{mark + f'{took:.4f}s':>11}{ratio:>13}  {shown}")
    print(
        f"\nsymcnn's evaluate is {naive_full / fast:,.0f}x faster than naive subs at {depth} "
        f"layers{' (extrapolated)' if not arguments.full and measured else ''} and "
        f"{rows[1][2] / fast:,.0f}x faster than xreplace."
    )


if __name__ == "__main__":
    sys.exit(main())
