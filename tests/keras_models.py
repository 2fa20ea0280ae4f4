"""Helpers for the Keras import tests: Keras's own numbers for a model, and symcnn's for the
network it imports (tests/test_import_keras.py, tests/test_import_keras_graph.py)."""

from __future__ import annotations

import json
import math
import os
import warnings
from typing import Any

import sympy
from hypothesis import assume

import symcnn
from symcnn.interop import keras_spec
from symcnn.interop.spec_yaml import spec_yaml

os.environ.setdefault("KERAS_BACKEND", "torch")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import keras

__all__ = ["build", "check", "counted", "keras", "truth"]

#: Keras's numbers: count_params(), the trainable and non-trainable weights' sizes, and every
#: output's shape without the batch axis (an unknown axis is None)
Numbers = tuple[int, int, int, tuple[tuple[Any, ...], ...]]


def truth(model: Any) -> Numbers:
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    frozen = sum(math.prod(w.shape) for w in model.non_trainable_weights)
    shapes = model.output_shape
    if not isinstance(shapes, list):
        shapes = [shapes]
    return model.count_params(), trainable, frozen, tuple(tuple(s[1:]) for s in shapes)


def _shape(shape: Any) -> tuple[Any, ...]:
    return tuple(int(size) if sympy.sympify(size).is_Integer else None for size in shape)


def counted(net: symcnn.Network, outputs: tuple[str, ...] = ()) -> Numbers:
    """symcnn's numbers for ``net``: its output's shape, then those of the rows ``outputs``
    names (a multi-output model's other outputs)."""
    shapes = (_shape(net.output_shape), *(_shape(_output(net, name)) for name in outputs))
    return int(net.params), int(net.trainable), int(net.non_trainable), shapes


def _output(net: symcnn.Network, name: str) -> Any:
    """The output shape of the row or the block use (a nested model) ``name``."""
    for group in net.groups:
        if group.name == name:
            return group.output_shape
    return net[name].output_shape


def other_outputs(model: Any) -> tuple[str, ...]:
    """The rows of a functional model's outputs after its first, by the import's naming: a
    layer's row (its Activation row where it has one), ``NAME_callK`` for its call K."""
    config = json.loads(model.to_json())["config"]
    outputs = config.get("output_layers") or []
    if not outputs or not isinstance(outputs[0], list):
        return ()
    rows = {row["name"] for row in keras_spec(model)["layers"]}
    names = []
    for name, node, _ in outputs[1:]:
        base = name if node == 0 else f"{name}_call{node}"
        names.append(f"{base}_activation" if f"{base}_activation" in rows else base)
    return tuple(names)


def check(model: Any) -> symcnn.Network:
    """The model, its JSON text and its parsed dict all import with Keras's numbers; the
    imported network's own spec, and the YAML ``symcnn import`` writes, load with them too."""
    expected = truth(model)
    outputs = other_outputs(model)
    net = symcnn.from_keras(model)
    assert counted(net, outputs) == expected
    assert counted(symcnn.from_keras(model.to_json()), outputs) == expected
    assert counted(symcnn.from_keras(json.loads(model.to_json())), outputs) == expected
    assert counted(symcnn.load(net.to_spec()), outputs) == expected
    assert counted(symcnn.load(spec_yaml(keras_spec(model))), outputs) == expected
    return net


def build(make: Any) -> Any:
    """The Keras model ``make()`` builds, or an assumption failure where Keras refuses it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return make()
    except Exception:  # Keras refuses with ValueError, or torch's error in build
        assume(False)
