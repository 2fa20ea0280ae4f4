"""Start-up: a command imports only what it needs, and the lazy public names behave as eager ones.

What is imported is checked in fresh processes, on ``sys.modules``; how long it takes is
``benchmarks/bench_graph.py``'s business, not a test's.
"""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

import symcnn
import symcnn.commands
import symcnn.render
from symcnn.cli import build_parser
from symcnn.commands import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
RESNET50 = str(ROOT / "examples" / "resnet50.yaml")
LENET = str(ROOT / "examples" / "lenet5.yaml")

#: modules a summary has no use for: the checker, the solver, exams, sweeps and NumPy
NOT_FOR_SUMMARY = [
    "numpy",
    "symcnn.check",
    "symcnn.exam",
    "symcnn.mistakes",
    "symcnn.references",
    "symcnn.solve",
    "symcnn.sweep",
]


def run_python(script: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh interpreter that imports this checkout's symcnn."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), environment.get("PYTHONPATH")])
    )
    return subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, timeout=120
    )


def modules_after(code: str) -> set[str]:
    """The modules loaded by a fresh interpreter once it has run ``code`` (output discarded)."""
    script = (
        "import contextlib, io, json, sys\n"
        "quiet = io.StringIO()\n"
        "with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):\n"
        "    try:\n"
        f"{textwrap.indent(code, ' ' * 8)}\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    completed = run_python(script)
    assert completed.returncode == 0, completed.stderr
    return set(json.loads(completed.stdout))


# ------------------------------------------------------------------------------ the command table


def command_modules() -> list[str]:
    package = symcnn.commands
    return sorted(
        info.name
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_") and info.name != "common"
    )


def test_the_command_table_names_every_command_module_once() -> None:
    assert sorted(command.module for command in COMMANDS) == command_modules()
    assert len({command.name for command in COMMANDS}) == len(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: command.name)
def test_a_command_table_entry_is_its_modules_command(command: symcnn.commands.Command) -> None:
    module = command.load()
    assert callable(module.register)
    assert command.help == module.HELP
    parser = build_parser([command.name])
    subparsers = next(action for action in parser._actions if action.dest == "command")
    assert subparsers.choices[command.name].get_default("run") is not None


def test_top_level_help_is_the_same_whether_the_commands_are_loaded_or_not() -> None:
    assert build_parser(()).format_help() == build_parser().format_help()


# --------------------------------------------------------------------------- what gets imported


def test_summary_imports_neither_the_checker_nor_the_solver_nor_numpy() -> None:
    loaded = modules_after(f"from symcnn.cli import main\nmain(['summary', {RESNET50!r}])")
    assert "symcnn.commands.summary" in loaded  # it did run
    assert not loaded & set(NOT_FOR_SUMMARY)
    assert not {"symcnn.commands.solve", "symcnn.commands.check"} & loaded


#: renderers a plain-table summary has no use for (``symcnn.render`` imports its names lazily)
NOT_FOR_A_TABLE = [
    "symcnn.render.document",
    "symcnn.render.latex",
    "symcnn.render.markdown",
    "symcnn.render.pdf",
    "symcnn.render.plain",
    "symcnn.render.quiz",
    "symcnn.render.course",
    "symcnn.render.qti",
]


def test_a_table_summary_imports_no_other_renderer() -> None:
    loaded = modules_after(f"from symcnn.cli import main\nmain(['summary', {LENET!r}])")
    assert "symcnn.render.text" in loaded  # it did render
    assert not loaded & set(NOT_FOR_A_TABLE)


#: the layer families LeNet-5 (conv2d, maxpool2d, flatten, linear) has no use for
NOT_FOR_LENET = [
    "symcnn.layers.attention",
    "symcnn.layers.embedding",
    "symcnn.layers.keras_attention",
    "symcnn.layers.merge",
    "symcnn.layers.norm",
    "symcnn.layers.padding",
    "symcnn.layers.parameter",
    "symcnn.layers.recurrent",
    "symcnn.layers.recurrent_cell",
    "symcnn.layers.recurrent_keras",
    "symcnn.layers.resample",
    "symcnn.layers.separable",
    "symcnn.layers.shape",
    "symcnn.layers.transformer",
]


def test_a_summary_imports_only_the_layer_families_its_spec_names() -> None:
    loaded = modules_after(f"from symcnn.cli import main\nmain(['summary', {LENET!r}])")
    assert {"symcnn.layers.conv", "symcnn.layers.pool", "symcnn.layers.dense"} <= loaded
    assert not loaded & set(NOT_FOR_LENET)


def test_a_keras_spec_imports_only_the_families_of_its_faces(tmp_path: Path) -> None:
    spec = tmp_path / "keras.yaml"
    spec.write_text(
        "convention: keras\ninput: [8, 8, 3]\n"
        "layers:\n  - {type: Conv2D, filters: 4, kernel_size: 3}\n  - {type: Flatten}\n"
    )
    loaded = modules_after(f"from symcnn.cli import main\nmain(['summary', {str(spec)!r}])")
    assert {"symcnn.layers.conv", "symcnn.layers.dense"} <= loaded
    assert not loaded & set(NOT_FOR_LENET)


def test_listing_the_layer_names_imports_no_family() -> None:
    loaded = modules_after(
        "from symcnn.layers import LAYERS, keras\nsorted(LAYERS), list(keras.FACES)"
    )
    families = {name for name in loaded if name.startswith("symcnn.layers.")}
    assert families == {
        "symcnn.layers._arguments",
        "symcnn.layers._defaults",
        "symcnn.layers._registry",
        "symcnn.layers._values",
        "symcnn.layers._window",
        "symcnn.layers.base",
        "symcnn.layers.keras",
    }


def test_a_latex_summary_imports_the_latex_renderer_and_what_it_builds_on() -> None:
    loaded = modules_after(
        f"from symcnn.cli import main\nmain(['summary', {LENET!r}, '--format', 'latex'])"
    )
    assert "symcnn.render.latex" in loaded
    assert not loaded & {"symcnn.render.markdown", "symcnn.render.pdf", "symcnn.render.quiz"}


def test_top_level_help_imports_no_command_and_no_sympy() -> None:
    loaded = modules_after("from symcnn.cli import main\nmain(['--help'])")
    assert "symcnn.cli" in loaded
    assert not {name for name in loaded if name.startswith("symcnn.commands.")}
    assert "sympy" not in loaded


def test_importing_symcnn_imports_no_sympy() -> None:
    assert "sympy" not in modules_after("import symcnn")


def test_a_command_imports_its_own_module_only() -> None:
    loaded = modules_after(f"from symcnn.cli import main\nmain(['latex', {LENET!r}])")
    commands = {name for name in loaded if name.startswith("symcnn.commands.")}
    assert commands == {"symcnn.commands.common", "symcnn.commands.latex"}


# ------------------------------------------------------------------------------ lazy public names


@pytest.mark.parametrize("name", symcnn.render.__all__)
def test_every_renderer_name_is_the_object_its_module_defines(name: str) -> None:
    value = getattr(symcnn.render, name)
    assert not isinstance(value, types.ModuleType)
    assert name in dir(symcnn.render)
    home = importlib.import_module(f"symcnn.render.{symcnn.render._LAZY[name]}")
    assert value is getattr(home, name)


def test_the_jupyter_displays_load_their_renderer_when_first_shown() -> None:
    completed = run_python(
        "import sys, symcnn\n"
        f"net = symcnn.load({LENET!r})\n"
        "assert 'symcnn.render.latex' not in sys.modules\n"
        "row = net.rows[1]\n"
        "from symcnn.derive import derive\n"
        "from symcnn.render.latex import latex_lines\n"
        "from symcnn.render.markdown import markdown_working\n"
        "working = derive(row)\n"
        "assert row._repr_latex_() == latex_lines(working.lines, display=True)\n"
        "assert row._repr_markdown_() == markdown_working(working)\n"
        "assert working._repr_latex_() == latex_lines(working.lines, display=True)\n"
    )
    assert completed.returncode == 0, completed.stderr


@pytest.mark.parametrize("name", symcnn.__all__)
def test_every_public_name_is_the_object_its_module_defines(name: str) -> None:
    value = getattr(symcnn, name)
    assert not isinstance(value, types.ModuleType)
    assert name in dir(symcnn)
    namespace: dict[str, object] = {}
    exec(f"from symcnn import {name}", namespace)  # the statement users write
    assert namespace[name] is value


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="'symcnn' has no attribute 'solver'"):
        symcnn.solver  # noqa: B018


@pytest.mark.parametrize(
    ("name", "submodule"),
    [("check", "symcnn.check"), ("solve", "symcnn.solve._integers"), ("sweep", "symcnn.sweep")],
)
def test_importing_a_submodule_first_keeps_the_function_of_its_name(
    name: str, submodule: str
) -> None:
    script = (
        f"import importlib, types, symcnn\n"
        f"importlib.import_module({submodule!r})\n"
        f"assert isinstance(symcnn.{name}, types.FunctionType), symcnn.{name}\n"
        f"from symcnn import {name}\n"
        f"assert {name} is importlib.import_module('symcnn.{name}').{name}\n"
    )
    completed = run_python(script)
    assert completed.returncode == 0, completed.stderr
    # and in this process, where the submodules were imported long ago
    assert callable(getattr(symcnn, name))
    assert getattr(symcnn, name) is getattr(importlib.import_module(f"symcnn.{name}"), name)


# ------------------------------------------------------------------------------ the console script


def test_the_console_script_tunes_the_collector_only_while_it_runs_and_freezes_at_the_end() -> None:
    script = (
        "import contextlib, gc, io, json, sys\n"
        "from symcnn.cli import GC_THRESHOLD, entry, main\n"
        "before = gc.get_threshold()\n"
        "seen = []\n"
        "import symcnn.cli as cli\n"
        "def spy(argv=None):\n"
        "    seen.append(gc.get_threshold()[0])\n"
        "    return main(argv)\n"
        "cli.main = spy\n"
        f"sys.argv = ['symcnn', 'summary', {LENET!r}]\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    code = entry()\n"
        "print(json.dumps([code, seen, GC_THRESHOLD, list(before), list(gc.get_threshold()),\n"
        "                  gc.get_freeze_count(), 'Total' in out.getvalue()]))\n"
    )
    completed = run_python(script)
    assert completed.returncode == 0, completed.stderr
    code, seen, threshold, before, after, frozen, printed = json.loads(completed.stdout)
    assert code == 0 and printed
    assert seen == [threshold] and threshold > before[0]
    assert after == before  # the caller's collector settings are back
    assert frozen > 10_000  # every object the command built, out of the last collection


def test_python_dash_m_symcnn_runs_the_console_script_and_keeps_its_exit_status() -> None:
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(ROOT), environment.get("PYTHONPATH")])
    )

    def run(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "symcnn", *arguments],
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )

    completed = run("summary", LENET, "--format", "json")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["params"] == str(symcnn.load(LENET).params)
    refused = run("summary", str(ROOT / "no-such-spec.yaml"))
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1 and "no such file" in refused.stderr
