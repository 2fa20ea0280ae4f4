"""The data of a composition: block uses as the summary shows them, what a layer can read, and
the scopes names are looked up in."""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy

import symcnn.limits as limits

from ..errors import SpecError, describe
from ..layers import Check, Row, Tensor, Where
from ..layers.base import ONE, Expr

__all__ = ["MAX_BLOCK_NESTING", "MAX_ROWS", "Built", "Group"]

# the limits live in symcnn.limits (docs/limits.md); these names are their values at import
MAX_ROWS = limits.MAX_ROWS
MAX_BLOCK_NESTING = limits.MAX_BLOCK_NESTING
#: keys of a layer entry that are not the layer's own arguments
ENTRY_KEYS = ("type", "name", "from", "trainable")
#: keys of a block use that are not the block's arguments
USE_KEYS = ("block", "name", "from", "repeat")


@dataclass(frozen=True)
class Group:
    """A block use as the summary shows it: ``rows[start:stop]`` are its layers."""

    name: str
    block: str
    depth: int
    start: int
    stop: int
    input_shape: tuple[Expr, ...]
    output_shape: tuple[Expr, ...]
    #: a symbolic ``repeat`` (``L``): the rows are shown once and count ``repeat`` times
    repeat: Expr | None = None
    #: how many times each of its rows is applied (symbolic repeats, nested, multiplied)
    multiplicity: Expr = ONE
    #: the block use whose weights this one applies again
    shares: str | None = None


@dataclass
class Built:
    """What :func:`compose` returns: the inputs, rows, groups and the output's name and shape."""

    inputs: dict[str, tuple[Expr, ...]]
    rows: list[Row]
    groups: list[Group]
    pending: list[Check]
    output: str
    output_shape: tuple[Expr, ...]


@dataclass(frozen=True)
class _Entry:
    """A value a layer can read: an input, a layer's output or a block use's output."""

    name: str  # the qualified name a reader records (the producing row, or the input)
    tensor: Tensor
    row: int | None = None  # the row that produced it
    use: _Use | None = None  # the block use it is the output of


@dataclass(frozen=True)
class _Use:
    """A block use, remembered so that ``shares`` can apply it again."""

    block: Mapping[str, Any]
    label: str
    args: Mapping[str, Any]
    repeat: Expr | int | None
    prefix: str
    stack: tuple[str, ...]


@dataclass(frozen=True)
class _Arg:
    """A block argument's value: the text as written (for words such as ``mode: nearest``) and,
    where it reads as one, the expression."""

    raw: Any
    expr: Expr | None


class _Table:
    """The symbol table a layer's values are read with: a block's arguments first, then the
    network's symbols. New symbols are the network's."""

    def __init__(self, args: Mapping[str, Any], symbols: dict[str, Expr], label: str):
        self.args = args
        self.symbols = symbols
        self.label = label

    def get(self, name: str, default: Any = None) -> Any:
        if name in self.args:
            value = self.args[name]
            if isinstance(value, _Arg) and value.expr is not None:
                return value.expr
            if isinstance(value, bool | int):
                return sympy.Integer(int(value))
            raise SpecError(
                f"argument `{name}` of block {self.label!r} is {_shown(value)}, which is not a "
                "number; use it alone as a field's value"
            )
        return self.symbols.get(name, default)

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __setitem__(self, name: str, value: Expr) -> None:
        self.symbols[name] = value

    def __contains__(self, name: object) -> bool:
        return name in self.args or name in self.symbols


def _shown(value: Any) -> str:
    """The value as the spec wrote it, cut to :data:`symcnn.limits.MAX_DESCRIBED` characters."""
    return describe(_raw(value))


def _raw(value: Any) -> Any:
    if isinstance(value, _Arg):
        return value.raw
    if isinstance(value, list):
        return [_raw(item) for item in value]
    return value


@dataclass
class _Scope:
    """Where names are looked up while one list of layers is walked."""

    prefix: str
    table: _Table
    order: list[_Entry]
    local: dict[str, _Entry] = field(default_factory=dict)
    later: dict[str, int] = field(default_factory=dict)  # names given further down the list
    counts: dict[str, int] = field(default_factory=dict)
    parent: _Scope | None = None
    inline: bool = False
    index: int = 0
    depth: int = 0
    multiplicity: Expr = ONE
    stack: tuple[str, ...] = ()
    #: when a shared block is applied again: the prefix of the use whose weights it reads
    shares: str | None = None

    def default_name(self, stem: str) -> str:
        self.counts[stem] = self.counts.get(stem, 0) + 1
        return f"{stem}-{self.counts[stem]}"

    def find(self, name: str) -> _Entry | None:
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.local:
                return scope.local[name]
            scope = scope.parent if scope.inline else None
        return None

    def known(self) -> list[str]:
        names: list[str] = []
        scope: _Scope | None = self
        while scope is not None:
            names += list(scope.local)
            scope = scope.parent if scope.inline else None
        return names


def _nearest(name: str, names: Sequence[str]) -> str:
    near = difflib.get_close_matches(name, list(dict.fromkeys(names)), n=1)
    return f"; did you mean {near[0]!r}?" if near else ""


#: argument kinds whose values are sizes or counts, so whole numbers
_WHOLE_KINDS = ("size", "count", "size?", "sizes", "sizes?", "counts", "padding")


def _whole(layer: Any, where: Where) -> list[Check]:
    """A size or count written as an expression that divides (``(k - 1)/2``) must come out a whole
    number: a condition that waits for the symbols' values."""
    checks = []
    for spec_field in dataclasses.fields(layer):
        if spec_field.metadata.get("kind") not in _WHOLE_KINDS:
            continue
        value = getattr(layer, spec_field.name)
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, sympy.Expr) and item.free_symbols and item.is_integer is not True:
                checks.append(
                    Check(
                        where,
                        spec_field.name,
                        sympy.Eq(sympy.Mod(item, 1), 0),
                        f"`{spec_field.name}` = {item} must be a whole number",
                    )
                )
    return checks
