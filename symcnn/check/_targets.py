"""What a claim is compared with: a layer reference, or a network's total or row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sympy
from sympy import Expr

from ..errors import ParseError, SolveError, SpecError
from ..layers import Row
from ..network import Network, load
from ..parse import parse_expression
from ..references import (
    LayerQuantity,
    general_quantity,
    layer_quantities,
    meaning,
    names,
    parse_reference,
    read_reference,
)
from ..symbols import NOTATION, bias
from ._verdict import Target

__all__ = ["HINTS", "network_target", "parse_claim"]


#: names people use that are not the notation's, and what to write instead
HINTS = {
    "f": "the filter size is m (width) and n (height)",
    "F": "the filter size is m (width) and n (height)",
    "s": "the stride is s_w (s_h, s_t on the other axes)",
    "S": "the stride is s_w (s_h, s_t on the other axes)",
    "K": "the number of filters is k",
    "b": "the bias flag is bias",
    "C": "input channels are d, output channels k",
}


def _claim_symbol(names: Mapping[str, sympy.Symbol] | None, name: str) -> sympy.Symbol:
    if names is None:
        if name in NOTATION:
            return NOTATION[name].symbol
        hint = f"; {HINTS[name]}" if name in HINTS else ""
        raise ParseError(
            f"unknown name {name!r}{hint} (the notation's names: {', '.join(NOTATION)})"
        )
    if name in names:
        return names[name]
    known = ", ".join(sorted(names)) or "none: the network is numeric"
    raise ParseError(f"unknown name {name!r} (this network's symbols: {known})")


def parse_claim(claim: Any, names: Mapping[str, sympy.Symbol] | None = None) -> Expr:
    """A claim as an expression: text through the safe parser, or a number. ``names`` are the
    symbols a claim may use (default: the notation's)."""
    if isinstance(claim, bool):
        raise ParseError(f"a claim must be a formula or a number, not {claim!r}")
    if isinstance(claim, int):
        return sympy.Integer(claim)
    if isinstance(claim, sympy.Expr):
        return claim
    if not isinstance(claim, str):
        raise ParseError(f"a claim must be a formula or a number, not {type(claim).__name__}")
    return parse_expression(claim, lambda name: _claim_symbol(names, name))


def _flags(rows: Sequence[Row], truth: Expr) -> frozenset[sympy.Symbol]:
    """The bias flags among the truth's symbols: whatever a row's ``bias`` stands for."""
    flags: set[sympy.Symbol] = set()
    for row in rows:
        value = row.values.get(bias)
        if isinstance(value, sympy.Basic):
            flags |= {s for s in value.free_symbols if isinstance(s, sympy.Symbol)}
    return frozenset(flags & truth.free_symbols)


def _relevant_defaults(
    defaults: Mapping[sympy.Symbol, Expr], general: Expr | None
) -> dict[sympy.Symbol, Expr]:
    if general is None:
        return dict(defaults)
    return {s: v for s, v in defaults.items() if s in general.free_symbols}


def _layer_target(quantity: LayerQuantity) -> Target:
    row = quantity.row
    general = general_quantity(row, quantity.quantity)
    return Target(
        label=quantity.label,
        truth=quantity.truth,
        quantity=quantity.quantity,
        rows=(row,),
        general=general,
        claim_values=quantity.claim_values,
        defaults=_relevant_defaults(quantity.defaults, general),
        constraints=quantity.constraints,
        flags=_flags((row,), quantity.truth) if quantity.general else frozenset(),
        row=row,
    )


def network_target(net: Network, quantity: str = "params") -> Target:
    """A network's total (``params``, ``buffers``, ``activation_size``, ``total_activations``,
    ``macs``, ``flops``…) or one row's quantity (``CONV2.params``, ``2.output_shape[0]``,
    ``CONV2.out_w``, ``CONV1.macs``: one application of the layer, as the network counts it)."""
    name = (quantity or "params").strip()
    conditions = tuple(check.condition for check in net.conditions)
    label = net.name or "the network"
    reference = parse_reference(name)
    if reference is None:
        valid = ", ".join([*names(), *(f"ROW.{q}" for q in layer_quantities())])
        raise SpecError(f"unknown quantity {quantity!r} (valid: {valid})", field="quantity")
    row = None if reference.layer is None else _find_row(net, reference.layer)
    try:
        reading = read_reference(net if row is None else row, reference, "", net.layout, net)
    except SolveError as error:
        raise SpecError(str(error), field="quantity") from None
    if reading.is_shape:
        raise SpecError(f"{name} is a shape; check one axis, such as {name}[0]", field="quantity")
    truth = reading.values[0]
    short = name if reference.layer is None else name[len(reference.layer) + 1 :]
    if row is None:
        total = reference.quantity
        # a sum of the rows' own values can be taken apart row by row
        summed = total.aggregate == "sum" and (total.cost or total.name in layer_quantities())
        rows: Sequence[Row] = net.rows if summed and reference.index is None else ()
        if total.cost:  # a cost is taken apart over the rows that do cost (the output reads them)
            costs = net.row_costs()
            rows = [row for row in rows if costs[row.name] != (0, 0)]
        return Target(
            label=f"{label}: {short}",
            truth=truth,
            quantity=short,
            rows=tuple(rows),
            constraints=conditions,
            flags=_flags(rows, truth),
            layout=net.layout,
        )
    return Target(
        label=f"{label}: {row.name} ({row.type}) {meaning(short)}",
        truth=truth,
        quantity=short,
        rows=(row,),
        constraints=conditions,
        flags=_flags((row,), truth),
        layout=net.layout,
        row=row,
    )


def _find_row(net: Network, key: str) -> Row:
    for row in net.rows:
        if row.name == key:
            return row
    position = key.removeprefix("layers[").removesuffix("]") if key.startswith("layers[") else key
    if position.lstrip("-").isdigit() and -len(net.rows) <= int(position) < len(net.rows):
        return net.rows[int(position)]
    names = ", ".join(row.name for row in net.rows)
    raise SpecError(f"no layer {key!r} in the network (layers: {names})", field="quantity")


def _is_spec(against: Any) -> bool:
    if isinstance(against, Network | Mapping):
        return True
    text = str(against).strip().lower()
    return "\n" in text or text.endswith((".yaml", ".yml", ".json"))


def _load(against: Any) -> Network:
    return against if isinstance(against, Network) else load(against)
