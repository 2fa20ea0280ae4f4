"""symcnn: neural-network arithmetic as algebra.

Every layer is a SymPy formula over the textbook symbols; a network composes them, exactly.

The public names are imported on first use (PEP 562), so that ``import symcnn`` and a CLI
command load only the modules they need: ``symcnn summary`` never loads the solver, the checker
or NumPy. ``from symcnn import solve`` and ``symcnn.solve(...)`` work as if imported eagerly.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from .errors import ParseError, ShapeError, SolveError, SpecError, SymcnnError

if TYPE_CHECKING:
    from .check import Verdict, check
    from .derive import derive_network
    from .exam import load_template, make_exam
    from .facade import Network, load
    from .interop import from_keras, from_onnx, from_torch, to_onnx, to_torch
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
    "from_keras",
    "from_onnx",
    "from_torch",
    "load",
    "load_template",
    "make_exam",
    "parse_expression",
    "quantity",
    "solve",
    "sweep",
    "to_onnx",
    "to_torch",
]
__version__ = "0.1.0"

#: the submodule each lazily imported public name comes from
_LAZY = {
    "LAYERS": "layers",
    "Network": "facade",
    "Row": "layers",
    "Solution": "solve",
    "Sweep": "sweep",
    "Verdict": "check",
    "check": "check",
    "derive_network": "derive",
    "from_onnx": "interop",
    "from_keras": "interop",
    "from_torch": "interop",
    "load": "facade",
    "load_template": "exam",
    "make_exam": "exam",
    "parse_expression": "parse",
    "quantity": "references",
    "solve": "solve",
    "sweep": "sweep",
    "to_onnx": "interop",
    "to_torch": "interop",
}
#: public functions named like the submodule that defines them: ``symcnn.check`` is the function
_SHADOWED = frozenset(name for name, module in _LAZY.items() if name == module)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The ``symcnn`` module, keeping ``symcnn.check``, ``.solve`` and ``.sweep`` the functions.

    Importing a submodule sets it as an attribute of its package, so the first
    ``import symcnn.solve._integers`` anywhere would make ``symcnn.solve`` the subpackage, not the
    function. The eager ``from .solve import solve`` used to rebind the name after that import;
    this does the same whenever the import happens.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if (
            name in _SHADOWED
            and isinstance(value, types.ModuleType)
            and value.__name__ == f"{__name__}.{name}"
        ):
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
