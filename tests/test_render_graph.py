"""Graph networks in every format: block headings with subtotals, indented rows, notes, and the
answer key's words for shared weights, merges and symbolic repeats; golden files and compiles.

Regenerate the golden files after an intended change with SYMCNN_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import sympy

import symcnn
from symcnn.cli import main
from symcnn.render import (
    answer_key,
    compile_pdf,
    escape_latex,
    find_engine,
    latex_document,
    latex_table,
    markdown_document,
    markdown_network,
    markdown_table,
    text_document,
    text_table,
)
from symcnn.render.latex import latex_network_math
from symcnn.render.table import summary_table

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
EXAMPLES = ROOT / "examples"


def load(name: str) -> symcnn.Network:
    return symcnn.load(EXAMPLES / f"{name}.yaml")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# ------------------------------------------------------------------------------ golden files


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("shared_weights.tex", lambda: latex_document(answer_key(load("shared_weights_exam")))),
        ("resnet_stage.md", lambda: markdown_document(answer_key(load("resnet_stage")))),
        ("resnet_stage.txt", lambda: text_document(answer_key(load("resnet_stage")))),
    ],
)
def test_golden(name: str, render: Callable[[], str]) -> None:
    text = render()
    assert text == render(), "rendering is not deterministic"
    path = GOLDEN / name
    if os.environ.get("SYMCNN_UPDATE_GOLDEN") == "1":
        path.write_bytes(text.encode("utf-8"))
    assert text.encode("utf-8") == path.read_bytes(), (
        f"{name} differs from tests/golden; if the change is intended, rerun with "
        "SYMCNN_UPDATE_GOLDEN=1 and review the diff"
    )


# ------------------------------------------------------------------------------ every renderer

# (format, renderer, how it writes the stage's heading row with ×L, the merge's inputs, a row
# indented under the heading)
TABLES: list[tuple[str, Callable[[symcnn.Network], str], tuple[str, ...]]] = [
    ("text", text_table, ("layer1 (basic)  ×L", "← layer1.bn2, input", "  layer1.conv1")),
    (
        "markdown (summary)",
        markdown_table,
        ("layer1 (basic)  ×L", "← layer1.bn2, input", "| &nbsp;&nbsp;layer1.conv1"),
    ),
    (
        "markdown (answer key)",
        markdown_network,
        ("layer1 (basic) ×$L$", "← layer1.bn2, input", "| &nbsp;&nbsp;layer1.conv1 (Conv2d)"),
    ),
    (
        "latex",
        latex_table,
        (
            r"layer1 (basic)\enspace $\times L$",
            r"$\leftarrow$ layer1.bn2, input",
            r"\quad layer1.conv1",
        ),
    ),
    (
        "latex (Jupyter)",
        latex_network_math,
        (
            r"\text{layer1 (basic)}\enspace \times L",
            r"\leftarrow \text{layer1.bn2, input}",
            r"\quad \text{layer1.conv1}",
        ),
    ),
]


@pytest.mark.parametrize(("format", "render", "expected"), TABLES, ids=[t[0] for t in TABLES])
def test_every_table_renderer_shows_the_blocks(
    format: str, render: Callable[[symcnn.Network], str], expected: tuple[str, ...]
) -> None:
    out = render(load("resnet_stage"))
    for piece in expected:
        assert piece in out, (format, piece)


@pytest.mark.parametrize(("format", "render", "expected"), TABLES, ids=[t[0] for t in TABLES])
def test_shares_are_noted_in_every_table(
    format: str, render: Callable[[symcnn.Network], str], expected: tuple[str, ...]
) -> None:
    assert "shares conv3" in render(load("shared_weights_exam")), format


@pytest.mark.parametrize(
    "render", [latex_table, markdown_network, latex_network_math, text_table, markdown_table]
)
def test_depth_folds_every_table(render: Callable[..., str]) -> None:
    net = load("resnet18")
    full, folded = render(net), render(net, depth=1)
    assert "layer1.0.conv1" in full and "layer1.0.conv1" not in folded
    assert "layer1.0 (basic)" in folded
    top = render(net, depth=0)
    assert "layer2.0.conv1" not in top and "layer1.0" not in top


def test_the_latex_heading_rows_carry_the_engines_subtotals() -> None:
    net = load("resnet18")
    table = summary_table(net, depth=1)
    tex = latex_table(net, depth=1)
    for row in table.rows:
        if row.kind != "block":
            continue
        label = r"\quad " * row.depth + escape_latex(row.label)
        line = next(line for line in tex.splitlines() if line.startswith(label + " & "))
        cells = line.removesuffix(r" \\").split(" & ")
        assert cells[3] == "$" + f"{int(row.params):,}".replace(",", "{,}") + "$", row.name
    # the subtotals of the top-level entries add up to the network's total (nothing counted twice)
    top = [row for row in summary_table(net, depth=0).rows if row.kind in ("layer", "block")]
    assert sum(row.params for row in top) == net.params


def test_a_chains_table_is_the_same_at_every_depth() -> None:
    net = load("lenet5")
    assert latex_table(net) == latex_table(net, depth=0)
    assert markdown_network(net) == markdown_network(net, depth=0)


# ------------------------------------------------------------------------------ answer keys' words


def section(text: str, heading: str) -> str:
    """The text of an answer key (plain text) from ``heading`` to the next heading."""
    after = text.split(f"\n{heading}\n", 1)[1].split("\n", 1)[1]  # below the underline
    return re.split(r"\n\n[^\s].*\n[=\-~^\"]+\n", after, maxsplit=1)[0]


def test_a_shared_rows_working_says_whose_weights_it_applies() -> None:
    key = text_document(answer_key(load("shared_weights_exam")))
    conv5 = section(key, "conv5 (Conv2d)")
    assert "parameters = 0  (applies the weights of conv3 again: counted once, at conv3)" in conv5
    assert "3,620" not in conv5  # no working of weights it does not own
    total = key.rsplit("total parameters = ", 1)[1]
    assert total.startswith("740 + 3,620 + 3,620 + 3,620 + 7,260,030 + 310 = 7,271,940")


def test_a_merges_working_says_where_its_inputs_come_from() -> None:
    key = text_document(answer_key(load("resnet18")))
    add = section(key, "layer2.0.Add-1 (Add)")
    assert "Inputs from layer2.0.bn2 (128, 28, 28) and layer2.0.downsample.1 (128, 28, 28)" in add
    # a row that reads an earlier entry than the previous row says so too
    down = section(key, "layer2.0.downsample.0 (Conv2d)")
    assert down.lstrip().startswith("Input from layer1.1.ReLU-1 (64, 56, 56)")


def test_a_symbolic_repeat_says_the_total_counts_its_rows_l_times() -> None:
    net = load("resnet_stage")
    key = text_document(answer_key(net))
    block = section(key, "layer1 (basic)")
    assert "×L: each of the L applications has these rows; the total counts them L times." in block
    assert "total parameters = L·(36,864 + 128 + 36,864 + 128) = 73984*L" in key
    (repeat,) = net.params.free_symbols
    assert sympy.expand(net.params - 73984 * repeat) == 0


def test_a_merges_working_says_what_it_does_in_every_format() -> None:
    unet = answer_key(load("unet"))
    assert "d_out = d_1 + d_2 = 512 + 512 = 1,024  (concatenation stacks the inputs' channels)" in (
        text_document(unet)
    )
    assert r"d_{\text{out}} &= d_{1} + d_{2} = 512 + 512 = 1{,}024" in latex_document(unet)
    assert "| $d_{i}$ | d of the i-th input of a concatenation |" in markdown_document(unet)
    stage = markdown_document(answer_key(load("resnet_stage")))
    assert (
        r"- $\text{output shape} = (64, H, W)$ (elementwise sum: the shapes must agree (or "
        "broadcast from 1))" in stage
    )
    assert r"- $\text{parameters} = 0$ (a merge has nothing to learn)" in stage


def test_the_specs_symbols_are_in_the_notation_table_with_their_meanings() -> None:
    net = load("resnet_stage")
    notation = section(text_document(answer_key(net)), "Notation")
    height = "H       input size along the height axis; the network's H: height of the feature map"
    assert height in notation
    assert notation.endswith("\nL       number of basic blocks in the stage")
    markdown = markdown_document(answer_key(net))
    assert "| $L$ | number of basic blocks in the stage |" in markdown
    assert "$L$ & number of basic blocks in the stage \\\\" in latex_document(answer_key(net))
    # a symbol given a value is no longer in the key, nor in its notation
    given = text_document(answer_key(net.subs(L=2)))
    assert "number of basic blocks" not in given
    assert "height of the feature map" in given


def test_the_specs_meanings_are_escaped_as_all_user_text() -> None:
    spec = {
        "input": [3, "H", "H"],
        "layout": "CHW",
        "symbols": {"H": r"side \input{secret.tex} 100% $x_1$", "k": "*filters* | # & ~"},
        "layers": [{"type": "conv2d", "out_channels": "k", "kernel_size": 3}],
    }
    key = answer_key(symcnn.load(spec))
    tex = latex_document(key)
    assert r"\input{secret" not in tex and escape_latex(r"\input{secret.tex} 100% $x_1$") in tex
    assert escape_latex("*filters* | # & ~") in tex
    markdown = markdown_document(key)
    assert r"the network's k: \*filters\* \| # \& \~ |" in markdown
    assert r"the network's H: side \\input{secret.tex} 100% \$x\_1\$ |" in markdown


def test_the_key_of_a_chain_has_no_graph_words() -> None:
    key = text_document(answer_key(load("lenet5")))
    assert "Inputs from" not in key and "Input from" not in key and "again" not in key


# ------------------------------------------------------------------------------ the command


def test_latex_depth_folds_the_table_and_keeps_every_layers_working(capsys) -> None:
    spec = str(EXAMPLES / "resnet18.yaml")
    code, out, _ = run(capsys, "latex", spec, "--depth", "1", "--format", "text")
    assert code == 0
    table = out.split("\nNotation\n", 1)[0]
    assert "layer1.0 (basic)" in table and "layer1.0.conv1" not in table
    assert "\nlayer1.0.conv1 (Conv2d)\n" in out  # the working still has every layer
    code, _, err = run(capsys, "latex", spec, "--depth", "-1")
    assert code == 2 and "--depth = -1: must be 0 or more" in err


# ------------------------------------------------------------------------------ compiling


@pytest.fixture(scope="module")
def engine() -> list[str]:
    command = find_engine()
    if command is None:
        if os.environ.get("SYMCNN_ALLOW_NO_LATEX") == "1":
            pytest.skip("no LaTeX engine and SYMCNN_ALLOW_NO_LATEX=1")
        pytest.fail("no LaTeX engine (latexmk/pdflatex) found: the compile tests must run")
    return command


def compile_log(path: Path) -> str:
    compile_pdf(path, keep_log=True)
    log = path.with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    assert "Missing character" not in log, f"{path.name}: a character has no glyph"
    return log


@pytest.mark.parametrize(
    ("spec", "depth"),
    [
        ("resnet18", "1"),
        ("shared_weights_exam", None),
        ("resnet_stage", None),
        ("unet", "0"),
    ],
)
def test_a_graph_answer_key_compiles_without_an_overfull_box(
    engine, tmp_path, capsys, spec: str, depth: str | None
) -> None:
    target = tmp_path / f"{spec}.tex"
    argv = ["latex", str(EXAMPLES / f"{spec}.yaml"), "-o", str(target)]
    code, _, err = run(capsys, *argv, *(["--depth", depth] if depth else []))
    assert code == 0, err
    compile_pdf(target, keep_log=True)
    log = target.with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    assert "Missing character" not in log
    overfull = [line for line in log.splitlines() if line.startswith("Overfull")]
    assert not overfull, overfull


def test_a_graph_fragment_compiles_in_a_document_with_the_packages(engine, tmp_path) -> None:
    fragment = latex_document(answer_key(load("resnet_stage")), fragment=True)
    (tmp_path / "stage.tex").write_text(fragment, encoding="utf-8")
    main_tex = tmp_path / "main.tex"
    main_tex.write_text(
        "\\documentclass{article}\n\\usepackage{amsmath,booktabs,graphicx}\n"
        "\\begin{document}\n\\input{stage.tex}\n\\end{document}\n",
        encoding="utf-8",
    )
    compile_log(main_tex)
