"""The parameter-free shape layers against PyTorch: padding, resampling, shuffles, rearrangements.

Hypothesis draws configurations, valid or not. Each is run in PyTorch (the module, or the tensor
method for ``permute``/``transpose``/``reshape``, on zeros of the batched CHW shape) and built in
symcnn (a one-layer spec): symcnn raises a ``SymcnnError`` exactly when PyTorch raises, and
otherwise reports PyTorch's output shape and no parameters or buffers. Layers that read channels
give in ``HWC`` the CHW answer with the channel axis moved last; layers that take PyTorch's dims
count them on the spec's axes, so ``HWC`` gives the same answer as ``CHW``. A symbolic input, given
values, agrees with the numeric build.

Not compared (symcnn refuses, PyTorch accepts a different reading): a batch axis moved, merged,
split or padded, and inputs of a rank PyTorch would read as unbatched (a (H, W) example for
``ZeroPad2d``, a (C, L) example for ``PixelShuffle``). Those refusals are in the tables below.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sympy
import torch
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

import symcnn
from symcnn.layers import padding, resample, shape

torch.set_num_threads(1)

#: what PyTorch raises for a bad configuration (constructor or forward pass)
TORCH_ERRORS = (RuntimeError, ValueError, IndexError, TypeError, NotImplementedError)
#: warnings PyTorch emits for configurations it accepts
EXPECTED_WARNINGS = ("nn.functional.upsample", "Default upsampling behavior")
#: the torch.Tensor methods that stand for the layer types that are not modules
METHODS: dict[str, Callable[[torch.Tensor, dict[str, Any]], torch.Tensor]] = {
    "Permute": lambda x, kw: x.permute(*kw["dims"]),
    "Transpose": lambda x, kw: x.transpose(kw["dim0"], kw["dim1"]),
    "Reshape": lambda x, kw: x.reshape(1, *kw["shape"]),
    "Select": lambda x, kw: x.select(kw["dim"], kw["index"]),
    "Narrow": lambda x, kw: x.narrow(kw["dim"], kw["start"], kw["length"]),
}


@dataclass(frozen=True)
class Case:
    """One layer configuration in PyTorch's terms, and one example's shape in PyTorch order."""

    type: str
    kwargs: dict[str, Any]
    shape: tuple[int, ...]
    #: whether the layer reads axis 0 as channels (HWC moves it last); False for PyTorch's dims
    channels_first: bool = True

    def spec(self, layout: str, input_shape: list[Any] | None = None) -> dict[str, Any]:
        given = list(self.in_layout(self.shape, layout)) if input_shape is None else input_shape
        layer = {"type": self.type, "name": "L", **self.kwargs}
        return {"input": given, "layout": layout, "layers": [layer]}

    def in_layout(self, shape: tuple[Any, ...], layout: str) -> tuple[Any, ...]:
        if layout == "HWC" and self.channels_first and len(shape) > 1:
            return (*shape[1:], shape[0])
        return shape


def run_torch(case: Case) -> tuple[int, ...] | Exception:
    """PyTorch's output shape (one example) or the error it raised; asserts no parameters."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            x = torch.zeros(1, *case.shape)
            if case.type in METHODS:
                output = METHODS[case.type](x, case.kwargs)
            else:
                module = getattr(torch.nn, case.type)(**case.kwargs).eval()
                assert sum(p.numel() for p in module.parameters()) == 0
                assert sum(b.numel() for b in module.buffers()) == 0
                with torch.no_grad():
                    output = module(x)
        except TORCH_ERRORS as error:
            return error
        finally:
            for warning in caught:
                assert str(warning.message).startswith(EXPECTED_WARNINGS), (case, warning)
    if 0 in output.shape:  # PyTorch returns an empty tensor where symcnn's sizes are at least 1
        return RuntimeError(f"empty output of shape {tuple(output.shape)}")
    assert output.shape[0] == 1, case  # the batch axis is kept
    return tuple(output.shape[1:])


def build(spec: dict[str, Any]) -> symcnn.Network | symcnn.SymcnnError:
    try:
        return symcnn.load(spec)
    except symcnn.SymcnnError as error:
        return error


def assert_agrees(case: Case) -> None:
    expected = run_torch(case)
    if currently_in_test_context():
        event("PyTorch refuses" if isinstance(expected, Exception) else "PyTorch accepts")
    for layout in ("CHW", "HWC"):
        got = build(case.spec(layout))
        if isinstance(expected, Exception):
            assert isinstance(got, symcnn.SymcnnError), (
                f"PyTorch refuses {case} in {layout} ({type(expected).__name__}: {expected}) "
                f"but symcnn accepts it: {got.output_shape}"
            )
            continue
        assert not isinstance(got, Exception), (
            f"PyTorch accepts {case} in {layout} but symcnn raises: {got}"
        )
        assert got.conditions == ()
        assert got.params == 0 and got.buffers == 0
        assert got.output_shape == case.in_layout(expected, layout), (case, layout, expected)
        assert all(isinstance(size, sympy.Integer) for size in got.output_shape)


# ------------------------------------------------------------------------------ strategies

Draw = Callable[..., Any]
MAX_SIZE = {1: 6, 2: 5, 3: 4}
PADS = ("Zero", "Constant", "Reflection", "Replication", "Circular")


@st.composite
def paddings(draw: Draw) -> Case:
    family = draw(st.sampled_from(PADS))
    dims = draw(st.integers(1, 3))
    values = st.integers(-2, 3)
    if draw(st.booleans()):
        pad: Any = draw(values)
    else:  # up to one pair more than the channels (that pair would pad the batch axis)
        length = draw(st.integers(0, 2 * dims + 3))
        pad = draw(st.lists(values, min_size=length, max_size=length))
    kwargs: dict[str, Any] = {"padding": pad}
    if family == "Constant":
        kwargs["value"] = 0.5
    sizes = [draw(st.integers(1, MAX_SIZE[dims])) for _ in range(dims)]
    case = Case(f"{family}Pad{dims}d", kwargs, (draw(st.integers(1, 3)), *sizes))
    assume(not (family == "Circular" and overcrops(case)))
    return case


def overcrops(case: Case) -> bool:
    """Whether negative sides crop the whole axis or more: PyTorch's circular padding accepts some
    of these (its slices wrap around, or copy uninitialized memory onto itself), symcnn refuses
    them all."""
    pad = case.kwargs["padding"]
    pads = pad if isinstance(pad, list) else [pad] * (2 * (len(case.shape) - 1))
    pairs = zip(pads[::2], pads[1::2], reversed(case.shape), strict=False)
    return any(
        size + min(low, 0) + min(high, 0) <= 0
        # a side longer than what the other side's crop leaves wraps around more than once:
        # PyTorch refuses it or not depending on how its slices overlap in memory
        or low > size + min(high, 0)
        or high > size + min(low, 0)
        for low, high, size in pairs
    )


SCALES = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2, 2.0, 3, 0.0, -1.0]
MODES = list(resample.MODE_RANKS)


@st.composite
def upsamplings(draw: Draw) -> Case:
    name = draw(st.sampled_from(["Upsample"] * 4 + ["UpsamplingNearest2d", "UpsamplingBilinear2d"]))
    rank = draw(st.sampled_from([1, 2, 2, 3, 3, 3, 4, 4, 5]))
    example = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    given = draw(st.sampled_from(["size", "scale_factor"] * 4 + ["both", "neither"]))
    kwargs: dict[str, Any] = {}
    axes = st.integers(1, 3)
    if given in ("size", "both"):
        kwargs["size"] = draw(
            st.one_of(st.integers(0, 6), st.lists(st.integers(1, 6), min_size=1, max_size=3))
        )
        if isinstance(kwargs["size"], list):
            kwargs["size"] = kwargs["size"][: draw(axes)]
    if given in ("scale_factor", "both"):
        scales = st.sampled_from(SCALES)
        kwargs["scale_factor"] = draw(
            st.one_of(scales, st.lists(scales, min_size=1, max_size=3).map(tuple))
        )
    if name == "Upsample":
        kwargs["mode"] = draw(st.sampled_from(MODES))
        if draw(st.booleans()):
            kwargs["align_corners"] = draw(st.booleans())
        if draw(st.booleans()):
            kwargs["recompute_scale_factor"] = draw(st.booleans())
    return Case(name, kwargs, example)


@st.composite
def shuffles(draw: Draw) -> Case:
    name = draw(st.sampled_from(["PixelShuffle", "PixelUnshuffle", "ChannelShuffle"]))
    factor = draw(st.sampled_from([1, 2, 2, 3, 0]))
    off = st.sampled_from([0, 0, 0, 1])
    base = max(factor, 1)
    if name == "PixelShuffle":
        example = (
            base**2 * draw(st.integers(1, 2)) + draw(off),
            *draw(st.lists(st.integers(1, 3), min_size=2, max_size=2)),
        )
        kwargs = {"upscale_factor": factor}
    elif name == "PixelUnshuffle":
        sizes = [base * draw(st.integers(1, 2)) + draw(off) for _ in range(2)]
        example = (draw(st.integers(1, 3)), *sizes)
        kwargs = {"downscale_factor": factor}
    else:
        rest = draw(st.lists(st.integers(1, 3), min_size=0, max_size=3))
        example = (base * draw(st.integers(1, 2)) + draw(off), *rest)
        kwargs = {"groups": factor}
    if name != "ChannelShuffle" and draw(st.integers(0, 5)) == 0:
        example = example[:1]  # a rank both refuse
    return Case(name, kwargs, example)


def example_dims(rank: int) -> st.SearchStrategy[int]:
    """PyTorch dims of the batched input, one past either end, never the batch axis."""
    batched = rank + 1
    dims = st.integers(-batched - 1, batched)
    return dims.filter(lambda dim: dim % batched != 0 or not -batched <= dim < batched)


def new_sizes(draw: Draw, total: int) -> list[int]:
    """Sizes that multiply to ``total`` (or, now and then, do not), maybe with one -1."""
    if draw(st.booleans()):
        divisors = [a for a in range(1, total + 1) if total % a == 0]
        first = draw(st.sampled_from(divisors))
        sizes = draw(
            st.sampled_from([[total], [first, total // first], [1, first, total // first]])
        )
    else:
        sizes = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    if draw(st.booleans()):
        sizes[draw(st.integers(0, len(sizes) - 1))] = -1
    if draw(st.integers(0, 9)) == 0:
        sizes = draw(st.sampled_from([[], [-1, -1], [0, -1], [-2, 3]]))
    return list(sizes)


@st.composite
def rearrangements(draw: Draw) -> Case:
    name = draw(
        st.sampled_from(
            ["Unflatten", "Permute", "Transpose", "Reshape", "Select", "Narrow", "GLU", "Softmax2d"]
        )
    )
    # a rank-1 example has no axis left after a select: symcnn refuses it (REFUSED)
    rank = draw(st.integers(2 if name == "Select" else 1, 4))
    example = tuple(draw(st.integers(1, 4)) for _ in range(rank))
    batched = rank + 1
    kwargs: dict[str, Any]
    if name == "Unflatten":
        dim = draw(example_dims(rank))
        size = example[dim % batched - 1] if -batched <= dim < batched else 4
        kwargs = {"dim": dim, "unflattened_size": new_sizes(draw, size)}
    elif name == "Permute":
        dims = [0, *draw(st.permutations(range(1, batched)))]
        dims = [dim - batched if draw(st.booleans()) else dim for dim in dims]
        if draw(st.integers(0, 3)) == 0:
            dims[draw(st.integers(1, batched - 1))] = draw(example_dims(rank))
        if draw(st.integers(0, 5)) == 0:
            dims = dims[:-1]
        kwargs = {"dims": dims}
    elif name == "Transpose":
        kwargs = {"dim0": draw(example_dims(rank)), "dim1": draw(example_dims(rank))}
    elif name == "Reshape":
        # an empty shape would be a scalar example, which PyTorch reshapes to and symcnn refuses
        kwargs = {"shape": new_sizes(draw, math.prod(example)) or [-1]}
    elif name == "Select":
        dim = draw(example_dims(rank))
        size = example[dim % batched - 1] if -batched <= dim < batched else 4
        kwargs = {"dim": dim, "index": draw(st.integers(-size - 1, size))}
    elif name == "Narrow":
        dim = draw(example_dims(rank))
        size = example[dim % batched - 1] if -batched <= dim < batched else 4
        start, length = draw(st.integers(-size - 1, size)), draw(st.integers(1, size + 1))
        kwargs = {"dim": dim, "start": start, "length": length}
    elif name == "GLU":
        example = (*example[:-1], draw(st.sampled_from([2, 4, 3])))
        kwargs = {} if draw(st.booleans()) else {"dim": draw(example_dims(rank))}
    else:  # PyTorch reads a rank-2 example as an unbatched (C, H, W): not a clean comparison
        example = draw(st.sampled_from([example[:1], (2, 3, 2), (1, 2, 3, 2)]))
        kwargs = {}
    return Case(name, kwargs, example, channels_first=False)


#: every strategy and the layer types it draws; together they cover the modules' layer types
FAMILIES: dict[str, tuple[st.SearchStrategy[Case], tuple[str, ...]]] = {
    "padding": (paddings(), tuple(f"{f}Pad{d}d" for f in PADS for d in (1, 2, 3))),
    "upsampling": (upsamplings(), ("Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d")),
    "shuffle": (shuffles(), ("PixelShuffle", "PixelUnshuffle", "ChannelShuffle")),
    "rearrangement": (
        rearrangements(),
        ("Unflatten", "Permute", "Transpose", "Reshape", "Select", "Narrow", "GLU", "Softmax2d"),
    ),
}
EXAMPLES = {"padding": 300, "upsampling": 250, "shuffle": 120, "rearrangement": 250}
MODULES = (shape.__name__, padding.__name__, resample.__name__)


def test_the_families_cover_every_layer_type_of_these_modules():
    covered = {name for _, names in FAMILIES.values() for name in names}
    here = {cls.torch_name for cls in symcnn.LAYERS.values() if cls.__module__ in MODULES}
    assert covered == here
    assert all(hasattr(torch.nn, name) for name in covered - set(METHODS))


def _family_test(family: str) -> Callable[..., None]:
    strategy, names = FAMILIES[family]

    @settings(max_examples=EXAMPLES[family], deadline=None)
    @given(case=strategy)
    def test(case: Case) -> None:
        assert case.type in names
        assert_agrees(case)

    test.__name__ = f"test_{family}_agrees_with_torch"
    test.__doc__ = f"{', '.join(names)}: symcnn and PyTorch agree on random configurations."
    return test


for _family in FAMILIES:
    globals()[f"test_{_family}_agrees_with_torch"] = _family_test(_family)


#: symbol names for the axes of a symbolic input (avoiding SymPy's E, I, N, O, Q, S)
AXIS_NAMES = ("C", "H", "W", "T", "U")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=st.one_of(*(strategy for strategy, _ in FAMILIES.values())))
def test_a_symbolic_input_given_values_agrees_with_the_numeric_build(case):
    numeric = build(case.spec("CHW"))
    names = list(AXIS_NAMES[: len(case.shape)])
    symbolic = build(case.spec("CHW", names))
    if isinstance(symbolic, symcnn.SymcnnError):
        assert isinstance(numeric, symcnn.SymcnnError), (case, symbolic)
        return
    evaluated = build_values(symbolic, dict(zip(names, case.shape, strict=True)))
    if isinstance(numeric, symcnn.SymcnnError):
        assert isinstance(evaluated, symcnn.SymcnnError), (case, numeric)
    else:
        assert not isinstance(evaluated, symcnn.SymcnnError), (case, evaluated)
        assert evaluated.output_shape == numeric.output_shape


def build_values(net: symcnn.Network, values: dict[str, int]) -> Any:
    try:
        return net.subs(**values)
    except symcnn.SymcnnError as error:
        return error


# ------------------------------------------------------------------------- edge cases by hand

EDGE_CASES = [
    # zero and constant padding take any number of pairs; negative values crop
    Case("ZeroPad2d", {"padding": []}, (2, 3, 3)),
    Case("ZeroPad2d", {"padding": [1, 1]}, (2, 3, 3)),
    Case("ZeroPad1d", {"padding": [1, 1, 2, 0]}, (2, 3)),  # the second pair pads the channels
    Case("ConstantPad3d", {"padding": [-1, -1, 0, 0, 1, 1], "value": 1.0}, (1, 2, 2, 3)),
    Case("ZeroPad2d", {"padding": [-2, -1, 0, 0]}, (1, 3, 3)),
    # reflection: each side below the size; replication: only the output size; circular: at most
    Case("ReflectionPad1d", {"padding": [1, 2]}, (1, 2)),
    Case("ReflectionPad1d", {"padding": [1, 1]}, (1, 2)),
    Case("ReflectionPad2d", {"padding": [1, 1]}, (1, 3, 3)),  # too few pairs
    Case("ReflectionPad1d", {"padding": [1, 1, 1, 1]}, (2, 3)),  # pads the channels too
    Case("ReplicationPad3d", {"padding": 5}, (1, 1, 1, 1)),
    Case("ReplicationPad1d", {"padding": [-1, -1]}, (1, 2)),
    Case("CircularPad1d", {"padding": [2, 2]}, (1, 2)),
    Case("CircularPad1d", {"padding": [3, 0]}, (1, 2)),
    Case("CircularPad2d", {"padding": [-1, 0, 0, 0]}, (1, 2, 1)),
    Case("CircularPad1d", {"padding": [-4, 1]}, (1, 3)),
    Case("ZeroPad1d", {"padding": [2, -2]}, (1, 1)),
    Case("ZeroPad1d", {"padding": [-1, 2]}, (1, 1)),
    # upsampling: output floor(size·scale); ranks per mode; one of size and scale_factor
    Case("Upsample", {"scale_factor": 1.5}, (2, 3)),
    Case("Upsample", {"scale_factor": (1.5, 0.5)}, (2, 3, 4)),  # PyTorch wants a tuple here
    Case("Upsample", {"scale_factor": 0.25}, (2, 3)),
    Case("Upsample", {"size": [2, 3], "mode": "bicubic", "align_corners": True}, (2, 3, 4)),
    Case("Upsample", {"size": 4, "mode": "bicubic"}, (2, 3, 4, 5)),
    Case("Upsample", {"size": 4, "mode": "linear"}, (2, 3, 4)),
    Case("Upsample", {"size": 4, "mode": "trilinear"}, (2, 3, 4, 5)),
    Case("Upsample", {"size": 4, "mode": "nearest-exact", "align_corners": False}, (2, 3)),
    Case("Upsample", {"size": 4, "recompute_scale_factor": True}, (2, 3)),
    Case("Upsample", {"size": 4, "scale_factor": 2}, (2, 3)),
    Case("Upsample", {}, (2, 3)),
    Case("UpsamplingBilinear2d", {"scale_factor": 2}, (2, 3)),
    Case("UpsamplingNearest2d", {"size": [2, 3, 4]}, (2, 3, 4, 5)),
    # shuffles
    Case("PixelShuffle", {"upscale_factor": 2}, (8, 2, 3)),
    Case("PixelShuffle", {"upscale_factor": 2}, (6, 2, 3)),
    Case("PixelUnshuffle", {"downscale_factor": 2}, (3, 4, 6)),
    Case("PixelUnshuffle", {"downscale_factor": 2}, (3, 4, 5)),
    Case("ChannelShuffle", {"groups": 3}, (6, 2)),
    Case("ChannelShuffle", {"groups": 4}, (6, 2)),
]


@pytest.mark.parametrize("case", EDGE_CASES, ids=lambda c: f"{c.type}-{c.kwargs}-{c.shape}")
def test_edge_cases_agree_with_torch(case):
    assert_agrees(case)


#: symcnn refuses what PyTorch would read differently (the batch axis, unbatched ranks)
REFUSED = [
    ([2, 3], {"type": "unflatten", "dim": 0, "unflattened_size": [1, 1]}, "batch axis"),
    ([2, 3], {"type": "permute", "dims": [1, 0, 2]}, "moves the batch axis"),
    ([2, 3], {"type": "transpose", "dim0": 0, "dim1": 2}, r"`dim0` = 0 is the batch axis"),
    ([2, 3], {"type": "transpose", "dim0": 1, "dim1": -3}, r"`dim1` = -3 is the batch axis"),
    ([2, 3], {"type": "glu", "dim": 0}, "batch axis"),
    ([2, 3], {"type": "select", "dim": 0, "index": 0}, r"`dim` = 0 is the batch axis"),
    # PyTorch gives a batch of scalars; symcnn's example keeps at least one axis
    ([4], {"type": "select", "dim": 1, "index": 0}, "would leave no axis"),
    ([2, 3, 3], {"type": "zeropad2d", "padding": [1] * 8}, "would pad the batch axis"),
    ([3, 3], {"type": "zeropad2d", "padding": 1}, r"rank 3 \(one example"),
    ([2, 3, 3], {"type": "reflectionpad1d", "padding": 1}, "rank 2"),
    ([4, 3], {"type": "pixelshuffle", "upscale_factor": 2}, "rank 3"),
    ([4, 3, 3, 3], {"type": "pixelunshuffle", "downscale_factor": 1}, "rank 3"),
    ([3, 3], {"type": "softmax2d"}, "rank 3"),
    # PyTorch accepts this one, wrapping its slice indices; symcnn refuses every over-crop
    (
        [1, 2],
        {"type": "circularpad1d", "padding": [-3, 2]},
        "crops more than the input's size|would wrap around more than once",
    ),
]


@pytest.mark.parametrize(("shape", "layer", "message"), REFUSED)
def test_what_would_touch_the_batch_axis_is_refused(shape, layer, message):
    with pytest.raises(symcnn.SpecError, match=message):
        symcnn.load({"input": shape, "layout": "CHW", "layers": [layer]})


#: (input, layer, error type, message): every message names the field, the value, what is valid
MESSAGES = [
    (
        [6, 3],
        {"type": "reshape", "shape": [7, 2]},
        symcnn.ShapeError,
        r"`shape` = \[7, 2\] has 14 elements but the input \[6, 3\] has 18",
    ),
    (
        [6, 3],
        {"type": "reshape", "shape": [4, -1]},
        symcnn.ShapeError,
        r"`shape` = \[4, -1\]: the input \[6, 3\] has 18 elements, which the other sizes \(4\)",
    ),
    ([6], {"type": "reshape", "shape": [-1, -1]}, symcnn.SpecError, "only one size can be -1"),
    ([6], {"type": "reshape", "shape": [0, 6]}, symcnn.SpecError, "0 is not a size"),
    ([6], {"type": "reshape", "shape": 6}, symcnn.SpecError, "must be a list of sizes"),
    ([1], {"type": "reshape", "shape": []}, symcnn.SpecError, "must list at least one size"),
    (
        [6, 3],
        {"type": "unflatten", "dim": 1, "unflattened_size": [4, 2]},
        symcnn.ShapeError,
        r"`unflattened_size` = \[4, 2\] has 8 elements but dim 1 of the input \[6, 3\] has 6",
    ),
    (
        [6, 3],
        {"type": "unflatten", "dim": 3, "unflattened_size": [3]},
        symcnn.ShapeError,
        r"`dim` = 3 is out of range for an input of rank 2",
    ),
    (
        [6, 3],
        {"type": "permute", "dims": [0, 1, 1]},
        symcnn.ShapeError,
        r"`dims` = \[0, 1, 1\] repeats a dim",
    ),
    (
        [6, 3],
        {"type": "permute", "dims": [0, 1]},
        symcnn.ShapeError,
        r"`dims` = \[0, 1\] must list each of the 3 dims",
    ),
    ([6, 3], {"type": "glu", "dim": -1}, symcnn.ShapeError, r"its size \(3\) must be even"),
    (
        [6, 3],
        {"type": "select", "dim": 2, "index": 3},
        symcnn.ShapeError,
        r"`index` = 3 is out of range for dim 2 of size 3 \(valid: -3..2\)",
    ),
    (
        [6, 3],
        {"type": "select", "dim": 1, "index": 0.5},
        symcnn.SpecError,
        r"`index`.*must be an integer",
    ),
    (
        [2, 3],
        {"type": "zeropad1d", "padding": [1, 2, 3]},
        symcnn.SpecError,
        r"`padding` = \[1, 2, 3\]: needs pairs of values",
    ),
    (
        [2, 3, 3],
        {"type": "reflectionpad2d", "padding": [1, 1]},
        symcnn.SpecError,
        r"ReflectionPad2d pads the 2 spatial axes, so it needs 4 values",
    ),
    (
        [2, 3],
        {"type": "reflectionpad1d", "padding": 3},
        symcnn.ShapeError,
        r"reflection padding \(left 3\) must be less than the input's size \(3\)",
    ),
    (
        [2, 3],
        {"type": "circularpad1d", "padding": [0, 4]},
        symcnn.ShapeError,
        r"circular padding \(right 4\) would wrap around more than once",
    ),
    (
        [2, 3],
        {"type": "zeropad1d", "padding": [-2, -1]},
        symcnn.ShapeError,
        r"`padding` = \[-2, -1\] gives an output size of 0",
    ),
    ([2, 3], {"type": "zeropad1d", "padding": 1.5}, symcnn.SpecError, "must be an integer"),
    ([2, 3], {"type": "constantpad1d", "padding": 1}, symcnn.SpecError, "`value`"),
    ([2, 3], {"type": "upsample", "size": 4, "scale_factor": 2}, symcnn.SpecError, "not both"),
    ([2, 3], {"type": "upsample"}, symcnn.SpecError, "needs `size`"),
    (
        [2, 3],
        {"type": "upsample", "size": 4, "mode": "cubic"},
        symcnn.SpecError,
        r"`mode` = 'cubic': must be one of 'nearest'",
    ),
    (
        [2, 3],
        {"type": "upsample", "size": 4, "mode": "bilinear"},
        symcnn.ShapeError,
        r"`mode` = 'bilinear' needs an input of rank 3",
    ),
    (
        [2, 3],
        {"type": "upsample", "size": 4, "align_corners": True},
        symcnn.SpecError,
        r"`align_corners` = true: only the interpolating modes",
    ),
    (
        [2, 3],
        {"type": "upsample", "size": [4, 4]},
        symcnn.ShapeError,
        r"`size` = \[4, 4\] needs 1 value, one per spatial axis",
    ),
    (
        [2, 3],
        {"type": "upsample", "scale_factor": 0.25},
        symcnn.ShapeError,
        r"`scale_factor` = 1/4 gives an output size of 0",
    ),
    (
        [6, 2, 2],
        {"type": "pixelshuffle", "upscale_factor": 2},
        symcnn.ShapeError,
        r"the input's channels \(6\) must be divisible by its square \(4\)",
    ),
    (
        [2, 3, 4],
        {"type": "pixelunshuffle", "downscale_factor": 2},
        symcnn.ShapeError,
        r"the input's height \(3\) must be divisible",
    ),
    (
        [6, 2],
        {"type": "channelshuffle", "groups": 4},
        symcnn.ShapeError,
        r"`groups` = 4 must divide the input's channels \(6\)",
    ),
    ([6], {"type": "rrelu", "lower": 0.5, "upper": 0.1}, symcnn.SpecError, "at most `upper`"),
]


@pytest.mark.parametrize(("shape", "layer", "error", "message"), MESSAGES)
def test_error_messages_name_the_field_and_value(shape, layer, error, message):
    with pytest.raises(error, match=message):
        symcnn.load({"input": shape, "layout": "CHW", "layers": [layer]})


# ------------------------------------------------------------------------------- symbolic sizes


def load(shape: list[Any], layer: dict[str, Any], layout: str = "CHW") -> symcnn.Network:
    return symcnn.load({"input": shape, "layout": layout, "layers": [layer]})


def test_reshape_with_symbols_checks_the_element_count_symbolically():
    net = load(["C", "H", "W"], {"type": "reshape", "shape": ["C", -1]})
    assert str(net.output_shape) == "(C, H*W)" and net.conditions == ()
    net = load(["C", "H", "W"], {"type": "reshape", "shape": [4, -1]})
    C, H, W = (net.symbols[name] for name in "CHW")
    assert net.output_shape == (4, C * H * W / 4)
    assert [check.condition for check in net.conditions] == [sympy.Eq(sympy.Mod(C * H * W, 4), 0)]
    assert net.subs(C=2, H=2, W=3).output_shape == (4, 3)
    with pytest.raises(symcnn.ShapeError, match="do not divide"):
        net.subs(C=1, H=1, W=3)
    net = load(["C", "H", "W"], {"type": "reshape", "shape": ["H", "W", 2]})
    assert [check.condition for check in net.conditions] == [sympy.Eq(2 * H * W, C * H * W)]
    with pytest.raises(symcnn.ShapeError, match="elements"):
        load(["H", "W", 3], {"type": "reshape", "shape": ["H", 4, "W"]})


def test_select_on_a_symbolic_axis_waits_for_its_size():
    net = load(["C", "L"], {"type": "select", "dim": 2, "index": -1})
    assert str(net.output_shape) == "(C,)" and net.conditions == ()
    net = load(["C", "L"], {"type": "select", "dim": 2, "index": 3})
    L = net.symbols["L"]
    (check,) = net.conditions
    assert [bool(check.condition.subs(L, size)) for size in (3, 4, 9)] == [False, True, True]
    assert net.subs(C=2, L=4).output_shape == (2,)
    with pytest.raises(symcnn.ShapeError, match=r"`index` = 3 is out of range"):
        net.subs(C=2, L=3)


def test_symbolic_padding_and_resampling_wait_for_values():
    net = load(["C", "H", "W"], {"type": "reflectionpad2d", "padding": 2})
    C, H, W = (net.symbols[name] for name in "CHW")
    assert net.output_shape == (C, H + 4, W + 4)
    # 2 < H, as the bound on H it is (symcnn.floors.bound)
    assert {check.condition for check in net.conditions} == {sympy.Ge(H, 3), sympy.Ge(W, 3)}
    with pytest.raises(symcnn.ShapeError, match="reflection padding"):
        net.subs(C=1, H=2, W=5)
    net = load(["C", "H", "W"], {"type": "upsample", "scale_factor": 1.5})
    assert net.output_shape == (C, sympy.floor(3 * H / 2), sympy.floor(3 * W / 2))
    assert net.subs(C=1, H=3, W=4).output_shape == (1, 4, 6)
    net = load(["H", "W", "C"], {"type": "pixelshuffle", "upscale_factor": "r"}, "HWC")
    r = net.symbols["r"]
    assert net.output_shape == (H * r, W * r, C / r**2)
    assert net.subs(H=2, W=3, C=8, r=2).output_shape == (4, 6, 2)


def test_shape_layers_compose_into_a_network():
    net = symcnn.load(
        {
            "input": [3, 8, 8],
            "layout": "CHW",
            "layers": [
                {"type": "reflectionpad2d", "padding": 1},
                {"type": "conv2d", "out_channels": 16, "kernel_size": 3},
                {"type": "pixelshuffle", "upscale_factor": 2},
                {"type": "upsample", "scale_factor": 0.5, "mode": "bilinear"},
                {"type": "flatten", "start_dim": 2},
                {"type": "transpose", "dim0": 1, "dim1": 2},
                {"type": "reshape", "shape": [-1, 2]},
                {"type": "glu"},
            ],
        }
    )
    assert [row.output_shape for row in net.rows] == [
        (3, 10, 10),
        (16, 8, 8),
        (4, 16, 16),
        (4, 8, 8),
        (4, 64),
        (64, 4),
        (128, 2),
        (128, 1),
    ]
    assert net.params == 16 * (27 + 1)
