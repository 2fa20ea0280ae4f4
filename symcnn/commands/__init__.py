"""Subcommands of the ``symcnn`` CLI; each module has ``register(subparsers)``."""

from __future__ import annotations

from . import summary

COMMANDS = [summary]
