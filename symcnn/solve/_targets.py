"""Quantities of a network by name, and targets on them (``params <= 10^6``, ``output_shape = [28,
28, 8]``).

A quantity is a network total (``params``, ``buffers``, ``activation_size``, ``total_activations``,
``input_size``), a shape (``output_shape``, ``input_shape``, or one axis: ``output_shape[0]``), a
layer's own (``CONV2.params``, ``layers[2].output_shape``, ``CONV2.activation_size``), or an
expression of totals and symbols (``k1 + k2``, ``params + buffers``). Text goes through the safe
parser only.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from ..errors import ParseError, SolveError
from ..layers import Row
from ..network import Network
from ..parse import parse_expression

__all__ = [
    "LAYER_QUANTITIES",
    "NETWORK_QUANTITIES",
    "Quantity",
    "Target",
    "parse_number_text",
    "parse_target",
    "quantity",
    "resolver",
    "target_from_value",
    "values_table",
]

Expr = sympy.Expr

#: network quantities with one value, by name, with what they are
NETWORK_SCALARS: dict[str, str] = {
    "params": "learnable parameters, all layers",
    "buffers": "non-learnable state (running statistics), all layers",
    "activation_size": "elements of the network's output",
    "total_activations": "elements of every layer's output, summed",
    "input_size": "elements of the input",
}
SHAPES = ("output_shape", "input_shape")
NETWORK_QUANTITIES = (*NETWORK_SCALARS, *SHAPES)
LAYER_QUANTITIES = ("params", "buffers", "activation_size", "output_shape", "input_shape")

_RELATION = re.compile(r"<=|>=|==|!=|≤|≥|=|<|>")
_CANONICAL = {"=": "==", "≤": "<=", "≥": ">="}
_LAYER_REF = re.compile(
    r"^(?P<layer>.+)\.(?P<name>" + "|".join(LAYER_QUANTITIES) + r")(?:\[(?P<index>-?\d+)\])?$"
)
_SHAPE_REF = re.compile(r"^(?P<name>output_shape|input_shape)(?:\[(?P<index>-?\d+)\])?$")
_INDEX_REF = re.compile(r"^(?:layers\[(?P<bracket>-?\d+)\]|(?P<plain>-?\d+))$")
_EXPONENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)[eE]\+?(\d+)(?![\w.])")
_GROUPED = re.compile(r"(?<=\d)_(?=\d)")
_DONT_CARE = ("*", "?", "_", "any")


@dataclass(frozen=True)
class Quantity:
    """A named quantity of a network: one value, or one per axis for shapes."""

    name: str
    values: tuple[Expr, ...]
    is_shape: bool = False
    #: the layer, for a layer's own quantity
    row: Row | None = None
    #: ``params``, ``output_shape``... for a layer's own quantity
    field: str | None = None
    #: the axis, for one axis of a shape
    index: int | None = None

    def labels(self) -> tuple[str, ...]:
        """One name per value: ``output_shape[0]``, ``output_shape[1]``… for a shape."""
        if self.is_shape:
            return tuple(f"{self.name}[{i}]" for i in range(len(self.values)))
        return (self.name,)


def parse_number_text(text: str) -> str:
    """``1e6`` and ``1_000_000`` as the parser's grammar writes them (``(1*10^6)``, ``1000000``)."""
    text = _GROUPED.sub("", text)
    return _EXPONENT.sub(lambda m: f"({m.group(1)}*10^{m.group(2)})", text)


def _names_hint(net: Network) -> str:
    symbols = ", ".join(sorted(net.symbols)) or "none"
    return f"quantities: {', '.join(NETWORK_QUANTITIES)}, LAYER.params…; symbols: {symbols}"


def resolver(net: Network, extra: Mapping[str, Expr] | None = None) -> Callable[[str], Expr]:
    """The meaning of a name in a target or a column: a network total, or a symbol."""
    extra = dict(extra or {})

    def resolve(name: str) -> Expr:
        if name in extra:
            return extra[name]
        if name in NETWORK_SCALARS:
            return getattr(net, name)  # type: ignore[no-any-return]
        if name in net.symbols:
            return net.symbols[name]
        if name in SHAPES:
            raise SolveError(
                f"`{name}` is a shape; compare it with a list such as [28, 28, 8] or use one axis, "
                f"such as {name}[0]"
            )
        near = difflib.get_close_matches(name, [*NETWORK_SCALARS, *SHAPES, *net.symbols], n=1)
        hint = f"; did you mean {near[0]}?" if near else ""
        raise SolveError(f"unknown name {name}{hint} ({_names_hint(net)})")

    return resolve


def _row(net: Network, text: str) -> Row:
    for row in net.rows:
        if row.name == text:
            return row
    match = _INDEX_REF.match(text)
    if match:
        index = int(match.group("bracket") or match.group("plain"))
        if -len(net.rows) <= index < len(net.rows):
            return net.rows[index]
        raise SolveError(f"no layer {text}: the network has {len(net.rows)} layers")
    names = [row.name for row in net.rows]
    near = difflib.get_close_matches(text, names, n=1)
    hint = f"; did you mean {near[0]}?" if near else ""
    raise SolveError(f"no layer named {text!r}{hint} (layers: {', '.join(names)})")


def _names_a_layer(net: Network, text: str) -> bool:
    """Whether ``text`` is meant as a layer: a layer's name, ``layers[i]``, or a single word (a
    misspelt name, which :func:`_row` reports) rather than an expression."""
    return (
        any(row.name == text for row in net.rows)
        or _INDEX_REF.match(text) is not None
        or re.fullmatch(r"[\w-]+", text) is not None
    )


def _axis(shape: tuple[Expr, ...], index: str | None, name: str) -> tuple[Expr, ...] | Expr:
    if index is None:
        return shape
    i = int(index)
    if not -len(shape) <= i < len(shape):
        raise SolveError(f"{name}[{i}] is out of range: the shape has {len(shape)} axes")
    return shape[i]


def _layer_references(net: Network, text: str) -> tuple[str, dict[str, Expr]]:
    """Layer quantities inside an expression (``params - FC3.params``) as placeholder names."""
    names = sorted({row.name for row in net.rows}, key=len, reverse=True)
    layer = "|".join([re.escape(name) for name in names] + [r"layers\[-?\d+\]"])
    pattern = re.compile(
        rf"(?<![\w.])(?:{layer})\.(?:{'|'.join(LAYER_QUANTITIES)})(?:\[-?\d+\])?(?![\w.\[])"
    )
    references: dict[str, Expr] = {}

    def replace(match: re.Match[str]) -> str:
        q = quantity(net, match.group())
        if q.is_shape:
            raise SolveError(f"{q.name} is a shape; in an expression use one axis ({q.name}[0])")
        name = f"layerquantity{len(references)}"
        references[name] = q.values[0]
        return f" {name} "

    return pattern.sub(replace, text), references


def quantity(net: Network, text: str, extra: Mapping[str, Expr] | None = None) -> Quantity:
    """The quantity ``text`` names (see the module docstring).

    >>> import symcnn
    >>> net = symcnn.load({"input": [32, 32, 3], "layers": [
    ...     {"type": "conv2d", "name": "CONV1", "out_channels": "k", "kernel_size": 5}]})
    >>> quantity(net, "CONV1.output_shape").values
    (28, 28, k)
    >>> quantity(net, "params + 1").values
    (76*k + 1,)
    """
    text = text.strip()
    match = _LAYER_REF.match(text)
    if match and not _SHAPE_REF.match(text) and _names_a_layer(net, match.group("layer")):
        row = _row(net, match.group("layer"))
        field_name = match.group("name")
        label = f"{row.name}.{field_name}"
        if field_name in SHAPES:
            shape = row.output_shape if field_name == "output_shape" else row.input_shape
            value = _axis(tuple(shape), match.group("index"), label)
            if isinstance(value, tuple):
                return Quantity(label, value, True, row, field_name)
            index = int(match.group("index"))
            return Quantity(f"{label}[{index}]", (value,), False, row, field_name, index)
        if match.group("index") is not None:
            raise SolveError(
                f"{label} is a number, not a shape; it has no [{match.group('index')}]"
            )
        value = getattr(row, field_name)
        return Quantity(label, (value,), False, row, field_name)
    match = _SHAPE_REF.match(text)
    if match:
        name = match.group("name")
        shape = net.output_shape if name == "output_shape" else net.input_shape
        value = _axis(tuple(shape), match.group("index"), name)
        if isinstance(value, tuple):
            return Quantity(name, value, True)
        return Quantity(
            f"{name}[{int(match.group('index'))}]", (value,), False, index=int(match.group("index"))
        )
    if not text:
        raise SolveError(f"empty quantity ({_names_hint(net)})")
    plain, references = _layer_references(net, text)
    try:
        value = parse_expression(
            parse_number_text(plain), resolver(net, {**(extra or {}), **references})
        )
    except ParseError as error:
        raise SolveError(f"cannot read quantity {text!r}: {error}") from None
    return Quantity(text, (value,))


# ------------------------------------------------------------------------------ targets


@dataclass(frozen=True)
class Target:
    """A target on a quantity: ``quantity ⋈ value``, with ``⋈`` one of ``== <= < >= >``.

    For a shape, ``value`` has one entry per axis; ``None`` means any size on that axis.
    """

    text: str
    quantity: Quantity
    relation: str
    value: tuple[Expr | None, ...]

    def pairs(self) -> list[tuple[str, Expr, Expr]]:
        """``(label, left side, right side)`` for every axis that has a value."""
        return [
            (label, lhs, rhs)
            for label, lhs, rhs in zip(
                self.quantity.labels(), self.quantity.values, self.value, strict=True
            )
            if rhs is not None
        ]

    def __str__(self) -> str:
        return self.text


def _split_relation(text: str) -> tuple[str, str, str]:
    depth = 0
    for position, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0:
            match = _RELATION.match(text, position)
            if match:
                relation = match.group()
                if relation == "!=":
                    raise SolveError(
                        f"target {text!r}: '!=' is not a target; use =, <=, <, >= or >"
                    )
                lhs, rhs = text[:position].strip(), text[match.end() :].strip()
                if not lhs or not rhs:
                    break
                return lhs, _CANONICAL.get(relation, relation), rhs
    raise SolveError(
        f'target {text!r} needs a relation such as params=3216, "params<=1000000" or '
        '"output_shape=[28,28,8]"'
    )


def _split_list(text: str) -> list[str] | None:
    """``[a, b, c]`` or ``(a, b, c)`` as its items; ``None`` when ``text`` is not a list."""
    text = text.strip()
    if len(text) < 2 or (text[0], text[-1]) not in (("[", "]"), ("(", ")")):
        return None
    items, depth, start = [], 0, 1
    for position, char in enumerate(text[1:-1], start=1):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth < 0:
                return None
        elif char == "," and depth == 0:
            items.append(text[start:position])
            start = position + 1
    items.append(text[start:-1])
    if text[0] == "(" and len(items) == 1:
        return None  # parentheses around one expression
    return [item.strip() for item in items]


def _value(net: Network, raw: Any, context: str) -> Expr | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise SolveError(f"{context}: expected a number, got {raw}")
    if isinstance(raw, int):
        return sympy.Integer(raw)
    if isinstance(raw, float):
        if not raw.is_integer():
            raise SolveError(f"{context}: sizes and counts are whole numbers, got {raw}")
        return sympy.Integer(int(raw))
    if isinstance(raw, sympy.Basic):
        return raw  # type: ignore[return-value]
    if isinstance(raw, str):
        if raw.strip() in _DONT_CARE:
            return None
        try:
            return parse_expression(parse_number_text(raw), resolver(net))
        except ParseError as error:
            raise SolveError(f"{context}: {error}") from None
    raise SolveError(f"{context}: expected a number or an expression, got {raw!r}")


def _make(net: Network, text: str, q: Quantity, relation: str, raw: Any) -> Target:
    items: Sequence[Any] | None
    if isinstance(raw, str):
        items = _split_list(raw)
    elif isinstance(raw, list | tuple):
        items = list(raw)
    else:
        items = None
    if q.is_shape:
        if items is None:
            raise SolveError(
                f"target {text!r}: {q.name} is a shape of {len(q.values)} axes; give a list such "
                f"as [{', '.join(['…'] * len(q.values))}] or target one axis ({q.name}[0])"
            )
        if len(items) != len(q.values):
            raise SolveError(
                f"target {text!r}: {q.name} has {len(q.values)} axes "
                f"({', '.join(map(str, q.values))}), the target gives {len(items)}"
            )
        value = tuple(_value(net, item, f"target {text!r}") for item in items)
        if all(v is None for v in value):
            raise SolveError(f"target {text!r} asks for nothing: every axis is a wildcard")
    else:
        if items is not None:
            raise SolveError(f"target {text!r}: {q.name} is one number, not a shape")
        single = _value(net, raw, f"target {text!r}")
        if single is None:
            raise SolveError(f"target {text!r} asks for nothing")
        value = (single,)
    return Target(text, q, relation, value)


def parse_target(net: Network, text: str) -> Target:
    """A target from text: ``params=3216``, ``"params <= 1e6"``, ``"output_shape=[28, 28, 8]"``.

    >>> import symcnn
    >>> net = symcnn.load({"input": [32, 32, 3], "layers": [
    ...     {"type": "conv2d", "out_channels": "k", "kernel_size": 5}]})
    >>> parse_target(net, "output_shape = [28, 28, 8]").pairs()
    [('output_shape[0]', 28, 28), ('output_shape[1]', 28, 28), ('output_shape[2]', k, 8)]
    >>> parse_target(net, "params <= 1_000").relation
    '<='
    """
    if not isinstance(text, str):
        raise SolveError(f"a target must be text such as 'params=3216', got {text!r}")
    lhs, relation, rhs = _split_relation(text)
    return _make(net, text.strip(), quantity(net, lhs), relation, rhs)


def target_from_value(net: Network, name: str, value: Any) -> Target:
    """The target ``name == value`` (keyword arguments: ``params=3216``)."""
    shown = list(value) if isinstance(value, tuple) else value
    text = f"{name} = {shown}"
    return _make(net, text, quantity(net, name), "==", value)


def target_from_relational(net: Network, relational: sympy.Basic) -> Target:
    """A target from a SymPy relation such as ``sympy.Le(net.params, 10**6)``."""
    relations = {sympy.Eq: "==", sympy.Le: "<=", sympy.Lt: "<", sympy.Ge: ">=", sympy.Gt: ">"}
    relation = relations.get(type(relational))
    if relation is None:
        raise SolveError(f"a target must be an equation or an inequality, got {relational}")
    lhs, rhs = relational.args
    name = next((n for n in NETWORK_SCALARS if getattr(net, n) == lhs), sympy.sstr(lhs))
    return Target(sympy.sstr(relational), Quantity(name, (lhs,)), relation, (rhs,))


def values_table(net: Network, values: Mapping[Any, Any] | None) -> dict[sympy.Symbol, Expr]:
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
        return symbols[name]

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
        table[target] = value  # type: ignore[index]
    return table
