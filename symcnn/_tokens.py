"""The tokenizer of :mod:`symcnn.parse`: user text split into numbers, names and signs by a fixed
grammar, any other character refused with its position; LaTeX spellings (``\\cdot``,
``\\lfloor``, ``62\\,958``), superscript exponents and the ``x`` of ``3x3x128`` read as the
parser's own signs. Literals longer than ``MAX_LITERAL_DIGITS`` are refused here, before any
number is built (:mod:`symcnn.limits`)."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

import symcnn.limits as limits

from .errors import ParseError
from .limits import how_to_raise

__all__ = ["Token", "check_literal", "tokenize"]

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)  # ASCII digits only: '٣' is not 3
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<latex>\\(?:cdot|times|div|left|right|lfloor|rfloor|lceil|rceil|frac|[,;!\ ]))
  | (?P<superscript>[⁰¹²³⁴⁵⁶⁷⁸⁹]+)
  | (?P<op>\*\*|//|[-+*/^(),×·⋅⌊⌋⌈⌉{}−÷])
    """,
    re.VERBOSE,
)
# ``x`` is a times sign between two numbers: 3x3x128, 5 x 5
_NUMBER_TIMES = re.compile(r"[xX](?=\s*\d)", re.ASCII)
_LATEX = {
    r"\cdot": "*",
    r"\times": "*",
    r"\div": "/",
    r"\lfloor": "⌊",
    r"\rfloor": "⌋",
    r"\lceil": "⌈",
    r"\rceil": "⌉",
    r"\frac": "frac",
}
# LaTeX spacing and sizing commands carry no meaning in an expression
_LATEX_IGNORED = {r"\left", r"\right", r"\,", r"\;", r"\!", "\\ "}
_SIGNS = {"−": "-", "÷": "/"}
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_THIN_GROUP = re.compile(r"\d{3}(?!\d)", re.ASCII)


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "name", "op" or "end"
    text: str
    position: int

    @property
    def end(self) -> int:
        return self.position + len(self.text)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; any character outside the grammar is an error."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        if tokens and tokens[-1].kind == "number":
            times = _NUMBER_TIMES.match(text, position)
            if times is not None:
                tokens.append(Token("op", "×", position))
                position = times.end()
                continue
        match = _TOKEN.match(text, position)
        if match is None:
            raise ParseError(
                f"unexpected character {text[position]!r}", text=text, position=position
            )
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "latex":
            group = _THIN_GROUP.match(text, match.end())
            if value == r"\," and tokens and tokens[-1].kind == "number" and group:
                # 62\,958: LaTeX's thin space between digit groups
                last = tokens[-1]
                tokens[-1] = Token("number", last.text + group.group(), last.position)
                position = group.end()
                continue
            if value in _LATEX_IGNORED:
                position = match.end()
                continue
            kind, value = "op", _LATEX[value]
        elif kind == "superscript":
            tokens.append(Token("op", "^", position))
            kind, value = "number", value.translate(_SUPERSCRIPTS)
        elif kind == "op":
            value = _SIGNS.get(value, value)
        if kind == "name" and value.startswith("_"):
            raise ParseError("names may not start with '_'", text=text, position=position)
        if kind == "name" and keyword.iskeyword(value):
            raise ParseError(
                f"{value!r} is a Python keyword, not a name", text=text, position=position
            )
        if kind == "number":
            check_literal(value, text, position)
        if kind != "space":
            tokens.append(Token(kind, value, position))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def check_literal(value: str, text: str, position: int) -> None:
    mantissa, _, exponent = value.lower().partition("e")
    digits = len(mantissa.replace(".", ""))
    if digits > limits.MAX_LITERAL_DIGITS or (
        exponent and abs(int(exponent)) > limits.MAX_LITERAL_DIGITS
    ):
        raise ParseError(
            f"number too long (more than {limits.MAX_LITERAL_DIGITS} digits) "
            + how_to_raise("MAX_LITERAL_DIGITS"),
            text=text,
            position=position,
        )
