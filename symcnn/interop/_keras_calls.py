"""A functional Keras model's calls, in an order where each reads only earlier ones.

A functional config lists each layer once with its ``inbound_nodes``: one node per call (a
layer called twice shares its weights). A call reads tensors named by ``keras_history``
``[layer, node, tensor]``. The calls are put in the config's order as far as their inputs allow,
and a layer's later call after its earlier one, so that a shared call names a layer already read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import SpecError
from ..layers import Where

__all__ = ["Call", "calls", "history", "parts"]

#: keyword arguments of a call that carry further input tensors, in Keras's order
_TENSOR_KWARGS = ("query", "value", "key")

#: a call's output: the layer's name and the node (call) index
Key = tuple[str, int]


@dataclass(frozen=True)
class Call:
    """One call of a layer: its config, which call it is (``node``) and what it reads."""

    index: int
    kind: str
    name: str
    config: Mapping[str, Any]
    node: int
    sources: tuple[Key, ...]

    @property
    def where(self) -> Where:
        return Where(self.index, self.name, self.kind)


def parts(layer: Any, index: int) -> tuple[str, Mapping[str, Any]]:
    """A layer config's class name and its own config."""
    if not isinstance(layer, Mapping) or not isinstance(layer.get("class_name"), str):
        raise SpecError(f"layers[{index}]: expected a layer config with class_name and config")
    config = layer.get("config")
    return layer["class_name"], config if isinstance(config, Mapping) else {}


def layer_name(layer: Mapping[str, Any], config: Mapping[str, Any], index: int) -> str:
    return str(layer.get("name") or config.get("name") or f"layer{index}")


def calls(layers: Sequence[Any], inputs: Sequence[str]) -> list[Call]:
    """Every call of the model's layers but its inputs, each after the calls it reads."""
    pending: list[Call] = []
    for index, layer in enumerate(layers):
        kind, config = parts(layer, index)
        if kind == "InputLayer":
            continue
        name = layer_name(layer, config, index)
        nodes = layer.get("inbound_nodes")
        where = Where(index, name, kind)
        if not isinstance(nodes, list) or not nodes:
            raise SpecError(
                "is never called in the model (no inbound_nodes)",
                where=where,
                field="inbound_nodes",
            )
        for node, inbound in enumerate(nodes):
            sources = tuple(_sources(inbound, where))
            pending.append(Call(index, kind, name, config, node, sources))
    done: set[Key] = {(name, 0) for name in inputs}
    ordered: list[Call] = []
    while pending:
        waiting = []
        for call in pending:
            earlier = call.node == 0 or (call.name, call.node - 1) in done
            if earlier and all(source in done for source in call.sources):
                ordered.append(call)
                done.add((call.name, call.node))
            else:
                waiting.append(call)
        if len(waiting) == len(pending):
            call = waiting[0]
            missing = [s for s in call.sources if s not in done]
            shown = f"{missing[0][0]!r} (call {missing[0][1]})" if missing else "an earlier call"
            raise SpecError(
                f"reads {shown}, which no layer of the model makes",
                where=call.where,
                field="inbound_nodes",
            )
        pending = waiting
    return ordered


def _sources(node: Any, where: Where) -> list[Key]:
    """The calls one call reads, in call order."""
    tensors: list[Any] = []
    if isinstance(node, Mapping):  # Keras 3: {"args": [...], "kwargs": {...}}
        kwargs = node.get("kwargs") or {}
        for arg in node.get("args") or []:
            tensors.extend(arg if isinstance(arg, list) else [arg])
        tensors.extend(kwargs[key] for key in _TENSOR_KWARGS if key in kwargs)
        found = []
        for tensor in tensors:
            config = tensor.get("config") if isinstance(tensor, Mapping) else None
            entry = config.get("keras_history") if isinstance(config, Mapping) else None
            if isinstance(entry, list) and len(entry) == 3:
                found.append(history(entry, where))
            # anything else is a constant argument, not a tensor
        return found
    if isinstance(node, list):  # tf.keras 2: [[name, node_index, tensor_index, kwargs], ...]
        return [history(list(entry[:3]), where) for entry in node if isinstance(entry, list)]
    raise SpecError(f"inbound node {node!r} is not a Keras call", where=where)


def history(entry: list[Any], where: Where) -> Key:
    """The call a ``[layer, node, tensor]`` reference reads; a second output is refused."""
    if len(entry) != 3:
        raise SpecError(
            f"keras_history {entry!r}: expected [layer, node, tensor]",
            where=where,
            field="inbound_nodes",
        )
    source, node, tensor = entry
    if not isinstance(node, int) or isinstance(node, bool) or node < 0:
        raise SpecError(f"reads {source!r} at node {node!r}", where=where, field="inbound_nodes")
    if tensor != 0:
        raise SpecError(
            f"reads {source!r} (call {node}, output {tensor}): symcnn reads a layer's single "
            "output",
            where=where,
            field="inbound_nodes",
        )
    return str(source), node
