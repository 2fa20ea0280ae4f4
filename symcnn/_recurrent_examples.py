"""The example networks of the recurrent layers' identities (:mod:`symcnn.identities`): each
builds both sides as real networks with :func:`symcnn.network.load`, for one assignment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .network import load
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
