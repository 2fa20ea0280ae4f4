"""Renderers: they format what the engine computed and never compute a count themselves.

The public names are imported on first use (PEP 562), so that ``symcnn summary`` loads the plain
table's renderer only, not the LaTeX, Markdown, PDF and answer-key ones; ``from symcnn.render
import latex_table`` works as if imported eagerly.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..derive import DISPLAY as _WORKING_DISPLAY
from ..formula import DISPLAY as _LINE_DISPLAY
from ..layers.base import DISPLAY as _ROW_DISPLAY

if TYPE_CHECKING:
    from .document import Document, Style, answer_key
    from .latex import escape_latex, latex_document, latex_lines, latex_table
    from .markdown import escape_markdown, markdown_document, markdown_network
    from .pdf import LatexError, compile_pdf, find_engine
    from .plain import text_document
    from .text import format_expr, json_summary, markdown_table, text_table

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

#: the submodule each public name comes from
_LAZY = {
    "Document": "document",
    "Style": "document",
    "answer_key": "document",
    "escape_latex": "latex",
    "latex_document": "latex",
    "latex_lines": "latex",
    "latex_table": "latex",
    "escape_markdown": "markdown",
    "markdown_document": "markdown",
    "markdown_network": "markdown",
    "LatexError": "pdf",
    "compile_pdf": "pdf",
    "find_engine": "pdf",
    "text_document": "plain",
    "format_expr": "text",
    "json_summary": "text",
    "markdown_table": "text",
    "text_table": "text",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


# Rows, workings and lines show themselves in Jupyter; they sit below the renderers and cannot
# import them, so the renderers register here how each is displayed (a hook, not an import; the
# renderer itself is imported when something is first displayed).
def _latex(lines: Iterable[Any]) -> str:
    from .latex import latex_lines

    return latex_lines(lines, display=True)


def _markdown_working(working: Any) -> str:
    from .markdown import markdown_working

    return markdown_working(working)


def _markdown_line(line: Any) -> str:
    from .markdown import markdown_line

    return markdown_line(line) + "\n"


def _row_latex(row: Any) -> str:
    from ..derive import derive

    return _latex(derive(row).lines)


def _row_markdown(row: Any) -> str:
    from ..derive import derive

    return _markdown_working(derive(row))


_ROW_DISPLAY["latex"] = _row_latex
_ROW_DISPLAY["markdown"] = _row_markdown
_WORKING_DISPLAY["latex"] = lambda working: _latex(working.lines)
_WORKING_DISPLAY["markdown"] = _markdown_working
_LINE_DISPLAY["latex"] = lambda line: _latex([line])
_LINE_DISPLAY["markdown"] = _markdown_line
