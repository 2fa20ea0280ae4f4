"""From PyTorch and back: :func:`from_torch` reads a ``torch.nn.Module`` as a symcnn network,
:func:`to_torch` builds the module of a numeric spec and :func:`torch_source` writes its source.

Nothing here imports torch until one of these runs: ``import symcnn`` never loads torch.
"""

from __future__ import annotations

from .torch_export import to_torch, torch_source
from .torch_import import PROBE_SIZE, TracingFallbackWarning, from_torch, torch_spec

__all__ = [
    "PROBE_SIZE",
    "TracingFallbackWarning",
    "from_torch",
    "to_torch",
    "torch_source",
    "torch_spec",
]
