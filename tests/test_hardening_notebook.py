"""The example notebook runs in a real Jupyter kernel (nbclient), and each symcnn object in it
shows a rich output: the network's table, a row, a derivation, a solution and a verdict."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "jupyter_display.ipynb"


def _outputs(cell: nbformat.NotebookNode) -> dict[str, str]:
    """A cell's outputs by MIME type (and ``stream`` for printed text)."""
    found: dict[str, str] = {}
    for output in cell.get("outputs", []):
        assert output["output_type"] != "error", "".join(output.get("traceback", []))
        if output["output_type"] == "stream":
            found["stream"] = found.get("stream", "") + output["text"]
        for mime, data in output.get("data", {}).items():
            found[mime] = data
    return found


def test_the_notebook_shows_rich_outputs(tmp_path: Path, monkeypatch) -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    env = {"PYTHONPATH": str(ROOT)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / "examples")}},
    ).execute()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    network, row, derivation, solution, printed, verdict, printed_verdict = map(_outputs, code)
    assert "62,958" in network["text/markdown"] and "CONV1" in network["text/markdown"]
    assert "text/latex" in network
    assert "CONV1" in row["text/markdown"] and "608" in row["text/markdown"]
    assert "3{,}216" in derivation["text/markdown"] and "text/latex" in derivation
    assert "f = 5" in solution["text/markdown"] and "Derivation" in solution["text/markdown"]
    assert printed["stream"].startswith("f = 5") and "Derivation:" in printed["stream"]
    assert "right when bias = 1" in verdict["text/markdown"]
    assert printed_verdict["stream"].startswith("claim:")
