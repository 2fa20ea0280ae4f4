"""``symcnn latex``: an answer key — the table and every layer's working — as a LaTeX document."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import SpecError
from ..render.document import Style, answer_key
from ..render.latex import latex_document
from ..render.markdown import markdown_document
from ..render.pdf import compile_pdf
from ..render.plain import text_document
from .common import (
    add_command,
    add_set_option,
    add_spec_argument,
    load_with_values,
    write,
)

HELP = "write an answer key (table, step-by-step working, total) as LaTeX, Markdown or text"
DESCRIPTION = """\
Write the answer key of a network: the table the textbooks draw (activation shape, activation
size, parameters) and, for every layer, the working of each number: the general formula in the
textbook symbols, the same formula with the numbers put in, and the result, then the total.
The LaTeX is a complete document (amsmath, booktabs) that pdflatex compiles as it is.
"""
EPILOG = """\
examples:
  symcnn latex examples/lenet5.yaml -o key.tex
  symcnn latex examples/lenet5.yaml -o key.tex --pdf
  symcnn latex examples/lenet5.yaml --fragment --times > working.tex
  symcnn latex examples/lenet5.yaml --format markdown
  symcnn latex examples/resnet18.yaml --depth 1 -o resnet18.tex --pdf
  symcnn latex examples/lenet5.yaml --costs --format text
"""
FORMATS = ("latex", "markdown", "text")


def register(subparsers: Any) -> None:
    parser = add_command(subparsers, "latex", HELP, DESCRIPTION, EPILOG)
    add_spec_argument(parser)
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    parser.add_argument(
        "--pdf",
        action="store_true",
        help="also compile FILE to PDF with latexmk or pdflatex (needs -o and a LaTeX engine)",
    )
    parser.add_argument(
        "--fragment",
        action="store_true",
        help="write only the body, to \\input into a document that loads amsmath, booktabs "
        "and graphicx",
    )
    parser.add_argument("--title", help="the document's title (default: 'Answer key: NAME')")
    parser.add_argument(
        "--times", action="store_true", help="write products with \\times instead of \\cdot"
    )
    parser.add_argument(
        "--no-grouping",
        action="store_true",
        help="write 62958 instead of 62{,}958",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="latex", help="latex (default), markdown or text"
    )
    parser.add_argument(
        "--depth",
        type=int,
        default=None,
        metavar="N",
        help="fold the table's blocks nested deeper than N into one row with their subtotal (0: "
        "only the top-level entries); the working always shows every layer",
    )
    parser.add_argument(
        "--costs",
        action="store_true",
        help="add the costs: MACs and FLOPs columns in the table, each convolution's and linear "
        "layer's MACs worked out (H_out·W_out·k·m·n·d), and the totals, as PyTorch's "
        "FlopCounterMode counts them",
    )
    add_set_option(parser)
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    if arguments.output and Path(arguments.output).name.startswith("-"):
        raise SpecError(
            f"-o {arguments.output!r}: a file name may not start with '-' (LaTeX tools "
            "would read it as an option); choose another name"
        )
    if arguments.pdf and not arguments.output:
        raise SpecError("--pdf needs -o FILE.tex: the PDF is written next to it")
    if arguments.pdf and (arguments.fragment or arguments.format != "latex"):
        raise SpecError("--pdf compiles a complete LaTeX document: drop --fragment and --format")
    if arguments.depth is not None and arguments.depth < 0:
        raise SpecError(f"--depth = {arguments.depth}: must be 0 or more")
    net = load_with_values(arguments.spec, arguments.values)
    style = Style("times" if arguments.times else "cdot", not arguments.no_grouping)
    document = answer_key(net, arguments.title, arguments.depth, costs=arguments.costs)
    if arguments.format == "markdown":
        text = markdown_document(document, style)
    elif arguments.format == "text":
        text = text_document(document, style)
    else:
        text = latex_document(document, style, fragment=arguments.fragment)
    if not arguments.output:
        write(text)
        return 0
    path = Path(arguments.output)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise SpecError(f"cannot write {str(path)!r}: {error.strerror}") from None
    print(f"wrote {path}", file=sys.stderr)
    if arguments.pdf:
        pdf = compile_pdf(path)
        print(f"wrote {pdf}", file=sys.stderr)
    return 0
