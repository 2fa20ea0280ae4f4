"""``symcnn.check`` and ``symcnn check``: verdicts, counterexamples, the mistake catalogue."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn
from symcnn import ParseError, SpecError, check
from symcnn.check import SEARCH_COST, Counterexample, _assignments, normalize
from symcnn.cli import main
from symcnn.mistakes import CATALOGUE, lookup
from symcnn.strategies import writings
from symcnn.symbols import NOTATION, bias, c, d, k, m, n, p

ROOT = Path(__file__).resolve().parent.parent
LENET = str(ROOT / "examples" / "lenet5.yaml")
W, s_w = NOTATION["W"].symbol, NOTATION["s_w"].symbol

# ----------------------------------------------------------------------------------- catalogue

#: the entries the issue asks for, at least
REQUIRED = [
    "forgot-depth",
    "dense-bias-once",
    "bias-on-input-side",
    "forgot-bias",
    "spatial-size-in-params",
    "pooling-parameters",
    "stride-or-padding-in-params",
    "output-size-no-floor",
    "floor-of-n-minus-f-plus-one",
    "transposed-in-out-swapped",
    "depthwise-as-full",
]
EXAMPLES = [(mistake, example) for mistake in CATALOGUE for example in mistake.examples]


def test_the_catalogue_has_every_required_entry_with_a_source():
    ids = [mistake.id for mistake in CATALOGUE]
    assert len(ids) == len(set(ids))
    assert set(REQUIRED) <= set(ids)
    for mistake in CATALOGUE:
        assert mistake.source and mistake.explanation and mistake.forms
        if all(form.context for form in mistake.forms):
            # a network-level mistake: `check` sees one layer, the exam tests catch it
            assert not mistake.examples, f"{mistake.id}: check cannot show its examples"
            continue
        kinds = {"number" if _is_number(e.claim) else "formula" for e in mistake.examples}
        assert kinds == {"number", "formula"}, f"{mistake.id} needs a formula and a number example"


def _is_number(claim: str) -> bool:
    try:
        return bool(symcnn.parse_expression(claim, allowed_names=()).is_number)
    except ParseError:
        return False


@pytest.mark.parametrize(
    ("mistake", "example"), EXAMPLES, ids=[f"{m.id}: {e.claim}" for m, e in EXAMPLES]
)
def test_every_catalogue_entry_is_detected(mistake, example):
    verdict = check(example.claim, example.against, values=example.values)
    assert not verdict.right
    assert mistake.id in [dg.mistake.id for dg in verdict.diagnoses if dg.mistake]


def test_the_floor_mistake_is_wrong_for_seven_three_two():
    verdict = check("floor((W - m + 1)/s_w)", "conv1d.output_size")
    example = verdict.counterexample
    assert example is not None and example.claim != example.truth
    at_732 = {W: 7, m: 3, s_w: 2}
    assert verdict.claim.xreplace(at_732) == 2 and verdict.truth.xreplace(at_732) == 3


# ----------------------------------------------------------------------------------- the seeds

#: the correct formulas of the seed texts, and what the layer's bias must be for them
SEED_FORMULAS = [
    ((m * n * d + 1) * k, "conv2d.params", "bias = 1"),  # seed 002
    ((m * n * d + bias) * k, "conv2d.params", None),
    (m * n * d * k, "conv2d.params", "bias = 0"),  # seed 001: without bias
    (c * p + c, "linear.params", "bias = 1"),  # seed 002: ((c*p)+1*c)
    ((p + 1) * c, "linear.params", "bias = 1"),
    (p * c, "linear.params", "bias = 0"),
    ((p + bias) * c, "dense.params", None),
]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(SEED_FORMULAS).flatmap(lambda row: st.tuples(st.just(row), writings(row[0])))
)
def test_the_seeds_correct_formulas_are_right_however_written(case):
    (_, against, condition), text = case
    verdict = check(text, against)
    assert verdict.right and verdict.proved, text
    assert verdict.condition == condition


@pytest.mark.parametrize(
    ("claim", "against", "quantity"),
    [
        ("608", LENET, "CONV1.params"),
        ("(((5*5*8)+1)*16) = 3216".split(" = ")[1], LENET, "CONV2.params"),
        ("120*400+1*120", LENET, "FC3.params"),
        ("10,164", LENET, "FC4.params"),
        ("850", LENET, "Softmax.params"),
        ("62,958", LENET, "params"),
        ("6,272", LENET, "CONV1.activation_size"),
        ("14", LENET, "POOL1.out_w"),
        ("3x3x128x256", "conv2d 128->256 3x3 bias=false", None),
        ("(3×3×128+1)×256", "conv2d 3x3x128 k=256", None),
        ("33,024", "linear 128->256 params", None),
        ("1152", "conv1d 7->32 kernel=5", None),
    ],
)
def test_the_seeds_correct_numbers_are_right(claim, against, quantity):
    verdict = check(claim, against, quantity=quantity)
    assert verdict.right and verdict.condition is None


@pytest.mark.parametrize(
    ("claim", "quantity", "mistake"),
    [
        ("208", "CONV1.params", "forgot-depth"),
        ("416", "CONV2.params", "forgot-depth"),
        ("48,001", "FC3.params", "dense-bias-once"),
        ("10,081", "FC4.params", "dense-bias-once"),
        ("841", "Softmax.params", "dense-bias-once"),
    ],
)
def test_the_seeds_wrong_numbers_get_their_mistake(claim, quantity, mistake):
    verdict = check(claim, LENET, quantity=quantity)
    assert not verdict.right
    assert [dg.mistake.id for dg in verdict.diagnoses if dg.mistake] == [mistake]


def test_a_wrong_total_is_explained_layer_by_layer():
    # seed 000's table: 208 + 416 + 48,001 + 10,081 + 841
    verdict = check(208 + 416 + 48001 + 10081 + 841, LENET)
    found = {dg.mistake.id: dg.rows for dg in verdict.diagnoses}
    assert found == {
        "forgot-depth": ("CONV1", "CONV2"),
        "dense-bias-once": ("FC3", "FC4", "Softmax"),
    }


def test_bias_on_the_input_side_or_the_other_direction():
    verdict = check(32896, "linear 128->256 params")
    assert (verdict.right, verdict.truth) == (False, 33024)
    titles = [dg.title for dg in verdict.diagnoses]
    assert titles == [
        "put the bias on the input side",
        "another configuration: in and out swapped (p = 256, c = 128)",
    ]
    assert verdict.difference == -128


def test_forgetting_the_bias_is_the_layer_without_one():
    verdict = check(32768, "linear 128->256 params")
    titles = [dg.title for dg in verdict.diagnoses]
    assert "forgot the bias" in titles
    assert "another configuration: without a bias (bias = 0)" in titles


# ----------------------------------------------------------------------------------- verdicts


def test_a_formula_that_holds_for_some_values_says_which():
    verdict = check("((m*n)+1)*k", "conv2d.params")
    assert not verdict.right
    assert verdict.condition == "d = 1"
    assert verdict.assumed == {bias: 1}
    assert verdict.difference == -k * m * n * (d - 1)
    assert verdict.counterexample == Counterexample({m: 1, n: 1, d: 2, k: 1}, 2, 3)


def test_right_only_with_a_bias_is_right_when_bias_is_one():
    verdict = check("(m n d + 1) k", "conv2d.params")
    assert (verdict.right, verdict.condition, verdict.status) == (True, "bias = 1", "right-when")
    # naming the bias makes it a plain verdict
    assert check("(m n d + 1) k", "conv2d.params", values={"bias": 1}).condition is None
    assert not check("(m n d + 1) k", "conv2d.params", values={"bias": 0}).right


def test_a_claim_that_names_bias_must_hold_for_both():
    verdict = check("(m n d + bias) k + bias - 1", "conv2d.params")
    assert not verdict.right and verdict.condition == "bias = 1"


def test_mentioned_symbols_stay_symbolic_the_others_take_the_defaults():
    assert check("(m*n*d/g + bias)*k", "conv2d.params").right
    assert check("(m*n*d + bias)*k", "conv2d.params").target.defaults == {NOTATION["g"].symbol: 1}
    verdict = check("floor((W + 2 z_w - m)/s_w) + 1", "conv1d.output_size")
    assert verdict.right and verdict.target.defaults == {NOTATION["r_w"].symbol: 1}


@pytest.mark.parametrize(
    "claim",
    [
        "floor((W - m)/s_w) + 1",
        "ceil((W - m + 1)/s_w)",  # TensorFlow's "VALID" formula
        "floor((W - m + s_w)/s_w)",
        "⌊(W − m)/s_w⌋ + 1",
    ],
)
def test_output_size_formulas_are_proved_however_written(claim):
    verdict = check(claim, "conv1d.output_size")
    assert verdict.right and verdict.proved


def test_values_apply_to_claim_and_engine():
    assert check("(m n + 1) k", "conv2d.params", values={"g": "d"}).right
    assert check("(m n d + 1) k", "conv2d 3->8 5x5").right  # the layer's values go into the claim
    symbolic = str(ROOT / "examples" / "symbolic.yaml")
    assert check("76*k1", symbolic, quantity="CONV1.params").right
    assert check("608", symbolic, quantity="CONV1.params", values={"k1": 8}).right


def test_network_targets_take_a_network_object_and_symbols():
    net = symcnn.load(
        {
            "input": ["H", "H", 3],
            "layers": [{"type": "conv2d", "out_channels": "k", "kernel_size": 5}],
        }
    )
    assert check("76 k", net).right
    assert check("(5*5*3 + 1)*k", net, quantity="0.params").right
    assert check("608", net, values={"k": 8}).right
    verdict = check("26 k", net)
    assert not verdict.right
    assert [dg.mistake.id for dg in verdict.diagnoses] == ["forgot-depth"]
    assert check("H - 4", net, quantity="0.out_w").right
    with pytest.raises(ParseError, match="this network's symbols: H, k"):
        check("m*k", net)


def test_counterexamples_are_the_smallest():
    # no assignment of smaller total size tells the claim and the engine apart
    verdict = check("(W - m)/s_w + 1", "conv1d.output_size")
    example = verdict.counterexample
    assert example is not None
    cost = sum(
        int(v) - (0 if s.is_nonnegative and not s.is_positive else 1)
        for s, v in example.values.items()
    )
    for values in _assignments(list(example.values), frozenset()):
        size = sum(int(v) - 1 for v in values.values())
        if size >= cost:
            break
        if values[W] < values[m]:
            continue  # the kernel must fit
        assert verdict.claim.xreplace(values) == verdict.truth.xreplace(values)
    assert cost <= SEARCH_COST


def test_normalize_turns_ceilings_into_floors():
    assert normalize(sympy.ceiling((W - m + 1) / s_w) - sympy.floor((W - m) / s_w)) == 1


def test_bad_input_is_a_symcnn_error():
    with pytest.raises(ParseError, match="unknown name 'f'; the filter size is m"):
        check("f*f*d*k", "conv2d.params")
    with pytest.raises(SpecError, match="did you mean Conv2d"):
        check("1", "conv2x.params")
    with pytest.raises(SpecError, match="unknown quantity 'weights'"):
        check("1", "conv2d.weights")
    with pytest.raises(ParseError, match="terms expanded"):
        check("(m+n+d+k+c+p+W+H)^60", "conv2d.params")
    with pytest.raises(SpecError, match="no layer 'FC9'"):
        check("1", LENET, quantity="FC9.params")


def test_lookup_names_the_valid_entries():
    assert lookup("forgot-depth").title == "forgot the input depth d"
    with pytest.raises(symcnn.SymcnnError, match="forgot-depth"):
        lookup("nope")


# ----------------------------------------------------------------------------------- CLI


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_exit_status_is_0_right_1_wrong_2_bad_input(capsys):
    assert run(capsys, "check", "608", "--against", "conv2d 3->8 5x5")[0] == 0
    code, out, _ = run(capsys, "check", "((m*n)+1)*k", "--against", "conv2d.params")
    assert code == 1
    assert "verdict:   wrong: they agree only when d = 1 (compared with bias = 1)" in out
    assert "counterexample: m = 1, n = 1, d = 2, k = 1: claim 2, engine 3" in out
    assert "diagnosis: forgot the input depth d [forgot-depth]" in out
    code, out, err = run(capsys, "check", "lambda: 0", "--against", "conv2d.params")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "'lambda' is a Python keyword, not a name at position 0" in err


def test_cli_json_gives_verdict_counterexample_and_diagnosis(capsys):
    code, out, _ = run(
        capsys, "check", "32896", "--against", "linear 128->256 params", "--format", "json"
    )
    data = json.loads(out)
    assert code == 1
    assert data["verdict"] == "wrong" and data["truth"] == "33024"
    assert data["counterexample"] == {"values": {}, "claim": "32896", "truth": "33024"}
    assert [dg["id"] for dg in data["diagnosis"]] == ["bias-on-input-side", None]
    assert data["diagnosis"][0]["source"].startswith("seed 001")
    code, out, _ = run(
        capsys, "check", "((m*n)+1)*k", "--against", "conv2d.params", "--format", "json"
    )
    data = json.loads(out)
    assert data["counterexample"]["values"] == {"m": "1", "n": "1", "d": "2", "k": "1"}
    assert data["difference"] == "-k*m*n*(d - 1)" and data["condition"] == "d = 1"


def test_cli_spec_quantity_and_set(capsys, tmp_path):
    assert run(capsys, "check", "48,120", "--against", LENET, "--quantity", "FC3.params")[0] == 0
    spec = tmp_path / "net.yaml"
    spec.write_text(
        "input: [H, H, 3]\nlayers:\n  - {type: conv2d, out_channels: k, kernel_size: 5}\n"
    )
    assert run(capsys, "check", "608", "--against", str(spec), "--set", "k=8")[0] == 0
    code, _, err = run(capsys, "check", "608", "--against", str(spec), "--set", "q=8")
    assert code == 2 and "unknown symbol q" in err


def test_the_docs_page_lists_every_catalogue_entry():
    page = (ROOT / "docs" / "checking-answers.md").read_text(encoding="utf-8")
    missing = [mistake.id for mistake in CATALOGUE if f"`{mistake.id}`" not in page]
    assert not missing, f"docs/checking-answers.md does not list {missing}"
