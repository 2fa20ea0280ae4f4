"""The ``torchinfo`` counter against torchinfo itself: ``total_mult_adds``, to the last unit.

Hypothesis draws single layers of every family with parameters (convolutions, transposed
convolutions, Linear on inputs of rank 1-3, the four norms with and without their affine
parameters, PReLU) and a sample of families without (pooling, activations, dropout, reshapes,
padding, upsampling, shuffles), valid by construction. Each is one torch module run by
``torchinfo.summary(module, input_size=(1, *example))`` and a one-layer symcnn spec in CHW or HWC;
``net.costs("torchinfo")["macs"]`` must equal torchinfo's number exactly. The model zoo is
compared whole (the references run on the ``meta`` device: torchinfo reads shapes only), the
ResNet stage symbolically, and ResNet-50 against the number the issue measured.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torchinfo import summary
from zoo_models import ZOO, ResNetStage

import symcnn

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

#: torchvision's ResNet-50 at 224x224, as torchinfo 1.8 reports it (the issue's measurement)
RESNET50_MULT_ADDS = 4_089_238_376


def torchinfo_macs(model: torch.nn.Module, example: tuple[int, ...], device: str = "cpu") -> int:
    """torchinfo's total mult-adds for one example (batch 1)."""
    with warnings.catch_warnings():
        # PyTorch warns that 'same' with an even kernel copies a padded input: a valid layer
        warnings.filterwarnings("ignore", "Using padding='same' with even kernel lengths")
        stats = summary(model.to(device).eval(), input_size=(1, *example), verbose=0, device=device)
    return int(stats.total_mult_adds)


# ------------------------------------------------------------------------------- single layers


@dataclass(frozen=True)
class Case:
    """One layer in PyTorch's terms and one example's shape in PyTorch's order (channels first)."""

    type: str
    kwargs: dict[str, Any]
    shape: tuple[int, ...]
    #: arguments PyTorch needs and symcnn infers (in_channels, num_features...)
    inferred: dict[str, Any] = field(default_factory=dict)
    #: False for layers acting on trailing axes whatever the layout (Linear, LayerNorm...)
    channels_first: bool = True

    def module(self) -> torch.nn.Module:
        return getattr(torch.nn, self.type)(**self.inferred, **self.kwargs)

    def spec(self, layout: str) -> dict[str, Any]:
        shape = self.shape
        if layout == "HWC" and self.channels_first and len(shape) > 1:
            shape = (*shape[1:], shape[0])
        layer = {"type": self.type, "name": "L", **self.kwargs}
        return {"input": list(shape), "layout": layout, "layers": [layer]}


def assert_matches(case: Case, layout: str) -> None:
    expected = torchinfo_macs(case.module(), case.shape)
    net = symcnn.load(case.spec(layout))
    costs = net.costs("torchinfo")
    assert costs["macs"] == expected, (case, layout, costs["macs"], expected)
    assert costs["flops"] == 2 * expected
    assert isinstance(costs["macs"], sympy.Integer)


def sizes(draw: Callable[..., Any], dims: int, low: int, high: int) -> list[int]:
    return [draw(st.integers(low, high)) for _ in range(dims)]


@st.composite
def convolutions(draw: Callable[..., Any]) -> Case:
    dims = draw(st.sampled_from([1, 2, 3]))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    kernel = sizes(draw, dims, 1, 3)
    dilation = sizes(draw, dims, 1, 2)
    padding: Any = draw(st.sampled_from(["numbers", "numbers", "same", "valid"]))
    stride = [1] * dims if padding == "same" else sizes(draw, dims, 1, 3)
    pads = sizes(draw, dims, 0, 2) if padding == "numbers" else [0] * dims
    if padding == "numbers":
        padding = pads
    # big enough for the dilated kernel (and 'same' padding of any mode)
    extents = [r * (m - 1) + 1 for r, m in zip(dilation, kernel, strict=True)]
    shape = [max(e, draw(st.integers(1, 6 if dims < 3 else 4))) for e in extents]
    mode = draw(st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"]))
    if mode == "reflect" and padding != "valid":
        shape = [
            max(size, 2 * r * (m - 1) + 1)
            for size, r, m in zip(shape, dilation, kernel, strict=True)
        ]
        if padding != "same":
            shape = [max(size, z + 1) for size, z in zip(shape, pads, strict=True)]
    if mode == "circular" and isinstance(padding, list):
        shape = [max(size, z) for size, z in zip(shape, pads, strict=True)]
    kwargs = {
        "out_channels": groups * draw(st.integers(1, 3)),
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
        "bias": draw(st.booleans()),
        "padding_mode": mode,
    }
    channels = groups * draw(st.integers(1, 2))
    return Case(f"Conv{dims}d", kwargs, (channels, *shape), {"in_channels": channels})


@st.composite
def transposed_convolutions(draw: Callable[..., Any]) -> Case:
    dims = draw(st.sampled_from([1, 2, 3]))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    stride = sizes(draw, dims, 1, 3)
    dilation = sizes(draw, dims, 1, 2)
    kernel = sizes(draw, dims, 1, 3)
    # output padding below the stride or the dilation; padding small enough to leave an output
    output_padding = [
        draw(st.integers(0, max(s, r) - 1)) for s, r in zip(stride, dilation, strict=True)
    ]
    padding = [
        draw(st.integers(0, (r * (m - 1)) // 2)) for r, m in zip(dilation, kernel, strict=True)
    ]
    kwargs = {
        "out_channels": groups * draw(st.integers(1, 3)),
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "output_padding": output_padding,
        "dilation": dilation,
        "groups": groups,
        "bias": draw(st.booleans()),
    }
    channels = groups * draw(st.integers(1, 2))
    shape = (channels, *sizes(draw, dims, 1, 5 if dims < 3 else 3))
    return Case(f"ConvTranspose{dims}d", kwargs, shape, {"in_channels": channels})


def example_shape(draw: Callable[..., Any], low: int = 1, high: int = 3) -> tuple[int, ...]:
    return tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(low, high))))


@st.composite
def linears(draw: Callable[..., Any]) -> Case:
    shape = example_shape(draw)
    kwargs = {"out_features": draw(st.integers(1, 6)), "bias": draw(st.booleans())}
    return Case("Linear", kwargs, shape, {"in_features": shape[-1]}, channels_first=False)


@st.composite
def batch_norms(draw: Callable[..., Any]) -> Case:
    name, rank = draw(
        st.sampled_from(
            [("BatchNorm1d", 1), ("BatchNorm1d", 2), ("BatchNorm2d", 3), ("BatchNorm3d", 4)]
        )
    )
    shape = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    kwargs = {"affine": draw(st.booleans()), "track_running_stats": draw(st.booleans())}
    if not kwargs["track_running_stats"]:
        # batch statistics even in eval mode: batch 1 needs more than one value per channel
        shape = (shape[0], *(max(size, 2) for size in shape[1:])) if rank > 1 else (shape[0], 2)
        name = "BatchNorm1d" if rank == 1 else name
    return Case(name, kwargs, shape, {"num_features": shape[0]})


@st.composite
def instance_norms(draw: Callable[..., Any]) -> Case:
    dims = draw(st.sampled_from([1, 2, 3]))
    # more than one element per channel (without running statistics PyTorch needs it)
    spatial = [draw(st.integers(2, 3)), *sizes(draw, dims - 1, 1, 3)]
    kwargs = {"affine": draw(st.booleans()), "track_running_stats": draw(st.booleans())}
    channels = draw(st.integers(1, 3))
    return Case(f"InstanceNorm{dims}d", kwargs, (channels, *spatial), {"num_features": channels})


@st.composite
def group_norms(draw: Callable[..., Any]) -> Case:
    groups = draw(st.integers(1, 3))
    channels = groups * draw(st.integers(1, 2))
    # batch 1: a group needs more than one element
    spatial = [draw(st.integers(2, 4)), *example_shape(draw, 0, 1)]
    kwargs = {"num_groups": groups, "affine": draw(st.booleans())}
    return Case("GroupNorm", kwargs, (channels, *spatial), {"num_channels": channels})


@st.composite
def layer_norms(draw: Callable[..., Any]) -> Case:
    shape = example_shape(draw)
    trailing = list(shape[len(shape) - draw(st.integers(1, len(shape))) :])
    kwargs = {
        "normalized_shape": trailing,
        "elementwise_affine": draw(st.booleans()),
        "bias": draw(st.booleans()),
    }
    return Case("LayerNorm", kwargs, shape, channels_first=False)


@st.composite
def prelus(draw: Callable[..., Any]) -> Case:
    shape = example_shape(draw)
    channels = shape[0] if len(shape) > 1 else shape[-1]
    return Case("PReLU", {"num_parameters": draw(st.sampled_from([1, channels]))}, shape)


#: layers without parameters, one fixed configuration each: torchinfo counts them 0
WITHOUT_PARAMETERS = [
    Case("MaxPool2d", {"kernel_size": 2, "stride": 2}, (3, 6, 6)),
    Case("AvgPool1d", {"kernel_size": 3, "padding": 1}, (2, 7)),
    Case("AvgPool3d", {"kernel_size": 2}, (2, 4, 4, 4)),
    Case("AdaptiveAvgPool2d", {"output_size": 1}, (4, 5, 5)),
    Case("AdaptiveMaxPool1d", {"output_size": 3}, (2, 7)),
    Case("ReLU", {}, (3, 4, 4)),
    Case("GELU", {}, (5,), channels_first=False),
    Case("Softmax", {"dim": -1}, (3, 4), channels_first=False),
    Case("Dropout", {"p": 0.5}, (3, 4, 4)),
    Case("Identity", {}, (3, 4, 4)),
    Case("Flatten", {}, (3, 4, 4), channels_first=False),
    Case("ZeroPad2d", {"padding": 1}, (3, 4, 4)),
    Case("Upsample", {"scale_factor": 2, "mode": "nearest"}, (3, 4, 4)),
    Case("PixelShuffle", {"upscale_factor": 2}, (8, 3, 3)),
    Case("ChannelShuffle", {"groups": 2}, (4, 3, 3)),
    Case("GLU", {"dim": -1}, (3, 3, 4), channels_first=False),
]

FAMILIES: dict[str, st.SearchStrategy[Case]] = {
    "conv": convolutions(),
    "conv_transpose": transposed_convolutions(),
    "linear": linears(),
    "batch_norm": batch_norms(),
    "instance_norm": instance_norms(),
    "group_norm": group_norms(),
    "layer_norm": layer_norms(),
    "prelu": prelus(),
    "without_parameters": st.sampled_from(WITHOUT_PARAMETERS),
}


#: examples per family (400 each pass too, in about a minute)
EXAMPLES_PER_FAMILY = 60


def _family_test(family: str) -> Callable[..., None]:
    @settings(max_examples=EXAMPLES_PER_FAMILY, deadline=None)
    @given(case=FAMILIES[family], layout=st.sampled_from(["CHW", "HWC"]))
    def test(case: Case, layout: str) -> None:
        assert_matches(case, layout)

    test.__name__ = f"test_{family}_matches_torchinfo"
    return test


for _family in FAMILIES:
    globals()[f"test_{_family}_matches_torchinfo"] = _family_test(_family)


def test_the_rules_cover_the_families_with_parameters():
    counter = symcnn.costs.lookup("torchinfo")
    with_parameters = {"conv", "conv_transpose", "linear", "prelu"} | {
        f"{kind}_norm" for kind in ("batch", "instance", "group", "layer")
    }
    # the sequence families: compared with torchinfo in tests/test_recurrent.py
    sequence = {"rnn", "rnn_cell", "lstm", "embedding", "embedding_bag"}
    assert set(counter.rules) == with_parameters | sequence
    assert counter.reports == "macs"


def test_a_transposed_convolution_counts_the_output_size():
    """torchinfo charges a ConvTranspose's weights per *output* position: a 2x2, stride-2 up step
    counts 4x the textbook work (plus its bias)."""
    case = Case(
        "ConvTranspose2d",
        {"out_channels": 8, "kernel_size": 2, "stride": 2, "bias": False},
        (4, 5, 5),
        {"in_channels": 4},
    )
    net = symcnn.load(case.spec("CHW"))
    textbook = net.costs("torch")["macs"]
    assert (
        net.costs("torchinfo")["macs"] == 4 * textbook == torchinfo_macs(case.module(), case.shape)
    )


def test_a_linear_on_a_sequence_counts_its_parameters_once():
    """Linear on (T, p): T·p·c multiply-accumulates, but torchinfo charges (p + 1)·c."""
    case = Case("Linear", {"out_features": 6}, (5, 4), {"in_features": 4}, channels_first=False)
    net = symcnn.load(case.spec("CHW"))
    assert (
        net.costs("torchinfo")["macs"] == (4 + 1) * 6 == torchinfo_macs(case.module(), case.shape)
    )


def test_symbolic_sizes_stay_symbolic():
    net = symcnn.load(
        {
            "input": [3, "H", "W"],
            "layout": "CHW",
            "layers": [
                {"type": "Conv2d", "out_channels": 8, "kernel_size": 3, "padding": 1},
                {"type": "BatchNorm2d"},
                {"type": "ReLU"},
            ],
        }
    )
    macs = net.costs("torchinfo")["macs"]
    symbols = {str(s): s for s in macs.free_symbols}
    assert set(symbols) == {"H", "W"}
    H, W = symbols["H"], symbols["W"]
    assert sympy.expand(macs - ((3 * 3 * 3 + 1) * 8 * H * W + 2 * 8)) == 0
    model = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU()
    )
    assert macs.subs({H: 10, W: 7}) == torchinfo_macs(model, (3, 10, 7))


# ----------------------------------------------------------------------------------- the zoo


def to_chw(shape: tuple[Any, ...], layout: str) -> tuple[int, ...]:
    sizes = tuple(int(size) for size in shape)
    return (sizes[-1], *sizes[:-1]) if layout == "HWC" else sizes


@pytest.mark.parametrize("name", sorted(ZOO))
def test_the_zoo_matches_torchinfo(name):
    net = symcnn.load(EXAMPLES / name)
    example = to_chw(net.input_shape, net.layout)
    expected = torchinfo_macs(ZOO[name](), example, device="meta")
    assert net.costs("torchinfo")["macs"] == expected


def test_resnet50_is_the_issues_number():
    """The issue measured torchvision's ResNet-50 at 4,089,238,376 torchinfo mult-adds (on CPU,
    as measured there)."""
    net = symcnn.load(EXAMPLES / "resnet50.yaml")
    assert net.costs("torchinfo")["macs"] == RESNET50_MULT_ADDS
    assert torchinfo_macs(ZOO["resnet50.yaml"](), (3, 224, 224)) == RESNET50_MULT_ADDS


def test_a_module_called_twice_counts_twice():
    """The exam's conv5 applies conv3's weights again: torchinfo lists the second call
    (recursive) and adds its MACs, conv3's parameters times conv5's own output size."""
    net = symcnn.load(EXAMPLES / "shared_weights_exam.yaml")
    costs = net.row_costs("torchinfo")
    by_name = {row.name: row for row in net.rows}
    shared = [row for row in net.rows if row.shares is not None]
    assert shared and all(row.params == 0 for row in shared)
    for row in shared:
        original = by_name[row.shares]
        spatial = row.activation_size / row.layer.out_channels
        assert costs[row.name][0] == original.params * spatial != 0


@pytest.mark.parametrize("depth", [1, 3])
def test_the_resnet_stage_is_L_blocks(depth):
    net = symcnn.load(EXAMPLES / "resnet_stage.yaml")
    symbols = {str(s): s for s in net.costs("torchinfo")["macs"].free_symbols}
    assert set(symbols) == {"L", "H", "W"}
    macs = net.costs("torchinfo")["macs"].subs(
        {symbols["L"]: depth, symbols["H"]: 14, symbols["W"]: 12}
    )
    assert macs == torchinfo_macs(ResNetStage(depth), (64, 14, 12), device="meta")
