"""Convolutions: one general N-d ``Conv`` and ``ConvTranspose``, with thin 1-d/2-d/3-d faces.

Parameters (PyTorch's ``weight`` of shape ``[k, d/g, *kernel]`` plus one bias per filter)::

    (m·n·d/g + bias)·k                      Conv2d
    m·n·d·k/g + bias·k                      ConvTranspose2d (weight [d, k/g, *kernel])

Output size along one axis, with input size W, kernel m, stride s, padding z and dilation r::

    ⌊(W + 2z − r(m − 1) − 1)/s⌋ + 1         Conv
    (W − 1)s − 2z + r(m − 1) + a + 1        ConvTranspose (a: output_padding)

Multiply-accumulates of one application (``Layer.work``; see :mod:`symcnn.costs`)::

    H_out·W_out·k·m·n·d/g                   Conv: every output element sums one filter's products
    H·W·d·m·n·k/g                           ConvTranspose: every input element is spread over
                                            m·n·k/g outputs

Each formula is written once, as the textbook-ordered tree of :meth:`Conv.textbook` (the general
formula and the MAC count are that tree evaluated); a row's working shows the form for its values:
no dilation term when r = 1, no /g when g = 1.

Source: the ``Conv2d`` and ``ConvTranspose2d`` pages of the PyTorch documentation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..errors import ShapeError, SpecError
from ..floors import substitute as put_in
from ..formula import (
    Ceil,
    Floor,
    Group,
    Node,
    Quotient,
    Ref,
    Sum,
    Sym,
    Textbook,
    Written,
    plus,
    quantity,
    times,
)
from ..prose import Inline, Math, Text, bias_phrase, sizes, uniform
from ..symbols import AxisSymbols, axis_symbols, bias, d, g, k
from ._defaults import with_values, written_work
from ._relations import divides, ge, le, lt
from ._window import Reach, Refused, Window
from .base import (
    KERAS,
    KERAS_WEIGHT_KEYWORDS,
    Check,
    Expr,
    Formula,
    KerasFace,
    Layer,
    Row,
    Tensor,
    Where,
    arg,
    face,
    keras_padding,
    require,
)

__all__ = [
    "Conv",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "window",
]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _varies(values: Mapping[sympy.Basic, Expr] | None, symbol: sympy.Symbol, usual: int) -> bool:
    """Whether the written form shows ``symbol``'s term: always in the full form (no values), and
    for a row unless ``symbol`` has its usual value there (a dilation or groups of 1)."""
    return values is None or values[symbol] != usual


def window(a: AxisSymbols, dilated: bool) -> Sum:
    """W + 2·z − m, or W + 2·z − r·(m − 1) − 1 with a dilation other than 1 (the span of the padded
    input the windows slide over, shared by convolution and pooling)."""
    if not dilated:
        return plus(a.size, times(2, a.padding), ("-", a.kernel))
    spread = times(a.dilation, plus(a.kernel, ("-", 1)))
    return plus(a.size, times(2, a.padding), ("-", spread), ("-", 1))


def _textbook_kernel(axes: tuple[AxisSymbols, ...]) -> list[sympy.Symbol]:
    return [a.kernel for a in reversed(axes)]  # m (width), n (height), t: the textbook's order


def _grouped(weights: Node, values: Mapping[sympy.Basic, Expr] | None) -> Node:
    return Quotient(weights, Sym(g)) if _varies(values, g, 1) else weights


def _spread(
    kernel: list[sympy.Symbol], channels: sympy.Symbol, values: Mapping[sympy.Basic, Expr] | None
) -> list[Node]:
    """The products one element takes part in: ``m·n·d`` (or ``m·n·k`` transposed), as factors
    of a longer product, and ``(m·n·d/g)`` as one factor with groups."""
    if _varies(values, g, 1):
        return [Quotient(times(*kernel, channels), Sym(g))]
    return [Sym(symbol) for symbol in (*kernel, channels)]


def _checks_per_axis(where: Where, x: Tensor, layer: Any) -> list[Check]:
    """Groups dividing the channels, and the dilated kernel fitting in the padded input."""
    checks: list[Check] = []
    require(
        checks,
        where,
        "groups",
        divides(layer.groups, x.channels),
        lambda: f"`groups` = {layer.groups} must divide the input channels "
        f"(in_channels = {x.channels})",
    )
    require(
        checks,
        where,
        "groups",
        divides(layer.groups, layer.out_channels),
        lambda: f"`groups` = {layer.groups} must divide `out_channels` = {layer.out_channels}",
    )
    checks += layer.agree(where, "in_channels", layer.in_channels, x.channels)
    return checks


@dataclass(frozen=True, kw_only=True)
class Conv(Layer):
    """An N-d convolution with PyTorch's arguments (``torch.nn.Conv1d/2d/3d``)."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'conv'

    def work(self, row: Row) -> dict[str, Expr]:
        """Each output element sums (d/g)·(kernel volume) products, and adds one bias: the MACs
        are the textbook's tree (:meth:`textbook`) evaluated at the row."""
        book = self.textbook()
        assert book.macs is not None
        return {"macs": written_work(row, book.macs), "bias": row.activation_size * self.bias}

    in_channels: Expr | None = arg("size?", None, inferred=True)
    out_channels: Expr = arg("size")
    kernel_size: tuple[Expr, ...] = arg("sizes")
    stride: tuple[Expr, ...] = arg("sizes", 1)
    padding: tuple[Expr, ...] | str = arg("padding", 0)
    dilation: tuple[Expr, ...] = arg("sizes", 1)
    groups: Expr = arg("size", 1)
    bias: Expr = arg("bias", True)
    padding_mode: str = arg("text", "zeros")

    choices: ClassVar = {"padding_mode": PADDING_MODES}
    formula_fields: ClassVar[tuple[str, ...]] = ("tf_same",)

    def input_rank(self) -> tuple[int, ...]:
        return (self.spatial_dims + 1,)

    @property
    def tf_same(self) -> bool:
        """Keras's ``padding: same``: TensorFlow pads ``(⌈W/s⌉ − 1)·s + r·(m − 1) + 1 − W`` in
        all (the odd one on the right), so the output is ``⌈W/s⌉`` at any stride."""
        return self.convention == KERAS and self.padding == "same"

    #: Keras's Conv1D/2D/3D refuse strides > 1 with a dilation > 1 (its depthwise and separable
    #: convolutions do not)
    keras_strided_dilation: ClassVar[bool] = False

    def validate(self, where: Where) -> None:
        if self.convention == KERAS:
            if self.keras_strided_dilation:
                return
            if any(s != 1 for s in self.stride) and any(r != 1 for r in self.dilation):
                raise SpecError(
                    f"`strides` = {list(self.stride)} with `dilation_rate` = "
                    f"{list(self.dilation)}: Keras refuses strides > 1 with a dilation > 1",
                    where=where,
                    field="strides",
                )
            return
        if self.padding == "same" and any(s != 1 for s in self.stride):
            raise SpecError(
                f"`padding` = 'same' needs stride 1 on every axis, got `stride` = "
                f"{list(self.stride)} (PyTorch refuses 'same' for strided convolutions); "
                "give the padding as numbers instead",
                where=where,
                field="padding",
            )

    def padding_values(self) -> tuple[Expr, ...]:
        """Padding per axis; 'same' pads r·(m − 1)/2 on each side on average (PyTorch adds any
        odd extra on the right), which keeps the size at stride 1."""
        if self.padding == "valid":
            return (sympy.Integer(0),) * self.spatial_dims
        if self.padding == "same":
            return tuple(
                r * (m - 1) / 2 for r, m in zip(self.dilation, self.kernel_size, strict=True)
            )
        return self.padding  # type: ignore[return-value]

    mistake_families: ClassVar = ("conv",)

    def reach(self, row: Row, layout: str) -> Reach:
        """A window of the kernel, stride and dilation; 'same' starts ⌊r·(m − 1)/2⌋ before the
        input (PyTorch's left side; Keras's strided 'same' may pad one less there)."""
        left = tuple(sympy.floor(pad) for pad in self.padding_values())
        return Window(self.kernel_size, self.stride, self.dilation, left)

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        """((m·n·d/g) + bias)·k, and ⌊(W + 2·z − r·(m − 1) − 1)/s⌋ + 1 along each axis."""
        axes = axis_symbols(self.spatial_dims)
        outputs = []
        for a in axes:
            if self.tf_same:  # the Keras convention's term: TF-style 'same' at any stride
                note = "Keras's 'same' pads TF-style: W/s rounded up"
                outputs.append(Written(Ceil(Quotient(Sym(a.size), Sym(a.stride))), note))
                continue
            windows = Quotient(window(a, _varies(values, a.dilation, 1)), Sym(a.stride))
            outputs.append(Written(plus(Floor(windows), 1)))
        per_filter = _grouped(times(*_textbook_kernel(axes), d), values)
        params = times(plus(Group(per_filter), bias), k)
        # every output element (H_out·W_out·k of them) sums one filter's m·n·d/g products
        outs = [Ref(quantity(f"{a.size.name}_out")) for a in axes]
        macs = times(*outs, k, *_spread(_textbook_kernel(axes), d, values))
        return Textbook(Written(params), sizes=tuple(outputs), channels=k, macs=Written(macs))

    def formula(self, layout: str = "HWC") -> Formula:
        return self.textbook_formula(layout)

    def describe(self) -> tuple[Inline, ...]:
        pieces: list[Inline] = [*_filters(self), Text(", padding ")]
        if isinstance(self.padding, str):
            pieces.append(Text(f"'{self.padding}'"))
        else:
            pieces += uniform(self.padding)
        return (*pieces, *_conv_tail(self))

    def sheet_assumptions(self) -> tuple[str, ...]:
        return ("padding", "bias")

    def param_mistakes(self, row: Row) -> list[tuple[str, Expr]]:
        return [*super().param_mistakes(row), *_depth_mistake(row)]

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        axes = axis_symbols(self.spatial_dims)
        padding = self.padding_values()
        values: dict[Any, Expr] = {d: x.channels, k: self.out_channels, g: self.groups}
        values[bias] = self.bias
        checks = _checks_per_axis(where, x, self)
        for a, size, kernel, stride, pad, dilation in zip(
            axes, x.spatial, self.kernel_size, self.stride, padding, self.dilation, strict=True
        ):
            values.update(
                {a.size: size, a.kernel: kernel, a.stride: stride, a.padding: pad}
            )
            values[a.dilation] = dilation
            extent = dilation * (kernel - 1) + 1
            axis_name = a.size.name
            # 'same' pads r·(m − 1) in all, the odd extra on the right: that side must fit
            widest = sympy.ceiling(pad)
            given = f"'same' (up to {widest} on a side)" if self.padding == "same" else widest
            require(
                checks,
                where,
                "kernel_size",
                ge(size + 2 * pad, extent),
                lambda: f"`kernel_size` = {list(self.kernel_size)}: the kernel spans {extent} "
                f"along {axis_name}, more than the padded input ({size} + 2·{pad} = "
                f"{size + 2 * pad})",
                ShapeError,
            )
            if self.padding_mode == "reflect":
                checks.append(
                    Check(
                        where,
                        "padding",
                        lt(widest, size),
                        f"`padding` = {given} with padding_mode 'reflect' must be smaller than "
                        f"the input size {size} along {axis_name}",
                        ShapeError,
                    )
                )
            elif self.padding_mode == "circular":
                checks.append(
                    Check(
                        where,
                        "padding",
                        le(widest, size),
                        f"`padding` = {given} with padding_mode 'circular' must be at most the "
                        f"input size {size} along {axis_name}",
                        ShapeError,
                    )
                )
        return values, checks


@dataclass(frozen=True, kw_only=True)
class ConvTranspose(Layer):
    """An N-d transposed convolution (``torch.nn.ConvTranspose1d/2d/3d``)."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'conv_transpose'

    def work(self, row: Row) -> dict[str, Expr]:
        """Each input element is spread over (k/g)·(kernel volume) outputs; one bias per output
        element. The MACs are the textbook's tree (:meth:`textbook`) evaluated at the row."""
        book = self.textbook()
        assert book.macs is not None
        return {"macs": written_work(row, book.macs), "bias": row.activation_size * self.bias}

    in_channels: Expr | None = arg("size?", None, inferred=True)
    out_channels: Expr = arg("size")
    kernel_size: tuple[Expr, ...] = arg("sizes")
    stride: tuple[Expr, ...] = arg("sizes", 1)
    padding: tuple[Expr, ...] = arg("counts", 0)
    output_padding: tuple[Expr, ...] = arg("counts", 0)
    groups: Expr = arg("size", 1)
    bias: Expr = arg("bias", True)
    dilation: tuple[Expr, ...] = arg("sizes", 1)
    padding_mode: str = arg("text", "zeros")

    choices: ClassVar = {"padding_mode": ("zeros",)}
    formula_fields: ClassVar = ()

    def reach(self, row: Row, layout: str) -> Reach:
        return Refused(
            "spreads each input position over a window of the output, so an output position "
            "reads a varying number of input positions (the Distill recurrence covers "
            "convolutions and pooling)"
        )

    def input_rank(self) -> tuple[int, ...]:
        return (self.spatial_dims + 1,)

    mistake_families: ClassVar = ("conv_transpose",)

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        """m·n·d·k/g + bias·k, and (W − 1)·s − 2·z + r·(m − 1) + a + 1 along each axis."""
        axes = axis_symbols(self.spatial_dims)
        outputs = []
        for a in axes:
            stretched = times(plus(a.size, ("-", 1)), a.stride)
            if _varies(values, a.dilation, 1):
                spread = times(a.dilation, plus(a.kernel, ("-", 1)))
                size = plus(stretched, ("-", times(2, a.padding)), spread, a.output_padding, 1)
            else:
                size = plus(stretched, ("-", times(2, a.padding)), a.kernel, a.output_padding)
            outputs.append(Written(size))
        weights = _grouped(times(*_textbook_kernel(axes), d, k), values)
        params = plus(weights, times(bias, k))
        # every input element (H·W·d of them) is multiplied into m·n·k/g outputs
        inputs = [a.size for a in axes]
        macs = times(*inputs, d, *_spread(_textbook_kernel(axes), k, values))
        return Textbook(Written(params), sizes=tuple(outputs), channels=k, macs=Written(macs))

    def formula(self, layout: str = "HWC") -> Formula:
        return self.textbook_formula(layout)

    def describe(self) -> tuple[Inline, ...]:
        pieces: list[Inline] = [*_filters(self), Text(", padding "), *uniform(self.padding)]
        if any(a != 0 for a in self.output_padding):
            pieces += [Text(", output padding "), *uniform(self.output_padding)]
        return (*pieces, *_conv_tail(self))

    def sheet_assumptions(self) -> tuple[str, ...]:
        return ("padding", "bias")

    def param_mistakes(self, row: Row) -> list[tuple[str, Expr]]:
        return [*super().param_mistakes(row), *_depth_mistake(row)]

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        axes = axis_symbols(self.spatial_dims)
        values: dict[Any, Expr] = {d: x.channels, k: self.out_channels, g: self.groups}
        values[bias] = self.bias
        checks = _checks_per_axis(where, x, self)
        general_sizes = _general_sizes(self, x.layout)
        for position, (a, size, kernel, stride, pad, out_pad, dilation) in enumerate(zip(
            axes,
            x.spatial,
            self.kernel_size,
            self.stride,
            self.padding,
            self.output_padding,
            self.dilation,
            strict=True,
        )):
            values.update({a.size: size, a.kernel: kernel, a.stride: stride, a.padding: pad})
            values.update({a.dilation: dilation, a.output_padding: out_pad})
            checks.append(
                Check(
                    where,
                    "output_padding",
                    sympy.Or(lt(out_pad, stride), lt(out_pad, dilation)),
                    f"`output_padding` = {list(self.output_padding)} must be smaller than "
                    f"either the stride ({stride}) or the dilation ({dilation})",
                )
            )
            out = put_in(general_sizes[position], values)
            checks.append(
                Check(
                    where,
                    "padding",
                    ge(out, 1),
                    f"`padding` = {list(self.padding)} leaves an output size of {out} along "
                    f"{a.size.name}; it must be at least 1",
                    ShapeError,
                )
            )
        return values, checks


def _general_sizes(layer: Layer, layout: str) -> tuple[Expr, ...]:
    """The general output size along each spatial axis (for checks on the sizes a row will have)."""
    shape = layer.general_formula(layout).output_shape
    assert shape is not None
    return Tensor(shape, layout).spatial


def _filters(layer: Conv | ConvTranspose) -> list[Inline]:
    """``8 filters of 5 × 5, stride 1``: how convolutions' descriptions begin."""
    return [
        Math(layer.out_channels),
        Text(" filters of "),
        *sizes(layer.kernel_size),
        Text(", stride "),
        *uniform(layer.stride),
    ]


def _conv_tail(layer: Conv | ConvTranspose) -> list[Inline]:
    """What convolutions state after their padding: dilation and groups when not 1, the bias."""
    pieces: list[Inline] = []
    if any(r != 1 for r in layer.dilation):
        pieces += [Text(", dilation "), *uniform(layer.dilation)]
    if layer.groups != 1:
        pieces += [Text(", groups "), Math(layer.groups)]
    return [*pieces, *bias_phrase(layer.bias)]


def _depth_mistake(row: Row) -> list[tuple[str, Expr]]:
    """Each filter spans all d input channels; a count without them is a common mistake."""
    if row.values.get(d) == 1:
        return []
    return [("forgetting the input depth d", with_values(row, row.formula.params, {d: 1}))]


Conv1d = face(Conv, 1, "Conv1d")
Conv2d = face(Conv, 2, "Conv2d")
Conv3d = face(Conv, 3, "Conv3d")
ConvTranspose1d = face(ConvTranspose, 1, "ConvTranspose1d")
ConvTranspose2d = face(ConvTranspose, 2, "ConvTranspose2d")
ConvTranspose3d = face(ConvTranspose, 3, "ConvTranspose3d")


_KERAS_CONV_KEYWORDS = {
    "filters": "out_channels",
    "kernel_size": "kernel_size",
    "strides": "stride",
    "padding": "padding",
    "dilation_rate": "dilation",
    "groups": "groups",
    "use_bias": "bias",
}


def _keras_conv(
    name: str, layer: type[Layer], keywords: Mapping[str, str], torch: str = ""
) -> KerasFace:
    initializers = (
        *KERAS_WEIGHT_KEYWORDS,
        *(f"{part}_{kind}" for part in ("depthwise", "pointwise")
          for kind in ("initializer", "regularizer", "constraint")),
    )
    return KerasFace(
        name,
        layer,
        keywords,
        convert={"padding": keras_padding},
        defaults={"padding": "valid"},
        ignored=initializers,
        required=("kernel_size", *(("filters",) if "filters" in keywords else ())),
        torch=torch,
    )


#: Keras's names for these layers (``convention: keras``; see :mod:`symcnn.layers.keras`)
KERAS_FACES = (
    _keras_conv("Conv1D", Conv1d, _KERAS_CONV_KEYWORDS),
    _keras_conv("Conv2D", Conv2d, _KERAS_CONV_KEYWORDS),
    _keras_conv("Conv3D", Conv3d, _KERAS_CONV_KEYWORDS),
)
