"""The engine's numbers on the seed texts' examples, symbolic networks, and loading specs."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import sympy
import yaml

import symcnn

ROOT = Path(__file__).resolve().parent.parent
LENET = ROOT / "examples" / "lenet5.yaml"

# ------------------------------------------------------------------------------ LeNet-5 (seeds)

#: the seeds' table: name, type, activation shape (HWC), activation size, parameters
LENET_ROWS = [
    ("CONV1", "Conv2d", (28, 28, 8), 6272, 608),
    ("POOL1", "MaxPool2d", (14, 14, 8), 1568, 0),
    ("CONV2", "Conv2d", (10, 10, 16), 1600, 3216),
    ("POOL2", "MaxPool2d", (5, 5, 16), 400, 0),
    ("Flatten-1", "Flatten", (400,), 400, 0),
    ("FC3", "Linear", (120,), 120, 48120),
    ("FC4", "Linear", (84,), 84, 10164),
    ("Softmax", "Linear", (10,), 10, 850),
]


def test_lenet_rows_match_the_seeds():
    net = symcnn.load(LENET)
    rows = [
        (row.name, row.type, row.output_shape, row.activation_size, row.params)
        for row in net.summary()
    ]
    assert rows == LENET_ROWS
    assert [row.buffers for row in net.summary()] == [0] * 8


def test_lenet_totals():
    net = symcnn.load(LENET)
    assert net.params == 62_958
    assert net.buffers == 0
    assert net.output_shape == (10,)
    assert net.input_shape == (32, 32, 3)
    assert net.conditions == ()
    assert net.total_activations == sum(size for *_, size, _ in LENET_ROWS)


def test_lenet_in_chw_has_the_same_counts_and_pytorch_ordered_shapes():
    document = yaml.safe_load(LENET.read_text())
    document.update(layout="CHW", input=[3, 32, 32])
    net = symcnn.load(document)
    assert [row.params for row in net.summary()] == [params for *_, params in LENET_ROWS]
    assert [row.activation_size for row in net.summary()] == [size for *_, size, _ in LENET_ROWS]
    chw = [(8, 28, 28), (8, 14, 14), (16, 10, 10), (16, 5, 5), (400,), (120,), (84,), (10,)]
    assert [row.output_shape for row in net.summary()] == chw
    assert net.params == 62_958


# ---------------------------------------------------------------------- single layers (seeds)

CONV_3X3 = {"type": "conv2d", "out_channels": 256, "kernel_size": 3, "padding": 1}

#: input shape (HWC), layer, expected parameters, expected output shape
SEED_LAYERS = [
    pytest.param([100, 100, 128], CONV_3X3, 295_168, (100, 100, 256), id="conv3x3-bias"),
    pytest.param(
        [100, 100, 128], {**CONV_3X3, "bias": False}, 294_912, (100, 100, 256), id="conv3x3-no-bias"
    ),
    pytest.param([128], {"type": "linear", "out_features": 256}, 33_024, (256,), id="linear-bias"),
    pytest.param(
        [128],
        {"type": "linear", "out_features": 256, "bias": False},
        32_768,
        (256,),
        id="linear-no-bias",
    ),
    pytest.param(
        [20, 7],
        {"type": "conv1d", "out_channels": 32, "kernel_size": 5},
        1_152,
        (16, 32),
        id="conv1d",
    ),
]


@pytest.mark.parametrize(("shape", "layer", "params", "output_shape"), SEED_LAYERS)
def test_seed_layers(shape, layer, params, output_shape):
    net = symcnn.load({"input": shape, "layers": [layer]})
    assert net.params == params
    assert net.output_shape == output_shape
    assert isinstance(net.params, sympy.Integer)


@pytest.mark.parametrize(("shape", "layer", "params", "output_shape"), SEED_LAYERS)
def test_seed_layers_in_chw(shape, layer, params, output_shape):
    def channels_first(sizes):
        return [sizes[-1], *sizes[:-1]]

    net = symcnn.load({"input": channels_first(shape), "layout": "CHW", "layers": [layer]})
    assert net.params == params
    assert list(net.output_shape) == channels_first(list(output_shape))


def test_linear_counts_one_bias_per_neuron_not_per_input():
    # (p + 1)·c = 33,024, not p·c + p = 32,896 (the mistake the seeds correct)
    net = symcnn.load({"input": [128], "layers": [{"type": "linear", "out_features": 256}]})
    assert net.params != 128 * 256 + 128
    from symcnn.symbols import c, p

    general = symcnn.load({"input": ["p"], "layers": [{"type": "linear", "out_features": "c"}]})
    assert sympy.expand(general.params - (p + 1) * c) == 0


# ----------------------------------------------------------------------------- symbolic networks

SYMBOLIC = {
    "input": ["H", "W", 3],
    "layers": [
        {"type": "conv2d", "name": "C1", "out_channels": "k1", "kernel_size": 5, "bias": "b"},
        {"type": "maxpool2d", "name": "P1", "kernel_size": 2},
        {
            "type": "conv2d",
            "name": "C2",
            "out_channels": "k2",
            "kernel_size": 3,
            "padding": 1,
            "bias": "b",
        },
        {"type": "batchnorm2d", "name": "BN"},
        {"type": "flatten"},
        {"type": "linear", "name": "FC", "out_features": 10, "bias": "b"},
    ],
}


def numeric(document, values):
    """``document`` with every symbol name replaced by its number, as a user would write it."""
    text = json.dumps(document)
    for name, value in sorted(values.items(), key=lambda item: -len(item[0])):
        text = text.replace(f'"{name}"', str(value))
    return json.loads(text)


def test_symbolic_params_is_a_formula_in_the_specs_symbols():
    net = symcnn.load(SYMBOLIC)
    names = {symbol.name for symbol in net.params.free_symbols}
    assert names == {"H", "W", "k1", "k2", "b"}
    assert set(net.symbols) == {"H", "W", "k1", "k2", "b"}
    # conv rows are the textbook formula, (m·n·d + bias)·k
    k1, b = net.symbols["k1"], net.symbols["b"]
    assert sympy.expand(net["C1"].params - (5 * 5 * 3 + b) * k1) == 0
    assert net["BN"].buffers == 2 * net.symbols["k2"] + 1


def test_symbolic_network_evaluated_at_random_points_equals_the_numeric_network():
    net = symcnn.load(SYMBOLIC)
    generator = random.Random(20240601)
    for _ in range(12):
        values = {
            "H": generator.randint(6, 40),
            "W": generator.randint(6, 40),
            "k1": generator.randint(1, 16),
            "k2": generator.randint(1, 16),
            "b": generator.randint(0, 1),
        }
        evaluated = net.subs(**values)
        direct = symcnn.load(numeric(SYMBOLIC, values))
        assert evaluated.params == direct.params
        assert evaluated.buffers == direct.buffers
        assert evaluated.output_shape == direct.output_shape
        assert [row.output_shape for row in evaluated.rows] == [
            row.output_shape for row in direct.rows
        ]
        assert [row.params for row in evaluated.rows] == [row.params for row in direct.rows]
        exact = [evaluated.params, evaluated.buffers, *evaluated.rows[-3].output_shape]
        assert all(isinstance(value, sympy.Integer) for value in exact), exact
        assert evaluated.conditions == ()
        # and the formula itself, evaluated by SymPy, gives the same number
        mapping = {net.symbols[name]: value for name, value in values.items()}
        assert net.params.xreplace(mapping) == direct.params


def test_partial_substitution_keeps_the_other_symbols():
    net = symcnn.load(SYMBOLIC).subs(H=32, W=32)
    assert {symbol.name for symbol in net.params.free_symbols} == {"k1", "k2", "b"}
    assert net.output_shape == (10,)
    assert net["P1"].output_shape == (14, 14, net.symbols["k1"])


def test_values_are_integers_never_floats():
    net = symcnn.load(
        {
            "input": [32.0, 32, 3],
            "layers": [
                {"type": "conv2d", "out_channels": 8.0, "kernel_size": 5},
                {"type": "avgpool2d", "kernel_size": 2},
                {"type": "dropout", "p": 0.5},
            ],
        }
    )
    for value in (net.params, net.buffers, *net.output_shape, net.activation_size):
        assert isinstance(value, sympy.Integer)
        assert not isinstance(value, sympy.Float)
    assert net.params == 608


def test_a_missing_required_argument_is_an_error_not_a_new_symbol():
    spec = {"input": ["H", "W", 3], "layers": [{"type": "conv2d", "kernel_size": 3}]}
    with pytest.raises(symcnn.SpecError, match="missing required argument `out_channels`"):
        symcnn.load(spec)


def test_notation_names_in_a_spec_are_the_notations_symbols():
    from symcnn.symbols import k

    net = symcnn.load(
        {
            "input": [32, 32, 3],
            "layers": [{"type": "conv2d", "out_channels": "k", "kernel_size": 5}],
        }
    )
    assert net.params == 76 * k


# ------------------------------------------------------------------------------- loading specs

LENET_DOCUMENT = yaml.safe_load(LENET.read_text())


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".json"])
def test_load_accepts_a_path(tmp_path, suffix):
    path = tmp_path / f"lenet{suffix}"
    text = json.dumps(LENET_DOCUMENT) if suffix == ".json" else yaml.safe_dump(LENET_DOCUMENT)
    path.write_text(text)
    assert symcnn.load(path).params == 62_958
    assert symcnn.load(str(path)).params == 62_958


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(LENET_DOCUMENT, id="dict"),
        pytest.param(LENET.read_text(), id="yaml-text"),
        pytest.param(json.dumps(LENET_DOCUMENT), id="json-text"),
        pytest.param(json.dumps(LENET_DOCUMENT, indent=2), id="json-text-indented"),
    ],
)
def test_load_accepts_a_dict_and_text(source):
    net = symcnn.load(source)
    assert net.params == 62_958
    assert net.name == "LeNet-5"


def test_load_does_not_modify_the_callers_dict():
    document = json.loads(json.dumps(LENET_DOCUMENT))
    before = json.dumps(document, sort_keys=True)
    symcnn.load(document)
    assert json.dumps(document, sort_keys=True) == before


def test_layer_types_are_case_insensitive():
    spec = {
        "input": [8, 8, 3],
        "layers": [
            {"type": "CONV2D", "out_channels": 2, "kernel_size": 3},
            {"type": "conv2D", "out_channels": 2, "kernel_size": 3},
            {"type": "Conv2d", "out_channels": 2, "kernel_size": 3},
        ],
    }
    assert {row.type for row in symcnn.load(spec).rows} == {"Conv2d"}
