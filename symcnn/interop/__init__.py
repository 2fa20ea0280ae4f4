"""From PyTorch and ONNX and back: :func:`from_torch` reads a ``torch.nn.Module`` as a symcnn
network, :func:`from_onnx` an ONNX graph, :func:`from_keras` a Keras model or its JSON config,
:func:`to_torch` builds the module of a numeric spec, :func:`torch_source` writes its source and
:func:`to_onnx` its ONNX graph.

Nothing here imports torch or onnx until one of these runs: ``import symcnn`` never loads them.
"""

from __future__ import annotations

from .keras_import import from_keras, keras_spec
from .onnx_export import to_onnx
from .onnx_import import from_onnx, onnx_spec
from .torch_export import to_torch, torch_source
from .torch_import import PROBE_SIZE, TracingFallbackWarning, from_torch, torch_spec

__all__ = [
    "PROBE_SIZE",
    "TracingFallbackWarning",
    "from_keras",
    "from_onnx",
    "from_torch",
    "keras_spec",
    "onnx_spec",
    "to_onnx",
    "to_torch",
    "torch_source",
    "torch_spec",
]
