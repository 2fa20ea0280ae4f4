"""Hypothesis strategies for property-testing with symcnn: layers, specs, networks, formulas.

Everything drawn is valid — PyTorch would build it — and the shapes that make it valid are computed
here in plain Python integer arithmetic (PyTorch's documented formulas), not by symcnn's SymPy
engine, so a property that compares the two compares independent computations.

* :func:`layers` — one layer spec valid for a given input shape;
* :func:`layer_configs` — an ``(input_shape, layer)`` pair; :func:`layer_values` — the notation's
  symbols with the values of one valid layer (``{m: 3, n: 3, d: 4, k: 8, g: 2, …}``);
* :func:`specs` and :func:`networks` — whole numeric specs and loaded networks, each with its
  expected output shape (:func:`specs_with_shapes`);
* :func:`symbolic_specs` — a spec with some numbers replaced by symbols, and the values that turn it
  back into the numeric spec;
* :func:`attention_specs` and :func:`transformer_specs` — a ``MultiheadAttention`` or one of the
  transformer layers on named sequences, with the parameters and output shape PyTorch's modules
  have (:class:`Counted`; in ``symcnn._strategies_attention``);
* :func:`writings` — a formula written the ways people write it (``×``, ``·``, ``\\cdot``,
  implicit products, reordered terms), for testing the parser and :func:`symcnn.check.check`;
* :func:`recurrent_layers` and :func:`sequence_specs_with_shapes` — sequence models: an RNN, GRU
  or LSTM for a ``[L, F]`` sequence, and token specs (Embedding, then recurrent layers), each with
  its output shape and PyTorch's parameter count (module ``symcnn._sequence_strategies``).

A property a user can copy (see ``docs/strategies.md``)::

    from hypothesis import given
    import symcnn
    from symcnn import strategies as sst

    @given(sst.specs())
    def test_total_is_the_sum_of_the_rows(spec):
        net = symcnn.load(spec)
        assert net.params == sum(row.params for row in net.rows)

hypothesis is a test dependency of symcnn: importing this module without it raises an ImportError
that says so.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

try:
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - exercised only without hypothesis
    raise ImportError(
        "symcnn.strategies needs hypothesis, a test dependency: pip install hypothesis "
        "(or pip install 'symcnn[test]')"
    ) from error

import sympy

# sequence models (recurrent layers, embeddings) have their own module, public from here
from ._sequence_strategies import (
    DrawnSequence,
    recurrent_layers,
    sequence_specs,
    sequence_specs_with_shapes,
)
from ._strategies_attention import (
    TRANSFORMER_TYPES,
    Counted,
    attention_specs,
    transformer_specs,
)
from ._strategies_writings import writings

__all__ = [
    "ACTIVATIONS",
    "LAYER_TYPES",
    "TRANSFORMER_TYPES",
    "Counted",
    "Drawn",
    "DrawnSequence",
    "attention_specs",
    "layer_configs",
    "layer_values",
    "layers",
    "networks",
    "recurrent_layers",
    "sequence_specs",
    "sequence_specs_with_shapes",
    "sizes",
    "specs",
    "specs_with_shapes",
    "symbolic_specs",
    "transformer_specs",
    "writings",
]

Draw = Callable[[st.SearchStrategy[Any]], Any]

#: activations drawn by :func:`layers` (they keep the shape and have no parameters)
ACTIVATIONS = ("relu", "tanh", "sigmoid", "gelu", "leakyrelu", "elu", "silu", "softplus")
#: the layer families :func:`layers` can draw
LAYER_TYPES = (
    "conv",
    "convtranspose",
    "maxpool",
    "avgpool",
    "adaptivepool",
    "batchnorm",
    "instancenorm",
    "groupnorm",
    "layernorm",
    "activation",
    "dropout",
    "prelu",
    "flatten",
    "linear",
)


def sizes(min_value: int = 1, max_value: int = 8) -> st.SearchStrategy[int]:
    """Small positive sizes (channels, kernels, input sizes)."""
    return st.integers(min_value, max_value)


@dataclass(frozen=True)
class Drawn:
    """A drawn layer: its spec, and the output shape PyTorch's formulas give for its input."""

    layer: dict[str, Any]
    output_shape: tuple[int, ...]


# ----------------------------------------------------------------------------------- shapes


def _split(shape: Sequence[int], layout: str) -> tuple[int, list[int]]:
    """(channels, spatial sizes) of an example shape of rank ≥ 2."""
    if layout == "HWC":
        return shape[-1], list(shape[:-1])
    return shape[0], list(shape[1:])


def _join(channels: int, spatial: Sequence[int], layout: str) -> tuple[int, ...]:
    return (*spatial, channels) if layout == "HWC" else (channels, *spatial)


def _conv_out(size: int, kernel: int, stride: int, padding: int, dilation: int) -> int:
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def _pool_out(size: int, kernel: int, stride: int, padding: int, dilation: int, ceil: bool) -> int:
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil:
        return span // stride + 1
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + padding:  # the last window must start inside the input
        out -= 1
    return out


def _per_axis(values: list[int]) -> int | list[int]:
    """One number when every axis agrees (as people write it), else the list."""
    return values[0] if len(set(values)) == 1 else values


def _divisors(number: int) -> list[int]:
    return [g for g in range(1, number + 1) if number % g == 0]


# ----------------------------------------------------------------------------------- layers


def _conv(draw: Draw, shape: Sequence[int], layout: str, max_channels: int) -> Drawn:
    channels, spatial = _split(shape, layout)
    dims = len(spatial)
    groups = draw(st.sampled_from(_divisors(channels)))
    out_channels = groups * draw(st.integers(1, max(1, max_channels // groups)))
    same = draw(st.booleans()) and draw(st.booleans())
    strides = [1] * dims if same else [draw(st.integers(1, 3)) for _ in range(dims)]
    kernels, paddings, dilations, outputs = [], [], [], []
    for size in spatial:
        dilation = draw(st.sampled_from([1, 1, 1, 2]))
        padding = 0 if same else draw(st.integers(0, 2))
        largest = (size + 2 * padding - 1) // dilation + 1
        kernel = draw(st.integers(1, max(1, min(largest, 5))))
        if dilation * (kernel - 1) + 1 > size + 2 * padding and not same:
            dilation, kernel = 1, 1
        kernels.append(kernel)
        paddings.append(padding)
        dilations.append(dilation)
    for size, kernel, stride, padding, dilation in zip(
        spatial, kernels, strides, paddings, dilations, strict=True
    ):
        outputs.append(size if same else _conv_out(size, kernel, stride, padding, dilation))
    layer: dict[str, Any] = {
        "type": f"conv{dims}d",
        "out_channels": out_channels,
        "kernel_size": _per_axis(kernels),
        "bias": draw(st.booleans()),
    }
    if same:
        layer["padding"] = "same"
    else:
        layer["stride"] = _per_axis(strides)
        layer["padding"] = _per_axis(paddings)
    if any(dilation != 1 for dilation in dilations):
        layer["dilation"] = _per_axis(dilations)
    if groups != 1:
        layer["groups"] = groups
    if draw(st.booleans()):
        layer["in_channels"] = channels
    return Drawn(layer, _join(out_channels, outputs, layout))


def _conv_transpose(draw: Draw, shape: Sequence[int], layout: str, max_channels: int) -> Drawn:
    channels, spatial = _split(shape, layout)
    dims = len(spatial)
    groups = draw(st.sampled_from(_divisors(channels)))
    out_channels = groups * draw(st.integers(1, max(1, max_channels // groups)))
    kernels, strides, paddings, output_paddings, dilations, outputs = [], [], [], [], [], []
    for size in spatial:
        kernel = draw(st.integers(1, 4))
        stride = draw(st.integers(1, 3))
        dilation = draw(st.sampled_from([1, 1, 2]))
        output_padding = draw(st.integers(0, max(stride, dilation) - 1))
        grown = (size - 1) * stride + dilation * (kernel - 1) + output_padding + 1
        padding = draw(st.integers(0, min(3, (grown - 1) // 2)))
        kernels.append(kernel)
        strides.append(stride)
        dilations.append(dilation)
        output_paddings.append(output_padding)
        paddings.append(padding)
        outputs.append(grown - 2 * padding)
    layer: dict[str, Any] = {
        "type": f"convtranspose{dims}d",
        "out_channels": out_channels,
        "kernel_size": _per_axis(kernels),
        "stride": _per_axis(strides),
        "padding": _per_axis(paddings),
        "output_padding": _per_axis(output_paddings),
        "dilation": _per_axis(dilations),
        "bias": draw(st.booleans()),
    }
    if groups != 1:
        layer["groups"] = groups
    return Drawn(layer, _join(out_channels, outputs, layout))


def _pool(draw: Draw, shape: Sequence[int], layout: str, kind: str) -> Drawn:
    channels, spatial = _split(shape, layout)
    dims = len(spatial)
    ceil = draw(st.booleans())
    given_stride = draw(st.booleans())
    kernels, strides, paddings, dilations, outputs = [], [], [], [], []
    for size in spatial:
        dilation = draw(st.sampled_from([1, 1, 2])) if kind == "max" else 1
        kernel = draw(st.integers(1, max(1, min(4, size))))
        if kind == "avg" and dims == 3:
            kernel = min(kernel, size)  # AvgPool3d: the kernel must fit without padding
        padding = draw(st.integers(0, kernel // 2))
        while dilation * (kernel - 1) + 1 > size + 2 * padding:
            dilation = 1
            kernel = max(1, min(kernel, size))
        stride = draw(st.integers(1, 3)) if given_stride else kernel
        kernels.append(kernel)
        strides.append(stride)
        paddings.append(padding)
        dilations.append(dilation)
        outputs.append(_pool_out(size, kernel, stride, padding, dilation, ceil))
    if min(outputs) < 1:
        ceil = False
        outputs = [
            _pool_out(size, kernel, stride, padding, dilation, False)
            for size, kernel, stride, padding, dilation in zip(
                spatial, kernels, strides, paddings, dilations, strict=True
            )
        ]
    layer: dict[str, Any] = {"type": f"{kind}pool{dims}d", "kernel_size": _per_axis(kernels)}
    if given_stride:
        layer["stride"] = _per_axis(strides)
    if any(paddings):
        layer["padding"] = _per_axis(paddings)
    if any(dilation != 1 for dilation in dilations):
        layer["dilation"] = _per_axis(dilations)
    if ceil:
        layer["ceil_mode"] = True
    return Drawn(layer, _join(channels, outputs, layout))


def _adaptive(draw: Draw, shape: Sequence[int], layout: str) -> Drawn:
    channels, spatial = _split(shape, layout)
    dims = len(spatial)
    kind = draw(st.sampled_from(["avg", "max"]))
    requested: list[int | None] = [draw(st.integers(1, max(1, size))) for size in spatial]
    if dims > 1:
        requested = [size if draw(st.booleans()) else None for size in requested]
    outputs = [
        size if want is None else want for size, want in zip(spatial, requested, strict=True)
    ]
    layer = {"type": f"adaptive{kind}pool{dims}d", "output_size": requested}
    return Drawn(layer, _join(channels, outputs, layout))


def _norm(draw: Draw, shape: Sequence[int], layout: str, kind: str) -> Drawn | None:
    rank = len(shape)
    if kind == "batchnorm":
        dims = 1 if rank in (1, 2) else rank - 1
        if dims > 3:
            return None
        channels = shape[-1] if rank == 1 else _split(shape, layout)[0]
        layer: dict[str, Any] = {
            "type": f"batchnorm{dims}d",
            "affine": draw(st.booleans()),
            "track_running_stats": draw(st.booleans()),
        }
        if draw(st.booleans()):
            layer["num_features"] = channels
        return Drawn(layer, tuple(shape))
    if rank < 2 or rank > 4:
        return None
    channels, spatial = _split(shape, layout)
    if kind == "instancenorm":
        track = draw(st.booleans()) or math.prod(spatial) == 1
        layer = {"type": f"instancenorm{rank - 1}d", "affine": draw(st.booleans())}
        if track:
            layer["track_running_stats"] = True
        return Drawn(layer, tuple(shape))
    groups = draw(st.sampled_from(_divisors(channels)))
    return Drawn(
        {"type": "groupnorm", "num_groups": groups, "affine": draw(st.booleans())}, tuple(shape)
    )


def _layer_norm(draw: Draw, shape: Sequence[int]) -> Drawn:
    trailing = draw(st.integers(1, len(shape)))
    layer: dict[str, Any] = {
        "type": "layernorm",
        "elementwise_affine": draw(st.booleans()),
        "bias": draw(st.booleans()),
    }
    if trailing > 1 or draw(st.booleans()):
        layer["normalized_shape"] = list(shape[len(shape) - trailing :])
    return Drawn(layer, tuple(shape))


def _linear(draw: Draw, shape: Sequence[int], max_features: int) -> Drawn:
    out_features = draw(st.integers(1, max_features))
    layer: dict[str, Any] = {
        "type": draw(st.sampled_from(["linear", "linear", "dense"])),
        "out_features": out_features,
        "bias": draw(st.booleans()),
    }
    if draw(st.booleans()):
        layer["in_features"] = shape[-1]
    return Drawn(layer, (*shape[:-1], out_features))


@st.composite
def layers(
    draw: Draw,
    input_shape: Sequence[int],
    layout: str = "HWC",
    types: Sequence[str] = LAYER_TYPES,
    max_channels: int = 8,
) -> Drawn:
    """One layer valid for an example of shape ``input_shape`` (numbers, no batch axis), drawn from
    the families ``types`` (see :data:`LAYER_TYPES`), with its output shape."""
    shape = tuple(input_shape)
    rank = len(shape)
    spatial_ok = 2 <= rank <= 4
    candidates = [
        kind
        for kind in types
        if kind in ("activation", "dropout", "linear", "layernorm", "batchnorm")
        or (kind in ("conv", "convtranspose", "maxpool", "avgpool", "adaptivepool") and spatial_ok)
        or (kind in ("instancenorm", "groupnorm", "prelu") and spatial_ok)
        or (kind == "flatten" and rank >= 2)
    ]
    if not candidates:
        raise ValueError(f"no layer of {list(types)} takes an input of shape {shape}")
    kind = draw(st.sampled_from(candidates))
    if kind == "conv":
        return _conv(draw, shape, layout, max_channels)
    if kind == "convtranspose":
        return _conv_transpose(draw, shape, layout, max_channels)
    if kind in ("maxpool", "avgpool"):
        return _pool(draw, shape, layout, kind[:3])
    if kind == "adaptivepool":
        return _adaptive(draw, shape, layout)
    if kind in ("batchnorm", "instancenorm", "groupnorm"):
        drawn = _norm(draw, shape, layout, kind)
        if drawn is not None:
            return drawn
        kind = "activation"
    if kind == "layernorm":
        return _layer_norm(draw, shape)
    if kind == "linear":
        return _linear(draw, shape, max_channels * 2)
    if kind == "flatten":
        return Drawn({"type": "flatten"}, (math.prod(shape),))
    if kind == "prelu":
        channels = _split(shape, layout)[0]
        return Drawn(
            {"type": "prelu", "num_parameters": draw(st.sampled_from([1, channels]))}, shape
        )
    if kind == "dropout":
        return Drawn({"type": "dropout", "p": draw(st.sampled_from([0.0, 0.1, 0.5]))}, shape)
    return Drawn({"type": draw(st.sampled_from(ACTIVATIONS))}, shape)


def _input_shape(draw: Draw, spatial_dims: int, layout: str, max_size: int) -> tuple[int, ...]:
    channels = draw(st.integers(1, 6))
    spatial = [draw(st.integers(1, max_size)) for _ in range(spatial_dims)]
    return _join(channels, spatial, layout)


@st.composite
def layer_configs(
    draw: Draw,
    types: Sequence[str] = LAYER_TYPES,
    spatial_dims: Sequence[int] = (1, 2, 3),
    layout: str = "HWC",
    max_size: int = 12,
) -> tuple[tuple[int, ...], Drawn]:
    """An input shape and one layer valid for it: ``(input_shape, Drawn(layer, output_shape))``."""
    dims = draw(st.sampled_from(list(spatial_dims)))
    shape = _input_shape(draw, dims, layout, max_size)
    if "linear" in types and len(types) == 1 and draw(st.booleans()):
        shape = (shape[-1] if layout == "HWC" else shape[0],)
    return shape, draw(layers(shape, layout, types))


@st.composite
def layer_values(draw: Draw, types: Sequence[str] = LAYER_TYPES) -> dict[sympy.Symbol, int]:
    """The notation's symbols with the values of one valid layer: what the engine substitutes into
    the layer's general formula (``{m: 3, n: 3, d: 4, k: 8, g: 2, bias: 1, s_w: 1, …}``)."""
    from .network import load

    shape, drawn = draw(layer_configs(types))
    row = load({"input": list(shape), "layers": [drawn.layer]}).rows[0]
    return {
        symbol: int(value)
        for symbol, value in row.values.items()
        if isinstance(symbol, sympy.Symbol) and value.is_Integer
    }


# ----------------------------------------------------------------------------------- specs


@st.composite
def specs_with_shapes(
    draw: Draw,
    min_layers: int = 1,
    max_layers: int = 5,
    spatial_dims: Sequence[int] = (1, 2, 3),
    layouts: Sequence[str] = ("HWC", "CHW"),
    types: Sequence[str] = LAYER_TYPES,
    max_size: int = 12,
) -> tuple[dict[str, Any], tuple[int, ...]]:
    """A valid numeric spec and its output shape, computed layer by layer in plain Python."""
    layout = draw(st.sampled_from(list(layouts)))
    dims = draw(st.sampled_from(list(spatial_dims)))
    shape = _input_shape(draw, dims, layout, max_size)
    spec: dict[str, Any] = {"input": list(shape), "layout": layout, "layers": []}
    if draw(st.booleans()):
        spec["name"] = draw(st.sampled_from(["net", "LeNet-ish", "probe"]))
    count = draw(st.integers(min_layers, max_layers))
    for index in range(count):
        drawn = draw(layers(shape, layout, types))
        layer = dict(drawn.layer)
        if draw(st.booleans()):
            layer["name"] = f"L{index}"
        spec["layers"].append(layer)
        shape = drawn.output_shape
    return spec, tuple(shape)


def specs(**options: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Valid numeric specs (dicts for :func:`symcnn.load`); options as :func:`specs_with_shapes`."""
    return specs_with_shapes(**options).map(lambda pair: pair[0])


def networks(**options: Any) -> st.SearchStrategy[Any]:
    """Loaded :class:`~symcnn.Network` objects of valid numeric specs."""
    from .network import load

    return specs(**options).map(load)


_SYMBOLIC_FIELDS = ("out_channels", "out_features", "kernel_size", "num_features", "in_channels")


@st.composite
def symbolic_specs(
    draw: Draw, **options: Any
) -> tuple[dict[str, Any], dict[str, int], dict[str, Any]]:
    """``(symbolic_spec, values, numeric_spec)``: a valid spec with some sizes (input sizes,
    channels, kernel sizes, bias flags) replaced by symbols ``x0, x1…`` (``b0…`` for bias flags),
    and the values that make it the numeric spec again:
    ``load(symbolic_spec).subs(values)`` describes the same network as ``load(numeric_spec)``."""
    numeric, _ = draw(specs_with_shapes(**options))
    values: dict[str, int] = {}

    def symbol(value: int, prefix: str = "x") -> str | int:
        if not draw(st.booleans()):
            return value
        name = f"{prefix}{len(values)}"
        values[name] = value
        return name

    symbolic = {key: value for key, value in numeric.items() if key != "layers"}
    symbolic["input"] = [symbol(size) for size in numeric["input"]]
    symbolic["layers"] = []
    for layer in numeric["layers"]:
        changed = dict(layer)
        for key in _SYMBOLIC_FIELDS:
            value = layer.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                changed[key] = symbol(value)
        if isinstance(layer.get("bias"), bool) and layer["type"] != "layernorm":
            flag = symbol(int(layer["bias"]), "b")
            changed["bias"] = flag if isinstance(flag, str) else layer["bias"]
        symbolic["layers"].append(changed)
    return symbolic, values, numeric
