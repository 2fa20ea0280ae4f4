"""The solver: targets and validity conditions as integer constraints, solved exactly or searched.

Pipeline: read the targets → substitute the given values (one memoized pass over every formula) →
sort constraints by the unknowns they involve → solve one-unknown constraints exactly (polynomial
roots, or a monotone search through floors) → bound and enumerate the rest on a vectorized grid →
pick the best points, or explain why there are none.
"""

from __future__ import annotations

import copy
import dataclasses
import heapq
import itertools
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from ..errors import SolveError, SymcnnError
from ..layers import Check
from ..network import Network
from ..parse import parse_expression
from ..spec import normalize, read_spec
from ._evaluate import Exact, compile_numpy, exact, substitute, to_sympy
from ._integers import (
    FLIPPED,
    MAX_DEGREE,
    Depends,
    IntRange,
    IntSet,
    Polynomial,
    crossing,
    degree,
    direction,
    holds,
    monotone_set,
    polynomial_set,
)
from ._result import (
    Equation,
    LayerFormula,
    Probe,
    RealRoot,
    Roots,
    Search,
    Solution,
    Stated,
    Step,
)
from ._targets import (
    Target,
    parse_number_text,
    parse_target,
    quantity,
    target_from_relational,
    target_from_value,
    values_table,
)

__all__ = ["mark_unknowns", "solve"]

Expr = sympy.Expr
CHUNK = 1 << 18
#: how far floating-point residuals are trusted (beyond this, points are checked exactly)
EXACT_FLOAT = 2.0**50
_RELATIONAL = {sympy.Eq: "==", sympy.Ge: ">=", sympy.Gt: ">", sympy.Le: "<=", sympy.Lt: "<"}


# ------------------------------------------------------------------------------ '?' in specs


def _identifier(text: str) -> str:
    name = re.sub(r"\W", "_", text).strip("_") or "layer"
    return name if name[0].isalpha() else f"L{name}"


def mark_unknowns(document: Any) -> tuple[Any, tuple[str, ...]]:
    """Replace every bare ``?`` in a spec document by a named unknown.

    ``?`` in ``input`` becomes ``input_0``, ``input_1``…; in a layer's field it becomes
    ``LAYERNAME_field`` (``layer3_kernel_size`` for an unnamed layer), with ``_0``, ``_1``… for the
    items of a list. Returns the new document and the names, in order.

    >>> doc, names = mark_unknowns({"input": [32, 32, 3], "layers": [
    ...     {"type": "conv2d", "name": "CONV1", "out_channels": "?", "kernel_size": 5}]})
    >>> names, doc["layers"][0]["out_channels"]
    (('CONV1_out_channels',), 'CONV1_out_channels')
    """
    if not isinstance(document, Mapping):
        return document, ()
    document = copy.deepcopy(dict(document))
    names: list[str] = []

    def mark(value: Any, name: str) -> Any:
        if isinstance(value, str) and value.strip() == "?":
            names.append(name)
            return name
        if isinstance(value, list):
            return [mark(item, f"{name}_{i}") for i, item in enumerate(value)]
        return value

    if isinstance(document.get("input"), list):
        document["input"] = [mark(v, f"input_{i}") for i, v in enumerate(document["input"])]
    layers = document.get("layers")
    if isinstance(layers, list):
        marked = []
        for index, layer in enumerate(layers):
            if isinstance(layer, Mapping):
                prefix = _identifier(str(layer["name"])) if "name" in layer else f"layer{index}"
                layer = {
                    key: mark(value, f"{prefix}_{_identifier(str(key))}")
                    if key != "name"
                    else value
                    for key, value in layer.items()
                }
            marked.append(layer)
        document["layers"] = marked
    return document, tuple(names)


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


@dataclass
class _Grid:
    """What a vectorized search over a grid found."""

    count: int = 0
    points: list[tuple[int, ...]] = field(default_factory=list)
    searched: int = 0
    total: int = 0
    complete: bool = True
    alone: list[bool] = field(default_factory=list)
    best: float | None = None
    best_points: list[tuple[int, ...]] = field(default_factory=list)
    near: list[tuple[float, tuple[int, ...]]] = field(default_factory=list)
    inexact: bool = False
    runs: list[IntRange] = field(default_factory=list)


def _array(values: IntSet) -> np.ndarray:
    return (
        np.concatenate(
            [np.arange(r.low, r.high + 1, dtype=np.int64) for r in values.ranges]  # type: ignore[operator]
        )
        if values.ranges
        else np.zeros(0, dtype=np.int64)
    )


def _shown(relation: str) -> str:
    return "=" if relation == "==" else relation


def _format_set(symbol: sympy.Symbol, values: IntSet) -> str:
    if not values:
        return f"no {symbol}"
    return f"{symbol} = {', '.join(map(str, values.ranges))}"


# ------------------------------------------------------------------------------ the solver


class _Solver:
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
        if not self.targets:
            raise SolveError("nothing to solve: give a target such as params=3216")
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
            q = quantity(self.net, str(raw))
            if q.is_shape:
                raise SolveError(f"cannot maximize a shape ({q.name}); name one axis")
            return q.values[0]
        raise SolveError(f"the objective must be a quantity or an expression, got {raw!r}")

    def _given(self, values: Mapping[Any, Any] | None) -> dict[sympy.Symbol, Expr]:
        return values_table(self.net, values)

    def _unknown_symbol(self, name: str) -> str:
        import difflib

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
            symbols = condition.free_symbols
            if not symbols <= unknown:
                remaining.append((check, condition))
                continue
            relation = _RELATIONAL.get(type(condition))
            label = f"{check.where}: {check.field}"
            if relation is not None and not isinstance(condition.args[0], sympy.Mod):
                lhs, rhs = condition.args
                constraints.append(_Constraint(label, lhs, relation, rhs, check=check))
            else:
                constraints.append(
                    _Constraint(
                        label, sympy.S.Zero, "==", sympy.S.Zero, check=check, predicate=condition
                    )
                )
        return constraints, remaining

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
        if not constraints:
            raise SolveError(
                "every target already holds whatever the unknowns are: nothing to solve"
            )
        return constraints

    def _domains(self, bounds: Mapping[Any, Any] | None) -> dict[sympy.Symbol, IntSet]:
        flags = self._flags()
        paddings = self._paddings()
        domains = {}
        for symbol in self.unknowns:
            low = 1 if symbol.is_positive and symbol not in paddings else 0
            domains[symbol] = IntSet.range(low, 1 if symbol in flags else None)
        for key, raw in (bounds or {}).items():
            name = key.name if isinstance(key, sympy.Symbol) else str(key)
            symbol = self.net.symbols.get(name)  # type: ignore[assignment]
            if symbol is None or symbol not in domains:
                raise SolveError(
                    f"bounds given for {name}, which is not an unknown (unknowns: "
                    f"{', '.join(s.name for s in self.unknowns)})"
                )
            low, high = parse_bounds(raw, name)
            least = domains[symbol].low
            if low is None:
                low = least
            if low < least:  # type: ignore[operator]
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
        """Symbols written as a padding in the spec: they may be 0 (a spec's own symbols are
        positive unless they are bias flags, but zero padding is the commonest padding)."""
        found = set()
        for layer in self.net.spec.get("layers", []):
            for key in ("padding", "output_padding"):
                raw = layer.get(key)
                for item in raw if isinstance(raw, list) else [raw]:
                    if isinstance(item, str) and item.strip() in self.net.symbols:
                        found.add(self.net.symbols[item.strip()])
        return found

    def _flags(self) -> set[sympy.Symbol]:
        """Symbols that stand for a bias flag (0 or 1)."""
        flags = set()
        for layer in self.net.spec.get("layers", []):
            raw = layer.get("bias")
            if isinstance(raw, str) and raw.strip() in self.net.symbols:
                flags.add(self.net.symbols[raw.strip()])
        if "bias" in self.net.symbols:
            flags.add(self.net.symbols["bias"])
        return flags

    # -- one unknown

    def _at(self, x: sympy.Symbol, value: int) -> Exact:
        """An exact evaluator at ``x = value``, shared by every constraint (formulas share
        subtrees, so the second constraint evaluated at a point mostly reads the memo)."""
        key = (x, value)
        cache = self._evaluators
        if key not in cache:
            if len(cache) > 4096:
                cache.clear()
            cache[key] = Exact({x: value})
        return cache[key]

    def _one(self, c: _Constraint, x: sympy.Symbol, domain: IntSet) -> _Solved | None:
        """Solve ``c`` (on ``x`` alone) over ``domain``; ``None``: it needs a finite domain."""
        low, high = domain.low, domain.high
        if low is None:
            return _Solved(IntSet(), True, "none")
        if c.predicate is None:
            try:
                depends = self._depends.setdefault(x, Depends(x))
                deg = degree(c.expr, x, depends)
                if deg is not None and deg <= MAX_DEGREE:
                    poly = Polynomial.interpolate(lambda v: self._at(x, v)(c.expr), deg)
                    values = polynomial_set(poly, c.relation, low) & domain
                    return _Solved(values, True, "polynomial", polynomial=poly)
                way = direction(c.expr, x, low, depends)
                if way:
                    if (
                        c.relation != "=="
                        and domain.finite
                        and all(
                            holds(self._at(x, end)(c.expr), c.relation)
                            for r in domain.ranges
                            for end in (r.low, r.high)
                        )
                    ):  # a monotone inequality true at both ends of a range is true inside
                        return _Solved(domain, True, "monotone", way=way, searched=domain)
                    found, complete = monotone_set(
                        lambda v: self._at(x, v)(c.expr), way, c.relation, low, high
                    )
                    return _Solved(
                        found & domain,
                        complete,
                        "monotone",
                        way=way,
                        searched=IntSet.range(low, high),
                    )
            except (ArithmeticError, ZeroDivisionError, TypeError):
                pass
        if not domain.finite:
            return None
        grid = self._grid((x,), [domain], [c], None, keep_all=True)
        values = IntSet(grid.runs)
        return _Solved(values, grid.complete, "grid", searched=domain, points=grid.searched)

    def _solve_one_unknown(
        self, x: sympy.Symbol, constraints: list[_Constraint], domain: IntSet
    ) -> tuple[IntSet, dict[int, _Solved]]:
        """Intersect the solution sets of every constraint on ``x``, closed forms first."""
        solved: dict[int, _Solved] = {}
        pending = list(constraints)
        for _ in range(2):  # a second pass once the closed forms have made the domain finite
            waiting = []
            for c in pending:
                result = self._one(c, x, domain)
                if result is None:
                    waiting.append(c)
                    continue
                solved[id(c)] = result
                domain = domain & result.values
                self.complete &= result.complete
            pending = waiting
            if not pending:
                break
        if pending:
            self._unbounded(x, pending[0])
        return domain, solved

    def _unbounded(self, x: sympy.Symbol, c: _Constraint) -> None:
        raise SolveError(
            f"unbounded search: {c.label} has no closed form in {x} and no bound limits {x}; "
            f"give bounds, such as bounds={{'{x}': (1, 512)}} or --bounds {x}=1..512"
        )

    # -- several unknowns

    def _derive_bounds(self, constraints: list[_Constraint]) -> None:
        """Upper bounds from constraints that move one way in every unknown."""
        for _ in range(len(self.unknowns) + 1):
            changed = False
            for c in constraints:
                if c.predicate is not None:
                    continue
                symbols = sorted(c.symbols, key=lambda s: s.name)
                ways = {s: direction(c.expr, s, self.domains[s].low or 0) for s in symbols}
                if None in ways.values():
                    continue
                for x in symbols:
                    domain = self.domains[x]
                    if not domain:
                        continue
                    bound = self._bound_from(c, x, ways)  # type: ignore[arg-type]
                    if bound is not None and (domain.high is None or bound < domain.high):
                        self.domains[x] = domain & IntSet.range(domain.low, bound)
                        changed = True
            if not changed:
                return

    def _bound_from(
        self, c: _Constraint, x: sympy.Symbol, ways: Mapping[sympy.Symbol, int]
    ) -> int | None:
        way = ways[x]
        if way == 1 and c.relation in ("==", "<=", "<"):
            extreme, relation = "min", "<="
        elif way == -1 and c.relation in ("==", ">=", ">"):
            extreme, relation = "max", ">="
        else:
            return None
        point: dict[sympy.Symbol, int] = {}
        for y, w in ways.items():
            if y == x:
                continue
            domain = self.domains[y]
            low_end = (w >= 0) == (extreme == "min")
            value = domain.low if low_end else domain.high
            if value is None:
                return None
            point[y] = value
        low = self.domains[x].low
        if low is None:
            return None
        found, complete = monotone_set(
            lambda v: exact(c.expr, {**point, x: v}), way, relation, low, None
        )
        if not complete or found.high is None:
            return None
        return found.high if found else low - 1

    def _decide(
        self,
        symbols: Sequence[sympy.Symbol],
        columns: Sequence[np.ndarray],
        c: _Constraint,
        outputs: Sequence[np.ndarray],
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Which points satisfy ``c``, from float values; doubtful points are checked exactly."""
        if c.predicate is not None:
            return np.asarray(outputs[0]).astype(bool), None
        lhs, rhs = outputs
        residual = np.asarray(lhs - rhs)
        with np.errstate(all="ignore"):
            mask = np.asarray(
                {
                    "==": residual == 0,
                    "<=": residual <= 0,
                    "<": residual < 0,
                    ">=": residual >= 0,
                    ">": residual > 0,
                }[c.relation]
            ).astype(bool)
            if residual.dtype.kind == "f":  # a true fraction in the formula: check near misses
                scale = np.abs(lhs) + np.abs(rhs) + 1
                doubtful = (
                    ~np.isfinite(residual)
                    | (scale >= EXACT_FLOAT)
                    | ((np.abs(residual) < 1) & (residual != 0))
                )
            elif residual.dtype.kind == "O":
                doubtful = np.array([not isinstance(v, int) for v in residual.ravel()], dtype=bool)
            else:
                doubtful = np.zeros(residual.shape, dtype=bool)
        for i in np.flatnonzero(doubtful):
            point = {s: int(column[i]) for s, column in zip(symbols, columns, strict=True)}
            mask[i] = c.holds_at(point)
        return mask, np.abs(residual)

    def _grid(
        self,
        symbols: Sequence[sympy.Symbol],
        domains: Sequence[IntSet],
        constraints: Sequence[_Constraint],
        objective: tuple[str, Expr] | None,
        keep_all: bool = False,
    ) -> _Grid:
        """Every point of the product of ``domains``, in chunks, vectorized: the count, the first
        ``limit`` solutions (or the best, with an objective), whether each constraint alone ever
        holds, and the nearest misses when nothing does. ``keep_all`` (one symbol) also keeps
        every solution, as runs of consecutive values."""
        arrays = [_array(d) for d in domains]
        shape = tuple(len(a) for a in arrays)
        total = math.prod(shape)
        grid = _Grid(total=total, alone=[False] * len(constraints))
        if total > self.max_points:
            bounds = ", ".join(
                f"{s}={d.low}..{d.high}" for s, d in zip(symbols, domains, strict=True)
            )
            raise SolveError(
                f"the search space {bounds} has {total:,} points, more than max_points="
                f"{self.max_points:,}; narrow the bounds or add targets"
            )
        exprs: list[Expr] = []
        for c in constraints:
            exprs += [c.predicate] if c.predicate is not None else [c.lhs, c.rhs]
        if objective is not None:
            exprs.append(objective[1])
        compiled = compile_numpy(exprs, symbols)
        equalities = [
            i
            for i, c in enumerate(constraints)
            if c.relation == "==" and c.predicate is None and c.target is not None
        ]
        for start in range(0, total, CHUNK):
            if time.monotonic() > self.deadline:
                grid.complete = False
                break
            index = np.arange(start, min(total, start + CHUNK))
            coords = np.unravel_index(index, shape)
            columns = [array[coord] for array, coord in zip(arrays, coords, strict=True)]
            outputs = compiled(*columns)
            position, masks, residuals = 0, [], []
            for c in constraints:
                width = 1 if c.predicate is not None else 2
                mask, residual = self._decide(
                    symbols, columns, c, outputs[position : position + width]
                )
                masks.append(mask)
                residuals.append(residual)
                position += width
            ok = np.logical_and.reduce(masks) if masks else np.ones(len(index), dtype=bool)
            for i, mask in enumerate(masks):
                grid.alone[i] |= bool(mask.any())
            grid.searched += len(index)
            found = np.flatnonzero(ok)
            grid.count += len(found)
            if keep_all and len(found):
                values = columns[0][found]
                breaks = np.flatnonzero(np.diff(values) != 1)
                starts = np.concatenate(([0], breaks + 1))
                ends = np.concatenate((breaks, [len(values) - 1]))
                grid.runs += [
                    IntRange(int(values[a]), int(values[b]))
                    for a, b in zip(starts, ends, strict=True)
                ]
            if objective is not None and len(found):
                self._track_best(grid, outputs[-1], found, columns, objective[0])
            elif len(grid.points) < self.limit:
                for i in found[: self.limit - len(grid.points)]:
                    grid.points.append(tuple(int(col[i]) for col in columns))
            if not grid.count and equalities:
                others = [m for i, m in enumerate(masks) if i not in equalities]
                allowed = np.logical_and.reduce(others) if others else np.ones(len(index), bool)
                miss = np.sum([residuals[i] for i in equalities], axis=0)
                for i in np.flatnonzero(allowed)[np.argsort(miss[allowed], kind="stable")[:3]]:
                    heapq.heappush(grid.near, (-float(miss[i]), tuple(int(c[i]) for c in columns)))
                    if len(grid.near) > 3:
                        heapq.heappop(grid.near)
        return grid

    def _track_best(
        self,
        grid: _Grid,
        values: np.ndarray,
        found: np.ndarray,
        columns: Sequence[np.ndarray],
        kind: str,
    ) -> None:
        scores = values[found] if kind == "max" else -values[found]
        if np.any(np.abs(scores) >= EXACT_FLOAT):
            grid.inexact = True
        top = float(np.max(scores))
        if grid.best is None or top > grid.best:
            grid.best, grid.best_points = top, []
        if top == grid.best:
            for i in found[scores == top]:
                if len(grid.best_points) >= self.limit:
                    break
                grid.best_points.append(tuple(int(col[i]) for col in columns))

    # -- running

    def run(self) -> Solution:
        singles: dict[sympy.Symbol, list[_Constraint]] = {x: [] for x in self.unknowns}
        multi: list[_Constraint] = []
        every = self.constraints + self.conditions
        for c in every:
            if len(c.symbols) == 1:
                singles[next(iter(c.symbols))].append(c)
            else:
                multi.append(c)
        self.solved: dict[int, _Solved] = {}
        for x in self.unknowns:
            ordered = sorted(singles[x], key=lambda c: c.target is None)
            values, solved = self._solve_one_unknown(x, ordered, self.domains[x])
            self.solved.update(solved)
            self.domains[x] = values
        if len(self.unknowns) == 1 and not multi:
            return self._finish_one(self.unknowns[0], singles[self.unknowns[0]])
        return self._finish_many(multi)

    def _finish_one(self, x: sympy.Symbol, constraints: list[_Constraint]) -> Solution:
        values = self.domains[x]
        self.methods += [self.solved[id(c)].method for c in constraints if id(c) in self.solved]
        objective = best = None
        points: list[dict[str, int]] = []
        probes: list[Probe] = []
        nearest: list[RealRoot] = []
        if self.objective is not None and values:
            kind, expr, done = self.objective
            objective = (kind, expr)
            chosen, best = self._extreme_one(x, values, kind, done)
            points = [{x.name: v} for v in chosen]
            if chosen:
                probes = self._probes_after(x, chosen[0], kind, done)
        elif values:
            points = [{x.name: v} for v in itertools.islice(values, self.limit)]
        else:
            self._contradiction_one(x, constraints)
            nearest, probes = self._nearest_one(x, constraints)
        self._derive(constraints)
        if self.objective is not None and not values:
            objective = (self.objective[0], self.objective[1])
        return self._solution(
            points=points,
            count=values.size,
            ranges=values.ranges,
            objective=objective,
            best=best,
            nearest=nearest,
            probes=probes,
        )

    def _extreme_one(
        self, x: sympy.Symbol, values: IntSet, kind: str, done: Expr
    ) -> tuple[list[int], Expr | None]:
        low = values.low or 0
        way = 1 if done == x else direction(done, x, low)
        if way == 0:
            chosen = list(itertools.islice(values, self.limit))
            return chosen, to_sympy(exact(done, {x: chosen[0]})) if chosen else None
        if way is not None:
            pick_high = (way > 0) == (kind == "max")
            if pick_high:
                if values.high is None:
                    self.notes.append(
                        f"{sympy.sstr(done)} grows without bound: every {x} >= "
                        f"{values.ranges[-1].low} satisfies the targets"
                    )
                    return [], None
                chosen = [values.high]
            else:
                chosen = [values.low]  # type: ignore[list-item]
            return chosen, to_sympy(exact(done, {x: chosen[0]}))
        if not values.finite:
            raise SolveError(
                f"cannot find the {'largest' if kind == 'max' else 'smallest'} "
                f"{sympy.sstr(done)} over infinitely many {x}; give bounds (--bounds {x}=LO..HI)"
            )
        grid = self._grid((x,), [values], [], (kind, done))
        best = to_sympy(exact(done, {x: grid.best_points[0][0]})) if grid.best_points else None
        return [p[0] for p in grid.best_points], best

    def _probes_after(self, x: sympy.Symbol, value: int, kind: str, done: Expr) -> list[Probe]:
        """What the best integer gives, and the next one past it (why it is not the answer)."""
        step = 1 if (kind == "max") == (done == x or direction(done, x, 1) != -1) else -1
        neighbour = value + step
        probes = [self._probe({x: value})]
        searched = self.searched[x]
        if neighbour >= searched.low:
            probe = self._probe({x: neighbour})
            if searched.high is not None and neighbour > searched.high:
                probe = dataclasses.replace(probe, satisfied=False, reason="outside the bounds")
            probes.append(probe)
        return probes

    def _probe(self, point: Mapping[sympy.Symbol, int]) -> Probe:
        values: dict[str, Expr] = {}
        for c in self.constraints:
            try:
                values[c.label] = to_sympy(exact(c.lhs, point))
            except (ArithmeticError, ZeroDivisionError, TypeError, KeyError):
                continue
        satisfied = all(c.holds_at(point) for c in self.constraints)
        reason = ""
        if satisfied:
            failing = [c for c in self.conditions if not c.holds_at(point)]
            if failing:
                satisfied = False
                reason = self._why_invalid(point, failing[0])
        return Probe({s.name: v for s, v in point.items()}, values, satisfied, reason)

    def _why_invalid(self, point: Mapping[sympy.Symbol, int], c: _Constraint) -> str:
        values = {s.name: v for s, v in self.given.items()}
        values.update({s.name: v for s, v in point.items()})
        try:
            self.net.subs(values)
        except SymcnnError as error:
            return " ".join(str(error).split())
        return f"{c.label} fails"

    def _nearest_one(
        self, x: sympy.Symbol, constraints: list[_Constraint]
    ) -> tuple[list[RealRoot], list[Probe]]:
        nearest: list[RealRoot] = []
        candidates: list[int] = []
        low = self.searched[x].low
        targets = [c for c in constraints if c.target is not None]
        for c in targets:
            solved = self.solved.get(id(c))
            alone = solved.values if solved else IntSet()
            if alone:  # this target has solutions that something else rules out
                candidates.append(alone.low)  # type: ignore[arg-type]
                continue
            if c.relation != "==":
                continue
            polynomial = solved.polynomial if solved else None
            relaxed = False
            if polynomial is None:
                plain = c.expr.replace(sympy.floor, lambda a: a).replace(sympy.ceiling, lambda a: a)
                deg = degree(plain, x)
                if deg is not None and 0 < deg <= MAX_DEGREE:
                    polynomial = Polynomial.interpolate(
                        lambda v, plain=plain: exact(plain, {x: v}), deg
                    )
                    relaxed = True
                if solved is not None and solved.way:
                    before, after = crossing(
                        lambda v, expr=c.expr: exact(expr, {x: v}), solved.way, low, None
                    )
                    candidates += [v for v in (before, after) if v is not None]
            if polynomial is not None:
                roots = [
                    r for r in polynomial.real_roots() if float(r) > low - 1
                ] or polynomial.real_roots()
                for root in roots[:2]:
                    nearest.append(RealRoot(c.label, x, root, relaxed))
                    if not relaxed:
                        candidates += [
                            max(low, int(sympy.floor(root))),
                            max(low, int(sympy.ceiling(root))),
                        ]
        probes = [self._probe({x: v}) for v in sorted(set(candidates))]
        return nearest, probes

    def _contradiction_one(self, x: sympy.Symbol, constraints: list[_Constraint]) -> None:
        targets = [c for c in constraints if c.target is not None]
        if len(targets) < 2:
            return
        base = IntSet.range(self.searched[x].low, self.searched[x].high)
        alone = []
        for c in targets:
            result = self._one(c, x, base)
            if result is None or not result.values:
                return
            alone.append(
                f"{c.label} {_shown(c.relation)} {sympy.sstr(c.rhs)} needs "
                f"{_format_set(x, result.values)}"
            )
        raise SolveError("contradictory targets: " + "; ".join(alone))

    def _finish_many(self, multi: list[_Constraint]) -> Solution:
        symbols = list(self.unknowns)
        for x in symbols:
            if not self.domains[x]:
                return self._none_many(multi, empty=x)
        self._derive_bounds(multi)
        self.searched = {x: IntRange(d.low or 0, d.high) for x, d in self.domains.items()}
        for x in symbols:
            if not self.domains[x].finite:
                culprit = next((c for c in multi if x in c.symbols), None)
                where = f" ({culprit.label})" if culprit is not None else ""
                raise SolveError(
                    f"unbounded search over {', '.join(s.name for s in symbols)}: nothing "
                    f"bounds {x}{where}; give bounds, such as --bounds {x}=1..512 or "
                    f"bounds={{'{x}': (1, 512)}}"
                )
        objective = None
        if self.objective is not None:
            objective = (self.objective[0], self.objective[2])
        if not multi and objective is None:
            return self._product(symbols)
        grid = self._grid(symbols, [self.domains[x] for x in symbols], multi, objective)
        self.methods.append("grid")
        self.methods += [s.method for s in self.solved.values()]
        self.complete &= grid.complete
        if not grid.complete:
            self.notes.append(
                f"stopped after {self.timeout:g} s having searched {grid.searched:,} of "
                f"{grid.total:,} points; the answer covers only those"
            )
        if grid.inexact:
            self.notes.append("objective values above 2**50 were compared in floating point")
        self._derive(
            multi
            + [c for x in symbols for c in self.constraints + self.conditions if c.symbols == {x}]
        )
        self.derivation.append(
            Search(
                "grid",
                ", ".join(c.label for c in multi if c.target is not None) or "search",
                {
                    x.name: IntRange(self.domains[x].low, self.domains[x].high)  # type: ignore[arg-type]
                    for x in symbols
                },
                grid.searched,
                grid.complete,
            )
        )
        if grid.count == 0:
            targets = [i for i, c in enumerate(multi) if c.target is not None]
            if (
                len(self.constraints) >= 2
                and targets
                and all(grid.alone[i] for i in targets)
                and len(targets) >= 2
            ):
                raise SolveError(
                    "contradictory targets: each of "
                    + ", ".join(
                        f"{multi[i].label} {_shown(multi[i].relation)} {sympy.sstr(multi[i].rhs)}"
                        for i in targets
                    )
                    + " can hold, but not all at once"
                )
            probes = [
                self._probe(dict(zip(symbols, p, strict=True)))
                for _, p in sorted(grid.near, reverse=True)
            ]
            return self._solution(
                points=[],
                count=0,
                probes=probes,
                objective=None if objective is None else (objective[0], self.objective[1]),
            )  # type: ignore[index]
        chosen = grid.best_points if objective is not None else grid.points
        points = [dict(zip([s.name for s in symbols], p, strict=True)) for p in chosen]
        best = None
        if objective is not None and chosen:
            best = to_sympy(exact(objective[1], dict(zip(symbols, chosen[0], strict=True))))
        count = grid.count
        return self._solution(
            points=points,
            count=count,
            best=best,
            objective=None if objective is None else (objective[0], self.objective[1]),
        )  # type: ignore[index]

    def _product(self, symbols: list[sympy.Symbol]) -> Solution:
        """Unknowns that no constraint ties together: every combination of their solutions."""
        self._derive(
            [c for x in symbols for c in self.constraints + self.conditions if c.symbols == {x}]
        )
        self.methods += [s.method for s in self.solved.values()]
        domains = [self.domains[x] for x in symbols]
        sizes = [d.size for d in domains]
        count = None if None in sizes else math.prod(sizes)  # type: ignore[arg-type]
        points: list[dict[str, int]] = []
        if count is not None:
            for values in itertools.islice(itertools.product(*domains), self.limit):
                points.append(dict(zip([x.name for x in symbols], values, strict=True)))
        else:
            self.notes.append("infinitely many solutions: give bounds to list some")
        return self._solution(points=points, count=count)

    def _none_many(self, multi: list[_Constraint], empty: sympy.Symbol) -> Solution:
        constraints = [c for c in self.constraints + self.conditions if c.symbols == {empty}]
        self._derive(constraints)
        nearest, probes = self._nearest_one(empty, constraints)
        return self._solution(points=[], count=0, nearest=nearest, probes=probes)

    # -- the answer

    def _derive(self, constraints: Iterable[_Constraint]) -> None:
        stated: set[int] = set()
        for c in constraints:
            if c.target is None:
                continue
            if id(c.target) not in stated:
                stated.add(id(c.target))
                self.derivation.append(Stated(c.target))
                self._layer_formula(c.target)
            lhs0, rhs0 = c.symbolic or (c.lhs, c.rhs)
            if (lhs0, rhs0) != (c.lhs, c.rhs):
                self.derivation.append(Equation("in symbols", c.label, lhs0, c.relation, rhs0))
            self.derivation.append(Equation("with numbers", c.label, c.lhs, c.relation, c.rhs))
            solved = self.solved.get(id(c))
            if solved is None:
                continue
            x = next(iter(c.symbols))
            if solved.polynomial is not None:
                poly = solved.polynomial
                relation = c.relation
                if poly.coefficients[-1] < 0:  # lead with a positive term: f = 5, not -f = -5
                    poly = Polynomial(tuple(-a for a in poly.coefficients))
                    relation = FLIPPED[relation]
                constant = poly.coefficients[0]
                moved = Polynomial((Fraction(0), *poly.coefficients[1:])).as_expr(x)
                rhs = -sympy.Rational(constant.numerator, constant.denominator)
                if (moved, rhs) != (c.lhs, c.rhs):
                    self.derivation.append(Equation("rearranged", c.label, moved, relation, rhs))
                self.derivation.append(Roots(c.label, x, tuple(poly.real_roots())))
            elif solved.method in ("monotone", "grid"):
                domain = solved.searched or self.domains.get(x, solved.values)
                self.derivation.append(
                    Search(
                        solved.method,
                        c.label,
                        {x.name: IntRange(domain.low or 0, domain.high)},
                        solved.points,
                        solved.complete,
                        solved.way or 0,
                    )
                )

    def _layer_formula(self, target: Target) -> None:
        q = target.quantity
        row = q.row
        if row is None or q.field not in ("params", "buffers", "output_shape"):
            return
        if q.field == "output_shape":
            if row.formula.output_shape is None:
                return
            generals = list(row.formula.output_shape)
            labels = list(q.labels())
            if q.index is not None:
                generals, labels = [generals[q.index]], [q.name]
        else:
            generals = [getattr(row.formula, q.field)]
            labels = [q.name]
        values = (
            dict(zip(row.values, substitute(list(row.values.values()), self.given), strict=True))
            if self.given
            else dict(row.values)
        )
        for label, general in zip(labels, generals, strict=True):
            with sympy.evaluate(False):
                substituted = general.xreplace(values)
            self.derivation.append(LayerFormula(label, general, substituted, values))

    def _solution(self, **answer: Any) -> Solution:
        methods = list(dict.fromkeys(m for m in self.methods if m != "none"))
        answer.pop("objective", None)
        if self.objective is not None:
            answer["objective"] = (self.objective[0], self.objective_name)
        return Solution(
            unknowns=self.unknowns,
            targets=tuple(self.targets),
            complete=self.complete,
            bounds={x.name: r for x, r in self.searched.items()},
            conditions=self._still_needed(answer["points"]),
            derivation=tuple(self.derivation),
            method=", ".join(methods),
            notes=tuple(self.notes),
            points=tuple(answer.pop("points")),
            **answer,
        )

    def _still_needed(self, points: Sequence[Mapping[str, int]]) -> tuple[str, ...]:
        """Conditions on symbols that are not unknowns; with one answer, its values put in."""
        needed = []
        for check, condition in self.remaining:
            if len(points) == 1:
                point = {self.net.symbols[name]: sympy.Integer(v) for name, v in points[0].items()}
                condition = substitute([condition], point)[0]
                if condition == sympy.true:
                    continue
            needed.append(f"{check.where}: {sympy.sstr(condition)}")
        return tuple(dict.fromkeys(needed))


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


def solve(
    network: Any,
    *targets: Any,
    unknowns: Any = None,
    bounds: Mapping[Any, Any] | None = None,
    values: Mapping[Any, Any] | None = None,
    maximize: Any = None,
    minimize: Any = None,
    limit: int = 100,
    max_points: int = 10_000_000,
    timeout: float = 10.0,
    **equalities: Any,
) -> Solution:
    """Every integer solution of targets on a network's quantities.

    ``network`` is a :class:`~symcnn.Network` or a spec (a bare ``?`` in a spec marks an unknown).
    ``targets`` are text (``"params = 3216"``, ``"params <= 1e6"``, ``"CONV2.params = 3216"``,
    ``"output_shape = [28, 28, 8]"``) or SymPy relations; keyword arguments are equalities
    (``params=3216``). ``unknowns`` (names) defaults to the symbols left in the targets once
    ``values`` are in. ``bounds`` maps unknowns to ``(low, high)``, ``range`` or ``"LOW..HIGH"``.
    With ``maximize`` or ``minimize`` (a quantity or an expression), the best points are returned.

    The search is exact where a closed form exists and otherwise bounded: by ``max_points`` grid
    points (beyond: :class:`~symcnn.SolveError`) and ``timeout`` seconds (beyond: the answer says it
    is incomplete). Solutions must also pass the network's validity checks.

    >>> import symcnn
    >>> conv = {"type": "conv2d", "out_channels": "k", "kernel_size": 5}
    >>> net = symcnn.load({"input": [14, 14, 8], "layers": [conv]})
    >>> solve(net, params=3216)
    <Solution k = 16>
    >>> solve(net, "params <= 10^6", maximize="k").value
    4975
    """
    return _Solver(
        network,
        targets,
        equalities,
        unknowns,
        bounds,
        values,
        maximize,
        minimize,
        limit,
        max_points,
        timeout,
    ).run()
