"""The ``torchinfo`` counter: what ``torchinfo.summary(model, input_size=(1, C, H, W))`` reports
as ``total_mult_adds``.

torchinfo (1.8) does not look at the arithmetic a layer does: a forward hook on every module reads
the module's own parameters and its output's shape, and ``LayerInfo.calculate_macs`` charges each
parameter tensor named ``weight`` or ``bias`` its element count times

* the output's batch and spatial sizes (``output_size[:1] + output_size[2:]``) when the module's
  class name contains ``Conv`` (``Conv1d/2d/3d``, ``ConvTranspose1d/2d/3d``), and
* the output's batch size (``output_size[0]``, here 1) for any other module.

``ModelStatistics`` sums this over the *leaf* modules (no children: a container's own numbers are
never added, so nesting does not count twice), once per call: a module called twice gets a row
per call, each with its MACs (the second is marked ``(recursive)`` for the parameter count only).
A module without parameters, and every functional operation (``torch.cat``, ``x + y``,
``F.relu``...), costs 0. Batch 1, so per family, for one example:

* ``conv``: (k·d/g·kernel volume + bias·k) · output spatial size, i.e. the textbook MACs plus one
  add per output element for the bias: exact.
* ``conv_transpose``: its parameters (d·k/g·kernel volume + bias·k) times the *output* spatial
  size. The textbook work spreads each *input* element over k/g·kernel volume outputs, so
  torchinfo over-counts a strided transposed convolution by about stride² (a 2×2, stride-2 up
  step: 4× the weight work). Mirrored exactly: this is torchinfo's number.
* ``linear``: its parameters, (p + bias)·c, whatever the leading axes: a Linear on a (T, p) input
  does T times that work, torchinfo counts it once (the batch axis only). Mirrored exactly.
* ``batch_norm``, ``instance_norm``, ``group_norm``: 2·d if ``affine`` (weight and bias), else 0.
* ``layer_norm``: (1 + bias)·N if ``elementwise_affine`` (N: elements of normalized_shape), else 0.
* ``prelu``: ``num_parameters`` (1 or the channels).
* every other family (pooling, activations, softmax, dropout, reshapes, merges, padding,
  upsampling, shuffles, GLU): 0.

A row that ``shares`` another's weights is one more call of the same module: torchinfo counts
its MACs again (from the shared layer's parameters), though its parameters 0.

torchinfo reports ``macs`` (its "Total mult-adds"); ``flops`` here is 2·macs, a convention
torchinfo itself does not print.
"""

from __future__ import annotations

from typing import Any

import sympy

from ..formula import Expr
from ..layers import Row
from ..symbols import N, c, d, p
from ._base import Counter, register

__all__ = ["TORCHINFO"]


def _both(macs: Expr) -> tuple[Expr, Expr]:
    return macs, 2 * macs


def _conv(row: Row) -> tuple[Expr, Expr]:
    """weight (k·d/g·kernel) and bias (k) elements, each times the output's spatial size; the
    weight shape is [k, d/g, *kernel] for Conv and [d, k/g, *kernel] for ConvTranspose, the same
    count."""
    layer: Any = row.layer  # a conv family: out_channels, groups, kernel_size, bias
    k = layer.out_channels
    weight = k * row.values[d] / layer.groups * sympy.Mul(*layer.kernel_size)
    spatial = row.activation_size / k  # the output's elements per channel, in either layout
    return _both((weight + layer.bias * k) * spatial)


def _linear(row: Row) -> tuple[Expr, Expr]:
    """weight (c·p) and bias (c) elements, times the batch (1): the leading axes do not count."""
    layer: Any = row.layer
    return _both((row.values[p] + layer.bias) * row.values[c])


def _affine(row: Row) -> tuple[Expr, Expr]:
    """BatchNorm, InstanceNorm, GroupNorm: weight and bias of d elements each, if affine."""
    affine = getattr(row.layer, "affine")  # noqa: B009  (every norm of these families has it)
    return _both(2 * row.values[d] if affine else sympy.Integer(0))


def _layer_norm(row: Row) -> tuple[Expr, Expr]:
    """weight (N) and, with bias=True, bias (N), if elementwise_affine."""
    layer: Any = row.layer
    return _both((1 + layer.bias) * row.values[N] if layer.elementwise_affine else sympy.Integer(0))


def _prelu(row: Row) -> tuple[Expr, Expr]:
    """weight: num_parameters slopes."""
    layer: Any = row.layer
    return _both(layer.num_parameters)  # already an exact SymPy value


def _recurrent(row: Row) -> tuple[Expr, Expr]:
    """weight_ih_l0, bias_hh_l0...: names that are not exactly ``weight`` or ``bias``, which
    torchinfo charges ``prod(output_size[:2])``: batch (1) times the time steps for a layer."""
    return _both(row.params * row.output_shape[0])


def _recurrent_cell(row: Row) -> tuple[Expr, Expr]:
    """weight_ih, bias_hh...: as :func:`_recurrent`, and a cell's output (1, h) makes the factor
    its hidden size (not a count of work: torchinfo's number)."""
    return _both(row.params * row.output_shape[-1])


def _embedding(row: Row) -> tuple[Expr, Expr]:
    """weight: the table's V·d_e elements, times the batch (1)."""
    return _both(row.params)


def _embedding_bag(row: Row) -> tuple[Expr, Expr]:
    """weight, times the output's first axis: an example of B bags ``[B, L]`` is PyTorch's 2-d
    input, whose output ``(B, d_e)`` torchinfo reads as a batch of B; one bag ``[L]`` is 1."""
    bags = row.output_shape[0] if len(row.output_shape) == 2 else 1
    return _both(row.params * bags)


TORCHINFO = register(
    Counter(
        name="torchinfo",
        tool="torchinfo.summary(...).total_mult_adds",
        sentence=(
            "Costs counted as torchinfo's summary counts its total mult-adds: each leaf module's "
            "weight and bias elements, times the output's spatial size for convolutions and "
            "once otherwise, every call counted; layers without parameters count nothing."
        ),
        reports="macs",
        rules={
            "conv": _conv,
            "conv_transpose": _conv,
            "linear": _linear,
            "batch_norm": _affine,
            "instance_norm": _affine,
            "group_norm": _affine,
            "layer_norm": _layer_norm,
            "prelu": _prelu,
            "rnn": _recurrent,
            "lstm": _recurrent,
            "rnn_cell": _recurrent_cell,
            "embedding": _embedding,
            "embedding_bag": _embedding_bag,
        },
    )
)
