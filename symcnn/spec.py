"""Loading specs: a dict, a .yaml/.yml/.json path, or YAML/JSON text, checked and normalized.

The format::

    name: LeNet-5                 # optional
    input: [32, 32, 3]            # one example, no batch axis; ints or expressions ("H", "2*w")
                                  # or {shape: [L], dtype: int64} to declare the element type
    layout: HWC                   # HWC (channels last, default) or CHW (PyTorch)
    convention: torch             # torch (default) or keras: whose names and counts
    layers:
      - {type: conv2d, name: CONV1, out_channels: 8, kernel_size: 5}
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._loading import load_text, read_file_text
from .errors import SpecError, describe

__all__ = ["normalize", "read_spec"]

TOP_LEVEL = (
    "name",
    "input",
    "inputs",
    "layout",
    "convention",
    "symbols",
    "blocks",
    "layers",
    "output",
)
#: the counting conventions (``symcnn.layers.base.CONVENTIONS``): PyTorch's names and counts, or
#: Keras's (its class names and keywords; BatchNormalization's moving statistics as parameters)
CONVENTIONS = ("torch", "keras")
#: keys symcnn itself adds to a normalized spec (accepted when a normalized spec is normalized)
NORMALIZED_KEYS = ("warnings",)
BLOCK_KEYS = ("args", "layers", "output")
LAYOUTS = ("HWC", "CHW")
SUFFIXES = (".yaml", ".yml", ".json")


def read_spec(source: Any) -> Any:
    """The raw document of ``source``: a mapping as is, a file's contents, or parsed text."""
    if isinstance(source, Mapping):
        return source
    if isinstance(source, os.PathLike) or (
        isinstance(source, str) and "\n" not in source and source.strip().lower().endswith(SUFFIXES)
    ):
        return _read_file(Path(source))
    if isinstance(source, bytes):
        source = source.decode("utf-8", errors="replace")
    if isinstance(source, str) and _names_a_path(source):
        return _read_file(Path(source.strip()))
    if isinstance(source, str):
        return _parse_text(source, "spec text")
    raise SpecError(
        f"a spec must be a mapping, a path to a .yaml/.yml/.json file or YAML/JSON text, "
        f"not {type(source).__name__}"
    )


def _read_file(path: Path) -> Any:
    return _parse_text(read_file_text(path), str(path))


def _names_a_path(text: str) -> bool:
    """Whether one line of text is meant as a file's name rather than as YAML: it has a
    directory separator or a suffix, and no YAML punctuation (``{``, ``: ``)."""
    text = text.strip()
    if not text or "\n" in text or text.startswith(("{", "[")) or ": " in text:
        return False
    return "/" in text or os.sep in text or bool(Path(text).suffix)


def _parse_text(text: str, origin: str) -> Any:
    return load_text(text, origin, json_only=origin.lower().endswith(".json"))


#: the keys of an input given as a mapping: ``{shape: [L], dtype: int64}``
INPUT_KEYS = ("shape", "dtype")


def _input(raw: Any, label: str) -> list[Any] | dict[str, Any]:
    """An input: its list of sizes, or ``{shape: [...], dtype: name}`` when it declares its element
    type (the name is checked where the graph is built, against ``symcnn.layers.base.DTYPES``)."""
    if not isinstance(raw, Mapping):
        return _shape(raw, label)
    unknown = [key for key in raw if key not in INPUT_KEYS]
    if unknown:
        raise SpecError(
            f"`{label}` has an unknown key `{unknown[0]}` (valid keys: {', '.join(INPUT_KEYS)})",
            field=label,
        )
    if "shape" not in raw:
        raise SpecError(
            f"`{label}` has no `shape`, such as {{shape: [L], dtype: int64}}", field=label
        )
    shape = _shape(raw["shape"], f"{label}.shape")
    if raw.get("dtype") is None:
        return shape
    dtype = raw["dtype"]
    if not isinstance(dtype, str):
        raise SpecError(
            f"`{label}.dtype` = {describe(dtype)}: must be a dtype name such as int64 or float32",
            field=f"{label}.dtype",
        )
    return {"shape": shape, "dtype": dtype}


def _shape(raw: Any, label: str) -> list[Any]:
    if isinstance(raw, int | str) and not isinstance(raw, bool):
        raw = [raw]
    if not isinstance(raw, list | tuple) or not raw:
        raise SpecError(
            f"`{label}` = {describe(raw)}: must be a list of sizes such as [32, 32, 3]", field=label
        )
    return list(raw)


def _entries(layers: Any, where: str) -> list[dict[str, Any]]:
    """A list of layer entries: each a layer (``type``), a block use (``block``) or a shared
    application (``shares``)."""
    if not isinstance(layers, list | tuple):
        raise SpecError(
            f"`{where}` must be a list of layers, got {type(layers).__name__}", field="layers"
        )
    entries = []
    for index, layer in enumerate(layers):
        here = f"{where}[{index}]"
        if not isinstance(layer, Mapping):
            raise SpecError(
                f"{here} must be a mapping such as {{type: conv2d, ...}}, got {describe(layer)}",
                field="layers",
            )
        for key in layer:
            if not isinstance(key, str):
                raise SpecError(f"{here} has a non-text key {describe(key)}", field=str(key))
        kinds = [key for key in ("type", "block", "shares") if key in layer]
        if not kinds:
            raise SpecError(f"{here} has no `type`", field="type")
        if len(kinds) > 1:
            raise SpecError(
                f"{here} gives both `{kinds[0]}` and `{kinds[1]}`; an entry is a layer (`type`), "
                "a block use (`block`) or a shared application (`shares`)",
                field=kinds[1],
            )
        if "name" in layer and (
            isinstance(layer["name"], bool) or not isinstance(layer["name"], str | int)
        ):
            raise SpecError(
                f"{here}: `name` = {describe(layer['name'])} must be text (quote it)", field="name"
            )
        entry = dict(layer)
        if "name" in entry:
            entry["name"] = str(entry["name"])
        block = entry.get("block")
        if isinstance(block, Mapping):
            entry["block"] = _block(block, f"{here}.block")
        elif "block" in entry and not isinstance(block, str):
            raise SpecError(f"{here}: `block` must be a block's name or a mapping", field="block")
        entries.append(entry)
    return entries


def _block(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise SpecError(f"{where} must be a mapping with `layers`", field="blocks")
    unknown = [key for key in raw if key not in BLOCK_KEYS]
    if unknown:
        raise SpecError(
            f"{where} has an unknown key `{unknown[0]}` (valid keys: {', '.join(BLOCK_KEYS)})",
            field=str(unknown[0]),
        )
    if "layers" not in raw:
        raise SpecError(f"{where} has no `layers`", field="layers")
    args = raw.get("args") or {}
    if not isinstance(args, Mapping) or not all(isinstance(key, str) for key in args):
        raise SpecError(f"{where}.args must map argument names to defaults", field="args")
    block = {"args": dict(args), "layers": _entries(raw["layers"], f"{where}.layers")}
    if raw.get("output") is not None:
        block["output"] = str(raw["output"])
    if not block["layers"]:
        raise SpecError(f"{where} has no layers", field="layers")
    return block


def normalize(document: Any, convention: str | None = None) -> dict[str, Any]:
    """Check the top level of a spec document and return it with defaults filled in;
    ``convention`` (``torch`` or ``keras``), when given, overrides the document's."""
    if document is None:
        raise SpecError("the spec is empty: it needs `input` and `layers`")
    if not isinstance(document, Mapping):
        raise SpecError(
            f"a spec must be a mapping with `input` and `layers`, got {type(document).__name__}"
        )
    unknown = [key for key in document if key not in (*TOP_LEVEL, *NORMALIZED_KEYS)]
    if unknown:
        raise SpecError(
            f"unknown top-level key `{unknown[0]}` (valid keys: {', '.join(TOP_LEVEL)})",
            field=str(unknown[0]),
        )
    if (
        "input" in document
        and "inputs" in document
        and document["inputs"]
        != {
            "input": document["input"]  # a normalized spec, normalized again
        }
    ):
        raise SpecError(
            "give either `input` (one input) or `inputs` (named inputs), not both", field="inputs"
        )
    if "input" not in document and "inputs" not in document:
        raise SpecError("missing `input`", field="input")
    if "layers" not in document:
        raise SpecError("missing `layers`", field="layers")
    name = document.get("name")
    if name is not None and (isinstance(name, bool) or not isinstance(name, str | int)):
        raise SpecError(f"`name` must be text, got {type(name).__name__}", field="name")
    layout = document.get("layout", "HWC")
    if not isinstance(layout, str) or layout.upper() not in LAYOUTS:
        raise SpecError(f"`layout` = {describe(layout)}: must be HWC or CHW", field="layout")
    chosen = document.get("convention", "torch") if convention is None else convention
    if not isinstance(chosen, str) or chosen.strip().lower() not in CONVENTIONS:
        raise SpecError(
            f"`convention` = {describe(chosen)}: must be torch or keras", field="convention"
        )
    if "input" in document:
        inputs = {"input": _input(document["input"], "input")}
    else:
        raw_inputs = document["inputs"]
        if not isinstance(raw_inputs, Mapping) or not raw_inputs:
            raise SpecError(
                "`inputs` must map names to shapes, such as {query: [L, E], memory: [S, E]}",
                field="inputs",
            )
        inputs = {}
        for key, value in raw_inputs.items():
            if not isinstance(key, str) or not key.isidentifier():
                raise SpecError(
                    f"`inputs`: {describe(key)} is not a valid input name", field="inputs"
                )
            inputs[key] = _input(value, f"inputs.{key}")
    symbols = document.get("symbols") or {}
    if not isinstance(symbols, Mapping) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in symbols.items()
    ):
        raise SpecError("`symbols` must map symbol names to one-line meanings", field="symbols")
    raw_blocks = document.get("blocks") or {}
    if not isinstance(raw_blocks, Mapping):
        raise SpecError("`blocks` must map block names to blocks", field="blocks")
    blocks = {}
    for key, value in raw_blocks.items():
        if not isinstance(key, str):
            raise SpecError(f"`blocks`: {describe(key)} is not a valid block name", field="blocks")
        blocks[key] = _block(value, f"blocks.{key}")
    output = document.get("output")
    if output is not None and not isinstance(output, str | int):
        raise SpecError("`output` must name a layer", field="output")
    spec: dict[str, Any] = {
        "name": None if name is None else str(name),
        "input": next(iter(inputs.values())),
        "inputs": inputs,
        "layout": layout.upper(),
        "convention": chosen.strip().lower(),
        "layers": _entries(document["layers"], "layers"),
    }
    if symbols:
        spec["symbols"] = dict(symbols)
    if blocks:
        spec["blocks"] = blocks
    if output is not None:
        spec["output"] = str(output)
    warnings = [str(text) for text in document.get("warnings") or ()]
    if "layout" not in document:
        warnings += _layout_warnings(inputs)
    if warnings:
        spec["warnings"] = warnings
    return spec


def _layout_warnings(inputs: Mapping[str, list[Any] | dict[str, Any]]) -> list[str]:
    """A spec written in PyTorch's order without ``layout: CHW`` reads as a tiny image with many
    channels: say so when the first axis is at most 4 and the last, a number, is not."""
    found = []
    for name, declared in inputs.items():
        shape = declared["shape"] if isinstance(declared, dict) else declared
        first, last = shape[0], shape[-1]
        numbers = all(isinstance(v, int) and not isinstance(v, bool) for v in (first, last))
        if len(shape) == 3 and numbers and first <= 4 < last:
            label = "`input`" if name == "input" else f"`inputs.{name}`"
            found.append(
                f"{label} = {describe(shape)} is read as height, width, channels (HWC): "
                f"{first} pixels high with {last} channels. If it is channels first (PyTorch's "
                "order), add `layout: CHW` to the spec; add `layout: HWC` to silence this"
            )
    return found
