"""Documents as data: answer keys and exam sheets as a list of blocks, rendered by each format.

A :class:`Document` is headings, paragraphs, tables and derivation lines. It holds exact values and
the user's raw text; each format (:mod:`~symcnn.render.latex`, :mod:`~symcnn.render.markdown`,
:mod:`~symcnn.render.plain`) escapes text and formats numbers its own way, and none of them
computes a count. Building a document computes nothing either: the numbers come from the network
and the derivations (:mod:`symcnn.derive`).

>>> import symcnn
>>> key = answer_key(symcnn.load("examples/lenet5.yaml"))
>>> key.title
'Answer key: LeNet-5'
>>> [type(block).__name__ for block in key.blocks][:3]
['Paragraph', 'NetworkTable', 'Heading']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Union

from ..derive import (
    Ceil,
    Derivation,
    Floor,
    Group,
    LayerWorking,
    Line,
    Node,
    Product,
    Quotient,
    Sum,
    Sym,
    derive_network,
)
from ..network import Network
from ..prose import Inline, Math, Shape, Text
from ..symbols import NOTATION

__all__ = [
    "Document",
    "Heading",
    "Inline",
    "Items",
    "Lines",
    "Math",
    "NetworkTable",
    "PageBreak",
    "Paragraph",
    "Shape",
    "Style",
    "Table",
    "Text",
    "answer_key",
    "symbols_used",
]


@dataclass(frozen=True)
class Style:
    """How numbers and formulas look: ``multiply`` is ``"cdot"`` (·) or ``"times"`` (×);
    ``grouping`` puts thousands separators in integers (``62{,}958``, ``62,958``)."""

    multiply: str = "cdot"
    grouping: bool = True

    def __post_init__(self) -> None:
        if self.multiply not in ("cdot", "times"):
            raise ValueError(f"multiply must be 'cdot' or 'times', not {self.multiply!r}")


# ------------------------------------------------------------------------------ inline pieces

# Text, Math and Shape (the Inline pieces) live in symcnn.prose, below the layers that describe
# themselves with them; they are imported above and exported from here too.


def _inlines(content: str | Inline | Sequence[Inline]) -> tuple[Inline, ...]:
    if isinstance(content, str):
        return (Text(content),)
    if isinstance(content, Text | Math | Shape):
        return (content,)
    return tuple(content)


# ------------------------------------------------------------------------------ blocks


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    content: tuple[Inline, ...]

    @classmethod
    def of(cls, *pieces: str | Inline) -> Paragraph:
        return cls(tuple(piece for item in pieces for piece in _inlines(item)))


@dataclass(frozen=True)
class Items:
    """A bulleted (or numbered) list; each item is a run of inline pieces."""

    items: tuple[tuple[Inline, ...], ...]
    numbered: bool = False


@dataclass(frozen=True)
class Table:
    """A table of inline pieces; ``align`` has one letter per column (``l`` or ``r``)."""

    header: tuple[str, ...]
    rows: tuple[tuple[tuple[Inline, ...], ...], ...]
    align: str


@dataclass(frozen=True)
class NetworkTable:
    """The seeds' table: Layer, Activation shape, Activation size, # parameters, with the total."""

    network: Network


@dataclass(frozen=True)
class Lines:
    """Derivation lines typeset together (an ``align*`` in LaTeX)."""

    lines: tuple[Line, ...]


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Union[Heading, Paragraph, Items, Table, NetworkTable, Lines, PageBreak]  # noqa: UP007


@dataclass(frozen=True)
class Document:
    title: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)


# ------------------------------------------------------------------------------ builders


def _symbols_in(node: Node | None, found: dict[str, None]) -> None:
    if isinstance(node, Sym):
        found.setdefault(node.symbol.name)
    elif isinstance(node, Sum):
        for _, term in node.terms:
            _symbols_in(term, found)
    elif isinstance(node, Product):
        for factor in node.factors:
            _symbols_in(factor, found)
    elif isinstance(node, Quotient):
        _symbols_in(node.numerator, found)
        _symbols_in(node.denominator, found)
    elif isinstance(node, Group | Floor | Ceil):
        _symbols_in(node.inner, found)


def symbols_used(lines: Iterable[Line]) -> list[str]:
    """Names of the notation symbols the lines' formulas use, in the notation's order."""
    found: dict[str, None] = {}
    for line in lines:
        if isinstance(line, Derivation):
            _symbols_in(line.formula, found)
    return [name for name in NOTATION if name in found]  # the notation's own order


def notation_table(names: Iterable[str]) -> Table:
    rows = tuple(
        ((Math(NOTATION[name].symbol),), (Text(NOTATION[name].meaning),)) for name in names
    )
    return Table(("Symbol", "Meaning"), rows, "ll")


def layer_blocks(working: LayerWorking) -> list[Block]:
    """A layer's heading, its input and output shapes, and its derivation lines."""
    row = working.row
    return [
        Heading(f"{row.name} ({row.type})", 3),
        Paragraph.of("Input ", Shape(row.input_shape), ", output ", Shape(row.output_shape), "."),
        Lines(working.lines),
    ]


def network_description(net: Network) -> Paragraph:
    layout = "height, width, channels" if net.layout == "HWC" else "channels, height, width"
    return Paragraph.of(
        "Input ", Shape(net.input_shape), f", layout {net.layout} ({layout}), one example."
    )


def conditions_blocks(net: Network) -> list[Block]:
    if not net.conditions:
        return []
    items = tuple(
        (Text(f"{check.where.name}: "), Math(check.condition)) for check in net.conditions
    )
    return [Paragraph.of("The network is valid when:"), Items(items)]


def answer_key(net: Network, title: str | None = None) -> Document:
    """The complete answer key of ``net``: the table, every layer's working, then the total."""
    working = derive_network(net)
    every_line = [line for layer in working.layers for line in layer.lines]
    blocks: list[Block] = [network_description(net), NetworkTable(net), *conditions_blocks(net)]
    names = symbols_used(every_line)
    if names:
        blocks += [Heading("Notation", 2), notation_table(names)]
    blocks.append(Heading("Working", 2))
    for layer in working.layers:
        blocks += layer_blocks(layer)
    blocks += [Heading("Total", 3), Lines((working.total,))]
    return Document(title or f"Answer key: {net.name or 'network'}", tuple(blocks))
