"""Exam options: every wrong option a catalogued mistake, and no rule but counting finds the answer;
templates: constraints, points, tolerance, types, inverse questions from any given quantity,
questions that say which answers they use, and the variety report."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
import sympy

from symcnn.derive import EquationStep, Solved, evaluate
from symcnn.errors import SpecError
from symcnn.exam import load_template, make_exam, variety
from symcnn.exam.distractors import NEAR
from symcnn.exam.questions import asked_expressions, network_context
from symcnn.mistakes import lookup, wrong_values

MANY = """\
title: Options
network:
  input: [S, S, d]
  layout: HWC
  layers:
    - {type: conv2d, name: C, out_channels: k, kernel_size: f, stride: s, padding: z}
    - {type: flatten}
    - {type: linear, name: FC, out_features: c}
variables:
  S: {range: [8, 32], step: 2}
  d: [1, 3, 4, 8]
  k: {range: [2, 40], step: 2}
  f: [1, 3, 5]
  s: [1, 2]
  z: [0, 1, 2]
  c: [10, 20, 50]
constraints: ["z <= (f - 1)/2"]
questions:
  - {ask: params, layer: C, choices: 4}
  - {ask: macs, layer: C, choices: 4}
  - {ask: total_params, choices: 4}
  - {ask: params, layer: FC, choices: 4}
  - {ask: activation_size, layer: C, choices: 2}
"""
VARIANTS = 100


@pytest.fixture(scope="module")
def many():
    return make_exam(load_template(MANY), VARIANTS, seed=3)


def test_every_wrong_option_is_a_catalogued_mistake(many) -> None:
    for variant in many.variants:
        for question in variant.questions:
            answer = question.answers[0].value
            if not question.options:
                continue
            assert len(set(question.options)) == len(question.options) >= 2
            assert question.options.count(answer) == 1
            wrong = [option for option in question.options if option != answer]
            assert sorted(wrong) == sorted(m.value for m in question.distractors)
            for mistake in question.distractors:
                assert lookup(mistake.id).title == mistake.description and mistake.explanation
                assert abs(mistake.value - answer) > NEAR and mistake.value > 0
            if question.spec.layer:  # the value is the catalogue's own for this layer
                row = variant.network[question.spec.layer]
                context = network_context(variant.network, row)
                values = {v for form, v in wrong_values(row, question.spec.ask, context)}
                assert {m.value for m in question.distractors} <= values
            for a in wrong:
                assert all(a == b or abs(a - b) > NEAR for b in wrong)


def test_options_never_equal_a_given_number(many) -> None:
    for variant in many.variants:
        given = set(variant.shown.input_shape)
        for row in variant.shown.rows:
            given |= {getattr(p, "value", None) for p in row.layer.describe()}
        for question in variant.questions:
            assert not set(question.options) - {question.answers[0].value} & given


def test_no_rank_or_position_rule_beats_chance(many) -> None:
    """For each question and number of options m, "pick the k-th largest" and "pick option i"
    are right for each k (each i) in N/m of the N variants, give or take one — chance exactly."""
    ranks: dict[tuple[int, int], Counter[int]] = defaultdict(Counter)
    positions: dict[tuple[int, int], Counter[int]] = defaultdict(Counter)
    multiple = 0
    for variant in many.variants:
        for question in variant.questions:
            count = len(question.options)
            if not count:
                continue
            multiple += 1
            assert count >= min(question.spec.choices, 3)  # never a coin toss of two
            answer = question.answers[0].value
            ranks[question.number, count][sorted(question.options, reverse=True).index(answer)] += 1
            positions[question.number, count][question.options.index(answer)] += 1
    assert 2 * multiple > VARIANTS * 5  # most of the five questions offer options
    for tally in (ranks, positions):
        for (_, count), counter in tally.items():
            total = sum(counter.values())
            for k in range(count):
                assert abs(counter[k] - total / count) <= 1, (count, counter)
    # and the strategy that beat the old exams (the second-largest) scores at chance overall
    second = sum(c[1] for (_, m), c in ranks.items() if m == 4)
    offered = sum(sum(c.values()) for (_, m), c in ranks.items() if m == 4)
    assert abs(second / offered - sympy.Rational(1, 4)) < sympy.Rational(1, 20)


def test_too_few_mistakes_is_a_numerical_question() -> None:
    # BatchNorm's buffers: forgetting num_batches_tracked (2·d) is too near the answer (2·d + 1)
    # to be offered, which leaves the state_dict's 4·d + 1 alone above it: no option below
    template = load_template(
        {
            "input": [16, 16, "d"],
            "layer": {"type": "batchnorm2d", "name": "B"},
            "variables": {"d": [8, 16]},
            "questions": [{"ask": "buffers", "layer": "B", "choices": 4}],
        }
    )
    for variant in make_exam(template, 2).variants:
        (question,) = variant.questions
        assert question.options == () and question.distractors == ()
        # still caught as feedback on a wrong number
        ids = {mistake.id for mistake in question.catalogued}
        assert ids == {"forgot-batches-tracked", "state-dict-as-buffers"}
        row = variant.network["B"]
        by_id = {m.id: m.value for m in question.catalogued}
        assert by_id["forgot-batches-tracked"] == row.buffers - 1
        assert by_id["state-dict-as-buffers"] == row.buffers + row.params


def test_an_activation_size_offers_the_catalogues_mistakes(many) -> None:
    offered: Counter[str] = Counter()
    multiple = 0
    for variant in many.variants:
        question = variant.questions[-1]
        assert question.spec.ask == "activation_size"
        row = variant.network["C"]
        for mistake in question.distractors:
            offered[mistake.id] += 1
            if mistake.id == "activation-without-channels":
                assert mistake.value * row.output_shape[-1] == row.activation_size
            else:
                assert mistake.id == "activation-in-bytes"
                assert mistake.value == 4 * row.activation_size
        assert len(question.options) in (0, 2)  # one mistake on each side (choices: 2), one dealt
        multiple += bool(question.options)  # (none when one equals a number the sheet gives)
    assert multiple > VARIANTS * 3 / 4
    assert offered["activation-without-channels"] > VARIANTS / 4
    assert offered["activation-in-bytes"] > VARIANTS / 4


# ------------------------------------------------------------------------------ constraints


def test_constraints_hold_in_every_variant(many) -> None:
    assert all(v.values["z"] * 2 <= v.values["f"] - 1 for v in many.variants)


@pytest.mark.parametrize(
    ("constraints", "error", "message"),
    [
        (["z > 5"], SpecError, r"no values of the variables satisfy the constraints \(z > 5\)"),
        (["z <= q"], SpecError, "unknown name 'q'"),
        (["z"], SpecError, "write one relation"),
        (["z < 1 < 2"], SpecError, "write one relation"),
    ],
)
def test_constraint_errors(constraints, error, message) -> None:
    document = {
        "input": [16, 16, 3],
        "layer": {
            "type": "conv2d",
            "name": "C",
            "out_channels": 4,
            "kernel_size": 3,
            "padding": "z",
        },
        "variables": {"z": [0, 1, 2]},
        "constraints": constraints,
        "questions": [{"ask": "params", "layer": "C"}],
    }
    with pytest.raises(error, match=message):
        make_exam(load_template(document), 1)


def test_an_unsatisfiable_constraint_over_many_values_names_itself(monkeypatch) -> None:
    import symcnn.exam.posing as posing

    monkeypatch.setattr(posing, "ENUMERATE_LIMIT", 1)
    document = {
        "input": [16, 16, 3],
        "layer": {
            "type": "conv2d",
            "name": "C",
            "out_channels": 4,
            "kernel_size": 3,
            "padding": "z",
        },
        "variables": {"z": [0, 1, 2]},
        "constraints": ["z > 5"],
        "questions": [{"ask": "params", "layer": "C"}],
    }
    with pytest.raises(
        SpecError, match=r"draws in a row broke the constraints \(most often `z > 5`"
    ):
        make_exam(load_template(document), 1)


# ------------------------------------------------------------------------------ question fields


def test_points_tolerance_and_type() -> None:
    template = load_template(
        {
            "input": [16, 16, 3],
            "layer": {"type": "conv2d", "name": "C", "out_channels": "k", "kernel_size": 3},
            "variables": {"k": [4, 8]},
            "questions": [
                {"ask": "params", "layer": "C", "points": 2.5, "tolerance": "1%"},
                {"ask": "output_shape", "layer": "C", "points": "1/2"},
                {"ask": "macs", "layer": "C", "type": "multichoice"},
                {"ask": "params", "layer": "C", "tolerance": {"absolute": 3}, "type": "short"},
            ],
        }
    )
    first, shape, choice, short = template.questions
    assert first.points == sympy.Rational(5, 2) and first.tolerance.relative
    assert first.tolerance.margin(sympy.Integer(448)) == sympy.Rational(448, 100)
    assert shape.type == "shape" and shape.points == sympy.Rational(1, 2)
    assert choice.type == "multichoice" and choice.choices == 4
    assert short.type == "short" and short.tolerance.margin(sympy.Integer(5)) == 3
    assert make_exam(template, 2).points == 5


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ({"points": 0}, r"points = 0: must be above 0"),
        ({"points": "many"}, "must be a number"),
        ({"tolerance": {"relative": 2}}, "below 1 when relative"),
        ({"tolerance": {"within": 2}}, "give a number, `absolute: x`"),
        ({"type": "essay"}, "`type` = 'essay': must be one of"),
        ({"type": "shape"}, "`type: shape` does not fit `ask: params`"),
        ({"given": "flops"}, "belong to `ask: solve`"),
    ],
)
def test_question_field_errors(question, message) -> None:
    document = {
        "input": [16, 16, 3],
        "layer": {"type": "conv2d", "name": "C", "out_channels": 4, "kernel_size": 3},
        "questions": [{"ask": "params", "layer": "C", **question}],
    }
    with pytest.raises(SpecError, match=message):
        load_template(document)


# ------------------------------------------------------------------------------ inverse questions


@pytest.mark.parametrize(
    ("layer", "find", "given", "values"),
    [
        ({"kernel_size": 7, "padding": "z"}, "z", "output_shape", {"z": [3]}),  # 'same'
        ({"kernel_size": "f", "padding": 0}, "f", "output_shape", {"f": [3, 5, 7]}),
        ({"kernel_size": 3, "stride": "s", "padding": 1}, "s", "output_shape", {"s": [2, 4]}),
        ({"kernel_size": 3, "out_channels": "k"}, "k", "macs", {"k": [10, 12]}),
        ({"kernel_size": 3, "out_channels": "k"}, "k", "activation_size", {"k": [10, 12]}),
    ],
)
def test_inverse_questions_from_any_given_quantity(layer, find, given, values) -> None:
    spec = {"type": "conv2d", "name": "C", "out_channels": 16, **layer}
    template = load_template(
        {
            "input": [28, 28, 6],
            "layer": spec,
            "variables": values,
            "questions": [{"ask": "solve", "find": find, "given": given, "layer": "C"}],
        }
    )
    exam = make_exam(template, len(values[find]), seed=1)
    for variant in exam.variants:
        (question,) = variant.questions
        assert question.answers[0].value == variant.values[find]
        unknown = variant.shown.symbols[find]
        answer = question.answers[0].value
        solved = [line for line in question.working if isinstance(line, EquationStep | Solved)]
        first, check = solved[0], solved[-1]
        if isinstance(first, Solved):  # no closed form: solved, then checked
            assert first.expression.xreplace({unknown: answer}) == first.target
        else:  # built step by step from where its terms come from
            equation = next(line for line in solved if line.note == "the equation")
            left, right = evaluate(equation.left), evaluate(equation.right)
            assert left.xreplace({unknown: answer}) == right
        assert isinstance(check, EquationStep) and evaluate(check.right) in asked_expressions(
            variant.network, question.spec
        )


def test_the_same_padding_question_says_same() -> None:
    from symcnn.exam import question_sheet
    from symcnn.render.plain import text_document

    template = load_template(
        {
            "input": [28, 28, 6],
            "layer": {
                "type": "conv2d",
                "name": "C",
                "out_channels": 8,
                "kernel_size": 7,
                "padding": "z",
            },
            "variables": {"z": [3]},
            "questions": [{"ask": "solve", "find": "z", "given": "output_shape", "layer": "C"}],
        }
    )
    exam = make_exam(template, 1)
    sheet = text_document(question_sheet(exam, exam.variants[0]))
    assert "the same spatial size as its input ('same' padding)" in sheet
    assert exam.variants[0].questions[0].answers[0].value == 3


# ------------------------------------------------------------------------------ self-contained


CHAINED = {
    "input": [16, 16, 3],
    "layer": {"type": "conv2d", "name": "C", "out_channels": "k", "kernel_size": 3},
    "variables": {"k": [4, 8, 12]},
    "questions": [
        {"ask": "solve", "find": "k", "given": "params", "layer": "C"},
        {"ask": "output_shape", "layer": "C"},
    ],
}


def test_a_question_that_uses_another_answer_says_so() -> None:
    exam = make_exam(load_template(CHAINED), 3, seed=2)
    for variant in exam.variants:
        first, second = variant.questions
        assert first.uses == () and second.uses == (1,)
        assert second.prompt[0].text == "Using your answer to question 1: "


def test_a_question_that_needs_a_later_answer_is_refused() -> None:
    document = dict(CHAINED, questions=CHAINED["questions"][::-1])
    with pytest.raises(SpecError, match="question 1 cannot be answered from its sheet: it needs k"):
        make_exam(load_template(document), 1)


def test_identical_text_with_different_answers_is_refused(monkeypatch) -> None:
    import symcnn.exam.posing as posing

    monkeypatch.setattr(posing, "_using", lambda uses: ())  # as the old sheets did
    monkeypatch.setattr(posing, "_identity", lambda variant, question: question.prompt)
    with pytest.raises(SpecError, match="reads the same but has different answers"):
        make_exam(load_template(CHAINED), 3, seed=2)


# ------------------------------------------------------------------------------ variety


def test_variety_counts_distinct_answers_and_warns() -> None:
    exam = make_exam(load_template(MANY), 8, seed=1)
    report = variety(exam)
    assert [number for number, _, _ in report] == [1, 2, 3, 4, 5]
    for number, count, low in report:
        answers = {v.questions[number - 1].answers for v in exam.variants}
        assert count == len(answers) and low == (2 * count < 8)
    few = load_template(
        {
            "input": [16, 16, "d"],
            "layer": {"type": "maxpool2d", "name": "P", "kernel_size": 2},
            "variables": {"d": [3, 4, 5, 6]},
            "questions": [{"ask": "params", "layer": "P"}],
        }
    )
    assert variety(make_exam(few, 4)) == [(1, 1, True)]


def test_the_exam_command_warns_of_little_variety(tmp_path, capsys) -> None:
    from symcnn.cli import main

    path = tmp_path / "few.yaml"
    path.write_text(
        "input: [16, 16, d]\n"
        "layer: {type: maxpool2d, name: P, kernel_size: 2}\n"
        "variables: {d: [3, 4, 5, 6]}\n"
        "questions: [{ask: params, layer: P}, {ask: activation_size, layer: P}]\n",
        encoding="utf-8",
    )
    assert main(["exam", str(path), "--variants", "4", "-o", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "warning: question 1 has 1 distinct answer in 4 variants" in err
    assert "question 2" not in err


def test_keys_show_the_flatten_step_and_name_each_layer_of_a_total() -> None:
    from pathlib import Path

    from symcnn.formula import Derivation

    lenet = Path(__file__).resolve().parent.parent / "examples" / "exams" / "lenet5_exam.yaml"
    exam = make_exam(load_template(lenet), 4, seed=7)
    for variant in exam.variants:
        fc3, total = variant.questions[3], variant.questions[4]
        flatten, params = fc3.working[:2]
        net = variant.network
        assert flatten.quantity.key == "activation_size" and "Flatten" in flatten.note
        assert flatten.result == net["FC3"].input_shape[0]  # then FC3 uses p = that
        assert params.quantity.key == "params" and params.result == net["FC3"].params
        named = [line.note for line in total.working[:-1] if isinstance(line, Derivation)]
        assert named == [row.name for row in net.rows if row.params != 0]


def test_a_network_level_mistake_reads_the_network_around_the_layer() -> None:
    """flatten-at-input-size needs the flatten's channels and the image's size: it applies in
    the exam (which knows the network) to the dense layer after a flatten, and nowhere else."""
    exam = make_exam(load_template(MANY), 20, seed=5)
    seen = 0
    for variant in exam.variants:
        net = variant.network
        fc, conv = net["FC"], net["C"]
        context = network_context(net, fc)
        assert context == {
            "flat_channels": conv.output_shape[-1],
            "input_positions": net.input_shape[0] * net.input_shape[1],
        }
        assert network_context(net, conv) == {}
        expected = (context["flat_channels"] * context["input_positions"] + 1) * fc.output_shape[0]
        for question in variant.questions:
            caught = {m.id: m.value for m in question.catalogued}
            if question.spec.ask == "params" and question.spec.layer == "FC":
                assert caught["flatten-at-input-size"] == expected
                seen += 1
            elif question.spec.ask == "total_params":
                assert caught["flatten-at-input-size"] == net.params - fc.params + expected
            else:
                assert "flatten-at-input-size" not in caught
        # check, which sees one layer, has no network: the form does not apply there
        assert "flatten-at-input-size" not in {f.mistake.id for f, _ in wrong_values(fc, "params")}
    assert seen == len(exam.variants)
