"""The example networks of the built-in identities (:mod:`symcnn.identities`): each builds both
sides of an identity as real networks with :func:`symcnn.network.load`, for one assignment of the
identity's symbols."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sympy

from .network import load
from .symbols import NOTATION

Values = Mapping[sympy.Symbol, int]


def _symbol(name: str) -> sympy.Symbol:
    return NOTATION[name].symbol

def _net(shape: Sequence[Any], *layers: Mapping[str, Any]) -> Any:
    return load({"input": list(shape), "layers": list(layers)})


def pointwise_example(v: Values) -> tuple[list[Any], list[Any]]:
    H, W, d, k, b = (v[_symbol(n)] for n in ("H", "W", "d", "k", "bias"))
    conv = _net([H, W, d], {"type": "conv2d", "out_channels": k, "kernel_size": 1, "bias": b})
    dense = _net([H, W, d], {"type": "linear", "out_features": k, "bias": b})
    return (
        [conv.params, conv.output_shape[0], conv.output_shape[1]],
        [dense.params, dense.output_shape[0], dense.output_shape[1]],
    )


def full_kernel_example(v: Values) -> tuple[list[Any], list[Any]]:
    H, W, d, k, b = (v[_symbol(n)] for n in ("H", "W", "d", "k", "bias"))
    conv = _net([H, W, d], {"type": "conv2d", "out_channels": k, "kernel_size": [H, W], "bias": b})
    dense = _net([H, W, d], {"type": "flatten"}, {"type": "linear", "out_features": k, "bias": b})
    return (
        [conv.params, conv.output_shape[0], conv.output_shape[1]],
        [dense.params, 1, 1],
    )


def separable_example(v: Values) -> tuple[list[Any], list[Any]]:
    m, n, d, k, b = (v[_symbol(s)] for s in ("m", "n", "d", "k", "bias"))
    shape = [n + 2, m + 2, d]

    def separable(with_bias: Any) -> Any:
        return _net(
            shape,
            {
                "type": "conv2d",
                "out_channels": d,
                "kernel_size": [n, m],
                "groups": d,
                "bias": with_bias,
            },
            {"type": "conv2d", "out_channels": k, "kernel_size": 1, "bias": with_bias},
        ).params

    full_weights = _net(
        shape, {"type": "conv2d", "out_channels": k, "kernel_size": [n, m], "bias": False}
    ).params
    return (
        [separable(b), separable(False) / full_weights],
        [d * (m * n + k) + b * (d + k), sympy.Rational(1, k) + sympy.Rational(1, m * n)],
    )


def grouped_example(v: Values) -> tuple[list[Any], list[Any]]:
    m, n, d, k, g = (v[_symbol(s)] for s in ("m", "n", "d", "k", "g"))
    shape = [n, m, d]
    grouped = _net(
        shape,
        {"type": "conv2d", "out_channels": k, "kernel_size": [n, m], "groups": g, "bias": False},
    )
    full = _net(shape, {"type": "conv2d", "out_channels": k, "kernel_size": [n, m], "bias": False})
    return [g * grouped.params], [full.params]


def stacked_example(v: Values) -> tuple[list[Any], list[Any]]:
    H, W, d = (v[_symbol(s)] for s in ("H", "W", "d"))
    three = {"type": "conv2d", "out_channels": d, "kernel_size": 3, "bias": False}
    stacked = _net([H, W, d], three, three)
    single = _net([H, W, d], {"type": "conv2d", "out_channels": d, "kernel_size": 5, "bias": False})
    return (
        [stacked.output_shape[1], stacked.output_shape[0], stacked.params, single.params],
        [single.output_shape[1], single.output_shape[0], 18 * d * d, 25 * d * d],
    )


def strides_example(v: Values) -> tuple[list[Any], list[Any]]:
    W, a, b = (v[_symbol(s)] for s in ("W", "s_h", "s_w"))
    window = {"type": "maxpool1d", "kernel_size": 1}
    twice = _net([W, 1], {**window, "stride": a}, {**window, "stride": b})
    once = _net([W, 1], {**window, "stride": a * b})
    return [twice.output_shape[0]], [once.output_shape[0]]


def transposed_example(v: Values) -> tuple[list[Any], list[Any]]:
    m, n, d, k, g, b = (v[_symbol(s)] for s in ("m", "n", "d", "k", "g", "bias"))
    shape = [3, 3]
    layer = {"kernel_size": [n, m], "groups": g}
    transposed = _net(
        [*shape, d], {"type": "convtranspose2d", "out_channels": k, **layer, "bias": False}
    )
    conv = _net([n, m, k], {"type": "conv2d", "out_channels": d, **layer, "bias": False})
    transposed_b = _net(
        [*shape, d], {"type": "convtranspose2d", "out_channels": k, **layer, "bias": b}
    )
    conv_b = _net([n, m, k], {"type": "conv2d", "out_channels": d, **layer, "bias": b})
    return [transposed.params, transposed_b.params - conv_b.params], [conv.params, b * (k - d)]


def bias_example(v: Values) -> tuple[list[Any], list[Any]]:
    d, k, c, p, N = (v[_symbol(s)] for s in ("d", "k", "c", "p", "N"))
    differences = []
    for shape, layer in (
        ([4, d], {"type": "conv1d", "out_channels": k, "kernel_size": 2}),
        ([4, 4, d], {"type": "conv2d", "out_channels": k, "kernel_size": 2}),
        ([4, 4, 4, d], {"type": "conv3d", "out_channels": k, "kernel_size": 2}),
        ([4, 4, d], {"type": "convtranspose2d", "out_channels": k, "kernel_size": 2}),
        ([p], {"type": "linear", "out_features": c}),
        ([N], {"type": "layernorm"}),
    ):
        on = _net(shape, {**layer, "bias": True}).params
        off = _net(shape, {**layer, "bias": False}).params
        differences.append(on - off)
    return differences, [k, k, k, k, c, N]


def same_example(v: Values) -> tuple[list[Any], list[Any]]:
    H, W, d, m, n, r_w, r_h = (v[_symbol(s)] for s in ("H", "W", "d", "m", "n", "r_w", "r_h"))
    net = _net(
        [H, W, d],
        {
            "type": "conv2d",
            "out_channels": 1,
            "kernel_size": [n, m],
            "padding": "same",
            "dilation": [r_h, r_w],
        },
    )
    return [net.output_shape[1], net.output_shape[0]], [W, H]


def inverse_example(v: Values) -> tuple[list[Any], list[Any]]:
    W, m, s, z, r = (v[_symbol(x)] for x in ("W", "m", "s_w", "z_w", "r_w"))
    arguments = {"kernel_size": m, "stride": s, "padding": z, "dilation": r}
    net = _net(
        [W, 1],
        {"type": "convtranspose1d", "out_channels": 1, **arguments},
        {"type": "conv1d", "out_channels": 1, **arguments},
    )
    return [net.output_shape[0]], [W]
