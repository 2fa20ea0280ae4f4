"""What :func:`symcnn.check` returns: the verdict, its counterexample and diagnoses, as data."""

from __future__ import annotations

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

    @property
    def truth(self) -> Expr:
        return self.target.truth

    @property
    def status(self) -> str:
        if self.right:
            return "right" if self.condition is None else "right-when"
        return "wrong"

    def as_dict(self) -> dict[str, Any]:
        """The verdict as JSON-ready data."""
        example = self.counterexample
        return {
            "verdict": self.status,
            "right": self.right,
            "proved": self.proved,
            "claim": _text(self.claim),
            "claim_text": self.claim_text,
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
