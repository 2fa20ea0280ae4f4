"""The ONNX ops that move axes or build shapes: ``Concat``, ``Flatten``, ``Reshape`` (and the
``Shape`` -> ``Gather`` -> ``Unsqueeze`` -> ``Concat`` chain that computes its batch size),
``Transpose``, ``Pad`` and ``Resize``."""

from __future__ import annotations

from typing import Any

from ..errors import SpecError
from ._importer import Importer, Shape, Size, Tensor
from ._onnx_node import Initializer, Node, add, constant_in, number, spatial, tensor_in
from ._torch_ops import layer_entry

__all__ = ["SHAPE_OPS"]


def _concat(importer: Importer, node: Node) -> Any:
    axis = int(node.attributes.get("axis", 0))
    if all(isinstance(value, list) or not isinstance(value, Tensor) for value in node.inputs):
        # a shape being built for a Reshape: Size items and constants
        items: list[Any] = []
        for index in range(len(node.inputs)):
            value = constant_in(node, index)
            items.extend(value if isinstance(value, list) else [value])
        return items
    inputs = [tensor_in(node, index) for index in range(len(node.inputs))]
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
    return add(importer, node, {"type": "flatten"}, tensor_in(node))


def _shape(importer: Importer, node: Node) -> Shape:
    if node.attributes.get("start", 0) or "end" in node.attributes:
        raise SpecError("symcnn reads Shape of the whole tensor only", where=node.where)
    return Shape(tensor_in(node))


def _gather(importer: Importer, node: Node) -> Any:
    shape, index = node.input(0), constant_in(node, 1)
    if isinstance(shape, Shape) and isinstance(index, int):
        return Size(shape.tensor, index)
    raise SpecError("symcnn reads Gather only of a Shape by a constant index", where=node.where)


def _unsqueeze(importer: Importer, node: Node) -> Any:
    value = node.input(0)
    if isinstance(value, Size):
        return [value]
    if isinstance(value, Tensor):
        raise SpecError("unsqueezing a tensor has no symcnn layer", where=node.where)
    constant = constant_in(node, 0)
    return constant if isinstance(constant, list) else [constant]


def _reshape(importer: Importer, node: Node) -> Tensor:
    x = tensor_in(node)
    sizes = constant_in(node, 1)
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
        return add(importer, node, {"type": "flatten"}, x)
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
    return add(importer, node, {"type": "reshape", "shape": shape}, x)


def _transpose(importer: Importer, node: Node) -> Any:
    perm = list(node.attributes.get("perm", []))
    weight = node.input(0)
    if isinstance(weight, Initializer):  # a weight transposed in the graph (no constant folding)
        perm = perm or list(reversed(range(len(weight.shape))))
        return Initializer(weight.name, tuple(weight.shape[axis] for axis in perm), weight.proto)
    if not perm or perm[0] != 0:
        raise SpecError(f"`perm` = {perm} moves the batch axis", where=node.where, field="perm")
    return add(importer, node, {"type": "permute", "dims": perm}, tensor_in(node))


def _pad(importer: Importer, node: Node) -> Tensor:
    x = tensor_in(node)
    pads = constant_in(node, 1) if len(node.inputs) > 1 else node.attributes.get("pads")
    value = constant_in(node, 2) if len(node.inputs) > 2 else node.attributes.get("value", 0)
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
            else {"type": f"constantpad{dims}d", "padding": padding, "value": number(value)}
        )
    elif mode in ("reflect", "edge"):
        family = "reflectionpad" if mode == "reflect" else "replicationpad"
        entry = {"type": f"{family}{dims}d", "padding": padding}
    else:
        raise SpecError(f"`mode` = {mode!r} has no symcnn layer", where=node.where, field="mode")
    return add(importer, node, entry, x)


_LINEAR_MODES = {1: "linear", 2: "bilinear", 3: "trilinear"}


def _resize(importer: Importer, node: Node) -> Tensor:
    x = tensor_in(node)
    dims = spatial(importer, x, node)
    scales = constant_in(node, 2) if len(node.inputs) > 2 else None
    sizes = constant_in(node, 3) if len(node.inputs) > 3 else None
    mode = node.attributes.get("mode", "nearest")
    modes = {"nearest": "nearest", "linear": _LINEAR_MODES.get(dims), "cubic": "bicubic"}
    if modes.get(mode) is None:
        raise SpecError(f"`mode` = {mode!r} has no torch Upsample mode", where=node.where)
    arguments: dict[str, Any] = {"mode": modes[mode]}
    if isinstance(scales, list) and scales:
        if scales[:2] != [1.0, 1.0]:
            raise SpecError("resizing the batch or the channels has no layer", where=node.where)
        arguments["scale_factor"] = [number(scale) for scale in scales[2:]]
    elif isinstance(sizes, list) and all(isinstance(size, int) for size in sizes):
        arguments["size"] = sizes[2:]
    else:
        raise SpecError("symcnn reads Resize with constant scales or sizes", where=node.where)
    if mode != "nearest":
        transform = node.attributes.get("coordinate_transformation_mode", "half_pixel")
        arguments["align_corners"] = transform == "align_corners"
    return add(importer, node, layer_entry("Upsample", arguments), x)


#: ONNX op_type -> handler, for the ops of this module
SHAPE_OPS = {
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
