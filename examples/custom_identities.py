"""Add an identity of your own, prove it with symcnn's formulas and check it on real networks.

Run from anywhere: python examples/custom_identities.py
"""

from __future__ import annotations

from pathlib import Path

import symcnn
from symcnn.identities import IDENTITIES, Identity, load_identities, quantity, register


def as_networks(values):
    """Both sides built as networks: a 3x3 conv on a 3-wide input, and on a 5-wide input."""
    d, k = (values[symcnn.symbols.NOTATION[name].symbol] for name in ("d", "k"))
    narrow = symcnn.load(
        {"input": [3, 3, d], "layers": [{"type": "conv2d", "out_channels": k, "kernel_size": 3}]}
    )
    wide = symcnn.load(
        {"input": [5, 5, d], "layers": [{"type": "conv2d", "out_channels": k, "kernel_size": 3}]}
    )
    return [narrow.params], [wide.params]


register(
    Identity(
        name="input-size-keeps-the-weights",
        statement="A convolution's parameters do not depend on the input's width and height.",
        lhs=(quantity("conv2d 3x3 W=3 H=3 bias=1 params"),),
        rhs=(quantity("conv2d 3x3 W=5 H=5 bias=1 params"),),
        example=as_networks,
    )
)
for identity in load_identities(Path(__file__).parent / "identities" / "my_identities.yaml"):
    register(identity)

for name in (
    "input-size-keeps-the-weights",
    "conv1d-is-a-flat-conv2d",
    "separable-by-hand",
    "stride-keeps-the-weights",
):
    identity = IDENTITIES[name]
    outcome = identity.check(samples=20)
    status = "proved" if identity.prove() else "NOT proved"
    print(
        f"{name}: {status}, checked on {outcome.tried} configurations, "
        f"{len(outcome.failures)} failures"
    )
    for left, right in zip(identity.lhs, identity.rhs, strict=True):
        print(f"    {left}  =  {right}")
