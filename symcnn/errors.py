"""The exceptions symcnn raises: one base class, a few subclasses.

Every message names where the problem is (the layer, by index and name), the field, the value and
what would be valid, so that the one line the CLI prints is enough to fix the spec.
"""

from __future__ import annotations

import reprlib
from typing import Any

import symcnn.limits as limits

__all__ = ["ParseError", "ShapeError", "SolveError", "SpecError", "SymcnnError", "describe"]

_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxtuple, _SHORT.maxset = 3, 8, 8, 8, 8
_SHORT.maxstring = _SHORT.maxother = limits.MAX_DESCRIBED


def describe(value: Any) -> str:
    """A value as an error message shows it: text quoted, and never longer than
    :data:`symcnn.limits.MAX_DESCRIBED` characters, however large or deeply aliased the value.

    >>> describe("k")
    "'k'"
    >>> describe([[1, 2]] * 20)
    '[[1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], ...]'
    """
    written = getattr(value, "exact", None) and getattr(value, "text", None)
    if isinstance(written, str):  # a decimal read exactly (symcnn.parse.ExactFloat)
        shown = written
    elif isinstance(value, str | list | tuple | dict | set):
        shown = _SHORT.repr(value)
    elif isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 3000:
        shown = f"an integer of {value.bit_length():,} bits"
    else:
        try:
            shown = str(value)
        except ValueError:  # a number past Python's printing limit
            shown = f"a {type(value).__name__} too large to print"
    limit = limits.MAX_DESCRIBED
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


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
