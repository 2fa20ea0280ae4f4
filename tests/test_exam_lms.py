"""Moodle XML checked against Moodle's question format, GIFT read back with a GIFT parser."""

from __future__ import annotations

import io
import re
import warnings
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

with warnings.catch_warnings():  # pygiftparser 1.1 calls locale.getdefaultlocale on import
    warnings.simplefilter("ignore", DeprecationWarning)
    import pygiftparser.parser  # the test extra's GIFT parser

from symcnn.exam import load_template, make_exam
from symcnn.render.quiz import gift, moodle_xml

EXAMS = Path(__file__).resolve().parent.parent / "examples" / "exams"
TEMPLATES = sorted(EXAMS.glob("*.yaml"))
#: what Moodle's XML importer needs per question type (qformat_xml::import_question and friends)
REQUIRED = {
    "numerical": ("name/text", "questiontext/text", "defaultgrade", "penalty", "answer"),
    "multichoice": ("name/text", "questiontext/text", "single", "answernumbering", "answer"),
    "shortanswer": ("name/text", "questiontext/text", "usecase", "answer"),
    "cloze": ("name/text", "questiontext/text", "generalfeedback/text"),
}
CLOZE_BLANK = re.compile(r"\{(\d+):NUMERICAL:((?:[^{}\\]|\\.)*)\}")


@pytest.fixture(scope="module", params=TEMPLATES, ids=[path.stem for path in TEMPLATES])
def exam(request):
    return make_exam(load_template(request.param), variants=4, seed=5)


def test_moodle_xml_has_what_moodle_requires(exam) -> None:
    root = ElementTree.fromstring(moodle_xml(exam))
    assert root.tag == "quiz"
    questions = [q for q in root.findall("question") if q.get("type") != "category"]
    assert len(questions) == len(exam.variants) * len(exam.template.questions)
    for element in questions:
        kind = element.get("type")
        assert kind in REQUIRED
        for path in REQUIRED[kind]:
            assert element.find(path) is not None, (kind, path)
        feedback = element.findtext("generalfeedback/text")
        assert feedback.startswith("<p>\\(") and "Answer:" in feedback
        answers = element.findall("answer")
        fractions = [float(a.get("fraction")) for a in answers]
        assert all(0 <= f <= 100 for f in fractions)
        if kind in ("numerical", "multichoice", "shortanswer"):
            assert fractions.count(100) == 1  # one right answer, the rest feedback on mistakes
            for answer in answers:
                if float(answer.get("fraction")) == 0:
                    assert "This is what" in answer.findtext("feedback/text")
        if kind == "numerical":
            assert all(a.find("tolerance") is not None for a in answers)
        if kind == "cloze":
            blanks = CLOZE_BLANK.findall(element.findtext("questiontext/text"))
            assert len(blanks) >= 2  # one per axis
            for _, body in blanks:
                assert body.startswith("=") and body.count("#Right") == 1


def test_moodle_answers_are_the_engines(exam) -> None:
    root = ElementTree.fromstring(moodle_xml(exam))
    questions = [q for q in root.findall("question") if q.get("type") != "category"]
    by_name = {q.findtext("name/text"): q for q in questions}
    for variant in exam.variants:
        for posed in variant.questions:
            name = f"{exam.template.title}, question {posed.number}, variant {variant.index}"
            element = by_name[" ".join(name.split())]
            if element.get("type") == "cloze":
                text = element.findtext("questiontext/text")
                rights = [b.split(":")[0].lstrip("=") for _, b in CLOZE_BLANK.findall(text)]
                assert rights == [str(a.value) for a in posed.answers]
                continue
            right = [
                a.findtext("text") for a in element.findall("answer") if a.get("fraction") == "100"
            ]
            assert right == [str(posed.answers[0].value)]
            if posed.options:
                shown = [a.findtext("text") for a in element.findall("answer")]
                assert shown == [str(o) for o in posed.options]


def test_gift_parses_with_a_gift_parser(exam) -> None:
    text = gift(exam)
    parsed = pygiftparser.parser.parseFile(io.StringIO(text))
    per_axis = sum(len(q.answers) if len(q.answers) > 1 else 1 for q in exam.variants[0].questions)
    assert len(parsed) == len(exam.variants) * per_axis
    for question in parsed:
        assert question.valid and question.title
        assert question.generalFeedback.startswith("<p>")
        answers = question.answers.answers
        assert [a.fraction for a in answers].count(100) == 1
        wrong = [a for a in answers if a.fraction == 0]
        assert all("This is what" in a.feedback for a in wrong)
