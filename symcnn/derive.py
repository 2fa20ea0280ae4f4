"""Derivations as data: the textbook working of every number in a summary row.

A derivation is the general formula in the notation's symbols, the same formula with the layer's
values put in *in the same order*, and the engine's result::

    parameters = ((m·n·d) + bias)·k = ((5·5·3) + 1)·8 = 608
    H_out = ⌊(H + 2·z_h − n)/s_h⌋ + 1 = ⌊(32 + 2·0 − 5)/1⌋ + 1 = 28

Asked for (``costs=True``), the working adds the multiply-accumulates of the layers that do
matrix-like work, from the same kind of tree, written once in the layer's module::

    MACs = H_out·W_out·k·m·n·d = 28·28·32·5·5·192 = 120,422,400

Each layer writes its formulas once, as the textbook-ordered trees of :mod:`symcnn.formula`, and
answers for its own working (:meth:`symcnn.layers.Layer.working`); its SymPy formula is those trees
evaluated. The *result* of a line is the row's own number (``row.params``, ``row.output_shape``...)
— and the tests evaluate every substituted tree (:func:`evaluate`) against it.

Rendering is elsewhere (:mod:`symcnn.render`): one ``functools.singledispatch`` function per format
over these types. This module is the facade users call, so Jupyter display is wired here.

>>> import symcnn
>>> net = symcnn.load("examples/lenet5.yaml")
>>> working = derive(net["CONV1"])
>>> params = working.line("params")
>>> params.result
608
>>> evaluate(params.substituted)
608
>>> macs = derive(net["CONV1"], costs=True).line("macs")
>>> macs.result, evaluate(macs.substituted)
(470400, 470400)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sympy

from .formula import (
    Ceil,
    Const,
    Derivation,
    EquationStep,
    Expr,
    Fact,
    Floor,
    FormulaExpr,
    Group,
    Line,
    Node,
    Otherwise,
    Product,
    Quantity,
    Quotient,
    Ref,
    Solved,
    Sum,
    Sym,
    Value,
    evaluate,
    plus,
    quantity,
    substitute,
    times,
    written_line,
)

if TYPE_CHECKING:
    from .graph import Group as BlockUse
    from .layers import Row
    from .network import Network

__all__ = [
    "Ceil",
    "Const",
    "Derivation",
    "EquationStep",
    "Fact",
    "Floor",
    "FormulaExpr",
    "Group",
    "LayerWorking",
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
    "Value",
    "Working",
    "derive",
    "derive_network",
    "evaluate",
    "plus",
    "quantity",
    "shared_reason",
    "substitute",
    "times",
]


@dataclass(frozen=True)
class LayerWorking:
    """Every derivation of one row: output sizes, activation size, parameters, buffers."""

    row: Row
    lines: tuple[Line, ...]

    def line(self, key: str) -> Line:
        """The line computing quantity ``key`` (``params``, ``W_out``, ``activation_size``...)."""
        for line in self.lines:
            if isinstance(line, Derivation | Fact) and line.quantity.key == key:
                return line
        raise KeyError(key)

    def _repr_latex_(self) -> str | None:
        show = DISPLAY.get("latex")
        return None if show is None else show(self)

    def _repr_markdown_(self) -> str | None:
        show = DISPLAY.get("markdown")
        return None if show is None else show(self)


@dataclass(frozen=True)
class Working:
    """A network's working: every layer's, then the total number of parameters; asked for, the
    totals of the costs too (``total MACs``, ``total FLOPs``)."""

    network: Network
    layers: tuple[LayerWorking, ...]
    total: Derivation
    costs: tuple[Derivation, ...] = ()


def shared_reason(original: str, what: str = "weights") -> str:
    """Why a row (or block) that applies ``original``'s weights again counts none of its own."""
    return f"applies the {what} of {original} again: counted once, at {original}"


#: the counts a row that shares another's weights does not own, and what it says it reuses
_SHARED = {"params": "weights", "buffers": "buffers"}


def _shared_lines(row: Row, lines: list[Line]) -> list[Line]:
    """A shared row's lines: its output sizes worked out as any row's, its counts stated (its own
    numbers, zero) with whose weights it applies, instead of weights it does not own."""
    assert row.shares is not None
    counts = {"params": row.params, "buffers": row.buffers}
    out: list[Line] = []
    for line in lines:
        if isinstance(line, Derivation | Fact) and (key := line.quantity.key) in _SHARED:
            line = Fact(line.quantity, counts[key], shared_reason(row.shares, _SHARED[key]))
        out.append(line)
    return out


#: why a row that the network's output does not read costs nothing
DEAD = "the output does not depend on this layer: not computed, not counted"


def derive(row: Row, costs: bool = False) -> LayerWorking:
    """The working of one summary row, in the textbook's order of terms.

    A row that shares another's weights (``shares: conv3``) has its output sizes worked out as
    any row's, and its parameters and buffers stated: they are counted once, at the original.
    ``costs`` adds the line of its multiply-accumulates (``macs``: one application, one example)
    for a layer that does matrix-like work; a shared row does that work again, so it has one.

    >>> import symcnn
    >>> net = symcnn.load("examples/shared_weights_exam.yaml")
    >>> params = derive(net["conv5"]).line("params")
    >>> params.result, params.reason
    (0, 'applies the weights of conv3 again: counted once, at conv3')
    """
    lines = list(row.layer.working(row))
    if row.shares is not None:
        lines = _shared_lines(row, lines)
    if costs:
        lines += _cost_lines(row, lines)
    return LayerWorking(row, tuple(lines))


def _cost_lines(row: Row, lines: list[Line]) -> list[Line]:
    """``MACs = H_out·W_out·k·m·n·d = …``: the layer's cost tree (``Textbook.macs``) in the form
    its textbook shows for the row's values, its references (``H_out``, ``activation size``) the
    results of the row's own lines above; none for a layer without matrix-like work. The result
    is the layer's count, ``Layer.work``, which evaluates the same tree."""
    book = row.layer.textbook(row.values)
    if book is None or book.macs is None:
        return []
    refs = {line.quantity.key: line.result for line in lines if isinstance(line, Derivation)}
    result = row.layer.work(row)["macs"]
    return [written_line("macs", book.macs, row.values, result, refs)]


def _cost_layer(working: LayerWorking, macs: Expr) -> LayerWorking:
    """A layer's working with its MACs line as the network counts them: a row the output does not
    read costs nothing, and says so."""
    if macs != 0:
        return working
    lines = tuple(
        Fact(line.quantity, macs, DEAD)
        if isinstance(line, Derivation) and line.quantity.key == "macs" and line.result != 0
        else line
        for line in working.lines
    )
    return LayerWorking(working.row, lines)


def _total_terms(
    net: Network,
    start: int,
    stop: int,
    repeats: list[BlockUse],
    count: Callable[[Row], Expr] | None = None,
) -> list[Node]:
    """The terms of rows ``start:stop``: each row's parameters (or its ``count``), and for a block
    of a symbolic repeat inside the range, ``L·(its rows' terms)``. ``repeats`` are the blocks
    inside."""
    count = count or (lambda row: row.params)
    terms: list[Node] = []
    index = start
    while index < stop:
        # the outermost repeated block starting here (the first of those sorted by depth)
        use = next((use for use in repeats if use.start == index), None)
        if use is None:
            value = count(net.rows[index])
            if value != 0:
                terms.append(Value(value))
            index += 1
            continue
        inner = [
            other
            for other in repeats
            if other is not use
            and use.start <= other.start
            and other.stop <= use.stop
            and other.depth > use.depth
        ]
        counts = _total_terms(net, use.start, use.stop, inner, count)
        if counts:
            repeated = (
                counts[0] if len(counts) == 1 else Group(Sum(tuple(("+", t) for t in counts)))
            )
            terms.append(Product((Value(use.repeat), repeated)))
        index = max(use.stop, index + 1)
    return terms


def _sum(terms: list[Node]) -> Node | None:
    if len(terms) == 1:
        return terms[0]
    if terms:
        return Sum(tuple(("+", term) for term in terms))
    return None


def _cost_totals(net: Network, repeats: list[BlockUse]) -> tuple[Derivation, ...]:
    """``total MACs = 470,400 + 320,000 + …`` under the default counter, and the FLOPs: twice
    the MACs when the counter counts 2 per multiply-accumulate, as PyTorch's does."""
    per_row = net.row_costs()
    terms = _total_terms(net, 0, len(net.rows), repeats, lambda row: per_row[row.name][0])
    macs = Derivation(quantity("total_macs"), None, _sum(terms), net.macs)
    twice = sympy.expand(net.flops - 2 * net.macs) == 0
    flops_formula: Node | None = Product((Const(2), Ref(quantity("total_macs")))) if twice else None
    flops_values: Node | None = Product((Const(2), Value(net.macs))) if twice else None
    flops = Derivation(quantity("total_flops"), flops_formula, flops_values, net.flops)
    return macs, flops


def derive_network(net: Network, costs: bool = False) -> Working:
    """The working of every row of ``net`` and of its total number of parameters.

    The total adds every row's parameters; the rows of a block applied a symbolic number of times
    (``repeat: L``) are written once and multiplied, ``L·(36,864 + 128 + …)``. ``costs`` adds
    each layer's MACs line and the totals of the MACs and FLOPs (the default counter's, every
    application counted, only what the output depends on).

    >>> import symcnn
    >>> working = derive_network(symcnn.load("examples/lenet5.yaml"))
    >>> [str(value.value) for _, value in working.total.substituted.terms]
    ['608', '3216', '48120', '10164', '850']
    >>> working.total.result
    62958
    >>> stage = derive_network(symcnn.load("examples/resnet_stage.yaml")).total
    >>> evaluate(stage.substituted), stage.result
    (73984*L, 73984*L)
    """
    layers = tuple(derive(row, costs) for row in net.rows)
    repeats = sorted(
        (use for use in net.groups if use.repeat is not None and use.stop > use.start),
        key=lambda use: (use.start, use.depth),
    )
    terms = _total_terms(net, 0, len(net.rows), repeats)
    total = Derivation(quantity("total_params"), None, _sum(terms), net.params)
    if not costs:
        return Working(net, layers, total)
    per_row = net.row_costs()
    layers = tuple(_cost_layer(layer, per_row[layer.row.name][0]) for layer in layers)
    return Working(net, layers, total, _cost_totals(net, repeats))


#: how a layer's working displays itself in Jupyter, by MIME kind: filled in by
#: :mod:`symcnn.render` (which sits above this module), like :data:`symcnn.formula.DISPLAY`
DISPLAY: dict[str, Callable[[LayerWorking], str]] = {}
