"""Subcommands of the ``symcnn`` CLI: one module here per command, listed in :data:`COMMANDS`.

A command module has a ``register(subparsers)`` function that adds its parser and sets its
``run``. The table below names every command, its module and its one-line help, in the order
``symcnn --help`` lists them, so that the CLI can list all the commands and import only the one
that runs: importing every module would load the solver, the checker and NumPy to print a table.
``tests/test_startup.py`` checks that the table and the modules agree.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

__all__ = ["COMMANDS", "Command"]


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, the module in :mod:`symcnn.commands` that implements it, and the
    help line ``symcnn --help`` shows for it (the module's ``HELP``)."""

    name: str
    module: str
    help: str

    def load(self) -> ModuleType:
        """The command's module, imported on first use."""
        return importlib.import_module(f"{__name__}.{self.module}")


COMMANDS: tuple[Command, ...] = (
    Command(
        "summary",
        "summary",
        "print each layer's activation shape, activation size and parameters, with totals",
    ),
    Command(
        "latex",
        "latex",
        "write an answer key (table, step-by-step working, total) as LaTeX, Markdown or text",
    ),
    Command(
        "solve",
        "solve",
        "find the integer values of symbols that give a parameter count, a shape or a budget",
    ),
    Command(
        "exam",
        "exam",
        "write exam variants: question sheets, answer keys, Moodle XML, GIFT and QTI 2.1",
    ),
    Command(
        "check",
        "check",
        "check a formula or an answer against the engine and name the mistake behind a wrong one",
    ),
    Command(
        "sweep",
        "sweep",
        "evaluate a network over a grid of values (table, CSV, JSON, plot)",
    ),
    Command(
        "import",
        "import_",
        "read a PyTorch model (FILE.py:factory), ONNX file or Keras JSON as a readable YAML spec",
    ),
    Command(
        "export",
        "export",
        "write a spec as PyTorch source: an nn.Module class that runs as written",
    ),
    Command(
        "identities",
        "identities",
        "list the identities between layer formulas, each proved and checked on numbers",
    ),
)
