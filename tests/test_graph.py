"""Graph specs: ``from`` edges, merges, blocks, repeats, shared weights — against PyTorch.

Hypothesis draws random DAGs of convolutions, normalizations, activations, pooling, ``add``,
``mul`` and ``cat``; each is built as a spec and as a ``torch.nn.Module`` whose forward pass follows
the same edges. symcnn must refuse exactly the graphs PyTorch refuses, and otherwise agree on the
parameters, the buffers and every row's output shape. The rest are the contract's cases, one by one.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import symcnn
from symcnn.cli import main

torch.set_num_threads(1)

# ------------------------------------------------------------------------------ random DAGs


@dataclass(frozen=True)
class Node:
    op: str
    sources: tuple[int, ...]  # indices of earlier nodes; -1 is the input
    width: int = 0
    kernel: int = 1
    shares: int = -1  # the convolution whose weights a "share" node applies again


@st.composite
def graphs(draw: Any) -> tuple[tuple[int, int, int], list[Node]]:
    channels = draw(st.sampled_from([1, 2, 3, 4]))
    size = draw(st.integers(3, 9))
    count = draw(st.integers(1, 7))
    nodes: list[Node] = []
    for index in range(count):
        earlier = st.integers(-1, index - 1)
        op = draw(st.sampled_from(["conv", "bn", "relu", "pool", "add", "mul", "cat", "share"]))
        convs = [i for i, node in enumerate(nodes) if node.op == "conv"]
        if op == "share" and convs:  # apply an earlier convolution's weights again
            nodes.append(Node(op, (draw(earlier),), shares=draw(st.sampled_from(convs))))
        elif op == "share":
            nodes.append(Node("relu", (draw(earlier),)))
        elif op in ("add", "mul", "cat"):
            sources = tuple(draw(st.lists(earlier, min_size=2, max_size=3)))
            nodes.append(Node(op, sources))
        elif op == "conv":
            node = Node(
                op,
                (draw(earlier),),
                draw(st.sampled_from([1, 2, 4])),
                draw(st.sampled_from([1, 3])),
            )
            nodes.append(node)
        else:
            nodes.append(Node(op, (draw(earlier),)))
    return (channels, size, size), nodes


def _name(index: int) -> str:
    return "input" if index == -1 else f"n{index}"


def spec_of(shape: tuple[int, ...], nodes: list[Node]) -> dict[str, Any]:
    layers = []
    for index, node in enumerate(nodes):
        layer: dict[str, Any] = {"name": _name(index)}
        sources = [_name(source) for source in node.sources]
        layer["from"] = sources if len(sources) > 1 else sources[0]
        if node.op == "conv":
            layer |= {"type": "conv2d", "out_channels": node.width, "kernel_size": node.kernel}
            layer["padding"] = node.kernel // 2
        elif node.op == "bn":
            layer["type"] = "batchnorm2d"
        elif node.op == "pool":
            layer |= {"type": "maxpool2d", "kernel_size": 2, "ceil_mode": True}
        elif node.op == "share":
            layer["shares"] = _name(node.shares)
        else:
            layer["type"] = node.op
        layers.append(layer)
    return {"input": list(shape), "layout": "CHW", "layers": layers}


class Dag(nn.Module):
    """The same graph in PyTorch: each node a module (or an operator) applied to its sources."""

    def __init__(self, shape: tuple[int, ...], nodes: list[Node]):
        super().__init__()
        self.nodes = nodes
        self.layers = nn.ModuleDict()
        self.shapes: dict[str, tuple[int, ...]] = {}
        channels = {-1: shape[0]}
        for index, node in enumerate(nodes):
            given = channels.get(node.sources[0], 1)
            if node.op == "conv":
                module: nn.Module = nn.Conv2d(
                    given, node.width, node.kernel, padding=node.kernel // 2
                )
                channels[index] = node.width
            elif node.op == "bn":
                module = nn.BatchNorm2d(given)
                channels[index] = given
            elif node.op == "relu":
                module = nn.ReLU()
                channels[index] = given
            elif node.op == "pool":
                module = nn.MaxPool2d(2, ceil_mode=True)
                channels[index] = given
            elif node.op == "share":  # the same module object: its weights counted once
                module = self.layers[_name(node.shares)]
                channels[index] = nodes[node.shares].width
            else:
                module = nn.Identity()
                widths = [channels.get(source, 1) for source in node.sources]
                channels[index] = sum(widths) if node.op == "cat" else max(widths)
            self.layers[_name(index)] = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        values = {-1: x}
        for index, node in enumerate(self.nodes):
            inputs = [values[source] for source in node.sources]
            module = self.layers[_name(index)]
            if node.op == "add":
                out = inputs[0]
                for other in inputs[1:]:
                    out = out + other
            elif node.op == "mul":
                out = inputs[0]
                for other in inputs[1:]:
                    out = out * other
            elif node.op == "cat":
                out = torch.cat(inputs, dim=1)
            else:
                out = module(inputs[0])
            values[index] = out
            self.shapes[_name(index)] = tuple(out.shape[1:])
        return values[len(self.nodes) - 1]


def torch_result(shape: tuple[int, ...], nodes: list[Node]) -> Dag | None:
    try:
        dag = Dag(shape, nodes)
        with torch.no_grad():
            dag.eval()
            dag(torch.zeros(1, *shape))
    except (RuntimeError, ValueError):
        return None
    return dag


@settings(max_examples=150, deadline=None)
@given(graph=graphs())
def test_random_graphs_agree_with_torch(graph: tuple[tuple[int, int, int], list[Node]]) -> None:
    shape, nodes = graph
    dag = torch_result(shape, nodes)
    spec = spec_of(shape, nodes)
    if dag is None:
        with pytest.raises(symcnn.SymcnnError):
            symcnn.load(spec)
        return
    net = symcnn.load(spec)
    assert net.params == sum(p.numel() for p in dag.parameters())
    assert net.buffers == sum(b.numel() for b in dag.buffers())
    for row in net.rows:
        assert row.output_shape == dag.shapes[row.name], row.name
    assert net.output_shape == dag.shapes[_name(len(nodes) - 1)]


@settings(max_examples=40, deadline=None)
@given(graph=graphs(), height=st.integers(3, 12), width=st.integers(3, 12))
def test_symbolic_graphs_evaluate_to_the_numeric_graph(
    graph: tuple[tuple[int, int, int], list[Node]], height: int, width: int
) -> None:
    (channels, _, _), nodes = graph
    # ceil_mode pooling included: its last-window rule is one floor too (symcnn.floors)
    numeric = spec_of((channels, height, width), nodes)
    symbolic = spec_of((channels, 3, 3), nodes) | {"input": [channels, "H", "W"]}
    try:
        expected = symcnn.load(numeric)
    except symcnn.SymcnnError:
        with pytest.raises(symcnn.SymcnnError):
            symcnn.load(symbolic).subs(H=height, W=width)
        return
    net = symcnn.load(symbolic).subs(H=height, W=width)
    assert net.params == expected.params
    assert [row.output_shape for row in net.rows] == [row.output_shape for row in expected.rows]


# ------------------------------------------------------------------------------ the contract

BASIC = {
    "args": {"planes": None, "stride": 1},
    "layers": [
        {
            "type": "conv2d",
            "name": "conv1",
            "out_channels": "planes",
            "kernel_size": 3,
            "stride": "stride",
            "padding": 1,
            "bias": False,
        },
        {"type": "batchnorm2d", "name": "bn1"},
        {"type": "relu", "name": "relu"},
        {
            "type": "conv2d",
            "name": "conv2",
            "out_channels": "planes",
            "kernel_size": 3,
            "padding": 1,
            "bias": False,
        },
        {"type": "batchnorm2d", "name": "bn2"},
        {"type": "add", "from": ["bn2", "input"]},
        {"type": "relu"},
    ],
}


class Basic(nn.Module):
    def __init__(self, planes: int):
        super().__init__()
        self.conv1 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x))))) + x)


def stage(**use: Any) -> dict[str, Any]:
    return {
        "input": [16, 8, 8],
        "layout": "CHW",
        "blocks": {"basic": BASIC},
        "layers": [{"block": "basic", "name": "layer1", "planes": 16, **use}],
    }


def test_a_numeric_repeat_unrolls_with_torch_names() -> None:
    net = symcnn.load(stage(repeat=3))
    torch_stage = nn.Sequential(*(Basic(16) for _ in range(3)))
    names = [
        f"layer1.{name}"
        for name, m in torch_stage.named_modules()
        if name and not list(m.children())
    ]
    rows = [row.name for row in net.rows if row.type not in ("Add", "ReLU") or "relu" in row.name]
    assert [name for name in rows if not name.endswith("ReLU-1")] == names
    assert net.params == sum(p.numel() for p in torch_stage.parameters())
    assert net.buffers == sum(b.numel() for b in torch_stage.buffers())
    assert net["layer1.2.conv2"].output_shape == (16, 8, 8)
    assert net["layer1.0.Add-1"].inputs == ("layer1.0.bn2", "input")
    assert net["layer1.1.Add-1"].inputs == ("layer1.1.bn2", "layer1.0.ReLU-1")


def test_a_symbolic_repeat_counts_the_block_L_times() -> None:
    net = symcnn.load(stage(repeat="L"))
    block = sum(p.numel() for p in Basic(16).parameters())
    L = net.symbols["L"]
    assert sympy.expand(net.params - L * block) == 0
    assert len(net.rows) == 7  # shown once
    for depth in (1, 2, 5):
        assert net.subs(L=depth).params == depth * block
        assert net.evaluate(L=depth)["params"] == depth * block
    table = symcnn.render.text_table(net)
    assert "×L" in table


def test_a_symbolic_repeat_of_a_block_that_changes_the_shape_is_refused() -> None:
    spec = stage(repeat="L")
    spec["blocks"] = {
        "basic": {
            "args": {"planes": None},
            "layers": [{"type": "conv2d", "out_channels": "planes", "kernel_size": 3, "stride": 2}],
        }
    }
    with pytest.raises(symcnn.ShapeError, match=r"`repeat` = L needs a block that keeps its"):
        symcnn.load(spec)


def test_the_solver_finds_the_depth_of_a_stage_for_a_budget() -> None:
    net = symcnn.load(stage(repeat="L"))
    block = sum(p.numel() for p in Basic(16).parameters())
    solution = net.solve(f"params <= {10 * block + 5}", maximize="L")
    assert solution.value == 10


def test_shared_weights_count_once_and_name_the_shared_layer() -> None:
    conv = {"type": "conv2d", "out_channels": 20, "kernel_size": 3}
    layers = [
        {**conv, "name": "conv1"},
        {**conv, "name": "conv2"},
        {**conv, "name": "conv3"},
        {**conv, "name": "conv4"},
        {"shares": "conv3", "name": "conv5"},
        {"type": "flatten"},
        {"type": "linear", "out_features": 30},
        {"type": "linear", "out_features": 10},
    ]
    net = symcnn.load({"input": [120, 120, 4], "layers": layers})
    assert net.params == 7_271_940
    assert net["conv5"].params == 0 and net["conv5"].shares == "conv3"
    padded = [{**layer, "padding": 1} if "kernel_size" in layer else layer for layer in layers]
    assert symcnn.load({"input": [120, 120, 4], "layers": padded}).params == 8_651_940


class SharedTwice(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(4, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.a(self.a(x)))


def test_a_shared_layer_agrees_with_a_reused_torch_module() -> None:
    net = symcnn.load(
        {
            "input": [4, 6, 6],
            "layout": "CHW",
            "layers": [
                {"type": "conv2d", "name": "a", "out_channels": 4, "kernel_size": 3, "padding": 1},
                {"shares": "a"},
                {"type": "batchnorm2d", "name": "bn"},
            ],
        }
    )
    module = SharedTwice()
    assert net.params == sum(p.numel() for p in module.parameters())
    assert net.buffers == sum(b.numel() for b in module.buffers())


def test_a_shared_block_applies_every_layer_again() -> None:
    spec = stage()
    spec["layers"].append({"shares": "layer1", "name": "again"})
    net = symcnn.load(spec)
    assert net.params == sum(p.numel() for p in Basic(16).parameters())
    assert net["again.conv1"].shares == "layer1.conv1"
    assert net["again.bn2"].buffers == 0


def test_the_output_may_be_any_entry_and_parameters_count_every_layer() -> None:
    net = symcnn.load(
        {
            "input": [8],
            "output": "a",
            "layers": [
                {"type": "linear", "name": "a", "out_features": 4},
                {"type": "linear", "name": "b", "out_features": 2},
            ],
        }
    )
    assert net.output_shape == (4,)
    assert net.params == 36 + 10  # as module.parameters(): every layer


def test_named_inputs_and_cat_along_a_chosen_dim() -> None:
    net = symcnn.load(
        {
            "inputs": {"query": ["L", 16], "memory": ["S", 16]},
            "layers": [
                {"type": "linear", "name": "proj", "out_features": 16, "from": "memory"},
                {"type": "cat", "from": ["query", "proj"], "dim": 0},
            ],
        }
    )
    L, S = sympy.symbols("L S", integer=True, positive=True)
    assert net.output_shape == (L + S, 16)
    assert net.rows[-1].inputs == ("query", "proj")


def test_cat_defaults_to_the_channel_axis_of_the_layout() -> None:
    for layout, shape, out in (("HWC", [6, 6, 3], (6, 6, 6)), ("CHW", [3, 6, 6], (6, 6, 6))):
        net = symcnn.load(
            {
                "input": shape,
                "layout": layout,
                "layers": [
                    {"type": "relu", "name": "r"},
                    {"type": "concat", "from": ["input", "r"]},
                ],
            }
        )
        assert net.output_shape == out


def test_squeeze_and_excitation_broadcasts_like_torch() -> None:
    net = symcnn.load(
        {
            "input": [32, "H", "W"],
            "layout": "CHW",
            "layers": [
                {"type": "adaptiveavgpool2d", "name": "squeeze", "output_size": 1},
                {"type": "conv2d", "out_channels": 8, "kernel_size": 1},
                {"type": "relu"},
                {"type": "conv2d", "out_channels": 32, "kernel_size": 1},
                {"type": "sigmoid", "name": "scale"},
                {"type": "mul", "from": ["scale", "input"]},
            ],
        }
    )
    se = nn.Sequential(nn.Conv2d(32, 8, 1), nn.Conv2d(8, 32, 1))
    assert net.params == sum(p.numel() for p in se.parameters())
    assert net.subs(H=7, W=5).output_shape == (32, 7, 5)


def _error(layers: list[Any], **top: Any) -> str:
    with pytest.raises(symcnn.SymcnnError) as caught:
        symcnn.load({"input": [3, 8, 8], "layout": "CHW", "layers": layers, **top})
    return str(caught.value)


CONV = {"type": "conv2d", "out_channels": 4, "kernel_size": 3}
ERRORS = [
    (
        [{**CONV, "name": "a"}, {"type": "add", "from": ["a", "input"]}],
        {},
        r"'Add-1' \(Add\): `add` cannot broadcast shapes \[4, 6, 6\] and \[3, 8, 8\]",
    ),
    (
        [{**CONV, "name": "a"}, {"type": "cat", "from": ["a", "input"]}],
        {},
        r"`cat` along dim 0 needs the other axes to agree.*\[4, 6, 6\] and \[3, 8, 8\]",
    ),
    (
        [{"type": "relu", "name": "abc"}, {"type": "relu", "from": "abd"}],
        {},
        r"`from` = 'abd' names no earlier entry; did you mean 'abc'\?",
    ),
    (
        [{"type": "relu", "from": "b"}, {"type": "relu", "name": "b"}],
        {},
        r"`from` = 'b' names a later entry",
    ),
    (
        [{"type": "relu", "name": "a"}, {"type": "relu", "name": "a"}],
        {},
        r"layers\[1\] 'a' \(ReLU\): `name` = 'a' is already the name of layers\[0\] 'a'",
    ),
    ([{"shares": "nope"}], {}, r"`shares` = 'nope' names no earlier layer or block"),
    (
        [{**CONV, "name": "a"}, {"shares": "a", "kernel_size": 5}],
        {},
        r"`shares` takes only `name` and `from`, not `kernel_size`",
    ),
    (
        [{**CONV, "name": "a"}, {"shares": "a"}],
        {},
        r"shares 'a', whose weights were made for an input of shape \[3, 8, 8\]",
    ),
    ([{"block": "nope"}], {}, r"unknown block 'nope'"),
    (
        [{"block": "b"}],
        {"blocks": {"b": {"args": {"w": None}, "layers": [CONV]}}},
        r"block 'b' needs argument `w`",
    ),
    (
        [{"block": "b", "w": 1, "v": 2}],
        {"blocks": {"b": {"args": {"w": None}, "layers": [CONV]}}},
        r"block 'b' has no argument `v`",
    ),
    (
        [{"block": "b"}],
        {"blocks": {"b": {"layers": [{"block": "c"}]}, "c": {"layers": [{"block": "b"}]}}},
        r"block 'b' uses itself \(b → c → b\)",
    ),
    (
        [{"block": "b", "repeat": "L"}],
        {"blocks": {"b": {"layers": [CONV]}}},
        r"`repeat` = L needs a block that keeps its input's shape",
    ),
    ([{"type": "relu", "name": "input"}], {}, r"`name` = 'input' is the name of an input"),
    ([{"type": "add"}], {}, r"`add` merges two or more inputs"),
    ([{"type": "relu", "from": ["input", "input"]}], {}, r"takes one input, but `from` lists 2"),
    ([{"type": "relu", "from": -5}], {}, r"`from` = -5 reaches before the first entry"),
    ([{"type": "relu"}], {"output": "nothing"}, r"`output` = 'nothing' names no layer"),
]


@pytest.mark.parametrize(("layers", "top", "message"), ERRORS)
def test_bad_graphs_get_a_clear_error(layers: list[Any], top: dict[str, Any], message: str) -> None:
    assert pytest.importorskip("re").search(message, _error(layers, **top))


def test_input_and_inputs_together_are_refused() -> None:
    with pytest.raises(symcnn.SpecError, match=r"either `input`.*or `inputs`"):
        symcnn.load({"input": [3], "inputs": {"a": [3]}, "layers": [{"type": "relu"}]})


def test_nested_blocks_and_inline_blocks_qualify_names() -> None:
    spec = {
        "input": [8, 4, 4],
        "layout": "CHW",
        "blocks": {
            "pair": {
                "args": {"w": None},
                "layers": [
                    {"type": "conv2d", "name": "conv", "out_channels": "w", "kernel_size": 1},
                    {
                        "block": {
                            "layers": [
                                {
                                    "type": "conv2d",
                                    "name": "inner",
                                    "out_channels": "w*2",
                                    "kernel_size": 1,
                                }
                            ]
                        },
                        "name": "deep",
                    },
                ],
            },
        },
        "layers": [{"block": "pair", "name": "p", "w": 3}],
    }
    net = symcnn.load(spec)
    assert [row.name for row in net.rows] == ["p.conv", "p.deep.inner"]
    assert net["p.deep.inner"].output_shape == (6, 4, 4)
    assert net.params == (8 + 1) * 3 + (3 + 1) * 6


def test_list_and_word_arguments_pass_through_blocks() -> None:
    spec = {
        "input": [4, 9, 9],
        "layout": "CHW",
        "blocks": {
            "b": {
                "args": {"k": [3, 1], "mode": "zeros"},
                "layers": [
                    {
                        "type": "conv2d",
                        "out_channels": 2,
                        "kernel_size": "k",
                        "padding_mode": "mode",
                    }
                ],
            }
        },
        "layers": [{"block": "b", "name": "x", "mode": "reflect"}],
    }
    net = symcnn.load(spec)
    assert net.output_shape == (2, 7, 9)
    assert net.rows[0].layer.padding_mode == "reflect"


def test_json_rows_carry_from_and_the_summary_folds_blocks(capsys: Any, tmp_path: Any) -> None:
    path = tmp_path / "stage.json"
    path.write_text(json.dumps(stage(repeat=2)))
    assert main(["summary", str(path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    rows = {row["name"]: row for row in data["layers"]}
    assert rows["layer1.1.Add-1"]["from"] == ["layer1.1.bn2", "layer1.0.ReLU-1"]
    assert rows["layer1.0.conv1"]["from"] == ["input"]
    assert main(["summary", str(path), "--depth", "0"]) == 0
    folded = capsys.readouterr().out
    assert "layer1 (basic ×2)" in folded and "conv1" not in folded
    assert main(["summary", str(path), "--depth", "1"]) == 0
    assert "layer1.0 (basic)" in capsys.readouterr().out


def test_the_same_graph_gives_the_same_json_bytes() -> None:
    spec = stage(repeat="L")
    first = symcnn.render.json_summary(symcnn.load(spec))
    random.seed(1)
    assert symcnn.render.json_summary(symcnn.load(spec)) == first


def test_a_size_that_divides_must_come_out_whole() -> None:
    net = symcnn.load(
        {
            "input": [3, "H", "H"],
            "layout": "CHW",
            "layers": [
                {"type": "conv2d", "out_channels": 4, "kernel_size": "k", "padding": "(k - 1)/2"}
            ],
        }
    )
    assert net.evaluate(H=8, k=5)["output_shape"] == (4, 8, 8)
    with pytest.raises(symcnn.SpecError, match=r"`padding`"):
        net.evaluate(H=8, k=4)
    half = symcnn.load({"input": ["H/2", 4], "layers": [{"type": "linear", "out_features": 2}]})
    assert half.evaluate(H=6)["output_shape"] == (3, 2)
    with pytest.raises(symcnn.SpecError, match=r"not the fraction 5/2"):
        half.evaluate(H=5)


EXAM = """
title: Residual
network:
  input: [16, 8, 8]
  layout: CHW
  blocks:
    b:
      args: {w: null}
      layers:
        - {type: conv2d, name: conv, out_channels: w, kernel_size: 3, padding: 1}
        - {type: add, from: [conv, input]}
  layers:
    - {type: conv2d, name: stem, out_channels: k, kernel_size: 1}
    - {block: b, name: res, w: k}
    - {shares: res, name: again}
variables:
  k: [4, 6, 12, 16, 20]
questions:
  - {ask: params, layer: res.conv}
  - {ask: total_params}
"""


def test_an_exam_sheet_of_a_graph_says_where_rows_read_and_what_they_share() -> None:
    from symcnn.exam import load_template, make_exam, question_sheet
    from symcnn.render.plain import text_document

    exam = make_exam(load_template(EXAM), variants=1, seed=3)
    sheet = text_document(question_sheet(exam, exam.variants[0]))
    assert "shares the weights of res.conv" in sheet
    assert "of res.conv and stem" in sheet
    variant = exam.variants[0]
    total = next(q for q in variant.questions if q.spec.ask == "total_params")
    net = variant.network
    assert total.answers[0].value == net.params == net["stem"].params + net["res.conv"].params


def test_qualified_names_reach_into_earlier_blocks() -> None:
    enc = {
        "args": {"w": None},
        "layers": [
            {"type": "conv2d", "name": "conv", "out_channels": "w", "kernel_size": 3, "padding": 1},
            {"type": "maxpool2d", "name": "pool", "kernel_size": 2},
        ],
    }
    net = symcnn.load(
        {
            "input": [3, 16, 16],
            "layout": "CHW",
            "blocks": {"enc": enc},
            "layers": [
                {"block": "enc", "name": "down1", "w": 8},
                {"block": "enc", "name": "down2", "w": 16},
                {
                    "type": "convtranspose2d",
                    "name": "up",
                    "out_channels": 8,
                    "kernel_size": 2,
                    "stride": 2,
                },
                {"type": "cat", "from": ["up", "down1.pool"]},
                {"shares": "down2.conv", "from": "down1.pool", "name": "again"},
            ],
            "output": "down2.conv",
        }
    )
    assert net["Cat-1"].inputs == ("up", "down1.pool")
    assert net["Cat-1"].output_shape == (16, 8, 8)
    assert net["again"].shares == "down2.conv"
    assert net.output_shape == (16, 8, 8)


def test_a_network_prints_as_its_table_has_a_length_and_suggests_names() -> None:
    net = symcnn.load(stage(repeat=2))
    assert len(net) == len(net.summary()) == 14
    assert str(net) == symcnn.render.text_table(net)
    with pytest.raises(KeyError, match=r"did you mean 'layer1.1.relu'"):
        net["layer1.1.relux"]


def test_a_spec_argument_that_names_no_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(symcnn.SpecError, match=r"spec file 'nope.txt': no such file"):
        symcnn.load("nope.txt")
    with pytest.raises(symcnn.SpecError, match=r"is a directory"):
        symcnn.load(str(tmp_path))
    text = tmp_path / "spec.txt"
    text.write_text("input: [4]\nlayers: [{type: relu}]\n")
    assert symcnn.load(str(text)).output_shape == (4,)
    assert symcnn.load("{input: [4], layers: [{type: relu}]}").output_shape == (4,)


def test_nested_ceil_mode_pooling_stays_symbolic() -> None:
    spec = spec_of((1, 7, 7), [Node("pool", (-1,)), Node("pool", (0,)), Node("pool", (1,))])
    spec["input"] = [1, "H", "W"]
    net = symcnn.load(spec)
    numeric = symcnn.load({**spec, "input": [1, 11, 3]})
    assert net.subs(H=11, W=3).output_shape == numeric.output_shape
