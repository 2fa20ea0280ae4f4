"""Invariants of the formulas, one property each, over hypothesis-generated configurations.

The output-size reference below is plain Python integer arithmetic, written from PyTorch's
documentation and ATen's ``pooling_output_shape``, independently of symcnn's SymPy formulas.
"""

from __future__ import annotations

import json
from typing import Any

import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import symcnn

# --------------------------------------------------------------------- plain-Python reference


def conv_out(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv_transpose_out(
    size: int, kernel: int, stride: int, padding: int, dilation: int, output_padding: int
) -> int:
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def pool_out(
    size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool
) -> int:
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + padding:  # the last window must start inside
        out -= 1
    return out


def load_one(shape: list[Any], layer: dict[str, Any], layout: str = "HWC") -> symcnn.Network:
    return symcnn.load({"input": shape, "layout": layout, "layers": [layer]})


def outcome(shape: list[Any], layer: dict[str, Any]) -> symcnn.Network | None:
    try:
        return load_one(shape, layer)
    except symcnn.SymcnnError:
        return None


SETTINGS = settings(max_examples=150, deadline=None)
sizes = st.integers(1, 40)
kernels = st.integers(1, 7)
strides = st.integers(1, 4)
paddings = st.integers(0, 4)
dilations = st.integers(1, 3)

# ------------------------------------------------------------------------ output-size formulas


@SETTINGS
@given(
    height=sizes,
    width=sizes,
    kernel=st.tuples(kernels, kernels),
    stride=st.tuples(strides, strides),
    padding=st.tuples(paddings, paddings),
    dilation=st.tuples(dilations, dilations),
    channels=st.integers(1, 4),
)
def test_conv_output_size_matches_the_reference(
    height, width, kernel, stride, padding, dilation, channels
):
    layer = {
        "type": "conv2d",
        "out_channels": channels,
        "kernel_size": list(kernel),
        "stride": list(stride),
        "padding": list(padding),
        "dilation": list(dilation),
    }
    expected = [
        conv_out(*axis)
        for axis in zip((height, width), kernel, stride, padding, dilation, strict=True)
    ]
    net = outcome([height, width, 3], layer)
    fits = all(
        size + 2 * pad >= dil * (ker - 1) + 1
        for size, ker, pad, dil in zip((height, width), kernel, padding, dilation, strict=True)
    )
    assert (net is not None) == fits
    if net is not None:
        assert net.output_shape == (*expected, channels)


@SETTINGS
@given(
    size=sizes,
    kernel=kernels,
    stride=strides,
    padding=paddings,
    dilation=dilations,
    output_padding=st.integers(0, 3),
)
def test_conv_transpose_output_size_matches_the_reference(
    size, kernel, stride, padding, dilation, output_padding
):
    layer = {
        "type": "convtranspose1d",
        "out_channels": 2,
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "output_padding": output_padding,
    }
    expected = conv_transpose_out(size, kernel, stride, padding, dilation, output_padding)
    valid = expected >= 1 and (output_padding < stride or output_padding < dilation)
    net = outcome([size, 3], layer)
    assert (net is not None) == valid
    if net is not None:
        assert net.output_shape == (expected, 2)


@SETTINGS
@given(
    kind=st.sampled_from(["max", "avg"]),
    height=sizes,
    width=sizes,
    kernel=st.tuples(kernels, kernels),
    stride=st.one_of(st.none(), st.tuples(strides, strides)),
    padding=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    dilation=st.tuples(dilations, dilations),
    ceil_mode=st.booleans(),
)
def test_pool_output_size_matches_the_reference(
    kind, height, width, kernel, stride, padding, dilation, ceil_mode
):
    layer: dict[str, Any] = {
        "type": f"{kind}pool2d",
        "kernel_size": list(kernel),
        "padding": list(padding),
        "ceil_mode": ceil_mode,
    }
    if stride is not None:
        layer["stride"] = list(stride)
    if kind == "max":
        layer["dilation"] = list(dilation)
    else:
        dilation = (1, 1)
    stride = stride or kernel
    expected = [
        pool_out(*axis, ceil_mode)
        for axis in zip((height, width), kernel, stride, padding, dilation, strict=True)
    ]
    valid = all(out >= 1 for out in expected) and all(
        pad <= ker // 2 for pad, ker in zip(padding, kernel, strict=True)
    )
    net = outcome([height, width, 3], layer)
    assert (net is not None) == valid
    if net is not None:
        assert net.output_shape == (*expected, 3)


@SETTINGS
@given(
    kernel=kernels,
    stride=strides,
    data=st.data(),
    dilation=dilations,
    ceil_mode=st.booleans(),
    sizes=st.lists(sizes, min_size=1, max_size=8),
)
def test_symbolic_pool_formula_evaluates_to_the_reference(
    kernel, stride, data, dilation, ceil_mode, sizes
):
    """The general formula (a Piecewise in W), evaluated by SymPy, is the integer rule."""
    padding = data.draw(st.integers(0, kernel // 2))
    layer = {
        "type": "maxpool1d",
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "ceil_mode": ceil_mode,
    }
    net = load_one(["W", 2], layer)
    width = net.symbols["W"]
    formula = net.output_shape[0]
    for size in sizes:
        expected = pool_out(size, kernel, stride, padding, dilation, ceil_mode)
        if expected >= 1:
            assert formula.xreplace({width: size}) == expected, (formula, size)
        # the pending condition decides validity exactly when the size is known
        verdicts = [check.condition.xreplace({width: size}) for check in net.conditions]
        assert all(v in (sympy.true, sympy.false) for v in verdicts)
        assert (sympy.false not in verdicts) == (expected >= 1)


# --------------------------------------------------------------------------------- invariants


@SETTINGS
@given(
    type_=st.sampled_from(
        [
            "conv1d",
            "conv2d",
            "conv3d",
            "convtranspose1d",
            "convtranspose2d",
            "convtranspose3d",
            "linear",
        ]
    ),
    groups=st.integers(1, 3),
    multiples=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    kernel=st.integers(1, 3),
)
def test_bias_adds_one_parameter_per_output_unit(type_, groups, multiples, kernel):
    in_units, out_units = groups * multiples[0], groups * multiples[1]
    if type_ == "linear":
        shape, layer = [in_units], {"type": type_, "out_features": out_units}
    else:
        dims = int(type_[-2])
        shape = [4] * dims + [in_units]
        layer = {"type": type_, "out_channels": out_units, "kernel_size": kernel, "groups": groups}
    with_bias = load_one(shape, {**layer, "bias": True}).params
    without = load_one(shape, {**layer, "bias": False}).params
    assert with_bias - without == out_units


def test_bias_adds_one_parameter_per_output_unit_symbolically():
    for shape, layer, units in [
        (
            ["H", "W", "d"],
            {"type": "conv2d", "out_channels": "k", "kernel_size": ["n", "m"], "groups": "g"},
            "k",
        ),
        (["H", "W", "d"], {"type": "convtranspose2d", "out_channels": "k", "kernel_size": 3}, "k"),
        (
            ["W", "d"],
            {"type": "conv1d", "out_channels": "k", "kernel_size": 2, "dilation": "r"},
            "k",
        ),
        (["H", "W", "p"], {"type": "linear", "out_features": "c"}, "c"),
    ]:
        net = load_one(shape, {**layer, "bias": "bias"})
        flag = net.symbols["bias"]
        difference = net.params.xreplace({flag: 1}) - net.params.xreplace({flag: 0})
        assert sympy.simplify(difference - net.symbols[units]) == 0, layer


@SETTINGS
@given(
    dims=st.integers(1, 3),
    kernel=st.integers(1, 6),
    dilation=st.integers(1, 3),
    data=st.data(),
    mode=st.sampled_from(["zeros", "replicate"]),
)
def test_same_padding_keeps_the_spatial_shape(dims, kernel, dilation, data, mode):
    spatial = data.draw(st.lists(st.integers(1, 12), min_size=dims, max_size=dims))
    layer = {
        "type": f"conv{dims}d",
        "out_channels": 5,
        "kernel_size": kernel,
        "dilation": dilation,
        "padding": "same",
        "padding_mode": mode,
    }
    net = load_one([*spatial, 3], layer)
    assert net.output_shape == (*spatial, 5)


def test_same_padding_keeps_a_symbolic_spatial_shape():
    for kernel in (1, 2, 3, 4, 5, [3, 4]):
        for dilation in (1, 2, 3):
            net = load_one(
                ["H", "W", 3],
                {
                    "type": "conv2d",
                    "out_channels": 2,
                    "kernel_size": kernel,
                    "dilation": dilation,
                    "padding": "same",
                },
            )
            height, width = net.symbols["H"], net.symbols["W"]
            assert net.output_shape == (height, width, 2), (kernel, dilation)
            assert net.conditions == ()


# --------------------------------------------------------------------------- random networks


@st.composite
def networks(draw: Any) -> tuple[dict[str, Any], dict[str, int]]:
    """A sequential 2-d network over symbols (H, W, k0, k1..., b), and values for them."""
    layers: list[dict[str, Any]] = []
    values = {
        "H": draw(st.integers(1, 40)),
        "W": draw(st.integers(1, 40)),
        "b": draw(st.integers(0, 1)),
    }
    for index in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["conv", "conv", "transpose", "pool", "norm", "activation"]))
        if kind in ("conv", "transpose"):
            channels: Any = draw(st.integers(1, 8))
            if draw(st.booleans()):
                values[f"k{index}"] = channels
                channels = f"k{index}"
            layer: dict[str, Any] = {
                "type": "conv2d" if kind == "conv" else "convtranspose2d",
                "out_channels": channels,
                "kernel_size": draw(st.integers(1, 5)),
                "stride": draw(st.integers(1, 2)),
                "bias": draw(st.sampled_from([True, False, "b"])),
            }
            if kind == "conv":
                layer["padding"] = draw(st.sampled_from([0, 1, 2, "same", "valid"]))
                if layer["padding"] == "same":
                    layer["stride"] = 1
            else:
                layer["padding"] = draw(st.integers(0, 1))
        elif kind == "pool":
            kernel = draw(st.integers(1, 3))
            layer = {
                "type": draw(st.sampled_from(["maxpool2d", "avgpool2d"])),
                "kernel_size": kernel,
                "padding": draw(st.integers(0, kernel // 2)),
                "ceil_mode": draw(st.booleans()),
            }
            if draw(st.booleans()):
                layer["stride"] = draw(st.integers(1, 3))
        elif kind == "norm":
            layer = draw(
                st.sampled_from(
                    [
                        {"type": "batchnorm2d"},
                        {"type": "batchnorm2d", "affine": False},
                        {"type": "instancenorm2d", "affine": True, "track_running_stats": True},
                        {"type": "groupnorm", "num_groups": 1},
                    ]
                )
            )
        else:
            layer = {"type": draw(st.sampled_from(["relu", "dropout2d", "identity", "tanh"]))}
        layers.append(layer)
    if draw(st.booleans()):
        layers += [
            {"type": "flatten"},
            {"type": "linear", "out_features": draw(st.integers(1, 9)), "bias": "b"},
        ]
    return {"input": ["H", "W", 3], "layers": layers}, values


def with_numbers(document: dict[str, Any], values: dict[str, int]) -> dict[str, Any]:
    text = json.dumps(document)
    for name, value in values.items():
        text = text.replace(f'"{name}"', str(value))
    return json.loads(text)


def exact(net: symcnn.Network) -> list[sympy.Expr]:
    return [net.params, net.buffers, *net.output_shape, net.total_activations]


@settings(max_examples=120, deadline=None)
@given(networks())
def test_total_is_the_sum_of_the_rows(network):
    document, values = network
    try:
        net = symcnn.load(with_numbers(document, values))
    except symcnn.SymcnnError:
        assume(False)
    assert net.params == sum(row.params for row in net.rows)
    assert net.buffers == sum(row.buffers for row in net.rows)
    assert net.total_activations == sum(row.activation_size for row in net.rows)
    assert net.activation_size == net.rows[-1].activation_size
    symbolic = symcnn.load(document)
    assert sympy.expand(symbolic.params - sum(row.params for row in symbolic.rows)) == 0


@settings(max_examples=120, deadline=None)
@given(networks())
def test_symbolic_network_evaluated_equals_the_numeric_network(network):
    document, values = network
    symbolic = symcnn.load(document)
    mapping = {
        symbolic.symbols[name]: value for name, value in values.items() if name in symbolic.symbols
    }
    verdicts = [check.condition.xreplace(mapping) for check in symbolic.conditions]
    assert all(verdict in (sympy.true, sympy.false) for verdict in verdicts)
    try:
        direct = symcnn.load(with_numbers(document, values))
    except symcnn.SymcnnError as error:
        # the pending conditions foresaw it, and substituting raises the same kind of error
        assert sympy.false in verdicts
        try:
            symbolic.subs({name: values[name] for name in symbolic.symbols})
        except symcnn.SymcnnError as again:
            assert type(again) is type(error)
            assert str(again) == str(error)
        else:
            raise AssertionError(f"subs accepts what load refuses: {error}") from None
        return
    assert sympy.false not in verdicts
    evaluated = symbolic.subs({name: values[name] for name in symbolic.symbols})
    assert exact(evaluated) == exact(direct)
    assert all(isinstance(value, sympy.Integer) for value in exact(evaluated))
    assert [row.output_shape for row in evaluated.rows] == [row.output_shape for row in direct.rows]
    # the formulas themselves, evaluated by SymPy, give the same numbers
    assert symbolic.params.xreplace(mapping) == direct.params
    assert symbolic.buffers.xreplace(mapping) == direct.buffers
    assert tuple(size.xreplace(mapping) for size in symbolic.output_shape) == direct.output_shape
