"""``symcnn export``: a spec as PyTorch source, a module class that runs as written."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..errors import SpecError
from .common import add_command, add_set_option, add_spec_argument, load_with_values, write

HELP = "write a spec as PyTorch source: an nn.Module class that runs as written"
DESCRIPTION = """\
Write the network of a numeric spec (or of one whose symbols --set gives values) as PyTorch
source: a class with __init__ and forward, each layer registered under its row's name, shared
weights as one module called twice. The module takes a batch in torch's layout (N, C, ...)
whatever the spec's layout. --to onnx writes that module's ONNX graph (-o is required), with
a dynamic batch axis N; symcnn import reads it back with the same counts.
"""
EPILOG = """\
examples:
  symcnn export examples/resnet18.yaml --to torch -o resnet18.py
  symcnn export examples/symbolic.yaml --set H=32 --set W=32 --set k1=6 --set k2=16
  symcnn export examples/resnet18.yaml --to onnx -o resnet18.onnx
"""
TARGETS = ("torch", "onnx")


def register(subparsers: Any) -> None:
    parser = add_command(subparsers, "export", HELP, DESCRIPTION, EPILOG)
    add_spec_argument(parser)
    parser.add_argument("--to", choices=TARGETS, default="torch", help="what to write")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    parser.add_argument("--class-name", help="the module class's name (default: from the spec)")
    add_set_option(parser)
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    from ..interop import to_onnx, torch_source

    net = load_with_values(arguments.spec, arguments.values)
    if arguments.to == "onnx":
        if not arguments.output:
            raise SpecError("--to onnx writes a binary file: give -o FILE.onnx")
        to_onnx(net, arguments.output)
        return 0
    source = torch_source(net, arguments.class_name)
    if arguments.output:
        Path(arguments.output).write_text(source, encoding="utf-8")
    else:
        write(source)
    return 0
