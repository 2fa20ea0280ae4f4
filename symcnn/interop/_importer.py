"""The state of one import: the spec entries written so far and what each traced value is (a
tensor named by its entry, a batch size, a shape, a constant)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..errors import SpecError

__all__ = ["Attr", "FinalState", "Importer", "Shape", "Size", "Tensor", "Unread"]


@dataclass(frozen=True)
class Tensor:
    """A traced tensor: the output of the spec entry ``name`` (``input`` for the input)."""

    name: str


@dataclass(frozen=True)
class Attr:
    """A tensor attribute the model reads directly (``self.cls_token``, a ``get_attr`` node): a
    ``Parameter`` row once symcnn knows which of its axes is the batch's."""

    target: str
    shape: tuple[int, ...]
    buffer: bool

    def __repr__(self) -> str:
        return f"the {'buffer' if self.buffer else 'parameter'} {self.target!r} {list(self.shape)}"


@dataclass(frozen=True)
class Unread:
    """A value symcnn does not describe (an RNN's final state, attention weights): using it is
    refused."""

    what: str

    def __repr__(self) -> str:
        return self.what


@dataclass(frozen=True)
class FinalState:
    """The final state of a recurrent module (``h_n``; an LSTM's ``(h_n, c_n)`` is ``part`` =
    ``"both"`` until indexed): symcnn reads the last layer's ``h_n`` of a one-direction module,
    which is its output sequence's last step."""

    output: Tensor
    module: str
    layers: int
    directions: int
    part: str  # "h_n", "c_n" or "both"

    def __repr__(self) -> str:
        return f"the final state of {self.module!r}"


@dataclass(frozen=True)
class Shape:
    """``x.shape`` or ``x.size()`` of a traced tensor."""

    tensor: Tensor


@dataclass(frozen=True)
class Size:
    """``x.size(dim)`` or ``x.shape[dim]``: one size of a traced tensor, torch's dim (batch 0)."""

    tensor: Tensor
    dim: int


@dataclass
class Importer:
    """Spec entries in order, with unique names; :meth:`add` appends one."""

    #: the spec's ``input``: a list of sizes, or ``{shape: [...], dtype: ...}``
    input_shape: Any
    entries: list[dict[str, Any]] = field(default_factory=list)
    names: set[str] = field(default_factory=lambda: {"input"})
    #: how many times each module has been applied
    calls: dict[str, int] = field(default_factory=dict)
    #: the Parameter row of each tensor attribute read, and the shape it was given
    sources: dict[str, tuple[Tensor, tuple[int, ...]]] = field(default_factory=dict)
    #: Linear rows an ONNX MatMul made, whose bias an Add right after may still give
    matmuls: set[str] = field(default_factory=set)

    def unique(self, name: str) -> str:
        """``name``, or ``name_1``, ``name_2``... if it is taken (fx's own convention)."""
        base, candidate, number = name, name, 0
        while candidate in self.names:
            number += 1
            candidate = f"{base}_{number}"
        self.names.add(candidate)
        return candidate

    def add(self, entry: dict[str, Any], name: str, inputs: list[Tensor]) -> Tensor:
        """Append ``entry`` named ``name`` (made unique) reading ``inputs``; ``from`` is written
        only where the entry does not read the one before it."""
        kind = "shares" if "shares" in entry else "type"
        entry = {kind: entry[kind], "name": self.unique(name), **entry}
        previous = self.entries[-1]["name"] if self.entries else "input"
        sources = [tensor.name for tensor in inputs]
        if sources and sources != [previous]:
            entry["from"] = sources[0] if len(sources) == 1 else sources
        self.entries.append(entry)
        return Tensor(entry["name"])

    def source(self, attr: Attr, shape: tuple[int, ...], where: str) -> Tensor:
        """The ``Parameter`` row of ``attr`` with one example's ``shape`` (added once)."""
        known = self.sources.get(attr.target)
        if known is not None:
            if known[1] != shape:
                raise SpecError(
                    f"{attr!r} is used as {list(known[1])} and as {list(shape)} per example; "
                    "symcnn gives a parameter one shape",
                    where=where,
                )
            return known[0]
        entry: dict[str, Any] = {"type": "parameter", "shape": list(shape)}
        if attr.buffer:
            entry["buffer"] = True
        self.names.discard(attr.target)
        tensor = self.add(entry, attr.target, [])
        self.sources[attr.target] = (tensor, shape)
        return tensor

    def shape_of(self, tensor: Tensor, where: str) -> tuple[Any, ...]:
        """One example's shape of a tensor (CHW, no batch axis), from the spec so far."""
        from ..network import Network

        spec = {"input": self.input_shape, "layout": "CHW", "layers": self.entries or []}
        if tensor.name == "input":
            return tuple(Network.build(_normalized(spec, [])).input_shape)
        built = Network.build(_normalized(spec, self.entries))
        for row in built.rows:
            if row.name == tensor.name:
                return tuple(row.output_shape)
        # a composite entry (a transformer stack) is rows named inside it: its last gives the output
        inside = [row for row in built.rows if row.name.startswith(f"{tensor.name}.")]
        if inside:
            return tuple(inside[-1].output_shape)
        raise SpecError(f"no entry {tensor.name!r} before it", where=where)  # pragma: no cover


def _normalized(spec: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
    from ..spec import normalize

    layers = entries or [{"type": "identity", "name": "_probe"}]
    return normalize({**spec, "layers": layers})


_SUFFIX = re.compile(r"_\d+$")


def base_name(node_name: str) -> str:
    """An fx node's name without fx's ``_1`` numbering: ``add_3`` -> ``add``."""
    return _SUFFIX.sub("", node_name)
