"""Exam question kinds from a template: inverse questions for every unknown the solver supports
(kernel, stride, padding, filters, width, depth) from any given quantity, checked against
PyTorch; and multiple-choice questions with too few plausible mistakes asked numerically."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import nn

from symcnn.cli import main
from symcnn.exam import answer_sheet, fallbacks, load_template, make_exam, question_sheet
from symcnn.exam.distractors import MIN_OPTIONS
from symcnn.render.plain import text_document


def _numel(module: nn.Module) -> int:
    return sum(parameter.numel() for parameter in module.parameters())


def _conv(values: dict[str, int]) -> nn.Module:
    return nn.Conv2d(
        6,
        values.get("k", 16),
        values.get("f", 7),
        stride=values.get("s", 1),
        padding=values.get("z", 3),
    )


def _mlp(values: dict[str, int]) -> nn.Module:
    return nn.Sequential(nn.Linear(784, values["n"]), nn.ReLU(), nn.Linear(values["n"], 10))


def _stack(values: dict[str, int]) -> nn.Module:
    blocks = [m for _ in range(values["L"]) for m in (nn.Linear(64, 64), nn.ReLU())]
    return nn.Sequential(*blocks, nn.Linear(64, 10))


def _conv_template(layer: dict[str, Any], variables: dict[str, list[int]], question: dict) -> dict:
    spec = {"type": "conv2d", "name": "C", "out_channels": 16, "kernel_size": 7, "padding": 3}
    return {
        "input": [28, 28, 6],
        "layer": {**spec, **layer},
        "variables": variables,
        "questions": [{"ask": "solve", "layer": "C", **question}],
    }


MLP = {
    "input": [784],
    "layers": [
        {"type": "linear", "name": "H", "out_features": "n"},
        {"type": "relu"},
        {"type": "linear", "name": "O", "out_features": 10},
    ],
}
STACK = {
    "input": [64],
    "blocks": {
        "mlp": {"layers": [{"type": "linear", "name": "H", "out_features": 64}, {"type": "relu"}]}
    },
    "layers": [
        {"block": "mlp", "name": "B", "repeat": "L"},
        {"type": "linear", "out_features": 10},
    ],
}

#: (kind, template, the PyTorch module of a variant's values, what the given number is of it)
KINDS = [
    (
        "stride from the output shape",
        _conv_template({"stride": "s"}, {"s": [1, 2, 3]}, {"find": "s", "given": "output_shape"}),
        _conv,
        "shape",
    ),
    (
        "padding keeping a 7x7 conv same",
        _conv_template({"padding": "z"}, {"z": [1, 2, 3]}, {"find": "z", "given": "output_shape"}),
        _conv,
        "shape",
    ),
    (
        "kernel from the parameters",
        _conv_template({"kernel_size": "f", "padding": 0}, {"f": [3, 5, 7]}, {"find": "f"}),
        lambda values: _conv({**values, "z": 0}),
        "params",
    ),
    (
        "filters from the MACs",
        _conv_template({"out_channels": "k"}, {"k": [8, 16, 24]}, {"find": "k", "given": "macs"}),
        _conv,
        "macs",
    ),
    (
        "width from the total parameters",
        {
            "network": MLP,
            "variables": {"n": [32, 64, 128]},
            "questions": [{"ask": "solve", "find": "n"}],
        },
        _mlp,
        "params",
    ),
    (
        "depth of a repeated block from the total parameters",
        {
            "network": STACK,
            "variables": {"L": [2, 3, 4]},
            "questions": [{"ask": "solve", "find": "L"}],
        },
        _stack,
        "params",
    ),
]


def _macs(module: nn.Module, shape: tuple[int, ...]) -> int:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        module(torch.zeros(1, *shape))
    return counter.get_total_flops() // 2  # PyTorch counts a multiply-accumulate as two FLOPs


@pytest.mark.parametrize(("kind", "document", "module", "given"), KINDS, ids=[k[0] for k in KINDS])
def test_every_unknown_is_asked_backwards_from_a_template(kind, document, module, given) -> None:
    template = load_template(document)
    (name,) = (variable.name for variable in template.variables)
    choices = len(template.variables[0].choices)
    exam = make_exam(template, choices, seed=1)
    assert sorted(v.values[name] for v in exam.variants) == sorted(template.variables[0].choices)
    for variant in exam.variants:
        (question,) = variant.questions
        assert question.answers[0].value == variant.values[name]
        torch_module = module(dict(variant.values))
        sheet = text_document(question_sheet(exam, variant))
        if given == "params":  # the sheet states PyTorch's count
            stated = _numel(torch_module)
        elif given == "macs":
            stated = _macs(torch_module, (6, 28, 28))
        else:  # the output's spatial size
            stated = torch_module(torch.zeros(1, 6, 28, 28)).shape[-1]
        assert f"{stated:,}" in sheet
        assert name in {symbol.name for symbol in variant.shown.free_symbols}  # hidden
        if kind.startswith("padding") and variant.values[name] == 3:
            assert "('same' padding)" in sheet


def test_a_repeated_blocks_depth_is_on_the_sheet_as_its_letter() -> None:
    exam = make_exam(load_template(KINDS[-1][1]), 2, seed=1)
    sheet = text_document(question_sheet(exam, exam.variants[0]))
    assert "its block repeated L times" in sheet
    assert "What is L, the number of times block B is repeated?" in " ".join(sheet.split())


DENSE = {
    "input": [784],
    "layer": {"type": "linear", "name": "H", "out_features": "n"},
    "variables": {"n": [32, 64, 128]},
    "questions": [{"ask": "params", "layer": "H", "choices": 4}, {"ask": "params", "layer": "H"}],
}


def test_a_dense_layer_with_too_few_mistakes_is_asked_numerically(tmp_path, capsys) -> None:
    """(p + 1)·c has three catalogued mistakes: p·c and p·c + 1 (one bias for the layer) are
    too near each other to both be options, p·(c + 1) (the bias on the input side) is above:
    one option on each side would be a coin toss, so it is asked numerically, and the key and
    the command say so."""
    exam = make_exam(load_template(DENSE), 3, seed=1)
    for variant in exam.variants:
        question = variant.questions[0]
        assert question.options == () and question.distractors == ()
        assert question.fallback.startswith("Asked as a numerical question, not with 4 options")
        row = variant.network["H"]
        below = {m.value for m in question.catalogued if m.value < row.params}
        assert below == {row.params - row.output_shape[0], row.params - row.output_shape[0] + 1}
        assert MIN_OPTIONS == 3
        key = " ".join(text_document(answer_sheet(exam, variant)).split())
        assert question.fallback in key
        assert question.fallback not in text_document(question_sheet(exam, variant))
    assert fallbacks(exam) == [(1, 3)]
    path = tmp_path / "dense.yaml"
    import yaml

    path.write_text(yaml.safe_dump(DENSE), encoding="utf-8")
    assert main(["exam", str(path), "--variants", "3", "-o", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert (
        "warning: question 1 is asked as a numerical question in 3 of 3 variants: too few "
        "plausible mistakes for its options"
    ) in err
    assert "question 2 is asked" not in err
    key = (tmp_path / "out" / "variant-1-answers.tex").read_text(encoding="utf-8")
    assert "Asked as a numerical question" in key and "\\begin{choices}" not in key
