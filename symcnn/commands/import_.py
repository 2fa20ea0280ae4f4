"""``symcnn import``: a PyTorch model (a factory in a Python file), an ONNX file or a Keras JSON
config as a readable YAML spec."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from typing import Any

from ..errors import SpecError
from .common import add_command, write

HELP = "read a PyTorch model (FILE.py:factory), ONNX file or Keras JSON as a readable YAML spec"
DESCRIPTION = """\
Import the torch.nn.Module that FACTORY in FILE.py returns (called without arguments) and write its
spec: one layer per module call or op, named as torch names the modules, `from` only where the
graph branches, a module called again as `shares`, and a block for each submodule class the model
repeats (its differing numbers the block's arguments, alike consecutive uses a `repeat`). --input
gives one example's shape, channels first, without the batch axis; --symbolic names the last axes
as symbols, so that the spec's sizes are formulas in them. FILE.py is run as Python: import only
models you trust.
MODEL.onnx is read as an ONNX graph: its input's shape (named dimensions are symbols) is the
example's, after the batch axis; --input and --symbolic do not apply.
MODEL.json is read as a Keras model's JSON config (model.to_json()) under convention: keras; its
InputLayer gives the shape, and --symbolic names its unknown axes (default L; H, W).
"""
EPILOG = """\
examples:
  symcnn import model.py:build --input 3,224,224 -o model.yaml
  symcnn import model.py:build --input 3,224,224 --symbolic H,W
  symcnn import model.onnx -o model.yaml
  symcnn import model.json -o model.yaml
"""


def register(subparsers: Any) -> None:
    parser = add_command(subparsers, "import", HELP, DESCRIPTION, EPILOG)
    parser.add_argument(
        "model", metavar="MODEL", help="FILE.py:FACTORY, a function returning the module"
    )
    parser.add_argument(
        "--input",
        metavar="C,H,W",
        help="one example's shape, channels first, without the batch axis: numbers or names",
    )
    parser.add_argument(
        "--symbolic",
        metavar="H,W",
        help="make the last axes of --input these symbols (e.g. H,W)",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    parser.set_defaults(run=run)


def _shape(text: str, symbolic: str | None) -> list[int | str]:
    sizes: list[int | str] = [
        int(part) if part.strip().isdigit() else part.strip() for part in text.split(",")
    ]
    if any(size == "" for size in sizes):
        raise SpecError(f"--input {text!r}: expected sizes such as 3,224,224")
    if symbolic:
        names = [name.strip() for name in symbolic.split(",")]
        if not all(name.isidentifier() for name in names) or len(names) > len(sizes):
            raise SpecError(
                f"--symbolic {symbolic!r}: expected at most {len(sizes)} names such as H,W"
            )
        sizes[len(sizes) - len(names) :] = names
    return sizes


def load_factory(reference: str) -> Any:
    """Call the factory ``FILE.py:NAME`` names and return what it builds."""
    path_text, colon, name = reference.rpartition(":")
    if not colon or not path_text.endswith(".py") or not name.isidentifier():
        raise SpecError(f"MODEL {reference!r}: expected FILE.py:FACTORY, such as model.py:build")
    path = Path(path_text)
    if not path.is_file():
        raise SpecError(f"MODEL {reference!r}: no file {path_text!r}")
    spec = importlib.util.spec_from_file_location(f"symcnn_import_{path.stem}", path)
    assert spec is not None and spec.loader is not None  # a .py file always has a loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and torch.fx look the module up by name
    spec.loader.exec_module(module)
    factory = getattr(module, name, None)
    if not callable(factory):
        raise SpecError(f"MODEL {reference!r}: {path_text} has no function {name!r}")
    return factory()


def run(arguments: argparse.Namespace) -> int:
    from ..interop import from_torch
    from ..interop.spec_yaml import spec_yaml

    if arguments.model.endswith(".onnx"):
        from ..interop import from_onnx

        if arguments.input or arguments.symbolic:
            raise SpecError("--input and --symbolic read a torch model; an ONNX file has its shape")
        spec = from_onnx(arguments.model).to_spec()
    elif arguments.model.endswith(".json"):
        from ..interop import from_keras

        if arguments.input:
            raise SpecError("--input reads a torch model; a Keras config has its InputLayer")
        symbolic = arguments.symbolic
        names = [name.strip() for name in symbolic.split(",")] if symbolic else None
        spec = from_keras(arguments.model, symbolic=names).to_spec()
    else:
        if not arguments.input:
            raise SpecError("a torch model needs --input, one example's shape such as 3,224,224")
        from ..interop.torch_blocks import submodule_classes, with_blocks

        shape = _shape(arguments.input, arguments.symbolic)
        model = load_factory(arguments.model)
        # blocks where the model repeats a submodule class
        spec = with_blocks(from_torch(model, shape).to_spec(), submodule_classes(model))
    text = spec_yaml(spec, f"imported by symcnn from {arguments.model}")
    if arguments.output:
        Path(arguments.output).write_text(text, encoding="utf-8")
    else:
        write(text)
    return 0
