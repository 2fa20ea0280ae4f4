"""The ``ptflops`` counter: the MACs ``ptflops.get_model_complexity_info(model, (C, H, W),
as_strings=False, backend="aten")`` returns (ptflops 0.7.5).

The aten backend runs one forward pass (batch 1, the model in eval mode) under a
``TorchDispatchMode`` and counts six ATen operators only (``ptflops/aten_ops.py``), every call of
them, so a module applied twice counts twice:

* ``aten.convolution`` (every ``Conv*d`` and ``ConvTranspose*d``): weight volume times the output's
  positions (a transposed convolution: times the *input's* positions), which is the layer's
  multiply-accumulates, plus one MAC per output element when the layer has a bias:
  ``k·(d/g)·(kernel volume)·H'·W' + bias·k·H'·W'``;
* ``aten.addmm`` (``nn.Linear`` with a bias): ``in_features·out_features`` per position, plus one
  per output element for the bias; ``aten.mm`` (a Linear without bias): the products only;
  ``aten.bmm`` (MultiheadAttention's two products, when it returns its weights, as it does by
  default: the attention family counts its projections with their biases and the products);
  ``aten.matmul``: no symcnn layer calls it.

Nothing else counts: batch norm in eval mode (``aten._native_batch_norm_legit_no_training``),
instance, group and layer norm, max, average and adaptive pooling, activations, softmax, PReLU,
GLU, dropout, add, mul, cat, padding, upsampling and the shuffles all cost 0. ptflops reports MACs
only; ``flops`` here is ``2·macs`` (a bias addition counts as one MAC, so as 2 FLOPs).

ptflops's default ``pytorch`` backend is another tool: it hooks ``nn.Module`` classes (and patches
some functionals) and charges norms, pooling, activations and upsampling by its own rules, so its
number depends on how the forward pass is written: ``Conv2d(3, 8, 3)`` then a ReLU on 3 × 10 × 10
is 15,360 MACs with ``nn.ReLU``, 14,848 with ``F.relu``, 14,336 under ``aten`` either way. That is a
property of the code, not of the network; symcnn matches the ``aten`` backend.

Known difference (the one case symcnn cannot see from a row): PyTorch computes a Linear with bias
as ``addmm`` only for an input that is 2-d, or contiguous (``_flatten_nd_linear``); on a
non-contiguous input of 3 or more axes (after a ``permute``/``transpose`` that leaves the tensor
non-contiguous, and any layers after it that keep the strides: elementwise ones, dropout in eval)
it calls ``matmul`` then ``add_``, and ptflops counts no bias. symcnn counts it there too, so its
number is larger by ``out_features`` per position: the row's ``bias`` work (its activation size).
Contiguous inputs, every zoo network's included, agree exactly.
"""

from __future__ import annotations

from ..formula import Expr
from ..layers import Row
from ._base import ZERO, Counter, register


def _with_bias(row: Row) -> tuple[Expr, Expr]:
    """The layer's multiply-accumulates plus one per output element with a bias (conv,
    conv_transpose, linear: ``aten.convolution`` and ``aten.addmm`` both count the bias)."""
    work = row.layer.work(row)
    macs = work["macs"] + work["bias"]
    return macs, 2 * macs


def _lstm_with_bias(row: Row) -> tuple[Expr, Expr]:
    """A plain LSTM runs fused in oneDNN on CPU (no aten.addmm to count): 0; a projected one
    step by step, like RNN and GRU."""
    if getattr(row.layer, "proj_size", 0) == 0:
        return ZERO, ZERO
    return _with_bias(row)


PTFLOPS = register(
    Counter(
        name="ptflops",
        tool='ptflops.get_model_complexity_info(backend="aten")',
        sentence=(
            "Costs counted as ptflops's aten backend counts them: convolutions and linear layers "
            "only, their bias additions included as one MAC each, no normalization, pooling or "
            "elementwise work."
        ),
        reports="macs",
        rules={
            "conv": _with_bias,
            "conv_transpose": _with_bias,
            "linear": _with_bias,
            # recurrent layers: every step's aten.addmm, with its bias vector (b_ih or b_hh)
            "rnn": _with_bias,
            "rnn_cell": _with_bias,
            "lstm": _lstm_with_bias,
            # the projections (aten.addmm, with their biases) and Q·Kᵀ, A·V (aten.bmm)
            "attention": _with_bias,
        },
    )
)
