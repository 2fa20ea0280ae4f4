"""The ``symcnn summary`` command: formats, --set, determinism and error handling."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from symcnn.cli import main

ROOT = Path(__file__).resolve().parent.parent
LENET = str(ROOT / "examples" / "lenet5.yaml")
SYMBOLIC_SPEC = """\
input: [H, W, 3]
layers:
  - {type: conv2d, name: CONV1, out_channels: k1, kernel_size: 5}
  - {type: maxpool2d, name: POOL1, kernel_size: 2}
  - {type: conv2d, name: CONV2, out_channels: k2, kernel_size: 5}
  - {type: flatten}
  - {type: linear, name: FC, out_features: 10}
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_table_has_the_seeds_columns_and_grouped_totals(capsys):
    code, out, err = run(capsys, "summary", LENET)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[1].split("  ")[0] == "Layer"
    for header in ("Activation shape", "Activation size", "# parameters"):
        assert header in lines[1]
    conv2 = next(line for line in lines if line.startswith("CONV2"))
    assert conv2.split()[-2:] == ["1,600", "3,216"]
    assert lines[-1].startswith("Total") and lines[-1].endswith("62,958")


def test_json_summary_matches_the_engine(capsys):
    code, out, _ = run(capsys, "summary", LENET, "--format", "json")
    data = json.loads(out)
    assert code == 0
    assert [layer["params"] for layer in data["layers"]] == [
        "608",
        "0",
        "3216",
        "0",
        "0",
        "48120",
        "10164",
        "850",
    ]
    assert data["params"] == "62958"
    assert data["output_shape"] == ["10"]
    assert data["layers"][0] == {
        "name": "CONV1",
        "type": "Conv2d",
        "from": ["input"],
        "output_shape": ["28", "28", "8"],
        "activation_size": "6272",
        "params": "608",
        "buffers": "0",
    }


def test_output_is_byte_identical_between_runs(capsys, tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text(SYMBOLIC_SPEC)
    outputs = set()
    for _ in range(2):
        for form in ("table", "json", "markdown", "latex"):
            outputs.add((form, run(capsys, "summary", str(spec), "--format", form)[1]))
    assert len(outputs) == 4


def test_set_substitutes_symbols(capsys, tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text(SYMBOLIC_SPEC)
    _, out, _ = run(capsys, "summary", str(spec), "--format", "json")
    symbolic = json.loads(out)
    assert "k1" in symbolic["params"] and "H" in symbolic["layers"][-2]["output_shape"][0]
    code, out, _ = run(
        capsys,
        "summary",
        str(spec),
        "--format",
        "json",
        "--set",
        "H=32",
        "--set",
        "W=32",
        "--set",
        "k1=8",
        "--set",
        "k2=16",
    )
    assert code == 0
    numeric = json.loads(out)
    # (5*5*3+1)*8 + (5*5*8+1)*16 + (10*10*16+1)*10: 32 -> 28 -> 14 -> 10
    assert numeric["params"] == str(608 + 3216 + 16010)
    assert numeric["output_shape"] == ["10"]


def test_set_accepts_expressions_of_other_symbols(capsys, tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text(SYMBOLIC_SPEC)
    code, out, _ = run(capsys, "summary", str(spec), "--format", "json", "--set", "W=2*H")
    data = json.loads(out)
    assert code == 0
    assert data["layers"][0]["output_shape"][:2] == ["H - 4", "2*H - 4"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["summary", "missing.yaml"], "cannot read spec file"),
        (["summary", LENET, "--set", "H=32"], "unknown symbol H"),
        (["summary", LENET, "--set", "nonsense"], "expected NAME=VALUE"),
    ],
)
def test_errors_are_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err
    assert "Traceback" not in err


def test_symbolic_check_that_fails_once_substituted_is_an_error(capsys, tmp_path):
    spec = tmp_path / "net.yaml"
    spec.write_text(SYMBOLIC_SPEC)
    code, _, err = run(capsys, "summary", str(spec), "--set", "H=6", "--set", "W=32")
    assert code == 2
    assert "layers[2] 'CONV2' (Conv2d)" in err and "kernel_size" in err


def test_help_lists_every_command_and_the_summary_options():
    top = subprocess.run(
        [sys.executable, "-m", "symcnn", "--help"], capture_output=True, text=True, check=True
    ).stdout
    assert "summary" in top
    sub = subprocess.run(
        [sys.executable, "-m", "symcnn", "summary", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for option in ("--format", "--set", "table", "json", "markdown", "latex"):
        assert option in sub


def test_bad_spec_from_a_subprocess_prints_no_traceback(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text(
        "input: [32, 32, 3]\nlayers:\n  - {type: conv2dd, out_channels: 8, kernel_size: 3}\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "symcnn", "summary", str(spec)], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "did you mean Conv2d" in result.stderr and "Traceback" not in result.stderr


def test_json_is_identical_across_hash_seeds():
    spec = str(ROOT / "examples" / "symbolic.yaml")
    outputs = {
        subprocess.run(
            [sys.executable, "-m", "symcnn", "summary", spec, "--format", "json"],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
    assert "k1" in outputs.pop()
