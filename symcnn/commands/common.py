"""Options and helpers that several subcommands share."""

from __future__ import annotations

import argparse
import math
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


def positive_integer(text: str) -> int:
    """An argparse type: a whole number of at least 1 (``--limit 0`` lists nothing: refused)."""
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive integer")
    return value


def seconds(text: str) -> float:
    """An argparse type: a finite number of seconds above 0 (not -1, nan or inf)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def _whole(text: str) -> int:
    try:
        return int(text.strip().replace("_", ""), 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


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
    values = dict(parse_assignment(text) for text in assignments)
    # the values go in while the network is built (a given size never passes through a formula)
    net = load(spec, values or None, convention=convention)
    warn(net)
    return net


def warn(net: Network) -> None:
    """Print the network's warnings on stderr, one line each."""
    for warning in net.warnings:
        print(f"symcnn: warning: {warning}", file=sys.stderr)


def write(text: str) -> None:
    sys.stdout.write(text)
