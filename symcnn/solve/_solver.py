"""The solver: targets and validity conditions as integer constraints, solved exactly or searched.

Pipeline: read the targets → substitute the given values (one memoized pass over every formula) →
sort constraints by the unknowns they involve → solve one-unknown constraints exactly (polynomial
roots, or a monotone search through floors) → bound and enumerate the rest on a vectorized grid →
pick the best points, or explain why there are none.

Each stage is a class in its own module, each built on the one before: reading the question
(:mod:`._question`), searching a grid (:mod:`._grid`), solving one unknown (:mod:`._single`), and
here running them in order and writing the answer.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import sympy

import symcnn.limits as limits

from ..errors import SolveError
from ..evaluate import exact, substitute, to_sympy
from ._integers import FLIPPED, IntRange, Polynomial
from ._question import _Constraint, _shown, mark_unknowns, parse_bounds
from ._result import Checked, Equation, LayerFormula, Roots, Search, Solution, Stated
from ._single import _OneUnknown
from ._targets import Target

__all__ = ["mark_unknowns", "parse_bounds", "solve"]


class _Solver(_OneUnknown):
    """The whole pipeline: one unknown at a time, then a grid over the rest, then the answer."""

    def run(self) -> Solution:
        singles: dict[sympy.Symbol, list[_Constraint]] = {x: [] for x in self.unknowns}
        multi: list[_Constraint] = []
        every = self.constraints + self.conditions
        for c in every:
            if len(c.symbols) == 1:
                singles[next(iter(c.symbols))].append(c)
            else:
                multi.append(c)
        self.solved = {}
        for x in self.unknowns:
            ordered = sorted(singles[x], key=lambda c: c.target is None)
            values, solved = self._solve_one_unknown(x, ordered, self.domains[x])
            self.solved.update(solved)
            self.domains[x] = values
        if len(self.unknowns) == 1 and not multi:
            return self._finish_one(self.unknowns[0], singles[self.unknowns[0]])
        return self._finish_many(multi)

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
        objective = asked = None  # (kind, with the values in), and (kind, as asked)
        if self.objective is not None:
            kind, expr, done = self.objective
            objective, asked = (kind, done), (kind, expr)
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
                objective=asked,
            )
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
            objective=asked,
        )

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
                if self.targets or c.check is None:
                    continue  # a check is shown only when validity is the whole question
                self.derivation.append(Checked(c.label, c.check.message))
            elif id(c.target) not in stated:
                stated.add(id(c.target))
                self.derivation.append(Stated(c.target))
                self._layer_formula(c.target)
            lhs1, rhs1 = c.shown or (c.lhs, c.rhs)
            lhs0, rhs0 = c.symbolic or (lhs1, rhs1)
            if (lhs0, rhs0) != (lhs1, rhs1):
                self.derivation.append(Equation("in symbols", c.label, lhs0, c.relation, rhs0))
            self.derivation.append(Equation("with numbers", c.label, lhs1, c.relation, rhs1))
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
                if (moved, rhs) != (lhs1, rhs1):
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


def solve(
    network: Any,
    *targets: Any,
    unknowns: Any = None,
    bounds: Mapping[Any, Any] | None = None,
    values: Mapping[Any, Any] | None = None,
    maximize: Any = None,
    minimize: Any = None,
    limit: int = 100,
    max_points: int | None = None,
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
        limits.MAX_SEARCH_POINTS if max_points is None else max_points,
        timeout,
    ).run()
