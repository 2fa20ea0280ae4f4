"""Normalization layers: BatchNorm, InstanceNorm, GroupNorm and LayerNorm.

With ``d`` channels (PyTorch's ``num_features`` / ``num_channels``)::

    BatchNorm      params 2d (weight, bias) if affine     buffers 2d + 1 if track_running_stats
    InstanceNorm   params 2d if affine (default off)      buffers 2d + 1 if track_running_stats
    GroupNorm      params 2d if affine
    LayerNorm      params (1 + bias)·N if elementwise_affine, N = the product of normalized_shape

The running statistics are ``running_mean`` and ``running_var`` (d each) and the single counter
``num_batches_tracked``. Source: PyTorch's ``_NormBase``, ``GroupNorm`` and ``LayerNorm``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from ..errors import ShapeError
from ..symbols import N, bias, d, g
from .base import ZERO, Check, Expr, Formula, Layer, Tensor, Where, arg, format_shape
from .conv import _face

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LayerNorm",
]


@dataclass(frozen=True, kw_only=True)
class _NormBase(Layer):
    num_features: Expr | None = arg("size?", None, inferred=True)
    eps: float = arg("number", 1e-5)
    momentum: float | None = arg("number?", 0.1)
    affine: bool = arg("bool", True)
    track_running_stats: bool = arg("bool", True)

    def formula(self, layout: str = "HWC") -> Formula:
        return Formula(
            params=2 * d if self.affine else ZERO,
            buffers=2 * d + 1 if self.track_running_stats else ZERO,
        )

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        return {d: x.channels}, self.agree(where, "num_features", self.num_features, x.channels)


@dataclass(frozen=True, kw_only=True)
class BatchNorm(_NormBase):
    """Batch normalization over the channel axis (``torch.nn.BatchNorm1d/2d/3d``)."""

    def input_rank(self) -> tuple[int, ...]:
        # BatchNorm1d takes (N, C) or (N, C, L): an example of rank 1 or 2
        return (1, 2) if self.spatial_dims == 1 else (self.spatial_dims + 1,)


@dataclass(frozen=True, kw_only=True)
class InstanceNorm(_NormBase):
    """Instance normalization (``torch.nn.InstanceNorm1d/2d/3d``): affine and running statistics
    are off by default."""

    affine: bool = arg("bool", False)
    track_running_stats: bool = arg("bool", False)

    def input_rank(self) -> tuple[int, ...]:
        return (self.spatial_dims + 1,)

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        values, checks = super().bind_values(x, where)
        if not self.track_running_stats:
            # without running statistics PyTorch always normalizes by the example's own
            # statistics, and refuses an example with a single element per channel
            elements = sympy.Mul(*x.spatial)
            checks.append(
                Check(
                    where,
                    "input",
                    sympy.Gt(elements, 1),
                    f"{self.torch_name} without running statistics needs more than one element "
                    f"per channel, got spatial size {format_shape(x.spatial)}",
                    ShapeError,
                )
            )
        return values, checks


@dataclass(frozen=True, kw_only=True)
class GroupNorm(Layer):
    """Group normalization: ``num_groups`` groups over the channels (``torch.nn.GroupNorm``)."""

    torch_name = "GroupNorm"

    num_groups: Expr = arg("size")
    num_channels: Expr | None = arg("size?", None, inferred=True)
    eps: float = arg("number", 1e-5)
    affine: bool = arg("bool", True)

    def formula(self, layout: str = "HWC") -> Formula:
        return Formula(params=2 * d if self.affine else ZERO)

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        checks = self.agree(where, "num_channels", self.num_channels, x.channels)
        checks.append(
            Check(
                where,
                "num_groups",
                sympy.Eq(sympy.Mod(x.channels, self.num_groups), 0),
                f"`num_groups` = {self.num_groups} must divide the channels ({x.channels})",
            )
        )
        return {d: x.channels, g: self.num_groups}, checks


@dataclass(frozen=True, kw_only=True)
class LayerNorm(Layer):
    """Layer normalization over the trailing axes ``normalized_shape`` (``torch.nn.LayerNorm``).

    If ``normalized_shape`` is omitted it is the last axis, as in most transformer blocks.
    """

    torch_name = "LayerNorm"

    normalized_shape: tuple[Expr, ...] | None = arg("shape", None)
    eps: float = arg("number", 1e-5)
    elementwise_affine: bool = arg("bool", True)
    bias: Expr = arg("bias", True)

    def formula(self, layout: str = "HWC") -> Formula:
        return Formula(params=(1 + bias) * N if self.elementwise_affine else ZERO)

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        shape = self.normalized_shape or x.shape[-1:]
        if len(shape) > x.rank:
            raise ShapeError(
                f"`normalized_shape` = {format_shape(shape)} has more axes than the input "
                f"{format_shape(x.shape)}",
                where=where,
                field="normalized_shape",
            )
        trailing = x.shape[x.rank - len(shape) :]
        checks = [
            Check(
                where,
                "normalized_shape",
                sympy.Eq(given, actual),
                f"`normalized_shape` = {format_shape(shape)} must equal the input's trailing "
                f"axes {format_shape(trailing)}",
                ShapeError,
            )
            for given, actual in zip(shape, trailing, strict=True)
        ]
        return {N: sympy.Mul(*shape), bias: self.bias}, checks


BatchNorm1d = _face(BatchNorm, 1, "BatchNorm1d")
BatchNorm2d = _face(BatchNorm, 2, "BatchNorm2d")
BatchNorm3d = _face(BatchNorm, 3, "BatchNorm3d")
InstanceNorm1d = _face(InstanceNorm, 1, "InstanceNorm1d")
InstanceNorm2d = _face(InstanceNorm, 2, "InstanceNorm2d")
InstanceNorm3d = _face(InstanceNorm, 3, "InstanceNorm3d")
