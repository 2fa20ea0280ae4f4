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

from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import formula
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


def derive(row: Row) -> LayerWorking:
    """The working of one summary row, in the textbook's order of terms."""
    return LayerWorking(row, tuple(row.layer.working(row)))


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


# -- Jupyter display of single lines: the line types live below the renderers (symcnn.formula),
# so they display through hooks this facade fills in, the renderers imported only when used


def _latex_display(line: Line) -> str:
    from .render.latex import latex_lines

    return latex_lines([line], display=True)


def _markdown_display(line: Line) -> str:
    from .render.markdown import markdown_line

    return markdown_line(line) + "\n"


formula.DISPLAY.update(latex=_latex_display, markdown=_markdown_display)
