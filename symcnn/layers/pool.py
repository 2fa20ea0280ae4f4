"""Pooling: max, average and adaptive pooling in 1, 2 and 3 spatial dimensions. No parameters.

Output size along one axis (stride s defaults to the kernel size m)::

    ⌊(W + 2z − r(m − 1) − 1)/s⌋ + 1                      ceil_mode=False
    ⌈(W + 2z − r(m − 1) − 1)/s⌉ + 1, minus 1 when the last window would start in the right
    padding, that is when (⌈…⌉)·s ≥ W + z                ceil_mode=True

Average pooling has no dilation (r = 1). PyTorch refuses padding larger than half the kernel,
and AvgPool3d (only it) a kernel larger than the input before padding.
Adaptive pooling gives the requested ``output_size`` whatever the input size.
The size formula is written once, as the tree of :meth:`_Pool.textbook`; a row's working shows the
branch its values take (the last-window note in ceil mode).

Source: the ``MaxPool2d``, ``AvgPool2d`` and ``AdaptiveAvgPool2d`` pages of the PyTorch
documentation, and ``pooling_output_shape`` and ``pool3d_shape_check`` in ATen's ``Pool.h``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..errors import ShapeError, SpecError
from ..floors import ceil_mode_size
from ..floors import substitute as put_in
from ..formula import (
    Ceil,
    Floor,
    Group,
    Otherwise,
    Quotient,
    Sym,
    Textbook,
    Written,
    because,
    evaluate,
    plus,
    substitute,
    times,
)
from ..prose import Inline, Math, Text, sizes, uniform
from ..symbols import AxisSymbols, axis_symbols, d
from ._relations import ge, le
from ._window import WHOLE, Reach, Refused, Window
from .base import (
    ZERO,
    Check,
    Expr,
    Formula,
    KerasFace,
    Layer,
    Row,
    Tensor,
    Where,
    arg,
    arrange,
    face,
    require,
)
from .conv import _general_sizes, _varies, window

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "GlobalPool",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
]


NOTHING_TO_LEARN = "pooling has nothing to learn"
DROPPED = "the last window would start in the padding, so it is dropped"


def _size(
    a: AxisSymbols, ceil_mode: bool, values: Mapping[sympy.Basic, Expr] | None
) -> Written:
    """PyTorch's ``pooling_output_shape`` along one axis: ⌊…/s⌋ + 1; in ceil mode ⌈…/s⌉ + 1, less
    1 when the last window would start in the right padding, that is when ⌈…/s⌉·s ≥ W + z."""
    windows = Quotient(window(a, _varies(values, a.dilation, 1)), Sym(a.stride))
    if not ceil_mode:
        return Written(plus(Floor(windows), 1))
    kept = plus(Ceil(windows), 1)
    dropped = plus(Ceil(windows), 1, ("-", 1))
    start, end = times(Group(dropped), a.stride), plus(a.size, a.padding)
    if values is None:
        return Written(Otherwise(dropped, start, end, kept))
    last_start, last_end = (evaluate(substitute(node, values)) for node in (start, end))
    if ge(last_start, last_end) is sympy.true:
        return Written(dropped, DROPPED)
    return Written(kept)


@dataclass(frozen=True, kw_only=True)
class _Pool(Layer):
    kernel_size: tuple[Expr, ...] = arg("sizes")
    stride: tuple[Expr, ...] | None = arg("sizes?", None)
    padding: tuple[Expr, ...] = arg("counts", 0)
    ceil_mode: bool = arg("bool", False)
    #: Keras's ``padding: same`` (TF-style: ⌈W/s⌉ whatever the window); Keras's ``valid`` is 0
    same: bool = arg("bool", False, convention="keras")

    formula_fields: ClassVar = ("ceil_mode", "same")
    mistake_families: ClassVar = ("pool", "window_pool")
    #: the kind of pooling, as a description names it
    kind: ClassVar[str] = ""

    def input_rank(self) -> tuple[int, ...]:
        return (self.spatial_dims + 1,)

    def dilations(self) -> tuple[Expr, ...]:
        return (sympy.Integer(1),) * self.spatial_dims

    def strides(self) -> tuple[Expr, ...]:
        return self.kernel_size if self.stride is None else self.stride

    def reach(self, row: Row, layout: str) -> Reach:
        """A window, as a convolution's (ceil mode adds a last window, not a wider one)."""
        return Window(self.kernel_size, self.strides(), self.dilations(), self.padding)

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        axes = axis_symbols(self.spatial_dims)
        if self.same:  # the Keras convention's term: TF-style 'same' padding
            note = "Keras's 'same' pads TF-style: W/s rounded up"
            outputs = tuple(Written(Ceil(Quotient(Sym(a.size), Sym(a.stride))), note) for a in axes)
        else:
            outputs = tuple(_size(a, self.ceil_mode, values) for a in axes)
        return Textbook(because(NOTHING_TO_LEARN), sizes=outputs, channels=d)

    def formula(self, layout: str = "HWC") -> Formula:
        """The textbook's trees evaluated; in ceil mode each size is the one floor the
        last-window rule comes to (:func:`symcnn.floors.ceil_mode_size`), equal to the textbook's
        ``⌈…⌉ + 1`` less the dropped window, so that it composes like a floor-mode size."""
        formula = self.textbook_formula(layout)
        if not self.ceil_mode:
            return formula
        assert formula.output_shape is not None
        collapsed = [
            ceil_mode_size(a.size, a.padding, a.dilation * (a.kernel - 1) + 1, a.stride)
            for a in axis_symbols(self.spatial_dims)
        ]
        shape = arrange(d, collapsed, layout)
        return Formula(formula.params, formula.buffers, shape, formula.extra)

    def describe(self) -> tuple[Inline, ...]:
        pieces: list[Inline] = [
            Text(f"{self.kind} pooling, window ".lstrip()),
            *sizes(self.kernel_size),
            Text(", stride "),
            *uniform(self.strides()),
        ]
        if any(z != 0 for z in self.padding):
            pieces += [Text(", padding "), *uniform(self.padding)]
        if any(r != 1 for r in self.dilations()):
            pieces += [Text(", dilation "), *uniform(self.dilations())]
        if self.ceil_mode:
            pieces.append(Text(", rounding up (ceil mode)"))
        return tuple(pieces)

    def sheet_assumptions(self) -> tuple[str, ...]:
        stride = ("pooling_stride",) if self.stride is None else ()
        return ("padding", *stride, "pooling")

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        values: dict[Any, Expr] = {d: x.channels}
        checks: list[Check] = []
        general_sizes = _general_sizes(self, x.layout)
        for position, (a, size, kernel, stride, pad, dilation) in enumerate(zip(
            axis_symbols(self.spatial_dims),
            x.spatial,
            self.kernel_size,
            self.strides(),
            self.padding,
            self.dilations(),
            strict=True,
        )):
            values.update({a.size: size, a.kernel: kernel, a.stride: stride, a.padding: pad})
            values[a.dilation] = dilation
            require(
                checks,
                where,
                "padding",
                le(pad, sympy.floor(kernel / 2)),
                lambda: f"`padding` = {list(self.padding)} must be at most half the kernel size "
                f"({kernel} // 2 = {sympy.floor(kernel / 2)}) along {a.size.name}",
            )
            out = put_in(general_sizes[position], values)
            require(
                checks,
                where,
                "kernel_size",
                ge(out, 1),
                lambda: f"`kernel_size` = {list(self.kernel_size)} gives an output size of {out} "
                f"along {a.size.name} for an input of size {size}: the window does not fit",
                ShapeError,
            )
        return values, checks


@dataclass(frozen=True, kw_only=True)
class MaxPool(_Pool):
    """N-d max pooling (``torch.nn.MaxPool1d/2d/3d``)."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'max_pool'

    dilation: tuple[Expr, ...] = arg("sizes", 1)
    return_indices: bool = arg("bool", False)

    kind: ClassVar = "max"

    def dilations(self) -> tuple[Expr, ...]:
        return self.dilation


@dataclass(frozen=True, kw_only=True)
class AvgPool(_Pool):
    """N-d average pooling (``torch.nn.AvgPool1d/2d/3d``)."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'avg_pool'

    count_include_pad: bool = arg("bool", True)

    kind: ClassVar = "average"

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        values, checks = super().bind_values(x, where)
        if self.spatial_dims == 3 and not self.same:
            # ATen's avg_pool3d alone asks pool3d_shape_check for check_input_size: the kernel
            # must fit in the input before padding, whatever the padding
            checks += [
                Check(
                    where,
                    "kernel_size",
                    ge(size, kernel),
                    f"`kernel_size` = {list(self.kernel_size)} is larger than the input "
                    f"({size}) along {a.size.name}; AvgPool3d needs the kernel to fit in the "
                    "input without its padding",
                    ShapeError,
                )
                for a, size, kernel in zip(
                    axis_symbols(3), x.spatial, self.kernel_size, strict=True
                )
            ]
        return values, checks


@dataclass(frozen=True, kw_only=True)
class AvgPoolWithDivisor(AvgPool):
    divisor_override: Expr | None = arg("size?", None)


@dataclass(frozen=True, kw_only=True)
class AdaptivePool(Layer):
    """N-d adaptive pooling: the output size is given; ``None`` keeps the input's size."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'adaptive_avg_pool'

    output_size: tuple[Expr | None, ...] = arg("shape?")

    mistake_families: ClassVar = ("pool",)
    kind: ClassVar[str] = "average"

    def input_rank(self) -> tuple[int, ...]:
        return (self.spatial_dims + 1,)

    def validate(self, where: Where) -> None:
        if self.spatial_dims == 1 and None in self.output_size:
            raise SpecError(
                f"`output_size` = {[None]}: {self.torch_name} needs a size (PyTorch keeps an "
                "axis's size with None only in 2-d and 3-d adaptive pooling)",
                where=where,
                field="output_size",
            )

    def formula(self, layout: str = "HWC") -> Formula:
        # adaptive pooling has no size formula: the output sizes are the arguments themselves
        spatial = [
            a.size if size is None else size
            for a, size in zip(axis_symbols(self.spatial_dims), self.output_size, strict=True)
        ]
        return Formula(params=ZERO, output_shape=arrange(d, spatial, layout))

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        outputs = tuple(
            because("kept from the input" if size is None else "set by output_size")
            for size in self.output_size
        )
        return Textbook(because(NOTHING_TO_LEARN), sizes=outputs, channels=d)

    def describe(self) -> tuple[Inline, ...]:
        pieces: list[Inline] = [Text(f"adaptive {self.kind} pooling to ")]
        for position, size in enumerate(self.output_size):
            pieces += [Text(" × ")] * bool(position)
            pieces.append(Text("the input's") if size is None else Math(size))
        return tuple(pieces)

    def sheet_assumptions(self) -> tuple[str, ...]:
        return ("pooling",)

    def reach(self, row: Row, layout: str) -> Reach:
        """To size 1: the whole input; to a size that divides the input's: a window of
        in/out, stride in/out (PyTorch's bins are then equal); otherwise bins of varying size."""
        inputs = Tensor(row.input_shape, layout).spatial
        outputs = Tensor(row.output_shape, layout).spatial
        if all(out == 1 for out in outputs):
            return WHOLE
        steps = [size / out for size, out in zip(inputs, outputs, strict=True)]
        if all(step.is_Integer for step in steps):
            ones = (sympy.Integer(1),) * len(steps)
            return Window(tuple(steps), tuple(steps), ones, (sympy.Integer(0),) * len(steps))
        return Refused(
            f"pools {list(inputs)} to {list(outputs)} in bins of varying size (a receptive "
            "field needs the output size to divide the input's, or to be 1)"
        )

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        values: dict[Any, Expr] = {d: x.channels}
        for a, size in zip(axis_symbols(self.spatial_dims), x.spatial, strict=True):
            values[a.size] = size
        return values, []


@dataclass(frozen=True, kw_only=True)
class AdaptiveMaxPool(AdaptivePool):
    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'adaptive_max_pool'

    return_indices: bool = arg("bool", False)

    kind: ClassVar = "max"


MaxPool1d = face(MaxPool, 1, "MaxPool1d")
MaxPool2d = face(MaxPool, 2, "MaxPool2d")
MaxPool3d = face(MaxPool, 3, "MaxPool3d")
AvgPool1d = face(AvgPool, 1, "AvgPool1d")
AvgPool2d = face(AvgPoolWithDivisor, 2, "AvgPool2d")
AvgPool3d = face(AvgPoolWithDivisor, 3, "AvgPool3d")
AdaptiveAvgPool1d = face(AdaptivePool, 1, "AdaptiveAvgPool1d")
AdaptiveAvgPool2d = face(AdaptivePool, 2, "AdaptiveAvgPool2d")
AdaptiveAvgPool3d = face(AdaptivePool, 3, "AdaptiveAvgPool3d")
AdaptiveMaxPool1d = face(AdaptiveMaxPool, 1, "AdaptiveMaxPool1d")
AdaptiveMaxPool2d = face(AdaptiveMaxPool, 2, "AdaptiveMaxPool2d")
AdaptiveMaxPool3d = face(AdaptiveMaxPool, 3, "AdaptiveMaxPool3d")


@dataclass(frozen=True, kw_only=True)
class GlobalPool(Layer):
    """Keras's global pooling (``GlobalAveragePooling2D``...): one value per channel, of shape
    ``(C,)``, or ``keepdims`` the spatial axes as 1s. PyTorch writes it as adaptive pooling to 1
    and a flatten."""

    keepdims: bool = arg("bool", False)

    kind: ClassVar[str] = "average"
    formula_fields: ClassVar = ("keepdims",)
    mistake_families: ClassVar = ("pool",)

    def reach(self, row: Row, layout: str) -> Reach:
        return WHOLE

    def input_rank(self) -> tuple[int, ...]:
        return (self.spatial_dims + 1,)

    def formula(self, layout: str = "HWC") -> Formula:
        ones = (sympy.Integer(1),) * self.spatial_dims
        shape = arrange(d, ones, layout) if self.keepdims else (d,)
        return Formula(params=ZERO, output_shape=shape)

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        return Textbook(because(NOTHING_TO_LEARN))

    def describe(self) -> tuple[Inline, ...]:
        return (Text(f"global {self.kind} pooling: one value per channel"),)

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        return {d: x.channels}, []


@dataclass(frozen=True, kw_only=True)
class GlobalMaxPool(GlobalPool):
    kind: ClassVar = "max"


def _keras_pool(name: str, layer: type[Layer]) -> KerasFace:
    # Keras's max pooling's pool_size defaults to 2, average pooling's must be given; strides
    # default to pool_size in both
    maximum = name.startswith("Max")
    return KerasFace(
        name,
        layer,
        {"pool_size": "kernel_size", "strides": "stride", "padding": "same"},
        convert={"padding": _keras_same},
        defaults={"kernel_size": 2} if maximum else {},
        ignored=("data_format",),
        required=() if maximum else ("pool_size",),
    )


def _keras_same(value: Any, where: Where) -> bool:
    if isinstance(value, str) and value.strip().lower() in ("same", "valid"):
        return value.strip().lower() == "same"
    raise SpecError(
        f"`padding` = {value!r}: Keras's pooling padding is 'valid' or 'same'",
        where=where,
        field="padding",
    )


def _global(name: str, layer: type[Layer], dims: int) -> KerasFace:
    adaptive = "AdaptiveMaxPool" if layer is GlobalMaxPool else "AdaptiveAvgPool"
    return KerasFace(
        name,
        face(layer, dims, name),
        {"keepdims": "keepdims"},
        ignored=("data_format",),
        torch=f"{adaptive}{dims}d with output_size 1, then Flatten",
    )


#: Keras's names for these layers (``convention: keras``; see :mod:`symcnn.layers.keras`)
KERAS_FACES = (
    _keras_pool("MaxPooling1D", MaxPool1d),
    _keras_pool("MaxPooling2D", MaxPool2d),
    _keras_pool("MaxPooling3D", MaxPool3d),
    _keras_pool("AveragePooling1D", AvgPool1d),
    _keras_pool("AveragePooling2D", AvgPool2d),
    _keras_pool("AveragePooling3D", AvgPool3d),
    *(
        _global(f"Global{kind}Pooling{dims}D", layer, dims)
        for kind, layer in (("Average", GlobalPool), ("Max", GlobalMaxPool))
        for dims in (1, 2, 3)
    ),
)
