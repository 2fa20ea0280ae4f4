"""What each traced function or tensor method becomes: a symcnn layer (``F.relu`` -> ``ReLU``,
``torch.cat`` -> ``Cat``), a graph edge, a size (``x.size(0)``), or nothing at all when it keeps
the shape and holds no weights (``x * 0.5``, ``x.contiguous()``). An op that is none of these is
not here, and the importer refuses it by name.

Each handler takes the importer and the :class:`Call` (its arguments with traced values already
replaced by :class:`Tensor`, :class:`Shape` and :class:`Size`) and returns the call's value.
"""

from __future__ import annotations

import operator
from functools import cache
from typing import Any

import sympy

from ..errors import SpecError
from ..layers import LAYERS
from ._importer import Attr, Importer, Size, Tensor
from ._torch_call import Call, Handler, _arguments, _tensor
from ._torch_indexing import INDEXING_METHODS, indexing_functions, sized
from .torch_table import _at_default, one_per_axis, plain

__all__ = ["METHODS", "Call", "Handler", "functions"]


def layer_entry(layer_type: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """A spec entry with the arguments not at the layer's default (and not ``None``)."""
    cls = LAYERS[layer_type.lower()]
    fields = cls.arguments()
    entry: dict[str, Any] = {"type": layer_type.lower()}
    for key, value in arguments.items():
        if key == "inplace" or value is None:
            continue
        default: Any = fields[key].default
        default = int(default) if isinstance(default, sympy.Integer) else default
        if not _at_default(value, default):
            entry[key] = one_per_axis(value, fields[key].metadata["kind"])
    return entry


def _layer(layer_type: str, *names: str, ignore: tuple[str, ...] = ()) -> Handler:
    """A function that is a layer: ``F.relu(x, inplace)``, ``F.max_pool2d(x, kernel_size, ...)``."""

    def handle(importer: Importer, call: Call) -> Tensor:
        x = _tensor(call.args[0] if call.args else call.kwargs.pop("input", None), call)
        arguments = _arguments(call, names, ("inplace", "_stacklevel", *ignore))
        return importer.add(layer_entry(layer_type, arguments), call.name, [x])

    return handle


def _alias(importer: Importer, call: Call) -> Tensor:
    """An op that keeps the shape and holds no weights (``x.contiguous()``): no entry."""
    return _tensor(call.args[0], call)


def _merge(layer_type: str, scalar: bool) -> Handler:
    """``a + b`` / ``a * b`` on two tensors is a merge; with a number it keeps the shape."""

    def handle(importer: Importer, call: Call) -> Tensor:
        args = list(call.args)
        tensors = [value for value in args if isinstance(value, Tensor)]
        if len(tensors) == 1 and any(isinstance(value, Attr) for value in args):
            rank = len(importer.shape_of(tensors[0], call.where))
            args = [
                _broadcast(importer, value, rank, call) if isinstance(value, Attr) else value
                for value in args
            ]
            tensors = [value for value in args if isinstance(value, Tensor)]
        others = [value for value in args if not isinstance(value, Tensor)]
        if call.kwargs or any(not isinstance(value, int | float) for value in others):
            raise SpecError("symcnn reads this op only on tensors and numbers", where=call.where)
        if len(tensors) == 2:
            if layer_type == "":
                raise SpecError(
                    "subtracting or dividing two tensors has no symcnn layer", where=call.where
                )
            return importer.add({"type": layer_type.lower()}, call.name, tensors)
        if not tensors or not scalar:  # pragma: no cover - fx traces only tensor arithmetic
            raise SpecError("needs a tensor", where=call.where)
        return tensors[0]

    return handle


def _broadcast(importer: Importer, attr: Attr, rank: int, call: Call) -> Tensor:
    """A parameter combined with a batched tensor of one example's ``rank``: a leading axis of 1
    that lines up with the batch is dropped (``[1, L, E]`` added to ``(N, L, E)`` is ``[L, E]``
    per example); one of the example's rank or lower broadcasts as it is (``[C, 1, 1]``)."""
    shape = attr.shape
    if len(shape) == rank + 1 and shape[0] == 1:
        shape = shape[1:]
    elif len(shape) > rank:
        raise SpecError(
            f"{attr!r} has more axes than the batched tensor it is combined with",
            where=call.where,
        )
    return importer.source(attr, shape, call.where)


def _expand(importer: Importer, call: Call) -> Tensor:
    """``p.expand(n, -1, ...)`` with ``n = x.size(0)``: a parameter ``[1, ...]`` repeated over the
    batch is the parameter ``[...]`` of one example (ViT's class token)."""
    attr, sizes = call.args[0], list(call.args[1:])
    if len(sizes) == 1 and isinstance(sizes[0], list | tuple):
        sizes = list(sizes[0])
    batch = bool(sizes) and isinstance(sizes[0], Size) and sizes[0].dim == 0
    exact = (
        isinstance(attr, Attr)
        and batch
        and attr.shape[:1] == (1,)
        and sizes[1:] == [-1] * (len(attr.shape) - 1)
    )
    if not exact or call.kwargs:
        raise SpecError(
            "symcnn reads `expand` only as a parameter [1, ...] repeated over the batch: "
            "p.expand(x.size(0), -1, ...)",
            where=call.where,
        )
    assert isinstance(attr, Attr)
    return importer.source(attr, attr.shape[1:], call.where)


def _layer_norm(importer: Importer, call: Call) -> Tensor:
    """``F.layer_norm(x, shape, weight, bias, eps)`` with the weight and bias a module's own
    parameters (torchvision's ``LayerNorm2d``): a ``LayerNorm`` row that holds them."""
    names = ("normalized_shape", "weight", "bias", "eps")
    x = _tensor(call.args[0], call)
    values = dict(zip(names, call.args[1:], strict=False))
    values.update((key, value) for key, value in call.kwargs.items() if key in names)
    weight, bias = values.get("weight"), values.get("bias")
    held = all(value is None or isinstance(value, Attr) for value in (weight, bias))
    if not held or (weight is None and bias is not None):
        raise SpecError(
            "symcnn reads F.layer_norm with the weight and bias a module's own parameters "
            "(or neither, or the weight alone)",
            where=call.where,
        )
    shape = [int(size) for size in plain(values.get("normalized_shape"), call.where, "shape")]
    arguments: dict[str, Any] = {
        "eps": plain(values.get("eps", 1e-5), call.where, "eps"),
        "elementwise_affine": weight is not None,
        "bias": bias is not None,
    }
    if weight is None:
        arguments["bias"] = None
    example = importer.shape_of(x, call.where)
    if [int(size) if size.is_Integer else size for size in example[-len(shape) :]] != shape or (
        len(shape) > 1
    ):
        arguments["normalized_shape"] = shape
    return importer.add(layer_entry("LayerNorm", arguments), call.name, [x])


def _batch_dim(dim: Any, call: Call, field: str) -> int:
    """A torch dim (batch 0) as a dim of one example (negative dims stay negative)."""
    if not isinstance(dim, int):
        raise SpecError(f"`{field}` = {dim!r} must be an integer", where=call.where, field=field)
    if dim == 0:
        raise SpecError(
            f"`{field}` = 0 is the batch axis; symcnn describes one example",
            where=call.where,
            field=field,
        )
    return dim - 1 if dim > 0 else dim


def _cat(importer: Importer, call: Call) -> Tensor:
    tensors = call.args[0] if call.args else call.kwargs.get("tensors")
    dim = call.args[1] if len(call.args) > 1 else call.kwargs.get("dim", 0)
    if not isinstance(tensors, list | tuple) or not tensors:
        raise SpecError("`tensors` must be a list of tensors", where=call.where)
    inputs = [_tensor(value, call, "each of its inputs") for value in tensors]
    if len(inputs) == 1:
        return inputs[0]
    entry: dict[str, Any] = {"type": "cat"}
    axis = _batch_dim(dim, call, "dim")
    if axis != 0:
        entry["dim"] = axis
    return importer.add(entry, call.name, inputs)


def _flatten(importer: Importer, call: Call) -> Tensor:
    x = _tensor(call.args[0], call)
    arguments = _arguments(call, ("start_dim", "end_dim"))
    arguments.setdefault("start_dim", 0)  # torch.flatten and x.flatten() start at the batch
    return importer.add(layer_entry("flatten", arguments), call.name, [x])


def _size_text(importer: Importer, value: Any, call: Call) -> Any:
    """One size of a new shape: a number, or ``y.size(d)`` as the expression it is."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Size) and value.dim != 0:
        shape = importer.shape_of(value.tensor, call.where)
        dim = value.dim - 1 if value.dim > 0 else value.dim
        size = shape[dim]
        return int(size) if size.is_Integer else str(size)
    raise SpecError(f"cannot read the size {value!r} of a new shape", where=call.where)


def _reshape(importer: Importer, call: Call) -> Tensor:
    """``x.view(x.size(0), -1)`` is a Flatten; ``x.view(-1, 400)`` or ``x.reshape(n, 4, 100)`` a
    Reshape of one example. The first size must be the batch."""
    x = _tensor(call.args[0], call)
    sizes = list(call.args[1:]) or list(call.kwargs.get("shape", ()))
    if len(sizes) == 1 and isinstance(sizes[0], list | tuple):
        sizes = list(sizes[0])
    if not sizes:
        raise SpecError("needs a new shape", where=call.where)
    batch, rest = sizes[0], sizes[1:]
    is_batch = isinstance(batch, Size) and batch.dim == 0
    if not is_batch and not (batch == -1 and -1 not in rest):
        raise SpecError(
            f"the first size of the new shape must be the batch (x.size(0) or -1), got {batch!r}",
            where=call.where,
        )
    if not rest:
        raise SpecError("would merge the batch axis into the example", where=call.where)
    if rest == [-1]:
        return importer.add({"type": "flatten"}, call.name, [x])
    shape = [_size_text(importer, value, call) for value in rest]
    return importer.add({"type": "reshape", "shape": shape}, call.name, [x])


def _dims(call: Call) -> list[Any]:
    dims = list(call.args[1:]) or list(call.kwargs.get("dims", ()))
    if len(dims) == 1 and isinstance(dims[0], list | tuple):
        dims = list(dims[0])
    return dims


def _permute(importer: Importer, call: Call) -> Tensor:
    x = _tensor(call.args[0], call)
    return importer.add({"type": "permute", "dims": _dims(call)}, call.name, [x])


def _transpose(importer: Importer, call: Call) -> Tensor:
    x = _tensor(call.args[0], call)
    dim0, dim1 = [*call.args[1:], call.kwargs.get("dim0"), call.kwargs.get("dim1")][:2]
    return importer.add({"type": "transpose", "dim0": dim0, "dim1": dim1}, call.name, [x])


def _mean(importer: Importer, call: Call) -> Tensor:
    """The mean over every spatial axis is an adaptive average pool to size 1 (then a flatten
    without ``keepdim``): exactly ``AdaptiveAvgPoolNd(1)``'s output and counts."""
    x = _tensor(call.args[0], call)
    dim = call.args[1] if len(call.args) > 1 else call.kwargs.get("dim")
    keepdim = call.args[2] if len(call.args) > 2 else call.kwargs.get("keepdim", False)
    rank = len(importer.shape_of(x, call.where))
    dims = [dim] if isinstance(dim, int) else list(dim or [])
    if not all(isinstance(d, int) for d in dims):
        raise SpecError(f"`dim` = {dim!r} must list integers", where=call.where, field="dim")
    if rank == 2 and [d % 3 for d in dims] == [1]:
        return _mean_of_steps(importer, call, x, bool(keepdim))
    spatial = list(range(2, rank + 1))
    if sorted(d % (rank + 1) for d in dims) != spatial or not 1 <= len(spatial) <= 3:
        raise SpecError(
            f"a mean over dims {dim!r} of an input of rank {rank} (one example) is not an "
            "average over every spatial axis, which is the only mean symcnn reads",
            where=call.where,
            field="dim",
        )
    pooled = importer.add(
        {"type": f"adaptiveavgpool{len(spatial)}d", "output_size": 1}, call.name, [x]
    )
    if keepdim:
        return pooled
    return importer.add({"type": "flatten"}, f"{call.name}_flatten", [pooled])


def _mean_of_steps(importer: Importer, call: Call, x: Tensor, keepdim: bool) -> Tensor:
    """The mean over the steps of a sequence ``(L, E)`` (``x.mean(dim=1)``, a transformer's mean
    pooling): the features made channels, an adaptive average pool to one step, then a flatten
    (``keepdim``: the axes swapped back) — ``(E)`` or ``(1, E)``, no weights."""
    swapped = importer.add({"type": "transpose", "dim0": 1, "dim1": 2}, f"{call.name}_t", [x])
    pooled = importer.add({"type": "adaptiveavgpool1d", "output_size": 1}, call.name, [swapped])
    if keepdim:
        entry = {"type": "transpose", "dim0": 1, "dim1": 2}
        return importer.add(entry, f"{call.name}_back", [pooled])
    return importer.add({"type": "flatten"}, f"{call.name}_flatten", [pooled])


def _pad(importer: Importer, call: Call) -> Tensor:
    x = _tensor(call.args[0], call)
    arguments = _arguments(call, ("pad", "mode", "value"))
    pad = arguments.get("pad")
    if not isinstance(pad, list) or len(pad) % 2 or not 2 <= len(pad) <= 6:
        raise SpecError(f"`pad` = {pad!r}: needs 2, 4 or 6 sizes", where=call.where, field="pad")
    # torch pads the last len(pad)/2 axes; symcnn's padding layer of the input's spatial rank
    # takes the same sizes with zeros for the axes not padded
    dims = max(len(pad) // 2, len(importer.shape_of(x, call.where)) - 1)
    pad = [*pad, *[0] * (2 * dims - len(pad))]
    mode = arguments.get("mode", "constant")
    value = arguments.get("value") or 0
    families = {
        "reflect": "ReflectionPad",
        "replicate": "ReplicationPad",
        "circular": "CircularPad",
    }
    if mode == "constant":
        if value == 0:
            entry: dict[str, Any] = {"type": f"zeropad{dims}d", "padding": pad}
        else:
            entry = {"type": f"constantpad{dims}d", "padding": pad, "value": value}
    elif mode in families:
        entry = {"type": f"{families[mode].lower()}{dims}d", "padding": pad}
    else:
        raise SpecError(f"`mode` = {mode!r} has no symcnn layer", where=call.where, field="mode")
    return importer.add(entry, call.name, [x])


def _interpolate(importer: Importer, call: Call) -> Tensor:
    names = ("size", "scale_factor", "mode", "align_corners", "recompute_scale_factor", "antialias")
    x = _tensor(call.args[0], call)
    arguments = _arguments(call, names)
    if arguments.pop("antialias", False):
        raise SpecError("`antialias` = True has no symcnn layer", where=call.where)
    return importer.add(layer_entry("Upsample", arguments), call.name, [x])


_ACTIVATIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    # functional name in torch.nn.functional -> (layer type, its arguments after the tensor)
    "relu": ("ReLU", ()),
    "relu6": ("ReLU6", ()),
    "leaky_relu": ("LeakyReLU", ("negative_slope",)),
    "elu": ("ELU", ("alpha",)),
    "selu": ("SELU", ()),
    "celu": ("CELU", ("alpha",)),
    "gelu": ("GELU", ()),
    "silu": ("SiLU", ()),
    "mish": ("Mish", ()),
    "hardswish": ("Hardswish", ()),
    "hardsigmoid": ("Hardsigmoid", ()),
    "hardtanh": ("Hardtanh", ("min_val", "max_val")),
    "sigmoid": ("Sigmoid", ()),
    "tanh": ("Tanh", ()),
    "softplus": ("Softplus", ("beta", "threshold")),
    "logsigmoid": ("LogSigmoid", ()),
    "softsign": ("Softsign", ()),
    "tanhshrink": ("Tanhshrink", ()),
    "hardshrink": ("Hardshrink", ("lambd",)),
    "softshrink": ("Softshrink", ("lambd",)),
    "threshold": ("Threshold", ("threshold", "value")),
    "softmax": ("Softmax", ("dim",)),
    "softmin": ("Softmin", ("dim",)),
    "log_softmax": ("LogSoftmax", ("dim",)),
    "glu": ("GLU", ("dim",)),
    "pixel_shuffle": ("PixelShuffle", ("upscale_factor",)),
    "pixel_unshuffle": ("PixelUnshuffle", ("downscale_factor",)),
    "channel_shuffle": ("ChannelShuffle", ("groups",)),
}
_POOLS: dict[str, tuple[str, ...]] = {
    "max_pool": ("kernel_size", "stride", "padding", "dilation", "ceil_mode", "return_indices"),
    "avg_pool": (
        "kernel_size",
        "stride",
        "padding",
        "ceil_mode",
        "count_include_pad",
        "divisor_override",
    ),
    "adaptive_avg_pool": ("output_size",),
    "adaptive_max_pool": ("output_size", "return_indices"),
}
_POOL_TYPES = {
    "max_pool": "MaxPool",
    "avg_pool": "AvgPool",
    "adaptive_avg_pool": "AdaptiveAvgPool",
    "adaptive_max_pool": "AdaptiveMaxPool",
}
_DROPOUTS = {
    "dropout": "Dropout",
    "dropout1d": "Dropout1d",
    "dropout2d": "Dropout2d",
    "dropout3d": "Dropout3d",
    "alpha_dropout": "AlphaDropout",
    "feature_alpha_dropout": "FeatureAlphaDropout",
}
_IGNORED = ("dtype", "training", "approximate")


@cache
def functions() -> dict[Any, Handler]:
    """Traced function -> handler (built on first use: the keys are torch's functions)."""
    import torch
    import torch.nn.functional as F

    table: dict[Any, Handler] = {
        operator.add: sized(operator.add, _merge("Add", True)),
        operator.iadd: _merge("Add", True),
        torch.add: _merge("Add", True),
        operator.mul: sized(operator.mul, _merge("Mul", True)),
        operator.imul: _merge("Mul", True),
        torch.mul: _merge("Mul", True),
        operator.sub: sized(operator.sub, _merge("", True)),
        operator.truediv: _merge("", True),
        operator.floordiv: sized(operator.floordiv, _merge("", True)),
        operator.neg: _alias,
        torch.cat: _cat,
        torch.concat: _cat,
        torch.flatten: _flatten,
        torch.reshape: _reshape,
        torch.permute: _permute,
        torch.transpose: _transpose,
        torch.mean: _mean,
        F.pad: _pad,
        F.layer_norm: _layer_norm,
        F.interpolate: _interpolate,
        torch.relu: _layer("ReLU"),
        torch.sigmoid: _layer("Sigmoid"),
        torch.tanh: _layer("Tanh"),
        torch.softmax: _layer("Softmax", "dim", ignore=_IGNORED),
        **indexing_functions(),
    }
    for name, (layer_type, names) in _ACTIVATIONS.items():
        # gelu's `approximate` is an argument of the layer, not ignored
        ignore = tuple(word for word in _IGNORED if word not in names and word != "approximate")
        extra = ("approximate",) if name == "gelu" else ()
        table[getattr(F, name)] = _layer(layer_type, *names, *extra, ignore=ignore)
    for prefix, names in _POOLS.items():
        for dims in (1, 2, 3):
            table[getattr(F, f"{prefix}{dims}d")] = _layer(f"{_POOL_TYPES[prefix]}{dims}d", *names)
    for name, layer_type in _DROPOUTS.items():
        table[getattr(F, name)] = _layer(layer_type, "p", ignore=("training",))
    return table


#: tensor method name -> handler
METHODS: dict[str, Handler] = {
    "add": _merge("Add", True),
    "add_": _merge("Add", True),
    "mul": _merge("Mul", True),
    "mul_": _merge("Mul", True),
    "flatten": _flatten,
    "view": _reshape,
    "reshape": _reshape,
    "permute": _permute,
    "transpose": _transpose,
    "mean": _mean,
    "expand": _expand,
    "contiguous": _alias,
    "clone": _alias,
    "detach": _alias,
    "relu": _layer("ReLU"),
    "relu_": _layer("ReLU"),
    "sigmoid": _layer("Sigmoid"),
    "tanh": _layer("Tanh"),
    "softmax": _layer("Softmax", "dim", ignore=_IGNORED),
    "log_softmax": _layer("LogSoftmax", "dim", ignore=_IGNORED),
    **INDEXING_METHODS,
}
