"""Receptive fields against PyTorch: the input positions one output position's gradient reaches.

The truth is measured, not computed: the network is exported to PyTorch (``to_torch``), its layers
are kept as PyTorch's own operators with the same kernel, stride, padding and dilation, but made
to read every position they are given with a positive weight: a convolution of ones over the sum
of its channels; batch norm and the clamping activations (ReLU6) as the identity; max pooling as
a smooth maximum over torch's own ``unfold`` windows, since a max's gradient reaches only the
largest input. The gradient of one
output position with respect to a positive input is then nonzero exactly on the positions that
position reads; its extent along each axis is the field's size, and its first position the
field's start. The output position is chosen so that its field lies inside the input (the
unclipped field, as Distill measures it).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch import nn

import symcnn
from symcnn import SolveError, SpecError
from symcnn.interop import to_torch
from symcnn.network import load
from symcnn.receptive import Field, fields

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class _StopError(Exception):
    """Raised by a hook once the row the test reads has its output."""


class _Reads(nn.Module):
    """A convolution's geometry reading every position: ones over the sum of the channels."""

    def __init__(self, conv: nn.Conv2d):
        super().__init__()
        self.conv = nn.Conv2d(
            1,
            1,
            conv.kernel_size,
            conv.stride,
            conv.padding,
            conv.dilation,
            bias=False,
            padding_mode=conv.padding_mode,
            dtype=torch.float64,
        )
        with torch.no_grad():
            self.conv.weight.fill_(1 / math.prod(conv.kernel_size))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x.sum(1, keepdim=True))


class _SmoothMax(nn.Module):
    """Max pooling's windows (torch's ``unfold`` with its kernel, stride, padding, dilation;
    ceil mode's extra window too) with a log-sum-exp, whose gradient reaches the whole window."""

    def __init__(self, pool: nn.MaxPool2d):
        super().__init__()
        self.pool = pool

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pool = self.pool
        pair = nn.modules.utils._pair
        (kh, kw), (sh, sw) = pair(pool.kernel_size), pair(pool.stride)
        (ph, pw), (dh, dw) = pair(pool.padding), pair(pool.dilation)
        out_h, out_w = pool(x.detach()).shape[-2:]
        padded = F.pad(x, (pw, pw + sw, ph, ph + sh))  # room for ceil mode's last window
        windows = F.unfold(padded, (kh, kw), dilation=(dh, dw), stride=(sh, sw))
        n, c = x.shape[:2]
        rows = (padded.shape[-2] - dh * (kh - 1) - 1) // sh + 1
        windows = windows.view(n, c, kh * kw, rows, -1)
        return windows.logsumexp(2)[..., :out_h, :out_w]


def reading(module: nn.Module) -> nn.Module:
    """``module`` with every layer made to read every position it is given (see above)."""
    for name, child in list(module.named_modules()):
        if not name:
            continue
        parent_name, _, own = name.rpartition(".")
        parent = module.get_submodule(parent_name) if parent_name else module
        if isinstance(child, nn.Conv2d):
            parent._modules[own] = _Reads(child)
        elif isinstance(child, nn.MaxPool2d):
            parent._modules[own] = _SmoothMax(child)
        elif isinstance(child, nn.BatchNorm2d | nn.Hardtanh | nn.Hardswish | nn.Hardsigmoid):
            parent._modules[own] = nn.Identity()  # pointwise; a flat part would hide a position
    return module.eval()


def measured(
    net: symcnn.Network, row_name: str, position: tuple[int, ...]
) -> list[tuple[int, int]]:
    """The (start, size) along each spatial axis of the input positions that ``position`` of row
    ``row_name``'s output reads, from the gradient of the exported network's reading copy."""
    module = reading(to_torch(net)).double()
    captured: dict[str, torch.Tensor] = {}

    def hook(_module: Any, _inputs: Any, output: torch.Tensor) -> None:
        captured["output"] = output
        raise _StopError

    dict(module.named_modules())[row_name].register_forward_hook(hook)
    channels, *spatial = (int(size) for size in net.input_shape)  # CHW
    torch.manual_seed(0)
    x = (torch.rand(1, channels, *spatial, dtype=torch.float64) + 0.5).requires_grad_()
    try:
        module(x)
    except _StopError:
        pass
    output = captured["output"]
    (gradient,) = torch.autograd.grad(output[(0, slice(None), *position)].sum(), x)
    reached = gradient.abs().sum(dim=(0, 1)) > 0
    extents = []
    for axis in range(reached.dim()):
        others = tuple(a for a in range(reached.dim()) if a != axis)
        hit = reached.any(dim=others) if others else reached
        where = hit.nonzero().flatten()
        extents.append((int(where[0]), int(where[-1] - where[0] + 1)))
    return extents


def inside(field: Field, output: tuple[Any, ...], sizes: tuple[int, ...]) -> tuple[int, ...] | None:
    """The first output position whose field lies inside the input, along each axis (``None``:
    there is none)."""
    position = []
    for start, jump, size, out, n in zip(
        field.start, field.jump, field.size, output, sizes, strict=True
    ):
        i = max(0, -(int(start) // int(jump)))  # ⌈−u/j⌉: the first start at or after 0
        if not (i < int(out) and int(start) + i * int(jump) + int(size) <= n):
            return None
        position.append(i)
    return tuple(position)


def check_row(net: symcnn.Network, row_name: str) -> bool:
    """symcnn's field of ``row_name`` (size, and start of the chosen position) equals torch's;
    ``False`` when no output position has its field inside the input."""
    field = fields(net.rows, net.inputs, net.layout)[row_name]
    assert isinstance(field, Field)
    output = net[row_name].output_shape[1:]
    sizes = tuple(int(size) for size in net.input_shape[1:])
    position = inside(field, output, sizes)
    if position is None:
        return False
    expected = [
        (int(start) + i * int(jump), int(size))
        for start, jump, size, i in zip(field.start, field.jump, field.size, position, strict=True)
    ]
    assert measured(net, row_name, position) == expected
    assert tuple(net[row_name].receptive_field) == field.size
    return True


# ------------------------------------------------------------------ chains (hypothesis)

pairs = st.tuples


@st.composite
def window_layer(draw: Any, index: int) -> dict[str, Any]:
    kind = draw(st.sampled_from(["conv2d", "conv2d", "maxpool2d", "avgpool2d"]))
    kernel = draw(pairs(st.integers(1, 5), st.integers(1, 5)))
    layer: dict[str, Any] = {"type": kind, "name": f"L{index}", "kernel_size": list(kernel)}
    layer["stride"] = list(draw(pairs(st.integers(1, 3), st.integers(1, 3))))
    if kind == "conv2d":
        layer["out_channels"] = 2
        layer["dilation"] = list(draw(pairs(st.integers(1, 3), st.integers(1, 3))))
        layer["padding"] = list(draw(pairs(st.integers(0, 3), st.integers(0, 3))))
        return layer
    layer["padding"] = [draw(st.integers(0, k // 2)) for k in kernel]
    layer["ceil_mode"] = draw(st.booleans())
    if kind == "maxpool2d":
        layer["dilation"] = list(draw(pairs(st.integers(1, 2), st.integers(1, 2))))
    return layer


@st.composite
def chains(draw: Any) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 4))
    return [draw(window_layer(index)) for index in range(count)]


def _sized(layers: list[dict[str, Any]]) -> symcnn.Network:
    """The chain on an input large enough for an unclipped field of its last layer."""
    symbolic = load({"input": [1, "N", "M"], "layout": "CHW", "layers": layers})
    field = fields(symbolic.rows, symbolic.inputs, "CHW")[symbolic.rows[-1].name]
    assert isinstance(field, Field)
    parts = zip(field.size, field.jump, field.start, strict=True)
    sizes = [int(r) + 2 * int(j) + 2 * abs(int(u)) + 4 for r, j, u in parts]
    try:
        return load({"input": [1, *sizes], "layout": "CHW", "layers": layers})
    except SpecError:
        assume(False)
        raise


@settings(max_examples=60, deadline=None)
@given(chains())
def test_a_chain_of_windows_reads_the_field_torch_reaches(layers: list[dict[str, Any]]) -> None:
    net = _sized(layers)
    assume(check_row(net, net.rows[-1].name))


# ------------------------------------------------------------------ graphs


def test_a_residual_add_reads_the_union_of_its_paths() -> None:
    spec = {
        "input": [1, 40, 40],
        "layout": "CHW",
        "layers": [
            {"type": "conv2d", "name": "stem", "out_channels": 2, "kernel_size": 3, "stride": 2},
            {"type": "conv2d", "name": "a", "out_channels": 2, "kernel_size": 3, "padding": 1},
            {"type": "conv2d", "name": "b", "out_channels": 2, "kernel_size": 5, "padding": 2},
            {"type": "add", "name": "sum", "from": ["b", "stem"]},
            {"type": "relu", "name": "out"},
        ],
    }
    net = symcnn.load(spec)
    assert net["b"].receptive_field == (3 + 2 * 2 + 4 * 2, 3 + 2 * 2 + 4 * 2)
    assert net.receptive_field == net["b"].receptive_field  # the skip's field is inside
    assert check_row(net, "out")


def test_paths_shifted_by_padding_merge_into_their_union() -> None:
    # a: a 3-wide window, then two zeros before it (start -2); b: the position itself
    spec = {
        "input": [1, 30, 30],
        "layout": "CHW",
        "layers": [
            {"type": "conv2d", "name": "a", "out_channels": 1, "kernel_size": 3},
            {"type": "zeropad2d", "name": "shift", "padding": [2, 0, 2, 0]},
            {"type": "conv2d", "name": "b", "out_channels": 1, "kernel_size": 1, "from": "input"},
            {"type": "add", "name": "sum", "from": ["shift", "b"]},
            {"type": "relu", "name": "out"},
        ],
    }
    net = symcnn.load(spec)
    field = fields(net.rows, net.inputs, net.layout)["sum"]
    assert isinstance(field, Field)
    assert (field.size, field.start) == ((3, 3), (-2, -2))
    assert check_row(net, "out")


def test_an_inception_cat_reads_its_widest_branch() -> None:
    branches = [
        {"type": "conv2d", "name": "b1", "out_channels": 2, "kernel_size": 1, "from": "stem"},
        {"type": "conv2d", "name": "b3", "out_channels": 2, "kernel_size": 3, "padding": 1,
         "from": "stem"},
        {"type": "conv2d", "name": "b5", "out_channels": 2, "kernel_size": 5, "padding": 2,
         "from": "stem"},
        {"type": "maxpool2d", "name": "bp", "kernel_size": 3, "stride": 1, "padding": 1,
         "from": "stem"},
    ]
    spec = {
        "input": [3, 48, 48],
        "layout": "CHW",
        "layers": [
            {"type": "conv2d", "name": "stem", "out_channels": 4, "kernel_size": 7, "stride": 2},
            *branches,
            {"type": "cat", "name": "joined", "from": ["b1", "b3", "b5", "bp"]},
            {"type": "conv2d", "name": "out", "out_channels": 2, "kernel_size": 1},
        ],
    }
    net = symcnn.load(spec)
    assert net["joined"].receptive_field == (7 + 4 * 2, 7 + 4 * 2)
    assert check_row(net, "out")


# ------------------------------------------------------------------ published numbers


def _vgg16(size: int) -> dict[str, Any]:
    layers: list[dict[str, Any]] = []
    for stage, (convs, width) in enumerate([(2, 8), (2, 8), (3, 8), (3, 8), (3, 8)], 1):
        for conv in range(1, convs + 1):
            layers.append({"type": "conv2d", "name": f"conv{stage}_{conv}",
                           "out_channels": width, "kernel_size": 3, "padding": 1})
            layers.append({"type": "relu", "name": f"relu{stage}_{conv}"})
        layers.append({"type": "maxpool2d", "name": f"pool{stage}", "kernel_size": 2})
    return {"input": [3, size, size], "layout": "CHW", "layers": layers}


def test_vgg16_has_distills_receptive_field() -> None:
    # Distill (Araujo et al. 2019), table of receptive fields: VGG-16, r = 212 at pool5 (conv5_3's
    # field, 196, plus one pooling window at jump 16)
    net = symcnn.load(_vgg16(224))
    assert net["conv5_3"].receptive_field == (196, 196)
    assert net["pool5"].receptive_field == (212, 212)
    assert check_row(symcnn.load(_vgg16(256)), "pool5")


@pytest.mark.parametrize(
    ("example", "row", "published"),
    [
        # torchvision's ResNets put the stride on the 3x3 convolution: 435 (ResNet-18) and 427
        # (ResNet-50) after layer4; Distill's 483 is TF-slim's resnet_v1_50, whose stride sits on
        # the last unit of each block instead
        ("resnet18.yaml", "layer4.1.ReLU-1", 435),
        ("resnet50.yaml", "layer4.2.ReLU-2", 427),
    ],
)
def test_torchvisions_resnets_have_their_published_fields(example, row, published) -> None:
    net = symcnn.load(EXAMPLES / example)
    assert net[row].receptive_field == (published, published)


def _resized(example: str, size: int) -> symcnn.Network:
    import yaml

    spec = yaml.safe_load((EXAMPLES / example).read_text(encoding="utf-8"))
    spec["input"] = [spec["input"][0], size, size]
    return symcnn.load(spec)


@pytest.mark.parametrize(
    ("example", "size", "row"),
    [
        ("resnet18.yaml", 480, "layer4.1.ReLU-1"),
        ("resnet50.yaml", 480, "layer4.2.ReLU-2"),
        ("googlenet.yaml", 448, "inception4e.Cat-1"),
        ("mobilenet_v2.yaml", 512, "features.18.2"),
    ],
)
def test_an_examples_field_is_what_torch_reaches(example: str, size: int, row: str) -> None:
    net = _resized(example, size)
    name = row if row in dict(reading(to_torch(net)).named_modules()) else _module_after(net, row)
    assert check_row(net, name)


def _module_after(net: symcnn.Network, row: str) -> str:
    """The first row at or after ``row`` that is a module (a cat is a function in the export)."""
    names = [r.name for r in net.rows]
    return names[names.index(row) + 1]


# ------------------------------------------------------------------ refusals and the whole input


def test_flatten_and_global_pooling_read_the_whole_input() -> None:
    net = symcnn.load(EXAMPLES / "lenet5.yaml")
    assert net["Flatten-1"].receptive_field == (32, 32)
    assert net.receptive_field == (32, 32)
    state = fields(net.rows, net.inputs, net.layout)["FC3"]
    assert isinstance(state, Field) and state.whole


def test_upsampling_and_transposed_convolution_are_refused_with_the_reason() -> None:
    net = symcnn.load(EXAMPLES / "unet.yaml")
    assert net["bottleneck.relu2"].receptive_field == (140, 140)
    with pytest.raises(SolveError, match=r"^out: no receptive_field: up4 \(ConvTranspose2d\)"):
        _ = net.receptive_field
    upsample = {"input": [8, 8, 1], "layers": [
        {"type": "upsample", "name": "UP", "scale_factor": 2},
        {"type": "conv2d", "name": "C", "out_channels": 1, "kernel_size": 3}]}
    with pytest.raises(SolveError, match=r"C: no receptive_field: UP \(Upsample\) resizes"):
        _ = symcnn.load(upsample)["C"].receptive_field


def test_a_symbolic_repeat_is_refused_until_it_has_a_number() -> None:
    net = symcnn.load(EXAMPLES / "resnet_stage.yaml")
    with pytest.raises(SolveError, match="inside a symbolic repeat"):
        _ = net.receptive_field
    assert net.subs(L=2).receptive_field == net.subs(L=2).rows[-1].receptive_field


def test_a_symbolic_kernel_gives_a_symbolic_field_solve_can_invert() -> None:
    spec = {"input": [64, 64, 3], "layers": [
        {"type": "conv2d", "name": f"CONV{i}", "out_channels": 4, "kernel_size": "k"}
        for i in (1, 2, 3)]}
    net = symcnn.load(spec)
    k = net.symbols["k"]
    assert net.receptive_field == (3 * k - 2, 3 * k - 2)
    assert net.solve("receptive_field[0] = 13").value == 5
    assert net.solve("CONV2.receptive_field[0] = 9").value == 5
    assert net.evaluate(k=5, quantities=["receptive_field"]) == {"receptive_field": (13, 13)}
