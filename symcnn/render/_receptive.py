"""The receptive-field column of a summary (``symcnn summary --receptive-field``): each row's field
(:mod:`symcnn.receptive`) as a cell, the whole input marked, and a row without one shown as a
dash with its reason said once under the table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..layers.base import Expr, Refused
from ..network import Network
from ..receptive import Field, fields
from ._strings import sstr

__all__ = ["HEADER", "ReceptiveCell", "cells", "data", "text"]

HEADER = "Receptive field"
#: what a cell says of a field that is the whole input
WHOLE = "whole input"
#: the cell of a row without a field
NONE = "—"


@dataclass(frozen=True)
class ReceptiveCell:
    """One row's field: its sizes (``None``: it has none), whether it is the whole input, and
    why it has none."""

    size: tuple[Expr, ...] | None
    whole: bool = False
    reason: str = ""


def cells(net: Network) -> dict[str, ReceptiveCell]:
    """Every input's and row's cell by name."""
    found: dict[str, ReceptiveCell] = {}
    for name, state in fields(net.rows, net.inputs, net.layout).items():
        if isinstance(state, Field):
            found[name] = ReceptiveCell(state.size, state.whole)
        else:
            reason = state.reason if isinstance(state, Refused) else "reads no input"
            found[name] = ReceptiveCell(None, reason=reason)
    return found


def text(cell: ReceptiveCell | None) -> str:
    """``7 × 7``, ``224 × 224 (whole input)``, or a dash."""
    if cell is None:
        return ""
    if cell.size is None:
        return NONE
    shown = " × ".join(sstr(size) for size in cell.size) or "1"
    return f"{shown} ({WHOLE})" if cell.whole else shown


def reasons(shown: Sequence[ReceptiveCell | None]) -> list[str]:
    """The distinct reasons of the dashes, in order, as lines under the table."""
    seen: list[str] = []
    for cell in shown:
        if cell is not None and cell.size is None and cell.reason not in seen:
            seen.append(cell.reason)
    return [f"{NONE} no receptive field: {reason}" for reason in seen]


def data(cell: ReceptiveCell) -> dict[str, object]:
    """A row's field in a JSON summary: its sizes as exact strings, or ``null`` and the reason."""
    if cell.size is None:
        return {"receptive_field": None, "receptive_field_refused": cell.reason}
    found: dict[str, object] = {"receptive_field": [sstr(size) for size in cell.size]}
    if cell.whole:
        found["receptive_field_whole"] = True
    return found
