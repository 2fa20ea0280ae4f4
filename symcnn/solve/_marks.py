"""'?' in specs: every bare ``?`` in a spec document becomes a named unknown (the solver's first
step, :func:`mark_unknowns`)."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["mark_unknowns"]


#: keys of an entry that name things rather than give values: never an unknown
_NOT_MARKED = ("type", "name", "from", "block", "shares")


def _identifier(text: str) -> str:
    name = re.sub(r"\W", "_", text).strip("_") or "layer"
    return name if name[0].isalpha() else f"L{name}"


def mark_unknowns(document: Any) -> tuple[Any, tuple[str, ...]]:
    """Replace every bare ``?`` in a spec document by a named unknown.

    ``?`` in ``input`` becomes ``input_0``, ``input_1``…; in a named input of ``inputs`` it becomes
    ``NAME_0``…; in a layer's field it becomes ``LAYERNAME_field`` (``layer3_kernel_size`` for an
    unnamed layer), with ``_0``, ``_1``… for the items of a list. A block use's arguments and
    ``repeat`` are its fields (``layer3_planes``, ``layer3_repeat``); inside a block definition the
    name starts with the block's (``basic_conv1_kernel_size``; an argument's default:
    ``basic_planes``), so every use of the block shares the one unknown. Returns the new document
    and the names, in order.

    >>> doc, names = mark_unknowns({"input": [32, 32, 3], "layers": [
    ...     {"type": "conv2d", "name": "CONV1", "out_channels": "?", "kernel_size": 5}]})
    >>> names, doc["layers"][0]["out_channels"]
    (('CONV1_out_channels',), 'CONV1_out_channels')
    >>> doc, names = mark_unknowns({"input": [64, 56, 56], "blocks": {"basic": {
    ...     "args": {"planes": 64}, "layers": [{"type": "conv2d", "out_channels": "planes",
    ...     "kernel_size": 3, "padding": "?"}]}}, "layers": [
    ...     {"block": "basic", "name": "layer1", "planes": "?", "repeat": "?"}]})
    >>> names
    ('basic_layer0_padding', 'layer1_planes', 'layer1_repeat')
    """
    if not isinstance(document, Mapping):
        return document, ()
    document = copy.deepcopy(dict(document))
    names: list[str] = []

    def mark(value: Any, name: str) -> Any:
        if isinstance(value, str) and value.strip() == "?":
            names.append(name)
            return name
        if isinstance(value, list):
            return [mark(item, f"{name}_{i}") for i, item in enumerate(value)]
        return value

    def entries(layers: Any, stem: str) -> Any:
        if not isinstance(layers, list):
            return layers
        marked = []
        for index, layer in enumerate(layers):
            if isinstance(layer, Mapping):
                local = _identifier(str(layer["name"])) if "name" in layer else f"layer{index}"
                prefix = f"{stem}{local}"
                layer = {
                    key: value
                    if key in _NOT_MARKED
                    else mark(value, f"{prefix}_{_identifier(str(key))}")
                    for key, value in layer.items()
                }
                if isinstance(layer.get("block"), Mapping):  # an inline block
                    layer["block"] = block(layer["block"], f"{prefix}_")
            marked.append(layer)
        return marked

    def block(definition: Mapping[str, Any], stem: str) -> dict[str, Any]:
        definition = dict(definition)
        if isinstance(definition.get("args"), Mapping):
            definition["args"] = {
                key: mark(value, f"{stem}{_identifier(str(key))}")
                for key, value in definition["args"].items()
            }
        definition["layers"] = entries(definition.get("layers"), stem)
        return definition

    if isinstance(document.get("input"), list):
        document["input"] = [mark(v, f"input_{i}") for i, v in enumerate(document["input"])]
    if isinstance(document.get("inputs"), Mapping):
        document["inputs"] = {
            key: [mark(v, f"{_identifier(str(key))}_{i}") for i, v in enumerate(shape)]
            if isinstance(shape, list)
            else shape
            for key, shape in document["inputs"].items()
        }
    if isinstance(document.get("blocks"), Mapping):
        document["blocks"] = {
            key: block(value, f"{_identifier(str(key))}_") if isinstance(value, Mapping) else value
            for key, value in document["blocks"].items()
        }
    if "layers" in document:
        document["layers"] = entries(document["layers"], "")
    return document, tuple(names)
