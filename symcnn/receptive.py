"""Receptive fields: the region of the input one output position reads, per spatial axis.

The recurrence of Araujo, Norris & Sim, "Computing Receptive Fields of Convolutional Neural
Networks" (Distill, 2019), written forward from the input (``r = 1``, ``j = 1``, ``u = 0``) through
each layer's window of kernel ``k``, stride ``s``, dilation ``q`` and left padding ``p``::

    r_out = r_in + (k − 1)·q·j_in        the field's size (Distill's eq. 1, unrolled)
    j_out = j_in·s                       the jump: input positions between neighbouring outputs
    u_out = u_in − p·j_in                where output position 0's field starts (eq. 5)

Each layer says how its output reads its input (:meth:`symcnn.layers.Layer.reach`): a window, a
pointwise map (r unchanged), the whole input, or the union of a merge's inputs (Distill's rule
for aligned paths: the smallest interval holding every input's field, which for fields sharing a
centre is the largest one). A layer no window describes (upsampling, a transposed convolution, a
reshape) has no field, nor has anything after it; so has a row inside a symbolic ``repeat``,
whose field depends on the number of repetitions. Asking for those raises a
:class:`~symcnn.errors.SolveError` that says why.

>>> from symcnn.network import load
>>> net = load({"input": [32, 32, 3], "layers": [
...     {"type": "conv2d", "out_channels": 8, "kernel_size": 3},
...     {"type": "maxpool2d", "kernel_size": 2},
...     {"type": "conv2d", "out_channels": 8, "kernel_size": "k", "dilation": 2}]})
>>> [row.receptive_field for row in net.rows]
[(3, 3), (4, 4), (4*k, 4*k)]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy

from .layers import Row, Tensor
from .layers._window import POINTWISE, UNION, WHOLE, Reach, Refused, Window
from .layers.base import Expr

__all__ = ["Field", "attach", "fields", "step"]

ONE = sympy.Integer(1)
ZERO = sympy.Integer(0)


@dataclass(frozen=True)
class Field:
    """The receptive field of one tensor's positions on one input, per spatial axis."""

    #: the field's size r along each spatial axis of the input
    size: tuple[Expr, ...]
    #: the jump j: how many input positions apart neighbouring output positions' fields start
    jump: tuple[Expr, ...]
    #: the start u: where output position 0's field begins (negative: in the padding)
    start: tuple[Expr, ...]
    #: the input the field is on
    source: str
    #: whether the field is the whole input (a flatten, global pooling...), its size the input's
    whole: bool = False


#: what a tensor's positions read: a field, a reason there is none, or nothing (a learnable tensor)
State = Field | Refused | None


def step(field: Field, reach: Window, input_sizes: Sequence[Expr]) -> Field | Refused:
    """``field`` carried through one window (the recurrence above, axis by axis)."""
    if len(reach.kernel) != len(field.size):
        return Refused(
            f"applies a window over {len(reach.kernel)} axes to a field of {len(field.size)}"
        )
    if field.whole:
        return field
    size, jump, start = [], [], []
    for r, j, u, k, s, q, p in zip(
        field.size, field.jump, field.start, reach.kernel, reach.stride, reach.dilation,
        reach.padding, strict=True,
    ):
        size.append(r + (k - 1) * q * j)
        jump.append(j * s)
        start.append(u - p * j)
    return Field(tuple(size), tuple(jump), tuple(start), field.source)


def whole(field: Field, input_sizes: Sequence[Expr]) -> Field:
    """The whole input: its sizes, starting at 0."""
    zeros = (ZERO,) * len(input_sizes)
    return Field(tuple(input_sizes), field.jump, zeros, field.source, whole=True)


def union(states: Sequence[State]) -> State:
    """The fields of a merge's inputs as one: the smallest interval holding each (Distill: the
    union; for aligned fields with one centre, the largest). ``None`` inputs (learnable tensors)
    read nothing."""
    found = [state for state in states if state is not None]
    refused = next((state for state in found if isinstance(state, Refused)), None)
    if refused is not None or not found:
        return refused
    first = found[0]
    assert isinstance(first, Field)
    others: list[Field] = [state for state in found[1:] if isinstance(state, Field)]
    if any(other.source != first.source for other in others):
        return Refused(f"merges fields on different inputs ({first.source}, {others[0].source})")
    if any(len(other.size) != len(first.size) for other in others):
        return Refused("merges fields with different numbers of spatial axes")
    whole_one = next((f for f in (first, *others) if f.whole), None)
    if whole_one is not None:
        return whole_one
    group = (first, *others)
    for axis, j in enumerate(first.jump):
        if any(not _same(other.jump[axis], j) for other in others):
            shown = ", ".join(str(f.jump[axis]) for f in group)
            return Refused(f"merges fields whose jumps differ ({shown}): not aligned")
    size, start = [], []
    for axis in range(len(first.size)):
        begin = sympy.Min(*(f.start[axis] for f in group))
        end = sympy.Max(*(f.start[axis] + f.size[axis] for f in group))
        start.append(begin)
        size.append(end - begin)
    return Field(tuple(size), first.jump, tuple(start), first.source)


def _same(a: Expr, b: Expr) -> bool:
    return bool(a == b or sympy.expand(a - b) == 0)


def _through(reach: Reach, states: Sequence[State], sizes: Mapping[str, tuple[Expr, ...]]) -> State:
    """The state of a row's output from its inputs' states and its layer's reach."""
    if isinstance(reach, Refused):
        return reach
    if reach is UNION:
        return union(states)
    if len(states) != 1:
        return Refused("reads several inputs but is not a merge")
    state = states[0]
    if not isinstance(state, Field):
        return state
    if reach is POINTWISE:
        return state
    if reach is WHOLE:
        return whole(state, sizes[state.source])
    assert isinstance(reach, Window)
    return step(state, reach, sizes[state.source])


def fields(
    rows: Sequence[Row], inputs: Mapping[str, tuple[Expr, ...]], layout: str
) -> dict[str, State]:
    """Every input's and row's state by name, in the rows' order (each reads earlier ones)."""
    sizes = {name: Tensor(shape, layout).spatial for name, shape in inputs.items()}
    states: dict[str, State] = {}
    for name, spatial in sizes.items():
        ones = (ONE,) * len(spatial)
        states[name] = Field(ones, ones, (ZERO,) * len(spatial), name)
    for row in rows:
        if row.multiplicity != 1:
            states[row.name] = Refused(
                f"{row.name} is inside a symbolic repeat ({row.multiplicity} times), and the field "
                "depends on the count; give the repeat a number (--set)"
            )
            continue
        if not row.inputs:  # a source (a learnable tensor) reads no position of any input
            states[row.name] = None
            continue
        read = [states.get(name) for name in row.inputs]
        reason = next((state for state in read if isinstance(state, Refused)), None)
        if reason is not None:
            states[row.name] = reason  # what the row reads has no field, so neither has it
            continue
        state = _through(row.layer.reach(row, layout), read, sizes)
        if isinstance(state, Refused):  # said once, where it happens, for the rows after it too
            state = Refused(f"{row.name} ({row.type}) {state.reason}")
        states[row.name] = state
    return states


def attach(
    rows: Sequence[Row], inputs: Mapping[str, tuple[Expr, ...]], layout: str
) -> tuple[Row, ...]:
    """``rows``, each with its ``receptive_field`` (the field's sizes, or why it has none)."""
    states = fields(rows, inputs, layout)
    attached = []
    for row in rows:
        state = states[row.name]
        value = (
            state.size
            if isinstance(state, Field)
            else state or Refused("a learnable tensor reads no input")
        )
        extra = {**row.extra, "receptive_field": value}
        attached.append(dataclasses.replace(row, extra=extra))
    return tuple(attached)
