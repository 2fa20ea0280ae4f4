"""LaTeX of user text and of exact values: the escaping every renderer's LaTeX goes through.

User text only ever reaches LaTeX through :func:`escape_latex`; a user's symbol named like a Greek
letter is typeset as its name (:func:`latex_expr`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

import sympy
from sympy.printing.conventions import split_super_sub
from sympy.printing.latex import LatexPrinter, greek_letters_set

from ._order import sympy_order
from ._strings import MAX_CACHED

__all__ = ["escape_latex", "latex_expr", "latex_number"]

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
    """Math-mode LaTeX of an exact value; integers get digit grouping (``62{,}958``), shapes
    never do."""
    if isinstance(expr, sympy.Integer):
        return f"{int(expr):,}".replace(",", "{,}") if grouping else str(int(expr))
    if isinstance(expr, sympy.Symbol) and expr.name in _SYMBOLS:
        return _SYMBOLS[expr.name]
    if isinstance(expr, sympy.Tuple):  # a shape (a merge states its output's)
        return "(" + ", ".join(latex_number(size, False) for size in expr) + ")"
    return latex_expr(expr)


@lru_cache(maxsize=MAX_CACHED, typed=True)
def latex_expr(expr: sympy.Basic) -> str:
    r"""SymPy's LaTeX of ``expr``, but a user's symbol named like a Greek letter (``beta``,
    ``pi``, ``Lambda``, ``gamma1``) is printed as its name, not as the letter.

    >>> latex_expr(sympy.Symbol("beta") + sympy.Symbol("k"))
    '\\mathit{beta} + k'

    Cached per expression (a deep table repeats its sizes; see :mod:`symcnn.render._strings`).
    """
    names = {
        symbol: _SYMBOLS.get(symbol.name) or rf"\mathit{{{escape_latex(symbol.name)}}}"
        for symbol in expr.free_symbols
        if isinstance(symbol, sympy.Symbol) and (symbol.name in _SYMBOLS or _greek(symbol.name))
    }
    return _OrderedLatexPrinter({"symbol_names": names} if names else {}).doprint(expr)


class _OrderedLatexPrinter(LatexPrinter):
    """``sympy.latex``, with a long sum's terms ordered in linear time
    (:mod:`symcnn.render._order`), in the order SymPy gives them."""

    def _as_ordered_terms(self, expr: Any, order: Any = None) -> list[Any]:
        if order is None and self.order is None:
            ordered = sympy_order(expr)
            if ordered is not None:
                return ordered
        return list(super()._as_ordered_terms(expr, order=order))


def _greek(name: str) -> bool:
    base = split_super_sub(name)[0]
    return base.lower() in greek_letters_set or base.lower() in ("lamda", "lambda")


#: a row of working wider than this many visible characters (about a text line) is broken
ROW_WIDTH = 64
#: a note longer than this is set as a paragraph between the rows (``\intertext``)
PARAGRAPH_NOTE = 80


class NoteRow(str):
    """A note's row of its own: a paragraph in a document, a ``\text`` row in a display."""

    def display(self) -> str:
        return rf"&\quad\text{{({self})}}"

    def document(self) -> str:
        if len(self) > PARAGRAPH_NOTE:
            return rf"\intertext{{\small ({self})}}"
        return self.display()


def visible_width(text: str) -> int:
    """About how many characters a LaTeX fragment prints: ``\\cdot`` one, other commands and
    braces none."""
    text = text.replace("\\cdot", "x")
    return len(re.sub(r"\\[a-zA-Z]+\s*|[{}]", "", text))
