"""The ONNX ops that move axes or build shapes: ``Concat``, ``Flatten``, ``Reshape`` (and the
``Shape`` -> ``Gather`` -> ``Unsqueeze`` -> ``Concat`` chain that computes its batch size),
``Transpose``, ``Pad`` and ``Resize``."""

from __future__ import annotations

from typing import Any

from ..errors import SpecError
from ._importer import Importer, Shape, Size, Tensor, Unread
from ._onnx_node import (
    Directions,
    Initializer,
    Node,
    Permuted,
    Weights,
    add,
    constant_in,
    number,
    record,
    spatial,
    tensor_in,
    weights_in,
)
from ._torch_ops import layer_entry

__all__ = ["SHAPE_OPS"]


def _concat(importer: Importer, node: Node) -> Any:
    axis = int(node.attributes.get("axis", 0))
    if any(isinstance(value, Initializer | Weights) for value in node.inputs):
        return _concat_weights(node, axis)
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


def _concat_weights(node: Node, axis: int) -> Weights:
    """Weights joined along ``axis`` (an RNN's gates, bias vectors or directions)."""
    pieces = [weights_in(node, index) for index in range(len(node.inputs))]
    shapes = [piece.shape for piece in pieces if piece is not None]
    rank = len(shapes[0])
    axis = axis % rank if rank else 0
    rest = {shape[:axis] + shape[axis + 1 :] for shape in shapes}
    if len(rest) != 1 or any(len(shape) != rank for shape in shapes):
        raise SpecError(f"cannot join weights of shapes {shapes} on axis {axis}", where=node.where)
    shape = (*shapes[0][:axis], sum(shape[axis] for shape in shapes), *shapes[0][axis + 1 :])
    parts = tuple(part for piece in pieces if piece is not None for part in piece.parts)
    return Weights(shape, parts)


def _flatten(importer: Importer, node: Node) -> Tensor:
    if int(node.attributes.get("axis", 1)) != 1:
        raise SpecError(
            "symcnn reads Flatten at axis 1 only (the batch stays)", where=node.where, field="axis"
        )
    return add(importer, node, {"type": "flatten"}, tensor_in(node))


def _shape(importer: Importer, node: Node) -> Any:
    if node.attributes.get("start", 0) or "end" in node.attributes:
        raise SpecError("symcnn reads Shape of the whole tensor only", where=node.where)
    value = node.input(0)
    if isinstance(value, Permuted):  # the sizes in the tensor's order, torch's dim of each
        return [Size(value.tensor, axis) for axis in value.order]
    return Shape(tensor_in(node))


def _gather(importer: Importer, node: Node) -> Any:
    table = node.input(0)
    if isinstance(table, Initializer) and isinstance(node.input(1), Tensor):
        # rows of a weight table picked by token ids: an embedding
        if len(table.shape) != 2 or int(node.attributes.get("axis", 0)) != 0:
            raise SpecError("symcnn reads Gather of a 2-D table's rows only", where=node.where)
        arguments = {"num_embeddings": table.shape[0], "embedding_dim": table.shape[1]}
        row = add(importer, node, layer_entry("Embedding", arguments), tensor_in(node, 1))
        return record(node, row, table)
    shape, index = node.input(0), constant_in(node, 1)
    if isinstance(shape, Shape) and isinstance(index, int):
        return Size(shape.tensor, index)
    if isinstance(shape, list) and isinstance(index, int) and -len(shape) <= index < len(shape):
        return shape[index]
    if isinstance(shape, Unread):
        tensor_in(node)  # refused for what it is
    raise SpecError("symcnn reads Gather only of a Shape by a constant index", where=node.where)


def _unsqueeze(importer: Importer, node: Node) -> Any:
    value = node.input(0)
    if isinstance(value, Size):
        return [value]
    if isinstance(value, Initializer | Weights):
        weights = weights_in(node, 0)
        axes = constant_in(node, 1) if len(node.inputs) > 1 else node.attributes.get("axes")
        assert weights is not None
        if not isinstance(axes, list):
            raise SpecError("symcnn reads Unsqueeze by constant axes", where=node.where)
        shape = list(weights.shape)
        rank = len(shape) + len(axes)
        for axis in sorted(axis % rank for axis in axes):
            shape.insert(axis, 1)
        return Weights(tuple(shape), weights.parts)
    if isinstance(value, Tensor):
        raise SpecError("unsqueezing a tensor has no symcnn layer", where=node.where)
    constant = constant_in(node, 0)
    return constant if isinstance(constant, list) else [constant]


def _reshape(importer: Importer, node: Node) -> Any:
    sizes = constant_in(node, 1)
    value = node.input(0)
    if isinstance(value, Directions) and value.batch_axis == 1:
        # [L, N, D, H] -> [L, N, D·H]: the recurrent row's output, time first
        if isinstance(sizes, list) and sizes[:2] == [0, 0] and len(sizes) == 3:
            if sizes[2] in (-1, value.directions * value.hidden):
                return Permuted(value.tensor, (1, 0, 2))
    x = tensor_in(node)
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
    value = node.input(0)
    if isinstance(value, Initializer):  # a weight transposed in the graph (no constant folding)
        perm = perm or list(reversed(range(len(value.shape))))
        return Initializer(value.name, tuple(value.shape[axis] for axis in perm), value.proto)
    if isinstance(value, Weights):
        perm = perm or list(reversed(range(len(value.shape))))
        return Weights(tuple(value.shape[axis] for axis in perm), value.parts)
    if isinstance(value, Directions):
        if perm == [0, 2, 1, 3] and value.batch_axis == 2:
            return Directions(value.tensor, value.directions, value.hidden, 1)
        raise SpecError(
            f"`perm` = {perm} of a recurrent output: symcnn reads torch's [0, 2, 1, 3]",
            where=node.where,
            field="perm",
        )
    if isinstance(value, Permuted):
        tensor, order = value.tensor, value.order
    else:
        tensor = tensor_in(node)
        order = tuple(range(len(importer.shape_of(tensor, node.where)) + 1))
    perm = perm or list(reversed(range(len(order))))
    if sorted(perm) != list(range(len(order))):
        raise SpecError(f"`perm` = {perm} is not a permutation of the axes", where=node.where)
    moved = tuple(order[axis] for axis in perm)
    if moved == tuple(range(len(moved))):
        return tensor
    if moved[0] != 0:  # the batch moved: a time-major sequence, for a recurrent op to read
        return Permuted(tensor, moved, batch_first=not isinstance(value, Permuted))
    return add(importer, node, {"type": "permute", "dims": list(moved)}, tensor)


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
