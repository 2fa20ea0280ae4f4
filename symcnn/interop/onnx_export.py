"""From a symcnn network to ONNX: :func:`to_onnx` builds the module of :func:`~.to_torch` and
exports it with ``torch.onnx.export`` (the TorchScript exporter, ``dynamo=False``: it writes the
same graph every time, in seconds, with a dynamic batch axis ``N``).

The graph keeps what the counts need: it is exported in training mode, so a BatchNorm stays a
``BatchNormalization`` node with its running statistics (in eval mode the exporter folds it into
the convolution before it), and no constant is folded. :func:`~.from_onnx` reads it back with
the spec's counts.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

from ..network import Network
from ._extras import require
from .torch_export import to_torch, torch_input_shape

__all__ = ["ONNX_OPSET", "to_onnx"]

#: the ONNX opset the export writes
ONNX_OPSET = 17


def to_onnx(net: Network, path: str | Path | None = None) -> Any:
    """The ``onnx.ModelProto`` of a numeric network, input ``input`` with a dynamic batch ``N``;
    written to ``path`` too when one is given."""
    torch = require("torch")
    onnx = require("onnx")
    module = to_torch(net)
    # token ids when the input goes to an embedding (symcnn refuses float indices)
    tokens = any(
        row.type.startswith("Embedding") and set(row.inputs) & set(net.inputs) for row in net.rows
    )
    example = torch.zeros(2, *torch_input_shape(net), dtype=torch.long if tokens else None)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the exporter's notes on training mode and dynamo
        torch.onnx.export(
            module,
            (example,),
            buffer,
            dynamo=False,
            opset_version=ONNX_OPSET,
            training=torch.onnx.TrainingMode.TRAINING,
            do_constant_folding=False,
            input_names=["input"],
            output_names=["output"],
            dynamic_axes={"input": {0: "N"}, "output": {0: "N"}},
        )
    model = onnx.load_from_string(buffer.getvalue())
    if path is not None:
        Path(path).write_bytes(buffer.getvalue())
    return model
