"""Sweeping a design space: a network's quantities over a grid of values, compiled to NumPy.

The formulas are compiled once (:func:`sympy.lambdify`, common subexpressions shared) and evaluated
over the whole grid in chunks of float64 arrays, which hold integers exactly up to 2**53; results
come back as int64 columns when they are exact. The network's validity checks are compiled too, so
every point says whether the network it describes is valid.

>>> import symcnn
>>> net = symcnn.load({"input": ["H", "H", 3], "layers": [
...     {"type": "conv2d", "out_channels": "k", "kernel_size": 5}]})
>>> result = sweep(net, {"k": "8..16:8", "H": "32,64"})
>>> print(sweep_table(result), end="")
 k   H  params  output_shape[0]  output_shape[1]  output_shape[2]
 8  32     608               28               28                8
 8  64     608               60               60                8
16  32   1,216               28               28               16
16  64   1,216               60               60               16
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sympy
from sympy import Expr

import symcnn.limits as limits

from ._csv_columns import csv_lines
from .errors import ParseError, SolveError
from .evaluate import compile_numpy, substitute
from .limits import how_to_raise
from .network import Network
from .parse import parse_expression
from .references import check_value, network_quantity, parse_number_text, values_table
from .solve._targets import parse_target

__all__ = [
    "Sweep",
    "compile_quantities",
    "parse_grid",
    "parse_values",
    "plot_sweep",
    "sweep",
    "sweep_csv",
    "sweep_json",
    "sweep_table",
]

EXACT = 2**53
CHUNK = 1 << 17
MAX_POINTS = limits.MAX_SWEEP_POINTS  # its value at import; the checks read symcnn.limits


# ------------------------------------------------------------------------------ the grid


def _integer(text: str, context: str) -> int:
    try:
        value = parse_expression(parse_number_text(text), lambda name: _no_names(name, context))
    except ParseError as error:
        raise SolveError(f"{context}: {error}") from None
    if not value.is_Integer:
        raise SolveError(f"{context}: {text!r} is not an integer")
    return int(value)


def _no_names(name: str, context: str) -> Expr:
    raise SolveError(f"{context}: values must be numbers, not {name}")


def parse_values(text: str, name: str = "value") -> list[int]:
    """The values a grid axis takes: ``8..64:8`` (from, to inclusive, step), ``32,64,128``, or
    both mixed (``1..4,8,16``).

    >>> parse_values("8..64:8")
    [8, 16, 24, 32, 40, 48, 56, 64]
    >>> parse_values("32, 64, 2^7")
    [32, 64, 128]
    """
    context = f"{name}={text}"
    values: list[int] = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            raise SolveError(f"{context}: empty value (expected 8..64:8 or 32,64,128)")
        span, colon, step_text = item.partition(":")
        low_text, dots, high_text = span.partition("..")
        if dots:
            if not low_text.strip() or not high_text.strip():
                raise SolveError(f"{context}: a range needs both ends, such as 8..64")
            low, high = _integer(low_text, context), _integer(high_text, context)
            step = _integer(step_text, context) if colon else 1
            if step < 1:
                raise SolveError(f"{context}: the step must be a positive integer")
            if high < low:
                raise SolveError(f"{context}: the range {low}..{high} is empty")
            span_values = range(low, high + 1, step)
            most = limits.MAX_SWEEP_POINTS
            if len(values) + len(span_values) > most:  # counted before it is listed
                raise SolveError(
                    f"{context}: {len(span_values):,} values, more than the {most:,} points a "
                    "sweep may have " + how_to_raise("MAX_SWEEP_POINTS")
                )
            values += span_values
        elif colon:
            raise SolveError(f"{context}: a step needs a range, such as 8..64:8")
        else:
            values.append(_integer(item, context))
    return list(dict.fromkeys(values))


def parse_grid(items: Iterable[str] | Mapping[str, Any]) -> dict[str, list[int]]:
    """``["k1=8..64:8", "H=32,64,128"]`` (or a mapping to text, ranges or lists) as axis values."""
    grid: dict[str, list[int]] = {}
    pairs: Iterable[tuple[str, Any]]
    if isinstance(items, Mapping):
        pairs = items.items()
    else:
        pairs = []
        for item in items:
            name, equals, text = str(item).partition("=")
            if not equals or not name.strip() or not text.strip():
                raise SolveError(f"sweep {item!r}: expected NAME=VALUES, such as k1=8..64:8")
            pairs.append((name.strip(), text.strip()))  # type: ignore[attr-defined]
    for name, raw in pairs:
        name = str(name)
        if name in grid:
            raise SolveError(f"{name} is swept twice")
        if isinstance(raw, str):
            values = parse_values(raw, name)
        elif isinstance(raw, int) and not isinstance(raw, bool):
            values = [raw]
        else:
            try:
                values = [int(v) for v in raw]
            except (TypeError, ValueError):
                raise SolveError(f"values of {name} must be integers, got {raw!r}") from None
        if not values:
            raise SolveError(f"{name} has no values")
        grid[name] = values
    if not grid:
        raise SolveError("nothing to sweep: give at least one NAME=VALUES, such as k1=8..64:8")
    return grid


# ------------------------------------------------------------------------------ compiling


def _columns(net: Network, names: Sequence[str]) -> list[tuple[str, Expr]]:
    columns = []
    for name in names:
        q = network_quantity(net, name)
        columns += list(zip(q.labels(), q.values, strict=True))
    return columns


def _symbols(net: Network, names: Sequence[str | sympy.Symbol]) -> list[sympy.Symbol]:
    table = values_table(net, {(n.name if isinstance(n, sympy.Symbol) else n): 1 for n in names})
    return list(table)


def compile_quantities(
    net: Network, quantities: Sequence[str], symbols: Sequence[str | sympy.Symbol]
) -> Callable[..., list[np.ndarray]]:
    """:meth:`symcnn.Network.lambdify`: quantities (shapes give one array per axis) as one NumPy
    function of ``symbols``."""
    chosen = _symbols(net, symbols)
    exprs = [expr for _, expr in _columns(net, quantities)]
    missing = set().union(*(e.free_symbols for e in exprs)) - set(chosen) if exprs else set()
    if missing:
        raise SolveError(
            f"the quantities also depend on {', '.join(sorted(s.name for s in missing))}; "
            "add them to the symbols"
        )
    return compile_numpy(exprs, chosen)


# ------------------------------------------------------------------------------ sweeping


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


def sweep(
    network: Any,
    grid: Mapping[str, Any] | Iterable[str],
    quantities: Sequence[str] = ("params", "output_shape"),
    *,
    values: Mapping[str, Any] | None = None,
    where: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
    max_points: int | None = None,
) -> Sweep:
    """Evaluate ``quantities`` at every point of ``grid`` (the Cartesian product of its axes).

    ``grid`` maps symbols to values (``"8..64:8"``, ``"32,64,128"``, a range or a list) or is a list
    of ``NAME=VALUES`` texts; ``values`` fixes other symbols (numbers or expressions of the swept
    ones, such as ``{"W": "H"}``); ``where`` keeps only the points that meet targets such as
    ``"params <= 1e6"``; ``progress(done, total)`` is called after each chunk.
    """
    net = network if isinstance(network, Network) else _load(network)
    axes = parse_grid(grid)
    table = values_table(net, values)
    swept = values_table(net, dict.fromkeys(axes, 1))
    variables = list(swept)
    for symbol in variables:
        if symbol in table:
            raise SolveError(f"{symbol} is both swept and given a value")
        for value in (min(axes[symbol.name]), max(axes[symbol.name])):
            check_value(symbol, sympy.Integer(value), symbol.name)
    total = math.prod(len(v) for v in axes.values())
    max_points = limits.MAX_SWEEP_POINTS if max_points is None else max_points
    if total > max_points:
        raise SolveError(f"the sweep has {total:,} points, more than max_points={max_points:,}")
    if not quantities:
        raise SolveError("choose at least one quantity to show, such as params")
    columns = _columns(net, quantities)
    conditions = [check.condition for check in net.conditions]
    targets = [parse_target(net, text) for text in where]
    pairs = [(t.relation, lhs, rhs) for t in targets for _, lhs, rhs in t.pairs()]
    exprs = [expr for _, expr in columns] + conditions
    exprs += [side for _, lhs, rhs in pairs for side in (lhs, rhs)]
    done = substitute(exprs, table) if table else exprs
    shown = done[: len(columns)]
    checks = done[len(columns) : len(columns) + len(conditions)]
    filters = done[len(columns) + len(conditions) :]
    allowed = set(variables)
    missing: set[sympy.Symbol] = set()
    for expr in [*shown, *filters]:
        missing |= expr.free_symbols - allowed
    if missing:
        names = ", ".join(sorted(s.name for s in missing))
        raise SolveError(
            f"the quantities depend on {names}, which {'is' if len(missing) == 1 else 'are'} "
            f"neither swept nor given: sweep {sorted(s.name for s in missing)[0]}=… or give a "
            "value (values= / --set)"
        )
    notes = []
    for check, verdict in zip(net.conditions, checks, strict=True):
        if verdict == sympy.false:
            net.subs({s.name: v for s, v in table.items()})  # raises with the numbers in
            raise check.fail()
    testable = [
        c for c in checks if c not in (sympy.true, sympy.false) and c.free_symbols <= allowed
    ]
    untested = [
        c for c in checks if c not in (sympy.true, sympy.false) and not c.free_symbols <= allowed
    ]
    if untested:
        notes.append(
            f"{len(untested)} validity check(s) involve symbols that are neither swept "
            "nor given and were not checked"
        )
    compiled = compile_numpy([*shown, *testable, *filters], variables)
    # values past int64 are Python integers in object arrays (exact, slower)
    arrays = [np.asarray(axes[s.name], dtype=_dtype(axes[s.name])) for s in variables]
    shape = tuple(len(a) for a in arrays)
    chunks: list[list[np.ndarray]] = [[] for _ in shown]
    valid = np.ones(total, dtype=bool)
    kept = np.ones(total, dtype=bool)
    grid_columns = {s.name: np.empty(total, dtype=_dtype(axes[s.name])) for s in variables}
    for start in range(0, total, CHUNK):
        stop = min(total, start + CHUNK)
        coords = np.unravel_index(np.arange(start, stop), shape)
        points = [array[coord] for array, coord in zip(arrays, coords, strict=True)]
        for s, column in zip(variables, points, strict=True):
            grid_columns[s.name][start:stop] = column
        outputs = compiled(*points)
        for i in range(len(shown)):
            chunks[i].append(np.array(outputs[i]))
        position = len(shown)
        for _ in testable:
            valid[start:stop] &= np.asarray(outputs[position]).astype(bool)
            position += 1
        for relation, _, _ in pairs:
            residual = np.asarray(outputs[position] - outputs[position + 1])
            kept[start:stop] &= _compare(residual, relation)
            position += 2
        if progress is not None:
            progress(stop, total)
    results = [_join(parts) for parts in chunks]
    for column in results:
        if column.dtype.kind == "f":
            valid &= np.isfinite(column)
    if pairs:
        kept &= valid
        notes.append(f"{int(kept.sum()):,} of {total:,} points meet {'; '.join(where)}")
    quantity_columns: dict[str, np.ndarray] = {}
    for (label, _), column in zip(columns, results, strict=True):
        quantity_columns[label] = _exact_column(column, valid, label, notes)
    everything = {**grid_columns, **quantity_columns}
    everything = {name: column[kept] for name, column in everything.items()}
    return Sweep(
        variables=tuple(s.name for s in variables),
        quantities=tuple(label for label, _ in columns),
        columns=everything,
        valid=valid[kept],
        notes=tuple(notes),
    )


def _dtype(values: Sequence[int]) -> Any:
    return np.int64 if all(-(2**63) <= v < 2**63 for v in values) else object


def _load(source: Any) -> Network:
    from .network import load

    return load(source)


def _join(parts: list[np.ndarray]) -> np.ndarray:
    if not parts:
        return np.zeros(0, dtype=np.int64)
    kinds = {part.dtype.kind for part in parts}
    if "O" in kinds:
        return np.concatenate([part.astype(object) for part in parts])
    return np.concatenate(parts)


def _compare(residual: np.ndarray, relation: str) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.asarray(
            {
                "==": residual == 0,
                "<=": residual <= 0,
                "<": residual < 0,
                ">=": residual >= 0,
                ">": residual > 0,
            }[relation]
        ).astype(bool)


def _exact_column(
    column: np.ndarray, valid: np.ndarray, label: str, notes: list[str]
) -> np.ndarray:
    """A column as int64 where that is exact: blanks (0) at invalid points."""
    values = column[valid]
    if column.dtype.kind in "iu":
        out = np.zeros(column.shape, dtype=np.int64)
        out[valid] = values
        return out
    if column.dtype.kind == "O":
        if all(isinstance(v, int) and abs(v) < 2**63 for v in values):
            out = np.zeros(column.shape, dtype=np.int64)
            out[valid] = np.array(values.tolist(), dtype=np.int64)
            return out
        notes.append(f"{label} exceeds int64 at some points: kept as Python integers")
        return column
    if values.size and np.abs(values).max() >= EXACT:
        notes.append(f"{label} exceeds 2**53 at some points: those values are rounded")
        return column
    if values.size and not np.all(values == np.round(values)):
        return column
    out = np.zeros(column.shape, dtype=np.int64)
    out[valid] = values.astype(np.int64)
    return out


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
