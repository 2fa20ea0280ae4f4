"""Merges: layers that read two or more tensors (``from: [a, b]``). No parameters.

``add`` and ``mul`` combine elementwise with PyTorch's broadcasting on one example's shapes: the
axes are aligned from the last, and on each axis the sizes must be equal or one of them 1; the
output has the larger size. ``cat`` joins along one axis (``dim``, an axis of one example in the
spec's layout; default the channel axis), so its size there is the sum of the inputs' sizes and
every other axis must agree::

    add / mul      out_i = max(a_i, b_i)  where a_i = b_i, or a_i = 1, or b_i = 1
    cat            out_dim = Σ inputs' sizes along dim;  other axes equal

Source: PyTorch's "Broadcasting semantics" note and ``torch.cat``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..errors import ShapeError, SpecError
from .base import ONE, ZERO, Check, Expr, Formula, Layer, Row, Tensor, Where, arg, format_shape

__all__ = ["Add", "Cat", "Mul", "broadcast"]


def _shapes(xs: Sequence[Tensor]) -> str:
    return " and ".join(format_shape(x.shape) for x in xs)


def broadcast(
    xs: Sequence[Tensor], where: Where, what: str
) -> tuple[tuple[Expr, ...], list[Check]]:
    """The broadcast shape of ``xs`` (axes aligned from the last), and the checks that symbolic
    sizes must pass; sizes that cannot broadcast are refused with every shape shown."""
    rank = max(x.rank for x in xs)
    checks: list[Check] = []
    out: list[Expr] = []
    for axis in range(-rank, 0):
        sizes = [x.shape[axis] for x in xs if x.rank >= -axis]
        known = [size for size in sizes if size != ONE]
        if not known:
            out.append(ONE)
            continue
        first = known[0]
        for size in known[1:]:
            if size == first:
                continue
            if size.is_number and first.is_number:
                raise ShapeError(
                    f"`{what}` cannot broadcast shapes {_shapes(xs)}: along axis {axis} (from the "
                    f"end) the sizes are {first} and {size}; each pair must be equal or 1",
                    where=where,
                    field="from",
                )
            # a symbolic size that differs: equal (or 1, which a spec that means it writes as 1)
            checks.append(
                Check(
                    where,
                    "from",
                    sympy.Eq(first, size),
                    f"`{what}` needs equal sizes along axis {axis} (from the end) of "
                    f"{_shapes(xs)}: {first} and {size}",
                    ShapeError,
                )
            )
        out.append(first)
    return tuple(out), checks


@dataclass(frozen=True, kw_only=True)
class _Merge(Layer):
    """A layer of two or more inputs with no parameters."""

    arity: ClassVar[int | None] = None
    formula_fields: ClassVar = ()

    def formula(self, layout: str = "HWC") -> Formula:
        return Formula(params=ZERO)

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        return {}, []

    def merged_shape(
        self, xs: Sequence[Tensor], where: Where
    ) -> tuple[tuple[Expr, ...], list[Check]]:
        raise NotImplementedError

    def bind(self, x: Tensor, where: Where) -> tuple[Row, list[Check]]:
        return self.bind_inputs([x], where)

    def bind_inputs(self, xs: Sequence[Tensor], where: Where) -> tuple[Row, list[Check]]:
        if len(xs) < 2:
            raise SpecError(
                f"`{self.torch_name.lower()}` merges two or more inputs; give them as "
                f"`from: [a, b]` (got {len(xs)})",
                where=where,
                field="from",
            )
        shape, checks = self.merged_shape(xs, where)
        row = Row(
            index=where.index,
            name=where.name,
            type=self.torch_name,
            input_shape=xs[0].shape,
            output_shape=shape,
            params=ZERO,
            buffers=ZERO,
            formula=self.general_formula(xs[0].layout),
            values={},
            layer=self,
            input_shapes=tuple(x.shape for x in xs),
        )
        return row, checks


@dataclass(frozen=True, kw_only=True)
class Add(_Merge):
    """Elementwise sum of two or more tensors, with broadcasting (``a + b``, ``torch.add``)."""

    torch_name = "Add"

    def merged_shape(
        self, xs: Sequence[Tensor], where: Where
    ) -> tuple[tuple[Expr, ...], list[Check]]:
        return broadcast(xs, where, "add")


@dataclass(frozen=True, kw_only=True)
class Mul(_Merge):
    """Elementwise product of two or more tensors, with broadcasting (``a * b``, ``torch.mul``):
    squeeze-and-excitation scales ``[C, H, W]`` by ``[C, 1, 1]``."""

    torch_name = "Mul"

    def merged_shape(
        self, xs: Sequence[Tensor], where: Where
    ) -> tuple[tuple[Expr, ...], list[Check]]:
        return broadcast(xs, where, "mul")


@dataclass(frozen=True, kw_only=True)
class Cat(_Merge):
    """Concatenation along one axis (``torch.cat``): ``dim`` counts one example's axes in the
    spec's layout (no batch axis; negative from the end); by default the channel axis."""

    torch_name = "Cat"

    dim: int | None = arg("int?", None)

    def merged_shape(
        self, xs: Sequence[Tensor], where: Where
    ) -> tuple[tuple[Expr, ...], list[Check]]:
        rank = xs[0].rank
        if any(x.rank != rank for x in xs):
            raise ShapeError(
                f"`cat` needs inputs of one rank, got {_shapes(xs)}", where=where, field="from"
            )
        if self.dim is None:
            dim = 0 if rank == 1 or xs[0].layout == "CHW" else rank - 1
        else:
            if not -rank <= self.dim < rank:
                raise ShapeError(
                    f"`dim` = {self.dim} is out of range for inputs of rank {rank} (one example, "
                    f"no batch axis: dims {-rank}..{rank - 1})",
                    where=where,
                    field="dim",
                )
            dim = self.dim % rank
        checks: list[Check] = []
        for axis in range(rank):
            if axis == dim:
                continue
            first = xs[0].shape[axis]
            for x in xs[1:]:
                size = x.shape[axis]
                if size == first:
                    continue
                message = (
                    f"`cat` along dim {dim} needs the other axes to agree, but axis {axis} of "
                    f"{_shapes(xs)} has {first} and {size}"
                )
                if size.is_number and first.is_number:
                    raise ShapeError(message, where=where, field="from")
                checks.append(Check(where, "from", sympy.Eq(first, size), message, ShapeError))
        joined = sympy.Add(*(x.shape[dim] for x in xs))
        shape = tuple(joined if axis == dim else xs[0].shape[axis] for axis in range(rank))
        return shape, checks
