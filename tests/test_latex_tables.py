"""Long LaTeX tables break across pages rather than shrink: the ResNet-50 answer key (a table
of some 200 rows) compiled, its log free of overfull boxes, its table a longtable at the text's
size with its header repeated on every page; shapes never digit-grouped, every integer from
10,000 grouped; a short table and a fragment are as before."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from zoo_models import resnet50 as torch_resnet50

import symcnn
from symcnn.render.document import answer_key
from symcnn.render.latex import latex_document
from symcnn.render.latex_tables import LONG_ROWS, latex_network_math
from symcnn.render.pdf import compile_pdf

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def resnet50() -> symcnn.Network:
    return symcnn.load(EXAMPLES / "resnet50.yaml")


@pytest.fixture(scope="module")
def key(resnet50) -> str:
    return latex_document(answer_key(resnet50))


def _table(tex: str) -> str:
    return tex[tex.index("\\begin{longtable}") : tex.index("\\end{longtable}")]


def test_the_resnet50_key_table_is_a_longtable_not_a_shrunk_box(key, resnet50) -> None:
    table = _table(key)
    assert "\\usepackage{longtable}" in key
    assert "resizebox" not in table and "symcnnfitpage{" not in key
    assert key.count("\\begin{longtable}") == 1
    assert "\\endhead" in table and "(continued on the next page)" in table
    rows = [line for line in table.splitlines() if line.endswith(("\\\\", "\\\\*"))]
    assert len(rows) > LONG_ROWS
    # the total row is the engine's, and PyTorch's
    weights = sum(p.numel() for p in torch_resnet50().parameters())  # torchvision's, rebuilt
    assert resnet50.params == weights
    assert f"Total & $(1000)$ &  & ${weights:,}$".replace(",", "{,}") in table


def test_shapes_are_never_grouped_and_every_big_integer_is(key) -> None:
    shapes = re.findall(r"\$\(([^)$]*)\)\$", key)
    assert shapes and all("{,}" not in shape for shape in shapes)
    assert "(2048, 7, 7)" in key
    without_shapes = re.sub(r"\$\([^)$]*\)\$", "", key)
    bare = re.findall(r"(?<![\d,}])\d{5,}(?![\d{])", without_shapes)
    assert not bare, bare[:5]
    assert "25{,}557{,}032" in key


def test_the_resnet50_key_compiles_over_pages_without_an_overfull_box(key, tmp_path) -> None:
    tex = tmp_path / "resnet50.tex"
    tex.write_text(key, encoding="utf-8")
    pdf = compile_pdf(tex, keep_log=True)
    log = tex.with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    overfull = [line for line in log.splitlines() if line.startswith("Overfull")]
    assert not overfull, overfull
    if shutil.which("pdftotext") is None:
        return
    pages = subprocess.run(
        ["pdftotext", "-l", "6", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    continued = [page for page in pages if "(continued)" in page]
    assert len(continued) >= 2  # the table runs over several pages, its header repeated
    assert all("Activation shape" in page for page in continued)


def test_a_short_table_and_a_fragment_still_fit_the_line() -> None:
    lenet = latex_document(answer_key(symcnn.load(EXAMPLES / "lenet5.yaml")))
    assert "longtable" not in lenet and "\\symcnnfit{" in lenet
    fragment = latex_document(answer_key(symcnn.load(EXAMPLES / "resnet50.yaml")), fragment=True)
    assert "longtable" not in fragment and "\\symcnnfitpage{" in fragment


def test_the_jupyter_array_never_groups_a_shape() -> None:
    net = symcnn.load({"input": [32, 32, 3], "layers": [{"type": "flatten"}]})
    math = latex_network_math(net)
    assert "(3072)" in math and "3{,}072" in math  # the shape bare, the size grouped


def test_a_layers_working_is_kept_on_one_page(tmp_path) -> None:
    """The LeNet key's layers each start and end on one page: the heading of every layer is on
    the page of its last working line (its parameters)."""
    tex = latex_document(answer_key(symcnn.load(EXAMPLES / "lenet5.yaml")))
    assert tex.count("\\symcnnkeep{") == 8  # 'Working' with CONV1, and the seven after it
    path = tmp_path / "lenet5.tex"
    path.write_text(tex, encoding="utf-8")
    pdf = compile_pdf(path)
    if shutil.which("pdftotext") is None:
        return
    pages = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    for name in ("CONV1", "POOL1", "CONV2", "POOL2", "Flatten-1", "FC3", "FC4", "Softmax"):
        (page,) = [page for page in pages if re.search(rf"^{name} \(", page, re.MULTILINE)]
        after = page[re.search(rf"^{name} \(", page, re.MULTILINE).start() :]
        assert "parameters =" in after, name  # its working's last line is on the same page


def test_an_exam_sheets_long_network_table_breaks_across_pages(tmp_path) -> None:
    from symcnn.exam import load_template, make_exam
    from symcnn.render.exam_sheet import exam_document

    layers = [{"type": "linear", "name": f"FC{i}", "out_features": 8} for i in range(60)]
    template = load_template(
        {
            "network": {"input": [8], "layers": [*layers, {"type": "linear", "out_features": "k"}]},
            "variables": {"k": [3, 5]},
            "questions": [{"ask": "total_params"}],
        }
    )
    exam = make_exam(template, 1, seed=1)
    for answers in (False, True):
        tex = exam_document(exam, answers=answers)
        assert tex.count("\\begin{longtable}") == 1 and "\\endhead" in tex
        path = tmp_path / f"long-{answers}.tex"
        path.write_text(tex, encoding="utf-8")
        compile_pdf(path, keep_log=True)
        log = path.with_suffix(".log").read_text(encoding="utf-8", errors="replace")
        assert "Overfull" not in log and "Output written" in log
    lenet = make_exam(load_template(EXAMPLES / "exams" / "lenet5_exam.yaml"), 1, seed=7)
    assert "\\begin{longtable}" not in exam_document(lenet)  # a short table as before
