"""Derivations as data: the textbook working of every number in a summary row.

A derivation is the general formula in the notation's symbols, the same formula with the layer's
values put in *in the same order*, and the engine's result::

    parameters = ((m·n·d) + bias)·k = ((5·5·3) + 1)·8 = 608
    H_out = ⌊(H + 2·z_h − n)/s_h⌋ + 1 = ⌊(32 + 2·0 − 5)/1⌋ + 1 = 28

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
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .formula import (
    Ceil,
    Const,
    Derivation,
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
)

if TYPE_CHECKING:
    from .graph import Group as BlockUse
    from .layers import Row
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
    """A network's working: every layer's, then the total number of parameters."""

    network: Network
    layers: tuple[LayerWorking, ...]
    total: Derivation


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


def derive(row: Row) -> LayerWorking:
    """The working of one summary row, in the textbook's order of terms.

    A row that shares another's weights (``shares: conv3``) has its output sizes worked out as
    any row's, and its parameters and buffers stated: they are counted once, at the original.

    >>> import symcnn
    >>> net = symcnn.load("examples/shared_weights_exam.yaml")
    >>> params = derive(net["conv5"]).line("params")
    >>> params.result, params.reason
    (0, 'applies the weights of conv3 again: counted once, at conv3')
    """
    lines = list(row.layer.working(row))
    if row.shares is not None:
        lines = _shared_lines(row, lines)
    return LayerWorking(row, tuple(lines))


def _total_terms(net: Network, start: int, stop: int, repeats: list[BlockUse]) -> list[Node]:
    """The terms of rows ``start:stop``: each row's parameters, and for a block of a symbolic
    repeat inside the range, ``L·(its rows' terms)``. ``repeats`` are the blocks inside."""
    terms: list[Node] = []
    index = start
    while index < stop:
        # the outermost repeated block starting here (the first of those sorted by depth)
        use = next((use for use in repeats if use.start == index), None)
        if use is None:
            if net.rows[index].params != 0:
                terms.append(Value(net.rows[index].params))
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
        counts = _total_terms(net, use.start, use.stop, inner)
        if counts:
            repeated = (
                counts[0] if len(counts) == 1 else Group(Sum(tuple(("+", t) for t in counts)))
            )
            terms.append(Product((Value(use.repeat), repeated)))
        index = max(use.stop, index + 1)
    return terms


def derive_network(net: Network) -> Working:
    """The working of every row of ``net`` and of its total number of parameters.

    The total adds every row's parameters; the rows of a block applied a symbolic number of times
    (``repeat: L``) are written once and multiplied, ``L·(36,864 + 128 + …)``.

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
    layers = tuple(derive(row) for row in net.rows)
    repeats = sorted(
        (use for use in net.groups if use.repeat is not None and use.stop > use.start),
        key=lambda use: (use.start, use.depth),
    )
    terms = _total_terms(net, 0, len(net.rows), repeats)
    substituted: Node | None = None
    if len(terms) == 1:
        substituted = terms[0]
    elif terms:
        substituted = Sum(tuple(("+", term) for term in terms))
    total = Derivation(quantity("total_params"), None, substituted, net.params)
    return Working(net, layers, total)


#: how a layer's working displays itself in Jupyter, by MIME kind: filled in by
#: :mod:`symcnn.render` (which sits above this module), like :data:`symcnn.formula.DISPLAY`
DISPLAY: dict[str, Callable[[LayerWorking], str]] = {}
