"""Identities between layer formulas: each built-in one is proved and checked on networks."""

from __future__ import annotations

import json

import pytest
import sympy

from symcnn import SpecError, SymcnnError
from symcnn.cli import main
from symcnn.identities import IDENTITIES, Identity, load_identities, quantity, register
from symcnn.symbols import NOTATION, bias, d, g, k, m, n

#: the identities the issue asks for
REQUIRED = [
    "pointwise-conv-is-dense",
    "full-kernel-conv-is-dense",
    "depthwise-separable",
    "grouped-conv-weights",
    "stacked-3x3-see-5x5",
    "transposed-conv-is-swapped-conv",
    "bias-adds-output-units",
    "same-padding-keeps-size",
]


def test_the_required_identities_are_registered():
    assert set(REQUIRED) <= set(IDENTITIES)


@pytest.mark.parametrize("name", list(IDENTITIES))
def test_each_identity_is_proved_and_checked_on_networks(name):
    identity = IDENTITIES[name]
    assert identity.prove()
    outcome = identity.check(samples=12)
    assert outcome.ok, outcome.failures
    assert identity.example is not None  # every built-in one is also built as real networks


def test_the_numbers_the_issue_quotes():
    stacked = IDENTITIES["stacked-3x3-see-5x5"]
    assert stacked.lhs[2:] == (18 * d**2, 25 * d**2)
    assert IDENTITIES["grouped-conv-weights"].lhs == (d * k * m * n,)
    assert quantity("conv2d.params", g="g", bias=0) == d * k * m * n / g


def test_a_false_identity_is_neither_proved_nor_checked():
    wrong = Identity(
        "transposed-is-conv-with-bias",
        "wrongly: ConvTranspose2d(d → k) has exactly the parameters of Conv2d(k → d)",
        lhs=(quantity("convtranspose2d.params"),),
        rhs=(quantity("conv2d.params", d="k", k="d"),),
    )
    assert not wrong.prove()
    outcome = wrong.check(samples=30)
    assert outcome.failures and not outcome.ok
    failure = outcome.failures[0]
    assert failure["values"]["bias"] == 1 and failure["values"]["d"] != failure["values"]["k"]


def test_a_broken_example_is_caught():
    def lying_network(values):
        return [1], [2]

    identity = Identity("lies", "", lhs=(bias,), rhs=(bias,), example=lying_network)
    assert identity.prove() and not identity.check(samples=3).ok


def test_users_register_their_own():
    mine = Identity(
        "conv1d-is-flat-conv2d",
        "A Conv1d has the parameters of a Conv2d whose kernel is one row high.",
        lhs=(quantity("conv1d.params"),),
        rhs=(quantity("conv2d.params", n=1),),
    )
    try:
        register(mine)
        assert IDENTITIES["conv1d-is-flat-conv2d"].prove()
        with pytest.raises(SymcnnError, match="already registered"):
            register(mine)
        register(mine, replace=True)
    finally:
        IDENTITIES.pop("conv1d-is-flat-conv2d", None)


def test_sides_must_be_expressions_not_text():
    with pytest.raises(SymcnnError, match="not str"):
        Identity("text", "", lhs=("m*n",), rhs=(m * n,))
    with pytest.raises(SymcnnError, match="same number of parts"):
        Identity("parts", "", lhs=(m, n), rhs=(m,))


IDENTITIES_FILE = """\
identities:
  - name: pointwise-is-dense
    statement: A 1x1 conv has the parameters of a dense layer.
    lhs: {quantity: conv2d.params, set: {m: 1, n: 1}}
    rhs: {quantity: linear.params, set: {p: d, c: k}}
  - name: separable-sum
    statement: depthwise plus pointwise
    lhs:
      sum:
        - {quantity: conv2d.params, set: {k: d, g: d}}
        - {quantity: conv2d.params, set: {m: 1, n: 1}}
    rhs: "d (m n + k) + bias (d + k)"
    minimum: {d: 2}
"""


def test_identities_from_yaml(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(IDENTITIES_FILE)
    loaded = load_identities(path)
    assert [identity.name for identity in loaded] == ["pointwise-is-dense", "separable-sum"]
    assert all(identity.prove() and identity.check(samples=5).ok for identity in loaded)
    assert loaded[1].minimum == {d: 2}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("identities: 3", "a list under `identities`"),
        ("identities: [{name: x, lhs: 1}]", "has no `rhs`"),
        ("identities: [{name: x, lhs: {oops: 1}, rhs: 1}]", "a side must be"),
        ("identities: [{name: x, lhs: \"__import__('os')\", rhs: 1}]", "may not start with '_'"),
        (
            "identities: [{name: x, lhs: !!python/object/apply:os.system [echo], rhs: 1}]",
            "not valid YAML",
        ),
    ],
)
def test_bad_identity_files_are_symcnn_errors(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(SymcnnError, match=message):
        load_identities(path)


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_lists_every_identity_with_its_status(capsys):
    code, out, err = run(capsys, "identities", "--samples", "3")
    assert code == 0 and err == ""
    for name in IDENTITIES:
        assert f"{name}  [proved, checked on 3 configurations]" in out


def test_cli_json_show_and_files(capsys, tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(IDENTITIES_FILE)
    code, out, _ = run(
        capsys,
        "identities",
        "pointwise-is-dense",
        "--file",
        str(path),
        "--format",
        "json",
        "--samples",
        "4",
    )
    data = json.loads(out)
    assert code == 0
    assert data == [
        {
            "name": "pointwise-is-dense",
            "statement": "A 1x1 conv has the parameters of a dense layer.",
            "proved": True,
            "checked": 4,
            "failures": [],
            "lhs": ["k*(bias + d)"],
            "rhs": ["k*(bias + d)"],
            "source": "",
        }
    ]
    code, out, _ = run(capsys, "identities", "same-padding-keeps-size", "--show", "--samples", "2")
    assert code == 0 and "    W  =  W" in out


def test_cli_fails_on_a_false_identity_and_on_bad_input(capsys, tmp_path):
    path = tmp_path / "false.yaml"
    path.write_text("identities:\n  - {name: wrong, lhs: 'm*n', rhs: 'm + n'}\n")
    code, out, _ = run(capsys, "identities", "wrong", "--file", str(path), "--samples", "5")
    assert code == 1 and "NOT PROVED, FAILS on" in out and "fails at m = " in out
    code, _, err = run(capsys, "identities", "nope")
    assert code == 2 and "no identity 'nope'" in err
    code, _, err = run(capsys, "identities", "--samples", "0")
    assert code == 2 and "--samples 0" in err


def test_quantity_reads_the_engine():
    assert quantity("linear 128->256 params") == 33024
    assert quantity("conv2d.out_w", padding="same") == NOTATION["W"].symbol
    with pytest.raises(SpecError, match="unknown setting `stride`"):
        quantity("linear.params", stride=2)
    assert sympy.expand(quantity("conv2d.params") - (m * n * d + bias) * k) == 0


def test_the_docs_page_lists_every_built_in_identity():
    from pathlib import Path

    page = (Path(__file__).resolve().parent.parent / "docs" / "identities.md").read_text("utf-8")
    missing = [name for name in IDENTITIES if f"`{name}`" not in page]
    assert not missing, f"docs/identities.md does not list {missing}"
