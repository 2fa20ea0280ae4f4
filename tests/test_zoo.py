"""The model zoo in ``examples/`` agrees with PyTorch, row by row.

Each graph example (ResNet-18/50, DenseNet-121, MobileNetV2, GoogLeNet, ConvNeXt-T and ViT-B/16
from torchvision, a U-Net, a squeeze-and-excitation block, the shared-weights exam network, a ResNet
stage of symbolic depth) has a hand-built PyTorch reference in ``zoo_models.py`` with
torchvision's module names. The references' counts are checked against torchvision's published
ones (and the exam's against hand arithmetic); then symcnn's totals against the references', and
every symcnn row named like a leaf module against that module: its own parameters and buffers,
and the output shape a forward hook records for one example; every bare ``nn.Parameter`` against
the row of its name. The references run on the ``meta`` device: shapes without arithmetic, so
even the U-Net at 256x256 costs nothing.

A ``MultiheadAttention`` is one row, as a leaf: it runs its ``out_proj`` as a function, never as
a module. A numeric ``repeat`` numbers its copies ``0``, ``1``…, where torchvision's ViT names its
encoder blocks ``encoder_layer_0``…: ``ROW_NAMES`` maps such names to the rows'.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import sympy
import torch
import yaml
from torch import nn
from zoo_models import (
    PUBLISHED_PARAMS,
    VIT_B_16_PARAMS,
    ZOO,
    ResNetStage,
    SharedWeightsExam,
    UNet,
    VisionTransformer,
    vit_b_16,
)

import symcnn
from symcnn.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

#: the zoo's examples with a fixed architecture (the ResNet stage is symbolic: tested on its own)
ZOO_SPECS = sorted(ZOO)
STAGE = EXAMPLES / "resnet_stage.yaml"

#: modules that are one row although they have children (MultiheadAttention's out_proj is a
#: parameter holder: the forward pass uses its weight in a function, never calls it)
LEAF_MODULES = (nn.MultiheadAttention,)
#: a torch module's name as the spec's row name, where they differ
ROW_NAMES: dict[str, Callable[[str], str]] = {
    "vit_b_16.yaml": lambda name: re.sub(r"\bencoder_layer_(\d+)\b", r"\1", name),
}


def same_name(name: str) -> str:
    return name


#: one BasicBlock of 64 channels: two 3x3 convolutions without bias and two BatchNorms
BLOCK_PARAMS = 2 * (3 * 3 * 64 * 64) + 2 * (2 * 64)  # 73,984
BLOCK_BUFFERS = 2 * (2 * 64 + 1)  # 258


# ----------------------------------------------------------------------------------- the harness


@cache
def load(name: str) -> symcnn.Network:
    return symcnn.load(EXAMPLES / name)


def spec_of(name: str) -> dict[str, Any]:
    with (EXAMPLES / name).open(encoding="utf-8") as stream:
        spec: dict[str, Any] = yaml.safe_load(stream)
    return spec


def to_chw(shape: tuple[Any, ...], layout: str) -> tuple[int, ...]:
    """One example's shape in PyTorch's order (channels first)."""
    sizes = tuple(int(size) for size in shape)
    if layout == "HWC" and len(sizes) > 1:
        return (sizes[-1], *sizes[:-1])
    return sizes


def count(tensors: Any) -> int:
    return sum(tensor.numel() for tensor in tensors)


def run_reference(model: nn.Module, input_chw: tuple[int, ...]) -> dict[str, list[tuple[int, ...]]]:
    """The output shapes (batch axis dropped) each leaf module produces for one example, in call
    order (a module used twice, like ResNet's ``relu``, records twice)."""
    records: dict[str, list[tuple[int, ...]]] = {}
    handles = []
    for name, module in leaves(model).items():

        def hook(_module: nn.Module, _args: Any, output: Any, name: str = name) -> None:
            if isinstance(output, tuple):  # MultiheadAttention: (output, weights)
                output = output[0]
            records.setdefault(name, []).append(tuple(output.shape[1:]))

        handles.append(module.register_forward_hook(hook))
    with torch.no_grad():
        model.eval()(torch.zeros(1, *input_chw, device="meta"))
    for handle in handles:
        handle.remove()
    return records


@cache
def reference(name: str) -> tuple[nn.Module, dict[str, list[tuple[int, ...]]]]:
    spec = spec_of(name)
    with torch.device("meta"):
        model = ZOO[name]()
    return model, run_reference(model, to_chw(tuple(spec["input"]), spec.get("layout", "HWC")))


def leaves(model: nn.Module) -> dict[str, nn.Module]:
    """The modules a row stands for: those without children, and the ``LEAF_MODULES``, whose
    children are not rows."""
    found: dict[str, nn.Module] = {}
    inside: list[str] = []
    for name, module in model.named_modules():
        if not name or any(name.startswith(prefix) for prefix in inside):
            continue
        if isinstance(module, LEAF_MODULES):
            inside.append(name + ".")
            found[name] = module
        elif not any(True for _ in module.children()):
            found[name] = module
    return found


def compare_rows(
    net: symcnn.Network,
    model: nn.Module,
    records: dict[str, list[tuple[int, ...]]],
    layout: str,
    row_name: Callable[[str], str] = same_name,
) -> None:
    """Every leaf module is a row of the same name, with the module's own parameters and buffers
    and the output shape of the module's first call — or a block use of that name, when the spec
    writes the module's forward as layers (torchvision's LayerNorm2d: permute, normalize,
    permute back). Every bare ``nn.Parameter`` (a parameter of a module that is not a leaf, such
    as ConvNeXt's ``layer_scale``) is a row of its name, of its size and of its shape, or its
    shape without a leading batch axis of 1 (ViT's class token ``[1, 1, E]``, which torchvision
    expands over the batch, is ``[1, E]``). ``row_name`` gives a module's row name."""
    modules = {row_name(name): module for name, module in leaves(model).items()}
    records = {row_name(name): shapes for name, shapes in records.items()}
    rows = {row.name: row for row in net.summary()}
    groups = {group.name: group for group in net.groups}
    missing = sorted(set(modules) - set(rows) - set(groups))
    assert not missing, f"{len(missing)} torch modules have no row: {missing[:8]}"
    for name, module in modules.items():
        own = (count(module.parameters()), count(module.buffers()))
        if name in rows:
            row = rows[name]
            assert (row.params, row.buffers) == own, name
            output_shape = row.output_shape
        else:
            group = groups[name]
            inner = net.rows[group.start : group.stop]
            assert (sum(r.params for r in inner), sum(r.buffers for r in inner)) == own, name
            output_shape = group.output_shape
        assert to_chw(output_shape, layout) == records[name][0], name
    for torch_name, parameter in model.named_parameters():
        name = row_name(torch_name)
        owner = name.rpartition(".")[0]
        if any(owner == module or owner.startswith(module + ".") for module in modules):
            continue
        assert name in rows, f"the bare parameter {name} has no row"
        assert rows[name].params == parameter.numel(), name
        shape = to_chw(rows[name].output_shape, layout)
        batched = tuple(parameter.shape)
        assert shape in (batched, batched[1:] if batched[:1] == (1,) else batched), name


# ----------------------------------------------------------------------------------- the references


@pytest.mark.parametrize("model", sorted(PUBLISHED_PARAMS))
def test_reference_has_torchvisions_published_count(model: str) -> None:
    reference_model, _ = reference(f"{model}.yaml")
    assert count(reference_model.parameters()) == PUBLISHED_PARAMS[model]


def test_vit_b_16_reference_has_torchvisions_published_count() -> None:
    """ViT-B/16: the patch projection, the class token and position embedding (bare parameters),
    12 encoder blocks and the head add up to torchvision's count, and a forward pass gives the
    1,000 classes."""
    with torch.device("meta"):
        model = vit_b_16()
        output = model(torch.zeros(1, 3, 224, 224))
    assert count(model.parameters()) == VIT_B_16_PARAMS
    assert tuple(output.shape) == (1, 1000)
    conv = (16 * 16 * 3 + 1) * 768
    tokens = 768 + 197 * 768
    attention = 4 * 768 * 768 + 4 * 768
    mlp = (768 + 1) * 3072 + (3072 + 1) * 768
    block = 2 * (2 * 768) + attention + mlp
    assert conv + tokens + 12 * block + 2 * 768 + (768 + 1) * 1000 == VIT_B_16_PARAMS
    # a spec writes them without the batch axis: [1, 768] and [197, 768], as many elements
    assert tuple(model.class_token.shape) == (1, 1, 768)
    assert tuple(model.encoder.pos_embedding.shape) == (1, 197, 768)


def test_reference_counts_by_hand() -> None:
    # the exam: four distinct 3x3 convolutions of 20 filters, the fifth shares the third's weights
    convolutions = (3 * 3 * 4 + 1) * 20 + 3 * (3 * 3 * 20 + 1) * 20
    assert convolutions == 740 + 3 * 3_620 == 11_600
    for padding, side, total in ((0, 110, 7_271_940), (1, 120, 8_651_940)):
        assert 120 - 5 * (3 - 1 - 2 * padding) == side
        by_hand = convolutions + (side * side * 20 + 1) * 30 + (30 + 1) * 10
        assert by_hand == total
        with torch.device("meta"):
            assert count(SharedWeightsExam(padding).parameters()) == total
    # the U-Net: 3x3 double convolutions, 2x2 transposed convolutions, a 1x1 head for 2 classes
    double = [(3, 64), (64, 128), (128, 256), (256, 512), (512, 1024)]
    double += [(1024, 512), (512, 256), (256, 128), (128, 64)]
    unet = sum((9 * c_in + 1) * c + (9 * c + 1) * c for c_in, c in double)
    unet += sum((4 * c_in + 1) * c for c_in, c in [(1024, 512), (512, 256), (256, 128), (128, 64)])
    unet += (64 + 1) * 2
    with torch.device("meta"):
        assert count(UNet().parameters()) == unet == 31_031_810
        assert count(ResNetStage(1).parameters()) == BLOCK_PARAMS == 73_984
        assert count(ResNetStage(1).buffers()) == BLOCK_BUFFERS


# ----------------------------------------------------------------------------------- symcnn


@pytest.mark.parametrize("name", ZOO_SPECS)
def test_totals_agree_with_pytorch(name: str) -> None:
    net = load(name)
    model, _ = reference(name)
    assert net.params == count(model.parameters())
    assert net.buffers == count(model.buffers())


@pytest.mark.parametrize("name", ZOO_SPECS)
def test_rows_agree_with_pytorch(name: str) -> None:
    model, records = reference(name)
    layout = spec_of(name).get("layout", "HWC")
    compare_rows(load(name), model, records, layout, ROW_NAMES.get(name, same_name))


@pytest.mark.parametrize("name", ZOO_SPECS)
def test_output_shape_agrees_with_pytorch(name: str) -> None:
    spec = spec_of(name)
    model, _ = reference(name)
    with torch.no_grad():
        output = model(
            torch.zeros(1, *to_chw(tuple(spec["input"]), spec.get("layout", "HWC")), device="meta")
        )
    assert to_chw(load(name).output_shape, spec.get("layout", "HWC")) == tuple(output.shape[1:])


@pytest.mark.parametrize(
    ("name", "total", "side"),
    [
        ("shared_weights_exam.yaml", 7_271_940, 110),
        ("shared_weights_exam_padded.yaml", 8_651_940, 120),
    ],
)
def test_shared_weights_exam(name: str, total: int, side: int) -> None:
    net = load(name)
    assert net.params == total
    assert net["conv5"].params == 0
    assert net["conv5"].output_shape == (side, side, 20)
    assert net["flatten"].output_shape == (side * side * 20,)
    assert net["fc1"].params == side * side * 20 * 30 + 30


def test_padding_one_variant_differs_only_in_padding() -> None:
    valid, padded = spec_of("shared_weights_exam.yaml"), spec_of("shared_weights_exam_padded.yaml")
    for layer in valid["layers"]:
        if layer.get("type") == "conv2d":
            layer["padding"] = 1
    assert valid["layers"] == padded["layers"]
    assert valid["input"] == padded["input"]


def test_se_block_scales_the_features() -> None:
    net = load("se_block.yaml")
    assert net["se.avgpool"].output_shape == (64, 1, 1)
    assert net["se.scale_activation"].output_shape == (64, 1, 1)
    assert net.output_shape == (64, 224, 224)  # [C,1,1] × [C,H,W] broadcasts to [C,H,W]


def merges(net: symcnn.Network, prefix: str) -> list[Any]:
    """The merge rows (add, mul, cat) directly inside the block use ``prefix``."""
    return [
        row
        for row in net.summary()
        if row.name.startswith(prefix)
        and "." not in row.name[len(prefix) :]
        and row.type.lower() in ("add", "mul", "cat", "concat", "concatenate")
    ]


def test_graph_wiring() -> None:
    """The edges, by the rows' ``inputs``: shortcuts and branches take their block's input."""
    resnet = load("resnet18.yaml")
    for stage in (2, 3, 4):
        block = f"layer{stage}.0."
        assert resnet[block + "downsample.0"].inputs == resnet[block + "conv1"].inputs
        (add,) = merges(resnet, block)
        assert add.inputs == (block + "bn2", block + "downsample.1")
    (add,) = merges(resnet, "layer1.1.")
    assert add.inputs == ("layer1.1.bn2", *resnet["layer1.1.conv1"].inputs)

    googlenet = load("googlenet.yaml")
    for name in ("inception3a", "inception4e", "inception5b"):
        branch_input = googlenet[f"{name}.branch1.conv"].inputs
        for first in ("branch2.0.conv", "branch3.0.conv", "branch4.0"):
            assert googlenet[f"{name}.{first}"].inputs == branch_input, (name, first)
        (cat,) = merges(googlenet, f"{name}.")
        # the four branches' last rows, in torchvision's order
        branches = [source.split(".")[1] for source in cat.inputs]
        assert branches == ["branch1", "branch2", "branch3", "branch4"]
        assert cat.output_shape[0] == sum(googlenet[i].output_shape[0] for i in cat.inputs)

    densenet = load("densenet121.yaml")
    (cat,) = merges(densenet, "features.denseblock1.denselayer2.")
    first = densenet["features.denseblock1.denselayer2.norm1"].inputs
    assert cat.inputs == (*first, "features.denseblock1.denselayer2.conv2")
    assert densenet["features.norm5"].output_shape == (1024, 7, 7)

    mobilenet = load("mobilenet_v2.yaml")
    (add,) = merges(mobilenet, "features.3.")
    assert add.inputs == (*mobilenet["features.3.conv.0.0"].inputs, "features.3.conv.3")
    assert merges(mobilenet, "features.2.") == []  # strided: no shortcut

    unet = load("unet.yaml")
    for level in (1, 2, 3, 4):
        skip, up = unet[f"cat{level}"].inputs
        assert skip.startswith(f"enc{level}.") and up == f"up{level}"
        assert unet[f"cat{level}"].output_shape[0] == 2 * unet[f"up{level}"].output_shape[0]

    se = load("se_block.yaml")
    assert se["se.scale"].inputs == ("se.scale_activation", "conv")
    assert load("shared_weights_exam.yaml")["conv5"].inputs == ("conv4",)


def test_convnext_layer_scales_and_a_symbolic_input() -> None:
    """ConvNeXt-T's 18 layer scales are learnable tensors [dim, 1, 1] that read no input and
    scale their block's output; on an H x W input the count does not depend on H or W."""
    convnext = load("convnext_tiny.yaml")
    scales = [row for row in convnext.summary() if row.name.endswith(".layer_scale")]
    assert len(scales) == 3 + 3 + 9 + 3
    assert sum(row.params for row in scales) == 3 * 96 + 3 * 192 + 9 * 384 + 3 * 768
    for row in scales:
        assert row.inputs == () and row.output_shape[1:] == (1, 1)
        block = row.name.removesuffix("layer_scale")
        scale = convnext[block + "scale"]
        assert scale.inputs == (row.name, block + "block.6")
        assert scale.output_shape == convnext[block + "block.0"].output_shape
    spec = spec_of("convnext_tiny.yaml")
    spec["input"] = [3, "H", "W"]
    symbolic = symcnn.load(spec)
    assert {symbol.name for symbol in symbolic.free_symbols} == {"H", "W"}
    assert symbolic.params == PUBLISHED_PARAMS["convnext_tiny"]
    assert symbolic.output_shape == (1000,)
    assert symbolic.subs(H=224, W=224)["features.7.2.scale"].output_shape == (768, 7, 7)
    with torch.device("meta"):
        model = ZOO["convnext_tiny.yaml"]()
    at_256 = symbolic.subs(H=256, W=320)
    compare_rows(at_256, model, run_reference(model, (3, 256, 320)), "CHW")


def symbolic_vit() -> symcnn.Network:
    """ViT-B/16 on a 16·g × 16·h image with n_layers encoder blocks: the position embedding has
    g·h + 1 rows."""
    spec = spec_of("vit_b_16.yaml")
    spec["input"] = [3, "16*g", "16*h"]
    entries = {entry.get("name"): entry for entry in spec["layers"]}
    entries["encoder.pos_embedding"]["shape"] = ["g*h + 1", 768]
    entries["encoder.layers"]["repeat"] = "n_layers"
    return symcnn.load(spec)


def test_vit_b_16_class_token_and_a_symbolic_image() -> None:
    """The class token is prepended to the 196 patches and read back as row 0; on a 16·g × 16·h
    image with n_layers blocks the count is a formula, which at other values is the reference's,
    row by row."""
    vit = load("vit_b_16.yaml")
    assert vit["with_class_token"].inputs == ("class_token", "tokens")
    assert vit["with_class_token"].output_shape == (197, 768)
    assert vit["class_token_output"].output_shape == (768,)
    assert vit["heads.head"].inputs == ("class_token_output",)
    symbolic = symbolic_vit()
    names = stage_symbols(symbolic)
    assert set(names) == {"g", "h", "n_layers"}
    g, h, layers = names["g"], names["h"], names["n_layers"]
    conv = (16 * 16 * 3 + 1) * 768
    block = 2 * (2 * 768) + (4 * 768 * 768 + 4 * 768) + (768 + 1) * 3072 + (3072 + 1) * 768
    tokens = 768 + (g * h + 1) * 768
    by_hand = conv + tokens + layers * block + 2 * 768 + (768 + 1) * 1000
    assert sympy.expand(symbolic.params - by_hand) == 0
    assert symbolic.subs(g=14, h=14, n_layers=12).params == VIT_B_16_PARAMS
    with torch.device("meta"):
        model = VisionTransformer(160, 16, num_layers=2, num_heads=12, hidden_dim=768, mlp_dim=3072)
    at_160 = symbolic.subs(g=10, h=10, n_layers=2)
    assert at_160.params == count(model.parameters())
    records = run_reference(model, (3, 160, 160))
    compare_rows(at_160, model, records, "CHW", ROW_NAMES["vit_b_16.yaml"])


# ------------------------------------------------------------------------------- the ResNet stage


def stage_symbols(net: symcnn.Network) -> dict[str, sympy.Symbol]:
    return {symbol.name: symbol for symbol in net.free_symbols}


def test_stage_totals_are_L_blocks() -> None:
    net = symcnn.load(STAGE)
    symbols = stage_symbols(net)
    assert set(symbols) == {"H", "W", "L"}
    L = symbols["L"]
    assert sympy.expand(net.params - BLOCK_PARAMS * L) == 0
    assert sympy.expand(net.buffers - BLOCK_BUFFERS * L) == 0
    assert tuple(net.output_shape) == (64, symbols["H"], symbols["W"])
    for depth in (1, 2, 3, 5, 8):
        assert net.params.subs(L, depth) == BLOCK_PARAMS * depth


@pytest.mark.parametrize("depth", [1, 2, 3, 5])
def test_stage_at_a_depth_agrees_with_pytorch(depth: int) -> None:
    net = symcnn.load(STAGE).subs(L=depth)
    with torch.device("meta"):
        model = ResNetStage(depth)
    assert net.params == count(model.parameters())
    assert net.buffers == count(model.buffers())
    assert "L" not in {symbol.name for symbol in net.free_symbols}


def test_stage_rows_agree_with_pytorch() -> None:
    net = symcnn.load(STAGE).subs(L=3, H=56, W=56)
    with torch.device("meta"):
        model = ResNetStage(3)
    compare_rows(net, model, run_reference(model, (64, 56, 56)), "CHW")


# ----------------------------------------------------------------------------------- the CLI


@pytest.mark.parametrize("name", [*ZOO_SPECS, STAGE.name])
def test_summary_command(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["summary", str(EXAMPLES / name)]) == 0
    out = capsys.readouterr().out
    assert "Total" in out
    if name in ZOO:
        assert f"{int(load(name).params):,}" in out
