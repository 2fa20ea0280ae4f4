"""Renderers: they format what the engine computed and never compute a count themselves."""

from __future__ import annotations

from .latex import escape_latex, latex_table
from .text import format_expr, json_summary, markdown_table, text_table

__all__ = ["escape_latex", "format_expr", "json_summary", "latex_table", "markdown_table", "text_table"]
