"""Fuzzing every entry point with hostile input (issue 14): the spec loader, the expression
parser, ``--set``, solve targets, sweep ranges, identity files, exam templates and CLI arguments.

Each case runs under a watchdog (:data:`LIMIT` seconds) and must end in a symcnn error or a correct
answer — never a traceback, never a file written outside the output folder. A child process runs
the worst inputs under a memory cap (:data:`MEMORY_CAP`).

The budget keeps CI fast; ``SYMCNN_FUZZ=long`` draws many more examples for a local run (with
``HYPOTHESIS_PROFILE=explore`` for new ones each time).
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symcnn
from symcnn import SymcnnError, parse_expression
from symcnn.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
#: seconds one case may take: far below a hang, generous for a loaded CI machine
LIMIT = 10.0
#: bytes of address space the child process running the worst inputs may use
MEMORY_CAP = 3 * 2**30
#: examples per property: a CI budget, or many more with SYMCNN_FUZZ=long
EXAMPLES_PER_TEST = 400 if os.environ.get("SYMCNN_FUZZ") == "long" else 40

FUZZ = settings(
    max_examples=EXAMPLES_PER_TEST,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class WatchdogError(Exception):
    """A case ran past :data:`LIMIT`."""


@contextmanager
def watchdog(seconds: float = LIMIT) -> Iterator[None]:
    def fire(signum: int, frame: object) -> None:
        raise WatchdogError(f"a case took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def guarded(function: Any, *arguments: Any, **options: Any) -> Any:
    """The result of the call, or the symcnn error it raised; anything else fails the test."""
    with watchdog():
        try:
            return function(*arguments, **options)
        except SymcnnError as error:
            return error


def cli(argv: list[str]) -> tuple[int, str]:
    """Run the CLI in a fresh folder; return its status and stderr, asserting no traceback and
    no file written anywhere but the folder's ``out/``."""
    with tempfile.TemporaryDirectory() as folder:
        before = os.getcwd()
        os.chdir(folder)
        try:
            stderr, stdout = io.StringIO(), io.StringIO()
            with watchdog(), redirect_stderr(stderr), redirect_stdout(stdout):
                try:
                    code = main(argv)
                except SystemExit as exit_:  # argparse's usage error (or --help)
                    code = int(exit_.code or 0)
            written = {p.relative_to(folder).parts[0] for p in Path(folder).rglob("*")}
        finally:
            os.chdir(before)
    err = stderr.getvalue()
    assert "Traceback" not in err
    assert code in (0, 1, 2), (argv, code, err)
    assert written <= {"out"}, written
    return code, err


# ------------------------------------------------------------------------------ numbers


@st.composite
def arithmetic(draw: Any, depth: int = 0) -> tuple[str, Fraction]:
    """Expression text over numbers (plain, grouped, decimal, scientific) and its exact value,
    computed independently with Fractions."""
    if depth > 3 or draw(st.booleans()):
        mantissa = draw(st.integers(0, 10**6))
        form = draw(st.sampled_from(["plain", "sci", "decimal"]))
        if form == "sci":
            exponent = draw(st.integers(-3, 6))
            return f"{mantissa}e{exponent}", Fraction(mantissa) * Fraction(10) ** exponent
        if form == "decimal":
            cents = draw(st.integers(0, 99))
            return f"{mantissa}.{cents:02d}", mantissa + Fraction(cents, 100)
        return str(mantissa), Fraction(mantissa)
    left, a = draw(arithmetic(depth + 1))
    right, b = draw(arithmetic(depth + 1))
    operator = draw(st.sampled_from(["+", "-", "*", "^"]))
    if operator == "^":
        power = draw(st.integers(0, 3))
        return f"({left})^{power}", a**power
    value = {"+": a + b, "-": a - b, "*": a * b}[operator]
    return f"({left}) {operator} ({right})", value


@FUZZ
@given(arithmetic())
def test_numbers_parse_exactly(case: tuple[str, Fraction]) -> None:
    text, value = case
    result = guarded(parse_expression, text)
    if isinstance(result, SymcnnError):
        assert "limit" in str(result) or "too" in str(result), (text, result)
    else:
        assert result == sympy.Rational(value.numerator, value.denominator), text


POWERS = ["2", "k", "m", "(m+n)", "(k+1)", "10", "9", "256", "d"]


@FUZZ
@given(st.lists(st.sampled_from(POWERS), min_size=2, max_size=5))
def test_towers_of_powers_are_answered_or_refused_quickly(parts: list[str]) -> None:
    text = "^(".join(parts) + ")" * (len(parts) - 1)
    result = guarded(parse_expression, text)
    assert isinstance(result, sympy.Basic | SymcnnError)


# ------------------------------------------------------------------------------ specs

YAML_VALUES = [
    "1e3",
    "1.5e2",
    "010",
    "0o17",
    "0x1f",
    "1:30",
    "yes",
    "no",
    "on",
    "~",
    "null",
    ".inf",
    ".nan",
    "-5",
    "0",
    "8.0000000000000001",
    "9007199254740993.0",
    "1e999",
    "9" * 5000,
    "'k'",
    "k^(k^k)",
    "2^k",
    "(m+n)^300",
    "[3, 3]",
    "{a: 1}",
    "*x",
    "&y 4",
    "!!python/object:os.system",
    "true",
    "'3x3'",
    '"\\x1b[2J"',
    '"a\\nb"',
    "<script>",
]
FIELDS = ["out_channels", "kernel_size", "stride", "padding", "bias", "name", "type", "groups"]


@st.composite
def hostile_specs(draw: Any) -> str:
    anchor = draw(st.sampled_from(["x: &x [1, 2]", "x: &x 3", "x: &x {a: 1}"]))
    # the anchor sits in an unused block's arguments, where any value is allowed
    lines = ["blocks: {b: {layers: [{type: relu}], args: {" + anchor + "}}}"]
    shape = draw(st.sampled_from(["[32, 32, 3]", "[3, 224, 224]", "[H, W, 3]", "*x", "[0, 1]"]))
    lines.append(f"input: {shape}")
    fields = draw(
        st.dictionaries(st.sampled_from(FIELDS), st.sampled_from(YAML_VALUES), max_size=4)
    )
    body = ", ".join(f"{key}: {value}" for key, value in fields.items())
    kind = draw(st.sampled_from(["conv2d", "linear", "maxpool2d", "flatten"]))
    lines.append(f"layers: [{{type: {kind}, out_channels: 4, kernel_size: 3, {body}}}]")
    if draw(st.booleans()):
        lines.append(f"layout: {draw(st.sampled_from(['CHW', 'HWC', 'chw', '1', 'yes']))}")
    return "\n".join(lines) + "\n"


@FUZZ
@given(hostile_specs())
def test_hostile_specs_load_or_are_refused(text: str) -> None:
    result = guarded(symcnn.load, text)
    assert isinstance(result, symcnn.Network | SymcnnError), text
    if isinstance(result, symcnn.Network):
        with watchdog():
            assert isinstance(str(result), str)  # the table prints, whatever the names


# ------------------------------------------------------------------------------ the CLI

SET_VALUES = ["1e3", "0", "-1", "1.5", "2^k", "10**60", "9" * 300, "nan", "1e999", "H", "k^(k^k)"]


@FUZZ
@given(st.sampled_from(["H", "W", "k", "Q"]), st.sampled_from(SET_VALUES))
def test_set_values_are_read_or_refused(name: str, value: str) -> None:
    spec = str(EXAMPLES / "symbolic.yaml")
    cli(["summary", spec, "--set", f"{name}={value}"])


RANGES = ["1..4", "1..1e12", "-5..5", "0", "10**60", "8..64:0", "64..8", "1..9:2,20", "2^k", ""]


@FUZZ
@given(st.sampled_from(RANGES), st.sampled_from(["k1", "k2", "nope"]))
def test_sweep_ranges_are_swept_or_refused(grid: str, name: str) -> None:
    cli(["sweep", str(EXAMPLES / "solve_budget.yaml"), f"{name}={grid}"])


TARGETS = [
    "params=3216",
    "params<=1e23",
    "params>=1e30",
    "params=1e3",
    "output_shape=[28,28,8]",
    "params=-1",
    "params=0.5",
    "params=k^(k^k)",
    "bogus=1",
    "params=",
    "output_shape=[*, *, 9]",
]
BOUNDS = ["f=1..1e12", "k=1..1e12", "f=0..5", "k=5..1", "f=1..20", "k=1..512", "f=a..b"]


@FUZZ
@given(
    st.sampled_from(TARGETS),
    st.lists(st.sampled_from(BOUNDS), max_size=2),
    st.sampled_from([[], ["--timeout", "nan"], ["--limit", "0"], ["--max", "k"], ["--set", "f=0"]]),
)
def test_solve_targets_are_answered_or_refused(target, bounds, extra) -> None:
    argv = ["solve", str(EXAMPLES / "solve_pairs.yaml"), "--for", "f,k", "--where", target]
    argv += [part for bound in bounds for part in ("--bounds", bound)]
    cli([*argv, *extra, *([] if "--timeout" in extra else ["--timeout", "3"])])


SIDES = ["m", "m*n*d", "(m+n+d+k)^200", "{sum: [m, n]}", "2^k", "[" * 50, "1e3", "'\\x00'"]


@FUZZ
@given(
    st.sampled_from(SIDES),
    st.sampled_from(SIDES),
    st.sampled_from(["", "minimum: {W: -5}", "minimum: {W: 5}", "name: true", "name: *a"]),
)
def test_identity_files_are_checked_or_refused(lhs: str, rhs: str, extra: str) -> None:
    name = "" if extra.startswith("name") else "name: x, "
    body = f"{name}lhs: {lhs}, rhs: {rhs}" + (f", {extra}" if extra else "")
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as file:
        file.write(f"a: &a [1]\nidentities: [{{{body}}}]\n")
    try:
        cli(["identities", "--file", file.name, "--samples", "3"])
    finally:
        os.unlink(file.name)


TEMPLATE_VARIABLES = [
    "{W: [28]}",
    "{W: [28], 1: [2]}",
    "{W: {range: [1, 1000000000]}}",
    "{W: [0]}",
    "{W: [-3]}",
    "{W: [1e3]}",
    "{W: 'x'}",
    "[]",
]


@FUZZ
@given(st.sampled_from(TEMPLATE_VARIABLES), st.sampled_from(["params", "solve", "nope", "[1]"]))
def test_exam_templates_are_written_or_refused(variables: str, ask: str) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as file:
        file.write(
            "input: [W, W, 1]\nlayer: {type: conv2d, name: C, out_channels: 4, kernel_size: 3}\n"
            f"variables: {variables}\nquestions: [{{ask: {ask}, layer: C, find: W}}]\n"
        )
    try:
        cli(["exam", file.name, "-o", "out"])
    finally:
        os.unlink(file.name)


ARGUMENTS = [
    "--depth",
    "-1",
    "--limit",
    "0",
    "--format",
    "xml",
    "--set",
    "=",
    "-o",
    "-x",
    "--output=-shell-escape",
    "--pdf",
    "--costs",
    "nope",
    "--memory",
    "--",
    "\x00",
]


@FUZZ
@given(
    st.sampled_from(["summary", "latex", "check", "sweep", "solve", "identities", "exam", "x"]),
    st.lists(st.sampled_from(ARGUMENTS), max_size=4),
)
def test_random_command_lines_never_trace_back(command: str, arguments: list[str]) -> None:
    cli([command, str(EXAMPLES / "lenet5.yaml"), *arguments])


# ------------------------------------------------------------------------------ memory

WORST = [
    ["check", "2^(2^k)", "--against", "conv2d.params"],
    ["check", "9^9^9^9", "--against", "conv2d.params"],
    ["sweep", str(EXAMPLES / "solve_budget.yaml"), "k1=1..1000000000"],
    [
        "solve",
        str(EXAMPLES / "solve_pairs.yaml"),
        "--for",
        "f,k",
        "--where",
        "params<=1e23",
        "--bounds",
        "f=1..1e12",
        "--bounds",
        "k=1..1e12",
    ],
    ["summary", "/dev/zero"],
]


@pytest.mark.parametrize("argv", WORST, ids=lambda argv: " ".join(argv)[:40])
def test_the_worst_inputs_stay_under_a_memory_cap(argv: list[str]) -> None:
    code = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_CAP}, {MEMORY_CAP}))\n"
        "from symcnn.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr
