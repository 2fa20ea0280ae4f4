"""Keras's ``MultiHeadAttention`` (``convention: keras``): per-head projections of chosen sizes.

Keras does not split an embedding among the heads as PyTorch does: each of the ``heads`` heads
projects the query and the key to ``d_k`` = key_dim features and the value to ``d_v`` = value_dim
(default key_dim), and the output dense maps the ``heads·d_v`` features back to ``e_o`` =
output_shape (default the query's width ``e``). Keras calls the layer as ``(query, value, key)``,
key defaulting to value, so ``from: [query, value]`` or ``from: [query, value, key]`` (one input:
self-attention). The query is ``(L_q, e)``, the value ``(L_k, e_v)``, the key ``(L_k, e_k)``; the
output ``(L_q, e_o)``::

    params = (e·heads·d_k + heads·d_k·bias) + (e_k·heads·d_k + heads·d_k·bias)
             query dense                     key dense
           + (e_v·heads·d_v + heads·d_v·bias) + (heads·d_v·e_o + e_o·bias)
             value dense                      output dense
    MACs   = L_q·e·heads·d_k + L_k·e_k·heads·d_k + L_k·e_v·heads·d_v      the projections
           + L_q·L_k·heads·(d_k + d_v)                                    Q·Kᵀ and A·V
           + L_q·heads·d_v·e_o                                            the output dense

Source: Keras 3's ``MultiHeadAttention`` (``_query_dense``, ``_key_dense``, ``_value_dense``
``EinsumDense`` kernels of shape ``(features, heads, key_dim)`` with ``(heads, key_dim)``
biases, ``_output_dense`` ``(heads, value_dim, output_shape)`` with an ``output_shape`` bias).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..errors import ShapeError, SpecError
from ..formula import Group, Node, Textbook, Written, plus, times
from ..prose import Inline, Math, Text, bias_phrase
from ..symbols import L_k, L_q, bias, d_k, d_v, e, e_k, e_o, e_v, heads
from ._defaults import with_values, written_work
from ._relations import eq
from .attention import SEQUENCE_RANK
from .base import (
    KERAS_WEIGHT_KEYWORDS,
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

__all__ = ["KERAS_ATTENTION_INPUTS", "KERAS_FACES", "KerasMultiHeadAttention"]

#: the roles of the tensors ``from`` may list, in Keras's call order: query, value, key
KERAS_ATTENTION_INPUTS = ("query", "value", "key")


def _dense(features: Node, width: Node) -> Node:
    """One EinsumDense: ``features·width`` weights and ``width`` biases."""
    return plus(times(features, width), times(width, bias))


@dataclass(frozen=True, kw_only=True)
class KerasMultiHeadAttention(Layer):
    """Keras's multi-head attention (``keras.layers.MultiHeadAttention``): only under
    ``convention: keras``, which names it ``MultiHeadAttention``."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = "attention"

    torch_name = "KerasMultiHeadAttention"
    arity: ClassVar[int | None] = None

    num_heads: Expr = arg("size")
    key_dim: Expr = arg("size")
    value_dim: Expr | None = arg("size?", None)
    dropout: float = arg("number", 0.0)
    bias: Expr = arg("bias", True)
    output_shape: Expr | None = arg("size?", None)

    formula_fields: ClassVar = ()

    def validate(self, where: Where) -> None:
        if isinstance(self.dropout, bool) or not 0 <= self.dropout <= 1:
            raise SpecError(
                f"`dropout` = {self.dropout}: a dropout probability must be between 0 and 1",
                where=where,
                field="dropout",
            )

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        query = Group(times(heads, d_k))
        value = Group(times(heads, d_v))
        params = plus(
            Group(_dense(e, query)),
            Group(_dense(e_k, query)),
            Group(_dense(e_v, value)),
            Group(_dense(value, e_o)),
        )
        macs = plus(
            times(L_q, e, heads, d_k),
            times(L_k, e_k, heads, d_k),
            times(L_k, e_v, heads, d_v),
            times(L_q, L_k, heads, Group(plus(d_k, d_v))),
            times(L_q, heads, d_v, e_o),
        )
        note = (
            "query, key and value dense layers of heads × key_dim (value: heads × value_dim) "
            "features, and the output dense back to e_o; each with its biases"
        )
        return Textbook(Written(params, note), macs=Written(macs))

    def formula(self, layout: str = "HWC") -> Formula:
        return self.textbook_formula(layout)

    def work(self, row: Row) -> dict[str, Expr]:
        """The four projections and the two products, and their bias additions."""
        book = self.textbook()
        assert book.macs is not None
        values = row.values
        biases = values[bias] * (
            values[L_q] * values[heads] * values[d_k]
            + values[L_k] * values[heads] * (values[d_k] + values[d_v])
            + values[L_q] * values[e_o]
        )
        return {"macs": written_work(row, book.macs), "bias": biases}

    def input_rank(self) -> tuple[int, ...]:
        return (SEQUENCE_RANK,)

    def bind(self, x: Tensor, where: Where) -> tuple[Row, list[Check]]:
        return self.bind_inputs([x], where)

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        return self.attention_values([x], where)

    def attention_values(
        self, xs: Sequence[Tensor], where: Where
    ) -> tuple[dict[Any, Expr], list[Check]]:
        """The notation's values for query, value and key ``xs`` (Keras's order)."""
        if not 1 <= len(xs) <= len(KERAS_ATTENTION_INPUTS):
            raise SpecError(
                "reads a query, or a query and a value (`from: [query, value]`), or a query, a "
                f"value and a key (`from: [query, value, key]`), but `from` lists {len(xs)}",
                where=where,
                field="from",
            )
        for role, x in zip(KERAS_ATTENTION_INPUTS, xs, strict=False):
            if x.rank != SEQUENCE_RANK:
                raise ShapeError(
                    f"expects a {role} of rank {SEQUENCE_RANK}, (L, features) for one example "
                    f"(no batch axis), got shape {format_shape(x.shape)} of rank {x.rank}",
                    where=where,
                    field="from" if len(xs) > 1 else "input",
                )
        query = xs[0]
        value = xs[1] if len(xs) > 1 else query
        key = xs[2] if len(xs) > 2 else value
        values: dict[Any, Expr] = {
            e: query.shape[-1],
            e_k: key.shape[-1],
            e_v: value.shape[-1],
            heads: self.num_heads,
            d_k: self.key_dim,
            d_v: self.key_dim if self.value_dim is None else self.value_dim,
            e_o: query.shape[-1] if self.output_shape is None else self.output_shape,
            bias: self.bias,
            L_q: query.shape[0],
            L_k: key.shape[0],
        }
        checks: list[Check] = []
        if len(xs) == 3:
            checks.append(
                Check(
                    where,
                    "from",
                    eq(key.shape[0], value.shape[0]),
                    f"value {format_shape(value.shape)} and key {format_shape(key.shape)} "
                    "need the same length",
                    ShapeError,
                )
            )
        return values, checks

    def bind_inputs(self, xs: Sequence[Tensor], where: Where) -> tuple[Row, list[Check]]:
        values, checks = self.attention_values(xs, where)
        general = self.general_formula(xs[0].layout)
        bound = general.at(values)
        row = Row(
            index=where.index,
            name=where.name,
            type=self.torch_name,
            input_shape=xs[0].shape,
            output_shape=(xs[0].shape[0], values[e_o]),
            params=bound.params,
            buffers=bound.buffers,
            formula=general,
            values=values,
            layer=self,
            input_shapes=tuple(x.shape for x in xs),
            extra=bound.extra,
        )
        return row, checks

    def describe(self) -> tuple[Inline, ...]:
        pieces: list[Inline] = [
            Math(self.num_heads),
            Text(" attention heads of "),
            Math(self.key_dim),
            Text(" key features"),
        ]
        return (*pieces, *bias_phrase(self.bias))

    def sheet_assumptions(self) -> tuple[str, ...]:
        return ("bias",)

    def param_mistakes(self, row: Row) -> list[tuple[str, Expr]]:
        mistakes = super().param_mistakes(row)
        values = row.values
        mistakes.append(
            (
                "forgetting the output dense",
                row.params - values[heads] * values[d_v] * values[e_o] - values[e_o] * values[bias],
            )
        )
        if values[bias] == 1:
            mistakes.append(
                ("forgetting the biases", with_values(row, row.formula.params, {bias: 0}))
            )
        return mistakes


def _output_shape(value: Any, where: Where) -> Any:
    """Keras's ``output_shape``: the output's last axis, as an int or a one-element list."""
    if isinstance(value, list | tuple):
        if len(value) != 1:
            raise SpecError(
                f"`output_shape` = {value!r}: symcnn takes the output's features, one size "
                "(an int or a one-element list)",
                where=where,
                field="output_shape",
            )
        return value[0]
    return value


#: Keras's initializer, regularizer and constraint keywords (it takes no ``activation``)
_WEIGHT_KEYWORDS = tuple(name for name in KERAS_WEIGHT_KEYWORDS if name != "activation")

#: Keras's name for it (``convention: keras``; see :mod:`symcnn.layers.keras`)
KERAS_FACES = (
    KerasFace(
        "MultiHeadAttention",
        KerasMultiHeadAttention,
        {
            "num_heads": "num_heads",
            "key_dim": "key_dim",
            "value_dim": "value_dim",
            "dropout": "dropout",
            "use_bias": "bias",
            "output_shape": "output_shape",
        },
        convert={"output_shape": _output_shape},
        ignored=(*_WEIGHT_KEYWORDS, "seed", "flash_attention"),
        required=("num_heads", "key_dim"),
        torch="MultiheadAttention (which splits embed_dim among the heads)",
    ),
)
