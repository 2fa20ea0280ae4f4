"""Dense layers and the shape-only layers around them.

``Linear`` acts on the last axis: ``(p + bias)·c`` parameters (``weight [c, p]`` plus one bias per
neuron; source: PyTorch's ``Linear`` page and the seed texts' corrected formula) and
``activation size·p`` multiply-accumulates (every output element sums p products). ``Flatten``,
``Identity``, dropout and the activations have no parameters; ``PReLU`` learns ``P`` slopes.
Each formula is written once, as the tree of the class's ``textbook``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..errors import ShapeError, SpecError
from ..formula import (
    Derivation,
    Line,
    Product,
    Ref,
    Sym,
    Textbook,
    Value,
    Written,
    because,
    plus,
    quantity,
    times,
)
from ..prose import Inline, Math, Text, bias_phrase
from ..symbols import P, bias, c, d, p
from ._defaults import written_work
from ._relations import eq
from ._window import POINTWISE, WHOLE, Reach
from .base import (
    KERAS_WEIGHT_KEYWORDS,
    Check,
    Expr,
    Formula,
    KerasFace,
    Layer,
    Row,
    Tensor,
    Where,
    arg,
)

__all__ = ["ACTIVATIONS", "Dropout", "Flatten", "Identity", "Linear", "PReLU"]


@dataclass(frozen=True, kw_only=True)
class Linear(Layer):
    """A fully connected layer on the last axis (``torch.nn.Linear``)."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = "linear"

    def work(self, row: Row) -> dict[str, Expr]:
        """Each output element sums p products (p = in_features), and adds one bias: the MACs
        are the textbook's tree (:meth:`textbook`) evaluated at the row."""
        book = self.textbook()
        assert book.macs is not None
        return {"macs": written_work(row, book.macs), "bias": row.activation_size * self.bias}

    torch_name = "Linear"

    def reach(self, row: Row, layout: str) -> Reach:
        """Pointwise on channels last (HWC: the last axis is the channels); across positions
        (the whole input) when the last axis is spatial (CHW)."""
        return WHOLE if layout == "CHW" and len(row.input_shape) > 1 else POINTWISE

    in_features: Expr | None = arg("size?", None, inferred=True)
    out_features: Expr = arg("size")
    bias: Expr = arg("bias", True)

    formula_fields: ClassVar = ()
    mistake_families: ClassVar = ("linear",)

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        # every output element (c of them, per position of any leading axes) sums p products
        macs = times(Ref(quantity("activation_size")), p)
        return Textbook(Written(times(plus(p, bias), c)), channels=c, macs=Written(macs))

    def formula(self, layout: str = "HWC") -> Formula:
        return self.textbook_formula(layout)

    def describe(self) -> tuple[Inline, ...]:
        return (Math(self.out_features), Text(" neurons, fully connected"), *bias_phrase(self.bias))

    def sheet_assumptions(self) -> tuple[str, ...]:
        return ("bias",)

    def bind(self, x: Tensor, where: Where) -> Any:
        row, checks = super().bind(x, where)
        return dataclasses.replace(row, output_shape=(*x.shape[:-1], self.out_features)), checks

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        # a stated number of inputs is p where the input's size is an expression: the layer's
        # weights are fixed (an imported module's), and the input must come to that size
        size = x.shape[-1]
        stated = self.in_features
        if stated is not None and stated.is_Integer and not size.is_Integer:
            size = stated
        values: dict[Any, Expr] = {p: size, c: self.out_features, bias: self.bias}
        return values, self.agree(where, "in_features", self.in_features, x.shape[-1])


def _dim(where: Where, name: str, dim: int, rank: int) -> int:
    """A PyTorch dim index counted with the batch axis (dim 0), as an index into the example."""
    batched = rank + 1
    if not -batched <= dim < batched:
        raise ShapeError(
            f"`{name}` = {dim} is out of range for an input of rank {rank} (with the batch axis, "
            f"dims {-batched}..{batched - 1})",
            where=where,
            field=name,
        )
    return dim % batched - 1


@dataclass(frozen=True, kw_only=True)
class Flatten(Layer):
    """Flattens dims ``start_dim..end_dim`` (PyTorch's indices, batch = 0): by default the whole
    example."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = "reshape"

    torch_name = "Flatten"

    start_dim: int = arg("int", 1)
    end_dim: int = arg("int", -1)

    formula_fields: ClassVar = ()

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        return Textbook(because("flattening only reshapes"))

    def formula(self, layout: str = "HWC") -> Formula:
        return self.textbook_formula(layout)

    def working(self, row: Row) -> list[Line]:
        # the size of a flattened tensor is the product of its input's sizes, not a formula
        size = Product(tuple(Value(size) for size in row.input_shape))
        activation = Derivation(quantity("activation_size"), None, size, row.activation_size)
        return [activation, *super().working(row)[1:]]

    def describe(self) -> tuple[Inline, ...]:
        return (Text("flattens to a vector"),)

    def reach(self, row: Row, layout: str) -> Reach:
        return WHOLE  # what follows reads the positions as one vector

    def bind(self, x: Tensor, where: Where) -> Any:
        row, checks = super().bind(x, where)
        start = _dim(where, "start_dim", self.start_dim, x.rank)
        end = _dim(where, "end_dim", self.end_dim, x.rank)
        if start < 0:
            raise ShapeError(
                "`start_dim` = 0 would flatten the batch axis; symcnn describes one example",
                where=where,
                field="start_dim",
            )
        if start > end:
            raise ShapeError(
                f"`start_dim` = {self.start_dim} comes after `end_dim` = {self.end_dim}",
                where=where,
                field="start_dim",
            )
        shape = (*x.shape[:start], sympy.Mul(*x.shape[start : end + 1]), *x.shape[end + 1 :])
        return dataclasses.replace(row, output_shape=shape), checks

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        return {}, []


@dataclass(frozen=True, kw_only=True)
class _ShapeKeeping(Layer):
    """A layer with no parameters that keeps its input's shape."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = "activation"

    formula_fields: ClassVar = ()
    #: why the layer has no parameters, as its working says
    nothing_to_learn: ClassVar[str] = "an activation function has nothing to learn"

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        return Textbook(because(self.nothing_to_learn))

    def formula(self, layout: str = "HWC") -> Formula:
        return self.textbook_formula(layout)

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        return {}, []

    def reach(self, row: Row, layout: str) -> Reach:
        return POINTWISE


@dataclass(frozen=True, kw_only=True)
class Identity(_ShapeKeeping):
    """Passes its input through (``torch.nn.Identity``)."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = "identity"

    torch_name = "Identity"
    nothing_to_learn = "the identity passes its input through"
    #: its output is its input: no new activation
    new_output: ClassVar[bool] = False


@dataclass(frozen=True, kw_only=True)
class Dropout(_ShapeKeeping):
    """Dropout of any flavour: no parameters, same shape."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = "dropout"

    torch_name = "Dropout"
    nothing_to_learn = "dropout has nothing to learn"

    p: float = arg("number", 0.5)
    inplace: bool = arg("bool", False)

    #: example ranks the flavour accepts (``None``: any)
    ranks: ClassVar[tuple[int, ...] | None] = None

    def input_rank(self) -> tuple[int, ...] | None:
        return self.ranks

    def validate(self, where: Where) -> None:
        if not 0 <= self.p <= 1:
            raise SpecError(
                f"`p` = {self.p}: a dropout probability must be between 0 and 1",
                where=where,
                field="p",
            )

    def describe(self) -> tuple[Inline, ...]:
        return (Text(f"drops values with probability {self.p}"),)


@dataclass(frozen=True, kw_only=True)
class PReLU(Layer):
    """A parametric ReLU: ``P`` learnable slopes, 1 or one per channel (``torch.nn.PReLU``)."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = "prelu"

    torch_name = "PReLU"

    num_parameters: Expr = arg("size", 1)
    init: float = arg("number", 0.25)

    formula_fields: ClassVar = ()

    def reach(self, row: Row, layout: str) -> Reach:
        return POINTWISE

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        return Textbook(Written(Sym(P)))

    def formula(self, layout: str = "HWC") -> Formula:
        return self.textbook_formula(layout)

    def describe(self) -> tuple[Inline, ...]:
        return (Math(self.num_parameters), Text(" learnable slope(s)"))

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        channels = x.channels
        condition = sympy.Or(eq(self.num_parameters, 1), eq(self.num_parameters, channels))
        check = Check(
            where,
            "num_parameters",
            condition,
            f"`num_parameters` = {self.num_parameters} must be 1 or the number of channels "
            f"({channels})",
            ShapeError,
        )
        return {P: self.num_parameters, d: channels}, [check]


# name -> the keyword arguments PyTorch accepts, with their kinds and defaults
_ACTIVATION_ARGS: dict[str, dict[str, tuple[str, Any]]] = {
    "ReLU": {"inplace": ("bool", False)},
    "ReLU6": {"inplace": ("bool", False)},
    "LeakyReLU": {"negative_slope": ("number", 0.01), "inplace": ("bool", False)},
    "RReLU": {
        "lower": ("number", 1 / 8),
        "upper": ("number", 1 / 3),
        "inplace": ("bool", False),
    },
    "ELU": {"alpha": ("number", 1.0), "inplace": ("bool", False)},
    "CELU": {"alpha": ("number", 1.0), "inplace": ("bool", False)},
    "SELU": {"inplace": ("bool", False)},
    "GELU": {"approximate": ("text", "none")},
    "SiLU": {"inplace": ("bool", False)},
    "Mish": {"inplace": ("bool", False)},
    "Sigmoid": {},
    "Tanh": {},
    "Softmax": {"dim": ("int", None)},
    "LogSoftmax": {"dim": ("int", None)},
    "Softmin": {"dim": ("int", None)},
    "Softplus": {"beta": ("number", 1.0), "threshold": ("number", 20.0)},
    "Softsign": {},
    "Hardtanh": {
        "min_val": ("number", -1.0),
        "max_val": ("number", 1.0),
        "inplace": ("bool", False),
    },
    "Hardswish": {"inplace": ("bool", False)},
    "Hardsigmoid": {"inplace": ("bool", False)},
    "Hardshrink": {"lambd": ("number", 0.5)},
    "Softshrink": {"lambd": ("number", 0.5)},
    "Tanhshrink": {},
    "LogSigmoid": {},
    "Threshold": {
        "threshold": ("number", dataclasses.MISSING),
        "value": ("number", dataclasses.MISSING),
        "inplace": ("bool", False),
    },
}


@dataclass(frozen=True, kw_only=True)
class _AlongDim(_ShapeKeeping):
    """An activation along one axis, ``dim`` (Softmax and kin): the axis must exist."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = "softmax"

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        dim = self.dim  # type: ignore[attr-defined]
        if dim is not None:
            _dim(where, "dim", dim, x.rank)
        return {}, []

    def reach(self, row: Row, layout: str) -> Reach:
        """Pointwise along the channels; along a spatial axis (or PyTorch's implicit dim) every
        position's value depends on the others'."""
        rank = len(row.input_shape)
        channel = rank - 1 if layout == "HWC" else 0
        dim = self.dim  # type: ignore[attr-defined]
        if rank == 1 or (dim is not None and dim % (rank + 1) - 1 == channel):
            return POINTWISE
        return WHOLE


@dataclass(frozen=True, kw_only=True)
class _Bounded(_ShapeKeeping):
    """Hardtanh: the interval ``[min_val, max_val]`` must not be empty or a point."""

    def validate(self, where: Where) -> None:
        low, high = self.min_val, self.max_val  # type: ignore[attr-defined]
        if not high > low:
            raise SpecError(
                f"`max_val` = {high} must be greater than `min_val` = {low}",
                where=where,
                field="max_val",
            )


@dataclass(frozen=True, kw_only=True)
class _Ranged(_ShapeKeeping):
    """RReLU: the slopes are drawn from ``[lower, upper]``, which must not be empty."""

    def validate(self, where: Where) -> None:
        low, high = self.lower, self.upper  # type: ignore[attr-defined]
        if not low <= high:
            raise SpecError(
                f"`lower` = {low} must be at most `upper` = {high}",
                where=where,
                field="lower",
            )


_ACTIVATION_BASES: dict[str, type[Layer]] = {
    "Softmax": _AlongDim,
    "LogSoftmax": _AlongDim,
    "Softmin": _AlongDim,
    "Hardtanh": _Bounded,
    "RReLU": _Ranged,
}


#: one dataclass per distinct argument list: the activations that share one are its thin
#: subclasses, so importing the family does not run the dataclass machinery 25 times
_SIGNATURES: dict[tuple[Any, ...], type[Layer]] = {}


def _activation(name: str, arguments: dict[str, tuple[str, Any]]) -> type[Layer]:
    base = _ACTIVATION_BASES.get(name, _ShapeKeeping)
    signature = (
        base,
        *((field, kind, repr(default)) for field, (kind, default) in arguments.items()),
    )
    shared = _SIGNATURES.get(signature)
    if shared is None:
        if arguments:
            fields = [
                (field, Any, arg(kind, default)) for field, (kind, default) in arguments.items()
            ]
            # named by its arguments, not by the first activation that has them
            shared = dataclasses.make_dataclass(
                "_Arguments_" + "_".join(arguments),
                fields,
                bases=(base,),
                frozen=True,
                kw_only=True,
            )
            shared.__module__ = __name__
        else:
            shared = base
        _SIGNATURES[signature] = shared
    namespace = {
        "torch_name": name,
        "__doc__": f"The {name} activation (``torch.nn.{name}``): no parameters.",
        "choices": {"approximate": ("none", "tanh")},
    }
    cls = type(name, (shared,), namespace)
    cls.__module__ = __name__
    return cls


ACTIVATIONS: dict[str, type[Layer]] = {
    name: _activation(name, arguments) for name, arguments in _ACTIVATION_ARGS.items()
}


def _dropout(name: str) -> type[Layer]:
    # Dropout1d refuses anything but (C, L) and (N, C, L); Dropout2d/3d only warn on other ranks
    ranks = (1, 2) if name == "Dropout1d" else None
    namespace = {"torch_name": name, "__doc__": Dropout.__doc__, "ranks": ranks}
    cls = type(name, (Dropout,), namespace)  # no field of its own: Dropout's dataclass methods
    cls.__module__ = __name__
    return cls


DROPOUTS: dict[str, type[Layer]] = {
    name: _dropout(name)
    for name in ("Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout")
}


#: Keras's names for these layers (``convention: keras``; see :mod:`symcnn.layers.keras`)
KERAS_FACES = (
    KerasFace(
        "Dense",
        Linear,
        {"units": "out_features", "use_bias": "bias"},
        ignored=KERAS_WEIGHT_KEYWORDS,
    ),
    KerasFace("Flatten", Flatten),
    KerasFace(
        "Dropout", Dropout, {"rate": "p"}, ignored=("noise_shape", "seed"), required=("rate",)
    ),
    KerasFace("Activation", Identity, ignored=("activation",), required=("activation",)),
    KerasFace("ReLU", ACTIVATIONS["ReLU"], ignored=("max_value", "negative_slope", "threshold")),
)
