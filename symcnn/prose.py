"""Prose as data: the inline pieces a sentence is made of, and the phrases layers describe
themselves with (``8 filters of 5 × 5, stride 1``).

A piece is text (escaped by every renderer), an exact value (typeset) or a tensor shape. Layers
build their descriptions from these (:meth:`symcnn.layers.Layer.describe`); the documents of
:mod:`symcnn.render.document` hold them; each renderer formats them its own way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

import sympy

__all__ = ["Inline", "Math", "Shape", "Text", "bias_phrase", "exact", "sizes", "uniform"]


@dataclass(frozen=True)
class Text:
    """User or template text: every renderer escapes it."""

    text: str
    bold: bool = False


@dataclass(frozen=True)
class Math:
    """An exact value or relation (a number, a symbol, a formula): typeset, never escaped text."""

    value: sympy.Basic


@dataclass(frozen=True)
class Shape:
    """A tensor shape ``(28, 28, 8)``."""

    sizes: tuple[sympy.Expr, ...]


Inline = Union[Text, Math, Shape]  # noqa: UP007


# ------------------------------------------------------------------------------ phrases


def exact(size: Any) -> sympy.Basic:
    """A layer's size as SymPy: already exact (the spec loader parsed it), or a plain int."""
    if isinstance(size, sympy.Basic):
        return size
    if isinstance(size, int):
        return sympy.Integer(size)
    raise TypeError(f"expected an exact size, got {size!r}")


def sizes(values: Sequence[Any]) -> list[Inline]:
    """One value per axis: ``5 × 5``."""
    pieces: list[Inline] = []
    for position, size in enumerate(values):
        if position:
            pieces.append(Text(" × "))
        pieces.append(Math(exact(size)))
    return pieces


def uniform(values: Sequence[Any]) -> list[Inline]:
    """Per-axis values, given once when every axis has the same (``stride 2``)."""
    if len(set(values)) == 1:
        return [Math(exact(values[0]))]
    return sizes(values)


def bias_phrase(value: sympy.Expr) -> list[Inline]:
    """Nothing for the default bias; ``, no bias`` or ``, bias b`` otherwise."""
    if value == 1:
        return []
    if value == 0:
        return [Text(", no bias")]
    return [Text(", bias "), Math(value)]
