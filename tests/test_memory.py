"""Memory in bytes, for a dtype, against PyTorch and torchinfo.

The parameters' and buffers' bytes are PyTorch's own (``numel() * element_size()`` of every
parameter and buffer, ``num_batches_tracked`` an int64 whatever the dtype). The activations are
every operation's output in the forward pass, as a ``TorchFunctionMode`` sees them. torchinfo's
four sizes are reproduced exactly by ``torchinfo_memory``: it counts other things (the outputs of
the layers with weights, twice; no buffers), and the difference is the documented one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import sympy
import torch
import torchinfo
from torch import nn
from torch.overrides import TorchFunctionMode

import symcnn
from symcnn.cli import main
from symcnn.costs._memory import DTYPES, OPTIMIZERS, memory, torchinfo_memory

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo_models import ZOO

torch.set_num_threads(1)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
TORCH_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16,
                "float64": torch.float64}
#: what ``sys.getsizeof`` adds to a storage's bytes: torchinfo's ``total_input`` includes it
STORAGE_HEADER = sys.getsizeof(torch.empty(0).untyped_storage())


class Outputs(TorchFunctionMode):
    """Bytes of every tensor a top-level torch function returns during a forward pass (a mode
    handles one call at a time: what a function calls inside is not seen). A ``torch.cat`` of a
    single tensor is a copy, not a layer: DenseNet's first dense layer of a block makes one."""

    def __init__(self) -> None:
        super().__init__()
        self.bytes = 0

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        out = func(*args, **(kwargs or {}))
        single_cat = func is torch.cat and len(args[0]) == 1
        if isinstance(out, torch.Tensor) and not single_cat:
            self.bytes += out.numel() * out.element_size()
        return out


def zoo_model(example: str) -> tuple[symcnn.Network, nn.Module, tuple[int, ...]]:
    net = symcnn.load(EXAMPLES / example)
    model = ZOO[example]()
    model = model[0] if isinstance(model, tuple) else model
    shape = tuple(int(size) for size in net.input_shape)
    if net.layout == "HWC":  # PyTorch's modules take channels first
        shape = (shape[-1], *shape[:-1])
    return net, model.eval(), shape


def torch_bytes(tensors: Any) -> int:
    return sum(t.numel() * t.element_size() for t in tensors)


def forward_bytes(model: nn.Module, x: torch.Tensor) -> int:
    with torch.no_grad(), Outputs() as outputs:
        model(x)
    return outputs.bytes


def torchinfo_sizes(model: nn.Module, x: torch.Tensor) -> dict[str, int]:
    stats = torchinfo.summary(model, input_data=x, verbose=0)
    return {
        "total_input": stats.total_input - STORAGE_HEADER,
        "total_output_bytes": stats.total_output_bytes,
        "total_param_bytes": stats.total_param_bytes,
        "total_bytes": stats.total_input
        - STORAGE_HEADER
        + stats.total_output_bytes
        + stats.total_param_bytes,
    }


def vit_extra_outputs(net: symcnn.Network) -> int:
    """The tensors torchvision's ViT returns in its forward pass that are no row of the spec, in
    float32 bytes: its ``batch_first`` attention transposes the query in and its output back
    (two (L, e) tensors; ``multi_head_attention_forward``'s own output is a tuple, which the
    mode does not count), where the spec has the attention's output once; and it expands the
    class token over the batch (a (1, e) tensor), which the spec counts as weights."""
    attentions = [row.activation_size for row in net.rows if row.type == "MultiheadAttention"]
    return 4 * (sum(attentions) + net["class_token"].params)


#: the tensors an example's reference returns beyond the spec's rows, in bytes
EXTRA_OUTPUTS = {"vit_b_16.yaml": vit_extra_outputs}


@pytest.mark.parametrize("example", sorted(ZOO))
def test_the_zoo_in_bytes_is_pytorchs_and_torchinfos(example: str) -> None:
    net, model, shape = zoo_model(example)
    x = torch.zeros(1, *shape)
    found = net.memory()
    assert found["param_bytes"] == torch_bytes(model.parameters()), example
    assert found["buffer_bytes"] == torch_bytes(model.buffers()), example
    assert found["input_bytes"] == torch_bytes([x])
    extra = EXTRA_OUTPUTS.get(example, lambda net: 0)(net)
    assert found["activation_bytes"] + extra == forward_bytes(model, x), example
    assert torchinfo_memory(net) == torchinfo_sizes(model, x), example


def small_model() -> tuple[dict[str, Any], nn.Module]:
    spec = {
        "input": [3, 8, 8],
        "layout": "CHW",
        "layers": [
            {"type": "conv2d", "out_channels": 8, "kernel_size": 3},
            {"type": "batchnorm2d"},
            {"type": "relu"},
            {"type": "maxpool2d", "kernel_size": 2},
            {"type": "flatten"},
            {"type": "linear", "out_features": 10},
        ],
    }
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(8 * 3 * 3, 10),
    )
    return spec, model.eval()


@pytest.mark.parametrize("dtype", sorted(TORCH_DTYPES))
@pytest.mark.parametrize("batch", [1, 3])
def test_a_dtype_and_a_batch_against_pytorch_and_torchinfo(dtype: str, batch: int) -> None:
    spec, model = small_model()
    model = model.to(TORCH_DTYPES[dtype])
    x = torch.zeros(batch, 3, 8, 8, dtype=TORCH_DTYPES[dtype])
    net = symcnn.load(spec)
    found = net.memory(dtype, batch=batch)
    assert found["param_bytes"] == torch_bytes(model.parameters())
    # running_mean and running_var take the dtype; num_batches_tracked stays an int64
    assert dict(model.named_buffers())["1.num_batches_tracked"].dtype == torch.int64
    assert found["buffer_bytes"] == torch_bytes(model.buffers()) == 16 * DTYPES[dtype] + 8
    assert found["input_bytes"] == torch_bytes([x])
    assert found["activation_bytes"] == forward_bytes(model, x)
    assert torchinfo_memory(net, dtype, batch) == torchinfo_sizes(model, x)


class AttentionThenLinear(nn.Module):
    """A MultiheadAttention (a module with a child, ``out_proj``, that never runs) then a Linear."""

    def __init__(self, width: int, heads: int, batch_first: bool) -> None:
        super().__init__()
        self.attention = nn.MultiheadAttention(width, heads, batch_first=batch_first)
        self.linear = nn.Linear(width, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.attention.batch_first:
            x = x.transpose(0, 1)
        out, _ = self.attention(x, x, x, need_weights=False)
        if not self.attention.batch_first:
            out = out.transpose(0, 1)
        return self.linear(out)


@pytest.mark.parametrize(("length", "width", "heads"), [(5, 8, 2), (1, 6, 3), (7, 4, 4)])
@pytest.mark.parametrize("batch_first", [True, False])
def test_torchinfo_sees_no_attention_in_its_sizes(
    length: int, width: int, heads: int, batch_first: bool
) -> None:
    """torchinfo counts neither an attention's parameters nor its output in its sizes: the
    attention is no leaf module (``TORCHINFO_CONTAINERS``)."""
    net = symcnn.load({"input": [length, width], "layers": [
        {"type": "MultiheadAttention", "num_heads": heads},
        {"type": "linear", "out_features": 3},
    ]})
    model = AttentionThenLinear(width, heads, batch_first).eval()
    x = torch.zeros(1, length, width)
    sizes = torchinfo_memory(net)
    assert sizes == torchinfo_sizes(model, x)
    assert sizes["total_param_bytes"] == 4 * (width * 3 + 3)
    assert sizes["total_output_bytes"] == 2 * 4 * length * 3


def test_shared_weights_a_repeat_and_a_dead_branch() -> None:
    conv = {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}
    net = symcnn.load({"input": [4, 8, 8], "layout": "CHW", "output": "twice", "layers": [
        {**conv, "name": "a"},
        {"type": "batchnorm2d", "name": "bn"},
        {"shares": "a", "name": "twice"},
        {**conv, "name": "unused", "from": "input"},
    ]})
    weights = 2 * (4 * 4 * 9 + 4) + 8  # a, unused and bn's scale and shift
    found = net.memory()
    assert found["param_bytes"] == 4 * weights  # the unused branch's weights are the network's
    assert found["buffer_bytes"] == 4 * 8 + 8  # bn once; the shared application holds nothing
    assert found["activation_bytes"] == 4 * 3 * 256  # a, bn, twice; not the unused branch
    # torchinfo counts the outputs of the layers with weights, a shared one's every time
    assert torchinfo_memory(net)["total_output_bytes"] == 2 * 4 * 3 * 256

    stage = symcnn.load(EXAMPLES / "resnet_stage.yaml")
    L = stage.symbols["L"]
    symbolic = stage.memory(batch="N")
    point = {"L": 3, "H": 7, "W": 7}
    numeric = stage.subs(**point).memory(batch=5)
    values = {stage.symbols[name]: value for name, value in point.items()}
    values[sympy.Symbol("N", integer=True, positive=True)] = 5
    for key, value in symbolic.items():
        assert L in value.free_symbols or key == "input_bytes"
        assert value.subs(values) == numeric[key], key


def test_float16_halves_and_the_optimizers_state() -> None:
    net = symcnn.load(EXAMPLES / "resnet50.yaml")
    full, half = net.memory(), net.memory("float16")
    counters = 53 * 8  # ResNet-50's 53 BatchNorms each count batches in an int64
    for key in ("param_bytes", "input_bytes", "activation_bytes", "training_bytes"):
        assert half[key] * 2 == full[key], key
    assert (half["buffer_bytes"] - counters) * 2 == full["buffer_bytes"] - counters
    assert net.memory("int8")["param_bytes"] * 4 == full["param_bytes"]
    params = full["param_bytes"]
    assert full["training_bytes"] == full["activation_bytes"] + 2 * params  # weights, gradients
    adam = net.memory(optimizer="adam")["training_bytes"]
    momentum = net.memory(optimizer="sgd_momentum")["training_bytes"]
    assert adam - full["training_bytes"] == 2 * params
    assert momentum - full["training_bytes"] == params
    assert OPTIMIZERS == {"sgd": 0, "sgd_momentum": 1, "adam": 2}


def test_a_symbolic_batch() -> None:
    net = symcnn.load(EXAMPLES / "lenet5.yaml")
    per_batch = net.memory(batch="N")
    N = next(iter(per_batch["activation_bytes"].free_symbols))
    assert N.name == "N" and per_batch["param_bytes"] == net.param_bytes
    assert per_batch["activation_bytes"] == N * net.activation_bytes
    assert net.memory(batch="2*N")["input_bytes"] == 2 * per_batch["input_bytes"]
    assert per_batch["training_bytes"].subs(N, 32) == net.memory(batch=32)["training_bytes"]
    for wrong in (0, -2, "1/2", True):
        with pytest.raises(symcnn.SymcnnError, match="batch"):
            net.memory(batch=wrong)
    with pytest.raises(symcnn.SymcnnError, match="dtypes: float32, float16"):
        memory(net, "float8")
    with pytest.raises(symcnn.SymcnnError, match="optimizers: sgd, sgd_momentum, adam"):
        memory(net, optimizer="rmsprop")


def test_the_bytes_are_quantities() -> None:
    net = symcnn.load({"input": ["H", "H", 3], "layers": [
        {"type": "conv2d", "out_channels": "k", "kernel_size": 5}]})
    assert net.evaluate(H=32, k=8, quantities=["param_bytes", "activation_bytes"]) == {
        "param_bytes": 4 * 608,
        "activation_bytes": 4 * 28 * 28 * 8,
    }
    assert {"k": 8} in net.solve("param_bytes = 2432", values={"H": 32}).points
    assert "param_bytes" not in net.evaluate(H=32, k=8)  # costs are asked for by name


def test_memory_on_the_command_line(capsys: Any) -> None:
    lenet = str(EXAMPLES / "lenet5.yaml")
    net = symcnn.load(lenet)
    assert main(["summary", lenet, "--memory", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)["memory"]
    assert data["dtype"] == "float32" and data["batch"] == "1" and data["optimizer"] == "sgd"
    assert {key: data[key] for key in net.memory()} == {
        key: str(value) for key, value in net.memory().items()
    }
    assert main(["summary", lenet, "--dtype", "float16", "--batch", "N"]) == 0  # implies --memory
    table = capsys.readouterr().out
    assert "Memory (float16, 2 bytes a value; batch N):" in table
    assert f"{int(net.param_bytes) // 2:,} bytes" in table and "20908*N bytes" in table
    assert main(["summary", lenet, "--memory", "--optimizer", "adam", "--format", "markdown"]) == 0
    assert "| training (adam) |" in capsys.readouterr().out
    assert main(["summary", lenet]) == 0
    assert "Memory" not in capsys.readouterr().out
    assert main(["summary", lenet, "--memory", "--format", "latex"]) == 2
    assert "--memory is shown in" in capsys.readouterr().err
