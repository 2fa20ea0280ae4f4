"""The exceptions symcnn raises: one base class, a few subclasses.

Every message names where the problem is (the layer, by index and name), the field, the value and
what would be valid, so that the one line the CLI prints is enough to fix the spec.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ParseError", "ShapeError", "SolveError", "SpecError", "SymcnnError"]


class SymcnnError(ValueError):
    """Base class of every error symcnn raises on bad input."""


class SpecError(SymcnnError):
    """A spec (file, dict or layer arguments) is invalid."""

    def __init__(self, message: str, *, where: Any = None, field: str | None = None) -> None:
        self.where = where
        self.field = field
        prefix = f"{where}: " if where is not None else ""
        super().__init__(prefix + message)


class ShapeError(SpecError):
    """A layer cannot take the tensor it is given (rank, size or channel mismatch)."""


class ParseError(SymcnnError):
    """An expression typed by a user is not in the accepted grammar."""

    def __init__(self, message: str, *, text: str = "", position: int | None = None) -> None:
        self.text = text
        self.position = position
        if position is not None and text:
            message = f"{message} at position {position} in {text!r}"
        elif text:
            message = f"{message} in {text!r}"
        super().__init__(message)


class SolveError(SymcnnError):
    """A question cannot be answered as asked (unknown symbol, unbounded search, contradiction)."""
