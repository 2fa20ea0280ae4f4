"""Forms: symbolic totals shown expanded, factored, collected, or as per-layer contributions —
rewritten once, on the result, and always equal to the sum as built."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn
from symcnn import SolveError
from symcnn.cli import main
from symcnn.forms import contributions, parse_form, rewrite

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def test_budget_network_collects_to_9028_k_plus_10():
    net = symcnn.load(EXAMPLES / "solve_budget.yaml")
    k1 = net.symbols["k1"]
    assert net.rewrite("collect:k1").params == 9028 * k1 + 10
    assert net.rewrite("expand").params == 9028 * k1 + 10
    assert sympy.sstr(net.rewrite("factor").params) == "2*(4514*k1 + 5)"


FORMS = [
    ("expand", "25*k1*k2 + 76*k1 + 3001*k2 + 11134"),
    ("collect:k2", "76*k1 + k2*(25*k1 + 3001) + 11134"),
    ("collect:k1", "k1*(25*k2 + 76) + 3001*k2 + 11134"),
    ("collect:k1,k2", "k1*(25*k2 + 76) + 3001*k2 + 11134"),
    ("sum", "76*k1 + k2*(25*k1 + 1) + 3000*k2 + 11134"),
]


@pytest.mark.parametrize(("form", "text"), FORMS)
def test_forms_of_the_symbolic_lenet(form, text):
    net = symcnn.load(EXAMPLES / "symbolic.yaml").subs(H=32, W=32)
    shown = net.rewrite(form)
    assert sympy.sstr(shown.params) == text
    assert sympy.expand(shown.params - net.params) == 0
    assert [r.output_shape for r in shown.rows] == [r.output_shape for r in net.rows]


def test_rewriting_keeps_the_network_otherwise_unchanged():
    net = symcnn.load(EXAMPLES / "symbolic.yaml")
    shown = net.rewrite("expand")
    assert shown.symbols == net.symbols and shown.conditions == net.conditions
    assert shown.subs(H=32, W=32, k1=8, k2=16).params == 62958
    assert all(
        sympy.expand(a.params - b.params) == 0 for a, b in zip(shown.rows, net.rows, strict=True)
    )


def test_contributions_are_the_nonzero_rows_and_sum_to_the_total():
    net = symcnn.load(EXAMPLES / "symbolic.yaml").subs(H=32, W=32)
    shares = net.contributions("params")
    assert [name for name, _ in shares] == ["CONV1", "CONV2", "FC3", "FC4", "Softmax"]
    assert sympy.Add(*(value for _, value in shares)) == net.params
    assert contributions(net, "activation_size")[0] == ("CONV1", 784 * net.symbols["k1"])
    with pytest.raises(SolveError, match="choose params"):
        contributions(net, "flops")


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ("tidy", "unknown form"),
        ("collect:", "name the symbols"),
        ("collect:q", "unknown symbol q"),
        ("expand:k", "unknown form"),
    ],
)
def test_form_errors(form, message):
    net = symcnn.load(EXAMPLES / "symbolic.yaml")
    with pytest.raises(SolveError, match=message):
        net.rewrite(form)


@settings(max_examples=20, deadline=None)
@given(
    filters=st.lists(st.sampled_from(["k", "2*k", "k + 1", "8", "k*k"]), min_size=1, max_size=4),
    form=st.sampled_from(["expand", "factor", "collect:k"]),
)
def test_every_form_equals_the_sum_as_built(filters, form):
    layers = [
        {"type": "conv2d", "out_channels": f, "kernel_size": 3, "padding": 1} for f in filters
    ]
    net = symcnn.load({"input": [16, 16, "k"], "layers": layers})
    shown = net.rewrite(form)
    assert sympy.expand(shown.params - net.params) == 0
    assert rewrite(net.params, form, net.symbols) == shown.params
    assert parse_form(form, net.symbols)(net.params) == shown.params


def test_cli_summary_form(capsys):
    code = main(["summary", str(EXAMPLES / "solve_budget.yaml"), "--form", "collect:k1"])
    out = capsys.readouterr().out
    assert code == 0 and out.splitlines()[-1].split()[-3:] == ["9028*k1", "+", "10"]
    code = main(["summary", str(EXAMPLES / "symbolic.yaml"), "--form", "collect:q"])
    assert code == 2 and "unknown symbol q" in capsys.readouterr().err
