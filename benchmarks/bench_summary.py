"""How fast symcnn summarises a deep network, with numbers and with symbols.

The network is a chain of conv/pool pairs that keeps its spatial size, so it can be any depth: a
3x3 convolution with padding 1, then a 3x3 max-pool with stride 1 and padding 1. With numbers the
input is 32x32x3 and the widths cycle through 16..23; with symbols the input is [H, W, 3] and every
convolution has its own width symbol k1, k2, ..., so the total is a sum of one term per layer.

For each depth it times ``symcnn.load(spec).params`` (building every layer, binding it to its input,
summing the rows) and reports the ratio between depths: linear growth means 1,000 layers take about
ten times as long as 100.

Then it evaluates the symbolic total with numbers for every symbol, three ways:

* ``xreplace``: one simultaneous replacement of symbols by SymPy integers, as symcnn does;
* ``Network.subs``: symcnn's own evaluation, which rebuilds the network from the spec with the
  values in place (so every check that waited for a symbol runs);
* naive ``expr.subs(values)`` on the same expression, and the naive per-layer loop that calls
  ``simplify(row.params.subs(values))`` for every row.

Usage::

    python benchmarks/bench_summary.py            # 100 and 1,000 layers; naive methods at 1,000
    python benchmarks/bench_summary.py --quick    # naive methods at 100 layers only (seconds)
    python benchmarks/bench_summary.py --depths 100 1000 2000 --repeat 5

This is a benchmark, not a test: it prints a table and asserts nothing.
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


def chain(depth: int, symbolic: bool) -> dict[str, Any]:
    """A spec of ``depth`` layers: alternating size-keeping 3x3 convolutions and 3x3 max-pools."""
    layers: list[dict[str, Any]] = []
    for index in range(depth // 2):
        width: int | str = f"k{index + 1}" if symbolic else 16 + index % 8
        layers.append({"type": "conv2d", "out_channels": width, "kernel_size": 3, "padding": 1})
        layers.append({"type": "maxpool2d", "kernel_size": 3, "stride": 1, "padding": 1})
    shape: list[int | str] = ["H", "W", 3] if symbolic else [32, 32, 3]
    return {"name": f"chain-{depth}", "input": shape, "layers": layers}


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


def values_for(net: symcnn.Network) -> dict[str, int]:
    """A number for every symbol of the symbolic chain: 32 for H and W, 16..23 for the widths."""
    return {
        name: 32 if name in ("H", "W") else 16 + (int(name[1:]) - 1) % 8 for name in net.symbols
    }


def summarise(depths: list[int], repeat: int) -> list[tuple[int, float, float]]:
    _load(chain(10, False))  # warm SymPy's caches and imports
    _load(chain(10, True))
    rows = []
    for depth in depths:
        numeric, net = best_of(repeat, lambda d=depth: _load(chain(d, False)))
        symbolic, _ = best_of(repeat, lambda d=depth: _load(chain(d, True)))
        assert net.params.is_Integer
        rows.append((depth, numeric, symbolic))
    return rows


def _load(spec: dict[str, Any]) -> symcnn.Network:
    net = symcnn.load(spec)
    assert net.params is not None  # the total is part of a summary
    return net


def evaluate(depth: int, naive_depth: int, repeat: int) -> list[tuple[str, int, float, bool]]:
    """Evaluating the symbolic total with numbers: symcnn's ways against the naive ones."""
    net = symcnn.load(chain(depth, True))
    expression = net.params
    named = values_for(net)
    by_symbol = {net.symbols[name]: sympy.Integer(value) for name, value in named.items()}
    expected = symcnn.load(chain(depth, True)).subs(named).params
    results = []
    seconds, value = best_of(repeat, lambda: expression.xreplace(by_symbol))
    results.append(("xreplace (symcnn's substitution)", depth, seconds, value == expected))
    seconds, value = best_of(1, lambda: net.subs(named).params)
    results.append(("Network.subs (rebuild with values)", depth, seconds, value == expected))

    naive_net = net if naive_depth == depth else symcnn.load(chain(naive_depth, True))
    naive_expression = naive_net.params
    naive_values = {naive_net.symbols[n]: v for n, v in values_for(naive_net).items()}
    naive_expected = naive_expression.xreplace(
        {symbol: sympy.Integer(v) for symbol, v in naive_values.items()}
    )
    seconds, value = best_of(1, lambda: naive_expression.subs(naive_values))
    results.append(("naive expr.subs(values)", naive_depth, seconds, value == naive_expected))
    seconds, value = best_of(
        1,
        lambda: sympy.Add(
            *(sympy.simplify(row.params.subs(naive_values)) for row in naive_net.rows)
        ),
    )
    results.append(
        ("naive per-layer simplify(subs)", naive_depth, seconds, value == naive_expected)
    )
    if naive_depth != depth:  # the xreplace time at the naive depth, for a like-for-like ratio
        integer_values = {s: sympy.Integer(v) for s, v in naive_values.items()}
        seconds, _ = best_of(repeat, lambda: naive_expression.xreplace(integer_values))
        results.append(("xreplace at the naive depth", naive_depth, seconds, True))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depths", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing (best is kept)")
    parser.add_argument(
        "--quick", action="store_true", help="run the slow naive methods at 100 layers only"
    )
    arguments = parser.parse_args()
    depths = sorted(arguments.depths)

    print(
        f"symcnn {symcnn.__version__}, SymPy {sympy.__version__}, "
        f"Python {platform.python_version()} on {platform.machine()}"
    )
    print()
    print("Summarising a conv/pool chain (symcnn.load(spec).params), best of", arguments.repeat)
    print(f"{'layers':>8}  {'numeric':>10}  {'symbolic':>10}")
    rows = summarise(depths, arguments.repeat)
    for depth, numeric, symbolic in rows:
        print(f"{depth:>8,}  {numeric:>9.3f}s  {symbolic:>9.3f}s")
    if len(rows) > 1:
        (small, n_small, s_small), (large, n_large, s_large) = rows[0], rows[-1]
        print(
            f"{'ratio':>8}  {n_large / n_small:>9.1f}x  {s_large / s_small:>9.1f}x"
            f"   ({large:,} vs {small:,} layers; linear growth is {large / small:.0f}x)"
        )

    depth = depths[-1]
    naive_depth = min(depths) if arguments.quick else depth
    print()
    print(f"Evaluating the symbolic total with numbers for its {depth // 2 + 2} symbols")
    results = evaluate(depth, naive_depth, arguments.repeat)
    xreplace = {d: s for name, d, s, _ in results if name.startswith("xreplace")}
    print(f"{'method':<36}  {'layers':>6}  {'time':>10}  {'vs xreplace':>11}  agrees")
    for name, layers, seconds, agrees in results:
        ratio = seconds / xreplace[layers]
        print(f"{name:<36}  {layers:>6,}  {seconds:>9.4f}s  {ratio:>10,.0f}x  {agrees}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
