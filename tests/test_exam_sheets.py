"""Exam sheets in LaTeX's exam class: compiled, their logs free of overfull boxes, the students'
sheet without answers or seed, the key from the same source with them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sympy

from symcnn.cli import main
from symcnn.exam import load_template, make_exam
from symcnn.render.exam_sheet import exam_document
from symcnn.render.pdf import compile_pdf

EXAMS = Path(__file__).resolve().parent.parent / "examples" / "exams"
TEMPLATES = sorted(EXAMS.glob("*.yaml"))


@pytest.fixture(scope="module", params=TEMPLATES, ids=[path.stem for path in TEMPLATES])
def exam(request):
    return make_exam(load_template(request.param), variants=3, seed=7)


def _compiled_log(tmp_path: Path, name: str, text: str) -> str:
    tex = tmp_path / f"{name}.tex"
    tex.write_text(text, encoding="utf-8")
    compile_pdf(tex, keep_log=True)
    return tex.with_suffix(".log").read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize("answers", [False, True], ids=["sheet", "key"])
def test_sheets_and_keys_compile_without_overfull_boxes(exam, answers, tmp_path) -> None:
    for name, variants in (("one", exam.variants[:1]), ("all", None)):
        log = _compiled_log(tmp_path, name, exam_document(exam, variants, answers=answers))
        assert "Overfull" not in log
        assert "Output written" in log


def test_the_sheet_and_the_key_come_from_one_source(exam) -> None:
    sheet = exam_document(exam, exam.variants[:1])
    key = exam_document(exam, exam.variants[:1], answers=True)
    assert "\\documentclass[11pt,addpoints]{exam}" in sheet
    assert "\\printanswers" in key and "\\printanswers" not in sheet
    assert "seed" not in sheet and f"seed {exam.seed}" in key
    assert "\\begin{solution}" not in sheet and "Answer:" not in sheet
    assert "Name:" in sheet and "Student ID:" in sheet and "\\gradetable" in sheet
    variant = exam.variants[0]
    points = re.findall(r"\\question\[([\d.]+)\]", sheet)
    assert [float(p) for p in points] == [float(q.points) for q in exam.template.questions]
    assert sheet.count("\\begin{solution}") == 0
    assert key.count("\\begin{solution}") == len(variant.questions)
    with_options = [q for q in variant.questions if q.options]
    assert sheet.count("\\begin{choices}") == len(with_options)
    assert sheet.count("\\makeemptybox") == len(variant.questions) - len(with_options)
    assert "\\CorrectChoice" not in sheet
    assert key.count("\\CorrectChoice") == len(with_options)
    for question in variant.questions:  # every answer in the key, shapes never digit-grouped
        if len(question.answers) > 1:
            assert "(" + ", ".join(str(a.value) for a in question.answers) + ")" in key


def test_combined_sheets_start_each_variant_on_a_new_page(exam) -> None:
    sheet = exam_document(exam)
    assert sheet.count("\\clearpage") == len(exam.variants) - 1
    assert sheet.count("\\setcounter{question}{0}") == len(exam.variants) - 1
    assert "\\gradetable" not in sheet  # it would count every variant's questions
    # each variant has its own grade table: its questions, their points, the total
    tables = re.findall(r"Question & (.*?)\\\\ \\hline\nPoints & (.*?)\\\\", sheet)
    assert len(tables) == len(exam.variants)
    for variant, (numbers, points) in zip(exam.variants, tables, strict=True):
        assert numbers.split(" & ") == [*(str(q.number) for q in variant.questions), "Total"]
        values = [sympy.Rational(p) for p in points.split(" & ")]
        assert values[:-1] == [q.spec.points for q in variant.questions]
        assert values[-1] == sum(values[:-1])


def test_the_command_writes_exam_class_sheets(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    template = str(EXAMS / "lenet5_exam.yaml")
    assert main(["exam", template, "--variants", "2", "--seed", "3", "-o", str(out), "--pdf"]) == 0
    capsys.readouterr()
    for name in ("variant-1-questions", "variant-1-answers"):
        assert (out / f"{name}.pdf").exists()
        # compiled in a private folder: LaTeX's by-products stay there (the logs are checked above)
        assert not [p for p in out.iterdir() if p.suffix in {".log", ".aux", ".fls"}]
    assert "{exam}" in (out / "variant-2-questions.tex").read_text(encoding="utf-8")
