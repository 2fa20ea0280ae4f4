"""Rewrite the output shown under each command of a page's ``console`` blocks with the real output.

    python docs/_fill_outputs.py docs/spec.md README.md

It runs each ``$ symcnn ...`` / ``$ python ...`` / ``$ cat ...`` line exactly as
``tests/test_docs.py`` does (same working directory, same ``COLUMNS=80``) and puts what it prints
under it. Output that contains a ``...`` line and still matches is kept. Read the diff before
committing: the point of the docs tests is that a change of output is noticed, not waved through.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _harness():
    spec = importlib.util.spec_from_file_location("_test_docs", ROOT / "tests" / "test_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["_test_docs"] = module
    spec.loader.exec_module(module)
    return module


def fill(page: Path, harness, base: Path) -> list[str]:
    """Rewrite ``page`` in place; return the commands that exited with a nonzero status."""
    workdir = harness.make_workdir(page, base)
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks = {block.line: block for block in harness.read_blocks(page)}
    failures: list[str] = []
    out: list[str] = []
    index = 0
    while index < len(lines):
        block = blocks.get(index + 1)
        if block is None or block.language != "console" or block.marker == "no-test":
            out.append(lines[index])
            index += 1
            continue
        body = block.text.splitlines()
        out.append(lines[index])  # the opening fence
        position = 0
        while position < len(body):
            if not body[position].startswith("$ "):
                out.append(body[position])
                position += 1
                continue
            command_lines = [body[position]]
            while command_lines[-1].rstrip().endswith("\\") and position + 1 < len(body):
                position += 1
                command_lines.append(body[position])
            position += 1
            shown: list[str] = []
            while position < len(body) and not body[position].startswith("$ "):
                shown.append(body[position])
                position += 1
            out.extend(command_lines)
            command = harness._join_prompted(command_lines)[0][0]
            if not harness._runnable(command):
                out.extend(shown)
                continue
            result = harness.run_command(command, workdir)
            if result.returncode:
                failures.append(f"{page.name}: exit {result.returncode}: {command}")
            if "..." in shown and harness.matches(shown, result.output):
                out.extend(shown)
            else:
                out.extend(result.output.splitlines())
        out.append(lines[index + 1 + len(body)])  # the closing fence
        index += 2 + len(body)
    page.write_text("\n".join(out) + "\n", encoding="utf-8")
    return failures


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    harness = _harness()
    with tempfile.TemporaryDirectory() as base:
        for path in paths:
            for failure in fill(Path(path).resolve(), harness, Path(base)):
                print(failure, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
