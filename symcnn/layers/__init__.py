"""The layer registry: PyTorch's class names (case-insensitive) to symcnn layer classes, and
under ``convention: keras`` Keras's (:mod:`symcnn.layers.keras`)."""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterator, Mapping
from types import ModuleType
from typing import Any

from ..errors import SpecError, describe
from . import keras
from ._registry import TYPES_BY_FAMILY, FamilyRegistry
from .base import KERAS, Check, Formula, KerasFace, Layer, Row, Tensor, Where

__all__ = [
    "LAYERS",
    "Check",
    "Formula",
    "KerasFace",
    "Layer",
    "Row",
    "Tensor",
    "Where",
    "keras_arguments",
    "lookup",
    "resolve",
]


def _subclasses(cls: type[Layer]) -> Iterator[type[Layer]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _torch_classes(module: ModuleType, names: frozenset[str]) -> dict[str, type[Layer]]:
    """The layer classes ``module`` defines under the PyTorch class names ``names``."""
    return {
        cls.torch_name.lower(): cls
        for cls in _subclasses(Layer)
        if cls.__module__ == module.__name__
        and "torch_name" in vars(cls)
        and cls.torch_name.lower() in names
    }


#: lower-cased PyTorch class name -> layer class; a family's module is imported when one of its
#: names is first looked up (iterating the names imports nothing)
LAYERS: Mapping[str, type[Layer]] = FamilyRegistry(TYPES_BY_FAMILY, _torch_classes)
#: other names people use for the same layers (Keras and the textbooks)
ALIASES: dict[str, str] = {
    "dense": "linear",
    "fc": "linear",
    "concat": "cat",
    "concatenate": "cat",
}


def lookup(type_name: object, where: object) -> type[Layer]:
    """The layer class for a spec's ``type``; a misspelt name gets the nearest valid one."""
    if not isinstance(type_name, str) or not type_name.strip():
        raise SpecError(
            f"`type` = {describe(type_name)}: must be a layer type name", where=where, field="type"
        )
    key = type_name.strip().lower()
    key = ALIASES.get(key, key)
    if key in LAYERS:
        return LAYERS[key]
    names = {name: cls.torch_name for name, cls in LAYERS.items()}
    near = difflib.get_close_matches(key, list(names), n=3, cutoff=0.6)
    # among equally close names prefer the one with more letters in common: 'convd2' is Conv2d
    near.sort(key=lambda name: len(Counter(key) & Counter(name)), reverse=True)
    hint = f"; did you mean {' or '.join(names[n] for n in near)}?" if near else ""
    valid = ", ".join(sorted(names.values()))
    raise SpecError(
        f"unknown layer type {describe(type_name)}{hint} (valid types: {valid})",
        where=where,
        field="type",
    )


def resolve(
    type_name: object, convention: str, where: Where
) -> tuple[type[Layer], KerasFace | None]:
    """The layer class a spec's ``type`` names under ``convention``, and its Keras face (``None``
    under torch). A name of the other framework gets that framework's name for it."""
    key = type_name.strip().lower() if isinstance(type_name, str) else None
    if convention != KERAS:
        if key is not None and key not in LAYERS and key not in ALIASES:
            hint = keras.torch_hint(type_name, where)
            if hint is not None:
                raise hint
        return lookup(type_name, where), None
    face = keras.FACES.get(key) if key is not None else None
    if face is None:
        raise keras.unknown(type_name, LAYERS.get(ALIASES.get(key, key)) if key else None, where)
    return face.layer, face


def keras_arguments(
    layer_class: type[Layer],
    face: KerasFace | None,
    raw: dict[str, Any],
    argument: Any,
    where: Where,
) -> dict[str, Any]:
    """A layer entry's arguments as the layer's fields: Keras keywords translated (``face``), the
    other framework's keywords refused with this one's name, Keras's defaults filled in.
    ``argument(field, value)`` reads a value in its scope (a block's arguments)."""
    arguments = dict(keras.defaults(face))
    for key, value in raw.items():
        target = keras.keyword(layer_class, face, key, where)
        if target is None:  # a Keras keyword that changes no count
            continue
        value = argument(target, value)
        arguments[target] = value if face is None else keras.translate(face, key, value, where)
    keras.require(face, raw, where)
    return arguments
