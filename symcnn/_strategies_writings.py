"""Hypothesis strategy :func:`writings`: a formula written the ways people write it, for testing the
parser and :func:`symcnn.check.check` (public from :mod:`symcnn.strategies`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy
from hypothesis import strategies as st

Draw = Callable[[st.SearchStrategy[Any]], Any]

# ----------------------------------------------------------------------------------- formulas

_TIMES = ("*", "*", "×", "·", " ", r" \cdot ", r" \times ")


@st.composite
def writings(draw: Draw, expr: sympy.Expr) -> str:
    """``expr`` (sums, products, integer powers of symbols and integers) written as a person might:
    terms and factors in any order, any times sign (``*``, ``×``, ``·``, ``\\cdot``, juxtaposition),
    spaces, redundant parentheses, and sometimes expanded first."""
    if draw(st.booleans()) and draw(st.booleans()):
        expr = sympy.expand(expr)
    return _write(draw, expr, top=True)


def _write(draw: Draw, expr: sympy.Basic, top: bool = False) -> str:
    if expr.is_Integer:
        text = str(int(expr))
        return f"({text})" if int(expr) < 0 else text
    if expr.is_Symbol:
        return str(expr)
    if expr.is_Add:
        terms = list(expr.args)
        terms = draw(st.permutations(terms))
        text = _write(draw, terms[0])
        for term in terms[1:]:
            text += draw(st.sampled_from([" + ", "+", " +"])) + _write(draw, term)
        return text if top and not draw(st.booleans()) else f"({text})"
    if expr.is_Mul:
        factors = draw(st.permutations(list(expr.args)))
        parts = [_write(draw, factor) for factor in factors]
        text = parts[0]
        for part in parts[1:]:
            sign = draw(st.sampled_from(_TIMES))
            if sign == " " and not (text[-1] == ")" or text[-1].isalpha()):
                sign = "*"  # "2 3" and "d² 3" read as two numbers side by side, which is refused
            text += sign + part
        return f"({text})" if not top or draw(st.booleans()) else text
    if expr.is_Pow and expr.exp.is_Integer and int(expr.exp) > 0:
        base = _write(draw, expr.base)
        if not (expr.base.is_Symbol or expr.base.is_Integer):
            base = f"({base})" if not base.startswith("(") else base
        if int(expr.exp) == 2 and expr.base.is_Symbol and draw(st.booleans()):
            return base + "²"
        return base + draw(st.sampled_from(["^", "**"])) + str(int(expr.exp))
    raise ValueError(f"writings() cannot write {expr!r}")
