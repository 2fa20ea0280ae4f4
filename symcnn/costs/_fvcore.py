"""The ``fvcore`` counter: what ``fvcore.nn.FlopCountAnalysis(model, x).total()`` reports.

fvcore traces the model (``torch.jit.trace``) and applies a handle to each ATen op of its
``_DEFAULT_SUPPORTED_OPS``; every other op costs 0. It counts one fused multiply-add as one
"flop", so its number is ``macs`` here, and ``flops`` is 2·macs. The model is counted in
evaluation mode, as symcnn describes it. With N the input's elements and M the output's
(one example), per cost family:

* ``conv``, ``conv_transpose`` (``aten::_convolution``): the textbook multiply-accumulates, no
  bias — (weight elements)·(output spatial size) for a convolution, (weight elements)·(input
  spatial size) for a transposed one. A convolution with ``padding`` 'same' or 'valid' and
  ``padding_mode`` 'zeros' runs as ``aten::_convolution_mode``, which fvcore does not handle: 0.
  (With another ``padding_mode`` PyTorch pads first and runs an ordinary convolution: counted.)
* ``linear`` (``aten::linear``): (input elements)·out_features, no bias.
* ``batch_norm`` (``aten::batch_norm``): in eval mode with running statistics N·2 (affine) or
  N·1; without running statistics PyTorch normalizes with the batch's (``training`` = true) and
  fvcore counts N·5 (affine) or N·4.
* ``instance_norm``, ``group_norm``, ``layer_norm``: N·5 with a scale (``affine`` /
  ``elementwise_affine``; a LayerNorm without ``bias`` still has its scale), else N·4.
* ``upsample``: only 2-d inputs (two spatial axes) — ``nearest`` M, ``bilinear`` 4·M, ``area``
  N (it runs as ``aten::adaptive_avg_pool2d``); ``nearest-exact``, ``bicubic`` and every 1-d or
  3-d mode are ops fvcore does not handle: 0.
* ``adaptive_avg_pool``: N for AdaptiveAvgPool2d (``aten::adaptive_avg_pool2d``); the 1-d and
  3-d ones are not handled: 0.
* ``attention`` (MultiheadAttention returning its weights, as it does by default): the
  projections (``aten::linear``, no bias) and the two products (``aten::bmm``): the layer's MACs.
* everything else (pooling, adaptive max pooling, activations, softmax, PReLU, GLU, dropout,
  padding, reshapes, shuffles, add, mul, cat): 0.

What symcnn gives that fvcore cannot: fvcore's norm handles assert an input of rank 2 to 5 with
the batch axis, so a GroupNorm or LayerNorm on an example of rank 5 or more makes fvcore raise
(no number to match); symcnn gives the same formula there (N·5 or N·4). fvcore's handles for
``matmul``, ``bmm``, ``einsum`` and ``grid_sampler`` have no symcnn layer to match.
"""

from __future__ import annotations

import sympy

from ..formula import Expr
from ..layers import Row
from ._base import ZERO, Counter, Rule, register


def _macs(macs: Expr) -> tuple[Expr, Expr]:
    return macs, 2 * macs


def _elements(shape: tuple[Expr, ...]) -> Expr:
    return sympy.Mul(*shape)


def _matrix_work(row: Row) -> tuple[Expr, Expr]:
    return _macs(row.layer.work(row)["macs"])


def _conv(row: Row) -> tuple[Expr, Expr]:
    layer = row.layer
    if isinstance(layer.padding, str) and layer.padding_mode == "zeros":  # type: ignore[attr-defined]
        return ZERO, ZERO  # aten::_convolution_mode: no handle
    return _matrix_work(row)


def _batch_norm(row: Row) -> tuple[Expr, Expr]:
    layer = row.layer
    affine = bool(layer.affine)  # type: ignore[attr-defined]
    if layer.track_running_stats:  # type: ignore[attr-defined]
        per_element = 2 if affine else 1
    else:  # no running statistics: normalized with the batch's, fvcore's training count
        per_element = 5 if affine else 4
    return _macs(per_element * _elements(row.input_shape))


def _norm(flag: str) -> Rule:
    """N·5 with a scale (the layer's ``flag``), else N·4."""

    def rule(row: Row) -> tuple[Expr, Expr]:
        per_element = 5 if getattr(row.layer, flag) else 4
        return _macs(per_element * _elements(row.input_shape))

    return rule


def _upsample(row: Row) -> tuple[Expr, Expr]:
    if len(row.input_shape) != 3:  # channels and two spatial axes: only the 2-d ops are handled
        return ZERO, ZERO
    mode = row.layer.interpolation()  # type: ignore[attr-defined]
    if mode == "nearest":
        return _macs(row.activation_size)
    if mode == "bilinear":
        return _macs(4 * row.activation_size)
    if mode == "area":  # aten::adaptive_avg_pool2d over the input
        return _macs(_elements(row.input_shape))
    return ZERO, ZERO


def _adaptive_avg_pool(row: Row) -> tuple[Expr, Expr]:
    if row.layer.spatial_dims != 2:
        return ZERO, ZERO
    return _macs(_elements(row.input_shape))


FVCORE = register(
    Counter(
        name="fvcore",
        tool="fvcore.nn.FlopCountAnalysis",
        sentence=(
            "Costs counted as fvcore's FlopCountAnalysis counts them (eval mode): convolutions "
            "and linear layers without bias, normalizations, 2-d upsampling and 2-d adaptive "
            "average pooling, one per multiply-accumulate."
        ),
        reports="macs",
        rules={
            "conv": _conv,
            "conv_transpose": _matrix_work,
            "linear": _matrix_work,
            # a cell's aten::*_cell op has a handler; a whole RNN/LSTM/GRU (aten::lstm...) has none
            "rnn_cell": _matrix_work,
            # aten::linear for the projections (no bias), aten::bmm for Q·Kᵀ and A·V
            "attention": _matrix_work,
            "batch_norm": _batch_norm,
            "instance_norm": _norm("affine"),
            "group_norm": _norm("affine"),
            "layer_norm": _norm("elementwise_affine"),
            "upsample": _upsample,
            "adaptive_avg_pool": _adaptive_avg_pool,
        },
    )
)
