"""symcnn from Python: the seeds' LeNet with numbers, then with letters.

Run it from anywhere: ``python examples/quickstart.py``. It finds the specs next to itself.
"""

from pathlib import Path

import symcnn

HERE = Path(__file__).resolve().parent

# Counts are exact SymPy values (an Integer or a formula); int() makes a number a Python int.

# 1. The seeds' table: every layer's shape, activation size and parameters.
net = symcnn.load(HERE / "lenet5.yaml")
print(f"{net.name}: {int(net.params):,} parameters, output shape {net.output_shape}")
for row in net.summary():
    shape = "x".join(str(size) for size in row.output_shape)
    size, params = int(row.activation_size), int(row.params)
    print(f"  {row.name:9} {row.type:9} {shape:>8} {size:>6,} {params:>7,}")

# 2. The same network with symbols: the counts are formulas.
symbolic = symcnn.load(HERE / "symbolic.yaml")
print(f"\n{symbolic.name}: {symbolic.params} parameters")
print(f"  CONV2 alone: {symbolic['CONV2'].params}")

# 3. Values for some symbols (subs) narrow the formula; values for all give the number back.
square = symbolic.subs(H=32, W=32)
print(f"  on a 32x32 image: {square.params}")
lenet = symbolic.subs(H=32, W=32, k1=8, k2=16)
print(f"  with k1=8, k2=16 too: {int(lenet.params):,}")

# 4. A spec can also be a dict: the second seed's dense layer, 128 -> 256, with and without bias.
dense = symcnn.load(
    {"input": [128], "layers": [{"type": "linear", "out_features": 256, "bias": "bias"}]}
)
print(f"\nLinear 128 -> 256: {dense.params} parameters")
with_bias, without_bias = int(dense.subs(bias=1).params), int(dense.subs(bias=0).params)
print(f"  with bias: {with_bias:,}, without: {without_bias:,}")

# 5. Bad input raises a SymcnnError whose message says where and what would be valid.
try:
    symcnn.load({"input": [32, 32, 3], "layers": [{"type": "conv2d", "out_channels": 8}]})
except symcnn.SymcnnError as error:
    print(f"\n{type(error).__name__}: {error}")
