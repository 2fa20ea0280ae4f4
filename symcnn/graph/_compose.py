"""Composition: a normalized spec becomes rows — inputs, ``from`` edges, blocks, repeats, shares.

One walk over the spec, in its order, with blocks unrolled where they are used. Every layer is
bound to the tensors it reads (the previous entry's by default, or what ``from`` names); a block
use expands the block's layers under a qualified prefix (``layer1.0.conv1``, as PyTorch names
modules); ``shares`` binds an earlier layer (or block) again with its weights, so the row has no
parameters of its own. Checks that wait for symbols are collected, and a check that fails now
raises at once. Nothing here renders, solves or simplifies.

Input limits (in :mod:`symcnn.limits`, documented in ``docs/limits.md``): ``MAX_ROWS`` rows
after unrolling, ``MAX_BLOCK_NESTING`` block uses inside each other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import sympy

import symcnn.limits as limits

from ..errors import SpecError
from ..layers import Check, Row, Tensor, Where, keras_arguments, resolve
from ..layers.base import DTYPES, LAYER_OUTPUT_DTYPE, Expr, _Coercer
from ..limits import how_to_raise
from ._blocks import _Blocks, freeze
from ._scope import (
    ENTRY_KEYS,
    Built,
    Group,
    _Arg,
    _Entry,
    _nearest,
    _Scope,
    _shown,
    _Table,
    _whole,
)


def compose(spec: Mapping[str, Any], table: dict[str, Expr]) -> Built:
    """Walk a normalized spec (see :func:`symcnn.spec.normalize`); ``table`` holds the symbols'
    values given so far and receives the spec's new symbols."""
    return _Composer(spec, table).run()


def _declared(declared: Any, label: str) -> tuple[Sequence[Any], str | None]:
    """An input's sizes and canonical dtype (``None``: not declared) from its normalized form."""
    if not isinstance(declared, Mapping):
        return declared, None
    raw = declared["dtype"]
    dtype = DTYPES.get(raw.strip().lower().removeprefix("torch."))
    if dtype is None:
        raise SpecError(
            f"`{label}.dtype` = {raw!r}: not a dtype (valid: {', '.join(DTYPES)})",
            field=f"{label}.dtype",
        )
    return declared["shape"], dtype


class _Composer(_Blocks):
    def __init__(self, spec: Mapping[str, Any], table: dict[str, Expr]):
        self.spec = spec
        self.symbols = table
        self.layout: str = spec["layout"]
        #: whose names and counts: ``torch`` or ``keras`` (every layer counts under it)
        self.convention: str = spec.get("convention", "torch")
        self.blocks: Mapping[str, Any] = spec.get("blocks") or {}
        self.rows: list[Row] = []
        self.groups: list[Group] = []
        self.pending: list[Check] = []
        self.names: dict[str, str] = {}  # qualified name -> where it was given
        #: every entry made so far by qualified name, so that `from`, `shares` and `output` may
        #: name a layer inside an earlier block (`layer1.0.conv1`, or `conv1` inside `layer1.0`)
        self.made: dict[str, _Entry] = {}
        #: the qualified names of the layers whose weights are frozen (``trainable: false``)
        self.frozen: set[str] = set()

    # -- the walk

    def run(self) -> Built:
        inputs: dict[str, tuple[Expr, ...]] = {}
        entries: list[_Entry] = []
        for name, declared in self.spec["inputs"].items():
            where = Where(0, "input", "input")
            label = "input" if name == "input" else f"inputs.{name}"
            sizes, dtype = _declared(declared, label)
            coercer = _Coercer(where, label, sizes, self.symbols)  # type: ignore[arg-type]
            shape = tuple(coercer.number(size, 1) for size in sizes)
            for size in shape:
                if size.free_symbols and size.is_integer is not True:
                    message = f"`{label}` size {size} must be a whole number"
                    check = Check(where, label, sympy.Eq(sympy.Mod(size, 1), 0), message)
                    self.keep([check])
            inputs[name] = shape
            entries.append(_Entry(name, Tensor(shape, self.layout, dtype)))
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
        found = (
            scope.order[0] if output == "input" and scope.depth else self.find(str(output), scope)
        )
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
        layer_class, face = resolve(raw.get("type"), self.convention, where)
        shown = layer_class.torch_name if face is None else face.name
        local = raw.get("name")
        local = scope.default_name(shown) if local is None else str(local)
        where = Where(scope.index, scope.prefix + local, shown)
        qualified = self.claim(scope, local, where)
        keywords = {key: value for key, value in raw.items() if key not in ENTRY_KEYS}
        if face is not None and face.expand is not None:  # a wrapper: Keras's Bidirectional
            face, keywords = face.expand(keywords, where)
            layer_class = face.layer
        arguments = keras_arguments(
            layer_class,
            face,
            keywords,
            lambda target, value: self.argument(layer_class, target, value, scope),
            where,
        )
        sources = self.sources(raw.get("from"), scope, where, reads=layer_class.arity != 0)
        layer = layer_class.from_spec(
            where, arguments, scope.table, self.convention  # type: ignore[arg-type]
        )
        frozen = self.frozen_entry(raw, qualified, where)
        expansion = layer.expansion([source.tensor for source in sources], where)
        if expansion is not None:
            start = len(self.rows)
            entry = self.composite(expansion, sources, qualified, scope, where)
            if frozen:
                self.rows[start:] = [freeze(row) for row in self.rows[start:]]
            return entry, local
        row, checks = layer.bind_inputs([source.tensor for source in sources], where)
        if face is not None:
            row = dataclasses.replace(row, type=face.name)
        if frozen:
            row = freeze(row)
        checks = [*_whole(layer, where), *checks]
        row = self.place(row, qualified, sources, scope)
        if scope.shares is not None:
            original = scope.shares + qualified[len(scope.prefix) :]
            row = self.shared_row(row, self.row_named(original, where), where, checks)
        self.keep(checks)
        return self.add_row(row, where), local

    def frozen_entry(self, raw: Mapping[str, Any], qualified: str, where: Where) -> bool:
        """Whether the entry says ``trainable: false`` (Keras's frozen layer: all its weights
        are non-trainable parameters); only the keras convention splits the parameters."""
        trainable = raw.get("trainable", True)
        if not isinstance(trainable, bool):
            raise SpecError(
                f"`trainable` = {trainable!r}: must be true or false",
                where=where,
                field="trainable",
            )
        if not trainable and self.convention != "keras":
            raise SpecError(
                "`trainable: false` is Keras's frozen layer; give the spec `convention: keras` "
                "(under torch every parameter counts as trainable)",
                where=where,
                field="trainable",
            )
        if not trainable:
            self.frozen.add(qualified)
        return not trainable

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
        if len(self.rows) >= limits.MAX_ROWS:
            raise SpecError(
                f"the network has more than {limits.MAX_ROWS:,} layers once its blocks are "
                "unrolled; use a symbolic `repeat` for long stacks of one block "
                + how_to_raise("MAX_ROWS"),
                where=where,
                field="repeat",
            )
        self.rows.append(row)
        tensor = Tensor(row.output_shape, self.layout, LAYER_OUTPUT_DTYPE)
        entry = _Entry(row.name, tensor, row=row.index)
        self.made[row.name] = entry
        return entry

    def find(self, name: str, scope: _Scope) -> _Entry | None:
        """The entry ``name`` means in ``scope``: a local name (or, in an inline block, an
        enclosing one), else a qualified name, relative to the scope's prefix or absolute."""
        found = scope.find(name)
        if found is None:
            found = self.made.get(scope.prefix + name) or self.made.get(name)
        return found

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

    def sources(self, raw: Any, scope: _Scope, where: Where, reads: bool = True) -> list[_Entry]:
        """The entries ``from`` names (by default the previous one); none for a layer that
        ``reads`` no input (a source such as a learnable tensor), which may not name any."""
        if not reads:
            if raw is not None:
                raise SpecError(
                    f"`from` = {_shown(raw)}: a {where.type} reads no input (it is a source); "
                    "remove `from` and name it in the `from` of the merge that uses it",
                    where=where,
                    field="from",
                )
            return []
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
        found = self.find(item, scope)
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
