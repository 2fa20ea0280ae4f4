"""From a Keras model to a symcnn network: :func:`from_keras` reads a ``keras.Model`` (Sequential
or Functional) or its JSON config (``model.to_json()``) as a spec under ``convention: keras``.

The ``InputLayer``'s ``batch_shape`` gives the input (the batch axis dropped, unknown axes
symbols: ``L`` for a sequence, ``H``, ``W`` for an image); each layer's ``class_name`` is its
row's ``type`` and the keywords of its config that the Keras face knows (see
:mod:`symcnn.layers.keras`) are its row's; the rest change no count (``name``, ``trainable``,
``dtype``, initializers) and are dropped. A Dense or convolution's ``activation`` other than
``linear`` becomes an ``Activation`` row after it (``NAME_activation``), as Keras applies it. Rows
are named as Keras names the layers; a functional model's ``inbound_nodes`` are the rows' ``from``.
A class with no Keras face is refused by its layer's name and class.

A JSON config needs no Keras; a model object is read through its own ``to_json()``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..facade import Network
from ..facade import load as load_spec
from ..layers import KERAS, Where, resolve

__all__ = ["DEFAULT_SYMBOLS", "MAX_KERAS_JSON_BYTES", "from_keras", "keras_spec"]

#: the largest Keras JSON config symcnn reads (bytes); a config holds no weights
MAX_KERAS_JSON_BYTES = 2**26

#: the symbols of an input's unknown (None) axes, by the input's rank without the batch axis
DEFAULT_SYMBOLS: Mapping[int, tuple[str, ...]] = {
    1: ("L",),
    2: ("L", "C"),
    3: ("H", "W", "C"),
    4: ("D", "H", "W", "C"),
}

#: the Keras classes whose ``activation`` keyword applies after the layer (a recurrent
#: layer's is inside its cell)
_ACTIVATED = frozenset(
    name.lower()
    for name in (
        "Dense",
        "Conv1D",
        "Conv2D",
        "Conv3D",
        "DepthwiseConv1D",
        "DepthwiseConv2D",
        "SeparableConv1D",
        "SeparableConv2D",
    )
)

#: keyword arguments of a call that carry further input tensors, in Keras's order
_TENSOR_KWARGS = ("query", "value", "key")


def from_keras(
    model_or_json: Any, *, symbolic: Sequence[str] | None = None, name: str | None = None
) -> Network:
    """The symcnn network of a Keras model, its ``to_json()`` text, the parsed dict or a path to
    a ``.json`` file. ``symbolic`` names the input's unknown axes in order (default
    :data:`DEFAULT_SYMBOLS`)."""
    return load_spec(keras_spec(model_or_json, symbolic=symbolic, name=name))


def keras_spec(
    model_or_json: Any, *, symbolic: Sequence[str] | None = None, name: str | None = None
) -> dict[str, Any]:
    """The spec dict of a Keras model (see :func:`from_keras`)."""
    config = _config(model_or_json)
    kind = config.get("class_name")
    body = config.get("config")
    if kind not in ("Sequential", "Functional", "Model") or not isinstance(body, Mapping):
        raise SpecError(
            f"a Keras model config has class_name Sequential or Functional, got {kind!r}"
        )
    layers = body.get("layers")
    if not isinstance(layers, list):
        raise SpecError(f"the {kind} config has no `layers` list")
    spec_name = name or body.get("name") or "keras model"
    if kind == "Sequential":
        shape, rows = _sequential(layers, body)
    else:
        shape, rows = _functional(layers, body)
    return {
        "name": str(spec_name),
        "convention": "keras",
        "layout": "HWC",
        "input": _input(shape, symbolic),
        "layers": rows,
    }


def _config(source: Any) -> Mapping[str, Any]:
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
    if not isinstance(parsed, Mapping):
        raise SpecError("a Keras JSON config is an object with class_name and config")
    return parsed


def _input(shape: Any, symbolic: Sequence[str] | None) -> list[Any]:
    if not isinstance(shape, list) or len(shape) < 2:
        raise SpecError(
            f"input batch_shape {shape!r}: expected the batch axis and one example's axes"
        )
    sizes = shape[1:]
    unknown = [index for index, size in enumerate(sizes) if size is None]
    names = list(symbolic) if symbolic is not None else None
    if names is None:
        default = DEFAULT_SYMBOLS.get(len(sizes), ())
        names = [default[i] if i < len(default) else f"S{i}" for i in unknown]
    if len(names) != len(unknown) or not all(
        isinstance(n, str) and n.isidentifier() for n in names
    ):
        raise SpecError(
            f"symbolic = {names!r}: expected {len(unknown)} names, one per unknown axis of "
            f"the input {sizes!r}"
        )
    result: list[Any] = []
    for size in sizes:
        if size is None:
            result.append(names.pop(0))
        elif isinstance(size, int) and not isinstance(size, bool) and size > 0:
            result.append(size)
        else:
            raise SpecError(f"input batch_shape {shape!r}: size {size!r} is not a positive int")
    return result


def _batch_shape(config: Mapping[str, Any]) -> Any:
    return config.get("batch_shape", config.get("batch_input_shape"))


def _sequential(
    layers: list[Any], body: Mapping[str, Any]
) -> tuple[Any, list[dict[str, Any]]]:
    shape = body.get("build_input_shape")
    rows: list[dict[str, Any]] = []
    for index, layer in enumerate(layers):
        kind, config = _parts(layer, index)
        if kind == "InputLayer":
            shape = _batch_shape(config)
            continue
        if index == 0 and _batch_shape(config) is not None:
            shape = _batch_shape(config)
        rows.extend(_rows(kind, config, index))
    if shape is None:
        raise SpecError("the Sequential model has no input shape: build it or give keras.Input")
    return shape, rows


def _functional(
    layers: list[Any], body: Mapping[str, Any]
) -> tuple[Any, list[dict[str, Any]]]:
    inputs = [layer for layer in layers if isinstance(layer, Mapping) and layer.get(
        "class_name") == "InputLayer"]
    if len(inputs) != 1:
        raise SpecError(f"the functional model has {len(inputs)} inputs; symcnn reads one")
    shape = _batch_shape(inputs[0].get("config") or {})
    last = {str(inputs[0].get("name") or inputs[0]["config"].get("name")): "input"}
    rows: list[dict[str, Any]] = []
    final = ""
    for index, layer in enumerate(layers):
        kind, config = _parts(layer, index)
        if kind == "InputLayer":
            continue
        layer_name = str(layer.get("name") or config.get("name") or f"layer{index}")
        where = Where(index, layer_name, kind)
        sources = [last.get(source) for source in _sources(layer.get("inbound_nodes"), where)]
        if any(source is None for source in sources):
            raise SpecError("an input comes from a layer not read before it", where=where)
        new = _rows(kind, {**config, "name": layer_name}, index)
        previous = rows[-1]["name"] if rows else "input"
        if sources != [previous]:
            new[0]["from"] = sources
        rows.extend(new)
        last[layer_name] = final = new[-1]["name"]
    output = body.get("output_layers")
    while isinstance(output, list) and output and isinstance(output[0], list):
        if len(output) != 1:
            raise SpecError(f"the functional model has {len(output)} outputs; symcnn reads one")
        output = output[0]
    if not isinstance(output, list) or not output or last.get(str(output[0])) != final:
        raise SpecError(
            f"the functional model's output {output!r} is not its last layer; symcnn reads a "
            "model whose last layer is its output"
        )
    return shape, rows


def _parts(layer: Any, index: int) -> tuple[str, Mapping[str, Any]]:
    if not isinstance(layer, Mapping) or not isinstance(layer.get("class_name"), str):
        raise SpecError(f"layers[{index}]: expected a layer config with class_name and config")
    config = layer.get("config")
    return layer["class_name"], config if isinstance(config, Mapping) else {}


def _sources(nodes: Any, where: Where) -> list[str]:
    """The layer names a layer's single call reads, in call order."""
    if not isinstance(nodes, list) or len(nodes) != 1:
        raise SpecError(
            f"called {len(nodes) if isinstance(nodes, list) else 0} times; symcnn reads a layer "
            "called once (a shared layer is not read)",
            where=where,
            field="inbound_nodes",
        )
    node = nodes[0]
    tensors: list[Any] = []
    if isinstance(node, Mapping):  # Keras 3: {"args": [...], "kwargs": {...}}
        kwargs = node.get("kwargs") or {}
        for arg in node.get("args") or []:
            tensors.extend(arg if isinstance(arg, list) else [arg])
        tensors.extend(kwargs[key] for key in _TENSOR_KWARGS if key in kwargs)
        names = []
        for tensor in tensors:
            history = tensor.get("config", {}).get("keras_history") if isinstance(
                tensor, Mapping) else None
            if not isinstance(history, list) or len(history) != 3:
                continue  # a constant argument, not a tensor
            names.append(_history(history, where))
        return names
    if isinstance(node, list):  # tf.keras 2: [[name, node_index, tensor_index, kwargs], ...]
        return [_history(list(entry[:3]), where) for entry in node if isinstance(entry, list)]
    raise SpecError(f"inbound node {node!r} is not a Keras call", where=where)


def _history(history: list[Any], where: Where) -> str:
    source, node_index, tensor_index = history
    if node_index != 0 or tensor_index != 0:
        raise SpecError(
            f"reads {source!r} (node {node_index}, tensor {tensor_index}): symcnn reads a "
            "layer's first call and single output",
            where=where,
            field="inbound_nodes",
        )
    return str(source)


def _rows(kind: str, config: Mapping[str, Any], index: int) -> list[dict[str, Any]]:
    layer_name = str(config.get("name") or f"layer{index}")
    where = Where(index, layer_name, kind)
    _, face = resolve(kind, KERAS, where)  # a class with no Keras face: refused, named
    assert face is not None  # the keras convention always has a face
    if config.get("trainable") is False:
        raise SpecError(
            "`trainable` = false: symcnn counts every layer's weights as Keras's trainable "
            "ones; import the model with the layer trainable",
            where=where,
            field="trainable",
        )
    row: dict[str, Any] = {"type": face.name, "name": layer_name}
    if face.expand is not None:  # Bidirectional: the wrapped layer's own config
        inner = config.get("layer")
        if not isinstance(inner, Mapping):
            raise SpecError("`layer` is not a layer config", where=where, field="layer")
        wrapped = _rows(*_parts(inner, index), index)[0]
        wrapped.pop("name")
        row["layer"] = wrapped
        if "merge_mode" in config:
            row["merge_mode"] = config["merge_mode"]
    else:
        row.update(_keywords([*face.keywords, *face.required], config))
    rows = [row]
    activation = config.get("activation")
    if isinstance(activation, Mapping):
        activation = activation.get("class_name") or activation.get("config", {}).get("name")
    if kind.lower() in _ACTIVATED and activation not in (None, "linear"):
        rows.append(
            {"type": "Activation", "name": f"{layer_name}_activation", "activation": activation}
        )
    return rows


def _keywords(known: Sequence[str], config: Mapping[str, Any]) -> dict[str, Any]:
    """The config's keywords the face counts or requires; ``None`` is Keras's "the default"."""
    return {key: config[key] for key in known if config.get(key) is not None}
