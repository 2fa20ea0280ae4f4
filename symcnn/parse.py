"""A whitelisting parser for expressions typed by people (spec values, ``--set``, formulas).

It never hands user text to ``eval``, ``sympify`` or ``parse_expr``: it tokenizes the text itself and
builds SymPy objects from a fixed grammar of numbers, names, ``+ - * / // ^ **``, parentheses,
implicit multiplication (``2p``, ``(m n d + 1) k``), the signs ``×``, ``·``, ``\\cdot`` and
``\\times``, and the functions ``floor``, ``ceil``, ``min`` and ``max``. Everything else is refused
with a :class:`~symcnn.errors.ParseError` that points at the position.

>>> parse_expression("((m*n*d)+1)*k")
k*(d*m*n + 1)
>>> parse_expression("(5*5*3+1)*8")
608
>>> parse_expression("2p + 1")
2*p + 1
>>> parse_expression("__import__('os')")
Traceback (most recent call last):
...
symcnn.errors.ParseError: names may not start with '_' at position 0 in "__import__('os')"
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import sympy

from .errors import ParseError
from .symbols import user_symbol

__all__ = ["parse_expression"]

MAX_LENGTH = 2000
MAX_DEPTH = 60
MAX_EXPONENT = 256
MAX_DIGITS = 200

FUNCTIONS: dict[str, Callable[..., sympy.Expr]] = {
    "floor": sympy.floor,
    "ceil": sympy.ceiling,
    "ceiling": sympy.ceiling,
    "min": sympy.Min,
    "max": sympy.Max,
}
_ARITY = {"floor": 1, "ceil": 1, "ceiling": 1}

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<latex>\\(?:cdot|times|left|right|lfloor|rfloor|lceil|rceil))
  | (?P<op>\*\*|//|[-+*/^(),×·⋅⌊⌋⌈⌉{}])
    """,
    re.VERBOSE,
)
_LATEX = {
    r"\cdot": "*",
    r"\times": "*",
    r"\lfloor": "⌊",
    r"\rfloor": "⌋",
    r"\lceil": "⌈",
    r"\rceil": "⌉",
}
_TIMES = {"*", "×", "·", "⋅"}


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "name", "op" or "end"
    text: str
    position: int


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; any character outside the grammar is an error."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ParseError(f"unexpected character {text[position]!r}", text=text, position=position)
        kind = match.lastgroup or ""
        value = match.group()
        if kind == "latex":
            if value in (r"\left", r"\right"):
                position = match.end()
                continue
            kind, value = "op", _LATEX[value]
        if kind == "name" and value.startswith("_"):
            raise ParseError("names may not start with '_'", text=text, position=position)
        if kind == "number" and len(value) > MAX_DIGITS:
            raise ParseError("number too long", text=text, position=position)
        if kind != "space":
            tokens.append(Token(kind, value, position))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str, symbol: Callable[[str], sympy.Expr]) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0
        self.symbol = symbol

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def error(self, message: str, token: Token | None = None) -> ParseError:
        token = token or self.token
        return ParseError(message, text=self.text, position=token.position)

    def take(self, text: str) -> bool:
        if self.token.kind == "op" and self.token.text == text:
            self.index += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.take(text):
            found = self.token.text or "end of input"
            raise self.error(f"expected {text!r}, found {found!r}")

    def parse(self) -> sympy.Expr:
        if self.token.kind == "end":
            raise self.error("empty expression")
        result = self.expression()
        if self.token.kind != "end":
            raise self.error(f"unexpected {self.token.text!r}")
        return result

    def nested(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"expression nested deeper than {MAX_DEPTH} levels")

    def expression(self) -> sympy.Expr:
        self.nested()
        terms = [self.term()]
        while self.token.text in ("+", "-") and self.token.kind == "op":
            sign = self.token.text
            self.index += 1
            term = self.term()
            terms.append(term if sign == "+" else -term)
        self.depth -= 1
        return sympy.Add(*terms)

    def starts_atom(self) -> bool:
        token = self.token
        return token.kind in ("number", "name") or (token.kind == "op" and token.text in "(⌊⌈{")

    def term(self) -> sympy.Expr:
        result = self.unary()
        while True:
            token = self.token
            if token.kind == "op" and token.text in _TIMES:
                self.index += 1
                result = result * self.unary()
            elif token.kind == "op" and token.text == "/":
                self.index += 1
                result = self.divide(result, self.unary(), token)
            elif token.kind == "op" and token.text == "//":
                self.index += 1
                result = sympy.floor(self.divide(result, self.unary(), token))
            elif self.starts_atom():  # implicit multiplication: 2p, (m n d + 1) k
                result = result * self.power()
            else:
                return result

    def divide(self, numerator: sympy.Expr, denominator: sympy.Expr, token: Token) -> sympy.Expr:
        if denominator == 0:
            raise self.error("division by zero", token)
        return numerator / denominator

    def unary(self) -> sympy.Expr:
        if self.token.kind == "op" and self.token.text in ("-", "+"):
            sign = self.token.text
            self.index += 1
            self.nested()
            operand = self.unary()
            self.depth -= 1
            return -operand if sign == "-" else operand
        return self.power()

    def power(self) -> sympy.Expr:
        base = self.atom()
        token = self.token
        if token.kind == "op" and token.text in ("^", "**"):
            self.index += 1
            self.nested()
            exponent = self.unary()
            self.depth -= 1
            if exponent.is_number and (not exponent.is_integer or abs(exponent) > MAX_EXPONENT):
                raise self.error(f"exponent must be an integer of at most {MAX_EXPONENT}", token)
            if base == 0 and exponent.is_number and exponent < 0:
                raise self.error("division by zero", token)
            return sympy.Pow(base, exponent)
        return base

    def atom(self) -> sympy.Expr:
        token = self.token
        if token.kind == "number":
            self.index += 1
            value = Fraction(token.text)
            return sympy.Rational(value.numerator, value.denominator)
        if token.kind == "name":
            self.index += 1
            if self.take("("):
                return self.call(token)
            if token.text in FUNCTIONS:
                raise self.error(f"function {token.text!r} needs parentheses", token)
            return self.symbol(token.text)
        for opening, closing, wrap in (
            ("(", ")", None),
            ("{", "}", None),
            ("⌊", "⌋", sympy.floor),
            ("⌈", "⌉", sympy.ceiling),
        ):
            if self.take(opening):
                inner = self.expression()
                self.expect(closing)
                return wrap(inner) if wrap else inner
        found = token.text or "end of input"
        raise self.error(f"expected a number, a name or '(', found {found!r}")

    def call(self, name: Token) -> sympy.Expr:
        function = FUNCTIONS.get(name.text)
        if function is None:
            allowed = ", ".join(sorted(FUNCTIONS))
            raise self.error(f"unknown function {name.text!r} (allowed: {allowed})", name)
        arguments = [self.expression()]
        while self.take(","):
            arguments.append(self.expression())
        self.expect(")")
        arity = _ARITY.get(name.text)
        if arity is not None and len(arguments) != arity:
            raise self.error(f"{name.text}() takes {arity} argument", name)
        return function(*arguments)


def parse_expression(
    text: str, symbol: Callable[[str], sympy.Expr] | None = None
) -> sympy.Expr:
    """Parse ``text`` into an exact SymPy expression without executing anything.

    ``symbol`` maps a name to the symbol it stands for (default: :func:`symcnn.symbols.user_symbol`,
    so notation names are the notation's symbols); it may raise to refuse a name.
    """
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ParseError(f"expression longer than {MAX_LENGTH} characters")
    return _Parser(text, symbol or user_symbol).parse()
