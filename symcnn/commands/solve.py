"""``symcnn solve``: ask backwards — which values of the unknowns give the targets."""

from __future__ import annotations

import argparse
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
    Roots,
    Search,
    Solution,
    Stated,
    solution_text,
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
        default=None,
        metavar="N",
        help="refuse searches over more grid points than this (default 10^7, "
        "symcnn.limits.MAX_SEARCH_POINTS)",
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
