"""Cost quantities — MACs and FLOPs of one forward pass, one example — under named counters.

Every cost is a formula, per layer, symbolic like the rest. Each counter reproduces one tool
exactly (``torch``: FlopCounterMode, the default; ``fvcore``; ``ptflops``; ``torchinfo``); see
``docs/costs.md`` for what each counts, layer by layer.
"""

from __future__ import annotations

# each counter's module registers it; the docs and `--help` list them in ORDER
from . import _fvcore, _ptflops, _torch, _torchinfo  # noqa: F401
from ._base import COUNTERS, Counter, Rule, live_rows, lookup, register, row_costs

__all__ = ["COUNTERS", "DEFAULT", "Counter", "Rule", "live_rows", "lookup", "register", "row_costs"]

#: the counter ``net.macs`` and ``net.flops`` use
DEFAULT = "torch"
#: the order the counters are listed in
ORDER = ("torch", "fvcore", "ptflops", "torchinfo")
for _name in [name for name in ORDER if name in COUNTERS] + [n for n in COUNTERS if n not in ORDER]:
    COUNTERS[_name] = COUNTERS.pop(_name)
