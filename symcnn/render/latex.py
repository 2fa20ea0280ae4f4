"""LaTeX rendering: escaping user text, and the summary as a booktabs table."""

from __future__ import annotations

from collections.abc import Iterable

import sympy

from ..network import Network

__all__ = ["escape_latex", "latex_number", "latex_table"]

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "#": r"\#",
    "%": r"\%",
    "_": r"\_",
    "^": r"\textasciicircum{}",
    "~": r"\textasciitilde{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}


def escape_latex(text: str) -> str:
    r"""User text as LaTeX text: every special character escaped, so ``\input{x}`` stays text.

    >>> escape_latex(r"\input{secret.tex} 100% of $x_1$")
    '\\textbackslash{}input\\{secret.tex\\} 100\\% of \\$x\\_1\\$'
    """
    return "".join(_ESCAPES.get(char, char) for char in text)


def latex_number(expr: sympy.Expr) -> str:
    """Math-mode LaTeX of an exact value; integers get digit grouping (``62{,}958``)."""
    if isinstance(expr, sympy.Integer):
        return f"{int(expr):,}".replace(",", "{,}")
    return sympy.latex(expr)


def _shape(shape: Iterable[sympy.Expr]) -> str:
    return "$(" + ", ".join(latex_number(size) for size in shape) + ")$"


def latex_table(net: Network) -> str:
    """The seeds' table as a booktabs ``tabular`` (needs ``\\usepackage{booktabs}``)."""
    buffers = any(row.buffers != 0 for row in net.rows)
    columns = "llrr" + ("r" if buffers else "")
    header = r"Layer & Activation shape & Activation size & \# parameters"
    if buffers:
        header += r" & \# buffers"
    lines = [rf"\begin{{tabular}}{{{columns}}}", r"\toprule", header + r" \\", r"\midrule"]
    first = ["Input", _shape(net.input_shape), f"${latex_number(net.input_size)}$", "$0$"]
    if buffers:
        first.append("$0$")
    lines.append(" & ".join(first) + r" \\")
    for row in net.rows:
        cells = [
            escape_latex(row.name),
            _shape(row.output_shape),
            f"${latex_number(row.activation_size)}$",
            f"${latex_number(row.params)}$",
        ]
        if buffers:
            cells.append(f"${latex_number(row.buffers)}$")
        lines.append(" & ".join(cells) + r" \\")
    lines.append(r"\midrule")
    total = ["Total", _shape(net.output_shape), "", f"${latex_number(net.params)}$"]
    if buffers:
        total.append(f"${latex_number(net.buffers)}$")
    lines.append(" & ".join(total) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(lines) + "\n"
