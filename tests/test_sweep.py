"""Evaluating fast: ``Network.evaluate`` (one point, exact), ``Network.lambdify`` and
``symcnn.sweep`` (a grid, compiled to NumPy) — each checked against ``Network.subs``, which
rebuilds the network."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn
from symcnn import ShapeError, SolveError
from symcnn.cli import main
from symcnn.sweep import parse_grid, parse_values, plot_sweep, sweep_csv, sweep_json, sweep_table

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SYMBOLIC = EXAMPLES / "symbolic.yaml"


def deep_network(layers: int, every: int = 5):
    """A symbolic chain: k1/k2 filters alternating, a stride-2 stage every ``every`` layers."""
    spec = [
        {
            "type": "conv2d",
            "out_channels": "k1" if i % 2 else "k2",
            "kernel_size": 3,
            "padding": 1,
            "stride": 2 if i % every == every - 1 else 1,
        }
        for i in range(layers)
    ]
    return symcnn.load({"input": ["H", "W", 3], "layers": spec})


# ----------------------------------------------------------------------------------- evaluate


@settings(max_examples=20, deadline=None)
@given(h=st.integers(28, 200), w=st.integers(28, 200), k1=st.integers(1, 64), k2=st.integers(1, 64))
def test_evaluate_agrees_with_subs(h, w, k1, k2):
    net = symcnn.load(SYMBOLIC)
    point = {"H": h, "W": w, "k1": k1, "k2": k2}
    built = net.subs(point)
    values = net.evaluate(point)
    assert values == {
        "params": built.params,
        "buffers": built.buffers,
        "output_shape": built.output_shape,
        "activation_size": built.activation_size,
        "total_activations": built.total_activations,
        "trainable": built.trainable,
        "non_trainable": built.non_trainable,
    }


def test_evaluate_partial_values_layer_quantities_and_checks():
    net = symcnn.load(SYMBOLIC)
    values = net.evaluate(H=32, W=32, quantities=["CONV2.output_shape", "FC3.params"])
    k2 = net.symbols["k2"]
    assert values == {"CONV2.output_shape": (10, 10, k2), "FC3.params": 3000 * k2 + 120}
    with pytest.raises(ShapeError, match="CONV2"):
        net.evaluate(H=12, W=32, k1=8, k2=16)
    with pytest.raises(SolveError, match="unknown symbol Q"):
        net.evaluate(Q=1)


def test_evaluating_a_1000_layer_symbolic_network_is_exact():
    net = deep_network(1000, every=100)
    point = {"H": 1024, "W": 768, "k1": 7, "k2": 5}
    fast = net.evaluate(point, quantities=["params", "total_activations", "output_shape"])
    slow = [
        expr.xreplace({net.symbols[k]: v for k, v in point.items()})
        for expr in (net.params, net.total_activations, *net.output_shape)
    ]
    assert [fast["params"], fast["total_activations"], *fast["output_shape"]] == slow


def test_lambdify_matches_subs_at_grid_points():
    net = symcnn.load(SYMBOLIC)
    with pytest.raises(SolveError, match="also depend on W"):
        net.lambdify(["params"], ["H", "k1", "k2"])
    function = net.lambdify(["params", "CONV2.output_shape"], ["H", "W", "k1", "k2"])
    h, k1, k2 = (np.array([32, 64, 101]), np.array([8, 4, 1]), np.array([16, 3, 9]))
    params, *shape = function(h, 64, k1, k2)
    for i in range(3):
        built = net.subs(H=int(h[i]), W=64, k1=int(k1[i]), k2=int(k2[i]))
        assert params[i] == built.params
        assert tuple(axis[i] for axis in shape) == built["CONV2"].output_shape


# ----------------------------------------------------------------------------------- sweep


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("8..64:8", [8, 16, 24, 32, 40, 48, 56, 64]),
        ("32,64,128", [32, 64, 128]),
        ("1..3, 8, 2^4", [1, 2, 3, 8, 16]),
        ("5", [5]),
        ("10..12", [10, 11, 12]),
    ],
)
def test_grid_values(text, values):
    assert parse_values(text) == values


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (["k1"], "expected NAME=VALUES"),
        (["k1=8..4"], "is empty"),
        (["k1=8..:2"], "both ends"),
        (["k1=1..9:0"], "positive"),
        (["k1=a"], "must be numbers"),
        (["k1=1", "k1=2"], "twice"),
        (["k1=1.5"], "not an integer"),
        ([], "nothing to sweep"),
    ],
)
def test_grid_errors(items, message):
    with pytest.raises(SolveError, match=message):
        parse_grid(items)


@settings(max_examples=15, deadline=None)
@given(
    h=st.lists(st.integers(1, 80), min_size=1, max_size=4, unique=True),
    k1=st.lists(st.integers(1, 40), min_size=1, max_size=3, unique=True),
)
def test_sweep_agrees_with_subs_and_marks_invalid_points(h, k1):
    net = symcnn.load(SYMBOLIC)
    result = symcnn.sweep(
        net, {"H": h, "k1": k1}, ["params", "total_activations"], values={"W": "H", "k2": 16}
    )
    assert len(result) == len(h) * len(k1)
    for row in result.rows():
        try:
            built = net.subs(H=row["H"], W=row["H"], k1=row["k1"], k2=16)
        except symcnn.SymcnnError:
            assert row["valid"] is False and row["params"] is None
            continue
        assert row["valid"] is True
        assert (row["params"], row["total_activations"]) == (built.params, built.total_activations)


def test_a_million_points_on_a_deep_network_are_exact_integers():
    net = deep_network(50, every=10)
    result = symcnn.sweep(
        net,
        {"k1": "1..100", "k2": "1..100", "H": "1..100"},
        ["params", "output_shape[0]"],
        values={"W": "H"},
    )
    assert len(result) == 10**6 and result["params"].dtype == np.int64
    i = 123_456
    point = {name: int(result[name][i]) for name in ("k1", "k2", "H")}
    expected = net.evaluate({**point, "W": point["H"]}, quantities=["params", "output_shape[0]"])
    assert (result["params"][i], result["output_shape[0]"][i]) == tuple(expected.values())


def test_sweep_where_filters_and_progress_is_reported():
    calls = []
    result = symcnn.sweep(
        EXAMPLES / "solve_budget.yaml",
        {"k1": "1..200"},
        ["params"],
        where=["params <= 1e6"],
        progress=lambda done, total: calls.append(done),
    )
    assert result["k1"].tolist() == list(range(1, 111))
    assert calls[-1] == 200 and "110 of 200 points" in result.notes[0]


def test_sweep_errors():
    net = symcnn.load(SYMBOLIC)
    with pytest.raises(SolveError, match="neither swept nor given"):
        symcnn.sweep(net, {"H": "32"}, ["params"])
    with pytest.raises(SolveError, match="both swept and given"):
        symcnn.sweep(net, {"H": "32"}, ["params"], values={"H": 3})
    with pytest.raises(SolveError, match="max_points"):
        symcnn.sweep(net, {"H": "1..1000", "W": "1..1000"}, ["output_shape"], max_points=1000)
    with pytest.raises(SolveError, match="unknown symbol"):
        symcnn.sweep(net, {"Q": "1"}, ["params"])


def test_table_csv_and_json_outputs():
    net = symcnn.load(SYMBOLIC)
    result = symcnn.sweep(net, {"H": "8,32"}, ["params"], values={"W": 32, "k1": 8, "k2": 16})
    table = sweep_table(result)
    assert table.splitlines() == [
        " H  params  valid",
        " 8             no",
        "32  62,958    yes",
    ]
    rows = list(csv.DictReader(io.StringIO(sweep_csv(result))))
    assert rows == [
        {"H": "8", "params": "", "valid": "false"},
        {"H": "32", "params": "62958", "valid": "true"},
    ]
    data = json.loads(sweep_json(result))
    assert data["points"][1] == {"H": 32, "params": 62958, "valid": True}


def test_plot_is_saved_as_png_and_svg(tmp_path):
    import matplotlib  # noqa: F401  (the test extra installs it: the plot test must run)
    result = symcnn.sweep(
        EXAMPLES / "symbolic.yaml",
        {"k1": "1..32", "k2": "8,16"},
        ["params"],
        values={"H": 32, "W": 32},
    )
    png = plot_sweep(result, tmp_path / "params.png", x="k1", y="params")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = plot_sweep(result, tmp_path / "params.svg")
    assert "<svg" in svg.read_text()
    with pytest.raises(SolveError, match=r"\.png, \.svg or \.pdf"):
        plot_sweep(result, tmp_path / "params.gif")
    with pytest.raises(SolveError, match="is not swept"):
        plot_sweep(result, tmp_path / "params.png", x="H")


# ----------------------------------------------------------------------------------- the CLI


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_sweep_table_csv_and_plot(capsys, tmp_path):
    code, out, err = run(
        capsys,
        "sweep",
        str(SYMBOLIC),
        "k1=8..16:8",
        "H=32,64",
        "--set",
        "W=H",
        "--set",
        "k2=16",
        "--show",
        "params,output_shape[0]",
    )
    assert code == 0 and err == ""
    assert out.splitlines()[0].split() == ["k1", "H", "params", "output_shape[0]"]
    assert out.splitlines()[1].split() == ["8", "32", "62,958", "10"]
    code, out, _ = run(
        capsys,
        "sweep",
        str(EXAMPLES / "solve_budget.yaml"),
        "k1=1..3",
        "--show",
        "params",
        "--format",
        "csv",
    )
    assert out.splitlines() == ["k1,params,valid", "1,9038,true", "2,18066,true", "3,27094,true"]
    import matplotlib  # noqa: F401  (the test extra installs it: the plot test must run)
    plot = tmp_path / "budget.png"
    code, _, err = run(
        capsys,
        "sweep",
        str(EXAMPLES / "solve_budget.yaml"),
        "k1=1..64",
        "--show",
        "params",
        "--plot",
        str(plot),
        "--no-progress",
    )
    assert code == 0 and plot.exists() and "plot saved" in err


def test_cli_sweep_errors_are_one_line(capsys):
    code, out, err = run(capsys, "sweep", str(SYMBOLIC), "H=32")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "neither swept nor given" in err


def test_progress_bar_draws_to_a_stream():
    from symcnn.commands.sweep import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar(stream, width=10)
    bar(5, 10)
    bar(10, 10)
    assert stream.getvalue().endswith("[##########] 10/10 points, 0.0 s\n")
