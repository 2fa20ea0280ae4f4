"""The working of a solved equation, step by step, as a teacher writes it on the board.

``a·x^n + b = target``: where ``b`` and ``a`` come from (each named part's constant and
coefficient), ``b`` moved across, the division by ``a``, the root, and the check with the answer
put back. An equation of another form (a floor that does not reduce, a polynomial of several
terms) is stated as solved, then checked, with the neighbouring values that do not fit.
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from ..formula import (
    EquationStep,
    Expr,
    Line,
    Node,
    Product,
    Quantity,
    Quotient,
    Ref,
    Solved,
    Sum,
    Value,
)

__all__ = ["solved_working"]

_KNOWN = Quantity("known", "known terms", r"\text{known terms}")
_CHECK = Quantity("check", "check", r"\text{check}")


def _coefficient(unknown: sympy.Symbol, power: int) -> Quantity:
    name = unknown.name if power == 1 else f"{unknown.name}^{power}"
    return Quantity("coefficient", f"coefficient of {name}", rf"\text{{coefficient of }} {name}")


def _n(value: Expr) -> str:
    """A number in a note, digit-grouped as the working groups it (``3,118``)."""
    if value.is_Integer and abs(int(value)) >= 1_000:
        return f"{int(value):,}"
    return str(value)


def _sum(values: Sequence[Expr]) -> Node:
    if len(values) == 1:
        return Value(values[0])
    return Sum(tuple(("-", Value(-v)) if v < 0 else ("+", Value(v)) for v in values))


def _monomial(expression: Expr, unknown: sympy.Symbol) -> tuple[Expr, int, Expr] | None:
    """``(a, n, b)`` when ``expression`` is ``a·unknown^n + b`` with rational ``a ≠ 0, b``."""
    if not expression.is_polynomial(unknown):
        return None
    poly = sympy.Poly(expression, unknown)
    terms = [(degree, c) for (degree,), c in poly.terms() if degree > 0]
    if len(terms) != 1 or not all(c.is_Rational for c in poly.coeffs()):
        return None
    (power, a), b = terms[0], poly.coeff_monomial(1)
    return sympy.Rational(a), int(power), sympy.Rational(b)


def _part_steps(unknown: sympy.Symbol, power: int, parts: Sequence[tuple[str, Expr]]) -> list[Line]:
    """Where the constant and the coefficient come from, when several parts give them."""
    constants, coefficients = [], []
    for label, part in parts:
        poly = sympy.Poly(sympy.expand(part), unknown)
        constant, coefficient = poly.coeff_monomial(1), poly.coeff_monomial(unknown**power)
        if constant != 0:
            constants.append((label, constant))
        if coefficient != 0:
            coefficients.append((label, coefficient))
    lines: list[Line] = []
    for quantity, found in ((_KNOWN, constants), (_coefficient(unknown, power), coefficients)):
        if len(found) > 1:
            note = "; ".join(f"{label} {_n(value)}" for label, value in found)
            values = [value for _, value in found]
            lines.append(
                EquationStep(Ref(quantity), _sum(values), sum(values, sympy.Integer(0)), note)
            )
    return lines


def solved_working(
    unknown: sympy.Symbol,
    parts: Sequence[tuple[str, Expr]],
    target: Expr,
    value: Expr,
) -> tuple[Line, ...]:
    """The steps from ``Σ parts = target`` to ``unknown = value`` and back (the check).

    ``parts`` are the named terms the equation's left side adds up (a network's layers, or one
    layer); their only free symbol is ``unknown``; ``value`` is the solver's answer.

    >>> k = sympy.Symbol("k")
    >>> steps = solved_working(k, [("CONV1", sympy.Integer(456)), ("CONV2", 151 * k)],
    ...                        sympy.Integer(2872), sympy.Integer(16))
    >>> for line in steps:
    ...     print(line.result, "|", line.note)
    None | the equation
    2416 | 456 moved to the right
    16 | divided by 151
    2872 | the given 2,872
    """
    expression = sympy.expand(sum((part for _, part in parts), sympy.Integer(0)))
    form = _monomial(expression, unknown)
    equation = EquationStep(Value(expression), Value(target), None, "the equation")
    if form is None:
        return _searched(unknown, expression, target, value)
    a, power, b = form
    lines: list[Line] = [*_part_steps(unknown, power, parts), equation]
    term = unknown**power
    rest = target - b
    if b != 0:
        moved = Sum((("+", Value(target)), ("-" if b > 0 else "+", Value(abs(b)))))
        note = f"{_n(b)} moved to the right" if b > 0 else f"{_n(-b)} added to both sides"
        lines.append(EquationStep(Value(a * term), moved, rest, note))
    if a != 1:
        lines.append(
            EquationStep(
                Value(term), Quotient(Value(rest), Value(a)), rest / a, f"divided by {_n(a)}"
            )
        )
    if power != 1:
        root = "square" if power == 2 else f"{power}th"
        note = f"the whole {root} root: {value}^{power} = {_n(rest / a)}"
        lines.append(EquationStep(Value(unknown), Value(value), None, note))
    product: Node = Product((*((Value(a),) if a != 1 else ()), *(Value(value),) * power))
    if len(product.factors) == 1:  # type: ignore[union-attr]
        product = product.factors[0]  # type: ignore[union-attr]
    check: Node = product
    if b != 0:
        check = Sum((("+", product), ("-" if b < 0 else "+", Value(abs(b)))))
    lines.append(EquationStep(Ref(_CHECK), check, target, f"the given {_n(target)}"))
    return tuple(lines)


def _searched(
    unknown: sympy.Symbol, expression: Expr, target: Expr, value: Expr
) -> tuple[Line, ...]:
    """An equation without a closed form: solved (by the solver's search), then checked, with
    the neighbours' values showing the answer is the one that fits."""
    others = []
    for neighbour in (value - 1, value + 1):
        try:
            at = expression.xreplace({unknown: neighbour})
        except (TypeError, ValueError, ZeroDivisionError):  # pragma: no cover - defensive
            continue
        if at.is_Integer and neighbour >= 0:
            others.append(f"{unknown} = {neighbour} gives {_n(at)}")
    note = f"{unknown} = {value} gives {_n(target)}" + (f"; {', '.join(others)}" if others else "")
    return (
        Solved(unknown, expression, target, value),
        EquationStep(Ref(_CHECK), Value(expression.xreplace({unknown: value})), None, note),
    )
