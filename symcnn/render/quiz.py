r"""Exam variants for a course: Moodle XML and GIFT.

Every numbered question of every variant becomes a Moodle question of the template's type:
numerical (with its tolerance), multiple choice, short answer, or for a shape one Cloze question
with a blank per axis. Each wrong option, and each catalogued mistake a student may type into a
numerical blank, carries the mistake's name and explanation as feedback; the general feedback is
the key's working as HTML with MathJax ``\(...\)``. The variants of one question go into one
category, so a Moodle quiz can draw one at random per student. The XML is built with
:mod:`xml.etree.ElementTree`, which escapes all text; GIFT escapes its own special characters
(``~ = # { } :`` and the backslash), and Cloze its own (``} # ~ / " \``). The question text is HTML
made from the same document blocks as the sheets, with every user string HTML-escaped.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ElementTree

from ..exam import Exam, Posed
from .course import (
    axis_parts,
    margin_text,
    mistake_feedback,
    parts,
    slots,
    working_html,
    wrong_values,
)

__all__ = ["PENALTY", "escape_cloze", "escape_gift", "gift", "moodle_xml"]

#: the fraction of a question's points a wrong try costs in Moodle's interactive mode
PENALTY = "0.3333333"


# ------------------------------------------------------------------------------ categories


def _category_path(exam: Exam, number: int) -> str:
    # GIFT reads a category line unescaped: its special characters are dropped from the name
    title = " ".join(re.sub(r"[~=#{}:\\$]", " ", exam.template.title).split())
    title = title.replace("/", "//")  # Moodle's escape for a / inside a category name
    return f"$course$/top/{title}/Question {number}"


# ------------------------------------------------------------------------------ Moodle XML


def _text(parent: ElementTree.Element, tag: str, text: str, html_format: bool = False) -> None:
    element = ElementTree.SubElement(parent, tag)
    if html_format:
        element.set("format", "html")
    ElementTree.SubElement(element, "text").text = text


def _answer(
    parent: ElementTree.Element, fraction: str, text: str, feedback: str, tolerance: str | None
) -> None:
    choice = ElementTree.SubElement(parent, "answer", fraction=fraction, format="html")
    ElementTree.SubElement(choice, "text").text = text
    if tolerance is not None:
        ElementTree.SubElement(choice, "tolerance").text = tolerance
    _text(choice, "feedback", html.escape(feedback), html_format=True)


_CLOZE_SPECIAL = re.compile(r'([}#~/"\\])')


def escape_cloze(text: str) -> str:
    r"""Text inside a Moodle Cloze blank: its special characters backslash-escaped.

    >>> escape_cloze('a}b#c~d/e"f')
    'a\\}b\\#c\\~d\\/e\\"f'
    """
    return _CLOZE_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def cloze(question: Posed) -> str:
    """The blanks of a shape question, one NUMERICAL blank per axis with its mistakes' feedback."""
    weight = 1
    blanks = []
    for position, answer in enumerate(question.answers):
        parts = [f"={int(answer.value)}:{margin_text(question, position)}#Right"]
        parts += [
            f"%0%{int(m.value)}:0#{escape_cloze(mistake_feedback(m))}"
            for m in wrong_values(question, position)
        ]
        blank = "{" + f"{weight}:NUMERICAL:" + "~".join(parts) + "}"
        blanks.append(f"{html.escape(answer.label)} {blank}")
    return "<p>" + ", ".join(blanks) + "</p>"


def _question(quiz: ElementTree.Element, name: str, text: str, question: Posed) -> None:
    spec = question.spec
    kind = {"shape": "cloze", "short": "shortanswer"}.get(spec.type, "numerical")
    if question.options:
        kind = "multichoice"
    element = ElementTree.SubElement(quiz, "question", type=kind)
    _text(element, "name", name)
    if kind == "cloze":
        text += cloze(question)
    _text(element, "questiontext", text, html_format=True)
    _text(element, "generalfeedback", working_html(question), html_format=True)
    ElementTree.SubElement(element, "defaultgrade").text = format(float(spec.points), "g")
    ElementTree.SubElement(element, "penalty").text = PENALTY
    ElementTree.SubElement(element, "hidden").text = "0"
    if kind == "cloze":
        return
    answer = question.answers[0].value
    if kind == "multichoice":
        ElementTree.SubElement(element, "single").text = "true"
        ElementTree.SubElement(element, "shuffleanswers").text = "0"
        ElementTree.SubElement(element, "answernumbering").text = "abc"
        for option in question.options:
            mistake = question.mistake_for(option)
            feedback = "Right." if mistake is None else mistake_feedback(mistake)
            _answer(element, "100" if mistake is None else "0", str(int(option)), feedback, None)
        return
    if kind == "shortanswer":
        ElementTree.SubElement(element, "usecase").text = "0"
    tolerance = None if kind == "shortanswer" else margin_text(question, 0)
    _answer(element, "100", str(int(answer)), "Right.", tolerance)
    for mistake in wrong_values(question, 0):
        zero = None if kind == "shortanswer" else "0"
        _answer(element, "0", str(int(mistake.value)), mistake_feedback(mistake), zero)


def moodle_xml(exam: Exam) -> str:
    """Every variant as Moodle XML (File > Import > Moodle XML format)."""
    quiz = ElementTree.Element("quiz")
    for number, slot in slots(exam):
        category = ElementTree.SubElement(quiz, "question", type="category")
        _text(category, "category", _category_path(exam, number))
        for variant, question in slot:
            for name, text, _ in parts(exam, variant, question):
                _question(quiz, name, text, question)
    ElementTree.indent(quiz)
    body = ElementTree.tostring(quiz, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'


# ------------------------------------------------------------------------------ GIFT

_GIFT_SPECIAL = re.compile(r"([~=#{}:\\])")


def escape_gift(text: str) -> str:
    r"""Text for GIFT: its special characters backslash-escaped, on one line.

    >>> escape_gift("a:b {c} ~d =e #f \\ g")
    'a\\:b \\{c\\} \\~d \\=e \\#f \\\\ g'
    """
    return _GIFT_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _gift_answers(question: Posed, position: int) -> str:
    if question.options:
        choices = []
        for option in question.options:
            mistake = question.mistake_for(option)
            feedback = "Right." if mistake is None else mistake_feedback(mistake)
            choices.append(
                f"{'=' if mistake is None else '~'}{int(option)}#{escape_gift(feedback)}"
            )
        return " ".join(choices)
    answer = question.answers[position].value
    if question.spec.type == "short":
        wrong = [
            f"~{int(m.value)}#{escape_gift(mistake_feedback(m))}"
            for m in wrong_values(question, position)
        ]
        return " ".join([f"={int(answer)}#Right.", *wrong])
    parts = [f"={int(answer)}:{margin_text(question, position)}#Right."]
    parts += [
        f"=%0%{int(m.value)}:0#{escape_gift(mistake_feedback(m))}"
        for m in wrong_values(question, position)
    ]
    return "#" + " ".join(parts)


def gift(exam: Exam) -> str:
    """Every variant in GIFT (File > Import > GIFT format), one category per question; a shape is
    one question per axis (GIFT has no Cloze)."""
    out = [f"// {escape_gift(exam.template.title)}: {len(exam.variants)} variants"]
    for number, slot in slots(exam):
        out.append(f"\n$CATEGORY: {_category_path(exam, number)}\n")
        for variant, question in slot:
            general = escape_gift(working_html(question))
            for name, text, position in axis_parts(exam, variant, question):
                assert position is not None
                body = "{" + _gift_answers(question, position) + " ####" + general + "}"
                out.append(f"::{escape_gift(name)}::[html]{escape_gift(text)}{body}\n")
    return "\n".join(out) + "\n"
