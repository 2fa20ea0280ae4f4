"""Convolutions: one general N-d ``Conv`` and ``ConvTranspose``, with thin 1-d/2-d/3-d faces.

Parameters (PyTorch's ``weight`` of shape ``[k, d/g, *kernel]`` plus one bias per filter)::

    (m·n·d/g + bias)·k                      Conv2d
    m·n·d·k/g + bias·k                      ConvTranspose2d (weight [d, k/g, *kernel])

Output size along one axis, with input size W, kernel m, stride s, padding z and dilation r::

    ⌊(W + 2z − r(m − 1) − 1)/s⌋ + 1         Conv
    (W − 1)s − 2z + r(m − 1) + a + 1        ConvTranspose (a: output_padding)

Source: the ``Conv2d`` and ``ConvTranspose2d`` pages of the PyTorch documentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..errors import ShapeError, SpecError
from ..symbols import axis_symbols, bias, d, g, k
from .base import Check, Expr, Formula, Layer, Tensor, Where, arg, arrange, require

__all__ = [
    "Conv",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "conv_output_size",
]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def conv_output_size(size: Expr, kernel: Expr, stride: Expr, padding: Expr, dilation: Expr) -> Expr:
    """⌊(size + 2·padding − dilation·(kernel − 1) − 1)/stride⌋ + 1 (PyTorch's Conv and pooling)."""
    return sympy.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1


def _kernel_volume(spatial_dims: int) -> Expr:
    return sympy.Mul(*(axis.kernel for axis in axis_symbols(spatial_dims)))


def _checks_per_axis(where: Where, x: Tensor, layer: Any) -> list[Check]:
    """Groups dividing the channels, and the dilated kernel fitting in the padded input."""
    checks: list[Check] = []
    require(
        checks,
        where,
        "groups",
        sympy.Eq(sympy.Mod(x.channels, layer.groups), 0),
        lambda: f"`groups` = {layer.groups} must divide the input channels "
        f"(in_channels = {x.channels})",
    )
    require(
        checks,
        where,
        "groups",
        sympy.Eq(sympy.Mod(layer.out_channels, layer.groups), 0),
        lambda: f"`groups` = {layer.groups} must divide `out_channels` = {layer.out_channels}",
    )
    checks += layer.agree(where, "in_channels", layer.in_channels, x.channels)
    return checks


@dataclass(frozen=True, kw_only=True)
class Conv(Layer):
    """An N-d convolution with PyTorch's arguments (``torch.nn.Conv1d/2d/3d``)."""

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
    formula_fields: ClassVar = ()

    def input_rank(self) -> tuple[int, ...]:
        return (self.spatial_dims + 1,)

    def validate(self, where: Where) -> None:
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

    def formula(self, layout: str = "HWC") -> Formula:
        axes = axis_symbols(self.spatial_dims)
        params = (_kernel_volume(self.spatial_dims) * d / g + bias) * k
        spatial = [
            conv_output_size(a.size, a.kernel, a.stride, a.padding, a.dilation) for a in axes
        ]
        return Formula(params=params, output_shape=arrange(k, spatial, layout))

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
                sympy.Ge(size + 2 * pad, extent),
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
                        sympy.Lt(widest, size),
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
                        sympy.Le(widest, size),
                        f"`padding` = {given} with padding_mode 'circular' must be at most the "
                        f"input size {size} along {axis_name}",
                        ShapeError,
                    )
                )
        return values, checks


@dataclass(frozen=True, kw_only=True)
class ConvTranspose(Layer):
    """An N-d transposed convolution (``torch.nn.ConvTranspose1d/2d/3d``)."""

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

    def input_rank(self) -> tuple[int, ...]:
        return (self.spatial_dims + 1,)

    def formula(self, layout: str = "HWC") -> Formula:
        axes = axis_symbols(self.spatial_dims)
        params = _kernel_volume(self.spatial_dims) * d * k / g + bias * k
        spatial = [
            (a.size - 1) * a.stride - 2 * a.padding + a.dilation * (a.kernel - 1)
            + a.output_padding + 1
            for a in axes
        ]
        return Formula(params=params, output_shape=arrange(k, spatial, layout))

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        axes = axis_symbols(self.spatial_dims)
        values: dict[Any, Expr] = {d: x.channels, k: self.out_channels, g: self.groups}
        values[bias] = self.bias
        checks = _checks_per_axis(where, x, self)
        for a, size, kernel, stride, pad, out_pad, dilation in zip(
            axes,
            x.spatial,
            self.kernel_size,
            self.stride,
            self.padding,
            self.output_padding,
            self.dilation,
            strict=True,
        ):
            values.update({a.size: size, a.kernel: kernel, a.stride: stride, a.padding: pad})
            values.update({a.dilation: dilation, a.output_padding: out_pad})
            checks.append(
                Check(
                    where,
                    "output_padding",
                    sympy.Or(sympy.Lt(out_pad, stride), sympy.Lt(out_pad, dilation)),
                    f"`output_padding` = {list(self.output_padding)} must be smaller than "
                    f"either the stride ({stride}) or the dilation ({dilation})",
                )
            )
            out = (size - 1) * stride - 2 * pad + dilation * (kernel - 1) + out_pad + 1
            checks.append(
                Check(
                    where,
                    "padding",
                    sympy.Ge(out, 1),
                    f"`padding` = {list(self.padding)} leaves an output size of {out} along "
                    f"{a.size.name}; it must be at least 1",
                    ShapeError,
                )
            )
        return values, checks


def _face(base: type, dims: int, name: str) -> type:
    """A thin N-d face of a general layer: only the number of spatial axes is fixed."""
    cls = type(name, (base,), {"spatial_dims": dims, "torch_name": name, "__doc__": base.__doc__})
    cls.__module__ = __name__
    return dataclass(frozen=True, kw_only=True)(cls)


Conv1d = _face(Conv, 1, "Conv1d")
Conv2d = _face(Conv, 2, "Conv2d")
Conv3d = _face(Conv, 3, "Conv3d")
ConvTranspose1d = _face(ConvTranspose, 1, "ConvTranspose1d")
ConvTranspose2d = _face(ConvTranspose, 2, "ConvTranspose2d")
ConvTranspose3d = _face(ConvTranspose, 3, "ConvTranspose3d")
