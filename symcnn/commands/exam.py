"""``symcnn exam``: question sheets, answer keys, Moodle XML, GIFT and a QTI 2.1 package for
variants of a template."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..exam import (
    answer_sheet,
    combined,
    fallbacks,
    load_template,
    make_exam,
    question_sheet,
    variety,
)
from ..render.document import Document, Style
from ..render.exam_sheet import exam_document
from ..render.latex import latex_document
from ..render.markdown import markdown_document
from ..render.pdf import compile_pdf
from ..render.plain import text_document
from ..render.qti import qti_package
from ..render.quiz import gift, moodle_xml
from .common import add_command, positive_integer

HELP = "write exam variants: question sheets, answer keys, Moodle XML, GIFT and QTI 2.1"
DESCRIPTION = """\
Draw variants of a question template (a network whose numbers are names, the values each name
may take, and the questions to ask), and write for each variant a question sheet and an answer
key with the working, plus every variant as Moodle XML, GIFT and a QTI 2.1 package (qti.zip,
for Canvas and other systems that import QTI) for import into a course.
The same --seed gives the same variants. Degenerate variants (an invalid network, a repeat, an
answer that equals a given number or what a common mistake gives) are refused and redrawn.
A question whose variants have fewer distinct answers than half the variants is reported on
standard error: students with different variants could share its answer.
"""
EPILOG = """\
examples:
  symcnn exam examples/exams/lenet5_exam.yaml --variants 30 --seed 7 -o out/
  symcnn exam examples/exams/lenet5_exam.yaml --variants 30 --seed 7 -o out/ --combined --pdf
"""
FORMATS = {"latex": ".tex", "markdown": ".md", "text": ".txt"}


def register(subparsers: Any) -> None:
    parser = add_command(subparsers, "exam", HELP, DESCRIPTION, EPILOG)
    parser.add_argument("template", metavar="TEMPLATE", help="question template: a .yaml file")
    parser.add_argument(
        "--variants", type=positive_integer, default=1, metavar="N", help="how many (default 1)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("-o", "--output", required=True, metavar="DIR", help="folder to write to")
    parser.add_argument(
        "--combined",
        action="store_true",
        help="one questions file and one answers file with every variant, instead of one "
        "per variant",
    )
    parser.add_argument(
        "--format",
        choices=sorted(FORMATS),
        default="latex",
        help="sheets as latex (the default: LaTeX's exam document class), markdown or text",
    )
    parser.add_argument("--pdf", action="store_true", help="compile the LaTeX sheets to PDF")
    parser.add_argument(
        "--times", action="store_true", help="write products with \\times instead of \\cdot"
    )
    parser.set_defaults(run=run)


def _render(document: Document, format_name: str, style: Style) -> str:
    if format_name == "markdown":
        return markdown_document(document, style)
    if format_name == "text":
        return text_document(document, style)
    return latex_document(document, style)


def run(arguments: argparse.Namespace) -> int:
    if arguments.pdf and arguments.format != "latex":
        raise SpecError("--pdf compiles LaTeX sheets: drop --format")
    template = load_template(arguments.template)
    exam = make_exam(template, arguments.variants, arguments.seed)
    for number, count, low in variety(exam):
        if low:
            print(
                f"warning: question {number} has {count} distinct answer{'s' * (count != 1)} "
                f"in {len(exam.variants)} variants",
                file=sys.stderr,
            )
    for number, count in fallbacks(exam):
        print(
            f"warning: question {number} is asked as a numerical question in {count} of "
            f"{len(exam.variants)} variants: too few plausible mistakes for its options",
            file=sys.stderr,
        )
    folder = Path(arguments.output)
    style = Style("times" if arguments.times else "cdot")
    suffix = FORMATS[arguments.format]
    files: dict[str, str] = {}
    latex = arguments.format == "latex"  # LaTeX's exam class: sheet and key from one source
    if arguments.combined:
        if latex:
            files["questions.tex"] = exam_document(exam, style=style)
            files["answers.tex"] = exam_document(exam, answers=True, style=style)
        else:
            files[f"questions{suffix}"] = _render(
                combined(exam, question_sheet, "questions"), arguments.format, style
            )
            files[f"answers{suffix}"] = _render(
                combined(exam, answer_sheet, "answer keys"), arguments.format, style
            )
    else:
        width = len(str(len(exam.variants)))
        for variant in exam.variants:
            stem = f"variant-{variant.index:0{width}d}"
            if latex:
                files[f"{stem}-questions.tex"] = exam_document(exam, [variant], style=style)
                files[f"{stem}-answers.tex"] = exam_document(
                    exam, [variant], answers=True, style=style
                )
                continue
            files[f"{stem}-questions{suffix}"] = _render(
                question_sheet(exam, variant), arguments.format, style
            )
            files[f"{stem}-answers{suffix}"] = _render(
                answer_sheet(exam, variant), arguments.format, style
            )
    files["moodle.xml"] = moodle_xml(exam)
    files["questions.gift"] = gift(exam)
    package = qti_package(exam)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        (folder / "qti.zip").write_bytes(package)
    except OSError as error:
        raise SpecError(f"cannot write to {str(folder)!r}: {error.strerror}") from None
    sheets = len(files) - 2
    print(
        f"wrote {sheets} sheets, moodle.xml, questions.gift and qti.zip to {folder} "
        f"({len(exam.variants)} variants, seed {exam.seed})",
        file=sys.stderr,
    )
    if arguments.pdf:
        for name in files:
            if name.endswith(".tex"):
                compile_pdf(folder / name)
        print(f"compiled {sheets} PDFs", file=sys.stderr)
    return 0
