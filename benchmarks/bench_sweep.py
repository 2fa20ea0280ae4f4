"""How fast a design space is swept: 10^6 points of a 50-layer network.

The network is 50 3x3 convolutions on an ``[H, H, 3]`` input, alternating two widths ``k1`` and
``k2``, with a stride-2 stage every 10 layers (nested floors) and no padding on every fifth layer
(so small inputs make it invalid, and its 20 validity checks matter). The sweep is
``k1 = 1..100`` x ``k2 = 1..100`` x ``H = 10..1000:10``: a million points, three quantities each
(params, total activations, output height) plus the validity checks. ``symcnn.sweep`` compiles the
formulas once with ``sympy.lambdify`` (common subexpressions shared, floors as exact integer
divisions) and evaluates them in chunks of NumPy arrays.

For comparison, point-by-point loops are timed on a sample and extrapolated to a million points:
``Network.evaluate`` (exact, memoized), ``xreplace`` and ``Network.subs`` (rebuilding the network).
This is a benchmark, not a test: it prints a table and asserts nothing.

    python benchmarks/bench_sweep.py          # about 30 s
"""

from __future__ import annotations

import argparse
import gc
import platform
import random
import sys
import time
from typing import Any

import numpy as np
import sympy

import symcnn

QUANTITIES = ["params", "total_activations", "output_shape[0]"]


def chain(depth: int = 50, stride_every: int = 10) -> dict[str, Any]:
    layers = [
        {
            "type": "conv2d",
            "out_channels": "k1" if i % 2 else "k2",
            "kernel_size": 3,
            "padding": 0 if i % 5 == 0 else 1,
            "stride": 2 if i % stride_every == stride_every - 1 else 1,
        }
        for i in range(depth)
    ]
    return {"name": f"chain-{depth}", "input": ["H", "H", 3], "layers": layers}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=int, default=100, help="values per axis (default 100)")
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args(argv)
    side = arguments.side
    print(
        f"symcnn {symcnn.__version__}, SymPy {sympy.__version__}, NumPy {np.__version__}, "
        f"Python {platform.python_version()} on {platform.machine()}"
    )
    net = symcnn.load(chain())
    grid = {"k1": f"1..{side}", "k2": f"1..{side}", "H": f"10..{10 * side}:10"}
    points = side**3
    times = []
    result = None
    for _ in range(arguments.repeat):
        gc.collect()
        start = time.perf_counter()
        result = symcnn.sweep(net, grid, QUANTITIES)
        times.append(time.perf_counter() - start)
    sweep_time = min(times)
    assert result is not None

    rng = random.Random(0)
    sample = [
        (rng.randint(1, side), rng.randint(1, side), 10 * rng.randint(1, side)) for _ in range(2000)
    ]

    def per_point(method: str, count: int) -> tuple[float, bool]:
        agrees = True
        start = time.perf_counter()
        for k1, k2, h in sample[:count]:
            values = {"k1": k1, "k2": k2, "H": h}
            index = ((k1 - 1) * side + (k2 - 1)) * side + (h // 10 - 1)
            try:
                if method == "evaluate":
                    got = list(net.evaluate(values, quantities=QUANTITIES).values())
                elif method == "xreplace":
                    mapping = {net.symbols[n]: sympy.Integer(v) for n, v in values.items()}
                    got = [
                        e.xreplace(mapping)
                        for e in (net.params, net.total_activations, net.output_shape[0])
                    ]
                else:
                    built = net.subs(values)
                    got = [built.params, built.total_activations, built.output_shape[0]]
            except symcnn.SymcnnError:
                agrees &= not result.valid[index]  # an invalid point: the sweep marks it
                continue
            if not result.valid[index]:  # xreplace runs no checks: the numbers mean nothing
                continue
            expected = [result[name][index] for name in QUANTITIES]
            agrees &= [int(v) for v in got] == [int(v) for v in expected]
        return (time.perf_counter() - start) / count * points, agrees

    rows = [("symcnn.sweep (lambdify, NumPy)", sweep_time, True, False)]
    for method, count in (("evaluate", 2000), ("xreplace", 300), ("subs", 30)):
        took, agrees = per_point(method, count)
        label = {
            "evaluate": "loop of Network.evaluate",
            "xreplace": "loop of xreplace",
            "subs": "loop of Network.subs (rebuild)",
        }[method]
        rows.append((f"{label} ({count:,} sampled)", took, agrees, True))
    valid = int(result.valid.sum())
    print(
        f"\nSweeping {points:,} points of a 50-layer network ({valid:,} valid), "
        f"{len(QUANTITIES)} quantities each; sweep best of {arguments.repeat}"
    )
    print(f"{'method':<46}{'time':>12}{'vs sweep':>11}  agrees")
    for label, took, agrees, estimate in rows:
        shown = f"~{took:,.1f}s" if estimate else f"{took:.2f}s"
        print(f"{label:<46}{shown:>12}{took / sweep_time:>10,.0f}x  {agrees}")
    print(
        f"\n{points / sweep_time:,.0f} points per second; the loops are extrapolated from their "
        "samples."
    )


if __name__ == "__main__":
    sys.exit(main())
