"""Answer keys: golden files, numbers parsed back, escaping, and real compiles.

The compile tests need a LaTeX engine (Debian: texlive-latex-base texlive-latex-recommended
texlive-latex-extra latexmk). Without one they FAIL, so that CI cannot pass without compiling;
set SYMCNN_ALLOW_NO_LATEX=1 to skip them on a machine without TeX.

Regenerate the golden files after an intended change with SYMCNN_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

import symcnn
from symcnn.cli import main
from symcnn.derive import derive
from symcnn.exam import answer_sheet, combined, load_template, make_exam, question_sheet
from symcnn.render import (
    LatexError,
    answer_key,
    compile_pdf,
    escape_latex,
    find_engine,
    latex_document,
    markdown_document,
    text_document,
)
from symcnn.render.latex import PACKAGES, latex_number
from symcnn.render.markdown import escape_markdown, markdown_network

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
LENET = ROOT / "examples" / "lenet5.yaml"
SYMBOLIC = ROOT / "examples" / "symbolic.yaml"
EXAMS = ROOT / "examples" / "exams"

HOSTILE_NAMES = [
    r"\input{secret.tex}",
    r"\write18{touch pwned}",
    r"$x^2$ & 100% #_~{}",
    "\\\\ \\par \\end{document}",
    "Übung <b>1</b>\n\nzwei 中",
]


def lenet() -> symcnn.Network:
    return symcnn.load(LENET)


# ------------------------------------------------------------------------------ golden files


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("lenet5.tex", lambda: latex_document(answer_key(lenet()))),
        ("lenet5-fragment.tex", lambda: latex_document(answer_key(lenet()), fragment=True)),
        ("lenet5.md", lambda: markdown_document(answer_key(lenet()))),
        ("lenet5.txt", lambda: text_document(answer_key(lenet()))),
    ],
)
def test_golden(name: str, render: Any) -> None:
    text = render()
    assert text == render(), "rendering is not deterministic"
    path = GOLDEN / name
    if os.environ.get("SYMCNN_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    assert text.encode("utf-8") == path.read_bytes(), (
        f"{name} differs from tests/golden; if the change is intended, rerun with "
        "SYMCNN_UPDATE_GOLDEN=1 and review the diff"
    )


def test_fragment_is_the_documents_body() -> None:
    document = latex_document(answer_key(lenet()))
    fragment = latex_document(answer_key(lenet()), fragment=True)
    assert r"\documentclass" not in fragment and r"\begin{document}" not in fragment
    assert fragment.strip() in document
    for package in PACKAGES:
        assert rf"\usepackage{{{package}}}" in document


# ------------------------------------------------------------------------------ numbers parsed back

ROW = re.compile(
    r"^(?P<name>.+?) & \$\((?P<shape>[^$]*)\)\$ & \$?(?P<size>[^$&]*)\$? & "
    r"\$(?P<params>[^$]*)\$ \\\\$"
)
NUMBER = re.compile(r"-?\d+(?:\{,\}\d{3})*")


def number(text: str) -> int:
    assert NUMBER.fullmatch(text.strip()), text
    return int(text.replace("{,}", ""))


def test_table_numbers_parsed_from_the_latex_are_the_engines() -> None:
    net = lenet()
    tex = latex_document(answer_key(net))
    table = tex.split(r"\begin{tabular}{llrr}", 1)[1].split(r"\end{tabular}", 1)[0]
    parsed = [match for line in table.splitlines() if (match := ROW.match(line))]
    rows = net.summary()
    assert [m["name"] for m in parsed] == ["Input", *(row.name for row in rows), "Total"]
    for match, row in zip(parsed[1:-1], rows, strict=True):
        shape = tuple(number(size) for size in match["shape"].split(","))
        assert shape == row.output_shape
        assert number(match["size"]) == row.activation_size
        assert number(match["params"]) == row.params
    assert number(parsed[-1]["params"]) == net.params


def test_derivation_results_parsed_from_the_latex_are_the_engines() -> None:
    net = lenet()
    tex = latex_document(answer_key(net))
    sections = re.split(r"\\subsubsection\*\{", tex)[1:]
    keys = {
        r"\text{parameters}": "params",
        r"\text{activation size}": "activation_size",
        r"H_{\text{out}}": "H",
        r"W_{\text{out}}": "W",
    }
    seen = 0
    for section in sections:
        title = section.split("}", 1)[0]
        if title == "Total":
            total = re.search(r"= ([\d{},]+)\n\\end\{align\*\}", section)
            assert total and number(total[1]) == net.params
            continue
        row = net[title.rsplit(" (", 1)[0]]
        body = section.split(r"\begin{align*}", 1)[1].split(r"\end{align*}", 1)[0]
        for line in body.strip().split(" \\\\\n"):
            lhs, rhs = line.split(" &= ", 1)
            result = number(rhs.split(r"\quad")[0].rsplit(" = ", 1)[-1])
            key = keys[lhs]
            if key == "params":
                expected = row.params
            elif key == "activation_size":
                expected = row.activation_size
            else:
                expected = row.output_shape["HW".index(key)]  # LeNet is HWC
            assert result == expected, (title, key)
            seen += 1
    assert seen == 24  # 4 per conv and pool, 2 per flatten and linear


def test_symbolic_results_are_the_engines_expressions() -> None:
    net = symcnn.load(SYMBOLIC)
    tex = latex_document(answer_key(net))
    for row in net.rows:
        for value in (row.params, row.activation_size):
            assert f"= {latex_number(value)}" in tex, (row.name, value)
    assert f"= {latex_number(net.params)}\n\\end{{align*}}\n\n\\end{{document}}" in tex


# ------------------------------------------------------------------------------ escaping


def hostile_network() -> symcnn.Network:
    layers = [
        {"type": "conv2d", "name": HOSTILE_NAMES[0], "out_channels": 4, "kernel_size": 3},
        {"type": "relu", "name": HOSTILE_NAMES[1]},
        {"type": "maxpool2d", "name": HOSTILE_NAMES[2], "kernel_size": 2},
        {"type": "flatten", "name": HOSTILE_NAMES[3]},
        {"type": "linear", "name": HOSTILE_NAMES[4], "out_features": 3},
    ]
    return symcnn.load({"name": r"\input{secret.tex}", "input": [10, 10, 3], "layers": layers})


def test_user_strings_reach_latex_only_as_text() -> None:
    tex = latex_document(answer_key(hostile_network(), title=r"\write18{touch pwned} $\x$"))
    for command in (r"\input{", r"\write18", r"\par ", r"\end{document}" + " \\"):
        assert command not in tex
    assert tex.count(r"\end{document}") == 1
    assert r"\textbackslash{}input\{secret.tex\}" in tex
    assert r"\textbackslash{}write18\{touch pwned\}" in tex
    assert r"\$x\textasciicircum{}2\$ \& 100\% \#\_\textasciitilde{}\{\}" in tex
    assert "Übung \\textless{}b\\textgreater{}1\\textless{}/b\\textgreater{}  zwei ?" in tex


def test_escape_latex_keeps_what_pdflatex_can_typeset() -> None:
    assert escape_latex("café – naïve") == "café – naïve"
    assert escape_latex("a\tb\nc\x00d\u200be") == "a b cde"
    assert escape_latex("«x» 𝑥 😀") == "?x? ? ?"


def test_markdown_escapes_user_strings() -> None:
    net = hostile_network()
    table = markdown_network(net)
    assert "<b>" not in table and "\\<b\\>" in table
    assert "\\$x^2\\$" in table and "| \\\\input{secret.tex} (Conv2d) |" in table
    assert escape_markdown("# heading") == "\\# heading"
    assert escape_markdown("1. item") == "\\1. item"


def test_jupyter_displays_delegate_to_the_renderers() -> None:
    net = lenet()
    assert net._repr_latex_().startswith("$$\\begin{array}{llrr}")
    assert "62{,}958" in net._repr_latex_()
    assert net._repr_markdown_() == markdown_network(net)
    row = net["CONV1"]
    assert row._repr_latex_().startswith("$$\\begin{aligned}")
    assert row._repr_latex_().endswith("= 608\n\\end{aligned}$$")
    assert row._repr_markdown_().splitlines()[0] == "**CONV1** (Conv2d)"
    line = derive(row).line("params")
    assert line._repr_latex_().count("&=") == 1
    assert line._repr_markdown_().startswith("- $\\text{parameters} = ")
    hostile = hostile_network()
    assert r"\text{\textbackslash{}input\{secret.tex\}}" in hostile._repr_latex_()


# ------------------------------------------------------------------------------ the command


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_latex_command_writes_the_golden_document(capsys, tmp_path) -> None:
    code, out, _ = run(capsys, "latex", str(LENET))
    assert code == 0 and out == (GOLDEN / "lenet5.tex").read_text(encoding="utf-8")
    target = tmp_path / "key.tex"
    code, out, err = run(capsys, "latex", str(LENET), "-o", str(target))
    assert code == 0 and out == "" and err == f"wrote {target}\n"
    assert target.read_text(encoding="utf-8") == (GOLDEN / "lenet5.tex").read_text(encoding="utf-8")


def test_latex_command_options(capsys) -> None:
    code, out, _ = run(capsys, "latex", str(LENET), "--fragment", "--times", "--no-grouping")
    assert code == 0 and r"\documentclass" not in out
    assert r"\left(\left(5 \times 5 \times 3\right) + 1\right) \times 8 = 608" in out
    assert "= 62958" in out
    code, out, _ = run(
        capsys,
        "latex",
        str(SYMBOLIC),
        "--set",
        "H=32",
        "--set",
        "W=32",
        "--set",
        "k1=8",
        "--set",
        "k2=16",
        "--format",
        "text",
    )
    assert code == 0 and out.rstrip().endswith("= 62,958")
    code, out, _ = run(capsys, "latex", str(LENET), "--format", "markdown", "--title", "Key")
    assert code == 0 and out.startswith("# Key\n")


def test_pdf_without_an_engine_says_what_to_install(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("symcnn.render.pdf.find_engine", lambda: None)
    code, _, err = run(capsys, "latex", str(LENET), "-o", str(tmp_path / "key.tex"), "--pdf")
    assert code == 2
    assert "no LaTeX engine found" in err and "texlive-latex-base" in err
    assert (tmp_path / "key.tex").exists()
    code, _, err = run(capsys, "latex", str(LENET), "--pdf")
    assert code == 2 and "--pdf needs -o" in err


# ------------------------------------------------------------------------------ compiling


@pytest.fixture(scope="module")
def engine() -> list[str]:
    command = find_engine()
    if command is None:
        if os.environ.get("SYMCNN_ALLOW_NO_LATEX") == "1":
            pytest.skip("no LaTeX engine and SYMCNN_ALLOW_NO_LATEX=1")
        pytest.fail(
            "no LaTeX engine (latexmk/pdflatex) found: the compile tests must run. Install "
            "texlive-latex-base texlive-latex-recommended texlive-latex-extra latexmk, or set "
            "SYMCNN_ALLOW_NO_LATEX=1 to skip them on this machine"
        )
    return command


def compiled(folder: Path, name: str, tex: str) -> tuple[Path, str]:
    """Compile ``tex`` as ``folder/name``; the PDF and the log (checked for lost characters)."""
    path = folder / name
    path.write_text(tex, encoding="utf-8")
    pdf = compile_pdf(path, keep_log=True)
    log = path.with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    assert "Missing character" not in log, f"{name}: a character has no glyph"
    assert pdf.stat().st_size > 1000
    return pdf, log


def pdf_text(pdf: Path) -> str | None:
    if shutil.which("pdftotext") is None:
        return None
    return subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_seeds_answer_key_compiles(engine, tmp_path, capsys) -> None:
    code, _, err = run(capsys, "latex", str(LENET), "-o", str(tmp_path / "key.tex"), "--pdf")
    assert code == 0, err
    assert (tmp_path / "key.pdf").exists()
    text = pdf_text(tmp_path / "key.pdf")
    if text is not None:
        assert "62,958" in text and "CONV1 (Conv2d)" in text


def test_a_symbolic_answer_key_compiles(engine, tmp_path) -> None:
    compiled(tmp_path, "symbolic.tex", latex_document(answer_key(symcnn.load(SYMBOLIC))))


def test_exam_variants_compile(engine, tmp_path) -> None:
    exam = make_exam(load_template(EXAMS / "lenet5_exam.yaml"), variants=3, seed=7)
    compiled(tmp_path, "questions.tex", latex_document(combined(exam, question_sheet, "questions")))
    compiled(tmp_path, "answers.tex", latex_document(combined(exam, answer_sheet, "answer keys")))
    inverse = make_exam(load_template(EXAMS / "conv_inverse_exam.yaml"), variants=2, seed=3)
    compiled(tmp_path, "inverse.tex", latex_document(answer_sheet(inverse, inverse.variants[0])))
    hostile = make_exam(
        load_template(
            {
                "title": r"\input{secret.tex} \write18{touch pwned} 100% $x$",
                "instructions": "Use a:b = {c} ~ #d \\ e \\end{document}",
                "assumptions": [r"\def\x{1} & ^_"],
                "network": hostile_network().spec,
                "variables": {},
                "questions": [
                    {"ask": "params", "layer": HOSTILE_NAMES[4], "choices": 3},
                    {"ask": "output_shape", "layer": HOSTILE_NAMES[0]},
                ],
            }
        )
    )
    compiled(tmp_path, "hostile-exam.tex", latex_document(combined(hostile, answer_sheet, "keys")))
    assert not (tmp_path / "pwned").exists()


def test_hostile_names_compile_as_text_and_run_nothing(engine, tmp_path) -> None:
    (tmp_path / "secret.tex").write_text("TOPSECRETMARKER\n", encoding="utf-8")
    key = answer_key(hostile_network(), title=r"\write18{touch pwned} \input{secret.tex}")
    pdf, log = compiled(tmp_path, "hostile.tex", latex_document(key))
    assert not re.search(r"\(\S*secret\.tex", log)  # how TeX logs a file it opens
    assert not (tmp_path / "pwned").exists()
    text = pdf_text(pdf)
    if text is not None:
        assert "TOPSECRETMARKER" not in text
        assert "\\input{secret.tex}" in text
    # the control: a real \input is seen by the same check
    _, log = compiled(
        tmp_path,
        "control.tex",
        latex_document(key).replace("\\begin{document}", "\\begin{document}\\input{secret.tex}"),
    )
    assert re.search(r"\(\S*secret\.tex", log)


def test_a_document_that_does_not_compile_is_an_error(engine, tmp_path) -> None:
    broken = tmp_path / "broken.tex"
    broken.write_text(
        "\\documentclass{article}\\begin{document}\\undefinedcommand\\end{document}\n",
        encoding="utf-8",
    )
    with pytest.raises(
        LatexError, match=r"broken\.tex did not compile: ! Undefined control sequence"
    ):
        compile_pdf(broken)
