"""Plain-text, Markdown and JSON renderings of a network summary."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import sympy

from ..network import Network

__all__ = ["format_expr", "format_shape", "json_summary", "markdown_table", "text_table"]

HEADERS = ("Layer", "Activation shape", "Activation size", "# parameters")


def format_expr(expr: sympy.Expr, grouping: bool = True) -> str:
    """An exact value as text: integers with digit grouping (``62,958``), formulas as SymPy prints
    them."""
    if isinstance(expr, sympy.Integer) and grouping:
        return f"{int(expr):,}"
    return sympy.sstr(expr)


def format_shape(shape: Iterable[sympy.Expr], grouping: bool = True) -> str:
    return "(" + ", ".join(format_expr(size, grouping) for size in shape) + ")"


def _has_buffers(net: Network) -> bool:
    return any(row.buffers != 0 for row in net.rows)


def _table_rows(net: Network) -> tuple[list[str], list[list[str]], list[str]]:
    buffers = _has_buffers(net)
    headers = [*HEADERS, "# buffers"] if buffers else list(HEADERS)
    rows = [["Input", format_shape(net.input_shape), format_expr(net.input_size), "0"]]
    if buffers:
        rows[0].append("0")
    for row in net.rows:
        label = row.name if row.name.startswith(row.type) else f"{row.name} ({row.type})"
        cells = [
            label,
            format_shape(row.output_shape),
            format_expr(row.activation_size),
            format_expr(row.params),
        ]
        if buffers:
            cells.append(format_expr(row.buffers))
        rows.append(cells)
    total = ["Total", format_shape(net.output_shape), "", format_expr(net.params)]
    if buffers:
        total.append(format_expr(net.buffers))
    return headers, rows, total


def _conditions(net: Network) -> list[str]:
    return [f"{check.where}: {sympy.sstr(check.condition)}" for check in net.conditions]


def text_table(net: Network) -> str:
    """The seeds' table (Layer, Activation shape, Activation size, # parameters) with totals."""
    headers, rows, total = _table_rows(net)
    everything = [headers, *rows, total]
    widths = [max(len(line[i]) for line in everything) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        middle = cells[1].ljust(widths[1])
        numbers = [cell.rjust(width) for cell, width in zip(cells[2:], widths[2:], strict=True)]
        return "  ".join([first, middle, *numbers]).rstrip()

    rule = "-" * len(line(headers).ljust(sum(widths) + 2 * (len(widths) - 1)))
    out = []
    title = net.name or "network"
    out.append(f"{title} (input {format_shape(net.input_shape)}, layout {net.layout})")
    out += [line(headers), rule, *(line(row) for row in rows), rule, line(total)]
    conditions = _conditions(net)
    if conditions:
        out.append("")
        out.append("Valid when:")
        out += [f"  {condition}" for condition in conditions]
    return "\n".join(out) + "\n"


def markdown_table(net: Network) -> str:
    """The same table as GitHub-flavoured Markdown."""
    headers, rows, total = _table_rows(net)

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    align = "| " + " | ".join([":---", ":---", *["---:"] * (len(headers) - 2)]) + " |"
    bold_total = [f"**{cell}**" if cell else "" for cell in total]
    out = []
    if net.name:
        out.append(f"**{net.name}**\n")
    out += [line(headers), align, *(line(row) for row in rows), line(bold_total)]
    conditions = _conditions(net)
    if conditions:
        out.append("")
        out.append("Valid when: " + "; ".join(f"`{c}`" for c in conditions))
    return "\n".join(out) + "\n"


def summary_data(net: Network) -> dict[str, object]:
    """The summary as plain data: every value an exact string."""

    def shape(values: Iterable[sympy.Expr]) -> list[str]:
        return [sympy.sstr(value) for value in values]

    return {
        "name": net.name,
        "layout": net.layout,
        "input_shape": shape(net.input_shape),
        "layers": [
            {
                "name": row.name,
                "type": row.type,
                "output_shape": shape(row.output_shape),
                "activation_size": sympy.sstr(row.activation_size),
                "params": sympy.sstr(row.params),
                "buffers": sympy.sstr(row.buffers),
            }
            for row in net.rows
        ],
        "params": sympy.sstr(net.params),
        "buffers": sympy.sstr(net.buffers),
        "output_shape": shape(net.output_shape),
        "conditions": [sympy.sstr(check.condition) for check in net.conditions],
    }


def json_summary(net: Network) -> str:
    """The summary as JSON (deterministic: same spec, same bytes)."""
    return json.dumps(summary_data(net), indent=2, ensure_ascii=False) + "\n"
