"""Renderers: they format what the engine computed and never compute a count themselves."""

from __future__ import annotations

from .. import derive as _derive
from .. import formula as _formula
from ..derive import derive
from ..layers import base as _base
from .document import Document, Style, answer_key
from .latex import escape_latex, latex_document, latex_lines, latex_table
from .markdown import (
    escape_markdown,
    markdown_document,
    markdown_line,
    markdown_network,
    markdown_working,
)
from .pdf import LatexError, compile_pdf, find_engine
from .plain import text_document
from .text import format_expr, json_summary, markdown_table, text_table

# Rows, workings and lines show themselves in Jupyter; they sit below the renderers and cannot
# import them, so the renderers register here how each is displayed (a hook, not an import).
_base.DISPLAY["latex"] = lambda row: latex_lines(derive(row).lines, display=True)
_base.DISPLAY["markdown"] = lambda row: markdown_working(derive(row))
_derive.DISPLAY["latex"] = lambda working: latex_lines(working.lines, display=True)
_derive.DISPLAY["markdown"] = markdown_working
_formula.DISPLAY["latex"] = lambda line: latex_lines([line], display=True)
_formula.DISPLAY["markdown"] = lambda line: markdown_line(line) + "\n"

__all__ = [
    "Document",
    "LatexError",
    "Style",
    "answer_key",
    "compile_pdf",
    "escape_latex",
    "escape_markdown",
    "find_engine",
    "format_expr",
    "json_summary",
    "latex_document",
    "latex_lines",
    "latex_table",
    "markdown_document",
    "markdown_network",
    "markdown_table",
    "text_document",
    "text_table",
]
