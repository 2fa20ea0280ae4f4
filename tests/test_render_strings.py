"""The cached printer (``symcnn.render._strings``) prints as ``sympy.sstr`` does, character for
character, including the sums whose terms it orders without SymPy."""

from __future__ import annotations

import itertools

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symcnn.render._order import linear_order
from symcnn.render._strings import _CachingPrinter, sstr

H = sympy.Symbol("H", integer=True, positive=True)
x = sympy.Symbol("x")
RATIONALS = [sympy.Rational(n, d) for n, d in itertools.product([-3, -1, 1, 2, 7], [1, 2, 1024])]
GENERATORS = [H, x, sympy.floor(H / 2), sympy.ceiling(x / 3 + sympy.Rational(1, 3))]

rationals = st.builds(sympy.Rational, st.integers(-(10**6), 10**6), st.integers(1, 2**40))
generators = st.sampled_from([*GENERATORS, sympy.floor(H / 4 + sympy.Rational(3, 4))])


def fresh(expr: sympy.Basic) -> str:
    """The cached printer's string from a printer with nothing cached yet."""
    return str(_CachingPrinter().doprint(expr))


def test_every_small_linear_sum_prints_as_sympy_prints_it() -> None:
    for scale, generator, constant in itertools.product(RATIONALS, GENERATORS, RATIONALS):
        expr = scale * generator + constant
        assert fresh(expr) == sympy.sstr(expr), expr
        assert fresh(sympy.floor(expr)) == sympy.sstr(sympy.floor(expr))


@settings(deadline=None)
@given(rationals, generators, rationals, rationals)
def test_strided_sizes_and_their_products_print_as_sympy_prints_them(
    scale: sympy.Rational, generator: sympy.Expr, constant: sympy.Rational, outer: sympy.Rational
) -> None:
    size = sympy.floor(scale * generator + constant) + outer
    product = 4 * size * sympy.floor(generator / 2 + constant)
    for expr in (size, product, size - 3 * generator, -size, size + x + H):
        assert fresh(expr) == sympy.sstr(expr)
        assert sstr(expr) == sympy.sstr(expr)


def test_sums_the_fast_order_does_not_know_are_left_to_sympy() -> None:
    assert linear_order(H, x) is None
    assert linear_order(sympy.Integer(1), 1 / H) is None
    assert linear_order(sympy.Integer(1), H**2) is None
    assert linear_order(sympy.Integer(1), 2 * H * x) is None
    assert linear_order(sympy.Integer(3), -H) == [sympy.Integer(3), -H]
    for expr in (H + x + 1, 1 / H + 1, H**2 - 1, 2 * H * x + 5, sympy.pi + H):
        assert fresh(expr) == sympy.sstr(expr)
