"""Specs ``to_torch`` cannot write are refused as symcnn errors (the CLI: one line, exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

import symcnn
from symcnn.cli import main
from symcnn.errors import SpecError

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
KERAS = sorted(p for p in EXAMPLES.glob("*.yaml") if "\nconvention: keras" in p.read_text())


@pytest.mark.parametrize("path", KERAS, ids=lambda p: p.name)
def test_a_keras_convention_spec_is_refused(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    net = symcnn.load(path)
    with pytest.raises(SpecError, match="convention: keras"):
        symcnn.to_torch(net)
    assert main(["export", str(path), "--to", "torch"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "convention: keras" in err


def test_there_is_a_keras_example() -> None:
    assert KERAS
