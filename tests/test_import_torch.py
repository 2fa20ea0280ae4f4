"""``symcnn.from_torch``: PyTorch modules read as symcnn networks, checked against PyTorch.

Every zoo model (``zoo_models.py``, torchvision's names) must give the module's parameters,
buffers and output shape, the same counts as its hand-written spec in ``examples/``, and every
leaf module a row of its name with that module's own counts and the output shape a forward hook
sees. Functional ops are a table of small modules, each run in torch. Hypothesis draws random
chains (modules and functional ops) and small residual DAGs; each is imported and built back
with ``to_torch``. Refusals must name the node and its target.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sympy
import torch
import torch.nn.functional as F
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from zoo_models import ZOO, SharedWeightsExam

import symcnn
from symcnn.cli import main
from symcnn.interop import TracingFallbackWarning, from_torch, to_torch
from symcnn.interop.spec_yaml import spec_yaml
from symcnn.interop.torch_blocks import submodule_classes, with_blocks

torch.set_num_threads(1)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ROOT = EXAMPLES.parent


def count(tensors: Any) -> int:
    return sum(tensor.numel() for tensor in tensors)


def zoo_input(name: str) -> list[int]:
    spec = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    shape = [int(size) for size in spec["input"]]
    return shape if spec.get("layout") == "CHW" else [shape[-1], *shape[:-1]]


def torch_output(model: nn.Module, shape: list[int], device: str = "meta") -> tuple[int, ...]:
    with torch.no_grad():
        return tuple(model.eval()(torch.zeros(2, *shape, device=device)).shape[1:])


def leaf_outputs(model: nn.Module, shape: list[int]) -> dict[str, tuple[int, ...]]:
    """The output shape of each leaf module's first call (batch axis dropped)."""
    seen: dict[str, tuple[int, ...]] = {}
    handles = []
    for name, module in model.named_modules():
        if name and not any(True for _ in module.children()):

            def hook(_m: nn.Module, _a: Any, out: torch.Tensor, name: str = name) -> None:
                seen.setdefault(name, tuple(out.shape[1:]))

            handles.append(module.register_forward_hook(hook))
    torch_output(model, shape)
    for handle in handles:
        handle.remove()
    return seen


# ----------------------------------------------------------------------------------- the zoo


@pytest.mark.parametrize("name", sorted(ZOO))
def test_every_zoo_model_imports_with_its_counts_names_and_shapes(name: str) -> None:
    with torch.device("meta"):
        model = ZOO[name]()
    shape = zoo_input(name)
    net = from_torch(model, shape)
    assert net.layout == "CHW" and net.input_shape == tuple(shape)
    assert net.params == count(model.parameters())
    assert net.buffers == count(model.buffers())
    assert net.output_shape == torch_output(model, shape)
    spec = symcnn.load(EXAMPLES / name)
    assert (net.params, net.buffers) == (spec.params, spec.buffers)
    rows = net.summary()
    for module_name, output in leaf_outputs(model, shape).items():
        module = model.get_submodule(module_name)
        # a leaf module is its row, or the rows of the ops its forward makes (LayerNorm2d:
        # permute, layer_norm, permute), the last of which gives its output
        own = [row for row in rows if row.name == module_name] or [
            row for row in rows if row.name.startswith(f"{module_name}.")
        ]
        counts = (sum(row.params for row in own), sum(row.buffers for row in own))
        assert counts == (count(module.parameters()), count(module.buffers()))
        if own:  # a module that keeps the shape (StochasticDepth at eval) may make no row
            assert own[-1].output_shape == output, module_name


@pytest.mark.parametrize("name", sorted(ZOO))
def test_to_spec_round_trips_through_load_and_yaml(name: str) -> None:
    with torch.device("meta"):
        model = ZOO[name]()
    net = from_torch(model, zoo_input(name))
    spec = net.to_spec()
    again = symcnn.load(yaml.safe_load(yaml.safe_dump(spec)))
    assert (again.params, again.buffers, again.output_shape) == (
        net.params,
        net.buffers,
        net.output_shape,
    )
    assert [row.name for row in again.rows] == [row.name for row in net.rows]


SYMBOLIC = ["resnet18.yaml", "unet.yaml", "se_block.yaml", "shared_weights_exam.yaml"]


@pytest.mark.parametrize("name", SYMBOLIC)
def test_a_symbolic_input_gives_formulas_that_evaluate_to_the_numeric_import(name: str) -> None:
    with torch.device("meta"):
        model = ZOO[name]()
    channels, height, width = zoo_input(name)
    net = from_torch(model, [channels, "H", "W"])
    assert net.input_shape == (
        channels,
        sympy.Symbol("H", positive=True, integer=True),
        net.input_shape[2],
    )
    numeric = from_torch(model, [channels, height, width])
    values = net.subs(H=height, W=width)
    assert (values.params, values.buffers, values.output_shape) == (
        numeric.params,
        numeric.buffers,
        numeric.output_shape,
    )
    assert any(size.free_symbols for size in net.rows[0].output_shape)


def test_a_module_called_twice_is_shared_weights() -> None:
    net = from_torch(SharedWeightsExam(), [4, 120, 120])
    assert net["conv3_1"].shares == "conv3" and net["conv3_1"].params == 0
    assert net.params == 7_271_940


# ----------------------------------------------------------------------------------- ops


class Ops(nn.Module):
    """A convolution, then one traced function of its output."""

    def __init__(self, op: Callable[..., torch.Tensor], channels: int = 4) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, channels, 3, padding=1)
        self.op = op

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(self.conv(x))


def _two(x: torch.Tensor, combine: Callable[..., torch.Tensor]) -> torch.Tensor:
    return combine(F.relu(x), torch.sigmoid(x))


OPS: dict[str, Callable[..., torch.Tensor]] = {
    "view batch -1": lambda x: x.view(x.size(0), -1),
    "view -1 n": lambda x: x.view(-1, 4 * 8 * 8),
    "reshape with sizes": lambda x: x.reshape(x.shape[0], x.size(1), -1),
    "flatten method": lambda x: x.flatten(1),
    "torch.flatten": lambda x: torch.flatten(x, 1),
    "mean over space": lambda x: x.mean([2, 3]),
    "mean keepdim": lambda x: x.mean((-1, -2), keepdim=True),
    "adaptive_avg_pool2d": lambda x: F.adaptive_avg_pool2d(x, (1, 1)),
    "max_pool2d": lambda x: F.max_pool2d(x, 2),
    "max_pool2d kwargs": lambda x: F.max_pool2d(x, kernel_size=3, stride=2, padding=1),
    "avg_pool2d": lambda x: F.avg_pool2d(x, 2, ceil_mode=True),
    "interpolate": lambda x: F.interpolate(x, scale_factor=2, mode="nearest"),
    "interpolate size": lambda x: F.interpolate(x, size=(5, 7), mode="bilinear"),
    "pad": lambda x: F.pad(x, (1, 2, 0, 1)),
    "pad reflect": lambda x: F.pad(x, (1, 1, 1, 1), mode="reflect"),
    "pad value": lambda x: F.pad(x, (1, 1), value=3.0),
    "permute": lambda x: x.permute(0, 2, 3, 1),
    "transpose": lambda x: x.transpose(1, 3),
    "cat": lambda x: torch.cat([x, F.relu(x)], dim=1),
    "cat last": lambda x: torch.cat((x, x), -1),
    "add": lambda x: _two(x, lambda a, b: a + b),
    "torch.add": lambda x: _two(x, torch.add),
    "mul": lambda x: _two(x, lambda a, b: a * b),
    "method add": lambda x: _two(x, lambda a, b: a.add(b)),
    "scalar arithmetic": lambda x: (x * 0.5 + 1) / 2 - 3,
    "relu method": lambda x: x.relu(),
    "gelu": lambda x: F.gelu(x, approximate="tanh"),
    "leaky_relu": lambda x: F.leaky_relu(x, 0.2),
    "softmax": lambda x: F.softmax(x, dim=1),
    "log_softmax method": lambda x: x.log_softmax(dim=-1),
    "hardtanh": lambda x: F.hardtanh(x, -2.0, 2.0),
    "torch.tanh": torch.tanh,
    "contiguous": lambda x: x.contiguous().clone(),
    "dropout": lambda x: F.dropout2d(F.dropout(x, 0.3, training=False)),
    "pixel_shuffle": lambda x: F.pixel_shuffle(x, 2),
    "glu": lambda x: F.glu(x, dim=1),
}


@pytest.mark.parametrize("op", sorted(OPS))
def test_functional_ops_import_with_torchs_shapes_and_build_back(op: str) -> None:
    model = Ops(OPS[op])
    shape = [3, 8, 8]
    net = from_torch(model, shape)
    expected = torch_output(model, shape, device="cpu")
    assert net.output_shape == expected
    assert net.params == count(model.parameters())
    rebuilt = to_torch(net)
    assert count(rebuilt.parameters()) == net.params
    assert torch_output(rebuilt, shape, device="cpu") == expected


def test_row_names_follow_the_module_that_made_an_op() -> None:
    with torch.device("meta"):
        net = from_torch(ZOO["resnet18.yaml"](), [3, 64, 64])
    assert net["layer1.0.add"].inputs == ("layer1.0.bn2", "maxpool")
    assert net["layer2.0.add"].inputs == ("layer2.0.bn2", "layer2.0.downsample.1")
    assert net["layer1.0.relu_1"].shares == "layer1.0.relu"


def test_symbols_replace_widths_to_ask_backwards() -> None:
    model = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.Flatten(), nn.Linear(16 * 30 * 30, 10))
    net = from_torch(model, [3, 32, 32], symbols={"0.out_channels": "k"})
    assert net.subs(k=16).params == count(model.parameters())
    best = net.solve("params <= 100000", maximize="k").value
    assert net.subs(k=best).params <= 100_000 < net.subs(k=best + 1).params


@pytest.mark.parametrize(
    ("symbols", "message"),
    [
        ({"nothing.out_channels": "k"}, "names no layer 'nothing'"),
        ({"0.widths": "k"}, "Conv2d has no argument 'widths'"),
    ],
)
def test_symbols_name_a_layer_and_an_argument(symbols: dict[str, str], message: str) -> None:
    with pytest.raises(symcnn.SpecError, match=message):
        from_torch(nn.Sequential(nn.Conv2d(3, 4, 3)), [3, 8, 8], symbols=symbols)


# ----------------------------------------------------------------------------------- refusals


class Sum(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.sum(dim=1)


class Slice(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :2:2]  # a step: no narrow


class Stack(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([x, x])


class OwnWeight(nn.Module):
    """A parameter with an axis more than the batched tensor it scales."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1, 1, 3, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale


class Token(nn.Module):
    """A class token expanded to a fixed size rather than the batch's."""

    def __init__(self, expand: bool) -> None:
        super().__init__()
        self.expand = expand
        self.token = nn.Parameter(torch.zeros(1, 1, 4))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        token = self.token.expand(2, -1, -1) if self.expand else self.token
        return torch.cat([token, x], dim=1)


class LastStep(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(4, 8, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lstm(x)[0][:, -1]


def test_the_last_step_of_a_sequence_is_a_select() -> None:
    """``lstm(x)[0][:, -1]`` reads as a ``select`` of the last step (dim 1 of the batched
    tensor): torch's count and shape, symbolic in the length, and back to torch."""
    module = LastStep()
    net = symcnn.from_torch(module, input_shape=["L", 4])
    assert net.output_shape == (8,)
    assert net.params == sum(p.numel() for p in module.parameters())
    assert [row.type for row in net.rows][-1] == "Select"
    back = symcnn.to_torch(symcnn.load(net.to_spec(), {"L": 5}))
    assert tuple(back(torch.zeros(2, 5, 4)).shape) == tuple(module(torch.zeros(2, 5, 4)).shape)


class FinalState(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(4, 8, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.gru(x)[1])


class Masked(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(4, 2, batch_first=True)
        self.register_buffer("mask", torch.zeros(5, 5, dtype=torch.bool))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn(x, x, x, key_padding_mask=None, attn_mask=self.mask)[0]


class Unused(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.used = nn.Conv2d(3, 4, 1)
        self.head = nn.Linear(4, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.used(x)


class Difference(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - torch.relu(x)


class Pair(nn.Module):
    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x, x


class TwoInputs(nn.Module):
    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return x + y


class MyConv(nn.Conv2d):
    pass


REFUSED: list[tuple[nn.Module, list[int], str]] = [
    (Sum(), [3, 8, 8], r"node 'sum_1' \(call_method sum\): symcnn has no layer for this op"),
    (Slice(), [3, 8, 8], r"node 'getitem' \(call_function _operator.getitem\): indexing"),
    (Stack(), [3, 8, 8], r"node 'stack' \(call_function torch.stack\)"),
    (OwnWeight(), [3, 8, 8], r"node 'mul' .*: the parameter 'scale' \[1, 1, 3, 1, 1\] has more"),
    (Token(True), [5, 4], r"node 'expand' .*: symcnn reads `expand` only as a parameter"),
    (Token(False), [5, 4], r"node 'cat' .*: each of its inputs must be a tensor, got the param"),
    (FinalState(), [5, 4], r"node 'relu' .*: its input must be a tensor, got the final state of"),
    (Masked(), [5, 4], r"node 'attn' .*\(no masks or states: attn_mask\)"),
    (Unused(), [3, 8, 8], "module 'head' holds 10 parameters .* never calls it"),
    (Difference(), [3, 8, 8], "subtracting or dividing two tensors"),
    (Pair(), [3, 8, 8], "forward returns tuple"),
    (TwoInputs(), [3, 8, 8], "one input; forward takes 2"),
    (Ops(lambda x: x.mean(1)), [3, 8, 8], "not an average over every spatial axis"),
    (Ops(lambda x: x.view(4, -1)), [3, 8, 8], "must be the batch"),
    (Ops(lambda x: torch.flatten(x)), [3, 8, 8], "flatten the batch axis"),
    (Ops(lambda x: torch.cat([x, x], 0)), [3, 8, 8], "`dim` = 0 is the batch axis"),
    (nn.Sequential(MyConv(3, 4, 1)), [3, 8, 8], r"node 'conv2d' \(call_function torch.conv2d\)"),
    (
        nn.Sequential(nn.LPPool2d(2, 2)),
        [3, 8, 8],
        r"module class torch.nn.modules.pooling.LPPool2d",
    ),
    (nn.Sequential(nn.Conv2d(3, 4, 5)), [3, 4, 4], "kernel spans 5"),
    (
        nn.Sequential(nn.Conv2d(2, 4, 1)),
        [3, 4, 4],
        r"module '0' \(Conv2d\): the module holds 12 .* symcnn counts 16",
    ),
]


@pytest.mark.parametrize(("model", "shape", "message"), REFUSED, ids=lambda v: type(v).__name__)
def test_what_symcnn_cannot_read_is_refused_by_name(
    model: nn.Module, shape: list[int], message: str
) -> None:
    with pytest.raises(symcnn.SpecError, match=message):
        from_torch(model, shape)


def test_a_bad_input_shape_is_refused() -> None:
    with pytest.raises(symcnn.SpecError, match="input_shape"):
        from_torch(nn.ReLU(), [])
    with pytest.raises(symcnn.SpecError, match=r"needs a torch\.nn\.Module"):
        from_torch("resnet", [3, 8, 8])


# ----------------------------------------------------------------------------------- hooks


class Branchy(nn.Module):
    """Data-dependent control flow: fx cannot trace it, the hooks see a chain."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.bn = nn.BatchNorm2d(8)
        self.act = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(8, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn(self.conv(x))
        if x.abs().sum() >= 0:  # data-dependent (and always true)
            x = self.act(x)
        return self.fc(self.flat(self.pool(x)))


class Residual(Branchy):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.bn(self.conv(x))
        if y.abs().sum() >= 0:
            y = self.act(y) + y
        return self.fc(self.flat(self.pool(y)))


def test_a_model_fx_cannot_trace_is_read_by_hooks_with_a_warning() -> None:
    model = Branchy()
    before = model.bn.num_batches_tracked.item()
    with pytest.warns(TracingFallbackWarning, match="torch.fx could not trace Branchy"):
        net = from_torch(model, [3, "H", "W"])
    assert model.bn.num_batches_tracked.item() == before  # a copy ran
    assert [row.name for row in net.rows] == ["conv", "bn", "act", "pool", "flat", "fc"]
    assert net.subs(H=10, W=12).params == count(model.parameters())
    assert net.buffers == count(model.buffers())


def test_the_hook_fallback_refuses_what_is_not_a_chain() -> None:
    with (
        pytest.warns(TracingFallbackWarning),
        pytest.raises(symcnn.SpecError, match="not a chain of its submodules"),
    ):
        from_torch(Residual(), [3, 8, 8])


# ----------------------------------------------------------------------------------- hypothesis


CHANNEL_OPS = [
    "conv",
    "convT",
    "bn",
    "inorm",
    "gnorm",
    "act",
    "fact",
    "pool",
    "fpool",
    "avg",
    "pad",
    "up",
    "drop",
    "shuffle",
]


class Chain(nn.Module):
    """Steps applied in order; a step is a module or a traced function (``F.relu``...)."""

    def __init__(self, steps: list[nn.Module | Callable[..., torch.Tensor]]) -> None:
        super().__init__()
        self.mods = nn.ModuleList([step for step in steps if isinstance(step, nn.Module)])
        self.steps = steps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for step in self.steps:
            x = step(x)
        return x


@st.composite
def chains(draw: Any) -> tuple[list[int], Chain]:
    channels = draw(st.integers(1, 4))
    size = draw(st.integers(4, 12))
    steps: list[nn.Module | Callable[..., torch.Tensor]] = []
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(CHANNEL_OPS))
        if op == "conv":
            groups = draw(st.sampled_from([g for g in (1, 2) if channels % g == 0]))
            out = groups * draw(st.integers(1, 3))
            kernel = draw(st.integers(1, 3))
            steps.append(
                nn.Conv2d(
                    channels,
                    out,
                    kernel,
                    stride=draw(st.integers(1, 2)),
                    padding=draw(st.integers(0, 1)),
                    dilation=draw(st.integers(1, 2)),
                    groups=groups,
                    bias=draw(st.booleans()),
                )
            )
            channels = out
        elif op == "convT":
            stride = draw(st.integers(1, 2))
            out = draw(st.integers(1, 4))
            steps.append(
                nn.ConvTranspose2d(
                    channels,
                    out,
                    draw(st.integers(1, 3)),
                    stride=stride,
                    output_padding=draw(st.integers(0, stride - 1)),
                )
            )
            channels = out
        elif op == "bn":
            steps.append(nn.BatchNorm2d(channels, affine=draw(st.booleans())))
        elif op == "inorm":
            steps.append(
                nn.InstanceNorm2d(channels, affine=True, track_running_stats=draw(st.booleans()))
            )
        elif op == "gnorm":
            steps.append(nn.GroupNorm(1, channels))
        elif op == "act":
            steps.append(
                draw(
                    st.sampled_from(
                        [nn.ReLU(), nn.GELU(), nn.SiLU(), nn.PReLU(channels), nn.Tanh()]
                    )
                )
            )
        elif op == "fact":
            steps.append(draw(st.sampled_from([F.relu, torch.sigmoid, F.hardswish, F.elu])))
        elif op == "pool":
            kernel = draw(st.integers(1, 3))
            steps.append(
                nn.MaxPool2d(
                    kernel, padding=draw(st.integers(0, kernel // 2)), ceil_mode=draw(st.booleans())
                )
            )
        elif op == "fpool":
            steps.append(lambda x: F.avg_pool2d(x, 2))
        elif op == "avg":
            steps.append(nn.AdaptiveAvgPool2d(draw(st.integers(1, 3))))
        elif op == "pad":
            steps.append(
                draw(st.sampled_from([nn.ZeroPad2d(1), nn.ReplicationPad2d((1, 0, 2, 1))]))
            )
        elif op == "up":
            steps.append(nn.Upsample(scale_factor=2))
        elif op == "drop":
            steps.append(draw(st.sampled_from([nn.Dropout(0.2), nn.Dropout2d(), nn.Identity()])))
        elif op == "shuffle" and channels % 4 == 0:
            steps.append(nn.PixelShuffle(2))
            channels //= 4
    if draw(st.booleans()):
        steps.append(
            draw(
                st.sampled_from(
                    [nn.Flatten(), lambda x: x.view(x.size(0), -1), lambda x: torch.flatten(x, 1)]
                )
            )
        )
        steps.append(nn.LazyLinear(draw(st.integers(1, 5))))
    return [draw(st.integers(1, 3)) if not steps else _first_channels(steps), size, size], Chain(
        steps
    )


def _first_channels(steps: list[Any]) -> int:
    for step in steps:
        for attribute in ("in_channels", "num_features", "num_channels"):
            if hasattr(step, attribute):
                return int(getattr(step, attribute))
        if isinstance(step, nn.PReLU):
            return step.num_parameters
    return 2


def materialize(model: Chain, shape: list[int]) -> tuple[int, ...] | None:
    """Run the chain once (so lazy layers get their sizes): its output shape, or None when torch
    refuses the input."""
    try:
        with torch.no_grad():
            return tuple(model.eval()(torch.zeros(1, *shape)).shape[1:])
    except (RuntimeError, ValueError):
        return None


@settings(max_examples=25, deadline=None)
@given(chain=chains())
def test_random_chains_import_and_build_back_like_torch(chain: tuple[list[int], Chain]) -> None:
    shape, model = chain
    expected = materialize(model, shape)
    if expected is None or any(
        isinstance(m, nn.modules.lazy.LazyModuleMixin) for m in model.modules()
    ):
        with pytest.raises(symcnn.SymcnnError):
            from_torch(model, shape)
        return
    net = from_torch(model, shape)
    assert net.output_shape == expected
    assert (net.params, net.buffers) == (count(model.parameters()), count(model.buffers()))
    rebuilt = to_torch(net)
    assert (count(rebuilt.parameters()), count(rebuilt.buffers())) == (net.params, net.buffers)
    assert torch_output(rebuilt, shape, device="cpu") == expected


class Dag(nn.Module):
    """A small residual DAG: each node reads earlier nodes through a module or a merge."""

    def __init__(self, channels: int, nodes: list[tuple[str, tuple[int, ...]]]) -> None:
        super().__init__()
        self.nodes = nodes
        self.blocks = nn.ModuleList()
        widths = [channels]
        for op, sources in nodes:
            width = widths[sources[0] + 1]
            if op == "conv":
                self.blocks.append(
                    nn.Sequential(
                        nn.Conv2d(width, channels, 3, padding=1),
                        nn.BatchNorm2d(channels),
                        nn.ReLU(),
                    )
                )
                width = channels
            elif op == "cat":
                width = sum(widths[source + 1] for source in sources)
            elif op == "shared" and len(self.blocks):
                width = channels
            widths.append(width)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values = [x]
        convs = iter(self.blocks)
        for op, sources in self.nodes:
            inputs = [values[source + 1] for source in sources]
            if op == "conv":
                out = next(convs)(inputs[0])
            elif op == "shared" and len(self.blocks):
                out = self.blocks[0](inputs[0])
            elif op == "add":
                out = inputs[0] + inputs[1]
            elif op == "mul":
                out = torch.mul(inputs[0], inputs[1])
            elif op == "cat":
                out = torch.cat(inputs, 1)
            else:
                out = F.relu(inputs[0])
            values.append(out)
        return values[-1]


@st.composite
def dags(draw: Any) -> tuple[int, list[tuple[str, tuple[int, ...]]]]:
    nodes: list[tuple[str, tuple[int, ...]]] = []
    for index in range(draw(st.integers(1, 6))):
        earlier = st.integers(-1, index - 1)
        op = draw(st.sampled_from(["conv", "conv", "add", "mul", "cat", "shared", "relu"]))
        count_ = 2 if op in ("add", "mul", "cat") else 1
        nodes.append((op, tuple(draw(earlier) for _ in range(count_))))
    return draw(st.integers(1, 3)), nodes


@settings(max_examples=60, deadline=None)
@given(dag=dags(), size=st.integers(2, 6))
def test_random_residual_dags_import_and_build_back_like_torch(
    dag: tuple[int, list[tuple[str, tuple[int, ...]]]], size: int
) -> None:
    channels, nodes = dag
    model = Dag(channels, nodes)
    shape = [channels, size, size]
    try:
        expected: tuple[int, ...] | None = torch_output(model, shape, device="cpu")
    except RuntimeError:
        expected = None
    if expected is None:
        with pytest.raises(symcnn.SymcnnError):
            from_torch(model, shape)
        return
    net = from_torch(model, shape)
    assert net.output_shape == expected
    assert (net.params, net.buffers) == (count(model.parameters()), count(model.buffers()))
    rebuilt = to_torch(net)
    assert count(rebuilt.parameters()) == net.params
    assert torch_output(rebuilt, shape, device="cpu") == expected


# ----------------------------------------------------------------------------------- the extra


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def test_importing_symcnn_never_imports_torch() -> None:
    done = run_python(
        """
        import sys, symcnn, symcnn.interop
        net = symcnn.load("examples/resnet18.yaml")
        net.to_spec()
        print(sorted(name for name in sys.modules if name.split(".")[0] in ("torch", "onnx")))
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_missing_torch_is_one_line_naming_the_extra() -> None:
    done = run_python(
        """
        import sys
        sys.modules["torch"] = None  # as if it were not installed
        import symcnn
        try:
            symcnn.from_torch(object(), [3, 8, 8])
        except symcnn.SymcnnError as error:
            print(error)
        """
    )
    assert (
        done.stdout.strip()
        == "this needs torch, which is not installed: pip install 'symcnn[torch]'"
    )


# ----------------------------------------------------------------------------------- the command


MODEL_FILE = """
import torch
from torch import nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(x.size(0), -1)
        return self.fc2(F.relu(self.fc1(x)))


def build():
    return Net()
"""


def test_the_import_command_writes_a_spec_with_the_models_counts(
    tmp_path: Path, capsys: Any
) -> None:
    model_file = tmp_path / "model.py"
    model_file.write_text(MODEL_FILE, encoding="utf-8")
    out = tmp_path / "net.yaml"
    assert main(["import", f"{model_file}:build", "--input", "3,32,32", "-o", str(out)]) == 0
    net = symcnn.load(out)
    assert net.params == 52_202 and net.output_shape == (10,)
    assert "from:" not in out.read_text(encoding="utf-8")  # a chain needs no `from`
    assert main(["import", f"{model_file}:build", "--input", "3,32,32", "--symbolic", "H,W"]) == 0
    symbolic = symcnn.load(capsys.readouterr().out)
    assert symbolic.subs(H=32, W=32).params == 52_202


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nowhere.py:build", "--input", "3,8,8"], "no file 'nowhere.py'"),
        (["model.txt", "--input", "3,8,8"], "expected FILE.py:FACTORY"),
        (["MODEL:nothing", "--input", "3,8,8"], "has no function 'nothing'"),
        (["MODEL:build", "--input", "3,,8"], "expected sizes"),
        (["MODEL:build", "--input", "3,8,8", "--symbolic", "H,W,C,D"], "at most 3 names"),
    ],
)
def test_the_import_command_refuses_bad_arguments_in_one_line(
    tmp_path: Path, capsys: Any, arguments: list[str], message: str
) -> None:
    model_file = tmp_path / "model.py"
    model_file.write_text(MODEL_FILE, encoding="utf-8")
    arguments = [argument.replace("MODEL", str(model_file)) for argument in arguments]
    assert main(["import", *arguments]) == 2
    assert message in capsys.readouterr().err


# ----------------------------------------------------------------------------------- sequences


class LSTMClassifier(nn.Module):
    """Token ids -> Embedding -> LSTM -> Linear on every step, or on the flattened sequence."""

    def __init__(self, steps: int, hidden: int, layers: int, both: bool, flat: bool) -> None:
        super().__init__()
        self.flat = flat
        self.embedding = nn.Embedding(50, 12, padding_idx=0)
        self.lstm = nn.LSTM(12, hidden, num_layers=layers, batch_first=True, bidirectional=both)
        width = hidden * (2 if both else 1)
        self.head = nn.Linear(width * steps if flat else width, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lstm(self.embedding(x))
        return self.head(out.flatten(1) if self.flat else out)


class Encoder(nn.Module):
    def __init__(self, width: int, heads: int, ff: int, layers: int, **options: Any) -> None:
        super().__init__()
        layer = nn.TransformerEncoderLayer(width, heads, ff, batch_first=True, **options)
        self.encoder = nn.TransformerEncoder(
            layer,
            layers,
            norm=nn.LayerNorm(width, bias=options.get("bias", True)),
            enable_nested_tensor=False,
        )
        self.head = nn.Linear(width, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


class CrossAttention(nn.Module):
    """Query from one projection, key and value from others: `from: [q, k, v]`."""

    def __init__(self, width: int, heads: int, kdim: int, vdim: int, bias: bool) -> None:
        super().__init__()
        self.q = nn.Linear(6, width)
        self.k = nn.Linear(6, kdim)
        self.v = nn.Linear(6, vdim)
        self.attn = nn.MultiheadAttention(
            width, heads, bias=bias, kdim=kdim, vdim=vdim, add_bias_kv=not bias, batch_first=True
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.attn(self.q(x), self.k(x), self.v(x))
        return out


class ClassToken(nn.Module):
    """ViT's input: patches projected, a class token prepended, a position embedding added."""

    def __init__(self, steps: int, width: int) -> None:
        super().__init__()
        self.proj = nn.Linear(6, width)
        self.class_token = nn.Parameter(torch.zeros(1, 1, width))
        self.pos_embedding = nn.Parameter(torch.zeros(1, steps + 1, width))
        self.register_buffer("scale", torch.ones(width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.proj(x)
        n = x.shape[0]
        x = torch.cat([self.class_token.expand(n, -1, -1), x], dim=1)
        return (x + self.pos_embedding) * self.scale


class Cells(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.RNNCell(6, 8, nonlinearity="relu")
        self.lstm = nn.LSTMCell(8, 5, bias=False)
        self.gru = nn.GRUCell(5, 4)
        self.bag = nn.GRU(4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.gru(self.lstm(self.rnn(x))[0])


def sequence_output(model: nn.Module, shape: list[int], tokens: bool) -> tuple[int, ...]:
    x = torch.randint(0, 10, (2, *shape)) if tokens else torch.zeros(2, *shape)
    with torch.no_grad():
        return tuple(model.eval()(x).shape[1:])


def agrees_both_ways(model: nn.Module, shape: list[int], tokens: bool = False) -> symcnn.Network:
    """from_torch counts what torch holds and gives its output shape; to_torch of the import
    holds as much and gives that shape too; a symbolic length evaluates to the numeric import."""
    net = from_torch(model, shape)
    assert (net.params, net.buffers) == (count(model.parameters()), count(model.buffers()))
    assert net.output_shape == sequence_output(model, shape, tokens)
    back = to_torch(symcnn.load(net.to_spec()))
    assert (count(back.parameters()), count(back.buffers())) == (net.params, net.buffers)
    assert sequence_output(back, shape, tokens) == net.output_shape
    return net


@settings(max_examples=12, deadline=None)
@given(
    steps=st.integers(1, 6),
    hidden=st.integers(1, 9),
    layers=st.integers(1, 3),
    both=st.booleans(),
    flat=st.booleans(),
)
def test_an_lstm_classifier_imports_with_torchs_counts_both_ways(
    steps: int, hidden: int, layers: int, both: bool, flat: bool
) -> None:
    model = LSTMClassifier(steps, hidden, layers, both, flat)
    net = agrees_both_ways(model, [steps], tokens=True)
    assert net.to_spec()["input"] == {"shape": [steps], "dtype": "int64"}
    assert [row.type for row in net.rows][:2] == ["Embedding", "LSTM"]


def test_token_inputs_may_be_symbolic_and_declare_their_dtype() -> None:
    net = from_torch(LSTMClassifier(4, 5, 1, False, False), ["L"])
    assert (
        net.output_shape == (sympy.Symbol("L", positive=True, integer=True), 3)
        or str(net.output_shape[0]) == "L"
    )
    assert net.subs({"L": 9}).output_shape == (9, 3)
    declared = from_torch(nn.Sequential(nn.Linear(4, 2)), [4], dtype="float32").to_spec()
    assert declared["input"] == {"shape": [4], "dtype": "float32"}
    with pytest.raises(symcnn.SpecError, match="dtype"):
        from_torch(nn.Sequential(nn.Linear(4, 2)), [4], dtype=64)  # type: ignore[arg-type]


@settings(max_examples=8, deadline=None)
@given(
    heads=st.sampled_from([1, 2, 4]),
    per_head=st.integers(1, 3),
    ff=st.integers(1, 12),
    layers=st.integers(1, 2),
    norm_first=st.booleans(),
    bias=st.booleans(),
    activation=st.sampled_from(["relu", "gelu"]),
)
def test_a_transformer_encoder_imports_with_torchs_counts_both_ways(
    heads: int, per_head: int, ff: int, layers: int, norm_first: bool, bias: bool, activation: str
) -> None:
    width = heads * per_head
    model = Encoder(
        width, heads, ff, layers, norm_first=norm_first, bias=bias, activation=activation
    )
    net = agrees_both_ways(model, [5, width])
    spec = net.to_spec()
    assert spec["layers"][0]["type"] == "transformerencoder"
    assert spec["layers"][0]["num_layers"] == layers
    assert any(row.name == "encoder.layers.0.self_attn" for row in net.rows)


@settings(max_examples=8, deadline=None)
@given(
    heads=st.sampled_from([1, 2, 3]),
    kdim=st.integers(1, 7),
    vdim=st.integers(1, 7),
    bias=st.booleans(),
)
def test_attention_reads_query_key_and_value_from_three_tensors(
    heads: int, kdim: int, vdim: int, bias: bool
) -> None:
    net = agrees_both_ways(CrossAttention(6, heads, kdim, vdim, bias), [4, 6])
    attn = next(entry for entry in net.to_spec()["layers"] if entry["name"] == "attn")
    assert attn["from"] == ["q", "k", "v"]


def test_self_attention_and_a_shared_key_value_tensor_are_one_and_two_inputs() -> None:
    class Attend(nn.Module):
        def __init__(self, cross: bool) -> None:
            super().__init__()
            self.cross = cross
            self.kv = nn.Linear(4, 4) if cross else None
            self.attn = nn.MultiheadAttention(4, 2, batch_first=True)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            kv = x if self.kv is None else self.kv(x)
            return self.attn(x, kv, kv, need_weights=False)[0]

    for cross, source in ((False, "input"), (True, ["input", "kv"])):
        net = agrees_both_ways(Attend(cross), [3, 4])
        entry = net.to_spec()["layers"][-1]
        assert entry.get("from", "input") == source


@settings(max_examples=8, deadline=None)
@given(steps=st.integers(1, 6), width=st.integers(1, 8))
def test_a_class_token_and_position_embedding_are_parameter_rows(steps: int, width: int) -> None:
    net = agrees_both_ways(ClassToken(steps, width), [steps, 6])
    entries = {entry["name"]: entry for entry in net.to_spec()["layers"]}
    assert entries["class_token"] == {
        "type": "parameter",
        "name": "class_token",
        "shape": [1, width],
    }
    assert entries["pos_embedding"]["shape"] == [steps + 1, width]
    assert entries["scale"] == {
        "type": "parameter",
        "name": "scale",
        "shape": [width],
        "buffer": True,
    }


def test_cells_and_an_unused_rnn_are_counted_or_refused() -> None:
    model = Cells()
    with pytest.raises(symcnn.SpecError, match=r"module .bag. holds .* never calls it"):
        from_torch(model, [6])
    del model.bag
    agrees_both_ways(model, [6])


# ----------------------------------------------------------------------------------- blocks


class BasicBlock(nn.Module):
    """torchvision's BasicBlock, with a projection where the shape changes."""

    def __init__(self, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample: nn.Module | None = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + identity)


class ResNetLike(nn.Module):
    """ResNet-18's layout (4 stages of 2 BasicBlocks), narrower."""

    def __init__(self, widths: tuple[int, ...] = (8, 16, 32, 64), depth: int = 2) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        stages, cin = [], widths[0]
        for index, width in enumerate(widths):
            stride = 1 if index == 0 else 2
            blocks = [BasicBlock(cin, width, stride)] + [
                BasicBlock(width, width) for _ in range(depth - 1)
            ]
            stages.append(nn.Sequential(*blocks))
            cin = width
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


class ConvBNReLU(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)))


class VGGLike(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stage1 = nn.Sequential(ConvBNReLU(3, 8), ConvBNReLU(8, 8))
        self.pool1 = nn.MaxPool2d(2)
        self.stage2 = nn.Sequential(ConvBNReLU(8, 16), ConvBNReLU(16, 16), ConvBNReLU(16, 16))
        self.pool2 = nn.MaxPool2d(2)
        self.head = nn.Linear(16 * 4 * 4, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool2(self.stage2(self.pool1(self.stage1(x))))
        return self.head(x.flatten(1))


def blocked(model: nn.Module, shape: list[Any]) -> tuple[symcnn.Network, dict[str, Any]]:
    """The flat import and the spec with blocks, which must load as the same rows."""
    flat = from_torch(model, shape)
    spec = with_blocks(flat.to_spec(), submodule_classes(model))
    again = symcnn.load(yaml.safe_load(spec_yaml(spec)))
    assert [row.name for row in again.rows] == [row.name for row in flat.rows]
    assert [row.output_shape for row in again.rows] == [row.output_shape for row in flat.rows]
    assert (again.params, again.buffers) == (flat.params, flat.buffers)
    if not any(isinstance(size, str) for size in shape):
        assert again.params == count(model.parameters())
        assert again.buffers == count(model.buffers())
    return again, spec


def test_a_resnet_imports_with_a_block_per_structure_of_its_block_class() -> None:
    _, spec = blocked(ResNetLike(), [3, 64, 64])
    assert set(spec["blocks"]) == {"BasicBlock", "BasicBlock_2"}
    assert spec["blocks"]["BasicBlock"]["args"] == {"out_channels": None}
    uses = [entry for entry in spec["layers"] if "block" in entry]
    assert uses[0] == {"block": "BasicBlock", "name": "layer1", "out_channels": 8, "repeat": 2}
    assert [use["name"] for use in uses[1:3]] == ["layer2.0", "layer2.1"]
    assert uses[1] == {"block": "BasicBlock_2", "name": "layer2.0", "out_channels": 16}
    # the projection reads the block's input; no other `from` is written
    layers = spec["blocks"]["BasicBlock_2"]["layers"]
    assert [entry.get("from") for entry in layers if "from" in entry] == [
        "input",
        ["bn2", "downsample.1"],
    ]
    assert all("from" not in entry for entry in spec["layers"])
    symbolic, _ = blocked(ResNetLike(), [3, "H", "W"])
    assert symbolic.subs(H=64, W=64).params == count(ResNetLike().parameters())


def test_a_vgg_imports_its_stages_as_repeats_of_one_block() -> None:
    _, spec = blocked(VGGLike(), [3, 16, 16])
    assert list(spec["blocks"]) == ["ConvBNReLU"]
    assert [entry.get("block", entry["name"]) for entry in spec["layers"]] == [
        "ConvBNReLU",
        "pool1",
        "ConvBNReLU",
        "pool2",
        "flatten",
        "head",
    ]
    assert spec["layers"][0] == {
        "block": "ConvBNReLU",
        "name": "stage1",
        "out_channels": 8,
        "repeat": 2,
    }
    assert spec["layers"][2]["repeat"] == 3 and spec["layers"][2]["out_channels"] == 16
    layers = spec["blocks"]["ConvBNReLU"]["layers"]
    assert [entry.get("type") for entry in layers] == ["conv2d", "batchnorm2d", "relu"]


class Squeeze(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, max(1, channels // 4), 1)
        self.fc2 = nn.Conv2d(max(1, channels // 4), channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(self.fc2(torch.relu(self.fc1(self.pool(x)))))


class ConvSqueeze(nn.Module):
    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.se = Squeeze(cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.se(self.conv(x))


def test_a_submodule_class_inside_a_repeated_one_is_a_block_inside_a_block() -> None:
    model = nn.Sequential(ConvSqueeze(3, 8), ConvSqueeze(8, 8), ConvSqueeze(8, 16))
    _, spec = blocked(model, [3, 8, 8])
    assert list(spec["blocks"]) == ["Squeeze", "ConvSqueeze"]
    inner = spec["blocks"]["ConvSqueeze"]["layers"][1]
    assert inner["block"] == "Squeeze" and inner["name"] == "se"
    assert [entry["name"] for entry in spec["layers"]] == ["0", "1", "2"]


class Unit(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, residual: bool) -> None:
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, stride, 1)
        self.act = nn.ReLU()
        self.proj = nn.Conv2d(cin, cout, 1, stride) if residual else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act(self.conv(x))
        return out if self.proj is None else out + self.proj(x)


class Stack(nn.Module):
    def __init__(self, plan: list[list[tuple[int, int, bool]]]) -> None:
        super().__init__()
        self.stem = nn.Conv2d(2, 4, 1)
        stages, cin = [], 4
        for stage in plan:
            units = []
            for width, stride, residual in stage:
                units.append(Unit(cin, width, stride, residual))
                cin = width
            stages.append(nn.Sequential(*units))
        self.stages = nn.Sequential(*stages)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stages(self.stem(x))


UNITS = st.tuples(st.integers(1, 4), st.integers(1, 2), st.booleans())


@settings(max_examples=20, deadline=None)
@given(plan=st.lists(st.lists(UNITS, min_size=1, max_size=3), min_size=1, max_size=3))
def test_random_stacks_of_a_block_class_import_as_blocks_with_the_flat_rows(
    plan: list[list[tuple[int, int, bool]]],
) -> None:
    model = Stack(plan)
    _, spec = blocked(model, [2, 8, 8])
    assert spec["blocks"] and all(name.startswith("Unit") for name in spec["blocks"])
    uses = [entry for entry in spec["layers"] if "block" in entry]
    # every unit is a use of a block (or a copy of a repeat): none is left flat
    assert all(entry.get("type") != "conv2d" for entry in spec["layers"][1:])
    names = {use["name"] for use in uses}
    for index, stage in enumerate(plan):
        stage_uses = {f"stages.{index}.{n}" for n in range(len(stage))}
        assert stage_uses <= names or f"stages.{index}" in names
    for block in spec["blocks"].values():
        assert all(
            "from" not in entry or entry["from"] in ("input", ["act", "proj"])
            for entry in block["layers"]
        )


BLOCKS_FILE = """
from torch import nn


class ConvBNReLU(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 3, padding=1)
        self.bn = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.bn(self.conv(x)))


def build():
    return nn.Sequential(ConvBNReLU(3, 8), ConvBNReLU(8, 8), nn.MaxPool2d(2), ConvBNReLU(8, 16))
"""


def test_the_import_command_writes_blocks_that_load_as_the_model(tmp_path: Path) -> None:
    model_file = tmp_path / "model.py"
    model_file.write_text(BLOCKS_FILE, encoding="utf-8")
    out = tmp_path / "model.yaml"
    assert main(["import", f"{model_file}:build", "--input", "3,16,16", "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "blocks:\n  ConvBNReLU:\n    args: {out_channels: null}" in text
    assert "- {block: ConvBNReLU, name: '0', out_channels: 8}" in text
    assert "- {block: ConvBNReLU, name: '3', out_channels: 16}" in text
    net = symcnn.load(out)
    assert [row.name for row in net.rows][:3] == ["0.conv", "0.bn", "0.relu"]
    assert net.params == 3 * 9 * 8 + 8 + 16 + 8 * 9 * 8 + 8 + 16 + 8 * 9 * 16 + 16 + 32
