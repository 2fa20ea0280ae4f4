"""ONNX's recurrent ops (``LSTM``, ``GRU``, ``RNN``) and what torch's exporter writes around
them: the gates sliced into ONNX's order and stacked per direction (``Slice``, ``Concat``,
``Unsqueeze`` of initializers, read as :class:`Weights`), the zero initial state
(``Shape`` -> ``Gather`` -> ``ConstantOfShape`` -> ``Slice``, read as :class:`Zeros`), the
time-major sequence (``Transpose`` [1, 0, 2], a :class:`Permuted`) and the output ``Y`` of shape
``[L, D, N, H]`` brought back to ``[L, N, D·H]`` (``Transpose``, ``Reshape`` or ``Squeeze``, a
:class:`Directions`). A stacked torch module (``num_layers`` > 1) is one node per layer; the
nodes that continue the one before them (:func:`continuing`) add a layer to its row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from ..errors import SpecError
from ._extras import require
from ._importer import Importer, Size, Tensor
from ._onnx_node import (
    Directions,
    Initializer,
    Node,
    Permuted,
    Weights,
    Zeros,
    add,
    constant_in,
    record,
    tensor_in,
    weights_in,
)
from ._torch_ops import layer_entry

__all__ = ["RECURRENT", "RECURRENT_OPS", "continuing", "slice_value", "squeeze"]

#: ONNX's recurrent ops and their number of gates
RECURRENT = {"RNN": 1, "GRU": 3, "LSTM": 4}
#: the activations torch's LSTM and GRU use, in ONNX's names (per direction)
_ACTIVATIONS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"]}
_NONLINEARITY = {"Tanh": "tanh", "Relu": "relu"}


def _refuse(node: Node, reason: str, field: str | None = None) -> SpecError:
    return SpecError(reason, where=node.where, field=field)


def _arguments(node: Node, directions: int) -> dict[str, Any]:
    """The torch arguments the attributes give (``nonlinearity``), after refusing what no torch
    module writes."""
    attributes = node.attributes
    for name in ("clip", "activation_alpha", "activation_beta"):
        if name in attributes:
            raise _refuse(node, f"`{name}` has no torch argument", name)
    if attributes.get("input_forget", 0):
        raise _refuse(
            node, "`input_forget` = 1 (coupled gates) is not torch's LSTM", "input_forget"
        )
    if attributes.get("layout", 0):
        raise _refuse(node, "`layout` = 1 (batch first) is not what torch writes", "layout")
    activations = [str(name) for name in attributes.get("activations", [])]
    if node.op_type == "RNN":
        names = set(activations or ["Tanh"])
        if len(names) != 1 or next(iter(names)) not in _NONLINEARITY:
            raise _refuse(node, f"`activations` = {activations}: torch's RNN is tanh or relu")
        return {"nonlinearity": _NONLINEARITY[next(iter(names))]}
    if activations and activations != _ACTIVATIONS[node.op_type] * directions:
        raise _refuse(
            node, f"`activations` = {activations} are not torch's {node.op_type}", "activations"
        )
    if node.op_type == "GRU" and attributes.get("linear_before_reset", 0) != 1:
        raise _refuse(
            node,
            "torch's GRU applies the reset gate after the recurrent product "
            "(`linear_before_reset` = 1)",
            "linear_before_reset",
        )
    return {}


def _zero_state(node: Node, index: int, directions: int, hidden: int) -> None:
    """An initial state must be absent or zeros (torch's default) of ``[D, N, H]``."""
    value = node.input(index)
    if value is None:
        return
    if isinstance(value, Initializer):
        value = require("onnx.numpy_helper").to_array(value.proto)
    if isinstance(value, Zeros):
        shape = value.shape
        batch = shape[1] if len(shape) == 3 else None
        if (
            len(shape) == 3
            and (shape[0], shape[2]) == (directions, hidden)
            and (not isinstance(batch, Size) or batch.dim == 0)
        ):
            return
    elif type(value).__module__ == "numpy":
        if value.ndim == 3 and value.shape[::2] == (directions, hidden) and not value.any():
            return
    raise _refuse(
        node,
        f"input {index} (an initial state) must be zeros of [{directions}, N, {hidden}] (torch's "
        "default); a state the graph computes or learns has no symcnn layer",
    )


def _check(node: Node, name: str, weights: Weights, shape: tuple[int, ...]) -> None:
    if weights.shape != shape:
        raise _refuse(
            node, f"`{name}` has shape {list(weights.shape)}, where ONNX's layout is {list(shape)}"
        )


def _recurrent(importer: Importer, node: Node) -> Directions:
    kind, attributes = node.op_type, node.attributes
    direction = attributes.get("direction", "forward")
    if direction not in ("forward", "bidirectional"):
        raise _refuse(node, f"`direction` = {direction!r} has no torch argument", "direction")
    directions = 2 if direction == "bidirectional" else 1
    arguments = _arguments(node, directions)
    x = node.input(0)
    if isinstance(x, Tensor):
        raise _refuse(
            node,
            "reads its input time first ([L, N, F]), but this tensor's first axis is the batch",
        )
    if not isinstance(x, Permuted) or x.order != (1, 0, 2):
        tensor_in(node)  # refuses it by what it is
        raise _refuse(node, "reads its input time first ([L, N, F])")
    w, r = weights_in(node, 1), weights_in(node, 2)
    b = weights_in(node, 3, optional=True)
    assert w is not None and r is not None
    hidden = int(attributes.get("hidden_size", r.shape[-1]))
    size = RECURRENT[kind] * hidden
    if node.continues:
        inputs: Any = directions * hidden
    else:
        inputs = importer.shape_of(x.tensor, node.where)[-1]
    if not (isinstance(inputs, int) or inputs.is_Integer) or len(w.shape) != 3:
        raise _refuse(node, "needs a sequence whose features have a number")
    _check(node, "W", w, (directions, size, int(inputs)))
    _check(node, "R", r, (directions, size, hidden))
    if b is not None:
        _check(node, "B", b, (directions, 2 * size))
    if node.input(4) is not None:
        raise _refuse(node, "`sequence_lens` (packed sequences) has no symcnn layer")
    if kind == "LSTM" and node.input(7) is not None:
        raise _refuse(node, "peephole weights `P` are not torch's LSTM")
    for index in (5, 6) if kind == "LSTM" else (5,):
        _zero_state(node, index, directions, hidden)
    if node.continues:
        entry = importer.entries[-1]
        if entry["name"] != x.tensor.name:  # pragma: no cover - continuing() checked the chain
            raise _refuse(node, "continues a row that is not the one before it")
        entry["num_layers"] = entry.get("num_layers", 1) + 1
        row = x.tensor
    else:
        arguments |= {
            "hidden_size": hidden,
            "bidirectional": directions == 2,
            "bias": None if b is not None else False,
            "batch_first": x.batch_first,
        }
        row = add(importer, node, layer_entry(kind, arguments), x.tensor)
    record(node, row, w, r, b)
    return Directions(row, directions, hidden, 2)


def squeeze(importer: Importer, node: Node) -> Any:
    """``Squeeze`` of a one-direction ``Y``'s direction axis: the time-major sequence."""
    value = node.input(0)
    axes = constant_in(node, 1) if len(node.inputs) > 1 else node.attributes.get("axes")
    if isinstance(value, Directions) and value.directions == 1:
        if axes in ([1], 1) and value.batch_axis == 2:
            return Permuted(value.tensor, (1, 0, 2))
    tensor_in(node)
    raise _refuse(node, "symcnn reads Squeeze only of a recurrent output's direction axis")


def _constant_of_shape(importer: Importer, node: Node) -> Zeros:
    shape = constant_in(node, 0)
    value = node.attributes.get("value")
    filled = 0 if value is None else require("onnx.numpy_helper").to_array(value).tolist()
    if not isinstance(shape, list) or filled not in (0, [0], 0.0, [0.0]):
        raise _refuse(node, "symcnn reads ConstantOfShape of zeros of a shape it knows")
    return Zeros(tuple(shape))


def _expand(importer: Importer, node: Node) -> Zeros:
    """``Expand`` of zeros to a shape (torch's initial state when the batch is not a named
    axis)."""
    value, shape = node.input(0), constant_in(node, 1)
    if isinstance(value, Zeros):
        sizes: tuple[Any, ...] = value.shape
    elif type(value).__module__ == "numpy" and not value.any():
        sizes = tuple(int(size) for size in value.shape)
    else:
        raise _refuse(node, "symcnn reads Expand only of zeros (a recurrent layer's state)")
    if not isinstance(shape, list) or len(sizes) > len(shape):
        raise _refuse(node, "symcnn reads Expand to a shape it knows")
    sizes = (1,) * (len(shape) - len(sizes)) + sizes
    return Zeros(tuple(new if old == 1 else old for old, new in zip(sizes, shape, strict=True)))


def _slice_sizes(node: Node, shape: tuple[Any, ...]) -> tuple[Any, ...]:
    """The shape a ``Slice`` (inputs or attributes ``starts``, ``ends``, ``axes``, ``steps``)
    leaves of ``shape``."""

    def read(index: int, name: str) -> Any:
        value = constant_in(node, index) if len(node.inputs) > index else None
        return node.attributes.get(name) if value is None else value

    starts, ends, axes, steps = (
        read(index, name) for index, name in enumerate(("starts", "ends", "axes", "steps"), 1)
    )
    if not isinstance(starts, list) or not isinstance(ends, list):
        raise _refuse(node, "symcnn reads Slice with constant starts and ends")
    axes = axes if isinstance(axes, list) else list(range(len(starts)))
    steps = steps if isinstance(steps, list) else [1] * len(starts)
    sizes = list(shape)
    for start, end, axis, step in zip(starts, ends, axes, steps, strict=True):
        size = sizes[axis]
        if not isinstance(size, int) or step == 0:
            raise _refuse(node, f"cannot slice the axis {axis} of size {size!r}")
        sizes[axis] = len(range(size)[slice(start, end, step)])
    return tuple(sizes)


def slice_value(importer: Importer, node: Node) -> Any:
    """``Slice`` of weights (a gate of an RNN's), of a zero state or of a shape being built."""
    value = node.input(0)
    if isinstance(value, Initializer | Weights):
        weights = weights_in(node, 0)
        assert weights is not None
        return Weights(_slice_sizes(node, weights.shape), weights.parts)
    if isinstance(value, Zeros):
        return Zeros(_slice_sizes(node, value.shape))
    if isinstance(value, list):
        start, end = constant_in(node, 1), constant_in(node, 2)
        step = constant_in(node, 4) if len(node.inputs) > 4 else [1]
        if constant_in(node, 3) not in (None, [0]) or not isinstance(start, list):
            raise _refuse(node, "symcnn reads Slice of a shape along its one axis")
        return value[slice(start[0], end[0], step[0])]
    tensor_in(node)
    raise _refuse(node, "slicing a tensor the graph computes has no symcnn layer")


def continuing(graph: Any, row_name: Callable[[Any], str]) -> set[str]:
    """The first outputs of the recurrent nodes that are the next layer of the one before them:
    same op, module and attributes, reading its ``Y`` through the ``Transpose``, ``Reshape`` or
    ``Squeeze`` torch writes, with nothing else reading that ``Y``, the chain or its states."""
    uses = Counter(name for node in graph.node for name in node.input if name)
    uses.update(value.name for value in graph.output)
    producer = {output: node for node in graph.node for output in node.output}

    def signature(node: Any) -> tuple[Any, ...]:
        attributes = sorted((a.name, str(a)) for a in node.attribute)
        has_bias = len(node.input) > 3 and bool(node.input[3])
        return node.op_type, row_name(node), has_bias, attributes

    found: set[str] = set()
    for node in graph.node:
        if node.op_type not in RECURRENT:
            continue
        value = node.input[0]
        for _ in range(4):
            source = producer.get(value)
            if source is None or uses[value] != 1:
                break
            if source.op_type in RECURRENT:
                if (
                    value == source.output[0]
                    and signature(source) == signature(node)
                    and not any(uses[state] for state in source.output[1:])
                ):
                    found.add(node.output[0])
                break
            if source.op_type not in ("Transpose", "Reshape", "Squeeze"):
                break
            value = source.input[0]
    return found


#: ONNX op_type -> handler, for the ops of this module
RECURRENT_OPS = {
    **dict.fromkeys(RECURRENT, _recurrent),
    "Squeeze": squeeze,
    "ConstantOfShape": _constant_of_shape,
    "Expand": _expand,
    "Slice": slice_value,
}
