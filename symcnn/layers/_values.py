"""The values layers compute with and hand on: the conventions and dtypes, an input
:class:`Tensor`, a :class:`Formula`, a :class:`Check` and a bound :class:`Row` (re-exported by
:mod:`.base`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy

from ..errors import SolveError, SpecError
from ..floors import substitute
from ..formula import Expr
from ._arguments import ONE, ZERO, Where
from ._window import Refused

#: the counting conventions: PyTorch's (the default) and Keras's (``convention: keras``)
TORCH = "torch"
KERAS = "keras"
CONVENTIONS = (TORCH, KERAS)


#: the element types an input may declare (``input: {shape: [L], dtype: int64}``), by the names
#: PyTorch gives them (``torch.int64``, alias ``long``...), each to its canonical name
DTYPES: dict[str, str] = {
    **{name: name for name in ("int64", "int32", "int16", "int8", "uint8", "bool")},
    **{name: name for name in ("float64", "float32", "float16", "bfloat16")},
    "long": "int64",
    "int": "int32",
    "short": "int16",
    "double": "float64",
    "float": "float32",
    "half": "float16",
}
#: the canonical dtypes that are integers (token indices); the others are floating point
INTEGER_DTYPES = ("int64", "int32", "int16", "int8", "uint8", "bool")
#: the dtype of every layer's output: floating point (a layer computes, it does not index)
LAYER_OUTPUT_DTYPE = "float32"


@dataclass(frozen=True)
class Tensor:
    """One example's shape (no batch axis) in a layout: ``HWC`` (channels last) or ``CHW``.

    ``dtype`` is the canonical element type (:data:`DTYPES`) when it is known: an input that
    declares it, or a layer's output (:data:`LAYER_OUTPUT_DTYPE`); ``None`` for an input that does
    not say.
    """

    shape: tuple[Expr, ...]
    layout: str = "HWC"
    dtype: str | None = None

    @property
    def is_float(self) -> bool:
        """Whether the elements are known to be floating point (not token indices)."""
        return self.dtype is not None and self.dtype not in INTEGER_DTYPES

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def channels(self) -> Expr:
        if self.rank == 1 or self.layout == "HWC":
            return self.shape[-1]
        return self.shape[0]

    @property
    def spatial(self) -> tuple[Expr, ...]:
        if self.rank == 1:
            return ()
        return self.shape[:-1] if self.layout == "HWC" else self.shape[1:]

    def with_channels(self, channels: Expr, spatial: Sequence[Expr]) -> Tensor:
        """A tensor of this layout with the given channels and spatial sizes."""
        spatial = tuple(spatial)
        if self.layout == "HWC":
            return Tensor((*spatial, channels), self.layout, self.dtype)
        return Tensor((channels, *spatial), self.layout, self.dtype)

    @property
    def size(self) -> Expr:
        return sympy.Mul(*self.shape)


def arrange(channels: Expr, spatial: Sequence[Expr], layout: str) -> tuple[Expr, ...]:
    """Channels and spatial sizes in the order of ``layout``."""
    return (*spatial, channels) if layout == "HWC" else (channels, *spatial)


@dataclass(frozen=True)
class Formula:
    """A layer's general formula in the notation's symbols: one expression per quantity.

    ``params``, ``buffers`` and ``output_shape`` every layer has (``output_shape`` is ``None``
    for layers that keep their input's shape); ``extra`` maps the names of further quantities of
    the registry (:mod:`symcnn.quantities`) to their expressions, so that a quantity added there
    reaches the rows without a new field here.
    """

    params: Expr
    buffers: Expr = ZERO
    output_shape: tuple[Expr, ...] | None = None
    extra: Mapping[str, Expr] = field(default_factory=dict)

    def quantities(self) -> dict[str, Any]:
        """Every quantity of the formula by name."""
        found: dict[str, Any] = {"params": self.params, "buffers": self.buffers}
        if self.output_shape is not None:
            found["output_shape"] = self.output_shape
        found.update(self.extra)
        return found

    def __getitem__(self, name: str) -> Any:
        return self.quantities()[name]

    def at(self, values: Mapping[sympy.Basic, Expr]) -> Formula:
        """The formula with ``values`` substituted (simultaneously, without simplification), a
        rounded input size through the floor normal form (:func:`symcnn.floors.substitute`), so
        a strided size is one floor at any depth."""
        shape = self.output_shape
        return Formula(
            substitute(self.params, values),
            substitute(self.buffers, values),
            None if shape is None else tuple(substitute(size, values) for size in shape),
            {name: substitute(expr, values) for name, expr in self.extra.items()},
        )


@dataclass(frozen=True)
class Expansion:
    """A composite layer's inner layers (a transformer layer's attention, linears, norms...): spec
    entries the graph walks as an inline block under the layer's name, so each is a row of its
    own and the layer is their group. ``entries`` read the layer's first input as ``input`` and
    its others by the names of ``inputs`` (name -> position in ``from``); ``output`` names the
    entry whose output is the layer's (``None``: the last)."""

    entries: tuple[Mapping[str, Any], ...]
    inputs: Mapping[str, int] = field(default_factory=dict)
    output: str | None = None
    #: what the composite's inputs must satisfy, checked before its rows are made
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True)
class Check:
    """A condition a layer needs; symbolic ones wait until their symbols get values."""

    where: Where
    field: str
    condition: sympy.Basic
    message: str
    error: type[SpecError] = SpecError

    def fail(self) -> SpecError:
        return self.error(self.message, where=self.where, field=self.field)

    def __str__(self) -> str:
        return f"{self.where}: {self.condition}"


@dataclass(frozen=True)
class Row:
    """One layer bound to its input: the numbers (or expressions) of one row of the summary."""

    index: int
    name: str
    type: str
    input_shape: tuple[Expr, ...]
    output_shape: tuple[Expr, ...]
    params: Expr
    buffers: Expr
    formula: Formula
    values: Mapping[sympy.Basic, Expr] = field(repr=False)
    layer: Any = field(repr=False)  # the Layer (layers/base.py) that made the row
    #: the qualified names of the entries this row reads (``input``, ``layer1.0.bn2``...)
    inputs: tuple[str, ...] = ()
    #: every input's shape, in the order of :attr:`inputs` (a merge reads several)
    input_shapes: tuple[tuple[Expr, ...], ...] = ()
    #: the qualified name of the row whose weights this row applies again (``shares:``)
    shares: str | None = None
    #: how many times the row is applied: a symbolic ``repeat`` (``L``) shows its rows once
    multiplicity: Expr = ONE
    #: nesting depth: 0 at the top level, 1 inside a block...
    depth: int = 0
    #: the row's other quantities by name (those of the registry a formula adds)
    extra: Mapping[str, Expr] = field(default_factory=dict, repr=False)

    def __getattr__(self, name: str) -> Any:
        # a quantity a layer's formula adds is read like the built-in ones: row.macs
        extra = self.__dict__.get("extra")
        if extra is not None and name in extra:
            if isinstance(extra[name], Refused):  # a quantity the row has none of, and why
                raise SolveError(f"{self.name}: no {name}: {extra[name].reason}")
            return extra[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def activation_size(self) -> Expr:
        return sympy.Mul(*self.output_shape)

    @property
    def non_trainable(self) -> Expr:
        """Parameters an optimizer does not train: Keras's BatchNormalization moving mean and
        variance under ``convention: keras``; 0 under PyTorch's, which keeps them as buffers."""
        return self.extra.get("non_trainable", ZERO)

    @property
    def trainable(self) -> Expr:
        """The parameters an optimizer trains: ``params`` less the non-trainable ones."""
        return self.params - self.non_trainable

    def _repr_latex_(self) -> str:
        return DISPLAY["latex"](self) if "latex" in DISPLAY else repr(self)

    def _repr_markdown_(self) -> str:
        return DISPLAY["markdown"](self) if "markdown" in DISPLAY else repr(self)


#: Jupyter display of rows, registered by the renderers (which sit above the layers)
DISPLAY: dict[str, Callable[[Row], str]] = {}
