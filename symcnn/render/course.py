r"""What every course-system export shares (Moodle XML and GIFT in :mod:`symcnn.render.quiz`,
QTI 2.1 in :mod:`symcnn.render.qti`): a question's text as HTML made from the same document blocks
as the sheets (every user string HTML-escaped), the key's working as HTML with MathJax ``\(...\)``,
the feedback a mistake carries, the catalogued mistakes a numerical blank gives feedback on, and
the slots (one per question of the template, holding its variants) a quiz draws from.

The HTML is XHTML: well-formed, so :mod:`symcnn.render.qti` reads it into elements.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterable, Iterator

import sympy

from ..exam import Exam, Mistake, Posed, Variant, assumptions, network_table
from ._strings import sstr
from .document import Heading, Items, Math, Paragraph, Shape, Table, Text
from .latex import latex_rows
from .text import format_expr, format_shape

__all__ = [
    "axis_parts",
    "context_html",
    "decimal",
    "margin_text",
    "mistake_feedback",
    "parts",
    "slots",
    "working_html",
    "wrong_values",
]


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
    return html.escape(format_expr(value) if isinstance(value, sympy.Integer) else sstr(value))


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


def context_html(exam: Exam, variant: Variant, question: Posed) -> str:
    """The part of a question's text that states its network and the assumptions."""
    shown = variant.shown_for(question)
    blocks: list[object] = []
    if exam.template.instructions:
        blocks.append(Paragraph.of(exam.template.instructions))
    blocks += [
        Paragraph.of("Assumptions:"),
        Items(assumptions(exam.template, shown)),
        Paragraph.of("Input ", Shape(shown.input_shape), "."),
        network_table(shown),
    ]
    return "".join(_html(block) for block in blocks)


# ------------------------------------------------------------------------------ questions


def parts(exam: Exam, variant: Variant, question: Posed) -> Iterator[tuple[str, str, int | None]]:
    """(name, question HTML, answer index) for each question a course system gets: one, or for a
    shape in GIFT (which has no Cloze) one per axis; ``None``: every axis, as Cloze."""
    context = context_html(exam, variant, question)
    prompt = f"<p>{_run(question.prompt)}</p>"
    title = " ".join(exam.template.title.split())
    name = f"{title}, question {question.number}, variant {variant.index}"
    yield name, context + prompt, (0 if len(question.answers) == 1 else None)


def axis_parts(
    exam: Exam, variant: Variant, question: Posed
) -> Iterator[tuple[str, str, int | None]]:
    """:func:`parts` with a shape split into one question per axis."""
    name, text, position = next(parts(exam, variant, question))
    if position is not None:
        yield name, text, position
        return
    for position, answer in enumerate(question.answers):
        ask = f"<p>Give the {html.escape(answer.label)} (number {position + 1} of the shape).</p>"
        yield f"{name} ({answer.label})", text + ask, position


def _math(row: str) -> str:
    return r"\(" + html.escape(row.replace("&", "").strip()) + r"\)"


def working_html(question: Posed) -> str:
    r"""The key's working as HTML paragraphs of MathJax ``\(...\)``."""
    rows = [row for line in question.working for row in latex_rows(line)]
    answer = ", ".join(f"{html.escape(a.label)} = {int(a.value)}" for a in question.answers)
    return "".join(f"<p>{_math(row)}</p>" for row in rows) + f"<p>Answer: {answer}.</p>"


def mistake_feedback(mistake: Mistake) -> str:
    """What a student who made ``mistake`` is told: its name, why, and what it gives."""
    text = f"This is what {mistake.description} gives ({int(mistake.value)})."
    if mistake.explanation:
        text += f" {mistake.explanation}"
    return text


def decimal(value: sympy.Rational) -> str:
    """An exact number as a course system reads it: an integer, else a decimal of six
    significant digits (the value stays exact in the engine).

    >>> decimal(sympy.Integer(12)), decimal(sympy.Rational(5, 2)), decimal(sympy.Rational(1, 3))
    ('12', '2.5', '0.333333')
    """
    if value.is_Integer:
        return str(int(value))
    return format(float(value), ".6g")


def margin_text(question: Posed, position: int) -> str:
    """The absolute tolerance around the ``position``-th answer, as a decimal."""
    return decimal(question.spec.tolerance.margin(question.answers[position].value))


def wrong_values(question: Posed, position: int) -> list[Mistake]:
    """The catalogued mistakes a numerical blank gives feedback on: outside the tolerance."""
    answer = question.answers[position]
    caught = answer.catalogued if len(question.answers) > 1 else question.catalogued
    margin = question.spec.tolerance.margin(answer.value)
    kept: list[Mistake] = []
    for mistake in caught:
        if abs(mistake.value - answer.value) > margin and mistake.value not in [
            m.value for m in kept
        ]:
            kept.append(mistake)
    return kept


def slots(exam: Exam) -> Iterator[tuple[int, list[tuple[Variant, Posed]]]]:
    """Each question's number and its variants: what a quiz draws one of per student."""
    for position in range(len(exam.template.questions)):
        yield position + 1, [(variant, variant.questions[position]) for variant in exam.variants]
