"""``from_torch`` reads integer indexing among full slices (``out[:, -1, :]``, ``x[:, 1, :, 2]``)
as ``select`` rows, and refuses other indexing by name; shapes and counts are checked in torch."""

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
    [(slice(None), slice(0, 2)), (slice(None), [0, 1]), (0,), (slice(None), None, 0)],
    ids=["slice", "list", "batch", "newaxis"],
)
def test_other_indexing_is_refused_by_node(index: Any) -> None:
    with pytest.raises(SymcnnError, match="getitem"):
        from_torch(Index(index), input_shape=[3, 4])
