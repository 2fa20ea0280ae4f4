"""Write the table of docs/notation.md from ``symcnn.symbols.NOTATION``, the one source of truth.

Run ``python docs/_gen_notation.py`` to rewrite the table between the markers, or add ``--check``
to exit 1 if the page is out of date (the tests compare the page with :func:`render` instead).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import sympy

from symcnn.symbols import NOTATION

PAGE = Path(__file__).resolve().parent / "notation.md"
START = "<!-- notation:start -->"
END = "<!-- notation:end -->"


def assumptions(symbol: sympy.Symbol) -> str:
    """The SymPy assumptions a symbol was made with, in words."""
    if symbol.is_integer and symbol.is_positive:
        return "positive integer"
    if symbol.is_integer and symbol.is_nonnegative:
        return "nonnegative integer"
    if symbol.is_integer:
        return "integer"
    return "—"


def table() -> str:
    lines = [
        "| Symbol | Meaning | Assumptions | Source | LaTeX |",
        "| :--- | :--- | :--- | :--- | :--- |",
    ]
    for name, notation in NOTATION.items():
        latex = sympy.latex(notation.symbol)
        lines.append(
            f"| `{name}` | {notation.meaning} | {assumptions(notation.symbol)} "
            f"| {notation.source} | `{latex}` |"
        )
    return "\n".join(lines)


def render(page: str) -> str:
    """``page`` with the text between the markers replaced by the current table."""
    if START not in page or END not in page:
        raise SystemExit(f"{PAGE}: the markers {START} and {END} are missing")
    before, rest = page.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{table()}\n{END}{after}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the page is current")
    arguments = parser.parse_args()
    current = PAGE.read_text(encoding="utf-8")
    wanted = render(current)
    if arguments.check:
        if current != wanted:
            print(f"{PAGE} is out of date: run python docs/_gen_notation.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
