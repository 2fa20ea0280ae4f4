"""The ``torch`` counter (the default): what ``torch.utils.flop_counter.FlopCounterMode`` reports.

FlopCounterMode counts the matrix-like work only — convolutions (``aten.convolution``), matrix
products (``aten.mm``, ``aten.addmm``, ``aten.bmm``) and attention — at 2 FLOPs per
multiply-accumulate; it counts no bias, no normalization, no pooling and no elementwise work. Its
number is ``flops``; ``macs`` is half of it.
"""

from __future__ import annotations

from ..formula import Expr
from ..layers import Row
from ._base import Counter, register


def _matrix_work(row: Row) -> tuple[Expr, Expr]:
    macs = row.layer.work(row)["macs"]
    return macs, 2 * macs


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
            # the projections (aten.addmm / aten.mm) and Q·Kᵀ, A·V (aten.bmm)
            "attention": _matrix_work,
        },
    )
)
