"""symcnn: neural-network arithmetic as algebra.

Every layer is a SymPy formula over the textbook symbols; a network composes them, exactly.
"""

from __future__ import annotations

from .errors import ParseError, ShapeError, SolveError, SpecError, SymcnnError
from .layers import LAYERS, Row
from .network import Network
from .parse import parse_expression
from .spec import load

__all__ = [
    "LAYERS",
    "Network",
    "ParseError",
    "Row",
    "ShapeError",
    "SolveError",
    "SpecError",
    "SymcnnError",
    "load",
    "parse_expression",
]
__version__ = "0.1.0"
