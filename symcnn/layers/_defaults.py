"""The defaults behind what a layer knows (:class:`~symcnn.layers.base.Layer`'s working,
description and mistakes), and the helpers the layer families share for them.

A row's working is in the textbooks' order: output sizes, activation size, parameters, buffers.
Every result is the row's own number; the formulas are the layer's written ones with the row's
values put in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeAlias

import sympy

from ..formula import (
    Derivation,
    Expr,
    Fact,
    FormulaExpr,
    Line,
    Node,
    Product,
    Ref,
    Sym,
    Textbook,
    Value,
    Written,
    evaluate,
    quantity,
    resolve,
    substitute,
    written_line,
)
from ..prose import Inline, Math, Text, uniform
from ..symbols import axis_symbols, d, k

#: a bound row (:class:`symcnn.layers.base.Row`); base.py imports this module, so this one names
#: the type without importing it back
Row: TypeAlias = Any

__all__ = [
    "activation_line",
    "argument_pieces",
    "at_default",
    "spatial",
    "textbook_lines",
    "untemplated_lines",
    "with_values",
    "work_refs",
    "written_work",
]


def _channels_last(row: Row) -> bool:
    """Whether the row's shapes put channels last (HWC); rows do not carry the layout."""
    shape = row.formula.output_shape
    return shape is not None and shape[-1] in (k, d)


def spatial(row: Row) -> tuple[Expr, ...]:
    """The row's output sizes along its spatial axes, in depth, height, width order."""
    return row.output_shape[:-1] if _channels_last(row) else row.output_shape[1:]


def activation_line(row: Row, channels: sympy.Symbol | None, dims: int) -> Derivation:
    """``H_out·W_out·k = 28·28·8``: the output axes by name, in the layout's order, when the output
    is ``dims`` spatial axes and ``channels``; otherwise just the product of its sizes."""
    substituted: Node = Product(tuple(Value(size) for size in row.output_shape))
    if len(row.output_shape) == 1:
        substituted = Value(row.output_shape[0])
    formula: Node | None = None
    if channels is not None and len(row.output_shape) == dims + 1:
        names: list[Node] = [Ref(quantity(f"{a.size.name}_out")) for a in axis_symbols(dims)]
        ordered = [*names, Sym(channels)] if _channels_last(row) else [Sym(channels), *names]
        formula = ordered[0] if len(ordered) == 1 else Product(tuple(ordered))
    return Derivation(quantity("activation_size"), formula, substituted, row.activation_size)


def textbook_lines(row: Row, book: Textbook) -> list[Line]:
    """The working of ``row`` from its layer's textbook, written for the row's values."""
    dims = len(book.sizes)
    results = spatial(row) if dims else ()
    lines: list[Line] = [
        written_line(f"{a.size.name}_out", written, row.values, result)
        for a, written, result in zip(axis_symbols(dims), book.sizes, results, strict=True)
    ]
    lines.append(activation_line(row, book.channels, dims))
    lines.append(written_line("params", book.params, row.values, row.params))
    if book.buffers is not None:
        lines.append(written_line("buffers", book.buffers, row.values, row.buffers))
    return lines


def untemplated_lines(row: Row) -> list[Line]:
    """Layers without a textbook: the engine's own formula, honestly labelled."""
    lines: list[Line] = [activation_line(row, None, 0)]
    for key, general, result in (
        ("params", row.formula.params, row.params),
        ("buffers", row.formula.buffers, row.buffers),
    ):
        if result == 0:
            if key == "params":
                lines.append(Fact(quantity(key), result, "no learnable parameters"))
            continue
        formula = FormulaExpr(general)
        lines.append(Derivation(quantity(key), formula, substitute(formula, row.values), result))
    return lines


# ------------------------------------------------------------------------------ costs


def work_refs(row: Row) -> dict[str, Expr]:
    """The row's results a cost formula refers to by name: ``activation_size`` and the output's
    sizes (``H_out``, ``W_out``...) of a layer with spatial axes."""
    refs: dict[str, Expr] = {"activation_size": row.activation_size}
    dims = row.layer.spatial_dims
    sizes = spatial(row) if dims else ()
    if dims and len(sizes) == dims:
        for a, size in zip(axis_symbols(dims), sizes, strict=True):
            refs[f"{a.size.name}_out"] = size
    return refs


def written_work(row: Row, written: Written) -> Expr:
    """A cost formula (:attr:`Textbook.macs`) evaluated at ``row``: its symbols take the row's
    values, its references the row's results. :meth:`Layer.work` counts with it, so a working
    line of the same tree cannot disagree with the count. Rows of one configuration on one input
    (every block of a stage) share the result."""
    assert written.formula is not None, "a cost is a formula"
    key = (written, tuple(row.values.items()), row.input_shape, row.output_shape)
    found = _WORK.get(key)
    if found is None:
        if len(_WORK) > _WORK_LIMIT:
            _WORK.clear()
        found = _WORK[key] = evaluate(
            resolve(substitute(written.formula, row.values), work_refs(row))
        )
    return found


#: evaluated cost formulas by (formula, values, shapes); cleared when it grows past the limit
_WORK: dict[Any, Expr] = {}
_WORK_LIMIT = 100_000


# ------------------------------------------------------------------------------ descriptions


def with_values(row: Row, expression: Expr, changes: Mapping[Any, int]) -> Expr:
    """``expression`` (a general formula of ``row``) at the row's values, some of them changed."""
    values = {**row.values, **{symbol: sympy.Integer(value) for symbol, value in changes.items()}}
    return expression.xreplace(values)


def at_default(value: Any, default: Any) -> bool:
    """Whether a coerced argument still has its declared (raw) default: ``(1, 1)`` for 1."""
    if default is dataclasses.MISSING:
        return False
    if isinstance(value, tuple) and not isinstance(default, list | tuple):
        return all(at_default(item, default) for item in value)
    if isinstance(default, bool) and isinstance(value, sympy.Basic):  # a bias flag
        return value == (1 if default else 0)
    return bool(value == default)


def argument_pieces(value: Any) -> list[Inline]:
    if isinstance(value, tuple) and all(isinstance(item, sympy.Basic | int) for item in value):
        return uniform(value)
    if isinstance(value, sympy.Basic):
        return [Math(value)]
    if isinstance(value, bool):
        return [Text("true" if value else "false")]
    if isinstance(value, tuple):
        return [Text(" × ".join("the input's" if item is None else str(item) for item in value))]
    return [Text(str(value))]
