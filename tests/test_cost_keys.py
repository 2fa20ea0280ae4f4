"""Costs in answer keys, references, checks and exams: the MACs of a layer worked out from its
textbook tree (written once, in its module, and evaluated by ``Layer.work``), ``CONV1.macs`` as a
reference, the catalogue's cost mistakes, and ``ask: macs`` in exam templates."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import sympy

import symcnn
from symcnn.cli import main
from symcnn.derive import Derivation, Fact, derive, derive_network, evaluate
from symcnn.exam import answer_sheet, load_template, make_exam
from symcnn.mistakes import CATALOGUE
from symcnn.render.document import answer_key
from symcnn.render.latex import latex_document
from symcnn.render.plain import text_document, text_line

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_derive import CASES

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BOTTLENECK_EXAM = EXAMPLES / "exams" / "bottleneck_exam.yaml"

DIRECT = {
    "name": "Direct",
    "input": [28, 28, 192],
    "layers": [
        {"type": "conv2d", "name": "CONV1", "out_channels": 32, "kernel_size": 5, "padding": "same"}
    ],
}
BOTTLENECK = {
    "name": "Bottleneck",
    "input": [28, 28, 192],
    "layers": [
        {"type": "conv2d", "name": "REDUCE", "out_channels": 16, "kernel_size": 1},
        {"type": "conv2d", "name": "CONV5", "out_channels": 32, "kernel_size": 5, "padding": 2},
    ],
}
COST_TYPES = [name for name in CASES if name.startswith(("conv", "linear"))]


def _cases(type_name: str) -> list[Any]:
    return [
        symcnn.load({"input": shape, "layout": layout, "layers": [{"type": type_name, **kwargs}]})
        for shape, layout, kwargs in CASES[type_name]
    ]


# ------------------------------------------------------------------------------ the trees


@pytest.mark.parametrize("type_name", COST_TYPES)
def test_the_macs_line_is_the_layers_count(type_name: str) -> None:
    for net in _cases(type_name):
        row = net.rows[0]
        line = derive(row, costs=True).line("macs")
        assert isinstance(line, Derivation)
        assert line.result == row.layer.work(row)["macs"] == net.row_costs()[row.name][0]
        assert evaluate(line.substituted) == line.result
        assert net.flops == 2 * line.result


@pytest.mark.parametrize("example", ["lenet5.yaml", "unet.yaml", "mobilenet_v2.yaml", "vgg.yaml"])
def test_every_macs_line_of_an_example_adds_up_to_the_network(example: str) -> None:
    net = symcnn.load(EXAMPLES / example)
    working = derive_network(net, costs=True)
    per_row = net.row_costs()
    total = sympy.Integer(0)
    for layer in working.layers:
        lines = [line for line in layer.lines if line.quantity.key == "macs"]
        macs = per_row[layer.row.name][0]
        if not lines:
            assert macs == 0
            continue
        (line,) = lines
        assert line.result == macs
        if isinstance(line, Derivation):
            assert evaluate(line.substituted) == macs
        total += macs * layer.row.multiplicity
    assert total == net.macs == working.costs[0].result
    assert working.costs[1].result == net.flops


def test_the_bottleneck_derivation_in_the_textbooks_order() -> None:
    direct = symcnn.load(DIRECT)
    line = derive(direct["CONV1"], costs=True).line("macs")
    assert text_line(line) == "MACs = H_out·W_out·k·m·n·d = 28·28·32·5·5·192 = 120,422,400"
    bottleneck = symcnn.load(BOTTLENECK)
    assert [text_line(derive(row, costs=True).line("macs")) for row in bottleneck.rows] == [
        "MACs = H_out·W_out·k·m·n·d = 28·28·16·1·1·192 = 2,408,448",
        "MACs = H_out·W_out·k·m·n·d = 28·28·32·5·5·16 = 10,035,200",
    ]
    total = derive_network(bottleneck, costs=True).costs
    assert [text_line(line) for line in total] == [
        "total MACs = 2,408,448 + 10,035,200 = 12,443,648",
        "total FLOPs = 2·total MACs = 2·12,443,648 = 24,887,296",
    ]


def test_groups_transposed_and_linear_forms() -> None:
    grouped = symcnn.load({"input": [8, 10, 10], "layout": "CHW", "layers": [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "groups": 2}]})
    assert text_line(derive(grouped.rows[0], costs=True).line("macs")) == (
        "MACs = H_out·W_out·k·(m·n·d/g) = 8·8·4·(3·3·8/2) = 9,216"
    )
    transposed = symcnn.load({"input": [4, 7], "layout": "CHW", "layers": [
        {"type": "convtranspose1d", "out_channels": 6, "kernel_size": 3, "stride": 2}]})
    assert text_line(derive(transposed.rows[0], costs=True).line("macs")) == (
        "MACs = W·d·m·k = 7·4·3·6 = 504"
    )
    linear = symcnn.load({"input": [5, 7], "layers": [{"type": "linear", "out_features": 3}]})
    assert text_line(derive(linear.rows[0], costs=True).line("macs")) == (
        "MACs = activation size·p = 15·7 = 105"
    )


def test_symbolic_macs_stay_formulas() -> None:
    net = symcnn.load(EXAMPLES / "symbolic.yaml")
    line = derive(net["CONV1"], costs=True).line("macs")
    assert sympy.expand(evaluate(line.substituted) - line.result) == 0
    assert line.result.free_symbols  # H, W, k1


def test_costs_only_on_request_and_a_dead_branch_costs_nothing() -> None:
    lenet = symcnn.load(EXAMPLES / "lenet5.yaml")
    assert all(line.quantity.key != "macs" for line in derive(lenet["CONV1"]).lines)
    assert derive_network(lenet).costs == ()
    conv = {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}
    net = symcnn.load({"input": [4, 8, 8], "layout": "CHW", "output": "twice", "layers": [
        {**conv, "name": "a"},
        {"shares": "a", "name": "twice"},
        {**conv, "name": "unused", "from": "input"},
    ]})
    working = derive_network(net, costs=True)
    lines = {layer.row.name: layer.line("macs") for layer in working.layers}
    assert isinstance(lines["twice"], Derivation) and lines["twice"].result == 8 * 8 * 4 * 4 * 9
    assert isinstance(lines["unused"], Fact) and lines["unused"].result == 0
    assert working.costs[0].result == net.macs == 2 * 8 * 8 * 4 * 4 * 9


def test_a_symbolic_repeat_multiplies_the_macs_total() -> None:
    net = symcnn.load(EXAMPLES / "resnet_stage.yaml")
    total = derive_network(net, costs=True).costs[0]
    assert sympy.expand(evaluate(total.substituted) - net.macs) == 0


# ------------------------------------------------------------------------------ answer keys


def test_the_key_with_costs(capsys: Any) -> None:
    assert main(["latex", str(EXAMPLES / "lenet5.yaml"), "--costs", "--format", "text"]) == 0
    text = capsys.readouterr().out
    assert "  MACs = H_out·W_out·k·m·n·d = 28·28·8·5·5·3 = 470,400\n" in text
    assert "  total MACs = 470,400 + 320,000 + 48,000 + 10,080 + 840 = 849,320\n" in text
    assert "  total FLOPs = 2·total MACs = 2·849,320 = 1,698,640\n" in text
    assert main(["latex", str(EXAMPLES / "lenet5.yaml"), "--format", "text"]) == 0
    assert "MACs" not in capsys.readouterr().out


def test_the_default_key_is_the_golden_one() -> None:
    net = symcnn.load(EXAMPLES / "lenet5.yaml")
    golden = (ROOT / "tests" / "golden" / "lenet5.txt").read_text(encoding="utf-8")
    assert text_document(answer_key(net)) == golden
    assert text_document(answer_key(net, costs=False)) == golden


def test_a_key_with_costs_compiles(tmp_path: Path) -> None:
    from symcnn.render.pdf import compile_pdf

    path = tmp_path / "bottleneck.tex"
    path.write_text(latex_document(answer_key(symcnn.load(BOTTLENECK), costs=True)), "utf-8")
    assert r"\text{MACs} &= H_{\text{out}} \cdot W_{\text{out}}" in path.read_text("utf-8")
    assert compile_pdf(path).exists()


# ------------------------------------------------------------------------------ references


def test_row_costs_by_reference() -> None:
    net = symcnn.load(EXAMPLES / "resnet18.yaml")
    conv1 = net.row_costs()["layer1.0.conv1"]
    values = net.evaluate(quantities=["layer1.0.conv1.macs", "layer1.0.conv1.flops", "macs"])
    assert (values["layer1.0.conv1.macs"], values["layer1.0.conv1.flops"]) == conv1
    assert values["macs"] == net.macs
    bottleneck = symcnn.load(BOTTLENECK)
    assert bottleneck.evaluate(quantities=["macs - REDUCE.macs"]) == {
        "macs - REDUCE.macs": 10_035_200
    }
    assert symcnn.quantity("conv2d 192->32 5x5 input=28x28x192 padding=same macs") == 120_422_400
    m, n, d, k, H, W = (sympy.Symbol(s, integer=True, positive=True) for s in "mndkHW")
    expected = (H - n + 1) * (W - m + 1) * k * m * n * d
    assert sympy.expand(symcnn.quantity("conv2d.macs") - expected) == 0


def test_a_rows_cost_is_one_application() -> None:
    net = symcnn.load(EXAMPLES / "resnet_stage.yaml")
    row = next(row for row in net.rows if row.multiplicity != 1 and row.type == "Conv2d")
    from symcnn.references import network_quantity

    (value,) = network_quantity(net, f"{row.name}.macs").values
    assert value == net.row_costs()[row.name][0]  # not times L


def test_solve_and_sweep_take_row_costs(tmp_path: Path, capsys: Any) -> None:
    spec = tmp_path / "width.yaml"
    spec.write_text(
        "input: [28, 28, 192]\nlayers:\n"
        "  - {type: conv2d, name: REDUCE, out_channels: b, kernel_size: 1}\n"
        "  - {type: conv2d, name: CONV5, out_channels: 32, kernel_size: 5, padding: 2}\n",
        encoding="utf-8",
    )
    assert main(["solve", str(spec), "--where", "CONV5.macs=10035200"]) == 0
    assert capsys.readouterr().out.startswith("b = 16")
    assert main(["sweep", str(spec), "b=8,16", "--show", "CONV5.macs", "--show", "macs"]) == 0
    assert "12,443,648" in capsys.readouterr().out


# ------------------------------------------------------------------------------ checks

COST_MISTAKES = [
    "flops-as-macs",
    "macs-without-output-size",
    "macs-without-depth",
    "macs-plus-bias",
]


def test_the_cost_mistakes_are_catalogued_with_sources_and_examples() -> None:
    by_id = {mistake.id: mistake for mistake in CATALOGUE}
    for mistake_id in COST_MISTAKES:
        mistake = by_id[mistake_id]
        assert mistake.source
        assert {form.family for form in mistake.forms} >= {"conv"}
        assert {form.quantity for form in mistake.forms} >= {"macs"}


@pytest.mark.parametrize(
    ("claim", "mistake"),
    [
        ("240,844,800", "flops-as-macs"),
        ("153,600", "macs-without-output-size"),
        ("627,200", "macs-without-depth"),
        ("120,447,488", "macs-plus-bias"),
    ],
)
def test_check_names_each_mistake_against_a_spec(claim: str, mistake: str) -> None:
    verdict = symcnn.check(claim, DIRECT, quantity="CONV1.macs")
    assert not verdict.right
    assert [diagnosis.mistake.id for diagnosis in verdict.diagnoses if diagnosis.mistake] == [
        mistake
    ]


def test_check_on_the_command_line(tmp_path: Path, capsys: Any) -> None:
    import yaml

    spec = tmp_path / "direct.yaml"
    spec.write_text(yaml.safe_dump(DIRECT), encoding="utf-8")
    args = ["check", "120422400", "--against", str(spec), "--quantity", "CONV1.macs"]
    assert main(args) == 0
    assert "verdict:   right" in capsys.readouterr().out
    args[1] = "240,844,800"
    assert main(args) == 1
    assert "[flops-as-macs]" in capsys.readouterr().out
    assert main(["check", "240,844,800", "--against", str(spec), "--quantity", "CONV1.flops"]) == 0
    capsys.readouterr()


def test_a_wrong_total_is_taken_apart_over_the_rows_that_cost() -> None:
    verdict = symcnn.check("24,887,296", BOTTLENECK, quantity="macs")
    (diagnosis,) = verdict.diagnoses
    assert diagnosis.mistake is not None and diagnosis.mistake.id == "flops-as-macs"
    assert diagnosis.rows == ("REDUCE", "CONV5")


# ------------------------------------------------------------------------------ exams


def test_the_bottleneck_exam_runs_and_its_answers_are_the_engines(tmp_path: Path) -> None:
    template = load_template(BOTTLENECK_EXAM)
    exam = make_exam(template, variants=3, seed=3)
    for variant in exam.variants:
        net = variant.network
        costs = net.row_costs()
        answers = [question.answers[0].value for question in variant.questions]
        assert answers == [
            costs["DIRECT"][0],
            costs["REDUCE"][0],
            costs["CONV5"][0],
            net.macs,
        ]
        for question in variant.questions:
            for line in question.working:
                if isinstance(line, Derivation) and line.substituted is not None:
                    assert evaluate(line.substituted) == line.result
            assert 2 * question.answers[0].value in [m.value for m in question.mistakes]
        text = text_document(answer_sheet(exam, variant))
        assert "A multiply-accumulate (MAC) is one multiplication and one addition" in text
    out = tmp_path / "out"
    arguments = ["exam", str(BOTTLENECK_EXAM), "--variants", "2", "--seed", "1", "-o", str(out)]
    assert main(arguments) == 0


def test_an_exam_asks_macs_of_a_layer_or_the_network() -> None:
    template = load_template({
        "title": "One convolution's cost",
        "input": [32, 32, 3],
        "layer": {"type": "conv2d", "name": "C", "out_channels": "k", "kernel_size": 5},
        "variables": {"k": [4, 8, 16]},
        "questions": [{"ask": "macs", "layer": "C", "choices": 4}, {"ask": "macs"}],
    })
    exam = make_exam(template, variants=2, seed=0)
    for variant in exam.variants:
        layer, total = variant.questions
        assert layer.answers[0].value == total.answers[0].value == variant.network.macs
        assert 2 <= len(layer.options) <= 4 and layer.answers[0].value in layer.options
        # every wrong option a catalogued cost mistake (FLOPs for MACs, the bias, no depth...)
        assert {m.id for m in layer.distractors} <= {
            "flops-as-macs", "macs-without-output-size", "macs-without-depth", "macs-plus-bias"
        }
