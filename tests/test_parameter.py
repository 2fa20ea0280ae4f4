"""The learnable tensor (``type: parameter``) against PyTorch's bare ``nn.Parameter``.

Hypothesis draws shapes and the three ways a network combines such a tensor with its
activations — ``cat`` (ViT's class token), ``add`` (a position embedding), ``mul`` (ConvNeXt's
layer scale) — builds the same thing as a ``torch.nn.Module`` that owns an ``nn.Parameter`` (or a
registered buffer) and compares the parameters, the buffers and every row's output shape; where
PyTorch refuses to broadcast, symcnn must refuse too. The rest are the refusals and the symbolic
cases, one by one.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import symcnn
from symcnn.cli import main
from symcnn.derive import derive
from symcnn.errors import ShapeError, SpecError

torch.set_num_threads(1)

sizes = st.integers(1, 6)
shapes = st.lists(sizes, min_size=1, max_size=4)


def count(tensors: Any) -> int:
    return sum(tensor.numel() for tensor in tensors)


class Owner(nn.Module):
    """A module owning one tensor, as a parameter or a buffer, combined with its input by ``op``
    (``None``: the tensor alone is the output). The tensor has no batch axis; a ``cat`` expands it
    over the batch, as ViT's class token is."""

    def __init__(self, shape: list[int], buffer: bool, op: str | None, dim: int = 0) -> None:
        super().__init__()
        if buffer:
            self.register_buffer("tensor", torch.zeros(shape))
        else:
            self.tensor = nn.Parameter(torch.zeros(shape))
        self.op = op
        self.dim = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tensor: torch.Tensor = self.tensor
        if self.op is None:
            return tensor.unsqueeze(0)
        if self.op == "cat":
            expanded = tensor.expand(x.shape[0], *tensor.shape)
            # the batch axis comes first: a dim counted from the front moves by one
            return torch.cat([expanded, x], dim=self.dim + 1 if self.dim >= 0 else self.dim)
        if self.op == "add":
            return x + tensor
        return tensor * x


def spec(
    input_shape: list[int], shape: list[Any], buffer: bool, op: str | None, dim: int = 0
) -> dict[str, Any]:
    tensor: dict[str, Any] = {"type": "parameter", "name": "tensor", "shape": shape}
    if buffer:
        tensor["buffer"] = True
    layers: list[dict[str, Any]] = [tensor]
    if op == "cat":
        layers.append({"type": "cat", "from": ["tensor", "input"], "dim": dim})
    elif op == "add":
        layers.append({"type": "add", "from": ["input", "tensor"]})
    elif op == "mul":
        layers.append({"type": "mul", "from": ["tensor", "input"]})
    return {"input": input_shape, "layout": "CHW", "layers": layers}


def agree(
    input_shape: list[int], shape: list[int], buffer: bool, op: str | None, dim: int = 0
) -> None:
    """symcnn and PyTorch agree: both refuse, or both give the same counts and shapes."""
    model = Owner(shape, buffer, op, dim)
    try:
        with torch.no_grad():
            output = model(torch.zeros(1, *input_shape))
    except RuntimeError:
        with pytest.raises(ShapeError, match=r"broadcast|agree"):
            symcnn.load(spec(input_shape, shape, buffer, op, dim))
        return
    net = symcnn.load(spec(input_shape, shape, buffer, op, dim))
    assert net.params == count(model.parameters())
    assert net.buffers == count(model.buffers())
    assert net["tensor"].output_shape == tuple(shape)
    assert net["tensor"].inputs == ()
    assert net.output_shape == tuple(output.shape[1:])
    assert net.row_costs()["tensor"] == (0, 0)  # the merge counts its own work


# ------------------------------------------------------------------------------ against torch


@settings(max_examples=60, deadline=None)
@given(shape=shapes, buffer=st.booleans())
def test_a_tensor_alone_counts_the_product_of_its_shape(shape: list[int], buffer: bool) -> None:
    agree([3], shape, buffer, None)
    net = symcnn.load(spec([3], shape, buffer, None))
    assert net.rows[0].params + net.rows[0].buffers == sympy.prod(shape)
    assert net.macs == 0


@settings(max_examples=60, deadline=None)
@given(rows=sizes, width=sizes, tokens=sizes, dim=st.sampled_from([0, 1, -1, -2]))
def test_a_class_token_prepended_with_cat(rows: int, width: int, tokens: int, dim: int) -> None:
    # along ``dim`` the token has ``tokens`` entries; the other axis must match the input's
    token = [tokens, width] if dim in (0, -2) else [rows, tokens]
    agree([rows, width], token, False, "cat", dim)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), input_shape=shapes, op=st.sampled_from(["add", "mul"]), buffer=st.booleans())
def test_broadcasting_with_add_and_mul(
    data: st.DataObject, input_shape: list[int], op: str, buffer: bool
) -> None:
    """A position embedding (the input's shape), a layer scale (1 on some axes) or a tensor that
    PyTorch cannot broadcast (any size): the trailing axes of at most the input's rank."""
    rank = data.draw(st.integers(1, len(input_shape)))
    shape = [
        data.draw(st.sampled_from([size, 1, size, data.draw(sizes)]))
        for size in input_shape[len(input_shape) - rank :]
    ]
    agree(input_shape, shape, buffer, op)


def test_a_mismatch_torch_refuses_is_refused() -> None:
    with pytest.raises(RuntimeError):
        Owner([5, 4], False, "add")(torch.zeros(1, 6, 4))
    with pytest.raises(ShapeError, match="cannot broadcast") as error:
        symcnn.load(spec([6, 4], [5, 4], False, "add"))
    assert error.value.field == "from"
    with pytest.raises(ShapeError, match="other axes to agree"):
        symcnn.load(spec([6, 4], [1, 3], False, "cat"))


def test_vit_class_token_and_position_embedding() -> None:
    """torchvision's ViT-B/16 after the patch projection: 196 patches of 768, the class token
    prepended (``[1, 768]``), the position embedding (``[197, 768]``) added."""
    net = symcnn.load(
        {
            "input": [196, 768],
            "layers": [
                {"type": "parameter", "name": "class_token", "shape": [1, 768]},
                {"type": "cat", "name": "tokens", "from": ["class_token", "input"], "dim": 0},
                {"type": "parameter", "name": "pos_embedding", "shape": [197, 768]},
                {"type": "add", "name": "embedded", "from": ["tokens", "pos_embedding"]},
            ],
        }
    )
    assert net.params == 768 + 197 * 768 == 152_064
    assert net["embedded"].output_shape == (197, 768)
    assert net["class_token"].buffers == 0


def test_convnext_layer_scale_in_channels_last_and_first() -> None:
    chw = symcnn.load(spec([8, 5, 5], [8, 1, 1], False, "mul"))
    hwc = symcnn.load(
        {
            "input": [5, 5, 8],
            "layout": "HWC",
            "layers": [
                {"type": "parameter", "name": "layer_scale", "shape": [1, 1, 8]},
                {"type": "mul", "from": ["layer_scale", "input"]},
            ],
        }
    )
    assert chw.params == hwc.params == 8
    assert chw.output_shape == (8, 5, 5) and hwc.output_shape == (5, 5, 8)


# ------------------------------------------------------------------------------ symbols


def test_symbolic_sizes_count_symbolically_and_evaluate() -> None:
    net = symcnn.load(
        {
            "input": ["L", "E"],
            "layers": [
                {"type": "parameter", "name": "class_token", "shape": [1, "E"]},
                {"type": "cat", "from": ["class_token", "input"], "dim": 0},
                {"type": "parameter", "name": "pos_embedding", "shape": ["L + 1", "E"]},
                {"type": "add", "from": [-2, "pos_embedding"]},
            ],
        }
    )
    L, E = sorted(net.free_symbols, key=lambda symbol: symbol.name)[::-1]
    assert sympy.expand(net.params - (E + (L + 1) * E)) == 0
    assert net.output_shape == (L + 1, E)
    assert net.subs(L=196, E=768).params == 152_064


def test_a_symbolic_size_must_come_out_positive_and_whole() -> None:
    base = {"input": [4], "layers": [{"type": "parameter", "shape": ["n - 3", 4]}]}
    net = symcnn.load(base)
    assert net.subs(n=5).params == 8
    with pytest.raises(SpecError, match="positive integer") as error:
        net.subs(n=3)
    assert error.value.field == "shape"
    halves = symcnn.load({"input": [4], "layers": [{"type": "parameter", "shape": ["n/2"]}]})
    assert halves.subs(n=6).params == 3
    with pytest.raises(SpecError, match="positive integer"):
        halves.subs(n=5)


# ------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("layer", "field", "message"),
    [
        ({"shape": [0, 4]}, "shape", "positive integer"),
        ({"shape": [-1]}, "shape", "positive integer"),
        ({"shape": [2.5]}, "shape", "whole numbers"),
        ({"shape": []}, "shape", "at least one size"),
        ({"shape": [[2, 3]]}, "shape", "positive integer"),
        ({}, "shape", "missing required argument"),
        ({"shape": [4], "buffer": "yes"}, "buffer", "true or false"),
        ({"shape": [4], "requires_grad": True}, "requires_grad", "unknown argument"),
        ({"shape": [4], "from": "input"}, "from", "reads no input"),
        ({"shape": [4], "from": ["input", "input"]}, "from", "reads no input"),
    ],
)
def test_bad_tensors_are_refused_naming_the_field(
    layer: dict[str, Any], field: str, message: str
) -> None:
    raw = {"type": "parameter", "name": "scale", **layer}
    with pytest.raises(SpecError, match=message) as error:
        symcnn.load({"input": [4], "layers": [raw]})
    assert error.value.field == field
    assert "scale" in str(error.value)


def test_shared_tensor_counts_once_and_reads_no_input() -> None:
    layers: list[dict[str, Any]] = [
        {"type": "parameter", "name": "scale", "shape": [4]},
        {"type": "mul", "name": "first", "from": ["scale", "input"]},
        {"shares": "scale", "name": "again"},
        {"type": "mul", "from": ["again", "first"]},
    ]
    net = symcnn.load({"input": [4], "layers": layers})
    assert net.params == 4
    assert net["again"].shares == "scale" and net["again"].inputs == ()
    layers[2] = {"shares": "scale", "name": "again", "from": "first"}
    with pytest.raises(SpecError, match="reads no input"):
        symcnn.load({"input": [4], "layers": layers})


# ------------------------------------------------------------------------------ working


def test_working_and_description() -> None:
    net = symcnn.load(spec([3, 4], [1, 4], False, "cat"))
    working = derive(net["tensor"])
    assert working.line("params").result == 4
    assert working.line("activation_size").result == 4
    buffer = symcnn.load(spec([3, 4], [3, 4], True, "add"))["tensor"]
    assert derive(buffer).line("buffers").result == 12 and buffer.params == 0
    assert "buffer" in str(buffer.layer.describe())


def test_the_command_line_shows_a_source_as_reading_nothing(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "vit.json"
    path.write_text(json.dumps({"name": "tokens", **spec([196, 768], [1, 768], False, "cat")}))
    assert main(["summary", str(path)]) == 0
    table = capsys.readouterr().out
    assert "tensor (Parameter)" in table and "768" in table
    assert main(["latex", str(path), "--format", "markdown"]) == 0
    key = capsys.readouterr().out
    assert "No input; output (1, 768)." in key
    assert "the product of the shape" in key


def test_memory_counts_the_tensor_as_weights_not_as_an_activation() -> None:
    net = symcnn.load(spec([8, 5, 5], [8, 1, 1], False, "mul"))
    memory = net.memory()
    assert memory["param_bytes"] == 4 * 8
    assert memory["activation_bytes"] == 4 * 8 * 5 * 5  # the product only
