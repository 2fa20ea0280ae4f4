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

from typing import Any

from ..errors import SpecError
from ._importer import Attr, Importer, Tensor
from ._onnx_node import (
    Handler,
    Initializer,
    Node,
    add,
    constant_in,
    number,
    record,
    spatial,
    symmetric,
    tensor_in,
    weight_in,
)
from ._onnx_recurrent import RECURRENT_OPS
from ._onnx_shapes import SHAPE_OPS
from ._torch_ops import layer_entry

__all__ = ["OPS", "Initializer", "Node"]


def _conv(importer: Importer, node: Node) -> Tensor:
    x, weight = tensor_in(node), weight_in(node, 1)
    bias = weight_in(node, 2, optional=True)
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
        "padding": symmetric(node, dims, None if transposed else list(weight.shape[2:])),
        "dilation": list(node.attributes.get("dilations", [1] * dims)),
        "groups": groups,
        "bias": None if bias is not None else False,
    }
    if transposed:
        arguments["output_padding"] = list(node.attributes.get("output_padding", [0] * dims))
    kind = f"{'ConvTranspose' if transposed else 'Conv'}{dims}d"
    return record(node, add(importer, node, layer_entry(kind, arguments), x), weight, bias)


def _gemm(importer: Importer, node: Node) -> Tensor:
    x, weight = tensor_in(node), weight_in(node, 1)
    bias = weight_in(node, 2, optional=True)
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
    return record(node, add(importer, node, entry, x), weight, bias)


def _matmul(importer: Importer, node: Node) -> Tensor:
    """``MatMul`` by a 2-D initializer ``[in, out]`` is a ``Linear`` without bias; an ``Add`` of
    a 1-D initializer right after gives it its bias."""
    x, weight = tensor_in(node), weight_in(node, 1)
    assert weight is not None
    if len(weight.shape) != 2:
        raise SpecError("symcnn reads MatMul by a 2-D weight only", where=node.where)
    entry = {"type": "linear", "out_features": weight.shape[1], "bias": False}
    row = record(node, add(importer, node, entry, x), weight)
    importer.matmuls.add(row.name)
    return row


def _batchnorm(importer: Importer, node: Node) -> Tensor:
    x = tensor_in(node)
    weights = [weight_in(node, index) for index in range(1, 5)]
    dims = min(max(spatial(importer, x, node), 1), 3)
    eps = node.attributes.get("epsilon", 1e-5)
    arguments = {"eps": eps if abs(eps - 1e-5) > 1e-12 else None}
    entry = layer_entry(f"BatchNorm{dims}d", arguments)
    return record(node, add(importer, node, entry, x), *weights)


def _pool(family: str) -> Handler:
    def handle(importer: Importer, node: Node) -> Tensor:
        x = tensor_in(node)
        kernel = list(node.attributes["kernel_shape"])
        dims = len(kernel)
        strides = list(node.attributes.get("strides", [1] * dims))
        arguments: dict[str, Any] = {
            "kernel_size": kernel,
            "stride": None if strides == kernel else strides,
            "padding": symmetric(node, dims),
            "ceil_mode": bool(node.attributes.get("ceil_mode", 0)),
        }
        if family == "MaxPool":
            arguments["dilation"] = list(node.attributes.get("dilations", [1] * dims))
        else:
            arguments["count_include_pad"] = bool(node.attributes.get("count_include_pad", 0))
        return add(importer, node, layer_entry(f"{family}{dims}d", arguments), x)

    return handle


def _global(family: str) -> Handler:
    def handle(importer: Importer, node: Node) -> Tensor:
        x = tensor_in(node)
        dims = spatial(importer, x, node)
        entry = {"type": f"adaptive{family}pool{dims}d", "output_size": 1}
        return add(importer, node, entry, x)

    return handle


def _activation(layer_type: str, **names: str) -> Handler:
    """An op that is a layer; ``names`` maps ONNX attributes to the layer's arguments."""

    def handle(importer: Importer, node: Node) -> Tensor:
        x = tensor_in(node)
        arguments = {
            argument: number(node.attributes[attribute])
            if isinstance(node.attributes[attribute], float)
            else node.attributes[attribute]
            for attribute, argument in names.items()
            if attribute in node.attributes
        }
        return add(importer, node, layer_entry(layer_type, arguments), x)

    return handle


def _alias(importer: Importer, node: Node) -> Tensor:
    return tensor_in(node)


def _dropout(importer: Importer, node: Node) -> Tensor:
    ratio = constant_in(node, 1)
    p = node.attributes.get("ratio", 0.5) if ratio is None else ratio
    entry = layer_entry("Dropout", {"p": number(p)})
    return add(importer, node, entry, tensor_in(node))


def _clip(importer: Importer, node: Node) -> Tensor:
    low = constant_in(node, 1) if len(node.inputs) > 1 else node.attributes.get("min")
    high = constant_in(node, 2) if len(node.inputs) > 2 else node.attributes.get("max")
    x = tensor_in(node)
    if (low, high) == (0, 6):
        return add(importer, node, {"type": "relu6"}, x)
    if low == 0 and high is None:
        return add(importer, node, {"type": "relu"}, x)
    if isinstance(low, int | float) and isinstance(high, int | float):
        entry = layer_entry("Hardtanh", {"min_val": number(low), "max_val": number(high)})
        return add(importer, node, entry, x)
    raise SpecError("symcnn reads Clip with constant bounds only", where=node.where)


def _hardsigmoid(importer: Importer, node: Node) -> Tensor:
    alpha, beta = node.attributes.get("alpha", 0.2), node.attributes.get("beta", 0.5)
    if abs(alpha - 1 / 6) > 1e-6 or abs(beta - 0.5) > 1e-6:
        raise SpecError(
            f"HardSigmoid with alpha {alpha}, beta {beta} is not torch's Hardsigmoid (1/6, 0.5)",
            where=node.where,
        )
    return add(importer, node, {"type": "hardsigmoid"}, tensor_in(node))


def _softmax(layer_type: str) -> Handler:
    def handle(importer: Importer, node: Node) -> Tensor:
        axis = int(node.attributes.get("axis", -1))
        if axis == 0:
            raise SpecError("`axis` = 0 is the batch axis", where=node.where, field="axis")
        return add(importer, node, layer_entry(layer_type, {"dim": axis}), tensor_in(node))

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
                    return record(node, tensor, other)
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
            record(node, source, other)
            inputs = [tensor, source] if tensor is a else [source, tensor]
            return importer.add({"type": layer_type}, node.name, inputs)
        value = constant_in(node, 1 if tensor is a else 0)
        flat = value if isinstance(value, list) else [value]
        while flat and isinstance(flat[0], list):
            flat = [item for row in flat for item in row]
        if len(flat) != 1 or not isinstance(flat[0], int | float):
            raise SpecError("symcnn reads this op on tensors and scalars", where=node.where)
        return tensor

    return handle


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
    **SHAPE_OPS,
    **RECURRENT_OPS,
}
