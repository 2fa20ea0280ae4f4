"""A verdict as the lines ``symcnn check`` prints (kept with :class:`Verdict`, which prints itself
with it)."""

from __future__ import annotations

from ._verdict import _number, format_verdict

__all__ = ["_number", "format_verdict"]
