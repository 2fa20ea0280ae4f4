"""A learnable tensor: what PyTorch writes as a bare ``nn.Parameter`` (or ``register_buffer``).

ViT's class token and position embedding, ConvNeXt's layer scale: tensors a module owns and
combines with its activations, not layers that transform an input. Such a tensor is a *source*:
it reads no input (``from`` on it is an error), its output is itself, of the ``shape`` the spec
gives (one example's axes, in the spec's layout), and it joins the other tensors through the
merges: ``cat`` (ViT prepends the class token), ``add`` (the position embedding), ``mul`` (the
layer scale, broadcast over the height and width)::

    params  = n_1·n_2·…·n_r      the product of the shape (0 with ``buffer: true``)
    buffers = n_1·n_2·…·n_r      with ``buffer: true`` (a registered buffer), else 0

The shape is written without the batch axis PyTorch gives tensors that it expands over the batch:
torchvision's class token ``[1, 1, E]`` is ``[1, E]`` here (it has the same ``E`` elements), its
position embedding ``[1, L + 1, E]`` is ``[L + 1, E]``; ConvNeXt's layer scale ``[C, 1, 1]`` has no
batch axis and broadcasts over it. A scalar parameter is ``[1]``. It does no arithmetic (no
MACs): the merge that uses it counts its own work.

Source: ``torch.nn.Parameter`` and ``torch.nn.Module.register_buffer``; torchvision's
``vision_transformer.py`` (``class_token``, ``pos_embedding``) and ``convnext.py``
(``layer_scale``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..errors import SpecError
from ..formula import Textbook, Value, Written, because, evaluate, times
from ..prose import Inline, Shape, Text
from ._relations import ge
from .base import ZERO, Check, Expr, Formula, Layer, Row, Tensor, Where, arg, format_shape

__all__ = ["Parameter"]

#: what the working says of the elements
ELEMENTS = "the product of the shape: one number per element"


@dataclass(frozen=True, kw_only=True)
class Parameter(Layer):
    """A learnable tensor of a given ``shape`` that reads no input (``torch.nn.Parameter``);
    ``buffer: true`` makes it a registered buffer, counted as buffers rather than parameters."""

    torch_name = "Parameter"
    #: a source: it reads no input
    arity: ClassVar[int | None] = 0
    #: its output is its own weights, not an activation
    new_output: ClassVar[bool] = False

    shape: tuple[Expr, ...] = arg("shape")
    buffer: bool = arg("bool", False)

    formula_fields: ClassVar = ("shape", "buffer")

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        elements = Written(times(*(Value(size) for size in self.shape)), ELEMENTS)
        if self.buffer:
            return Textbook(because("buffer = true: a registered buffer learns nothing"), elements)
        return Textbook(elements)

    def formula(self, layout: str = "HWC") -> Formula:
        book = self.textbook()
        buffers = ZERO if book.buffers is None else _count(book.buffers)
        return Formula(params=_count(book.params), buffers=buffers, output_shape=self.shape)

    def describe(self) -> tuple[Inline, ...]:
        what = "a registered buffer" if self.buffer else "a learnable tensor"
        return (Text(f"{what} of shape "), Shape(self.shape))

    def size_mistakes(self, row: Row, axis: int) -> list[tuple[str, Expr]]:
        """Its sizes are given, not computed: there is no formula to get wrong."""
        return []

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        return {}, []

    def bind_inputs(self, xs: Sequence[Tensor], where: Where) -> tuple[Row, list[Check]]:
        if xs:
            raise SpecError(
                "a `parameter` reads no input: it is a tensor of its own `shape`; combine it "
                "with others through `cat`, `add` or `mul`",
                where=where,
                field="from",
            )
        general = self.general_formula("HWC")
        row = Row(
            index=where.index,
            name=where.name,
            type=self.torch_name,
            input_shape=(),
            output_shape=self.shape,
            params=general.params,
            buffers=general.buffers,
            formula=general,
            values={},
            layer=self,
        )
        return row, self._size_checks(where)

    def _size_checks(self, where: Where) -> list[Check]:
        """A size written as an expression (``L + 1``) must come out a positive whole number."""
        checks = []
        for size in self.shape:
            if not size.free_symbols:
                continue
            message = f"`shape` = {format_shape(self.shape)}: {size} must be a positive integer"
            checks.append(Check(where, "shape", ge(size, 1), message))
            if size.is_integer is not True:
                checks.append(Check(where, "shape", sympy.Eq(sympy.Mod(size, 1), 0), message))
        return checks


def _count(written: Written) -> Expr:
    return ZERO if written.formula is None else evaluate(written.formula)
