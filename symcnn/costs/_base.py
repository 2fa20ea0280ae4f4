"""Counters: each names a tool's way of counting the cost of a forward pass, and reproduces it.

A counter is a table from a layer's cost family (``Layer.cost_family``: ``conv``, ``linear``,
``batch_norm``, ``add``...) to a rule: the row's multiply-accumulates and floating-point
operations, as that tool counts them, for one example. The layers give the textbook work they do
(``Layer.work(row)``: ``macs``, ``bias``...), written once in their own modules; a counter decides
which of it, and what else, its tool counts. A family without a rule costs nothing under that
counter.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import sympy

from ..errors import SpecError
from ..formula import Expr
from ..layers import Row

__all__ = ["COUNTERS", "Counter", "Rule", "live_rows", "lookup", "register", "row_costs"]

ZERO = sympy.Integer(0)

#: a counter's rule for one family: the row's (MACs, FLOPs)
Rule = Callable[[Row], tuple[Expr, Expr]]


@dataclass(frozen=True)
class Counter:
    """A tool's way of counting: ``reports`` is the quantity the tool itself prints (``flops`` for
    FlopCounterMode, ``macs`` for the others), which equals the tool's number on the same net."""

    name: str
    tool: str
    #: one sentence for the summary's footer: who counted, and what
    sentence: str
    reports: str
    rules: Mapping[str, Rule] = field(default_factory=dict)

    def of(self, row: Row) -> tuple[Expr, Expr]:
        """The row's (MACs, FLOPs) under this counter, for one application of the layer."""
        rule = self.rules.get(row.layer.cost_family)
        if rule is None:
            return ZERO, ZERO
        return rule(row)


#: the counters by name, in the order the docs list them
COUNTERS: dict[str, Counter] = {}


def register(counter: Counter) -> Counter:
    if counter.reports not in ("macs", "flops"):
        raise ValueError(f"counter {counter.name!r} reports {counter.reports!r}: macs or flops")
    COUNTERS[counter.name] = counter
    return counter


def lookup(name: str) -> Counter:
    """The counter ``name``; an unknown one is an error listing the valid names."""
    if name in COUNTERS:
        return COUNTERS[name]
    near = difflib.get_close_matches(str(name), list(COUNTERS), n=1)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    raise SpecError(
        f"unknown counter {name!r}{hint} (counters: {', '.join(COUNTERS)})", field="counter"
    )


def live_rows(rows: Sequence[Row], output: str) -> set[str]:
    """The rows the output depends on (costs count only these; parameters count every row)."""
    by_name = {row.name: row for row in rows}
    live: set[str] = set()
    waiting = [output]
    while waiting:
        name = waiting.pop()
        row = by_name.get(name)
        if row is None or name in live:
            continue
        live.add(name)
        waiting.extend(row.inputs)
    return live


def row_costs(rows: Sequence[Row], output: str, counter: Counter) -> dict[str, tuple[Expr, Expr]]:
    """Every row's (MACs, FLOPs) under ``counter`` for one application (a shared layer's row
    counts its own application); a row the output does not depend on costs nothing. A total
    multiplies each by the row's multiplicity (a symbolic repeat ``L``)."""
    live = live_rows(rows, output)
    costs: dict[str, tuple[Expr, Expr]] = {}
    for row in rows:
        if row.name not in live:
            costs[row.name] = (ZERO, ZERO)
            continue
        costs[row.name] = counter.of(row)
    return costs
