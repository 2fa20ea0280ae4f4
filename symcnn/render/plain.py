"""Plain-text rendering of derivations and documents: ``((5·5·3) + 1)·8 = 608``.

Like every renderer it formats what the engine and :mod:`symcnn.derive` computed and never
computes a count.
"""

from __future__ import annotations

import functools
import re
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
from ._strings import sstr
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
from .text import format_expr, format_shape, text_summary

__all__ = ["text_document", "text_line", "text_node"]

DEFAULT = Style()
_MULTIPLY = {"cdot": "·", "times": "×"}
_MINUS = "−"
#: a heading's underline, by level (a layer inside blocks is two or three levels down)
UNDERLINES = '=-~^"'


def _value(value: sympy.Basic, style: Style) -> str:
    if isinstance(value, sympy.Tuple):  # a shape (a merge states its output's)
        return format_shape(value, style.grouping)
    text = format_expr(value, style.grouping)  # type: ignore[arg-type]
    return text.replace("-", _MINUS) if isinstance(value, sympy.Integer) else text


def _simple(node: Node) -> bool:
    """A node that needs no parentheses as a factor, a divisor or a subtracted term."""
    if isinstance(node, Value):
        value = node.value
        return (isinstance(value, sympy.Integer) and value >= 0) or isinstance(value, sympy.Symbol)
    return isinstance(node, Sym | Const | Ref | Group | Floor | Ceil)


def _operand(node: Node, style: Style) -> str:
    text = text_node(node, style)
    return text if _simple(node) or isinstance(node, Product | Quotient) else f"({text})"


@functools.singledispatch
def text_node(node: Node, style: Style = DEFAULT) -> str:
    """A formula tree as one line of text, terms in the order written.

    >>> from symcnn.derive import Group, plus, times
    >>> from symcnn.symbols import bias, d, k, m, n
    >>> text_node(times(plus(Group(times(m, n, d)), bias), k))
    '((m·n·d) + bias)·k'
    """
    raise TypeError(f"not a formula node: {node!r}")


@text_node.register
def _(node: Sym, style: Style = DEFAULT) -> str:
    return node.symbol.name


@text_node.register
def _(node: Const, style: Style = DEFAULT) -> str:
    return str(node.value)


@text_node.register
def _(node: Value, style: Style = DEFAULT) -> str:
    return _value(node.value, style)


@text_node.register
def _(node: Ref, style: Style = DEFAULT) -> str:
    return node.quantity.text


@text_node.register
def _(node: FormulaExpr, style: Style = DEFAULT) -> str:
    return sstr(node.expr)


@text_node.register
def _(node: Sum, style: Style = DEFAULT) -> str:
    parts = []
    for position, (sign, term) in enumerate(node.terms):
        compound = isinstance(term, Sum) or (isinstance(term, Value) and term.value.is_Add)
        wrap = sign == "-" and not (_simple(term) or isinstance(term, Product | Quotient))
        text = f"({text_node(term, style)})" if wrap or compound else text_node(term, style)
        if position == 0:
            parts.append(text if sign == "+" else f"{_MINUS}{text}")
        else:
            parts.append(f" {'+' if sign == '+' else _MINUS} {text}")
    return "".join(parts)


@text_node.register
def _(node: Product, style: Style = DEFAULT) -> str:
    return _MULTIPLY[style.multiply].join(
        text_node(f, style) if _simple(f) else f"({text_node(f, style)})" for f in node.factors
    )


@text_node.register
def _(node: Quotient, style: Style = DEFAULT) -> str:
    numerator = text_node(node.numerator, style)
    if isinstance(node.numerator, Sum):
        numerator = f"({numerator})"
    denominator = node.denominator
    text = text_node(denominator, style)
    return f"{numerator}/{text if _simple(denominator) else f'({text})'}"


@text_node.register
def _(node: Group, style: Style = DEFAULT) -> str:
    return f"({text_node(node.inner, style)})"


@text_node.register
def _(node: Floor, style: Style = DEFAULT) -> str:
    return f"⌊{text_node(node.inner, style)}⌋"


@text_node.register
def _(node: Ceil, style: Style = DEFAULT) -> str:
    return f"⌈{text_node(node.inner, style)}⌉"


def _chain(parts: Sequence[str]) -> list[str]:
    chain: list[str] = []
    for part in parts:
        if not chain or chain[-1] != part:
            chain.append(part)
    return chain


@functools.singledispatch
def text_line(line: Line, style: Style = DEFAULT) -> str:
    """One derivation line: ``parameters = ((m·n·d) + bias)·k = ((5·5·3) + 1)·8 = 608``."""
    raise TypeError(f"not a derivation line: {line!r}")


@text_line.register
def _(line: Derivation, style: Style = DEFAULT) -> str:
    parts = [
        text_node(node, style) for node in (line.formula, line.substituted) if node is not None
    ]
    chain = _chain([*parts, _value(line.result, style)])
    note = f"  ({line.note})" if line.note else ""
    return f"{line.quantity.text} = {' = '.join(chain)}{note}"


@text_line.register
def _(line: Fact, style: Style = DEFAULT) -> str:
    return f"{line.quantity.text} = {_value(line.result, style)}  ({line.reason})"


@text_line.register
def _(line: Solved, style: Style = DEFAULT) -> str:
    return (
        f"{sstr(line.expression)} = {_value(line.target, style)}, so "
        f"{line.unknown} = {_value(line.result, style)}"
    )


@text_line.register
def _(line: EquationStep, style: Style = DEFAULT) -> str:
    parts = [text_node(line.left, style), text_node(line.right, style)]
    if line.result is not None:
        parts.append(_value(line.result, style))
    note = f"  ({line.note})" if line.note else ""
    return " = ".join(_chain(parts)) + note


# ------------------------------------------------------------------------------ documents


@functools.singledispatch
def _inline(piece: object, style: Style) -> str:
    raise TypeError(f"not an inline piece: {piece!r}")


@_inline.register
def _(piece: Text, style: Style) -> str:
    return re.sub(r"\s+", " ", piece.text)


@_inline.register
def _(piece: Math, style: Style) -> str:
    return _value(piece.value, style)


@_inline.register
def _(piece: Shape, style: Style) -> str:
    return format_shape(piece.sizes, style.grouping)


def _run(pieces: Iterable[object], style: Style) -> str:
    return "".join(_inline(piece, style) for piece in pieces)


@functools.singledispatch
def _block(block: object, style: Style) -> str:
    raise TypeError(f"not a document block: {block!r}")


@_block.register
def _(block: Heading, style: Style) -> str:
    title = " ".join(block.text.split())
    return f"{title}\n{UNDERLINES[min(block.level, len(UNDERLINES)) - 1] * len(title)}\n"


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
    cells = [list(block.header)] + [[_run(cell, style) for cell in row] for row in block.rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(block.header))]

    def line(row: list[str]) -> str:
        return "  ".join(
            cell.rjust(width) if align == "r" else cell.ljust(width)
            for cell, width, align in zip(row, widths, block.align, strict=True)
        ).rstrip()

    rule = "-" * len(line(["-" * width for width in widths]))
    return "\n".join([line(cells[0]), rule, *(line(row) for row in cells[1:])]) + "\n"


@_block.register
def _(block: NetworkTable, style: Style) -> str:
    # the document lists the conditions itself, as a block of their own
    return text_summary(block.table, conditions=False)


@_block.register
def _(block: Lines, style: Style) -> str:
    return "".join(f"  {text_line(line, style)}\n" for line in block.lines)


@_block.register
def _(block: PageBreak, style: Style) -> str:
    return "\f\n"


def text_document(document: Document, style: Style = DEFAULT) -> str:
    """A document as plain text (UTF-8: ``·``, ``−``, ``⌊ ⌋``)."""
    title = " ".join(document.title.split())
    parts = [f"{title}\n{'=' * len(title)}\n"]
    parts += [_block(block, style) for block in document.blocks]
    return "\n".join(parts)
