"""Embedding and EmbeddingBag against PyTorch: parameters, buffers, output shape and refusals,
over hypothesis-drawn tables, padding indices (negative ones and out-of-range ones), modes,
example ranks and declared input dtypes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn

TORCH_ERRORS = (RuntimeError, ValueError, TypeError, IndexError, AssertionError)

#: the torch dtype of each name a spec may declare
TORCH_DTYPES = {
    "int64": torch.int64,
    "long": torch.int64,
    "int32": torch.int32,
    "int16": torch.int16,
    "uint8": torch.uint8,
    "float32": torch.float32,
    "double": torch.float64,
    None: torch.int64,  # an undeclared input: symcnn accepts it, as token ids
}


@dataclass(frozen=True)
class Case:
    type: str
    kwargs: dict[str, Any]
    shape: tuple[int, ...]
    dtype: str | None

    def spec(self) -> dict[str, Any]:
        shape = list(self.shape)
        declared: Any = shape if self.dtype is None else {"shape": shape, "dtype": self.dtype}
        return {"input": declared, "layers": [{"type": self.type, **self.kwargs}]}

    def torch_input(self) -> torch.Tensor:
        x = torch.zeros(*self.shape, dtype=TORCH_DTYPES[self.dtype])
        # an EmbeddingBag's example is PyTorch's whole input: [L] one bag, [B, L] B bags
        return x.unsqueeze(0) if self.type == "Embedding" or len(self.shape) == 1 else x


def run_torch(case: Case) -> tuple[int, int, tuple[int, ...]] | Exception:
    try:
        module = getattr(torch.nn, case.type)(**case.kwargs)
        with torch.no_grad():
            output = module(case.torch_input())
    except TORCH_ERRORS as error:
        return error
    shape = tuple(output.shape)
    if case.type == "Embedding" or len(case.shape) == 1:
        shape = shape[1:]
    return (
        sum(p.numel() for p in module.parameters()),
        sum(b.numel() for b in module.buffers()),
        shape,
    )


def assert_agrees(case: Case) -> None:
    expected = run_torch(case)
    try:
        got = symcnn.load(case.spec())
    except symcnn.SymcnnError as error:
        assert isinstance(expected, Exception), (case, error, expected)
        return
    assert not isinstance(expected, Exception), (case, expected)
    assert (got.params, got.buffers, got.output_shape) == expected, case
    assert all(isinstance(value, sympy.Integer) for value in (got.params, *got.output_shape))


@st.composite
def tables(draw: Callable[..., Any]) -> Case:
    name = draw(st.sampled_from(["Embedding", "EmbeddingBag"]))
    size = draw(st.integers(1, 12))
    kwargs: dict[str, Any] = {"num_embeddings": size, "embedding_dim": draw(st.integers(1, 6))}
    if draw(st.booleans()):
        kwargs["padding_idx"] = draw(st.integers(-size - 2, size + 1))
    if draw(st.booleans()):
        kwargs["max_norm"] = draw(st.sampled_from([1.0, 0.5]))
    if draw(st.booleans()):
        kwargs["sparse"] = True
    if name == "EmbeddingBag":
        kwargs["mode"] = draw(st.sampled_from(["sum", "mean", "max"]))
        kwargs["include_last_offset"] = draw(st.booleans())
    rank = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    dtype = draw(st.sampled_from([None, None, "int64", "long", "int32", "int16", "float32"]))
    return Case(name, kwargs, shape, dtype)


@settings(max_examples=150, deadline=None)
@given(case=tables())
def test_embeddings_agree_with_pytorch(case: Case) -> None:
    assert_agrees(case)


def test_an_embedding_fed_a_layers_output_is_refused_naming_the_layer_and_field() -> None:
    spec = {
        "input": [5],
        "layers": [
            {"type": "Linear", "out_features": 3},
            {"type": "Embedding", "name": "tokens", "num_embeddings": 100, "embedding_dim": 8},
        ],
    }
    with pytest.raises(symcnn.ShapeError, match=r"'tokens' .*floating-point") as caught:
        symcnn.load(spec)
    assert caught.value.field == "input"


def test_named_inputs_declare_dtypes_and_a_bad_dtype_is_named() -> None:
    spec = {
        "inputs": {"ids": {"shape": ["L"], "dtype": "torch.long"}},
        "layers": [{"type": "Embedding", "num_embeddings": "V", "embedding_dim": 16}],
    }
    net = symcnn.load(spec)
    L, V = (sympy.Symbol(name, integer=True, positive=True) for name in "LV")
    assert net.output_shape == (L, 16) and net.params == 16 * V
    spec["inputs"] = {"ids": {"shape": ["L"], "dtype": "i64"}}
    with pytest.raises(symcnn.SpecError, match=r"inputs\.ids\.dtype") as caught:
        symcnn.load(spec)
    assert caught.value.field == "inputs.ids.dtype"
    spec["inputs"] = {"ids": {"shape": ["L"], "type": "int64"}}
    with pytest.raises(symcnn.SpecError, match="unknown key `type`"):
        symcnn.load(spec)


def test_a_symbolic_table_checks_the_padding_index_when_its_size_is_known() -> None:
    spec = {
        "input": [4],
        "layers": [
            {"type": "Embedding", "num_embeddings": "V", "embedding_dim": 2, "padding_idx": -5}
        ],
    }
    net = symcnn.load(spec)
    assert net.evaluate(V=5)["params"] == 10
    with pytest.raises(symcnn.SpecError, match="padding_idx"):
        net.evaluate(V=4)


def test_the_course_shape_tokens_to_vectors() -> None:
    net = symcnn.load(
        {
            "input": {"shape": [128], "dtype": "int64"},
            "layers": [
                {"type": "Embedding", "num_embeddings": 10_000, "embedding_dim": 300},
                {"type": "LSTM", "hidden_size": 256},
            ],
        }
    )
    reference = torch.nn.Embedding(10_000, 300), torch.nn.LSTM(300, 256)
    assert net.params == sum(p.numel() for module in reference for p in module.parameters())
    assert net.output_shape == (128, 256)
