"""Hypothesis strategies for attention and transformers (re-exported by :mod:`symcnn.strategies`).

Each draws a valid one-layer spec — PyTorch would build and run it — with its parameter count and
output shape computed here in plain Python from PyTorch's module structure (four projections per
attention, two linears and two or three LayerNorms per transformer layer), not by symcnn's trees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

__all__ = ["TRANSFORMER_TYPES", "Counted", "attention_specs", "transformer_specs"]

Draw = Callable[[st.SearchStrategy[Any]], Any]

#: the transformer layers :func:`transformer_specs` draws
TRANSFORMER_TYPES = (
    "TransformerEncoderLayer",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerDecoder",
    "Transformer",
)


@dataclass(frozen=True)
class Counted:
    """A drawn spec, and the parameters and output shape PyTorch's modules have for it."""

    spec: dict[str, Any]
    params: int
    output_shape: tuple[int, ...]


def _attention_params(embed: int, kdim: int, vdim: int, bias: bool, bias_kv: bool) -> int:
    in_proj = embed * embed + embed * kdim + embed * vdim + 3 * embed * bias
    out_proj = embed * embed + embed * bias
    return in_proj + out_proj + 2 * embed * bias_kv


@st.composite
def attention_specs(draw: Draw, max_heads: int = 4, max_length: int = 6) -> Counted:
    """A ``MultiheadAttention`` reading one, two (query, key-and-value) or three named inputs."""
    heads = draw(st.integers(1, max_heads))
    embed = heads * draw(st.integers(1, 4))
    sources = draw(st.integers(1, 3))
    query = [draw(st.integers(1, max_length)), embed]
    length = draw(st.integers(1, max_length))
    key = query if sources == 1 else [length, draw(st.integers(1, 8))]
    value = key if sources < 3 else [length, draw(st.integers(1, 8))]
    options = {
        "bias": draw(st.booleans()),
        "add_bias_kv": draw(st.booleans()),
        "add_zero_attn": draw(st.booleans()),
        "dropout": draw(st.sampled_from([0.0, 0.1, 0.5])),
    }
    inputs = {"q": query, "k": key, "v": value}
    names = ["q", "k", "v"][:sources]
    layer = {"type": "MultiheadAttention", "num_heads": heads, "from": names, **options}
    spec = {"inputs": {name: inputs[name] for name in names}, "layers": [layer]}
    params = _attention_params(embed, key[1], value[1], options["bias"], options["add_bias_kv"])
    return Counted(spec, params, tuple(query))


def _encoder_layer(embed: int, feedforward: int, bias: bool) -> int:
    linears = (embed * feedforward + feedforward * bias) + (feedforward * embed + embed * bias)
    return _attention_params(embed, embed, embed, bias, False) + linears + 2 * (1 + bias) * embed


def _decoder_layer(embed: int, feedforward: int, bias: bool) -> int:
    cross = _attention_params(embed, embed, embed, bias, False)
    return _encoder_layer(embed, feedforward, bias) + cross + (1 + bias) * embed


@st.composite
def transformer_specs(
    draw: Draw, types: tuple[str, ...] = TRANSFORMER_TYPES, max_layers: int = 3
) -> Counted:
    """One of PyTorch's transformer layers (:data:`TRANSFORMER_TYPES`) on one or two named
    sequences of width d_model."""
    kind = draw(st.sampled_from(list(types)))
    heads = draw(st.integers(1, 4))
    embed = heads * draw(st.integers(1, 4))
    feedforward = draw(st.integers(1, 16))
    bias = draw(st.booleans())
    layer: dict[str, Any] = {
        "type": kind,
        "d_model": embed,
        "nhead": heads,
        "dim_feedforward": feedforward,
        "bias": bias,
        "norm_first": draw(st.booleans()),
        "activation": draw(st.sampled_from(["relu", "gelu"])),
    }
    final_norm = (1 + bias) * embed
    if kind in ("TransformerEncoder", "TransformerDecoder"):
        count = draw(st.integers(1, max_layers))
        norm = draw(st.booleans())
        layer |= {"num_layers": count, "norm": norm}
        one = (_encoder_layer if kind == "TransformerEncoder" else _decoder_layer)(
            embed, feedforward, bias
        )
        params = count * one + norm * final_norm
    elif kind == "Transformer":
        encoders, decoders = draw(st.integers(1, max_layers)), draw(st.integers(1, max_layers))
        layer |= {"num_encoder_layers": encoders, "num_decoder_layers": decoders}
        params = (
            encoders * _encoder_layer(embed, feedforward, bias)
            + decoders * _decoder_layer(embed, feedforward, bias)
            + 2 * final_norm
        )
    elif kind == "TransformerDecoderLayer":
        params = _decoder_layer(embed, feedforward, bias)
    else:
        params = _encoder_layer(embed, feedforward, bias)
    first = [draw(st.integers(1, 6)), embed]
    second = [draw(st.integers(1, 6)), embed]
    two = kind in ("TransformerDecoderLayer", "TransformerDecoder", "Transformer")
    inputs = {"a": first, "b": second} if two else {"a": first}
    spec = {"inputs": inputs, "layers": [{**layer, "from": list(inputs)}]}
    # a decoder's output has tgt's shape: the first input of a decoder, the second of Transformer
    shape = second if kind == "Transformer" else first
    return Counted(spec, params, tuple(shape))
