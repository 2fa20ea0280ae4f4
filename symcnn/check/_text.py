"""A verdict as the lines ``symcnn check`` prints."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

import sympy
from sympy import Expr

from ._verdict import Verdict

__all__ = ["format_verdict"]


def _number(expr: Expr) -> str:
    if isinstance(expr, sympy.Integer):
        return f"{int(expr):,}"
    return sympy.sstr(expr)


def _assignment(values: Mapping[sympy.Symbol, Expr]) -> str:
    return ", ".join(f"{symbol} = {_number(value)}" for symbol, value in values.items())


def format_verdict(verdict: Verdict) -> str:
    """A verdict as the lines ``symcnn check`` prints."""
    target = verdict.target
    text = verdict.claim_text.strip()
    lines = [f"claim:     {text}"]
    plain = "".join(text.split()).replace(",", "")
    if plain not in (sympy.sstr(verdict.claim), sympy.sstr(verdict.claim).replace(" ", "")):
        lines[0] += f"  =  {_number(verdict.claim)}"
    lines.append(f"engine:    {_number(target.truth)}")
    lines.append(f"           {target.label}")
    if target.general is not None and target.general != target.truth:
        formula = f"           formula {sympy.sstr(target.general)}"
        if target.defaults:
            formula += f" at the defaults {_assignment(target.defaults)}"
        lines.append(formula)
    if verdict.right and verdict.condition is None:
        how = (
            "proved symbolically"
            if verdict.proved
            else f"no counterexample in {verdict.tried} tries"
        )
        lines.append(f"verdict:   right ({how})")
    elif verdict.right:
        lines.append(f"verdict:   right when {verdict.condition}")
    else:
        text = "wrong"
        if verdict.condition == "never":
            text += ": the two never agree"
        elif verdict.condition:
            text += f": they agree only when {verdict.condition}"
        if verdict.assumed:
            text += f" (compared with {_assignment(verdict.assumed)})"
        lines.append(f"verdict:   {text}")
        if verdict.difference is not None and not (
            verdict.claim.is_number and target.truth.is_number
        ):
            lines.append(f"difference: claim − engine = {sympy.sstr(verdict.difference)}")
        elif verdict.difference is not None:
            lines.append(f"difference: claim − engine = {_number(verdict.difference)}")
        example = verdict.counterexample
        if example is not None and example.values:
            claim_value = "undefined" if example.claim is None else _number(example.claim)
            lines.append(
                f"counterexample: {_assignment(example.values)}: claim {claim_value}, "
                f"engine {_number(example.truth)}"
            )
    for diagnosis in verdict.diagnoses:
        head = "diagnosis: " if not verdict.right else "note:      "
        title = diagnosis.title
        if diagnosis.mistake is not None:
            title += f" [{diagnosis.mistake.id}]"
        if diagnosis.note:
            title += f" ({diagnosis.note})"
        lines.append(f"{head}{title}")
        lines.append(f"           {diagnosis.detail}")
        if diagnosis.mistake is not None:
            lines += _wrapped(diagnosis.mistake.explanation)
            lines += _wrapped(f"source: {diagnosis.mistake.source}")
    return "\n".join(lines) + "\n"


def _wrapped(text: str) -> list[str]:
    return textwrap.wrap(
        text,
        width=100,
        initial_indent=" " * 11,
        subsequent_indent=" " * 11,
        break_on_hyphens=False,
    )
