"""Asking backwards: which values of the unknowns give the targets (exactly, over the integers).

>>> import symcnn
>>> net = symcnn.load({"input": [32, 32, 3], "layers": [
...     {"type": "conv2d", "out_channels": 8, "kernel_size": "f"}]})
>>> symcnn.solve(net, "output_shape = [28, 28, 8]")
<Solution f = 5>
"""

from __future__ import annotations

from ._integers import IntRange, IntSet
from ._result import (
    Checked,
    Equation,
    LayerFormula,
    Probe,
    RealRoot,
    Roots,
    Search,
    Solution,
    Stated,
    Step,
    solution_text,
)
from ._solver import mark_unknowns, parse_bounds, solve
from ._targets import Target, parse_target
from ._working import solved_working

__all__ = [
    "Checked",
    "Equation",
    "IntRange",
    "IntSet",
    "LayerFormula",
    "Probe",
    "RealRoot",
    "Roots",
    "Search",
    "Solution",
    "Stated",
    "Step",
    "Target",
    "mark_unknowns",
    "parse_bounds",
    "parse_target",
    "solution_text",
    "solve",
    "solved_working",
]
