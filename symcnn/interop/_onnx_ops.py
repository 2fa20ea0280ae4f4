"""What each ONNX op becomes: a symcnn layer whose sizes come from its initializers (``Conv``,
``Gemm``, ``BatchNormalization``...), a merge or an axis move, nothing (``Identity``, a scalar
``Mul``), or a value that a ``Reshape`` reads (``Shape`` -> ``Gather`` -> ``Concat``). An op that
is none of these is not in :data:`OPS`, and the importer refuses it by name.

Each handler takes the importer and the :class:`Node` (its inputs already replaced by
:class:`~._importer.Tensor`, :class:`Initializer`, numpy constants, :class:`~._importer.Shape` and
:class:`~._importer.Size`) and returns the node's first output. A handler that reads weights
records them in :attr:`Node.weights` for the importer's count check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import SpecError
from ._extras import require
from ._importer import Attr, Importer, Shape, Size, Tensor
from ._torch_ops import layer_entry

__all__ = ["OPS", "Initializer", "Node"]


@dataclass(frozen=True)
class Initializer:
    """A graph initializer: its name, dims and proto (read as numbers only when small)."""

    name: str
    shape: tuple[int, ...]
    proto: Any

    @property
    def numel(self) -> int:
        total = 1
        for size in self.shape:
            total *= size
        return total


@dataclass
class Node:
    """One ONNX node: its op, row name, inputs, attributes, where (for errors), and the weights
    (row, numbers) it read."""

    op_type: str
    name: str
    inputs: list[Any]
    attributes: dict[str, Any]
    where: str
    weights: list[tuple[str, int]] = field(default_factory=list)

    def input(self, index: int) -> Any:
        return self.inputs[index] if index < len(self.inputs) else None


Handler = Callable[[Importer, Node], Any]


def _tensor(node: Node, index: int = 0) -> Tensor:
    value = node.input(index)
    if not isinstance(value, Tensor):
        raise SpecError(f"input {index} must be a tensor the graph computes", where=node.where)
    return value


def _weight(node: Node, index: int, optional: bool = False) -> Initializer | None:
    value = node.input(index)
    if value is None and optional:
        return None
    if not isinstance(value, Initializer):
        raise SpecError(
            f"input {index} must be an initializer (a weight symcnn can size)", where=node.where
        )
    return value


def _constant(node: Node, index: int) -> Any:
    """A constant input as a list of numbers (a Constant node or an initializer), or ``None``."""
    value = node.input(index)
    if isinstance(value, Initializer):
        return require("onnx.numpy_helper").to_array(value.proto).tolist()
    if value is None or isinstance(value, Tensor | Shape | Size | list):
        return value
    return value.tolist()  # a numpy array from a Constant node


def _number(value: float) -> int | float:
    """A float attribute as written: ``2.0`` -> ``2``; float32's ``0.1666...67`` stays."""
    return int(value) if float(value).is_integer() else float(value)


def _spatial(importer: Importer, x: Tensor, node: Node) -> int:
    return len(importer.shape_of(x, node.where)) - 1


def _symmetric(node: Node, dims: int, kernel: list[int] | None = None) -> list[int]:
    """The torch ``padding`` of a node's ``pads`` (or ``auto_pad``), which must be symmetric."""
    auto = node.attributes.get("auto_pad", "NOTSET")
    if auto == "VALID":
        return [0] * dims
    if auto in ("SAME_UPPER", "SAME_LOWER") and kernel is not None:
        # stride 1: `same` pads dilation·(k - 1) in all, split evenly where that is even
        strides = list(node.attributes.get("strides", [1] * dims))
        dilations = list(node.attributes.get("dilations", [1] * dims))
        totals = [d * (k - 1) for d, k in zip(dilations, kernel, strict=True)]
        if strides == [1] * dims and all(total % 2 == 0 for total in totals):
            return [total // 2 for total in totals]
    if auto not in ("NOTSET", ""):
        raise SpecError(
            f"`auto_pad` = {auto!r}: symcnn reads it only where it is torch's symmetric `same` "
            "(stride 1, an even total), else explicit `pads`",
            where=node.where,
            field="auto_pad",
        )
    pads = list(node.attributes.get("pads", [0] * 2 * dims))
    if pads[:dims] != pads[dims:]:
        raise SpecError(
            f"`pads` = {pads}: begins and ends differ, which no torch padding argument writes",
            where=node.where,
            field="pads",
        )
    return pads[:dims]


def _add(importer: Importer, node: Node, entry: dict[str, Any], x: Tensor) -> Tensor:
    out = importer.add(entry, node.name, [x])
    return out


def _record(node: Node, row: Tensor, *weights: Initializer | None) -> Tensor:
    node.weights.extend((row.name, weight.numel) for weight in weights if weight is not None)
    return row


def _conv(importer: Importer, node: Node) -> Tensor:
    x, weight = _tensor(node), _weight(node, 1)
    bias = _weight(node, 2, optional=True)
    assert weight is not None
    dims = len(weight.shape) - 2
    transposed = node.op_type == "ConvTranspose"
    groups = int(node.attributes.get("group", 1))
    if transposed and "output_shape" in node.attributes:
        raise SpecError("`output_shape` has no torch argument", where=node.where)
    out = weight.shape[1] * groups if transposed else weight.shape[0]
    arguments: dict[str, Any] = {
        "out_channels": out,
        "kernel_size": list(weight.shape[2:]),
        "stride": list(node.attributes.get("strides", [1] * dims)),
        "padding": _symmetric(node, dims, None if transposed else list(weight.shape[2:])),
        "dilation": list(node.attributes.get("dilations", [1] * dims)),
        "groups": groups,
        "bias": None if bias is not None else False,
    }
    if transposed:
        arguments["output_padding"] = list(node.attributes.get("output_padding", [0] * dims))
    kind = f"{'ConvTranspose' if transposed else 'Conv'}{dims}d"
    return _record(node, _add(importer, node, layer_entry(kind, arguments), x), weight, bias)


def _gemm(importer: Importer, node: Node) -> Tensor:
    x, weight = _tensor(node), _weight(node, 1)
    bias = _weight(node, 2, optional=True)
    assert weight is not None
    attributes = node.attributes
    if (
        attributes.get("transA", 0)
        or attributes.get("alpha", 1.0) != 1.0
        or (attributes.get("beta", 1.0) != 1.0)
    ):
        raise SpecError(
            "symcnn reads Gemm as x·Wᵀ + b (transA 0, alpha and beta 1)", where=node.where
        )
    out = weight.shape[0] if attributes.get("transB", 0) else weight.shape[1]
    entry = layer_entry("Linear", {"out_features": out, "bias": None if bias else False})
    return _record(node, _add(importer, node, entry, x), weight, bias)


def _matmul(importer: Importer, node: Node) -> Tensor:
    """``MatMul`` by a 2-D initializer ``[in, out]`` is a ``Linear`` without bias; an ``Add`` of
    a 1-D initializer right after gives it its bias."""
    x, weight = _tensor(node), _weight(node, 1)
    assert weight is not None
    if len(weight.shape) != 2:
        raise SpecError("symcnn reads MatMul by a 2-D weight only", where=node.where)
    entry = {"type": "linear", "out_features": weight.shape[1], "bias": False}
    row = _record(node, _add(importer, node, entry, x), weight)
    importer.matmuls.add(row.name)
    return row


def _batchnorm(importer: Importer, node: Node) -> Tensor:
    x = _tensor(node)
    weights = [_weight(node, index) for index in range(1, 5)]
    dims = min(max(_spatial(importer, x, node), 1), 3)
    eps = node.attributes.get("epsilon", 1e-5)
    arguments = {"eps": eps if abs(eps - 1e-5) > 1e-12 else None}
    entry = layer_entry(f"BatchNorm{dims}d", arguments)
    return _record(node, _add(importer, node, entry, x), *weights)


def _pool(family: str) -> Handler:
    def handle(importer: Importer, node: Node) -> Tensor:
        x = _tensor(node)
        kernel = list(node.attributes["kernel_shape"])
        dims = len(kernel)
        strides = list(node.attributes.get("strides", [1] * dims))
        arguments: dict[str, Any] = {
            "kernel_size": kernel,
            "stride": None if strides == kernel else strides,
            "padding": _symmetric(node, dims),
            "ceil_mode": bool(node.attributes.get("ceil_mode", 0)),
        }
        if family == "MaxPool":
            arguments["dilation"] = list(node.attributes.get("dilations", [1] * dims))
        else:
            arguments["count_include_pad"] = bool(node.attributes.get("count_include_pad", 0))
        return _add(importer, node, layer_entry(f"{family}{dims}d", arguments), x)

    return handle


def _global(family: str) -> Handler:
    def handle(importer: Importer, node: Node) -> Tensor:
        x = _tensor(node)
        dims = _spatial(importer, x, node)
        entry = {"type": f"adaptive{family}pool{dims}d", "output_size": 1}
        return _add(importer, node, entry, x)

    return handle


def _activation(layer_type: str, **names: str) -> Handler:
    """An op that is a layer; ``names`` maps ONNX attributes to the layer's arguments."""

    def handle(importer: Importer, node: Node) -> Tensor:
        x = _tensor(node)
        arguments = {
            argument: _number(node.attributes[attribute])
            if isinstance(node.attributes[attribute], float)
            else node.attributes[attribute]
            for attribute, argument in names.items()
            if attribute in node.attributes
        }
        return _add(importer, node, layer_entry(layer_type, arguments), x)

    return handle


def _alias(importer: Importer, node: Node) -> Tensor:
    return _tensor(node)


def _dropout(importer: Importer, node: Node) -> Tensor:
    ratio = _constant(node, 1)
    p = node.attributes.get("ratio", 0.5) if ratio is None else ratio
    entry = layer_entry("Dropout", {"p": _number(p)})
    return _add(importer, node, entry, _tensor(node))


def _clip(importer: Importer, node: Node) -> Tensor:
    low = _constant(node, 1) if len(node.inputs) > 1 else node.attributes.get("min")
    high = _constant(node, 2) if len(node.inputs) > 2 else node.attributes.get("max")
    x = _tensor(node)
    if (low, high) == (0, 6):
        return _add(importer, node, {"type": "relu6"}, x)
    if low == 0 and high is None:
        return _add(importer, node, {"type": "relu"}, x)
    if isinstance(low, int | float) and isinstance(high, int | float):
        entry = layer_entry("Hardtanh", {"min_val": _number(low), "max_val": _number(high)})
        return _add(importer, node, entry, x)
    raise SpecError("symcnn reads Clip with constant bounds only", where=node.where)


def _hardsigmoid(importer: Importer, node: Node) -> Tensor:
    alpha, beta = node.attributes.get("alpha", 0.2), node.attributes.get("beta", 0.5)
    if abs(alpha - 1 / 6) > 1e-6 or abs(beta - 0.5) > 1e-6:
        raise SpecError(
            f"HardSigmoid with alpha {alpha}, beta {beta} is not torch's Hardsigmoid (1/6, 0.5)",
            where=node.where,
        )
    return _add(importer, node, {"type": "hardsigmoid"}, _tensor(node))


def _softmax(layer_type: str) -> Handler:
    def handle(importer: Importer, node: Node) -> Tensor:
        axis = int(node.attributes.get("axis", -1))
        if axis == 0:
            raise SpecError("`axis` = 0 is the batch axis", where=node.where, field="axis")
        return _add(importer, node, layer_entry(layer_type, {"dim": axis}), _tensor(node))

    return handle


def _merge(layer_type: str | None) -> Handler:
    """Two tensors: a merge; a tensor and a scalar constant: the same shape; a tensor and a
    larger initializer: that initializer is a ``Parameter`` row (a position embedding)."""

    def handle(importer: Importer, node: Node) -> Tensor:
        a, b = node.input(0), node.input(1)
        if isinstance(a, Tensor) and isinstance(b, Tensor):
            if layer_type is None:
                raise SpecError(
                    "subtracting or dividing two tensors has no symcnn layer", where=node.where
                )
            return importer.add({"type": layer_type}, node.name, [a, b])
        tensor, other = (a, b) if isinstance(a, Tensor) else (b, a)
        if not isinstance(tensor, Tensor):
            raise SpecError("needs a tensor the graph computes", where=node.where)
        if isinstance(other, Initializer) and other.numel > 1:
            if layer_type == "add" and tensor.name in importer.matmuls and len(other.shape) == 1:
                entry = next(e for e in importer.entries if e["name"] == tensor.name)
                if importer.entries[-1] is entry:  # MatMul + Add: a Linear with its bias
                    entry.pop("bias")
                    importer.matmuls.discard(tensor.name)
                    return _record(node, tensor, other)
            if layer_type is None:
                raise SpecError(
                    "subtracting or dividing by a tensor of weights has no symcnn layer",
                    where=node.where,
                )
            rank = len(importer.shape_of(tensor, node.where))
            shape = other.shape
            if len(shape) == rank + 1 and shape[0] == 1:
                shape = shape[1:]
            elif len(shape) > rank:
                raise SpecError(
                    f"the initializer {other.name!r} {list(other.shape)} has more axes than the "
                    "batched tensor it is combined with",
                    where=node.where,
                )
            source = importer.source(Attr(other.name, other.shape, False), shape, node.where)
            _record(node, source, other)
            inputs = [tensor, source] if tensor is a else [source, tensor]
            return importer.add({"type": layer_type}, node.name, inputs)
        value = _constant(node, 1 if tensor is a else 0)
        flat = value if isinstance(value, list) else [value]
        while flat and isinstance(flat[0], list):
            flat = [item for row in flat for item in row]
        if len(flat) != 1 or not isinstance(flat[0], int | float):
            raise SpecError("symcnn reads this op on tensors and scalars", where=node.where)
        return tensor

    return handle


def _concat(importer: Importer, node: Node) -> Any:
    axis = int(node.attributes.get("axis", 0))
    if all(isinstance(value, list) or not isinstance(value, Tensor) for value in node.inputs):
        # a shape being built for a Reshape: Size items and constants
        items: list[Any] = []
        for index in range(len(node.inputs)):
            value = _constant(node, index)
            items.extend(value if isinstance(value, list) else [value])
        return items
    inputs = [_tensor(node, index) for index in range(len(node.inputs))]
    if axis == 0:
        raise SpecError("`axis` = 0 is the batch axis", where=node.where, field="axis")
    entry: dict[str, Any] = {"type": "cat"}
    example = axis - 1 if axis > 0 else axis
    if example != 0:
        entry["dim"] = example
    return importer.add(entry, node.name, inputs)


def _flatten(importer: Importer, node: Node) -> Tensor:
    if int(node.attributes.get("axis", 1)) != 1:
        raise SpecError(
            "symcnn reads Flatten at axis 1 only (the batch stays)", where=node.where, field="axis"
        )
    return _add(importer, node, {"type": "flatten"}, _tensor(node))


def _shape(importer: Importer, node: Node) -> Shape:
    if node.attributes.get("start", 0) or "end" in node.attributes:
        raise SpecError("symcnn reads Shape of the whole tensor only", where=node.where)
    return Shape(_tensor(node))


def _gather(importer: Importer, node: Node) -> Any:
    shape, index = node.input(0), _constant(node, 1)
    if isinstance(shape, Shape) and isinstance(index, int):
        return Size(shape.tensor, index)
    raise SpecError("symcnn reads Gather only of a Shape by a constant index", where=node.where)


def _unsqueeze(importer: Importer, node: Node) -> Any:
    value = node.input(0)
    if isinstance(value, Size):
        return [value]
    if isinstance(value, Tensor):
        raise SpecError("unsqueezing a tensor has no symcnn layer", where=node.where)
    constant = _constant(node, 0)
    return constant if isinstance(constant, list) else [constant]


def _reshape(importer: Importer, node: Node) -> Tensor:
    x = _tensor(node)
    sizes = _constant(node, 1)
    if not isinstance(sizes, list) or not sizes:
        raise SpecError("symcnn reads Reshape to a shape known when read", where=node.where)
    batch, rest = sizes[0], sizes[1:]
    is_batch = (isinstance(batch, Size) and batch.dim == 0) or batch == 0
    if not is_batch and not (batch == -1 and -1 not in rest):
        raise SpecError(
            f"the first size of the new shape must be the batch, got {batch!r}", where=node.where
        )
    if not rest:
        raise SpecError("would merge the batch axis into the example", where=node.where)
    if rest == [-1]:
        return _add(importer, node, {"type": "flatten"}, x)
    example = importer.shape_of(x, node.where)
    shape: list[Any] = []
    for position, size in enumerate(rest):
        if size == 0:  # ONNX: copy the input's size
            size = example[position]
            shape.append(int(size) if size.is_Integer else str(size))
        elif isinstance(size, int):
            shape.append(size)
        else:
            raise SpecError(f"cannot read the size {size!r} of a new shape", where=node.where)
    return _add(importer, node, {"type": "reshape", "shape": shape}, x)


def _transpose(importer: Importer, node: Node) -> Any:
    perm = list(node.attributes.get("perm", []))
    weight = node.input(0)
    if isinstance(weight, Initializer):  # a weight transposed in the graph (no constant folding)
        perm = perm or list(reversed(range(len(weight.shape))))
        return Initializer(weight.name, tuple(weight.shape[axis] for axis in perm), weight.proto)
    if not perm or perm[0] != 0:
        raise SpecError(f"`perm` = {perm} moves the batch axis", where=node.where, field="perm")
    return _add(importer, node, {"type": "permute", "dims": perm}, _tensor(node))


def _pad(importer: Importer, node: Node) -> Tensor:
    x = _tensor(node)
    pads = _constant(node, 1) if len(node.inputs) > 1 else node.attributes.get("pads")
    value = _constant(node, 2) if len(node.inputs) > 2 else node.attributes.get("value", 0)
    rank = len(importer.shape_of(x, node.where)) + 1
    if not isinstance(pads, list) or len(pads) != 2 * rank or len(node.inputs) > 3:
        raise SpecError("symcnn reads Pad with constant `pads` of every axis", where=node.where)
    begins, ends = pads[:rank], pads[rank:]
    if begins[:2] != [0, 0] or ends[:2] != [0, 0]:
        raise SpecError("padding the batch or the channels has no symcnn layer", where=node.where)
    dims = rank - 2
    padding: list[int] = []
    for axis in reversed(range(2, rank)):  # torch lists the last axis first
        padding.extend([begins[axis], ends[axis]])
    mode = node.attributes.get("mode", "constant")
    value = value[0] if isinstance(value, list) and value else value or 0
    if mode == "constant":
        entry: dict[str, Any] = (
            {"type": f"zeropad{dims}d", "padding": padding}
            if value == 0
            else {"type": f"constantpad{dims}d", "padding": padding, "value": _number(value)}
        )
    elif mode in ("reflect", "edge"):
        family = "reflectionpad" if mode == "reflect" else "replicationpad"
        entry = {"type": f"{family}{dims}d", "padding": padding}
    else:
        raise SpecError(f"`mode` = {mode!r} has no symcnn layer", where=node.where, field="mode")
    return _add(importer, node, entry, x)


_LINEAR_MODES = {1: "linear", 2: "bilinear", 3: "trilinear"}


def _resize(importer: Importer, node: Node) -> Tensor:
    x = _tensor(node)
    dims = _spatial(importer, x, node)
    scales = _constant(node, 2) if len(node.inputs) > 2 else None
    sizes = _constant(node, 3) if len(node.inputs) > 3 else None
    mode = node.attributes.get("mode", "nearest")
    modes = {"nearest": "nearest", "linear": _LINEAR_MODES.get(dims), "cubic": "bicubic"}
    if modes.get(mode) is None:
        raise SpecError(f"`mode` = {mode!r} has no torch Upsample mode", where=node.where)
    arguments: dict[str, Any] = {"mode": modes[mode]}
    if isinstance(scales, list) and scales:
        if scales[:2] != [1.0, 1.0]:
            raise SpecError("resizing the batch or the channels has no layer", where=node.where)
        arguments["scale_factor"] = [_number(scale) for scale in scales[2:]]
    elif isinstance(sizes, list) and all(isinstance(size, int) for size in sizes):
        arguments["size"] = sizes[2:]
    else:
        raise SpecError("symcnn reads Resize with constant scales or sizes", where=node.where)
    if mode != "nearest":
        transform = node.attributes.get("coordinate_transformation_mode", "half_pixel")
        arguments["align_corners"] = transform == "align_corners"
    return _add(importer, node, layer_entry("Upsample", arguments), x)


#: ONNX op_type -> handler
OPS: dict[str, Handler] = {
    "Conv": _conv,
    "ConvTranspose": _conv,
    "Gemm": _gemm,
    "MatMul": _matmul,
    "BatchNormalization": _batchnorm,
    "MaxPool": _pool("MaxPool"),
    "AveragePool": _pool("AvgPool"),
    "GlobalAveragePool": _global("avg"),
    "GlobalMaxPool": _global("max"),
    "Relu": _activation("ReLU"),
    "Sigmoid": _activation("Sigmoid"),
    "Tanh": _activation("Tanh"),
    "LeakyRelu": _activation("LeakyReLU", alpha="negative_slope"),
    "Elu": _activation("ELU", alpha="alpha"),
    "Celu": _activation("CELU", alpha="alpha"),
    "Selu": _activation("SELU"),
    "Softplus": _activation("Softplus"),
    "Softsign": _activation("Softsign"),
    "HardSwish": _activation("Hardswish"),
    "HardSigmoid": _hardsigmoid,
    "Gelu": _activation("GELU", approximate="approximate"),
    "Mish": _activation("Mish"),
    "Clip": _clip,
    "Softmax": _softmax("Softmax"),
    "LogSoftmax": _softmax("LogSoftmax"),
    "Identity": _alias,
    "Dropout": _dropout,
    "Add": _merge("add"),
    "Mul": _merge("mul"),
    "Sub": _merge(None),
    "Div": _merge(None),
    "Concat": _concat,
    "Flatten": _flatten,
    "Shape": _shape,
    "Gather": _gather,
    "Unsqueeze": _unsqueeze,
    "Reshape": _reshape,
    "Transpose": _transpose,
    "Pad": _pad,
    "Resize": _resize,
}
