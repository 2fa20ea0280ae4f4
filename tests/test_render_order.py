"""The printers' linear-time order of a sum's terms (symcnn.render._order) is SymPy's order."""

from __future__ import annotations

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symcnn.render._latex_text import latex_expr
from symcnn.render._order import ordered_terms
from symcnn.render._strings import sstr

H, W, k, m = sympy.symbols("H W k m", integer=True, positive=True)
b = sympy.Symbol("z", integer=True, nonnegative=True)
x, y = sympy.symbols("x y")
GENERATORS = [
    H,
    W,
    k,
    m,
    b,
    x,
    y,
    sympy.floor(H / 2),
    sympy.ceiling((W + 1) / 3),
    sympy.floor(H / 4 + sympy.Rational(3, 4)),
    *sympy.symbols("k1:12", integer=True, positive=True),
]

coefficients = st.fractions(min_value=-50, max_value=50, max_denominator=6).filter(
    lambda value: value != 0
)
monomials = st.dictionaries(
    st.sampled_from(GENERATORS),
    st.integers(min_value=-2, max_value=3).filter(lambda e: e != 0),
    max_size=3,
)
terms = st.tuples(coefficients, monomials).map(
    lambda pair: (
        sympy.Rational(pair[0].numerator, pair[0].denominator)
        * sympy.Mul(*(base**exponent for base, exponent in pair[1].items()))
    )
)
sums = st.lists(terms, min_size=2, max_size=9).map(lambda parts: sympy.Add(*parts))


@settings(max_examples=400, deadline=None)
@given(sums)
def test_the_order_is_sympys(expr: sympy.Expr) -> None:
    ordered = ordered_terms(expr)
    if ordered is not None:
        assert ordered == expr.as_ordered_terms()
    assert sstr(expr) == sympy.sstr(expr)
    assert latex_expr(expr) == sympy.latex(expr)


def test_a_network_total_takes_the_fast_path() -> None:
    widths = sympy.symbols("k1:40", integer=True, positive=True)
    total = sympy.Add(*(9 * width * (3 + i) + width for i, width in enumerate(widths))) + H * W
    ordered = ordered_terms(total)
    assert ordered is not None and ordered == total.as_ordered_terms()


def test_what_sympy_must_order_is_left_to_it() -> None:
    assert ordered_terms(H + 1) is None  # two terms: SymPy's special case
    assert ordered_terms(sympy.pi * H + W + 1) is None  # a number factor other than a rational
    assert ordered_terms(H) is None  # not a sum
    A, B = sympy.symbols("A B", commutative=False)
    assert ordered_terms(A * B + H + 1) is None
