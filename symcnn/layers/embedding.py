"""Embeddings: ``Embedding`` and ``EmbeddingBag``, tables of ``V`` vectors of ``d_e`` numbers.

The parameters are the table, ``V·d_e`` (PyTorch's ``weight [num_embeddings, embedding_dim]``);
``padding_idx`` only keeps one row at zero, it is still a parameter. The input is token indices:
``Embedding`` maps an example of any shape to that shape followed by ``d_e``; ``EmbeddingBag``
reduces each bag (sum, mean or max), so ``[L]`` (one bag) gives ``(d_e)`` and ``[B, L]`` (B bags of
L tokens) gives ``(B, d_e)``. Source: PyTorch's ``Embedding`` and ``EmbeddingBag`` pages.

An input that declares a floating-point dtype (or a layer's output, which is always floating point)
is refused: PyTorch looks rows up by ``int64`` or ``int32`` indices only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..errors import ShapeError, SpecError
from ..formula import Textbook, Written, times
from ..prose import Inline, Math, Text
from ..symbols import V, d_e
from ._relations import ge, lt
from .base import Check, Expr, Formula, KerasFace, Layer, Tensor, Where, arg, require

__all__ = ["INDEX_DTYPES", "Embedding", "EmbeddingBag"]

#: the dtypes PyTorch accepts as indices of an embedding table
INDEX_DTYPES = ("int64", "int32")


@dataclass(frozen=True, kw_only=True)
class _Table(Layer):
    """A table of ``num_embeddings`` vectors of ``embedding_dim``, looked up by index."""

    #: what the cost counters count it as (symcnn.costs): a lookup, no arithmetic
    cost_family: ClassVar[str] = "embedding"

    num_embeddings: Expr = arg("size")
    embedding_dim: Expr = arg("size")
    padding_idx: int | None = arg("int?", None)
    max_norm: float | None = arg("number?", None)
    norm_type: float = arg("number", 2.0)
    scale_grad_by_freq: bool = arg("bool", False)
    sparse: bool = arg("bool", False)

    formula_fields: ClassVar = ()
    mistake_families: ClassVar = ("embedding",)

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        note = "one vector of d_e numbers per index"
        if self.padding_idx is not None:
            note += " (the padding row is kept at zero, but it is still a parameter)"
        return Textbook(Written(times(V, d_e), note))

    def formula(self, layout: str = "HWC") -> Formula:
        return self.textbook_formula(layout)

    def describe(self) -> tuple[Inline, ...]:
        pieces: list[Inline] = [
            Text(f"{self.torch_name}: "),
            Math(self.num_embeddings),
            Text(" vectors of "),
            Math(self.embedding_dim),
        ]
        if self.padding_idx is not None:
            pieces.append(Text(f", padding index {self.padding_idx}"))
        return tuple(pieces)

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        if x.dtype is not None and x.dtype not in INDEX_DTYPES:
            what = "floating-point values" if x.is_float else f"{x.dtype} values"
            raise ShapeError(
                f"`input` holds {what}, but an embedding looks rows up by integer index "
                f"({' or '.join(INDEX_DTYPES)}): feed it token ids, such as an input declared "
                "{shape: [L], dtype: int64}",
                where=where,
                field="input",
            )
        checks: list[Check] = []
        if self.padding_idx is not None:
            size, index = self.num_embeddings, self.padding_idx
            require(
                checks,
                where,
                "padding_idx",
                sympy.And(lt(index, size), ge(index, -size)),
                lambda: (
                    f"`padding_idx` = {index} must be within num_embeddings = {size}: "
                    f"between {-size} and {size - 1}"
                ),
            )
        return {V: self.num_embeddings, d_e: self.embedding_dim}, checks


@dataclass(frozen=True, kw_only=True)
class Embedding(_Table):
    """A lookup table (``torch.nn.Embedding``): each index becomes its vector."""

    torch_name = "Embedding"

    def bind(self, x: Tensor, where: Where) -> Any:
        row, checks = super().bind(x, where)
        return dataclasses.replace(row, output_shape=(*x.shape, self.embedding_dim)), checks


@dataclass(frozen=True, kw_only=True)
class EmbeddingBag(_Table):
    """Bags of embeddings reduced by sum, mean or max (``torch.nn.EmbeddingBag``)."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = "embedding_bag"
    torch_name = "EmbeddingBag"
    choices: ClassVar = {"mode": ("sum", "mean", "max")}

    mode: str = arg("text", "mean")
    include_last_offset: bool = arg("bool", False)

    def validate(self, where: Where) -> None:
        if self.sparse and self.mode == "max":
            raise SpecError(
                "`mode` = 'max' does not support sparse weights (`sparse` = true)",
                where=where,
                field="mode",
            )

    def input_rank(self) -> tuple[int, ...]:
        return (1, 2)

    def describe(self) -> tuple[Inline, ...]:
        return (*super().describe(), Text(f", bags reduced by {self.mode}"))

    def bind(self, x: Tensor, where: Where) -> Any:
        row, checks = super().bind(x, where)
        bags = x.shape[:-1]  # [L] is one bag; [B, L] is B bags of L indices
        return dataclasses.replace(row, output_shape=(*bags, self.embedding_dim)), checks


#: Keras's names for these layers (``convention: keras``; see :mod:`symcnn.layers.keras`):
#: ``mask_zero`` only masks index 0 downstream, it adds no parameter
KERAS_FACES = (
    KerasFace(
        "Embedding",
        Embedding,
        {"input_dim": "num_embeddings", "output_dim": "embedding_dim"},
        ignored=(
            "mask_zero",
            "embeddings_initializer",
            "embeddings_regularizer",
            "embeddings_constraint",
            "activity_regularizer",
            "weights",
            "lora_rank",
            "lora_alpha",
        ),
        required=("input_dim", "output_dim"),
    ),
)
