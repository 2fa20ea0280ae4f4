"""The floor normal form (symcnn.floors): the identities it rests on, random strided chains
against PyTorch and against the nested form, bounds, depth, and values given before building."""

from __future__ import annotations

from typing import Any

import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn
from symcnn import floors

torch.set_num_threads(1)

H = sympy.Symbol("H", integer=True, positive=True)
integers = st.integers(-(10**6), 10**6)
positive = st.integers(1, 10**3)


@given(x=integers, a=positive, b=positive, c=integers)
def test_the_identities_hold_on_integers(x: int, a: int, b: int, c: int) -> None:
    """⌊(⌊x/a⌋ + c)/b⌋ = ⌊(x + a·c)/(a·b)⌋, the same with ceilings, and the conversions."""
    assert (x // a + c) // b == (x + a * c) // (a * b)
    ceil = lambda p, q: -(-p // q)  # noqa: E731
    assert ceil(ceil(x, a) + c, b) == ceil(x + a * c, a * b)
    assert ceil(x, a) == (x + a - 1) // a
    assert x // a == ceil(x - a + 1, a)


# -- random chains ---------------------------------------------------------------------------


@st.composite
def layers(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(["conv", "pool", "avgpool", "transposed", "upsample"]))
    kernel = draw(st.integers(1, 4))
    stride = draw(st.integers(1, 3))
    if kind == "conv":
        return {
            "type": "conv1d",
            "out_channels": 1,
            "kernel_size": kernel,
            "stride": stride,
            "padding": draw(st.integers(0, 2)),
            "dilation": draw(st.integers(1, 2)),
        }
    if kind in ("pool", "avgpool"):
        layer = {
            "type": "maxpool1d" if kind == "pool" else "avgpool1d",
            "kernel_size": kernel,
            "stride": stride,
            "padding": draw(st.integers(0, kernel // 2)),
            "ceil_mode": draw(st.booleans()),
        }
        if kind == "pool":
            layer["dilation"] = draw(st.integers(1, 2))
        return layer
    if kind == "transposed":
        return {
            "type": "convtranspose1d",
            "out_channels": 1,
            "kernel_size": kernel,
            "stride": stride,
            "padding": draw(st.integers(0, 1)),
            "output_padding": draw(st.integers(0, stride - 1)),
        }
    return {"type": "upsample", "scale_factor": draw(st.sampled_from([2, 3]))}


def torch_module(layer: dict[str, Any]) -> torch.nn.Module:
    kwargs = {k: v for k, v in layer.items() if k != "type"}
    if layer["type"] == "upsample":
        return torch.nn.Upsample(scale_factor=layer["scale_factor"])
    name = {
        "conv1d": "Conv1d",
        "convtranspose1d": "ConvTranspose1d",
        "maxpool1d": "MaxPool1d",
        "avgpool1d": "AvgPool1d",
    }[layer["type"]]
    if name in ("Conv1d", "ConvTranspose1d"):
        kwargs["in_channels"] = 1
    return getattr(torch.nn, name)(**kwargs)


def torch_size(chain: list[dict[str, Any]], size: int) -> int | None:
    """PyTorch's output length of ``chain`` on a length-``size`` input (None: it refuses)."""
    x = torch.zeros(1, 1, size)
    try:
        with torch.no_grad():
            for layer in chain:
                x = torch_module(layer)(x)
    except (RuntimeError, ValueError):
        return None
    return int(x.shape[-1]) if x.shape[-1] > 0 else None


def nested(chain: list[dict[str, Any]]) -> sympy.Expr:
    """The chain's size as plain nested SymPy floors, one layer's textbook formula in another."""
    size: sympy.Expr = H
    for layer in chain:
        k, s = layer.get("kernel_size", 1), layer.get("stride", 1)
        z, r = layer.get("padding", 0), layer.get("dilation", 1)
        if layer["type"] == "upsample":
            size = sympy.floor(size * layer["scale_factor"])
        elif layer["type"] == "convtranspose1d":
            size = (size - 1) * s - 2 * z + (k - 1) + layer["output_padding"] + 1
        elif layer.get("ceil_mode"):
            out = sympy.ceiling((size + 2 * z - r * (k - 1) - 1) / s) + 1
            size = sympy.Piecewise((out - 1, sympy.Ge((out - 1) * s, size + z)), (out, True))
        else:
            size = sympy.floor((size + 2 * z - r * (k - 1) - 1) / s) + 1
    return size


def roundings(expr: sympy.Basic) -> int:
    return sum(
        1
        for node in sympy.preorder_traversal(expr)
        if isinstance(node, sympy.floor | sympy.ceiling)
    )


@settings(max_examples=120, deadline=None)
@given(
    chain=st.lists(layers(), min_size=1, max_size=6),
    sizes=st.lists(st.integers(1, 40), min_size=1, max_size=4),
)
def test_random_chains_equal_the_nested_form_and_torch(
    chain: list[dict[str, Any]], sizes: list[int]
) -> None:
    try:
        net = symcnn.load({"input": [1, "H"], "layout": "CHW", "layers": chain})
    except symcnn.SymcnnError:
        return  # a chain refused whatever H is (a kernel that can never fit...)
    symbolic = net.output_shape[-1]
    reference = nested(chain)
    for size in sizes:
        expected = torch_size(chain, size)
        valid = all(check.condition.xreplace({H: size}) == sympy.true for check in net.conditions)
        if expected is None:
            # PyTorch refuses: so does symcnn, at that size
            with pytest.raises(symcnn.SymcnnError):
                net.subs(H=size)
            continue
        assert valid, (chain, size)
        assert symbolic.xreplace({H: size}) == expected == reference.xreplace({H: size})
        assert net.subs(H=size).output_shape[-1] == expected


@settings(max_examples=60, deadline=None)
@given(
    chain=st.lists(
        st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(0, 2), st.booleans()),
        min_size=1,
        max_size=12,
    )
)
def test_conv_and_pool_chains_keep_one_floor_per_size(
    chain: list[tuple[int, int, int, bool]],
) -> None:
    """Floor-mode convolutions and poolings of either mode: one rounding whatever the depth."""
    entries: list[dict[str, Any]] = []
    for kernel, stride, padding, pool in chain:
        if pool:
            entries.append(
                {
                    "type": "maxpool1d",
                    "kernel_size": kernel,
                    "stride": stride,
                    "padding": min(padding, kernel // 2),
                    "ceil_mode": padding == 2,
                }
            )
        else:
            entries.append(
                {
                    "type": "conv1d",
                    "out_channels": 1,
                    "kernel_size": kernel,
                    "stride": stride,
                    "padding": padding,
                }
            )
    try:
        net = symcnn.load({"input": [1, "H"], "layout": "CHW", "layers": entries})
    except symcnn.SymcnnError:
        return
    for row in net.rows:
        assert roundings(row.output_shape[-1]) <= 1, row.output_shape
    # every condition on H is one bound, and there is at most one
    assert len(net.conditions) <= 1
    for check in net.conditions:
        assert isinstance(check.condition, sympy.GreaterThan) and check.condition.lhs == H


@given(
    mu=st.integers(1, 4),
    alpha=st.integers(1, 5),
    beta=st.integers(-20, 20),
    s=st.integers(1, 9),
    gamma=st.integers(-5, 5),
    threshold=st.integers(-5, 10),
    ceiling=st.booleans(),
    relation=st.sampled_from([sympy.Ge, sympy.Gt, sympy.Le, sympy.Lt]),
)
def test_a_bound_is_the_condition_it_replaces(
    mu: int, alpha: int, beta: int, s: int, gamma: int, threshold: int, ceiling: bool, relation: Any
) -> None:
    rounding = sympy.ceiling if ceiling else sympy.floor
    size = mu * rounding((alpha * H + beta) / s) + gamma
    left, right = (size, threshold) if relation in (sympy.Ge, sympy.Gt) else (threshold, size)
    condition = floors.bound(relation, left, right)
    for h in range(1, 80):
        assert bool(condition.xreplace({H: h})) == bool(relation(left, right).xreplace({H: h}))


def test_the_symbolic_lenet_is_valid_for_h_and_w_of_16() -> None:
    net = symcnn.load("examples/symbolic.yaml")
    h, w = net.symbols["H"], net.symbols["W"]
    assert [check.condition for check in net.conditions] == [sympy.Ge(h, 16), sympy.Ge(w, 16)]
    assert net.output_shape == (10,)
    assert net.rows[3].output_shape[0] == sympy.floor(h / 4) - 3  # POOL2: ⌊H/4⌋, not ⌊⌊H/2⌋/2⌋


def test_a_thousand_layer_strided_chain_keeps_one_floor() -> None:
    layers = [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1}
        if i % 10 == 0
        else {"type": "relu"}
        for i in range(1000)
    ]
    net = symcnn.load({"input": ["H", "W", 3], "layers": layers})
    height = net.output_shape[0]
    assert roundings(height) == 1
    assert height.xreplace({net.symbols["H"]: 2**100 + 1}) == 2  # ⌈(2^100 + 1)/2^100⌉


def test_values_go_in_before_building() -> None:
    """120 stride-2 poolings of H = 2^121: never a 120-deep formula, with load(values=) as with
    --set; an unknown name is refused as subs refuses it."""
    spec = {"input": ["H", "H", 3], "layers": [{"type": "maxpool2d", "kernel_size": 2}] * 120}
    net = symcnn.load(spec, values={"H": "2^121"})
    assert net.output_shape == (2, 2, 3)
    assert net.symbols == {}
    assert symcnn.load(spec).subs(H=2**121).output_shape == (2, 2, 3)
    with pytest.raises(symcnn.SymcnnError, match="unknown symbol Q"):
        symcnn.load(spec, values={"Q": 3})
    assert symcnn.load(spec, values={"H": "2*w"}).output_shape[0] == sympy.floor(
        symcnn.load(spec, values={"H": "2*w"}).symbols["w"] / 2**119
    )
