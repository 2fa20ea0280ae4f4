"""The example networks of the recurrent layers' identities (:mod:`symcnn.identities`): each
builds both sides as real networks with :func:`symcnn.network.load`, for one assignment; and the
Keras convention's side of ``keras-lstm-is-torch-minus-4h``, which the references (PyTorch's
names) do not read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .network import load
from .references import quantity
from .symbols import NOTATION


def _params(layer: str, h_in: Any, **arguments: Any) -> Any:
    return load({"input": [3, h_in], "layers": [{"type": layer, **arguments}]}).params


def gates_example(values: Mapping[Any, int]) -> tuple[list[Any], list[Any]]:
    """LSTM and GRU against 4 and 3 RNNs of the same sizes (``lstm-is-four-rnns``)."""
    h_in, h, b = (values[NOTATION[name].symbol] for name in ("h_in", "h", "bias"))
    rnn = _params("RNN", h_in, hidden_size=h, bias=b)
    lstm, gru = (_params(layer, h_in, hidden_size=h, bias=b) for layer in ("LSTM", "GRU"))
    return [lstm, gru], [4 * rnn, 3 * rnn]


def directions_example(values: Mapping[Any, int]) -> tuple[list[Any], list[Any]]:
    """A bidirectional layer against one direction (``bidirectional-is-two-layers``)."""
    h_in, h, b = (values[NOTATION[name].symbol] for name in ("h_in", "h", "bias"))
    sides: tuple[list[Any], list[Any]] = ([], [])
    for layer in ("LSTM", "GRU", "RNN"):
        sides[0].append(_params(layer, h_in, hidden_size=h, bias=b, bidirectional=True))
        sides[1].append(2 * _params(layer, h_in, hidden_size=h, bias=b))
    return sides


#: the Keras layers of ``keras-lstm-is-torch-minus-4h``: (Keras config, PyTorch type, gates less
#: than PyTorch's bias count, bidirectional): one bias vector per gate set, except GRU's
#: reset_after (Keras's default), which keeps PyTorch's two
KERAS_RECURRENT = (
    ({"type": "LSTM"}, "LSTM", 4, False),
    ({"type": "GRU", "reset_after": False}, "GRU", 3, False),
    ({"type": "SimpleRNN"}, "RNN", 1, False),
    ({"type": "Bidirectional", "layer": {"type": "LSTM"}}, "LSTM", 4, True),
    ({"type": "GRU"}, "GRU", 0, False),
)


def _keras_layer(config: Mapping[str, Any], h: Any, b: Any) -> dict[str, Any]:
    if config["type"] == "Bidirectional":
        return {**config, "layer": _keras_layer(config["layer"], h, b)}
    return {**config, "units": h, "use_bias": b}


def keras_params(config: Mapping[str, Any], h_in: Any, h: Any, b: Any) -> Any:
    """The parameters of one Keras recurrent layer (``config`` without its sizes) under
    ``convention: keras``."""
    spec = {"convention": "keras", "input": [3, h_in], "layers": [_keras_layer(config, h, b)]}
    return load(spec).params


def keras_example(values: Mapping[Any, int]) -> tuple[list[Any], list[Any]]:
    """Keras's recurrent layers against PyTorch's, less G·h per direction for one bias vector
    (``keras-lstm-is-torch-minus-4h``)."""
    h_in, h, b = (values[NOTATION[name].symbol] for name in ("h_in", "h", "bias"))
    sides: tuple[list[Any], list[Any]] = ([], [])
    for config, torch_type, gates, both in KERAS_RECURRENT:
        directions = 2 if both else 1
        torch = _params(torch_type, h_in, hidden_size=h, bias=b, bidirectional=both)
        sides[0].append(keras_params(config, h_in, h, b))
        sides[1].append(torch - directions * gates * h * b)
    return sides


def keras_sides() -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The two sides of ``keras-lstm-is-torch-minus-4h``: Keras's counts (``convention: keras``)
    and PyTorch's (the references) less G·h·bias per direction."""
    h_in, h, b = (NOTATION[name].symbol for name in ("h_in", "h", "bias"))
    keras = tuple(keras_params(config, h_in, "h", "bias") for config, _, _, _ in KERAS_RECURRENT)
    torch = tuple(
        quantity(f"{torch_type}.params", bidirectional=both) - (2 if both else 1) * gates * h * b
        for _, torch_type, gates, both in KERAS_RECURRENT
    )
    return keras, torch
