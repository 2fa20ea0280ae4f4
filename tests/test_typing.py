"""The package's type hints hold: mypy, configured in pyproject.toml, accepts ``symcnn``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_accepts_the_package(tmp_path: Path) -> None:
    # a cache of its own: a cold run (well under a minute), and nothing written into the checkout
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy"), "symcnn"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, (
        f"mypy exited {completed.returncode}:\n{completed.stdout}{completed.stderr}"
    )
