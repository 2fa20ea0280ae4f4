"""How one output position of a layer depends on its input's positions: its part of the
receptive field (Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural
Networks", Distill 2019).

A layer answers :meth:`symcnn.layers.Layer.reach` with one of these; :mod:`symcnn.receptive`
composes the answers over the network's graph. The kinds:

- :class:`Window` — a sliding window per spatial axis (convolution, pooling, padding): kernel
  ``k``, stride ``s``, dilation ``r`` and the padding on the left ``z`` (which moves the start);
- :data:`POINTWISE` — each output position reads its own input position (activations, batch
  norm at inference, a 1 × 1 view of a channels-only layer);
- :data:`WHOLE` — each output position reads every input position (flatten, a linear layer
  across positions, global pooling, instance norm's statistics);
- :data:`UNION` — a merge: the union of its inputs' fields (add, multiply, concatenate channels);
- :class:`Refused` — no window describes it (upsampling, a transposed convolution, a reshape),
  with the reason a reader is told.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..formula import Expr

__all__ = ["POINTWISE", "UNION", "WHOLE", "Kind", "Reach", "Refused", "Window"]


@dataclass(frozen=True)
class Window:
    """A sliding window along each spatial axis of the layer, in the axes' order."""

    kernel: tuple[Expr, ...]
    stride: tuple[Expr, ...]
    dilation: tuple[Expr, ...]
    #: the padding before the first position (the left), which moves the field's start
    padding: tuple[Expr, ...]


@dataclass(frozen=True)
class Kind:
    """A reach that needs no numbers: pointwise, the whole input, a union of the inputs'."""

    name: str


POINTWISE = Kind("pointwise")
WHOLE = Kind("whole input")
UNION = Kind("union")


@dataclass(frozen=True)
class Refused:
    """No window describes the layer; ``reason`` says why, in words a reader is shown."""

    reason: str


Reach = Window | Kind | Refused
