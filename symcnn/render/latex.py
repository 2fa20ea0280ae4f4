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
from .latex_tables import (
    KEEP_LINES,
    KEEP_SUPPORT,
    LONG_ROWS,
    LONG_SUPPORT,
    SUPPORT,
    TALL_SUPPORT,
    is_long,
    is_tall,
    latex_long_summary,
    latex_network_math,
    latex_shape,
    latex_summary,
    latex_table,
)

__all__ = [
    "LONG_PREAMBLE",
    "LONG_SUPPORT",
    "PACKAGES",
    "PREAMBLE",
    "SUPPORT",
    "escape_latex",
    "latex_block_paged",
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
    return latex_shape(piece.sizes, style.grouping)


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


def latex_long_table(block: Table, style: Style = DEFAULT) -> str:
    """A :class:`Table` longer than a page as a booktabs ``longtable`` (needs
    ``\\usepackage{longtable}`` and :data:`LONG_SUPPORT`), its header repeated on each page."""
    header = " & ".join(escape_latex(cell) for cell in block.header) + " \\\\\n"
    rows = "".join(" & ".join(_run(cell, style) for cell in row) + " \\\\\n" for row in block.rows)
    count = len(block.header)
    return (
        f"{{\\symcnnlongfont\n\\begin{{longtable}}{{{block.align}}}\n\\toprule\n{header}"
        f"\\midrule\n\\endfirsthead\n\\multicolumn{{{count}}}{{l}}{{\\emph{{(continued)}}}} \\\\\n"
        f"\\toprule\n{header}\\midrule\n\\endhead\n\\bottomrule\n\\endlastfoot\n"
        f"{rows}\\end{{longtable}}}}\n"
    )


def is_long_block(block: object) -> bool:
    """A table (a summary or a plain one) longer than a page."""
    if isinstance(block, NetworkTable):
        return is_long(block.table)
    return isinstance(block, Table) and len(block.rows) > LONG_ROWS


def latex_block_paged(block: object, style: Style = DEFAULT) -> str:
    """:func:`latex_block`, but a table longer than a page breaks across pages (a complete
    document's, which loads longtable)."""
    if isinstance(block, NetworkTable) and is_long(block.table):
        return latex_long_summary(block.table, style)
    if isinstance(block, Table) and is_long_block(block):
        return latex_long_table(block, style)
    return latex_block(block, style)


@latex_block.register
def _(block: NetworkTable, style: Style = DEFAULT) -> str:
    fit = "symcnnfitpage" if is_tall(block.table) else "symcnnfit"
    table = latex_summary(block.table, style)
    return f"\\begin{{center}}\\{fit}{{%\n{table}}}\n\\end{{center}}\n"


@latex_block.register
def _(block: Lines, style: Style = DEFAULT) -> str:
    return latex_lines(block.lines, style)


@latex_block.register
def _(block: PageBreak, style: Style = DEFAULT) -> str:
    return "\\clearpage\n"


#: what a document with a long table adds to the preamble: longtable, and room for a big
#: network's names (``layer3.0.downsample.1`` does not hyphenate) to stretch a line rather than
#: overflow it
LONG_PREAMBLE = "\\usepackage{longtable}\n\\setlength{\\emergencystretch}{3em}\n"


def _kept(blocks: Sequence[object], style: Style) -> int:
    """The lines to keep on one page from the first of ``blocks``: a layer's heading, its
    shapes and its working (0: not a layer's working, or longer than a page)."""
    if len(blocks) < 3 or not isinstance(blocks[0], Heading) or blocks[0].level < 3:
        return 0
    if not isinstance(blocks[1], Paragraph) or not isinstance(blocks[2], Lines):
        return 0
    # a working's row (floors, fractions) is about two text lines high, with the display's skips
    lines = 4 + 2 * sum(len(latex_rows(line, style)) for line in blocks[2].lines)
    return lines if lines <= KEEP_LINES else 0


def latex_document(document: Document, style: Style = DEFAULT, *, fragment: bool = False) -> str:
    """A complete, compilable LaTeX document (``fragment``: only the body, to ``\\input``).

    A table longer than a page is a ``longtable`` that breaks across pages in a complete
    document; a fragment, which needs only the packages :data:`PACKAGES` in the including
    document's preamble, scales it to fit instead.
    """
    long = not fragment and any(is_long_block(block) for block in document.blocks)
    tall = any(
        isinstance(block, NetworkTable)
        and is_tall(block.table)
        and not (long and is_long(block.table))
        for block in document.blocks
    )
    blocks = document.blocks
    keeps = [_kept(blocks[i:], style) for i in range(len(blocks))]
    for i in range(len(blocks) - 2, -1, -1):  # a heading right above a kept working goes with it
        if isinstance(blocks[i], Heading) and keeps[i + 1] and not keeps[i]:
            keeps[i], keeps[i + 1] = keeps[i + 1] + 3, 0
    support = SUPPORT + (TALL_SUPPORT if tall else "") + (LONG_SUPPORT if long else "")
    support += KEEP_SUPPORT if any(keeps) else ""
    body = f"{support}\n\\section*{{{escape_latex(document.title)}}}\n\n"
    body += "\n".join(
        (f"\\symcnnkeep{{{keep}}}\n" if keep else "")
        + (latex_block_paged(block, style) if long else latex_block(block, style))
        for block, keep in zip(blocks, keeps, strict=True)
    )
    if fragment:
        return body
    header = "% Generated by symcnn; regenerate rather than edit.\n"
    preamble = PREAMBLE + (LONG_PREAMBLE if long else "")
    return f"{header}{preamble}\n\\begin{{document}}\n\n{body}\n\\end{{document}}\n"
