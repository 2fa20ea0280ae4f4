"""Normalization layers: BatchNorm, InstanceNorm, GroupNorm and LayerNorm.

With ``d`` channels (PyTorch's ``num_features`` / ``num_channels``)::

    BatchNorm      params 2d (weight, bias) if affine     buffers 2d + 1 if track_running_stats
    InstanceNorm   params 2d if affine (default off)      buffers 2d + 1 if track_running_stats
    GroupNorm      params 2d if affine
    LayerNorm      params (1 + bias)·N if elementwise_affine, N = the product of normalized_shape

The running statistics are ``running_mean`` and ``running_var`` (d each) and the single counter
``num_batches_tracked``. Source: PyTorch's ``_NormBase``, ``GroupNorm`` and ``LayerNorm``.

Under ``convention: keras`` (Keras's ``BatchNormalization`` and ``LayerNormalization``)::

    BatchNormalization   params (scale + center)·d + 2d, of which 2d non-trainable (the moving
                         mean and variance); no buffers, no counter
    LayerNormalization   params (scale + center)·N

Source: Keras 3's ``BatchNormalization.build`` and ``LayerNormalization.build``.
Each formula is written once, as the tree of the class's ``textbook``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..errors import ShapeError
from ..formula import Textbook, Written, because, plus, times
from ..prose import Inline, Math, Text
from ..symbols import N, bias, d, g
from ._relations import divides, eq, gt
from ._window import POINTWISE, WHOLE, Reach
from .base import (
    KERAS,
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
    format_shape,
)

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "BatchNormalization",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LayerNorm",
]


def _scale_and_shift(affine: bool, flag: str) -> Written:
    """2·d parameters, a scale and a shift per channel, or none when ``flag`` is false."""
    if not affine:
        return because(f"{flag} = false: no scale or shift")
    return Written(times(2, d), "a scale and a shift per channel")


@dataclass(frozen=True, kw_only=True)
class _NormBase(Layer):
    num_features: Expr | None = arg("size?", None, inferred=True)
    eps: float = arg("number", 1e-5)
    momentum: float | None = arg("number?", 0.1)
    affine: bool = arg("bool", True)
    track_running_stats: bool = arg("bool", True)

    formula_fields: ClassVar[tuple[str, ...]] = ("affine", "track_running_stats")
    mistake_families: ClassVar = ("running_stats",)

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        buffers = None
        if self.track_running_stats:
            note = "running mean and variance per channel, and a batch counter"
            buffers = Written(plus(times(2, d), 1), note)
        return Textbook(_scale_and_shift(self.affine, "affine"), buffers)

    def formula(self, layout: str = "HWC") -> Formula:
        return self.textbook_formula(layout)

    def describe(self) -> tuple[Inline, ...]:
        affine = "scale and shift per channel" if self.affine else "no scale or shift"
        stats = ", running statistics" if self.track_running_stats else ""
        return (Text(affine + stats),)

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        return {d: x.channels}, self.agree(where, "num_features", self.num_features, x.channels)


@dataclass(frozen=True, kw_only=True)
class BatchNorm(_NormBase):
    """Batch normalization over the channel axis (``torch.nn.BatchNorm1d/2d/3d``)."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'batch_norm'

    def reach(self, row: Row, layout: str) -> Reach:
        """Pointwise at inference, where the running statistics are fixed numbers (in training
        the batch's statistics read every position)."""
        return POINTWISE

    # Keras's BatchNormalization arguments (convention: keras): gamma if scale, beta if center,
    # and `axis` (counted with the batch axis, as Keras counts it) the axis normalized
    center: bool = arg("bool", True, convention="keras")
    scale: bool = arg("bool", True, convention="keras")
    axis: int = arg("int", -1, convention="keras")

    formula_fields: ClassVar = ("affine", "track_running_stats", "center", "scale")

    def input_rank(self) -> tuple[int, ...]:
        # BatchNorm1d takes (N, C) or (N, C, L): an example of rank 1 or 2
        return (1, 2) if self.spatial_dims == 1 else (self.spatial_dims + 1,)

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        if self.convention != KERAS:
            return super().textbook(values)
        # the Keras convention's term: the moving mean and variance are 2d non-trainable
        # parameters (Keras's weights), not buffers; gamma and beta follow scale and center
        learned = [name for name, kept in (("gamma", self.scale), ("beta", self.center)) if kept]
        stats = times(2, d)
        if not learned:
            note = "center = scale = false: only the moving mean and variance (non-trainable)"
            return Textbook(Written(stats, note))
        trained = times(len(learned), d) if len(learned) == 2 else d
        note = f"{' and '.join(learned)} per channel, and the moving mean and variance"
        return Textbook(Written(plus(trained, stats), note))

    def formula(self, layout: str = "HWC") -> Formula:
        general = self.textbook_formula(layout)
        if self.convention != KERAS:
            return general
        return dataclasses.replace(general, extra={"non_trainable": 2 * d})

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        if self.convention != KERAS:
            return super().bind_values(x, where)
        # Keras counts the axis with the batch axis: -1 is the last, 1 the first of an example
        if self.axis == 0 or not -x.rank <= self.axis <= x.rank:
            raise ShapeError(
                f"`axis` = {self.axis} is not an axis of the example {format_shape(x.shape)} "
                "(Keras counts the batch axis as 0: the example's axes are 1 to "
                f"{x.rank}, or -1 to -{x.rank})",
                where=where,
                field="axis",
            )
        size = x.shape[self.axis - 1 if self.axis > 0 else self.axis]
        return {d: size}, []


@dataclass(frozen=True, kw_only=True)
class BatchNormalization(BatchNorm):
    """Keras's ``BatchNormalization``: BatchNorm on an example of any rank along ``axis``."""

    torch_name = "BatchNormalization"

    def input_rank(self) -> None:  # type: ignore[override]
        return None


@dataclass(frozen=True, kw_only=True)
class InstanceNorm(_NormBase):
    """Instance normalization (``torch.nn.InstanceNorm1d/2d/3d``): affine and running statistics
    are off by default."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'instance_norm'

    def reach(self, row: Row, layout: str) -> Reach:
        return WHOLE  # each example's statistics are taken over every position

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
                    gt(elements, 1),
                    f"{self.torch_name} without running statistics needs more than one element "
                    f"per channel, got spatial size {format_shape(x.spatial)}",
                    ShapeError,
                )
            )
        return values, checks


@dataclass(frozen=True, kw_only=True)
class GroupNorm(Layer):
    """Group normalization: ``num_groups`` groups over the channels (``torch.nn.GroupNorm``)."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'group_norm'

    def reach(self, row: Row, layout: str) -> Reach:
        return WHOLE  # each group's statistics are taken over every position

    torch_name = "GroupNorm"

    num_groups: Expr = arg("size")
    num_channels: Expr | None = arg("size?", None, inferred=True)
    eps: float = arg("number", 1e-5)
    affine: bool = arg("bool", True)

    formula_fields: ClassVar = ("affine",)

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        return Textbook(_scale_and_shift(self.affine, "affine"))

    def formula(self, layout: str = "HWC") -> Formula:
        return self.textbook_formula(layout)

    def describe(self) -> tuple[Inline, ...]:
        affine = ", scale and shift per channel" if self.affine else ""
        return (Math(self.num_groups), Text(" groups" + affine))

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        checks = self.agree(where, "num_channels", self.num_channels, x.channels)
        checks.append(
            Check(
                where,
                "num_groups",
                divides(self.num_groups, x.channels),
                f"`num_groups` = {self.num_groups} must divide the channels ({x.channels})",
            )
        )
        return {d: x.channels, g: self.num_groups}, checks


@dataclass(frozen=True, kw_only=True)
class LayerNorm(Layer):
    """Layer normalization over the trailing axes ``normalized_shape`` (``torch.nn.LayerNorm``).

    If ``normalized_shape`` is omitted it is the last axis, as in most transformer blocks.
    """

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'layer_norm'

    def reach(self, row: Row, layout: str) -> Reach:
        """Pointwise when it normalizes the channels alone (the last axis, channels last);
        across positions when its statistics include a spatial axis."""
        rank = len(row.input_shape)
        normalized = 1 if self.normalized_shape is None else len(self.normalized_shape)
        alone = rank == 1 or (layout == "HWC" and normalized == 1)
        return POINTWISE if alone else WHOLE

    torch_name = "LayerNorm"

    normalized_shape: tuple[Expr, ...] | None = arg("shape", None)
    eps: float = arg("number", 1e-5)
    elementwise_affine: bool = arg("bool", True)
    bias: Expr = arg("bias", True)
    #: Keras's LayerNormalization ``scale`` (gamma; its ``center`` is the bias)
    scale: bool = arg("bool", True, convention="keras")

    formula_fields: ClassVar = ("elementwise_affine", "scale")

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        if self.convention == KERAS:  # Keras's term: gamma if scale, beta if center
            return Textbook(
                Written(times(plus(int(self.scale), bias), N), "N: elements of the last axis")
            )
        if not self.elementwise_affine:
            return Textbook(because("elementwise_affine = false: no scale or shift"))
        return Textbook(Written(times(plus(1, bias), N), "N: elements of normalized_shape"))

    def formula(self, layout: str = "HWC") -> Formula:
        return self.textbook_formula(layout)

    def describe(self) -> tuple[Inline, ...]:
        affine = "scale and shift per element" if self.elementwise_affine else "no scale or shift"
        return (Text(affine),)

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
                eq(given, actual),
                f"`normalized_shape` = {format_shape(shape)} must equal the input's trailing "
                f"axes {format_shape(trailing)}",
                ShapeError,
            )
            for given, actual in zip(shape, trailing, strict=True)
        ]
        return {N: sympy.Mul(*shape), bias: self.bias}, checks


BatchNorm1d = face(BatchNorm, 1, "BatchNorm1d")
BatchNorm2d = face(BatchNorm, 2, "BatchNorm2d")
BatchNorm3d = face(BatchNorm, 3, "BatchNorm3d")
InstanceNorm1d = face(InstanceNorm, 1, "InstanceNorm1d")
InstanceNorm2d = face(InstanceNorm, 2, "InstanceNorm2d")
InstanceNorm3d = face(InstanceNorm, 3, "InstanceNorm3d")


#: Keras's names for these layers (``convention: keras``; see :mod:`symcnn.layers.keras`)
KERAS_FACES = (
    KerasFace(
        "BatchNormalization",
        BatchNormalization,
        {
            "axis": "axis",
            "momentum": "momentum",
            "epsilon": "eps",
            "center": "center",
            "scale": "scale",
        },
        ignored=(
            "beta_initializer",
            "gamma_initializer",
            "moving_mean_initializer",
            "moving_variance_initializer",
            "beta_regularizer",
            "gamma_regularizer",
            "beta_constraint",
            "gamma_constraint",
            "synchronized",
        ),
        torch="BatchNorm1d, BatchNorm2d or BatchNorm3d",
    ),
    KerasFace(
        "LayerNormalization",
        LayerNorm,
        {"epsilon": "eps", "center": "bias", "scale": "scale"},
        ignored=(
            "beta_initializer",
            "gamma_initializer",
            "beta_regularizer",
            "gamma_regularizer",
            "beta_constraint",
            "gamma_constraint",
        ),
    ),
)
