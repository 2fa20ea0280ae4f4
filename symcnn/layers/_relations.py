"""Conditions that decide at once when both sides are numbers.

Building ``sympy.Ge(30, 5)`` asks SymPy's assumption system and ``evalf`` to compare two
integers; a network of a few hundred layers builds thousands of such checks, most of them numeric.
These constructors compare numbers in Python and only build a SymPy relation when a side is
symbolic, so a numeric check costs what an ``int`` comparison costs.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import sympy

from ..floors import bound

__all__ = ["divides", "eq", "ge", "gt", "le", "lt"]

_TRUTH = {True: sympy.true, False: sympy.false}


def _relation(
    compare: Callable[[Any, Any], bool], build: Callable[[Any, Any], Any]
) -> Callable[[Any, Any], Any]:
    def relation(left: Any, right: Any) -> Any:
        if isinstance(left, int | sympy.Integer) and isinstance(right, int | sympy.Integer):
            return _TRUTH[compare(int(left), int(right))]
        return build(left, right)

    return relation


def _bounded(build: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    # a condition on one rounded size is the bound on its symbol it amounts to: H ≥ 16, not
    # ⌊H/4⌋ − 3 ≥ 1 (symcnn.floors.bound); SymPy then decides the ones a positive size meets
    return lambda left, right: bound(build, left, right)


ge = _relation(operator.ge, _bounded(sympy.Ge))
gt = _relation(operator.gt, _bounded(sympy.Gt))
le = _relation(operator.le, _bounded(sympy.Le))
lt = _relation(operator.lt, _bounded(sympy.Lt))
eq = _relation(operator.eq, sympy.Eq)


def divides(divisor: Any, value: Any) -> Any:
    """``divisor`` divides ``value`` (``Eq(Mod(value, divisor), 0)``), decided at once for
    numbers."""
    if isinstance(divisor, int | sympy.Integer) and isinstance(value, int | sympy.Integer):
        return _TRUTH[int(value) % int(divisor) == 0]
    return sympy.Eq(sympy.Mod(value, divisor), 0)
