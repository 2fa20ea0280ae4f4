"""``ask: receptive_field``: the answer is the network's field, the key's recurrence adds up line by
line to it, and the refused answers are what the recurrence's known slips give."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import sympy

import symcnn
from symcnn import SolveError
from symcnn.exam import load_template, make_exam
from symcnn.formula import Derivation, Fact, evaluate
from symcnn.receptive import MISTAKES, Field, fields, mistakes

EXAM = Path(__file__).resolve().parent.parent / "examples" / "exams" / "receptive_field_exam.yaml"


def _template(layers: list[dict], questions: list[dict], variables: dict | None = None) -> str:
    import yaml

    return yaml.safe_dump(
        {
            "title": "Fields",
            "network": {"input": [64, 64, 3], "layers": layers},
            "variables": variables or {"k": [3, 5, 7]},
            "questions": questions,
        }
    )


def test_every_answer_is_the_field_and_every_key_adds_up() -> None:
    exam = make_exam(load_template(EXAM), variants=4, seed=2)
    for variant in exam.variants:
        for question in variant.questions:
            row = variant.network[question.spec.layer or variant.network.output]
            assert question.answers[0].value == row.receptive_field[-1]
            lines = question.working
            assert isinstance(lines[0], Fact) and lines[0].result == 1
            for before, line in itertools.pairwise(lines):
                if isinstance(line, Derivation):  # R = R_in + r·(m − 1)·J_in, R_in the line above
                    assert evaluate(line.substituted) == line.result
                    assert line.substituted.terms[0][1].value == before.result
            assert lines[-1].result == question.answers[0].value
            for mistake in question.mistakes:
                assert mistake.value != question.answers[0].value


def test_the_slips_are_the_recurrence_with_one_thing_forgotten() -> None:
    net = symcnn.load({"input": [64, 64, 3], "layers": [
        {"type": "conv2d", "name": "C1", "out_channels": 4, "kernel_size": 3},
        {"type": "conv2d", "name": "C2", "out_channels": 4, "kernel_size": 3, "stride": 2},
        {"type": "conv2d", "name": "C3", "out_channels": 4, "kernel_size": 3, "dilation": 2}]})
    # right: 1 + 2 + 2 + 2·2·2 = 13; no strides: 1 + 2 + 2 + 4 = 9; no dilation: 1 + 2 + 2 + 4
    # = 9 as well; the jump after each layer: 1 + 2 + 2·2 + 2·2·2 = 15
    assert net.receptive_field == (13, 13)
    found = dict(mistakes(net.rows, net.inputs, net.layout, "C3", 1))
    assert found == dict(zip(MISTAKES, [9, 9, 15], strict=True))
    assert not mistakes(net.rows, net.inputs, net.layout, "C1", 1)  # nothing to forget yet


def test_without_a_layer_it_asks_for_the_output_and_a_square_field_is_one_number() -> None:
    layers = [
        {"type": "conv2d", "name": "C1", "out_channels": 4, "kernel_size": "k"},
        {"type": "maxpool2d", "name": "P1", "kernel_size": 2},
        {"type": "conv2d", "name": "C2", "out_channels": 4, "kernel_size": [3, 5]},
    ]
    exam = make_exam(
        load_template(_template(layers, [{"ask": "receptive_field"}])), variants=3, seed=0
    )
    for variant in exam.variants:
        (question,) = variant.questions
        k = dict(variant.values)["k"]
        assert question.answers[0].value == k + 1 + 4 * 2  # along the width: the 5
        assert "along the width" in "".join(getattr(p, "text", "") for p in question.prompt)


def test_a_network_without_a_field_says_why() -> None:
    layers = [
        {"type": "conv2d", "name": "C1", "out_channels": 4, "kernel_size": "k"},
        {"type": "upsample", "name": "UP", "scale_factor": 2},
    ]
    template = load_template(_template(layers, [{"ask": "receptive_field", "layer": "UP"}]))
    with pytest.raises(SolveError, match=r"UP: no receptive_field: UP \(Upsample\) resizes"):
        make_exam(template, variants=1)


def test_the_fields_of_a_chain_are_the_recurrence_unrolled() -> None:
    # Distill's closed form for one path: r = 1 + Σ (k_l − 1)·Π_{i<l} s_i
    kernels, strides = [7, 3, 3, 3, 3], [2, 2, 1, 2, 1]
    net = symcnn.load({"input": [3, 224, 224], "layout": "CHW", "layers": [
        {"type": "conv2d", "out_channels": 2, "kernel_size": k, "stride": s}
        for k, s in zip(kernels, strides, strict=True)]})
    closed = 1 + sum(
        (k - 1) * sympy.prod(strides[:index]) for index, k in enumerate(kernels)
    )
    state = fields(net.rows, net.inputs, net.layout)[net.output]
    assert isinstance(state, Field)
    assert state.size == (closed, closed)
    assert state.jump == (sympy.prod(strides),) * 2
