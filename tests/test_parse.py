"""The safe expression parser: the notations of the seed texts, errors that point, and limits."""

from __future__ import annotations

import re

import pytest
import sympy

import symcnn
from symcnn import ParseError, parse_expression
from symcnn.parse import MAX_DEPTH, MAX_EXPONENT, MAX_LENGTH
from symcnn.symbols import NOTATION, bias, c, d, k, m, n, p

W, s_w = NOTATION["W"].symbol, NOTATION["s_w"].symbol
x = symcnn.symbols.user_symbol("x")

# (text, what it means): every way the seeds and their readers write a formula or a number
ACCEPTED = [
    ("((m*n*d)+1)*k", (m * n * d + 1) * k),
    ("(5*5*3+1)*8", 608),
    ("(((5*5*8)+1)*16)", 3216),
    ("120*400+1*120", 48120),
    ("3x3x128", 1152),
    ("3 x 3 x 128", 1152),
    ("3×3×128×256", 294912),
    ("(3×3×128+1)×256", 295168),
    ("128·(256+1)", 32896),
    ("128\\cdot(256+1)", 32896),
    ("128\\cdot\\left(256+1\\right)", 32896),
    ("(3\\times3\\times128+1)\\times256", 295168),
    ("62,958", 62958),
    ("48,001", 48001),
    ("2,951,680,000", 2951680000),
    ("62\\,958", 62958),
    ("(62,958)", 62958),
    ("1,234.5", sympy.Rational(2469, 2)),
    ("2p", 2 * p),
    ("2p + 1", 2 * p + 1),
    ("(m n d + 1) k", (m * n * d + 1) * k),
    ("k(m n d + 1)", (m * n * d + 1) * k),
    ("((c*p)+1*c)", c * p + c),
    ("(p + bias)c", (p + bias) * c),
    ("d^2", d**2),
    ("d**2", d**2),
    ("18d²", 18 * d**2),
    ("2^3^2", 512),
    ("10^3", 1000),
    ("(W − m)/s_w + 1", (W - m) / s_w + 1),
    ("⌊(W − m)/s_w⌋ + 1", sympy.floor((W - m) / s_w) + 1),
    ("\\lfloor (W - m)/s_w \\rfloor + 1", sympy.floor((W - m) / s_w) + 1),
    ("⌈(W − m + 1)/s_w⌉", sympy.ceiling((W - m + 1) / s_w)),
    ("floor((W - m)/s_w) + 1", sympy.floor((W - m) / s_w) + 1),
    ("\\frac{W - m}{s_w} + 1", (W - m) / s_w + 1),
    ("7 // 2", 3),
    ("d ÷ 2", d / 2),
    ("max(1,234)", 234),
    ("min(3, 4, 5)", 3),
    ("{m}{n}", m * n),
    ("2x", 2 * x),
    ("x3", symcnn.symbols.user_symbol("x3")),
    ("3.5", sympy.Rational(7, 2)),
    ("-(-m)", m),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED, ids=[text for text, _ in ACCEPTED])
def test_the_seeds_notations_are_accepted(text, expected):
    assert parse_expression(text) == expected


# (text, position, part of the message): every refusal says where
REFUSED = [
    ("2 3", 2, "two numbers side by side"),
    ("62 958", 3, "two numbers side by side"),
    ("1,23", 1, "digit groups have exactly three digits"),
    ("1,2345", 1, "digit groups"),
    ("m +", 3, "expected a number, a name or '('"),
    ("(m + n", 6, "expected ')'"),
    ("m $ n", 2, "unexpected character '$'"),
    ("m.real", 1, "unexpected character '.'"),
    ("eval(1)", 0, "unknown function 'eval'"),
    ("floor", 0, "needs parentheses"),
    ("floor(1, 2)", 0, "takes 1 argument"),
    ("__class__", 0, "may not start with '_'"),
    ("m/0", 1, "division by zero"),
    ("2^1000", 1, "exponent must be an integer"),
    ("2^(1/2)", 1, "exponent must be an integer"),
    ("(9^200)^200", 7, "number too large"),
    ("lambda: 0", 0, "'lambda' is a Python keyword, not a name"),
    ("m if d else n", 2, "'if' is a Python keyword"),
    ("", 0, "empty expression"),
]


@pytest.mark.parametrize(("text", "position", "message"), REFUSED, ids=[t for t, _, _ in REFUSED])
def test_refusals_point_at_the_position(text, position, message):
    with pytest.raises(ParseError, match=re.escape(message)) as caught:
        parse_expression(text)
    assert caught.value.position == position
    if text:
        assert f"at position {position} in {text!r}" in str(caught.value)


def test_grouping_is_off_inside_argument_lists():
    assert parse_expression("max(62,958)") == 958
    with pytest.raises(ParseError, match="expected '\\)', found ','"):
        parse_expression("max((62,958), 1)")


def test_x_is_a_name_unless_between_numbers():
    assert parse_expression("x") == x
    assert parse_expression("3x") == 3 * x
    assert parse_expression("3x3") == 9


def test_allowed_names_refuse_others_with_a_suggestion():
    with pytest.raises(ParseError, match=r"unknown name 'bais'; did you mean 'bias'\?") as caught:
        parse_expression("(m n d + bais) k", allowed_names=set(NOTATION))
    assert caught.value.position == 9
    assert parse_expression("k(d + 1)", allowed_names={"k", "d"}) == k * (d + 1)


def test_a_refusal_from_the_symbol_callback_gets_the_position():
    def only_h(name: str) -> sympy.Symbol:
        if name != "H":
            raise ParseError(f"no symbol {name}")
        return NOTATION["H"].symbol

    with pytest.raises(ParseError, match=re.escape("no symbol W at position 4 in 'H + W'")):
        parse_expression("H + W", only_h)


def test_the_old_call_form_still_works():
    seen = []
    assert parse_expression("a + b", lambda name: seen.append(name) or sympy.Symbol(name)) == (
        sympy.Symbol("a") + sympy.Symbol("b")
    )
    assert seen == ["a", "b"]


def test_limits():
    with pytest.raises(ParseError, match=f"longer than {MAX_LENGTH}"):
        parse_expression("1+" * MAX_LENGTH + "1")
    with pytest.raises(ParseError, match=f"nested deeper than {MAX_DEPTH}"):
        parse_expression("(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1))
    with pytest.raises(ParseError, match=f"nested deeper than {MAX_DEPTH}"):
        parse_expression("-" * 200 + "1")
    assert parse_expression(f"2^{MAX_EXPONENT}") == 2**MAX_EXPONENT
    with pytest.raises(ParseError, match="number too long"):
        parse_expression("9" * 500)


def test_spec_values_and_set_values_use_the_parser():
    net = symcnn.load(
        {
            "input": ["H", "H", 3],
            "layers": [{"type": "conv2d", "out_channels": "2x4", "kernel_size": 5}],
        }
    )
    assert net.output_shape[-1] == 8
    assert net.subs(H="4·8").output_shape == (28, 28, 8)
    with pytest.raises(ParseError, match="at position 0"):
        net.subs(H="__import__('os')")
