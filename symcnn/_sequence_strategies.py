"""Hypothesis strategies for sequence models: recurrent layers, embeddings and token specs.

Public through :mod:`symcnn.strategies` (``recurrent_layers``, ``sequence_specs_with_shapes``,
``sequence_specs``). As there, every draw is valid — PyTorch would build it — and the output shape
and the parameter count are computed here in plain Python from PyTorch's documented formulas, not
by symcnn's engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

Draw = Callable[[st.SearchStrategy[Any]], Any]

#: gates per recurrent layer type (PyTorch's gate_size / hidden_size)
GATES = {"RNN": 1, "GRU": 3, "LSTM": 4}


@dataclass(frozen=True)
class DrawnSequence:
    """A drawn sequence layer: its spec, its output shape and its parameters (PyTorch's count)."""

    layer: dict[str, Any]
    output_shape: tuple[int, ...]
    params: int


def recurrent_params(
    kind: str, input_size: int, hidden: int, layers: int, bias: bool, directions: int, proj: int
) -> int:
    """PyTorch's parameter count of ``torch.nn.RNN/GRU/LSTM``, layer by layer and direction."""
    gates, state = GATES[kind], proj or hidden
    total = 0
    for index in range(layers):
        inputs = input_size if index == 0 else directions * state
        one = gates * hidden * (inputs + state) + 2 * gates * hidden * bias + proj * hidden
        total += directions * one
    return total


@st.composite
def recurrent_layers(
    draw: Draw, input_shape: Sequence[int], max_hidden: int = 8, max_layers: int = 3
) -> DrawnSequence:
    """An RNN, GRU or LSTM valid for a sequence ``[L, F]`` (``input_shape``), with its output shape
    ``(L, D·H_out)`` and its parameter count."""
    steps, features = input_shape
    kind = draw(st.sampled_from(sorted(GATES)))
    hidden = draw(st.integers(1, max_hidden))
    layers = draw(st.integers(1, max_layers))
    bias, bidirectional = draw(st.booleans()), draw(st.booleans())
    layer: dict[str, Any] = {"type": kind, "hidden_size": hidden, "bias": bias}
    if layers > 1:
        layer.update(num_layers=layers, dropout=draw(st.sampled_from([0.0, 0.2])))
    if bidirectional:
        layer["bidirectional"] = True
    if draw(st.booleans()):
        layer["input_size"] = features
    proj = 0
    if kind == "LSTM" and hidden > 1 and draw(st.booleans()):
        proj = layer["proj_size"] = draw(st.integers(1, hidden - 1))
    if kind == "RNN" and draw(st.booleans()):
        layer["nonlinearity"] = draw(st.sampled_from(["tanh", "relu"]))
    directions = 2 if bidirectional else 1
    params = recurrent_params(kind, features, hidden, layers, bias, directions, proj)
    return DrawnSequence(layer, (steps, directions * (proj or hidden)), params)


@st.composite
def sequence_specs_with_shapes(
    draw: Draw, max_length: int = 8, max_recurrent: int = 2
) -> tuple[dict[str, Any], tuple[int, ...], int]:
    """A spec of token ids (an input declared ``int64``) through an ``Embedding`` and a stack of
    recurrent layers, with its output shape and its parameter count."""
    steps = draw(st.integers(1, max_length))
    vocabulary, width = draw(st.integers(2, 50)), draw(st.integers(1, 8))
    embedding: dict[str, Any] = {
        "type": "Embedding",
        "num_embeddings": vocabulary,
        "embedding_dim": width,
    }
    if draw(st.booleans()):
        embedding["padding_idx"] = draw(st.integers(-vocabulary, vocabulary - 1))
    spec: dict[str, Any] = {
        "input": {"shape": [steps], "dtype": draw(st.sampled_from(["int64", "long", "int32"]))},
        "layers": [embedding],
    }
    shape: tuple[int, ...] = (steps, width)
    params = vocabulary * width
    for _ in range(draw(st.integers(1, max_recurrent))):
        drawn = draw(recurrent_layers(shape))
        spec["layers"].append(drawn.layer)
        shape, params = drawn.output_shape, params + drawn.params
    return spec, shape, params


def sequence_specs(**options: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Valid token specs (options as :func:`sequence_specs_with_shapes`)."""
    return sequence_specs_with_shapes(**options).map(lambda triple: triple[0])
