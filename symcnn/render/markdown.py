"""Markdown rendering with ``$…$`` math: derivations, the summary table and documents.

User text is escaped for Markdown (so a layer name cannot open a link, an HTML tag or a math span);
formulas are the LaTeX of :mod:`symcnn.render.latex`, which MathJax and KaTeX both read. Nothing
here computes a count.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import sympy

from ..derive import Derivation, EquationStep, Fact, LayerWorking, Line, Solved
from ..network import Network
from ._escape import escape_markdown
from .document import (
    Document,
    Heading,
    Items,
    Lines,
    Math,
    NetworkTable,
    PageBreak,
    Paragraph,
    Shape,
    Style,
    Table,
    Text,
)
from .latex import latex_expr, latex_node, latex_number
from .table import SummaryRow, SummaryTable, summary_table
from .text import format_expr

__all__ = [
    "escape_markdown",
    "markdown_document",
    "markdown_line",
    "markdown_network",
    "markdown_summary",
    "markdown_working",
]

DEFAULT = Style()


def _math(latex: str) -> str:
    return f"${latex}$"


def _value(value: sympy.Basic, style: Style) -> str:
    """Integers as grouped text (``62,958``); anything else as math."""
    if isinstance(value, sympy.Integer):
        return format_expr(value, style.grouping)
    return _math(latex_number(value, style.grouping))


@functools.singledispatch
def markdown_line(line: Line, style: Style = DEFAULT) -> str:
    """One derivation line as a Markdown list item with inline math."""
    raise TypeError(f"not a derivation line: {line!r}")


@markdown_line.register
def _(line: Derivation, style: Style = DEFAULT) -> str:
    parts = [
        latex_node(node, style) for node in (line.formula, line.substituted) if node is not None
    ]
    chain: list[str] = []
    for part in [*parts, latex_number(line.result, style.grouping)]:
        if not chain or chain[-1] != part:
            chain.append(part)
    note = f" ({escape_markdown(line.note)})" if line.note else ""
    return f"- {_math(line.quantity.latex + ' = ' + ' = '.join(chain))}{note}"


@markdown_line.register
def _(line: Fact, style: Style = DEFAULT) -> str:
    value = latex_number(line.result, style.grouping)
    return f"- {_math(f'{line.quantity.latex} = {value}')} ({escape_markdown(line.reason)})"


@markdown_line.register
def _(line: Solved, style: Style = DEFAULT) -> str:
    equation = f"{latex_expr(line.expression)} = {latex_number(line.target, style.grouping)}"
    answer = f"{latex_expr(line.unknown)} = {latex_number(line.result, style.grouping)}"
    return f"- {_math(equation)}, so {_math(answer)}"


@markdown_line.register
def _(line: EquationStep, style: Style = DEFAULT) -> str:
    parts = [latex_node(line.left, style), latex_node(line.right, style)]
    if line.result is not None:
        parts.append(latex_number(line.result, style.grouping))
    chain = [part for i, part in enumerate(parts) if not i or part != parts[i - 1]]
    note = f" ({escape_markdown(line.note)})" if line.note else ""
    return f"- {_math(' = '.join(chain))}{note}"


def markdown_lines(lines: Iterable[Line], style: Style = DEFAULT) -> str:
    return "".join(markdown_line(line, style) + "\n" for line in lines)


def markdown_working(working: LayerWorking, style: Style = DEFAULT) -> str:
    """A row's working: a heading with the layer, then one item per derivation."""
    row = working.row
    heading = f"**{escape_markdown(row.name)}** ({escape_markdown(row.type)})\n\n"
    return heading + markdown_lines(working.lines, style)


def _shape(sizes: Iterable[sympy.Expr], style: Style) -> str:
    """A shape, never digit-grouped: ``(1024, 2048, 3)`` is a list, not a count."""
    sizes = tuple(sizes)
    if all(isinstance(size, sympy.Integer) for size in sizes):
        return "(" + ", ".join(format_expr(size, False) for size in sizes) + ")"
    return _math("(" + ", ".join(latex_number(size, False) for size in sizes) + ")")


def _label(row: SummaryRow, style: Style) -> str:
    """``CONV1 (Conv2d)``, indented by nesting depth, with the row's notes after it."""
    if row.kind in ("input", "total"):
        label = row.name
    else:
        label = f"{escape_markdown(row.name)} ({escape_markdown(row.type)})"
    notes = []
    if row.repeat is not None:
        notes.append(f"×{_math(latex_number(row.repeat, style.grouping))}")
    if row.shares is not None:
        notes.append(f"shares {escape_markdown(row.shares)}")
    if len(row.inputs) > 1:
        notes.append("← " + escape_markdown(", ".join(row.inputs)))
    return "&nbsp;&nbsp;" * row.depth + " ".join([label, *notes])


def _cells(row: SummaryRow, buffers: bool, style: Style) -> list[str]:
    size = "" if row.activation_size is None else _value(row.activation_size, style)
    cells = [_label(row, style), _shape(row.output_shape, style), size, _value(row.params, style)]
    if buffers:
        cells.append(_value(row.buffers, style))
    return cells


def markdown_summary(table: SummaryTable, style: Style = DEFAULT, *, title: bool = True) -> str:
    """A :class:`~symcnn.render.table.SummaryTable` as Markdown, symbolic values as math."""
    buffers = table.has_buffers
    costs = table.counter is not None
    header = ["Layer", "Activation shape", "Activation size", "# parameters"]
    align = [":---", ":---", "---:", "---:"]
    if buffers:
        header.append("# buffers")
        align.append("---:")
    if costs:
        header += ["MACs", "FLOPs"]
        align += ["---:", "---:"]

    def cells(row: SummaryRow) -> list[str]:
        found = _cells(row, buffers, style)
        if costs:
            found += [
                "" if value is None else _value(value, style) for value in (row.macs, row.flops)
            ]
        return found

    total = cells(table.total)
    total[0] = f"**{total[0]}**"

    def line(cells: list[str]) -> str:
        return "|" + "".join(f" {cell} |" if cell else " |" for cell in cells)

    lines = [line(header), line(align)]
    lines += [line(cells(row)) for row in table.rows]
    lines.append(line(total))
    if table.counted:
        lines += ["", escape_markdown(table.counted)]
    if table.footer:  # Keras's footer (convention: keras)
        lines.append("")
        lines += [f"{label}: {_value(value, style)}  " for label, value in table.footer]
    heading = f"**{escape_markdown(table.title)}**\n\n" if table.title and title else ""
    return heading + "\n".join(lines) + "\n"


def markdown_network(
    net: Network, style: Style = DEFAULT, *, title: bool = True, depth: int | None = None
) -> str:
    """The seeds' table as Markdown, symbolic values as math; blocks nested deeper than
    ``depth`` are folded into their heading rows."""
    return markdown_summary(summary_table(net, depth), style, title=title)


# ------------------------------------------------------------------------------ documents


@functools.singledispatch
def _inline(piece: object, style: Style) -> str:
    raise TypeError(f"not an inline piece: {piece!r}")


@_inline.register
def _(piece: Text, style: Style) -> str:
    text = escape_markdown(piece.text)
    return f"**{text}**" if piece.bold and text else text


@_inline.register
def _(piece: Math, style: Style) -> str:
    return _value(piece.value, style)


@_inline.register
def _(piece: Shape, style: Style) -> str:
    return _shape(piece.sizes, style)


def _run(pieces: Iterable[object], style: Style) -> str:
    return "".join(_inline(piece, style) for piece in pieces)


@functools.singledispatch
def _block(block: object, style: Style) -> str:
    raise TypeError(f"not a document block: {block!r}")


@_block.register
def _(block: Heading, style: Style) -> str:
    return f"{'#' * min(block.level + 1, 6)} {escape_markdown(block.text)}\n"


@_block.register
def _(block: Paragraph, style: Style) -> str:
    return _run(block.content, style) + "\n"


@_block.register
def _(block: Items, style: Style) -> str:
    return "".join(
        f"{f'{number}.' if block.numbered else '-'} {_run(item, style)}\n"
        for number, item in enumerate(block.items, 1)
    )


@_block.register
def _(block: Table, style: Style) -> str:
    align = {"l": ":---", "r": "---:"}
    lines = [
        "| " + " | ".join(escape_markdown(cell) for cell in block.header) + " |",
        "| " + " | ".join(align.get(letter, "---") for letter in block.align) + " |",
    ]
    lines += ["| " + " | ".join(_run(cell, style) for cell in row) + " |" for row in block.rows]
    return "\n".join(lines) + "\n"


@_block.register
def _(block: NetworkTable, style: Style) -> str:
    return markdown_summary(block.table, style, title=False)


@_block.register
def _(block: Lines, style: Style) -> str:
    return markdown_lines(block.lines, style)


@_block.register
def _(block: PageBreak, style: Style) -> str:
    return "---\n"


def markdown_document(document: Document, style: Style = DEFAULT) -> str:
    """A document as Markdown with ``$…$`` math."""
    parts = [f"# {escape_markdown(document.title)}\n"]
    parts += [_block(block, style) for block in document.blocks]
    return "\n".join(parts)
