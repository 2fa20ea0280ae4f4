r"""Exam sheets in LaTeX's ``exam`` document class: what a teacher prints and hands out.

One function typesets both documents of a variant from the same source: the students' sheet (a
name and ID field, a grade table, ``\question[points]`` with its options as a ``choices`` list or an
answer box, no seed) and, with ``answers=True``, the key (``\printanswers``: each question's answer,
working and the mistake behind each wrong option in a ``solution``, and the seed in the title).
A question's solution is one unbreakable box, so its working stays on one page; several variants
in one document start each on a new page, with its own numbering and grade table (the exam
class's ``\gradetable`` for one variant; a table of the same rows for each of several, where
``\gradetable`` would count every variant's questions).
"""

from __future__ import annotations

from collections.abc import Sequence

import sympy

from ..exam import Exam, Posed, Variant, network_blocks, question_groups, sheet_assumptions
from .document import Math, Style
from .latex import (
    LONG_PREAMBLE,
    LONG_SUPPORT,
    PACKAGES,
    SUPPORT,
    escape_latex,
    latex_block_paged,
    latex_inline,
    latex_lines,
    latex_rows,
)
from .latex_tables import KEEP_LINES

__all__ = ["ANSWER_BOX", "exam_document"]

#: the height of the box a student writes a numerical answer and its working in
ANSWER_BOX = "4cm"
DEFAULT = Style()


def _points(points: sympy.Rational) -> str:
    return str(int(points)) if points.is_Integer else format(float(points), "g")


def _run(pieces: Sequence[object], style: Style) -> str:
    return "".join(latex_inline(piece, style) for piece in pieces)


def _solution(question: Posed, style: Style) -> str:
    if len(question.answers) > 1:  # a shape: never digit-grouped
        answer = "(" + ", ".join(str(int(a.value)) for a in question.answers) + ")"
    else:
        answer = latex_inline(Math(question.answers[0].value), style)
    text = [rf"\textbf{{Answer:}} {answer}"]
    if question.fallback:  # a multiple-choice question asked numerically: the teacher's note
        text.append(rf"\par\emph{{{escape_latex(question.fallback)}}}")
    text.append(latex_lines(question.working, style))
    if question.distractors:
        items = "".join(
            rf"\item[({'abcdefgh'[question.options.index(m.value)]})] "
            rf"{latex_inline(Math(m.value), style)}: {escape_latex(m.description)}" + "\n"
            for m in sorted(question.distractors, key=lambda m: question.options.index(m.value))
        )
        text.append(f"Wrong options:\n\\begin{{itemize}}\n{items}\\end{{itemize}}")
    body = "\n".join(text)
    rows = sum(len(latex_rows(line, style)) for line in question.working)
    if 4 + 2 * rows > KEEP_LINES:  # longer than a page: it breaks rather than overflows
        return f"\\begin{{solution}}\n{body}\n\\end{{solution}}\n"
    return (
        f"\\begin{{solution}}\n\\begin{{minipage}}{{\\linewidth}}\n{body}\n"
        "\\end{minipage}\n\\end{solution}\n"
    )


def _question(question: Posed, style: Style, answers: bool) -> str:
    out = f"\\question[{_points(question.spec.points)}] {_run(question.prompt, style)}\n"
    if question.options:
        right = question.answers[0].value
        choices = "".join(
            f"\\{'CorrectChoice' if option == right and answers else 'choice'} "
            f"{latex_inline(Math(option), style)}\n"
            for option in question.options
        )
        out += f"\\begin{{choices}}\n{choices}\\end{{choices}}\n"
        if answers:
            out += _solution(question, style)
    elif answers:
        out += _solution(question, style)
    else:
        out += f"\\makeemptybox{{{ANSWER_BOX}}}\n"
    return out


def _grade_table(variant: Variant) -> str:
    """A variant's grade table, as the exam class draws it (question, points, score), for a
    document of several variants, where ``\\gradetable`` would count them all."""
    points = [_points(question.spec.points) for question in variant.questions]
    total = _points(sum((q.spec.points for q in variant.questions), sympy.Integer(0)))
    columns = "|l|" + "c|" * (len(points) + 1)
    rows = [
        " & ".join(["Question", *(str(q.number) for q in variant.questions), "Total"]),
        " & ".join(["Points", *points, total]),
        " & ".join(["Score", *[""] * (len(points) + 1)]),
    ]
    body = "".join(f"{row}\\\\ \\hline\n" for row in rows)
    table = f"\\begin{{tabular}}{{{columns}}}\\hline\n{body}\\end{{tabular}}"
    return f"\\begin{{center}}{table}\\end{{center}}\n"


def _variant(exam: Exam, variant: Variant, style: Style, answers: bool, grades: bool) -> str:
    title = f"{exam.template.title}: variant {variant.index} of {len(exam.variants)}"
    if answers:
        title += f" (answer key, seed {exam.seed})"
    parts = [
        f"\\begin{{center}}\\Large\\bfseries {escape_latex(title)}\\end{{center}}\n",
        "\\noindent\\makebox[0.6\\textwidth]{Name:\\enspace\\hrulefill}\\hfill"
        "\\makebox[0.35\\textwidth]{Student ID:\\enspace\\hrulefill}\n",
    ]
    if grades:  # the exam class's table counts the whole document's questions
        parts.append("\\begin{center}\\gradetable[h][questions]\\end{center}\n")
    else:  # one of several variants: its own questions, numbered from 1 as its sheet is
        parts.append(_grade_table(variant))
    template = exam.template
    if template.instructions:
        parts.append(escape_latex(" ".join(template.instructions.split())) + "\n")
    items = "".join(f"\\item {_run(item, style)}\n" for item in sheet_assumptions(exam, variant))
    parts.append(f"\\subsection*{{Assumptions}}\n\\begin{{itemize}}\n{items}\\end{{itemize}}\n")
    if not template.several:
        parts += [
            *(latex_block_paged(b, style) for b in network_blocks(template, "", variant.shown)),
            "\\subsection*{Questions}\n\\begin{questions}\n",
            *(_question(question, style, answers) for question in variant.questions),
            "\\end{questions}\n",
        ]
    if template.several:  # each network's table before its questions, in one numbering
        for position, (key, run) in enumerate(question_groups(variant)):
            blocks = network_blocks(template, key, variant.shown_networks[key])
            table = "".join(latex_block_paged(block, style) for block in blocks)
            # the first before the list; the others at its level, between two questions
            parts.append(f"\\uplevel{{%\n{table}}}\n" if position else table)
            parts += [
                "" if position else "\\begin{questions}\n",
                *(_question(question, style, answers) for question in run),
            ]
        parts.append("\\end{questions}\n")
    return "\n".join(parts)


PREAMBLE = (
    r"""\documentclass[11pt,addpoints]{exam}
\usepackage[margin=2.5cm]{geometry}
"""
    + "".join(f"\\usepackage{{{package}}}\n" for package in PACKAGES)
    + LONG_PREAMBLE  # a network's table longer than a page breaks across pages
    + r"""\allowdisplaybreaks
\setlength{\parindent}{0pt}
\pointpoints{point}{points}
\renewcommand{\solutiontitle}{}
"""
)


def exam_document(
    exam: Exam,
    variants: Sequence[Variant] | None = None,
    *,
    answers: bool = False,
    style: Style = DEFAULT,
) -> str:
    """The ``exam``-class document of ``variants`` (default: all), the key with ``answers``."""
    chosen = list(exam.variants if variants is None else variants)
    body = []
    for position, variant in enumerate(chosen):
        if position:
            body.append("\\clearpage\n\\setcounter{question}{0}\n")
        body.append(_variant(exam, variant, style, answers, grades=len(chosen) == 1))
    printing = "\\printanswers\n" if answers else ""
    header = "% Generated by symcnn; regenerate rather than edit.\n"
    return (
        f"{header}{PREAMBLE}{printing}{SUPPORT}{LONG_SUPPORT}\\begin{{document}}\n\n"
        + "\n".join(body)
        + "\n\\end{document}\n"
    )
