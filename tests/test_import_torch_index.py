"""``from_torch`` reads integer indexing among full slices (``out[:, -1, :]``, ``x[:, 1, :, 2]``)
as ``select`` rows, an RNN's ``h_n[-1]`` and the mean over a sequence's steps; other indexing is
refused by name. Shapes and counts are checked in torch."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import symcnn
from symcnn.errors import SymcnnError
from symcnn.interop import from_torch, to_torch

torch.set_num_threads(1)


class Index(nn.Module):
    def __init__(self, index: Any) -> None:
        super().__init__()
        self.index = index

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[self.index]


class LastStep(nn.Module):
    """The classic sequence classifier: an LSTM's output at the last time step, then a head."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(100, 32)
        self.lstm = nn.LSTM(32, 24, num_layers=2, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(48, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.emb(x))
        return self.fc(out[:, -1, :])


def test_last_time_step_of_an_lstm() -> None:
    module = LastStep()
    net = from_torch(module, input_shape=["L"])
    assert net.params == sum(p.numel() for p in module.parameters())
    assert net.output_shape == (5,)
    numeric = from_torch(module, input_shape=[7])
    assert numeric.output_shape == tuple(module(torch.zeros(2, 7, dtype=torch.long)).shape[1:])
    assert symcnn.load(numeric.to_spec()).params == numeric.params


@st.composite
def indexed(draw: Any) -> tuple[tuple[int, ...], tuple[Any, ...]]:
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    parts: list[Any] = [slice(None)]
    for size in shape:
        if draw(st.booleans()):
            parts.append(draw(st.integers(-size, size - 1)))
        else:
            parts.append(slice(None))
    if all(isinstance(part, slice) for part in parts[1:]):
        parts[-1] = 0 if len(parts) > 1 else parts[-1]
    while len(parts) > 2 and parts[-1] == slice(None) and draw(st.booleans()):
        parts.pop()  # x[:, 0] as well as x[:, 0, :]
    if draw(st.booleans()):
        parts.append(Ellipsis)
    return shape, tuple(parts)


@settings(max_examples=40, deadline=None)
@given(indexed())
def test_integer_indexing_is_select(case: tuple[tuple[int, ...], tuple[Any, ...]]) -> None:
    shape, index = case
    module = Index(index)
    expected = tuple(module(torch.zeros(2, *shape)).shape[1:])
    if not expected:
        with pytest.raises(SymcnnError):
            from_torch(module, input_shape=list(shape))
        return
    net = from_torch(module, input_shape=list(shape))
    assert net.output_shape == expected
    rebuilt = to_torch(net)
    assert tuple(rebuilt(torch.zeros(2, *shape)).shape[1:]) == expected


@pytest.mark.parametrize(
    "index",
    [(slice(None), slice(0, 4, 2)), (slice(None), [0, 1]), (0,), (slice(None), None, 0)],
    ids=["step", "list", "batch", "newaxis"],
)
def test_other_indexing_is_refused_by_node(index: Any) -> None:
    with pytest.raises(SymcnnError, match="getitem"):
        from_torch(Index(index), input_shape=[3, 4])


class FinalHidden(nn.Module):
    """A classifier on the final hidden state: ``_, h = gru(x)`` (``_, (h, c) = lstm(x)``),
    then ``h[-1]`` or ``h.squeeze(0)``."""

    def __init__(self, kind: str, layers: int, read: str, bidirectional: bool = False) -> None:
        super().__init__()
        self.kind, self.read = kind, read
        cls = {"RNN": nn.RNN, "GRU": nn.GRU, "LSTM": nn.LSTM}[kind]
        self.rnn = cls(6, 10, num_layers=layers, batch_first=True, bidirectional=bidirectional)
        self.head = nn.Linear(10, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, state = self.rnn(x)
        h = state[0] if self.kind == "LSTM" else state
        last = {"-1": lambda: h[-1], "squeeze": lambda: h.squeeze(0), "c": lambda: state[1][-1]}
        return self.head(last[self.read]())


@pytest.mark.parametrize("kind", ["RNN", "GRU", "LSTM"])
@pytest.mark.parametrize("layers,read", [(1, "-1"), (3, "-1"), (1, "squeeze")])
def test_final_hidden_state_is_the_last_step(kind: str, layers: int, read: str) -> None:
    module = FinalHidden(kind, layers, read).eval()
    net = from_torch(module, input_shape=[7, 6])
    assert net.params == sum(p.numel() for p in module.parameters())
    assert net.output_shape == tuple(module(torch.zeros(2, 7, 6)).shape[1:]) == (3,)
    rebuilt = to_torch(net).eval()
    rebuilt.load_state_dict(module.state_dict())  # the same names: the same numbers come out
    x = torch.randn(2, 7, 6)
    assert torch.allclose(rebuilt(x), module(x), atol=1e-6)
    symbolic = from_torch(module, input_shape=["L", 6])
    assert symbolic.params == net.params


@pytest.mark.parametrize(
    "kind,layers,read,bidirectional",
    [("LSTM", 1, "c", False), ("GRU", 2, "-1", True), ("GRU", 2, "squeeze", False)],
    ids=["cell-state", "bidirectional", "squeeze-of-two-layers"],
)
def test_other_final_states_are_refused(
    kind: str, layers: int, read: str, bidirectional: bool
) -> None:
    module = FinalHidden(kind, layers, read, bidirectional)
    with pytest.raises(SymcnnError, match="final state of 'rnn'"):
        from_torch(module, input_shape=[7, 6])


class MeanPooled(nn.Module):
    """Token embeddings, a transformer stack, the mean over the steps, a head."""

    def __init__(self, keepdim: bool) -> None:
        super().__init__()
        self.keepdim = keepdim
        self.emb = nn.Embedding(50, 16)
        layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.fc = nn.Linear(16, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.enc(self.emb(x)).mean(dim=1, keepdim=self.keepdim))


@pytest.mark.parametrize("keepdim", [False, True])
def test_mean_over_the_steps_of_a_transformer_stack(keepdim: bool) -> None:
    module = MeanPooled(keepdim).eval()
    tokens = torch.randint(0, 50, (2, 9))
    net = from_torch(module, input_shape=[9])
    assert net.params == sum(p.numel() for p in module.parameters())
    assert net.output_shape == tuple(module(tokens).shape[1:])
    rebuilt = to_torch(net).eval()
    assert tuple(rebuilt(tokens).shape[1:]) == net.output_shape
    assert sum(p.numel() for p in rebuilt.parameters()) == net.params
    assert from_torch(module, input_shape=["L"]).params == net.params
