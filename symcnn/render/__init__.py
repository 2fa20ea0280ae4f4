"""Renderers: they format what the engine computed and never compute a count themselves."""

from __future__ import annotations

from ..derive import derive
from ..layers.base import DISPLAY
from .document import Document, Style, answer_key
from .latex import escape_latex, latex_document, latex_lines, latex_table
from .markdown import escape_markdown, markdown_document, markdown_network, markdown_working
from .pdf import LatexError, compile_pdf, find_engine
from .plain import text_document
from .text import format_expr, json_summary, markdown_table, text_table

# rows show their working in Jupyter; the layers cannot import the renderers, so they are told
DISPLAY["latex"] = lambda row: latex_lines(derive(row).lines, display=True)
DISPLAY["markdown"] = lambda row: markdown_working(derive(row))

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
