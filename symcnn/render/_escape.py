"""Escaping user text (layer names, titles) for the terminal and for Markdown.

A name may hold a newline (which would forge a ``Total`` line in a table), a terminal escape
sequence (``\x1b[2J`` clears the screen) or Markdown and HTML (``<script>``): every renderer shows
user text through one of these functions.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["escape_markdown", "printable"]

_SPECIAL = set("\\`*_[]<>|$~&")
_LINE_START = re.compile(r"^(?:[#>+=-]|\d+[.)])")


def printable(text: str) -> str:
    r"""User text for a terminal: control and format characters shown as escapes, so that a
    name stays on its line and cannot drive the terminal.

    >>> printable("CONV1\nTotal\x1b[2J")
    'CONV1\\nTotal\\x1b[2J'
    """
    if text.isprintable():
        return text
    return "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char)[0] in "CZ" and char != " "
        else char
        for char in text
    )


def escape_markdown(text: str) -> str:
    r"""User text as Markdown text: whitespace runs become one space, control characters are
    dropped and punctuation that Markdown reads is backslash-escaped.

    >>> escape_markdown("CONV_1 <b>$x$</b> [link](http://x)")
    'CONV\\_1 \\<b\\>\\$x\\$\\</b\\> \\[link\\](http://x)'
    >>> escape_markdown("- not a list")
    '\\- not a list'
    """
    flat = re.sub(r"\s+", " ", text)
    flat = "".join(char for char in flat if unicodedata.category(char)[0] != "C")
    escaped = "".join(f"\\{char}" if char in _SPECIAL else char for char in flat)
    return "\\" + escaped if _LINE_START.match(escaped) else escaped
