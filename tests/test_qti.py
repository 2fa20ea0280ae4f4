"""The QTI 2.1 package checked against the specification by hand (the IMS schema and a validator are
not installed): the content model and required attributes of every element the package uses, every
identifier referenced is declared, the manifest lists every file, the test draws one variant per
question; and its response processing *run* by a small interpreter of QTI's expressions, so that
the right answers score the points, each catalogued mistake scores nothing and shows the feedback
naming it, and the tolerance admits what it should and no more."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ElementTree
import zipfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import sympy

from symcnn.cli import main
from symcnn.exam import load_template, make_exam
from symcnn.render.qti import IMSCP_NAMESPACE, QTI_NAMESPACE, qti_files, qti_package, shares

EXAMS = Path(__file__).resolve().parent.parent / "examples" / "exams"
TEMPLATES = sorted(EXAMS.glob("*.yaml"))
QTI = f"{{{QTI_NAMESPACE}}}"
CP = f"{{{IMSCP_NAMESPACE}}}"

#: every question type, a fraction of a point split over a shape's axes, both tolerances
TYPES = {
    "title": "Every <type> & {tolerance}",
    "input": [16, 16, 3],
    "layer": {"type": "conv2d", "name": "C<1>&", "out_channels": "k", "kernel_size": 3},
    "variables": {"k": [4, 8, 12]},
    "questions": [
        {"ask": "params", "layer": "C<1>&", "points": 2.5, "tolerance": "1%"},
        {"ask": "output_shape", "layer": "C<1>&", "points": "1/2"},
        {"ask": "macs", "layer": "C<1>&", "type": "multichoice"},
        {"ask": "params", "layer": "C<1>&", "type": "short"},
        {"ask": "params", "layer": "C<1>&", "tolerance": {"absolute": 3}},
    ],
}

#: the children each element may have, in order (QTI 2.1's and IMS CP 1.1's XSD content models,
#: cut to the elements a package written by symcnn can hold)
CONTENT = {
    "assessmentItem": r"(responseDeclaration )*(outcomeDeclaration )*(itemBody )?"
    r"(responseProcessing )?(modalFeedback )*",
    "responseDeclaration": r"(defaultValue )?(correctResponse )?",
    "outcomeDeclaration": r"(defaultValue )?",
    "correctResponse": r"(value )+",
    "defaultValue": r"(value )+",
    "choiceInteraction": r"(prompt )?(simpleChoice )+",
    "responseProcessing": r"((responseCondition|setOutcomeValue) )*",
    "responseCondition": r"responseIf (responseElseIf )*(responseElse )?",
    "setOutcomeValue": r"\S+ ",
    "equal": r"\S+ \S+ ",
    "match": r"\S+ \S+ ",
    "sum": r"(\S+ )+",
    "table": r"(thead )?(tbody )+",
    "thead": r"(tr )+",
    "tbody": r"(tr )+",
    "tr": r"((th|td) )+",
    "assessmentTest": r"(outcomeDeclaration )*(testPart )+(outcomeProcessing )?",
    "testPart": r"(assessmentSection )+",
    "assessmentSection": r"(selection )?(assessmentItemRef )+",
    "outcomeProcessing": r"(setOutcomeValue )+",
    "manifest": r"(metadata )?organizations resources ",
    "resources": r"(resource )+",
    "resource": r"(file )+(dependency )*",
}
#: the attributes each element must have
REQUIRED = {
    "assessmentItem": {"identifier", "title", "adaptive", "timeDependent"},
    "responseDeclaration": {"identifier", "cardinality", "baseType"},
    "outcomeDeclaration": {"identifier", "cardinality", "baseType"},
    "choiceInteraction": {"responseIdentifier", "shuffle", "maxChoices"},
    "simpleChoice": {"identifier"},
    "textEntryInteraction": {"responseIdentifier"},
    "modalFeedback": {"outcomeIdentifier", "showHide", "identifier"},
    "baseValue": {"baseType"},
    "variable": {"identifier"},
    "correct": {"identifier"},
    "setOutcomeValue": {"identifier"},
    "equal": {"toleranceMode"},
    "assessmentTest": {"identifier", "title"},
    "testPart": {"identifier", "navigationMode", "submissionMode"},
    "assessmentSection": {"identifier", "title", "visible"},
    "selection": {"select"},
    "assessmentItemRef": {"identifier", "href"},
    "manifest": {"identifier"},
    "resource": {"identifier", "type"},
    "file": {"href"},
    "dependency": {"identifierref"},
}
#: the XHTML of QTI's itemBody and modalFeedback that the question text uses, with its attributes
XHTML = {"p": set(), "b": set(), "ul": set(), "ol": set(), "li": set(), "h4": set()}
XHTML |= {"table": set(), "thead": set(), "tbody": set(), "tr": set(), "th": set(), "td": set()}
NCNAME = re.compile(r"[A-Za-z_][\w.-]*")


def local(element: ElementTree.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


@pytest.fixture(scope="module", params=TEMPLATES, ids=[path.stem for path in TEMPLATES])
def exam(request):
    return make_exam(load_template(request.param), variants=4, seed=5)


@pytest.fixture(scope="module")
def every_type():
    return make_exam(load_template(TYPES), variants=3, seed=2)


def parsed(exam) -> dict[str, ElementTree.Element]:
    return {path: ElementTree.fromstring(data) for path, data in qti_files(exam).items()}


def items(exam) -> dict[str, ElementTree.Element]:
    return {path: root for path, root in parsed(exam).items() if path.startswith("items/")}


# ------------------------------------------------------------------------------ the package


def test_the_zip_holds_the_files_the_manifest_lists(exam) -> None:
    archive = zipfile.ZipFile(io.BytesIO(qti_package(exam)))
    names = archive.namelist()
    assert names == sorted(names) and names[0] == "imsmanifest.xml"
    assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in archive.infolist())
    assert {name: archive.read(name) for name in names} == qti_files(exam)
    manifest = ElementTree.fromstring(archive.read("imsmanifest.xml"))
    assert manifest.tag == f"{CP}manifest"
    assert manifest.findtext(f"{CP}metadata/{CP}schema") == "QTIv2.1 Package"
    resources = manifest.findall(f"{CP}resources/{CP}resource")
    listed = {file.get("href") for r in resources for file in r.findall(f"{CP}file")}
    assert listed | {"imsmanifest.xml"} == set(names)
    assert all(r.get("href") in listed for r in resources)
    identifiers = [r.get("identifier") for r in resources]
    assert len(set(identifiers)) == len(identifiers)
    (test,) = [r for r in resources if r.get("type") == "imsqti_test_xmlv2p1"]
    items_ = [r for r in resources if r.get("type") == "imsqti_item_xmlv2p1"]
    assert len(items_) == len(exam.variants) * len(exam.template.questions) == len(names) - 2
    depends = [d.get("identifierref") for d in test.findall(f"{CP}dependency")]
    assert depends == [r.get("identifier") for r in items_]


def test_the_test_draws_one_variant_per_question(exam) -> None:
    roots = parsed(exam)
    test = roots["test.xml"]
    assert test.tag == f"{QTI}assessmentTest"
    sections = test.findall(f"{QTI}testPart/{QTI}assessmentSection")
    assert len(sections) == len(exam.template.questions)
    maximum = {o.get("identifier"): o for o in test.findall(f"{QTI}outcomeDeclaration")}
    assert Fraction(maximum["MAXSCORE"].findtext(f"{QTI}defaultValue/{QTI}value")) == Fraction(
        str(exam.points)
    )
    for number, (section, spec) in enumerate(zip(sections, exam.template.questions, strict=True)):
        assert section.find(f"{QTI}selection").get("select") == "1"
        refs = section.findall(f"{QTI}assessmentItemRef")
        assert [ref.get("href") for ref in refs] == [
            f"items/q{number + 1}-v{variant.index}.xml" for variant in exam.variants
        ]
        for ref in refs:
            item = roots[ref.get("href")]
            assert item.get("identifier") == ref.get("identifier")
            declared = {o.get("identifier"): o for o in item.findall(f"{QTI}outcomeDeclaration")}
            top = declared["MAXSCORE"].findtext(f"{QTI}defaultValue/{QTI}value")
            assert Fraction(top) == Fraction(str(spec.points))


def check_element(element: ElementTree.Element, namespace: str) -> None:
    name = local(element)
    assert element.tag == f"{{{namespace}}}{name}", element.tag
    children = "".join(local(child) + " " for child in element)
    if name in CONTENT:
        assert re.fullmatch(CONTENT[name], children), (name, children)
    attributes = {key for key in element.attrib if not key.startswith("{")}
    assert REQUIRED.get(name, set()) <= attributes, (name, attributes)
    if name in XHTML:
        assert attributes <= XHTML[name], (name, attributes)
    for key in ("identifier", "responseIdentifier", "outcomeIdentifier", "identifierref"):
        if key in element.attrib:
            assert NCNAME.fullmatch(element.get(key)), (name, key, element.get(key))
    for child in element:
        check_element(child, namespace)


def test_every_element_follows_the_content_model(exam, every_type) -> None:
    for each in (exam, every_type):
        for path, root in parsed(each).items():
            check_element(root, IMSCP_NAMESPACE if path == "imsmanifest.xml" else QTI_NAMESPACE)


def declared_and_used(item: ElementTree.Element) -> None:
    responses = {d.get("identifier"): d for d in item.iter(f"{QTI}responseDeclaration")}
    outcomes = {d.get("identifier") for d in item.iter(f"{QTI}outcomeDeclaration")}
    assert {"SCORE", "MAXSCORE", "FEEDBACKMODAL"} <= outcomes
    interactions = [
        e.get("responseIdentifier") for e in item.iter() if e.get("responseIdentifier") is not None
    ]
    assert sorted(interactions) == sorted(responses)  # one interaction per response
    processing = item.find(f"{QTI}responseProcessing")
    for element in processing.iter():
        if local(element) in ("variable", "setOutcomeValue"):
            assert element.get("identifier") in set(responses) | outcomes
        if local(element) == "correct":
            assert element.get("identifier") in responses
    shown = {
        value.text
        for setter in processing.iter(f"{QTI}setOutcomeValue")
        if setter.get("identifier") == "FEEDBACKMODAL"
        for value in setter.iter(f"{QTI}baseValue")
    }
    feedback = [f.get("identifier") for f in item.findall(f"{QTI}modalFeedback")]
    assert len(set(feedback)) == len(feedback) and set(feedback) == shown
    for choice in item.iter(f"{QTI}choiceInteraction"):
        assert choice.get("maxChoices") == "1"
        identifiers = [c.get("identifier") for c in choice.findall(f"{QTI}simpleChoice")]
        assert len(set(identifiers)) == len(identifiers) >= 2
        right = responses[choice.get("responseIdentifier")]
        assert right.findtext(f"{QTI}correctResponse/{QTI}value") in identifiers
        referenced = {v.text for v in processing.iter(f"{QTI}baseValue")} & set(identifiers)
        assert referenced == set(identifiers) - {right.findtext(f"{QTI}correctResponse/{QTI}value")}


def test_every_identifier_used_is_declared(exam, every_type) -> None:
    for each in (exam, every_type):
        for item in items(each).values():
            declared_and_used(item)


# ------------------------------------------------------------------------------ response processing


def typed(base_type: str, text: str) -> Any:
    if base_type == "integer":
        return int(text)
    if base_type == "float":
        return Fraction(text)
    return text


def respond(item: ElementTree.Element, answers: dict[str, str]) -> dict[str, Any]:
    """Run the item's responseProcessing on ``answers`` (response identifier → what a student
    typed or chose), as QTI 2.1 defines the expressions it uses; the outcomes it leaves."""
    declarations = {d.get("identifier"): d for d in item.iter(f"{QTI}responseDeclaration")}
    responses = {
        key: typed(declarations[key].get("baseType"), text) for key, text in answers.items()
    }
    outcomes: dict[str, Any] = {"SCORE": Fraction(0), "FEEDBACKMODAL": None}
    for declaration in item.iter(f"{QTI}outcomeDeclaration"):
        default = declaration.findtext(f"{QTI}defaultValue/{QTI}value")
        if default is not None:
            outcomes[declaration.get("identifier")] = typed(declaration.get("baseType"), default)

    def value(expression: ElementTree.Element) -> Any:
        name, operands = local(expression), [value(child) for child in expression]
        if name == "variable":
            key = expression.get("identifier")
            return responses.get(key) if key in declarations else outcomes.get(key)
        if name == "correct":
            declaration = declarations[expression.get("identifier")]
            text = declaration.findtext(f"{QTI}correctResponse/{QTI}value")
            return typed(declaration.get("baseType"), text)
        if name == "baseValue":
            return typed(expression.get("baseType"), expression.text)
        if name == "sum":
            return None if None in operands else sum(operands, Fraction(0))
        if name == "multiple":  # NULL operands are ignored
            return [
                v for o in operands if o is not None for v in (o if isinstance(o, list) else [o])
            ]
        if None in operands:
            return None
        x, y = operands
        if name == "match":
            return x == y
        assert name == "equal"
        mode = expression.get("toleranceMode")
        if mode == "exact":
            return x == y
        low, high = (Fraction(t) for t in expression.get("tolerance").split())
        if mode == "relative":  # a percentage of the first value
            low, high = x * low / 100, x * high / 100
        lower_ok = y >= x - low if expression.get("includeLowerBound") == "true" else y > x - low
        upper_ok = y <= x + high if expression.get("includeUpperBound") == "true" else y < x + high
        return lower_ok and upper_ok

    def run(rule: ElementTree.Element) -> None:
        if local(rule) == "setOutcomeValue":
            outcomes[rule.get("identifier")] = value(rule[0])
            return
        branch = rule.find(f"{QTI}responseIf")
        if value(branch[0]) is True:
            for inner in branch[1:]:
                run(inner)

    for rule in item.find(f"{QTI}responseProcessing"):
        run(rule)
    return outcomes


def feedback_text(item: ElementTree.Element, identifiers: list[str]) -> list[str]:
    by_id = {f.get("identifier"): f for f in item.findall(f"{QTI}modalFeedback")}
    return ["".join(by_id[key].itertext()).strip() for key in identifiers if key != "SOLUTION"]


def right_answers(item: ElementTree.Element, posed) -> dict[str, str]:
    """What a student who knows the answers gives, read from the exam (not from the item)."""
    if posed.options:
        choices = item.findall(f".//{QTI}simpleChoice")
        (letter,) = [c.get("identifier") for c in choices if c.text == str(posed.answers[0].value)]
        return {"RESPONSE": letter}
    if len(posed.answers) > 1:
        return {f"RESPONSE_{i + 1}": str(a.value) for i, a in enumerate(posed.answers)}
    return {"RESPONSE": str(posed.answers[0].value)}


def each_item(exam):
    roots = items(exam)
    for variant in exam.variants:
        for posed in variant.questions:
            yield roots[f"items/q{posed.number}-v{variant.index}.xml"], posed


def test_the_right_answers_score_the_points_and_show_the_working(exam, every_type) -> None:
    for each in (exam, every_type):
        for item, posed in each_item(each):
            outcomes = respond(item, right_answers(item, posed))
            assert outcomes["SCORE"] == outcomes["MAXSCORE"] == Fraction(str(posed.spec.points))
            assert outcomes["FEEDBACKMODAL"] == ["SOLUTION"]
            working = item.find(f"{QTI}modalFeedback[@identifier='SOLUTION']")
            text = "".join(working.itertext())
            assert text.lstrip().startswith("\\(") and "Answer:" in text
            assert respond(item, {})["SCORE"] == 0  # nothing answered


def test_each_mistake_scores_nothing_and_is_named(exam, every_type) -> None:
    named = 0
    for each in (exam, every_type):
        for item, posed in each_item(each):
            right = right_answers(item, posed)
            for position, answer in enumerate(posed.answers):
                key = f"RESPONSE_{position + 1}" if len(posed.answers) > 1 else "RESPONSE"
                if posed.options:
                    choices = item.findall(f".//{QTI}simpleChoice")
                    wrong = [
                        (m, c.get("identifier"))
                        for m in posed.distractors
                        for c in choices
                        if c.text == str(m.value)
                    ]
                    assert len(wrong) == len(posed.options) - 1
                else:
                    caught = answer.catalogued if len(posed.answers) > 1 else posed.catalogued
                    margin = posed.spec.tolerance.margin(answer.value)
                    wrong = [
                        (m, str(m.value)) for m in caught if abs(m.value - answer.value) > margin
                    ]
                for mistake, given in wrong:
                    outcomes = respond(item, {**right, key: given})
                    lost = Fraction(str(posed.spec.points)) - outcomes["SCORE"]
                    blanks = len(posed.answers)
                    assert lost == Fraction(str(shares(posed.spec.points, blanks)[position]))
                    texts = feedback_text(item, outcomes["FEEDBACKMODAL"])
                    assert texts == [
                        f"This is what {mistake.description} gives ({mistake.value})."
                        + (f" {mistake.explanation}" if mistake.explanation else "")
                    ]
                    named += 1
    assert named > 20


def test_the_tolerance_admits_its_margin_and_no_more(every_type) -> None:
    for item, posed in each_item(every_type):
        if posed.options or len(posed.answers) > 1:
            continue
        answer = posed.answers[0].value
        full = Fraction(str(posed.spec.points))
        if posed.spec.type == "short":  # a string: only the number as written
            assert respond(item, {"RESPONSE": f"{answer}.0"})["SCORE"] == 0
            assert respond(item, {"RESPONSE": str(answer)})["SCORE"] == full
            continue
        margin = Fraction(str(posed.spec.tolerance.margin(answer)))
        assert margin > 0
        for inside in (answer - margin, answer + margin):
            assert respond(item, {"RESPONSE": str(inside)})["SCORE"] == full
        for outside in (answer - margin - Fraction(1, 100), answer + margin + Fraction(1, 100)):
            assert respond(item, {"RESPONSE": str(float(outside))})["SCORE"] == 0


def test_tolerances_types_and_shares(every_type) -> None:
    item = items(every_type)["items/q1-v1.xml"]  # 1 %: relative, in percent
    equal = item.find(f".//{QTI}equal")
    assert equal.get("toleranceMode") == "relative" and equal.get("tolerance") == "1 1"
    assert item.find(f"{QTI}responseDeclaration").get("baseType") == "float"
    item = items(every_type)["items/q5-v1.xml"]  # absolute 3
    equal = item.find(f".//{QTI}equal")
    assert equal.get("toleranceMode") == "absolute" and equal.get("tolerance") == "3 3"
    short = items(every_type)["items/q4-v1.xml"]
    assert short.find(f"{QTI}responseDeclaration").get("baseType") == "string"
    assert short.find(f".//{QTI}match") is not None and short.find(f".//{QTI}equal") is None
    choice = items(every_type)["items/q3-v1.xml"]
    assert choice.find(f".//{QTI}choiceInteraction") is not None
    shape = items(every_type)["items/q2-v1.xml"]  # 1/2 point over three axes
    scores = [
        Fraction(setter.find(f"{QTI}sum/{QTI}baseValue").text)
        for setter in shape.iter(f"{QTI}setOutcomeValue")
        if setter.get("identifier") == "SCORE"
    ]
    assert scores == [Fraction("0.166666"), Fraction("0.166666"), Fraction("0.166668")]
    assert sum(scores) == Fraction(1, 2)
    for points, count in ((sympy.Integer(7), 3), (sympy.Rational(5, 2), 4), (sympy.Integer(1), 6)):
        assert sum(shares(points, count)) == points and len(shares(points, count)) == count


# ------------------------------------------------------------------------------ text and bytes


def test_user_strings_are_escaped(every_type) -> None:
    files = qti_files(every_type)
    test = ElementTree.fromstring(files["test.xml"])
    assert test.get("title") == "Every <type> & {tolerance}"
    item = ElementTree.fromstring(files["items/q1-v1.xml"])
    assert item.get("title") == "Every <type> & {tolerance}, question 1, variant 1"
    body = item.find(f"{QTI}itemBody")
    assert "C<1>&" in "".join(body.itertext())
    assert not [
        e for e in body.iter() if local(e) not in {*XHTML, "itemBody", "textEntryInteraction"}
    ]


def test_the_package_is_the_same_bytes_for_the_same_exam(every_type) -> None:
    again = make_exam(load_template(TYPES), variants=3, seed=2)
    assert qti_package(again) == qti_package(every_type)
    other = make_exam(load_template(TYPES), variants=3, seed=3)
    ours, theirs = (ElementTree.fromstring(qti_files(e)["test.xml"]) for e in (every_type, other))
    assert ours.get("identifier") != theirs.get("identifier")  # two exams in one course


def test_the_exam_command_writes_the_package(tmp_path, capsys) -> None:
    template = EXAMS / "conv_inverse_exam.yaml"
    code = main(["exam", str(template), "--variants", "2", "--seed", "4", "-o", str(tmp_path)])
    assert code == 0
    assert capsys.readouterr().err.endswith(
        f"wrote 4 sheets, moodle.xml, questions.gift and qti.zip to {tmp_path} "
        "(2 variants, seed 4)\n"
    )
    exam = make_exam(load_template(template), variants=2, seed=4)
    assert (tmp_path / "qti.zip").read_bytes() == qti_package(exam)
