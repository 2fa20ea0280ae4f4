"""A sweep's summary (:class:`SweepSummary`: counts, ranges, the best point, the Pareto front,
histograms) and its text and JSON."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

__all__ = ["SweepSummary", "summary_json", "summary_text"]


@dataclass(frozen=True)
class SweepSummary:
    """A sweep's reductions: ``points`` on the grid, ``valid`` where the network is valid,
    ``feasible`` also meeting ``where``; each quantity's range over the feasible points; the best
    point and the Pareto front (rows: dicts of the variables and quantities); histograms (each a
    list of ``(low, high, count)`` bins: ``low`` included, ``high`` excluded, except the last
    bin of a fractional quantity)."""

    variables: tuple[str, ...]
    quantities: tuple[str, ...]
    points: int
    valid: int
    feasible: int
    where: tuple[str, ...]
    ranges: dict[str, tuple[Any, Any]]
    minimize: str | None
    maximize: str | None
    best: dict[str, Any] | None
    pareto_axes: tuple[str, ...]
    pareto: tuple[dict[str, Any], ...]
    histograms: dict[str, tuple[tuple[Any, Any, int], ...]]
    notes: tuple[str, ...]

    def objective_text(self) -> str:
        """``least params`` or ``most macs``; empty without an objective."""
        if self.minimize:
            return f"least {self.minimize}"
        return f"most {self.maximize}" if self.maximize else ""


# ------------------------------------------------------------------------------ output


def _cell(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def summary_text(summary: SweepSummary, limit: int | None = None) -> str:
    """The summary as text: counts, ranges, the best point, the front as a table (at most
    ``limit`` rows), histograms."""
    meeting = f", meeting {'; '.join(summary.where)}: {summary.feasible:,}" if summary.where else ""
    lines = [f"points: {summary.points:,}, valid: {summary.valid:,}{meeting}"]
    lines += [f"{name}: {_cell(lo)} .. {_cell(hi)}" for name, (lo, hi) in summary.ranges.items()]
    if summary.objective_text():
        if summary.best is None:
            lines.append(
                f"best ({summary.objective_text()}): no point is valid and meets the targets"
            )
        else:
            cells = ", ".join(f"{k} = {_cell(v)}" for k, v in summary.best.items())
            lines.append(f"best ({summary.objective_text()}): {cells}")
    if summary.pareto_axes:
        lines.append(
            f"Pareto front of ({', '.join(summary.pareto_axes)}): {len(summary.pareto):,} points"
        )
        headers = [*summary.variables, *summary.quantities]
        shown = summary.pareto if limit is None else summary.pareto[:limit]
        rows = [[_cell(row[h]) for h in headers] for row in shown]
        widths = [max([len(h), *(len(r[j]) for r in rows)]) for j, h in enumerate(headers)]
        for line in [headers, *rows]:
            lines.append("  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        if len(shown) < len(summary.pareto):
            lines.append(
                f"… {len(summary.pareto) - len(shown):,} more points (--limit, or --format json)"
            )
    for name, bins in summary.histograms.items():
        lines.append(f"histogram of {name} ({len(bins)} bins, low included):")
        most = max((c for _, _, c in bins), default=0)
        texts = [(_cell(lo), _cell(hi), f"{c:,}") for lo, hi, c in bins]
        w = [max((len(t[j]) for t in texts), default=0) for j in range(3)]
        for (lo, hi, c), (_, _, count) in zip(texts, bins, strict=True):
            bar = "#" * math.ceil(30 * count / most) if most else ""
            lines.append(f"  {lo.rjust(w[0])} .. {hi.rjust(w[1])}  {c.rjust(w[2])}  {bar}".rstrip())
    lines += [f"note: {note}" for note in summary.notes]
    return "\n".join(lines) + "\n"


def summary_json(summary: SweepSummary) -> str:
    """The summary as JSON (the same for the same sweep, whichever engine ran it)."""
    data = {
        "variables": list(summary.variables),
        "quantities": list(summary.quantities),
        "points": summary.points,
        "valid": summary.valid,
        "feasible": summary.feasible,
        "where": list(summary.where),
        "ranges": {name: list(pair) for name, pair in summary.ranges.items()},
        "minimize": summary.minimize,
        "maximize": summary.maximize,
        "best": summary.best,
        "pareto_axes": list(summary.pareto_axes),
        "pareto": list(summary.pareto),
        "histograms": {
            name: [{"low": lo, "high": hi, "count": c} for lo, hi, c in bins]
            for name, bins in summary.histograms.items()
        },
        "notes": list(summary.notes),
    }
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"
