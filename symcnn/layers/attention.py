"""Multi-head attention (``torch.nn.MultiheadAttention``): four projections and two matrix products.

One example's query is a sequence ``(L_q, e)`` of ``e`` = embed_dim features (PyTorch's ``E``;
the notation writes ``e`` because a SymPy symbol ``E`` reads as Euler's number). By default the
layer attends to its own input (query = key = value); ``from: [q, k, v]`` reads key and value
elsewhere, ``from: [q, kv]`` one tensor for both. Key and value have ``L_k`` steps of ``e_k`` =
kdim and ``e_v`` = vdim features, inferred from those inputs. The output is the attention output
``module(q, k, v)[0]``, of the query's shape ``(L_q, e)``::

    params = (e·e + e·e_k + e·e_v + 3·e·bias) + (e·e + e·bias) + 2·e·bias_kv
             in_proj: q, k, v weights + biases   out_proj        bias_k, bias_v
    MACs   = L_q·e·e + L_k·e·e_k + L_k·e·e_v                     the q, k, v projections
           + 2·L_q·(L_k + bias_kv + zero_attn)·e                 Q·Kᵀ and A·V over all heads
           + L_q·e·e                                             the out projection

The heads split ``e`` into ``e/num_heads`` features each, so neither count depends on their
number; ``num_heads`` must divide ``e`` (PyTorch's refusal). ``add_bias_kv`` appends one learnt
step and ``add_zero_attn`` one zero step to the keys and values, so the products see
``L_k + bias_kv + zero_attn`` steps. The MACs are what ``FlopCounterMode`` counts (``aten.addmm``
or ``aten.mm`` for the projections, ``aten.bmm`` for the two products; FLOPs = 2·MACs); the
softmax, the scaling and the dropout are not matrix work.

Source: PyTorch's ``MultiheadAttention`` (``in_proj_weight [3E, E]`` or ``q/k/v_proj_weight``
when kdim or vdim differ from E, ``in_proj_bias [3E]``, ``out_proj`` a ``Linear(E, E)``,
``bias_k``/``bias_v [1, 1, E]``) and ``F.multi_head_attention_forward``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..errors import ShapeError, SpecError
from ..formula import Group, Node, Textbook, Written, plus, times
from ..prose import Inline, Math, Text, bias_phrase
from ..symbols import L_k, L_q, bias, bias_kv, e, e_k, e_v, heads, zero_attn
from ._defaults import with_values, written_work
from ._relations import divides, eq
from .base import Check, Expr, Formula, Layer, Row, Tensor, Where, arg, format_shape

__all__ = ["ATTENTION_INPUTS", "MultiheadAttention"]

#: the roles of the tensors ``from`` may list, in order: query, key, value
ATTENTION_INPUTS = ("query", "key", "value")
#: the rank of one example of each input: a sequence of feature vectors, no batch axis
SEQUENCE_RANK = 2


def in_projection() -> Node:
    """The q, k, v projections (in_proj) with their 3e biases."""
    return plus(times(e, e), times(e, e_k), times(e, e_v), times(3, e, bias))


def out_projection() -> Node:
    """The out projection, a Linear(e, e)."""
    return plus(times(e, e), times(e, bias))


def attention_params(values: Mapping[sympy.Basic, Expr] | None = None) -> Node:
    """The parameters of one MultiheadAttention, as the textbook writes them; with a row's values,
    without the bias_k/bias_v term when there is none."""
    terms: list[Node] = [Group(in_projection()), Group(out_projection())]
    if values is None or values.get(bias_kv) != 0:
        terms.append(times(2, e, bias_kv))
    return plus(*terms)


@dataclass(frozen=True, kw_only=True)
class MultiheadAttention(Layer):
    """Multi-head attention (``torch.nn.MultiheadAttention``); self-attention unless ``from``
    names a query, a key and a value (or a query and one tensor for key and value)."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = "attention"

    torch_name = "MultiheadAttention"
    arity: ClassVar[int | None] = None

    embed_dim: Expr | None = arg("size?", None, inferred=True)
    num_heads: Expr = arg("size")
    dropout: float = arg("number", 0.0)
    bias: Expr = arg("bias", True)
    add_bias_kv: bool = arg("bool", False)
    add_zero_attn: bool = arg("bool", False)
    kdim: Expr | None = arg("size?", None, inferred=True)
    vdim: Expr | None = arg("size?", None, inferred=True)
    batch_first: bool = arg("bool", False)

    formula_fields: ClassVar = ()
    mistake_families: ClassVar = ("attention",)

    def validate(self, where: Where) -> None:
        # F.multi_head_attention_forward hands dropout to F.dropout, which refuses p outside [0, 1]
        if not 0 <= self.dropout <= 1:
            raise SpecError(
                f"`dropout` = {self.dropout}: a dropout probability must be between 0 and 1",
                where=where,
                field="dropout",
            )

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        note = (
            "in_proj: the q, k and v weights and 3e biases; out_proj: e·e weights and e biases"
            + ("" if values is not None and values.get(bias_kv) == 0 else "; bias_k and bias_v")
        )
        # the keys and values the two products see: L_k steps, a learnt one, a zero one
        steps = Group(plus(L_k, bias_kv, zero_attn))
        macs = plus(
            times(L_q, e, e),
            times(L_k, e, e_k),
            times(L_k, e, e_v),
            times(2, L_q, steps, e),
            times(L_q, e, e),
        )
        return Textbook(Written(attention_params(values), note), macs=Written(macs))

    def formula(self, layout: str = "HWC") -> Formula:
        return self.textbook_formula(layout)

    def work(self, row: Row) -> dict[str, Expr]:
        """The four projections and the two products (:meth:`textbook`'s MACs tree) and the
        bias additions of the projections: q and out on L_q steps, k and v on L_k."""
        book = self.textbook()
        assert book.macs is not None
        values = row.values
        biases = values[bias] * (2 * values[L_q] + 2 * values[L_k]) * values[e]
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
        """The notation's values for query, key and value ``xs``, and the checks they need."""
        if not 1 <= len(xs) <= len(ATTENTION_INPUTS):
            raise SpecError(
                f"reads a query, or a query, a key and a value (`from: [q, k, v]`, or "
                f"`from: [q, kv]`), but `from` lists {len(xs)}",
                where=where,
                field="from",
            )
        for role, x in zip(ATTENTION_INPUTS, xs, strict=False):
            if x.rank != SEQUENCE_RANK:
                raise ShapeError(
                    f"expects a {role} of rank {SEQUENCE_RANK}, (L, features) for one example "
                    f"(no batch axis), got shape {format_shape(x.shape)} of rank {x.rank}",
                    where=where,
                    field="from" if len(xs) > 1 else "input",
                )
        if len(xs) == 1:
            for name in ("kdim", "vdim"):
                if getattr(self, name) is not None:
                    raise SpecError(
                        f"`{name}` = {getattr(self, name)} needs a separate key and value input: "
                        "self-attention reads its query as key and value; give "
                        "`from: [q, k, v]` (or `from: [q, kv]`)",
                        where=where,
                        field=name,
                    )
        query = xs[0]
        key = xs[1] if len(xs) > 1 else query
        value = xs[2] if len(xs) > 2 else key
        embed = query.shape[-1]
        values: dict[Any, Expr] = {
            e: embed,
            e_k: key.shape[-1],
            e_v: value.shape[-1],
            bias: self.bias,
            bias_kv: sympy.Integer(int(self.add_bias_kv)),
            zero_attn: sympy.Integer(int(self.add_zero_attn)),
            L_q: query.shape[0],
            L_k: key.shape[0],
            heads: self.num_heads,
        }
        checks = [
            *self.agree(where, "embed_dim", self.embed_dim, embed),
            *self.agree(where, "kdim", self.kdim, key.shape[-1]),
            *self.agree(where, "vdim", self.vdim, value.shape[-1]),
            Check(
                where,
                "num_heads",
                divides(self.num_heads, embed),
                f"`num_heads` = {self.num_heads} must divide embed_dim ({embed}): each head "
                "attends with embed_dim / num_heads features",
            ),
        ]
        if len(xs) == 3:
            checks.append(
                Check(
                    where,
                    "from",
                    eq(key.shape[0], value.shape[0]),
                    f"key {format_shape(key.shape)} and value {format_shape(value.shape)} "
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
            output_shape=xs[0].shape,
            params=bound.params,
            buffers=bound.buffers,
            formula=general,
            values=values,
            layer=self,
            input_shapes=tuple(x.shape for x in xs),
            extra=bound.extra,
        )
        return row, checks

    # -- what the layer knows

    def describe(self) -> tuple[Inline, ...]:
        pieces: list[Inline] = [Math(self.num_heads), Text(" attention heads")]
        if self.embed_dim is not None:
            pieces += [Text(" over "), Math(self.embed_dim), Text(" features")]
        pieces += bias_phrase(self.bias)
        if self.add_bias_kv:
            pieces.append(Text(", learnt bias_k and bias_v"))
        if self.add_zero_attn:
            pieces.append(Text(", a zero attention step"))
        return tuple(pieces)

    def sheet_assumptions(self) -> tuple[str, ...]:
        return ("bias",)

    def param_mistakes(self, row: Row) -> list[tuple[str, Expr]]:
        values = row.values
        embed, keys, vals = values[e], values[e_k], values[e_v]
        flag = values[bias]
        out = embed * embed + embed * flag
        heads = self.num_heads
        candidates: list[tuple[str, Expr]] = [
            ("forgetting the out projection", row.params - out),
            (
                "counting each head's projections at e × e",
                row.params + (heads - 1) * (embed * embed + embed * keys + embed * vals),
            ),
            (
                "one e × e projection for q, k and v together",
                row.params - embed * keys - embed * vals,
            ),
        ]
        if flag == 1:
            candidates.append(
                ("forgetting the biases", with_values(row, row.formula.params, {bias: 0}))
            )
        return candidates
