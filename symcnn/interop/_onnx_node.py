"""An ONNX node as the op handlers see it (:class:`Node`, :class:`Initializer`) and the helpers
they share: its inputs as tensors, weights and constants, and the entry it adds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import SpecError
from ._extras import require
from ._importer import Importer, Shape, Size, Tensor, Unread

__all__ = ["Directions", "Handler", "Initializer", "Node", "Permuted", "Weights", "Zeros"]


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


@dataclass(frozen=True)
class Weights:
    """A weight the graph computes from initializers (torch's exporter slices an RNN's gates into
    ONNX's order, concatenates its two bias vectors and stacks its directions): its shape and the
    initializers it reads."""

    shape: tuple[int, ...]
    parts: tuple[Initializer, ...]


@dataclass(frozen=True)
class Permuted:
    """A tensor whose batch axis is not first: ONNX axis ``i`` is axis ``order[i]`` of the
    batch-first tensor ``tensor`` (a recurrent layer's time-major ``[L, N, F]`` is ``(1, 0, 2)``).
    Only the recurrent ops, ``Transpose``, ``Shape`` and the graph's output read one."""

    tensor: Tensor
    order: tuple[int, ...]
    #: a Transpose of a batch-first tensor made it (torch's ``batch_first=True``)
    batch_first: bool = False

    def __repr__(self) -> str:
        order = list(self.order)
        return f"the output of {self.tensor.name!r} with its batch axis moved (order {order})"

    @property
    def same_example(self) -> bool:
        """Whether only the batch axis moved (one example is the tensor's own example)."""
        rest = [axis for axis in self.order if axis != 0]
        return rest == sorted(rest)


@dataclass(frozen=True)
class Directions:
    """A recurrent op's ``Y``: ``[L, D, N, H]`` (``batch_axis`` 2), or ``[L, N, D, H]`` after
    torch's ``Transpose`` (``batch_axis`` 1), of the row ``tensor`` (its example ``[L, D·H]``)."""

    tensor: Tensor
    directions: int
    hidden: int
    batch_axis: int

    def __repr__(self) -> str:
        return f"the output Y of {self.tensor.name!r} in ONNX's [L, D, N, H] order"


@dataclass(frozen=True)
class Zeros:
    """``ConstantOfShape`` of zeros (a recurrent layer's initial state): its sizes, numbers and
    :class:`~._importer.Size` items."""

    shape: tuple[Any, ...]


@dataclass
class Node:
    """One ONNX node: its op, row name, inputs, attributes, where (for errors), and the weights
    it read (row, initializer, numbers)."""

    op_type: str
    name: str
    inputs: list[Any]
    attributes: dict[str, Any]
    where: str
    weights: list[tuple[str, str, int]] = field(default_factory=list)
    #: a recurrent node that is the next layer of the row the one before it made (torch's
    #: ``num_layers``)
    continues: bool = False

    def input(self, index: int) -> Any:
        return self.inputs[index] if index < len(self.inputs) else None


Handler = Callable[[Importer, Node], Any]


def tensor_in(node: Node, index: int = 0) -> Tensor:
    value = node.input(index)
    if isinstance(value, Permuted | Directions):
        raise SpecError(
            f"input {index} is a tensor whose batch axis is not first (a recurrent layer's "
            "time-major sequence); symcnn reads one only into LSTM, GRU and RNN, or back to "
            "batch-first with a Transpose",
            where=node.where,
        )
    if isinstance(value, Unread):
        raise SpecError(
            f"input {index} is {value!r}, which symcnn does not describe", where=node.where
        )
    if isinstance(value, Initializer | Weights):
        what = f"the initializer {value.name!r}" if isinstance(value, Initializer) else "weights"
        raise SpecError(
            f"input {index} is {what}, where symcnn reads a tensor the graph computes (a "
            "learned tensor used as a value has no symcnn layer here)",
            where=node.where,
        )
    if not isinstance(value, Tensor):
        raise SpecError(f"input {index} must be a tensor the graph computes", where=node.where)
    return value


def weights_in(node: Node, index: int, optional: bool = False) -> Weights | None:
    """An input that is an initializer or a weight computed from initializers."""
    value = node.input(index)
    if value is None and optional:
        return None
    if isinstance(value, Initializer):
        return Weights(value.shape, (value,))
    if not isinstance(value, Weights):
        raise SpecError(
            f"input {index} must be weights (initializers, sliced or stacked) symcnn can size",
            where=node.where,
        )
    return value


def weight_in(node: Node, index: int, optional: bool = False) -> Initializer | None:
    value = node.input(index)
    if value is None and optional:
        return None
    if not isinstance(value, Initializer):
        raise SpecError(
            f"input {index} must be an initializer (a weight symcnn can size)", where=node.where
        )
    return value


def constant_in(node: Node, index: int) -> Any:
    """A constant input as a list of numbers (a Constant node or an initializer), or ``None``."""
    value = node.input(index)
    if isinstance(value, Initializer):
        return require("onnx.numpy_helper").to_array(value.proto).tolist()
    if value is None or isinstance(value, Tensor | Shape | Size | list):
        return value
    return value.tolist()  # a numpy array from a Constant node


def number(value: float) -> int | float:
    """A float attribute as written: ``2.0`` -> ``2``; float32's ``0.1666...67`` stays."""
    return int(value) if float(value).is_integer() else float(value)


def spatial(importer: Importer, x: Tensor, node: Node) -> int:
    return len(importer.shape_of(x, node.where)) - 1


def symmetric(node: Node, dims: int, kernel: list[int] | None = None) -> list[int]:
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


def add(importer: Importer, node: Node, entry: dict[str, Any], x: Tensor) -> Tensor:
    out = importer.add(entry, node.name, [x])
    return out


def record(node: Node, row: Tensor, *weights: Initializer | Weights | None) -> Tensor:
    """Note that ``row`` reads ``weights`` (each initializer once, however often it is sliced)."""
    seen: set[str] = set()
    for weight in weights:
        for part in weight.parts if isinstance(weight, Weights) else (weight,) if weight else ():
            if part.name not in seen:
                seen.add(part.name)
                node.weights.append((row.name, part.name, part.numel))
    return row
