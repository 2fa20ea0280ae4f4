"""Reading a Keras model's JSON config: the source (a model, its ``to_json()`` text, the parsed
dict or a path) as one mapping, and an ``InputLayer``'s ``batch_shape`` as a spec input."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import SpecError

__all__ = ["DEFAULT_SYMBOLS", "MAX_KERAS_JSON_BYTES", "input_shapes", "read_config"]

#: the largest Keras JSON config symcnn reads (bytes); a config holds no weights
MAX_KERAS_JSON_BYTES = 2**26

#: the symbols of an input's unknown (None) axes, by the input's rank without the batch axis
DEFAULT_SYMBOLS: Mapping[int, tuple[str, ...]] = {
    1: ("L",),
    2: ("L", "C"),
    3: ("H", "W", "C"),
    4: ("D", "H", "W", "C"),
}


def read_config(source: Any) -> Mapping[str, Any]:
    """The parsed config of a Keras model, its ``to_json()`` text, a dict or a ``.json`` path."""
    if isinstance(source, Mapping):
        return source
    text = isinstance(source, str) and source.lstrip().startswith("{")
    if isinstance(source, Path) or (isinstance(source, str) and not text):
        path = Path(source)
        if not path.is_file():
            raise SpecError(f"{str(path)!r}: no such Keras JSON file")
        if path.stat().st_size > MAX_KERAS_JSON_BYTES:
            raise SpecError(f"{str(path)!r}: larger than {MAX_KERAS_JSON_BYTES} bytes")
        source = path.read_text(encoding="utf-8")
    elif not isinstance(source, str):
        to_json = getattr(source, "to_json", None)
        if not callable(to_json):
            raise SpecError(
                "from_keras needs a keras.Model, its to_json() text, the parsed dict or a "
                f"path, got {type(source).__name__}"
            )
        try:
            source = to_json()
        except Exception as error:  # a subclassed model has no config to read
            raise SpecError(
                f"{type(source).__name__}.to_json() failed ({error}): only Sequential and "
                "Functional models have a config symcnn can read"
            ) from error
    if len(source) > MAX_KERAS_JSON_BYTES:
        raise SpecError(f"the Keras JSON config is larger than {MAX_KERAS_JSON_BYTES} bytes")
    try:
        parsed = json.loads(source)
    except json.JSONDecodeError as error:
        raise SpecError(f"not a Keras JSON config: {error}") from error
    except RecursionError:  # nesting deeper than any model's
        raise SpecError("the Keras JSON config is nested too deeply to read") from None
    if not isinstance(parsed, Mapping):
        raise SpecError("a Keras JSON config is an object with class_name and config")
    return parsed


def input_shapes(shapes: Mapping[str, Any], symbolic: Sequence[str] | None) -> dict[str, list[Any]]:
    """Each input's sizes (its ``batch_shape`` without the batch axis), an unknown axis named
    by ``symbolic`` in order across the inputs, or else by :data:`DEFAULT_SYMBOLS` (a second
    input's with its position: ``L2``)."""
    sizes: dict[str, list[Any]] = {}
    for name, shape in shapes.items():
        if not isinstance(shape, list) or len(shape) < 2:
            raise SpecError(
                f"input {name!r} batch_shape {shape!r}: expected the batch axis and one "
                "example's axes"
            )
        for size in shape[1:]:
            if size is not None and (
                not isinstance(size, int) or isinstance(size, bool) or size <= 0
            ):
                raise SpecError(
                    f"input {name!r} batch_shape {shape!r}: size {size!r} is not a positive int"
                )
        sizes[name] = shape[1:]
    unknown = sum(size is None for axes in sizes.values() for size in axes)
    names = list(symbolic) if symbolic is not None else _defaults(sizes)
    if len(names) != unknown or not all(isinstance(n, str) and n.isidentifier() for n in names):
        shown = sizes[next(iter(sizes))] if len(sizes) == 1 else sizes
        raise SpecError(
            f"symbolic = {names!r}: expected {unknown} names, one per unknown axis of the "
            f"input {shown!r}"
        )
    found = iter(names)
    return {
        name: [next(found) if size is None else size for size in axes]
        for name, axes in sizes.items()
    }


def _defaults(sizes: Mapping[str, list[Any]]) -> list[str]:
    names = []
    for position, axes in enumerate(sizes.values()):
        default = DEFAULT_SYMBOLS.get(len(axes), ())
        suffix = "" if position == 0 else str(position + 1)
        for index, size in enumerate(axes):
            if size is None:
                names.append((default[index] if index < len(default) else f"S{index}") + suffix)
    return names
