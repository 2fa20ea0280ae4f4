"""The optional frameworks: imported only inside the functions that need them, so that ``import
symcnn`` never loads torch or onnx, and a missing one is a one-line symcnn error naming the extra
to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import SymcnnError

__all__ = ["MissingExtraError", "require"]

#: the module each extra provides, and the extra (``pip install 'symcnn[EXTRA]'``) that installs it
EXTRAS: dict[str, str] = {"torch": "torch", "onnx": "onnx"}


class MissingExtraError(SymcnnError):
    """An optional framework symcnn needs for this call is not installed."""


def require(module: str) -> ModuleType:
    """Import ``module`` (``torch``, ``torch.fx``, ``onnx``...), or say which extra installs it."""
    top = module.split(".")[0]
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = EXTRAS.get(top, top)
        raise MissingExtraError(
            f"this needs {top}, which is not installed: pip install 'symcnn[{extra}]'"
        ) from None
