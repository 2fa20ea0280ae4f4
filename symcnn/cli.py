"""The ``symcnn`` command line: one subcommand per module in :mod:`symcnn.commands`.

Only the module of the command that runs is imported; the others are listed in ``--help`` from
the table :data:`symcnn.commands.COMMANDS`, so ``symcnn summary`` does not pay for the solver.

Every symcnn error becomes one line on stderr and exit status 2; there is never a traceback for
bad input: as a last resort a ``RecursionError`` or ``MemoryError`` (an input past what the limits
of :mod:`symcnn.limits` foresee) is one line and exit status 2 too.
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Collection, Sequence

from . import __version__
from .commands import COMMANDS
from .errors import SymcnnError

__all__ = ["build_parser", "entry", "main"]

#: the garbage collector's first threshold while the command line runs (Python's default is 700):
#: importing SymPy and building a network allocate hundreds of thousands of objects that live to
#: the end, and collecting them again and again is wasted time (``benchmarks/README.md``)
GC_THRESHOLD = 100_000

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


def build_parser(load: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The ``symcnn`` parser, with the full options of the commands in ``load`` (default: all).

    Every other command is registered by name and help line only, without importing its module:
    enough for ``symcnn --help`` and for argparse's list of valid commands.
    """
    parser = argparse.ArgumentParser(
        prog="symcnn",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"symcnn {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        if load is None or command.name in load:
            command.load().register(subparsers)
        else:
            subparsers.add_parser(command.name, help=command.help)
    return parser


def _command_in(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names: its first argument that is not an option (the top level has
    no option that takes a value)."""
    return next((argument for argument in argv if not argument.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    command = _command_in(argv)
    parser = build_parser(() if command is None else (command,))
    arguments = parser.parse_args(argv)
    try:
        return int(arguments.run(arguments) or 0)
    except SymcnnError as error:
        message = " ".join(str(error).split())
        print(f"symcnn {arguments.command}: error: {message}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into head
        return 0
    except (RecursionError, MemoryError) as error:
        # the last resort: an input past what the limits foresee is still one line, not a
        # traceback (docs/limits.md)
        what = "nested too deeply" if isinstance(error, RecursionError) else "too large"
        print(
            f"symcnn {arguments.command}: error: the input is {what} to handle "
            f"({type(error).__name__}); see docs/limits.md",
            file=sys.stderr,
        )
        return 2
    except ValueError as error:
        if "integer string conversion" not in str(error):
            raise
        print(
            f"symcnn {arguments.command}: error: a number has more digits than can be printed "
            "(limit symcnn.limits.MAX_INTEGER_DIGITS; see docs/limits.md)",
            file=sys.stderr,
        )
        return 2


def entry() -> int:
    """The ``symcnn`` console script and ``python -m symcnn``: :func:`main`, tuned for one process.

    The collector runs less often while the command works (:data:`GC_THRESHOLD`), and what the
    command built is frozen before the interpreter exits, so that its last collection does not
    walk every SymPy object again: a LeNet-5 summary's exit took longer than its build. Reference
    counting still frees what is no longer used, and files are closed by then; ``atexit``
    handlers still run. :func:`main` itself, for callers that stay in the process, changes
    nothing of the collector's.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *thresholds[1:])
    try:
        code = main()
    finally:
        gc.set_threshold(*thresholds)
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(entry())
