"""Padding layers: zero, constant, reflection, replication and circular padding. No parameters.

``padding`` is an int (every side of every spatial axis) or PyTorch's tuple: pairs from the last
spatial axis backwards, ``(left, right, top, bottom, front, back)``. Along a padded axis::

    size_out = size + left + right

Zero and constant padding take any number of pairs (none pads nothing; a negative value crops);
the other modes pad all the layer's spatial axes. One pair more than the spatial axes pads the
channel axis too, as in PyTorch; a pair more again would pad the batch axis and is refused.
PyTorch's refusals hold: an odd number of values; reflection padding at least the input's size on
that axis; circular padding more than the input's size (it would wrap around more than once);
zero, constant and circular negative sides that crop more than the whole axis; an output size
below 1. (PyTorch 2.13 lets some over-cropping circular paddings through, with results made of
wrapped slice indices; symcnn refuses them all.)

The input is one example of rank spatial axes + 1, channels and spatial axes. In ``CHW`` the
spatial axes are the last ones, as in PyTorch; in ``HWC`` the first ones, padded in the same order
(the last spatial axis first).

Source: PyTorch's ``ZeroPad2d``, ``ConstantPad2d``, ``ReflectionPad2d``, ``ReplicationPad2d`` and
``CircularPad2d`` pages, and ``torch.nn.functional.pad``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..errors import ShapeError, SpecError
from ._relations import ge, le, lt
from ._window import Reach, Window
from .base import Check, Expr, KerasFace, Row, Tensor, Where, arg, face, format_shape, require
from .shape import Rearranging, Shape

__all__ = [
    "CircularPad1d",
    "CircularPad2d",
    "CircularPad3d",
    "ConstantPad1d",
    "ConstantPad2d",
    "ConstantPad3d",
    "ReflectionPad1d",
    "ReflectionPad2d",
    "ReflectionPad3d",
    "ReplicationPad1d",
    "ReplicationPad2d",
    "ReplicationPad3d",
    "ZeroPad1d",
    "ZeroPad2d",
    "ZeroPad3d",
]

#: what each side of an axis is called, from the last spatial axis backwards
_SIDES = ("left", "right", "top", "bottom", "front", "back", "first", "last")


@dataclass(frozen=True, kw_only=True)
class Pad(Rearranging):
    """N-d padding; ``mode`` is PyTorch's ``F.pad`` mode."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'pad'

    padding: Expr | Shape = arg("integers")

    mode: ClassVar[str] = "constant"
    #: whether PyTorch crops the negative sides off the input before padding (constant and
    #: circular), so that they may not remove more than the whole axis
    crops_first: ClassVar[bool] = True

    def input_rank(self) -> tuple[int, ...]:
        return (self.spatial_dims + 1,)

    def pads(self) -> Shape:
        """The padding as PyTorch's flat tuple: an int is every side of every spatial axis."""
        if isinstance(self.padding, tuple):
            return self.padding
        return (self.padding,) * (2 * self.spatial_dims)

    def reach(self, row: Row, layout: str) -> Reach:
        """Each position reads one input position (a window of 1) shifted by the padding
        before it (PyTorch's pairs run from the last axis back)."""
        pads, dims = self.pads(), self.spatial_dims
        pairs = [dims - 1 - axis for axis in range(dims)]
        left = tuple(pads[2 * p] if 2 * p < len(pads) else sympy.Integer(0) for p in pairs)
        ones = (sympy.Integer(1),) * dims
        return Window(ones, ones, ones, left)

    def validate(self, where: Where) -> None:
        pads = self.pads()
        shown = format_shape(pads)
        count = len(pads)
        if count % 2:
            raise SpecError(
                f"`padding` = {shown}: needs pairs of values (left, right, top, "
                f"bottom, front, back), got {count}",
                where=where,
                field="padding",
            )
        dims = self.spatial_dims
        pairs = count // 2
        # reflect, replicate and circular pad at most 3 axes: a 3-d one cannot pad the channels
        allowed = (dims,) if dims == 3 else (dims, dims + 1)
        if self.mode != "constant" and pairs not in allowed:
            raise SpecError(
                f"`padding` = {shown}: {self.torch_name} pads the {dims} spatial "
                f"ax{'es' if dims > 1 else 'is'}, so it needs {2 * dims} values (or "
                f"{2 * dims + 2}, which also pad the channels), got {count}",
                where=where,
                field="padding",
            )
        if pairs > dims + 1:
            raise SpecError(
                f"`padding` = {shown}: {pairs} pairs would pad the batch axis; "
                f"{self.torch_name} takes at most {2 * dims + 2} values (the spatial axes and "
                "the channels)",
                where=where,
                field="padding",
            )

    def output(self, x: Tensor, where: Where) -> tuple[Shape, list[Check]]:
        pads = self.pads()
        channel = x.rank - 1 if x.layout == "HWC" else 0
        # PyTorch's axis order (channels, then the spatial axes), the last axis padded first
        order = [channel, *(index for index in range(x.rank) if index != channel)]
        shape = list(x.shape)
        checks: list[Check] = []
        shown = format_shape(pads) if isinstance(self.padding, tuple) else str(self.padding)
        for pair in range(len(pads) // 2):
            index = order[-1 - pair]
            size = x.shape[index]
            low, high = pads[2 * pair], pads[2 * pair + 1]
            axis = f"axis {index} of the input {format_shape(x.shape)}"
            for side, pad, other in (
                (_SIDES[2 * pair], low, high),
                (_SIDES[2 * pair + 1], high, low),
            ):
                # circular padding wraps around what is left once the other side has cropped
                left = size + sympy.Min(other, 0) if self.mode == "circular" else size
                self._side_checks(checks, where, side, pad, left, axis, shown)
            if self.crops_first:
                kept = size + sympy.Min(low, 0) + sympy.Min(high, 0)
                require(
                    checks,
                    where,
                    "padding",
                    ge(kept, 0),
                    lambda: (
                        f"`padding` = {shown} crops more than the input's size ({size}) "
                        f"along {axis}; the negative sides may remove at most the whole axis"
                    ),
                    ShapeError,
                )
            out = size + low + high
            require(
                checks,
                where,
                "padding",
                ge(out, 1),
                lambda: (
                    f"`padding` = {shown} gives an output size of {out} along {axis} (size "
                    f"{size}); it must be at least 1"
                ),
                ShapeError,
            )
            shape[index] = out
        return tuple(shape), checks

    def _side_checks(
        self,
        checks: list[Check],
        where: Where,
        side: str,
        pad: Expr,
        size: Expr,
        axis: str,
        shown: str,
    ) -> None:
        """The mode's limit on one side's padding (none for zero, constant and replicate)."""


@dataclass(frozen=True, kw_only=True)
class ZeroPad(Pad):
    """N-d zero padding (``torch.nn.ZeroPad1d/2d/3d``)."""


@dataclass(frozen=True, kw_only=True)
class ConstantPad(Pad):
    """N-d padding with a constant ``value`` (``torch.nn.ConstantPad1d/2d/3d``)."""

    value: float = arg("number")


@dataclass(frozen=True, kw_only=True)
class ReflectionPad(Pad):
    """N-d reflection padding (``torch.nn.ReflectionPad1d/2d/3d``): each side below the size."""

    mode: ClassVar[str] = "reflect"
    crops_first: ClassVar[bool] = False

    def _side_checks(
        self,
        checks: list[Check],
        where: Where,
        side: str,
        pad: Expr,
        size: Expr,
        axis: str,
        shown: str,
    ) -> None:
        require(
            checks,
            where,
            "padding",
            lt(pad, size),
            lambda: (
                f"`padding` = {shown}: reflection padding ({side} {pad}) must be less than "
                f"the input's size ({size}) along {axis}"
            ),
            ShapeError,
        )


@dataclass(frozen=True, kw_only=True)
class ReplicationPad(Pad):
    """N-d replication padding (``torch.nn.ReplicationPad1d/2d/3d``)."""

    mode: ClassVar[str] = "replicate"
    crops_first: ClassVar[bool] = False


@dataclass(frozen=True, kw_only=True)
class CircularPad(Pad):
    """N-d circular padding (``torch.nn.CircularPad1d/2d/3d``): each side at most the size."""

    mode: ClassVar[str] = "circular"

    def _side_checks(
        self,
        checks: list[Check],
        where: Where,
        side: str,
        pad: Expr,
        size: Expr,
        axis: str,
        shown: str,
    ) -> None:
        require(
            checks,
            where,
            "padding",
            le(pad, size),
            lambda: (
                f"`padding` = {shown}: circular padding ({side} {pad}) would wrap around "
                f"more than once; it must be at most the input's size ({size}) along {axis}"
            ),
            ShapeError,
        )


ZeroPad1d = face(ZeroPad, 1, "ZeroPad1d")
ZeroPad2d = face(ZeroPad, 2, "ZeroPad2d")
ZeroPad3d = face(ZeroPad, 3, "ZeroPad3d")
ConstantPad1d = face(ConstantPad, 1, "ConstantPad1d")
ConstantPad2d = face(ConstantPad, 2, "ConstantPad2d")
ConstantPad3d = face(ConstantPad, 3, "ConstantPad3d")
ReflectionPad1d = face(ReflectionPad, 1, "ReflectionPad1d")
ReflectionPad2d = face(ReflectionPad, 2, "ReflectionPad2d")
ReflectionPad3d = face(ReflectionPad, 3, "ReflectionPad3d")
ReplicationPad1d = face(ReplicationPad, 1, "ReplicationPad1d")
ReplicationPad2d = face(ReplicationPad, 2, "ReplicationPad2d")
ReplicationPad3d = face(ReplicationPad, 3, "ReplicationPad3d")
CircularPad1d = face(CircularPad, 1, "CircularPad1d")
CircularPad2d = face(CircularPad, 2, "CircularPad2d")
CircularPad3d = face(CircularPad, 3, "CircularPad3d")


def _keras_pads(dims: int) -> Any:
    """Keras's ``padding`` of ZeroPadding1D/2D/3D (an int, one int per axis, or a (before, after)
    pair per axis, in the axes' order) as PyTorch's flat tuple, last axis first."""

    def convert(value: Any, where: Where) -> Any:
        items = value if isinstance(value, list | tuple) else [value] * dims
        if dims == 1 and isinstance(value, list | tuple):
            items = [value]  # ZeroPadding1D's (left, right) is the one axis's pair
        if len(items) != dims:
            raise SpecError(
                f"`padding` = {value!r}: Keras's ZeroPadding{dims}D takes an int, {dims} ints or "
                f"{dims} (before, after) pairs",
                where=where,
                field="padding",
            )
        pairs = []
        for item in items:
            pair = item if isinstance(item, list | tuple) else [item, item]
            if len(pair) != 2:
                raise SpecError(
                    f"`padding` = {value!r}: each axis takes (before, after)",
                    where=where,
                    field="padding",
                )
            pairs.append(list(pair))
        return [side for pair in reversed(pairs) for side in pair]

    return convert


#: Keras's names for these layers (``convention: keras``; see :mod:`symcnn.layers.keras`)
KERAS_FACES = tuple(
    KerasFace(
        f"ZeroPadding{dims}D",
        layer,
        {"padding": "padding"},
        convert={"padding": _keras_pads(dims)},
        defaults={"padding": 1},
        ignored=("data_format",),
    )
    for dims, layer in ((1, ZeroPad1d), (2, ZeroPad2d), (3, ZeroPad3d))
)
