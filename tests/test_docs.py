"""The documentation and the examples are tested: every command, every Python block, every spec.

What is collected from ``README.md`` and ``docs/*.md`` (the conventions are in ``docs/index.md``):

* ``console`` blocks: each ``$ symcnn ...`` (or ``$ python ...``, ``$ cat ...``) line is run; the
  lines up to the next ``$`` are its documented output, compared with what it prints (stdout, then
  stderr) byte for byte. A line ``...`` alone stands for any number of lines. A command shown
  with no output must exit 0.
* ``sh`` / ``bash`` blocks: each line starting with ``symcnn`` (or ``$ symcnn``) is run; it must
  exit 0, or 1 for a command whose answer is "no" (``symcnn check`` on a wrong claim), and never
  print a traceback. Its output is not compared. Other lines (``pip install ...``) are not run.
* ``python`` blocks: run in order in one namespace per page, as doctests when they hold ``>>>``
  prompts and as plain scripts otherwise.
* ``yaml`` / ``json`` blocks that are whole specs (with ``input`` and ``layers``) must load.
* A block preceded by ``<!-- file: NAME -->`` is written to ``NAME`` in the page's working
  directory instead, so a page can show a spec (even a wrong one) and then a command that reads it.
* A block preceded by ``<!-- no-test -->`` is skipped.

Commands run as ``sys.executable -m symcnn`` would, in a fresh directory per page whose top-level
entries link to the repository's (``examples/`` and so on), with ``COLUMNS=80`` so ``--help`` wraps
the same everywhere. To save a second of start-up per command, a plain ``symcnn ARGS`` runs in a
child forked from one process that has already imported symcnn (:class:`Launcher`; where there is no
``fork``, and for pipelines, it is a real ``python -m symcnn`` subprocess). Pages run concurrently,
the commands of one page in order.

The examples: every spec in ``examples/`` loads and renders, the ones PyTorch can build agree with
it layer by layer, and every script in ``examples/`` runs.
"""

from __future__ import annotations

import doctest
import functools
import importlib.util
import json
import os
import queue
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sympy
import yaml

import symcnn
from symcnn.layers import LAYERS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "examples"
PAGES = sorted([ROOT / "README.md", *DOCS.glob("*.md")])
SPEC_SUFFIXES = (".yaml", ".yml", ".json")
SHELL_OPERATORS = set("|&;<>()")
TIMEOUT = 120

# ----------------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class Block:
    """One fenced code block of a Markdown page."""

    page: Path
    line: int  # 1-based line of the opening fence
    info: str  # the fence's info string: console, sh, python, yaml...
    text: str
    marker: str  # the HTML comment on the line before the fence, if any ("no-test", "file: x")

    @property
    def language(self) -> str:
        return self.info.split()[0].lower() if self.info.strip() else ""

    @property
    def label(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_MARKER = re.compile(r"^\s*<!--\s*(?P<marker>.*?)\s*-->\s*$")


def read_blocks(page: Path) -> list[Block]:
    """Every fenced block of ``page``, with the HTML comment marker just before it."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    index = 0
    previous = ""  # the last non-blank line outside a block
    while index < len(lines):
        opening = _FENCE.match(lines[index])
        if opening is None:
            if lines[index].strip():
                previous = lines[index]
            index += 1
            continue
        fence = opening["fence"]
        start = index
        body: list[str] = []
        index += 1
        while index < len(lines) and not (
            lines[index].strip().startswith(fence[0] * len(fence))
            and not lines[index].strip().strip(fence[0])
        ):
            body.append(lines[index])
            index += 1
        marker = _MARKER.match(previous)
        blocks.append(
            Block(
                page=page,
                line=start + 1,
                info=opening["info"].strip(),
                text="\n".join(body) + "\n" if body else "",
                marker=marker["marker"] if marker else "",
            )
        )
        previous = ""
        index += 1
    return blocks


@dataclass
class Command:
    """A command shown in a page, with its documented output (``None``: not compared)."""

    block: Block
    command: str
    output: list[str] | None
    index: int  # position within the page

    @property
    def label(self) -> str:
        return f"{self.block.label} $ {self.command}"


def _join_continuations(lines: list[str]) -> list[str]:
    """Shell lines ending in a backslash continue on the next line."""
    joined: list[str] = []
    pending = ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1].rstrip() + " "
            continue
        joined.append(pending + line.removeprefix("> ") if pending else line)
        pending = ""
    if pending:
        joined.append(pending.rstrip())
    return joined


#: the programs a console block may run: symcnn, Python (examples/*.py) and cat (to show a file)
PROGRAMS = ("symcnn", "python", "cat")


def _runnable(command: str) -> bool:
    words = command.split()
    return bool(words) and words[0] in PROGRAMS


def commands_of(block: Block) -> list[tuple[str, list[str] | None]]:
    """The runnable commands of a console or shell block, with the output shown for each."""
    if block.marker == "no-test":
        return []
    lines = block.text.splitlines()
    found: list[tuple[str, list[str] | None]] = []
    if block.language == "console":
        current: tuple[str, list[str]] | None = None
        prompt_lines: list[tuple[str, list[str]]] = []
        merged = _join_prompted(lines)
        for text, is_command in merged:
            if is_command:
                current = (text, [])
                prompt_lines.append(current)
            elif current is not None:
                current[1].append(text)
        for command, output in prompt_lines:
            if _runnable(command):
                found.append((command, output))
    elif block.language in ("sh", "bash", "shell"):
        for line in _join_continuations(lines):
            command = line.strip().removeprefix("$ ").strip()
            if _runnable(command) and command.split()[0] == "symcnn":
                found.append((command, None))
    return found


def _join_prompted(lines: list[str]) -> list[tuple[str, bool]]:
    """Console lines as (text, is_command); a prompt line ending in ``\\`` continues."""
    merged: list[tuple[str, bool]] = []
    continuing = False
    for line in lines:
        if continuing:
            text, _ = merged[-1]
            part = line.strip().removeprefix("> ")
            continuing = part.endswith("\\")
            merged[-1] = (text + " " + part.removesuffix("\\").strip(), True)
            continue
        if line.startswith("$ "):
            command = line[2:]
            continuing = command.rstrip().endswith("\\")
            merged.append((command.rstrip().removesuffix("\\").strip(), True))
        else:
            merged.append((line, False))
    return merged


@functools.cache
def page_blocks(page: Path) -> tuple[Block, ...]:
    return tuple(read_blocks(page))


@functools.cache
def page_commands(page: Path) -> tuple[Command, ...]:
    commands: list[Command] = []
    for block in page_blocks(page):
        for command, output in commands_of(block):
            commands.append(Command(block, command, output, len(commands)))
    return tuple(commands)


def page_id(page: Path) -> str:
    return str(page.relative_to(ROOT))


ALL_COMMANDS = [command for page in PAGES for command in page_commands(page)]

# ----------------------------------------------------------------------------------- running


def make_workdir(page: Path, base: Path) -> Path:
    """A fresh directory for one page: links to the repository's entries, and the page's files."""
    workdir = base / page_id(page).replace("/", "_")
    workdir.mkdir(parents=True)
    for entry in ROOT.iterdir():
        if not entry.name.startswith("."):
            (workdir / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    for block in page_blocks(page):
        if block.marker.startswith("file:"):
            name = block.marker.removeprefix("file:").strip()
            target = workdir / name
            if target.is_symlink():
                raise AssertionError(f"{block.label}: <!-- file: {name} --> would overwrite {name}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text, encoding="utf-8")
    return workdir


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env["COLUMNS"] = "80"
    env.pop("PYTHONWARNINGS", None)
    # the repository first, so the package under test is the one imported
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _shell_words(command: str) -> list[str]:
    """The words of a command as a shell reads them, with operators (``|``, ``>``...) apart."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def argv_of(command: str) -> list[str] | str:
    """The command as an argv list, or as a shell string when it uses pipes or redirections."""
    python = shlex.quote(sys.executable)
    words = _shell_words(command)
    if any(word and set(word) <= SHELL_OPERATORS for word in words):
        command = re.sub(r"(^|[|;&]\s*)symcnn\b", rf"\1{python} -m symcnn", command)
        return re.sub(r"(^|[|;&]\s*)python\b", rf"\1{python}", command)
    if words[0] == "symcnn":
        return [sys.executable, "-m", "symcnn", *words[1:]]
    if words[0] == "python":
        return [sys.executable, *words[1:]]
    return words


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_command(command: str, cwd: Path, launcher: Launcher | None = None) -> Result:
    """Run one documented command; plain ``symcnn ...`` commands go through ``launcher``."""
    argv = argv_of(command)
    if launcher is not None and isinstance(argv, list) and argv[:3] == SYMCNN:
        return launcher.run(argv[3:], cwd)
    completed = subprocess.run(
        argv,
        cwd=cwd,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        shell=isinstance(argv, str),
        executable="/bin/bash" if isinstance(argv, str) else None,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)


SYMCNN = [sys.executable, "-m", "symcnn"]

# A process that imports symcnn once, then forks a child per command. The child does what
# ``python -m symcnn ARGS`` does — ``sys.exit(symcnn.cli.main(ARGS))`` in the command's directory,
# with its stdout and stderr in files — without paying a second for Python and SymPy to start.
_LAUNCHER = f"""
import contextlib, io, json, os, signal, sys, traceback
from symcnn.cli import main
with contextlib.redirect_stdout(io.StringIO()):  # warm SymPy's caches once, for every child
    main(["summary", {str(ROOT / "examples" / "symbolic.yaml")!r}, "--format", "json"])
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            signal.alarm({TIMEOUT})
            os.chdir(request["cwd"])
            os.environ.update(request["env"])
            for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
                os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), fd)
            sys.argv = ["symcnn", *request["argv"]]
            try:
                code = main(request["argv"])
            except SystemExit as exit:
                code = exit.code
            if isinstance(code, str):
                print(code, file=sys.stderr)
                code = 1
            code = int(code or 0)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    print(json.dumps(os.waitstatus_to_exitcode(status)), flush=True)
"""


class Launcher:
    """Runs ``symcnn`` commands as forked children of one process that has imported symcnn."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.count = 0
        self.process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=_environment(),
            text=True,
        )

    def run(self, arguments: list[str], cwd: Path) -> Result:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.count += 1
        out, err = (self.scratch / f"{self.count}.{name}" for name in ("out", "err"))
        request = {
            "argv": arguments,
            "cwd": str(cwd),
            "env": {"COLUMNS": "80"},
            "stdout": str(out),
            "stderr": str(err),
        }
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        returncode = json.loads(self.process.stdout.readline())
        return Result(returncode, out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8"))

    def close(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(timeout=TIMEOUT)
        self.process.stdout.close()


@dataclass
class PageRun:
    workdir: Path
    results: list[Result] = field(default_factory=list)


@pytest.fixture(scope="session")
def page_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, PageRun]:
    """Every page's commands, run once: pages concurrently, each page's commands in order."""
    base = tmp_path_factory.mktemp("docs")
    runs = {page: PageRun(make_workdir(page, base)) for page in PAGES}
    pending = queue.SimpleQueue()
    # the pages with most commands first, so that no worker is left with a long page at the end
    for page in sorted(PAGES, key=lambda page: -len(page_commands(page))):
        if page_commands(page):
            pending.put(page)

    def worker(number: int) -> None:
        scratch = base / f".launcher-{number}"
        scratch.mkdir()
        launcher = Launcher(scratch) if hasattr(os, "fork") else None
        try:
            while True:
                try:
                    page = pending.get_nowait()
                except queue.Empty:
                    return
                run = runs[page]
                run.results = [
                    run_command(command.command, run.workdir, launcher)
                    for command in page_commands(page)
                ]
        finally:
            if launcher is not None:
                launcher.close()

    workers = max(2, os.cpu_count() or 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(worker, range(workers)))
    return runs


def matches(expected: list[str], actual: str) -> bool:
    """``actual`` is the documented output: byte for byte, where a line ``...`` is any lines."""
    if not actual.endswith("\n") and actual:
        return False
    if "..." not in expected:
        return actual == "".join(line + "\n" for line in expected)
    pattern = "".join(
        r"(?:.*\n)*?" if line == "..." else re.escape(line + "\n") for line in expected
    )
    return re.fullmatch(pattern, actual) is not None


@pytest.mark.parametrize("command", ALL_COMMANDS, ids=lambda command: command.label)
def test_documented_command(command: Command, page_runs: dict[Path, PageRun]) -> None:
    result = page_runs[command.block.page].results[command.index]
    assert "Traceback" not in result.output, f"{command.label}\n{result.output}"
    if command.output is None:  # a sh block: it must run, and answer (0) or answer no (1)
        assert result.returncode in (0, 1), (
            f"{command.label} exited {result.returncode}\n{result.stderr}"
        )
        return
    if not command.output:  # a console block showing no output: it must succeed
        assert result.returncode == 0, (
            f"{command.label} exited {result.returncode}\n{result.stderr}"
        )
        return
    assert matches(command.output, result.output), (
        f"{command.label}: the page shows\n"
        + "\n".join(command.output)
        + f"\n\nbut the command prints (exit {result.returncode})\n{result.output}"
    )


# ----------------------------------------------------------------------------------- python


def python_blocks(page: Path) -> list[Block]:
    return [
        block
        for block in page_blocks(page)
        if block.language in ("python", "py", "pycon")
        and block.marker != "no-test"
        and not block.marker.startswith("file:")
    ]


PYTHON_PAGES = [page for page in PAGES if python_blocks(page)]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


@pytest.mark.parametrize("page", PYTHON_PAGES, ids=page_id)
def test_python_blocks(
    page: Path, page_runs: dict[Path, PageRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page's Python blocks, in order, in one namespace: doctests or plain scripts."""
    monkeypatch.chdir(page_runs[page].workdir)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    parser = doctest.DocTestParser()
    for block in python_blocks(page):
        if ">>>" in block.text:
            test = parser.get_doctest(block.text, namespace, block.label, str(page), block.line)
            report: list[str] = []
            runner = doctest.DocTestRunner(optionflags=FLAGS)
            runner.run(test, out=report.append, clear_globs=False)
            assert runner.failures == 0, f"{block.label}\n" + "".join(report)
            namespace.update(test.globs)
        else:
            code = compile(block.text, block.label, "exec")
            exec(code, namespace)


# ----------------------------------------------------------------------------------- specs in docs


def spec_blocks() -> list[Block]:
    found = []
    for page in PAGES:
        for block in page_blocks(page):
            if block.language not in ("yaml", "yml", "json") or block.marker:
                continue
            document = (json.loads if block.language == "json" else yaml.safe_load)(block.text)
            if isinstance(document, dict) and {"input", "layers"} <= set(document):
                found.append(block)
    return found


@pytest.mark.parametrize("block", spec_blocks(), ids=lambda block: block.label)
def test_specs_shown_in_docs_load(block: Block) -> None:
    net = symcnn.load(block.text)
    assert net.rows


def test_index_links_every_page() -> None:
    """Each page is reached from the contents, so nothing documented hides from readers."""
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for page in DOCS.glob("*.md"):
        if page.name != "index.md":
            assert f"({page.name})" in index, f"docs/index.md does not link {page.name}"


LINK = re.compile(r"\[[^\]]*\]\((?P<target>[^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize(
    "page", [*PAGES, EXAMPLES / "README.md", ROOT / "benchmarks" / "README.md"], ids=page_id
)
def test_relative_links_resolve(page: Path) -> None:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    missing = sorted(
        {
            match["target"]
            for match in LINK.finditer(text)
            if "://" not in match["target"]
            and not match["target"].startswith("mailto:")
            and not (page.parent / match["target"]).exists()
        }
    )
    assert not missing, f"{page_id(page)} links to missing {', '.join(missing)}"


# --------------------------------------------------------------------------------- reference pages


def notation_rows() -> list[list[str]]:
    """The rows of the generated table in docs/notation.md."""
    text = (DOCS / "notation.md").read_text(encoding="utf-8")
    start, end = "<!-- notation:start -->", "<!-- notation:end -->"
    assert start in text and end in text, "docs/notation.md lost its generated-table markers"
    table = text.split(start, 1)[1].split(end, 1)[0]
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in table.splitlines()
        if line.startswith("|")
    ]
    return rows[2:]  # header and alignment rows


def test_notation_table_lists_exactly_the_symbols_with_their_meanings() -> None:
    from symcnn.symbols import NOTATION

    rows = notation_rows()
    names = [row[0].strip("`") for row in rows]
    assert sorted(names) == sorted(NOTATION), "docs/notation.md: run python docs/_gen_notation.py"
    assert len(names) == len(set(names))
    for row in rows:
        notation = NOTATION[row[0].strip("`")]
        assert row[1] == notation.meaning, f"{row[0]}: meaning differs from symcnn.symbols"
        assert row[3] == notation.source, f"{row[0]}: source differs from symcnn.symbols"


def test_notation_page_is_what_the_generator_writes() -> None:
    spec = importlib.util.spec_from_file_location("_gen_notation", DOCS / "_gen_notation.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    page = (DOCS / "notation.md").read_text(encoding="utf-8")
    assert generator.render(page) == page, "docs/notation.md: run python docs/_gen_notation.py"


def test_layers_page_covers_every_layer_type() -> None:
    """Every registered PyTorch layer type has a heading or a table row in docs/layers.md or a
    family page beside it (docs/layers-*.md)."""
    text = "\n".join(page.read_text(encoding="utf-8") for page in sorted(DOCS.glob("layers*.md")))
    listed = set()
    for line in text.splitlines():
        if line.startswith("#"):
            listed.update(re.findall(r"`([A-Za-z0-9]+)`", line))
        elif line.startswith("|"):  # a table row: its first cell
            listed.update(re.findall(r"`([A-Za-z0-9]+)`", line.split("|")[1]))
    missing = sorted(cls.torch_name for cls in LAYERS.values() if cls.torch_name not in listed)
    assert not missing, f"docs/layers.md has no section for {', '.join(missing)}"


def test_cli_page_covers_every_subcommand() -> None:
    from symcnn.commands import COMMANDS

    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    from symcnn.cli import build_parser

    parser = build_parser()
    subparsers = next(action for action in parser._actions if action.dest == "command")
    names = sorted(subparsers.choices)
    assert len(names) >= len(COMMANDS)
    missing = [name for name in names if f"## `symcnn {name}`" not in text]
    assert not missing, f"docs/cli.md has no section for: symcnn {', symcnn '.join(missing)}"


# ----------------------------------------------------------------------------------- examples

EXAMPLE_SPECS = sorted(path for path in EXAMPLES.iterdir() if path.suffix in SPEC_SUFFIXES)
EXAMPLE_SCRIPTS = sorted(EXAMPLES.glob("*.py"))

#: values that make a symbolic example numeric, so that PyTorch can build it
EXAMPLE_VALUES: dict[str, dict[str, int]] = {
    "symbolic.yaml": {"H": 32, "W": 32, "k1": 8, "k2": 16},
    "seed_question.yaml": {"bias": 1},
    # the answers to the questions the solve examples ask
    "lstm_budget.yaml": {"h": 765},
    "solve_budget.yaml": {"k1": 110},
    "solve_filters.yaml": {"k": 16},
    "solve_kernel.yaml": {"f": 5},
    "solve_padding.yaml": {"H": 32, "W": 32, "f": 7, "z": 3},
    "solve_pairs.yaml": {"f": 5, "k": 16},
    "solve_receptive.yaml": {"k": 7},
    "solve_small_kernels.yaml": {"k": 8},
    "solve_strided.yaml": {"H": 71},
    "resnet_stage.yaml": {"H": 56, "W": 56, "L": 2},
    "transformer_budget.yaml": {"L": 7, "w": 584},
}

#: totals the examples' comments promise (checked here so the comments stay true)
EXAMPLE_TOTALS: dict[str, int] = {
    "lenet5.yaml": 62_958,
    "symbolic.yaml": 62_958,  # with EXAMPLE_VALUES
    "vgg.yaml": 9_756_426,
    "seed_question.yaml": 295_168,  # with the bias
    # the model zoo: torchvision's published counts, the rest by hand (see tests/test_zoo.py)
    "resnet18.yaml": 11_689_512,
    "resnet50.yaml": 25_557_032,
    "densenet121.yaml": 7_978_856,
    "mobilenet_v2.yaml": 3_504_872,
    "googlenet.yaml": 6_624_904,
    "convnext_tiny.yaml": 28_589_128,
    "vit_b_16.yaml": 86_567_656,
    "unet.yaml": 31_031_810,
    "se_block.yaml": 3_920,
    "shared_weights_exam.yaml": 7_271_940,
    "shared_weights_exam_padded.yaml": 8_651_940,
    "resnet_stage.yaml": 147_968,  # L = 2: ResNet-18's layer1
    "lstm_budget.yaml": 9_988_152,
    "lstm_course.yaml": 4_458_496,  # h = 765, the largest hidden size under 10M parameters
    "lstm_course_keras.yaml": 4_457_472,  # Keras's count (tests/test_keras_sequence.py)
    "transformer_encoder.yaml": 85_054_464,  # BERT-base's encoder, whatever L is
    "transformer_budget.yaml": 24_602_752,  # w = 584
}

#: graph examples (skips, concatenations, blocks, shared weights): not a ``torch.nn.Sequential``,
#: so ``test_example_agrees_with_pytorch`` cannot build them from the spec's layers; each is
#: compared row by row with a hand-built PyTorch reference (torchvision's module names) in
#: tests/test_zoo.py instead
GRAPH_EXAMPLES = frozenset(
    {
        "convnext_tiny.yaml",
        "densenet121.yaml",
        "googlenet.yaml",
        "mobilenet_v2.yaml",
        "resnet18.yaml",
        "resnet50.yaml",
        "resnet_stage.yaml",
        "se_block.yaml",
        "shared_weights_exam.yaml",
        "shared_weights_exam_padded.yaml",
        "transformer_budget.yaml",
        "transformer_encoder.yaml",
        "unet.yaml",
        "vit_b_16.yaml",
    }
)
#: Keras-convention examples: Keras's names, compared with real Keras models in
#: tests/test_keras_sequence.py, not with PyTorch modules
KERAS_EXAMPLES = frozenset({"lstm_course_keras.yaml"})
SEQUENTIAL_SPECS = [
    path for path in EXAMPLE_SPECS if path.name not in GRAPH_EXAMPLES | KERAS_EXAMPLES
]


def example_id(path: Path) -> str:
    return path.name


@pytest.mark.parametrize("path", EXAMPLE_SPECS, ids=example_id)
def test_example_spec_loads_and_renders(path: Path) -> None:
    from symcnn.render import json_summary, latex_table, markdown_table, text_table

    net = symcnn.load(path)
    assert net.rows
    assert net.name, f"{path.name}: give the example a name"
    for render in (text_table, markdown_table, latex_table, json_summary):
        assert render(net)
    if path.name in EXAMPLE_VALUES:
        assert net.free_symbols, f"{path.name} is listed as symbolic but has no symbols"
        net = net.subs(EXAMPLE_VALUES[path.name])
    if path.name in EXAMPLE_TOTALS:
        assert net.params == EXAMPLE_TOTALS[path.name]


def test_symbolic_example_is_lenet_with_letters() -> None:
    lenet = symcnn.load(EXAMPLES / "lenet5.yaml")
    symbolic = symcnn.load(EXAMPLES / "symbolic.yaml")
    assert {s.name for s in symbolic.free_symbols} == {"H", "W", "k1", "k2"}
    numeric = symbolic.subs(EXAMPLE_VALUES["symbolic.yaml"])
    assert [(r.name, r.output_shape, r.params) for r in numeric.rows] == [
        (r.name, r.output_shape, r.params) for r in lenet.rows
    ]


def test_seed_question_answers_both_halves() -> None:
    net = symcnn.load(EXAMPLES / "seed_question.yaml")
    assert net.subs(bias=0).params == 3 * 3 * 128 * 256 == 294_912
    assert net.subs(bias=1).params == (3 * 3 * 128 + 1) * 256 == 295_168


def _torch_model(net: symcnn.Network) -> Any:
    """The spec's layers as a ``torch.nn.Sequential``, with the sizes symcnn inferred."""
    import torch

    modules = []
    for raw, row in zip(net.spec["layers"], net.rows, strict=True):
        # the layer's own (coerced, substituted) values of the arguments the spec gave
        arguments = {
            key: _plain(getattr(row.layer, key), key) for key in raw if key not in ("type", "name")
        }
        module_class = getattr(torch.nn, row.type)
        accepted = module_class.__init__.__code__.co_varnames
        channels = row.input_shape[-1 if net.layout == "HWC" else 0]
        for name in ("in_channels", "num_features", "num_channels"):
            if name in accepted and name not in arguments:
                arguments[name] = int(channels)
        if "in_features" in accepted and "in_features" not in arguments:
            arguments["in_features"] = int(row.input_shape[-1])
        if hasattr(row.layer, "input_size") and "input_size" not in arguments:  # recurrent
            arguments["input_size"] = int(row.input_shape[-1])
        modules.append(module_class(**arguments))
    return torch.nn.Sequential(*modules)


def _plain(value: Any, key: str) -> Any:
    """A symcnn argument value as PyTorch takes it: ints, tuples of ints, bools."""
    if isinstance(value, tuple):
        return tuple(_plain(item, key) for item in value)
    if isinstance(value, sympy.Basic):
        return bool(value) if key == "bias" else int(value)
    return value


def _to_chw(shape: tuple[Any, ...], layout: str) -> tuple[int, ...]:
    sizes = tuple(int(size) for size in shape)
    if layout == "HWC" and len(sizes) > 1:
        return (sizes[-1], *sizes[:-1])
    return sizes


def test_graph_examples_are_compared_in_test_zoo() -> None:
    source = (ROOT / "tests" / "test_zoo.py").read_text(encoding="utf-8")
    source += (ROOT / "tests" / "zoo_models.py").read_text(encoding="utf-8")
    # the transformer examples are compared with PyTorch's own transformer modules there
    source += (ROOT / "tests" / "test_transformer.py").read_text(encoding="utf-8")
    for name in sorted(GRAPH_EXAMPLES):
        assert (EXAMPLES / name).is_file(), name
        assert f'"{name}"' in source, f"{name} is not compared with PyTorch in tests/test_zoo.py"


@pytest.mark.parametrize("path", SEQUENTIAL_SPECS, ids=example_id)
def test_example_agrees_with_pytorch(path: Path) -> None:
    import torch  # a test dependency: these checks must run, never skip

    net = symcnn.load(path)
    if path.name in EXAMPLE_VALUES:
        net = net.subs(EXAMPLE_VALUES[path.name])
    if net.free_symbols:
        pytest.skip(f"{path.name} is symbolic; add values for it to EXAMPLE_VALUES")
    if net.layout == "HWC" and any(
        row.type == "Linear" and len(row.input_shape) > 1 for row in net.rows
    ):
        pytest.skip("Linear on a channels-last tensor has no direct PyTorch equivalent")
    model = _torch_model(net).eval()
    declared = net.spec["inputs"]["input"]
    token_ids = isinstance(declared, dict) and declared.get("dtype") in ("int64", "long")
    x = torch.zeros(1, *_to_chw(net.input_shape, net.layout))
    x = x.long() if token_ids else x
    with torch.no_grad():
        for module, row in zip(model, net.rows, strict=True):
            x = module(x)
            if isinstance(x, tuple):  # a recurrent layer's (output, state)
                x = x[0]
            params = sum(t.numel() for t in module.parameters())
            buffers = sum(t.numel() for t in module.buffers())
            assert (params, buffers) == (row.params, row.buffers), row.name
            assert tuple(x.shape[1:]) == _to_chw(row.output_shape, net.layout), row.name


def test_examples_readme_lists_every_example() -> None:
    listing = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    missing = [
        path.name
        for path in sorted(EXAMPLES.iterdir())
        if path.name != "README.md"
        and not path.name.startswith((".", "_"))
        and f"]({path.name}" not in listing
    ]
    assert not missing, f"examples/README.md does not list {', '.join(missing)}"


#: what a script's output must contain, beyond running cleanly
SCRIPT_OUTPUT: dict[str, list[str]] = {
    "quickstart.py": ["62,958", "608", "3,216", "48,120", "33,024", "SpecError"],
}


@pytest.mark.parametrize("script", EXAMPLE_SCRIPTS, ids=example_id)
def test_example_script_runs(script: Path, tmp_path: Path) -> None:
    """Scripts find their specs next to themselves, so they run from any directory."""
    completed = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    assert len(completed.stdout.splitlines()) >= 3
    for expected in SCRIPT_OUTPUT.get(script.name, []):
        assert expected in completed.stdout


# ----------------------------------------------------------------------------------- the harness


def test_console_parsing_splits_commands_and_output(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "<!-- no-test -->\n```console\n$ symcnn skipped\n```\n\n"
        "```console\n$ symcnn one \\\n>   --two\nout 1\n\nout 2\n"
        "$ pip install x\n$ symcnn three\n```\n"
        "```sh\npip install -e . && symcnn no\nsymcnn yes --format json\n```\n"
    )
    blocks = read_blocks(page)
    assert [block.marker for block in blocks] == ["no-test", "", ""]
    assert commands_of(blocks[0]) == []
    assert commands_of(blocks[1]) == [
        ("symcnn one --two", ["out 1", "", "out 2"]),
        ("symcnn three", []),
    ]
    assert commands_of(blocks[2]) == [("symcnn yes --format json", None)]


def test_output_matching_is_exact_except_for_ellipsis_lines() -> None:
    assert matches(["a", "b"], "a\nb\n")
    assert not matches(["a", "b"], "a\nb \n")
    assert not matches(["a", "b"], "a\nb\n\n")
    assert matches(["a", "...", "z"], "a\nb\nc\nz\n")
    assert matches(["a", "...", "z"], "a\nz\n")
    assert not matches(["a", "...", "z"], "a\nb\n")
