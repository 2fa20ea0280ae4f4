"""Merges: layers that read two or more tensors (``from: [a, b]``). No parameters.

``add`` and ``mul`` combine elementwise with PyTorch's broadcasting on one example's shapes: the
axes are aligned from the last, and on each axis the sizes must be equal or one of them 1; the
output has the larger size. ``cat`` joins along one axis (``dim``, an axis of one example in the
spec's layout; default the channel axis), so its size there is the sum of the inputs' sizes and
every other axis must agree::

    add / mul      out_i = max(a_i, b_i)  where a_i = b_i, or a_i = 1, or b_i = 1
    cat            out_dim = Σ inputs' sizes along dim;  other axes equal

A merge's working states its output shape (add, mul) or adds the inputs' sizes along the joined
axis (cat: ``d_out = d_1 + d_2 = 512 + 512 = 1,024``); it has nothing to learn.

Source: PyTorch's "Broadcasting semantics" note and ``torch.cat``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..errors import ShapeError, SpecError
from ..formula import Derivation, Fact, Line, Quantity, Sym, plus, quantity, substitute
from ..prose import Inline, Math, Text
from ..symbols import AXES, axis_symbols
from ._defaults import activation_line
from ._relations import eq
from ._window import UNION, Reach, Refused
from .base import (
    ONE,
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
    format_shape,
)

__all__ = ["Add", "Cat", "Mul", "broadcast"]

#: what a merge's working says of its parameters
NOTHING_TO_LEARN = "a merge has nothing to learn"
#: the quantity of the line that states an elementwise merge's output shape
OUTPUT_SHAPE = Quantity("output_shape", "output shape", r"\text{output shape}")


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
                    eq(first, size),
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

    def reach(self, row: Row, layout: str) -> Reach:
        """The union of the inputs' fields: each output position reads each input at the same
        position (Distill's rule for aligned paths)."""
        return UNION

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

    def merge_values(self, xs: Sequence[Tensor], where: Where) -> dict[Any, Expr]:
        """The symbols of the merge's formulas with the inputs' values (none by default)."""
        return {}

    def shape_lines(self, row: Row) -> list[Line]:
        """The lines of working that give the output's shape."""
        raise NotImplementedError

    def working(self, row: Row) -> list[Line]:
        """The output's shape, its activation size, and no parameters."""
        return [
            *self.shape_lines(row),
            activation_line(row, None, 0),
            Fact(quantity("params"), row.params, NOTHING_TO_LEARN),
        ]

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
            values=self.merge_values(xs, where),
            layer=self,
            input_shapes=tuple(x.shape for x in xs),
        )
        return row, checks


@dataclass(frozen=True, kw_only=True)
class _Elementwise(_Merge):
    """A merge that combines its inputs element by element, with broadcasting."""

    #: the operation in words, for the working and the exam sheet (``sum``, ``product``)
    operation: ClassVar[str] = ""

    def shape_lines(self, row: Row) -> list[Line]:
        shape = sympy.Tuple(*row.output_shape)
        reason = f"elementwise {self.operation}: the shapes must agree (or broadcast from 1)"
        return [Fact(OUTPUT_SHAPE, shape, reason)]

    def describe(self) -> tuple[Inline, ...]:
        return (Text(f"elementwise {self.operation} of its inputs"),)


@dataclass(frozen=True, kw_only=True)
class Add(_Elementwise):
    """Elementwise sum of two or more tensors, with broadcasting (``a + b``, ``torch.add``)."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'add'

    torch_name = "Add"
    operation = "sum"

    def merged_shape(
        self, xs: Sequence[Tensor], where: Where
    ) -> tuple[tuple[Expr, ...], list[Check]]:
        return broadcast(xs, where, "add")


@dataclass(frozen=True, kw_only=True)
class Mul(_Elementwise):
    """Elementwise product of two or more tensors, with broadcasting (``a * b``, ``torch.mul``):
    squeeze-and-excitation scales ``[C, H, W]`` by ``[C, 1, 1]``."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'mul'

    torch_name = "Mul"
    operation = "product"

    def merged_shape(
        self, xs: Sequence[Tensor], where: Where
    ) -> tuple[tuple[Expr, ...], list[Check]]:
        return broadcast(xs, where, "mul")


@dataclass(frozen=True, kw_only=True)
class Cat(_Merge):
    """Concatenation along one axis (``torch.cat``): ``dim`` counts one example's axes in the
    spec's layout (no batch axis; negative from the end); by default the channel axis."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = 'cat'

    torch_name = "Cat"

    dim: int | None = arg("int?", None)

    def reach(self, row: Row, layout: str) -> Reach:
        """Along the channels, the union of the inputs' fields; along a spatial axis the
        output's positions come from different inputs, and no one window describes them."""
        x = Tensor(row.input_shapes[0], layout)
        channel = _channel_axis(x)
        if (channel if self.dim is None else self.dim % x.rank) == channel:
            return UNION
        return Refused(f"joins positions of different inputs along dim {self.dim}")

    def axis(self, xs: Sequence[Tensor], where: Where) -> int:
        """The axis the inputs are joined along, counted from 0 in one example's shape."""
        rank = xs[0].rank
        if self.dim is None:
            return _channel_axis(xs[0])
        if not -rank <= self.dim < rank:
            raise ShapeError(
                f"`dim` = {self.dim} is out of range for inputs of rank {rank} (one example, "
                f"no batch axis: dims {-rank}..{rank - 1})",
                where=where,
                field="dim",
            )
        return self.dim % rank

    def merged_shape(
        self, xs: Sequence[Tensor], where: Where
    ) -> tuple[tuple[Expr, ...], list[Check]]:
        rank = xs[0].rank
        if any(x.rank != rank for x in xs):
            raise ShapeError(
                f"`cat` needs inputs of one rank, got {_shapes(xs)}", where=where, field="from"
            )
        dim = self.axis(xs, where)
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
                checks.append(Check(where, "from", eq(first, size), message, ShapeError))
        joined = sympy.Add(*(x.shape[dim] for x in xs))
        shape = tuple(joined if axis == dim else xs[0].shape[axis] for axis in range(rank))
        return shape, checks

    def merge_values(self, xs: Sequence[Tensor], where: Where) -> dict[Any, Expr]:
        """``d_1, d_2…`` (``W_1, W_2…`` when joining widths): each input's size along the joined
        axis, named by the notation's symbol of that axis with the input's number."""
        dim = self.axis(xs, where)
        stem = _axis_name(xs[0], dim)
        return {_size(stem, i): x.shape[dim] for i, x in enumerate(xs, 1)}

    def shape_lines(self, row: Row) -> list[Line]:
        sizes = list(row.values)
        stem = sizes[0].name.rsplit("_", 1)[0]
        joined = sympy.Add(*row.values.values())
        assert joined in row.output_shape, "the joined axis is the sum of the inputs' sizes"
        if len(row.output_shape) == 1:
            note = "concatenation joins the inputs' features"
        elif stem == "d":
            note = "concatenation stacks the inputs' channels"
        else:
            note = f"concatenation joins the inputs along the {_SPATIAL.get(stem, stem)} axis"
        formula = plus(*(Sym(size) for size in sizes))
        return [
            Derivation(
                _size_out(stem),
                formula,
                substitute(formula, row.values),
                joined,
                note,
            )
        ]

    def describe(self) -> tuple[Inline, ...]:
        if self.dim is None:
            return (Text("concatenation of its inputs along the channel axis"),)
        return (Text("concatenation of its inputs along dim "), Math(sympy.Integer(self.dim)))


#: the notation's input size along each spatial axis (``H``), and the axis in words (height)
_SPATIAL = {a.size.name: name for a, name in zip(axis_symbols(3), AXES.values(), strict=True)}


def _channel_axis(x: Tensor) -> int:
    """The channel axis of one example (the only axis of a vector)."""
    return 0 if x.rank == 1 or x.layout == "CHW" else x.rank - 1


def _axis_name(x: Tensor, dim: int) -> str:
    """The notation's name of axis ``dim`` of ``x``: ``d`` for channels, ``H`` for height…"""
    channel = _channel_axis(x)
    if dim == channel:
        return "d"
    spatial = [axis for axis in range(x.rank) if axis != channel]
    if len(spatial) > len(_SPATIAL):
        return f"dim{dim}"
    return axis_symbols(len(spatial))[spatial.index(dim)].size.name


def _size(stem: str, index: int) -> sympy.Symbol:
    """The size of a concatenation's ``index``-th input along the joined axis: ``d_1``."""
    return sympy.Symbol(f"{stem}_{index}", integer=True, positive=True)


def _size_out(stem: str) -> Quantity:
    """The output's size along the joined axis: ``d_out`` (channels), ``W_out``…"""
    if stem in _SPATIAL:
        return quantity(f"{stem}_out")
    return Quantity(f"{stem}_out", f"{stem}_out", rf"{stem}_{{\text{{out}}}}")


def _keras_axis(value: Any, where: Where) -> Any:
    """Keras's ``axis`` counts the batch axis as 0; ``dim`` counts one example's axes."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value == 0:
            raise SpecError(
                "`axis` = 0 is the batch axis; Keras concatenates examples' axes 1, 2... or -1",
                where=where,
                field="axis",
            )
        return value - 1 if value > 0 else value
    return value  # not an integer: `dim`'s own check says so


#: Keras's names for these layers (``convention: keras``; see :mod:`symcnn.layers.keras`)
KERAS_FACES = (
    KerasFace("Add", Add),
    KerasFace("Multiply", Mul),
    KerasFace(
        "Concatenate", Cat, {"axis": "dim"}, convert={"axis": _keras_axis}, defaults={"dim": -1}
    ),
)
