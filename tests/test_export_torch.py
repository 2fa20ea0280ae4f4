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
from symcnn.interop.torch_export import torch_input_shape, torch_output_shape

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
    assert_state_dict_keys_are_rows(net, module)


def assert_state_dict_keys_are_rows(net: symcnn.Network, module: nn.Module) -> None:
    """Every tensor of the module sits under one row's name (the longest that prefixes its
    key; a Parameter row's key is its name), and each row owns exactly its parameters and
    buffers."""
    owned: dict[str, int] = {}
    names = sorted((row.name for row in net.rows), key=len, reverse=True)
    for key, tensor in module.state_dict().items():
        owner = next((name for name in names if f"{key}.".startswith(f"{name}.")), None)
        assert owner is not None, key
        owned[owner] = owned.get(owner, 0) + tensor.numel()
    for row in net.rows:
        assert owned.get(row.name, 0) == row.params + row.buffers, row.name


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


#: HWC specs whose layers read the last axis, with one example's input and output as the
#: exported module takes and returns them: channels first, except a sequence (L, features) and
#: what Linear, LayerNorm or a partial Flatten leave in the spec's order
HWC_MIXED = [
    (
        [8, 8, 3],
        [
            {"type": "conv2d", "out_channels": 4, "kernel_size": 3},
            {"type": "flatten"},
            {"type": "linear", "out_features": 5},
        ],
        (3, 8, 8),
        (5,),
    ),
    (
        [16, 3],
        [
            {"type": "conv1d", "out_channels": 4, "kernel_size": 3},
            {"type": "lstm", "hidden_size": 6},
            {"type": "linear", "out_features": 5},
        ],
        (3, 16),
        (14, 5),
    ),
    (
        [16, 3],
        [
            {"type": "lstm", "hidden_size": 6},
            {"type": "conv1d", "out_channels": 4, "kernel_size": 3},
            {"type": "relu"},
            {"type": "gru", "hidden_size": 2},
        ],
        (16, 3),
        (14, 2),
    ),
    ([6, 6, 3], [{"type": "linear", "out_features": 4}], (3, 6, 6), (6, 6, 4)),
    (
        [6, 6, 3],
        [{"type": "layernorm"}, {"type": "conv2d", "out_channels": 2, "kernel_size": 3}],
        (3, 6, 6),
        (2, 4, 4),
    ),
    ([6, 5, 3], [{"type": "flatten", "start_dim": 2}], (3, 6, 5), (6, 15)),
]


@pytest.mark.parametrize(("shape", "layers", "torch_in", "torch_out"), HWC_MIXED)
def test_hwc_specs_reading_the_last_axis_take_channels_first_and_count_as_symcnn(
    shape: list[int],
    layers: list[dict[str, Any]],
    torch_in: tuple[int, ...],
    torch_out: tuple[int, ...],
) -> None:
    net = symcnn.load({"input": shape, "layout": "HWC", "layers": layers})
    with torch.device("meta"):
        module = to_torch(net)
    assert (count(module.parameters()), count(module.buffers())) == (net.params, net.buffers)
    for row in net.rows:
        own = dict(module.named_modules())[row.name]
        assert count(own.parameters()) == row.params, row.name
    assert (torch_input_shape(net), torch_output_shape(net)) == (torch_in, torch_out)
    assert run(module, torch_in) == torch_out


def test_an_hwc_linear_reads_the_channels_as_symcnn_does() -> None:
    """Linear on an HWC example mixes the channels of each pixel: the module gives the same
    numbers as the layer applied to the spec's (H, W, C) tensor, whose channels the module
    takes first."""
    linear_layer = {"type": "linear", "out_features": 2}
    net = symcnn.load({"input": [4, 5, 3], "layout": "HWC", "layers": [linear_layer]})
    module = to_torch(net)
    spec_tensor = torch.randn(2, 4, 5, 3)
    linear = dict(module.named_modules())["Linear-1"]
    out = module(spec_tensor.movedim(-1, 1))
    assert torch_output_shape(net) == (4, 5, 2)  # Linear leaves the spec's order
    assert torch.allclose(out, linear(spec_tensor))


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


# ----------------------------------------------------------------------------------- blocks


def test_blocks_are_classes_and_a_repeat_is_a_sequential_of_them() -> None:
    net = built("resnet18.yaml")
    source = torch_source(net)
    assert "class Basic(nn.Module):" in source and "class BasicDown(nn.Module):" in source
    assert "nn.ModuleDict({\n            'conv1'" not in source  # no block is written inline
    module = to_torch(net)
    assert isinstance(module.layer1, nn.Sequential) and len(module.layer1) == 2
    kinds = {name: type(module.get_submodule(name)).__name__ for name in ("layer1.0", "layer2.0")}
    assert kinds == {"layer1.0": "Basic", "layer2.0": "BasicDown"}
    # the channels differ between the uses of a block: they are the class's parameter
    assert module.get_submodule("layer4.1.conv2").in_channels == 512
    assert (
        source.count("Basic(in_channels=") == 5 and "def __init__(self, in_channels: int)" in source
    )


SHARED_BLOCK = {
    "input": [3, 8, 8],
    "layout": "CHW",
    "blocks": {
        "unit": {
            "args": {"width": None},
            "layers": [
                {
                    "type": "conv2d",
                    "name": "conv",
                    "out_channels": "width",
                    "kernel_size": 3,
                    "padding": 1,
                },
                {"type": "relu"},
            ],
        }
    },
    "layers": [
        {"type": "conv2d", "name": "stem", "out_channels": 4, "kernel_size": 1},
        {"block": "unit", "name": "b", "width": 4},
        {"shares": "b", "name": "again"},
        {"shares": "b.conv", "name": "conv_again"},
    ],
}


def test_a_block_applied_again_is_its_module_called_twice() -> None:
    net = symcnn.load(SHARED_BLOCK)
    source = torch_source(net)
    assert source.count("self.b(x)") == 2 and "again" not in source.split("def forward")[1][:0]
    assert "self.get_submodule('b.conv')(x)" in source
    module = to_torch(net)
    assert count(module.parameters()) == net.params
    assert run(module.to("meta"), (3, 8, 8)) == (4, 8, 8)
    assert_state_dict_keys_are_rows(net, module)


def test_class_names_are_unique_identifiers_from_the_block_names() -> None:
    layers = [{"type": "relu"}]
    blocks = {name: {"layers": layers} for name in ("basic", "Basic", "1x1", "class", "build")}
    uses = [{"block": name, "name": f"use{i}"} for i, name in enumerate(blocks)]
    net = symcnn.load({"name": "Basic", "input": [4], "blocks": blocks, "layers": uses})
    source = torch_source(net)
    names = [line[6:].split("(")[0] for line in source.splitlines() if line.startswith("class ")]
    assert names == ["Basic2", "Basic3", "Block1x1", "Class", "Build", "Basic"]
    assert all(name.isidentifier() for name in names)
    assert count(to_torch(net).parameters()) == 0


@st.composite
def block_specs(draw: Any) -> dict[str, Any]:
    """A spec of uses of two blocks (one inside the other), with residual projections,
    numeric repeats, and a block applied again."""
    norm = draw(st.booleans())
    unit_layers: list[dict[str, Any]] = [
        {
            "type": "conv2d",
            "name": "conv",
            "out_channels": "width",
            "kernel_size": 3,
            "padding": 1,
            "stride": "stride",
        },
        *([{"type": "batchnorm2d", "name": "bn"}] if norm else []),
        {"type": "relu", "name": "act"},
    ]
    if draw(st.booleans()):
        unit_layers += [
            {
                "type": "conv2d",
                "name": "proj.0",
                "from": "input",
                "out_channels": "width",
                "kernel_size": 1,
                "stride": "stride",
            },
            {"type": "add", "from": ["act", "proj.0"]},
        ]
    blocks = {
        "unit": {"args": {"width": None, "stride": 1}, "layers": unit_layers},
        "pair": {
            "args": {"width": None},
            "layers": [
                {"block": "unit", "name": "first", "width": "width", "stride": 2},
                {"block": "unit", "name": "second", "width": "width"},
            ],
        },
    }
    uses: list[dict[str, Any]] = []
    for index in range(draw(st.integers(1, 4))):
        width = draw(st.integers(1, 4))
        kind = draw(st.sampled_from(["unit", "pair", "repeat", "shares"]))
        if kind == "shares" and uses:
            uses.append(
                {
                    "shares": draw(st.sampled_from([use["name"] for use in uses if "name" in use])),
                    "name": f"s{index}",
                }
            )
        elif kind == "pair":
            uses.append({"block": "pair", "name": f"p{index}", "width": width})
        else:
            repeat = {"repeat": draw(st.integers(1, 3))} if kind == "repeat" else {}
            uses.append({"block": "unit", "name": f"u{index}", "width": width, **repeat})
    layout = draw(st.sampled_from(["CHW", "HWC"]))
    size = draw(st.integers(4, 9))
    shape = [2, size, size] if layout == "CHW" else [size, size, 2]
    tail = (
        [{"type": "flatten"}, {"type": "linear", "out_features": 3}] if draw(st.booleans()) else []
    )
    return {"input": shape, "layout": layout, "blocks": blocks, "layers": [*uses, *tail]}


@settings(max_examples=30, deadline=None)
@given(spec=block_specs())
def test_random_specs_with_blocks_export_classes_with_symcnns_counts_names_and_shapes(
    spec: dict[str, Any],
) -> None:
    try:
        net = symcnn.load(spec)
    except symcnn.SymcnnError:
        return  # a use applied again to an input of another shape
    source = torch_source(net)
    with torch.device("meta"):
        module = to_torch(net)
    assert (count(module.parameters()), count(module.buffers())) == (net.params, net.buffers)
    assert run(module, torch_input_shape(net)) == torch_output_shape(net)
    assert torch_output_shape(net) == nchw(net.output_shape, net.layout)
    assert_state_dict_keys_are_rows(net, module)
    for group in net.groups:
        if group.shares is None and group.block in ("unit", "pair"):
            assert type(module.get_submodule(group.name)).__name__.startswith(group.block.title())
    modules = dict(module.named_modules())
    for group in net.groups:
        if group.shares is not None:  # applied again: the first use's module, called again
            assert group.name not in modules
            assert group.depth > 0 or f"= self.{group.shares}(" in source
