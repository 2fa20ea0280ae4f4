"""Composition: a normalized spec becomes rows — inputs, ``from`` edges, blocks, repeats, shares.

One walk over the spec, in its order, with blocks unrolled where they are used. Every layer is
bound to the tensors it reads (the previous entry's by default, or what ``from`` names); a block
use expands the block's layers under a qualified prefix (``layer1.0.conv1``, as PyTorch names
modules); ``shares`` binds an earlier layer (or block) again with its weights, so the row has no
parameters of its own. Checks that wait for symbols are collected, and a check that fails now
raises at once. Nothing here renders, solves or simplifies.

Input limits (named, documented in ``docs/spec.md``): :data:`MAX_ROWS` rows after unrolling,
:data:`MAX_BLOCK_NESTING` block uses inside each other.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy

from .errors import ParseError, ShapeError, SpecError
from .layers import Check, Row, Tensor, Where, lookup
from .layers.base import ONE, ZERO, Expr, _Coercer, format_shape
from .parse import parse_expression
from .quantities import QUANTITIES
from .symbols import user_symbol

__all__ = ["MAX_BLOCK_NESTING", "MAX_ROWS", "Built", "Group", "compose"]

#: rows a network may have once every numeric ``repeat`` is unrolled
MAX_ROWS = 100_000
#: block uses nested inside each other (a block that uses a block that uses a block...)
MAX_BLOCK_NESTING = 32
#: keys of a layer entry that are not the layer's own arguments
ENTRY_KEYS = ("type", "name", "from")
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
    if isinstance(value, _Arg):
        return repr(value.raw) if isinstance(value.raw, str) else str(value.raw)
    if isinstance(value, list):
        return "[" + ", ".join(_shown(item) for item in value) + "]"
    return repr(value) if isinstance(value, str) else str(value)


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


def compose(spec: Mapping[str, Any], table: dict[str, Expr]) -> Built:
    """Walk a normalized spec (see :func:`symcnn.spec.normalize`); ``table`` holds the symbols'
    values given so far and receives the spec's new symbols."""
    return _Composer(spec, table).run()


class _Composer:
    def __init__(self, spec: Mapping[str, Any], table: dict[str, Expr]):
        self.spec = spec
        self.symbols = table
        self.layout: str = spec["layout"]
        self.blocks: Mapping[str, Any] = spec.get("blocks") or {}
        self.rows: list[Row] = []
        self.groups: list[Group] = []
        self.pending: list[Check] = []
        self.names: dict[str, str] = {}  # qualified name -> where it was given

    # -- the walk

    def run(self) -> Built:
        inputs: dict[str, tuple[Expr, ...]] = {}
        entries: list[_Entry] = []
        for name, sizes in self.spec["inputs"].items():
            where = Where(0, "input", "input")
            label = "input" if name == "input" else f"inputs.{name}"
            coercer = _Coercer(where, label, sizes, self.symbols)  # type: ignore[arg-type]
            shape = tuple(coercer.number(size, 1) for size in sizes)
            for size in shape:
                if size.free_symbols and size.is_integer is not True:
                    message = f"`{label}` size {size} must be a whole number"
                    check = Check(where, label, sympy.Eq(sympy.Mod(size, 1), 0), message)
                    self.keep([check])
            inputs[name] = shape
            entries.append(_Entry(name, Tensor(shape, self.layout)))
            self.names[name] = f"the input {name!r}"
        top = _Scope("", _Table({}, self.symbols, "network"), [entries[0]])
        top.local.update({entry.name: entry for entry in entries})
        output = self.walk(self.spec["layers"], top, self.spec.get("output"), top_level=True)
        return Built(inputs, self.rows, self.groups, self.pending, output.name, output.tensor.shape)

    def walk(
        self, layers: Sequence[Any], scope: _Scope, output: Any, top_level: bool = False
    ) -> _Entry:
        """Walk one list of layers in ``scope``; the entry that ``output`` names (or the last)."""
        for position, raw in enumerate(layers):
            name = raw.get("name")
            if name is not None:
                scope.later.setdefault(str(name), position)
        for position, raw in enumerate(layers):
            if top_level:
                scope.index = position
            name = raw.get("name")
            if name is not None:
                scope.later.pop(str(name), None)
            if "block" in raw:
                entry, local = self.use(raw, scope)
            elif "shares" in raw:
                entry, local = self.share(raw, scope)
            else:
                entry, local = self.layer(raw, scope)
            scope.order.append(entry)
            scope.local[local] = entry
        if output is None:
            return scope.order[-1]
        found = scope.order[0] if output == "input" and scope.depth else scope.find(str(output))
        if found is None:
            raise SpecError(
                f"`output` = {output!r} names no layer{_nearest(str(output), scope.known())}",
                field="output",
            )
        return found

    # -- one layer

    def claim(self, scope: _Scope, local: str, where: Where) -> str:
        """The qualified name of a new entry; names are unique in the network."""
        if local == "input" or (scope.prefix == "" and local in self.spec["inputs"]):
            raise SpecError(
                f"`name` = {local!r} is the name of an input; choose another",
                where=where,
                field="name",
            )
        qualified = scope.prefix + local
        if qualified in self.names:
            raise SpecError(
                f"`name` = {qualified!r} is already the name of {self.names[qualified]}; names "
                "are unique in a network",
                where=where,
                field="name",
            )
        self.names[qualified] = str(where)
        return qualified

    def layer(self, raw: Mapping[str, Any], scope: _Scope) -> tuple[_Entry, str]:
        where = Where(scope.index, scope.prefix + str(raw.get("name", "")), str(raw.get("type")))
        layer_class = lookup(raw.get("type"), where)
        local = raw.get("name")
        local = scope.default_name(layer_class.torch_name) if local is None else str(local)
        where = Where(scope.index, scope.prefix + local, layer_class.torch_name)
        qualified = self.claim(scope, local, where)
        arguments = {
            key: self.argument(layer_class, key, value, scope)
            for key, value in raw.items()
            if key not in ENTRY_KEYS
        }
        sources = self.sources(raw.get("from"), scope, where)
        layer = layer_class.from_spec(where, arguments, scope.table)  # type: ignore[arg-type]
        row, checks = layer.bind_inputs([source.tensor for source in sources], where)
        checks = [*_whole(layer, where), *checks]
        row = self.place(row, qualified, sources, scope)
        if scope.shares is not None:
            original = scope.shares + qualified[len(scope.prefix) :]
            row = self.shared_row(row, self.row_named(original, where), where, checks)
        self.keep(checks)
        return self.add_row(row, where), local

    def argument(self, layer_class: type, key: str, value: Any, scope: _Scope) -> Any:
        """A field's value in a block: an argument's name alone is replaced by its value (a word
        stays a word for the fields that take words); expressions are read with the table."""
        if isinstance(value, list):
            return [self.argument(layer_class, key, item, scope) for item in value]
        if not isinstance(value, str) or value.strip() not in scope.table.args:
            return value
        arg = scope.table.args[value.strip()]
        if isinstance(arg, list):
            return [self.argument(layer_class, key, item, scope) for item in arg]
        if not isinstance(arg, _Arg):
            return arg
        fields = layer_class.arguments()  # type: ignore[attr-defined]
        kind = fields[key].metadata.get("kind") if key in fields else None
        word = isinstance(arg.raw, str) and arg.raw.strip().lower() in ("same", "valid")
        if arg.expr is None or kind == "text" or word:
            return arg.raw
        return arg.expr

    def place(self, row: Row, qualified: str, sources: Sequence[_Entry], scope: _Scope) -> Row:
        return dataclasses.replace(
            row,
            index=len(self.rows),
            name=qualified,
            inputs=tuple(source.name for source in sources),
            input_shapes=tuple(source.tensor.shape for source in sources),
            multiplicity=scope.multiplicity,
            depth=scope.depth,
        )

    def add_row(self, row: Row, where: Where) -> _Entry:
        if len(self.rows) >= MAX_ROWS:
            raise SpecError(
                f"the network has more than {MAX_ROWS:,} layers once its blocks are unrolled; "
                "use a symbolic `repeat` for long stacks of one block",
                where=where,
                field="repeat",
            )
        self.rows.append(row)
        return _Entry(row.name, Tensor(row.output_shape, self.layout), row=row.index)

    def keep(self, checks: Sequence[Check]) -> None:
        for check in checks:
            verdict = check.condition
            if verdict == sympy.false:
                raise check.fail()
            if verdict != sympy.true:
                self.pending.append(check)

    def row_named(self, name: str, where: Where) -> Row:
        for row in self.rows:
            if row.name == name:
                return row
        raise SpecError(f"shares {name!r}, which has no row", where=where, field="shares")

    # -- inputs of an entry

    def sources(self, raw: Any, scope: _Scope, where: Where) -> list[_Entry]:
        if raw is None:
            return [scope.order[-1]]
        items = raw if isinstance(raw, list) else [raw]
        if not items:
            raise SpecError("`from` = []: name at least one input", where=where, field="from")
        return [self.source(item, scope, where) for item in items]

    def source(self, item: Any, scope: _Scope, where: Where) -> _Entry:
        if isinstance(item, int) and not isinstance(item, bool):
            if item >= 0:
                raise SpecError(
                    f"`from` = {item}: an entry is named, or counted back with a negative "
                    "integer (-1 = the previous entry)",
                    where=where,
                    field="from",
                )
            if -item > len(scope.order):
                raise SpecError(
                    f"`from` = {item} reaches before the first entry (there are "
                    f"{len(scope.order)} before this one, the input included)",
                    where=where,
                    field="from",
                )
            return scope.order[item]
        if not isinstance(item, str):
            raise SpecError(
                f"`from` = {_shown(item)}: must be a name, a negative integer or a list of these",
                where=where,
                field="from",
            )
        if item == "input" and scope.depth:
            return scope.order[0]  # the block's input
        found = scope.find(item)
        if found is not None:
            return found
        if item in scope.later:
            raise SpecError(
                f"`from` = {item!r} names a later entry (position {scope.later[item]}); a layer "
                "reads only what comes before it",
                where=where,
                field="from",
            )
        raise SpecError(
            f"`from` = {item!r} names no earlier entry{_nearest(item, [*scope.known(), 'input'])}",
            where=where,
            field="from",
        )

    # -- blocks

    def use(self, raw: Mapping[str, Any], scope: _Scope) -> tuple[_Entry, str]:
        block = raw["block"]
        if isinstance(block, Mapping):
            label, definition, inline = "block", block, True
        else:
            label, inline = str(block), False
            if block not in self.blocks:
                where = Where(scope.index, scope.prefix + str(raw.get("name", "")), "block")
                raise SpecError(
                    f"unknown block {block!r}{_nearest(str(block), list(self.blocks))} "
                    f"(blocks: {', '.join(self.blocks) or 'none'})",
                    where=where,
                    field="block",
                )
            definition = self.blocks[block]
        local = raw.get("name")
        local = scope.default_name(label) if local is None else str(local)
        where = Where(scope.index, scope.prefix + local, f"block {label}")
        if not inline and label in scope.stack:
            chain = " → ".join([*scope.stack[scope.stack.index(label) :], label])
            raise SpecError(f"block {label!r} uses itself ({chain})", where=where, field="block")
        if len(scope.stack) >= MAX_BLOCK_NESTING:
            raise SpecError(
                f"blocks are nested more than {MAX_BLOCK_NESTING} deep", where=where, field="block"
            )
        qualified = self.claim(scope, local, where)
        args = self.block_args(definition, raw, scope, where, label, inline)
        repeat = self.repeat(raw.get("repeat"), scope, where)
        source = self.sources(raw.get("from"), scope, where)
        if len(source) != 1:
            raise SpecError(
                f"a block reads one input, but `from` lists {len(source)}",
                where=where,
                field="from",
            )
        stack = scope.stack if inline else (*scope.stack, label)
        use = _Use(definition, label, args, repeat, qualified + ".", stack)
        # a block used inside a block that is applied again shares the first application's
        shares = (
            None if scope.shares is None else f"{scope.shares}{qualified[len(scope.prefix) :]}."
        )
        entry = self.expand(use, source[0], scope, where, shares=shares)
        return dataclasses.replace(entry, use=use), local

    def expand(
        self, use: _Use, source: _Entry, scope: _Scope, where: Where, shares: str | None
    ) -> _Entry:
        """Unroll one block use (every repetition) under ``use.prefix``; its output entry."""
        prefix = use.prefix
        name = prefix[:-1]
        start = len(self.rows)
        group_index = len(self.groups)
        self.groups.append(None)  # type: ignore[arg-type]  # filled in below, in order
        repeat = use.repeat
        if repeat is None or not isinstance(repeat, int):
            multiplicity = scope.multiplicity * (ONE if repeat is None else repeat)
            out = self.instance(use, prefix, source, scope, multiplicity, shares, scope.depth + 1)
            if repeat is not None:
                self.same_shape(source.tensor.shape, out.tensor.shape, where, repeat)
        else:
            out = source
            for copy in range(repeat):
                inner_start = len(self.rows)
                inner_group = len(self.groups)
                self.groups.append(None)  # type: ignore[arg-type]
                inner_shares = None if shares is None else f"{shares}{copy}."
                x = out
                out = self.instance(
                    use,
                    f"{prefix}{copy}.",
                    x,
                    scope,
                    scope.multiplicity,
                    inner_shares,
                    scope.depth + 2,
                )
                self.groups[inner_group] = Group(
                    f"{prefix}{copy}",
                    use.label,
                    scope.depth + 1,
                    inner_start,
                    len(self.rows),
                    x.tensor.shape,
                    out.tensor.shape,
                    multiplicity=scope.multiplicity,
                    shares=None if shares is None else f"{shares}{copy}",
                )
        symbolic = repeat if repeat is not None and not isinstance(repeat, int) else None
        self.groups[group_index] = Group(
            name,
            use.label if repeat is None or symbolic is not None else f"{use.label} ×{repeat}",
            scope.depth,
            start,
            len(self.rows),
            source.tensor.shape,
            out.tensor.shape,
            repeat=symbolic,
            multiplicity=scope.multiplicity * (ONE if symbolic is None else symbolic),
            shares=None if shares is None else shares[:-1],
        )
        return _Entry(out.name, out.tensor, row=out.row)

    def instance(
        self,
        use: _Use,
        prefix: str,
        source: _Entry,
        scope: _Scope,
        multiplicity: Expr,
        shares: str | None,
        depth: int,
    ) -> _Entry:
        child = _Scope(
            prefix,
            _Table(use.args, self.symbols, use.label),
            [source],
            parent=scope,
            inline=use.label == "block",
            index=scope.index,
            depth=depth,
            multiplicity=multiplicity,
            stack=use.stack,
            shares=shares,
        )
        return self.walk(use.block["layers"], child, use.block.get("output"))

    def same_shape(
        self, before: tuple[Expr, ...], after: tuple[Expr, ...], where: Where, repeat: Expr
    ) -> None:
        message = (
            f"`repeat` = {repeat} needs a block that keeps its input's shape, but it maps "
            f"{format_shape(before)} to {format_shape(after)}; give a number to unroll it"
        )
        if len(before) != len(after):
            raise ShapeError(message, where=where, field="repeat")
        for a, b in zip(before, after, strict=True):
            if a != b:
                self.keep([Check(where, "repeat", sympy.Eq(a, b), message, ShapeError)])
        self.keep(
            [Check(where, "repeat", sympy.Ge(repeat, 1), f"`repeat` = {repeat} must be >= 1")]
        )

    def repeat(self, raw: Any, scope: _Scope, where: Where) -> Expr | int | None:
        if raw is None:
            return None
        value = self.value(raw, scope, where, "repeat")
        expr = value.expr if isinstance(value, _Arg) else value
        if isinstance(expr, bool) or not isinstance(expr, int | sympy.Expr):
            raise SpecError(
                f"`repeat` = {_shown(raw)}: must be a positive integer or an expression",
                where=where,
                field="repeat",
            )
        expr = sympy.Integer(expr) if isinstance(expr, int) else expr
        if expr.is_number:
            if not expr.is_integer or expr < 1:
                raise SpecError(
                    f"`repeat` = {_shown(raw)}: must be a positive integer",
                    where=where,
                    field="repeat",
                )
            return int(expr)
        return expr

    def block_args(
        self,
        definition: Mapping[str, Any],
        raw: Mapping[str, Any],
        scope: _Scope,
        where: Where,
        label: str,
        inline: bool,
    ) -> dict[str, Any]:
        declared = dict(definition.get("args") or {})
        given = {key: value for key, value in raw.items() if key not in USE_KEYS}
        args: dict[str, Any] = dict(scope.table.args) if inline else {}
        for key in given:
            if key not in declared:
                valid = ", ".join(declared) or "none"
                raise SpecError(
                    f"block {label!r} has no argument `{key}`{_nearest(key, list(declared))} "
                    f"(its arguments: {valid})",
                    where=where,
                    field=key,
                )
        for key, default in declared.items():
            value = given.get(key, default)
            if value is None:
                raise SpecError(
                    f"block {label!r} needs argument `{key}` (it has no default)",
                    where=where,
                    field=key,
                )
            args[key] = self.value(value, scope, where, key)
        return args

    def value(self, raw: Any, scope: _Scope, where: Where, key: str) -> Any:
        """A block argument's value, read where the block is used."""
        if isinstance(raw, list):
            return [self.value(item, scope, where, key) for item in raw]
        if isinstance(raw, bool | int | float) or raw is None:
            return raw
        if not isinstance(raw, str):
            raise SpecError(
                f"`{key}` = {_shown(raw)}: must be a number, an expression or a list",
                where=where,
                field=key,
            )
        text = raw.strip()
        if text in scope.table.args:
            return scope.table.args[text]
        table = scope.table

        def symbol(name: str) -> Expr:
            found = table.get(name)
            if found is None:
                found = self.symbols[name] = user_symbol(name)
            return found

        try:
            return _Arg(raw, parse_expression(text, symbol))
        except (ParseError, SpecError):
            return _Arg(raw, None)  # a word (a mode, an activation's name...)

    # -- shared weights

    def share(self, raw: Mapping[str, Any], scope: _Scope) -> tuple[_Entry, str]:
        target = raw["shares"]
        local = raw.get("name")
        where = Where(scope.index, scope.prefix + str(local or ""), "shares")
        extra = [key for key in raw if key not in ("shares", "name", "from")]
        if extra:
            raise SpecError(
                f"`shares` takes only `name` and `from`, not `{extra[0]}`: the shared layer's "
                "arguments are its own",
                where=where,
                field=extra[0],
            )
        found = scope.find(str(target)) if isinstance(target, str) else None
        if found is None or (found.row is None and found.use is None):
            raise SpecError(
                f"`shares` = {target!r} names no earlier layer or block"
                f"{_nearest(str(target), scope.known())}",
                where=where,
                field="shares",
            )
        sources = self.sources(raw.get("from"), scope, where)
        if found.use is not None:
            use = found.use
            local = scope.default_name(use.label) if local is None else str(local)
            where = Where(scope.index, scope.prefix + local, f"block {use.label}")
            qualified = self.claim(scope, local, where)
            if len(sources) != 1:
                raise SpecError("a block reads one input", where=where, field="from")
            again = dataclasses.replace(use, prefix=qualified + ".")
            entry = self.expand(again, sources[0], scope, where, shares=use.prefix)
            return dataclasses.replace(entry, use=again), local
        assert found.row is not None
        original = self.rows[found.row]
        local = scope.default_name(original.type) if local is None else str(local)
        where = Where(scope.index, scope.prefix + local, original.type)
        qualified = self.claim(scope, local, where)
        row, checks = original.layer.bind_inputs([s.tensor for s in sources], where)
        row = self.place(row, qualified, sources, scope)
        row = self.shared_row(row, original, where, checks)
        self.keep(checks)
        return self.add_row(row, where), local

    def shared_row(self, row: Row, original: Row, where: Where, checks: list[Check]) -> Row:
        """``row`` applying ``original``'s weights: it must need the same weights (the input
        fits), and it has no parameters or buffers of its own."""
        if original.shares is not None:
            original = self.row_named(original.shares, where)
        # what the weights are counts once; what each application does (costs) counts each time
        owned = [
            name
            for name in ("params", "buffers", *row.extra)
            if name in QUANTITIES and not QUANTITIES[name].per_application
        ]
        for quantity in owned:
            mine, theirs = getattr(row, quantity), getattr(original, quantity)
            if mine == theirs:
                continue
            message = (
                f"shares {original.name!r}, whose weights were made for an input of shape "
                f"{format_shape(original.input_shape)}; this input of shape "
                f"{format_shape(row.input_shape)} would need {mine} {quantity}, not {theirs}"
            )
            checks.append(Check(where, "shares", sympy.Eq(mine, theirs), message, ShapeError))
        extra = {name: ZERO if name in owned else value for name, value in row.extra.items()}
        return dataclasses.replace(
            row, params=ZERO, buffers=ZERO, extra=extra, shares=original.name
        )


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


def _nearest(name: str, names: Sequence[str]) -> str:
    near = difflib.get_close_matches(name, list(dict.fromkeys(names)), n=1)
    return f"; did you mean {near[0]!r}?" if near else ""


def rows_of(rows: Sequence[Row], group: Group) -> Iterator[Row]:
    return iter(rows[group.start : group.stop])
