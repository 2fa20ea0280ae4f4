"""Reading the question: '?' in specs, bounds, and targets and conditions as constraints.

The first stage of the solver (:mod:`._solver`): the targets are read, the given values
substituted into every formula in one memoized pass, the unknowns chosen, and every target axis
and validity condition turned into a :class:`_Constraint` with a domain for each unknown.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy
from sympy import Expr

from ..errors import SolveError, SymcnnError
from ..evaluate import Exact, exact, substitute
from ..layers import Check
from ..network import Network
from ..parse import parse_expression
from ..references import network_quantity, parse_number_text, values_table
from ..spec import normalize, read_spec
from ._integers import Depends, IntRange, IntSet, Polynomial, holds
from ._marks import mark_unknowns
from ._result import Step
from ._targets import Target, parse_target, target_from_relational, target_from_value

__all__ = ["mark_unknowns", "parse_bounds"]

_RELATIONAL = {sympy.Eq: "==", sympy.Ge: ">=", sympy.Gt: ">", sympy.Le: "<=", sympy.Lt: "<"}


def _network(source: Any) -> tuple[Network, tuple[str, ...]]:
    if isinstance(source, Network):
        return source, ()
    document, marks = mark_unknowns(read_spec(source))
    return Network.build(normalize(document)), marks


# ------------------------------------------------------------------------------ constraints


@dataclass
class _Constraint:
    """``lhs ⋈ rhs`` with the given values in; or a validity condition as a predicate."""

    label: str
    lhs: Expr
    relation: str
    rhs: Expr
    target: Target | None = None
    check: Check | None = None
    predicate: sympy.Basic | None = None
    #: the two sides before the given values (for the derivation)
    symbolic: tuple[Expr, Expr] | None = None
    #: the two sides as shown "with numbers", when ``lhs`` and ``rhs`` are reduced (a check whose
    #: other symbols cancel is solved as ``2*z - 2 == 0`` but shown as ``H + 2*z - 2 = H``)
    shown: tuple[Expr, Expr] | None = None
    symbols: frozenset[sympy.Symbol] = frozenset()
    expr: Expr = field(init=False)

    def __post_init__(self) -> None:
        self.expr = self.lhs - self.rhs if self.predicate is None else sympy.S.Zero
        source = self.expr if self.predicate is None else self.predicate
        self.symbols = frozenset(s for s in source.free_symbols if isinstance(s, sympy.Symbol))

    def holds_at(self, point: Mapping[sympy.Symbol, int]) -> bool:
        try:
            if self.predicate is not None:
                return bool(exact(self.predicate, point))
            return holds(exact(self.expr, point), self.relation)
        except (ArithmeticError, ZeroDivisionError, TypeError):
            return False

    def __str__(self) -> str:
        if self.predicate is not None:
            return sympy.sstr(self.predicate)
        return f"{sympy.sstr(self.lhs)} {self.relation} {sympy.sstr(self.rhs)}"


@dataclass
class _Solved:
    """One constraint solved alone for one unknown."""

    values: IntSet
    complete: bool
    method: str
    polynomial: Polynomial | None = None
    way: int | None = None
    searched: IntSet | None = None
    points: int = 0


def parse_bounds(raw: Any, name: str) -> tuple[int | None, int | None]:
    """Bounds as ``(low, high)``: a pair, a ``range`` (step 1) or text ``LOW..HIGH`` (either end
    may be left out: ``..64``, ``8..``).

    >>> parse_bounds("1..512", "k"), parse_bounds((8, None), "k"), parse_bounds(range(1, 65), "k")
    ((1, 512), (8, None), (1, 64))
    """
    if isinstance(raw, range):
        if raw.step != 1 or not raw:
            raise SolveError(f"bounds for {name}: a range must have step 1 and contain a value")
        return raw.start, raw.stop - 1
    if isinstance(raw, str):
        low_text, dots, high_text = raw.partition("..")
        if not dots:
            raise SolveError(f"bounds for {name} = {raw!r}: expected LOW..HIGH, such as 1..512")
        ends: list[int | None] = []
        for part in (low_text.strip(), high_text.strip()):
            if not part:
                ends.append(None)
                continue
            value = parse_expression(parse_number_text(part))
            if not value.is_Integer:
                raise SolveError(f"bounds for {name} = {raw!r}: ends must be integers")
            ends.append(int(value))
        low, high = ends
    elif isinstance(raw, tuple | list) and len(raw) == 2:
        low, high = raw
        for end in (low, high):
            if end is not None and (isinstance(end, bool) or not isinstance(end, int)):
                raise SolveError(f"bounds for {name}: ends must be integers or None, got {end!r}")
    else:
        raise SolveError(
            f"bounds for {name}: expected (low, high), a range or 'LOW..HIGH', got {raw!r}"
        )
    if low is not None and high is not None and high < low:
        raise SolveError(f"bounds for {name}: {low}..{high} is empty")
    return low, high


def _shown(relation: str) -> str:
    return "=" if relation == "==" else relation


def _distinct(constraints: list[_Constraint]) -> list[_Constraint]:
    """Constraints with the same condition kept once (a square input's two axes check alike)."""
    kept: list[_Constraint] = []
    for c in constraints:
        same = next(
            (
                d
                for d in kept
                if (d.relation, d.expr, d.predicate) == (c.relation, c.expr, c.predicate)
            ),
            None,
        )
        if same is None:
            kept.append(c)
        elif c.label not in same.label.split(", "):
            same.label = f"{same.label}, {c.label}"
    return kept


def _whole_symbols(value: Any) -> set[sympy.Symbol]:
    """The symbols that are a layer field's whole value, or the whole value of one of its items."""
    items = value if isinstance(value, tuple | list) else (value,)
    return {item for item in items if isinstance(item, sympy.Symbol)}


def _format_set(symbol: sympy.Symbol, values: IntSet) -> str:
    if not values:
        return f"no {symbol}"
    return f"{symbol} = {', '.join(map(str, values.ranges))}"


# ------------------------------------------------------------------------------ the question


class _Question:
    """The question as constraints: targets, conditions, unknowns and their domains."""

    solved: dict[int, _Solved]

    def __init__(
        self,
        network: Any,
        targets: Sequence[Any],
        equalities: Mapping[str, Any],
        unknowns: Any,
        bounds: Mapping[Any, Any] | None,
        values: Mapping[Any, Any] | None,
        maximize: Any,
        minimize: Any,
        limit: int,
        max_points: int,
        timeout: float,
    ) -> None:
        self.started = time.monotonic()
        self.deadline = self.started + timeout
        self.timeout = timeout
        self.limit = max(1, int(limit))
        self.max_points = int(max_points)
        self.net, marks = _network(network)
        self.given = self._given(values)
        self.targets = [self._target(t) for t in targets]
        self.targets += [target_from_value(self.net, k, v) for k, v in equalities.items()]
        if not self.targets and unknowns is None and not marks:
            raise SolveError(
                "nothing to solve: give a target such as params=3216, or name the unknowns "
                "(--for z, unknowns=['z']) to ask which values make the network valid"
            )
        if maximize is not None and minimize is not None:
            raise SolveError("give either maximize or minimize, not both")
        self.objective: tuple[str, Expr, Expr] | None = None  # (kind, expression, with values)
        if maximize is not None or minimize is not None:
            kind = "max" if maximize is not None else "min"
            raw = maximize if kind == "max" else minimize
            self.objective = (kind, self._objective(raw), sympy.S.Zero)
            self.objective_name = (
                raw.name
                if isinstance(raw, sympy.Symbol)
                else (raw.strip() if isinstance(raw, str) else sympy.sstr(raw))
            )
        self.notes: list[str] = []
        self._substitute_all()
        self.unknowns = self._unknowns(unknowns, marks)
        self._check_free_symbols()
        self.conditions, self.remaining = self._conditions()
        self.constraints = self._target_constraints()
        self.domains = self._domains(bounds)
        #: the ranges searched, reported with the answer (grids: after bounds were derived)
        self.searched = {x: IntRange(d.low or 0, d.high) for x, d in self.domains.items()}
        self.derivation: list[Step] = []
        self.methods: list[str] = []
        self._evaluators: dict[tuple[sympy.Symbol, int], Exact] = {}
        self._depends: dict[sympy.Symbol, Depends] = {}
        self.complete = True

    # -- reading the question

    def _target(self, target: Any) -> Target:
        if isinstance(target, Target):
            return target
        if isinstance(target, sympy.Basic):
            return target_from_relational(self.net, target)
        return parse_target(self.net, target)

    def _objective(self, raw: Any) -> Expr:
        if isinstance(raw, sympy.Basic):
            return raw  # type: ignore[return-value]
        if isinstance(raw, sympy.Symbol | str):
            q = network_quantity(self.net, str(raw))
            if q.is_shape:
                raise SolveError(f"cannot maximize a shape ({q.name}); name one axis")
            return q.values[0]
        raise SolveError(f"the objective must be a quantity or an expression, got {raw!r}")

    def _given(self, values: Mapping[Any, Any] | None) -> dict[sympy.Symbol, Expr]:
        return values_table(self.net, values)

    def _unknown_symbol(self, name: str) -> str:

        known = sorted(self.net.symbols)
        near = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {near[0]}?" if near else ""
        shown = ", ".join(known) or "none: every size in the spec is a number"
        return f"unknown symbol {name}{hint} (this network's symbols: {shown})"

    def _substitute_all(self) -> None:
        """Every formula the question needs, with the given values in, in one memoized pass."""
        exprs: list[Expr] = []
        for target in self.targets:
            for _, lhs, rhs in target.pairs():
                exprs += [lhs, rhs]
        conditions = [check.condition for check in self.net.conditions]
        exprs += conditions
        if self.objective is not None:
            exprs.append(self.objective[1])
        done = substitute(exprs, self.given) if self.given else list(exprs)
        self._pairs: list[tuple[Target, str, Expr, Expr, Expr, Expr]] = []
        position = 0
        for target in self.targets:
            for label, lhs, rhs in target.pairs():
                self._pairs.append((target, label, lhs, rhs, done[position], done[position + 1]))
                position += 2
        self._conditions_done = done[position : position + len(conditions)]
        position += len(conditions)
        if self.objective is not None:
            kind, expr, _ = self.objective
            self.objective = (kind, expr, done[position])

    def _unknowns(self, unknowns: Any, marks: tuple[str, ...]) -> tuple[sympy.Symbol, ...]:
        if unknowns is None:
            names: list[str] = list(marks)
            found: set[sympy.Symbol] = set()
            for *_, lhs, rhs in self._pairs:
                found |= (lhs - rhs).free_symbols
            if self.objective is not None:
                found |= self.objective[2].free_symbols
            order = {name: i for i, name in enumerate(self.net.symbols)}
            names += sorted(
                (s.name for s in found if s.name not in names),
                key=lambda name: (order.get(name, len(order)), name),
            )
            if not names:
                raise SolveError(
                    "nothing to solve for: the targets contain no symbol; write a symbol in the "
                    "spec (out_channels: k) or a '?' where the unknown is"
                )
        else:
            items = [unknowns] if isinstance(unknowns, str | sympy.Symbol) else list(unknowns)
            names = []
            for item in items:
                text = item.name if isinstance(item, sympy.Symbol) else str(item)
                names += [part.strip() for part in text.split(",") if part.strip()]
            if not names:
                raise SolveError("no unknowns given")
        result = []
        for name in names:
            if name not in self.net.symbols:
                raise SolveError(self._unknown_symbol(name))
            symbol = self.net.symbols[name]
            if symbol in self.given:
                raise SolveError(f"{name} is both given a value and asked for")
            if symbol not in result:
                result.append(symbol)
        return tuple(result)

    def _check_free_symbols(self) -> None:
        unknown = set(self.unknowns)
        extra: set[sympy.Symbol] = set()
        for *_, lhs, rhs in self._pairs:
            extra |= (lhs - rhs).free_symbols - unknown
        if self.objective is not None:
            extra |= self.objective[2].free_symbols - unknown
        if extra:
            names = ", ".join(sorted(s.name for s in extra))
            raise SolveError(
                f"the targets also depend on {names}: give {'them' if len(extra) > 1 else 'it'} "
                f"a value (values= / --set {sorted(s.name for s in extra)[0]}=…) or add "
                f"{'them' if len(extra) > 1 else 'it'} to the unknowns"
            )

    def _conditions(self) -> tuple[list[_Constraint], list[tuple[Check, sympy.Basic]]]:
        unknown = set(self.unknowns)
        constraints, remaining = [], []
        for check, condition in zip(self.net.conditions, self._conditions_done, strict=True):
            if condition == sympy.false:
                self._fail_with_values(check)
            if condition == sympy.true:
                continue
            relation = _RELATIONAL.get(type(condition))
            label = f"{check.where}: {check.field}"
            if not condition.free_symbols <= unknown:
                # sides that differ only in unknowns hold for every value of the other symbols
                # alike: a skip connection's H + 2*z - 2 = H needs z = 1, whatever H is
                difference = None
                if relation is not None and not isinstance(condition.args[0], sympy.Mod):
                    difference = condition.args[0] - condition.args[1]
                if relation is None or difference is None or not difference.free_symbols <= unknown:
                    remaining.append((check, condition))
                    continue
                if not difference.free_symbols:
                    if holds(difference, relation):
                        continue
                    raise SolveError(f"the network is invalid whatever the values: {check}")
                constraints.append(
                    _Constraint(
                        label,
                        difference,
                        relation,
                        sympy.S.Zero,
                        check=check,
                        symbolic=(check.condition.args[0], check.condition.args[1]),
                        shown=(condition.args[0], condition.args[1]),
                    )
                )
                continue
            if relation is not None and not isinstance(condition.args[0], sympy.Mod):
                lhs, rhs = condition.args
                constraints.append(_Constraint(label, lhs, relation, rhs, check=check))
            else:
                constraints.append(
                    _Constraint(
                        label, sympy.S.Zero, "==", sympy.S.Zero, check=check, predicate=condition
                    )
                )
        return _distinct(constraints), remaining

    def _fail_with_values(self, check: Check) -> None:
        """A condition the given values break: the rebuilt network says so with numbers."""
        try:
            self.net.subs({s.name: v for s, v in self.given.items()})
        except SymcnnError:
            raise
        raise check.fail()

    def _target_constraints(self) -> list[_Constraint]:
        constraints: list[_Constraint] = []
        for target, label, lhs0, rhs0, lhs, rhs in self._pairs:
            c = _Constraint(label, lhs, target.relation, rhs, target=target, symbolic=(lhs0, rhs0))
            if not c.symbols:
                if not c.holds_at({}):
                    raise SolveError(
                        f"target {target}: {label} is {sympy.sstr(lhs)} whatever "
                        f"{', '.join(s.name for s in self.unknowns)} "
                        f"{'is' if len(self.unknowns) == 1 else 'are'}, so it cannot be "
                        f"{'' if target.relation == '==' else target.relation + ' '}"
                        f"{sympy.sstr(rhs)}"
                    )
                continue
            same = next(
                (d for d in constraints if d.relation == c.relation and d.expr == c.expr), None
            )
            if same is not None:  # the same equation again (a square shape's two axes)
                same.label = f"{same.label}, {c.label}"
                continue
            constraints.append(c)
        if not constraints and self.targets:
            raise SolveError(
                "every target already holds whatever the unknowns are: nothing to solve"
            )
        return constraints

    def _domains(self, bounds: Mapping[Any, Any] | None) -> dict[sympy.Symbol, IntSet]:
        flags = self._flags()
        paddings = self._paddings()
        domains = {}
        for symbol in self.unknowns:
            first = 1 if symbol.is_positive and symbol not in paddings else 0
            domains[symbol] = IntSet.range(first, 1 if symbol in flags else None)
        for key, raw in (bounds or {}).items():
            name = key.name if isinstance(key, sympy.Symbol) else str(key)
            symbol = self.net.symbols.get(name)
            if symbol is None or symbol not in domains:
                raise SolveError(
                    f"bounds given for {name}, which is not an unknown (unknowns: "
                    f"{', '.join(s.name for s in self.unknowns)})"
                )
            low, high = parse_bounds(raw, name)
            least = domains[symbol].low
            # every domain starts as a range and an empty intersection is refused below
            assert least is not None, f"the domain of {name} is empty"
            if low is None:
                low = least
            if low < least:
                kind = "positive integer" if least == 1 else "0 or 1" if symbol in flags else ""
                raise SolveError(
                    f"bounds {name}={low}..{high}: {name} is a {kind or 'nonnegative integer'}; "
                    f"start the bounds at {least} or above"
                )
            domains[symbol] = domains[symbol] & IntSet.range(low, high)
            if not domains[symbol]:
                raise SolveError(f"bounds {name}={low}..{high} contain no integer")
        return domains

    def _paddings(self) -> set[sympy.Symbol]:
        """Symbols that are a layer's whole padding: they may be 0 (a spec's own symbols are
        positive unless they are bias flags, but zero padding is the commonest padding). Read
        off the built layers, so a padding inside a block, or given as a block's argument,
        counts."""
        found = set()
        for row in self.net.rows:
            for key in ("padding", "output_padding"):
                found |= _whole_symbols(getattr(row.layer, key, None))
        return found & set(self.net.symbols.values())

    def _flags(self) -> set[sympy.Symbol]:
        """Symbols that stand for a bias flag (0 or 1)."""
        flags = set()
        for row in self.net.rows:
            flags |= _whole_symbols(getattr(row.layer, "bias", None))
        if "bias" in self.net.symbols:
            flags.add(self.net.symbols["bias"])
        return flags & set(self.net.symbols.values())
