"""User text is never executed: code, attribute access and oversized input are refused everywhere
symcnn reads an expression (the parser, specs, --set, check claims, identities files), quickly,
and nothing they ask for happens."""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path

import pytest

import symcnn
from symcnn import ParseError, SymcnnError, parse_expression
from symcnn.cli import main

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "symcnn"

ATTACKS = [
    "__import__('os').system('touch pwned')",
    '__import__("os").system("touch pwned")',
    "lambda: 0",
    "(lambda: __import__('os').system('touch pwned'))()",
    'exec(\'open("pwned", "w")\')',
    "eval('1')",
    "open('pwned', 'w')",
    "m.__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "k.real",
    "d.subs(d, 1)",
    "[x for x in ()]",
    "import os",
    "os.system('touch pwned')",
    "f'{1}'",
    "Symbol('x')",
    "1; touch pwned",
    "$(touch pwned)",
    "`touch pwned`",
    "m # comment",
    "m if d else n",
    "{'a': 1}",
    "a[0]",
    "m = 1",
    "9**9**9**9",
    "2^256^256",
    "(2^256)^256^256",
    "1" * 5000,
    "(" * 5000 + "1" + ")" * 5000,
    "-" * 5000 + "1",
    "m" + "*m" * 3000,
]
IDS = [attack[:30] for attack in ATTACKS]


@pytest.fixture(autouse=True)
def in_empty_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    assert not (tmp_path / "pwned").exists()
    assert list(tmp_path.iterdir()) == [] or all(p.name != "pwned" for p in tmp_path.iterdir())


def quickly(function, *arguments, **options):
    start = time.perf_counter()
    try:
        return function(*arguments, **options)
    finally:
        assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize("attack", ATTACKS, ids=IDS)
def test_the_parser_refuses(attack):
    with pytest.raises(ParseError):
        quickly(parse_expression, attack)


@pytest.mark.parametrize("attack", ATTACKS, ids=IDS)
def test_check_refuses(attack):
    with pytest.raises(SymcnnError):
        quickly(symcnn.check, attack, "conv2d.params")
    with pytest.raises(SymcnnError):
        quickly(symcnn.check, "1", f"conv2d k={attack}")


@pytest.mark.parametrize("attack", ATTACKS[:12], ids=IDS[:12])
def test_specs_and_set_refuse(attack):
    with pytest.raises(SymcnnError):
        quickly(symcnn.load, {"input": [attack, 8, 3], "layers": []})
    with pytest.raises(SymcnnError):
        quickly(
            symcnn.load,
            {
                "input": [8, 8, 3],
                "layers": [{"type": "conv2d", "out_channels": attack, "kernel_size": 3}],
            },
        )
    net = symcnn.load({"input": ["H", 8, 3], "layers": []})
    with pytest.raises(SymcnnError):
        quickly(net.subs, H=attack)


def test_yaml_tags_that_build_objects_are_refused(tmp_path):
    spec = tmp_path / "evil.yaml"
    spec.write_text(
        "input: !!python/object/apply:os.system ['touch pwned']\nlayers: []\n", encoding="utf-8"
    )
    with pytest.raises(SymcnnError, match="not valid YAML"):
        symcnn.load(str(spec))


def test_the_cli_refuses_with_one_line(capsys, tmp_path):
    for argv in (
        ["check", ATTACKS[0], "--against", "conv2d.params"],
        ["check", "1", "--against", "conv2d.params", "--set", f"k={ATTACKS[0]}"],
        ["check", "1", "--against", f"linear p={ATTACKS[0]}"],
    ):
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1


def test_a_real_process_creates_no_file(tmp_path):
    for argv in (["check", ATTACKS[0], "--against", "conv2d.params"],):
        result = subprocess.run(
            [sys.executable, "-m", "symcnn", *argv],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
        )
        assert result.returncode == 2 and "Traceback" not in result.stderr
    assert not (tmp_path / "pwned").exists()


# modules that read text from users: none of them may hand it to an evaluator
READERS = [
    "parse.py",
    *(f"check/{path.name}" for path in sorted((PACKAGE / "check").glob("*.py"))),
    "quantities.py",
    *(f"references/{path.name}" for path in sorted((PACKAGE / "references").glob("*.py"))),
    "mistakes.py",
    "identities.py",
    "spec.py",
    "network.py",
    "layers/base.py",
    "commands/check.py",
    "commands/identities.py",
    "commands/common.py",
]
EVALUATORS = {"eval", "exec", "compile", "sympify", "parse_expr", "lambdify", "S", "__import__"}
# as methods, compile is re.compile's; the rest are evaluators wherever they come from
METHOD_EVALUATORS = EVALUATORS - {"compile"}


@pytest.mark.parametrize("module", READERS)
def test_no_evaluator_is_called_where_user_text_is_read(module):
    tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
    called = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            function = node.func
            if isinstance(function, ast.Attribute) and function.attr in METHOD_EVALUATORS:
                called.add(function.attr)
            elif isinstance(function, ast.Name) and function.id in EVALUATORS:
                called.add(function.id)
    assert not called, f"{module} calls {sorted(called)}"
