"""``symcnn.from_onnx``, ``symcnn.to_onnx``, ``symcnn import MODEL.onnx`` and ``symcnn export
--to onnx``: torch modules exported with ``torch.onnx.export`` (TorchScript exporter, dynamic
batch and image size, training mode so that BatchNorm stays a node) must import with torch's
parameters, buffers and output shapes; the symbolic import evaluated at a size equals the numeric
one; the rows carry torch's module names; what symcnn cannot map is refused by node and op.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import onnx
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from zoo_models import ZOO

import symcnn
from symcnn.cli import main
from symcnn.interop import from_onnx, from_torch, to_onnx

torch.set_num_threads(1)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
#: the zoo models exported with symbolic N, H, W, and the size their numeric import is read at
IMAGES = {
    "resnet18.yaml": 224,
    "mobilenet_v2.yaml": 224,
    "unet.yaml": 256,
    "se_block.yaml": 224,
}


def count(tensors: Any) -> int:
    return sum(tensor.numel() for tensor in tensors)


def export(model: nn.Module, shape: list[int], axes: dict[int, str] | None = None) -> Any:
    """The ONNX model of ``model`` for a batch of ``shape``, ``axes`` named (dynamic)."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (torch.zeros(2, *shape),),
            buffer,
            dynamo=False,
            training=torch.onnx.TrainingMode.TRAINING,
            do_constant_folding=False,
            input_names=["x"],
            output_names=["y"],
            dynamic_axes={"x": {0: "N", **(axes or {})}},
        )
    return onnx.load_from_string(buffer.getvalue())


def torch_output(model: nn.Module, shape: list[int]) -> tuple[int, ...]:
    with torch.no_grad():
        return tuple(model.eval()(torch.zeros(2, *shape)).shape[1:])


@pytest.fixture(scope="module", params=sorted(IMAGES))
def zoo(request: pytest.FixtureRequest) -> tuple[str, nn.Module, Any]:
    name = request.param
    torch.manual_seed(0)
    model = ZOO[name]()
    size = IMAGES[name]
    return name, model, export(model, [3, size, size], {2: "H", 3: "W"})


def test_zoo_models_import_with_torchs_counts_and_symbolic_sizes(
    zoo: tuple[str, nn.Module, Any],
) -> None:
    name, model, graph = zoo
    size = IMAGES[name]
    net = from_onnx(graph)
    assert [str(axis) for axis in net.input_shape] == ["3", "H", "W"]
    assert net.params == count(model.parameters())
    assert net.buffers == count(model.buffers())
    numeric = net.subs({"H": size, "W": size})
    assert numeric.output_shape == torch_output(model, [3, size, size])
    torch_net = from_torch(model, [3, size, size])
    assert (numeric.params, numeric.buffers) == (torch_net.params, torch_net.buffers)
    assert numeric.output_shape == torch_net.output_shape
    # a module with weights is the row of its torch name, with its own counts
    rows = {row.name: row for row in net.rows}
    for module_name, module in model.named_modules():
        own = count(module.parameters(recurse=False)) + count(module.buffers(recurse=False))
        if own and not list(module.children()):
            assert module_name in rows, module_name
            row = rows[module_name]
            assert (row.params, row.buffers) == (
                count(module.parameters()),
                count(module.buffers()),
            ), module_name


def test_a_graph_spec_round_trips_through_load(zoo: tuple[str, nn.Module, Any]) -> None:
    _, _, graph = zoo
    net = from_onnx(graph)
    again = symcnn.load(net.to_spec())
    assert (again.params, again.buffers, again.output_shape) == (
        net.params,
        net.buffers,
        net.output_shape,
    )


class Ops(nn.Module):
    """One op (or a few) that the exporter writes as the ONNX ops symcnn maps."""

    def __init__(self, forward: Any, **modules: nn.Module) -> None:
        super().__init__()
        self.step = forward
        for key, module in modules.items():
            self.add_module(key, module)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.step(self, x)


class Embedded(nn.Module):
    """A position embedding added to a sequence (an initializer in an Add: a Parameter row)."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(4, 6)
        self.pos = nn.Parameter(torch.zeros(1, 5, 6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x) + self.pos


OPS: dict[str, tuple[nn.Module, list[int]]] = {
    "gemm": (nn.Sequential(nn.Flatten(), nn.Linear(48, 7), nn.LeakyReLU(0.2)), [3, 4, 4]),
    "matmul_add": (nn.Sequential(nn.Linear(4, 6), nn.GELU(), nn.Linear(6, 3, bias=False)), [5, 4]),
    "concat": (
        Ops(lambda m, x: torch.cat([m.a(x), x], 1), a=nn.Conv2d(3, 5, 3, padding=1)),
        [3, 8, 8],
    ),
    "reshape": (Ops(lambda m, x: m.fc(x.view(x.size(0), -1)), fc=nn.Linear(48, 2)), [3, 4, 4]),
    "reshape_shape": (Ops(lambda m, x: x.reshape(x.size(0), 6, 8)), [3, 4, 4]),
    "transpose": (Ops(lambda m, x: x.permute(0, 2, 3, 1)), [3, 4, 5]),
    "pad": (Ops(lambda m, x: F.pad(x, (1, 2, 0, 3))), [3, 4, 4]),
    "reflect": (nn.Sequential(nn.ReflectionPad2d((1, 1, 2, 0))), [3, 6, 6]),
    "nearest": (Ops(lambda m, x: F.interpolate(x, scale_factor=2)), [3, 4, 4]),
    "bilinear": (nn.Sequential(nn.Upsample(scale_factor=3, mode="bilinear")), [3, 4, 4]),
    "pools": (
        nn.Sequential(nn.AvgPool2d(3, 2, 1), nn.MaxPool2d(2, ceil_mode=True), nn.Hardswish()),
        [3, 9, 9],
    ),
    "transposed": (
        nn.Sequential(nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=1), nn.Softmax(1)),
        [3, 5, 5],
    ),
    "grouped": (
        nn.Sequential(nn.Conv2d(4, 8, 3, groups=2, dilation=2), nn.BatchNorm2d(8)),
        [4, 9, 9],
    ),
    "batchnorm1d": (nn.Sequential(nn.Linear(5, 4), nn.BatchNorm1d(4), nn.ReLU6()), [5]),
    "conv1d": (nn.Sequential(nn.Conv1d(2, 3, 3, stride=2), nn.ELU(), nn.Tanh()), [2, 11]),
    "scalars": (Ops(lambda m, x: torch.sigmoid(x * 0.5 + 1)), [3, 4]),
    "parameter": (Embedded(), [5, 4]),
}


@pytest.mark.parametrize("op", sorted(OPS))
def test_ops_import_with_torchs_counts_and_shapes(op: str) -> None:
    model, shape = OPS[op]
    net = from_onnx(export(model, shape))
    assert (net.params, net.buffers) == (count(model.parameters()), count(model.buffers()))
    assert net.output_shape == torch_output(model, shape)


def test_symbolic_dims_of_any_name_become_symbols() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2), nn.ReLU())
    net = from_onnx(export(model, [3, 9, 9], {2: "height", 3: "width-px"}))
    assert [str(axis) for axis in net.input_shape] == ["3", "height", "width_px"]
    assert net.subs({"height": 9, "width_px": 9}).output_shape == torch_output(model, [3, 9, 9])


def test_the_cli_imports_an_onnx_file_and_exports_one(tmp_path: Path) -> None:
    path = tmp_path / "model.onnx"
    spec = tmp_path / "model.yaml"
    net = symcnn.load(EXAMPLES / "resnet18.yaml")
    assert main(["export", str(EXAMPLES / "resnet18.yaml"), "--to", "onnx", "-o", str(path)]) == 0
    assert main(["import", str(path), "-o", str(spec)]) == 0
    again = symcnn.load(spec)
    assert (again.params, again.buffers, again.output_shape) == (
        net.params,
        net.buffers,
        net.output_shape,
    )


@pytest.mark.parametrize("name", ["lenet5.yaml", "se_block.yaml", "lstm_course.yaml"])
def test_to_onnx_of_an_example_reads_back_with_its_counts(name: str) -> None:
    net = symcnn.load(EXAMPLES / name)
    back = from_onnx(to_onnx(net))
    assert (back.params, back.buffers, back.output_shape) == (
        net.params,
        net.buffers,
        net.output_shape,
    )


class Summed(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.sum(1)


class Difference(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x - torch.relu(x)


REFUSED = [
    (Summed(), [3, 4], r"node '/ReduceSum' \(ReduceSum\): symcnn has no layer for this ONNX op"),
    (Difference(), [3, 4], r"node '/Sub' \(Sub\): subtracting or dividing two tensors"),
    (Ops(lambda m, x: x.view(4, -1)), [3, 4], r"\(Reshape\): the first size .* must be the batch"),
    (nn.Sequential(nn.Conv2d(3, 4, 3, padding="same")), [3, 6, 6], None),
]


@pytest.mark.parametrize(("model", "shape", "message"), REFUSED, ids=lambda v: type(v).__name__)
def test_what_symcnn_cannot_map_is_refused_by_node_and_op(
    model: nn.Module, shape: list[int], message: str | None
) -> None:
    graph = export(model, shape)
    if message is None:  # torch writes `same` padding out explicitly: it imports
        assert from_onnx(graph).output_shape == torch_output(model, shape)
        return
    with pytest.raises(symcnn.SpecError, match=message):
        from_onnx(graph)


def test_bad_files_and_cli_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(symcnn.SpecError, match="no such ONNX file"):
        from_onnx(tmp_path / "missing.onnx")
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x00not a model\xff" * 3)
    with pytest.raises(symcnn.SpecError, match="is not an ONNX model"):
        from_onnx(junk)
    with pytest.raises(symcnn.SpecError, match=r"needs a path or an onnx\.ModelProto"):
        from_onnx(42)
    spec = str(EXAMPLES / "lenet5.yaml")
    assert main(["export", spec, "--to", "onnx"]) != 0
    assert main(["import", str(junk), "--input", "3,4,4"]) != 0
