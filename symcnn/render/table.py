"""The summary table as data: one model that every format renders (text, Markdown, LaTeX, JSON).

The model holds exact values, not strings: each renderer formats and escapes them its own way. A
network with blocks gets a heading row per block use, its layers indented under it, and the
block's subtotal; ``depth`` folds the blocks nested deeper than it into their heading rows (as
torchinfo's ``depth`` does). A row that reads several inputs names them; a row that applies
shared weights says whose; a block repeated a symbolic number of times is marked ``×L``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import sympy

from ..costs import lookup as lookup_counter
from ..graph import Group
from ..layers import Row
from ..layers.base import ZERO, Expr
from ..network import Network
from ._receptive import ReceptiveCell, cells
from ._strings import sstr

__all__ = ["SummaryRow", "SummaryTable", "summary_table"]


@dataclass(frozen=True)
class SummaryRow:
    """One line of the table: a layer, a block's heading, the input or the total."""

    kind: str  # "input", "layer", "block" or "total"
    name: str
    type: str
    depth: int
    output_shape: tuple[Expr, ...]
    #: ``None`` where the table leaves the cell empty (the total; an open block's heading)
    activation_size: Expr | None
    params: Expr
    buffers: Expr
    #: the names a layer reads when it reads more than one
    inputs: tuple[str, ...] = ()
    #: the row (or block) whose weights this one applies again
    shares: str | None = None
    #: a symbolic repeat (``L``) of a block
    repeat: Expr | None = None
    #: a folded block: its layers are not shown
    folded: bool = False
    #: the row's multiply-accumulates and FLOPs under the table's counter (``None``: no costs)
    macs: Expr | None = None
    flops: Expr | None = None
    #: the row's receptive field (``None``: no such column, or a heading's empty cell)
    receptive: ReceptiveCell | None = None

    @property
    def label(self) -> str:
        """``CONV1 (Conv2d)``, ``layer1 (basic ×2)``; a name that starts with its type alone."""
        if self.kind in ("input", "total") or self.name.startswith(self.type):
            return self.name
        return f"{self.name} ({self.type})"

    @property
    def notes(self) -> tuple[str, ...]:
        """What a reader should know beyond the numbers: ``×L``, ``shares CONV3``, inputs."""
        notes = []
        if self.repeat is not None:
            notes.append(f"×{sstr(self.repeat)}")
        if self.shares is not None:
            notes.append(f"shares {self.shares}")
        if len(self.inputs) > 1:
            notes.append("← " + ", ".join(self.inputs))
        return tuple(notes)


@dataclass(frozen=True)
class SummaryTable:
    title: str | None
    layout: str
    input_shape: tuple[Expr, ...]
    rows: tuple[SummaryRow, ...]
    total: SummaryRow
    has_buffers: bool
    conditions: tuple[str, ...]
    #: the counter the costs columns were counted with (``None``: no costs columns)
    counter: str | None = None
    #: one sentence saying who counted the costs, and what
    counted: str = ""
    #: the convention that counted: ``torch`` or ``keras``
    convention: str = "torch"
    #: Keras's footer under the keras convention: ("Total params", n), ("Trainable params", n),
    #: ("Non-trainable params", n); empty under torch
    footer: tuple[tuple[str, Expr], ...] = ()
    #: whether the table has the receptive-field column (``summary --receptive-field``)
    receptive: bool = False

    @property
    def heading(self) -> str:
        """What the title line says after the input and layout: the Keras convention when it
        counted (no word: PyTorch's, the default)."""
        return ", Keras convention" if self.convention == "keras" else ""


_Costs = dict[str, tuple[Expr, Expr]]


def _layer(row: Row, costs: _Costs | None) -> SummaryRow:
    macs, flops = (None, None) if costs is None else costs[row.name]
    return SummaryRow(
        "layer",
        row.name,
        row.type,
        row.depth,
        row.output_shape,
        row.activation_size,
        row.params,
        row.buffers,
        inputs=row.inputs,
        shares=row.shares,
        macs=macs,
        flops=flops,
    )


def _heading(net: Network, group: Group, folded: bool, costs: _Costs | None) -> SummaryRow:
    rows = net.rows[group.start : group.stop]
    macs = flops = None
    if costs is not None:
        macs = sympy.Add(*(costs[row.name][0] * row.multiplicity for row in rows))
        flops = sympy.Add(*(costs[row.name][1] * row.multiplicity for row in rows))
    return SummaryRow(
        "block",
        group.name,
        group.block,
        group.depth,
        group.output_shape,
        sympy.Mul(*group.output_shape) if folded else None,
        sympy.Add(*(row.params * row.multiplicity for row in rows)),
        sympy.Add(*(row.buffers * row.multiplicity for row in rows)),
        shares=group.shares,
        repeat=group.repeat,
        folded=folded,
        macs=macs,
        flops=flops,
    )


def _walk(net: Network, depth: int | None, costs: _Costs | None) -> Iterator[SummaryRow]:
    groups = sorted(net.groups, key=lambda group: (group.start, group.depth))
    position = 0
    hidden_until = -1
    for index, row in enumerate(net.rows):
        while position < len(groups) and groups[position].start == index:
            group = groups[position]
            position += 1
            if index < hidden_until or (depth is not None and group.depth > depth):
                continue
            folded = depth is not None and group.depth == depth
            if folded:
                hidden_until = group.stop
            yield _heading(net, group, folded, costs)
        if index < hidden_until or (depth is not None and row.depth > depth):
            continue
        yield _layer(row, costs)
    # an empty block (every layer of it shared away) still shows its heading
    for group in groups[position:]:
        if depth is None or group.depth <= depth:
            yield _heading(net, group, depth is not None and group.depth == depth, costs)


def summary_table(
    net: Network, depth: int | None = None, counter: str | None = None, receptive: bool = False
) -> SummaryTable:
    """The table of ``net``; ``depth`` folds blocks nested deeper (0: only top-level entries);
    ``counter`` adds the MACs and FLOPs columns as that counter counts them; ``receptive`` the
    receptive-field column."""
    costs = None if counter is None else net.row_costs(counter)
    if len(net.inputs) > 1:  # named inputs, each a row: `query (input)`
        inputs = [
            SummaryRow("input", f"{name} (input)", "input", 0, shape, sympy.Mul(*shape), ZERO, ZERO)
            for name, shape in net.inputs.items()
        ]
    else:
        inputs = [
            SummaryRow("input", "Input", "input", 0, net.input_shape, net.input_size, ZERO, ZERO)
        ]
    if costs is not None:
        inputs = [replace(row, macs=ZERO, flops=ZERO) for row in inputs]
    rows = [*inputs, *_walk(net, depth, costs)]
    totals = None if counter is None else net.costs(counter)
    total = SummaryRow(
        "total",
        "Total",
        "total",
        0,
        net.output_shape,
        None,
        net.params,
        net.buffers,
        macs=None if totals is None else totals["macs"],
        flops=None if totals is None else totals["flops"],
    )
    if receptive:
        rows, total = _with_fields(net, rows), replace(total, receptive=cells(net)[net.output])
    return SummaryTable(
        title=net.name,
        layout=net.layout,
        input_shape=net.input_shape,
        rows=tuple(rows),
        total=total,
        has_buffers=any(row.buffers != 0 for row in net.rows),
        conditions=tuple(f"{check.where}: {sstr(check.condition)}" for check in net.conditions),
        counter=counter,
        counted="" if counter is None else lookup_counter(counter).sentence,
        convention=net.convention,
        footer=_footer(net),
        receptive=receptive,
    )


def _with_fields(net: Network, rows: list[SummaryRow]) -> list[SummaryRow]:
    """``rows`` with their receptive fields: an input's, a layer's, a folded block's (its last
    layer's); an open block's heading stays empty."""
    found = cells(net)
    groups = [group for group in net.groups if group.stop > group.start]
    last = {group.name: net.rows[group.stop - 1].name for group in groups}
    single = next(iter(net.inputs))
    named = []
    for row in rows:
        name = row.name
        if row.kind == "input":
            name = single if len(net.inputs) == 1 else name.removesuffix(" (input)")
        elif row.kind == "block":
            name = last.get(name, "") if row.folded else ""
        named.append(replace(row, receptive=found.get(name)))
    return named


def _footer(net: Network) -> tuple[tuple[str, Expr], ...]:
    """Keras's ``model.summary()`` footer, under the keras convention."""
    if net.convention != "keras":
        return ()
    return (
        ("Total params", net.params),
        ("Trainable params", net.trainable),
        ("Non-trainable params", net.non_trainable),
    )
