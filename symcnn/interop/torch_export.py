"""From a symcnn network to PyTorch: readable source for an ``nn.Module`` (:func:`torch_source`)
and the module itself (:func:`to_torch`, the source executed, so the two never disagree).

The module takes a batch in torch's own layout, ``(N, C, ...)``, whatever the spec's layout. Each
row becomes a module registered under the row's name (``layer1.0.conv1`` is
``self.layer1["0"]["conv1"]``), merges and axis moves become lines of ``forward``, and a row that
``shares`` another calls that row's module again. In ``HWC`` the few layers whose meaning depends on
where the channels are get their dims moved to torch's order. Every tensor of rank 2 or more in
an ``HWC`` network is held channels first (``(N, C, H, W)``) except where a layer reads its last
axis as symcnn does (a sequence layer's ``(N, L, features)``, ``Linear``, ``LayerNorm``, a partial
``Flatten``): there it is held in the spec's order, and ``forward`` moves the channels
(``x.movedim(1, -1)``, ``x.movedim(-1, 1)``) only where a reader wants the other order.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy

from ..errors import SpecError
from ..layers import Row
from ..layers.dense import ACTIVATIONS
from ..network import Network
from ._extras import require

__all__ = ["to_torch", "torch_input_shape", "torch_output_shape", "torch_source"]

#: rows that are a line of ``forward`` rather than a module
_OPS = ("Add", "Mul", "Cat", "Permute", "Transpose", "Reshape", "Select")
#: layers with a ``dim`` argument counted on the batched tensor in the spec's layout
_DIM_LAYERS = ("Softmax", "Softmin", "LogSoftmax", "GLU")
#: layers acting on the last axis: in HWC that is the channels in symcnn, the width in torch
_LAST_AXIS = ("Linear", "LayerNorm")
#: layers that read a sequence (L, features) for one example: a network holding one is written
#: for a batch (N, L, features), the order of a sequence in either layout, and these modules get
#: ``batch_first=True``
_SEQUENCE = ("RNN", "LSTM", "GRU", "MultiheadAttention", "Embedding", "EmbeddingBag")
#: rows acting on each element alone: they read a tensor in whichever order it is held
_ELEMENTWISE = (
    *(name for name in ACTIVATIONS if name not in _DIM_LAYERS),
    "Identity",
    "Dropout",
    "AlphaDropout",
    "Add",
    "Mul",
)
#: modules whose call returns a tuple whose item 0 is the row's output
_TUPLE_OUTPUTS = ("RNN", "LSTM", "GRU", "LSTMCell", "MultiheadAttention")


def to_torch(net: Network, class_name: str | None = None) -> Any:
    """The ``torch.nn.Module`` of a numeric network, taking a batch ``(N, C, ...)``."""
    require("torch")
    source = torch_source(net, class_name)
    namespace: dict[str, Any] = {"__name__": "symcnn_export"}
    # safe: the source is symcnn's own writing; every user string in it is a repr() literal or
    # an identifier made of \w characters (torch_source)
    exec(compile(source, "<symcnn export>", "exec"), namespace)
    return namespace["build"]()


def torch_input_shape(net: Network) -> tuple[int, ...]:
    """One example's input as the module of :func:`to_torch` takes it: channels first, or in
    the spec's order where a sequence layer reads it (``(L, features)``)."""
    _require_numbers(net)
    name = next(iter(net.inputs), "input")
    return _held(net.input_shape, _Writer(net).spec_order.get(name, True))


def torch_output_shape(net: Network) -> tuple[int, ...]:
    """One example's output as the module of :func:`to_torch` returns it (see
    :func:`torch_input_shape`)."""
    _require_numbers(net)
    writer = _Writer(net)
    for index, row in enumerate(net.rows):
        writer.row(index, row)
    return _held(net.output_shape, writer.spec_order.get(net.output, True))


def _held(shape: Sequence[Any], spec_order: bool) -> tuple[int, ...]:
    sizes = tuple(int(size) for size in shape)
    return sizes if spec_order or len(sizes) < 2 else (sizes[-1], *sizes[:-1])


def torch_source(net: Network, class_name: str | None = None) -> str:
    """Readable PyTorch source of the network: imports, one class, and ``build()``."""
    _require_numbers(net)
    name = class_name or _class_name(net.name)
    if not name.isidentifier() or keyword.iskeyword(name):
        raise SpecError(f"class name {name!r} is not a Python identifier")
    writer = _Writer(net)
    for index, row in enumerate(net.rows):
        writer.row(index, row)
    inputs = ", ".join(f"{writer.input_vars[name]}: torch.Tensor" for name in net.inputs)
    title = f"    {_docstring(f'{net.name}, as symcnn read it.')}\n\n" if net.name else ""
    lines = [
        '"""Written by symcnn export. Input: a batch (N, C, ...), whatever the spec\'s layout."""',
        "",
        "import torch",
        "from torch import nn",
        "",
        "",
        f"class {name}(nn.Module):",
        title + "    def __init__(self) -> None:",
        "        super().__init__()",
        *writer.init_lines(),
        "",
        f"    def forward(self, {inputs}) -> torch.Tensor:",
        *(f"        {line}" for line in writer.forward),
        f"        return {writer.var[net.output]}",
        "",
        "",
        f"def build() -> {name}:",
        f"    return {name}()",
        "",
    ]
    return "\n".join(lines)


def _docstring(text: str) -> str:
    """``text`` as a docstring literal: triple quotes when it is plain, else its repr(), so a
    name with quotes, backslashes or control characters stays text."""
    plain = text.isprintable() and '"' not in text and "\\" not in text
    return f'"""{text}"""' if plain else repr(text)


def _class_name(title: str | None) -> str:
    words = re.findall(r"[A-Za-z0-9]+", title or "")
    name = "".join(word[:1].upper() + word[1:] for word in words) or "Network"
    return name if name[0].isalpha() else f"Net{name}"


def _require_numbers(net: Network) -> None:
    if net.symbols:
        names = ", ".join(sorted(net.symbols))
        values = "a value" if len(net.symbols) == 1 else "values"
        raise SpecError(
            f"to build a torch module every size must be a number; give {names} {values} "
            "(net.subs(...) or symcnn export --set NAME=VALUE)",
            field="symbols",
        )
    for row in net.rows:
        if row.multiplicity != 1:
            raise SpecError(
                "a symbolic repeat must have a value to be built", where=row.name, field="repeat"
            )


# ----------------------------------------------------------------------------------- values


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


def _text(value: Any) -> str:
    return repr(value)


@dataclass
class _Node:
    """A module container (``layer1``, ``layer1.0``) or a module's constructor."""

    children: dict[str, _Node | str] = field(default_factory=dict)


# ----------------------------------------------------------------------------------- the writer


class _Writer:
    """Writes one row at a time: its module into the container tree, its line into forward."""

    def __init__(self, net: Network) -> None:
        self.net = net
        self.layout = net.layout
        #: whether a tensor (by row or input name) is held in the spec's order rather than
        #: channels first; always in CHW, and for every tensor of rank 0 or 1
        self.spec_order: dict[str, bool] = {}
        #: the order the row being written reads and writes
        self.reads_spec_order = True
        self.tree = _Node()
        self.forward: list[str] = []
        self.var: dict[str, str] = {}
        self.access: dict[str, str] = {}
        #: the Parameter rows: attribute, shape, whether a buffer
        self.parameters: list[tuple[str, list[int], bool]] = []
        readers: dict[str, list[int]] = {}
        for index, row in enumerate(net.rows):
            for source in row.inputs:
                readers.setdefault(source, []).append(index)
        self.readers = readers
        self.taken: set[str] = {"self", "torch", "nn"}
        names = list(net.inputs)
        self.input_vars: dict[str, str] = {}
        for name in names:
            only_next = readers.get(name, []) == [0] and len(names) == 1
            # a Parameter row may read the batch size off the input, which keeps its name
            only_next = only_next and not any(row.type == "Parameter" for row in net.rows)
            self.input_vars[name] = "x" if only_next else self._variable(name)
        self.var.update(self.input_vars)
        for name, shape in net.inputs.items():
            first = readers.get(name, [])
            # channels first, as torch takes an image, unless a sequence layer reads it
            sequence = bool(first) and net.rows[first[0]].type in _SEQUENCE
            self.spec_order[name] = len(shape) < 2 or self.layout != "HWC" or sequence

    def _wanted(self, row: Row) -> bool | None:
        """Whether ``row`` reads its inputs in the spec's order (True), channels first (False),
        or as they are held (None)."""
        if self.layout != "HWC":
            return True
        span = (getattr(row.layer, "start_dim", 1), getattr(row.layer, "end_dim", -1))
        partial = row.type == "Flatten" and span not in ((1, -1), (1, len(row.input_shape)))
        if row.type in _SEQUENCE or row.type in _LAST_AXIS or partial:
            return True
        return None if row.type in _ELEMENTWISE else False

    def _argument(self, row: Row, position: int, spec_order: bool) -> str:
        """The variable of ``row``'s input at ``position``, its channels moved where it is held
        in the other order."""
        source = row.inputs[position]
        held = self.spec_order.get(source, True)
        variable = self.var[source]
        if len(row.input_shapes[position]) < 2 or held == spec_order:
            return variable
        return f"{variable}.movedim(1, -1)" if spec_order else f"{variable}.movedim(-1, 1)"

    def _variable(self, name: str) -> str:
        base = re.sub(r"\W+", "_", name).strip("_").lower() or "x"
        if base[0].isdigit() or keyword.iskeyword(base):
            base = f"x_{base}"
        candidate, number = base, 1
        while candidate in self.taken:
            number += 1
            candidate = f"{base}_{number}"
        self.taken.add(candidate)
        return candidate

    def row(self, index: int, row: Row) -> None:
        wanted = self._wanted(row)
        if wanted is None:
            wanted = self.spec_order.get(row.inputs[0], True) if row.inputs else True
        self.reads_spec_order = wanted
        args = [self._argument(row, position, wanted) for position in range(len(row.inputs))]
        self.spec_order[row.name] = len(row.output_shape) < 2 or wanted
        readers = self.readers.get(row.name, [])
        last = index == len(self.net.rows) - 1 and row.name == self.net.output
        chain = readers == [index + 1] or (not readers and last)
        out = "x" if chain else self._variable(row.name)
        self.var[row.name] = out
        if row.shares is not None:
            call = self._call(row, self.access[row.shares], args)
            self.access[row.name] = self.access[row.shares]
        elif row.type in _OPS:
            call = self._op(row, args)
        elif row.type == "Parameter":
            call = self._parameter(row)
        else:
            constructor = self._constructor(row)
            self.access[row.name] = self._register(row.name, constructor)
            call = self._call(row, self.access[row.name], args)
        self.forward.append(f"{out} = {call}")

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
        attribute = self._variable(row.name)
        self.parameters.append((attribute, shape, bool(layer.buffer)))
        readers = [self.net.rows[index] for index in self.readers.get(row.name, [])]
        if not any(reader.type == "Cat" for reader in readers):
            return f"self.{attribute}"  # Add and Mul broadcast it over the batch
        batch = next(iter(self.input_vars.values()))
        sizes = ", ".join(str(size) for size in shape)
        return f"self.{attribute}.expand({batch}.size(0), {sizes})"

    # -- modules

    def _register(self, name: str, constructor: str) -> str:
        parts = name.split(".")
        node = self.tree
        for part in parts[:-1]:
            child = node.children.setdefault(part, _Node())
            if not isinstance(child, _Node):
                raise SpecError(
                    f"the row {name!r} sits inside {part!r}, which is a layer: torch cannot "
                    "register a module inside another module's name",
                    where=name,
                )
            node = child
        if parts[-1] in node.children:
            raise SpecError(f"two rows would be the module {name!r}", where=name)
        node.children[parts[-1]] = constructor
        head, rest = parts[0], parts[1:]
        access = (
            f"self.{head}"
            if head.isidentifier() and not keyword.iskeyword(head)
            else (f"getattr(self, {head!r})")
        )
        return access + "".join(f"[{part!r}]" for part in rest)

    def init_lines(self) -> list[str]:
        lines: list[str] = []
        for attribute, shape, buffer in self.parameters:
            zeros = f"torch.zeros({', '.join(map(str, shape))})"
            if buffer:
                lines.append(f"        self.register_buffer({attribute!r}, {zeros})")
            else:
                lines.append(f"        self.{attribute} = nn.Parameter({zeros})")
        for name, child in self.tree.children.items():
            text = self._tree_text(child, 2)
            if name.isidentifier() and not keyword.iskeyword(name):
                lines.append(f"        self.{name} = {text}")
            else:
                lines.append(f"        self.add_module({name!r}, {text})")
        return lines

    def _tree_text(self, node: _Node | str, depth: int) -> str:
        if isinstance(node, str):
            return node
        pad = "    " * (depth + 1)
        items = [
            f"{pad}{key!r}: {self._tree_text(child, depth + 1)},"
            for key, child in node.children.items()
        ]
        return "nn.ModuleDict({\n" + "\n".join(items) + "\n" + "    " * depth + "})"

    def _constructor(self, row: Row) -> str:
        layer = row.layer
        kind = row.type
        x = row.input_shape
        hwc = self.layout == "HWC" and len(x) > 1 and not self.reads_spec_order
        channels = x[0] if self.layout == "CHW" or len(x) == 1 else x[-1]
        arguments: list[str] = []
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
            if name == "batch_first" and kind in _SEQUENCE:
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
            arguments.append(f"{name}={_text(python)}")
        return f"nn.{kind}({', '.join(arguments)})"

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


def _equal(python: Any, default: Any) -> bool:
    if isinstance(default, sympy.Basic):
        default = _py(default)
    if isinstance(default, tuple):
        default = _py(default)
    return type(python) is type(default) and python == default
