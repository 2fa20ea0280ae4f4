"""Solving and sweeping through graphs: blocks with symbolic arguments, symbolic repeats, skip
connections whose shapes must agree, and ``?`` marks inside blocks, inputs and repeats.

Every answer is checked independently: against a hand-built PyTorch model's ``numel()`` (on the
meta device, so a 20M-parameter model costs nothing), or by rebuilding the network with the value
found and reading its shape.
"""

from __future__ import annotations

import json
import types
from pathlib import Path
from typing import Any

import pytest
import sympy
import torch
import yaml
from torch import nn
from zoo_models import BasicBlock, ResNet, ResNetStage

import symcnn
from symcnn.cli import main
from symcnn.errors import ShapeError, SolveError
from symcnn.quantities import QUANTITIES
from symcnn.references import value_of
from symcnn.solve import mark_unknowns

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
STAGE = EXAMPLES / "resnet_stage.yaml"
BUDGET = 20_000_000


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def torch_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# ------------------------------------------------------------------ 1. the width of stage 3


def wide_resnet18_spec() -> dict[str, Any]:
    """ResNet-18 with stage 3's width a symbol: ``planes: w`` in both of its blocks (the
    projection shortcut's out_channels is ``planes`` too)."""
    document = yaml.safe_load((EXAMPLES / "resnet18.yaml").read_text())
    for use in document["layers"]:
        if str(use.get("name", "")).startswith("layer3."):
            use["planes"] = "w"
    return document


def torch_wide_resnet18(width: int) -> nn.Module:
    with torch.device("meta"):
        model = ResNet(BasicBlock, [2, 2, 2, 2])
        model.inplanes = 128
        model.layer3 = model._make_layer(BasicBlock, width, 2, stride=2)
        model.layer4 = model._make_layer(BasicBlock, 512, 2, stride=2)
    return model


def test_widest_stage_under_a_budget_agrees_with_pytorch() -> None:
    net = symcnn.load(wide_resnet18_spec())
    answer = net.solve("params <= 20e6", maximize="w")
    width = answer.value
    assert width == 550
    assert torch_params(torch_wide_resnet18(width)) <= BUDGET
    assert torch_params(torch_wide_resnet18(width + 1)) > BUDGET
    assert net.subs(w=width).params == torch_params(torch_wide_resnet18(width))
    assert torch_params(torch_wide_resnet18(256)) == 11_689_512  # the real ResNet-18


def test_widest_stage_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "wide.yaml"
    spec.write_text(yaml.safe_dump(wide_resnet18_spec()))
    code, out, _ = run_cli(capsys, "solve", spec, "--max", "w", "--where", "params<=20e6")
    assert code == 0
    assert out.startswith("Largest w with params<=20e6: w = 550\n")
    assert f"w = 551 gives params = {torch_params(torch_wide_resnet18(551)):,}" in out


# ------------------------------------------------------------------ 2. the depth of a stage


def test_deepest_stage_under_a_budget() -> None:
    stage = symcnn.load(STAGE)
    answer = stage.solve("params <= 1000000", maximize="L")
    assert answer.value == 13
    assert torch_params(ResNetStage(13)) == 961_792 <= 1_000_000
    assert torch_params(ResNetStage(14)) == 1_035_776 > 1_000_000
    assert symcnn.solve(STAGE, "params <= 1e6", maximize="L").value == 13


def test_deepest_stage_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "solve", STAGE, "--max", "L", "--where", "params<=1000000")
    assert code == 0
    assert out.splitlines()[:3] == [
        "Largest L with params<=1000000: L = 13",
        "  L = 13 gives params = 961,792",
        "  L = 14 gives params = 1,035,776 (not a solution)",
    ]


def test_a_repeat_marked_with_a_question_mark(tmp_path: Path) -> None:
    document = yaml.safe_load(STAGE.read_text())
    document["layers"][0]["repeat"] = "?"
    answer = symcnn.solve(document, "params <= 1e6", maximize="layer1_repeat")
    assert answer.names == ("layer1_repeat",) and answer.value == 13


# ------------------------------------------------------------------ 3. skip connections


def residual(kernel: int, padding: Any = "z", **input_: Any) -> dict[str, Any]:
    return {
        "name": f"a residual block, {kernel}x{kernel} conv",
        "input": input_.get("shape", [64, "H", "W"]),
        "layout": "CHW",
        "layers": [
            {
                "type": "conv2d",
                "name": "conv1",
                "out_channels": 64,
                "kernel_size": kernel,
                "padding": padding,
                "bias": False,
            },
            {"type": "batchnorm2d", "name": "bn1"},
            {"type": "relu", "name": "relu"},
            {"type": "add", "from": ["relu", "input"]},
        ],
    }


def keeps_the_shape(document: dict[str, Any], values: dict[str, int]) -> bool:
    try:
        net = symcnn.load(document).subs(values)
    except ShapeError:
        return False
    return net.output_shape == net.input_shape


PADDINGS = [(1, 0), (3, 1), (5, 2), (7, 3)]


@pytest.mark.parametrize(("kernel", "padding"), PADDINGS)
def test_the_padding_a_skip_connection_needs(kernel: int, padding: int) -> None:
    document = residual(kernel)
    net = symcnn.load(document)
    assert any(check.field == "from" for check in net.conditions)  # Eq(H + 2z - k + 1, H)
    # "which z makes the network valid?" -- for every H and W: H cancels
    assert net.solve(unknowns="z").value == padding
    # a shape target, with or without the size given
    assert net.solve("output_shape = input_shape").value == padding
    assert net.solve("output_shape = [64, H, W]", unknowns="z").value == padding
    at_56 = net.solve("output_shape = [64, 56, 56]", values={"H": 56, "W": 56})
    assert at_56.value == padding
    # independently: rebuilt with the value found, the shapes agree; with the neighbours not
    assert keeps_the_shape(document, {"H": 56, "W": 56, "z": padding})
    for other in (padding - 1, padding + 1):
        if other >= 0:
            assert not keeps_the_shape(document, {"H": 56, "W": 56, "z": other})


def test_validity_is_the_question_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "residual.yaml"
    spec.write_text(yaml.safe_dump(residual(3)))
    code, out, _ = run_cli(capsys, "solve", spec, "--for", "z")
    assert code == 0
    assert out == (
        "z = 1\n\nDerivation:\ncheck: layers[3] 'Add-1' (Add): from\n"
        "  with numbers: H + 2*z - 2 = H\n  rearranged:   2*z = 2\n  real roots:   z = 1\n"
    )
    code, out, _ = run_cli(
        capsys,
        "solve",
        spec,
        "--set",
        "H=56",
        "--set",
        "W=56",
        "--where",
        "output_shape=[64,56,56]",
    )
    assert code == 0 and out.startswith("z = 1\n")
    code, out, _ = run_cli(capsys, "solve", spec, "--for", "z", "--format", "json")
    data = json.loads(out)
    assert data["points"] == [{"z": 1}] and data["derivation"][0]["step"] == "check"


def test_no_padding_works_gives_no_answer() -> None:
    # a 2x2 kernel changes the size by 2z - 1, never 0: SymPy sees it while building
    with pytest.raises(ShapeError, match="H \\+ 2\\*z - 1 and H"):
        symcnn.load(residual(2))
    # a kernel f given only when asking: with f = 4, 2z - 3 is never 0, and the network says so
    net = symcnn.load(residual("f"))
    with pytest.raises(ShapeError, match="H \\+ 2\\*z - 3 and H"):
        net.solve(unknowns="z", values={"f": 4})
    assert net.solve(unknowns="z", values={"f": 9}).value == 4


def test_nothing_to_solve_says_how_to_ask_about_validity() -> None:
    with pytest.raises(SolveError, match=r"name the unknowns \(--for z"):
        symcnn.load(residual(3)).solve()


def test_the_padding_inside_a_block_may_be_zero() -> None:
    block = {
        "args": {"k": 1},
        "layers": [
            {
                "type": "conv2d",
                "name": "conv",
                "out_channels": 64,
                "kernel_size": "k",
                "padding": "?",
            },
            {"type": "add", "from": ["conv", "input"]},
        ],
    }
    document = {
        "input": [64, 28, 28],
        "layout": "CHW",
        "blocks": {"res": block},
        "layers": [
            {"block": "res", "name": "a", "repeat": 2},
            {"block": "res", "name": "b", "k": 3},
        ],
    }
    # the block's `?` is one unknown wherever the block is used: 1x1 needs 0, 3x3 needs 1
    answer = symcnn.solve(document)
    assert answer.names == ("res_conv_padding",) and answer.count == 0
    document["layers"].pop()
    answer = symcnn.solve(document)
    assert answer.value == 0  # a padding may be 0, also inside a block


# ------------------------------------------------------------------ '?' everywhere


def test_question_marks_reach_blocks_inputs_and_repeats() -> None:
    document = {
        "inputs": {"image": ["?", 32, 32]},
        "layout": "CHW",
        "blocks": {
            "basic": {
                "args": {"planes": "?"},
                "layers": [
                    {
                        "type": "conv2d",
                        "name": "conv1",
                        "out_channels": "planes",
                        "kernel_size": "?",
                        "padding": 1,
                    },
                ],
            }
        },
        "layers": [
            {"block": "basic", "name": "layer1", "repeat": "?"},
            {
                "block": {"layers": [{"type": "conv2d", "out_channels": "?", "kernel_size": 1}]},
                "name": "head",
            },
        ],
    }
    marked, names = mark_unknowns(document)
    assert names == (
        "image_0",
        "basic_planes",
        "basic_conv1_kernel_size",
        "layer1_repeat",
        "head_layer0_out_channels",
    )
    assert marked["blocks"]["basic"]["layers"][0]["kernel_size"] == "basic_conv1_kernel_size"
    assert document["inputs"]["image"][0] == "?"  # the caller's document is not changed
    net = symcnn.load(marked)
    assert set(names) <= set(net.symbols)


def test_question_marks_in_a_block_solve_from_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = yaml.safe_load(STAGE.read_text())
    document["blocks"]["basic"]["layers"][0]["padding"] = "?"
    spec = tmp_path / "stage.yaml"
    spec.write_text(yaml.safe_dump(document))
    code, out, _ = run_cli(capsys, "solve", spec, "--set", "L=2")
    assert code == 0 and out.startswith("basic_conv1_padding = 1\n")


# ------------------------------------------------------------------ 4. sweeps over graphs


def test_sweeping_the_depth_of_a_stage() -> None:
    result = symcnn.sweep(STAGE, {"L": "1..8"}, ["params", "buffers"])
    assert result["L"].tolist() == list(range(1, 9))
    assert result["params"].tolist() == [torch_params(ResNetStage(d)) for d in range(1, 9)]
    assert result["buffers"].tolist() == [258 * d for d in range(1, 9)]


def test_sweeping_the_depth_from_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "sweep", STAGE, "L=1..8", "--show", "params")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["L", "params"]
    assert [line.split() for line in lines[1:]] == [
        [str(d), f"{torch_params(ResNetStage(d)):,}"] for d in range(1, 9)
    ]


def test_sweeping_a_dotted_row_name() -> None:
    quantity = "layer1.conv1.output_shape[1]"
    result = symcnn.sweep(
        STAGE, {"H": "28..56"}, [quantity, "output_shape"], values={"W": "H", "L": 2}
    )
    assert result[quantity].tolist() == list(range(28, 57))
    assert result["output_shape[2]"].tolist() == list(range(28, 57))
    # a strided stage: ResNet-18 at H x W, stage 3's first conv halves the size
    document = yaml.safe_load((EXAMPLES / "resnet18.yaml").read_text())
    document["input"] = [3, "H", "W"]
    strided = symcnn.sweep(
        document, {"H": "28..56"}, ["layer3.0.conv1.output_shape[1]"], values={"W": "H"}
    )
    net = symcnn.load(document)
    for size, got in zip(
        strided["H"].tolist(), strided["layer3.0.conv1.output_shape[1]"], strict=True
    ):
        assert got == net.subs(H=size, W=size)["layer3.0.conv1"].output_shape[1]


def test_sweeping_a_dotted_row_name_from_the_command_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_cli(
        capsys,
        "sweep",
        STAGE,
        "H=28..56",
        "--set",
        "W=H",
        "--set",
        "L=2",
        "--show",
        "layer1.conv1.output_shape[1]",
        "--format",
        "csv",
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "H,layer1.conv1.output_shape[1],valid"
    assert lines[1:] == [f"{h},{h},true" for h in range(28, 57)]


# ------------------------------------------------------------------ 5. L times the block


def test_every_path_counts_a_symbolic_repeat_l_times() -> None:
    stage = symcnn.load(STAGE)
    block = sum(row.params for row in stage.rows)  # one block's rows, shown once
    assert block == 73_984
    point = {"L": 3, "H": 56, "W": 56}
    numeric = stage.subs(point)
    evaluated = stage.evaluate(point)
    assert evaluated["params"] == numeric.params == 3 * block == torch_params(ResNetStage(3))
    assert evaluated["total_activations"] == numeric.total_activations
    once = stage.subs(H=56, W=56).rows  # L still a symbol: the block's rows, shown once
    assert len(numeric.rows) == 3 * len(once)  # L = 3 unrolls
    assert evaluated["total_activations"] == 3 * sum(row.activation_size for row in once)
    swept = symcnn.sweep(
        STAGE, {"L": [3]}, ["params", "buffers", "total_activations"], values={"H": 56, "W": 56}
    )
    assert swept["params"].tolist() == [numeric.params]
    assert swept["buffers"].tolist() == [numeric.buffers]
    assert swept["total_activations"].tolist() == [numeric.total_activations]
    assert (
        stage.solve(
            "total_activations = 3 * 7 * 64 * 56 * 56",
            values={"H": 56, "W": 56},
        ).value
        == 3
    )
    assert stage.solve("buffers = 774").value == 3


def test_a_total_formed_from_the_rows_counts_multiplicity() -> None:
    stage = symcnn.load(STAGE)
    L = stage.symbols["L"]
    # a network-like object without the totals of its own: the registry's aggregation forms them
    bare = types.SimpleNamespace(rows=stage.rows, output=stage.output)
    assert sympy.expand(value_of(bare, QUANTITIES["params"]) - 73_984 * L) == 0
    assert value_of(bare, QUANTITIES["buffers"]) == stage.buffers
    assert value_of(bare, QUANTITIES["activation_size"]) == stage.rows[-1].activation_size


def test_the_output_row_is_the_one_the_network_names() -> None:
    document = {
        "input": [8, 16, 16],
        "layout": "CHW",
        "output": "small",
        "layers": [
            {"type": "conv2d", "name": "small", "out_channels": "k", "kernel_size": 3},
            {
                "type": "conv2d",
                "name": "side",
                "from": "input",
                "out_channels": 4,
                "kernel_size": 1,
            },
        ],
    }
    net = symcnn.load(document)
    bare = types.SimpleNamespace(rows=net.rows, output=net.output)
    assert value_of(bare, QUANTITIES["activation_size"]) == net.activation_size
    assert net.solve("activation_size = 14 * 14 * 5").value == 5
