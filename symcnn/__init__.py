"""symcnn: neural-network arithmetic as algebra.

Every layer is a SymPy formula over the textbook symbols; a network composes them, exactly.
"""

from __future__ import annotations

from .check import Verdict, check
from .derive import derive_network
from .errors import ParseError, ShapeError, SolveError, SpecError, SymcnnError
from .exam import load_template, make_exam
from .facade import Network, load
from .layers import LAYERS, Row
from .parse import parse_expression
from .references import quantity
from .solve import Solution, solve
from .sweep import Sweep, sweep

__all__ = [
    "LAYERS",
    "Network",
    "ParseError",
    "Row",
    "ShapeError",
    "Solution",
    "SolveError",
    "SpecError",
    "Sweep",
    "SymcnnError",
    "Verdict",
    "check",
    "derive_network",
    "load",
    "load_template",
    "make_exam",
    "parse_expression",
    "quantity",
    "solve",
    "sweep",
]
__version__ = "0.1.0"
