"""The registry of quantities, and the one reference grammar every command reads it through."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sympy

import symcnn
from symcnn import SolveError, SpecError
from symcnn.layers import Row
from symcnn.quantities import QUANTITIES, Quantity, lookup, register
from symcnn.references import layer_quantities, network_quantity, parse_reference

DOCS = Path(__file__).resolve().parent.parent / "docs"
SPEC = {
    "input": ["H", "H", 3],
    "layers": [
        {"type": "conv2d", "name": "CONV1", "out_channels": "k", "kernel_size": 5},
        {"type": "batchnorm2d", "name": "BN1"},
    ],
}
#: a quantity that is 0 in SPEC (PyTorch's convention) is solved for in a spec where it is not
KERAS_SPEC = {
    "convention": "keras",
    "input": ["H", "H", 3],
    "layers": [
        {"type": "Conv2D", "name": "CONV1", "filters": "k", "kernel_size": 5},
        {"type": "BatchNormalization", "name": "BN1"},
    ],
}
#: SPEC's receptive field is a number (a 5×5 kernel's); here the kernel is the unknown
RECEPTIVE_SPEC = {
    "input": ["H", "H", 3],
    "layers": [{"type": "conv2d", "name": "CONV1", "out_channels": 4, "kernel_size": "k"}],
}
SOLVED_IN = {"non_trainable": KERAS_SPEC, "receptive_field": RECEPTIVE_SPEC}
QUALIFIED = {
    "input": [8, 8, 3],
    "layers": [{"type": "conv2d", "name": "layer1.0.conv1", "out_channels": "k", "kernel_size": 3}],
}


def _scalar(name: str) -> str:
    """A reference to one number of the quantity: the quantity, or its first axis."""
    return f"{name}[0]" if QUANTITIES[name].shape else name


@pytest.mark.parametrize("name", list(QUANTITIES))
def test_every_quantity_is_evaluated(name):
    net = symcnn.load(SPEC)
    reading = network_quantity(net.subs(H=32, k=8), name)
    expected = reading.values if reading.is_shape else reading.values[0]
    assert net.evaluate(H=32, k=8, quantities=[name]) == {name: expected}


@pytest.mark.parametrize("name", list(QUANTITIES))
def test_every_quantity_is_a_solve_target(name):
    net = symcnn.load(SOLVED_IN.get(name, SPEC))
    reference = _scalar(name)
    expr = network_quantity(net, reference).values[0]
    unknown = min(s.name for s in expr.free_symbols)  # H or k
    point = {"H": 32, "k": 8}
    goal = network_quantity(net.subs(**point), reference).values[0]
    given = {key: value for key, value in point.items() if key != unknown}
    solution = net.solve(
        f"{reference} = {goal}", values=given, unknowns=unknown, bounds={unknown: (5, 64)}
    )
    assert {unknown: point[unknown]} in solution.points


@pytest.mark.parametrize("name", list(QUANTITIES))
def test_every_quantity_is_a_sweep_column(name):
    result = symcnn.sweep(symcnn.load(SPEC), {"k": "8,16"}, [name], values={"H": 32})
    expected = network_quantity(symcnn.load(SPEC).subs(H=32, k=16), name).labels()
    assert set(expected) <= set(result.quantities)


@pytest.mark.parametrize("name", layer_quantities())
def test_every_layer_quantity_is_read_off_a_row(name):
    net = symcnn.load(SPEC)
    reading = network_quantity(net, f"CONV1.{name}")
    value = getattr(net["CONV1"], name)
    assert reading.values == (tuple(value) if QUANTITIES[name].shape else (value,))


def test_lookup_suggests_the_nearest_name():
    assert lookup("params") is QUANTITIES["params"]
    with pytest.raises(SpecError, match=r"unknown quantity 'buffer'; did you mean 'buffers'\?"):
        lookup("buffer")
    with pytest.raises(SpecError, match="quantities: params, buffers, output_shape"):
        lookup("zzz")


def test_a_quantity_must_say_how_a_total_is_formed():
    with pytest.raises(SpecError, match="aggregate must be one of sum, output, none"):
        Quantity("toy", "a toy", "toy", r"\text{toy}", "mean")


@pytest.fixture
def toy(monkeypatch):
    """A quantity registered here, read off an attribute added to every row here."""
    monkeypatch.setattr(Row, "toy", property(lambda row: row.params + 1), raising=False)
    yield register(Quantity("toy", "parameters plus one", "toy", r"\text{toy}", "sum"))
    QUANTITIES.pop("toy")


def test_a_registered_quantity_is_accepted_everywhere(toy):
    net = symcnn.load(SPEC)
    rows = net.rows
    assert parse_reference("CONV1.toy").quantity is toy
    assert network_quantity(net, "toy").values == (sympy.Add(*(row.params + 1 for row in rows)),)
    assert network_quantity(net, "CONV1.toy").values == (rows[0].params + 1,)
    assert network_quantity(net, "toy - CONV1.toy").values[0] == rows[1].params + 1
    assert net.evaluate(H=32, k=8, quantities=["toy"]) == {"toy": 608 + 1 + 16 + 1}
    assert net.solve("CONV1.toy = 609", values={"H": 32}).value == 8
    result = symcnn.sweep(net, {"k": "8,16"}, ["toy"], values={"H": 32})
    assert result.columns["toy"].tolist() == [626, 1250]
    assert symcnn.check("76*k + 1", net, quantity="CONV1.toy").right


@pytest.mark.parametrize(
    ("reference", "values"),
    [
        ("layer1.0.conv1.params", (28 * sympy.Symbol("k", integer=True, positive=True),)),
        ("layer1.0.conv1.output_shape[0]", (6,)),
        ("layer1.0.conv1.output_shape[-1]", (sympy.Symbol("k", integer=True, positive=True),)),
        ("layers[0].output_shape[1]", (6,)),
        ("output_shape[-1]", (sympy.Symbol("k", integer=True, positive=True),)),
        ("layer1.0.conv1.out_w", (6,)),
    ],
)
def test_layer_names_may_contain_dots_and_digits(reference, values):
    net = symcnn.load(QUALIFIED)
    reading = network_quantity(net, reference)
    assert [sympy.simplify(a - b) for a, b in zip(reading.values, values, strict=True)] == [0]


def test_qualified_names_everywhere():
    net = symcnn.load(QUALIFIED)
    assert net.evaluate(k=4, quantities=["layer1.0.conv1.output_shape"]) == {
        "layer1.0.conv1.output_shape": (6, 6, 4)
    }
    assert net.solve("layer1.0.conv1.params = 112").value == 4
    assert net.solve("params - layer1.0.conv1.params + k = 4").value == 4
    result = symcnn.sweep(net, {"k": "1,2"}, ["layer1.0.conv1.params"])
    assert result.columns["layer1.0.conv1.params"].tolist() == [28, 56]
    assert symcnn.check("(3*3*3 + 1)*k", net, quantity="layer1.0.conv1.params").right
    with pytest.raises(SolveError, match=r"no layer named 'layer1\.0\.conv2'.*did you mean"):
        net.solve("layer1.0.conv2.params = 112")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("conv2d.out_w", "conv2d.output_shape[1]"),
        ("conv2d.out_h", "conv2d.output_shape[0]"),
        ("conv3d.out_t", "conv3d.output_shape[0]"),
        ("conv1d.output_size", "conv1d.output_shape[0]"),
        (
            "conv1d W=7 kernel=3 stride=2 output_size",
            "conv1d W=7 kernel=3 stride=2 output_shape[0]",
        ),
    ],
)
def test_the_old_axis_names_are_aliases(old, new):
    assert symcnn.quantity(old) == symcnn.quantity(new)


def test_network_and_row_quantities_keep_their_errors():
    net = symcnn.load(SPEC)
    with pytest.raises(
        SolveError, match=r"CONV1\.total_activations: total_activations is the network's"
    ):
        network_quantity(net, "CONV1.total_activations")
    with pytest.raises(SolveError, match=r"CONV1.params is a number, not a shape; it has no \[0\]"):
        network_quantity(net, "CONV1.params[0]")
    with pytest.raises(SpecError, match="output_shape is a shape; name one axis"):
        symcnn.quantity("conv2d.output_shape")


def test_the_docs_list_the_registry():
    page = (DOCS / "quantities.md").read_text(encoding="utf-8")
    listed = re.findall(r"^\| `(\w+)` \|", page, flags=re.MULTILINE)
    assert listed == list(QUANTITIES)
    for quantity in QUANTITIES.values():
        assert f"| `{quantity.name}` | {quantity.meaning} | {quantity.aggregate} |" in page
