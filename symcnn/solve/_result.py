"""What :func:`symcnn.solve` returns: the answer, how it was found, and the derivation as data.

Each derivation line is a small frozen dataclass; renderers (text here, LaTeX elsewhere) dispatch on
the type. Nothing here computes: the solver fills these in.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy

from ..errors import SolveError
from ._integers import IntRange
from ._targets import Target

__all__ = [
    "Checked",
    "Equation",
    "LayerFormula",
    "Probe",
    "RealRoot",
    "Roots",
    "Search",
    "Solution",
    "Stated",
    "Step",
]

from ..formula import Expr

# ------------------------------------------------------------------------------ derivation


@dataclass(frozen=True)
class Stated:
    """The target as it was asked."""

    target: Target


@dataclass(frozen=True)
class Checked:
    """A validity check of the network that the answer must pass (shown when it is the question:
    no targets, only unknowns that make the network valid or not)."""

    label: str
    #: the check's own sentence, as the network states it when it fails
    message: str


@dataclass(frozen=True)
class LayerFormula:
    """A layer's formula in the notation's symbols, then with that layer's numbers in (unevaluated).

    ``general`` is e.g. ``k*(bias + d*m*n/g)`` and ``substituted`` ``k*(1 + 8*5*5/1)``.
    """

    label: str
    general: Expr
    substituted: Expr
    values: Mapping[sympy.Symbol, Expr]


@dataclass(frozen=True)
class Equation:
    """One line ``lhs ⋈ rhs``. ``role`` says which: ``"in symbols"`` (the spec's symbols, before the
    given values), ``"with numbers"`` (given values in: the equation that was solved) or
    ``"rearranged"`` (a polynomial with its constant moved to the right)."""

    role: str
    label: str
    lhs: Expr
    relation: str
    rhs: Expr


@dataclass(frozen=True)
class Roots:
    """The real roots of the polynomial in ``symbol`` that was solved (exact)."""

    label: str
    symbol: sympy.Symbol
    roots: tuple[Expr, ...]


@dataclass(frozen=True)
class Search:
    """How integers were searched when there was no closed form.

    ``method`` is ``"monotone"`` (galloping and bisection on a formula shown never to decrease or
    never to increase) or ``"grid"`` (every point of ``bounds``, vectorized).
    """

    method: str
    label: str
    #: the ranges searched
    bounds: Mapping[str, IntRange]
    #: grid points evaluated (0 for a monotone search)
    points: int
    complete: bool
    #: for a monotone search: +1 if the formula never decreases as the unknown grows, -1 if it
    #: never increases
    direction: int = 0


Step = Stated | Checked | LayerFormula | Equation | Roots | Search


# ------------------------------------------------------------------------------ answer


@dataclass(frozen=True)
class RealRoot:
    """A real (not integer) solution of an equation that has no integer one."""

    label: str
    symbol: sympy.Symbol
    value: Expr
    #: True when floors and ceilings were dropped to find it (the equation had no polynomial form)
    relaxed: bool = False

    def __str__(self) -> str:
        approx = "" if self.value.is_Integer else f" ≈ {float(self.value):.6g}"
        return f"{self.symbol} = {sympy.sstr(self.value)}{approx}"


@dataclass(frozen=True)
class Probe:
    """What one integer point gives: the targets' quantities there, and whether it satisfies all."""

    point: Mapping[str, int]
    values: Mapping[str, Expr]
    satisfied: bool
    #: why the point is not a solution, when it fails a validity check rather than a target
    reason: str = ""


@dataclass(frozen=True)
class Solution:
    """The integer solutions of :func:`symcnn.solve`, with the derivation.

    ``points`` lists solutions (at most ``limit``; the best ones when there is an objective);
    ``count`` is how many there are in all (``None``: infinitely many; when the search stopped
    early, how many were found). With one unknown,
    ``ranges`` is the whole solution set as integer ranges (a range with ``high=None`` has no end).
    ``complete`` is False when a search stopped early; ``notes`` say why.
    """

    unknowns: tuple[sympy.Symbol, ...]
    targets: tuple[Target, ...]
    points: tuple[Mapping[str, int], ...]
    count: int | None
    ranges: tuple[IntRange, ...] = ()
    complete: bool = True
    #: ``("max", what)`` or ``("min", what)``: what was maximized, as it was asked (``"k1"``)
    objective: tuple[str, str] | None = None
    #: the objective's value at the best points (``None``: no objective, or it is unbounded)
    best: Expr | None = None
    #: the ranges of the unknowns that were searched (``high=None``: no upper end)
    bounds: Mapping[str, IntRange] = field(default_factory=dict)
    nearest: tuple[RealRoot, ...] = ()
    probes: tuple[Probe, ...] = ()
    #: conditions on symbols that are not unknowns, which the answer still needs
    conditions: tuple[str, ...] = ()
    derivation: tuple[Step, ...] = ()
    method: str = ""
    notes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return self.count != 0

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(symbol.name for symbol in self.unknowns)

    @property
    def value(self) -> int:
        """The value of the one unknown, when there is exactly one solution (or one best point)."""
        if len(self.unknowns) == 1 and len(self.points) == 1:
            return self.points[0][self.unknowns[0].name]
        raise SolveError(f"no single value: {self.describe()}")

    def describe(self) -> str:
        """The answer in one line."""
        names = ", ".join(self.names)
        unknown = names if len(self.unknowns) == 1 else f"({names})"
        if self.count == 0 and not self.complete:
            return f"no solution for {unknown} found before the search stopped"
        if self.count == 0:
            text = f"no integer {unknown} satisfies {'; '.join(map(str, self.targets))}"
            if self.nearest:
                text += f" (nearest real: {', '.join(map(str, self.nearest))})"
            return text
        if self.objective is not None:
            kind, shown = self.objective
            if self.best is None:
                return f"{shown} has no {'largest' if kind == 'max' else 'smallest'} value"
            if len(self.points) == 1:
                point = ", ".join(f"{k} = {v}" for k, v in self.points[0].items())
                return point if shown in self.names else f"{point} ({shown} = {self.best})"
            return f"{kind} {shown} = {self.best}, at {len(self.points)} points"
        if len(self.unknowns) == 1 and self.ranges and self.objective is None:
            shown = ", ".join(map(str, self.ranges))
            return f"{unknown} = {shown}"
        if len(self.points) == 1 and self.count == 1:
            return ", ".join(f"{k} = {v}" for k, v in self.points[0].items())
        total = "infinitely many" if self.count is None else f"{self.count}"
        return f"{total} solutions for {unknown}"

    def __str__(self) -> str:
        """The answer, then the working: what ``symcnn solve`` prints."""
        return solution_text(self).rstrip("\n")

    def __repr__(self) -> str:
        return f"<Solution {self.describe()}{'' if self.complete else ' (stopped early)'}>"

    def _repr_markdown_(self) -> str:
        return "```text\n" + solution_text(self) + "```\n"


# ------------------------------------------------------------------------------ text


def _number(value: Any) -> str:
    if isinstance(value, int | sympy.Integer):
        return f"{int(value):,}"
    return sympy.sstr(value)


def _relation(relation: str) -> str:
    return "=" if relation == "==" else relation


@functools.singledispatch
def _step(step: Any) -> list[str]:
    raise TypeError(f"no text for {type(step).__name__}")


@_step.register
def _(step: Stated) -> list[str]:
    return [f"target: {step.target.text}"]


@_step.register
def _(step: Checked) -> list[str]:
    return [f"check: {step.label}"]


@_step.register
def _(step: LayerFormula) -> list[str]:
    return [
        f"  {step.label} = {sympy.sstr(step.general)}",
        f"  {' ' * len(step.label)} = {sympy.sstr(step.substituted)}",
    ]


@_step.register
def _(step: Equation) -> list[str]:
    return [
        f"  {step.role + ':':<14}{sympy.sstr(step.lhs)} {_relation(step.relation)} "
        f"{sympy.sstr(step.rhs)}"
    ]


@_step.register
def _(step: Roots) -> list[str]:
    if not step.roots:
        return [f"  {'real roots:':<14}none"]
    shown = []
    for root in step.roots:
        approx = "" if root.is_Integer else f" ≈ {float(root):.6g}"
        shown.append(f"{step.symbol} = {sympy.sstr(root)}{approx}")
    return [f"  {'real roots:':<14}{', '.join(shown)}"]


@_step.register
def _(step: Search) -> list[str]:
    ranges = ", ".join(
        f"{name} >= {r.low}" if r.high is None else f"{name} = {r}"
        for name, r in step.bounds.items()
    )
    if step.method == "monotone":
        (name,) = step.bounds
        moves = "never decreases" if step.direction > 0 else "never increases"
        how = f"the formula {moves} as {name} grows: bisection over {ranges}"
    else:
        how = f"every point of {ranges} ({step.points:,} point{'s' * (step.points != 1)})"
    stopped = "; stopped early" if not step.complete else ""
    return [f"  {'search:':<14}{how}{stopped}"]


def _derivation(steps: Any) -> list[str]:
    lines: list[str] = []
    label = checked = None
    previous = None
    for step in steps:
        if (
            isinstance(step, Roots)
            and isinstance(previous, Equation)
            and previous.relation == "=="
            and previous.lhs == step.symbol
            and step.roots == (previous.rhs,)
        ):
            continue  # "f = 5" was just shown
        indent = ""
        if isinstance(step, Checked):
            label = None
            checked = step.label  # its lines follow it without a heading of their own
        elif isinstance(step, Equation | Roots | Search):
            if "[" in step.label and step.label != checked:
                if step.label != label:
                    label = step.label
                    lines.append(f"  {label}:")
                indent = "  "
        else:
            label = None
        lines += [indent + line for line in _step(step)]
        previous = step
    return lines


def _probe(probe: Probe) -> str:
    point = ", ".join(f"{k} = {v}" for k, v in probe.point.items())
    values = ", ".join(f"{k} = {_number(v)}" for k, v in probe.values.items())
    verdict = "" if probe.satisfied else " (not a solution)"
    if probe.reason == "outside the bounds":
        verdict = " (outside the bounds)"
    elif probe.reason:
        verdict = f" but the network is invalid: {probe.reason}"
    return f"  {point} gives {values}{verdict}"


def _points_table(solution: Solution) -> list[str]:
    names = list(solution.names)
    rows = [[f"{point[name]:,}" for name in names] for point in solution.points]
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(names)]
    lines = ["  " + "  ".join(n.rjust(w) for n, w in zip(names, widths, strict=True))]
    lines += ["  " + "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return lines


def _answer(solution: Solution) -> list[str]:
    unknowns = ", ".join(solution.names)
    asked = "; ".join(t.text for t in solution.targets) or "a valid network"
    if solution.count == 0 and not solution.complete:
        return [f"No solution found before the search stopped ({unknowns}; {asked})."]
    if solution.count == 0:
        many = len(solution.unknowns) > 1
        lines = [f"No integer{'s' * many} {unknowns} give{'' if many else 's'} {asked}."]
        if solution.nearest:
            kind = "real solution"
            relaxed = any(r.relaxed for r in solution.nearest)
            lines.append(
                f"Nearest {kind}{' (floors dropped)' if relaxed else ''}: "
                + ", ".join(map(str, solution.nearest))
            )
        if solution.probes:
            lines.append(
                "Neighbouring integers:" if len(solution.unknowns) == 1 else "Closest points:"
            )
            lines += [_probe(p) for p in solution.probes]
        return lines
    if solution.objective is not None:
        kind, what = solution.objective
        word = "Largest" if kind == "max" else "Smallest"
        if solution.best is None:
            return [f"{word} {what}: none — it is unbounded under {asked}."]
        best = solution.best if what in solution.names else _number(solution.best)
        lines = [f"{word} {what} with {asked}: {what} = {best}"]
        if what not in solution.names:
            lines += _points_table(solution)
        lines += [_probe(p) for p in solution.probes]
        return lines
    if len(solution.unknowns) == 1 and solution.ranges:
        shown = ", ".join(map(str, solution.ranges))
        size = f" ({solution.count:,} values)" if solution.count and solution.count > 1 else ""
        if solution.count is None:
            size = " (no upper end)"
        return [f"{unknowns} = {shown}{size}"]
    total = "infinitely many" if solution.count is None else f"{solution.count:,}"
    lines = [f"{total} solution{'s' * (solution.count != 1)} for ({unknowns}):"]
    lines += _points_table(solution)
    if solution.count is not None and solution.count > len(solution.points):
        lines.append(f"  … and {solution.count - len(solution.points):,} more (--limit)")
    return lines


def solution_text(solution: Solution) -> str:
    """The answer first, then the derivation, notes and any conditions still pending."""
    lines = _answer(solution)
    if solution.derivation:
        lines.append("")
        lines.append("Derivation:")
        lines += _derivation(solution.derivation)
    if not solution.complete:
        lines.append("")
        lines.append("The search stopped early: the answer may be incomplete.")
    for note in solution.notes:
        lines.append(f"note: {note}")
    if solution.conditions:
        lines.append("")
        lines.append("Valid only when:")
        lines += [f"  {condition}" for condition in solution.conditions]
    return "\n".join(lines) + "\n"
