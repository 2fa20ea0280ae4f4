"""A sweep's table (:class:`Sweep`, one row per grid point) and its outputs: an aligned text
table, CSV, JSON and a plot."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._csv_columns import csv_lines
from .errors import SolveError

__all__ = ["EXACT", "Sweep", "plot_sweep", "sweep_csv", "sweep_json", "sweep_table"]

#: floats hold every integer below this exactly
EXACT = 2**53


@dataclass(frozen=True)
class Sweep:
    """A sweep's table: one row per grid point, a column per variable and per quantity.

    Shapes give one column per axis (``output_shape[0]``…). ``valid`` says whether the network is
    valid at each point; quantities at invalid points are not meaningful and print as blanks.
    """

    variables: tuple[str, ...]
    quantities: tuple[str, ...]
    columns: Mapping[str, np.ndarray]
    valid: np.ndarray
    notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.valid)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def rows(self) -> Iterator[dict[str, Any]]:
        """Each point as a dict; quantities at invalid points are ``None``."""
        names = [*self.variables, *self.quantities]
        lists = {name: self.columns[name].tolist() for name in names}
        valid = self.valid.tolist()
        for i, ok in enumerate(valid):
            row: dict[str, Any] = {name: lists[name][i] for name in self.variables}
            for name in self.quantities:
                row[name] = lists[name][i] if ok else None
            row["valid"] = ok
            yield row


# ------------------------------------------------------------------------------ output


def _cell(value: Any, grouping: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < EXACT:
        value = int(value)
    if isinstance(value, int) and grouping:
        return f"{value:,}"
    return str(value)


def sweep_table(result: Sweep, limit: int | None = None) -> str:
    """The sweep as an aligned text table (at most ``limit`` rows, then a line saying how many
    were left out)."""
    show_valid = not bool(result.valid.all())
    headers = [*result.variables, *result.quantities] + (["valid"] if show_valid else [])
    lines = []
    for i, row in enumerate(result.rows()):
        if limit is not None and i >= limit:
            break
        cells = [_cell(row[name], True) for name in headers if name != "valid"]
        if show_valid:
            cells.append("yes" if row["valid"] else "no")
        lines.append(cells)
    widths = [max([len(h), *(len(line[j]) for line in lines)]) for j, h in enumerate(headers)]
    out = ["  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    out += [
        "  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    ]
    if limit is not None and len(result) > limit:
        out.append(f"… {len(result) - limit:,} more rows (--limit, or --format csv for all)")
    out += [f"note: {note}" for note in result.notes]
    return "\n".join(out) + "\n"


def sweep_csv(result: Sweep) -> str:
    """The sweep as CSV: a header, then one line per point; blank cells where the network is
    invalid, and a ``valid`` column. Whole-number columns are written as bytes by NumPy, every
    cell of a block of rows at once (:mod:`symcnn._csv_columns`), so a million rows take a
    fraction of a second; a column of other values (Python integers past ``int64``) is written
    a cell at a time."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(
        [*result.variables, *result.quantities, "valid"]
    )
    valid = np.asarray(result.valid, dtype=bool)
    names = [*result.variables, *result.quantities]
    whole = [_whole(result.columns[name]) for name in names]
    if all(column is not None for column in whole):
        buffer.write(csv_lines(whole, valid, len(result.variables)))  # type: ignore[arg-type]
        return buffer.getvalue()
    columns = [_csv_column(result.columns[name], None) for name in result.variables]
    columns += [_csv_column(result.columns[name], valid) for name in result.quantities]
    columns.append(["true" if ok else "false" for ok in valid.tolist()])
    if len(valid):
        buffer.write("\n".join(map(",".join, zip(*columns, strict=True))))
        buffer.write("\n")
    return buffer.getvalue()


def _whole(column: np.ndarray) -> np.ndarray | None:
    """``column`` as ``int64`` when every value is a whole number that fits (a float one below
    :data:`EXACT`, where a float is still exact); ``None`` otherwise."""
    if column.dtype.kind == "i" or (column.dtype.kind == "u" and column.dtype.itemsize < 8):
        return column.astype(np.int64)
    if column.dtype.kind == "f" and bool(
        np.all((column == np.round(column)) & (np.abs(column) < EXACT))
    ):
        return column.astype(np.int64)
    return None


def _csv_column(column: np.ndarray, valid: np.ndarray | None) -> list[str]:
    """A column's CSV cells as :func:`_cell` writes them (no grouping), blank where ``valid`` is
    False, one at a time (the columns :func:`_whole` cannot take)."""
    whole = _whole(column)
    if whole is not None:
        text = list(map(str, whole.tolist()))
    else:
        text = [_cell(value, False) for value in column.tolist()]
    if valid is not None:
        for position in np.flatnonzero(~valid).tolist():
            text[position] = ""
    return text


def sweep_json(result: Sweep) -> str:
    """The sweep as JSON: variables, quantities, notes and one object per point."""
    data = {
        "variables": list(result.variables),
        "quantities": list(result.quantities),
        "notes": list(result.notes),
        "points": list(result.rows()),
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


PLOT_SUFFIXES = (".png", ".svg", ".pdf")
MAX_LINES = 12


def plot_sweep(result: Sweep, path: str | Path, x: str | None = None, y: str | None = None) -> Path:
    """Plot quantity ``y`` against variable ``x`` and save it (PNG, SVG or PDF, by the suffix).

    Other swept variables give one line each (at most 12). Needs matplotlib (the ``plot`` extra).
    """
    path = Path(path)
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise SolveError(f"plot {str(path)!r}: the file must end in .png, .svg or .pdf")
    x = x or result.variables[0]
    y = y or result.quantities[0]
    if x not in result.variables:
        raise SolveError(f"plot: x = {x} is not swept (swept: {', '.join(result.variables)})")
    if y not in result.quantities:
        raise SolveError(f"plot: y = {y} is not shown (shown: {', '.join(result.quantities)})")
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise SolveError("plotting needs matplotlib: pip install 'symcnn[plot]'") from None
    others = [v for v in result.variables if v != x]
    keys = (
        np.stack([result.columns[v] for v in others], axis=1)
        if others
        else np.zeros((len(result), 0), dtype=np.int64)
    )
    groups = np.unique(keys, axis=0) if len(result) else keys
    if len(groups) > MAX_LINES:
        raise SolveError(
            f"plot: {len(groups)} lines (one per value of {', '.join(others)}); sweep fewer values "
            f"of them (at most {MAX_LINES} lines)"
        )
    figure = Figure(figsize=(6.4, 4.0), layout="constrained")
    axes = figure.add_subplot()
    for group in groups:
        mask = result.valid & np.all(keys == group, axis=1)
        order = np.argsort(result.columns[x][mask], kind="stable")
        label = ", ".join(f"{v} = {g}" for v, g in zip(others, group, strict=True)) or None
        axes.plot(
            result.columns[x][mask][order],
            result.columns[y][mask][order],
            marker="o",
            markersize=3,
            label=label,
        )
    axes.set_xlabel(x)
    axes.set_ylabel(y)
    axes.grid(True, alpha=0.3)
    if others:
        axes.legend(fontsize="small")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path
