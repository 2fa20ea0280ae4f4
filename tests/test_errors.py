"""Invalid specs: the specific error, and a message naming the layer, the field, the value and why.

Each case is (spec or source, error class, patterns); every pattern must be found in the message
(``re.search``), so a case checks where, what and why separately.
"""

from __future__ import annotations

import re
import subprocess
import sys
from typing import Any

import pytest

import symcnn
from symcnn.cli import main

IMAGE = [32, 32, 3]


def net(*layers: Any, input: Any = IMAGE, **top: Any) -> dict[str, Any]:
    return {"input": input, "layers": list(layers), **top}


def conv(name: str = "C1", **kwargs: Any) -> dict[str, Any]:
    return {"type": "conv2d", "name": name, "out_channels": 8, "kernel_size": 3, **kwargs}


ShapeError, SpecError = symcnn.ShapeError, symcnn.SpecError

#: id -> (source, error class, patterns the message must contain)
INVALID: dict[str, tuple[Any, type[Exception], list[str]]] = {
    # --- sizes that do not fit
    "kernel larger than the padded input": (
        net(
            {"type": "maxpool2d", "name": "P", "kernel_size": 2},
            conv("C2", kernel_size=[3, 19], padding=1),
        ),
        ShapeError,
        [
            r"^layers\[1\] 'C2' \(Conv2d\): ",
            r"`kernel_size` = \[3, 19\]",
            r"spans 19 along W",
            r"more than the padded input \(16 \+ 2·1 = 18\)",
        ],
    ),
    "pool window larger than the input": (
        net({"type": "maxpool2d", "name": "P", "kernel_size": 3}, input=[2, 2, 1]),
        ShapeError,
        [
            r"layers\[0\] 'P' \(MaxPool2d\)",
            r"`kernel_size` = \[3, 3\]",
            r"output size of 0",
            r"does not fit",
        ],
    ),
    "AvgPool3d kernel larger than the unpadded input": (
        net({"type": "avgpool3d", "name": "P", "kernel_size": 2, "padding": 1}, input=[1, 4, 4, 2]),
        ShapeError,
        [
            r"layers\[0\] 'P' \(AvgPool3d\)",
            r"`kernel_size` = \[2, 2, 2\]",
            r"larger than the input \(1\) along T",
            r"without its padding",
        ],
    ),
    "transposed conv output below 1": (
        net(
            {
                "type": "convtranspose1d",
                "name": "T",
                "out_channels": 2,
                "kernel_size": 1,
                "padding": 2,
            },
            input=[3, 4],
        ),
        ShapeError,
        [
            r"layers\[0\] 'T' \(ConvTranspose1d\)",
            r"`padding` = \[2\]",
            r"output size of -1",
            r"at least 1",
        ],
    ),
    # --- zero, negative and non-integer sizes
    "zero kernel": (
        net(conv(kernel_size=0)),
        SpecError,
        [r"layers\[0\] 'C1' \(Conv2d\)", r"`kernel_size` = 0", r"must be a positive integer"],
    ),
    "negative out_channels": (
        net(conv(out_channels=-3)),
        SpecError,
        [r"layers\[0\] 'C1'", r"`out_channels` = -3", r"must be a positive integer"],
    ),
    "negative padding": (
        net(conv(padding=-1)),
        SpecError,
        [r"layers\[0\] 'C1'", r"`padding` = -1", r"must be a nonnegative integer"],
    ),
    "zero input size": (
        net(conv(), input=[0, 32, 3]),
        SpecError,
        [r"^input: ", r"`input` = \[0, 32, 3\]", r"must be a positive integer"],
    ),
    "stride 0": (
        net(conv("C3", stride=[1, 0])),
        SpecError,
        [r"layers\[0\] 'C3' \(Conv2d\)", r"`stride` = \[1, 0\]", r"must be a positive integer"],
    ),
    "fractional size": (
        net(conv(out_channels=2.5)),
        SpecError,
        [r"layers\[0\] 'C1'", r"`out_channels` = 2\.5", r"whole numbers"],
    ),
    "fractional size from an expression": (
        net(conv(out_channels="3/2")),
        SpecError,
        [r"layers\[0\] 'C1'", r"`out_channels` = '3/2'", r"not the fraction 3/2"],
    ),
    "boolean size": (
        net(conv(kernel_size=True)),
        SpecError,
        [r"`kernel_size` = True", r"must be a positive integer"],
    ),
    "wrong number of per-axis values": (
        net(conv(kernel_size=[3, 3, 3])),
        SpecError,
        [r"`kernel_size` = \[3, 3, 3\]", r"needs 2 values, one per spatial axis"],
    ),
    # --- channels
    "groups not dividing the input channels": (
        net(conv(groups=2), input=[8, 8, 3]),
        SpecError,
        [
            r"layers\[0\] 'C1' \(Conv2d\)",
            r"`groups` = 2",
            r"must divide the input channels",
            r"in_channels = 3",
        ],
    ),
    "groups not dividing out_channels": (
        net(conv(groups=3, out_channels=8), input=[8, 8, 6]),
        SpecError,
        [r"`groups` = 3", r"must divide `out_channels` = 8"],
    ),
    "in_channels that disagrees": (
        net(conv(), conv("C2", in_channels=16)),
        ShapeError,
        [
            r"layers\[1\] 'C2' \(Conv2d\)",
            r"`in_channels` = 16",
            r"disagrees with the input",
            r"which has 8",
        ],
    ),
    "in_features that disagrees": (
        net(
            {"type": "flatten"},
            {"type": "linear", "name": "FC", "in_features": 3000, "out_features": 10},
        ),
        ShapeError,
        [r"layers\[1\] 'FC' \(Linear\)", r"`in_features` = 3000", r"which has 3072"],
    ),
    "num_features that disagrees (stricter than PyTorch without affine)": (
        net(
            {
                "type": "batchnorm2d",
                "name": "BN",
                "num_features": 4,
                "affine": False,
                "track_running_stats": False,
            }
        ),
        ShapeError,
        [r"layers\[0\] 'BN' \(BatchNorm2d\)", r"`num_features` = 4", r"which has 3"],
    ),
    "GroupNorm groups not dividing the channels": (
        net({"type": "groupnorm", "name": "GN", "num_groups": 2}),
        SpecError,
        [r"layers\[0\] 'GN' \(GroupNorm\)", r"`num_groups` = 2", r"must divide the channels"],
    ),
    "PReLU slopes neither 1 nor the channels": (
        net({"type": "prelu", "name": "A", "num_parameters": 4}),
        ShapeError,
        [r"layers\[0\] 'A' \(PReLU\)", r"`num_parameters` = 4", r"1 or the number of channels"],
    ),
    # --- argument rules of PyTorch
    "same padding with stride 2": (
        net(conv(padding="same", stride=2)),
        SpecError,
        [
            r"layers\[0\] 'C1' \(Conv2d\)",
            r"`padding` = 'same'",
            r"stride 1",
            r"`stride` = \[2, 2\]",
        ],
    ),
    "same padding on a transposed conv": (
        net(
            {
                "type": "convtranspose2d",
                "name": "T",
                "out_channels": 2,
                "kernel_size": 3,
                "padding": "same",
            }
        ),
        SpecError,
        [
            r"layers\[0\] 'T' \(ConvTranspose2d\)",
            r"`padding` = 'same'",
            r"paddings of Conv1d/2d/3d only",
        ],
    ),
    "output_padding too large": (
        net(
            {
                "type": "convtranspose2d",
                "name": "UP",
                "out_channels": 4,
                "kernel_size": 3,
                "stride": 2,
                "output_padding": [1, 2],
            }
        ),
        SpecError,
        [
            r"layers\[0\] 'UP' \(ConvTranspose2d\)",
            r"`output_padding` = \[1, 2\]",
            r"smaller than either the stride \(2\) or the dilation \(1\)",
        ],
    ),
    "pool padding more than half the kernel": (
        net({"type": "avgpool2d", "name": "P", "kernel_size": 3, "padding": [1, 2]}),
        SpecError,
        [
            r"layers\[0\] 'P' \(AvgPool2d\)",
            r"`padding` = \[1, 2\]",
            r"at most half the kernel",
            r"along W",
        ],
    ),
    "reflect padding as large as the input": (
        net(conv(padding=2, padding_mode="reflect"), input=[2, 9, 3]),
        ShapeError,
        [
            r"layers\[0\] 'C1'",
            r"`padding` = 2",
            r"'reflect'",
            r"smaller than the input size 2",
            r"along H",
        ],
    ),
    "same reflect padding whose right side does not fit": (
        net(conv(kernel_size=4, padding="same", padding_mode="reflect"), input=[2, 9, 3]),
        ShapeError,
        [
            r"layers\[0\] 'C1'",
            r"`padding` = 'same' \(up to 2 on a side\)",
            r"'reflect'",
            r"input size 2 along H",
        ],
    ),
    "unknown padding_mode": (
        net(conv(padding_mode="mirror")),
        SpecError,
        [r"`padding_mode` = 'mirror'", r"must be one of 'zeros', 'reflect', 'replicate'"],
    ),
    "dropout probability": (
        net({"type": "dropout", "name": "D", "p": 1.5}),
        SpecError,
        [r"layers\[0\] 'D' \(Dropout\)", r"`p` = 1\.5", r"between 0 and 1"],
    ),
    "Hardtanh empty interval": (
        net({"type": "hardtanh", "name": "H", "min_val": 1, "max_val": -1}),
        SpecError,
        [r"layers\[0\] 'H' \(Hardtanh\)", r"`max_val` = -1", r"greater than `min_val` = 1"],
    ),
    "Softmax dim out of range": (
        net({"type": "softmax", "name": "S", "dim": 4}),
        ShapeError,
        [r"layers\[0\] 'S' \(Softmax\)", r"`dim` = 4", r"out of range", r"dims -4\.\.3"],
    ),
    "1-d adaptive pooling with None": (
        net({"type": "adaptiveavgpool1d", "name": "A", "output_size": [None]}, input=[8, 3]),
        SpecError,
        [r"layers\[0\] 'A' \(AdaptiveAvgPool1d\)", r"`output_size`", r"needs a size"],
    ),
    "instance norm of a single element": (
        net({"type": "instancenorm2d", "name": "IN"}, input=[1, 1, 4]),
        ShapeError,
        [r"layers\[0\] 'IN' \(InstanceNorm2d\)", r"more than one element per channel", r"\[1, 1\]"],
    ),
    "LayerNorm shape that is not the trailing axes": (
        net({"type": "layernorm", "name": "LN", "normalized_shape": [32, 4]}),
        ShapeError,
        [
            r"layers\[0\] 'LN' \(LayerNorm\)",
            r"`normalized_shape` = \[32, 4\]",
            r"trailing axes \[32, 3\]",
        ],
    ),
    "Flatten of the batch axis": (
        net({"type": "flatten", "name": "F", "start_dim": 0}),
        ShapeError,
        [r"layers\[0\] 'F' \(Flatten\)", r"`start_dim` = 0", r"batch axis"],
    ),
    "Flatten dims in the wrong order": (
        net({"type": "flatten", "name": "F", "start_dim": 3, "end_dim": 2}),
        ShapeError,
        [r"`start_dim` = 3 comes after `end_dim` = 2"],
    ),
    "Flatten dim out of range": (
        net({"type": "flatten", "name": "F", "end_dim": 4}),
        ShapeError,
        [r"`end_dim` = 4 is out of range for an input of rank 3"],
    ),
    "required argument missing": (
        net({"type": "conv2d", "name": "C1", "kernel_size": 3}),
        SpecError,
        [r"layers\[0\] 'C1' \(Conv2d\)", r"missing required argument `out_channels`"],
    ),
    "Threshold without value": (
        net({"type": "threshold", "name": "T", "threshold": 0.1}),
        SpecError,
        [r"layers\[0\] 'T' \(Threshold\)", r"missing required argument `value`"],
    ),
    "unknown argument": (
        net(conv(kernel=3)),
        SpecError,
        [
            r"layers\[0\] 'C1' \(Conv2d\)",
            r"unknown argument `kernel`",
            r"did you mean `kernel_size`\?",
            r"Conv2d takes: in_channels, out_channels",
        ],
    ),
    # --- layer types
    "unknown type convd2": (
        net({"type": "convd2", "name": "X", "out_channels": 8, "kernel_size": 3}),
        SpecError,
        [
            r"layers\[0\] 'X'",
            r"unknown layer type 'convd2'",
            r"did you mean Conv2d",
            r"valid types: AdaptiveAvgPool1d, .*Conv2d, .*Threshold",
        ],
    ),
    "unknown type Conv2": (
        net({"type": "Conv2", "name": "X", "out_channels": 8, "kernel_size": 3}),
        SpecError,
        [r"unknown layer type 'Conv2'", r"did you mean Conv2d"],
    ),
    "unknown type with no near name": (
        net({"type": "capsulenet", "name": "X"}),
        SpecError,
        [r"unknown layer type 'capsulenet' \(valid types: "],
    ),
    "type that is not text": (
        net({"type": 3, "name": "X"}),
        SpecError,
        [r"`type` = 3", r"must be a layer type name"],
    ),
    # --- ranks
    "conv on a tensor of wrong rank": (
        net({"type": "flatten"}, conv("C2")),
        ShapeError,
        [
            r"layers\[1\] 'C2' \(Conv2d\)",
            r"expects an input of rank 3",
            r"got shape \[3072\] of rank 1",
        ],
    ),
    "BatchNorm2d on a vector": (
        net({"type": "batchnorm2d", "name": "BN"}, input=[10]),
        ShapeError,
        [r"layers\[0\] 'BN' \(BatchNorm2d\)", r"expects an input of rank 3"],
    ),
    "Dropout1d on an image": (
        net({"type": "dropout1d", "name": "D"}),
        ShapeError,
        [r"layers\[0\] 'D' \(Dropout1d\)", r"rank 1 or 2", r"of rank 3"],
    ),
    # --- the document
    "document that is a list": (
        "- input: [1, 2]\n",
        SpecError,
        [r"a spec must be a mapping", r"got list"],
    ),
    "document that is a number": (
        "42",
        SpecError,
        [r"a spec must be a mapping", r"got int"],
    ),
    "unknown top-level key": (
        net(conv(), optimizer="adam"),
        SpecError,
        [
            r"unknown top-level key `optimizer`",
            r"valid keys: name, input, inputs, layout, convention, symbols, blocks, layers, output",
        ],
    ),
    "missing layers": ({"input": IMAGE}, SpecError, [r"missing `layers`"]),
    "layout that does not exist": (
        net(conv(), layout="NHWC"),
        SpecError,
        [r"`layout` = 'NHWC'", r"must be HWC or CHW"],
    ),
    "layer that is not a mapping": (
        net("conv2d"),
        SpecError,
        [r"layers\[0\] must be a mapping", r"'conv2d'"],
    ),
    "YAML syntax error": (
        "input: [32, 32, 3\nlayers:\n  - {type: conv2d\n",
        SpecError,
        [r"spec text is not valid YAML/JSON", r"while parsing"],
    ),
    "JSON syntax error": (
        '{"input": [32, 32, 3], "layers": [}',
        SpecError,
        [r"is not valid YAML/JSON"],
    ),
}


@pytest.mark.parametrize(("source", "error", "patterns"), INVALID.values(), ids=list(INVALID))
def test_invalid_spec_raises_a_specific_error_with_a_teaching_message(source, error, patterns):
    with pytest.raises(error, match=patterns[0]) as caught:
        symcnn.load(source)
    assert type(caught.value) is error  # the specific class, not a subclass or a base
    message = str(caught.value)
    for pattern in patterns:
        assert re.search(pattern, message), (pattern, message)
    assert "\n" not in message


def test_every_error_is_a_symcnn_error_and_a_value_error():
    for error in (symcnn.SpecError, symcnn.ShapeError, symcnn.ParseError, symcnn.SolveError):
        assert issubclass(error, symcnn.SymcnnError)
    assert issubclass(symcnn.SymcnnError, ValueError)
    assert issubclass(symcnn.ShapeError, symcnn.SpecError)


def test_errors_carry_the_layer_and_the_field():
    with pytest.raises(ShapeError) as caught:
        symcnn.load(net(conv(), conv("C2", in_channels=16)))
    assert caught.value.field == "in_channels"
    assert (caught.value.where.index, caught.value.where.name) == (1, "C2")


def test_a_valid_case_insensitive_type_is_not_an_error():
    assert symcnn.load(net({"type": "conv2D", "out_channels": 8, "kernel_size": 3})).params == 224


def test_a_missing_file_is_a_spec_error(tmp_path):
    with pytest.raises(SpecError, match=r"cannot read spec file .*missing\.yaml"):
        symcnn.load(tmp_path / "missing.yaml")


# ------------------------------------------------------------ symbolic checks, once substituted

SYMBOLIC = net(
    {"type": "conv2d", "name": "C1", "out_channels": "k", "kernel_size": 5},
    {"type": "maxpool2d", "name": "P1", "kernel_size": 2},
    input=["H", "H", 3],
)


def test_a_symbolic_check_waits_for_its_symbols():
    network = symcnn.load(SYMBOLIC)
    assert network.conditions  # H >= 5 and the pool's output >= 1 are pending
    assert all("H" in str(check.condition) for check in network.conditions)
    assert network.subs(H=6).output_shape[:2] == (1, 1)


@pytest.mark.parametrize(
    ("height", "layer"),
    [
        (2, r"layers\[0\] 'C1' \(Conv2d\)"),
        (4, r"layers\[0\] 'C1' \(Conv2d\)"),
        (5, r"layers\[1\] 'P1' \(MaxPool2d\)"),
    ],
)
def test_a_symbolic_check_that_fails_once_substituted_raises(height, layer):
    network = symcnn.load(SYMBOLIC)
    with pytest.raises(ShapeError, match=layer + r": `kernel_size`"):
        network.subs(H=height)
    with pytest.raises(ShapeError, match=layer):
        symcnn.load(SYMBOLIC, values={"H": height})


def test_a_symbolic_size_that_becomes_a_fraction_raises():
    network = symcnn.load(net(conv(out_channels="H/2"), input=["H", "H", 3]))
    assert network.subs(H=8).output_shape == (6, 6, 4)
    with pytest.raises(SpecError, match=r"`out_channels` = 'H/2'.*not the fraction 5/2"):
        network.subs(H=5)


# ------------------------------------------------------------------------------------- the CLI

BAD_SPECS = {
    "unknown type": (
        "input: [32, 32, 3]\nlayers:\n  - {type: convd2, name: X, out_channels: 8}\n",
        "did you mean Conv2d",
    ),
    "kernel too large": (
        "input: [4, 4, 3]\nlayers:\n  - {type: conv2d, name: BIG, "
        "out_channels: 8, kernel_size: 5}\n",
        "layers[0] 'BIG' (Conv2d): `kernel_size` = [5, 5]",
    ),
    "YAML syntax": ("input: [32, 32, 3\nlayers: [\n", "is not valid YAML/JSON"),
    "not a mapping": ("- 1\n- 2\n", "a spec must be a mapping"),
}


@pytest.mark.parametrize(("text", "message"), BAD_SPECS.values(), ids=list(BAD_SPECS))
def test_cli_prints_one_line_and_exits_2(tmp_path, capsys, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    code = main(["summary", str(path)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.endswith("\n")
    assert captured.err.startswith("symcnn summary: error: ")
    assert message in captured.err
    assert "Traceback" not in captured.err


def test_cli_in_a_subprocess_prints_no_traceback(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD_SPECS["kernel too large"][0])
    result = subprocess.run(
        [sys.executable, "-m", "symcnn", "summary", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert "layers[0] 'BIG' (Conv2d)" in result.stderr and "Traceback" not in result.stderr
