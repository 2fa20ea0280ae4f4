"""Subcommands of the ``symcnn`` CLI: every module here with a ``register(subparsers)`` function.

A module may set ``ORDER`` (an int) to place its command in ``symcnn --help``.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def _discover() -> list[ModuleType]:
    modules = [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_") and info.name != "common"
    ]
    commands = [module for module in modules if hasattr(module, "register")]
    return sorted(commands, key=lambda module: (getattr(module, "ORDER", 50), module.__name__))


COMMANDS = _discover()
