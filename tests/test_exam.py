"""Exams: templates, reproducible draws, refusals, inverse questions, Moodle XML and GIFT (the
QTI package: tests/test_qti.py)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest
import sympy

import symcnn
from symcnn.cli import main
from symcnn.derive import EquationStep, evaluate
from symcnn.errors import SolveError, SpecError, SymcnnError
from symcnn.exam import (
    answer_sheet,
    combined,
    fallbacks,
    load_template,
    make_exam,
    question_sheet,
    solve_for,
)
from symcnn.mistakes import lookup
from symcnn.render.latex import latex_document
from symcnn.render.plain import text_document
from symcnn.render.quiz import escape_gift, gift, moodle_xml

ROOT = Path(__file__).resolve().parent.parent
EXAMS = ROOT / "examples" / "exams"
LENET_EXAM = EXAMS / "lenet5_exam.yaml"
INVERSE_EXAM = EXAMS / "conv_inverse_exam.yaml"

ONE_CONV = """\
title: One convolution
input: [32, 32, 3]
layer: {type: conv2d, name: CONV1, out_channels: k, kernel_size: 5}
variables: {k: [4, 8, 16]}
questions: [{ask: params, layer: CONV1}]
"""


def template(**changes: Any) -> dict[str, Any]:
    """The one-conv template as a mapping, with top-level keys changed."""
    import yaml

    document = yaml.safe_load(ONE_CONV)
    document.update(changes)
    return document


# ------------------------------------------------------------------------------ templates


def test_the_example_templates_load() -> None:
    lenet = load_template(LENET_EXAM)
    assert lenet.network.name == "LeNet-5"
    assert {variable.name for variable in lenet.variables} == {s for s in lenet.network.symbols}
    inverse = load_template(INVERSE_EXAM)
    assert inverse.hidden == ("k", "z")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"colour": "red"}, "unknown key `colour`"),
        ({"variables": {}}, "the network uses k but `variables` gives no values for it"),
        ({"variables": {"k": [4], "q": [1]}}, "variable q does not appear in the network"),
        ({"variables": {"k": {"range": [8, 4]}}}, r"range \[8, 4\] with step 1 is empty"),
        ({"variables": {"k": {"choices": [4], "range": [1, 2]}}}, "either `choices` or `range`"),
        ({"variables": {"k": ["eight"]}}, "must be an integer"),
        ({"questions": [{"ask": "params", "layer": "CONV9"}]}, "no layer named 'CONV9'"),
        ({"questions": [{"ask": "weights"}]}, "`ask` = 'weights': must be one of"),
        ({"questions": [{"ask": "params"}]}, "`ask: params` needs `layer`"),
        ({"questions": [{"ask": "solve", "find": "z", "layer": "CONV1"}]}, "`find` = 'z'"),
        (
            {"questions": [{"ask": "output_shape", "layer": "CONV1", "choices": 4}]},
            "ask it without `choices`",
        ),
        ({"questions": []}, "`questions` must be a non-empty list"),
    ],
)
def test_template_errors_name_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load_template(template(**changes))


def test_an_inverse_question_for_a_kernel_size_is_solved_exactly() -> None:
    document = template(
        layer={"type": "conv2d", "name": "CONV1", "out_channels": 8, "kernel_size": "f"},
        variables={"f": [5, 7, 9]},  # not 3: the answer would be a number the sheet gives
        questions=[{"ask": "solve", "find": "f", "layer": "CONV1"}],
    )
    exam = make_exam(load_template(document), variants=3, seed=0)
    for variant in exam.variants:
        f = variant.values["f"]
        assert variant.questions[0].answers[0].value == f
        assert variant.network["CONV1"].params == (f * f * 3 + 1) * 8


def test_an_inverse_question_with_several_answers_is_refused() -> None:
    # the parameters do not depend on the padding: every padding gives them
    document = template(
        layer={"type": "conv2d", "name": "C", "out_channels": 4, "kernel_size": 3, "padding": "z"},
        variables={"z": [1, 2]},
        questions=[{"ask": "solve", "find": "z", "layer": "C"}],
    )
    with pytest.raises(SymcnnError, match="the inverse question has no unique answer"):
        make_exam(load_template(document), variants=1)


def test_solve_for() -> None:
    net = symcnn.load({"input": [100], "layers": [{"type": "linear", "out_features": "c"}]})
    c = net.symbols["c"]
    assert solve_for(net, net.params, c, sympy.Integer(101 * 7)) == 7
    with pytest.raises(SolveError, match="no integer c"):
        solve_for(net, net.params, c, sympy.Integer(3))


# ------------------------------------------------------------------------------ variants


def test_same_seed_same_exam_other_seed_other_exam() -> None:
    lenet = load_template(LENET_EXAM)
    first = make_exam(lenet, variants=6, seed=7)
    again = make_exam(lenet, variants=6, seed=7)
    other = make_exam(lenet, variants=6, seed=8)
    assert [v.values for v in first.variants] == [v.values for v in again.variants]
    assert [v.values for v in first.variants] != [v.values for v in other.variants]
    assert latex_document(combined(first, answer_sheet, "keys")) == latex_document(
        combined(again, answer_sheet, "keys")
    )
    assert moodle_xml(first) == moodle_xml(again) and gift(first) == gift(again)


def test_variants_are_distinct_valid_and_answered_by_the_engine() -> None:
    lenet = load_template(LENET_EXAM)
    exam = make_exam(lenet, variants=20, seed=1)
    assert len({tuple(sorted(v.values.items())) for v in exam.variants}) == 20
    for variant in exam.variants:
        net = variant.network
        assert not net.free_symbols and not net.conditions
        expected = lenet.network.subs(variant.values)  # rebuilt independently
        answers = [[a.value for a in q.answers] for q in variant.questions]
        assert answers == [
            [expected["CONV1"].params],
            list(expected["POOL1"].output_shape),
            [expected["CONV2"].activation_size],
            [expected["FC3"].params],
            [expected.params],
        ]
        for question in variant.questions:
            values = {m.value for m in question.mistakes}
            assert not values & {a.value for a in question.answers}
            for line in question.working:
                if getattr(line, "substituted", None) is not None:
                    assert evaluate(line.substituted) == line.result
        choice = variant.questions[4]
        assert 3 <= len(choice.options) <= 4 and len(set(choice.options)) == len(choice.options)
        assert choice.answers[0].value in choice.options
        assert {m.value for m in choice.distractors} == set(choice.options) - {
            choice.answers[0].value
        }
        assert all(lookup(m.id).title == m.description for m in choice.distractors)


def test_more_variants_than_the_ranges_allow_is_an_error() -> None:
    with pytest.raises(SymcnnError, match="allow only 3 distinct variants, fewer than the 4"):
        make_exam(load_template(template()), variants=4)


def test_invalid_networks_are_refused_and_redrawn() -> None:
    document = template(
        layer={"type": "conv2d", "name": "CONV1", "out_channels": "k", "kernel_size": "f"},
        variables={"k": [4, 8, 16], "f": [3, 5, 40]},  # a 40 × 40 kernel does not fit 32 × 32
    )
    exam = make_exam(load_template(document), variants=6, seed=0)
    assert all(variant.values["f"] != 40 for variant in exam.variants)


def test_an_answer_equal_to_a_given_number_is_refused() -> None:
    document = template(
        input=[12],
        layer={"type": "linear", "name": "FC", "out_features": "c"},
        variables={"c": [10, 20]},
        questions=[{"ask": "activation_size", "layer": "FC"}],
    )
    with pytest.raises(SymcnnError, match="equals a number the question gives"):
        make_exam(load_template(document), variants=1)


def test_an_answer_equal_to_a_common_mistake_is_refused() -> None:
    # a stride of 9 on 9 values: with or without the padding of 1 there is one window
    document = template(
        input=[9, 9, 3],
        layer={
            "type": "conv2d",
            "name": "C",
            "out_channels": 4,
            "kernel_size": 3,
            "stride": 9,
            "padding": "z",
        },
        variables={"z": [1]},
        questions=[{"ask": "output_shape", "layer": "C"}],
    )
    with pytest.raises(SymcnnError, match=r"what a common mistake gives \(ignoring the padding\)"):
        make_exam(load_template(document), variants=1)


def test_inverse_questions_hide_the_unknown_and_solve_for_it() -> None:
    exam = make_exam(load_template(INVERSE_EXAM), variants=5, seed=3)
    for variant in exam.variants:
        question = variant.questions[0]
        k = variant.values["k"]
        assert question.answers[0].value == k
        equation = next(line for line in question.working if line.note == "the equation")
        assert isinstance(equation, EquationStep)
        assert evaluate(equation.right) == variant.network["CONV"].params
        unknown = variant.shown.symbols["k"]
        assert evaluate(equation.left).xreplace({unknown: k}) == evaluate(equation.right)
        check = question.working[-1]
        assert isinstance(check, EquationStep) and check.result == variant.network["CONV"].params
        sheet = text_document(question_sheet(exam, variant))
        assert "k filters of" in sheet
        assert f"CONV has {int(variant.network['CONV'].params):,} learnable parameters" in sheet
        assert variant.questions[2].answers[-1].value == k  # the shape's channels
        assert variant.questions[2].uses == (1, 2)
        assert variant.questions[1].answers[0].value == variant.values["z"]


def test_sheets_state_their_assumptions() -> None:
    document = template(
        layer={
            "type": "conv2d",
            "name": "CONV1",
            "out_channels": "k",
            "kernel_size": 5,
            "padding": 1,
            "bias": False,
        },
        assumptions=["Use the notation of the lectures."],
    )
    exam = make_exam(load_template(document), variants=1)
    sheet = text_document(question_sheet(exam, exam.variants[0]))
    assert "Padding is zero padding on each side" in sheet
    assert "except CONV1" in sheet
    assert "Use the notation of the lectures." in sheet
    assert "filters of 5 × 5, stride 1, padding 1, no bias" in sheet


def test_single_layer_and_total_inverse_questions() -> None:
    document = {
        "title": "Two layers",
        "network": {
            "input": [100],
            "layers": [
                {"type": "linear", "name": "H", "out_features": "c"},
                {"type": "linear", "name": "O", "out_features": 10},
            ],
        },
        "variables": {"c": {"range": [20, 60], "step": 10}},
        "questions": [{"ask": "solve", "find": "c"}, {"ask": "params", "layer": "O", "choices": 3}],
    }
    exam = make_exam(load_template(document), variants=3, seed=2)
    for variant in exam.variants:
        first, second = variant.questions
        assert first.spec.given == "total_params"
        assert first.answers[0].value == variant.values["c"]
        assert first.answers[0].value * 111 + 10 == variant.network.params
        # (c + 1)·10 has one mistake above it, c·(10 + 1), and one kept below it, 10c + 1 (10c
        # is too near it): two options would be a coin toss, so it is asked numerically, says
        # so in the key, and keeps the mistakes as feedback on a wrong number
        assert second.options == () and second.distractors == ()
        assert "Asked as a numerical question, not with 3 options" in second.fallback
        ids = {mistake.id for mistake in second.catalogued}
        assert {"bias-on-input-side", "dense-bias-once"} <= ids
        assert text_document(answer_sheet(exam, variant)).count(second.fallback) == 1
    assert fallbacks(exam) == [(2, 3)]


# ------------------------------------------------------------------------------ Moodle and GIFT


def hostile_exam() -> Any:
    document = template(title="Quiz <b>&amp;</b> ]]> {=~#:} \\input{x}")
    document["instructions"] = "Use a:b = {c} ~ #d \\ e"
    document["layer"]["name"] = "C<1>&{x}"
    document["questions"] = [{"ask": "params", "layer": "C<1>&{x}", "choices": 4}]
    return make_exam(load_template(document), variants=2, seed=5)


def test_moodle_xml_parses_and_carries_the_engines_answers() -> None:
    exam = make_exam(load_template(LENET_EXAM), variants=4, seed=7)
    root = ElementTree.fromstring(moodle_xml(exam))
    questions = root.findall("question")
    categories = [q for q in questions if q.get("type") == "category"]
    assert len(categories) == 5
    assert categories[1].findtext("category/text") == (
        "$course$/top/LeNet-5, counting parameters and shapes/Question 2"
    )
    numerical = [q for q in questions if q.get("type") == "numerical"]
    multichoice = [q for q in questions if q.get("type") == "multichoice"]
    cloze = [q for q in questions if q.get("type") == "cloze"]
    # per variant: params, activation size, total, FC3 (multiple choice when the catalogue has
    # mistakes on both sides of its answer), and the shape as one Cloze question
    assert len(numerical) + len(multichoice) == 4 * 4 and len(cloze) == 4
    assert len(multichoice) >= 1
    first = exam.variants[0]
    name = "LeNet-5, counting parameters and shapes, question 1, variant 1"
    question = next(q for q in numerical if q.findtext("name/text") == name)
    assert question.findtext("answer/text") == str(first.network["CONV1"].params)
    assert question.findtext("answer/tolerance") == "0"
    assert question.find("questiontext").get("format") == "html"
    choice = next(
        q for q in multichoice + numerical if "question 4, variant 1" in q.findtext("name/text")
    )
    right = [a.findtext("text") for a in choice.findall("answer") if a.get("fraction") == "100"]
    assert right == [str(first.network["FC3"].params)]


def test_moodle_xml_escapes_user_strings() -> None:
    text = moodle_xml(hostile_exam())
    root = ElementTree.fromstring(text)  # well-formed despite ]]>, < and &
    html = root.find("question/questiontext/text").text
    assert "C&lt;1&gt;&amp;{x}" in html and "<b>&amp;" not in html


def test_gift_escapes_its_special_characters() -> None:
    text = gift(hostile_exam())
    questions = [line for line in text.splitlines() if line.startswith("::")]
    assert len(questions) == 2
    for line in questions:
        unescaped = re.sub(r"\\.", "", line)
        # one title between ::...::, one answer block at the end, nothing else special
        assert unescaped.count("::") == 2 and unescaped.count("{") == 1
        assert unescaped.rstrip().endswith("}") and "#" not in unescaped.split("{")[0]
    assert escape_gift("a {b} = c") == "a \\{b\\} \\= c"
    assert "::Quiz <b>&amp;</b> ]]> \\{\\=\\~\\#\\:\\} \\\\input\\{x\\}, question 1" in text
    category = next(line for line in text.splitlines() if line.startswith("$CATEGORY:"))
    assert category == "$CATEGORY: $course$/top/Quiz <b>&amp;<//b> ]]> input x/Question 1"


def test_numerical_gift_answers_are_the_engines() -> None:
    exam = make_exam(load_template(template()), variants=3, seed=0)
    answers = re.findall(r"\{#=(\d+):0#Right\.", gift(exam), flags=re.M)
    assert answers == [str(v.network["CONV1"].params) for v in exam.variants]


# ------------------------------------------------------------------------------ the command


def test_exam_command_writes_sheets_keys_moodle_and_gift(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    code = main(["exam", str(LENET_EXAM), "--variants", "3", "--seed", "7", "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert (
        captured.err == f"wrote 6 sheets, moodle.xml, questions.gift and qti.zip to {out} "
        "(3 variants, seed 7)\n"
    )
    names = sorted(path.name for path in out.iterdir())
    assert names == [
        "moodle.xml",
        "qti.zip",
        "questions.gift",
        "variant-1-answers.tex",
        "variant-1-questions.tex",
        "variant-2-answers.tex",
        "variant-2-questions.tex",
        "variant-3-answers.tex",
        "variant-3-questions.tex",
    ]
    sheet = (out / "variant-2-questions.tex").read_text(encoding="utf-8")
    assert "variant 2 of 3" in sheet and "seed" not in sheet and "Answer:" not in sheet
    key = (out / "variant-2-answers.tex").read_text(encoding="utf-8")
    assert "Answer:" in key and "variant 2 of 3 (answer key, seed 7)" in key


def test_exam_command_combined_markdown(tmp_path, capsys) -> None:
    code = main(
        [
            "exam",
            str(INVERSE_EXAM),
            "--variants",
            "2",
            "--seed",
            "1",
            "-o",
            str(tmp_path),
            "--combined",
            "--format",
            "markdown",
        ]
    )
    assert code == 0
    assert {path.name for path in tmp_path.iterdir()} == {
        "questions.md",
        "answers.md",
        "moodle.xml",
        "questions.gift",
        "qti.zip",
    }
    answers = (tmp_path / "answers.md").read_text(encoding="utf-8")
    assert answers.count("## One convolution, forwards and backwards: answer key, variant") == 2


def test_exam_command_errors(tmp_path, capsys) -> None:
    code = main(["exam", str(tmp_path / "missing.yaml"), "-o", str(tmp_path)])
    assert code == 2 and "cannot read spec file" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text(ONE_CONV, encoding="utf-8")
    code = main(["exam", str(bad), "--variants", "9", "-o", str(tmp_path)])
    assert code == 2 and "allow only 3 distinct variants" in capsys.readouterr().err


def test_output_does_not_depend_on_the_hash_seed() -> None:
    """Sets of SymPy symbols iterate in hash order: nothing written may depend on it."""
    import os
    import subprocess
    import sys

    script = (
        "from symcnn.exam import answer_sheet, combined, load_template, make_exam\n"
        "from symcnn.render.latex import latex_document\n"
        "from symcnn.render.qti import qti_package\n"
        "from symcnn.render.quiz import gift, moodle_xml\n"
        f"exam = make_exam(load_template({str(LENET_EXAM)!r}), 4, 7)\n"
        "print(gift(exam), moodle_xml(exam), latex_document(combined(exam, answer_sheet, 'k')))\n"
        "print(qti_package(exam).hex())\n"
    )
    outputs = set()
    for seed in ("1", "2"):
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            env=environment,
            cwd=ROOT,
            check=True,
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1
