"""Layers that rearrange an example's axes: no parameters, only a rule on the shape.

``Unflatten``, ``Permute`` and ``Transpose`` take PyTorch's dims, counted on the batched tensor:
dim 0 is the batch axis and dims 1… are the spec's axes in the spec's layout (an example
``[32, 32, 3]`` in ``HWC`` is the batch ``(N, 32, 32, 3)``); negative dims count from the end.
``Reshape`` takes one example's new shape, without the batch axis, like the spec's ``input``; one
size may be −1 (inferred). ``Select`` keeps one index of a dim and drops the dim (ViT's class
token, ``x[:, 0]``, is ``select(dim=1, index=0)``). No layer here may move, merge or split the
batch axis: symcnn describes one example. ``GLU`` halves its ``dim``; ``Softmax2d`` is a softmax
over the channels of a ``(C, H, W)`` example.

``Permute``, ``Transpose``, ``Reshape`` and ``Select`` are not ``torch.nn`` modules but the tensor
methods ``permute``, ``transpose``, ``reshape`` and ``select``.

Source: PyTorch's ``Unflatten``, ``GLU`` and ``Softmax2d`` pages and the ``torch.permute``,
``torch.transpose``, ``torch.reshape`` and ``torch.select`` pages.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..errors import ShapeError, SpecError
from ._relations import divides, eq, ge, lt
from ._window import Reach, Refused
from .base import (
    ZERO,
    Check,
    Expr,
    Formula,
    Layer,
    Row,
    Tensor,
    Where,
    arg,
    format_shape,
    require,
)
from .dense import _dim, _ShapeKeeping

__all__ = [
    "GLU",
    "Narrow",
    "Permute",
    "Rearranging",
    "Reshape",
    "Select",
    "Softmax2d",
    "Transpose",
    "Unflatten",
]

Shape = tuple[Expr, ...]


@dataclass(frozen=True, kw_only=True)
class Rearranging(Layer):
    """A layer with no parameters whose output shape is a rule on its input's shape
    (:meth:`output`), as ``Flatten`` computes its shape."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'reshape'

    formula_fields: ClassVar = ()

    def reach(self, row: Row, layout: str) -> Reach:
        return Refused("rearranges the positions, which no window follows")

    def formula(self, layout: str = "HWC") -> Formula:
        return Formula(params=ZERO)

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        return {}, []

    def output(self, x: Tensor, where: Where) -> tuple[Shape, list[Check]]:
        """The output shape for input ``x`` and the checks the input must pass."""
        raise NotImplementedError

    def bind(self, x: Tensor, where: Where) -> tuple[Row, list[Check]]:
        row, checks = super().bind(x, where)
        shape, more = self.output(x, where)
        return dataclasses.replace(row, output_shape=shape), [*checks, *more]


def _example_axis(where: Where, name: str, dim: int, rank: int) -> int:
    """A PyTorch dim as an index into the example; the batch axis is refused."""
    index = _dim(where, name, dim, rank)
    if index < 0:
        raise ShapeError(
            f"`{name}` = {dim} is the batch axis; symcnn describes one example, so a layer may "
            f"not move, merge or split it (use dims 1..{rank} or -{rank}..-1)",
            where=where,
            field=name,
        )
    return index


def _plain_ints(where: Where, name: str, values: Any) -> tuple[int, ...]:
    """Dims must be plain integers, not symbols."""
    items = values if isinstance(values, tuple) else (values,)
    if not all(item.is_Integer for item in items):
        raise SpecError(
            f"`{name}` = {list(items)}: dims must be integers, not expressions",
            where=where,
            field=name,
        )
    return tuple(int(item) for item in items)


def _new_sizes(where: Where, name: str, sizes: Any, what: str) -> Shape:
    """A list of sizes where one may be -1; refuses an int, an empty list and sizes below -1."""
    if not isinstance(sizes, tuple):
        raise SpecError(
            f"`{name}` = {sizes}: must be a list of sizes ({what}), e.g. [2, -1]",
            where=where,
            field=name,
        )
    if not sizes:
        raise SpecError(f"`{name}` = []: must list at least one size", where=where, field=name)
    shown = [str(size) for size in sizes]
    for size in sizes:
        if size.is_number and size != -1 and size < 1:
            raise SpecError(
                f"`{name}` = [{', '.join(shown)}]: {size} is not a size (sizes are positive "
                "integers, and one may be -1, inferred)",
                where=where,
                field=name,
            )
    if list(sizes).count(-1) > 1:
        raise SpecError(
            f"`{name}` = [{', '.join(shown)}]: only one size can be -1 (inferred)",
            where=where,
            field=name,
        )
    return sizes


def _fill(
    where: Where, name: str, sizes: Shape, total: Expr, source: str
) -> tuple[Shape, list[Check]]:
    """``sizes`` with its -1 inferred so that they multiply to ``total``, and the check that they
    do (symbolic sizes wait for values)."""
    checks: list[Check] = []
    shown = format_shape(sizes)
    if -1 not in sizes:
        require(
            checks,
            where,
            name,
            eq(sympy.Mul(*sizes), total),
            lambda: (
                f"`{name}` = {shown} has {sympy.Mul(*sizes)} elements but {source} has "
                f"{total}; the sizes must multiply to the same number"
            ),
            ShapeError,
        )
        return sizes, checks
    known = sympy.Mul(*(size for size in sizes if size != -1))
    require(
        checks,
        where,
        name,
        divides(known, total),
        lambda: (
            f"`{name}` = {shown}: {source} has {total} elements, which the other sizes "
            f"({known}) do not divide, so -1 cannot be inferred"
        ),
        ShapeError,
    )
    inferred = total / known
    return tuple(inferred if size == -1 else size for size in sizes), checks


@dataclass(frozen=True, kw_only=True)
class Unflatten(Rearranging):
    """Splits dim ``dim`` into ``unflattened_size`` (``torch.nn.Unflatten``); one size may be -1."""

    torch_name = "Unflatten"

    dim: int = arg("int")
    unflattened_size: Shape = arg("extents")

    def validate(self, where: Where) -> None:
        _new_sizes(where, "unflattened_size", self.unflattened_size, "one per new axis")

    def output(self, x: Tensor, where: Where) -> tuple[Shape, list[Check]]:
        index = _example_axis(where, "dim", self.dim, x.rank)
        size = x.shape[index]
        source = f"dim {self.dim} of the input {format_shape(x.shape)}"
        sizes, checks = _fill(where, "unflattened_size", self.unflattened_size, size, source)
        return (*x.shape[:index], *sizes, *x.shape[index + 1 :]), checks


@dataclass(frozen=True, kw_only=True)
class Permute(Rearranging):
    """Reorders the axes (``torch.permute``): ``dims`` lists every dim, the batch axis first."""

    torch_name = "Permute"

    dims: tuple[int, ...] = arg("integers")

    def validate(self, where: Where) -> None:
        _plain_ints(where, "dims", self.dims)

    def output(self, x: Tensor, where: Where) -> tuple[Shape, list[Check]]:
        dims = _plain_ints(where, "dims", self.dims)
        batched = x.rank + 1
        if len(dims) != batched or not isinstance(self.dims, tuple):
            raise ShapeError(
                f"`dims` = {list(dims)} must list each of the {batched} dims of the batched input "
                f"(the batch axis 0, then {format_shape(x.shape)}) once",
                where=where,
                field="dims",
            )
        order = [_dim(where, "dims", dim, x.rank) for dim in dims]
        if len(set(order)) != len(order):
            raise ShapeError(
                f"`dims` = {list(dims)} repeats a dim; each dim must appear once",
                where=where,
                field="dims",
            )
        if order[0] != -1:
            raise ShapeError(
                f"`dims` = {list(dims)} moves the batch axis; symcnn describes one example, so "
                "the dims must start with 0",
                where=where,
                field="dims",
            )
        return tuple(x.shape[index] for index in order[1:]), []


@dataclass(frozen=True, kw_only=True)
class Transpose(Rearranging):
    """Swaps two axes (``torch.transpose``)."""

    torch_name = "Transpose"

    dim0: int = arg("int")
    dim1: int = arg("int")

    def output(self, x: Tensor, where: Where) -> tuple[Shape, list[Check]]:
        first = _example_axis(where, "dim0", self.dim0, x.rank)
        second = _example_axis(where, "dim1", self.dim1, x.rank)
        shape = list(x.shape)
        shape[first], shape[second] = shape[second], shape[first]
        return tuple(shape), []


@dataclass(frozen=True, kw_only=True)
class Reshape(Rearranging):
    """Gives one example a new shape with as many elements (``torch.reshape``, batch kept)."""

    torch_name = "Reshape"

    shape: Shape = arg("extents")

    def validate(self, where: Where) -> None:
        _new_sizes(where, "shape", self.shape, "one example's new shape, no batch axis")

    def output(self, x: Tensor, where: Where) -> tuple[Shape, list[Check]]:
        source = f"the input {format_shape(x.shape)}"
        return _fill(where, "shape", self.shape, x.size, source)


@dataclass(frozen=True, kw_only=True)
class Select(Rearranging):
    """Keeps index ``index`` of dim ``dim`` and drops that dim (``torch.select``; ``x[:, 0]`` is
    ``select(dim=1, index=0)``). ``index`` may be negative, counted from the end of the dim."""

    torch_name = "Select"

    dim: int = arg("int")
    index: int = arg("int")

    def output(self, x: Tensor, where: Where) -> tuple[Shape, list[Check]]:
        axis = _example_axis(where, "dim", self.dim, x.rank)
        if x.rank == 1:
            raise ShapeError(
                f"`dim` = {self.dim}: selecting from a rank-1 example would leave no axis; "
                "symcnn describes an example by at least one axis",
                where=where,
                field="dim",
            )
        size = x.shape[axis]
        checks: list[Check] = []
        require(
            checks,
            where,
            "index",
            sympy.And(ge(self.index, -size), lt(self.index, size)),
            lambda: (
                f"`index` = {self.index} is out of range for dim {self.dim} of size {size} "
                f"(valid: {-size}..{size - 1})"
            ),
            ShapeError,
        )
        return (*x.shape[:axis], *x.shape[axis + 1 :]), checks


@dataclass(frozen=True, kw_only=True)
class Narrow(Rearranging):
    """Keeps ``length`` consecutive indices of dim ``dim`` from ``start`` (``torch.narrow``;
    ``x[:, a:b]`` is ``narrow(dim=1, start=a, length=b - a)``; a ``chunk`` or ``split`` is one
    narrow per piece). ``start`` may be negative, counted from the end of the dim."""

    torch_name = "Narrow"

    dim: int = arg("int")
    start: int = arg("int")
    length: Expr = arg("size")

    def output(self, x: Tensor, where: Where) -> tuple[Shape, list[Check]]:
        axis = _example_axis(where, "dim", self.dim, x.rank)
        size = x.shape[axis]
        start = self.start + size if self.start < 0 else sympy.Integer(self.start)
        checks: list[Check] = []
        require(
            checks,
            where,
            "start",
            sympy.And(ge(self.start, -size), lt(self.start, size)),
            lambda: (
                f"`start` = {self.start} is out of range for dim {self.dim} of size {size} "
                f"(valid: {-size}..{size - 1})"
            ),
            ShapeError,
        )
        require(
            checks,
            where,
            "length",
            ge(size - start, self.length),
            lambda: (
                f"`start` + `length` = {start} + {self.length} passes the end of dim {self.dim} "
                f"of size {size}"
            ),
            ShapeError,
        )
        return (*x.shape[:axis], self.length, *x.shape[axis + 1 :]), checks


@dataclass(frozen=True, kw_only=True)
class GLU(Rearranging):
    """The gated linear unit (``torch.nn.GLU``): halves ``dim``, which must be even."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'glu'

    torch_name = "GLU"

    dim: int = arg("int", -1)

    def output(self, x: Tensor, where: Where) -> tuple[Shape, list[Check]]:
        index = _example_axis(where, "dim", self.dim, x.rank)
        size = x.shape[index]
        checks: list[Check] = []
        require(
            checks,
            where,
            "dim",
            divides(2, size),
            lambda: f"`dim` = {self.dim}: GLU halves that axis, so its size ({size}) must be even",
            ShapeError,
        )
        shape = list(x.shape)
        shape[index] = size / 2
        return tuple(shape), checks


@dataclass(frozen=True, kw_only=True)
class Softmax2d(_ShapeKeeping):
    """A softmax over the channels at each location (``torch.nn.Softmax2d``): a (C, H, W)
    example."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'softmax'

    torch_name = "Softmax2d"

    def input_rank(self) -> tuple[int, ...]:
        return (3,)
