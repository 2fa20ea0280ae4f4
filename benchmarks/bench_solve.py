"""How fast one unknown is solved on a 500-layer symbolic network.

The network is 500 3x3 convolutions on ``[H, W, 3]``, each with its own width ``k1`` ... ``k500``,
a stride-2 stage every 50 layers, and no padding on every fifth layer — so the sizes shrink and the
network carries 1,000 pending validity checks (each kernel must fit its input), which every answer
must pass. Every symbol but the unknown is given a value (``values=``, substituted into the targets
and the checks in one memoized pass, without rebuilding the network), then:

* ``params = P`` for ``k250`` — a polynomial: exact real roots, then the integer set;
* the largest ``k250`` with ``params <= 10^7`` — the same, with an objective;
* the largest ``k250`` with ``total_activations`` under a budget (the value at ``k250 = 1000``) —
  the widest layer under an activation budget;
* ``output_shape[0] = 7`` for ``H`` — ten nested floors: not a polynomial, solved by a monotone
  search that returns the whole range of input sizes (and checks all 1,000 conditions on H).

For comparison it also runs ``sympy.solve`` on the substituted equations: fine for the polynomial,
but it cannot invert floors. This is a benchmark, not a test: it prints a table and asserts
nothing.

    python benchmarks/bench_solve.py          # about 20 s, most of it building the network
"""

from __future__ import annotations

import argparse
import gc
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

import sympy

import symcnn

UNKNOWN = "k250"


def chain(depth: int, stride_every: int = 50) -> dict[str, Any]:
    layers = [
        {
            "type": "conv2d",
            "out_channels": f"k{i + 1}",
            "kernel_size": 3,
            "padding": 0 if i % 5 == 0 else 1,
            "stride": 2 if i % stride_every == stride_every - 1 else 1,
        }
        for i in range(depth)
    ]
    return {"name": f"chain-{depth}", "input": ["H", "W", 3], "layers": layers}


def best_of(repeat: int, work: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return min(times), result


def sympy_solve(
    net: symcnn.Network, quantity: str, value: int, unknown: str, values: dict[str, int]
) -> tuple[float, str]:
    """``sympy.solve`` on the same equation, values substituted (not counted in its time)."""
    expr = net.evaluate(values, quantities=[quantity])[quantity]
    start = time.perf_counter()
    try:
        answer = str(sympy.solve(sympy.Eq(expr, value), net.symbols[unknown]))
    except NotImplementedError as error:
        answer = f"NotImplementedError ({str(error).split(chr(10))[0][:50] or 'no algorithm'})"
    return time.perf_counter() - start, answer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args(argv)
    print(
        f"symcnn {symcnn.__version__}, SymPy {sympy.__version__}, Python "
        f"{platform.python_version()} on {platform.machine()}"
    )
    start = time.perf_counter()
    net = symcnn.load(chain(arguments.depth))
    print(
        f"\n{arguments.depth}-layer symbolic chain: {len(net.symbols)} symbols, built in "
        f"{time.perf_counter() - start:.1f} s (not counted below)"
    )
    widths = {name: 8 + int(name[1:]) % 9 for name in net.symbols if name.startswith("k")}
    given = {name: v for name, v in widths.items() if name != UNKNOWN}
    sizes = {"H": 100_000, "W": 100_000}
    target = net.evaluate({**given, **sizes, UNKNOWN: 37}, quantities=["params"])["params"]
    # an activation budget that a width of 1,000 just meets
    budget = net.evaluate({**given, **sizes, UNKNOWN: 1000}, quantities=["total_activations"])[
        "total_activations"
    ]
    questions = [
        (
            f"params = {target} for {UNKNOWN}",
            (f"params = {target}",),
            {"values": {**given, **sizes}},
        ),
        (
            f"largest {UNKNOWN}: params <= 10^7",
            ("params <= 10^7",),
            {"values": {**given, **sizes}, "maximize": UNKNOWN},
        ),
        (
            f"largest {UNKNOWN}: total_activations <= {float(budget):.3g}",
            (f"total_activations <= {budget}",),
            {"values": {**given, **sizes}, "maximize": UNKNOWN},
        ),
        (
            "H for output_shape[0] = 7",
            ("output_shape[0] = 7",),
            {"values": {**widths, "W": 100_000}},
        ),
    ]
    print(
        f"\nSolving one unknown (best of {arguments.repeat}; the given values substituted "
        "inside the call)"
    )
    print(f"{'question':<46}{'time':>9}  answer")
    for label, targets, options in questions:
        took, answer = best_of(arguments.repeat, lambda t=targets, o=options: net.solve(*t, **o))
        print(f"{label:<46}{took:>8.3f}s  {answer}")
    print("\nsympy.solve on the same equations (the expression already substituted)")
    took, answer = sympy_solve(net, "params", int(target), UNKNOWN, {**given, **sizes})
    print(f"{'params = P for ' + UNKNOWN:<46}{took:>8.3f}s  {answer}")
    took, answer = sympy_solve(net, "output_shape[0]", 7, "H", {**widths, "W": 100_000})
    print(f"{'H for output_shape[0] = 7':<46}{took:>8.3f}s  {answer}")


if __name__ == "__main__":
    sys.exit(main())
