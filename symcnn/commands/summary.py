"""``symcnn summary``: the per-layer table (shape, activation size, parameters) with totals."""

from __future__ import annotations

import argparse
from typing import Any

from ..costs import COUNTERS, DEFAULT
from ..costs._memory import DEFAULT_DTYPE, DEFAULT_OPTIMIZER, DTYPES, OPTIMIZERS, memory_report
from ..errors import SpecError
from ..render.text import json_summary, markdown_table, text_table
from ..spec import CONVENTIONS
from .common import add_command, add_set_option, add_spec_argument, load_with_values, write

FORMATS = ("table", "json", "markdown", "latex")

HELP = "print each layer's activation shape, activation size and parameters, with totals"
DESCRIPTION = """\
Print the table the textbooks draw: for every layer its activation (output) shape, activation
size and number of learnable parameters (and buffers, when a layer has any), then the totals.
Values stay symbolic where the spec uses symbols; --set gives them numbers.
"""
EPILOG = """\
examples:
  symcnn summary examples/lenet5.yaml
  symcnn summary examples/symbolic.yaml --set H=64 --set W=64 --set k1=8 --set k2=16
  symcnn summary examples/lenet5.yaml --format json
  symcnn summary "{input: [8, 8, 16], layers: [{type: BatchNormalization}]}" --convention keras
  symcnn summary examples/symbolic.yaml --form collect:k1
  symcnn summary examples/resnet18.yaml --depth 1 --costs
  symcnn summary examples/resnet50.yaml --depth 0 --memory --dtype float16 --batch N
  symcnn summary examples/vgg.yaml --receptive-field
"""


def register(subparsers: Any) -> None:
    parser = add_command(subparsers, "summary", HELP, DESCRIPTION, EPILOG)
    add_spec_argument(parser)
    parser.add_argument(
        "--format",
        choices=sorted(FORMATS),
        default="table",
        help="table (default, for a terminal), json, markdown or latex (a booktabs tabular)",
    )
    add_set_option(parser)
    parser.add_argument(
        "--convention",
        choices=list(CONVENTIONS),
        default=None,
        help="count as PyTorch (torch) or Keras (keras) does, overriding the spec's "
        "`convention` (see docs/keras.md); default: the spec's, else torch",
    )
    parser.add_argument(
        "--depth",
        type=int,
        default=None,
        metavar="N",
        help="fold blocks nested deeper than N into one row with their subtotal (0: only the "
        "top-level entries); default: show every layer",
    )
    parser.add_argument(
        "--costs",
        action="store_true",
        help="add each layer's multiply-accumulates (MACs) and FLOPs, and the totals",
    )
    parser.add_argument(
        "--counter",
        choices=list(COUNTERS),
        default=None,
        help="count the costs as this tool does (implies --costs): " + ", ".join(
            f"{name} ({counter.tool})" for name, counter in COUNTERS.items()
        ) + f"; default {DEFAULT}",
    )
    parser.add_argument(
        "--memory",
        action="store_true",
        help="add the memory in bytes after the table: parameters, buffers, input, every "
        "layer's output in one forward pass, and the training estimate (activations + "
        "parameters + gradients + optimizer state)",
    )
    parser.add_argument(
        "--dtype",
        choices=list(DTYPES),
        default=None,
        help=f"the values' type for --memory (implies it); default {DEFAULT_DTYPE}",
    )
    parser.add_argument(
        "--optimizer",
        choices=list(OPTIMIZERS),
        default=None,
        help="the optimizer whose state the training estimate counts (implies --memory): "
        + ", ".join(f"{name} ({states} per parameter)" for name, states in OPTIMIZERS.items())
        + f"; default {DEFAULT_OPTIMIZER}",
    )
    parser.add_argument(
        "--batch",
        default=None,
        metavar="N",
        help="examples in a batch for --memory (implies it): a number, or a symbol such as N; "
        "default 1",
    )
    parser.add_argument(
        "--receptive-field",
        action="store_true",
        help="add each layer's receptive field: the side of the input region one output "
        "position reads, per spatial axis (Distill's recurrence; see docs/quantities.md)",
    )
    parser.add_argument(
        "--form",
        default="sum",
        metavar="FORM",
        help="how symbolic values are shown: sum (as built, default), expand, factor, or "
        "collect:SYMBOL[,SYMBOL] (grouped by powers: params = 9028*k + 10)",
    )
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    net = load_with_values(arguments.spec, arguments.values, arguments.convention)
    if arguments.form != "sum":
        net = net.rewrite(arguments.form)
    if arguments.depth is not None and arguments.depth < 0:
        raise SpecError(f"--depth = {arguments.depth}: must be 0 or more")
    counter = arguments.counter or (DEFAULT if arguments.costs else None)
    memory = None
    asked = (arguments.dtype, arguments.optimizer, arguments.batch)
    if arguments.memory or any(value is not None for value in asked):
        if arguments.format == "latex":
            raise SpecError("--memory is shown in the table, markdown and json formats")
        memory = memory_report(
            net,
            arguments.dtype or DEFAULT_DTYPE,
            arguments.optimizer or DEFAULT_OPTIMIZER,
            1 if arguments.batch is None else arguments.batch,
        )
    receptive = arguments.receptive_field
    if receptive and arguments.format == "latex":
        raise SpecError("--receptive-field is shown in the table, markdown and json formats")
    if arguments.format == "json":
        write(json_summary(net, counter, memory, receptive))
    elif arguments.format == "latex":
        from ..render.latex import latex_table

        write(latex_table(net, arguments.depth, counter=counter))
    else:
        render = markdown_table if arguments.format == "markdown" else text_table
        write(render(net, arguments.depth, counter, memory, receptive))
    return 0
