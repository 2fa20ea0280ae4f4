"""Transformers: PyTorch's encoder and decoder layers, their stacks, and ``Transformer``.

Each is a composite: in a network it expands (:meth:`~symcnn.layers.base.Layer.expansion`) into
rows of the layers it is made of, with PyTorch's submodule names — ``self_attn``
(MultiheadAttention), ``linear1``, ``activation``, ``dropout``, ``linear2``, ``norm1``, ``norm2``,
``dropout1``, ``dropout2`` and the residual sums ``add1``, ``add2`` — so totals, costs and
references (``enc.layers.0.self_attn.params``) read them, and ``summary --depth`` folds them into
one row. With ``e`` = d_model and ``e_ff`` = dim_feedforward (PyTorch's E and F)::

    TransformerEncoderLayer  (4·e·e + 4·e·bias) + (e·e_ff + e_ff·bias) + (e_ff·e + e·bias)
                             + 2·(1 + bias)·e
                             = 4E² + 2EF + 9E + F  (bias = 1),   4E² + 2EF + 2E  (bias = 0)
    TransformerDecoderLayer  2·(4·e·e + 4·e·bias) + (e·e_ff + e_ff·bias) + (e_ff·e + e·bias)
                             + 3·(1 + bias)·e
    TransformerEncoder       l_e·(encoder layer) + norm·(1 + bias)·e
    TransformerDecoder       l_d·(decoder layer) + norm·(1 + bias)·e
    Transformer              l_e·(encoder layer) + (1 + bias)·e + l_d·(decoder layer) + (1 + bias)·e

``bias: false`` removes the biases of the attention, the linears and the LayerNorms alike (PyTorch
2.13 passes ``bias`` to each). A stack's final LayerNorm is PyTorch's ``norm=`` argument, written
``norm: true`` (with the layers' ``layer_norm_eps`` and ``bias``); ``Transformer`` always has
both, as PyTorch builds them. ``num_layers`` may be symbolic: the layer is then shown once and
counted ``num_layers`` times (``layers.self_attn``...).

Source: PyTorch's ``torch/nn/modules/transformer.py`` (``_sa_block``, ``_mha_block``,
``_ff_block``, ``norm_first``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..errors import ShapeError, SpecError
from ..formula import Group, Node, Textbook, Written, plus, times
from ..prose import Inline, Math, Text, bias_phrase
from ..symbols import bias, e, e_ff, heads, l_d, l_e, norm
from .attention import SEQUENCE_RANK
from .base import Check, Expansion, Expr, Formula, Layer, Row, Tensor, Where, arg, format_shape

__all__ = [
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
]

#: the activations PyTorch's transformer layers accept by name
ACTIVATIONS = ("relu", "gelu")
_ACTIVATION_TYPE = {"relu": "ReLU", "gelu": "GELU"}


def _flag(value: Expr) -> Any:
    """A bias flag as a spec writes it: true, false, or the symbol's name."""
    if value in (0, 1):
        return bool(value)
    return str(value)


# -- the formulas, written once


def _attention() -> Node:
    """One MultiheadAttention of width e reading width e: four e × e projections, 4e biases."""
    return Group(plus(times(4, e, e), times(4, e, bias)))


def _feedforward() -> tuple[Node, Node]:
    """linear1 (e → e_ff) and linear2 (e_ff → e), each with its biases."""
    return Group(plus(times(e, e_ff), times(e_ff, bias))), Group(
        plus(times(e_ff, e), times(e, bias))
    )


def _norms(count: int) -> Node:
    """``count`` LayerNorms over e features: a scale and (with bias) a shift each."""
    return times(count, Group(plus(1, bias)), e)


def encoder_layer_params() -> Node:
    linear1, linear2 = _feedforward()
    return plus(_attention(), linear1, linear2, _norms(2))


def decoder_layer_params() -> Node:
    linear1, linear2 = _feedforward()
    return plus(times(2, _attention()), linear1, linear2, _norms(3))


def _final_norm() -> Node:
    return times(Group(plus(1, bias)), e)


# -- the layers


@dataclass(frozen=True, kw_only=True)
class _Transformer(Layer):
    """The keywords every transformer layer takes, and their expansion into rows."""

    #: what the cost counters count it as: its rows count, the composite itself never does
    cost_family: ClassVar[str] = "none"
    choices: ClassVar[Mapping[str, tuple[str, ...]]] = {"activation": ACTIVATIONS}
    #: the names of the tensors ``from`` lists, in order
    roles: ClassVar[tuple[str, ...]] = ("src",)
    #: the position in ``from`` of the input whose shape the output has
    output_of: ClassVar[int] = 0
    #: what the working says of the parameters
    note: ClassVar[str] = ""

    d_model: Expr | None = arg("size?", None, inferred=True)
    nhead: Expr = arg("size")
    dim_feedforward: Expr = arg("size", 2048)
    dropout: float = arg("number", 0.1)
    activation: str = arg("text", "relu")
    layer_norm_eps: float = arg("number", 1e-5)
    batch_first: bool = arg("bool", False)
    norm_first: bool = arg("bool", False)
    bias: Expr = arg("bias", True)

    formula_fields: ClassVar = ()

    def validate(self, where: Where) -> None:
        if not 0 <= self.dropout <= 1:
            raise SpecError(
                f"`dropout` = {self.dropout}: a dropout probability must be between 0 and 1",
                where=where,
                field="dropout",
            )

    # -- one row, for the layer alone (references, exams); a network expands it

    def params_tree(self) -> Node:
        raise NotImplementedError

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        return Textbook(Written(self.params_tree(), self.note))

    def formula(self, layout: str = "HWC") -> Formula:
        return self.textbook_formula(layout)

    def values(self, embed: Expr) -> dict[Any, Expr]:
        return {e: embed, e_ff: self.dim_feedforward, bias: self.bias, heads: self.nhead}

    def inputs(self, xs: Sequence[Tensor], where: Where) -> Expr:
        """Check the inputs' count and ranks; the model width they carry."""
        if len(xs) != len(self.roles):
            wanted = self.roles[0] if len(self.roles) == 1 else f"[{', '.join(self.roles)}]"
            raise SpecError(
                f"reads {wanted} (`from: {wanted}`), but `from` lists {len(xs)}",
                where=where,
                field="from",
            )
        for role, x in zip(self.roles, xs, strict=True):
            if x.rank != SEQUENCE_RANK:
                raise ShapeError(
                    f"expects a {role} of rank {SEQUENCE_RANK}, (L, d_model) for one example "
                    f"(no batch axis), got shape {format_shape(x.shape)} of rank {x.rank}",
                    where=where,
                    field="from" if len(xs) > 1 else "input",
                )
        return xs[0].shape[-1] if self.d_model is None else self.d_model

    def checks(self, xs: Sequence[Tensor], where: Where, embed: Expr) -> list[Check]:
        return [
            check
            for role, x in zip(self.roles, xs, strict=True)
            for check in self.agree(where, "d_model", embed, x.shape[-1])
        ]

    def bind(self, x: Tensor, where: Where) -> tuple[Row, list[Check]]:
        return self.bind_inputs([x], where)

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        embed = self.inputs([x], where)
        return self.values(embed), self.checks([x], where, embed)

    def bind_inputs(self, xs: Sequence[Tensor], where: Where) -> tuple[Row, list[Check]]:
        embed = self.inputs(xs, where)
        values = self.values(embed)
        general = self.general_formula(xs[0].layout)
        bound = general.at(values)
        row = Row(
            index=where.index,
            name=where.name,
            type=self.torch_name,
            input_shape=xs[0].shape,
            output_shape=xs[self.output_of].shape,
            params=bound.params,
            buffers=bound.buffers,
            formula=general,
            values=values,
            layer=self,
            input_shapes=tuple(x.shape for x in xs),
        )
        return row, self.checks(xs, where, embed)

    # -- the rows it is made of

    def entries(self, embed: Expr) -> list[dict[str, Any]]:
        raise NotImplementedError

    def expansion(self, xs: Sequence[Tensor], where: Where) -> Expansion | None:
        embed = self.inputs(xs, where)
        inputs = {role: position for position, role in enumerate(self.roles) if position}
        return Expansion(
            tuple(self.entries(embed)), inputs, checks=tuple(self.checks(xs, where, embed))
        )

    def _norm(self, name: str, source: Any = None) -> dict[str, Any]:
        entry = {
            "type": "LayerNorm",
            "name": name,
            "eps": self.layer_norm_eps,
            "bias": _flag(self.bias),
        }
        return entry if source is None else {**entry, "from": source}

    def _attention(self, name: str, source: Any, embed: Expr, cross: bool) -> dict[str, Any]:
        entry = {
            "type": "MultiheadAttention",
            "name": name,
            "from": source,
            "embed_dim": embed,
            "num_heads": self.nhead,
            "dropout": self.dropout,
            "bias": _flag(self.bias),
            "batch_first": self.batch_first,
        }
        # PyTorch's cross-attention projects memory of width d_model: kdim = vdim = d_model
        return {**entry, "kdim": embed, "vdim": embed} if cross else entry

    def _dropout(self, name: str) -> dict[str, Any]:
        return {"type": "Dropout", "name": name, "p": self.dropout}

    def _feedforward(self, source: str, embed: Expr) -> list[dict[str, Any]]:
        return [
            {
                "type": "Linear",
                "name": "linear1",
                "from": source,
                "out_features": self.dim_feedforward,
                "bias": _flag(self.bias),
            },
            {"type": _ACTIVATION_TYPE[self.activation], "name": "activation"},
            self._dropout("dropout"),
            {"type": "Linear", "name": "linear2", "out_features": embed, "bias": _flag(self.bias)},
        ]

    def _sublayers(
        self, blocks: Sequence[tuple[str, list[dict[str, Any]]]]
    ) -> list[dict[str, Any]]:
        """Residual sublayers in PyTorch's order: ``x = norm(x + block(x))`` (post-norm) or
        ``x = x + block(norm(x))`` (norm_first); ``blocks`` are (its number, its layers reading
        ``@`` as the sublayer's input)."""
        entries: list[dict[str, Any]] = []
        current = "input"
        for number, layers in blocks:
            norm_name = f"norm{number}"
            start = norm_name if self.norm_first else current
            if self.norm_first:
                entries.append(self._norm(norm_name, current))
            for layer in layers:
                source = layer.get("from")
                if source == "@":
                    layer = {**layer, "from": start}
                elif isinstance(source, list):
                    layer = {**layer, "from": [start if item == "@" else item for item in source]}
                entries.append(layer)
            entries.append(self._dropout(f"dropout{number}"))
            entries.append(
                {"type": "Add", "name": f"add{number}", "from": [current, f"dropout{number}"]}
            )
            current = f"add{number}"
            if not self.norm_first:
                entries.append(self._norm(norm_name))
                current = norm_name
        return entries

    def describe(self) -> tuple[Inline, ...]:
        pieces: list[Inline] = [Text(f"{self.torch_name}, "), Math(self.nhead), Text(" heads")]
        if self.d_model is not None:
            pieces += [Text(", d_model "), Math(self.d_model)]
        pieces += [Text(", feedforward "), Math(self.dim_feedforward), Text(f", {self.activation}")]
        if self.norm_first:
            pieces.append(Text(", norm first"))
        return (*pieces, *bias_phrase(self.bias))

    def sheet_assumptions(self) -> tuple[str, ...]:
        return ("bias",)


@dataclass(frozen=True, kw_only=True)
class TransformerEncoderLayer(_Transformer):
    """Self-attention and a feedforward network, each a residual sublayer with a LayerNorm
    (``torch.nn.TransformerEncoderLayer``)."""

    torch_name = "TransformerEncoderLayer"
    mistake_families: ClassVar = ("transformer",)
    note = "self_attn, linear1, linear2, norm1 and norm2"

    def params_tree(self) -> Node:
        return encoder_layer_params()

    def entries(self, embed: Expr) -> list[dict[str, Any]]:
        return self._sublayers(
            [
                ("1", [self._attention("self_attn", "@", embed, cross=False)]),
                ("2", self._feedforward("@", embed)),
            ]
        )


@dataclass(frozen=True, kw_only=True)
class TransformerDecoderLayer(_Transformer):
    """Self-attention, attention to the encoder's memory and a feedforward network, each a
    residual sublayer with a LayerNorm (``torch.nn.TransformerDecoderLayer``,
    ``from: [tgt, memory]``)."""

    torch_name = "TransformerDecoderLayer"
    arity: ClassVar[int | None] = None
    roles = ("tgt", "memory")
    note = "self_attn, multihead_attn, linear1, linear2, norm1, norm2 and norm3"

    def params_tree(self) -> Node:
        return decoder_layer_params()

    def entries(self, embed: Expr) -> list[dict[str, Any]]:
        cross = self._attention("multihead_attn", ["@", "memory"], embed, cross=True)
        return self._sublayers(
            [
                ("1", [self._attention("self_attn", "@", embed, cross=False)]),
                ("2", [cross]),
                ("3", self._feedforward("@", embed)),
            ]
        )


def _layer_keywords(stack: _Transformer) -> dict[str, Any]:
    """The keywords a stack passes on to each of its layers."""
    own = _Transformer.arguments()  # spec arguments only: not the counting convention
    return {name: getattr(stack, name) for name in own}


@dataclass(frozen=True, kw_only=True)
class _Stack(_Transformer):
    """``num_layers`` copies of one layer (``layers.0``, ``layers.1``...) and a final LayerNorm."""

    num_layers: Expr = arg("size")
    norm: bool = arg("bool", False)
    enable_nested_tensor: bool = arg("bool", True)

    #: the layer stacked, and the symbol of how many
    layer: ClassVar[type[_Transformer]]
    count: ClassVar[sympy.Symbol]

    def params_tree(self) -> Node:
        return plus(
            times(self.count, Group(self.layer(**_layer_keywords(self)).params_tree())),
            times(norm, _final_norm()),
        )

    def values(self, embed: Expr) -> dict[Any, Expr]:
        return {
            **super().values(embed),
            self.count: self.num_layers,
            norm: sympy.Integer(int(self.norm)),
        }

    def entries(self, embed: Expr) -> list[dict[str, Any]]:
        layer = self.layer(**_layer_keywords(self))
        inputs = list(self.roles[1:])
        source: Any = ["input", *inputs] if inputs else "input"
        entries: list[dict[str, Any]] = []
        if self.num_layers.is_number:
            for copy in range(int(self.num_layers)):
                entries.append(
                    {
                        "type": layer.torch_name,
                        "name": f"layers.{copy}",
                        "from": source,
                        **_arguments(layer),
                    }
                )
                source = [f"layers.{copy}", *inputs] if inputs else f"layers.{copy}"
        else:
            # a symbolic count: the layer's rows once, counted num_layers times
            block = {"args": {}, "layers": layer.entries(embed)}
            entries.append({"block": block, "name": "layers", "repeat": str(self.num_layers)})
        if self.norm:
            entries.append(self._norm("norm"))
        return entries


def _arguments(layer: _Transformer) -> dict[str, Any]:
    values = _layer_keywords(layer)
    values["bias"] = _flag(layer.bias)
    return {name: value for name, value in values.items() if value is not None}


@dataclass(frozen=True, kw_only=True)
class TransformerEncoder(_Stack):
    """A stack of ``num_layers`` encoder layers, and a final LayerNorm with ``norm: true``
    (``torch.nn.TransformerEncoder(encoder_layer, num_layers, norm)``)."""

    torch_name = "TransformerEncoder"
    layer = TransformerEncoderLayer
    count = l_e
    note = "num_layers encoder layers and, with norm, a final LayerNorm"


@dataclass(frozen=True, kw_only=True)
class TransformerDecoder(_Stack):
    """A stack of ``num_layers`` decoder layers reading one memory, and a final LayerNorm with
    ``norm: true`` (``torch.nn.TransformerDecoder(decoder_layer, num_layers, norm)``,
    ``from: [tgt, memory]``)."""

    torch_name = "TransformerDecoder"
    arity: ClassVar[int | None] = None
    roles = ("tgt", "memory")
    layer = TransformerDecoderLayer
    count = l_d
    note = "num_layers decoder layers and, with norm, a final LayerNorm"


@dataclass(frozen=True, kw_only=True)
class Transformer(_Transformer):
    """An encoder stack over ``src`` and a decoder stack over ``tgt`` reading its output, each
    with its final LayerNorm (``torch.nn.Transformer``, ``from: [src, tgt]``)."""

    torch_name = "Transformer"
    arity: ClassVar[int | None] = None
    roles = ("src", "tgt")
    output_of = 1
    note = "the encoder's layers and norm, the decoder's layers and norm"

    d_model: Expr = arg("size", 512)
    nhead: Expr = arg("size", 8)
    num_encoder_layers: Expr = arg("size", 6)
    num_decoder_layers: Expr = arg("size", 6)

    def params_tree(self) -> Node:
        return plus(
            times(l_e, Group(encoder_layer_params())),
            _final_norm(),
            times(l_d, Group(decoder_layer_params())),
            _final_norm(),
        )

    def values(self, embed: Expr) -> dict[Any, Expr]:
        return {**super().values(embed), l_e: self.num_encoder_layers, l_d: self.num_decoder_layers}

    def entries(self, embed: Expr) -> list[dict[str, Any]]:
        keywords = {
            name: value
            for name, value in _arguments(self).items()
            if name not in ("num_encoder_layers", "num_decoder_layers")
        }
        return [
            {
                "type": "TransformerEncoder",
                "name": "encoder",
                "from": "input",
                "num_layers": self.num_encoder_layers,
                "norm": True,
                **keywords,
            },
            {
                "type": "TransformerDecoder",
                "name": "decoder",
                "from": ["tgt", "encoder"],
                "num_layers": self.num_decoder_layers,
                "norm": True,
                **keywords,
            },
        ]
