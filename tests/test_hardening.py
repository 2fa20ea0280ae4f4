"""Issue 14, one regression test per item: no hang, no traceback, no silently wrong number.

Each test feeds the hostile or careless input the issue names and asserts a clear symcnn error
(naming the limit where one applies) or the right answer — checked against PyTorch where it is a
count — within a time limit.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sympy
import torch

import symcnn
import symcnn.limits
from symcnn import SymcnnError
from symcnn.cli import main
from symcnn.errors import ParseError, SpecError
from symcnn.render.pdf import find_engine

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
#: seconds any one refusal may take: far below a hang, generous for a loaded machine
LIMIT = 5.0


class HungError(Exception):
    """The watchdog fired."""


@contextmanager
def within(seconds: float = LIMIT) -> Iterator[None]:
    """Fail if the block takes longer than ``seconds`` (a SIGALRM watchdog: a hang is
    interrupted, not waited out)."""

    def fire(signum: int, frame: object) -> None:
        raise HungError(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with within():
        code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def refused(capsys: pytest.CaptureFixture[str], *argv: str, match: str) -> str:
    """Run the CLI; assert exit status 2 and one error line that matches ``match``."""
    code, _, err = run(capsys, *argv)
    lines = [line for line in err.splitlines() if "error:" in line]
    assert code == 2 and len(lines) == 1, err
    assert match in lines[0], lines[0]
    return lines[0]


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def conv_params(in_channels: int, out_channels: int, kernel: int) -> int:
    layer = torch.nn.Conv2d(in_channels, out_channels, kernel)
    return sum(p.numel() for p in layer.parameters())


# ------------------------------------------------------------------------------ hangs

#: a nine-level alias tree: 4 KB of text standing for 9**9 values
BOMB = "".join(
    f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}" if i else "1"] * 9) + "]\n" for i in range(10)
)


LAYER = "{type: conv2d, out_channels: 8, kernel_size: 3}"


@pytest.mark.parametrize(
    ("field", "spec"),
    [
        ("kernel_size", f"input: [32, 32, 3]\nlayers: [{LAYER.replace('3}', '*a9}')}]\n"),
        ("input", f"input: *a9\nlayers: [{LAYER}]\n"),
        ("layout", f"input: [32, 32, 3]\nlayout: *a9\nlayers: [{LAYER}]\n"),
        ("type", f"input: [32, 32, 3]\nlayers: [{LAYER.replace('conv2d', '*a9')}]\n"),
        ("layer", "input: [32, 32, 3]\nlayers: [*a9]\n"),
        ("name", f"input: [32, 32, 3]\nlayers: [{{name: *a9, {LAYER[1:]}]\n"),
    ],
)
def test_an_alias_bomb_is_refused_at_load(field: str, spec: str) -> None:
    with within(), pytest.raises(SpecError, match="MAX_YAML_NODES"):
        symcnn.load(_bombed(spec))


def _bombed(spec: str) -> str:
    """The alias tree inside an ignored block argument, then the spec that uses it."""
    tree = "".join(f"      {line}\n" for line in BOMB.splitlines())
    return f"blocks:\n  unused:\n    layers: [{LAYER}]\n    args:\n{tree}{spec}"


def test_a_large_value_in_an_error_message_is_cut() -> None:
    value = [[list(range(50))] * 50] * 50
    with within(), pytest.raises(SpecError) as error:
        symcnn.load(
            {
                "input": [32, 32, 3],
                "layers": [{"type": "conv2d", "out_channels": 8, "kernel_size": value}],
            }
        )
    assert len(str(error.value)) < 3 * symcnn.limits.MAX_DESCRIBED


def test_an_identity_or_exam_alias_bomb_is_refused(tmp_path: Path, capsys) -> None:
    identities = write(tmp_path, "bomb.yaml", BOMB + "identities: [{name: *a9, lhs: m, rhs: m}]\n")
    refused(capsys, "identities", "--file", identities, match="MAX_YAML_NODES")
    exam = BOMB + "input: [28, 28, 1]\nlayer: {type: conv2d, out_channels: 4, kernel_size: 3}\n"
    exam += "questions: [{ask: params, layer: *a9}]\n"
    refused(
        capsys,
        "exam",
        write(tmp_path, "exam.yaml", exam),
        "-o",
        str(tmp_path / "out"),
        match="MAX_YAML_NODES",
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_or_a_device_is_not_read(tmp_path: Path, capsys) -> None:
    fifo = tmp_path / "f.yaml"
    os.mkfifo(fifo)
    zero = tmp_path / "z.yaml"
    zero.symlink_to("/dev/zero")
    for path in (fifo, zero):
        refused(capsys, "summary", str(path), match="not a regular file")
        refused(capsys, "identities", "--file", str(path), match="not a regular file")
        exam = write(
            tmp_path, "exam.yaml", f"network: {path.name}\nquestions: [{{ask: total_params}}]\n"
        )
        refused(capsys, "exam", exam, "-o", str(tmp_path / "out"), match="not a regular file")


def test_a_file_over_the_size_limit_is_refused(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(symcnn.limits, "MAX_SPEC_BYTES", 1000)
    big = write(tmp_path, "big.yaml", "# padding\n" * 200 + (EXAMPLES / "lenet5.yaml").read_text())
    refused(capsys, "summary", big, match="MAX_SPEC_BYTES")


@pytest.mark.parametrize("claim", ["k^(k^k)", "2^(2^k)", "m^(n^d)", "2^k"])
def test_an_exponent_that_is_not_a_number_is_refused(claim: str, capsys) -> None:
    refused(capsys, "check", claim, "--against", "conv2d.params", match="exponent must be a number")


def test_an_exponent_tower_in_a_spec_is_refused_before_sweep_or_evaluate() -> None:
    with within(), pytest.raises(ParseError, match="exponent must be a number"):
        symcnn.load(
            {
                "input": [8, 8, 3],
                "layers": [{"type": "conv2d", "out_channels": "k^(k^k)", "kernel_size": 3}],
            }
        )


def test_an_identity_that_expands_past_the_limit_is_refused(tmp_path: Path, capsys) -> None:
    text = 'identities: [{name: p, lhs: "(m+n+d+k)^200", rhs: "(m+n+d+k)^200"}]\n'
    refused(
        capsys, "identities", "--file", write(tmp_path, "i.yaml", text), match="MAX_EXPANDED_TERMS"
    )
    with within(), pytest.raises(ParseError, match="MAX_EXPANDED_TERMS"):
        symcnn.parse_expression("(m+n+d+k)^200")


# ------------------------------------------------------------------------------ tracebacks


def test_an_integer_past_the_digit_limit_is_refused_clearly(tmp_path: Path, capsys) -> None:
    digits = "9" * 5001
    spec = f"input: [8]\nlayers: [{{type: linear, out_features: {digits}}}]\n"
    refused(capsys, "summary", write(tmp_path, "d.yaml", spec), match="MAX_INTEGER_DIGITS")
    with pytest.raises(SpecError, match="MAX_INTEGER_DIGITS"):
        symcnn.load({"input": [8], "layers": [{"type": "linear", "out_features": 10**4000}]})
    with pytest.raises(SpecError, match="MAX_INTEGER_DIGITS"):  # a product of two layers
        symcnn.load({"input": [8], "layers": [{"type": "linear", "out_features": 10**3000}] * 2})


def test_a_sweep_grid_is_counted_before_it_is_listed(capsys) -> None:
    spec = str(EXAMPLES / "solve_budget.yaml")
    refused(capsys, "sweep", spec, "k1=1..1000000000", match="20,000,000")


def test_solve_bounds_are_counted_before_any_array(capsys) -> None:
    spec = str(EXAMPLES / "solve_pairs.yaml")
    args = ["--for", "f,k", "--bounds", "f=1..1e12", "--bounds", "k=1..1e12"]
    refused(capsys, "solve", spec, *args, "--where", "params<=1e23", match="max_points")


def test_a_sweep_past_int64_is_exact() -> None:
    net = symcnn.load(EXAMPLES / "solve_budget.yaml")
    big = 10**60
    result = net.sweep({"k1": [big]}) if hasattr(net, "sweep") else symcnn.sweep(net, {"k1": [big]})
    exact = net.evaluate(k1=big)["params"]
    assert int(result.columns["params"][0]) == exact


@pytest.mark.parametrize("name", ["FloorDiv", "numpy", "x0", "math", "builtins", "range"])
def test_a_symbol_named_like_generated_code_is_safe(name: str) -> None:
    net = symcnn.load(
        {
            "input": [16, 16, 3],
            "layers": [{"type": "conv2d", "out_channels": name, "kernel_size": 3, "stride": 2}],
        }
    )
    (params,) = net.lambdify(["params"], [name])(7)
    assert int(params) == conv_params(3, 7, 3)
    result = symcnn.sweep(net, {name: "5,7"})
    assert [int(v) for v in result.columns["params"]] == [
        conv_params(3, 5, 3),
        conv_params(3, 7, 3),
    ]


def test_identity_files_that_are_not_text_or_too_deep(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"identities: [\xff]\n")
    refused(capsys, "identities", "--file", str(bad), match="not UTF-8")
    brackets = write(tmp_path, "open.yaml", "identities: " + "[" * 100000 + "\n")
    refused(capsys, "identities", "--file", brackets, match="nested too deeply")
    nested = "m"
    for _ in range(800):
        nested = f"{{sum: [{nested}]}}"
    deep = write(tmp_path, "deep.yaml", f"identities: [{{name: x, lhs: {nested}, rhs: m}}]\n")
    refused(capsys, "identities", "--file", deep, match="nested too deeply")


def test_an_exam_variable_must_be_named(tmp_path: Path, capsys) -> None:
    exam = "input: [W, W, 1]\nlayer: {type: conv2d, out_channels: 4, kernel_size: 3}\n"
    exam += "variables: {W: [28], 1: [2]}\nquestions: [{ask: total_params}]\n"
    refused(
        capsys,
        "exam",
        write(tmp_path, "e.yaml", exam),
        "-o",
        str(tmp_path / "o"),
        match="is not a symbol's name",
    )


@pytest.mark.parametrize("error", [RecursionError, MemoryError])
def test_the_cli_turns_a_last_resort_error_into_one_line(error, monkeypatch, capsys) -> None:
    import symcnn.commands.summary as summary

    def explode(arguments: object) -> int:
        raise error()

    monkeypatch.setattr(summary, "run", explode)
    refused(capsys, "summary", str(EXAMPLES / "lenet5.yaml"), match=error.__name__)


# ------------------------------------------------------------------------------ wrong numbers


@pytest.mark.parametrize(("written", "value"), [("1e3", 1000), ("1.5e2", 150), ("1E1", 10)])
def test_scientific_notation_is_a_number_everywhere(written: str, value: int, tmp_path, capsys):
    truth = conv_params(3, value, 5)
    spec = (
        f"input: [32, 32, 3]\nlayers: [{{type: conv2d, out_channels: {written}, kernel_size: 5}}]\n"
    )
    assert symcnn.load(spec).params == truth
    assert (
        symcnn.load(
            {
                "input": [32, 32, 3],
                "layers": [{"type": "conv2d", "out_channels": written, "kernel_size": 5}],
            }
        ).params
        == truth
    )
    symbolic = write(tmp_path, "s.yaml", spec.replace(written, "k"))
    code, out, _ = run(capsys, "summary", symbolic, "--set", f"k={written}", "--format", "json")
    assert code == 0 and json.loads(out)["params"] == str(truth)
    code, out, _ = run(capsys, "check", str(truth), "--against", symbolic, "--set", f"k={written}")
    assert code == 0, out
    code, out, _ = run(capsys, "sweep", symbolic, f"k={written}", "--format", "csv")
    assert code == 0 and str(truth) in out
    code, out, _ = run(capsys, "solve", symbolic, "--where", f"params={truth}")
    assert code == 0 and f"k = {value}" in out


def test_a_decimal_size_is_exact_as_written() -> None:
    big = 9007199254740993  # 2**53 + 1: a float would round it
    net = symcnn.load(
        f"input: [4]\nlayers: [{{type: linear, out_features: {big}.0, bias: false}}]\n"
    )
    assert net.params == 4 * big
    for written in ("8.0000000000000001", "0.5", "1.5e-1"):
        with pytest.raises(SpecError, match=r"whole numbers|positive integer"):
            symcnn.load(f"input: [4]\nlayers: [{{type: linear, out_features: {written}}}]\n")


def test_zero_and_negative_sizes_are_refused_by_sweep_and_evaluate(capsys) -> None:
    spec = str(EXAMPLES / "solve_budget.yaml")
    refused(capsys, "sweep", spec, "k1=-5..5", match="positive integer")
    refused(capsys, "sweep", spec, "k1=0", match="positive integer")
    net = symcnn.load(spec)
    for value in (-2, 0):
        with pytest.raises(SymcnnError, match="positive integer"):
            net.evaluate(k1=value)
    refused(
        capsys,
        "solve",
        str(EXAMPLES / "solve_pairs.yaml"),
        "--set",
        "f=0",
        match="positive integer",
    )


def test_an_input_in_pytorch_order_without_layout_is_warned_about(tmp_path, capsys) -> None:
    layer = "layers: [{type: conv2d, out_channels: 8, kernel_size: 3}]\n"
    net = symcnn.load("input: [3, 224, 224]\n" + layer)
    assert len(net.warnings) == 1 and "layout: CHW" in net.warnings[0]
    code, _, err = run(
        capsys, "summary", write(tmp_path, "chw.yaml", "input: [3, 224, 224]\n" + layer)
    )
    assert code == 0 and "layout: CHW" in err
    for quiet in ("input: [3, 224, 224]\nlayout: HWC\n", "input: [224, 224, 3]\n"):
        assert symcnn.load(quiet + layer).warnings == ()


# ------------------------------------------------------------------------------ latex


def test_an_output_name_that_reads_as_an_option_is_refused(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    refused(
        capsys,
        "latex",
        str(EXAMPLES / "lenet5.yaml"),
        "--output=-shell-escape",
        "--pdf",
        match="may not start with '-'",
    )
    assert list(tmp_path.iterdir()) == []


def test_a_pdf_leaves_only_the_tex_and_the_pdf(tmp_path, capsys) -> None:
    if find_engine() is None:
        if os.environ.get("SYMCNN_ALLOW_NO_LATEX") == "1":
            pytest.skip("no LaTeX engine and SYMCNN_ALLOW_NO_LATEX=1")
        pytest.fail("no LaTeX engine (latexmk/pdflatex): install the packages the README names")
    (tmp_path / "other.tex").write_text("\\immediate\\write18{touch pwned}\n", encoding="utf-8")
    code = main(["latex", str(EXAMPLES / "lenet5.yaml"), "-o", str(tmp_path / "key.tex"), "--pdf"])
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.pdf", "key.tex", "other.tex"]


# ------------------------------------------------------------------------------ accepted silently


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("input: [8]\ninput: [9]\nlayers: []\n", "given twice"),
        ("input: [8]\nlayers: [{type: linear, out_features: 2, out_features: 3}]\n", "given twice"),
        ("input: [8]\nlayers: [{type: linear, out_features: 1:30}]\n", "out_features"),
        ("input: [8]\nlayers: [{type: linear, out_features: 4, bias: yes}]\n", "true or false"),
        ("input: [8]\nlayers: [{type: linear, name: true, out_features: 4}]\n", "must be text"),
        ("input: [8]\nlayers: [{type: linear, out_features: [4}]\n", "line 2, column"),
    ],
)
def test_yaml_that_was_read_silently_is_refused(text: str, match: str) -> None:
    with pytest.raises(SymcnnError, match=match):
        symcnn.load(text)


def test_duplicate_json_keys_are_refused(tmp_path) -> None:
    path = write(tmp_path, "d.json", '{"input": [8], "input": [9], "layers": []}')
    with pytest.raises(SpecError, match="given twice"):
        symcnn.load(path)


def test_yaml_reads_as_the_core_schema() -> None:
    net = symcnn.load("input: [8]\nlayers: [{type: linear, out_features: 010}]\n")
    assert net.params == sum(p.numel() for p in torch.nn.Linear(8, 10).parameters())


@pytest.mark.parametrize(
    "option", [["--timeout", "-1"], ["--timeout", "nan"], ["--limit", "0"], ["--max-points", "0"]]
)
def test_solve_options_out_of_range_are_refused(option, capsys) -> None:
    spec = str(EXAMPLES / "solve_kernel.yaml")
    with pytest.raises(SystemExit) as exit_:
        main(["solve", spec, "--where", "output_shape=[28,28,8]", *option])
    assert exit_.value.code == 2
    assert option[0] in capsys.readouterr().err


def test_an_identity_minimum_below_the_symbols_range_is_refused(tmp_path, capsys) -> None:
    text = "identities: [{name: x, lhs: W, rhs: W, minimum: {W: -5}}]\n"
    refused(capsys, "identities", "--file", write(tmp_path, "i.yaml", text), match="at least 1")


def test_a_sympy_symbol_without_integer_assumptions_is_refused() -> None:
    layer = {"type": "conv2d", "kernel_size": 3}
    with pytest.raises(SpecError, match="integer assumptions"):
        symcnn.load({"input": [8, 8, 3], "layers": [{**layer, "out_channels": sympy.Symbol("x")}]})
    x = sympy.Symbol("x", integer=True, positive=True)
    net = symcnn.load({"input": [8, 8, 3], "layers": [{**layer, "out_channels": x}]})
    assert net.params.subs(x, 5) == conv_params(3, 5, 3)


def test_solve_without_an_integer_solution_exits_1(capsys) -> None:
    code, out, _ = run(
        capsys,
        "solve",
        str(EXAMPLES / "solve_pairs.yaml"),
        "--where",
        "params=3217",
        "--for",
        "f,k",
        "--bounds",
        "f=1..40",
        "--bounds",
        "k=1..400",
    )
    assert code == 1 and "no integers" in out.lower()


# ------------------------------------------------------------------------------ text outputs


def test_names_cannot_forge_lines_or_drive_the_terminal(capsys) -> None:
    spec = {
        "name": "<script>alert(1)</script>",
        "input": [8],
        "layers": [
            {"type": "linear", "name": "fc\nTotal   (1)   1   999", "out_features": 4},
            {"type": "linear", "name": "\x1b[2Jclear", "out_features": 2},
        ],
    }
    net = symcnn.load(spec)
    from symcnn.render.text import markdown_table, text_table

    text = text_table(net)
    assert "\x1b" not in text
    assert sum(line.startswith("Total") for line in text.splitlines()) == 1
    markdown = markdown_table(net)
    assert "<script>" not in markdown and "\x1b" not in markdown
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    assert len(rows) == 2 + 1 + 2 + 1  # header, rule, input, two layers, total


def test_greek_named_user_symbols_are_typeset_as_names() -> None:
    from symcnn.render.latex import latex_number

    for name in ("pi", "beta", "gamma", "Lambda"):
        assert latex_number(sympy.Symbol(name) + 1) == rf"\mathit{{{name}}} + 1"


def test_shapes_are_not_digit_grouped_but_counts_are(capsys) -> None:
    spec = {"input": [1024, 2048, 3], "layers": [{"type": "flatten"}]}
    from symcnn.render.text import text_table

    table = text_table(symcnn.load(spec))
    assert "(1024, 2048, 3)" in table and "(6291456)" in table and "6,291,456" in table


def test_exit_status_stays_within_the_documented_rule(capsys) -> None:
    code, _, _ = run(capsys, "check", "(m*n*d+1)*k", "--against", "conv2d.params")
    assert code == 0
    code, _, _ = run(capsys, "check", "m*n*k", "--against", "conv2d.params")
    assert code == 1


def test_a_whole_shape_is_checked_axis_by_axis(capsys) -> None:
    spec = str(EXAMPLES / "lenet5.yaml")
    conv = torch.nn.Conv2d(3, 8, 5)
    truth = "x".join(str(size) for size in (*conv(torch.zeros(1, 3, 32, 32)).shape[2:], 8))
    code, out, _ = run(
        capsys, "check", truth, "--against", spec, "--quantity", "CONV1.output_shape"
    )
    assert code == 0 and "3 of 3 axes right" in out
    code, out, _ = run(
        capsys, "check", "29x29x8", "--against", spec, "--quantity", "CONV1.output_shape"
    )
    assert code == 1 and "1 of 3 axes right" in out
    code, out, _ = run(capsys, "check", "[H-n+1, W-m+1, k]", "--against", "conv2d.output_shape")
    assert code == 0 and "3 of 3 axes right" in out
    refused(capsys, "check", "28x28", "--against", "conv2d.output_shape", match="2 axes")


@pytest.mark.parametrize(
    ("claim", "book", "letters"),
    [
        ("(n+2p-f)/s+1", "Andrew Ng", "f = m"),
        ("(W-F+2P)/S+1", "CS231n", "P = z_w"),
        ("(i+2p-k)/s+1", "Dumoulin", "k = m"),
    ],
)
def test_a_textbook_alphabet_is_read_and_named(claim, book, letters, capsys) -> None:
    code, out, _ = run(capsys, "check", claim, "--against", "conv2d.output_shape[1]")
    assert code == 1  # right but for the floor: the catalogued mistake
    assert "read as:" in out and book in out and letters in out
    assert "output-size-no-floor" in out
    floored = f"floor({claim[: claim.rindex('+')]})+1"
    code, out, _ = run(capsys, "check", floored, "--against", "conv2d.output_shape[1]")
    assert code == 0, out


def test_every_limit_is_one_documented_constant() -> None:
    page = (ROOT / "docs" / "limits.md").read_text(encoding="utf-8")
    names = [name for name in symcnn.limits.__all__ if name.startswith("MAX_")]
    assert names and all(isinstance(getattr(symcnn.limits, name), int) for name in names)
    missing = [name for name in names if f"`{name}`" not in page]
    assert not missing, f"docs/limits.md does not document {missing}"


def test_a_raised_limit_takes_effect_at_once(monkeypatch) -> None:
    with pytest.raises(ParseError, match="MAX_EXPONENT"):
        symcnn.parse_expression("2^300")
    monkeypatch.setattr(symcnn.limits, "MAX_EXPONENT", 512)
    assert symcnn.parse_expression("2^300") == 2**300
