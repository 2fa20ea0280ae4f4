"""Formulas as the textbook writes them: small trees, the working lines built from them.

A textbook writes ``((m·n·d) + bias)·k`` where SymPy keeps ``k*(bias + d*m*n)``, so a layer writes
each of its formulas once as a tree of frozen dataclasses (:class:`Sym`, :class:`Sum`,
:class:`Product`, :class:`Floor`...) in the textbook's order, and its SymPy expression is
:func:`evaluate` of that tree: a working can never disagree with a count. :func:`substitute` puts a
row's values in, in the same order::

    >>> from symcnn.symbols import bias, d, k, m, n
    >>> tree = times(plus(Group(times(m, n, d)), bias), k)
    >>> evaluate(tree)
    k*(bias + d*m*n)
    >>> five, three, eight, one = (sympy.Integer(v) for v in (5, 3, 8, 1))
    >>> evaluate(substitute(tree, {m: five, n: five, d: three, k: eight, bias: one}))
    608

A layer's trees together are its :class:`Textbook`; the lines of working (:class:`Derivation`,
:class:`Fact`, :class:`Solved`, :class:`EquationStep`) are data too. This module knows no layer
and no renderer: the layers (:mod:`symcnn.layers`) build textbooks, :mod:`symcnn.render`
typesets the lines.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeAlias, Union

import sympy

from .floors import round_of
from .symbols import AXES

__all__ = [
    "Ceil",
    "Const",
    "Derivation",
    "EquationStep",
    "Expr",
    "Fact",
    "Floor",
    "FormulaExpr",
    "Group",
    "Line",
    "Node",
    "Otherwise",
    "Product",
    "Quantity",
    "Quotient",
    "Ref",
    "Solved",
    "Sum",
    "Sym",
    "Textbook",
    "Value",
    "Written",
    "because",
    "evaluate",
    "plus",
    "quantity",
    "resolve",
    "substitute",
    "times",
]

Expr: TypeAlias = sympy.Expr


# ------------------------------------------------------------------------------ quantities


@dataclass(frozen=True)
class Quantity:
    """What a derivation line computes: ``key`` for code; ``text`` and ``latex`` name it."""

    key: str
    text: str
    latex: str


_QUANTITIES = {
    "params": Quantity("params", "parameters", r"\text{parameters}"),
    "buffers": Quantity("buffers", "buffers", r"\text{buffers}"),
    "activation_size": Quantity("activation_size", "activation size", r"\text{activation size}"),
    "total_params": Quantity("total_params", "total parameters", r"\text{total parameters}"),
    "macs": Quantity("macs", "MACs", r"\text{MACs}"),
    "total_macs": Quantity("total_macs", "total MACs", r"\text{total MACs}"),
    "total_flops": Quantity("total_flops", "total FLOPs", r"\text{total FLOPs}"),
    "param_bytes": Quantity("param_bytes", "parameter bytes", r"\text{parameter bytes}"),
}
for _axis in AXES:
    _name = {"t": "T", "h": "H", "w": "W"}[_axis]
    _QUANTITIES[f"{_name}_out"] = Quantity(
        f"{_name}_out", f"{_name}_out", rf"{_name}_{{\text{{out}}}}"
    )


def quantity(key: str) -> Quantity:
    """The quantity named ``key``: ``params``, ``buffers``, ``activation_size``, ``total_params``,
    ``T_out``, ``H_out``, ``W_out``, or a cost: ``macs``, ``total_macs``, ``total_flops``."""
    return _QUANTITIES[key]


# ------------------------------------------------------------------------------ formula trees


@dataclass(frozen=True)
class Sym:
    """A notation symbol (``m``, ``d``, ``s_w``...)."""

    symbol: sympy.Symbol


@dataclass(frozen=True)
class Const:
    """A constant of the formula itself (the 2 of ``2·z``, the 1 of ``+ 1``)."""

    value: int


@dataclass(frozen=True)
class Value:
    """A value put in for a symbol: a number, or an expression when the spec is symbolic."""

    value: Expr


@dataclass(frozen=True)
class Ref:
    """Another derivation's quantity used by name (``H_out`` in ``H_out·W_out·k``)."""

    quantity: Quantity


@dataclass(frozen=True)
class FormulaExpr:
    """A formula known only as a SymPy expression (layers without a textbook template)."""

    expr: Expr


@dataclass(frozen=True)
class Sum:
    """Terms in the order written; each term has its sign, ``"+"`` or ``"-"``."""

    terms: tuple[tuple[str, Node], ...]


@dataclass(frozen=True)
class Product:
    """Factors in the order written."""

    factors: tuple[Node, ...]


@dataclass(frozen=True)
class Quotient:
    numerator: Node
    denominator: Node


@dataclass(frozen=True)
class Group:
    """Parentheses the textbook writes although precedence does not need them: ``(m·n·d)``."""

    inner: Node


@dataclass(frozen=True)
class Floor:
    inner: Node


@dataclass(frozen=True)
class Ceil:
    inner: Node


@dataclass(frozen=True)
class Otherwise:
    """``value`` when ``left ≥ right``, else ``otherwise``: pooling's ceil mode, which drops a last
    window that would start in the padding. Only a general formula holds one; a row's working
    shows the branch its values take."""

    value: Node
    left: Node
    right: Node
    otherwise: Node


Node = Union[  # noqa: UP007
    Sym, Const, Value, Ref, FormulaExpr, Sum, Product, Quotient, Group, Floor, Ceil, Otherwise
]


def _node(item: Node | sympy.Symbol | int) -> Node:
    if isinstance(item, sympy.Symbol):
        return Sym(item)
    if isinstance(item, int):
        return Const(item)
    return item


def plus(*items: Node | sympy.Symbol | int | tuple[str, Node | sympy.Symbol | int]) -> Sum:
    """A sum in the order given; ``("-", x)`` subtracts ``x``."""
    terms = []
    for item in items:
        sign, term = item if isinstance(item, tuple) else ("+", item)
        terms.append((sign, _node(term)))
    return Sum(tuple(terms))


def times(*items: Node | sympy.Symbol | int) -> Product:
    return Product(tuple(_node(item) for item in items))


# -- evaluation and substitution (for formulas and checks; renderers do not compute)


@functools.singledispatch
def evaluate(node: Node) -> Expr:
    """The value of a formula tree as a SymPy expression."""
    raise TypeError(f"not a formula node: {node!r}")


@evaluate.register
def _(node: Sym) -> Expr:
    return node.symbol


@evaluate.register
def _(node: Const) -> Expr:
    return sympy.Integer(node.value)


@evaluate.register
def _(node: Value) -> Expr:
    return node.value


@evaluate.register
def _(node: FormulaExpr) -> Expr:
    return node.expr


@evaluate.register
def _(node: Ref) -> Expr:
    raise TypeError(f"{node.quantity.text} is a reference; evaluate the substituted formula")


@evaluate.register
def _(node: Sum) -> Expr:
    return sympy.Add(*(evaluate(term) * (1 if sign == "+" else -1) for sign, term in node.terms))


@evaluate.register
def _(node: Product) -> Expr:
    return sympy.Mul(*(evaluate(factor) for factor in node.factors))


@evaluate.register
def _(node: Quotient) -> Expr:
    return evaluate(node.numerator) / evaluate(node.denominator)


@evaluate.register
def _(node: Group) -> Expr:
    return evaluate(node.inner)


@evaluate.register
def _(node: Floor) -> Expr:
    return round_of(sympy.floor, evaluate(node.inner))


@evaluate.register
def _(node: Ceil) -> Expr:
    return round_of(sympy.ceiling, evaluate(node.inner))


@evaluate.register
def _(node: Otherwise) -> Expr:
    condition = sympy.Ge(evaluate(node.left), evaluate(node.right))
    return sympy.Piecewise((evaluate(node.value), condition), (evaluate(node.otherwise), True))


@functools.singledispatch
def substitute(node: Node, values: Mapping[sympy.Basic, Expr]) -> Node:
    """The same tree with every symbol that has a value replaced by a :class:`Value`."""
    return node


@substitute.register
def _(node: Sym, values: Mapping[sympy.Basic, Expr]) -> Node:
    return Value(values[node.symbol]) if node.symbol in values else node


@substitute.register
def _(node: FormulaExpr, values: Mapping[sympy.Basic, Expr]) -> Node:
    return Value(node.expr.xreplace(dict(values)))


@substitute.register
def _(node: Sum, values: Mapping[sympy.Basic, Expr]) -> Node:
    return Sum(tuple((sign, substitute(term, values)) for sign, term in node.terms))


@substitute.register
def _(node: Product, values: Mapping[sympy.Basic, Expr]) -> Node:
    return Product(tuple(substitute(factor, values) for factor in node.factors))


@substitute.register
def _(node: Quotient, values: Mapping[sympy.Basic, Expr]) -> Node:
    return Quotient(substitute(node.numerator, values), substitute(node.denominator, values))


@substitute.register(Group)
@substitute.register(Floor)
@substitute.register(Ceil)
def _(node: Group | Floor | Ceil, values: Mapping[sympy.Basic, Expr]) -> Node:
    return type(node)(substitute(node.inner, values))


@substitute.register
def _(node: Otherwise, values: Mapping[sympy.Basic, Expr]) -> Node:
    parts = (node.value, node.left, node.right, node.otherwise)
    return Otherwise(*(substitute(part, values) for part in parts))


@functools.singledispatch
def resolve(node: Node, refs: Mapping[str, Expr]) -> Node:
    """The same tree with every :class:`Ref` whose quantity ``refs`` gives (by key: ``H_out``,
    ``activation_size``...) replaced by a :class:`Value`: the row's own number, so that a formula
    written over other derivations' results (``H_out·W_out·k·m·n·d``) can be evaluated."""
    return node


@resolve.register
def _(node: Ref, refs: Mapping[str, Expr]) -> Node:
    key = node.quantity.key
    return Value(refs[key]) if key in refs else node


@resolve.register
def _(node: Sum, refs: Mapping[str, Expr]) -> Node:
    return Sum(tuple((sign, resolve(term, refs)) for sign, term in node.terms))


@resolve.register
def _(node: Product, refs: Mapping[str, Expr]) -> Node:
    return Product(tuple(resolve(factor, refs) for factor in node.factors))


@resolve.register
def _(node: Quotient, refs: Mapping[str, Expr]) -> Node:
    return Quotient(resolve(node.numerator, refs), resolve(node.denominator, refs))


@resolve.register(Group)
@resolve.register(Floor)
@resolve.register(Ceil)
def _(node: Group | Floor | Ceil, refs: Mapping[str, Expr]) -> Node:
    return type(node)(resolve(node.inner, refs))


@resolve.register
def _(node: Otherwise, refs: Mapping[str, Expr]) -> Node:
    parts = (node.value, node.left, node.right, node.otherwise)
    return Otherwise(*(resolve(part, refs) for part in parts))


# ------------------------------------------------------------------------------ textbooks


@dataclass(frozen=True)
class Written:
    """One quantity as the textbook writes it: ``formula`` with an optional ``note``, or no
    formula and, in ``note``, why the value is what it is (``pooling has nothing to learn``)."""

    formula: Node | None
    note: str = ""


def because(reason: str) -> Written:
    """A quantity stated with its reason rather than computed (its value is the row's, often 0)."""
    return Written(None, reason)


@dataclass(frozen=True)
class Textbook:
    """A layer's formulas as the textbook writes them.

    ``sizes`` has one entry per spatial axis (depth, height, width order) for layers that compute
    their output's spatial sizes; ``channels`` is the symbol of the output's channels (``k``,
    ``d``, ``c``) when the output is those axes and channels. ``buffers`` is ``None`` for a layer
    without buffers. ``macs`` is the multiply-accumulates of one application (``None``: the layer
    does no matrix-like work), written over the notation's symbols and the results of the row's
    other lines (``H_out·W_out·k·m·n·d``: :class:`Ref` nodes, which :func:`resolve` fills in); the
    layer's :meth:`~symcnn.layers.Layer.work` is that tree evaluated.
    """

    params: Written
    buffers: Written | None = None
    sizes: tuple[Written, ...] = ()
    channels: sympy.Symbol | None = None
    macs: Written | None = None


# ------------------------------------------------------------------------------ working lines


#: how lines display themselves in Jupyter, by MIME kind (``latex``, ``markdown``): filled in by
#: :mod:`symcnn.render`, so that this module imports no renderer
DISPLAY: dict[str, Callable[[Line], str]] = {}


class _Displayed:
    """Jupyter display through :data:`DISPLAY`; ``None`` (no display) until it is filled in."""

    def _repr_latex_(self) -> str | None:
        show = DISPLAY.get("latex")
        return None if show is None else show(self)  # type: ignore[arg-type]

    def _repr_markdown_(self) -> str | None:
        show = DISPLAY.get("markdown")
        return None if show is None else show(self)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Derivation(_Displayed):
    """One line of working: ``quantity = formula = substituted = result``.

    ``formula`` is ``None`` when there is no general formula worth writing (the size of a flattened
    tensor is just the product of its input's sizes); ``substituted`` is ``None`` when there is
    nothing to substitute. ``result`` is the engine's value. ``note`` is a short remark in words.
    """

    quantity: Quantity
    formula: Node | None
    substituted: Node | None
    result: Expr
    note: str = ""


@dataclass(frozen=True)
class Fact(_Displayed):
    """A value stated with its reason, not computed: ``parameters = 0 (nothing to learn)``."""

    quantity: Quantity
    result: Expr
    reason: str


@dataclass(frozen=True)
class Solved(_Displayed):
    """An inverse step: ``expression = target``, so ``unknown = result`` (the solver's answer)."""

    unknown: sympy.Symbol
    expression: Expr
    target: Expr
    result: Expr


@dataclass(frozen=True)
class EquationStep(_Displayed):
    """A step of a solved equation's working: ``left = right``, then ``= result`` when the right
    side is computed (``result`` is ``None`` when it is not); ``note`` says what the step did
    ("686 moved to the right", "divided by 651")."""

    left: Node
    right: Node
    result: Expr | None = None
    note: str = ""


Line = Union[Derivation, Fact, Solved, EquationStep]  # noqa: UP007


def written_line(
    key: str,
    written: Written,
    values: Mapping[sympy.Basic, Expr],
    result: Expr,
    refs: Mapping[str, Expr] | None = None,
) -> Derivation | Fact:
    """The line of quantity ``key``: the written formula with ``values`` put in (and the results
    ``refs`` names for its references), or the fact."""
    if written.formula is None:
        return Fact(quantity(key), result, written.note)
    substituted = substitute(written.formula, values)
    if refs:
        substituted = resolve(substituted, refs)
    return Derivation(quantity(key), written.formula, substituted, result, written.note)
