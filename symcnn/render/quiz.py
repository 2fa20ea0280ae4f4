"""Exam variants for a course: Moodle XML and GIFT.

Every numbered question of every variant becomes a Moodle question (numerical, or multiple choice
when the template asks for options); a shape question becomes one numerical question per axis.
The variants of one question go into one category, so a Moodle quiz can draw one at random per
student. The XML is built with :mod:`xml.etree.ElementTree`, which escapes all text; GIFT escapes
its own special characters (``~ = # { } :`` and the backslash). The question text is HTML made from
the same document blocks as the sheets, with every user string HTML-escaped.
"""

from __future__ import annotations

import functools
import html
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable, Iterator

import sympy

from ..exam import Exam, Posed, Variant, assumptions, network_table
from .document import Heading, Items, Math, Paragraph, Shape, Table, Text
from .plain import text_line
from .text import format_expr, format_shape

__all__ = ["escape_gift", "gift", "moodle_xml"]


# ------------------------------------------------------------------------------ HTML


@functools.singledispatch
def _inline(piece: object) -> str:
    raise TypeError(f"not an inline piece: {piece!r}")


@_inline.register
def _(piece: Text) -> str:
    text = html.escape(re.sub(r"\s+", " ", piece.text), quote=False)
    return f"<b>{text}</b>" if piece.bold else text


@_inline.register
def _(piece: Math) -> str:
    value = piece.value
    return html.escape(
        format_expr(value) if isinstance(value, sympy.Integer) else sympy.sstr(value)
    )


@_inline.register
def _(piece: Shape) -> str:
    return html.escape(format_shape(piece.sizes))


def _run(pieces: Iterable[object]) -> str:
    return "".join(_inline(piece) for piece in pieces)


@functools.singledispatch
def _html(block: object) -> str:
    raise TypeError(f"not a document block: {block!r}")


@_html.register
def _(block: Heading) -> str:
    return f"<h4>{html.escape(block.text)}</h4>"


@_html.register
def _(block: Paragraph) -> str:
    return f"<p>{_run(block.content)}</p>"


@_html.register
def _(block: Items) -> str:
    tag = "ol" if block.numbered else "ul"
    return f"<{tag}>" + "".join(f"<li>{_run(item)}</li>" for item in block.items) + f"</{tag}>"


@_html.register
def _(block: Table) -> str:
    header = "".join(f"<th>{html.escape(cell)}</th>" for cell in block.header)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_run(cell)}</td>" for cell in row) + "</tr>" for row in block.rows
    )
    return f'<table border="1"><tr>{header}</tr>{rows}</table>'


def _context(exam: Exam, variant: Variant) -> str:
    """The part of every question's text that states the network and the assumptions."""
    blocks: list[object] = []
    if exam.template.instructions:
        blocks.append(Paragraph.of(exam.template.instructions))
    blocks += [
        Paragraph.of("Assumptions:"),
        Items(assumptions(exam.template, variant.shown)),
        Paragraph.of("Input ", Shape(variant.shown.input_shape), "."),
        network_table(variant.shown),
    ]
    return "".join(_html(block) for block in blocks)


# ------------------------------------------------------------------------------ questions


def _parts(exam: Exam, variant: Variant, question: Posed) -> Iterator[tuple[str, str, Posed, int]]:
    """(name, question HTML, question, answer index) for each number the question asks."""
    context = _context(exam, variant)
    prompt = f"<p>{_run(question.prompt)}</p>"
    title = " ".join(exam.template.title.split())
    name = f"{title}, question {question.number}, variant {variant.index}"
    if len(question.answers) == 1:
        yield name, context + prompt, question, 0
        return
    for position, answer in enumerate(question.answers):
        ask = f"<p>Give the {html.escape(answer.label)} (number {position + 1} of the shape).</p>"
        yield f"{name} ({answer.label})", context + prompt + ask, question, position


def _feedback(question: Posed) -> str:
    lines = "".join(f"<li>{html.escape(text_line(line))}</li>" for line in question.working)
    return f"<ul>{lines}</ul>"


def _category_path(exam: Exam, number: int) -> str:
    # GIFT reads a category line unescaped: its special characters are dropped from the name
    title = " ".join(re.sub(r"[~=#{}:\\$]", " ", exam.template.title).split())
    title = title.replace("/", "//")  # Moodle's escape for a / inside a category name
    return f"$course$/top/{title}/Question {number}"


def _slots(exam: Exam) -> Iterator[tuple[int, list[tuple[Variant, Posed]]]]:
    for position in range(len(exam.template.questions)):
        yield position + 1, [(variant, variant.questions[position]) for variant in exam.variants]


# ------------------------------------------------------------------------------ Moodle XML


def _text(parent: ElementTree.Element, tag: str, text: str, html_format: bool = False) -> None:
    element = ElementTree.SubElement(parent, tag)
    if html_format:
        element.set("format", "html")
    ElementTree.SubElement(element, "text").text = text


def moodle_xml(exam: Exam) -> str:
    """Every variant as Moodle XML (File > Import > Moodle XML format)."""
    quiz = ElementTree.Element("quiz")
    for number, slot in _slots(exam):
        category = ElementTree.SubElement(quiz, "question", type="category")
        _text(category, "category", _category_path(exam, number))
        for variant, question in slot:
            for name, text, posed, position in _parts(exam, variant, question):
                kind = "multichoice" if posed.options else "numerical"
                element = ElementTree.SubElement(quiz, "question", type=kind)
                _text(element, "name", name)
                _text(element, "questiontext", text, html_format=True)
                _text(element, "generalfeedback", _feedback(posed), html_format=True)
                ElementTree.SubElement(element, "defaultgrade").text = "1"
                answer = posed.answers[position].value
                if posed.options:
                    ElementTree.SubElement(element, "single").text = "true"
                    ElementTree.SubElement(element, "shuffleanswers").text = "0"
                    ElementTree.SubElement(element, "answernumbering").text = "abc"
                    for option in posed.options:
                        choice = ElementTree.SubElement(
                            element,
                            "answer",
                            fraction="100" if option == answer else "0",
                            format="html",
                        )
                        ElementTree.SubElement(choice, "text").text = str(int(option))
                else:
                    choice = ElementTree.SubElement(element, "answer", fraction="100")
                    ElementTree.SubElement(choice, "text").text = str(int(answer))
                    ElementTree.SubElement(choice, "tolerance").text = "0"
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


def gift(exam: Exam) -> str:
    """Every variant in GIFT (File > Import > GIFT format), one category per question."""
    out = [
        f"// {escape_gift(exam.template.title)}: {len(exam.variants)} variants, seed {exam.seed}"
    ]
    for number, slot in _slots(exam):
        out.append(f"\n$CATEGORY: {_category_path(exam, number)}\n")
        for variant, question in slot:
            for name, text, posed, position in _parts(exam, variant, question):
                answer = posed.answers[position].value
                if posed.options:
                    choices = " ".join(
                        f"{'=' if option == answer else '~'}{int(option)}"
                        for option in posed.options
                    )
                    body = "{" + choices + "}"
                else:
                    body = "{#" + str(int(answer)) + "}"
                out.append(f"::{escape_gift(name)}::[html]{escape_gift(text)}{body}\n")
    return "\n".join(out) + "\n"
