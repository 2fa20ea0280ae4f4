"""``symcnn.to_torch`` and ``symcnn export --to torch``: a spec built as a PyTorch module.

Every example that is numeric, or given values, must build a module whose parameters, buffers
and output shape (run on the ``meta`` device) equal symcnn's, with every layer registered under
its row's name; the written source, executed, must give the same module; HWC specs take torch's
NCHW batch; hypothesis draws random specs with merges and axis moves in either layout (the
import tests build random torch DAGs back through ``to_torch`` too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import symcnn
from symcnn.cli import main
from symcnn.interop import from_torch, to_torch, torch_source

torch.set_num_threads(1)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

#: values for the symbolic examples, so that every example is built
VALUES: dict[str, dict[str, int]] = {
    "lstm_budget.yaml": {"h": 16},
    "resnet_stage.yaml": {"H": 56, "W": 56, "L": 2},
    "seed_question.yaml": {"bias": 1},
    "solve_budget.yaml": {"k1": 8},
    "solve_filters.yaml": {"k": 8},
    "solve_kernel.yaml": {"f": 3},
    "solve_padding.yaml": {"H": 32, "W": 32, "f": 3, "z": 1},
    "solve_pairs.yaml": {"f": 3, "k": 4},
    "solve_receptive.yaml": {"k": 7},
    "solve_small_kernels.yaml": {"k": 4},
    "solve_strided.yaml": {"H": 33},
    "symbolic.yaml": {"H": 32, "W": 32, "k1": 8, "k2": 16},
    "transformer_budget.yaml": {"L": 7, "w": 64},
    "transformer_encoder.yaml": {"L": 7},
}
#: rows that read a sequence (L, features): the exported module takes (N, L, features) in
#: either layout
SEQUENCE = ("RNN", "LSTM", "GRU", "MultiheadAttention", "Embedding", "EmbeddingBag")
#: the examples in PyTorch's convention (a Keras-convention one counts Keras's parameters, which
#: a torch module does not have; tests/test_keras_sequence.py compares those with Keras)
SPECS = sorted(
    path.name
    for path in EXAMPLES.glob("*.yaml")
    if "\nconvention: keras" not in path.read_text(encoding="utf-8")
)


def count(tensors: Any) -> int:
    return sum(tensor.numel() for tensor in tensors)


def nchw(shape: tuple[Any, ...], layout: str) -> tuple[int, ...]:
    sizes = tuple(int(size) for size in shape)
    return (sizes[-1], *sizes[:-1]) if layout == "HWC" and len(sizes) > 1 else sizes


def built(name: str) -> symcnn.Network:
    return symcnn.load(EXAMPLES / name, values=VALUES.get(name))


def run(module: nn.Module, shape: tuple[int, ...], tokens: bool = False) -> tuple[int, ...]:
    dtype = torch.long if tokens else None
    with torch.no_grad():
        x = torch.zeros(2, *shape, device="meta", dtype=dtype)
        return tuple(module.eval()(x).shape[1:])


def torch_layout(net: symcnn.Network) -> str:
    return "CHW" if any(row.type in SEQUENCE for row in net.rows) else net.layout


def test_every_example_is_covered() -> None:
    for name in SPECS:
        assert not symcnn.load(EXAMPLES / name).symbols or name in VALUES, name


@pytest.mark.parametrize("name", SPECS)
def test_every_example_builds_a_module_with_symcnns_counts_and_shapes(name: str) -> None:
    net = built(name)
    with torch.device("meta"):
        module = to_torch(net)
    assert count(module.parameters()) == net.params
    assert count(module.buffers()) == net.buffers
    layout, tokens = torch_layout(net), net.rows[0].type.startswith("Embedding")
    shape = nchw(net.input_shape, layout)
    assert run(module, shape, tokens) == nchw(net.output_shape, layout)
    modules = dict(module.named_modules())
    for row in net.rows:
        if row.shares is None and row.type not in (
            "Add",
            "Mul",
            "Cat",
            "Permute",
            "Transpose",
            "Reshape",
            "Select",
            "Parameter",
        ):
            own = modules[row.name]
            assert (count(own.parameters()), count(own.buffers())) == (row.params, row.buffers)


@pytest.mark.parametrize(
    "name", ["resnet18.yaml", "lenet5.yaml", "shared_weights_exam.yaml", "googlenet.yaml"]
)
def test_the_written_source_runs_as_written_and_gives_the_same_module(
    name: str, tmp_path: Path
) -> None:
    net = built(name)
    out = tmp_path / "model.py"
    assert main(["export", str(EXAMPLES / name), "--to", "torch", "-o", str(out)]) == 0
    source = out.read_text(encoding="utf-8")
    assert source == torch_source(net)
    namespace: dict[str, Any] = {}
    with torch.device("meta"):
        exec(compile(source, str(out), "exec"), namespace)
        written = namespace["build"]()
        module = to_torch(net)
    shapes = {key: tuple(value.shape) for key, value in written.state_dict().items()}
    assert shapes == {key: tuple(value.shape) for key, value in module.state_dict().items()}
    assert "class " in source and "def forward(self, " in source


def test_shared_weights_are_one_module_called_twice() -> None:
    source = torch_source(built("shared_weights_exam.yaml"))
    assert source.count("self.conv3(x)") == 2 and "conv5" not in source.split("def forward")[0]


def test_export_with_values_and_the_import_round_trip(capsys: Any) -> None:
    spec = str(EXAMPLES / "symbolic.yaml")
    values = ["--set", "H=32", "--set", "W=32", "--set", "k1=8", "--set", "k2=16"]
    assert main(["export", spec, *values]) == 0
    namespace: dict[str, Any] = {}
    exec(capsys.readouterr().out, namespace)
    module = namespace["build"]()
    net = built("symbolic.yaml")
    back = from_torch(module, list(nchw(net.input_shape, net.layout)))
    assert (back.params, back.output_shape) == (net.params, nchw(net.output_shape, net.layout))


def test_a_symbolic_spec_without_values_is_refused_in_one_line(capsys: Any) -> None:
    with pytest.raises(symcnn.SpecError, match="give H, W, k1, k2 values"):
        to_torch(symcnn.load(EXAMPLES / "symbolic.yaml"))
    assert main(["export", str(EXAMPLES / "solve_kernel.yaml")]) == 2
    assert "give f a value" in capsys.readouterr().err
    stage = symcnn.load(EXAMPLES / "resnet_stage.yaml", values={"H": 56, "W": 56})
    with pytest.raises(symcnn.SpecError, match="give L a value"):
        to_torch(stage)


HWC_REFUSED = [
    ({"type": "linear", "out_features": 4}, "Linear acts on the last axis"),
    ({"type": "layernorm"}, "LayerNorm acts on the last axis"),
    ({"type": "flatten", "start_dim": 2}, "a partial Flatten in HWC"),
]


@pytest.mark.parametrize(("layer", "message"), HWC_REFUSED)
def test_hwc_layers_that_would_act_on_another_axis_in_torch_are_refused(
    layer: dict[str, Any], message: str
) -> None:
    net = symcnn.load({"input": [6, 6, 3], "layers": [layer]})
    with pytest.raises(symcnn.SpecError, match=message):
        to_torch(net)


# ----------------------------------------------------------------------------------- hypothesis


HWC_STEPS = st.sampled_from(
    [
        {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1},
        {"type": "batchnorm2d"},
        {"type": "relu"},
        {"type": "maxpool2d", "kernel_size": 2, "ceil_mode": True},
        {"type": "softmax", "dim": -1},
        {"type": "glu", "dim": 1},
        {"type": "permute", "dims": [0, 3, 1, 2]},
        {"type": "transpose", "dim0": 1, "dim1": 3},
        {"type": "upsample", "scale_factor": 2},
        {"type": "cat", "from": [-1, -2]},
        {"type": "add", "from": [-1, -2]},
    ]
)


@settings(max_examples=40, deadline=None)
@given(
    steps=st.lists(HWC_STEPS, min_size=1, max_size=5),
    layout=st.sampled_from(["HWC", "CHW"]),
    size=st.integers(2, 6),
    flatten=st.booleans(),
)
def test_random_specs_in_either_layout_build_modules_with_the_same_counts_and_shapes(
    steps: list[dict[str, Any]], layout: str, size: int, flatten: bool
) -> None:
    shape = [size, size + 1, 2] if layout == "HWC" else [2, size, size + 1]
    layers = (
        [*steps, {"type": "flatten"}, {"type": "linear", "out_features": 3}] if flatten else steps
    )
    try:
        net = symcnn.load({"input": shape, "layout": layout, "layers": layers})
    except symcnn.SymcnnError:
        return
    with torch.device("meta"):
        module = to_torch(net)
    assert (count(module.parameters()), count(module.buffers())) == (net.params, net.buffers)
    assert run(module, nchw(net.input_shape, layout)) == nchw(net.output_shape, layout)


def test_a_spec_name_cannot_write_code_into_the_exported_source() -> None:
    """The network's name is a docstring literal: quotes in it stay text, nothing runs."""
    name = 'x"""\nraise SystemExit("ran")\n"""'
    net = symcnn.load(
        {"name": name, "input": [4], "layers": [{"type": "linear", "out_features": 2}]}
    )
    module = to_torch(net)
    assert type(module).__doc__ == f"{name}, as symcnn read it."
    assert count(module.parameters()) == net.params
    with pytest.raises(symcnn.SpecError, match="not a Python identifier"):
        to_torch(net, class_name="a b")
