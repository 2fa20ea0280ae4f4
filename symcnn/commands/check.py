"""``symcnn check``: is a formula or an answer right, and if not, which mistake produced it?"""

from __future__ import annotations

import argparse
import json
import textwrap
from typing import Any

from ..check import check, check_shape, format_verdict, shape_claim
from ..quantities import QUANTITIES
from .common import add_command, add_set_option, parse_assignment, write

HELP = "check a formula or an answer against the engine and name the mistake behind a wrong one"
DESCRIPTION = """\
Check CLAIM, a formula in the notation (m, n, d, k, c, p, bias, g, W, s_w, z_w...) or a number,
against a layer's formula, one concrete layer, or a spec's quantity. A wrong claim gets the
difference, a smallest counterexample and a diagnosis: the catalogued mistake that gives it, or
another configuration that does.

A formula is compared with the layer's formula at PyTorch's defaults (groups 1, stride 1,
padding 0, dilation 1) for the symbols it does not mention, with bias as a symbol: a claim right
only with a bias (or only without) is "right when bias = 1".

Exit status: 0 when the claim is right, 1 when it is wrong, 2 on bad input.
"""
#: the registry's quantities, as --help lists them
_LISTED = textwrap.fill(
    ", ".join(QUANTITIES), 98, initial_indent="  quantities: ", subsequent_indent=" " * 14
)
EPILOG = f"""\
against:
  LAYER.QUANTITY             the general formula: conv2d.params, linear.params, conv1d.output_size
  LAYER [IN->OUT] [KERNEL] [NAME=VALUE...] [QUANTITY]
                             one layer, PyTorch's defaults for the rest: "linear 128->256 params",
                             "conv2d 3->8 5x5", "conv1d W=7 kernel=3 stride=2 output_size"
  SPEC.yaml                  a network; --quantity params (default), buffers, activation_size,
                             total_activations, or ROW.params, ROW.output_shape[0]... for one layer
{_LISTED}
              a shape by one axis: output_shape[0]; older names of an output axis: out_w,
              out_h, out_t, output_size (the width axis)

examples:
  symcnn check "((m*n)+1)*k" --against conv2d.params
  symcnn check "(m n d + 1) k" --against conv2d.params --set g=d
  symcnn check 32896 --against "linear 128->256 params"
  symcnn check 59547 --against examples/lenet5.yaml
  symcnn check 48,001 --against examples/lenet5.yaml --quantity FC3.params --format json
"""


def register(subparsers: Any) -> None:
    parser = add_command(subparsers, "check", HELP, DESCRIPTION, EPILOG)
    parser.add_argument("claim", metavar="CLAIM", help="a formula or a number")
    parser.add_argument(
        "--against",
        required=True,
        metavar="TARGET",
        help='a layer reference (conv2d.params, "linear 128->256 params") or a spec file',
    )
    parser.add_argument(
        "--quantity",
        metavar="QUANTITY",
        help="the quantity of a spec (params by default) or of a layer reference",
    )
    add_set_option(parser)
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text (default) or json: the verdict, counterexample and diagnosis as data",
    )
    parser.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    values = dict(parse_assignment(text) for text in arguments.values)
    if shape_claim(arguments.claim) is not None:  # a whole shape, 29x29x32: axis by axis
        verdicts = check_shape(
            arguments.claim, arguments.against, quantity=arguments.quantity, values=values
        )
        if arguments.format == "json":
            data = [verdict.as_dict() for verdict in verdicts]
            write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
        else:
            for index, verdict in enumerate(verdicts):
                write(f"{'' if index == 0 else chr(10)}axis {index}:\n{format_verdict(verdict)}")
            right = sum(verdict.right for verdict in verdicts)
            write(f"\nshape: {right} of {len(verdicts)} axes right\n")
        return 0 if all(verdict.right for verdict in verdicts) else 1
    verdict = check(arguments.claim, arguments.against, quantity=arguments.quantity, values=values)
    if arguments.format == "json":
        write(json.dumps(verdict.as_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        write(format_verdict(verdict))
    return 0 if verdict.right else 1
