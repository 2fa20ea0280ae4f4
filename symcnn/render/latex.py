"""LaTeX rendering: escaping user text, numbers, derivations, the summary table and documents.

User text (layer names, titles, template text) only ever reaches LaTeX through
:func:`escape_latex`, so ``\\input{secret.tex}`` or ``\\write18{...}`` come out as text. Formulas
are built from the notation's symbols and exact values, never from user text. Nothing here
computes a count: results are the engine's (see :mod:`symcnn.derive`).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable, Sequence

import sympy

from ..derive import (
    Ceil,
    Const,
    Derivation,
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

__all__ = [
    "PACKAGES",
    "PREAMBLE",
    "escape_latex",
    "latex_document",
    "latex_lines",
    "latex_network_math",
    "latex_node",
    "latex_number",
    "latex_table",
]

DEFAULT = Style()

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}


# Characters pdflatex's default set-up (utf8 input, OT1 fonts) cannot typeset stop the compile;
# they become "?" so that every document compiles whatever the names in it.
_UNSET = frozenset("«»ÐÞðþĄąĐđĘęĦħĮįĸĿŀŉŊŋŦŧŲųſ")
_TYPOGRAPHIC = frozenset("–—‘’“”…€·×")


def _latex_char(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if char.isspace():
        return " "  # a blank line would end a paragraph inside a heading or a table cell
    if char.isascii():
        return char if char.isprintable() else ""
    if unicodedata.category(char).startswith("C"):
        return ""
    if (ord(char) < 0x180 and char not in _UNSET) or char in _TYPOGRAPHIC:
        return char
    return "?"


def escape_latex(text: str) -> str:
    r"""User text as LaTeX text: every special character escaped, so ``\input{x}`` stays text.

    Line breaks become spaces and characters pdflatex cannot typeset become ``?``.

    >>> escape_latex(r"\input{secret.tex} 100% of $x_1$")
    '\\textbackslash{}input\\{secret.tex\\} 100\\% of \\$x\\_1\\$'
    >>> escape_latex("Übung 1\n\nà la 中")
    'Übung 1  à la ?'
    """
    return "".join(_latex_char(char) for char in text)


_SYMBOLS = {"bias": r"\mathit{bias}"}  # a word, not b·i·a·s


def latex_number(expr: sympy.Basic, grouping: bool = True) -> str:
    """Math-mode LaTeX of an exact value; integers get digit grouping (``62{,}958``)."""
    if isinstance(expr, sympy.Integer):
        return f"{int(expr):,}".replace(",", "{,}") if grouping else str(int(expr))
    if isinstance(expr, sympy.Symbol) and expr.name in _SYMBOLS:
        return _SYMBOLS[expr.name]
    return sympy.latex(expr)


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
    return sympy.latex(node.expr)


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


@latex_rows.register
def _(line: Derivation, style: Style = DEFAULT) -> list[str]:
    parts = [
        latex_node(node, style) for node in (line.formula, line.substituted) if node is not None
    ]
    chain = _chain([*parts, latex_number(line.result, style.grouping)])
    lhs = line.quantity.latex
    if line.result.is_number:
        return [f"{lhs} &= {' = '.join(chain)}{_note(line.note)}"]
    # symbolic results are long: one step per row
    rows = [f"{lhs} &= {chain[0]}", *(f"&= {part}" for part in chain[1:])]
    rows[-1] += _note(line.note)
    return rows


@latex_rows.register
def _(line: Fact, style: Style = DEFAULT) -> list[str]:
    return [
        f"{line.quantity.latex} &= {latex_number(line.result, style.grouping)}{_note(line.reason)}"
    ]


@latex_rows.register
def _(line: Solved, style: Style = DEFAULT) -> list[str]:
    target = latex_number(line.target, style.grouping)
    result = latex_number(line.result, style.grouping)
    unknown = sympy.latex(line.unknown)
    return [rf"{sympy.latex(line.expression)} &= {target} \;\Longrightarrow\; {unknown} = {result}"]


def latex_lines(lines: Iterable[Line], style: Style = DEFAULT, *, display: bool = False) -> str:
    """Derivation lines as an amsmath ``align*``; ``display``: ``aligned`` in ``$$`` (Jupyter)."""
    rows = [row for line in lines for row in latex_rows(line, style)]
    body = " \\\\\n".join(rows)
    if display:
        return f"$$\\begin{{aligned}}\n{body}\n\\end{{aligned}}$$"
    return f"\\begin{{align*}}\n{body}\n\\end{{align*}}\n"


# ------------------------------------------------------------------------------ tables


def _shape(shape: Iterable[sympy.Expr], grouping: bool = True) -> str:
    return "$(" + ", ".join(latex_number(size, grouping) for size in shape) + ")$"


def latex_table(net: Network) -> str:
    """The seeds' table as a booktabs ``tabular`` (needs ``\\usepackage{booktabs}``)."""
    buffers = any(row.buffers != 0 for row in net.rows)
    columns = "llrr" + ("r" if buffers else "")
    header = r"Layer & Activation shape & Activation size & \# parameters"
    if buffers:
        header += r" & \# buffers"
    lines = [rf"\begin{{tabular}}{{{columns}}}", r"\toprule", header + r" \\", r"\midrule"]
    first = ["Input", _shape(net.input_shape), f"${latex_number(net.input_size)}$", "$0$"]
    if buffers:
        first.append("$0$")
    lines.append(" & ".join(first) + r" \\")
    for row in net.rows:
        cells = [
            escape_latex(row.name),
            _shape(row.output_shape),
            f"${latex_number(row.activation_size)}$",
            f"${latex_number(row.params)}$",
        ]
        if buffers:
            cells.append(f"${latex_number(row.buffers)}$")
        lines.append(" & ".join(cells) + r" \\")
    lines.append(r"\midrule")
    total = ["Total", _shape(net.output_shape), "", f"${latex_number(net.params)}$"]
    if buffers:
        total.append(f"${latex_number(net.buffers)}$")
    lines.append(" & ".join(total) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"


def latex_network_math(net: Network, style: Style = DEFAULT) -> str:
    """The seeds' table as a math-mode ``array`` (what Jupyter's MathJax can show)."""

    def shape(sizes: Iterable[sympy.Expr]) -> str:
        return "(" + ", ".join(latex_number(size, style.grouping) for size in sizes) + ")"

    def name(text: str) -> str:
        return rf"\text{{{escape_latex(text)}}}"

    rows = [
        r"\text{Layer} & \text{Activation shape} & \text{Activation size} & \text{\# parameters}",
        rf"\text{{Input}} & {shape(net.input_shape)} & "
        rf"{latex_number(net.input_size, style.grouping)} & 0",
    ]
    for row in net.rows:
        rows.append(
            f"{name(row.name)} & {shape(row.output_shape)} & "
            f"{latex_number(row.activation_size, style.grouping)} & "
            f"{latex_number(row.params, style.grouping)}"
        )
    rows.append(
        rf"\text{{Total}} & {shape(net.output_shape)} & & "
        rf"{latex_number(net.params, style.grouping)}"
    )
    body = " \\\\\n".join(rows[:1]) + r" \\ \hline" + "\n" + " \\\\\n".join(rows[1:-1])
    body += r" \\ \hline" + "\n" + rows[-1]
    return f"$$\\begin{{array}}{{llrr}}\n{body}\n\\end{{array}}$$"


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

_HEADINGS = {1: "section*", 2: "subsection*", 3: "subsubsection*"}


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
    command = _HEADINGS.get(block.level, "paragraph*")
    return f"\\{command}{{{escape_latex(block.text)}}}\n"


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
    return f"\\begin{{center}}\\symcnnfit{{%\n{latex_table(block.network)}}}\n\\end{{center}}\n"


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
    body = f"{SUPPORT}\n\\section*{{{escape_latex(document.title)}}}\n\n"
    body += "\n".join(latex_block(block, style) for block in document.blocks)
    if fragment:
        return body
    header = "% Generated by symcnn; regenerate rather than edit.\n"
    return f"{header}{PREAMBLE}\n\\begin{{document}}\n\n{body}\n\\end{{document}}\n"
