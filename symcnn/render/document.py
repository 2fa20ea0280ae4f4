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

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Union

import sympy

from ..costs import DEFAULT as DEFAULT_COUNTER
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
    Working,
    derive_network,
    shared_reason,
)
from ..graph import Group as BlockUse
from ..layers import Row
from ..network import Network
from ..prose import Inline, Math, Shape, Text
from ..symbols import NOTATION
from .table import SummaryTable, summary_table

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
    """The seeds' table: Layer, Activation shape, Activation size, # parameters, with the total;
    a graph network's block headings, subtotals and notes too (:mod:`~symcnn.render.table`)."""

    table: SummaryTable

    @classmethod
    def of(cls, net: Network, depth: int | None = None, counter: str | None = None) -> NetworkTable:
        """The table of ``net``; ``counter`` adds its MACs and FLOPs columns."""
        return cls(summary_table(net, depth, counter))


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
    found = _formula_symbols(lines)
    return [name for name in NOTATION if name in found]  # the notation's own order


def _formula_symbols(lines: Iterable[Line]) -> dict[str, None]:
    found: dict[str, None] = {}
    for line in lines:
        if isinstance(line, Derivation):
            _symbols_in(line.formula, found)
    return found


#: a concatenation's inputs' sizes along the joined axis: ``d_1``, ``W_2``... (symcnn.layers.merge)
_NUMBERED = re.compile(r"(?P<stem>[A-Za-z]+)_[0-9]+")


def _numbered_stems(lines: Iterable[Line]) -> list[str]:
    """The notation symbols the formulas use numbered, one per input (``d_1 + d_2``)."""
    stems = {
        match["stem"]
        for name in _formula_symbols(lines)
        if (match := _NUMBERED.fullmatch(name)) and name not in NOTATION
    }
    return [name for name in NOTATION if name in stems]


def notation_table(
    names: Iterable[str],
    numbered: Iterable[str] = (),
    meanings: Mapping[str, tuple[sympy.Symbol, str]] | None = None,
) -> Table:
    """The symbols of the working with their meanings: the notation's ``names``, the ``numbered``
    ones (``d_i``, one per input of a concatenation), and the spec's own symbols (``meanings``:
    name to symbol and the spec's meaning), which also say what a notation symbol of the same
    name stands for in this network."""
    meanings = dict(meanings or {})
    rows: list[tuple[tuple[Inline, ...], ...]] = []
    for name in names:
        meaning = NOTATION[name].meaning
        if name in meanings:
            meaning += f"; the network's {name}: {meanings.pop(name)[1]}"
        rows.append(((Math(NOTATION[name].symbol),), (Text(meaning),)))
    for stem in numbered:
        symbol = sympy.Symbol(f"{stem}_i")
        rows.append(((Math(symbol),), (Text(f"{stem} of the i-th input of a concatenation"),)))
    rows += [((Math(symbol),), (Text(meaning),)) for symbol, meaning in meanings.values()]
    return Table(("Symbol", "Meaning"), tuple(rows), "ll")


def spec_meanings(net: Network) -> dict[str, tuple[sympy.Symbol, str]]:
    """The spec's ``symbols:`` meanings of the network's symbols, in the spec's order; a symbol
    that has been given a value (``--set``) is no longer in the key and is left out."""
    declared = net.spec.get("symbols", {})
    return {
        name: (net.symbols[name], meaning)
        for name, meaning in declared.items()
        if name in net.symbols
    }


def _words(text: str) -> str:
    return text[:1].upper() + text[1:]


def _and(pieces: Sequence[Sequence[str | Inline]]) -> list[str | Inline]:
    """``a``, ``a and b``, ``a, b and c``."""
    out: list[str | Inline] = []
    for position, piece in enumerate(pieces):
        if position:
            out.append(" and " if position == len(pieces) - 1 else ", ")
        out += piece
    return out


def _shapes_line(row: Row, previous: str | None) -> Paragraph:
    """``Input (32, 32, 3), output (28, 28, 8).``; where the inputs come from when the row reads
    several, or one that is not the previous row's output."""
    output = (", output ", Shape(row.output_shape), ".")
    if len(row.inputs) > 1:
        sources = [
            (f"{name} ", Shape(shape))
            for name, shape in zip(row.inputs, row.input_shapes, strict=True)
        ]
        return Paragraph.of("Inputs from ", *_and(sources), *output)
    if row.inputs and previous is not None and row.inputs[0] != previous:
        return Paragraph.of(f"Input from {row.inputs[0]} ", Shape(row.input_shape), *output)
    if not row.input_shape:  # a source (a learnable tensor) reads nothing
        return Paragraph.of("No input; output ", Shape(row.output_shape), ".")
    return Paragraph.of("Input ", Shape(row.input_shape), *output)


def layer_blocks(working: LayerWorking, level: int = 3, previous: str | None = None) -> list[Block]:
    """A layer's heading, its input and output shapes, and its derivation lines; ``previous``
    names the entry a chain would read (the rows before it), so a graph's edges are stated."""
    row = working.row
    return [
        Heading(f"{row.name} ({row.type})", level),
        _shapes_line(row, previous),
        Lines(working.lines),
    ]


def block_blocks(use: BlockUse, level: int = 3) -> list[Block]:
    """A block use's heading and, in words, what its rows count: a symbolic repeat, shared
    weights. The numbers stay with the rows and the total."""
    blocks: list[Block] = [
        Heading(f"{use.name} ({use.block})", level),
        Paragraph.of("Input ", Shape(use.input_shape), ", output ", Shape(use.output_shape), "."),
    ]
    if use.repeat is not None:
        times = Math(use.repeat)
        blocks.append(
            Paragraph.of(
                "×",
                times,
                ": each of the ",
                times,
                " applications has these rows; the total counts them ",
                times,
                " times.",
            )
        )
    if use.shares is not None:
        blocks.append(Paragraph.of(_words(shared_reason(use.shares)) + "."))
    return blocks


def working_blocks(net: Network, working: Working) -> list[Block]:
    """Every layer's working in the network's order, under the headings of the blocks it is in
    (one heading level deeper per block)."""
    uses = sorted(net.groups, key=lambda use: (use.start, use.depth))
    position = 0
    # with several inputs, even the first row says which it reads
    previous = next(iter(net.inputs)) if len(net.inputs) == 1 else ""
    blocks: list[Block] = []
    for index, layer in enumerate(working.layers):
        while position < len(uses) and uses[position].start == index:
            blocks += block_blocks(uses[position], 3 + uses[position].depth)
            position += 1
        blocks += layer_blocks(layer, 3 + layer.row.depth, previous)
        previous = layer.row.name
    for use in uses[position:]:  # an empty block at the end
        blocks += block_blocks(use, 3 + use.depth)
    return blocks


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


#: what a key's costs count, said under its totals
COSTS_SENTENCE = (
    "MACs are the multiply-accumulates of one forward pass of one example, as PyTorch's "
    "FlopCounterMode counts them (convolutions and matrix products, no bias), at 2 FLOPs each; "
    "every application of a layer counts, and a layer the output does not depend on costs nothing."
)


def answer_key(
    net: Network, title: str | None = None, depth: int | None = None, costs: bool = False
) -> Document:
    """The complete answer key of ``net``: the table, every layer's working, then the total.

    ``depth`` folds the table's blocks nested deeper (as ``symcnn summary --depth``); the working
    always shows every layer, under its blocks' headings. ``costs`` adds the MACs and FLOPs: the
    table's columns, each layer's ``MACs = H_out·W_out·k·m·n·d = …`` line and the totals, as the
    default counter counts them (``symcnn latex --costs``). Without it the key has no cost in it.
    """
    working = derive_network(net, costs)
    every_line = [line for layer in working.layers for line in layer.lines]
    blocks: list[Block] = [
        network_description(net),
        NetworkTable.of(net, depth, DEFAULT_COUNTER if costs else None),
        *conditions_blocks(net),
    ]
    names, numbered = symbols_used(every_line), _numbered_stems(every_line)
    meanings = spec_meanings(net)
    if names or numbered or meanings:
        blocks += [Heading("Notation", 2), notation_table(names, numbered, meanings)]
    blocks.append(Heading("Working", 2))
    blocks += working_blocks(net, working)
    blocks += [Heading("Total", 3), Lines((working.total, *working.costs))]
    if costs:
        blocks.append(Paragraph.of(COSTS_SENTENCE))
    return Document(title or f"Answer key: {net.name or 'network'}", tuple(blocks))
