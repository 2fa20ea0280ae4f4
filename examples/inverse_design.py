"""Asking backwards, from Python: every worked question of docs/asking-backwards.md.

Run from anywhere: python examples/inverse_design.py
"""

from pathlib import Path

import symcnn

HERE = Path(__file__).resolve().parent


def load(name: str) -> symcnn.Network:
    return symcnn.load(HERE / name)


# How many 5x5 filters over 8 channels give 3,216 parameters?
lenet = load("solve_filters.yaml")
answer = lenet.solve("CONV2.params = 3216")
print("CONV2 filters for 3,216 parameters:", answer)
assert answer.value == 16

# With 3x3x3 kernels, no whole number of filters does: say so, with the nearest real solution.
answer = load("solve_small_kernels.yaml").solve(params=3216)
print("3x3x3 kernels:", answer)
assert answer.count == 0 and str(answer.nearest[0]) == "k = 804/7 ≈ 114.857"
print("  neighbours:", [(dict(p.point), int(p.values["params"])) for p in answer.probes])

# Which kernel size takes 32x32 to 28x28 at stride 1?
answer = load("solve_kernel.yaml").solve("output_shape = [28, 28, 8]")
print("kernel for 32 -> 28:", answer)
assert answer.value == 5

# What padding keeps a 7x7 convolution 'same' at stride 1 (for every H and W)?
padding = load("solve_padding.yaml")
answer = padding.solve("output_shape = [H, W, 8]", values={"f": 7})
print("'same' padding of a 7x7 conv:", answer)
assert answer.value == 3

# ... and for a 16x16 input and a 5x5 kernel?
answer = padding.solve("output_shape = [16, 16, 8]", values={"H": 16, "W": 16, "f": 5})
print("'same' padding of a 5x5 conv on 16x16:", answer)
assert answer.value == 2

# Which (kernel, filters) pairs give exactly 3,216 parameters over 8 input channels?
answer = load("solve_pairs.yaml").solve(params=3216, unknowns=["f", "k"])
print("(f, k) pairs for 3,216:", [tuple(p.values()) for p in answer.points])
assert [tuple(p.values()) for p in answer.points] == [(5, 16)]

# The widest layer that keeps the network under a million parameters (params = 9028*k1 + 10).
budget = load("solve_budget.yaml")
print("params collected by k1:", budget.rewrite("collect:k1").params)
answer = budget.solve("params <= 1_000_000", maximize="k1")
print("widest layer under 10^6 parameters:", answer, "- the next gives", answer.probes[1].values)
assert answer.value == 110

# Floors make ranges: every input size from 71 to 74 gives a 17x17 output after two stride-2 convs.
answer = load("solve_strided.yaml").solve("output_shape = [17, 17, 16]")
print("input sizes for a 17x17 output:", answer)
assert [(r.low, r.high) for r in answer.ranges] == [(71, 74)]

# A sweep: the parameters and output size for some widths and input sizes.
table = symcnn.sweep(budget, {"k1": "8..32:8"}, ["params", "CONV.output_shape"])
print("sweep of k1:", table.columns["k1"].tolist(), "->", table.columns["params"].tolist())
assert table.columns["params"].tolist() == [9028 * k + 10 for k in (8, 16, 24, 32)]
