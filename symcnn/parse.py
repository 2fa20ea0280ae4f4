"""A whitelisting parser for expressions typed by people (spec values, ``--set``, formulas).

It never hands user text to ``eval``, ``sympify`` or ``parse_expr``: it tokenizes the text
itself and builds SymPy objects from a fixed grammar — numbers (with digit groups, ``62,958``),
names, ``+ - * / // ^ **`` (and ``−``, ``÷``, superscripts ``d²``), parentheses and braces,
implicit multiplication (``2p``, ``(m n d + 1) k``, ``k(m n d + 1)``), the signs ``×``, ``·``,
``\\cdot`` and ``\\times``, ``x`` between two numbers (``3x3x128``), ``\\frac{a}{b}``, ``⌊ ⌋``
and ``⌈ ⌉``, and the functions ``floor``, ``ceil``, ``min`` and ``max``. Everything else — other
characters, names starting with ``_``, Python keywords, unknown functions — is refused with a
:class:`~symcnn.errors.ParseError` that points at the position.

Numbers may be written in scientific notation (``1e3`` is 1000, ``1.5e2`` is 150), exactly.

Limits keep adversarial text cheap (:mod:`symcnn.limits`, ``docs/limits.md``): at most
``MAX_LENGTH`` characters, ``MAX_DEPTH`` levels of nesting, exponents that are integers written as
numbers up to ``MAX_EXPONENT`` (``2^k`` is refused: its size has no bound), powers of at most
``MAX_BITS`` bits, numbers of at most ``MAX_LITERAL_DIGITS`` digits as written and
``MAX_INTEGER_DIGITS`` once computed, and at most ``MAX_EXPANDED_TERMS`` terms once expanded.

>>> parse_expression("((m*n*d)+1)*k")
k*(d*m*n + 1)
>>> parse_expression("(5*5*3+1)*8")
608
>>> parse_expression("2p + 1"), parse_expression("k(m n d + 1)")
(2*p + 1, k*(d*m*n + 1))
>>> parse_expression("3x3x128"), parse_expression("62,958"), parse_expression("18d²")
(1152, 62958, 18*d**2)
>>> parse_expression("f + 1", allowed_names={"m", "n"})
Traceback (most recent call last):
...
symcnn.errors.ParseError: unknown name 'f' (known names: m, n) at position 0 in 'f + 1'
>>> parse_expression("__import__('os')")
Traceback (most recent call last):
...
symcnn.errors.ParseError: names may not start with '_' at position 0 in "__import__('os')"
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Collection
from fractions import Fraction

import sympy

import symcnn.limits as limits

from ._tokens import Token, check_literal, tokenize
from .errors import ParseError
from .limits import how_to_raise
from .symbols import NOTATION, user_symbol

__all__ = [
    "ExactFloat",
    "check_digits",
    "exact_number",
    "expanded_terms",
    "parse_expression",
]

# the values when this module was imported, for readers; the checks read symcnn.limits
MAX_LENGTH = limits.MAX_LENGTH
MAX_DEPTH = limits.MAX_DEPTH
MAX_EXPONENT = limits.MAX_EXPONENT

FUNCTIONS: dict[str, Callable[..., sympy.Expr]] = {
    "floor": sympy.floor,
    "ceil": sympy.ceiling,
    "ceiling": sympy.ceiling,
    "min": sympy.Min,
    "max": sympy.Max,
}
_ARITY = {"floor": 1, "ceil": 1, "ceiling": 1}

_TIMES = {"*", "×", "·", "⋅"}
_GROUP = re.compile(r"\d{3}(?:\.\d+)?", re.ASCII)


def _too_big(base: sympy.Expr, exponent: sympy.Expr) -> bool:
    """Whether ``base ** exponent`` (both numbers) would have more than ``MAX_BITS`` bits."""
    if not (base.is_Rational and exponent.is_Integer):
        return False
    bits = max(int(abs(base.p)).bit_length(), int(base.q).bit_length())
    return bits * abs(int(exponent)) > limits.MAX_BITS


class ExactFloat(float):
    """A float read from text that is not an integer, with the exact value as written
    (``8.0000000000000001`` is not 8): a spec loader's reading of a decimal number."""

    exact: Fraction
    text: str

    def __new__(cls, text: str) -> ExactFloat:
        value = super().__new__(cls, text)
        value.exact = Fraction(text)
        value.text = text
        return value

    def __repr__(self) -> str:
        return self.text


def exact_number(text: str) -> int | ExactFloat:
    """A number written as text (``1e3``, ``1.5e2``, ``0.25``) read exactly: an ``int`` when it is
    an integer as written, else an :class:`ExactFloat`. Raises ``ValueError`` on other text and
    :class:`~symcnn.errors.ParseError` past the digit limits."""
    text = text.strip().replace("_", "")
    check_literal(text.lstrip("+-"), text, 0)
    value = Fraction(text)
    if value.denominator == 1:
        return value.numerator
    return ExactFloat(text)


def check_digits(value: sympy.Basic | int, what: str = "a number") -> None:
    """Refuse an integer (or a number inside an expression) of more than ``MAX_INTEGER_DIGITS``
    decimal digits, before anything tries to print it."""
    limit = limits.MAX_INTEGER_DIGITS
    numbers = [value] if isinstance(value, int) else [atom for atom in value.atoms(sympy.Rational)]
    for number in numbers:
        p, q = (number, 1) if isinstance(number, int) else (int(number.p), int(number.q))
        for part in (abs(int(p)), q):
            # a number of b bits has floor(b·log10 2) + 1 digits, give or take one: print only
            # the borderline ones, which are short enough to print
            estimate = part.bit_length() * 0.30103
            if estimate > limit + 1 or (estimate > limit - 1 and len(str(part)) > limit):
                raise ParseError(
                    f"{what} has more than {limit:,} digits " + how_to_raise("MAX_INTEGER_DIGITS")
                )


def expanded_terms(expr: sympy.Basic) -> float:
    """An upper bound on the number of terms ``sympy.expand(expr)`` can produce."""
    cap = limits.MAX_EXPANDED_TERMS
    if expr.is_Add:
        return sum(expanded_terms(arg) for arg in expr.args)
    if expr.is_Mul:
        return math.prod(expanded_terms(arg) for arg in expr.args)
    if expr.is_Pow:
        base, exponent = expr.args
        if exponent.is_Integer and int(exponent) > 0:
            # a sum of t terms to the power e has at most C(t + e - 1, e) monomials
            terms = expanded_terms(base)
            if terms <= 1 or terms > cap:
                return terms
            return math.comb(int(terms) + int(exponent) - 1, int(exponent))
        return 1
    if isinstance(expr, sympy.Function):
        return max((expanded_terms(arg) for arg in expr.args), default=1)
    return 1


class _Parser:
    def __init__(
        self,
        text: str,
        symbol: Callable[[str], sympy.Expr],
        allowed_names: Collection[str] | None = None,
    ) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0
        # inside a call's argument list a comma separates arguments, never digit groups
        self.call_depth = 0
        self.symbol = symbol
        self.allowed_names = allowed_names

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def peek(self, offset: int) -> Token:
        return self.tokens[min(self.index + offset, len(self.tokens) - 1)]

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
            token = self.token
            if token.text == "," and self.peek(-1).kind == "number":
                raise self.error(
                    "unexpected ','; digit groups have exactly three digits, as in 62,958"
                )
            raise self.error(f"unexpected {token.text!r}")
        return result

    def nested(self) -> None:
        self.depth += 1
        if self.depth > limits.MAX_DEPTH:
            raise self.error(
                f"expression nested deeper than {limits.MAX_DEPTH} levels "
                + how_to_raise("MAX_DEPTH")
            )

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
        return token.kind in ("number", "name") or (
            token.kind == "op" and token.text in ("(", "⌊", "⌈", "{", "frac")
        )

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
                if token.kind == "number" and self.peek(-1).kind == "number":
                    raise self.error(
                        "two numbers side by side; write 62958, 62,958 or 62*958", token
                    )
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
            largest = limits.MAX_EXPONENT
            if not exponent.is_number:
                # 2^k or k^(k^k): a value whose size no limit on k can bound
                raise self.error(
                    f"exponent must be a number (an integer of at most {largest}), not "
                    f"{exponent}; a power of a symbol such as d^2 is fine",
                    token,
                )
            if not exponent.is_integer or abs(exponent) > largest:
                raise self.error(
                    f"exponent must be an integer of at most {largest} "
                    + how_to_raise("MAX_EXPONENT"),
                    token,
                )
            if base == 0 and exponent < 0:
                raise self.error("division by zero", token)
            if _too_big(base, exponent):
                raise self.error(
                    f"number too large (more than {limits.MAX_BITS:,} bits) "
                    + how_to_raise("MAX_BITS"),
                    token,
                )
            return sympy.Pow(base, exponent)
        return base

    def number(self) -> sympy.Expr:
        token = self.token
        self.index += 1
        text = token.text
        # 62,958: a comma then exactly three digits, outside any argument list, is a digit group
        if self.call_depth == 0 and re.fullmatch(r"[0-9]{1,3}", text):
            end = token.end
            while True:
                comma, group = self.token, self.peek(1)
                if not (
                    comma.kind == "op"
                    and comma.text == ","
                    and comma.position == end
                    and group.kind == "number"
                    and group.position == end + 1
                    and _GROUP.fullmatch(group.text)
                ):
                    break
                text += group.text
                end = group.end
                self.index += 2
                if "." in group.text:
                    break
        value = Fraction(text)
        return sympy.Rational(value.numerator, value.denominator)

    def atom(self) -> sympy.Expr:
        token = self.token
        if token.kind == "number":
            return self.number()
        if token.kind == "name":
            self.index += 1
            opens = self.token.kind == "op" and self.token.text == "("
            if opens and (token.text in FUNCTIONS or not self.multiplies(token.text)):
                self.index += 1
                return self.call(token)
            if token.text in FUNCTIONS:
                raise self.error(f"function {token.text!r} needs parentheses", token)
            return self.name(token)
        if self.take("frac"):
            self.nested()
            self.expect("{")
            numerator = self.expression()
            self.expect("}")
            brace = self.token
            self.expect("{")
            denominator = self.expression()
            self.expect("}")
            self.depth -= 1
            return self.divide(numerator, denominator, brace)
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

    def multiplies(self, name: str) -> bool:
        """Whether ``name(…)`` is a product, ``k(m·n·d + 1)``: for the notation's names and the
        allowed ones; any other name before a parenthesis must be a function."""
        return name in NOTATION or (self.allowed_names is not None and name in self.allowed_names)

    def name(self, token: Token) -> sympy.Expr:
        allowed = self.allowed_names
        if allowed is not None and token.text not in allowed:
            near = difflib.get_close_matches(token.text, sorted(allowed), n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            known = ", ".join(sorted(allowed)) or "none"
            raise self.error(f"unknown name {token.text!r}{hint} (known names: {known})", token)
        try:
            return self.symbol(token.text)
        except ParseError as error:
            if error.position is not None or error.text:
                raise
            # a refusal from the symbol callback: say where the name is
            raise self.error(str(error), token) from None

    def call(self, name: Token) -> sympy.Expr:
        function = FUNCTIONS.get(name.text)
        if function is None:
            allowed = ", ".join(sorted(FUNCTIONS))
            raise self.error(f"unknown function {name.text!r} (allowed: {allowed})", name)
        self.call_depth += 1
        arguments = [self.expression()]
        while self.take(","):
            arguments.append(self.expression())
        self.call_depth -= 1
        self.expect(")")
        arity = _ARITY.get(name.text)
        if arity is not None and len(arguments) != arity:
            raise self.error(f"{name.text}() takes {arity} argument", name)
        return function(*arguments)


def parse_expression(
    text: str,
    symbol: Callable[[str], sympy.Expr] | None = None,
    *,
    allowed_names: Collection[str] | None = None,
) -> sympy.Expr:
    """Parse ``text`` into an exact SymPy expression without executing anything.

    ``symbol`` maps a name to the symbol it stands for (default: :func:`symcnn.symbols.user_symbol`,
    so notation names are the notation's symbols); it may raise to refuse a name, and a
    :class:`~symcnn.errors.ParseError` it raises gets the name's position. ``allowed_names``, if
    given, refuses every other name with an error that lists the known ones.
    """
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    if len(text) > limits.MAX_LENGTH:
        raise ParseError(
            f"expression longer than {limits.MAX_LENGTH} characters " + how_to_raise("MAX_LENGTH")
        )
    result = _Parser(text, symbol or user_symbol, allowed_names).parse()
    check_digits(result, "the expression")
    if expanded_terms(result) > limits.MAX_EXPANDED_TERMS:
        raise ParseError(
            f"expression would have more than {limits.MAX_EXPANDED_TERMS:,} terms expanded "
            + how_to_raise("MAX_EXPANDED_TERMS"),
            text=text if len(text) <= limits.MAX_DESCRIBED else "",
        )
    return result
