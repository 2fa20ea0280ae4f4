"""Showing a formula in the form a reader wants: expanded, factored, or collected by symbols.

A network's totals are built as plain sums of the layers' formulas, never simplified (that keeps
composition fast). When a total is *shown*, it can be rewritten once, here:

* ``expand`` — multiplied out: ``25*k**2 + 77*k``;
* ``factor`` — as a product of factors: ``k*(25*k + 77)``;
* ``collect:k`` (or ``collect:k1,k2``) — multiplied out and grouped by powers of the named
  symbols: ``params = 9028*k + 10``;
* ``sum`` — as built (the default).

Per-layer contributions are the rows themselves (:func:`contributions`).

>>> import sympy
>>> k, H = sympy.symbols("k H", positive=True, integer=True)
>>> rewrite(k*(25*k + 1) + 76*k, "factor")
k*(25*k + 77)
>>> rewrite(3*k*H + 2*k + 5*H, "collect:k", {"k": k})
5*H + k*(3*H + 2)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import sympy

from .errors import SolveError
from .layers import Row
from .network import Network
from .quantities import QUANTITIES

__all__ = ["FORMS", "contributions", "parse_form", "rewrite", "rewrite_network"]

from .formula import Expr

#: the forms, with what they do
FORMS = {
    "sum": "as built: the layers' formulas added up (default)",
    "expand": "multiplied out",
    "factor": "as a product of factors",
    "collect:SYMBOLS": "multiplied out, grouped by powers of the symbols (collect:k1,k2)",
}


def parse_form(
    form: str, symbols: Mapping[str, sympy.Symbol] | None = None
) -> Callable[[Expr], Expr]:
    """The rewriting function a form names; ``symbols`` resolves the names after ``collect:``."""
    name, _, argument = form.strip().partition(":")
    name = name.strip().lower()
    if name in ("sum", "none") and not argument:
        return lambda expr: expr
    if name == "expand" and not argument:
        return sympy.expand
    if name == "factor" and not argument:
        return _factor
    if name == "collect":
        names = [part.strip() for part in argument.split(",") if part.strip()]
        if not names:
            raise SolveError(f"form {form!r}: name the symbols to collect by, such as collect:k")
        known = dict(symbols or {})
        missing = [n for n in names if n not in known]
        if missing:
            shown = ", ".join(sorted(known)) or "none"
            raise SolveError(
                f"form {form!r}: unknown symbol {', '.join(missing)} (this network's symbols: "
                f"{shown})"
            )
        chosen = [known[n] for n in names]
        return lambda expr: sympy.collect(sympy.expand(expr), chosen)
    raise SolveError(
        f"unknown form {form!r} (forms: sum, expand, factor, collect:SYMBOL[,SYMBOL...])"
    )


def _factor(expr: Expr) -> Expr:
    if expr.is_number:
        return expr
    return sympy.factor(expr)


def rewrite(expr: Expr, form: str, symbols: Mapping[str, sympy.Symbol] | None = None) -> Expr:
    """``expr`` in ``form`` (see the module docstring)."""
    return parse_form(form, symbols)(expr)


def rewrite_network(net: Network, form: str) -> Network:
    """``net`` with every row's counts (parameters, buffers) and the totals in ``form``.

    The totals are rewritten as wholes (the factored total is not the sum of factored rows).
    Shapes stay as built: each size is already short, and expanding a flattened shape only
    lengthens it.
    """
    function = parse_form(form, net.symbols)
    cache: dict[Expr, Expr] = {}

    def shown(expr: Expr) -> Expr:
        if expr not in cache:
            cache[expr] = function(expr)
        return cache[expr]

    rows = tuple(
        dataclasses.replace(
            row,
            params=shown(row.params),
            buffers=shown(row.buffers),
        )
        for row in net.rows
    )
    totals = {
        "params": shown(net.params),
        "buffers": shown(net.buffers),
        "total_activations": shown(net.total_activations),
    }
    return dataclasses.replace(net, rows=rows, totals=totals)


def _per_row(name: str) -> bool:
    return name in Row.__dataclass_fields__ or hasattr(Row, name)


def contributions(net: Network, quantity: str = "params") -> list[tuple[str, Expr]]:
    """Each layer's share of a total, in order, leaving out layers that add nothing.

    >>> import symcnn
    >>> net = symcnn.load({"input": [32, 32, 3], "layers": [
    ...     {"type": "conv2d", "name": "CONV1", "out_channels": "k", "kernel_size": 5},
    ...     {"type": "relu"},
    ...     {"type": "conv2d", "name": "CONV2", "out_channels": 16, "kernel_size": 5}]})
    >>> contributions(net)
    [('CONV1', 76*k), ('CONV2', 400*k + 16)]
    """
    # a network total that sums its rows; total_activations sums each row's activation size
    field = "activation_size" if quantity == "total_activations" else quantity
    summed = quantity in QUANTITIES and QUANTITIES[quantity].aggregate == "sum"
    if not (summed or quantity == "activation_size") or not _per_row(field):
        choices = ", ".join(
            name for name, q in QUANTITIES.items() if q.aggregate == "sum" and _per_row(name)
        )
        raise SolveError(
            f"contributions of {quantity!r}: choose {choices}, activation_size or "
            "total_activations"
        )
    # a block repeated L times contributes L times each of its rows
    shares = [(row.name, getattr(row, field) * row.multiplicity) for row in net.rows]
    return [(name, value) for name, value in shares if value != 0]
