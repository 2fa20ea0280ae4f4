"""What :func:`symcnn.check` returns: the verdict, its counterexample and diagnoses, as data."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy
from sympy import Expr

from ..layers import Row
from ..mistakes import Mistake

__all__ = ["Counterexample", "Diagnosis", "Target", "Verdict"]


@dataclass(frozen=True)
class Counterexample:
    """Values of the symbols where the claim and the engine differ, and both values there."""

    values: Mapping[sympy.Symbol, Expr]
    claim: Expr | None  # None: the claim is undefined there (a division by zero)
    truth: Expr


@dataclass(frozen=True)
class Diagnosis:
    """Why a claim may be what it is: a catalogued mistake or another configuration.

    ``rows`` names the layers a mistake was made on when the target is a network.
    """

    kind: str  # "mistake" or "configuration"
    title: str
    detail: str
    mistake: Mistake | None = None
    rows: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Target:
    """The quantity a claim is compared with."""

    label: str
    truth: Expr
    quantity: str
    rows: tuple[Row, ...]
    general: Expr | None = None
    claim_values: Mapping[sympy.Symbol, Expr] = field(default_factory=dict)
    defaults: Mapping[sympy.Symbol, Expr] = field(default_factory=dict)
    constraints: tuple[sympy.Basic, ...] = ()
    flags: frozenset[sympy.Symbol] = frozenset()
    layout: str = "HWC"
    #: the one row whose quantity this is (a layer, or one row of a network)
    row: Row | None = None


@dataclass(frozen=True)
class Verdict:
    """The outcome of :func:`check`.

    ``right`` is true when the claim equals the engine's value for every value of the symbols, or
    (``condition``) for one setting of the bias flag that the claim leaves implicit. ``proved``
    says whether equivalence was shown symbolically rather than by trying values.
    """

    claim_text: str
    claim: Expr
    target: Target
    right: bool
    proved: bool
    condition: str | None
    assumed: Mapping[sympy.Symbol, Expr]
    difference: Expr | None
    counterexample: Counterexample | None
    diagnoses: tuple[Diagnosis, ...]
    tried: int = 0
    #: how a claim written in a textbook's alphabet was read (``n = W, f = m...``), or ""
    reading: str = ""

    @property
    def truth(self) -> Expr:
        return self.target.truth

    @property
    def status(self) -> str:
        if self.right:
            return "right" if self.condition is None else "right-when"
        return "wrong"

    def __str__(self) -> str:
        """The verdict as ``symcnn check`` prints it: claim, engine, verdict, diagnosis."""
        return format_verdict(self).rstrip("\n")

    def _repr_markdown_(self) -> str:
        return "```text\n" + str(self) + "\n```\n"

    def as_dict(self) -> dict[str, Any]:
        """The verdict as JSON-ready data."""
        example = self.counterexample
        return {
            "verdict": self.status,
            "right": self.right,
            "proved": self.proved,
            "claim": _text(self.claim),
            "claim_text": self.claim_text,
            "reading": self.reading or None,
            "against": self.target.label,
            "quantity": self.target.quantity,
            "truth": _text(self.truth),
            "general": None if self.target.general is None else _text(self.target.general),
            "defaults": {s.name: _text(v) for s, v in self.target.defaults.items()},
            "condition": self.condition,
            "assumed": {s.name: _text(v) for s, v in self.assumed.items()},
            "difference": None if self.difference is None else _text(self.difference),
            "counterexample": None
            if example is None
            else {
                "values": {s.name: _text(v) for s, v in example.values.items()},
                "claim": None if example.claim is None else _text(example.claim),
                "truth": _text(example.truth),
            },
            "diagnosis": [
                {
                    "kind": diagnosis.kind,
                    "id": None if diagnosis.mistake is None else diagnosis.mistake.id,
                    "title": diagnosis.title,
                    "detail": diagnosis.detail,
                    "rows": list(diagnosis.rows),
                    "note": diagnosis.note,
                    "explanation": None
                    if diagnosis.mistake is None
                    else diagnosis.mistake.explanation,
                    "source": None if diagnosis.mistake is None else diagnosis.mistake.source,
                }
                for diagnosis in self.diagnoses
            ],
        }


def _text(expr: Expr) -> str:
    return sympy.sstr(expr)


# ------------------------------------------------------------------------------ as text



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
    if verdict.reading:
        lines.append(f"read as:   {verdict.reading}")
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
