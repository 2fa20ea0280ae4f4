"""From an ONNX graph to a symcnn network: each node becomes a spec entry (``Conv`` -> a
convolution, ``Gemm`` -> ``Linear``, ``Add`` of two tensors -> a merge...), the initializers give
the sizes (a Conv's weight ``[out, in/groups, k, k]`` its ``out_channels``, ``kernel_size`` and
``groups``), and the input's ``dim_param`` dimensions become symbols: an image exported with a
dynamic batch ``N`` and size ``H``, ``W`` imports as ``input: [3, H, W]``.

Rows are named after the torch module that made the node where the exporter says so (its scope
``/layer1/layer1.0/conv1/Conv`` is ``layer1.0.conv1``), else after the node. The parameters and
buffers are checked against the initializers each row reads. A node symcnn cannot map is refused
by its name and ``op_type``.

onnx is imported only when a model is read (``pip install 'symcnn[onnx]'``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..facade import Network
from ..facade import load as load_spec
from ._extras import require
from ._importer import Importer, Tensor, Unread
from ._onnx_node import Initializer, Node, Permuted
from ._onnx_ops import OPS
from ._onnx_recurrent import RECURRENT, continuing

__all__ = ["MAX_ONNX_BYTES", "from_onnx", "onnx_spec"]

#: the largest ONNX file symcnn reads (bytes): weights included, 2 GB is protobuf's own limit
MAX_ONNX_BYTES = 2**31


def from_onnx(path_or_model: Any, *, name: str | None = None) -> Network:
    """The symcnn network of an ONNX model (a path or a loaded ``onnx.ModelProto``), for one
    example: the input's first axis is the batch and is dropped; ``dim_param`` sizes are
    symbols."""
    spec, weights = _read(path_or_model, name)
    net = load_spec(spec)
    _check_counts(net, weights)
    return net


def onnx_spec(path_or_model: Any, *, name: str | None = None) -> dict[str, Any]:
    """The spec dict of an ONNX model (see :func:`from_onnx`)."""
    return _read(path_or_model, name)[0]


def _load(path_or_model: Any) -> Any:
    onnx = require("onnx")
    if isinstance(path_or_model, onnx.ModelProto):
        return path_or_model
    if not isinstance(path_or_model, str | Path):
        raise SpecError(
            f"from_onnx needs a path or an onnx.ModelProto, got {type(path_or_model).__name__}"
        )
    path = Path(path_or_model)
    if not path.is_file():
        raise SpecError(f"{str(path)!r}: no such ONNX file")
    if path.stat().st_size > MAX_ONNX_BYTES:
        raise SpecError(f"{str(path)!r}: larger than {MAX_ONNX_BYTES} bytes (MAX_ONNX_BYTES)")
    try:
        return onnx.load(str(path))
    except Exception as error:  # protobuf's DecodeError and friends
        raise SpecError(f"{str(path)!r} is not an ONNX model ({type(error).__name__})") from None


def _symbol(text: str) -> str:
    """A ``dim_param`` as a symbol name: ``height`` stays, ``x_dynamic_axes_1`` stays, other
    characters become ``_``."""
    cleaned = re.sub(r"\W", "_", text)
    return cleaned if cleaned[:1].isalpha() else f"d_{cleaned}"


def _input(graph: Any, initializers: dict[str, Any]) -> tuple[str, list[Any], str | None, int]:
    inputs = [value for value in graph.input if value.name not in initializers]
    if len(inputs) != 1:
        raise SpecError(f"from_onnx reads a model with one input; the graph has {len(inputs)}")
    value = inputs[0]
    tensor = value.type.tensor_type
    if not tensor.HasField("shape"):
        raise SpecError(f"the input {value.name!r} declares no shape")
    sizes: list[Any] = []
    for dim in tensor.shape.dim:
        if dim.HasField("dim_value"):
            sizes.append(int(dim.dim_value))
        elif dim.HasField("dim_param"):
            sizes.append(_symbol(dim.dim_param))
        else:
            raise SpecError(f"the input {value.name!r} has an axis with neither size nor name")
    if len(sizes) < 2:
        raise SpecError(
            f"the input {value.name!r} has shape {sizes}: symcnn needs a batch axis and at "
            "least one more"
        )
    # an input read time first by a recurrent op ([L, N, F], torch's batch_first=False)
    time_major = any(
        node.op_type in RECURRENT and node.input[0] == value.name and len(sizes) == 3
        for node in graph.node
    )
    batch = 1 if time_major else 0
    onnx = require("onnx")
    integer = tensor.elem_type in (onnx.TensorProto.INT64, onnx.TensorProto.INT32)
    dtype = {onnx.TensorProto.INT64: "int64", onnx.TensorProto.INT32: "int32"}.get(tensor.elem_type)
    example = sizes[:batch] + sizes[batch + 1 :]
    return value.name, example, dtype if integer else None, batch


def _read(path_or_model: Any, name: str | None) -> tuple[dict[str, Any], dict[str, int]]:
    model = _load(path_or_model)
    graph = model.graph
    numpy_helper = require("onnx.numpy_helper")
    initializers = {init.name: init for init in graph.initializer}
    input_name, shape, dtype, batch = _input(graph, initializers)
    source: Any = {"shape": shape, "dtype": dtype} if dtype else shape
    importer = Importer(source)
    values: dict[str, Any] = {
        input_name: Permuted(Tensor("input"), (1, 0, 2)) if batch else Tensor("input")
    }
    continues = continuing(graph, _row_name)
    onnx = require("onnx")
    for init in graph.initializer:
        if init.data_type in (onnx.TensorProto.INT64, onnx.TensorProto.INT32):
            values[init.name] = numpy_helper.to_array(init)  # a shape or an index, not a weight
        else:
            values[init.name] = Initializer(init.name, tuple(int(d) for d in init.dims), init)
    weights: dict[str, int] = {}
    readers: dict[str, str] = {}
    counted: set[tuple[str, str]] = set()
    _refuse_attention(graph)
    for node in graph.node:
        where = f"node {node.name or node.output[0]!r} ({node.op_type})"
        if node.op_type == "Constant":
            values[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
            continue
        inputs = [values.get(item) if item else None for item in node.input]
        if node.input and all(_is_constant(item) for item in inputs):
            # arithmetic on constants (the pads of an F.pad, a shape): computed as ONNX does
            outputs = _fold(node, inputs, where)
            values.update(zip(node.output, outputs, strict=False))
            continue
        handler = OPS.get(node.op_type)
        if handler is None:
            raise SpecError(
                "symcnn has no layer for this ONNX op (see docs/import-export.md for the ops "
                "it reads)",
                where=where,
            )
        onnx_node = Node(
            op_type=node.op_type,
            name=_row_name(node),
            inputs=inputs,
            attributes={a.name: _attribute(a) for a in node.attribute},
            where=where,
            continues=node.output[0] in continues,
        )
        values[node.output[0]] = handler(importer, onnx_node)
        for index, output in enumerate(node.output[1:], 1):
            values[output] = Unread(f"output {index} of {where} (a state, a mask or statistics)")
        for owner, initializer, numel in onnx_node.weights:
            reader = readers.setdefault(initializer, owner)
            if reader != owner:
                raise SpecError(
                    f"the initializer {initializer!r} is read by the rows {reader!r} and "
                    f"{owner!r}: a module applied twice, or equal weights the exporter merged "
                    "into one (the dynamo exporter does that to a new model's norms); symcnn "
                    "cannot tell how often torch counts it",
                    where=where,
                )
            if (owner, initializer) not in counted:
                counted.add((owner, initializer))
                weights[owner] = weights.get(owner, 0) + numel
    outputs = [values.get(value.name) for value in graph.output]
    if len(outputs) == 1 and isinstance(outputs[0], Permuted) and outputs[0].same_example:
        outputs = [outputs[0].tensor]  # a sequence time first: the same example
    if len(outputs) == 1 and not isinstance(outputs[0], Tensor):
        raise SpecError(
            f"from_onnx reads a model whose output is a tensor it describes; the output "
            f"{graph.output[0].name!r} is {outputs[0]!r}"
        )
    if len(outputs) != 1 or not isinstance(outputs[0], Tensor):
        raise SpecError(f"from_onnx reads a model with one tensor output; it has {len(outputs)}")
    if not importer.entries:
        importer.add({"type": "identity"}, "identity", [Tensor("input")])
    elif outputs[0].name != importer.entries[-1]["name"]:
        importer.add({"type": "identity"}, "output", [outputs[0]])
    spec = {"name": name or graph.name or "onnx model", "input": source, "layout": "CHW"}
    return {**spec, "layers": importer.entries}, weights


#: ONNX's (opset 23) and onnxruntime's attention ops
_ATTENTION = ("Attention", "MultiHeadAttention")


def _refuse_attention(graph: Any) -> None:
    """Attention is refused by the first node of its core, before any other node is read: an
    attention op, or a ``MatMul`` of two tensors the graph computes (``Q·Kᵀ``, ``weights·V``)."""
    known = {init.name for init in graph.initializer}
    for node in graph.node:
        if node.op_type == "Constant" or (
            node.input and all(not n or n in known for n in node.input)
        ):
            known.update(node.output)  # computed from weights and constants only
            continue
        if node.op_type in _ATTENTION or (node.op_type == "MatMul" and not set(node.input) & known):
            raise SpecError(
                "attention (a product of two tensors the graph computes) is not read from "
                "ONNX: its heads and projections are spread over Reshape, Transpose and "
                "MatMul nodes; symcnn.from_torch reads nn.MultiheadAttention and the "
                "transformer layers",
                where=f"node {node.name or node.output[0]!r} ({node.op_type})",
            )


def _is_constant(value: Any) -> bool:
    return value is None or type(value).__module__ == "numpy"


def _fold(node: Any, inputs: list[Any], where: str) -> list[Any]:
    """The outputs of a node on constants, by ONNX's reference evaluator."""
    reference = require("onnx.reference")
    feeds = {name: value for name, value in zip(node.input, inputs, strict=True) if name}
    try:
        return list(reference.ReferenceEvaluator(node).run(None, feeds))
    except Exception as error:
        raise SpecError(
            f"computing this op on constants failed ({type(error).__name__}: {error})",
            where=where,
        ) from None


def _attribute(attribute: Any) -> Any:
    helper = require("onnx.helper")
    value = helper.get_attribute_value(attribute)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list):
        return [
            item.decode("utf-8", "replace") if isinstance(item, bytes) else item for item in value
        ]
    return value


#: ops a torch exporter writes for tensor arithmetic in a forward (``x + y``, ``torch.cat``),
#: named ``SCOPE.op``; the others come from a module and are named as the module
_FUNCTIONAL = ("Add", "Mul", "Sub", "Div", "Concat", "Reshape", "Transpose", "Pad", "Resize")


_NUMBERED = re.compile(r"_\d+$")


def _row_name(node: Any) -> str:
    """A node's row name from the scope torch's exporter writes: ``/layer1/layer1.0/conv1/Conv``
    is ``layer1.0.conv1``, ``/features/features.1/conv/conv.0/Conv`` is ``features.1.conv.0``
    (a scope that extends the one before it replaces it), ``/se/Mul`` is ``se.mul``; a node
    without a scope keeps its own name."""
    parts = [part for part in node.name.split("/") if part]
    if len(parts) < 2:
        return re.sub(r"\W+", "_", node.name or node.op_type).strip("_").lower() or "node"
    *scopes, own = parts
    base, name, previous = "", "", ""
    for scope in scopes:
        if previous and scope.startswith(f"{previous}."):
            name = f"{base}.{scope}" if base else scope
        else:
            base = name
            name = f"{name}.{scope}" if name else scope
        previous = scope
    if node.op_type in _FUNCTIONAL:
        return f"{name}.{_NUMBERED.sub('', own).lower()}"
    return name


def _check_counts(net: Network, weights: dict[str, int]) -> None:
    """Each row must count the weights its initializers hold (a BatchNorm's running statistics
    are buffers, and torch's ``num_batches_tracked``, which ONNX leaves out, one more)."""
    rows = {row.name: row for row in net.rows}
    for owner, held in weights.items():
        row = rows.get(owner)
        if row is None:  # pragma: no cover - every weight is read by the row just added
            continue
        counted = row.params + row.buffers
        extra = 1 if row.type.startswith("BatchNorm") else 0
        if counted.is_number and counted != held + extra:
            raise SpecError(
                f"its initializers hold {held} numbers, but on its input of shape "
                f"{list(row.input_shape)} symcnn counts {counted - extra}",
                where=f"row {owner!r} ({row.type})",
            )
