"""Loading specs: a dict, a .yaml/.yml/.json path, or YAML/JSON text, checked and normalized.

The format::

    name: LeNet-5                 # optional
    input: [32, 32, 3]            # one example, no batch axis; ints or expressions ("H", "2*w")
    layout: HWC                   # HWC (channels last, default) or CHW (PyTorch)
    layers:
      - {type: conv2d, name: CONV1, out_channels: 8, kernel_size: 5}
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError
from .network import Network

__all__ = ["load", "normalize", "read_spec"]

TOP_LEVEL = ("name", "input", "layout", "layers")
LAYOUTS = ("HWC", "CHW")
SUFFIXES = (".yaml", ".yml", ".json")


def read_spec(source: Any) -> Any:
    """The raw document of ``source``: a mapping as is, a file's contents, or parsed text."""
    if isinstance(source, Mapping):
        return source
    if isinstance(source, os.PathLike) or (
        isinstance(source, str) and "\n" not in source and source.strip().lower().endswith(SUFFIXES)
    ):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise SpecError(f"cannot read spec file {str(path)!r}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise SpecError(f"spec file {str(path)!r} is not UTF-8 text") from None
        return _parse_text(text, str(path))
    if isinstance(source, bytes):
        source = source.decode("utf-8", errors="replace")
    if isinstance(source, str):
        return _parse_text(source, "spec text")
    raise SpecError(
        f"a spec must be a mapping, a path to a .yaml/.yml/.json file or YAML/JSON text, "
        f"not {type(source).__name__}"
    )


def _parse_text(text: str, origin: str) -> Any:
    try:
        if origin.lower().endswith(".json"):
            return json.loads(text)
        return yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError, RecursionError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise SpecError(f"{origin} is not valid YAML/JSON: {detail}") from None


def normalize(document: Any) -> dict[str, Any]:
    """Check the top level of a spec document and return it with defaults filled in."""
    if document is None:
        raise SpecError("the spec is empty: it needs `input` and `layers`")
    if not isinstance(document, Mapping):
        raise SpecError(
            f"a spec must be a mapping with `input` and `layers`, got {type(document).__name__}"
        )
    unknown = [key for key in document if key not in TOP_LEVEL]
    if unknown:
        raise SpecError(
            f"unknown top-level key `{unknown[0]}` (valid keys: {', '.join(TOP_LEVEL)})",
            field=str(unknown[0]),
        )
    for key in ("input", "layers"):
        if key not in document:
            raise SpecError(f"missing `{key}`", field=key)
    name = document.get("name")
    if name is not None and not isinstance(name, str | int):
        raise SpecError(f"`name` must be text, got {type(name).__name__}", field="name")
    layout = document.get("layout", "HWC")
    if not isinstance(layout, str) or layout.upper() not in LAYOUTS:
        raise SpecError(f"`layout` = {layout!r}: must be HWC or CHW", field="layout")
    shape = document["input"]
    if isinstance(shape, int | str) and not isinstance(shape, bool):
        shape = [shape]
    if not isinstance(shape, list | tuple) or not shape:
        raise SpecError(
            f"`input` = {shape!r}: must be a list of sizes such as [32, 32, 3]", field="input"
        )
    layers = document["layers"]
    if not isinstance(layers, list | tuple):
        raise SpecError(
            f"`layers` must be a list of layers, got {type(layers).__name__}", field="layers"
        )
    for index, layer in enumerate(layers):
        if not isinstance(layer, Mapping):
            raise SpecError(
                f"layers[{index}] must be a mapping such as {{type: conv2d, ...}}, got {layer!r}",
                field="layers",
            )
        if "type" not in layer:
            raise SpecError(f"layers[{index}] has no `type`", field="type")
        for key in layer:
            if not isinstance(key, str):
                raise SpecError(f"layers[{index}] has a non-text key {key!r}", field=str(key))
        if "name" in layer and not isinstance(layer["name"], str | int):
            raise SpecError(f"layers[{index}]: `name` must be text", field="name")
    return {
        "name": None if name is None else str(name),
        "input": list(shape),
        "layout": layout.upper(),
        "layers": [dict(layer) for layer in layers],
    }


def load(source: Any, values: Mapping[str, Any] | None = None) -> Network:
    """Load a network from a dict, a .yaml/.yml/.json path, or YAML/JSON text.

    >>> net = load({"input": [32, 32, 3], "layers": [
    ...     {"type": "conv2d", "out_channels": 8, "kernel_size": 5}]})
    >>> net.params, net.output_shape
    (608, (28, 28, 8))
    """
    network = Network.build(normalize(read_spec(source)))
    return network.subs(values) if values else network
