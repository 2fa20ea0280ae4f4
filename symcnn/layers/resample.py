"""Resampling: upsampling by interpolation, pixel (un)shuffle and channel shuffle. No parameters.

``Upsample`` gives every spatial axis the ``size`` asked for, or ``⌊size·scale_factor⌋`` (a float
scale is kept exact as written: 1.5 is 3/2); exactly one of the two is given. Modes ``linear``,
``bilinear``/``bicubic`` and ``trilinear`` need 1, 2 and 3 spatial axes; ``nearest``,
``nearest-exact`` and ``area`` take any of 1 to 3, and only the interpolating modes take
``align_corners``. ``UpsamplingNearest2d`` and ``UpsamplingBilinear2d`` are ``Upsample`` with the
mode fixed (``bilinear`` with ``align_corners=True``).

``PixelShuffle`` with upscale factor r takes ``(C·r², H, W)`` to ``(C, H·r, W·r)``;
``PixelUnshuffle`` undoes it (H and W divisible by r). ``ChannelShuffle`` keeps the shape;
``groups`` must divide the channels.

Source: PyTorch's ``Upsample``, ``UpsamplingNearest2d``, ``UpsamplingBilinear2d``,
``PixelShuffle``, ``PixelUnshuffle`` and ``ChannelShuffle`` pages, and
``torch.nn.functional.interpolate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import sympy

from ..errors import ShapeError, SpecError
from ..floors import round_of
from ._relations import divides, ge
from ._window import Reach, Refused
from .base import Check, Expr, KerasFace, Row, Tensor, Where, arg, format_shape, require
from .shape import Rearranging, Shape

__all__ = [
    "ChannelShuffle",
    "PixelShuffle",
    "PixelUnshuffle",
    "Upsample",
    "UpsamplingBilinear2d",
    "UpsamplingNearest2d",
]

#: example ranks (channels + spatial axes) each interpolation mode takes
MODE_RANKS: dict[str, tuple[int, ...]] = {
    "nearest": (2, 3, 4),
    "nearest-exact": (2, 3, 4),
    "area": (2, 3, 4),
    "linear": (2,),
    "bilinear": (3,),
    "bicubic": (3,),
    "trilinear": (4,),
}
#: the modes that take ``align_corners``
INTERPOLATING = ("linear", "bilinear", "bicubic", "trilinear")


def _per_axis(where: Where, name: str, value: Expr | Shape, x: Tensor) -> Shape:
    """An int broadcasts to every spatial axis; a list needs one value per axis."""
    count = len(x.spatial)
    if not isinstance(value, tuple):
        return (value,) * count
    if len(value) != count:
        raise ShapeError(
            f"`{name}` = {format_shape(value)} needs {count} value{'s' * (count != 1)}, one per "
            f"spatial axis of the input {format_shape(x.shape)}",
            where=where,
            field=name,
        )
    return value


@dataclass(frozen=True, kw_only=True)
class _Resize(Rearranging):
    """Resizing by interpolation: a ``size`` or a ``scale_factor`` per spatial axis."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'upsample'

    def reach(self, row: Row, layout: str) -> Reach:
        return Refused(
            "resizes: it maps output positions to input positions at a fractional stride (the "
            "Distill recurrence needs integer strides), so no one window describes it"
        )

    size: Expr | Shape | None = arg("extents", None)
    scale_factor: Expr | Shape | None = arg("scales", None)

    #: the interpolation mode of the faces that fix it
    fixed_mode: ClassVar[str] = "nearest"

    def interpolation(self) -> str:
        return self.fixed_mode

    def __post_init__(self) -> None:
        # PyTorch keeps `float(scale_factor) if scale_factor else None`: a scale of 0 is no scale
        if not isinstance(self.scale_factor, tuple) and self.scale_factor == 0:
            object.__setattr__(self, "scale_factor", None)

    def validate(self, where: Where) -> None:
        if self.size is not None and self.scale_factor is not None:
            raise SpecError(
                "give `size` or `scale_factor`, not both (PyTorch takes only one)",
                where=where,
                field="scale_factor",
            )
        if self.size is None and self.scale_factor is None:
            raise SpecError(
                f"{self.torch_name} needs `size` (the output's spatial sizes) or `scale_factor`",
                where=where,
                field="size",
            )
        if self.size is not None:
            sizes = self.size if isinstance(self.size, tuple) else (self.size,)
            for size in sizes:
                if size.is_number and size < 1:
                    raise SpecError(
                        f"`size` = {format_shape(sizes) if isinstance(self.size, tuple) else size}"
                        ": output sizes must be positive integers",
                        where=where,
                        field="size",
                    )

    def output(self, x: Tensor, where: Where) -> tuple[Shape, list[Check]]:
        mode = self.interpolation()
        ranks = MODE_RANKS[mode]
        if x.rank not in ranks:
            needs = " or ".join(str(rank) for rank in ranks)
            raise ShapeError(
                f"`mode` = {mode!r} needs an input of rank {needs} (channels and "
                f"{' or '.join(str(rank - 1) for rank in ranks)} spatial axes, no batch axis), "
                f"got shape {format_shape(x.shape)} of rank {x.rank}",
                where=where,
                field="mode" if len(ranks) == 1 else "input",
            )
        checks: list[Check] = []
        if self.size is not None:
            spatial = _per_axis(where, "size", self.size, x)
            name = "size"
        else:
            assert self.scale_factor is not None
            scales = _per_axis(where, "scale_factor", self.scale_factor, x)
            spatial = tuple(
                # through the floor normal form: upsampling a rounded size keeps it one floor
                round_of(sympy.floor, size * scale)
                for size, scale in zip(x.spatial, scales, strict=True)
            )
            name = "scale_factor"
        for size, out in zip(x.spatial, spatial, strict=True):
            require(
                checks,
                where,
                name,
                ge(out, 1),
                lambda: (
                    f"`{name}` = {getattr(self, name)} gives an output size of {out} for an "
                    f"input size of {size}; it must be at least 1"
                ),
                ShapeError,
            )
        return x.with_channels(x.channels, spatial).shape, checks


@dataclass(frozen=True, kw_only=True)
class Upsample(_Resize):
    """Upsampling by interpolation (``torch.nn.Upsample``)."""

    torch_name = "Upsample"

    mode: str = arg("text", "nearest")
    align_corners: bool | None = arg("bool", None)
    recompute_scale_factor: bool | None = arg("bool", None)

    choices: ClassVar = {"mode": tuple(MODE_RANKS)}

    def interpolation(self) -> str:
        return self.mode

    def validate(self, where: Where) -> None:
        super().validate(where)
        if self.align_corners is not None and self.mode not in INTERPOLATING:
            raise SpecError(
                f"`align_corners` = {str(self.align_corners).lower()}: only the interpolating "
                f"modes ({', '.join(INTERPOLATING)}) take it, not {self.mode!r}",
                where=where,
                field="align_corners",
            )
        if self.recompute_scale_factor and self.size is not None:
            raise SpecError(
                "`recompute_scale_factor` = true is not meaningful with an explicit `size`",
                where=where,
                field="recompute_scale_factor",
            )


@dataclass(frozen=True, kw_only=True)
class UpsamplingNearest2d(_Resize):
    """Nearest-neighbour upsampling (``torch.nn.UpsamplingNearest2d``)."""

    torch_name = "UpsamplingNearest2d"
    fixed_mode: ClassVar[str] = "nearest"


@dataclass(frozen=True, kw_only=True)
class UpsamplingBilinear2d(_Resize):
    """Bilinear upsampling with ``align_corners=True`` (``torch.nn.UpsamplingBilinear2d``)."""

    torch_name = "UpsamplingBilinear2d"
    fixed_mode: ClassVar[str] = "bilinear"


@dataclass(frozen=True, kw_only=True)
class _Shuffle(Rearranging):
    """Pixel (un)shuffle: a (C, H, W) example."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'pixel_shuffle'

    def input_rank(self) -> tuple[int, ...]:
        return (3,)


@dataclass(frozen=True, kw_only=True)
class PixelShuffle(_Shuffle):
    """Moves channels into space (``torch.nn.PixelShuffle``): (C·r², H, W) to (C, H·r, W·r)."""

    torch_name = "PixelShuffle"

    upscale_factor: Expr = arg("size")

    def output(self, x: Tensor, where: Where) -> tuple[Shape, list[Check]]:
        factor = self.upscale_factor
        checks: list[Check] = []
        require(
            checks,
            where,
            "upscale_factor",
            divides(factor**2, x.channels),
            lambda: (
                f"`upscale_factor` = {factor}: the input's channels ({x.channels}) must be "
                f"divisible by its square ({factor**2})"
            ),
            ShapeError,
        )
        spatial = [size * factor for size in x.spatial]
        return x.with_channels(x.channels / factor**2, spatial).shape, checks


@dataclass(frozen=True, kw_only=True)
class PixelUnshuffle(_Shuffle):
    """Moves space into channels (``torch.nn.PixelUnshuffle``): (C, H·r, W·r) to (C·r², H, W)."""

    torch_name = "PixelUnshuffle"

    downscale_factor: Expr = arg("size")

    def output(self, x: Tensor, where: Where) -> tuple[Shape, list[Check]]:
        factor = self.downscale_factor
        checks: list[Check] = []
        for axis, size in zip(("height", "width"), x.spatial, strict=True):
            require(
                checks,
                where,
                "downscale_factor",
                divides(factor, size),
                lambda: (
                    f"`downscale_factor` = {factor}: the input's {axis} ({size}) must be "
                    f"divisible by it"
                ),
                ShapeError,
            )
        spatial = [size / factor for size in x.spatial]
        return x.with_channels(x.channels * factor**2, spatial).shape, checks


@dataclass(frozen=True, kw_only=True)
class ChannelShuffle(Rearranging):
    """Shuffles channels across ``groups`` (``torch.nn.ChannelShuffle``): the shape is kept."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'channel_shuffle'

    torch_name = "ChannelShuffle"

    groups: Expr = arg("size")

    def output(self, x: Tensor, where: Where) -> tuple[Shape, list[Check]]:
        if x.rank < 2:
            raise ShapeError(
                f"expects an input of rank 2 or more (channels and at least one spatial axis), "
                f"got shape {format_shape(x.shape)} of rank {x.rank}",
                where=where,
                field="input",
            )
        checks: list[Check] = []
        require(
            checks,
            where,
            "groups",
            divides(self.groups, x.channels),
            lambda: f"`groups` = {self.groups} must divide the input's channels ({x.channels})",
            ShapeError,
        )
        return x.shape, checks


#: Keras's names for these layers (``convention: keras``; see :mod:`symcnn.layers.keras`)
KERAS_FACES = (
    KerasFace(
        "UpSampling2D",
        Upsample,
        {"size": "scale_factor", "interpolation": "mode"},
        defaults={"scale_factor": 2},
        ignored=("data_format",),
    ),
)
