"""Depthwise and separable convolutions, Keras's ``DepthwiseConv1D/2D`` and ``SeparableConv1D/2D``
(``convention: keras``), with q = ``depth_multiplier``::

    (m·n + bias)·d·q                        DepthwiseConv2D: a Conv2d with groups = d, k = d·q
    m·n·d·q + d·q·k + bias·k                SeparableConv2D: depthwise (no bias), then 1 × 1 to k

The output sizes are the convolution's (:class:`symcnn.layers.conv.Conv`, Keras's ``same``
included). Unlike Keras's Conv2D, both take strides > 1 with a dilation > 1.

Source: Keras 3's ``DepthwiseConv2D.build`` and ``SeparableConv2D.build``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..formula import Ref, Textbook, Value, Written, plus, quantity, times
from ..prose import Inline, Math, Text, bias_phrase, sizes, uniform
from ..symbols import axis_symbols, bias, d, k
from .base import Check, Expr, Tensor, Where, arg, face
from .conv import _KERAS_CONV_KEYWORDS, Conv, _filters, _keras_conv, _textbook_kernel

__all__ = ["DepthwiseConv", "SeparableConv"]


@dataclass(frozen=True, kw_only=True)
class DepthwiseConv(Conv):
    """Keras's ``DepthwiseConv1D/2D``: ``depth_multiplier`` filters per input channel, each seeing
    only its channel: a convolution with groups = d and k = d·depth_multiplier, so
    (m·n + bias)·d·depth_multiplier parameters."""

    out_channels: Expr | None = arg("size?", None)  # d·depth_multiplier, from the input
    depth_multiplier: Expr = arg("size", 1)

    keras_strided_dilation: ClassVar = True

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        grouped = dataclasses.replace(
            self, out_channels=x.channels * self.depth_multiplier, groups=x.channels
        )
        return Conv.bind_values(grouped, x, where)

    def describe(self) -> tuple[Inline, ...]:
        return (
            Text("depthwise, "),
            Math(self.depth_multiplier),
            Text(" filters per channel of "),
            *sizes(self.kernel_size),
            Text(", stride "),
            *uniform(self.stride),
            *bias_phrase(self.bias),
        )


@dataclass(frozen=True, kw_only=True)
class SeparableConv(Conv):
    """Keras's ``SeparableConv1D/2D``: a depthwise convolution (``depth_multiplier`` filters per
    channel, no bias) then a pointwise 1 × 1 convolution to k filters with the bias:
    m·n·d·q + d·q·k + bias·k parameters (q = depth_multiplier)."""

    depth_multiplier: Expr = arg("size", 1)

    formula_fields: ClassVar = ("tf_same", "depth_multiplier")
    keras_strided_dilation: ClassVar = True

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        book = super().textbook(values)
        axes = axis_symbols(self.spatial_dims)
        q = Value(self.depth_multiplier)
        depthwise = times(*_textbook_kernel(axes), d, q)
        params = plus(depthwise, times(d, q, k), times(bias, k))
        outs = [Ref(quantity(f"{a.size.name}_out")) for a in axes]
        macs = plus(times(*outs, depthwise), times(*outs, d, q, k))
        note = "depthwise with q filters per channel, then pointwise with the bias"
        return dataclasses.replace(book, params=Written(params, note), macs=Written(macs))

    def describe(self) -> tuple[Inline, ...]:
        return (
            Text("separable, "),
            *_filters(self),
            Text(", depth multiplier "),
            Math(self.depth_multiplier),
            *bias_phrase(self.bias),
        )


def _depthwise(separable: bool) -> dict[str, str]:
    keywords = {key: value for key, value in _KERAS_CONV_KEYWORDS.items() if key != "groups"}
    if not separable:
        del keywords["filters"]
    return {**keywords, "depth_multiplier": "depth_multiplier"}


#: Keras's names for these layers (``convention: keras``; see :mod:`symcnn.layers.keras`)
KERAS_FACES = (
    *(
        _keras_conv(f"DepthwiseConv{dims}D", face(DepthwiseConv, dims, f"DepthwiseConv{dims}D"),
                    _depthwise(separable=False), f"Conv{dims}d with groups = in_channels")
        for dims in (1, 2)
    ),
    *(
        _keras_conv(f"SeparableConv{dims}D", face(SeparableConv, dims, f"SeparableConv{dims}D"),
                    _depthwise(separable=True),
                    f"a depthwise Conv{dims}d (groups = in_channels, no bias), then a 1 x 1 "
                    f"Conv{dims}d")
        for dims in (1, 2)
    ),
)
