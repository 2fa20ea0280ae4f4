"""``symcnn solve``: ask backwards — which values of the unknowns give the targets."""

from __future__ import annotations

import argparse
import functools
import json
import textwrap
from collections.abc import Mapping
from typing import Any

import sympy

from ..errors import SolveError
from ..quantities import QUANTITIES
from ..solve import (
    Checked,
    Equation,
    LayerFormula,
    Probe,
    Roots,
    Search,
    Solution,
    Stated,
    solve,
)
from .common import (
    add_command,
    add_set_option,
    add_spec_argument,
    parse_assignment,
    positive_integer,
    seconds,
    write,
)

__all__ = ["register", "run", "solution_data", "solution_text"]

HELP = "find the integer values of symbols that give a parameter count, a shape or a budget"
DESCRIPTION = """\
Ask backwards: which values of the unknowns (symbols written in the spec, or a bare '?') give the
targets? Equations are solved exactly over the positive integers; inequalities give the whole
feasible range, or with --max/--min the extreme value. Floors in strided output sizes are handled:
several inputs can give the same output, and the whole range is reported. Every answer also passes
the network's validity checks. When no integer works, the nearest real solution and the values of
the neighbouring integers are shown.

Exit status: 0 when there is a solution, 1 when no integer satisfies the targets (the answer is
no, as check's is for a wrong claim), 2 on bad input.
"""
#: the registry's quantities, as --help lists them
_LISTED = textwrap.fill(
    ", ".join(QUANTITIES), 98, initial_indent="  quantities: ", subsequent_indent=" " * 14
)
EPILOG = f"""\
targets (--where, repeatable): QUANTITY=VALUE, QUANTITY<=VALUE, <, >=, >
{_LISTED}
              a shape is a list ([28,28,8]; * for any size) or one axis: output_shape[0];
              LAYER.params, LAYER.output_shape[0], layers[2].params, or expressions (k1 + k2)

examples:
  symcnn solve examples/solve_filters.yaml --where CONV2.params=3216
  symcnn solve examples/solve_kernel.yaml --where "output_shape=[28,28,8]"
  symcnn solve examples/solve_budget.yaml --max k1 --where "params<=1000000"
  symcnn solve examples/solve_pairs.yaml --for f,k --where params=3216 --bounds k=1..512
"""


def register(subparsers: Any) -> None:
    parser = add_command(subparsers, "solve", HELP, DESCRIPTION, EPILOG)
    add_spec_argument(parser)
    parser.add_argument(
        "--where",
        dest="targets",
        action="append",
        default=[],
        metavar="TARGET",
        help='a target such as params=3216 or "params<=1e6"; repeatable (none, with --for: '
        "which values make the network valid)",
    )
    parser.add_argument(
        "--for",
        dest="unknowns",
        action="append",
        default=[],
        metavar="NAME[,NAME]",
        help="the unknowns (default: every symbol left in the targets, and every '?')",
    )
    parser.add_argument(
        "--bounds",
        action="append",
        default=[],
        metavar="NAME=LO..HI",
        help="search bounds of an unknown, such as k=1..512 (either end may be left out)",
    )
    add_set_option(parser)
    extreme = parser.add_mutually_exclusive_group()
    extreme.add_argument(
        "--max", metavar="QUANTITY", help="the largest value: a symbol or a quantity"
    )
    extreme.add_argument("--min", metavar="QUANTITY", help="the smallest value")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="text (default) or json"
    )
    parser.add_argument(
        "--limit",
        type=positive_integer,
        default=20,
        metavar="N",
        help="list at most N solutions (default 20)",
    )
    parser.add_argument(
        "--timeout",
        type=seconds,
        default=10.0,
        metavar="SECONDS",
        help="stop a search after this long and say so (default 10)",
    )
    parser.add_argument(
        "--max-points",
        type=positive_integer,
        default=10_000_000,
        metavar="N",
        help="refuse searches over more grid points than this (default 10^7)",
    )
    parser.set_defaults(run=run)


def _bounds(items: list[str]) -> dict[str, str]:
    bounds: dict[str, str] = {}
    for item in items:
        for part in item.split(","):
            name, equals, value = part.partition("=")
            if not equals or not name.strip() or not value.strip():
                raise SolveError(f"--bounds {item!r}: expected NAME=LO..HI, such as k=1..512")
            bounds[name.strip()] = value.strip()
    return bounds


def run(arguments: argparse.Namespace) -> int:
    values = dict(parse_assignment(text) for text in arguments.values)
    unknowns = [name for item in arguments.unknowns for name in item.split(",") if name.strip()]
    solution = solve(
        arguments.spec,
        *arguments.targets,
        unknowns=unknowns or None,
        bounds=_bounds(arguments.bounds),
        values=values,
        maximize=arguments.max,
        minimize=arguments.min,
        limit=arguments.limit,
        timeout=arguments.timeout,
        max_points=arguments.max_points,
    )
    if arguments.format == "json":
        write(json.dumps(solution_data(solution), indent=2, ensure_ascii=False) + "\n")
    else:
        write(solution_text(solution))
    # one rule for every command that answers a question: 1 is a well-posed "no"
    return 1 if solution.count == 0 and solution.complete else 0


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


# ------------------------------------------------------------------------------ json


def _json_value(value: Any) -> Any:
    if isinstance(value, int | sympy.Integer):
        return int(value)
    if isinstance(value, sympy.Basic):
        return sympy.sstr(value)
    return value


def _json_step(step: Any) -> dict[str, Any]:
    if isinstance(step, Stated):
        return {"step": "target", "text": step.target.text}
    if isinstance(step, Checked):
        return {"step": "check", "label": step.label, "message": step.message}
    if isinstance(step, LayerFormula):
        return {
            "step": "layer formula",
            "label": step.label,
            "formula": sympy.sstr(step.general),
            "substituted": sympy.sstr(step.substituted),
        }
    if isinstance(step, Equation):
        return {
            "step": step.role,
            "label": step.label,
            "lhs": sympy.sstr(step.lhs),
            "relation": step.relation,
            "rhs": sympy.sstr(step.rhs),
        }
    if isinstance(step, Roots):
        return {
            "step": "roots",
            "label": step.label,
            "symbol": step.symbol.name,
            "roots": [sympy.sstr(r) for r in step.roots],
        }
    if isinstance(step, Search):
        return {
            "step": "search",
            "method": step.method,
            "label": step.label,
            "bounds": {k: [r.low, r.high] for k, r in step.bounds.items()},
            "points": step.points,
            "complete": step.complete,
            "direction": step.direction,
        }
    raise TypeError(type(step).__name__)


def solution_data(solution: Solution) -> dict[str, Any]:
    """The solution as plain JSON-ready data (exact values as integers or strings)."""

    def values(mapping: Mapping[str, Any]) -> dict[str, Any]:
        return {k: _json_value(v) for k, v in mapping.items()}

    return {
        "unknowns": list(solution.names),
        "targets": [t.text for t in solution.targets],
        "answer": solution.describe(),
        "count": solution.count,
        "ranges": [[r.low, r.high] for r in solution.ranges],
        "points": [dict(p) for p in solution.points],
        "objective": None
        if solution.objective is None
        else {
            "kind": solution.objective[0],
            "of": solution.objective[1],
            "best": _json_value(solution.best),
        },
        "complete": solution.complete,
        "bounds": {k: [r.low, r.high] for k, r in solution.bounds.items()},
        "nearest": [
            {
                "label": r.label,
                "symbol": r.symbol.name,
                "value": sympy.sstr(r.value),
                "approx": float(r.value),
                "relaxed": r.relaxed,
            }
            for r in solution.nearest
        ],
        "probes": [
            {
                "point": dict(p.point),
                "values": values(p.values),
                "satisfied": p.satisfied,
                "reason": p.reason,
            }
            for p in solution.probes
        ],
        "method": solution.method,
        "notes": list(solution.notes),
        "conditions": list(solution.conditions),
        "derivation": [_json_step(step) for step in solution.derivation],
    }
