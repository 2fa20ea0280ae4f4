"""The sheets of an exam: assumptions, the network table, question sheets and answer keys, as
documents every format renders (see :mod:`symcnn.exam`)."""

from __future__ import annotations

from typing import Any

from ..layers import Row
from ..network import Network
from ..prose import Inline, Math, Shape, Text
from ..render.document import (
    Block,
    Document,
    Heading,
    Items,
    Lines,
    PageBreak,
    Paragraph,
    Table,
)
from ..symbols import bias as bias_symbol
from .posing import Exam, Posed, Variant
from .template import Template

__all__ = ["answer_sheet", "assumptions", "combined", "network_table", "question_sheet"]


#: the sentences a sheet states for the layers that assume them (Layer.sheet_assumptions), in
#: the order stated; ``bias`` is stated with the layers that have none
ASSUMPTIONS = {
    "padding": "Padding is zero padding on each side, of the size stated for each layer; sizes are "
    "rounded down unless a layer says otherwise.",
    "bias": "Every convolution and fully connected layer has one bias per filter or neuron.",
    "pooling_stride": "A pooling layer's stride equals its window when it is not stated.",
    "pooling": "Pooling layers have no parameters.",
}


#: what a sheet that asks for MACs says they are (PyTorch's FlopCounterMode's count, halved)
MACS_ASSUMPTION = (
    "A multiply-accumulate (MAC) is one multiplication and one addition; count those of the "
    "convolutions and fully connected layers only, without the biases."
)


def assumptions(template: Template, shown: Network) -> tuple[tuple[Inline, ...], ...]:
    """What the question takes for granted, stated rather than left for students to guess."""
    layout = "(height, width, channels)" if shown.layout == "HWC" else "(channels, height, width)"
    items: list[tuple[Inline, ...]] = [
        (Text(f"Shapes are written {layout} for one example; there is no batch axis."),)
    ]
    assumed = {row.name: row.layer.sheet_assumptions() for row in shown.rows}
    for key, sentence in ASSUMPTIONS.items():
        rows = [row for row in shown.rows if key in assumed[row.name]]
        if not rows:
            continue
        without = [row.name for row in rows if row.values.get(bias_symbol) != 1]
        if key == "bias" and without:  # layers without a bias (bias: false, or a letter)
            sentence = (
                "Convolution and fully connected layers have one bias per filter or neuron, "
                "except " + ", ".join(without) + "."
            )
        items.append((Text(sentence),))
    if any(question.ask == "macs" for question in template.questions):
        items.append((Text(MACS_ASSUMPTION),))
    items += [(Text(text),) for text in template.assumptions]
    return tuple(items)


def _settings(shown: Network, row: Row, previous: str) -> tuple[Inline, ...]:
    """What a sheet says of a row: its settings, and for a graph where it reads from and whose
    weights it applies again — a question that hid them could not be answered."""
    settings = row.layer.describe()
    if len(row.inputs) > 1:
        settings += (Text(f", of {' and '.join(row.inputs)}"),)
    elif row.inputs and row.inputs[0] != previous:
        settings += (Text(f", on {row.inputs[0]}"),)
    if row.shares is not None:
        original = shown[row.shares]
        if original.params != 0 or original.buffers != 0:
            settings += (Text(f"; shares the weights of {row.shares}"),)
    return settings


def network_table(shown: Network) -> Table:
    rows = []
    previous = "input"
    for row in shown.rows:
        rows.append(((Text(row.name),), (Text(row.type),), _settings(shown, row, previous)))
        previous = row.name
    return Table(("Layer", "Type", "Settings"), tuple(rows), "lll")


def _prompt_blocks(variant: Variant) -> list[Block]:
    items = []
    for question in variant.questions:
        item: tuple[Inline, ...] = question.prompt
        if question.options:
            letters = "abcdefgh"
            for letter, option in zip(letters, question.options, strict=False):
                item += (Text(f"  ({letter}) "), Math(option))
        items.append(item)
    return [Heading("Questions", 2), Items(tuple(items), numbered=True)]


def _header(exam: Exam, variant: Variant) -> list[Block]:
    template = exam.template
    blocks: list[Block] = []
    if template.instructions:
        blocks.append(Paragraph.of(template.instructions))
    blocks += [
        Heading("Assumptions", 2),
        Items(assumptions(template, variant.shown)),
        Heading("Network", 2),
        Paragraph.of("Input ", Shape(variant.shown.input_shape), "."),
        network_table(variant.shown),
    ]
    return blocks


def _variant_title(exam: Exam, variant: Variant, what: str) -> str:
    count = len(exam.variants)
    return f"{exam.template.title}: {what}, variant {variant.index} of {count} (seed {exam.seed})"


def question_sheet(exam: Exam, variant: Variant) -> Document:
    """What students get: assumptions, the network, the questions."""
    blocks = [*_header(exam, variant), *_prompt_blocks(variant)]
    return Document(_variant_title(exam, variant, "questions"), tuple(blocks))


def _answer_pieces(question: Posed) -> tuple[Inline, ...]:
    pieces: list[Inline] = [Text("Answer: ", bold=True)]
    if question.spec.ask == "output_shape":
        pieces.append(Shape(tuple(answer.value for answer in question.answers)))
    else:
        pieces.append(Math(question.answers[0].value))
        if question.options:
            letter = "abcdefgh"[question.options.index(question.answers[0].value)]
            pieces.append(Text(f" (option {letter})"))
    return tuple(pieces)


def answer_sheet(exam: Exam, variant: Variant) -> Document:
    """The answer key of one variant: the sheet, then every answer with its working."""
    blocks: list[Block] = [*_header(exam, variant)]
    for question in variant.questions:
        blocks += [
            Heading(f"Question {question.number}", 2),
            Paragraph(question.prompt),
            Paragraph(_answer_pieces(question)),
            Lines(question.working),
        ]
        if question.mistakes:
            pieces: list[Inline] = [Text("Common mistakes: ")]
            for position, mistake in enumerate(question.mistakes):
                separator = "; " if position else ""
                pieces += [Text(f"{separator}{mistake.description} gives "), Math(mistake.value)]
            blocks.append(Paragraph((*pieces, Text("."))))
    return Document(_variant_title(exam, variant, "answer key"), tuple(blocks))


def combined(exam: Exam, sheet: Any, what: str) -> Document:
    """Every variant's sheet (``question_sheet`` or ``answer_sheet``) in one document."""
    blocks: list[Block] = []
    for position, variant in enumerate(exam.variants):
        if position:
            blocks.append(PageBreak())
        document = sheet(exam, variant)
        blocks += [Heading(document.title, 1), *document.blocks]
    title = f"{exam.template.title}: {what}, {len(exam.variants)} variants (seed {exam.seed})"
    return Document(title, tuple(blocks))
