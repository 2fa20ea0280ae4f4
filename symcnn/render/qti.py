r"""Exam variants as a QTI 2.1 content package (a zip a course system imports: Canvas, OpenOlat,
ILIAS, Moodle's QTI plugins), laid out the way R/exams' ``exams2qti21`` lays out its packages.

The zip holds ``imsmanifest.xml`` (IMS Content Packaging 1.1: one resource for the test and one
per item), ``test.xml`` (an ``assessmentTest`` with one ``assessmentSection`` per question of the
template, which draws one of its variants with ``<selection select="1"/>``) and one
``assessmentItem`` per question per variant in ``items/``. An item is of the template's type:

- *numerical*: a ``textEntryInteraction`` whose response is an ``integer`` compared ``exact``, or
  with a tolerance a ``float`` compared by ``equal`` with ``toleranceMode`` ``absolute`` (the
  margin) or ``relative`` (the margin in percent, as QTI reads it);
- *multiple choice*: a ``choiceInteraction`` of ``simpleChoice`` options ``A``, ``B``... in the
  order the sheets show them, one of them the correct response;
- *shape*: one ``textEntryInteraction`` per axis in one item, each worth its share of the points;
- *short answer*: a ``textEntryInteraction`` of a ``string`` matched exactly.

Points are the item's ``MAXSCORE``; ``SCORE`` adds each right response's share. Every wrong option,
and every catalogued mistake a student may type into a blank, shows a ``modalFeedback`` naming the
mistake, and the key's working is a ``modalFeedback`` shown after every attempt, as MathJax
``\(...\)`` (the HTML of :mod:`symcnn.render.course`, read into elements). Every element is built
with :mod:`xml.etree.ElementTree`, which escapes every user string, and the zip's bytes depend on
the exam only: fixed timestamps and permissions, entries sorted.
"""

from __future__ import annotations

import hashlib
import io
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import sympy

from ..exam import Exam, Mistake, Posed, Variant
from .course import decimal, mistake_feedback, parts, slots, working_html, wrong_values

__all__ = [
    "IMSCP_NAMESPACE",
    "QTI_NAMESPACE",
    "qti_files",
    "qti_package",
]

QTI_NAMESPACE = "http://www.imsglobal.org/xsd/imsqti_v2p1"
IMSCP_NAMESPACE = "http://www.imsglobal.org/xsd/imscp_v1p1"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
QTI_SCHEMA = "http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
IMSCP_SCHEMA = "http://www.imsglobal.org/xsd/imscp_v1p1.xsd"
#: every zip entry's timestamp: the earliest a zip can store, so the bytes never depend on the day
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
#: the identifier of the outcome whose values name the feedback to show
FEEDBACK = "FEEDBACKMODAL"
#: the modal feedback holding the key's working
SOLUTION = "SOLUTION"
#: the decimal places a share of a question's points is written with (the last share takes the rest)
SHARE_PLACES = 6
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

Element = ElementTree.Element
SubElement = ElementTree.SubElement


@dataclass(frozen=True)
class _Response:
    """One blank (or the choice) of an item: its identifier, label, value as QTI writes it, base
    type, the tolerance attributes of its comparison, its share of the points and the mistakes
    whose values it gives feedback on (with the value each is compared with)."""

    identifier: str
    label: str
    correct: str
    base_type: str
    tolerance: tuple[tuple[str, str], ...]
    share: sympy.Rational
    mistakes: tuple[tuple[Mistake, str], ...]


# ------------------------------------------------------------------------------ numbers


def _number(value: sympy.Rational) -> str:
    """A score as QTI's ``float`` reads it: exact when it has a decimal, else six digits."""
    scaled = value * 10**SHARE_PLACES
    if not scaled.is_Integer:
        return decimal(value)
    text = f"{abs(int(scaled)):0{SHARE_PLACES + 1}d}"
    whole, fraction = text[:-SHARE_PLACES], text[-SHARE_PLACES:].rstrip("0")
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}.{fraction}" if fraction else f"{sign}{whole}"


def shares(points: sympy.Rational, count: int) -> list[sympy.Rational]:
    """``points`` split over ``count`` blanks: equal shares, rounded down to
    :data:`SHARE_PLACES` decimals, the last taking the rest, so that they sum to ``points``.

    >>> shares(sympy.Integer(3), 3), [_number(share) for share in shares(sympy.Integer(1), 3)]
    ([1, 1, 1], ['0.333333', '0.333333', '0.333334'])
    """
    share = points / count
    rounded = sympy.floor(share * 10**SHARE_PLACES) / sympy.Integer(10**SHARE_PLACES)
    return [rounded] * (count - 1) + [points - rounded * (count - 1)]


# ------------------------------------------------------------------------------ XHTML


def _xhtml(fragment: str) -> list[Element]:
    """The HTML of :mod:`symcnn.render.course` (XHTML we made, every user string escaped) as
    elements, with its tables in QTI's shape (a ``thead`` and a ``tbody``, no ``border``)."""
    wrapper = ElementTree.fromstring(f"<div>{fragment}</div>")
    for table in wrapper.iter("table"):
        table.attrib.pop("border", None)
        rows = list(table)
        for row in rows:
            table.remove(row)
        if rows and rows[0].find("th") is not None:
            SubElement(table, "thead").append(rows.pop(0))
        SubElement(table, "tbody").extend(rows)
    return list(wrapper)


def _paragraph(parent: Element, text: str) -> Element:
    paragraph = SubElement(parent, "p")
    paragraph.text = text
    return paragraph


# ------------------------------------------------------------------------------ responses


def _mistakes(question: Posed, position: int) -> tuple[tuple[Mistake, str], ...]:
    """The catalogued mistakes a blank gives feedback on, each with its value as typed."""
    return tuple((mistake, str(int(mistake.value))) for mistake in wrong_values(question, position))


def _tolerance(question: Posed, position: int) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The base type of a numerical blank and the attributes of its ``equal``: ``exact`` on an
    integer without a tolerance, else ``absolute`` (the margin) or ``relative`` (in percent, as
    QTI reads it) on a float, the bounds included."""
    tolerance = question.spec.tolerance
    margin = tolerance.margin(question.answers[position].value)
    if margin == 0:
        return "integer", (("toleranceMode", "exact"),)
    amount = decimal(tolerance.value * 100) if tolerance.relative else decimal(margin)
    mode = "relative" if tolerance.relative else "absolute"
    bounds = (("includeLowerBound", "true"), ("includeUpperBound", "true"))
    return "float", (("toleranceMode", mode), ("tolerance", f"{amount} {amount}"), *bounds)


def _numerical(question: Posed, position: int, identifier: str, share: sympy.Rational) -> _Response:
    answer = question.answers[position]
    base_type, attributes = _tolerance(question, position)
    value = str(int(answer.value))
    mistakes = _mistakes(question, position)
    return _Response(identifier, answer.label, value, base_type, attributes, share, mistakes)


def _choice(question: Posed) -> _Response:
    """A multiple-choice question's choice: options ``A``, ``B``... in the sheets' order."""
    letters = {option: LETTERS[index] for index, option in enumerate(question.options)}
    mistakes = tuple(
        (mistake, letters[option])
        for option in question.options
        if (mistake := question.mistake_for(option)) is not None
    )
    answer = question.answers[0]
    right = letters[answer.value]
    return _Response(
        "RESPONSE", answer.label, right, "identifier", (), question.spec.points, mistakes
    )


def _short(question: Posed) -> _Response:
    answer = question.answers[0]
    value = str(int(answer.value))
    points = question.spec.points
    return _Response("RESPONSE", answer.label, value, "string", (), points, _mistakes(question, 0))


def _responses(question: Posed) -> tuple[str, list[_Response]]:
    """The item's kind and its responses."""
    points = question.spec.points
    if question.options:
        return "choice", [_choice(question)]
    if len(question.answers) > 1:
        split = shares(points, len(question.answers))
        return "shape", [
            _numerical(question, position, f"RESPONSE_{position + 1}", split[position])
            for position in range(len(question.answers))
        ]
    if question.spec.type == "short":
        return "short", [_short(question)]
    return "numerical", [_numerical(question, 0, "RESPONSE", points)]


def _feedback_identifier(response: _Response, index: int) -> str:
    return f"MISTAKE_{response.identifier}_{index + 1}"


# ------------------------------------------------------------------------------ the item


def _declarations(item: Element, responses: Iterable[_Response], points: sympy.Rational) -> None:
    for response in responses:
        declaration = SubElement(
            item,
            "responseDeclaration",
            identifier=response.identifier,
            cardinality="single",
            baseType=response.base_type,
        )
        SubElement(SubElement(declaration, "correctResponse"), "value").text = response.correct
    maximum = _number(points)
    score = SubElement(
        item,
        "outcomeDeclaration",
        identifier="SCORE",
        cardinality="single",
        baseType="float",
        normalMaximum=maximum,
    )
    SubElement(SubElement(score, "defaultValue"), "value").text = "0"
    top = SubElement(
        item, "outcomeDeclaration", identifier="MAXSCORE", cardinality="single", baseType="float"
    )
    SubElement(SubElement(top, "defaultValue"), "value").text = maximum
    SubElement(
        item,
        "outcomeDeclaration",
        identifier=FEEDBACK,
        cardinality="multiple",
        baseType="identifier",
    )


def _body(item: Element, text: str, kind: str, question: Posed, responses: list[_Response]) -> None:
    body = SubElement(item, "itemBody")
    body.extend(_xhtml(text))
    if kind == "choice":
        interaction = SubElement(
            body,
            "choiceInteraction",
            responseIdentifier="RESPONSE",
            shuffle="false",
            maxChoices="1",
        )
        for index, option in enumerate(question.options):
            choice = SubElement(interaction, "simpleChoice", identifier=LETTERS[index])
            choice.text = str(int(option))
        return
    for response in responses:
        paragraph = _paragraph(body, f"{response.label}: " if kind == "shape" else "")
        length = max(8, len(response.correct) + 4)
        SubElement(
            paragraph,
            "textEntryInteraction",
            responseIdentifier=response.identifier,
            expectedLength=str(length),
        )


def _comparison(response: _Response, reference: Element, exact: bool = False) -> Element:
    """The expression that is true when ``response`` equals ``reference``: ``match`` for a choice
    or a string, ``equal`` for a number, with the response's tolerance unless ``exact`` (a
    mistake's value: the tolerance around it could take in a neighbouring mistake's). The
    reference comes first: QTI's relative tolerance is a percentage of the first value."""
    if response.base_type in ("identifier", "string"):
        test = Element("match")
    else:
        test = Element("equal", {"toleranceMode": "exact"} if exact else dict(response.tolerance))
    test.append(reference)
    SubElement(test, "variable", identifier=response.identifier)
    return test


def _if(processing: Element, test: Element, outcome: str, value: Element) -> None:
    condition = SubElement(SubElement(processing, "responseCondition"), "responseIf")
    condition.append(test)
    SubElement(condition, "setOutcomeValue", identifier=outcome).append(value)


def _add(outcome: str, operator: str, value: Element) -> Element:
    """``outcome`` with ``value`` added: ``sum`` for a score, ``multiple`` for feedback."""
    combined = Element(operator)
    SubElement(combined, "variable", identifier=outcome)
    combined.append(value)
    return combined


def _base(base_type: str, text: str) -> Element:
    value = Element("baseValue", baseType=base_type)
    value.text = text
    return value


def _processing(item: Element, responses: Iterable[_Response]) -> None:
    processing = SubElement(item, "responseProcessing")
    for response in responses:
        test = _comparison(response, Element("correct", identifier=response.identifier))
        _if(
            processing, test, "SCORE", _add("SCORE", "sum", _base("float", _number(response.share)))
        )
        for index, (_, value) in enumerate(response.mistakes):
            wrong = _comparison(response, _base(response.base_type, value), exact=True)
            shown = _base("identifier", _feedback_identifier(response, index))
            _if(processing, wrong, FEEDBACK, _add(FEEDBACK, "multiple", shown))
    solution = _add(FEEDBACK, "multiple", _base("identifier", SOLUTION))
    SubElement(processing, "setOutcomeValue", identifier=FEEDBACK).append(solution)


def _feedback(item: Element, identifier: str, title: str, content: list[Element]) -> None:
    feedback = SubElement(
        item,
        "modalFeedback",
        outcomeIdentifier=FEEDBACK,
        showHide="show",
        identifier=identifier,
        title=title,
    )
    feedback.extend(content)


def _root(tag: str, namespace: str, schema: str, **attributes: str) -> Element:
    return Element(
        tag,
        {
            "xmlns": namespace,
            "xmlns:xsi": XSI_NAMESPACE,
            "xsi:schemaLocation": f"{namespace} {schema}",
            **attributes,
        },
    )


def _item(exam: Exam, variant: Variant, question: Posed, identifier: str) -> Element:
    name, text, _ = next(parts(exam, variant, question))
    kind, responses = _responses(question)
    item = _root(
        "assessmentItem",
        QTI_NAMESPACE,
        QTI_SCHEMA,
        identifier=identifier,
        title=name,
        adaptive="false",
        timeDependent="false",
    )
    _declarations(item, responses, question.spec.points)
    _body(item, text, kind, question, responses)
    _processing(item, responses)
    for response in responses:
        for index, (mistake, value) in enumerate(response.mistakes):
            paragraph = Element("p")
            paragraph.text = mistake_feedback(mistake)
            title = f"Option {value}" if kind == "choice" else f"{response.label}: {value}"
            _feedback(item, _feedback_identifier(response, index), title, [paragraph])
    _feedback(item, SOLUTION, "Working", _xhtml(working_html(question)))
    return item


# ------------------------------------------------------------------------------ the package


def _key(exam: Exam) -> str:
    """A name for the package that depends on the exam only (its title, seed and answers), so a
    course that imports two exams keeps both and importing one again replaces it."""
    answers = [
        [
            (answer.label, int(answer.value))
            for question in variant.questions
            for answer in question.answers
        ]
        for variant in exam.variants
    ]
    digest = hashlib.sha256(repr((exam.template.title, exam.seed, answers)).encode("utf-8"))
    return digest.hexdigest()[:12]


def _serialize(root: Element) -> bytes:
    body = ElementTree.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'.encode()


def _items(exam: Exam, key: str) -> Iterator[tuple[int, str, str, Element]]:
    """(question number, item identifier, file, item) for every question of every variant."""
    for number, slot in slots(exam):
        for variant, question in slot:
            identifier = f"q{number}-v{variant.index}-{key}"
            path = f"items/q{number}-v{variant.index}.xml"
            yield number, identifier, path, _item(exam, variant, question, identifier)


def _test(exam: Exam, key: str, refs: list[tuple[int, str, str]]) -> Element:
    title = " ".join(exam.template.title.split())
    test = _root("assessmentTest", QTI_NAMESPACE, QTI_SCHEMA, identifier=f"test-{key}", title=title)
    for outcome, default in (("SCORE", "0"), ("MAXSCORE", _number(exam.points))):
        declaration = SubElement(
            test, "outcomeDeclaration", identifier=outcome, cardinality="single", baseType="float"
        )
        SubElement(SubElement(declaration, "defaultValue"), "value").text = default
    part = SubElement(
        test,
        "testPart",
        identifier=f"part-{key}",
        navigationMode="nonlinear",
        submissionMode="individual",
    )
    sections: dict[int, Element] = {}
    for number, identifier, path in refs:
        if number not in sections:
            section = SubElement(
                part,
                "assessmentSection",
                identifier=f"question{number}-{key}",
                title=f"Question {number}",
                visible="true",
            )
            SubElement(section, "selection", select="1")
            sections[number] = section
        SubElement(sections[number], "assessmentItemRef", identifier=identifier, href=path)
    total = SubElement(SubElement(test, "outcomeProcessing"), "setOutcomeValue", identifier="SCORE")
    SubElement(SubElement(total, "sum"), "testVariables", variableIdentifier="SCORE")
    return test


def _manifest(exam: Exam, key: str, refs: list[tuple[int, str, str]]) -> Element:
    manifest = _root("manifest", IMSCP_NAMESPACE, IMSCP_SCHEMA, identifier=f"manifest-{key}")
    metadata = SubElement(manifest, "metadata")
    SubElement(metadata, "schema").text = "QTIv2.1 Package"
    SubElement(metadata, "schemaversion").text = "1.0.0"
    SubElement(manifest, "organizations")
    resources = SubElement(manifest, "resources")
    test = SubElement(
        resources,
        "resource",
        identifier=f"resource-test-{key}",
        type="imsqti_test_xmlv2p1",
        href="test.xml",
    )
    SubElement(test, "file", href="test.xml")
    for _, identifier, _path in refs:
        SubElement(test, "dependency", identifierref=f"resource-{identifier}")
    for _, identifier, path in refs:
        resource = SubElement(
            resources,
            "resource",
            identifier=f"resource-{identifier}",
            type="imsqti_item_xmlv2p1",
            href=path,
        )
        SubElement(resource, "file", href=path)
    return manifest


def qti_files(exam: Exam) -> dict[str, bytes]:
    """The package's files: ``imsmanifest.xml``, ``test.xml`` and ``items/q<n>-v<i>.xml``, sorted
    by name."""
    key = _key(exam)
    files: dict[str, bytes] = {}
    refs: list[tuple[int, str, str]] = []
    for number, identifier, path, item in _items(exam, key):
        ElementTree.indent(item)
        files[path] = _serialize(item)
        refs.append((number, identifier, path))
    for path, root in (
        ("test.xml", _test(exam, key, refs)),
        ("imsmanifest.xml", _manifest(exam, key, refs)),
    ):
        ElementTree.indent(root)
        files[path] = _serialize(root)
    return dict(sorted(files.items()))


def qti_package(exam: Exam) -> bytes:
    """Every variant as a QTI 2.1 content package (a zip), the same bytes for the same exam."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in qti_files(exam).items():
            entry = zipfile.ZipInfo(path, ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3  # Unix, whatever the platform, so the bytes do not depend on it
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data)
    return buffer.getvalue()
