"""From a Keras model to a symcnn network: :func:`from_keras` reads a ``keras.Model`` (Sequential
or Functional) or its JSON config (``model.to_json()``) as a spec under ``convention: keras``.

The ``InputLayer``'s ``batch_shape`` gives the input (the batch axis dropped, unknown axes
symbols: ``L`` for a sequence, ``H``, ``W`` for an image); a model with several inputs gives
named ``inputs``. Each layer's ``class_name`` is its row's ``type`` and the keywords of its
config that the Keras face knows (see :mod:`symcnn.layers.keras`) are its row's; the rest change
no count (``name``, ``dtype``, initializers) and are dropped. A layer with ``trainable: false``
keeps it (its weights are non-trainable parameters). A Dense or convolution's ``activation``
other than ``linear`` becomes an ``Activation`` row after it (``NAME_activation``), as Keras
applies it. Rows are named as Keras names the layers; a functional model's ``inbound_nodes`` are
the rows' ``from``; a layer's second call (``NAME_call1``) ``shares`` the first's weights; a model
used as a layer is an inline block of its name, whose rows are ``NAME.LAYER``. A model's output
that is not its last row is the spec's ``output`` (of several outputs, the first).
A class with no Keras face is refused by its layer's name and class.

A JSON config needs no Keras; a model object is read through its own ``to_json()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import symcnn.limits as limits

from ..errors import SpecError
from ..facade import Network
from ..facade import load as load_spec
from ..layers import KERAS, Where, resolve
from ._keras_calls import calls, history, layer_name, parts
from ._keras_config import DEFAULT_SYMBOLS, MAX_KERAS_JSON_BYTES, input_shapes, read_config

__all__ = ["DEFAULT_SYMBOLS", "MAX_KERAS_JSON_BYTES", "from_keras", "keras_spec"]

#: the class names of a model config (a model used as a layer has one of them too)
MODELS = ("Sequential", "Functional", "Model")

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

#: how deep a model's ``input_layers`` / ``output_layers`` may nest (Keras nests a list or a dict)
_MAX_REFERENCE_NESTING = 8

#: a model's inputs (name -> batch_shape), its rows, and the row it outputs (``None``: the last)
_Read = tuple[dict[str, Any], list[dict[str, Any]], str | None]


def from_keras(
    model_or_json: Any, *, symbolic: Sequence[str] | None = None, name: str | None = None
) -> Network:
    """The symcnn network of a Keras model, its ``to_json()`` text, the parsed dict or a path to
    a ``.json`` file. ``symbolic`` names the inputs' unknown axes in order (default
    :data:`DEFAULT_SYMBOLS`)."""
    return load_spec(keras_spec(model_or_json, symbolic=symbolic, name=name))


def keras_spec(
    model_or_json: Any, *, symbolic: Sequence[str] | None = None, name: str | None = None
) -> dict[str, Any]:
    """The spec dict of a Keras model (see :func:`from_keras`)."""
    config = read_config(model_or_json)
    kind = config.get("class_name")
    body = config.get("config")
    if kind not in MODELS or not isinstance(body, Mapping):
        raise SpecError(
            f"a Keras model config has class_name Sequential or Functional, got {kind!r}"
        )
    shapes, rows, output = _model(str(kind), body, frozen=False, depth=0)
    inputs = input_shapes(shapes, symbolic)
    spec: dict[str, Any] = {
        "name": str(name or body.get("name") or "keras model"),
        "convention": "keras",
        "layout": "HWC",
    }
    if len(inputs) == 1:
        spec["input"] = next(iter(inputs.values()))
    else:
        spec["inputs"] = inputs
    spec["layers"] = rows
    if output is not None:
        spec["output"] = output
    return spec


def _model(kind: str, body: Mapping[str, Any], frozen: bool, depth: int) -> _Read:
    layers = body.get("layers")
    if not isinstance(layers, list):
        raise SpecError(f"the {kind} config has no `layers` list")
    frozen = frozen or body.get("trainable") is False
    if kind == "Sequential":
        return _sequential(layers, body, frozen, depth)
    return _functional(layers, body, frozen, depth)


def _batch_shape(config: Mapping[str, Any]) -> Any:
    return config.get("batch_shape", config.get("batch_input_shape"))


def _sequential(layers: list[Any], body: Mapping[str, Any], frozen: bool, depth: int) -> _Read:
    shape = body.get("build_input_shape")
    rows: list[dict[str, Any]] = []
    for index, layer in enumerate(layers):
        kind, config = parts(layer, index)
        if kind == "InputLayer":
            shape = _batch_shape(config)
            continue
        if index == 0 and _batch_shape(config) is not None:
            shape = _batch_shape(config)
        rows.extend(_layer(kind, config, layer_name(layer, config, index), index, frozen, depth))
    if shape is None and depth == 0:
        raise SpecError("the Sequential model has no input shape: build it or give keras.Input")
    return {"input": shape}, rows, None


def _functional(layers: list[Any], body: Mapping[str, Any], frozen: bool, depth: int) -> _Read:
    shapes = _inputs(layers, body)
    if depth and len(shapes) != 1:
        raise SpecError(
            f"the model {body.get('name')!r}, used as a layer, has {len(shapes)} inputs; "
            "symcnn reads a nested model of one input (a block reads one input)"
        )
    # one input is the spec's `input` (a block's input is `input` too); several keep their names
    made = {(name, 0): name if len(shapes) > 1 else "input" for name in shapes}
    taken = {layer_name(layer, parts(layer, i)[1], i) for i, layer in enumerate(layers)}
    rows: list[dict[str, Any]] = []
    for call in calls(layers, list(shapes)):
        sources = [made[source] for source in call.sources]
        if not sources:
            raise SpecError("reads no tensor", where=call.where, field="inbound_nodes")
        if call.node == 0:
            new = _layer(call.kind, call.config, call.name, call.index, frozen, depth)
        else:  # a layer called again applies the same weights
            again = _fresh(f"{call.name}_call{call.node}", taken)
            new = [
                {"shares": call.name, "name": again},
                *_activation(call.kind, call.config, again),
            ]
        previous = rows[-1]["name"] if rows else made[next(iter(made))]
        if sources != [previous]:
            new[0]["from"] = sources
        rows.extend(new)
        made[(call.name, call.node)] = new[-1]["name"]
    outputs = _references(body.get("output_layers"))
    where = Where(len(layers), str(body.get("name") or "model"), "Functional")
    found = [made.get(history(entry, where)) for entry in outputs]
    if not found or any(output is None for output in found):
        raise SpecError(f"the functional model's outputs {outputs!r} are not layers it calls")
    output = found[0]
    return shapes, rows, None if rows and output == rows[-1]["name"] else output


def _inputs(layers: list[Any], body: Mapping[str, Any]) -> dict[str, Any]:
    """The model's inputs in its ``input_layers`` order: name -> batch_shape."""
    configs = {}
    for index, layer in enumerate(layers):
        kind, config = parts(layer, index)
        if kind == "InputLayer":
            configs[layer_name(layer, config, index)] = config
    order = [str(entry[0]) for entry in _references(body.get("input_layers"))] or list(configs)
    if not order or any(name not in configs for name in order):
        raise SpecError(f"the functional model's inputs {order!r} are not its InputLayers")
    if len(order) > 1 and not all(name.isidentifier() for name in order):
        raise SpecError(f"the model's inputs {order!r} need names that are identifiers")
    return {name: _batch_shape(configs[name]) for name in order}


def _references(raw: Any, depth: int = 0) -> list[list[Any]]:
    """``[name, node, tensor]`` or a list (nested) of them: the flat list."""
    if depth > _MAX_REFERENCE_NESTING:
        raise SpecError(f"a model's inputs or outputs nest more than {_MAX_REFERENCE_NESTING} deep")
    if isinstance(raw, list) and len(raw) == 3 and isinstance(raw[0], str):
        return [raw]
    items = raw.values() if isinstance(raw, Mapping) else raw if isinstance(raw, list) else []
    # a dict of outputs: Keras's order is the dict's
    return [entry for item in items for entry in _references(item, depth + 1)]


def _fresh(name: str, taken: set[str]) -> str:
    found, number = name, 1
    while found in taken:
        number += 1
        found = f"{name}_{number}"
    taken.add(found)
    return found


def _layer(
    kind: str, config: Mapping[str, Any], name: str, index: int, frozen: bool, depth: int
) -> list[dict[str, Any]]:
    """The spec entries of one layer: its row (and an Activation row), or a nested model's
    inline block."""
    frozen = frozen or config.get("trainable") is False
    if kind in MODELS:
        if depth + 1 >= limits.MAX_BLOCK_NESTING:
            raise SpecError(
                f"models nested more than {limits.MAX_BLOCK_NESTING} deep",
                where=Where(index, name, kind),
            )
        _, rows, output = _model(kind, config, frozen, depth + 1)
        block: dict[str, Any] = {"layers": rows}
        if output is not None:
            block["output"] = output
        return [{"name": name, "block": block}]
    row = _row(kind, config, name, index)
    if frozen:
        row["trainable"] = False
    return [row, *_activation(kind, config, name)]


def _row(kind: str, config: Mapping[str, Any], name: str, index: int) -> dict[str, Any]:
    where = Where(index, name, kind)
    _, face = resolve(kind, KERAS, where)  # a class with no Keras face: refused, named
    assert face is not None  # the keras convention always has a face
    row: dict[str, Any] = {"type": face.name, "name": name}
    if face.expand is not None:  # Bidirectional: the wrapped layer's own config
        inner = config.get("layer")
        if not isinstance(inner, Mapping):
            raise SpecError("`layer` is not a layer config", where=where, field="layer")
        inner_kind, inner_config = parts(inner, index)
        wrapped = _row(inner_kind, inner_config, name, index)
        wrapped.pop("name")
        row["layer"] = wrapped
        if "merge_mode" in config:
            row["merge_mode"] = config["merge_mode"]
    else:
        row.update(_keywords([*face.keywords, *face.required], config))
    return row


def _activation(kind: str, config: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    """A Dense or convolution's ``activation`` as the row Keras applies after it."""
    activation = config.get("activation")
    if isinstance(activation, Mapping):
        activation = activation.get("class_name") or activation.get("config", {}).get("name")
    if kind.lower() not in _ACTIVATED or activation in (None, "linear"):
        return []
    return [{"type": "Activation", "name": f"{name}_activation", "activation": activation}]


def _keywords(known: Sequence[str], config: Mapping[str, Any]) -> dict[str, Any]:
    """The config's keywords the face counts or requires; ``None`` is Keras's "the default"."""
    return {key: config[key] for key in known if config.get(key) is not None}
