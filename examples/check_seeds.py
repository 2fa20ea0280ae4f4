"""Check the seed texts' answers with symcnn.check: which are right, which mistake made the rest.

Run from anywhere: python examples/check_seeds.py
"""

from __future__ import annotations

from pathlib import Path

import symcnn

LENET = Path(__file__).parent / "lenet5.yaml"

# (what the text says, the claim, what it is checked against)
FORMULAS = [
    ("seed 000, conv", "((m * n) + 1) * k", "conv2d.params"),
    ("seed 002, conv", "((m*n*d)+1)*k", "conv2d.params"),
    ("seed 000, dense", "((c*p)+1)", "linear.params"),
    ("seed 002, dense", "((c*p)+1*c)", "linear.params"),
    ("seed 001, dense", "p·(c+1)", "linear.params"),
]
NUMBERS = [
    ("seed 001, dense 128→256", "128·(256+1)", "linear 128->256 params", None),
    ("seed 001, conv 3×3 without bias", "3×3×128×256", "conv2d 128->256 3x3 bias=false", None),
    ("seed 001, conv 3×3 with bias", "(3×3×128+1)×256", "conv2d 3x3x128 k=256", None),
    ("seed 001, a comment's conv1d", "5×7×(32+1)", "conv1d 7->32 kernel=5", None),
    ("seed 000, CONV1", "((5*5)+1)*8", LENET, "CONV1.params"),
    ("seed 002, CONV1", "(((5*5*3)+1)*8)", LENET, "CONV1.params"),
    ("seed 000, FC3", "120*400+1", LENET, "FC3.params"),
    ("seed 000, the whole table", "208 + 416 + 48,001 + 10,081 + 841", LENET, "params"),
    ("seed 002, the whole table", "62,958", LENET, "params"),
]


def describe(verdict: symcnn.Verdict) -> str:
    if verdict.right:
        return "right" + (f" when {verdict.condition}" if verdict.condition else "")
    reasons = [
        diagnosis.title + (f" ({', '.join(diagnosis.rows)})" if diagnosis.rows else "")
        for diagnosis in verdict.diagnoses
    ]
    return "wrong: " + ("; ".join(reasons) or "no known mistake")


for label, claim, against in FORMULAS:
    verdict = symcnn.check(claim, against)
    print(f"{label:32} {claim:22} {describe(verdict)}")
for label, claim, against, quantity in NUMBERS:
    verdict = symcnn.check(claim, against, quantity=quantity)
    truth = f"{int(verdict.truth):,}"
    print(f"{label:32} {claim:36} engine {truth:>8}: {describe(verdict)}")
