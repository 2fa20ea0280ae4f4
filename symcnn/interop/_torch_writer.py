"""The writer of :mod:`.torch_export`: one scope (the network, or a block use written as a
class) at a time, a module into the scope's container tree and a line into ``forward`` for each
row or block use."""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from ..errors import SpecError
from ..layers import Row
from ..network import Network
from ._torch_classes import Body, Call, Classes, Node, Unit, take_name

__all__ = ["SEQUENCE", "Scope", "Writer"]

#: rows that are a line of ``forward`` rather than a module
_OPS = ("Add", "Mul", "Cat", "Permute", "Transpose", "Reshape", "Select", "Narrow")
#: layers with a ``dim`` argument counted on the batched tensor in the spec's layout
_DIM_LAYERS = ("Softmax", "Softmin", "LogSoftmax", "GLU")
#: layers acting on the last axis: in HWC that is the channels in symcnn, the width in torch
_LAST_AXIS = ("Linear", "LayerNorm")
#: layers that read a sequence (L, features) for one example, as torch's modules with
#: ``batch_first=True`` read (N, L, features)
SEQUENCE = ("RNN", "LSTM", "GRU", "MultiheadAttention", "Embedding", "EmbeddingBag")
#: rows acting on each element alone: they read a tensor in whichever order it is held
_ELEMENTWISE = (
    *("CELU", "ELU", "GELU", "Hardshrink", "Hardsigmoid", "Hardswish", "Hardtanh", "LeakyReLU"),
    *("LogSigmoid", "Mish", "RReLU", "ReLU", "ReLU6", "SELU", "SiLU", "Sigmoid", "Softplus"),
    *("Softshrink", "Softsign", "Tanh", "Tanhshrink", "Threshold"),
    *("Identity", "Dropout", "AlphaDropout", "Add", "Mul"),
)
#: modules whose call returns a tuple whose item 0 is the row's output
_TUPLE_OUTPUTS = ("RNN", "LSTM", "GRU", "LSTMCell", "MultiheadAttention")


def _py(value: Any) -> Any:
    """A layer's value as Python: Integers as ints, Rationals as floats, tuples kept."""
    if isinstance(value, tuple):
        items = tuple(_py(item) for item in value)
        return items[0] if items and all(item == items[0] for item in items) else items
    if isinstance(value, sympy.Integer):
        return int(value)
    if isinstance(value, sympy.Rational):
        return float(value)
    return value


@dataclass
class Scope:
    """What one writer writes: ``rows[start:stop]``, their names under ``prefix``, reading
    ``inputs`` and returning ``output``; ``units`` are the block uses directly inside."""

    prefix: str
    start: int
    stop: int
    inputs: list[str]
    output: str
    units: list[Unit]
    top: bool = False


def _emitted(units: Sequence[Unit]) -> Iterator[Unit]:
    """The uses written as one call: a use written inline gives its own such uses."""
    for unit in units:
        if unit.kind == "inline":
            yield from _emitted(unit.children)
        elif unit.group.stop > unit.group.start:
            yield unit


class Writer:
    """Writes one scope: each row's module into the container tree and its line into
    ``forward``; each block use written as a class, one call."""

    def __init__(self, net: Network, scope: Scope, classes: Classes | None = None) -> None:
        self.net = net
        self.scope = scope
        self.classes = classes
        self.layout = net.layout
        #: whether a tensor (by row or input name) is held in the spec's order rather than
        #: channels first; always in CHW, and for every tensor of rank 0 or 1
        self.spec_order: dict[str, bool] = {}
        #: the order the row being written reads and writes
        self.reads_spec_order = True
        self.tree = Node()
        self.forward: list[str] = []
        self.var: dict[str, str] = {}
        self.access: dict[str, str] = {}
        #: the Parameter rows: container, name in it, shape, whether a buffer
        self.parameters: list[tuple[str, str, list[int], bool]] = []
        self.shapes: dict[str, tuple[Any, ...]] = dict(net.inputs)
        self.shapes.update({row.name: row.output_shape for row in net.rows})
        starts: dict[int, Unit] = {}
        for unit in _emitted(scope.units) if classes is not None else ():
            starts.setdefault(unit.group.start, unit)
        #: what forward calls, in order: a row (by index) or a block use
        self.items: list[int | Unit] = []
        self.item_of: dict[int, int] = {}
        index = scope.start
        while index < scope.stop:
            found = starts.get(index)
            stop = index + 1 if found is None else found.group.stop
            for inner in range(index, stop):
                self.item_of[inner] = len(self.items)
            self.items.append(index if found is None else found)
            index = stop
        self.readers: dict[str, list[int]] = {}
        for index in range(scope.start, scope.stop):
            for source in net.rows[index].inputs:
                positions = self.readers.setdefault(source, [])
                if self.item_of[index] not in positions:
                    positions.append(self.item_of[index])
        self.taken: set[str] = {"self", "torch", "nn"}
        self.input_vars: dict[str, str] = {}
        names = scope.inputs
        for position, name in enumerate(names):
            only_next = self.readers.get(name, []) == [0] and len(names) == 1
            # a Parameter row may read the batch size off the input, which keeps its name
            rows = net.rows[scope.start : scope.stop]
            only_next = only_next and not any(row.type == "Parameter" for row in rows)
            if only_next:
                self.input_vars[name] = "x"
            elif scope.top:
                self.input_vars[name] = self._variable(name)
            else:
                self.input_vars[name] = self._variable("input" if position == 0 else "input_")
            first = next(
                (row for row in rows if name in row.inputs),
                None,
            )
            # channels first, as torch takes an image, unless a sequence layer reads it
            sequence = first is not None and first.type in SEQUENCE
            rank = len(self.shapes.get(name, ()))
            self.spec_order[name] = rank < 2 or self.layout != "HWC" or sequence
        self.var.update(self.input_vars)

    def write(self) -> Writer:
        for position, item in enumerate(self.items):
            if isinstance(item, Unit):
                self.unit(position, item)
            else:
                self.row(position, self.net.rows[item])
        return self

    def body(self) -> Body:
        output = self.scope.output
        return Body(
            self.tree,
            self.forward,
            [self.input_vars[name] for name in self.scope.inputs],
            self.var[output],
            [self.spec_order[name] for name in self.scope.inputs],
            self.spec_order[output],
        )

    def _wanted(self, row: Row) -> bool | None:
        """Whether ``row`` reads its inputs in the spec's order (True), channels first (False),
        or as they are held (None)."""
        if self.layout != "HWC":
            return True
        span = (getattr(row.layer, "start_dim", 1), getattr(row.layer, "end_dim", -1))
        partial = row.type == "Flatten" and span not in ((1, -1), (1, len(row.input_shape)))
        if row.type in SEQUENCE or row.type in _LAST_AXIS or partial:
            return True
        return None if row.type in _ELEMENTWISE else False

    def _convert(self, source: str, spec_order: bool) -> str:
        """The variable of ``source``, its channels moved where it is held in the other order."""
        variable = self.var[source]
        if len(self.shapes[source]) < 2 or self.spec_order.get(source, True) == spec_order:
            return variable
        return f"{variable}.movedim(1, -1)" if spec_order else f"{variable}.movedim(-1, 1)"

    def _local(self, name: str) -> str:
        return name[len(self.scope.prefix) :]

    def _variable(self, name: str) -> str:
        base = re.sub(r"\W+", "_", name).strip("_").lower() or "x"
        if base[0].isdigit() or keyword.iskeyword(base):
            base = f"x_{base}"
        return take_name(base, self.taken, "_")

    def _out(self, position: int, name: str) -> str:
        """The variable of ``name``: ``x`` where only the next call reads it."""
        readers = self.readers.get(name, [])
        last = position == len(self.items) - 1 and name == self.scope.output
        chain = readers == [position + 1] or (not readers and last)
        out = "x" if chain else self._variable(self._local(name))
        self.var[name] = out
        return out

    def row(self, position: int, row: Row) -> None:
        wanted = self._wanted(row)
        if wanted is None:
            wanted = self.spec_order.get(row.inputs[0], True) if row.inputs else True
        self.reads_spec_order = wanted
        args = [self._convert(source, wanted) for source in row.inputs]
        self.spec_order[row.name] = len(row.output_shape) < 2 or wanted
        if row.shares is not None:
            call = self._call(row, self.access[row.shares], args)
            self.access[row.name] = self.access[row.shares]
        elif row.type in _OPS:
            call = self._op(row, args)
        elif row.type == "Parameter":
            call = self._parameter(row)
        else:
            self.access[row.name] = self._register(self._local(row.name), self._constructor(row))
            call = self._call(row, self.access[row.name], args)
        self.forward.append(f"{self._out(position, row.name)} = {call}")

    def unit(self, position: int, unit: Unit) -> None:
        """A block use written as one call: of its class, of an ``nn.Sequential`` of its
        copies, or of the module whose weights it applies again."""
        assert self.classes is not None and unit.output is not None
        group = unit.group
        if unit.kind == "shared":
            assert group.shares is not None
            access = self.access[group.shares]
            orders = self.classes.orders(self.classes.named[group.shares])
        else:
            if unit.kind == "sequential":
                copies = tuple((None, self.classes.call(copy)) for copy in unit.children)
                call: Call = Call("nn.Sequential", copies)
            else:
                call = self.classes.call(unit)
            access = self._register(self._local(group.name), call)
            orders = self.classes.orders(unit)
        args = [
            self._convert(source, order)
            for source, order in zip(unit.inputs, orders[0], strict=True)
        ]
        self.spec_order[unit.output] = orders[1]
        self.forward.append(f"{self._out(position, unit.output)} = {access}({', '.join(args)})")
        self.access[group.name] = access
        # a later row may apply a module inside again
        inside = [inner.name for inner in unit.walk()]
        inside += [row.name for row in self.net.rows[group.start : group.stop]]
        for name in inside:
            self.access.setdefault(name, f"self.get_submodule({self._local(name)!r})")

    def _call(self, row: Row, access: str, args: Sequence[str]) -> str:
        """The call of a row's module: item 0 of what an RNN or an attention returns."""
        if row.type == "MultiheadAttention":
            # [q] is self-attention, [q, kv] one tensor for key and value, [q, k, v]
            names = list(args)
            query, key, value = [*names, names[-1], names[-1]][:3] if len(names) > 1 else names * 3
            return f"{access}({query}, {key}, {value}, need_weights=False)[0]"
        call = f"{access}({', '.join(args)})"
        return f"{call}[0]" if row.type in _TUPLE_OUTPUTS else call

    def _parameter(self, row: Row) -> str:
        """A ``Parameter`` row: a tensor of one example's shape, repeated over the batch where a
        ``Cat`` reads it (the merges broadcast it)."""
        layer: Any = row.layer
        shape = [int(size) for size in row.output_shape]
        if self.layout == "HWC" and len(shape) > 1:
            raise SpecError(
                "a parameter of rank 2 or more in HWC would need its axes moved to torch's "
                "(N, C, H, W); write the spec in CHW",
                where=row.name,
            )
        # registered in its container under its last name, so its key is the row's name
        *path, last = self._local(row.name).split(".")
        self.tree.container(path)
        container = _access(path)
        self.parameters.append((container, last, shape, bool(layer.buffer)))
        attribute = _attribute(container, last)
        readers = [reader for reader in self.net.rows if row.name in reader.inputs]
        if not any(reader.type == "Cat" for reader in readers):
            return attribute  # Add and Mul broadcast it over the batch
        batch = next(iter(self.input_vars.values()))
        sizes = ", ".join(str(size) for size in shape)
        return f"{attribute}.expand({batch}.size(0), {sizes})"

    # -- modules

    def _register(self, name: str, call: Call) -> str:
        self.tree.add(name, call)
        return _access(name.split("."))

    def init_lines(self, names: Iterator[str | None]) -> list[str]:
        """The modules, then the Parameter rows (a container holds them once it exists)."""
        lines = self.tree.lines(names)
        for container, name, shape, buffer in self.parameters:
            zeros = f"torch.zeros({', '.join(map(str, shape))})"
            if buffer:
                lines.append(f"        {container}.register_buffer({name!r}, {zeros})")
            else:
                lines.append(
                    f"        {container}.register_parameter({name!r}, nn.Parameter({zeros}))"
                )
        return lines

    def _constructor(self, row: Row) -> Call:
        layer = row.layer
        kind = row.type
        x = row.input_shape
        hwc = self.layout == "HWC" and len(x) > 1 and not self.reads_spec_order
        channels = x[0] if self.layout == "CHW" or len(x) == 1 else x[-1]
        arguments: list[tuple[str | None, str | Call]] = []
        for name, spec_field in layer.arguments().items():
            value = getattr(layer, name)
            if spec_field.metadata["inferred"] or (
                kind == "LayerNorm" and name == "normalized_shape"
            ):
                if value is None and name in ("kdim", "vdim"):
                    shapes = row.input_shapes
                    other = shapes[min(len(shapes) - 1, 1 if name == "kdim" else 2)][-1]
                    value = other if other != x[-1] else None
                elif value is None:
                    if name in ("in_features", "input_size", "embed_dim"):
                        value = x[-1]
                    elif name == "normalized_shape":
                        value = (x[-1],)
                    else:
                        value = channels
            if name == "batch_first" and kind in SEQUENCE:
                value = True  # the module reads a batch (N, L, features)
            if value is None:
                continue
            if spec_field.metadata["kind"] == "bias":
                value = bool(value)
                if value is True:
                    continue
            elif name == "dim" and kind in _DIM_LAYERS and value is not None and hwc:
                value = self._torch_dim(value, len(x))
            elif kind == "Unflatten" and name == "unflattened_size" and not self.reads_spec_order:
                sizes = tuple(value)
                if len(row.output_shape) > 1:
                    value = (sizes[-1], *sizes[:-1])
            default = spec_field.default
            python = _py(value)
            if not spec_field.metadata["inferred"] and _equal(python, default):
                continue
            if isinstance(python, tuple) and spec_field.metadata["kind"] in ("shape", "extents"):
                python = list(python) if kind != "LayerNorm" else python
            arguments.append((name, repr(python)))
        return Call(f"nn.{kind}", tuple(arguments))

    # -- forward ops

    def _torch_dim(self, dim: int, rank: int) -> int:
        """A dim of the batched spec tensor (batch 0) as the dim of torch's (N, C, ...) tensor."""
        batched = rank + 1
        dim %= batched
        if self.reads_spec_order or rank == 1 or dim == 0:
            return dim
        return 1 if dim == rank else dim + 1

    def _op(self, row: Row, args: Sequence[str]) -> str:
        layer: Any = row.layer
        x = row.input_shape
        hwc = self.layout == "HWC" and len(x) > 1 and not self.reads_spec_order
        if row.type in ("Add", "Mul"):
            ranks = {len(shape) for shape in row.input_shapes}
            if hwc and len(ranks) > 1 and max(ranks) > 1:
                raise SpecError(
                    "broadcasting inputs of different ranks aligns other axes in torch's "
                    "(N, C, H, W) than in HWC",
                    where=row.name,
                )
            return (" + " if row.type == "Add" else " * ").join(args)
        if row.type == "Cat":
            rank = len(x)
            if layer.dim is None:  # the channel axis
                axis = rank - 1 if self.layout == "HWC" and rank > 1 else 0
            else:
                axis = layer.dim % rank
            return f"torch.cat([{', '.join(args)}], dim={self._torch_dim(axis + 1, rank)})"
        if row.type == "Permute":
            dims = [int(d) % (len(x) + 1) for d in layer.dims]
            torch_dims = self._torch_permutation(dims, len(x)) if hwc else dims
            return f"{args[0]}.permute({', '.join(map(str, torch_dims))})"
        if row.type == "Transpose":
            rank = len(x)
            dims = list(range(rank + 1))
            a, b = layer.dim0 % (rank + 1), layer.dim1 % (rank + 1)
            dims[a], dims[b] = dims[b], dims[a]
            if hwc:
                return (
                    f"{args[0]}.permute({', '.join(map(str, self._torch_permutation(dims, rank)))})"
                )
            return f"{args[0]}.transpose({a}, {b})"
        if row.type == "Select":
            rank = len(x)
            if hwc and rank > 2:
                raise SpecError(
                    "a select on an HWC tensor of rank 3 or more would leave other axes than "
                    "torch's (N, C, H, W); write the spec in CHW",
                    where=row.name,
                )
            dim = self._torch_dim(int(layer.dim), rank)
            return f"{args[0]}.select({dim}, {int(layer.index)})"
        if row.type == "Narrow":
            dim = self._torch_dim(int(layer.dim), len(x))
            return f"{args[0]}.narrow({dim}, {int(layer.start)}, {int(layer.length)})"
        # Reshape: one example's new shape, channels first in torch
        shape = [int(size) for size in row.output_shape]
        if not self.reads_spec_order and len(shape) > 1:
            shape = [shape[-1], *shape[:-1]]
        return f"{args[0]}.reshape({args[0]}.size(0), {', '.join(map(str, shape))})"

    def _torch_permutation(self, dims: list[int], rank: int) -> list[int]:
        """A permutation of the batched HWC tensor as the one of torch's (N, C, ...) tensor: its
        output is again the spec's output in torch's order."""
        to_torch = {0: 0, rank: 1, **{i: i + 1 for i in range(1, rank)}}
        from_torch = {value: key for key, value in to_torch.items()}
        return [to_torch[dims[from_torch[j]]] for j in range(rank + 1)]


def _identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def _attribute(owner: str, name: str) -> str:
    return f"{owner}.{name}" if _identifier(name) else f"getattr({owner}, {name!r})"


def _access(parts: Sequence[str]) -> str:
    """How ``forward`` reaches a module registered under ``parts`` (containers are
    ``nn.ModuleDict``s): ``self.layer1['0']``."""
    if not parts:
        return "self"
    head, *rest = parts
    return _attribute("self", head) + "".join(f"[{part!r}]" for part in rest)


def _equal(python: Any, default: Any) -> bool:
    if isinstance(default, sympy.Basic):
        default = _py(default)
    if isinstance(default, tuple):
        default = _py(default)
    return type(python) is type(default) and python == default
