"""An ONNX node as the op handlers see it (:class:`Node`, :class:`Initializer`) and the helpers
they share: its inputs as tensors, weights and constants, and the entry it adds."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import SpecError
from ._extras import require
from ._importer import Importer, Shape, Size, Tensor

__all__ = ["Handler", "Initializer", "Node"]


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


def tensor_in(node: Node, index: int = 0) -> Tensor:
    value = node.input(index)
    if not isinstance(value, Tensor):
        raise SpecError(f"input {index} must be a tensor the graph computes", where=node.where)
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


def record(node: Node, row: Tensor, *weights: Initializer | None) -> Tensor:
    node.weights.extend((row.name, weight.numel) for weight in weights if weight is not None)
    return row
