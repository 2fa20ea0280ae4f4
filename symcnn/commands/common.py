"""Options and helpers that several subcommands share."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import SpecError
from ..facade import Network, load

__all__ = [
    "add_command",
    "add_set_option",
    "add_spec_argument",
    "load_with_values",
    "parse_assignment",
    "write",
]


def add_command(
    subparsers: Any, name: str, help: str, description: str, epilog: str
) -> argparse.ArgumentParser:
    """A subcommand's parser, its description and examples printed as written."""
    return subparsers.add_parser(  # type: ignore[no-any-return]
        name,
        help=help,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def parse_assignment(text: str) -> tuple[str, str]:
    """``H=32`` as ``("H", "32")``; the value is parsed later by the safe expression parser."""
    name, equals, value = text.partition("=")
    if not equals or not name.strip() or not value.strip():
        raise SpecError(f"--set {text!r}: expected NAME=VALUE, such as H=32")
    return name.strip(), value.strip()


def add_spec_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", metavar="SPEC", help="network spec: a .yaml, .yml or .json file")


def add_set_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        dest="values",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="give a symbol of the spec a value (a number or an expression); repeatable",
    )


def load_with_values(
    spec: str, assignments: list[str], convention: str | None = None
) -> Network:
    """Load ``spec`` (counted under ``convention`` when given) and substitute the ``--set``
    values."""
    net = load(spec, convention=convention)
    values = dict(parse_assignment(text) for text in assignments)
    return net.subs(values) if values else net


def write(text: str) -> None:
    sys.stdout.write(text)
