"""A network's quantities by reference: totals, shapes, a layer's own, and expressions of them.

A reference (:mod:`._grammar`) names a network total (``params``, ``activation_size``), a shape
(``output_shape``, or one axis: ``output_shape[0]``), a layer's own (``CONV2.params``,
``layers[2].output_shape``, ``layer1.0.conv1.params``; a row's cost, ``CONV1.macs``, is one
application of its layer), or an expression of those and of the spec's symbols (``k1 + k2``,
``params - FC3.params``). Text goes through the safe parser only.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sympy
from sympy import Expr

from ..costs import DEFAULT as DEFAULT_COUNTER
from ..costs import lookup as lookup_counter
from ..errors import ParseError, SolveError
from ..layers import Row
from ..parse import check_digits, parse_expression
from ..quantities import QUANTITIES, Quantity
from ._grammar import Reference, axis_index, parse_reference, reference_pattern

__all__ = [
    "Reading",
    "network_quantity",
    "parse_number_text",
    "resolver",
    "row_cost",
    "value_of",
    "values_table",
]


_INDEX_REF = re.compile(r"^(?:layers\[(?P<bracket>-?\d+)\]|(?P<plain>-?\d+))$")
_EXPONENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)[eE]\+?(\d+)(?![\w.])")
_GROUPED = re.compile(r"(?<=\d)_(?=\d)")


@dataclass(frozen=True)
class Reading:
    """What a reference reads off a network: one value, or one per axis for a shape."""

    name: str
    values: tuple[Expr, ...]
    is_shape: bool = False
    #: the layer, for a layer's own quantity
    row: Row | None = None
    #: the registry name (``params``, ``output_shape``...) of a layer's own quantity
    field: str | None = None
    #: the axis, for one axis of a shape
    index: int | None = None

    def labels(self) -> tuple[str, ...]:
        """One name per value: ``output_shape[0]``, ``output_shape[1]``… for a shape."""
        if self.is_shape:
            return tuple(f"{self.name}[{i}]" for i in range(len(self.values)))
        return (self.name,)


def value_of(obj: Any, quantity: Quantity) -> Any:
    """``quantity`` of a row or a network: its attribute of that name, or for a network without
    one, the value its rows give as the quantity's ``aggregate`` says: a sum counts each row as
    often as it is applied (``row.multiplicity``: ``L`` in a ``repeat: L`` block), and the output's
    is the row the network's ``output`` names."""
    if hasattr(obj, quantity.name):
        return getattr(obj, quantity.name)
    rows = getattr(obj, "rows", None)
    if rows is not None and quantity.aggregate == "sum":
        return sympy.Add(*(getattr(row, quantity.name) * row.multiplicity for row in rows))
    if rows and quantity.aggregate == "output":
        output = getattr(obj, "output", None)
        row = next((row for row in rows if row.name == output), rows[-1])
        return getattr(row, quantity.name)
    raise SolveError(f"{quantity.name} is not a quantity of {type(obj).__name__.lower()}s")


def layer_quantities() -> list[str]:
    """The registry's quantities a row has as attributes (the rest are the network's own); a
    row's costs (``macs``, ``flops``) are not its attributes but are read off its network
    (:func:`row_cost`)."""
    return [name for name in QUANTITIES if hasattr(Row, name) or name in Row.__dataclass_fields__]


def row_cost(row: Row, quantity: Quantity, net: Any = None) -> Expr:
    """A cost quantity (``macs``, ``flops``) of one row, for **one application** of its layer and
    one example, under the default counter: the network's own count (``net.row_costs()``, where a
    row the output does not depend on costs 0) or, for a row without its network, its layer's.
    A network's total multiplies each row's by its multiplicity (``L`` in a ``repeat: L`` block);
    a row's does not."""
    index = ("macs", "flops").index(quantity.name)
    if net is not None and hasattr(net, "row_costs"):
        return net.row_costs()[row.name][index]  # type: ignore[no-any-return]
    return lookup_counter(DEFAULT_COUNTER).of(row)[index]


def parse_number_text(text: str) -> str:
    """``1e6`` and ``1_000_000`` as the parser's grammar writes them (``(1*10^6)``, ``1000000``)."""
    text = _GROUPED.sub("", text)
    return _EXPONENT.sub(lambda m: f"({m.group(1)}*10^{m.group(2)})", text)


def _names_hint(net: Any) -> str:
    symbols = ", ".join(sorted(net.symbols)) or "none"
    return f"quantities: {', '.join(QUANTITIES)}, LAYER.params…; symbols: {symbols}"


def resolver(net: Any, extra: Mapping[str, Expr] | None = None) -> Callable[[str], Expr]:
    """The meaning of a name in a target or a column: a network total, or a symbol."""
    extra = dict(extra or {})

    def resolve(name: str) -> Expr:
        if name in extra:
            return extra[name]
        quantity = QUANTITIES.get(name)
        if quantity is not None and not quantity.shape:
            return value_of(net, quantity)  # type: ignore[no-any-return]
        if name in net.symbols:
            return net.symbols[name]  # type: ignore[no-any-return]
        if quantity is not None:
            raise SolveError(
                f"`{name}` is a shape; compare it with a list such as [28, 28, 8] or use one axis, "
                f"such as {name}[0]"
            )
        near = difflib.get_close_matches(name, [*QUANTITIES, *net.symbols], n=1)
        hint = f"; did you mean {near[0]}?" if near else ""
        raise SolveError(f"unknown name {name}{hint} ({_names_hint(net)})")

    return resolve


def find_row(net: Any, text: str) -> Row:
    """The row called ``text``, or at position ``text`` (``2``, ``layers[2]``, ``-1``)."""
    for row in net.rows:
        if row.name == text:
            return row  # type: ignore[no-any-return]
    match = _INDEX_REF.match(text)
    if match:
        index = int(match.group("bracket") or match.group("plain"))
        if -len(net.rows) <= index < len(net.rows):
            return net.rows[index]  # type: ignore[no-any-return]
        raise SolveError(f"no layer {text}: the network has {len(net.rows)} layers")
    layer_names = [row.name for row in net.rows]
    near = difflib.get_close_matches(text, layer_names, n=1)
    hint = f"; did you mean {near[0]}?" if near else ""
    raise SolveError(f"no layer named {text!r}{hint} (layers: {', '.join(layer_names)})")


def _names_a_layer(net: Any, text: str) -> bool:
    """Whether ``text`` is meant as a layer: a layer's name, ``layers[i]``, or a single dotted
    word (a misspelt name, which :func:`find_row` reports) rather than an expression."""
    return (
        any(row.name == text for row in net.rows)
        or _INDEX_REF.match(text) is not None
        or re.fullmatch(r"[\w.-]+", text) is not None
    )


def _axis(shape: tuple[Expr, ...], index: int | None, name: str) -> tuple[Expr, ...] | Expr:
    if index is None:
        return shape
    if not -len(shape) <= index < len(shape):
        raise SolveError(f"{name}[{index}] is out of range: the shape has {len(shape)} axes")
    return shape[index]


def read_reference(
    obj: Any, reference: Reference, prefix: str, layout: str, net: Any = None
) -> Reading:
    """The value ``reference`` names on ``obj`` (a row or a network); its label starts with
    ``prefix`` (``CONV1.``, or nothing for the network). A row's cost (``CONV1.macs``) is read
    off ``net``, the row's network, when it is given (:func:`row_cost`)."""
    quantity = reference.quantity
    row = obj if isinstance(obj, Row) else None
    label = f"{prefix}{reference.name}"
    if row is not None and quantity.cost:
        if reference.index is not None:
            raise SolveError(f"{label} is a number, not a shape; it has no [{reference.index}]")
        return Reading(label, (row_cost(row, quantity, net),), False, row, quantity.name)
    if row is not None and not hasattr(row, quantity.name):
        raise SolveError(
            f"{label}: {quantity.name} is the network's, not a layer's (a layer has "
            f"{', '.join(layer_quantities())})"
        )
    value = value_of(obj, quantity)
    index = reference.index
    alias = reference.alias
    if alias is not None:
        if index is not None:
            raise SolveError(f"{label} is one axis already; it has no [{index}]")
        index = axis_index(len(value), layout, alias.axis)
        if index is None:
            shape = ", ".join(str(size) for size in value)
            owner = row.type if row is not None else "the network"
            raise SolveError(f"{owner} has no {alias.axis!r} axis in its output shape ({shape})")
        label = f"{prefix}{alias.quantity}"
    if quantity.shape:
        picked = _axis(tuple(value), index, label)
        if isinstance(picked, tuple):
            return Reading(label, picked, True, row, quantity.name)
        return Reading(f"{label}[{index}]", (picked,), False, row, quantity.name, index)
    if index is not None:
        raise SolveError(f"{label} is a number, not a shape; it has no [{index}]")
    return Reading(label, (value,), False, row, quantity.name)


def _layer_references(net: Any, text: str) -> tuple[str, dict[str, Expr]]:
    """Layer quantities inside an expression (``params - FC3.params``) as placeholder names."""
    layer_names = sorted({row.name for row in net.rows}, key=len, reverse=True)
    layers = "|".join([re.escape(name) for name in layer_names] + [r"layers\[-?\d+\]"])
    pattern = reference_pattern(layers)
    inside = re.compile(rf"(?<![\w.])(?:{pattern.pattern})(?![\w.\[])")
    references: dict[str, Expr] = {}

    def replace(match: re.Match[str]) -> str:
        if match.group("layer") is None:
            return match.group()  # a network total: the resolver reads it
        q = network_quantity(net, match.group())
        if q.is_shape:
            raise SolveError(f"{q.name} is a shape; in an expression use one axis ({q.name}[0])")
        name = f"layerquantity{len(references)}"
        references[name] = q.values[0]
        return f" {name} "

    return inside.sub(replace, text), references


def network_quantity(net: Any, text: str, extra: Mapping[str, Expr] | None = None) -> Reading:
    """The quantity ``text`` names on ``net`` (see the module docstring).

    >>> import symcnn
    >>> net = symcnn.load({"input": [32, 32, 3], "layers": [
    ...     {"type": "conv2d", "name": "CONV1", "out_channels": "k", "kernel_size": 5}]})
    >>> network_quantity(net, "CONV1.output_shape").values
    (28, 28, k)
    >>> network_quantity(net, "params + 1").values
    (76*k + 1,)
    """
    text = text.strip()
    reference = parse_reference(text)
    if reference is not None and reference.layer is not None:
        if _names_a_layer(net, reference.layer):
            row = find_row(net, reference.layer)
            return read_reference(row, reference, f"{row.name}.", net.layout, net)
    elif reference is not None and (
        reference.quantity.shape or reference.index is not None or reference.alias is not None
    ):
        return read_reference(net, reference, "", net.layout)
    if not text:
        raise SolveError(f"empty quantity ({_names_hint(net)})")
    plain, references = _layer_references(net, text)
    try:
        value = parse_expression(
            parse_number_text(plain), resolver(net, {**(extra or {}), **references})
        )
    except ParseError as error:
        raise SolveError(f"cannot read quantity {text!r}: {error}") from None
    return Reading(text, (value,))


def values_table(net: Any, values: Mapping[Any, Any] | None) -> dict[sympy.Symbol, Expr]:
    """Values for a network's symbols, by name or symbol: numbers, SymPy expressions or text
    (parsed with the network's symbols)."""
    table: dict[sympy.Symbol, Expr] = {}
    symbols = net.symbols

    def symbol(name: str) -> Expr:
        if name not in symbols:
            near = difflib.get_close_matches(name, list(symbols), n=1)
            hint = f"; did you mean {near[0]}?" if near else ""
            shown = ", ".join(sorted(symbols)) or "none: every size in the spec is a number"
            raise SolveError(f"unknown symbol {name}{hint} (this network's symbols: {shown})")
        return symbols[name]  # type: ignore[no-any-return]

    for key, raw in (values or {}).items():
        name = key.name if isinstance(key, sympy.Symbol) else str(key)
        target = symbol(name)
        if isinstance(raw, bool) or raw is None:
            raise SolveError(f"value of {name} must be a number or an expression, got {raw}")
        if isinstance(raw, int):
            value: Expr = sympy.Integer(raw)
        elif isinstance(raw, float) and raw.is_integer():
            value = sympy.Integer(int(raw))
        elif isinstance(raw, str):
            try:
                value = parse_expression(parse_number_text(raw), symbol)
            except ParseError as error:
                raise SolveError(f"value of {name}: {error}") from None
        elif isinstance(raw, sympy.Basic):
            value = raw  # type: ignore[assignment]
        else:
            raise SolveError(f"value of {name} must be a number or an expression, got {raw!r}")
        check_value(target, value, name)
        table[target] = value  # type: ignore[index]
    return table


def check_value(target: Any, value: Any, name: str) -> None:
    """Refuse a number a symbol cannot take, as the spec itself would: a size (a positive
    symbol) is at least 1, a padding or a flag (nonnegative) at least 0, and both are integers."""
    if not isinstance(value, sympy.Basic) or not value.is_number:
        return
    try:
        check_digits(value, f"the value of {name}")
    except ParseError as error:
        raise SolveError(str(error)) from None
    if not isinstance(target, sympy.Symbol) or not target.is_integer:
        return
    if not value.is_integer:
        raise SolveError(f"{name} = {value}: {name} is an integer")
    if target.is_positive and value < 1:
        raise SolveError(f"{name} = {value}: {name} is a size, a positive integer")
    if target.is_nonnegative and value < 0:
        raise SolveError(f"{name} = {value}: {name} is a nonnegative integer")
