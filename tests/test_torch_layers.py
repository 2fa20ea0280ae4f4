"""Every layer type against PyTorch: parameters, buffers, output shape, and validity.

Hypothesis draws small configurations of each family, valid or not. Each is built in PyTorch (the
module, then a forward pass on zeros) and in symcnn (a one-layer spec), and the two must agree:
symcnn raises a ``SymcnnError`` exactly when PyTorch raises, and otherwise reports PyTorch's
``numel()`` totals and output shape, as exact SymPy integers. Layout CHW is compared directly; HWC
must give the same answer with the channel axis moved last.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sympy
import torch
from hypothesis import event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

import symcnn
from symcnn.layers.dense import ACTIVATIONS

torch.set_num_threads(1)


#: warnings PyTorch emits for configurations it accepts; any other warning fails the test
EXPECTED_WARNINGS = (
    "Using padding='same' with even kernel lengths",  # conv 'same' copies a padded input
    "Implicit dimension choice for",  # Softmax/LogSoftmax/Softmin without dim
    "dropout2d: Received a",  # Dropout2d on a 3-D or other-rank input
    "dropout3d: Received a",
)

#: what PyTorch raises for a bad configuration (constructor or forward pass)
TORCH_ERRORS = (RuntimeError, ValueError, IndexError, AssertionError, TypeError)


@dataclass(frozen=True)
class Case:
    """One layer configuration in PyTorch's terms, and one example's shape in PyTorch order."""

    type: str
    kwargs: dict[str, Any]
    shape: tuple[int, ...]
    #: arguments PyTorch requires but symcnn infers from the input (in_channels, num_features...)
    inferred: dict[str, Any] = field(default_factory=dict)
    #: whether the symcnn spec also states the inferred arguments
    declare: bool = True
    #: whether the layer reads axis 0 as channels (so HWC moves it last); False for layers such as
    #: Linear or LayerNorm that act on trailing axes whatever the layout
    channels_first: bool = True
    #: examples in PyTorch's batch: 1, except where batch statistics need more than one value
    batch: int = 1

    def torch_module(self) -> torch.nn.Module:
        return getattr(torch.nn, self.type)(**self.inferred, **self.kwargs)

    def spec(self, layout: str) -> dict[str, Any]:
        layer = {"type": self.type, "name": "L", **self.kwargs}
        if self.declare:
            layer.update(self.inferred)
        return {
            "input": list(self.in_layout(self.shape, layout)),
            "layout": layout,
            "layers": [layer],
        }

    def in_layout(self, shape: tuple[int, ...], layout: str) -> tuple[int, ...]:
        if layout == "HWC" and self.channels_first and len(shape) > 1:
            return (*shape[1:], shape[0])
        return shape


@dataclass(frozen=True)
class Built:
    params: int
    buffers: int
    shape: tuple[int, ...]


def run_torch(case: Case) -> Built | Exception:
    """PyTorch's verdict: the module's totals and output shape, or the error it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            module = case.torch_module().eval()
            with torch.no_grad():
                output = module(torch.zeros(case.batch, *case.shape))
        except TORCH_ERRORS as error:
            return error
        finally:
            for warning in caught:
                message = str(warning.message)
                assert message.startswith(EXPECTED_WARNINGS), (case, message)
    if isinstance(output, tuple):  # return_indices=True
        output = output[0]
    if 0 in output.shape:
        # sizes are positive: PyTorch's reference shape checks refuse an output of size 0
        # ("Output size is too small"), but some of its fast paths (ConvTranspose with groups > 1)
        # return an empty tensor instead
        return RuntimeError(f"empty output of shape {tuple(output.shape)}")
    return Built(
        sum(p.numel() for p in module.parameters()),
        sum(b.numel() for b in module.buffers()),
        tuple(output.shape[1:]),
    )


def run_symcnn(case: Case, layout: str) -> symcnn.Network | symcnn.SymcnnError:
    try:
        return symcnn.load(case.spec(layout))
    except symcnn.SymcnnError as error:
        return error


def assert_agrees(case: Case) -> None:
    expected = run_torch(case)
    if currently_in_test_context():
        event("PyTorch refuses" if isinstance(expected, Exception) else "PyTorch accepts")
    for layout in ("CHW", "HWC"):
        got = run_symcnn(case, layout)
        if isinstance(expected, Exception):
            assert isinstance(got, symcnn.SymcnnError), (
                f"PyTorch refuses {case} in {layout} ({type(expected).__name__}: {expected}) "
                f"but symcnn accepts it: {got!r}"
            )
            continue
        assert not isinstance(got, Exception), (
            f"PyTorch accepts {case} in {layout} but symcnn raises: {got}"
        )
        assert got.conditions == ()
        assert got.params == expected.params, (case, got.params, expected.params)
        assert got.buffers == expected.buffers, (case, got.buffers, expected.buffers)
        assert got.output_shape == case.in_layout(expected.shape, layout), (
            case,
            layout,
            got.output_shape,
            expected.shape,
        )
        exact = (got.params, got.buffers, *got.output_shape)
        assert all(isinstance(value, sympy.Integer) for value in exact), exact


# ------------------------------------------------------------------------------ strategies


def per_axis(draw: Callable[..., Any], dims: int, values: st.SearchStrategy[int]) -> Any:
    """One value for every axis (PyTorch broadcasts an int) or a list, one per axis."""
    if draw(st.booleans()):
        return draw(values)
    return [draw(values) for _ in range(dims)]


#: largest spatial size per number of spatial axes, so that forward passes stay cheap
MAX_SIZE = {1: 10, 2: 7, 3: 5}


def spatial(draw: Callable[..., Any], dims: int, low: int = 1) -> list[int]:
    return [draw(st.integers(low, MAX_SIZE[dims])) for _ in range(dims)]


def channels_for(draw: Callable[..., Any], groups: int) -> int:
    """A multiple of ``groups``, and now and then one more (which groups no longer divide)."""
    return groups * draw(st.integers(1, 2)) + draw(st.sampled_from([0, 0, 0, 1]))


@st.composite
def convolutions(draw: Callable[..., Any]) -> Case:
    dims = draw(st.sampled_from([1, 2, 3]))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    kwargs: dict[str, Any] = {
        "out_channels": channels_for(draw, groups),
        "kernel_size": per_axis(draw, dims, st.integers(1, 4)),
        "stride": per_axis(draw, dims, st.sampled_from([1, 1, 2, 3])),
        "dilation": per_axis(draw, dims, st.sampled_from([1, 1, 2, 3])),
        "groups": groups,
        "bias": draw(st.booleans()),
    }
    padding = draw(st.sampled_from(["numbers", "numbers", "same", "valid"]))
    kwargs["padding"] = per_axis(draw, dims, st.integers(0, 3)) if padding == "numbers" else padding
    kwargs["padding_mode"] = draw(
        st.sampled_from(["zeros", "zeros", "reflect", "replicate", "circular"])
    )
    return with_in_channels(draw, f"Conv{dims}d", kwargs, groups, spatial(draw, dims))


def with_in_channels(
    draw: Callable[..., Any], name: str, kwargs: dict[str, Any], groups: int, sizes: list[int]
) -> Case:
    """A convolution's case: symcnn infers in_channels; stated now and then, rarely wrong."""
    channels = channels_for(draw, groups)
    stated = channels + draw(st.sampled_from([0] * 7 + [1]))
    return Case(
        name,
        kwargs,
        (channels, *sizes),
        inferred={"in_channels": stated},
        declare=draw(st.booleans()) or stated != channels,
    )


@st.composite
def transposed_convolutions(draw: Callable[..., Any]) -> Case:
    dims = draw(st.sampled_from([1, 2, 3]))
    groups = draw(st.sampled_from([1, 1, 2, 3]))
    kwargs = {
        "out_channels": channels_for(draw, groups),
        "kernel_size": per_axis(draw, dims, st.integers(1, 4)),
        "stride": per_axis(draw, dims, st.integers(1, 3)),
        "padding": per_axis(draw, dims, st.integers(0, 3)),
        "output_padding": per_axis(draw, dims, st.integers(0, 2)),
        "dilation": per_axis(draw, dims, st.integers(1, 3)),
        "groups": groups,
        "bias": draw(st.booleans()),
        "padding_mode": draw(st.sampled_from(["zeros"] * 5 + ["reflect"])),
    }
    return with_in_channels(draw, f"ConvTranspose{dims}d", kwargs, groups, spatial(draw, dims))


@st.composite
def poolings(draw: Callable[..., Any]) -> Case:
    dims = draw(st.sampled_from([1, 2, 3]))
    kind = draw(st.sampled_from(["Max", "Avg"]))
    kwargs: dict[str, Any] = {
        "kernel_size": per_axis(draw, dims, st.integers(1, 4)),
        "padding": per_axis(draw, dims, st.sampled_from([0, 0, 1, 2])),
        "ceil_mode": draw(st.booleans()),
    }
    if draw(st.booleans()):
        kwargs["stride"] = per_axis(draw, dims, st.integers(1, 3))
    if kind == "Max":
        kwargs["dilation"] = per_axis(draw, dims, st.integers(1, 3))
        kwargs["return_indices"] = draw(st.booleans())
    else:
        kwargs["count_include_pad"] = draw(st.booleans())
        if dims > 1:
            kwargs["divisor_override"] = draw(st.sampled_from([None, 1, 3]))
    shape = (draw(st.integers(1, 3)), *spatial(draw, dims))
    return Case(f"{kind}Pool{dims}d", kwargs, shape)


@st.composite
def adaptive_poolings(draw: Callable[..., Any]) -> Case:
    dims = draw(st.sampled_from([1, 2, 3]))
    kind = draw(st.sampled_from(["Max", "Avg"]))
    sizes = st.integers(1, 5)
    if draw(st.booleans()):
        output_size: Any = draw(sizes)
    else:  # None keeps the input's size (PyTorch accepts it for 2-d and 3-d only)
        output_size = [draw(st.one_of(sizes, st.none())) for _ in range(dims)]
    kwargs: dict[str, Any] = {"output_size": output_size}
    if kind == "Max":
        kwargs["return_indices"] = draw(st.booleans())
    shape = (draw(st.integers(1, 3)), *spatial(draw, dims))
    return Case(f"Adaptive{kind}Pool{dims}d", kwargs, shape)


def example_shape(draw: Callable[..., Any], low: int = 1, high: int = 3) -> tuple[int, ...]:
    rank = draw(st.integers(low, high))
    return tuple(draw(st.integers(1, 4)) for _ in range(rank))


@st.composite
def linears(draw: Callable[..., Any]) -> Case:
    shape = example_shape(draw)
    in_features = shape[-1] + draw(st.sampled_from([0, 0, 0, 1]))
    kwargs = {"out_features": draw(st.integers(1, 6)), "bias": draw(st.booleans())}
    return Case(
        "Linear",
        kwargs,
        shape,
        inferred={"in_features": in_features},
        declare=draw(st.booleans()) or in_features != shape[-1],
        channels_first=False,
    )


@st.composite
def flattens(draw: Callable[..., Any]) -> Case:
    shape = example_shape(draw, 1, 4)
    batched = len(shape) + 1
    dims = st.integers(-batched - 1, batched)  # one past either end is out of range
    start = draw(dims.filter(lambda dim: dim % batched != 0 or not -batched <= dim < batched))
    kwargs = {"start_dim": start, "end_dim": draw(dims)}
    return Case("Flatten", kwargs, shape, channels_first=False)


DROPOUTS = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


@st.composite
def shape_keeping(draw: Callable[..., Any]) -> Case:
    """Dropout of every flavour and Identity: no parameters, same shape, some refuse some ranks."""
    name = draw(st.sampled_from([*DROPOUTS, "Identity"]))
    kwargs = {}
    if name != "Identity":
        kwargs["p"] = draw(st.sampled_from([0.0, 0.5, 1.0, 1, -0.1, 1.5]))
    return Case(name, kwargs, example_shape(draw, 1, 4))


#: keyword arguments worth varying, per activation (the rest keep their defaults)
ACTIVATION_ARGUMENTS: dict[str, Callable[[Callable[..., Any], int], dict[str, Any]]] = {
    "LeakyReLU": lambda draw, rank: {"negative_slope": draw(st.sampled_from([0.0, 0.2, -1]))},
    "ELU": lambda draw, rank: {"alpha": draw(st.sampled_from([0.5, 2]))},
    "GELU": lambda draw, rank: {"approximate": draw(st.sampled_from(["none", "tanh", "exact"]))},
    "Hardtanh": lambda draw, rank: {
        "min_val": draw(st.sampled_from([-2.0, -1, 0.5])),
        "max_val": draw(st.sampled_from([2.0, 1, 0.5])),
    },
    "Threshold": lambda draw, rank: {
        key: 0.5 for key in draw(st.sampled_from([("threshold", "value"), ("threshold",)]))
    },
    **{
        name: lambda draw, rank: (
            {} if draw(st.booleans()) else {"dim": draw(st.integers(-rank - 2, rank + 1))}
        )
        for name in ("Softmax", "LogSoftmax", "Softmin")
    },
}


@st.composite
def activations(draw: Callable[..., Any]) -> Case:
    name = draw(st.sampled_from(sorted(ACTIVATIONS)))
    shape = example_shape(draw)
    vary = ACTIVATION_ARGUMENTS.get(name)
    kwargs = vary(draw, len(shape)) if vary else {}
    if name == "Threshold" and "value" not in kwargs and draw(st.booleans()):
        kwargs = {"threshold": 0.5, "value": 0.0}
    return Case(name, kwargs, shape, channels_first=False)


@st.composite
def prelus(draw: Callable[..., Any]) -> Case:
    shape = example_shape(draw)
    channels = shape[0] if len(shape) > 1 else shape[-1]
    count = draw(st.sampled_from([1, channels, channels + 1]))
    return Case("PReLU", {"num_parameters": count}, shape)


#: example ranks each norm accepts (with the batch axis PyTorch sees one more)
NORM_RANKS = {"BatchNorm1d": (1, 2), "BatchNorm2d": (3,), "BatchNorm3d": (4,)}


@st.composite
def batch_norms(draw: Callable[..., Any]) -> Case:
    name = draw(st.sampled_from(sorted(NORM_RANKS)))
    rank = draw(st.sampled_from([*NORM_RANKS[name], 1, 2, 3, 4]))  # sometimes a wrong rank
    shape = tuple(draw(st.integers(1, 3)) for _ in range(rank))
    kwargs = {"affine": draw(st.booleans()), "track_running_stats": draw(st.booleans())}
    if draw(st.booleans()):
        kwargs["momentum"] = None
    channels = shape[0]
    # a num_features that disagrees with the input: PyTorch notices only through the tensors it
    # sizes by it, symcnn always (see test_errors.py), so compare only when PyTorch has them
    wrong = (kwargs["affine"] or kwargs["track_running_stats"]) and draw(st.booleans())
    return Case(
        name,
        kwargs,
        shape,
        inferred={"num_features": channels + wrong},
        declare=draw(st.booleans()) or wrong,
        batch=2,
    )


@st.composite
def instance_norms(draw: Callable[..., Any]) -> Case:
    dims = draw(st.sampled_from([1, 2, 3]))
    # PyTorch reads an input of example rank (rather than batch rank) as unbatched, so a wrong rank
    # is not a clean refusal there; wrong ranks are tested in test_errors.py
    shape = (draw(st.integers(1, 3)), *[draw(st.integers(1, 3)) for _ in range(dims)])
    kwargs = {"affine": draw(st.booleans()), "track_running_stats": draw(st.booleans())}
    wrong = kwargs["affine"] and draw(st.booleans())
    return Case(
        f"InstanceNorm{dims}d",
        kwargs,
        shape,
        inferred={"num_features": shape[0] + wrong},
        declare=draw(st.booleans()) or wrong,
    )


@st.composite
def group_norms(draw: Callable[..., Any]) -> Case:
    groups = draw(st.integers(1, 3))
    channels = channels_for(draw, groups)
    shape = (channels, *example_shape(draw, 0, 2))
    kwargs = {"num_groups": groups, "affine": draw(st.booleans())}
    # PyTorch counts a group's elements across the batch (N·C/G·spatial > 1), so one example with
    # one element per group fails and two pass; symcnn does not model batch sizes
    return Case(
        "GroupNorm",
        kwargs,
        shape,
        inferred={"num_channels": channels},
        declare=draw(st.booleans()),
        batch=2,
    )


@st.composite
def layer_norms(draw: Callable[..., Any]) -> Case:
    shape = example_shape(draw)
    trailing = list(shape[len(shape) - draw(st.integers(1, len(shape))) :])
    if draw(st.integers(0, 3)) == 0:  # now and then a normalized_shape that does not match
        trailing[0] += 1
    normalized: Any = trailing[0] if len(trailing) == 1 and draw(st.booleans()) else trailing
    kwargs = {
        "normalized_shape": normalized,
        "elementwise_affine": draw(st.booleans()),
        "bias": draw(st.booleans()),
    }
    return Case("LayerNorm", kwargs, shape, channels_first=False)


#: every strategy and the layer types it draws; together they must cover symcnn.LAYERS
FAMILIES: dict[str, tuple[st.SearchStrategy[Case], tuple[str, ...]]] = {
    "conv": (convolutions(), ("Conv1d", "Conv2d", "Conv3d")),
    "conv_transpose": (
        transposed_convolutions(),
        ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"),
    ),
    "pool": (poolings(), tuple(f"{k}Pool{d}d" for k in ("Max", "Avg") for d in (1, 2, 3))),
    "adaptive_pool": (
        adaptive_poolings(),
        tuple(f"Adaptive{k}Pool{d}d" for k in ("Max", "Avg") for d in (1, 2, 3)),
    ),
    "linear": (linears(), ("Linear",)),
    "flatten": (flattens(), ("Flatten",)),
    "shape_keeping": (shape_keeping(), (*DROPOUTS, "Identity")),
    "activation": (activations(), tuple(ACTIVATIONS)),
    "prelu": (prelus(), ("PReLU",)),
    "batch_norm": (batch_norms(), tuple(NORM_RANKS)),
    "instance_norm": (instance_norms(), ("InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d")),
    "group_norm": (group_norms(), ("GroupNorm",)),
    "layer_norm": (layer_norms(), ("LayerNorm",)),
}

#: examples per family; the heavier families (3-d convolutions) get fewer
EXAMPLES = {"conv": 400, "conv_transpose": 300, "pool": 400}


#: the modules whose layers other files check against PyTorch (test_shape_layers.py; merges,
#: which read several inputs, test_graph.py; learnable tensors, which read none,
#: test_parameter.py; attention and transformers, test_attention.py and test_transformer.py)
SHAPE_MODULES = (
    "symcnn.layers.shape",
    "symcnn.layers.padding",
    "symcnn.layers.resample",
    "symcnn.layers.merge",
    "symcnn.layers.parameter",
    # sequence layers: their inputs are sequences and token ids, not a batch of zeros;
    # tests/test_recurrent.py and tests/test_embedding.py compare them with PyTorch
    "symcnn.layers.recurrent",
    "symcnn.layers.recurrent_cell",
    "symcnn.layers.embedding",
    "symcnn.layers.attention",
    "symcnn.layers.transformer",
)


def test_the_families_cover_every_layer_type():
    covered = {name for _, names in FAMILIES.values() for name in names}
    layers = [cls for cls in symcnn.LAYERS.values() if cls.__module__ not in SHAPE_MODULES]
    assert covered == {cls.torch_name for cls in layers}
    assert all(hasattr(torch.nn, name) for name in covered)


def _family_test(family: str) -> Callable[..., None]:
    strategy, names = FAMILIES[family]

    @settings(max_examples=EXAMPLES.get(family, 100), deadline=None)
    @given(case=strategy)
    def test(case: Case) -> None:
        assert case.type in names
        assert_agrees(case)

    test.__name__ = f"test_{family}_agrees_with_torch"
    test.__doc__ = f"{', '.join(names)}: symcnn and PyTorch agree on random configurations."
    return test


for _family in FAMILIES:
    globals()[f"test_{_family}_agrees_with_torch"] = _family_test(_family)


# ------------------------------------------------------------------------- edge cases by hand

#: configurations near PyTorch's boundaries, always run (hypothesis may or may not find them)
EDGE_CASES = [
    # ceil_mode: the last window must start inside the input or the left padding
    Case("MaxPool1d", {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}, (1, 5)),
    Case("MaxPool1d", {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}, (1, 4)),
    Case("MaxPool2d", {"kernel_size": 3, "stride": 2, "ceil_mode": True}, (1, 6, 7)),
    Case("AvgPool1d", {"kernel_size": 1, "stride": 3, "ceil_mode": True}, (1, 7)),
    Case("AvgPool2d", {"kernel_size": 3, "stride": 3, "padding": 1, "ceil_mode": True}, (2, 4, 5)),
    Case("MaxPool3d", {"kernel_size": 2, "stride": 3, "ceil_mode": True}, (1, 2, 3, 4)),
    Case("MaxPool1d", {"kernel_size": 3, "stride": 1, "dilation": 3, "ceil_mode": True}, (1, 6)),
    # padding at most half the kernel, the kernel (not its dilated extent)
    Case("MaxPool1d", {"kernel_size": 3, "padding": 2, "dilation": 2}, (1, 10)),
    Case("AvgPool2d", {"kernel_size": 4, "padding": 2}, (1, 6, 6)),
    Case("AvgPool2d", {"kernel_size": 3, "padding": 2}, (1, 6, 6)),
    # a window larger than the (padded) input
    Case("MaxPool2d", {"kernel_size": 4}, (1, 2, 2)),
    Case("AvgPool1d", {"kernel_size": 3, "padding": 1}, (1, 1)),
    Case(
        "Conv2d",
        {"out_channels": 1, "kernel_size": 3, "padding": 1},
        (1, 1, 1),
        inferred={"in_channels": 1},
    ),
    Case(
        "Conv1d",
        {"out_channels": 1, "kernel_size": 3, "dilation": 2, "padding": 1},
        (1, 2),
        inferred={"in_channels": 1},
    ),
    # 'same' padding: PyTorch puts the odd extra on the right, which reflect padding must fit
    Case(
        "Conv1d",
        {"out_channels": 1, "kernel_size": 4, "padding": "same", "padding_mode": "reflect"},
        (1, 2),
        inferred={"in_channels": 1},
    ),
    Case(
        "Conv1d",
        {"out_channels": 1, "kernel_size": 4, "padding": "same", "padding_mode": "reflect"},
        (1, 3),
        inferred={"in_channels": 1},
    ),
    Case(
        "Conv2d",
        {"out_channels": 2, "kernel_size": [2, 3], "padding": "same", "padding_mode": "circular"},
        (1, 1, 1),
        inferred={"in_channels": 1},
    ),
    Case(
        "Conv1d",
        {"out_channels": 1, "kernel_size": 3, "padding": "same", "stride": 2},
        (1, 9),
        inferred={"in_channels": 1},
    ),
    # transposed: output_padding below stride or dilation; output at least 1
    Case(
        "ConvTranspose1d",
        {"out_channels": 1, "kernel_size": 3, "stride": 1, "dilation": 2, "output_padding": 1},
        (1, 4),
        inferred={"in_channels": 1},
    ),
    Case(
        "ConvTranspose1d",
        {"out_channels": 1, "kernel_size": 3, "stride": 2, "output_padding": 2},
        (1, 4),
        inferred={"in_channels": 1},
    ),
    Case(
        "ConvTranspose2d",
        {"out_channels": 1, "kernel_size": 1, "padding": 1},
        (1, 2, 3),
        inferred={"in_channels": 1},
    ),
    Case(
        "ConvTranspose1d",
        {"out_channels": 1, "kernel_size": 1, "padding": "same"},
        (1, 3),
        inferred={"in_channels": 1},
    ),
    # adaptive pooling: None keeps a size in 2-d and 3-d, and is refused in 1-d
    Case("AdaptiveAvgPool2d", {"output_size": [None, 3]}, (2, 5, 5)),
    Case("AdaptiveMaxPool3d", {"output_size": [None, 1, None]}, (1, 2, 3, 4)),
    Case("AdaptiveAvgPool1d", {"output_size": [None]}, (2, 5)),
    Case("AdaptiveMaxPool1d", {"output_size": None}, (2, 5)),
    # ranks: Dropout1d takes (C, L) only; BatchNorm2d a 3-axis example only
    Case("Dropout1d", {}, (2, 3, 4)),
    Case("BatchNorm2d", {}, (3, 4), inferred={"num_features": 3}, batch=2),
    # instance statistics need more than one spatial element
    Case("InstanceNorm2d", {}, (3, 1, 1), inferred={"num_features": 3}),
    Case("InstanceNorm1d", {"track_running_stats": True}, (3, 1), inferred={"num_features": 3}),
    # constructor checks
    Case("Hardtanh", {"min_val": 1.0, "max_val": 1.0}, (3,), channels_first=False),
    Case("Softmax", {"dim": 3}, (3, 4), channels_first=False),
    Case("Softmax", {"dim": -3}, (3, 4), channels_first=False),
    Case("GroupNorm", {"num_groups": 2}, (3, 4), inferred={"num_channels": 3}),
    Case("Dropout", {"p": 1.5}, (3,)),
    Case("Flatten", {"start_dim": 2, "end_dim": 1}, (3, 4), channels_first=False),
    Case("Flatten", {"start_dim": 1, "end_dim": 3}, (3, 4), channels_first=False),
    Case("LayerNorm", {"normalized_shape": [3, 5]}, (3, 4), channels_first=False),
    Case("Linear", {"out_features": 2}, (3, 4), inferred={"in_features": 3}, channels_first=False),
    Case("PReLU", {"num_parameters": 3}, (4,)),
]


@pytest.mark.parametrize("case", EDGE_CASES, ids=lambda c: f"{c.type}-{c.kwargs}-{c.shape}")
def test_edge_cases_agree_with_torch(case):
    assert_agrees(case)


def test_edge_cases_include_both_verdicts():
    """The table is only useful if it has accepted and refused configurations of each kind."""
    verdicts = [isinstance(run_torch(case), Exception) for case in EDGE_CASES]
    assert 10 < sum(verdicts) < len(verdicts) - 10


# ------------------------------------------------------------------------------------ networks

#: whole networks (CHW), composed layer by layer; every row must match PyTorch's module
NETWORKS = {
    "lenet": (
        [3, 32, 32],
        [
            {"type": "conv2d", "out_channels": 8, "kernel_size": 5},
            {"type": "maxpool2d", "kernel_size": 2},
            {"type": "conv2d", "out_channels": 16, "kernel_size": 5},
            {"type": "maxpool2d", "kernel_size": 2},
            {"type": "flatten"},
            {"type": "linear", "out_features": 120},
            {"type": "relu"},
            {"type": "linear", "out_features": 84},
            {"type": "linear", "out_features": 10},
            {"type": "logsoftmax", "dim": 1},
        ],
    ),
    "vgg_block": (
        [3, 17, 13],
        [
            {
                "type": "conv2d",
                "out_channels": 8,
                "kernel_size": 3,
                "padding": "same",
                "bias": False,
            },
            {"type": "batchnorm2d"},
            {"type": "prelu", "num_parameters": 8},
            {
                "type": "conv2d",
                "out_channels": 8,
                "kernel_size": 3,
                "padding": 1,
                "groups": 4,
                "padding_mode": "reflect",
            },
            {"type": "groupnorm", "num_groups": 2},
            {"type": "maxpool2d", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
            {"type": "dropout2d", "p": 0.1},
            {"type": "adaptiveavgpool2d", "output_size": [None, 2]},
            {"type": "flatten", "start_dim": 2},
            {"type": "layernorm", "normalized_shape": [18]},
            {"type": "linear", "out_features": 5},
        ],
    ),
    "audio_1d": (
        [2, 50],
        [
            {"type": "conv1d", "out_channels": 6, "kernel_size": 7, "stride": 2, "dilation": 2},
            {"type": "instancenorm1d", "affine": True},
            {"type": "gelu"},
            {"type": "avgpool1d", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
            {"type": "batchnorm1d", "track_running_stats": False},
            {"type": "adaptivemaxpool1d", "output_size": 4},
            {"type": "flatten"},
            {"type": "batchnorm1d"},
            {"type": "linear", "out_features": 3},
        ],
    ),
    "video_3d": (
        [1, 6, 9, 9],
        [
            {"type": "conv3d", "out_channels": 4, "kernel_size": [1, 3, 3], "padding": [0, 1, 1]},
            {"type": "batchnorm3d", "affine": False},
            {"type": "maxpool3d", "kernel_size": 2, "dilation": [1, 2, 1]},
            {"type": "avgpool3d", "kernel_size": [1, 2, 2], "divisor_override": 3},
            {"type": "instancenorm3d", "track_running_stats": True},
            {"type": "adaptiveavgpool3d", "output_size": 1},
        ],
    ),
    "decoder": (
        [4, 5, 5],
        [
            {
                "type": "convtranspose2d",
                "out_channels": 6,
                "kernel_size": 3,
                "stride": 2,
                "padding": 1,
                "output_padding": 1,
            },
            {"type": "relu"},
            {
                "type": "convtranspose2d",
                "out_channels": 4,
                "kernel_size": [2, 3],
                "stride": [1, 2],
                "dilation": 2,
                "groups": 2,
                "bias": False,
            },
            {"type": "conv2d", "out_channels": 2, "kernel_size": 1},
            {"type": "sigmoid"},
        ],
    ),
}

#: the PyTorch argument symcnn infers from its input, per layer type prefix
INFERRED = {
    "Conv": "in_channels",
    "BatchNorm": "num_features",
    "InstanceNorm": "num_features",
    "GroupNorm": "num_channels",
    "Linear": "in_features",
}


def torch_layer(row: symcnn.Row, layer: dict[str, Any]) -> torch.nn.Module:
    kwargs = {key: value for key, value in layer.items() if key not in ("type", "name")}
    for prefix, name in INFERRED.items():
        if row.type.startswith(prefix):
            axis = -1 if row.type == "Linear" else 0
            kwargs[name] = int(row.input_shape[axis])
    return getattr(torch.nn, row.type)(**kwargs)


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_networks_agree_with_torch_row_by_row(name):
    shape, layers = NETWORKS[name]
    net = symcnn.load({"input": shape, "layout": "CHW", "layers": layers})
    x = torch.zeros(2, *shape)
    with torch.no_grad():
        for row, layer in zip(net.rows, layers, strict=True):
            module = torch_layer(row, layer).eval()
            x = module(x)
            assert row.params == sum(p.numel() for p in module.parameters()), row.name
            assert row.buffers == sum(b.numel() for b in module.buffers()), row.name
            assert row.output_shape == tuple(x.shape[1:]), row.name
    assert net.params == sum(row.params for row in net.rows)
    if name in LAYOUT_SENSITIVE:
        return
    hwc = symcnn.load({"input": [*shape[1:], shape[0]], "layout": "HWC", "layers": layers})
    assert hwc.params == net.params and hwc.buffers == net.buffers
    channels_last = (*net.output_shape[1:], net.output_shape[0])
    assert hwc.output_shape == (channels_last if len(net.output_shape) > 1 else net.output_shape)


#: networks whose Flatten/LayerNorm dims name PyTorch's axes, so HWC means a different network
LAYOUT_SENSITIVE = {"vgg_block"}
