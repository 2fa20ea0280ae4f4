"""The ``symcnn`` command line: one subcommand per module in :mod:`symcnn.commands`.

Every symcnn error becomes one line on stderr and exit status 2; there is never a traceback for
bad input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .commands import COMMANDS
from .errors import SymcnnError

__all__ = ["build_parser", "main"]

DESCRIPTION = """\
symcnn treats neural-network arithmetic as algebra: every layer is a SymPy formula over the
textbook symbols (m, n filter width/height, d input depth, k filters, c/p neurons in this/the
previous layer, bias), and a network composes them exactly, with numbers or with symbols.
"""

EPILOG = """\
examples:
  symcnn summary examples/lenet5.yaml
  symcnn summary examples/symbolic.yaml --set H=32 --set W=32 --format json

Run 'symcnn COMMAND --help' for a command's options. Exit status: 0 on success, 2 on bad input.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="symcnn",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"symcnn {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        return int(arguments.run(arguments) or 0)
    except SymcnnError as error:
        message = " ".join(str(error).split())
        print(f"symcnn {arguments.command}: error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into head
        return 0


if __name__ == "__main__":
    sys.exit(main())
