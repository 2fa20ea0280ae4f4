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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import sympy

from .formula import Derivation, Fact, Group, Line, Node, Quantity, Sym, Value, plus, times
from .layers import Row, Tensor
from .layers.base import POINTWISE, UNION, WHOLE, Expr, Reach, Refused, Window
from .symbols import J_in, R_in, axis_symbols

__all__ = ["MISTAKES", "Field", "attach", "fields", "mistakes", "step", "working"]

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
        begin = _extreme([f.start[axis] for f in group], min, sympy.Min)
        end = _extreme([f.start[axis] + f.size[axis] for f in group], max, sympy.Max)
        start.append(begin)
        size.append(end - begin)
    return Field(tuple(size), first.jump, tuple(start), first.source)


def _extreme(values: list[Expr], numbers: Callable[..., int], symbolic: type) -> Expr:
    """The least or greatest of ``values``: on integers by Python's ``min``/``max`` (SymPy's
    ``Min``/``Max`` sort their arguments, a thousand times slower), else SymPy's."""
    if all(value == values[0] for value in values):
        return values[0]
    if all(value.is_Integer for value in values):
        return sympy.Integer(numbers(int(value) for value in values))
    return symbolic(*values)  # type: ignore[no-any-return]


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
    rows: Sequence[Row],
    inputs: Mapping[str, tuple[Expr, ...]],
    layout: str,
    adjust: Callable[[Window], Window] | None = None,
) -> dict[str, State]:
    """Every input's and row's state by name, in the rows' order (each reads earlier ones);
    ``adjust`` changes each window first (what a mistaken recurrence does, :data:`MISTAKES`)."""
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
        reach = row.layer.reach(row, layout)
        if adjust is not None and isinstance(reach, Window):
            reach = adjust(reach)
        state = _through(reach, read, sizes)
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


# ------------------------------------------------------------------------- working and mistakes

#: what a line of the working computes: R, the field after a layer (R_in before it)
RECEPTIVE = Quantity("receptive_field", "R", "R")


def _path(rows: Sequence[Row], name: str) -> list[Row]:
    """The rows ``name`` reads, directly or not, and itself, in order."""
    by_name = {row.name: row for row in rows}
    wanted, stack = set(), [name]
    while stack:
        current = stack.pop()
        if current in by_name and current not in wanted:
            wanted.add(current)
            stack.extend(by_name[current].inputs)
    return [row for row in rows if row.name in wanted]


def _recurrence(dilated: bool, r: Node, j: Node, k: Node, q: Node) -> Node:
    """``R_in + (m − 1)·J_in``, or ``R_in + r·(m − 1)·J_in`` with a dilation."""
    window = Group(plus(k, ("-", 1)))
    return plus(r, times(q, window, j) if dilated else times(window, j))


def working(
    rows: Sequence[Row], inputs: Mapping[str, tuple[Expr, ...]], layout: str, name: str, axis: int
) -> list[Line]:
    """The recurrence along spatial axis ``axis`` for row ``name``, one line per layer that
    changes the field: ``R = R_in + (m − 1)·J_in`` (with the dilation, ``r·(m − 1)``), the
    jump after it in the note; a merge's union and the whole input stated with their reason."""
    states = fields(rows, inputs, layout)
    lines: list[Line] = [Fact(RECEPTIVE, ONE, "the input: each position reads itself; J = 1")]
    for row in _path(rows, name):
        state = states[row.name]
        if not isinstance(state, Field):
            raise ValueError(f"{row.name} has no receptive field")  # callers ask only for one
        reach = row.layer.reach(row, layout)
        before = next((states[n] for n in row.inputs if isinstance(states.get(n), Field)), None)
        if isinstance(reach, Window) and isinstance(before, Field) and not before.whole:
            r, j = before.size[axis], before.jump[axis]
            k, s, q = reach.kernel[axis], reach.stride[axis], reach.dilation[axis]
            if (k - 1) * q == 0 and s == 1:
                continue  # a 1-wide window of stride 1 (a 1×1 convolution, padding): no change
            a = axis_symbols(len(reach.kernel))[axis]
            dilated = q != 1
            general = _recurrence(dilated, Sym(R_in), Sym(J_in), Sym(a.kernel), Sym(a.dilation))
            put = _recurrence(dilated, Value(r), Value(j), Value(k), Value(q))
            note = f"{row.name}; J = {j}·{s} = {state.jump[axis]}"
            lines.append(Derivation(RECEPTIVE, general, put, state.size[axis], note))
        elif reach is UNION and len(row.inputs) > 1:
            parts = [states[n] for n in row.inputs]
            shown = ", ".join(str(p.size[axis]) for p in parts if isinstance(p, Field))
            reason = f"{row.name}: the smallest window holding its inputs' fields ({shown})"
            lines.append(Fact(RECEPTIVE, state.size[axis], reason))
        elif state.whole and isinstance(before, Field) and not before.whole:
            reason = f"{row.name} reads every position: the whole input"
            lines.append(Fact(RECEPTIVE, state.size[axis], reason))
    return lines


def _ignoring_strides(window: Window) -> Window:
    return dataclasses.replace(window, stride=(ONE,) * len(window.stride))


def _ignoring_dilation(window: Window) -> Window:
    return dataclasses.replace(window, dilation=(ONE,) * len(window.dilation))


def _own_stride(window: Window) -> Window:
    # r + (k − 1)·q·J_out: the step uses the jump after the layer, not before it
    kernel = tuple((k - 1) * s + 1 for k, s in zip(window.kernel, window.stride, strict=True))
    return dataclasses.replace(window, kernel=kernel)


#: the slips a receptive-field recurrence is known for, each as the change it makes to a window
MISTAKES: dict[str, Callable[[Window], Window]] = {
    "ignoring the strides (adding m − 1 at every layer)": _ignoring_strides,
    "ignoring the dilation": _ignoring_dilation,
    "multiplying by the jump after the layer instead of before it": _own_stride,
}


def mistakes(
    rows: Sequence[Row], inputs: Mapping[str, tuple[Expr, ...]], layout: str, name: str, axis: int
) -> list[tuple[str, Expr]]:
    """What each of :data:`MISTAKES` gives for row ``name`` along ``axis``, where it changes the
    answer (ignoring a dilation of 1 is no slip)."""
    right = fields(rows, inputs, layout).get(name)
    found = []
    for description, adjust in MISTAKES.items():
        state = fields(rows, inputs, layout, adjust).get(name)
        if isinstance(state, Field) and isinstance(right, Field):
            if state.size[axis] != right.size[axis]:
                found.append((description, state.size[axis]))
    return found
