"""Templates with several networks: `networks` by name, each question naming its network or
giving its own `input` and `layer`; variables shared between them; every check per question's
network; the sheets show each network's table before its questions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import symcnn
from symcnn.errors import SpecError
from symcnn.exam import answer_sheet, load_template, make_exam, question_sheet
from symcnn.render.exam_sheet import exam_document
from symcnn.render.plain import text_document

EXAMS = Path(__file__).resolve().parent.parent / "examples" / "exams"
TWO = EXAMS / "two_networks_exam.yaml"


@pytest.fixture(scope="module")
def exam():
    return make_exam(load_template(TWO), variants=6, seed=2)


def _numel(module: nn.Module) -> int:
    return sum(parameter.numel() for parameter in module.parameters())


def test_the_example_has_two_networks_and_a_question_with_its_own_layer(exam) -> None:
    template = exam.template
    assert list(template.networks) == ["CNN", "MLP", "for question 6"]
    assert [q.network for q in template.questions] == [*["CNN"] * 3, "MLP", "MLP", "for question 6"]
    assert template.several and template.hidden == ("h", "z")


def test_every_answer_is_pytorchs_for_its_network(exam) -> None:
    for variant in exam.variants:
        k, h, z, width = (variant.values[name] for name in ("k", "h", "z", "W"))
        features = nn.Sequential(nn.Conv2d(1, k, 5), nn.MaxPool2d(2), nn.Flatten())
        flat = features(torch.zeros(1, 1, 28, 28)).shape[1]
        cnn = nn.Sequential(*features, nn.Linear(flat, 10))
        mlp = nn.Sequential(nn.Linear(784, h), nn.ReLU(), nn.Linear(h, 10))
        conv7 = nn.Conv2d(k, 8, 7, padding=z)  # the own layer reads the CNN's k channels
        answers = [[a.value for a in q.answers] for q in variant.questions]
        out = conv7(torch.zeros(1, k, width, width))
        assert answers == [
            [_numel(cnn[0])],
            [12, 12, k],
            [_numel(cnn)],
            [h],
            [_numel(mlp[2])],
            [z],
        ]
        sheet = text_document(question_sheet(exam, variant))
        assert f"The network has {_numel(mlp):,} learnable parameters in total" in sheet
        assert f"The output of CONV7 is {out.shape[-2]} × {out.shape[-1]}" in sheet
        # and each network is the one `symcnn summary` builds from its spec with these values
        for key, network in variant.networks.items():
            spec = exam.template.specs[key]
            names = set(symcnn.load(spec).symbols)
            built = symcnn.load(spec).subs({n: v for n, v in variant.values.items() if n in names})
            assert built.params == network.params


def test_each_networks_table_comes_before_its_questions(exam) -> None:
    for sheet in (question_sheet, answer_sheet):
        text = text_document(sheet(exam, exam.variants[0]))
        order = [
            text.index(marker)
            for marker in (
                "Network CNN (a small CNN)",
                "Question 1 (",
                "Question 3 (",
                "Network MLP (a multilayer perceptron)",
                "Question 4 (",
                "Question 5 (",
                "Network for question 6",
                "Question 6 (",
            )
        ]
        assert order == sorted(order)
        assert text.count("HIDDEN") >= 1 and "h neurons" in text  # h is asked: a letter
    latex = exam_document(exam, exam.variants[:1])
    # one numbering: one questions environment, the later networks at its level between questions
    assert latex.count("\\begin{questions}") == 1 and latex.count("\\uplevel{") == 2
    assert latex.index("Network MLP") < latex.index("The network has")


def test_a_one_network_template_reads_as_before() -> None:
    lenet = make_exam(load_template(EXAMS / "lenet5_exam.yaml"), 1, seed=7)
    latex = exam_document(lenet)
    assert "\\uplevel" not in latex and latex.count("\\subsection*{Network}") == 1
    assert "\\subsection*{Questions}\n\\begin{questions}" in latex
    assert list(lenet.template.networks) == [""]
    assert lenet.variants[0].shown_networks == {"": lenet.variants[0].shown}


CONSTANT_FIRST = {
    "networks": {
        "A": {"input": [8], "layers": [{"type": "linear", "name": "L1", "out_features": 4}]},
        "B": {"input": [16], "layers": [{"type": "linear", "name": "L2", "out_features": "h"}]},
    },
    "variables": {"h": [3, 5, 7, 9]},
    "constraints": ["h >= 5"],
    "questions": [
        {"network": "A", "ask": "params", "layer": "L1"},
        {"network": "B", "ask": "params", "layer": "L2"},
    ],
}


def test_the_checks_read_each_questions_own_network() -> None:
    # A never changes: were the sheet of B's question read off A, the variants' identical text
    # and different answers would be refused; and A's answer (36) is the same in every variant
    exam = make_exam(load_template(CONSTANT_FIRST), 3, seed=1)
    assert sorted(v.questions[1].answers[0].value for v in exam.variants) == [85, 119, 153]
    assert {v.questions[0].answers[0].value for v in exam.variants} == {36}
    assert all(v.values["h"] >= 5 for v in exam.variants)  # a constraint on B's variable


def _with(**changes: Any) -> dict[str, Any]:
    return {**CONSTANT_FIRST, **changes}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (_with(questions=[{"ask": "params", "layer": "L1"}]), "several networks; name one"),
        (_with(questions=[{"network": "C", "ask": "total_params"}]), "no such network"),
        (
            _with(questions=[{"network": "B", "ask": "params", "layer": "L1"}]),
            "no layer named 'L1'",
        ),
        (
            _with(questions=[{"network": "B", "ask": "params", "layer": "L2"}]),
            "network A is given but no question asks about it",
        ),
        (
            _with(variables={"h": [3], "q": [1]}),
            "variable q does not appear in any network",
        ),
        (
            _with(questions=[{"network": "A", "ask": "solve", "find": "h"}]),
            "`find` = 'h' does not appear in network A",
        ),
        (
            _with(questions=[{"ask": "params", "input": [4], "layer": "L1"}]),
            "with `input`, `layer` is the question's own layer",
        ),
        ({**_with(), "network": {"input": [4], "layers": []}}, "give one of `network`, `networks`"),
        ({"variables": {}, "questions": [{"ask": "total_params"}]}, "needs `network`"),
    ],
)
def test_several_network_errors_name_the_field(document, message) -> None:
    with pytest.raises(SpecError, match=message):
        load_template(document)


def test_course_systems_show_each_question_its_own_network(exam) -> None:
    """Moodle XML, GIFT and QTI state, in each question's text, the network it is about."""
    from xml.etree import ElementTree

    from symcnn.render.qti import qti_files
    from symcnn.render.quiz import gift, moodle_xml

    networks = [q.spec.network for q in exam.variants[0].questions]
    assert len(set(networks)) == 3  # the CNN, the MLP, question 6's own layer
    root = ElementTree.fromstring(moodle_xml(exam))
    texts = [
        q.findtext("questiontext/text")
        for q in root.iter("question")
        if q.get("type") != "category"
    ]
    assert len(texts) == len(networks) * len(exam.variants)
    for number, text in enumerate(texts):
        network = networks[number // len(exam.variants)]
        assert ("HIDDEN" in text) == (network == "MLP"), (number, network)
        assert ("POOL1" in text) == (network == "CNN"), (number, network)
    mlp = networks.count("MLP") * len(exam.variants)
    stanzas = [s for s in gift(exam).split("\n\n") if "::" in s]
    assert sum("HIDDEN" in s for s in stanzas) == mlp
    items = [v.decode() for k, v in qti_files(exam).items() if k.startswith("items/")]
    assert sum("HIDDEN" in v for v in items) == mlp
