"""Checking a claim — a formula or a number — against the engine, and naming the mistake behind it.

A claim is compared with one quantity: a layer's general formula (``conv2d.params``), one concrete
layer (``linear 128->256 params``) or a network's total or row (a spec and a quantity). The verdict
says whether the two are equivalent under the symbols' assumptions; if not, it gives the
difference, a smallest counterexample of small positive integers, and a diagnosis: the catalogued
mistakes (:mod:`symcnn.mistakes`) and the other configurations that produce the claim.

A formula is compared with the layer's formula at PyTorch's defaults (groups 1, stride 1, padding
0, dilation 1) for every symbol the claim does not mention, with ``bias`` left a symbol; a claim
that is right for one value of the bias flag only (``((m*n*d)+1)*k`` is the count *with* a bias) is
right "when bias = 1".

>>> verdict = check("((m*n*d)+1)*k", "conv2d.params")
>>> verdict.right, verdict.condition
(True, 'bias = 1')
>>> verdict = check("((m*n)+1)*k", "conv2d.params")
>>> verdict.right, verdict.condition, verdict.difference
(False, 'd = 1', -k*m*n*(d - 1))
>>> verdict.counterexample
Counterexample(values={m: 1, n: 1, d: 2, k: 1}, claim=2, truth=3)
>>> [diagnosis.title for diagnosis in verdict.diagnoses]
['forgot the input depth d']
>>> verdict = check("32,896", "linear 128->256 params")
>>> verdict.right, verdict.truth
(False, 33024)
>>> [diagnosis.title for diagnosis in verdict.diagnoses]
['put the bias on the input side', 'another configuration: in and out swapped (p = 256, c = 128)']
"""

from __future__ import annotations

from ._algebra import MAX_TERMS, SEARCH_BUDGET, SEARCH_COST, equivalent, normalize
from ._algebra import _assignments as _assignments  # the tests walk the search order
from ._check import check, check_shape, compare, shape_claim
from ._targets import HINTS, network_target, parse_claim
from ._text import format_verdict
from ._verdict import Counterexample, Diagnosis, Target, Verdict

__all__ = [
    "HINTS",
    "MAX_TERMS",
    "SEARCH_BUDGET",
    "SEARCH_COST",
    "Counterexample",
    "Diagnosis",
    "Target",
    "Verdict",
    "check",
    "check_shape",
    "compare",
    "equivalent",
    "format_verdict",
    "network_target",
    "normalize",
    "parse_claim",
    "shape_claim",
]
