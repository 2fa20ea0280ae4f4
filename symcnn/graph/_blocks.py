"""Blocks and shared weights: a block use unrolled under its prefix (every numeric repetition,
or once for a symbolic ``repeat``), its arguments read where it is used, and ``shares`` applying
an earlier layer or block again with its weights."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import sympy

import symcnn.limits as limits

from ..errors import ParseError, ShapeError, SpecError
from ..layers import Check, Row, Where
from ..layers.base import ONE, ZERO, Expansion, Expr, format_shape
from ..limits import how_to_raise
from ..parse import parse_expression
from ..quantities import QUANTITIES
from ..symbols import user_symbol
from ._scope import (
    USE_KEYS,
    Group,
    _Arg,
    _Entry,
    _nearest,
    _Scope,
    _shown,
    _Table,
    _Use,
)


class _Blocks:
    """The composer's block and sharing steps (mixed into :class:`._compose._Composer`)."""

    # provided by the composer
    rows: list[Row]
    groups: list[Group]
    symbols: dict[str, Expr]
    blocks: Mapping[str, Any]

    made: dict[str, _Entry]
    frozen: set[str]

    def walk(self, layers: Sequence[Any], scope: _Scope, output: Any) -> _Entry:
        raise NotImplementedError

    def find(self, name: str, scope: _Scope) -> _Entry | None:
        raise NotImplementedError

    def claim(self, scope: _Scope, local: str, where: Where) -> str:
        raise NotImplementedError

    def sources(self, raw: Any, scope: _Scope, where: Where, reads: bool = True) -> list[_Entry]:
        raise NotImplementedError

    def place(self, row: Row, qualified: str, sources: Sequence[_Entry], scope: _Scope) -> Row:
        raise NotImplementedError

    def keep(self, checks: Sequence[Check]) -> None:
        raise NotImplementedError

    def add_row(self, row: Row, where: Where) -> _Entry:
        raise NotImplementedError

    def row_named(self, name: str, where: Where) -> Row:
        raise NotImplementedError

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
        if len(scope.stack) >= limits.MAX_BLOCK_NESTING:
            raise SpecError(
                f"blocks are nested more than {limits.MAX_BLOCK_NESTING} deep "
                + how_to_raise("MAX_BLOCK_NESTING"),
                where=where,
                field="block",
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
        entry = dataclasses.replace(entry, use=use)
        self.made[qualified] = entry
        return entry, local

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

    # -- composite layers

    def composite(
        self,
        expansion: Expansion,
        sources: Sequence[_Entry],
        qualified: str,
        scope: _Scope,
        where: Where,
    ) -> _Entry:
        """A composite layer (``TransformerEncoderLayer``...) walked as an inline block of its
        inner layers under its own name, as PyTorch names its submodules (``enc.self_attn``);
        its group shows it as one row at its depth."""
        self.keep(expansion.checks)
        start = len(self.rows)
        group_index = len(self.groups)
        self.groups.append(None)  # type: ignore[arg-type]  # filled in below, in order
        shares = (
            None if scope.shares is None else f"{scope.shares}{qualified[len(scope.prefix) :]}."
        )
        child = _Scope(
            qualified + ".",
            _Table({}, self.symbols, where.type),
            [sources[0]],
            index=scope.index,
            depth=scope.depth + 1,
            multiplicity=scope.multiplicity,
            stack=scope.stack,
            shares=shares,
        )
        child.local.update({name: sources[position] for name, position in expansion.inputs.items()})
        out = self.walk(expansion.entries, child, expansion.output)
        self.groups[group_index] = Group(
            qualified,
            where.type,
            scope.depth,
            start,
            len(self.rows),
            sources[0].tensor.shape,
            out.tensor.shape,
            multiplicity=scope.multiplicity,
            shares=None if shares is None else shares[:-1],
        )
        entry = _Entry(out.name, out.tensor, row=out.row)
        self.made[qualified] = entry
        return entry

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
        found = self.find(str(target), scope) if isinstance(target, str) else None
        if found is None or (found.row is None and found.use is None):
            raise SpecError(
                f"`shares` = {target!r} names no earlier layer or block"
                f"{_nearest(str(target), scope.known())}",
                where=where,
                field="shares",
            )
        # applying a learnable tensor again (a source) reads no input either
        reads = found.row is None or found.use is not None or self.rows[found.row].layer.arity != 0
        sources = self.sources(raw.get("from"), scope, where, reads=reads)
        if found.use is not None:
            use = found.use
            local = scope.default_name(use.label) if local is None else str(local)
            where = Where(scope.index, scope.prefix + local, f"block {use.label}")
            qualified = self.claim(scope, local, where)
            if len(sources) != 1:
                raise SpecError("a block reads one input", where=where, field="from")
            again = dataclasses.replace(use, prefix=qualified + ".")
            entry = self.expand(again, sources[0], scope, where, shares=use.prefix)
            entry = dataclasses.replace(entry, use=again)
            self.made[qualified] = entry
            return entry, local
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
        if original.name in self.frozen:  # a frozen layer's weights are frozen at every call
            row = freeze(row)
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


def freeze(row: Row) -> Row:
    """``row`` with all its parameters non-trainable (Keras's ``trainable = False``)."""
    return dataclasses.replace(row, extra={**row.extra, "non_trainable": row.params})
