"""Renderers: they format what the engine computed and never compute a count themselves."""

from __future__ import annotations

from ..derive import DISPLAY as _WORKING_DISPLAY
from ..derive import derive
from ..formula import DISPLAY as _LINE_DISPLAY
from ..layers.base import DISPLAY as _ROW_DISPLAY
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
_ROW_DISPLAY["latex"] = lambda row: latex_lines(derive(row).lines, display=True)
_ROW_DISPLAY["markdown"] = lambda row: markdown_working(derive(row))
_WORKING_DISPLAY["latex"] = lambda working: latex_lines(working.lines, display=True)
_WORKING_DISPLAY["markdown"] = markdown_working
_LINE_DISPLAY["latex"] = lambda line: latex_lines([line], display=True)
_LINE_DISPLAY["markdown"] = lambda line: markdown_line(line) + "\n"

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
