"""Targets on a network's quantities: ``params <= 10^6``, ``output_shape = [28, 28, 8]``.

The left side is a reference (:mod:`symcnn.references`): a total, a shape or one axis, a layer's
own (``CONV2.params``), or an expression of those and the spec's symbols. Text goes through the
safe parser only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sympy
from sympy import Expr

from ..errors import ParseError, SolveError, SymcnnError
from ..network import Network
from ..parse import parse_expression
from ..quantities import QUANTITIES
from ..references import Reading, network_quantity, parse_number_text, resolver

__all__ = [
    "Target",
    "parse_target",
    "target_from_relational",
    "target_from_value",
]


_RELATION = re.compile(r"<=|>=|==|!=|≤|≥|=|<|>")
_CANONICAL = {"=": "==", "≤": "<=", "≥": ">="}
_DONT_CARE = ("*", "?", "_", "any")


# ------------------------------------------------------------------------------ targets


@dataclass(frozen=True)
class Target:
    """A target on a quantity: ``quantity ⋈ value``, with ``⋈`` one of ``== <= < >= >``.

    For a shape, ``value`` has one entry per axis; ``None`` means any size on that axis.
    """

    text: str
    quantity: Reading
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


def _shape_reference(net: Network, text: str) -> list[Expr] | None:
    """The axes of the shape ``text`` names (``input_shape``, ``layer1.conv1.output_shape``), so
    that a shape can be compared with another: ``output_shape = input_shape``."""
    try:
        reading = network_quantity(net, text)
    except SymcnnError:
        return None
    return list(reading.values) if reading.is_shape else None


def _make(net: Network, text: str, q: Reading, relation: str, raw: Any) -> Target:
    items: Sequence[Any] | None
    if isinstance(raw, str):
        items = _split_list(raw)
    elif isinstance(raw, list | tuple):
        items = list(raw)
    else:
        items = None
    if q.is_shape and items is None and isinstance(raw, str):
        items = _shape_reference(net, raw)
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
    return _make(net, text.strip(), network_quantity(net, lhs), relation, rhs)


def target_from_value(net: Network, name: str, value: Any) -> Target:
    """The target ``name == value`` (keyword arguments: ``params=3216``)."""
    shown = list(value) if isinstance(value, tuple) else value
    text = f"{name} = {shown}"
    return _make(net, text, network_quantity(net, name), "==", value)


def target_from_relational(net: Network, relational: sympy.Basic) -> Target:
    """A target from a SymPy relation such as ``sympy.Le(net.params, 10**6)``."""
    relations = {sympy.Eq: "==", sympy.Le: "<=", sympy.Lt: "<", sympy.Ge: ">=", sympy.Gt: ">"}
    relation = relations.get(type(relational))
    if relation is None:
        raise SolveError(f"a target must be an equation or an inequality, got {relational}")
    lhs, rhs = relational.args
    totals = (q.name for q in QUANTITIES.values() if not q.shape and hasattr(net, q.name))
    name = next((n for n in totals if getattr(net, n) == lhs), sympy.sstr(lhs))
    return Target(sympy.sstr(relational), Reading(name, (lhs,)), relation, (rhs,))
