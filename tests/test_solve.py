"""Asking backwards (``symcnn.solve`` and ``symcnn solve``): worked questions, properties checked
against brute force through ``Network.subs`` (an independent path: it rebuilds the network and runs
every check), errors, the derivation and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn
from symcnn import SolveError, SymcnnError
from symcnn.cli import main
from symcnn.solve import Equation, IntRange, IntSet, LayerFormula, Roots, Search, Stated

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FAST = settings(max_examples=25, deadline=None)


def conv_net(size, channels, **conv):
    conv = {"type": "conv2d", "name": "CONV", **conv}
    return symcnn.load({"input": [size, size, channels], "layers": [conv]})


def valid_value(net, point, quantity="params"):
    """The quantity at ``point`` by rebuilding the network (None when the network is invalid)."""
    try:
        built = net.subs(point)
    except SymcnnError:
        return None
    if quantity == "params":
        return built.params
    return tuple(built.output_shape)


# ----------------------------------------------------------------------------------- worked

WORKED = [
    # (spec, targets, options, answer)
    ("solve_filters.yaml", ["CONV2.params = 3216"], {}, [{"k": 16}]),
    ("solve_kernel.yaml", ["output_shape = [28, 28, 8]"], {}, [{"f": 5}]),
    ("solve_padding.yaml", ["output_shape = [H, W, 8]"], {"values": {"f": 7}}, [{"z": 3}]),
    (
        "solve_padding.yaml",
        ["output_shape = [16, 16, 8]"],
        {"values": {"H": 16, "W": 16, "f": 5}},
        [{"z": 2}],
    ),
    ("solve_pairs.yaml", ["params = 3216"], {"unknowns": ["f", "k"]}, [{"f": 5, "k": 16}]),
    ("solve_budget.yaml", ["params <= 1_000_000"], {"maximize": "k1"}, [{"k1": 110}]),
    (
        "solve_strided.yaml",
        ["output_shape = [17, 17, 16]"],
        {},
        [{"H": 71}, {"H": 72}, {"H": 73}, {"H": 74}],
    ),
]


@pytest.mark.parametrize(
    ("spec", "targets", "options", "answer"), WORKED, ids=[f"{w[0]}:{w[1][0]}" for w in WORKED]
)
def test_worked_questions(spec, targets, options, answer):
    net = symcnn.load(EXAMPLES / spec)
    solution = net.solve(*targets, **options)
    assert [dict(p) for p in solution.points] == answer
    assert solution.complete


def test_5x5x8_kernels_need_16_filters_for_3216():
    net = conv_net(14, 8, out_channels="k", kernel_size=5)
    assert symcnn.solve(net, params=3216).value == 16
    assert net.solve("params = 3216").points == ({"k": 16},)


def test_no_integer_filters_for_3216_with_3x3x3_kernels():
    net = symcnn.load(EXAMPLES / "solve_small_kernels.yaml")
    solution = net.solve(params=3216)
    assert not solution and solution.count == 0 and solution.points == ()
    assert [r.value for r in solution.nearest] == [sympy.Rational(3216, 28)]
    neighbours = {p.point["k"]: p.values["params"] for p in solution.probes}
    assert neighbours == {114: 28 * 114, 115: 28 * 115}
    assert "no integer k" in str(solution).lower() and "114.857" in str(solution)


def test_kernel_and_filter_pairs_for_3216_match_brute_force():
    square = symcnn.load(EXAMPLES / "solve_pairs.yaml")
    assert [tuple(p.values()) for p in square.solve(params=3216).points] == [(16, 5)]  # k, f
    assert square.solve(params=3216, unknowns="f, k").points == ({"f": 5, "k": 16},)
    rectangular = symcnn.load(
        {
            "input": [32, 32, 8],
            "layers": [{"type": "conv2d", "out_channels": "k", "kernel_size": ["n", "m"]}],
        }
    )
    found = {tuple(p[s] for s in ("n", "m", "k")) for p in rectangular.solve(params=3216).points}
    brute = {
        (n, m, k)
        for n in range(1, 33)
        for m in range(1, 33)
        for k in range(1, 3217)
        if (n * m * 8 + 1) * k == 3216
    }
    assert found == brute == {(1, 25, 16), (5, 5, 16), (25, 1, 16)}


def test_budget_network_collects_to_9028k_plus_10_and_the_next_width_breaks_it():
    net = symcnn.load(EXAMPLES / "solve_budget.yaml")
    k1 = net.symbols["k1"]
    assert net.rewrite("collect:k1").params == 9028 * k1 + 10
    solution = net.solve("params <= 10^6", maximize="k1")
    assert solution.best == 110
    best, after = solution.probes
    assert best.point == {"k1": 110} and best.values["params"] == 9028 * 110 + 10
    assert best.satisfied
    assert after.point == {"k1": 111} and after.values["params"] == 9028 * 111 + 10
    assert not after.satisfied


def test_one_unknown_inequality_gives_the_whole_range_and_unbounded_ends():
    net = symcnn.load(EXAMPLES / "solve_small_kernels.yaml")
    assert net.solve("params <= 1000").ranges == (IntRange(1, 35),)
    at_least = net.solve("params >= 1000")
    assert at_least.ranges == (IntRange(36, None),) and at_least.count is None
    assert net.solve("params >= 1000", minimize="k").value == 36
    no_largest = net.solve("params >= 1000", maximize="k")
    assert no_largest.best is None and "grows without bound" in no_largest.notes[0]


def test_same_padding_holds_for_every_input_size_and_conditions_are_reported():
    net = symcnn.load(EXAMPLES / "solve_padding.yaml")
    solution = net.solve("output_shape = [H, W, 8]", values={"f": 7})
    assert solution.value == 3 and solution.conditions == ()
    for size in (7, 8, 31, 224):
        assert net.subs(H=size, W=size, f=7, z=3).output_shape == (size, size, 8)


def test_a_solution_that_makes_the_network_invalid_is_not_a_solution():
    net = symcnn.load(
        {
            "input": [32, 32, 8],
            "layers": [
                {"type": "conv2d", "name": "G", "out_channels": "k", "kernel_size": 3, "groups": 4}
            ],
        }
    )
    solution = net.solve("params = 95")  # 19*k = 95 needs k = 5, and 4 does not divide 5
    assert solution.count == 0
    (probe,) = solution.probes
    assert probe.point == {"k": 5} and "`groups` = 4 must divide" in probe.reason
    assert net.solve("params <= 1000", maximize="k").value == 52  # 19*52 = 988, 52 = 4*13


def test_kernel_larger_than_the_input_is_never_an_answer():
    net = symcnn.load(EXAMPLES / "solve_kernel.yaml")
    # an output of at least 1 needs f <= 32; 33 would "fit" the formula's sign but not the input
    assert net.solve("output_shape[0] >= 1").ranges == (IntRange(1, 32),)


def test_bias_flags_are_searched_over_0_and_1():
    net = conv_net(32, 3, out_channels=8, kernel_size=3, bias="b")
    assert net.solve("params = 216").value == 0
    assert net.solve("params = 224").value == 1
    assert net.solve("params = 230").count == 0


def test_question_marks_in_a_spec_are_unknowns():
    spec = {
        "input": [32, 32, 3],
        "layers": [{"type": "conv2d", "name": "CONV1", "out_channels": "?", "kernel_size": "?"}],
    }
    solution = symcnn.solve(spec, "output_shape = [28, 28, 8]")
    assert solution.points == ({"CONV1_out_channels": 8, "CONV1_kernel_size": 5},)
    with pytest.raises(symcnn.ParseError):
        symcnn.load(spec)  # only the solver reads '?'


def test_strided_input_size_range_and_neighbours():
    net = symcnn.load(EXAMPLES / "solve_strided.yaml")
    assert net.solve("output_shape = [17, 17, 16]").count == 4
    for size, out in ((70, 16), (71, 17), (74, 17), (75, 18)):
        assert net.subs(H=size).output_shape == (out, out, 16)
    stride = conv_net(32, 3, out_channels=8, kernel_size=3, stride="s")
    assert stride.solve("output_shape = [8, 8, 8]").value == 4
    assert stride.solve("output_shape = [16, 16, 8]").count == 0  # floor(29/s) + 1 skips 16


def test_several_unknowns_with_bounds_and_an_objective():
    net = symcnn.load(
        {
            "input": [32, 32, 3],
            "layers": [
                {"type": "conv2d", "out_channels": "k1", "kernel_size": 3},
                {"type": "conv2d", "out_channels": "k2", "kernel_size": 3},
            ],
        }
    )
    solution = net.solve(
        "params <= 10^4",
        unknowns=["k1", "k2"],
        maximize="params",
        bounds={"k1": "1..64", "k2": (1, 64)},
    )
    best = solution.best
    assert all(net.subs(p).params == best <= 10**4 for p in solution.points)
    brute = max(
        28 * a + (9 * a + 1) * b
        for a in range(1, 65)
        for b in range(1, 65)
        if 28 * a + (9 * a + 1) * b <= 10**4
    )
    assert best == brute


def test_layer_targets_and_expressions_of_quantities():
    net = symcnn.load(EXAMPLES / "solve_filters.yaml")
    assert net.solve("layers[2].params = 3216").value == 16
    assert net.solve("CONV2.output_shape = [10, 10, 16]").value == 16
    assert net.solve("params - FC3.params = 608 + 3216 + 10164 + 850").value == 16


def test_derivation_has_the_formula_in_symbols_and_with_numbers():
    net = symcnn.load(EXAMPLES / "solve_filters.yaml")
    steps = net.solve("CONV2.params = 3216").derivation
    assert isinstance(steps[0], Stated) and steps[0].target.text == "CONV2.params = 3216"
    formula = next(s for s in steps if isinstance(s, LayerFormula))
    assert sympy.sstr(formula.general) == "k*(bias + d*m*n/g)"
    assert sympy.sstr(formula.substituted) == "k*(1 + 8*5*5/1)"
    equation = next(s for s in steps if isinstance(s, Equation))
    assert (sympy.sstr(equation.lhs), equation.relation, equation.rhs) == ("201*k", "==", 3216)
    assert next(s for s in steps if isinstance(s, Roots)).roots == (16,)
    symbolic = symcnn.load(EXAMPLES / "symbolic.yaml")
    steps = symbolic.solve("params = 62958", values={"H": 32, "W": 32, "k1": 8}).derivation
    roles = [s.role for s in steps if isinstance(s, Equation)]
    assert roles[:2] == ["in symbols", "with numbers"]
    strided = symcnn.load(EXAMPLES / "solve_strided.yaml").solve("output_shape[0] = 17")
    assert any(isinstance(s, Search) and s.method == "monotone" for s in strided.derivation)


# ----------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("spec", "targets", "options", "message"),
    [
        ("solve_small_kernels.yaml", ["params = 3216"], {"unknowns": "q"}, "unknown symbol q"),
        ("solve_small_kernels.yaml", ["params = 280", "params = 560"], {}, "contradictory"),
        ("solve_small_kernels.yaml", ["output_shape = [28, 28, 8]"], {}, "is 30 whatever k"),
        ("solve_small_kernels.yaml", ["params == 3216"], {"bounds": {"k": "0..9"}}, "start"),
        ("solve_small_kernels.yaml", ["parms = 3216"], {}, "did you mean params"),
        ("solve_small_kernels.yaml", ["params"], {}, "needs a relation"),
        ("solve_small_kernels.yaml", ["output_shape = 28"], {}, "give a list"),
        ("solve_small_kernels.yaml", [], {}, "nothing to solve"),
        ("solve_budget.yaml", ["params <= 10^6"], {"maximize": "k1", "minimize": "k1"}, "either"),
        ("symbolic.yaml", ["params = 62958"], {"unknowns": "k2"}, "also depend on H"),
        ("solve_pairs.yaml", ["params >= 100"], {}, "unbounded search"),
        ("solve_pairs.yaml", ["params = 3216"], {"max_points": 10}, "more than max_points"),
    ],
)
def test_errors_are_clear_solve_errors(spec, targets, options, message):
    net = symcnn.load(EXAMPLES / spec)
    with pytest.raises(SolveError, match=message):
        net.solve(*targets, **options)


def test_ceil_mode_pooling_has_a_closed_form_and_needs_no_bounds():
    # ceil mode's last-window rule is one floor (symcnn.floors), so no bounds are needed
    net = symcnn.load(
        {
            "input": ["H", "H", 3],
            "layers": [{"type": "maxpool2d", "kernel_size": 3, "stride": 2, "ceil_mode": True}],
        }
    )
    unbounded = net.solve("output_shape = [9, 9, 3]")
    bounded = net.solve("output_shape = [9, 9, 3]", bounds={"H": "1..100"})
    expected = [h for h in range(1, 101) if valid_value(net, {"H": h}, "shape") == (9, 9, 3)]
    assert [p["H"] for p in unbounded.points] == [p["H"] for p in bounded.points] == expected


def test_searches_stop_on_time_and_say_so():
    net = symcnn.load(EXAMPLES / "solve_pairs.yaml")
    solution = net.solve("params >= 1", bounds={"k": "1..10000"}, timeout=0)
    assert not solution.complete and "stopped" in solution.notes[0]
    assert "before the search stopped" in str(solution)


# ----------------------------------------------------------------------------------- properties


@st.composite
def conv_cases(draw):
    size = draw(st.integers(4, 40))
    kernel = draw(st.integers(1, min(size, 7)))
    return {
        "size": size,
        "channels": draw(st.integers(1, 16)),
        "kernel": kernel,
        "stride": draw(st.integers(1, 3)),
        "padding": draw(st.integers(0, (kernel - 1) // 2 + 1)),
        "bias": draw(st.booleans()),
    }


@FAST
@given(case=conv_cases(), filters=st.integers(1, 500))
def test_solving_then_substituting_returns_the_target(case, filters):
    net = conv_net(
        case["size"],
        case["channels"],
        out_channels="k",
        kernel_size=case["kernel"],
        stride=case["stride"],
        padding=case["padding"],
        bias=case["bias"],
    )
    target = net.subs(k=filters).params
    solution = net.solve(params=int(target))
    assert solution.points == ({"k": filters},)
    assert net.subs(solution.points[0]).params == target


@FAST
@given(case=conv_cases(), filters=st.integers(1, 8))
def test_kernel_solutions_are_exactly_the_kernels_that_give_the_shape(case, filters):
    net = conv_net(
        case["size"],
        case["channels"],
        out_channels=filters,
        kernel_size="f",
        stride=case["stride"],
        padding=case["padding"],
    )
    shape = valid_value(net, {"f": case["kernel"]}, "shape")
    solution = net.solve(f"output_shape = {list(shape)}")
    brute = [
        f
        for f in range(1, case["size"] + 2 * case["padding"] + 2)
        if valid_value(net, {"f": f}, "shape") == shape
    ]
    assert [p["f"] for p in solution.points] == brute
    assert solution.count == len(brute)


@st.composite
def two_unknown_problems(draw):
    size = draw(st.integers(3, 12))
    relation = draw(st.sampled_from(["=", "<=", ">=", "<", ">"]))
    value = draw(st.integers(1, 2000))
    return size, relation, value


@settings(max_examples=15, deadline=None)
@given(problem=two_unknown_problems())
def test_every_solution_holds_and_none_is_missing_brute_force(problem):
    size, relation, value = problem
    net = symcnn.load(
        {
            "input": [size, size, 2],
            "layers": [
                {"type": "conv2d", "out_channels": "k", "kernel_size": "f"},
                {"type": "flatten"},
                {"type": "linear", "out_features": 3},
            ],
        }
    )
    bounds = {"f": (1, 8), "k": (1, 6)}
    solution = net.solve(
        f"params {relation} {value}", unknowns=["f", "k"], bounds=bounds, limit=1000
    )
    holds = {"=": int.__eq__, "<=": int.__le__, ">=": int.__ge__, "<": int.__lt__, ">": int.__gt__}[
        relation
    ]
    brute = []
    for f in range(1, 9):
        for k in range(1, 7):
            params = valid_value(net, {"f": f, "k": k})
            if params is not None and holds(int(params), value):
                brute.append({"f": f, "k": k})
    assert [dict(p) for p in solution.points] == brute
    assert solution.count == len(brute)


@FAST
@given(channels=st.integers(1, 64), kernel=st.integers(1, 5), budget=st.integers(10**3, 10**8))
def test_the_largest_width_meets_the_budget_and_the_next_does_not(channels, kernel, budget):
    net = symcnn.load(
        {
            "input": [16, 16, channels],
            "layers": [
                {
                    "type": "conv2d",
                    "out_channels": "k",
                    "kernel_size": kernel,
                    "padding": kernel // 2,
                },
                {
                    "type": "conv2d",
                    "out_channels": "k",
                    "kernel_size": kernel,
                    "padding": kernel // 2,
                },
                {"type": "flatten"},
                {"type": "linear", "out_features": 10},
            ],
        }
    )
    solution = net.solve(f"params <= {budget}", maximize="k")
    if solution.count == 0:
        assert net.subs(k=1).params > budget
        return
    best = solution.value
    assert net.subs(k=best).params <= budget < net.subs(k=best + 1).params


@FAST
@given(
    stages=st.lists(st.tuples(st.integers(1, 5), st.integers(1, 3)), min_size=1, max_size=3),
    size=st.integers(1, 120),
)
def test_input_size_ranges_through_floors_match_brute_force(stages, size):
    layers = [
        {"type": "conv2d", "out_channels": 4, "kernel_size": kernel, "stride": stride}
        for kernel, stride in stages
    ]
    net = symcnn.load({"input": ["H", "H", 3], "layers": layers})

    def output(h):  # plain Python: PyTorch's formula, stage by stage; None once a kernel won't fit
        for kernel, stride in stages:
            if h < kernel:
                return None
            h = (h - kernel) // stride + 1
        return h

    if output(size) is None:
        return
    assert net.subs(H=size).output_shape == (output(size), output(size), 4)
    shape = [output(size), output(size), 4]
    solution = net.solve(f"output_shape = {shape}", bounds={"H": (1, 400)}, limit=1000)
    brute = [h for h in range(1, 401) if output(h) == output(size)]
    assert [p["H"] for p in solution.points] == brute
    # and without bounds the monotone search finds the same range
    assert net.solve(f"output_shape = {shape}").ranges == IntSet.points(brute).ranges


# ----------------------------------------------------------------------------------- the CLI


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_solves_and_prints_the_answer_then_the_derivation(capsys):
    code, out, err = run(
        capsys, "solve", str(EXAMPLES / "solve_filters.yaml"), "--where", "CONV2.params=3216"
    )
    assert code == 0 and err == ""
    assert out.splitlines()[0] == "k = 16"
    assert "k*(1 + 8*5*5/1)" in out and "201*k = 3216" in out


def test_cli_max_several_unknowns_and_json(capsys):
    code, out, _ = run(
        capsys,
        "solve",
        str(EXAMPLES / "solve_budget.yaml"),
        "--max",
        "k1",
        "--where",
        "params<=1000000",
    )
    assert code == 0 and out.startswith("Largest k1 with params<=1000000: k1 = 110")
    assert "k1 = 111 gives params = 1,002,118" in out
    code, out, _ = run(
        capsys,
        "solve",
        str(EXAMPLES / "solve_pairs.yaml"),
        "--for",
        "f,k",
        "--where",
        "params=3216",
        "--bounds",
        "k=1..512",
        "--format",
        "json",
    )
    data = json.loads(out)
    assert data["points"] == [{"f": 5, "k": 16}] and data["count"] == 1
    assert data["bounds"]["k"] == [1, 357] and data["complete"] is True


def test_cli_no_solution_and_shape_target(capsys):
    code, out, _ = run(
        capsys,
        "solve",
        str(EXAMPLES / "solve_small_kernels.yaml"),
        "--where",
        "params=3216",
        "--format",
        "json",
    )
    data = json.loads(out)
    # no integer solution: the answer is no, exit status 1 (docs/cli.md)
    assert code == 1 and data["count"] == 0 and data["nearest"][0]["value"] == "804/7"
    assert [p["values"]["params"] for p in data["probes"]] == [3192, 3220]
    code, out, _ = run(
        capsys, "solve", str(EXAMPLES / "solve_strided.yaml"), "--where", "output_shape=[17,17,16]"
    )
    assert out.splitlines()[0] == "H = 71..74 (4 values)"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--where", "params=3216", "--for", "q"], "unknown symbol q"),
        (["--where", "params=280", "--where", "params=560"], "contradictory targets"),
        (["--where", "params=3216", "--bounds", "k"], "expected NAME=LO..HI"),
        (["--where", "params=3216", "--set", "k"], "expected NAME=VALUE"),
    ],
)
def test_cli_errors_are_one_line(capsys, argv, message):
    code, out, err = run(capsys, "solve", str(EXAMPLES / "solve_small_kernels.yaml"), *argv)
    assert code == 2 and out == "" and err.count("\n") == 1 and message in err


def test_inverse_design_example_script_runs():
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / "inverse_design.py")],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert "CONV2 filters for 3,216 parameters: k = 16" in completed.stdout
    assert completed.stderr == ""
