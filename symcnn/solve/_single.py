"""One unknown: each constraint solved alone, exactly where a closed form exists.

Polynomial constraints (floors and all, when the degree in the unknown is known) are interpolated
and their integer solutions read off the real roots; monotone ones are bisected; the rest are
searched on a grid. Without a solution, the nearest real roots and the integers around them say
why.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import Any

import sympy
from sympy import Expr

from ..errors import SolveError, SymcnnError
from ..evaluate import Exact, exact, to_sympy
from ._grid import _GridSearch
from ._integers import (
    MAX_DEGREE,
    Depends,
    IntSet,
    Polynomial,
    crossing,
    degree,
    direction,
    holds,
    monotone_set,
    polynomial_set,
)
from ._question import _Constraint, _format_set, _shown, _Solved
from ._result import Probe, RealRoot, Solution


def _evaluator(expr: Expr, x: sympy.Symbol) -> Callable[[int], Fraction | int]:
    """``expr`` as an exact function of ``x``."""
    return lambda v: exact(expr, {x: v})


class _OneUnknown(_GridSearch):
    """The question, with the constraints on one unknown solved alone.

    Writing the answer is the whole solver's (:class:`._solver._Solver`): :meth:`_derive` and
    :meth:`_solution` are declared here for the steps that end in an answer, and defined there.
    """

    def _derive(self, constraints: Iterable[_Constraint]) -> None:
        """Add the derivation of ``constraints`` (the targets, equations and solving steps)."""
        raise NotImplementedError

    def _solution(self, **answer: Any) -> Solution:
        """The :class:`Solution` with ``answer`` (points, count…) and what the solver recorded."""
        raise NotImplementedError

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
                        c.relation != "==" and domain.finite and self._holds_at_ends(c, x, domain)
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

    def _holds_at_ends(self, c: _Constraint, x: sympy.Symbol, domain: IntSet) -> bool:
        """Whether ``c`` holds at both ends of every range of a finite ``domain``."""
        for r in domain.ranges:
            assert r.high is not None, "a finite domain's ranges all end"
            if not all(holds(self._at(x, end)(c.expr), c.relation) for end in (r.low, r.high)):
                return False
        return True

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
                    polynomial = Polynomial.interpolate(_evaluator(plain, x), deg)
                    relaxed = True
                if solved is not None and solved.way:
                    before, after = crossing(_evaluator(c.expr, x), solved.way, low, None)
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
