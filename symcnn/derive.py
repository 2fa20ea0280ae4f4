"""Derivations as data: the textbook working of every number in a summary row.

A derivation is the general formula in the notation's symbols, the same formula with the layer's
values put in *in the same order*, and the engine's result::

    parameters = ((m·n·d) + bias)·k = ((5·5·3) + 1)·8 = 608
    H_out = ⌊(H + 2·z_h − n)/s_h⌋ + 1 = ⌊(32 + 2·0 − 5)/1⌋ + 1 = 28

The formulas are small trees of frozen dataclasses (:class:`Sym`, :class:`Sum`, :class:`Product`,
:class:`Floor`...) built from one template per layer kind, because SymPy reorders terms into its
canonical order and a textbook does not. The *result* is never taken from the tree: it is the
row's own number (``row.params``, ``row.output_shape``...), so a template that disagreed with the
engine would show a wrong working next to a right answer — and the tests evaluate every substituted
tree (:func:`evaluate`) against the engine to catch exactly that.

Rendering is elsewhere (:mod:`symcnn.render`): one ``functools.singledispatch`` function per format
over these types.

>>> import symcnn
>>> net = symcnn.load("examples/lenet5.yaml")
>>> working = derive(net["CONV1"])
>>> params = working.line("params")
>>> params.result
608
>>> evaluate(params.substituted)
608
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

import sympy

from .layers.base import Layer, Row
from .layers.conv import Conv, ConvTranspose
from .layers.dense import ACTIVATIONS, Dropout, Flatten, Identity, Linear, PReLU
from .layers.norm import GroupNorm, LayerNorm, _NormBase
from .layers.pool import AdaptivePool, _Pool
from .symbols import AXES, N, P, axis_symbols, bias, c, d, g, k, p

if TYPE_CHECKING:
    from .network import Network

__all__ = [
    "Ceil",
    "Const",
    "Derivation",
    "Fact",
    "Floor",
    "FormulaExpr",
    "Group",
    "LayerWorking",
    "Product",
    "Quantity",
    "Quotient",
    "Ref",
    "Solved",
    "Sum",
    "Sym",
    "Value",
    "Working",
    "derive",
    "derive_network",
    "evaluate",
    "quantity",
    "substitute",
]


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
}
for _axis in AXES:
    _name = {"t": "T", "h": "H", "w": "W"}[_axis]
    _QUANTITIES[f"{_name}_out"] = Quantity(
        f"{_name}_out", f"{_name}_out", rf"{_name}_{{\text{{out}}}}"
    )


def quantity(key: str) -> Quantity:
    """The quantity named ``key``: ``params``, ``buffers``, ``activation_size``, ``total_params``,
    ``T_out``, ``H_out`` or ``W_out``."""
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

    value: sympy.Expr


@dataclass(frozen=True)
class Ref:
    """Another derivation's quantity used by name (``H_out`` in ``H_out·W_out·k``)."""

    quantity: Quantity


@dataclass(frozen=True)
class FormulaExpr:
    """A formula known only as a SymPy expression (layers without a textbook template)."""

    expr: sympy.Expr


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


Node = Union[Sym, Const, Value, Ref, FormulaExpr, Sum, Product, Quotient, Group, Floor, Ceil]  # noqa: UP007


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


# -- evaluation and substitution (for checks and templates; renderers do not compute)


@functools.singledispatch
def evaluate(node: Node) -> sympy.Expr:
    """The value of a formula tree as a SymPy expression (used to check templates)."""
    raise TypeError(f"not a formula node: {node!r}")


@evaluate.register
def _(node: Sym) -> sympy.Expr:
    return node.symbol


@evaluate.register
def _(node: Const) -> sympy.Expr:
    return sympy.Integer(node.value)


@evaluate.register
def _(node: Value) -> sympy.Expr:
    return node.value


@evaluate.register
def _(node: FormulaExpr) -> sympy.Expr:
    return node.expr


@evaluate.register
def _(node: Ref) -> sympy.Expr:
    raise TypeError(f"{node.quantity.text} is a reference; evaluate the substituted formula")


@evaluate.register
def _(node: Sum) -> sympy.Expr:
    return sympy.Add(*(evaluate(term) * (1 if sign == "+" else -1) for sign, term in node.terms))


@evaluate.register
def _(node: Product) -> sympy.Expr:
    return sympy.Mul(*(evaluate(factor) for factor in node.factors))


@evaluate.register
def _(node: Quotient) -> sympy.Expr:
    return evaluate(node.numerator) / evaluate(node.denominator)


@evaluate.register
def _(node: Group) -> sympy.Expr:
    return evaluate(node.inner)


@evaluate.register
def _(node: Floor) -> sympy.Expr:
    return sympy.floor(evaluate(node.inner))


@evaluate.register
def _(node: Ceil) -> sympy.Expr:
    return sympy.ceiling(evaluate(node.inner))


@functools.singledispatch
def substitute(node: Node, values: Mapping[sympy.Basic, sympy.Expr]) -> Node:
    """The same tree with every symbol that has a value replaced by a :class:`Value`."""
    return node


@substitute.register
def _(node: Sym, values: Mapping[sympy.Basic, sympy.Expr]) -> Node:
    return Value(values[node.symbol]) if node.symbol in values else node


@substitute.register
def _(node: FormulaExpr, values: Mapping[sympy.Basic, sympy.Expr]) -> Node:
    return Value(node.expr.xreplace(dict(values)))


@substitute.register
def _(node: Sum, values: Mapping[sympy.Basic, sympy.Expr]) -> Node:
    return Sum(tuple((sign, substitute(term, values)) for sign, term in node.terms))


@substitute.register
def _(node: Product, values: Mapping[sympy.Basic, sympy.Expr]) -> Node:
    return Product(tuple(substitute(factor, values) for factor in node.factors))


@substitute.register
def _(node: Quotient, values: Mapping[sympy.Basic, sympy.Expr]) -> Node:
    return Quotient(substitute(node.numerator, values), substitute(node.denominator, values))


@substitute.register(Group)
@substitute.register(Floor)
@substitute.register(Ceil)
def _(node: Group | Floor | Ceil, values: Mapping[sympy.Basic, sympy.Expr]) -> Node:
    return type(node)(substitute(node.inner, values))


# ------------------------------------------------------------------------------ derivation lines


@dataclass(frozen=True)
class Derivation:
    """One line of working: ``quantity = formula = substituted = result``.

    ``formula`` is ``None`` when there is no general formula worth writing (the size of a flattened
    tensor is just the product of its input's sizes); ``substituted`` is ``None`` when there is
    nothing to substitute. ``result`` is the engine's value. ``note`` is a short remark in words.
    """

    quantity: Quantity
    formula: Node | None
    substituted: Node | None
    result: sympy.Expr
    note: str = ""

    def _repr_latex_(self) -> str:
        from .render.latex import latex_lines

        return latex_lines([self], display=True)

    def _repr_markdown_(self) -> str:
        from .render.markdown import markdown_line

        return markdown_line(self) + "\n"


@dataclass(frozen=True)
class Fact:
    """A value stated with its reason, not computed: ``parameters = 0 (nothing to learn)``."""

    quantity: Quantity
    result: sympy.Expr
    reason: str

    def _repr_latex_(self) -> str:
        from .render.latex import latex_lines

        return latex_lines([self], display=True)

    def _repr_markdown_(self) -> str:
        from .render.markdown import markdown_line

        return markdown_line(self) + "\n"


@dataclass(frozen=True)
class Solved:
    """An inverse step: ``expression = target``, so ``unknown = result`` (the solver's answer)."""

    unknown: sympy.Symbol
    expression: sympy.Expr
    target: sympy.Expr
    result: sympy.Expr

    def _repr_latex_(self) -> str:
        from .render.latex import latex_lines

        return latex_lines([self], display=True)

    def _repr_markdown_(self) -> str:
        from .render.markdown import markdown_line

        return markdown_line(self) + "\n"


Line = Union[Derivation, Fact, Solved]  # noqa: UP007


@dataclass(frozen=True)
class LayerWorking:
    """Every derivation of one row: output sizes, activation size, parameters, buffers."""

    row: Row
    lines: tuple[Line, ...]

    def line(self, key: str) -> Line:
        """The line computing quantity ``key`` (``params``, ``W_out``, ``activation_size``...)."""
        for line in self.lines:
            if getattr(line, "quantity", None) is not None and line.quantity.key == key:
                return line
        raise KeyError(key)

    def _repr_latex_(self) -> str:
        from .render.latex import latex_lines

        return latex_lines(self.lines, display=True)

    def _repr_markdown_(self) -> str:
        from .render.markdown import markdown_working

        return markdown_working(self)


@dataclass(frozen=True)
class Working:
    """A network's working: every layer's, then the total number of parameters."""

    network: Network
    layers: tuple[LayerWorking, ...]
    total: Derivation


# ------------------------------------------------------------------------------ templates


def derive(row: Row) -> LayerWorking:
    """The working of one summary row, in the textbook's order of terms."""
    return LayerWorking(row, tuple(_lines(row.layer, row)))


def derive_network(net: Network) -> Working:
    """The working of every row of ``net`` and of its total number of parameters.

    >>> import symcnn
    >>> working = derive_network(symcnn.load("examples/lenet5.yaml"))
    >>> [str(value.value) for _, value in working.total.substituted.terms]
    ['608', '3216', '48120', '10164', '850']
    >>> working.total.result
    62958
    """
    layers = tuple(derive(row) for row in net.rows)
    learnable = [row.params for row in net.rows if row.params != 0]
    substituted = plus(*(Value(value) for value in learnable)) if learnable else None
    total = Derivation(quantity("total_params"), None, substituted, net.params)
    return Working(net, layers, total)


def _is_one(value: sympy.Expr) -> bool:
    return value == 1


def _result_line(
    key: str,
    formula: Node,
    values: Mapping[sympy.Basic, sympy.Expr],
    result: sympy.Expr,
    note: str = "",
) -> Derivation:
    return Derivation(quantity(key), formula, substitute(formula, values), result, note)


def _nothing_to_learn(reason: str) -> Fact:
    return Fact(quantity("params"), sympy.Integer(0), reason)


def _channels_last(row: Row) -> bool:
    """Whether the row's shapes put channels last (HWC); rows do not carry the layout."""
    shape = row.formula.output_shape
    return shape is not None and shape[-1] in (k, d)


def _spatial(row: Row) -> tuple[sympy.Expr, ...]:
    return row.output_shape[:-1] if _channels_last(row) else row.output_shape[1:]


def _activation(row: Row, channel: sympy.Symbol | None) -> Derivation:
    """``H_out·W_out·k = 28·28·8``: the output axes by name, in the layout's order."""
    substituted: Node = Product(tuple(Value(size) for size in row.output_shape))
    if len(row.output_shape) == 1:
        substituted = Value(row.output_shape[0])
    formula: Node | None = None
    if channel is not None:
        dims = row.layer.spatial_dims
        names = [Ref(quantity(f"{a.size.name}_out")) for a in axis_symbols(dims)]
        ordered = [*names, Sym(channel)] if _channels_last(row) else [Sym(channel), *names]
        formula = ordered[0] if len(ordered) == 1 else Product(tuple(ordered))
    return Derivation(quantity("activation_size"), formula, substituted, row.activation_size)


def _shape_lines(row: Row, sizes: Iterable[tuple[str, Node]], note: str = "") -> list[Line]:
    results = _spatial(row)
    return [
        _result_line(key, formula, row.values, result, note)
        for (key, formula), result in zip(sizes, results, strict=True)
    ]


def _window(
    size: sympy.Symbol,
    kernel: sympy.Symbol,
    padding: sympy.Symbol,
    dilation: sympy.Symbol,
    dilated: bool,
) -> Sum:
    """W + 2·z − m, or W + 2·z − r·(m − 1) − 1 with a dilation other than 1."""
    if not dilated:
        return plus(size, times(2, padding), ("-", kernel))
    return plus(size, times(2, padding), ("-", times(dilation, plus(kernel, ("-", 1)))), ("-", 1))


@functools.singledispatch
def _lines(layer: Layer, row: Row) -> list[Line]:
    """Layers without a template: the engine's own formula, honestly labelled."""
    lines: list[Line] = [_activation(row, None)]
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


@_lines.register
def _(layer: Conv, row: Row) -> list[Line]:
    axes = axis_symbols(layer.spatial_dims)
    sizes = []
    for a in axes:
        dilated = not _is_one(row.values[a.dilation])
        inner = _window(a.size, a.kernel, a.padding, a.dilation, dilated)
        sizes.append((f"{a.size.name}_out", plus(Floor(Quotient(inner, Sym(a.stride))), 1)))
    kernel = [a.kernel for a in reversed(axes)]  # m (width), n (height), t: the textbook's order
    per_filter: Node = times(*kernel, d)
    if not _is_one(row.values[g]):
        per_filter = Quotient(per_filter, Sym(g))
    params = times(plus(Group(per_filter), bias), k)
    return [
        *_shape_lines(row, sizes),
        _activation(row, k),
        _result_line("params", params, row.values, row.params),
    ]


@_lines.register
def _(layer: ConvTranspose, row: Row) -> list[Line]:
    axes = axis_symbols(layer.spatial_dims)
    sizes = []
    for a in axes:
        stretched = times(plus(a.size, ("-", 1)), a.stride)
        if _is_one(row.values[a.dilation]):
            size = plus(stretched, ("-", times(2, a.padding)), a.kernel, a.output_padding)
        else:
            spread = times(a.dilation, plus(a.kernel, ("-", 1)))
            size = plus(stretched, ("-", times(2, a.padding)), spread, a.output_padding, 1)
        sizes.append((f"{a.size.name}_out", size))
    weights: Node = times(*(a.kernel for a in reversed(axes)), d, k)
    if not _is_one(row.values[g]):
        weights = Quotient(weights, Sym(g))
    params = plus(weights, times(bias, k))
    return [
        *_shape_lines(row, sizes),
        _activation(row, k),
        _result_line("params", params, row.values, row.params),
    ]


@_lines.register
def _(layer: _Pool, row: Row) -> list[Line]:
    lines: list[Line] = []
    results = _spatial(row)
    for a, result in zip(axis_symbols(layer.spatial_dims), results, strict=True):
        dilated = not _is_one(row.values[a.dilation])
        window = Quotient(_window(a.size, a.kernel, a.padding, a.dilation, dilated), Sym(a.stride))
        key = f"{a.size.name}_out"
        if not layer.ceil_mode:
            lines.append(_result_line(key, plus(Floor(window), 1), row.values, result))
            continue
        formula = plus(Ceil(window), 1)
        windows = evaluate(substitute(formula, row.values))
        if (windows - result) == 1:  # PyTorch drops a last window that starts in the padding
            formula = plus(Ceil(window), 1, ("-", 1))
            note = "the last window would start in the padding, so it is dropped"
            lines.append(_result_line(key, formula, row.values, result, note))
        else:
            lines.append(_result_line(key, formula, row.values, result))
    lines.append(_activation(row, d))
    lines.append(_nothing_to_learn("pooling has nothing to learn"))
    return lines


@_lines.register
def _(layer: AdaptivePool, row: Row) -> list[Line]:
    lines: list[Line] = []
    results = _spatial(row)
    for a, size, result in zip(
        axis_symbols(layer.spatial_dims), layer.output_size, results, strict=True
    ):
        reason = "kept from the input" if size is None else "set by output_size"
        lines.append(Fact(quantity(f"{a.size.name}_out"), result, reason))
    lines.append(_activation(row, d))
    lines.append(_nothing_to_learn("pooling has nothing to learn"))
    return lines


@_lines.register
def _(layer: Linear, row: Row) -> list[Line]:
    return [
        _activation(row, c if len(row.output_shape) == 1 else None),
        _result_line("params", times(plus(p, bias), c), row.values, row.params),
    ]


@_lines.register
def _(layer: Flatten, row: Row) -> list[Line]:
    return [
        Derivation(
            quantity("activation_size"),
            None,
            Product(tuple(Value(size) for size in row.input_shape)),
            row.activation_size,
        ),
        _nothing_to_learn("flattening only reshapes"),
    ]


def _shape_keeping(reason: str) -> Callable[[Layer, Row], list[Line]]:
    def lines(layer: Layer, row: Row) -> list[Line]:
        return [_activation(row, None), _nothing_to_learn(reason)]

    return lines


_lines.register(Identity, _shape_keeping("the identity passes its input through"))
_lines.register(Dropout, _shape_keeping("dropout has nothing to learn"))
for _activation_class in ACTIVATIONS.values():
    _lines.register(
        _activation_class, _shape_keeping("an activation function has nothing to learn")
    )


@_lines.register
def _(layer: PReLU, row: Row) -> list[Line]:
    return [_activation(row, None), _result_line("params", Sym(P), row.values, row.params)]


def _norm_params(affine: bool, row: Row, flag: str) -> Line:
    if not affine:
        return _nothing_to_learn(f"{flag} = false: no scale or shift")
    return _result_line(
        "params", times(2, d), row.values, row.params, "a scale and a shift per channel"
    )


@_lines.register
def _(layer: _NormBase, row: Row) -> list[Line]:
    lines = [_activation(row, None), _norm_params(layer.affine, row, "affine")]
    if layer.track_running_stats:
        lines.append(
            _result_line(
                "buffers",
                plus(times(2, d), 1),
                row.values,
                row.buffers,
                "running mean and variance per channel, and a batch counter",
            )
        )
    return lines


@_lines.register
def _(layer: GroupNorm, row: Row) -> list[Line]:
    return [_activation(row, None), _norm_params(layer.affine, row, "affine")]


@_lines.register
def _(layer: LayerNorm, row: Row) -> list[Line]:
    if not layer.elementwise_affine:
        params: Line = _nothing_to_learn("elementwise_affine = false: no scale or shift")
    else:
        params = _result_line(
            "params",
            times(plus(1, bias), N),
            row.values,
            row.params,
            "N: elements of normalized_shape",
        )
    return [_activation(row, None), params]
