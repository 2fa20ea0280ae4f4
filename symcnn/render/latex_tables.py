r"""LaTeX tables: the summary table as a booktabs ``tabular`` (scaled to the line when wide) or,
when longer than a page, a ``longtable`` that breaks across pages with its header repeated, the
math-mode ``array`` Jupyter shows, and the macros that fit a table to the line.

Shapes are never digit-grouped (``(1024, 2048, 3)`` is a list, not a count); counts are, as
:func:`~symcnn.render._latex_text.latex_number` writes them. Nothing here computes a count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sympy

from ..network import Network
from ._latex_text import escape_latex, latex_number
from .document import Style
from .table import SummaryRow, SummaryTable, summary_table

__all__ = [
    "KEEP_LINES",
    "KEEP_SUPPORT",
    "LONG_ROWS",
    "LONG_SUPPORT",
    "SUPPORT",
    "TALL_SUPPORT",
    "is_long",
    "is_tall",
    "latex_long_summary",
    "latex_network_math",
    "latex_shape",
    "latex_summary",
    "latex_table",
]

DEFAULT = Style()
#: a table with more rows than this is taller than a page at 11 pt: it breaks across pages
LONG_ROWS = 40


def latex_shape(shape: Iterable[sympy.Expr], grouping: bool = True) -> str:
    """A shape in math mode, never digit-grouped: ``(1024, 2048, 3)`` is a list, not a count."""
    return "$(" + ", ".join(latex_number(size, False) for size in shape) + ")$"


def _name(row: SummaryRow) -> str:
    """A layer by its name (the working's headings give the type); a block with its type."""
    return row.label if row.kind == "block" else row.name


def _inputs(row: SummaryRow) -> str:
    r"""A merge's inputs: ``$\leftarrow$ a, b``."""
    return r"$\leftarrow$ " + escape_latex(", ".join(row.inputs))


def _notes(row: SummaryRow, grouping: bool, inputs: bool = True) -> list[str]:
    r"""The row's notes in text mode: ``$\times L$``, ``shares conv3``, ``$\leftarrow$ a, b``
    (without the inputs when a long table writes them on a line of their own)."""
    notes = []
    if row.repeat is not None:
        notes.append(rf"$\times {latex_number(row.repeat, grouping)}$")
    if row.shares is not None:
        notes.append(f"shares {escape_latex(row.shares)}")
    if inputs and len(row.inputs) > 1:
        notes.append(_inputs(row))
    return notes


def _cells(row: SummaryRow, buffers: bool, grouping: bool, inputs: bool = True) -> list[str]:
    label = "".join(
        [
            r"\quad " * row.depth,
            escape_latex(_name(row)),
            *(rf"\enspace {note}" for note in _notes(row, grouping, inputs)),
        ]
    )
    size = "" if row.activation_size is None else f"${latex_number(row.activation_size, grouping)}$"
    cells = [
        label,
        latex_shape(row.output_shape, grouping),
        size,
        f"${latex_number(row.params, grouping)}$",
    ]
    if buffers:
        cells.append(f"${latex_number(row.buffers, grouping)}$")
    return cells


def _columns(
    table: SummaryTable, style: Style, long: bool = False
) -> tuple[str, str, list[str], str, list[str]]:
    """The column spec, the header, each row's line, the total's line and what follows the
    table (what it counts, Keras's footer). ``long``: a merge's inputs go on a line of their
    own across the whole table, kept on the page of its row, so they never widen a column."""
    buffers = table.has_buffers
    costs = table.counter is not None
    columns = "llrr" + ("r" if buffers else "") + ("rr" if costs else "")
    header = r"Layer & Activation shape & Activation size & \# parameters"
    if buffers:
        header += r" & \# buffers"
    if costs:
        header += r" & MACs & FLOPs"

    def cells(row: SummaryRow) -> str:
        found = _cells(row, buffers, style.grouping, inputs=not long)
        if costs:
            found += [
                "" if value is None else f"${latex_number(value, style.grouping)}$"
                for value in (row.macs, row.flops)
            ]
        line = " & ".join(found) + r" \\"
        if long and len(row.inputs) > 1:
            indent = r"\quad " * (row.depth + 1)
            line += f"*\n\\multicolumn{{{len(columns)}}}{{l}}{{{indent}{_inputs(row)}}} \\\\"
        return line

    after = []
    if table.counted:
        after.append(r"\par\smallskip " + escape_latex(table.counted))
    for label, value in table.footer:  # Keras's footer (convention: keras)
        after.append(rf"\par {label}: ${latex_number(value, style.grouping)}$")
    return columns, header + r" \\", [cells(row) for row in table.rows], cells(table.total), after


def latex_summary(table: SummaryTable, style: Style = DEFAULT) -> str:
    r"""A :class:`~symcnn.render.table.SummaryTable` as a booktabs ``tabular``: a block's heading
    row carries its subtotal, its layers are indented a ``\quad`` per level."""
    columns, header, rows, total, after = _columns(table, style)
    lines = [rf"\begin{{tabular}}{{{columns}}}", r"\toprule", header, r"\midrule", *rows]
    lines += [r"\midrule", total, r"\bottomrule", r"\end{tabular}", *after]
    return "\n".join(lines) + "\n"


def is_long(table: SummaryTable) -> bool:
    """Whether a table is taller than a page (more than :data:`LONG_ROWS` rows)."""
    return len(table.rows) + 1 > LONG_ROWS


def latex_long_summary(table: SummaryTable, style: Style = DEFAULT) -> str:
    r"""A long :class:`~symcnn.render.table.SummaryTable` as a booktabs ``longtable`` (needs
    ``\usepackage{longtable}``): it breaks across pages at its rows, each page repeating the
    header and saying it continues, never scaled to fit a page: a step smaller than the text
    (the document's ``\symcnnlongfont`` (:data:`LONG_SUPPORT`: ``\small``)."""
    columns, header, rows, total, after = _columns(table, style, long=True)
    count = len(columns)
    lines = [
        "{\\symcnnlongfont\\setlength{\\LTpre}{0pt}\\setlength{\\LTpost}{0pt}",
        rf"\begin{{longtable}}{{{columns}}}",
        r"\toprule",
        header,
        r"\midrule",
        r"\endfirsthead",
        rf"\multicolumn{{{count}}}{{l}}{{\emph{{(continued)}}}} \\",
        r"\toprule",
        header,
        r"\midrule",
        r"\endhead",
        r"\midrule",
        rf"\multicolumn{{{count}}}{{r}}{{\emph{{(continued on the next page)}}}} \\",
        r"\endfoot",
        r"\bottomrule",
        r"\endlastfoot",
        *rows,
        r"\midrule",
        total,
        r"\end{longtable}}",
        *after,
    ]
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
    shape = "(" + ", ".join(latex_number(size, False) for size in row.output_shape) + ")"
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


# ------------------------------------------------------------------------------ fitting

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


def is_tall(table: SummaryTable) -> bool:
    """A table with block headings: a graph network's, long enough to need both scalings."""
    return any(row.kind == "block" for row in table.rows)


#: the most lines a layer's working may have and still be kept on one page
KEEP_LINES = 40

# a layer's working starts on a new page when fewer than #1 lines are left on this one (what
# the needspace package does, without the package: fragments need nothing more)
KEEP_SUPPORT = r"""\providecommand{\symcnnkeep}[1]{\par\begingroup\dimen0=#1\baselineskip
\dimen2=\pagegoal\advance\dimen2-\pagetotal
\ifdim\dimen0>\dimen2\ifdim\dimen2>0pt\vfil\fi\break\fi\endgroup}
"""

# a long table keeps the text's width: its font is one step smaller, its columns closer
LONG_SUPPORT = r"""\providecommand{\symcnnlongfont}{\small\setlength{\tabcolsep}{4pt}}
"""
