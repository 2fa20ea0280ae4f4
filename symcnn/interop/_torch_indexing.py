"""Indexing, cutting and sizes in a traced model: ``x[:, -1]`` and ``x.select`` (a ``select``
row), ``x[:, a:b]``, ``narrow``, ``chunk`` and ``split`` (``narrow`` rows), an RNN's final state
``h_n[-1]``, and ``x.size()`` with the arithmetic on sizes a new shape uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..errors import SpecError
from ._importer import FinalState, Importer, Shape, Size, Tensor
from ._torch_call import Call, Handler, _arguments, _tensor

__all__ = ["INDEXING_METHODS", "indexing_functions", "sized"]


def _getitem(importer: Importer, call: Call) -> Any:
    container, index = call.args
    if isinstance(container, Shape) and isinstance(index, int):
        return Size(container.tensor, index)
    if isinstance(container, list | tuple) and isinstance(index, int | slice):
        return container[index]
    if isinstance(container, FinalState):
        return _final_state(importer, call, container, index)
    if isinstance(container, Tensor) and _narrowed_dim(index) is not None:
        return _slice(importer, call, container, index)
    if isinstance(container, Tensor):
        dims = _selected_dims(index)
        if dims:
            # the highest dim first, so that each select leaves the lower dims where they were
            for number, (dim, position) in enumerate(sorted(dims, reverse=True)):
                name = call.name if number == len(dims) - 1 else f"{call.name}_{dim}"
                entry = {"type": "select", "dim": dim, "index": position}
                container = importer.add(entry, name, [container])
            return container
    raise SpecError(
        "indexing or slicing a tensor has no symcnn layer (only x.shape[i], item 0 of an "
        "RNN's or an attention's output, and integers among full slices, x[:, -1, :] — each "
        "a select — are read)",
        where=call.where,
    )


def _final_state(importer: Importer, call: Call, state: FinalState, index: Any) -> Any:
    """``(h_n, c_n)[0]``, then ``h_n[-1]`` (or ``h_n[layers - 1]``): the last layer's final hidden
    state, which for one direction is the output's last step, ``select(dim=1, index=-1)``."""
    if state.part == "both" and index in (0, 1) and not isinstance(index, bool):
        return replace(state, part=("h_n", "c_n")[index])
    last = (-1, state.layers - 1) if state.directions == 1 else ()
    if state.part == "h_n" and isinstance(index, int) and index in last:
        return last_step(importer, call, state)
    raise SpecError(
        f"{state!r}[{index!r}]: symcnn reads only h_n[-1] of a one-direction recurrent module "
        "(its output's last step, out[:, -1]); a cell state, another layer's state or a "
        "bidirectional state has no symcnn layer",
        where=call.where,
    )


def last_step(importer: Importer, call: Call, state: FinalState) -> Tensor:
    """The output sequence's last step of ``state``'s module, one ``select`` row."""
    entry = {"type": "select", "dim": 1, "index": -1}
    return importer.add(entry, call.name, [state.output])


def _squeeze(importer: Importer, call: Call) -> Tensor:
    """``h_n.squeeze(0)`` of a one-layer, one-direction module: its output's last step. symcnn
    does not read ``squeeze`` of other tensors (it needs to know which axes are 1)."""
    state, dims = call.args[0], [*call.args[1:], *call.kwargs.values()]
    single = isinstance(state, FinalState) and state.part == "h_n"
    if single and state.layers * state.directions == 1 and dims in ([0], [-3]):
        return last_step(importer, call, state)
    raise SpecError(
        f"{state!r}.squeeze({', '.join(map(repr, dims))}): symcnn reads squeeze(0) of a "
        "one-layer, one-direction h_n only (a reshape or flatten says which axes go)",
        where=call.where,
    )


def _narrowed_dim(index: Any) -> int | None:
    """The dim of ``x[:, a:b]`` (full slices, then one slice of step 1, then full slices or a
    trailing ``...``), or None."""
    if not isinstance(index, tuple) or len(index) < 2:
        return None
    parts = list(index[:-1]) if index[-1] is Ellipsis else list(index)
    full = [isinstance(part, slice) and part == slice(None) for part in parts]
    cut = [
        dim
        for dim, part in enumerate(parts)
        if isinstance(part, slice) and not full[dim] and part.step in (None, 1)
    ]
    if full[0] and len(cut) == 1 and full.count(False) == 1:
        return cut[0]
    return None


def _whole(importer: Importer, call: Call, x: Tensor, dim: int) -> tuple[int, int]:
    """The (dim, size) of ``dim`` of ``x`` (torch's dim on the batched tensor), which must be a
    number for symcnn to cut it."""
    shape = importer.shape_of(x, call.where)
    axis = dim % (len(shape) + 1)
    if axis == 0:
        raise SpecError(
            "symcnn cuts a dim of known size only, not the batch axis", where=call.where
        )
    size = shape[axis - 1]
    if not size.is_Integer:
        raise SpecError(
            f"symcnn cuts a dim of known size only, not dim {dim} of size {size}", where=call.where
        )
    return axis, int(size)


def _slice(importer: Importer, call: Call, x: Tensor, index: tuple[Any, ...]) -> Tensor:
    """``x[:, a:b]``: one ``narrow`` row."""
    dim = _narrowed_dim(index)
    assert dim is not None
    axis, size = _whole(importer, call, x, dim)
    start, stop, _ = index[dim].indices(size)
    if stop <= start:
        raise SpecError(f"{index[dim]} of a dim of size {size} is empty", where=call.where)
    entry = {"type": "narrow", "dim": axis, "start": start, "length": stop - start}
    return importer.add(entry, call.name, [x])


def _pieces(importer: Importer, call: Call, x: Tensor, axis: int, sizes: list[int]) -> tuple:
    """One ``narrow`` row per piece of ``sizes`` along ``axis``, named ``NAME_0``, ``NAME_1``…"""
    pieces, start = [], 0
    for number, length in enumerate(sizes):
        entry = {"type": "narrow", "dim": axis, "start": start, "length": length}
        pieces.append(importer.add(entry, f"{call.name}_{number}", [x]))
        start += length
    return tuple(pieces)


def _chunk(importer: Importer, call: Call) -> tuple:
    """``x.chunk(chunks, dim)``: torch's pieces of ``ceil(size / chunks)`` (the last smaller, and
    fewer pieces than asked where they run out)."""
    x = _tensor(call.args[0], call)
    arguments = _arguments(call, ("chunks", "dim"))
    chunks, dim = arguments.get("chunks"), arguments.get("dim", 0)
    if not isinstance(chunks, int) or chunks < 1 or not isinstance(dim, int):
        raise SpecError(f"`chunks` = {chunks!r} must be a positive integer", where=call.where)
    axis, size = _whole(importer, call, x, dim)
    step = -(-size // chunks)
    sizes = [min(step, size - start) for start in range(0, size, step)]
    return _pieces(importer, call, x, axis, sizes)


def _split(importer: Importer, call: Call) -> tuple:
    """``torch.split(x, size_or_sizes, dim)``: pieces of one size (the last smaller) or of the
    sizes listed, which must add up to the dim's size."""
    x = _tensor(call.args[0], call)
    arguments = _arguments(call, ("split_size_or_sections", "dim"))
    if "split_size" in call.kwargs:
        arguments["split_size_or_sections"] = call.kwargs["split_size"]
    given, dim = arguments.get("split_size_or_sections"), arguments.get("dim", 0)
    axis, size = _whole(importer, call, x, dim if isinstance(dim, int) else 0)
    if isinstance(given, int) and not isinstance(given, bool) and given > 0:
        sizes = [min(given, size - start) for start in range(0, size, given)]
    elif isinstance(given, list | tuple) and all(isinstance(n, int) and n > 0 for n in given):
        sizes = list(given)
        if sum(sizes) != size:
            raise SpecError(
                f"split sizes {sizes} add up to {sum(sizes)}, not the dim's size {size}",
                where=call.where,
            )
    else:
        raise SpecError(
            f"`split_size_or_sections` = {given!r} must be a positive integer or a list of them",
            where=call.where,
        )
    return _pieces(importer, call, x, axis, sizes)


def _selected_dims(index: Any) -> list[tuple[int, int]]:
    """The ``(dim, index)`` pairs of an index such as ``x[:, -1, :]`` or ``x[:, 0]`` (integers
    among full slices, a trailing ``...`` allowed; batch = dim 0, never selected), or ``[]``
    for any other index."""
    if not isinstance(index, tuple) or len(index) < 2:
        return []
    parts = list(index[:-1]) if index[-1] is Ellipsis else list(index)
    if not isinstance(parts[0], slice) or parts[0] != slice(None):
        return []
    pairs = []
    for dim, part in enumerate(parts):
        if isinstance(part, int) and not isinstance(part, bool):
            pairs.append((dim, part))
        elif not (isinstance(part, slice) and part == slice(None)):
            return []
    return pairs


def _select(importer: Importer, call: Call) -> Tensor:
    """``x.select(dim, index)`` / ``torch.select``: symcnn's ``select`` (torch's dims)."""
    x = _tensor(call.args[0], call)
    dim, index = [*call.args[1:], call.kwargs.get("dim"), call.kwargs.get("index")][:2]
    return importer.add({"type": "select", "dim": dim, "index": index}, call.name, [x])


def _narrow(importer: Importer, call: Call) -> Tensor:
    """``x.narrow(dim, start, length)`` / ``torch.narrow``: symcnn's ``narrow``."""
    x = _tensor(call.args[0], call)
    arguments = _arguments(call, ("dim", "start", "length"))
    entry = {"type": "narrow", **arguments}
    return importer.add(entry, call.name, [x])


def sized(op: Callable[[Any, Any], Any], tensors: Handler) -> Handler:
    """Arithmetic on sizes (``c // groups`` of ``b, c, h, w = x.size()``, ShuffleNet's channel
    shuffle) gives the number, when the sizes are numbers; on tensors it is ``tensors``."""

    def handle(importer: Importer, call: Call) -> Any:
        if not any(isinstance(value, Size) for value in call.args):
            return tensors(importer, call)
        a, b = (_size_number(importer, value, call) for value in call.args)
        return op(a, b)

    return handle


def _size_number(importer: Importer, value: Any, call: Call) -> int:
    """A size as a Python integer: symcnn computes with the sizes of a new shape only where they
    are numbers (a symbolic size is refused, naming it)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Size) and value.dim != 0:
        shape = importer.shape_of(value.tensor, call.where)
        size = shape[value.dim - 1 if value.dim > 0 else value.dim]
        if size.is_Integer:
            return int(size)
        raise SpecError(
            f"arithmetic on the symbolic size {size} of a new shape: give the input a number",
            where=call.where,
        )
    what = "the batch size" if isinstance(value, Size) else repr(value)
    raise SpecError(f"symcnn does not compute with {what} in a new shape", where=call.where)


def _getattr(importer: Importer, call: Call) -> Shape:
    x = _tensor(call.args[0], call)
    if call.args[1:] != ("shape",):
        raise SpecError(
            f"symcnn reads only `.shape` of a tensor, not {call.args[1:]}", where=call.where
        )
    return Shape(x)


def _size(importer: Importer, call: Call) -> Shape | Size:
    x = _tensor(call.args[0], call)
    dim = call.args[1] if len(call.args) > 1 else call.kwargs.get("dim")
    return Shape(x) if dim is None else Size(x, dim)


def indexing_functions() -> dict[Any, Handler]:
    """Traced function -> handler, for the functions here (torch imported on first use)."""
    import builtins
    import operator

    import torch

    return {
        torch.select: _select,
        torch.chunk: _chunk,
        torch.split: _split,
        torch.narrow: _narrow,
        builtins.getattr: _getattr,
        operator.getitem: _getitem,
    }


#: tensor method name -> handler, for the methods here
INDEXING_METHODS: dict[str, Handler] = {
    "size": _size,
    "select": _select,
    "chunk": _chunk,
    "split": _split,
    "narrow": _narrow,
    "squeeze": _squeeze,
}
