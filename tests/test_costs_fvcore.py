"""The ``fvcore`` counter against ``fvcore.nn.FlopCountAnalysis(model, x).total()``, exactly.

Hypothesis draws valid single layers of every family fvcore counts (and of some it ignores); each
is built in PyTorch (``eval()``, batch 1, CHW) and as a one-layer symcnn spec, in CHW and in HWC,
and symcnn's ``macs`` under ``fvcore`` must be fvcore's total, as an exact SymPy integer (``flops``
twice it). Then the model zoo: every example of ``zoo_models.ZOO`` against its hand-built
reference, and the ResNet stage of symbolic depth and size at a few values.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import sympy
import torch
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from torch import nn
from zoo_models import ZOO, ResNetStage

import symcnn

with warnings.catch_warnings():
    # fvcore's import runs torch.jit.script, which PyTorch 2.13 deprecates
    warnings.filterwarnings("ignore", "`torch.jit", DeprecationWarning)
    from fvcore.nn import FlopCountAnalysis

torch.set_num_threads(1)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@contextmanager
def fvcore_warnings() -> Iterator[None]:
    """What tracing with fvcore emits for configurations PyTorch accepts; any other warning
    still fails the test (pytest's filterwarnings = error)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "`torch.jit", DeprecationWarning)
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        # conv 'same' with an even kernel copies a padded input
        warnings.filterwarnings("ignore", "Using padding='same' with even kernel lengths")
        yield


def fvcore_total(model: nn.Module, shape: tuple[int, ...]) -> int:
    """fvcore's total for one example of ``shape`` (PyTorch order), the model in eval mode."""
    model.eval()
    x = torch.zeros(1, *shape)
    with fvcore_warnings(), torch.no_grad():
        analysis = FlopCountAnalysis(model, x)
        analysis.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
        total = analysis.total()
    assert isinstance(total, int), total
    return total


# ------------------------------------------------------------------------------ single layers


@dataclass(frozen=True)
class Case:
    """One layer in PyTorch's terms, and one example's shape in PyTorch order (CHW)."""

    type: str
    kwargs: dict[str, Any]
    shape: tuple[int, ...]
    #: arguments PyTorch needs and symcnn infers (in_channels, num_features...)
    inferred: dict[str, Any] = field(default_factory=dict)
    #: whether axis 0 is the channel axis (HWC moves it last); False for Linear and LayerNorm
    channels_first: bool = True

    def module(self) -> nn.Module:
        # PyTorch takes tuples where a spec has lists (Upsample refuses a list scale_factor)
        kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in self.kwargs.items()}
        return getattr(nn, self.type)(**self.inferred, **kwargs).eval()

    def spec(self, layout: str) -> dict[str, Any]:
        shape = self.shape
        if layout == "HWC" and self.channels_first and len(shape) > 1:
            shape = (*shape[1:], shape[0])
        layer = {"type": self.type, "name": "L", **self.kwargs}
        return {"input": list(shape), "layout": layout, "layers": [layer]}


def accepted(case: Case) -> nn.Module:
    """The case's module, which PyTorch must run. Under hypothesis (whose strategies draw valid
    layers), the odd draw whose sizes do not fit is rejected here rather than in every strategy."""
    drawn = currently_in_test_context()
    try:
        module = case.module()
        with fvcore_warnings(), torch.no_grad():
            output = module(torch.zeros(1, *case.shape))
    except (RuntimeError, ValueError):
        if not drawn:
            raise
        reject()
    # some of PyTorch's fast paths (ConvTranspose with groups > 1) return an empty tensor where
    # its shape checks refuse an output of size 0, as symcnn does
    if output.numel() == 0:
        assert drawn, case
        reject()
    return module


def assert_matches(case: Case) -> int:
    """symcnn's fvcore MACs equal fvcore's total, in both layouts; returns the total."""
    expected = fvcore_total(accepted(case), case.shape)
    for layout in ("CHW", "HWC"):
        net = symcnn.load(case.spec(layout))
        costs = net.costs("fvcore")
        assert isinstance(costs["macs"], sympy.Integer), costs
        assert costs["macs"] == expected, (case, layout, costs["macs"], expected)
        assert costs["flops"] == 2 * expected
    return expected


def per_axis(draw: Callable[..., Any], dims: int, values: st.SearchStrategy[Any]) -> Any:
    """An int (PyTorch broadcasts it to every axis) or a list, one per axis."""
    if draw(st.booleans()):
        return draw(values)
    return [draw(values) for _ in range(dims)]


def axes(value: Any, dims: int) -> list[Any]:
    return list(value) if isinstance(value, list) else [value] * dims


#: largest spatial size per number of spatial axes, so that the traces stay cheap
MAX_SIZE = {1: 9, 2: 6, 3: 4}


@st.composite
def convolutions(draw: Callable[..., Any]) -> Case:
    dims = draw(st.sampled_from([1, 2, 3]))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    kernel = per_axis(draw, dims, st.integers(1, 3))
    stride = per_axis(draw, dims, st.sampled_from([1, 1, 2, 3]))
    dilation = per_axis(draw, dims, st.sampled_from([1, 1, 2]))
    choices = (
        ["numbers", "numbers", "same", "valid"] if axes(stride, dims) == [1] * dims else ["numbers"]
    )
    padding = draw(st.sampled_from(choices))
    kwargs: dict[str, Any] = {
        "out_channels": groups * draw(st.integers(1, 3)),
        "kernel_size": kernel,
        "stride": stride,
        "dilation": dilation,
        "groups": groups,
        "bias": draw(st.booleans()),
        "padding": per_axis(draw, dims, st.integers(0, 2)) if padding == "numbers" else padding,
        "padding_mode": draw(
            st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"])
        ),
    }
    extents = [
        r * (m - 1) + 1 for r, m in zip(axes(dilation, dims), axes(kernel, dims), strict=True)
    ]
    sizes = [draw(st.integers(extent, max(extent, MAX_SIZE[dims]))) for extent in extents]
    channels = groups * draw(st.integers(1, 2))
    return Case(f"Conv{dims}d", kwargs, (channels, *sizes), inferred={"in_channels": channels})


@st.composite
def transposed_convolutions(draw: Callable[..., Any]) -> Case:
    dims = draw(st.sampled_from([1, 2, 3]))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    stride = axes(per_axis(draw, dims, st.integers(1, 3)), dims)
    dilation = axes(per_axis(draw, dims, st.integers(1, 2)), dims)
    output_padding = [
        draw(st.integers(0, max(s, r) - 1)) for s, r in zip(stride, dilation, strict=True)
    ]
    kwargs = {
        "out_channels": groups * draw(st.integers(1, 3)),
        "kernel_size": per_axis(draw, dims, st.integers(1, 3)),
        "stride": stride,
        "padding": per_axis(draw, dims, st.integers(0, 2)),
        "output_padding": output_padding,
        "dilation": dilation,
        "groups": groups,
        "bias": draw(st.booleans()),
    }
    channels = groups * draw(st.integers(1, 2))
    sizes = [draw(st.integers(1, MAX_SIZE[dims])) for _ in range(dims)]
    name = f"ConvTranspose{dims}d"
    return Case(name, kwargs, (channels, *sizes), inferred={"in_channels": channels})


def example_shape(draw: Callable[..., Any], low: int = 1, high: int = 3) -> tuple[int, ...]:
    return tuple(draw(st.integers(1, 4)) for _ in range(draw(st.integers(low, high))))


@st.composite
def linears(draw: Callable[..., Any]) -> Case:
    shape = example_shape(draw)
    kwargs = {"out_features": draw(st.integers(1, 6)), "bias": draw(st.booleans())}
    inferred = {"in_features": shape[-1]}
    return Case("Linear", kwargs, shape, inferred=inferred, channels_first=False)


#: example ranks each BatchNorm takes
BATCH_NORM_RANKS = {"BatchNorm1d": (1, 2), "BatchNorm2d": (3,), "BatchNorm3d": (4,)}


@st.composite
def batch_norms(draw: Callable[..., Any]) -> Case:
    name = draw(st.sampled_from(sorted(BATCH_NORM_RANKS)))
    rank = draw(st.sampled_from(BATCH_NORM_RANKS[name]))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    kwargs = {"affine": draw(st.booleans()), "track_running_stats": draw(st.booleans())}
    return Case(name, kwargs, shape, inferred={"num_features": shape[0]})


@st.composite
def instance_norms(draw: Callable[..., Any]) -> Case:
    dims = draw(st.sampled_from([1, 2, 3]))
    shape = (draw(st.integers(1, 3)), *[draw(st.integers(1, 4)) for _ in range(dims)])
    kwargs = {"affine": draw(st.booleans()), "track_running_stats": draw(st.booleans())}
    return Case(f"InstanceNorm{dims}d", kwargs, shape, inferred={"num_features": shape[0]})


@st.composite
def group_norms(draw: Callable[..., Any]) -> Case:
    groups = draw(st.integers(1, 3))
    channels = groups * draw(st.integers(1, 2))
    # fvcore's norm handle takes inputs of rank 2 to 5 with the batch axis: up to 3 spatial axes
    shape = (channels, *example_shape(draw, 0, 3))
    kwargs = {"num_groups": groups, "affine": draw(st.booleans())}
    return Case("GroupNorm", kwargs, shape, inferred={"num_channels": channels})


@st.composite
def layer_norms(draw: Callable[..., Any]) -> Case:
    shape = example_shape(draw, 1, 4)
    trailing = list(shape[len(shape) - draw(st.integers(1, len(shape))) :])
    kwargs = {
        "normalized_shape": trailing,
        "elementwise_affine": draw(st.booleans()),
        "bias": draw(st.booleans()),
    }
    return Case("LayerNorm", kwargs, shape, channels_first=False)


#: spatial axes each interpolation mode takes
MODE_AXES = {
    "nearest": (1, 2, 3),
    "nearest-exact": (1, 2, 3),
    "area": (1, 2, 3),
    "linear": (1,),
    "bilinear": (2,),
    "bicubic": (2,),
    "trilinear": (3,),
}


@st.composite
def upsamplings(draw: Callable[..., Any]) -> Case:
    name = draw(st.sampled_from(["Upsample"] * 4 + ["UpsamplingNearest2d", "UpsamplingBilinear2d"]))
    kwargs: dict[str, Any] = {}
    if name == "Upsample":
        mode = draw(st.sampled_from(sorted(MODE_AXES)))
        dims = draw(st.sampled_from(MODE_AXES[mode]))
        kwargs["mode"] = mode
        if mode in ("linear", "bilinear", "bicubic", "trilinear") and draw(st.booleans()):
            kwargs["align_corners"] = draw(st.booleans())
    else:
        dims = 2
    shape = (draw(st.integers(1, 3)), *[draw(st.integers(1, 5)) for _ in range(dims)])
    if draw(st.booleans()):
        kwargs["size"] = per_axis(draw, dims, st.integers(1, 7))
    else:
        # scales exact in binary, so PyTorch's float product floors as symcnn's exact one does
        kwargs["scale_factor"] = per_axis(draw, dims, st.sampled_from([1, 2, 3, 0.5, 1.5, 2.5]))
    return Case(name, kwargs, shape)


@st.composite
def adaptive_avg_poolings(draw: Callable[..., Any]) -> Case:
    dims = draw(st.sampled_from([1, 2, 3]))
    sizes = st.integers(1, 4)
    if dims == 1 or draw(st.booleans()):
        output_size: Any = draw(sizes)
    else:  # None keeps the input's size (2-d and 3-d only)
        output_size = [draw(st.one_of(sizes, st.none())) for _ in range(dims)]
    shape = (draw(st.integers(1, 3)), *[draw(st.integers(1, MAX_SIZE[dims])) for _ in range(dims)])
    return Case(f"AdaptiveAvgPool{dims}d", {"output_size": output_size}, shape)


#: the families fvcore counts, with their strategies
COUNTED: dict[str, st.SearchStrategy[Case]] = {
    "conv": convolutions(),
    "conv_transpose": transposed_convolutions(),
    "linear": linears(),
    "batch_norm": batch_norms(),
    "instance_norm": instance_norms(),
    "group_norm": group_norms(),
    "layer_norm": layer_norms(),
    "upsample": upsamplings(),
    "adaptive_avg_pool": adaptive_avg_poolings(),
}


def _counted_test(family: str) -> Callable[..., None]:
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
    @given(case=COUNTED[family])
    def test(case: Case) -> None:
        assert_matches(case)

    test.__name__ = f"test_{family}_matches_fvcore"
    test.__doc__ = f"Hypothesis-drawn {family} layers: symcnn's fvcore MACs are fvcore's total."
    return test


for _family in COUNTED:
    globals()[f"test_{_family}_matches_fvcore"] = _counted_test(_family)


#: layers of the families fvcore ignores (pooling, activations, shape-only...): 0 under both
IGNORED = [
    Case("MaxPool1d", {"kernel_size": 2}, (3, 8)),
    Case("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True}, (3, 7, 7)),
    Case("MaxPool3d", {"kernel_size": 2}, (2, 4, 4, 4)),
    Case("AvgPool1d", {"kernel_size": 3}, (3, 9)),
    Case("AvgPool2d", {"kernel_size": 2, "stride": 1}, (3, 6, 6)),
    Case("AvgPool3d", {"kernel_size": 2}, (2, 4, 4, 4)),
    Case("AdaptiveMaxPool1d", {"output_size": 3}, (3, 8)),
    Case("AdaptiveMaxPool2d", {"output_size": [2, 3]}, (3, 6, 7)),
    Case("AdaptiveMaxPool3d", {"output_size": 2}, (2, 4, 4, 4)),
    Case("ReLU", {}, (3, 5, 5)),
    Case("GELU", {}, (3, 5, 5)),
    Case("SiLU", {}, (3, 5, 5)),
    Case("Hardswish", {}, (3, 5, 5)),
    Case("Sigmoid", {}, (3, 5, 5)),
    Case("Softmax", {"dim": 1}, (3, 5, 5)),
    Case("LogSoftmax", {"dim": -1}, (3, 5, 5)),
    Case("Softmax2d", {}, (3, 5, 5)),
    Case("PReLU", {"num_parameters": 3}, (3, 5, 5)),
    Case("Dropout", {"p": 0.5}, (3, 5, 5)),
    Case("Dropout2d", {"p": 0.5}, (3, 5, 5)),
    Case("Identity", {}, (3, 5, 5)),
    Case("Flatten", {}, (3, 5, 5), channels_first=False),
    Case("ZeroPad2d", {"padding": 1}, (3, 5, 5)),
    Case("ReflectionPad2d", {"padding": [1, 2, 0, 1]}, (3, 5, 5)),
    Case("PixelShuffle", {"upscale_factor": 2}, (8, 3, 3)),
    Case("PixelUnshuffle", {"downscale_factor": 2}, (2, 4, 4)),
    Case("ChannelShuffle", {"groups": 2}, (4, 3, 3)),
    Case("GLU", {"dim": -1}, (3, 3, 4), channels_first=False),
]


@pytest.mark.parametrize("case", IGNORED, ids=lambda case: case.type)
def test_ignored_families_cost_nothing(case):
    assert assert_matches(case) == 0


#: the rules' corners, each with fvcore's total (N: input elements, M: output elements)
EDGES = [
    (Case("Upsample", {"mode": "area", "size": [2, 3]}, (3, 4, 5)), 60),  # N: adaptive_avg_pool2d
    (Case("Upsample", {"mode": "area", "scale_factor": 2}, (3, 4)), 0),  # adaptive_avg_pool1d
    (Case("Upsample", {"mode": "nearest", "scale_factor": 2}, (3, 4, 5)), 240),  # M
    (Case("Upsample", {"mode": "nearest", "scale_factor": 2}, (3, 4)), 0),  # upsample_nearest1d
    (Case("Upsample", {"mode": "nearest", "scale_factor": 2}, (1, 2, 2, 2)), 0),  # nearest3d
    (Case("Upsample", {"mode": "nearest-exact", "scale_factor": 2}, (3, 4, 5)), 0),
    (Case("Upsample", {"mode": "bilinear", "scale_factor": 1.5}, (3, 4, 5)), 4 * 3 * 6 * 7),
    (Case("Upsample", {"mode": "bicubic", "scale_factor": 2}, (3, 4, 5)), 0),
    (Case("Upsample", {"mode": "linear", "scale_factor": 2}, (3, 4)), 0),
    (Case("Upsample", {"mode": "trilinear", "scale_factor": 2}, (1, 2, 2, 2)), 0),
    (Case("UpsamplingBilinear2d", {"size": [3, 3]}, (2, 2, 2)), 4 * 2 * 3 * 3),
    (Case("UpsamplingNearest2d", {"scale_factor": 3}, (2, 2, 2)), 2 * 6 * 6),
    (Case("AdaptiveAvgPool1d", {"output_size": 2}, (3, 8)), 0),
    (Case("AdaptiveAvgPool2d", {"output_size": 1}, (3, 8, 8)), 3 * 8 * 8),
    (Case("AdaptiveAvgPool3d", {"output_size": 1}, (2, 3, 3, 3)), 0),
    (Case("BatchNorm2d", {}, (3, 4, 4), {"num_features": 3}), 2 * 48),
    (Case("BatchNorm2d", {"affine": False}, (3, 4, 4), {"num_features": 3}), 48),
    (Case("BatchNorm2d", {"track_running_stats": False}, (3, 4, 4), {"num_features": 3}), 5 * 48),
    (
        Case(
            "BatchNorm1d",
            {"affine": False, "track_running_stats": False},
            (3, 4),
            {"num_features": 3},
        ),
        4 * 12,
    ),
    (Case("InstanceNorm2d", {"track_running_stats": True}, (3, 4, 4), {"num_features": 3}), 192),
    (Case("InstanceNorm2d", {"affine": True}, (3, 4, 4), {"num_features": 3}), 5 * 48),
    (Case("GroupNorm", {"num_groups": 2, "affine": False}, (4, 3, 3), {"num_channels": 4}), 144),
    (Case("LayerNorm", {"normalized_shape": [4], "bias": False}, (3, 4), channels_first=False), 60),
    (
        Case(
            "LayerNorm",
            {"normalized_shape": [3, 4], "elementwise_affine": False},
            (2, 3, 4),
            channels_first=False,
        ),
        4 * 24,
    ),
]


@pytest.mark.parametrize(("case", "total"), EDGES, ids=lambda edge: getattr(edge, "type", ""))
def test_edges_match_fvcore(case, total):
    assert assert_matches(case) == total


def test_a_convolution_with_padding_text_is_not_counted():
    """padding 'same' or 'valid' with zeros runs as aten::_convolution_mode, which fvcore does
    not handle; with another padding mode PyTorch pads first and the convolution counts."""
    for padding_mode in ("zeros", "reflect"):
        for padding in ("same", "valid"):
            kwargs = {"out_channels": 4, "kernel_size": 3, "padding": padding}
            case = Case(
                "Conv2d",
                {**kwargs, "padding_mode": padding_mode},
                (2, 6, 6),
                inferred={"in_channels": 2},
            )
            counted = assert_matches(case)
            assert (counted == 0) == (padding_mode == "zeros"), (padding, padding_mode, counted)


def test_counter_is_registered():
    counter = symcnn.costs.lookup("fvcore")
    assert counter.reports == "macs"
    assert counter.tool == "fvcore.nn.FlopCountAnalysis"


# ----------------------------------------------------------------------------------- the zoo


def input_chw(net: symcnn.Network) -> tuple[int, ...]:
    sizes = tuple(int(size) for size in net.input_shape)
    if net.layout == "HWC" and len(sizes) > 1:
        return (sizes[-1], *sizes[:-1])
    return sizes


@cache
def load(name: str) -> symcnn.Network:
    return symcnn.load(EXAMPLES / name)


#: examples whose reference runs its attention in ``scaled_dot_product_attention``
#: (``need_weights=False``): fvcore has no handle for it (tested on their own, below)
SDPA_EXAMPLES = ("vit_b_16.yaml",)


@pytest.mark.parametrize("name", sorted(set(ZOO) - set(SDPA_EXAMPLES)))
def test_zoo_matches_fvcore(name):
    net = load(name)
    expected = fvcore_total(ZOO[name](), input_chw(net))
    assert net.costs("fvcore") == {"macs": expected, "flops": 2 * expected}


@contextmanager
def mha_fast_path(enabled: bool) -> Iterator[None]:
    before = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(enabled)
    try:
        yield
    finally:
        torch.backends.mha.set_fastpath_enabled(before)


def test_vit_matches_fvcore_but_for_the_attention_it_cannot_see():
    """torchvision's ViT calls its attention with ``need_weights=False``: without the fast path
    its products run in ``aten::scaled_dot_product_attention``, which fvcore does not count
    (2·L·L·e MACs an attention); with it (eval mode, no grad, ``batch_first``) the whole
    attention is one ``aten::_native_multi_head_attention``, which fvcore does not count either."""
    net = load("vit_b_16.yaml")
    macs = net.costs("fvcore")["macs"]
    attentions = [row for row in net.rows if row.type == "MultiheadAttention"]
    assert len(attentions) == 12
    products = sum(2 * row.input_shape[0] ** 2 * row.input_shape[1] for row in attentions)
    whole = sum(net.row_costs("fvcore")[row.name][0] for row in attentions)
    with mha_fast_path(False):
        assert fvcore_total(ZOO["vit_b_16.yaml"](), input_chw(net)) == macs - products
    with mha_fast_path(True):
        assert fvcore_total(ZOO["vit_b_16.yaml"](), input_chw(net)) == macs - whole


def test_resnet50_number():
    """The number docs/costs-fvcore.md quotes."""
    assert load("resnet50.yaml").costs("fvcore")["macs"] == 4_111_512_576


@pytest.mark.parametrize(("depth", "size"), [(1, 8), (2, 5), (3, 6)])
def test_symbolic_stage_matches_fvcore(depth, size):
    """The ResNet stage of symbolic depth L on H x W: the formula at (L, H, W) is fvcore's."""
    net = load("resnet_stage.yaml")
    macs = net.costs("fvcore")["macs"]
    given = {"L": depth, "H": size, "W": size}
    assert {symbol.name for symbol in macs.free_symbols} == set(given)
    values = {symbol: given[symbol.name] for symbol in macs.free_symbols}
    expected = fvcore_total(ResNetStage(depth), (64, size, size))
    assert sympy.expand(macs.xreplace(values)) == expected
    assert net.subs(L=depth, H=size, W=size).costs("fvcore")["macs"] == expected


class _DeadBranch(nn.Module):
    """Two convolutions, the output the first's: the trace drops the second."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3)
        self.b = nn.Conv2d(4, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.a(x)
        self.b(y)
        return y


def test_work_the_output_does_not_read_costs_nothing():
    spec = {
        "input": [3, 8, 8],
        "layout": "CHW",
        "layers": [
            {"type": "Conv2d", "name": "a", "out_channels": 4, "kernel_size": 3},
            {"type": "Conv2d", "name": "b", "out_channels": 4, "kernel_size": 3},
        ],
        "output": "a",
    }
    expected = fvcore_total(_DeadBranch(), (3, 8, 8))
    assert expected == 4 * 3 * 9 * 6 * 6
    assert symcnn.load(spec).costs("fvcore")["macs"] == expected
