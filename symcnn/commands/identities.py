"""``symcnn identities``: the named identities between layer formulas, proved and checked."""

from __future__ import annotations

import argparse
import json
from typing import Any

import sympy

from ..errors import SpecError
from .common import add_command, write

HELP = "list the identities between layer formulas, each proved and checked on numbers"
DESCRIPTION = """\
List symcnn's named identities between layer formulas (a 1x1 conv is a dense layer at every
position, a grouped conv has 1/g of the weights...) with their status: proved (the engine's
formulas agree symbolically) and checked (they agree on random small configurations, built as
real networks where the identity has an example). Your own identities come from --file.

Exit status: 0 when every identity is proved and checked, 1 otherwise, 2 on bad input.
"""
EPILOG = """\
an identities file (YAML; nothing in it is executed):
  identities:
    - name: pointwise-is-dense
      statement: A 1x1 conv has the parameters of a dense layer.
      lhs: {quantity: conv2d.params, set: {m: 1, n: 1}}
      rhs: {quantity: linear.params, set: {p: d, c: k}}

examples:
  symcnn identities
  symcnn identities same-padding-keeps-size --show
  symcnn identities --file my_identities.yaml --samples 50 --format json
"""


def register(subparsers: Any) -> None:
    parser = add_command(subparsers, "identities", HELP, DESCRIPTION, EPILOG)
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these identities")
    parser.add_argument(
        "--file",
        dest="files",
        action="append",
        default=[],
        metavar="FILE",
        help="a YAML file of further identities; repeatable",
    )
    parser.add_argument(
        "--samples",
        type=int,
        default=25,
        metavar="N",
        help="random configurations to check each identity on (default 25)",
    )
    parser.add_argument("--show", action="store_true", help="print both sides of each identity")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    # imported here: the built-in identities are computed on import, which no other command needs
    from ..identities import IDENTITIES, load_identities, statuses

    if not 1 <= arguments.samples <= 10_000:
        raise SpecError(f"--samples {arguments.samples}: must be between 1 and 10000")
    identities = dict(IDENTITIES)
    for path in arguments.files:
        for identity in load_identities(path):
            identities[identity.name] = identity
    if arguments.names:
        unknown = [name for name in arguments.names if name not in identities]
        if unknown:
            raise SpecError(f"no identity {unknown[0]!r} (identities: {', '.join(identities)})")
        identities = {name: identities[name] for name in arguments.names}
    results = statuses(identities.values(), arguments.samples)
    if arguments.format == "json":
        data = [
            {
                "name": identity.name,
                "statement": identity.statement,
                "proved": proved,
                "checked": outcome.tried,
                "failures": [
                    {key: _jsonable(value) for key, value in failure.items()}
                    for failure in outcome.failures
                ],
                "lhs": [sympy.sstr(side) for side in identity.lhs],
                "rhs": [sympy.sstr(side) for side in identity.rhs],
                "source": identity.source,
            }
            for identity, proved, outcome in results
        ]
        write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        write(_text(results, arguments.show))
    return 0 if all(proved and outcome.ok for _, proved, outcome in results) else 1


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, int):
        return value
    return sympy.sstr(value)


def _text(results: list[Any], show: bool) -> str:
    lines = []
    for identity, proved, outcome in results:
        status = "proved" if proved else "NOT PROVED"
        if outcome.failures:
            status += f", FAILS on {len(outcome.failures)} of {outcome.tried} configurations"
        elif outcome.tried:
            status += f", checked on {outcome.tried} configurations"
        else:
            status += ", no valid configuration to check"
        lines.append(f"{identity.name}  [{status}]")
        lines.append(f"    {identity.statement}")
        if show:
            for left, right in zip(identity.lhs, identity.rhs, strict=True):
                lines.append(f"    {sympy.sstr(left)}  =  {sympy.sstr(right)}")
        for failure in outcome.failures[:3]:
            shown = ", ".join(f"{name} = {value}" for name, value in failure["values"].items())
            lines.append(f"    fails at {shown}")
    return "\n".join(lines) + "\n"
