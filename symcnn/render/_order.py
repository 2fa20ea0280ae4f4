"""SymPy's order of a sum's terms, found in time linear in the sum's size.

The printers write a sum's terms in the order :meth:`sympy.Expr.as_ordered_terms` gives (lex,
the default). SymPy finds it by giving every term a dense monomial over *all* the sum's
generators, so ordering a sum of T terms in G generators costs T·G: the total of a 5,000-layer
chain whose every convolution has its own width ``k1 … k2500`` is 2,500 terms in 2,500 symbols,
and its ordering alone took seconds. :func:`ordered_terms` gives the same order from sparse
monomials: T log T comparisons of keys as long as each term's own factors.

The key. Dense lex order compares two monomials at the first generator where their exponents
differ. With a term's nonzero exponents as ``(index, exponent)`` pairs in generator order, the
first difference is either one generator with two exponents (compare them), or a generator one
term has and the other has not (exponent 0): the term that has it is the larger exactly when its
exponent is positive. Each pair maps to ``(rank, exponent)`` with ``rank = -index`` for a positive
exponent and ``index - SPAN`` for a negative one, and a term ends with ``(-SPAN // 2, 0)``, between
the two ranges (its missing generators are zeros); comparing these tuples is comparing the dense
monomials. SymPy sorts by the negated monomial, so the key negates each pair.

Only sums SymPy's key would order by the monomial alone take this path: commutative terms with a
rational coefficient and no other number factor (two such terms always differ in their monomial,
since :class:`sympy.Add` collects like terms). A sum of two terms, where SymPy has a special
case, is :func:`linear_order`'s (a rational and one term in one generator: ``H/4 + 3/4``,
``⌊…⌋ + 1``); any other sum is left to SymPy (``None``). :func:`sympy_order`, which the printers
ask, chooses. ``tests/test_render_order.py`` and ``tests/test_render_strings.py`` check the order
against SymPy's on drawn sums.
"""

from __future__ import annotations

from typing import Any

import sympy
from sympy.core.exprtools import decompose_power
from sympy.core.sorting import default_sort_key

__all__ = ["ordered_terms", "sympy_order"]


def sympy_order(expr: Any) -> list[Any] | None:
    """The terms of ``expr`` in SymPy's default order, found here when it can be: a sum of two
    (:func:`linear_order`) or of more (:func:`ordered_terms`); ``None``: left to SymPy. What the
    printers (:mod:`symcnn.render._strings`, :mod:`symcnn.render._latex_text`) ask."""
    if not isinstance(expr, sympy.Add):
        return None
    return linear_order(*expr.args) if len(expr.args) == 2 else ordered_terms(expr)


#: the generators a term of a fast-ordered sum may have: one symbol or one rounding
_GENERATORS = (sympy.Symbol, sympy.floor, sympy.ceiling)


def linear_order(first: Any, second: Any) -> list[Any] | None:
    """``[term, constant]`` as :meth:`sympy.Expr.as_ordered_terms` orders a sum of a rational
    ``constant`` and ``term`` = ``generator`` or ``rational·generator``: the degree-1 monomial
    first, except a positive constant before a negatively scaled term (``3 - H``, SymPy's special
    case of ``Add(Number, Mul(Number, x))``). ``None``: another sum, left to SymPy."""
    constant, term = (first, second) if first.is_Rational else (second, first)
    if not constant.is_Rational or term.is_Number:
        return None
    if isinstance(term, _GENERATORS):
        return [term, constant]
    if not term.is_Mul or len(term.args) != 2:
        return None
    scale, generator = term.args
    if not scale.is_Rational or not isinstance(generator, _GENERATORS):
        return None
    if constant.p > 0 and scale.p < 0:  # rationals: no assumption queries
        return [constant, term]
    return [term, constant]


def ordered_terms(expr: Any) -> list[Any] | None:
    """The terms of the sum ``expr`` in SymPy's default order, or ``None`` when SymPy must find
    it (not a sum of three terms or more of the form above)."""
    if not isinstance(expr, sympy.Add) or len(expr.args) < 3:
        return None
    terms: list[tuple[Any, dict[Any, Any]]] = []
    generators: set[Any] = set()
    for term in expr.args:
        coefficient, rest = term.as_coeff_Mul()
        if not coefficient.is_Rational:
            return None
        powers: dict[Any, Any] = {}
        if rest is not sympy.S.One:
            for factor in sympy.Mul.make_args(rest):
                if factor.is_number or not factor.is_commutative:
                    return None
                base, exponent = decompose_power(factor)
                if base in powers:  # not a product SymPy keeps; leave it to SymPy
                    return None
                powers[base] = exponent
        terms.append((term, powers))
        generators.update(powers)
    index = {base: i for i, base in enumerate(sorted(generators, key=default_sort_key))}
    span = 2 * len(index) + 2
    end = (span // 2, 0)  # the negated end of a term, between the two negated ranges

    def key(item: tuple[Any, dict[Any, Any]]) -> tuple[tuple[Any, Any], ...]:
        pairs = sorted((index[base], exponent) for base, exponent in item[1].items())
        negated = [(i if exponent > 0 else span - i, -exponent) for i, exponent in pairs]
        negated.append(end)
        return tuple(negated)

    return [term for term, _ in sorted(terms, key=key)]
