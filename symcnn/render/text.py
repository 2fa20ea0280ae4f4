"""Plain-text, Markdown and JSON renderings of a network summary."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sympy

from ..costs import lookup as lookup_counter
from ..costs._memory import MEANINGS as MEMORY_MEANINGS
from ..layers import Row
from ..network import Network
from ._escape import escape_markdown, printable
from ._receptive import HEADER as RECEPTIVE_HEADER
from ._receptive import cells as receptive_cells
from ._receptive import data as receptive_data
from ._receptive import reasons as receptive_reasons
from ._receptive import text as receptive_text
from ._strings import sstr
from .table import SummaryRow, SummaryTable, summary_table

__all__ = [
    "format_expr",
    "format_shape",
    "json_summary",
    "markdown_summary",
    "markdown_table",
    "text_summary",
    "text_table",
]

HEADERS = ("Layer", "Activation shape", "Activation size", "# parameters")

#: the widest a formula cell of the text table is written in place; a longer one is written as a
#: footnote mark ``(1)`` and in full once below the table, so the table's width stays bounded
#: however deep the network (a 5,000-layer symbolic total would otherwise widen every row)
MAX_CELL = 60


def format_expr(expr: sympy.Expr, grouping: bool = True) -> str:
    """An exact value as text: integers with digit grouping (``62,958``), formulas as SymPy prints
    them."""
    if isinstance(expr, sympy.Integer) and grouping:
        return f"{int(expr):,}"
    return sstr(expr)


def format_shape(shape: Iterable[sympy.Expr], grouping: bool = True) -> str:
    """A shape, never digit-grouped (``grouping`` is for the signature's sake): ``(1024, 2048,
    3)`` is a list of sizes, not a count."""
    return "(" + ", ".join(format_expr(size, False) for size in shape) + ")"


def _label(row: SummaryRow) -> str:
    """The first cell: indented by nesting depth, with the row's notes after its name."""
    return "  " * row.depth + printable("  ".join([row.label, *row.notes]))


def _cells(
    row: SummaryRow, buffers: bool, costs: bool = False, receptive: bool = False
) -> list[str]:
    size = "" if row.activation_size is None else format_expr(row.activation_size)
    cells = [_label(row), format_shape(row.output_shape), size, format_expr(row.params)]
    if buffers:
        cells.append(format_expr(row.buffers))
    if costs:
        cells += ["" if value is None else format_expr(value) for value in (row.macs, row.flops)]
    if receptive:
        cells.append(receptive_text(row.receptive))
    return cells


def _table_rows(table: SummaryTable) -> tuple[list[str], list[list[str]], list[str]]:
    headers = [*HEADERS, "# buffers"] if table.has_buffers else list(HEADERS)
    costs = table.counter is not None
    if costs:
        headers += ["MACs", "FLOPs"]
    receptive = table.receptive
    if receptive:
        headers.append(RECEPTIVE_HEADER)
    rows = [_cells(row, table.has_buffers, costs, receptive) for row in table.rows]
    return headers, rows, _cells(table.total, table.has_buffers, costs, receptive)


def _receptive_lines(table: SummaryTable) -> list[str]:
    """Why each dash of the receptive-field column has no field, once each."""
    if not table.receptive:
        return []
    return receptive_reasons([row.receptive for row in (*table.rows, table.total)])


#: the words of each memory figure (:func:`symcnn.costs._memory.memory`) in a summary
MEMORY_LABELS = {
    "param_bytes": "parameters",
    "buffer_bytes": "buffers",
    "input_bytes": "input",
    "activation_bytes": "activations",
    "training_bytes": "training",
}


def _memory_heading(memory: Mapping[str, Any]) -> str:
    width = memory["bytes_per_value"]
    return (
        f"Memory ({memory['dtype']}, {format_expr(width)} byte{'s' * (width != 1)} a value; "
        f"batch {format_expr(memory['batch'])})"
    )


def _memory_note(memory: Mapping[str, Any]) -> list[str]:
    states = memory["optimizer_states"]
    state = "no state" if states == 0 else f"{format_expr(states)} values per parameter"
    return [
        f"Activations: {MEMORY_MEANINGS['activation_bytes']}.",
        f"Training: {MEMORY_MEANINGS['training_bytes']} ({memory['optimizer']}: {state}).",
    ]


def _memory_cells(memory: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Each figure's label, its bytes, and its megabytes (10^6 bytes, as torchinfo prints them)
    when it is a number."""
    cells = []
    for key, label in MEMORY_LABELS.items():
        value = memory[key]
        if key == "training_bytes":
            label = f"{label} ({memory['optimizer']})"
        megabytes = f"{int(value) / 1e6:,.2f}" if isinstance(value, sympy.Integer) else ""
        cells.append((label, format_expr(value), megabytes))
    return cells


def memory_lines(memory: Mapping[str, Any]) -> list[str]:
    """The memory figures of a :func:`~symcnn.costs._memory.memory_report` as aligned text."""
    cells = _memory_cells(memory)
    widths = [max(len(cell[i]) for cell in cells) for i in range(3)]
    lines = [_memory_heading(memory) + ":"]
    for label, value, megabytes in cells:
        line = f"  {label.ljust(widths[0])}  {value.rjust(widths[1])} bytes"
        if megabytes:
            line += f"  {megabytes.rjust(widths[2])} MB"
        lines.append(line)
    lines += _memory_note(memory)
    return lines


def _marked(cells: list[str], notes: dict[str, str]) -> list[str]:
    """``cells`` with each formula longer than :data:`MAX_CELL` replaced by its footnote mark
    (the same formula, the same mark); the first cell, the layer's name, stays."""
    marked = cells[:1]
    for cell in cells[1:]:
        if len(cell) > MAX_CELL:
            cell = notes.setdefault(cell, f"({len(notes) + 1})")
        marked.append(cell)
    return marked


def text_summary(
    table: SummaryTable, *, conditions: bool = True, memory: Mapping[str, Any] | None = None
) -> str:
    """A :class:`~symcnn.render.table.SummaryTable` as aligned text; ``conditions``: list the
    conditions the network is valid under after it (a document lists them itself); ``memory``:
    the lines of a :func:`~symcnn.costs._memory.memory_report` after the table."""
    headers, rows, total = _table_rows(table)
    notes: dict[str, str] = {}
    rows = [_marked(row, notes) for row in rows]
    total = _marked(total, notes)
    everything = [headers, *rows, total]
    widths = [max(len(line[i]) for line in everything) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        middle = cells[1].ljust(widths[1])
        numbers = [cell.rjust(width) for cell, width in zip(cells[2:], widths[2:], strict=True)]
        return "  ".join([first, middle, *numbers]).rstrip()

    rule = "-" * len(line(headers).ljust(sum(widths) + 2 * (len(widths) - 1)))
    out = []
    title = printable(table.title or "network")
    inputs = [row for row in table.rows if row.kind == "input"]
    if len(inputs) > 1:
        shown = ", ".join(
            f"{row.name[: -len(' (input)')]} {format_shape(row.output_shape)}" for row in inputs
        )
        out.append(f"{title} (inputs {shown}, layout {table.layout}{table.heading})")
    else:
        shape = format_shape(table.input_shape)
        out.append(f"{title} (input {shape}, layout {table.layout}{table.heading})")
    out += [line(headers), rule, *(line(row) for row in rows), rule, line(total)]
    if table.footer:
        out += [f"{label}: {format_expr(value)}" for label, value in table.footer]
    out += [f"{mark} {text}" for text, mark in notes.items()]
    if table.counted:
        out.append(table.counted)
    out += _receptive_lines(table)
    if memory is not None:
        out.append("")
        out += memory_lines(memory)
    if conditions and table.conditions:
        out.append("")
        out.append("Valid when:")
        out += [f"  {condition}" for condition in table.conditions]
    return "\n".join(out) + "\n"


def text_table(
    net: Network,
    depth: int | None = None,
    counter: str | None = None,
    memory: Mapping[str, Any] | None = None,
    receptive: bool = False,
) -> str:
    """The seeds' table (Layer, Activation shape, Activation size, # parameters) with totals;
    blocks nested deeper than ``depth`` are folded into their heading rows; ``counter`` adds
    MACs and FLOPs columns counted as that counter counts; ``memory`` (a
    :func:`~symcnn.costs._memory.memory_report`) adds the memory lines after the table."""
    return text_summary(summary_table(net, depth, counter, receptive), memory=memory)


def markdown_summary(table: SummaryTable, memory: Mapping[str, Any] | None = None) -> str:
    """A :class:`~symcnn.render.table.SummaryTable` as GitHub-flavoured Markdown, values as
    text (an answer key's Markdown table, with math, is
    :func:`symcnn.render.markdown.markdown_summary`); ``memory``: a table of the figures of a
    :func:`~symcnn.costs._memory.memory_report` after it."""
    headers, rows, total = _table_rows(table)

    def line(cells: Sequence[str], escape: bool = True) -> str:
        first = cells[0].lstrip(" ")
        indent = "&nbsp;" * (len(cells[0]) - len(first))  # Markdown trims a cell's spaces
        if escape:  # each part of the label (name, notes) on its own, keeping their spacing
            first = "  ".join(escape_markdown(part) for part in first.split("  "))
        cells = [indent + first, *cells[1:]]
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    align = "| " + " | ".join([":---", ":---", *["---:"] * (len(headers) - 2)]) + " |"
    bold_total = [f"**{cell}**" if cell else "" for cell in total]
    out = []
    if table.title:
        out.append(f"**{escape_markdown(table.title)}**\n")
    out += [line(headers), align, *(line(row) for row in rows), line(bold_total, False)]
    if table.footer:
        out.append("")
        out += [f"{label}: {format_expr(value)}  " for label, value in table.footer]
    if table.counted:
        out.append("")
        out.append(table.counted)
    if _receptive_lines(table):
        out += ["", *(f"{line}  " for line in _receptive_lines(table))]
    if memory is not None:
        out += ["", f"**{_memory_heading(memory)}**", "", "| Memory | Bytes | MB |"]
        out.append("| :--- | ---: | ---: |")
        out += [f"| {label} | {value} | {mb} |" for label, value, mb in _memory_cells(memory)]
        out += ["", *_memory_note(memory)]
    if table.conditions:
        out.append("")
        out.append("Valid when: " + "; ".join(f"`{c}`" for c in table.conditions))
    return "\n".join(out) + "\n"


def markdown_table(
    net: Network,
    depth: int | None = None,
    counter: str | None = None,
    memory: Mapping[str, Any] | None = None,
    receptive: bool = False,
) -> str:
    """The same table as GitHub-flavoured Markdown."""
    return markdown_summary(summary_table(net, depth, counter, receptive), memory)


def summary_data(
    net: Network,
    counter: str | None = None,
    memory: Mapping[str, Any] | None = None,
    receptive: bool = False,
) -> dict[str, object]:
    """The summary as plain data: every value an exact string; with a ``counter``, each row's and
    the network's ``macs`` and ``flops`` as that counter counts them; with ``memory`` (a
    :func:`~symcnn.costs._memory.memory_report`), its figures as the object ``memory``."""
    costs = None if counter is None else net.row_costs(counter)
    fields = receptive_cells(net) if receptive else {}

    def shape(values: Iterable[sympy.Expr]) -> list[str]:
        return [sstr(value) for value in values]

    def layer(row: Row) -> dict[str, object]:
        data: dict[str, object] = {
            "name": row.name,
            "type": row.type,
            "from": list(row.inputs),
            "output_shape": shape(row.output_shape),
            "activation_size": sstr(row.activation_size),
            "params": sstr(row.params),
            "buffers": sstr(row.buffers),
        }
        if costs is not None:
            data["macs"], data["flops"] = (sstr(value) for value in costs[row.name])
        if row.shares is not None:
            data["shares"] = row.shares
        if row.multiplicity != 1:
            data["multiplicity"] = sstr(row.multiplicity)
        if receptive:
            data.update(receptive_data(fields[row.name]))
        return data

    data: dict[str, object] = {
        "name": net.name,
        "layout": net.layout,
        "convention": net.convention,
        "input_shape": shape(net.input_shape),
    }
    if len(net.inputs) > 1:
        data["inputs"] = {name: shape(sizes) for name, sizes in net.inputs.items()}
    data["layers"] = [layer(row) for row in net.rows]
    if net.groups:
        data["blocks"] = [
            {
                "name": group.name,
                "block": group.block,
                "depth": group.depth,
                "layers": [row.name for row in net.rows[group.start : group.stop]],
                "output_shape": shape(group.output_shape),
                **({} if group.repeat is None else {"repeat": sstr(group.repeat)}),
                **({} if group.shares is None else {"shares": group.shares}),
            }
            for group in net.groups
        ]
    data.update(
        {
            "params": sstr(net.params),
            "trainable": sstr(net.trainable),
            "non_trainable": sstr(net.non_trainable),
            "buffers": sstr(net.buffers),
            "output": net.output,
            "output_shape": shape(net.output_shape),
            "conditions": [sstr(check.condition) for check in net.conditions],
        }
    )
    if counter is not None:
        totals = net.costs(counter)
        data["macs"] = sstr(totals["macs"])
        data["flops"] = sstr(totals["flops"])
        data["counter"] = counter
        data["counted"] = lookup_counter(counter).sentence
    if memory is not None:
        data["memory"] = {
            key: value if isinstance(value, str) else sstr(value) for key, value in memory.items()
        }
    if receptive:
        data.update(receptive_data(fields[net.output]))
    return data


def json_summary(
    net: Network,
    counter: str | None = None,
    memory: Mapping[str, Any] | None = None,
    receptive: bool = False,
) -> str:
    """The summary as JSON (deterministic: same spec, same bytes); ``receptive`` adds each
    row's and the output's ``receptive_field``."""
    data = summary_data(net, counter, memory, receptive)
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
