"""``symcnn.from_onnx`` of recurrent models: torch's ``nn.LSTM``, ``nn.GRU`` and ``nn.RNN``
exported with ``torch.onnx.export`` (TorchScript exporter, dynamic batch ``N`` and length ``L``,
with and without constant folding, batch first or time first) import with the module's
parameters and output shape, one row per module (its ``num_layers`` as torch's); the symbolic
length evaluated equals torch's output at that length; what symcnn cannot describe (a final state,
a learned initial state, attention, ONNX attributes no torch module writes) is refused by node.
"""

from __future__ import annotations

import io
import math
import warnings
from pathlib import Path
from typing import Any

import onnx
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper
from torch import nn

import symcnn
from symcnn.cli import main
from symcnn.interop import from_onnx, to_onnx

torch.set_num_threads(1)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
KINDS = {"LSTM": nn.LSTM, "GRU": nn.GRU, "RNN": nn.RNN}


def count(module: nn.Module) -> int:
    return sum(parameter.numel() for parameter in module.parameters())


def export(
    model: nn.Module, example: torch.Tensor, axes: dict[int, str], fold: bool = False
) -> Any:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (example,),
            buffer,
            dynamo=False,
            training=torch.onnx.TrainingMode.TRAINING,
            do_constant_folding=fold,
            input_names=["x"],
            output_names=["y"],
            dynamic_axes={"x": axes} if axes else None,
        )
    return onnx.load_from_string(buffer.getvalue())


class Output(nn.Module):
    """The output sequence of a recurrent module (``module(x)[0]``), or its item ``item``."""

    def __init__(self, module: nn.Module, item: int = 0) -> None:
        super().__init__()
        self.rnn = module
        self.item = item

    def forward(self, x: torch.Tensor) -> Any:
        return self.rnn(x)[self.item]


def sequence(batch_first: bool, length: int, features: int) -> tuple[torch.Tensor, dict[int, str]]:
    """An example batch of 2 and the named axes, in the module's order."""
    if batch_first:
        return torch.zeros(2, length, features), {0: "N", 1: "L"}
    return torch.zeros(length, 2, features), {0: "L", 1: "N"}


def torch_output(model: nn.Module, example: torch.Tensor, batch_first: bool) -> tuple[int, ...]:
    with torch.no_grad():
        shape = tuple(model(example).shape)
    return shape[1:] if batch_first else (shape[0], *shape[2:])


def check_module(
    kind: str, input_size: int, fold: bool = False, **arguments: Any
) -> symcnn.Network:
    """Export ``kind(input_size, **arguments)``, import it, compare with torch; the network."""
    module = KINDS[kind](input_size, **arguments)
    model = Output(module)
    batch_first = arguments.get("batch_first", False)
    example, axes = sequence(batch_first, 5, input_size)
    net = from_onnx(export(model, example, axes, fold))
    assert [str(size) for size in net.input_shape] == ["L", str(input_size)]
    assert (net.params, net.buffers) == (count(module), 0)
    assert len(net.rows) == 1
    row = net.rows[0]
    assert (row.name, row.type) == ("rnn", kind)
    assert row.layer.num_layers == module.num_layers
    for length in (5, 9):
        longer, _ = sequence(batch_first, length, input_size)
        assert net.subs({"L": length}).output_shape == torch_output(model, longer, batch_first)
    return net


CASES = [
    ("LSTM", 4, {"hidden_size": 6}),
    ("LSTM", 5, {"hidden_size": 7, "num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("LSTM", 3, {"hidden_size": 4, "num_layers": 3, "bias": False}),
    ("GRU", 4, {"hidden_size": 6, "batch_first": True}),
    ("GRU", 6, {"hidden_size": 5, "num_layers": 2, "bidirectional": True}),
    ("RNN", 4, {"hidden_size": 6, "nonlinearity": "relu", "batch_first": True}),
    ("RNN", 2, {"hidden_size": 3, "num_layers": 2, "bidirectional": True, "bias": False}),
]


@pytest.mark.parametrize(("kind", "input_size", "arguments"), CASES)
@pytest.mark.parametrize("fold", [False, True], ids=["unfolded", "folded"])
def test_recurrent_modules_import_with_torchs_counts_and_shapes(
    kind: str, input_size: int, arguments: dict[str, Any], fold: bool
) -> None:
    net = check_module(kind, input_size, fold, **arguments)
    layer = net.rows[0].layer
    assert layer.bidirectional == arguments.get("bidirectional", False)
    assert bool(layer.bias) == arguments.get("bias", True)
    assert layer.batch_first == arguments.get("batch_first", False)
    if kind == "RNN":
        assert layer.nonlinearity == arguments.get("nonlinearity", "tanh")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(sorted(KINDS)),
    input_size=st.integers(1, 9),
    hidden_size=st.integers(1, 9),
    num_layers=st.integers(1, 3),
    bidirectional=st.booleans(),
    bias=st.booleans(),
    batch_first=st.booleans(),
    fold=st.booleans(),
)
def test_any_recurrent_configuration_imports_with_torchs_counts(
    kind: str,
    input_size: int,
    hidden_size: int,
    num_layers: int,
    bidirectional: bool,
    bias: bool,
    batch_first: bool,
    fold: bool,
) -> None:
    net = check_module(
        kind,
        input_size,
        fold,
        hidden_size=hidden_size,
        num_layers=num_layers,
        bidirectional=bidirectional,
        bias=bias,
        batch_first=batch_first,
    )
    # the same count as the spec written by hand, and as torch's importer
    again = symcnn.load(net.to_spec())
    assert (again.params, again.output_shape) == (net.params, net.output_shape)


class Tagger(nn.Module):
    """Token ids -> an embedding -> an LSTM -> a bidirectional GRU -> a linear head per step."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(50, 6)
        self.lstm = nn.LSTM(6, 7, batch_first=True, num_layers=2)
        self.gru = nn.GRU(7, 4, batch_first=True, bidirectional=True)
        self.head = nn.Linear(8, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.gru(self.lstm(self.embed(x))[0])[0])


def test_a_sequence_model_imports_module_by_module() -> None:
    model = Tagger()
    graph = export(model, torch.zeros(2, 5, dtype=torch.long), {0: "N", 1: "L"})
    net = from_onnx(graph)
    assert [str(size) for size in net.input_shape] == ["L"]
    assert net.params == count(model)
    rows = {row.name: row for row in net.rows}
    for name, module in model.named_children():
        assert rows[name].params == count(module), name
    assert rows["lstm"].layer.num_layers == 2
    with torch.no_grad():
        expected = tuple(model(torch.zeros(2, 11, dtype=torch.long)).shape[1:])
    assert net.subs({"L": 11}).output_shape == expected
    traced = symcnn.from_torch(model, [11], dtype="int64")
    numeric = net.subs({"L": 11})
    assert (numeric.params, numeric.output_shape) == (traced.params, traced.output_shape)


def test_a_time_first_export_without_named_axes_reads_its_fixed_sizes() -> None:
    module = nn.LSTM(5, 7, num_layers=2)
    model = Output(module)
    example = torch.zeros(3, 2, 5)
    net = from_onnx(export(model, example, {}))  # initial states by Expand, not ConstantOfShape
    assert (net.input_shape, net.params) == ((3, 5), count(module))
    assert net.output_shape == torch_output(model, example, False)


class LearnedState(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.gru = nn.GRU(4, 3, batch_first=True)
        self.h0 = nn.Parameter(torch.ones(1, 1, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.gru(x, self.h0.expand(1, x.size(0), 3).contiguous())[0]


class LastState(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(4, 3, batch_first=True)
        self.fc = nn.Linear(3, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.lstm(x)[1][0][0])


class Twice(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.relu(self.fc(x)))


REFUSED = {
    "final state out": (
        Output(nn.LSTM(4, 3, batch_first=True), 1),
        r"a model with one tensor output; it has 2",
    ),
    "final state read": (
        LastState(),
        r"\(Gather\): input 0 is output 1 of node '/lstm/LSTM' \(LSTM\) .*does not describe",
    ),
    # refused where the exporter first computes with h0's shape, before the GRU reads it
    "learned state": (LearnedState(), r"^node '/\w+' \(\w+\): "),
    "module applied twice": (Twice(), r"the initializer 'fc.weight' is read by the rows"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_what_symcnn_cannot_describe_is_refused_by_node(case: str) -> None:
    model, message = REFUSED[case]
    graph = export(model, torch.zeros(2, 5, 4), {0: "N", 1: "L"})
    with pytest.raises(symcnn.SpecError, match=message):
        from_onnx(graph)


def test_a_transposed_batch_is_read_only_by_a_recurrent_op() -> None:
    class Moved(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.fc(x.transpose(0, 1))

    graph = export(Moved(), torch.zeros(2, 5, 4), {0: "N", 1: "L"})
    with pytest.raises(symcnn.SpecError, match=r"batch axis is not first"):
        from_onnx(graph)


def handmade(op: str, attributes: dict[str, Any], gates: int = 4) -> Any:
    """A one-node ONNX graph of ``op`` on a time-first input [L, N, 3], hidden size 2."""
    hidden, features = 2, 3
    weights = [
        helper.make_tensor(name, TensorProto.FLOAT, dims, [0.0] * (dims[0] * dims[1] * dims[2]))
        for name, dims in (("W", [1, gates * hidden, features]), ("R", [1, gates * hidden, hidden]))
    ]
    node = helper.make_node(
        op, ["x", "W", "R"], ["Y"], name=f"/rnn/{op}", hidden_size=hidden, **attributes
    )
    squeeze = helper.make_node("Squeeze", ["Y", "axes"], ["y"], name="/rnn/Squeeze")
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [1])
    graph = helper.make_graph(
        [node, squeeze],
        "handmade",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["L", "N", features])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["L", "N", hidden])],
        [*weights, axes],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def test_a_handmade_graph_of_torchs_attributes_imports() -> None:
    net = from_onnx(handmade("GRU", {"linear_before_reset": 1}, gates=3))
    expected = nn.GRU(3, 2, bias=False)
    assert (net.params, [str(size) for size in net.output_shape]) == (count(expected), ["L", "2"])


@pytest.mark.parametrize(
    ("op", "attributes", "gates", "message"),
    [
        ("LSTM", {"clip": 5.0}, 4, r"\(LSTM\): .*`clip` has no torch argument"),
        ("LSTM", {"input_forget": 1}, 4, r"`input_forget` = 1 .* is not torch's LSTM"),
        ("LSTM", {"direction": "reverse"}, 4, r"`direction` = 'reverse' has no torch argument"),
        ("GRU", {}, 3, r"\(GRU\): torch's GRU applies the reset gate after"),
        ("RNN", {"activations": ["Sigmoid"]}, 1, r"torch's RNN is tanh or relu"),
        ("LSTM", {}, 3, r"`W` has shape \[1, 6, 3\], where ONNX's layout is \[1, 8, 3\]"),
    ],
)
def test_onnx_attributes_no_torch_module_writes_are_refused(
    op: str, attributes: dict[str, Any], gates: int, message: str
) -> None:
    with pytest.raises(symcnn.SpecError, match=message):
        from_onnx(handmade(op, attributes, gates))


def test_an_attention_op_is_refused_by_name() -> None:
    node = helper.make_node("Attention", ["x", "x", "x"], ["y"], name="/attn/Attention")
    graph = helper.make_graph(
        [node],
        "attention",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, "L", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 2, "L", 4])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)])
    with pytest.raises(symcnn.SpecError, match=r"node '/attn/Attention' \(Attention\): attention"):
        from_onnx(model)


SEQUENCE_SPECS = {
    "lstm_course.yaml": EXAMPLES / "lstm_course.yaml",
    "stacked time first": {
        "input": [6, 5],
        "layers": [
            {"type": "GRU", "hidden_size": 4, "num_layers": 2, "bidirectional": True},
            {"type": "RNN", "hidden_size": 3, "nonlinearity": "relu"},
            {"type": "Linear", "out_features": 2},
        ],
    },
}


@pytest.mark.parametrize("name", sorted(SEQUENCE_SPECS))
def test_a_sequence_spec_round_trips_through_onnx(name: str) -> None:
    net = symcnn.load(SEQUENCE_SPECS[name])
    back = from_onnx(to_onnx(net))
    assert (back.params, back.buffers, back.output_shape) == (
        net.params,
        net.buffers,
        net.output_shape,
    )
    assert [row.type for row in back.rows if row.params] == [
        row.type for row in net.rows if row.params
    ]


def test_the_cli_exports_and_imports_the_lstm_example(tmp_path: Path) -> None:
    path, spec = tmp_path / "lstm.onnx", tmp_path / "lstm.yaml"
    example = EXAMPLES / "lstm_course.yaml"
    assert main(["export", str(example), "--to", "onnx", "-o", str(path)]) == 0
    assert main(["import", str(path), "-o", str(spec)]) == 0
    net, again = symcnn.load(example), symcnn.load(spec)
    assert (
        (again.params, again.output_shape)
        == (net.params, net.output_shape)
        == (
            4458496,
            (10, 256),
        )
    )
    assert again["lstm"].layer.batch_first


def test_the_transformer_example_exports_and_its_attention_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "encoder.onnx"
    spec = str(EXAMPLES / "transformer_encoder.yaml")
    assert main(["export", spec, "--to", "onnx", "-o", str(path), "--set", "L=4"]) == 0
    graph = onnx.load(str(path))
    held = sum(math.prod(init.dims) for init in graph.graph.initializer)
    assert held == symcnn.load(spec).params  # every weight, none folded away
    with pytest.raises(
        symcnn.SpecError, match=r"node '[^']*self_attn/MatMul_1' \(MatMul\): attention"
    ):
        from_onnx(graph)
