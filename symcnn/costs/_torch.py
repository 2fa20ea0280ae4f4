"""The ``torch`` counter (the default): what ``torch.utils.flop_counter.FlopCounterMode`` reports.

FlopCounterMode counts the matrix-like work only — convolutions (``aten.convolution``), matrix
products (``aten.mm``, ``aten.addmm``, ``aten.bmm``) and attention — at 2 FLOPs per
multiply-accumulate; it counts no bias, no normalization, no pooling and no elementwise work. Its
number is ``flops``; ``macs`` is half of it.

Recurrent layers run their matrix products per time step as ``aten.addmm``/``aten.mm``, which it
counts, except a plain LSTM (no ``proj_size``) on PyTorch's CPU build: that runs through oneDNN's
fused kernel (``aten.mkldnn_rnn_layer``), for which FlopCounterMode has no formula, so it reports
0 (with ``torch.backends.mkldnn.flags(enabled=False)`` it reports the products like any other).
"""

from __future__ import annotations

from sympy import Integer

from ..formula import Expr
from ..layers import Row
from ._base import Counter, register


def _matrix_work(row: Row) -> tuple[Expr, Expr]:
    macs = row.layer.work(row)["macs"]
    return macs, 2 * macs


def _lstm_work(row: Row) -> tuple[Expr, Expr]:
    # a projected LSTM falls back to the per-step products; a plain one runs fused in oneDNN
    if getattr(row.layer, "proj_size", 0) == 0:
        return Integer(0), Integer(0)
    return _matrix_work(row)


TORCH = register(
    Counter(
        name="torch",
        tool="torch.utils.flop_counter.FlopCounterMode",
        sentence=(
            "Costs counted as PyTorch's FlopCounterMode counts them: convolutions and matrix "
            "products only, 2 FLOPs per multiply-accumulate, no bias and no elementwise work."
        ),
        reports="flops",
        rules={
            "conv": _matrix_work,
            "conv_transpose": _matrix_work,
            "linear": _matrix_work,
            "rnn": _matrix_work,
            "rnn_cell": _matrix_work,
            "lstm": _lstm_work,
            # the projections (aten.addmm / aten.mm) and Q·Kᵀ, A·V (aten.bmm)
            "attention": _matrix_work,
        },
    )
)
