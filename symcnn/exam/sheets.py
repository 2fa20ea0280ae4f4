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

__all__ = [
    "answer_sheet",
    "assumptions",
    "combined",
    "network_blocks",
    "network_table",
    "question_groups",
    "question_sheet",
    "sheet_assumptions",
]


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


def sheet_assumptions(exam: Exam, variant: Variant) -> tuple[tuple[Inline, ...], ...]:
    """:func:`assumptions` of every network the variant shows, each sentence once."""
    found: dict[tuple[Inline, ...], None] = {}
    for shown in variant.shown_networks.values():
        found.update(dict.fromkeys(assumptions(exam.template, shown)))
    return tuple(found)


def question_groups(variant: Variant) -> list[tuple[str, tuple[Posed, ...]]]:
    """The variant's questions in order, in runs about one network: its key and the run (a
    sheet shows a network's table before the questions about it)."""
    groups: list[tuple[str, list[Posed]]] = []
    for question in variant.questions:
        if not groups or groups[-1][0] != question.spec.network:
            groups.append((question.spec.network, []))
        groups[-1][1].append(question)
    return [(key, tuple(questions)) for key, questions in groups]


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
    if row.multiplicity != 1:  # a block repeated a symbolic number of times: its rows once
        settings += (Text("; its block repeated "), Math(row.multiplicity), Text(" times"))
    return settings


def network_table(shown: Network) -> Table:
    rows = []
    previous = "input"
    for row in shown.rows:
        rows.append(((Text(row.name),), (Text(row.type),), _settings(shown, row, previous)))
        previous = row.name
    return Table(("Layer", "Type", "Settings"), tuple(rows), "lll")


LETTERS = "abcdefgh"


def _points(question: Posed) -> str:
    points = question.spec.points
    return f"{points} point{'s' * (points != 1)}"


def network_blocks(template: Template, key: str, shown: Network) -> list[Block]:
    """A network as a sheet states it: a heading (naming it when there are several), its
    input and its table."""
    heading = f"Network {template.title_of(key)}" if template.several else "Network"
    return [
        Heading(heading, 2),
        Paragraph.of("Input ", Shape(shown.input_shape), "."),
        network_table(shown),
    ]


def _prompts(questions: tuple[Posed, ...]) -> list[Block]:
    """Each question with its points, and its options as a list under it."""
    blocks: list[Block] = []
    for question in questions:
        head = Text(f"Question {question.number} ({_points(question)}). ", bold=True)
        blocks.append(Paragraph((head, *question.prompt)))
        if question.options:
            options = tuple(
                (Text(f"({letter}) "), Math(option))
                for letter, option in zip(LETTERS, question.options, strict=False)
            )
            blocks.append(Items(options))
    return blocks


def _header(exam: Exam, variant: Variant) -> list[Block]:
    """Instructions and assumptions; with one network, the network too."""
    template = exam.template
    blocks: list[Block] = []
    if template.instructions:
        blocks.append(Paragraph.of(template.instructions))
    blocks += [Heading("Assumptions", 2), Items(sheet_assumptions(exam, variant))]
    if not template.several:
        blocks += network_blocks(template, "", variant.shown)
    return blocks


def _sections(exam: Exam, variant: Variant, questions: Any, heading: str = "") -> list[Block]:
    """The questions (under ``heading``), each run about one network after its table when
    there are several."""
    if not exam.template.several:
        return [*([Heading(heading, 2)] if heading else []), *questions(variant.questions)]
    blocks: list[Block] = []
    for key, run in question_groups(variant):
        blocks += [
            *network_blocks(exam.template, key, variant.shown_networks[key]),
            *questions(run),
        ]
    return blocks


def _variant_title(exam: Exam, variant: Variant, what: str, seed: bool = True) -> str:
    """The sheet's title; the seed (which regenerates the key) only on the key."""
    count = len(exam.variants)
    title = f"{exam.template.title}: {what}, variant {variant.index} of {count}"
    return f"{title} (seed {exam.seed})" if seed else title


#: the line a student fills in at the top of a sheet
NAME_FIELD = "Name: ______________________________    Student ID: ______________"


def question_sheet(exam: Exam, variant: Variant) -> Document:
    """What students get: a name field, the points, assumptions, the network, the questions
    (options as a list); no seed, which would regenerate the key."""
    total = exam.points
    blocks = [
        Paragraph.of(NAME_FIELD),
        Paragraph.of(f"Total: {total} point{'s' * (total != 1)}."),
        *_header(exam, variant),
        *_sections(exam, variant, _prompts, "Questions"),
    ]
    return Document(_variant_title(exam, variant, "questions", seed=False), tuple(blocks))


def _answer_pieces(question: Posed) -> tuple[Inline, ...]:
    pieces: list[Inline] = [Text("Answer: ", bold=True)]
    if question.spec.ask == "output_shape":
        pieces.append(Shape(tuple(answer.value for answer in question.answers)))
    else:
        pieces.append(Math(question.answers[0].value))
        if question.options:
            letter = LETTERS[question.options.index(question.answers[0].value)]
            pieces.append(Text(f" (option {letter})"))
    return tuple(pieces)


def answer_sheet(exam: Exam, variant: Variant) -> Document:
    """The answer key of one variant: the sheet, then every answer with its working."""
    return Document(
        _variant_title(exam, variant, "answer key"),
        (*_header(exam, variant), *_sections(exam, variant, _answers)),
    )


def _answers(questions: tuple[Posed, ...]) -> list[Block]:
    """Each question with its answer, its working and the mistakes behind wrong answers."""
    blocks: list[Block] = []
    for question in questions:
        blocks += [
            Heading(f"Question {question.number} ({_points(question)})", 2),
            Paragraph(question.prompt),
            Paragraph(_answer_pieces(question)),
            *([Paragraph.of(question.fallback)] if question.fallback else []),
            Lines(question.working),
        ]
        if question.distractors:
            wrong: list[tuple[Inline, ...]] = [
                (
                    Text(f"({LETTERS[question.options.index(m.value)]}) "),
                    Math(m.value),
                    Text(f": {m.description}."),
                )
                for m in sorted(question.distractors, key=lambda m: question.options.index(m.value))
            ]
            blocks += [
                Paragraph.of("The wrong options and the mistakes they are:"),
                Items(tuple(wrong)),
            ]
        mistakes = question.mistakes or tuple(question.catalogued)
        if mistakes and not question.distractors:
            pieces: list[Inline] = [Text("Common mistakes: ")]
            for position, mistake in enumerate(mistakes):
                separator = "; " if position else ""
                pieces += [Text(f"{separator}{mistake.description} gives "), Math(mistake.value)]
            blocks.append(Paragraph((*pieces, Text("."))))
    return blocks


def combined(exam: Exam, sheet: Any, what: str) -> Document:
    """Every variant's sheet (``question_sheet`` or ``answer_sheet``) in one document, a page
    break before each variant; the seed is in the title of the keys only."""
    blocks: list[Block] = []
    for position, variant in enumerate(exam.variants):
        if position:
            blocks.append(PageBreak())
        document = sheet(exam, variant)
        blocks += [Heading(document.title, 1), *document.blocks]
    title = f"{exam.template.title}: {what}, {len(exam.variants)} variants"
    if sheet is not question_sheet:
        title += f" (seed {exam.seed})"
    return Document(title, tuple(blocks))
