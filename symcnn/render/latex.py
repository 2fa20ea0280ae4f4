"""LaTeX rendering: escaping user text, numbers, derivations, the summary table and documents.

User text (layer names, titles, template text) only ever reaches LaTeX through
:func:`escape_latex`, so ``\\input{secret.tex}`` or ``\\write18{...}`` come out as text. Formulas
are built from the notation's symbols and exact values, never from user text. Nothing here
computes a count: results are the engine's (see :mod:`symcnn.derive`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

import sympy

from ..derive import (
    Ceil,
    Const,
    Derivation,
    EquationStep,
    Fact,
    Floor,
    FormulaExpr,
    Group,
    Line,
    Node,
    Product,
    Quotient,
    Ref,
    Solved,
    Sum,
    Sym,
    Value,
)
from ..network import Network
from ._latex_text import ROW_WIDTH, NoteRow, escape_latex, latex_expr, latex_number, visible_width
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
from .table import SummaryRow, SummaryTable, summary_table

__all__ = [
    "PACKAGES",
    "PREAMBLE",
    "escape_latex",
    "latex_document",
    "latex_expr",
    "latex_lines",
    "latex_network_math",
    "latex_node",
    "latex_number",
    "latex_summary",
    "latex_table",
]

DEFAULT = Style()

# ------------------------------------------------------------------------------ formulas

_MULTIPLY = {"cdot": r" \cdot ", "times": r" \times "}


def _paren(text: str) -> str:
    return rf"\left({text}\right)"


def _is_simple(value: sympy.Expr) -> bool:
    """A value that needs no parentheses as a factor: a count, a fraction or a symbol."""
    if isinstance(value, sympy.Integer | sympy.Rational):
        return bool(value >= 0)
    return isinstance(value, sympy.Symbol)


def _operand(node: Node, style: Style) -> str:
    """``node`` as a factor or a subtracted term: sums and compound values get parentheses."""
    text = latex_node(node, style)
    if isinstance(node, Sum) or (isinstance(node, Value) and not _is_simple(node.value)):
        return _paren(text)
    if isinstance(node, FormulaExpr) and isinstance(node.expr, sympy.Add):
        return _paren(text)
    return text


@functools.singledispatch
def latex_node(node: Node, style: Style = DEFAULT) -> str:
    r"""A formula tree as math-mode LaTeX, terms in the order written.

    >>> from symcnn.derive import Floor, Quotient, Sym, plus
    >>> from symcnn.symbols import axis_symbols
    >>> w = axis_symbols(1)[0]
    >>> print(latex_node(plus(Floor(Quotient(plus(w.size, ("-", w.kernel)), Sym(w.stride))), 1)))
    \left\lfloor \frac{W - m}{s_{w}} \right\rfloor + 1
    """
    raise TypeError(f"not a formula node: {node!r}")


@latex_node.register
def _(node: Sym, style: Style = DEFAULT) -> str:
    return latex_number(node.symbol)


@latex_node.register
def _(node: Const, style: Style = DEFAULT) -> str:
    return str(node.value)


@latex_node.register
def _(node: Value, style: Style = DEFAULT) -> str:
    return latex_number(node.value, style.grouping)


@latex_node.register
def _(node: Ref, style: Style = DEFAULT) -> str:
    return node.quantity.latex


@latex_node.register
def _(node: FormulaExpr, style: Style = DEFAULT) -> str:
    return latex_expr(node.expr)


@latex_node.register
def _(node: Sum, style: Style = DEFAULT) -> str:
    parts = []
    for position, (sign, term) in enumerate(node.terms):
        compound = isinstance(term, Sum) or (isinstance(term, Value) and term.value.is_Add)
        text = _operand(term, style) if sign == "-" or compound else latex_node(term, style)
        if compound and not text.startswith(r"\left("):
            text = _paren(text)
        if position == 0:
            parts.append(text if sign == "+" else f"-{text}")
        else:
            parts.append(f" {sign} {text}")
    return "".join(parts)


@latex_node.register
def _(node: Product, style: Style = DEFAULT) -> str:
    return _MULTIPLY[style.multiply].join(_operand(factor, style) for factor in node.factors)


@latex_node.register
def _(node: Quotient, style: Style = DEFAULT) -> str:
    return rf"\frac{{{latex_node(node.numerator, style)}}}{{{latex_node(node.denominator, style)}}}"


@latex_node.register
def _(node: Group, style: Style = DEFAULT) -> str:
    return _paren(latex_node(node.inner, style))


@latex_node.register
def _(node: Floor, style: Style = DEFAULT) -> str:
    return rf"\left\lfloor {latex_node(node.inner, style)} \right\rfloor"


@latex_node.register
def _(node: Ceil, style: Style = DEFAULT) -> str:
    return rf"\left\lceil {latex_node(node.inner, style)} \right\rceil"


# ------------------------------------------------------------------------------ derivation lines


def _note(text: str) -> str:
    return rf"\quad\text{{({escape_latex(text)})}}" if text else ""


def _chain(parts: Sequence[str]) -> list[str]:
    """The parts of ``a = b = c`` without a part that merely repeats the one before it."""
    chain: list[str] = []
    for part in parts:
        if not chain or chain[-1] != part:
            chain.append(part)
    return chain


@functools.singledispatch
def latex_rows(line: Line, style: Style = DEFAULT) -> list[str]:
    """One derivation line as rows of an ``align*`` (without the ``\\\\`` between rows)."""
    raise TypeError(f"not a derivation line: {line!r}")


#: a longer sum (a big network's total) is written over several rows of this many terms
TERMS_PER_ROW = 6
#: a longer note goes on a row of its own, so that the working stays within the page
NOTE_LENGTH = {"derivation": 40, "fact": 60}


def _with_note(rows: list[str], note: str, limit: int) -> list[str]:
    if len(note) > limit:
        return [*rows, NoteRow(escape_latex(note))]
    return [*rows[:-1], rows[-1] + _note(note)]


def _broken(node: Node | None, style: Style) -> list[str]:
    """A formula as rows no wider than :data:`ROW_WIDTH`, broken between the terms of its sum."""
    if node is None:
        return []
    text = latex_node(node, style)
    if visible_width(text) <= ROW_WIDTH or not isinstance(node, Sum):
        return [text]
    rows: list[str] = []
    current: list[tuple[str, Node]] = []
    for term in node.terms:
        trial = latex_node(Sum((*current, term)), style)
        if current and visible_width(trial) > ROW_WIDTH:
            rows.append(latex_node(Sum(tuple(current)), style))
            current = [term]
        else:
            current.append(term)
    rows.append(latex_node(Sum(tuple(current)), style))
    return [row if i == 0 or row.startswith("-") else f"+ {row}" for i, row in enumerate(rows)]


def _sum_rows(node: Node | None, style: Style) -> list[str] | None:
    """A sum of many terms as rows of :data:`TERMS_PER_ROW` terms (the first without a sign)."""
    if not isinstance(node, Sum) or len(node.terms) <= TERMS_PER_ROW:
        return None
    rows = []
    for start in range(0, len(node.terms), TERMS_PER_ROW):
        text = latex_node(Sum(node.terms[start : start + TERMS_PER_ROW]), style)
        if start and node.terms[start][0] == "+":
            text = f"+ {text}"
        rows.append(text)
    return rows


@latex_rows.register
def _(line: Derivation, style: Style = DEFAULT) -> list[str]:
    parts = [
        latex_node(node, style) for node in (line.formula, line.substituted) if node is not None
    ]
    result = latex_number(line.result, style.grouping)
    chain = _chain([*parts, result])
    lhs = line.quantity.latex
    long_sum = _sum_rows(line.substituted, style) if line.result.is_number else None
    if long_sum is not None:
        first = [latex_node(line.formula, style)] if line.formula is not None else []
        rows = [f"{lhs} &= {' = '.join([*first, long_sum[0]])}"]
        rows += [rf"&\quad {part}" for part in long_sum[1:]]
        rows[-1] += f" = {result}"
    elif line.result.is_number and visible_width(" = ".join(chain)) <= ROW_WIDTH:
        rows = [f"{lhs} &= {' = '.join(chain)}"]
    elif line.result.is_number:
        # too wide for one row: each step on its own row, a long sum broken between its terms
        rows, steps = [], []
        for node in (line.formula, line.substituted):
            pieces = _broken(node, style)
            if pieces and pieces not in steps:
                steps.append(pieces)
        for pieces in steps:
            rows.append(f"{'' if rows else lhs} &= {pieces[0]}")
            rows += [rf"&\quad {piece}" for piece in pieces[1:]]
        rows.append(f"&= {result}")
    else:
        # symbolic results are long: one step per row
        rows = [f"{lhs} &= {chain[0]}", *(f"&= {part}" for part in chain[1:])]
    return _with_note(rows, line.note, NOTE_LENGTH["derivation"])


@latex_rows.register
def _(line: Fact, style: Style = DEFAULT) -> list[str]:
    rows = [f"{line.quantity.latex} &= {latex_number(line.result, style.grouping)}"]
    return _with_note(rows, line.reason, NOTE_LENGTH["fact"])


@latex_rows.register
def _(line: Solved, style: Style = DEFAULT) -> list[str]:
    target = latex_number(line.target, style.grouping)
    result = latex_number(line.result, style.grouping)
    unknown = latex_expr(line.unknown)
    return [rf"{latex_expr(line.expression)} &= {target} \;\Longrightarrow\; {unknown} = {result}"]


@latex_rows.register
def _(line: EquationStep, style: Style = DEFAULT) -> list[str]:
    parts = [latex_node(line.right, style)]
    if line.result is not None:
        parts.append(latex_number(line.result, style.grouping))
    rows = [f"{latex_node(line.left, style)} &= {' = '.join(_chain(parts))}"]
    return _with_note(rows, line.note, NOTE_LENGTH["derivation"])


def latex_lines(lines: Iterable[Line], style: Style = DEFAULT, *, display: bool = False) -> str:
    """Derivation lines as an amsmath ``align*``; ``display``: ``aligned`` in ``$$`` (Jupyter)."""
    rows = [row for line in lines for row in latex_rows(line, style)]
    rows = [
        (row.display() if display else row.document()) if isinstance(row, NoteRow) else row
        for row in rows
    ]
    # \intertext follows a row's \\ and is followed by the next row without one
    body = "".join(
        ("" if not i else "\n" if rows[i - 1].startswith("\\intertext") else " \\\\\n") + row
        for i, row in enumerate(rows)
    )
    if display:
        return f"$$\\begin{{aligned}}\n{body}\n\\end{{aligned}}$$"
    return f"\\begin{{align*}}\n{body}\n\\end{{align*}}\n"


# ------------------------------------------------------------------------------ tables


def _shape(shape: Iterable[sympy.Expr], grouping: bool = True) -> str:
    """A shape in math mode, never digit-grouped: ``(1024, 2048, 3)`` is a list, not a count."""
    return "$(" + ", ".join(latex_number(size, False) for size in shape) + ")$"


def _name(row: SummaryRow) -> str:
    """A layer by its name (the working's headings give the type); a block with its type."""
    return row.label if row.kind == "block" else row.name


def _notes(row: SummaryRow, grouping: bool) -> list[str]:
    r"""The row's notes in text mode: ``$\times L$``, ``shares conv3``, ``$\leftarrow$ a, b``."""
    notes = []
    if row.repeat is not None:
        notes.append(rf"$\times {latex_number(row.repeat, grouping)}$")
    if row.shares is not None:
        notes.append(f"shares {escape_latex(row.shares)}")
    if len(row.inputs) > 1:
        notes.append(r"$\leftarrow$ " + escape_latex(", ".join(row.inputs)))
    return notes


def _cells(row: SummaryRow, buffers: bool, grouping: bool) -> list[str]:
    label = "".join(
        [
            r"\quad " * row.depth,
            escape_latex(_name(row)),
            *(rf"\enspace {note}" for note in _notes(row, grouping)),
        ]
    )
    size = "" if row.activation_size is None else f"${latex_number(row.activation_size, grouping)}$"
    cells = [
        label,
        _shape(row.output_shape, grouping),
        size,
        f"${latex_number(row.params, grouping)}$",
    ]
    if buffers:
        cells.append(f"${latex_number(row.buffers, grouping)}$")
    return cells


def latex_summary(table: SummaryTable, style: Style = DEFAULT) -> str:
    r"""A :class:`~symcnn.render.table.SummaryTable` as a booktabs ``tabular``: a block's heading
    row carries its subtotal, its layers are indented a ``\quad`` per level."""
    buffers = table.has_buffers
    costs = table.counter is not None
    columns = "llrr" + ("r" if buffers else "") + ("rr" if costs else "")
    header = r"Layer & Activation shape & Activation size & \# parameters"
    if buffers:
        header += r" & \# buffers"
    if costs:
        header += r" & MACs & FLOPs"

    def cells(row: SummaryRow) -> str:
        found = _cells(row, buffers, style.grouping)
        if costs:
            found += [
                "" if value is None else f"${latex_number(value, style.grouping)}$"
                for value in (row.macs, row.flops)
            ]
        return " & ".join(found) + r" \\"

    lines = [rf"\begin{{tabular}}{{{columns}}}", r"\toprule", header + r" \\", r"\midrule"]
    lines += [cells(row) for row in table.rows]
    lines.append(r"\midrule")
    lines.append(cells(table.total))
    lines += [r"\bottomrule", r"\end{tabular}"]
    if table.counted:
        lines.append(r"\par\smallskip " + escape_latex(table.counted))
    for label, value in table.footer:  # Keras's footer (convention: keras)
        lines.append(rf"\par {label}: ${latex_number(value, style.grouping)}$")
    return "\n".join(lines) + "\n"


def latex_table(
    net: Network, depth: int | None = None, style: Style = DEFAULT, counter: str | None = None
) -> str:
    r"""The seeds' table as a booktabs ``tabular`` (needs ``\usepackage{booktabs}``); blocks
    nested deeper than ``depth`` are folded into their heading rows; ``counter`` adds MACs and
    FLOPs columns."""
    return latex_summary(summary_table(net, depth, counter), style)


def _math_notes(row: SummaryRow, grouping: bool) -> list[str]:
    notes = []
    if row.repeat is not None:
        notes.append(rf"\times {latex_number(row.repeat, grouping)}")
    if row.shares is not None:
        notes.append(rf"\text{{shares {escape_latex(row.shares)}}}")
    if len(row.inputs) > 1:
        notes.append(rf"\leftarrow \text{{{escape_latex(', '.join(row.inputs))}}}")
    return notes


def _math_cells(row: SummaryRow, buffers: bool, grouping: bool) -> list[str]:
    label = "".join(
        [
            r"\quad " * row.depth,
            rf"\text{{{escape_latex(_name(row))}}}",
            *(rf"\enspace {note}" for note in _math_notes(row, grouping)),
        ]
    )
    shape = "(" + ", ".join(latex_number(size, grouping) for size in row.output_shape) + ")"
    size = "" if row.activation_size is None else latex_number(row.activation_size, grouping)
    cells = [label, shape, size, latex_number(row.params, grouping)]
    if buffers:
        cells.append(latex_number(row.buffers, grouping))
    return cells


def _math_row(cells: Sequence[str]) -> str:
    # an empty cell is written ``& &``, as MathJax users write it
    return " &".join(f" {cell}" if cell else "" for cell in cells)[1:]


def latex_network_math(net: Network, style: Style = DEFAULT, depth: int | None = None) -> str:
    """The seeds' table as a math-mode ``array`` (what Jupyter's MathJax can show)."""
    table = summary_table(net, depth)
    buffers = table.has_buffers
    header = [r"\text{Layer}", r"\text{Activation shape}", r"\text{Activation size}"]
    header.append(r"\text{\# parameters}")
    if buffers:
        header.append(r"\text{\# buffers}")
    rows = [_math_row(header)]
    rows += [_math_row(_math_cells(row, buffers, style.grouping)) for row in table.rows]
    rows.append(_math_row(_math_cells(table.total, buffers, style.grouping)))
    body = " \\\\\n".join(rows[:1]) + r" \\ \hline" + "\n" + " \\\\\n".join(rows[1:-1])
    body += r" \\ \hline" + "\n" + rows[-1]
    columns = "llrr" + ("r" if buffers else "")
    return f"$$\\begin{{array}}{{{columns}}}\n{body}\n\\end{{array}}$$"


# ------------------------------------------------------------------------------ documents

#: what a fragment needs from the including document's preamble
PACKAGES = ("amsmath", "booktabs", "graphicx")

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[margin=2.5cm]{geometry}
\usepackage{amsmath}
\usepackage{booktabs}
\usepackage{graphicx}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.6em}
"""

# a wide table (symbolic sizes) is scaled down to the line width; a narrow one is left alone
SUPPORT = r"""\ifdefined\symcnnbox\else\newsavebox{\symcnnbox}\fi
\providecommand{\symcnnfit}[1]{\sbox{\symcnnbox}{#1}%
\ifdim\wd\symcnnbox>\linewidth\resizebox{\linewidth}{!}{\usebox{\symcnnbox}}%
\else\usebox{\symcnnbox}\fi}
"""

# a graph network's table can be taller than a page: it is scaled to fit the width and the height
TALL_SUPPORT = r"""\providecommand{\symcnnfitpage}[1]{\sbox{\symcnnbox}{#1}%
\ifdim\wd\symcnnbox>\linewidth
\sbox{\symcnnbox}{\resizebox{\linewidth}{!}{\usebox{\symcnnbox}}}\fi
\ifdim\dimexpr\ht\symcnnbox+\dp\symcnnbox\relax>0.85\textheight
\sbox{\symcnnbox}{\resizebox*{!}{0.85\textheight}{\usebox{\symcnnbox}}}\fi
\usebox{\symcnnbox}}
"""


def _tall(table: SummaryTable) -> bool:
    """A table with block headings: a graph network's, long enough to need both scalings."""
    return any(row.kind == "block" for row in table.rows)


_HEADINGS = {
    1: "section*",
    2: "subsection*",
    3: "subsubsection*",
    4: "paragraph*",
    5: "subparagraph*",
}


@functools.singledispatch
def latex_inline(piece: object, style: Style = DEFAULT) -> str:
    raise TypeError(f"not an inline piece: {piece!r}")


@latex_inline.register
def _(piece: Text, style: Style = DEFAULT) -> str:
    text = escape_latex(piece.text)
    return rf"\textbf{{{text}}}" if piece.bold else text


@latex_inline.register
def _(piece: Math, style: Style = DEFAULT) -> str:
    return f"${latex_number(piece.value, style.grouping)}$"


@latex_inline.register
def _(piece: Shape, style: Style = DEFAULT) -> str:
    return _shape(piece.sizes, style.grouping)


def _run(pieces: Iterable[object], style: Style) -> str:
    return "".join(latex_inline(piece, style) for piece in pieces)


@functools.singledispatch
def latex_block(block: object, style: Style = DEFAULT) -> str:
    """One block of a :class:`~symcnn.render.document.Document` as LaTeX."""
    raise TypeError(f"not a document block: {block!r}")


@latex_block.register
def _(block: Heading, style: Style = DEFAULT) -> str:
    command = _HEADINGS.get(block.level, "subparagraph*")
    # \paragraph and \subparagraph run into the text after them: an empty box keeps them apart
    after = "\\mbox{}" if block.level >= 4 else ""
    return f"\\{command}{{{escape_latex(block.text)}}}{after}\n"


@latex_block.register
def _(block: Paragraph, style: Style = DEFAULT) -> str:
    return _run(block.content, style) + "\n"


@latex_block.register
def _(block: Items, style: Style = DEFAULT) -> str:
    environment = "enumerate" if block.numbered else "itemize"
    items = "".join(f"\\item {_run(item, style)}\n" for item in block.items)
    return f"\\begin{{{environment}}}\n{items}\\end{{{environment}}}\n"


@latex_block.register
def _(block: Table, style: Style = DEFAULT) -> str:
    header = " & ".join(escape_latex(cell) for cell in block.header)
    rows = "".join(" & ".join(_run(cell, style) for cell in row) + " \\\\\n" for row in block.rows)
    return (
        f"\\begin{{center}}\\symcnnfit{{%\n\\begin{{tabular}}{{{block.align}}}\n\\toprule\n"
        f"{header} \\\\\n\\midrule\n{rows}\\bottomrule\n\\end{{tabular}}}}\n\\end{{center}}\n"
    )


@latex_block.register
def _(block: NetworkTable, style: Style = DEFAULT) -> str:
    fit = "symcnnfitpage" if _tall(block.table) else "symcnnfit"
    table = latex_summary(block.table, style)
    return f"\\begin{{center}}\\{fit}{{%\n{table}}}\n\\end{{center}}\n"


@latex_block.register
def _(block: Lines, style: Style = DEFAULT) -> str:
    return latex_lines(block.lines, style)


@latex_block.register
def _(block: PageBreak, style: Style = DEFAULT) -> str:
    return "\\clearpage\n"


def latex_document(document: Document, style: Style = DEFAULT, *, fragment: bool = False) -> str:
    """A complete, compilable LaTeX document (``fragment``: only the body, to ``\\input``).

    The fragment needs the packages :data:`PACKAGES` in the including document's preamble.
    """
    tall = any(isinstance(block, NetworkTable) and _tall(block.table) for block in document.blocks)
    support = SUPPORT + TALL_SUPPORT if tall else SUPPORT
    body = f"{support}\n\\section*{{{escape_latex(document.title)}}}\n\n"
    body += "\n".join(latex_block(block, style) for block in document.blocks)
    if fragment:
        return body
    header = "% Generated by symcnn; regenerate rather than edit.\n"
    return f"{header}{PREAMBLE}\n\\begin{{document}}\n\n{body}\n\\end{{document}}\n"
