"""Compiling generated LaTeX to PDF with the LaTeX engine installed on this machine.

``latexmk`` is preferred (it reruns as needed), else ``pdflatex``. Both run with
``-no-shell-escape`` and ``-halt-on-error``, and with ``openin_any``/``openout_any`` set to
paranoid, so even a document that somehow contained ``\\input`` could read nothing outside its
folder. The escaping of user text is the first defence; this is the second.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..errors import SymcnnError

__all__ = ["DEBIAN_PACKAGES", "LatexError", "compile_pdf", "find_engine"]

#: what to install on Debian or Ubuntu for ``--pdf`` and the compile tests
DEBIAN_PACKAGES = (
    "texlive-latex-base",
    "texlive-latex-recommended",
    "texlive-latex-extra",
    "latexmk",
)
TIMEOUT = 120


class LatexError(SymcnnError):
    """No LaTeX engine is installed, or a document did not compile."""


def find_engine() -> list[str] | None:
    """The command that compiles a ``.tex`` file to PDF here, or ``None`` if there is none."""
    flags = ["-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape"]
    pdflatex = shutil.which("pdflatex")
    latexmk = shutil.which("latexmk")
    if latexmk and pdflatex:
        return [latexmk, "-norc", "-pdf", "-quiet", *flags]
    if pdflatex:
        return [pdflatex, *flags]
    return None


def _first_error(log: Path, output: str) -> str:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else output
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("!"):
            return " ".join(part.strip() for part in lines[index : index + 3])
    return lines[-1] if lines else "no output"


def compile_pdf(tex: str | os.PathLike[str], *, keep_log: bool = False) -> Path:
    """Compile ``tex``; return the PDF's path, next to it.

    The engine runs in a private temporary folder on a copy named ``document.tex``: whatever the
    file is called (even ``-shell-escape.tex``) its name never reaches the engine's command line,
    no other file of its folder is visible to it, and no ``.aux``, ``.log``, ``.fls`` or
    ``.fdb_latexmk`` is left behind. Raises :class:`LatexError` when no engine is installed
    (saying what to install) or when the document does not compile (quoting LaTeX's first
    error). ``keep_log`` copies LaTeX's log next to the PDF (``FILE.log``).
    """
    source = Path(tex).resolve()
    command = find_engine()
    if command is None:
        raise LatexError(
            f"no LaTeX engine found (looked for latexmk and pdflatex); {source.name} was written "
            f"but not compiled. Install TeX Live, on Debian or Ubuntu: "
            f"apt-get install {' '.join(DEBIAN_PACKAGES)}"
        )
    # TEXINPUTS: a document may \\input the files beside it (an answer-key fragment), as before
    environment = {
        **os.environ,
        "openin_any": "p",
        "openout_any": "p",
        "TEXINPUTS": f"{source.parent}{os.pathsep}{os.environ.get('TEXINPUTS', '')}",
    }
    pdf = source.with_suffix(".pdf")
    with tempfile.TemporaryDirectory(prefix="symcnn-latex-") as folder:
        work = Path(folder)
        shutil.copyfile(source, work / "document.tex")
        try:
            result = subprocess.run(
                [*command, "document.tex"],
                cwd=work,
                env=environment,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise LatexError(f"{source.name}: LaTeX took longer than {TIMEOUT} s") from None
        built = work / "document.pdf"
        if result.returncode != 0 or not built.exists():
            error = _first_error(work / "document.log", result.stdout + result.stderr)
            raise LatexError(f"{source.name} did not compile: {error}")
        shutil.move(built, pdf)
        if keep_log and (work / "document.log").exists():
            shutil.copyfile(work / "document.log", source.with_suffix(".log"))
    return pdf
