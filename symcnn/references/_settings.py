"""The values a layer reference names, sorted into the layer's arguments and its input tensor.

``W=7``, ``s_w=2``, ``stride=2``, ``3x3x128``: notation symbols and PyTorch argument names, per
axis or whole, become the arguments :meth:`symcnn.layers.Layer.from_spec` takes and the symbolic
input the layer is bound to (:class:`_Settings`).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Collection, Iterable
from typing import Any

import sympy
from sympy import Expr

from ..errors import SpecError
from ..layers import Layer, Tensor, Where
from ..parse import parse_expression
from ..symbols import NOTATION, AxisSymbols, axis_symbols, d, p

# notation names of per-axis arguments: s_w -> stride, z_w -> padding...
_AXIS_ARGUMENTS = {"s": "stride", "z": "padding", "r": "dilation", "a": "output_padding"}
_ARGUMENT_AXIS = {argument: stem for stem, argument in _AXIS_ARGUMENTS.items()}
# spec arguments that describe the input rather than the layer
_INPUT_ARGUMENTS = {"in_channels", "num_features", "num_channels", "in_features", "input_size"}
# notation names of the arguments of sequence layers (recurrent layers, embeddings)
_SEQUENCE_ARGUMENTS = {
    "h": "hidden_size",
    "h_p": "proj_size",
    "N_l": "num_layers",
    "V": "num_embeddings",
    "d_e": "embedding_dim",
}


def _spatial_dims(cls: type[Layer]) -> int:
    return int(getattr(cls, "spatial_dims", 0))


def _axes(cls: type[Layer]) -> tuple[AxisSymbols, ...]:
    dims = _spatial_dims(cls)
    return axis_symbols(dims) if dims else ()


def _input_kind(cls: type[Layer]) -> str:
    """How the symbolic input looks: ``features`` (p,), ``normalized`` (N,), ``sequence``
    (l, h_in) or, for a cell, (h_in,), ``tokens`` (l,) or ``spatial``."""
    fields = cls.arguments()
    if "input_size" in fields:
        return "sequence"
    if "num_embeddings" in fields:
        return "tokens"
    if "in_features" in fields:
        return "features"
    if "normalized_shape" in fields:
        return "normalized"
    return "spatial"


class _Settings:
    """The values a reference names, sorted into the layer's arguments and its input tensor."""

    def __init__(self, cls: type[Layer], where: Where) -> None:
        self.cls = cls
        self.where = where
        self.fields = cls.arguments()
        self.axes = _axes(cls)
        self.arguments: dict[str, Any] = {}
        self.per_axis: dict[str, list[Any]] = {}
        self.channels: Any = None
        self.features: Any = None
        self.spatial: dict[int, Any] = {}
        self.length: Any = None
        self.shape: list[Any] | None = None
        self.named: set[sympy.Symbol] = set()

    def fail(self, message: str, name: str) -> SpecError:
        return SpecError(message, where=self.where, field=name)

    def axis_index(self, suffix: str, name: str) -> int:
        for index, axis in enumerate(self.axes):
            if axis.size.name.lower() == suffix:
                return index
        valid = ", ".join(axis.size.name for axis in self.axes) or "none"
        raise self.fail(
            f"`{name}`: {self.cls.torch_name} has no {suffix!r} axis (its input sizes: {valid})",
            name,
        )

    def set_axis(self, argument: str, index: int, value: Any, name: str) -> None:
        if argument not in self.fields:
            raise self.fail(f"`{name}`: {self.cls.torch_name} has no `{argument}`", name)
        self.per_axis.setdefault(argument, [None] * len(self.axes))[index] = value

    def assign(self, name: str, value: Any) -> None:
        """Record ``name = value``: a PyTorch argument, a notation symbol or ``input``."""
        cls = self.cls
        if name == "input":
            self.shape = list(value) if isinstance(value, list | tuple) else [value]
            return
        if name in _INPUT_ARGUMENTS and name in self.fields:
            if name in ("in_features", "input_size"):
                self.features = value
            else:
                self.channels = value
            return
        if name in self.fields:
            self.arguments[name] = value
            return
        if name == "kernel":
            self.assign("kernel_size", value)
            return
        symbol = NOTATION.get(name)
        if symbol is None or name not in self.notation_names():
            valid = ", ".join(dict.fromkeys([*self.fields, "input", *self.notation_names()]))
            near = difflib.get_close_matches(name, [*self.fields, *self.notation_names()], n=1)
            hint = f"; did you mean `{near[0]}`?" if near else ""
            raise self.fail(
                f"unknown setting `{name}`{hint} ({cls.torch_name} takes: {valid})", name
            )
        stem, _, suffix = name.partition("_")
        if name == "d":
            self.channels = value
        elif name in ("p", "h_in"):
            self.features = value
        elif name == "l":
            self.length = value
        elif name == "N" and _input_kind(cls) == "normalized":
            self.features = value
        elif name in ("W", "H", "T"):
            self.spatial[self.axis_index(name.lower(), name)] = value
        elif name in ("m", "n", "t"):
            axis = {"m": "w", "n": "h", "t": "t"}[name]
            self.set_axis("kernel_size", self.axis_index(axis, name), value, name)
        elif suffix and stem in _AXIS_ARGUMENTS:
            self.set_axis(_AXIS_ARGUMENTS[stem], self.axis_index(suffix, name), value, name)
        else:
            argument = {
                "k": "out_channels",
                "c": "out_features",
                "g": "num_groups" if "num_groups" in self.fields else "groups",
                "bias": "bias",
                "P": "num_parameters",
                "N": "normalized_shape",
                **_SEQUENCE_ARGUMENTS,
            }.get(name)
            if argument is None or argument not in self.fields:
                raise self.fail(
                    f"`{name}` ({NOTATION[name].meaning}) is not a value of {cls.torch_name}", name
                )
            self.arguments[argument] = value
        self.named.add(symbol.symbol)

    def notation_names(self) -> list[str]:
        """The notation symbols this layer has a value for, in the notation's order."""
        kind = _input_kind(self.cls)
        names = {"p"} if kind == "features" else {"N"} if kind == "normalized" else {"d"}
        if kind in ("sequence", "tokens"):
            names = {"l"} if "num_layers" in self.fields or kind == "tokens" else set()
            names |= {"h_in"} if kind == "sequence" else set()
        for axis in self.axes:
            names.add(axis.size.name)
            if "kernel_size" in self.fields:
                names.add(axis.kernel.name)
            for stem, argument in _AXIS_ARGUMENTS.items():
                if argument in self.fields:
                    names.add(_axis_symbol(axis, stem).name)
        for argument in self.fields:
            names |= {s.name for s in _argument_symbols(self.cls, argument)}
        return [name for name in NOTATION if name in names]

    # -- building

    def named_symbols(self) -> set[sympy.Symbol]:
        """The notation symbols whose values the user gave, by whatever name."""
        named = set(self.named)
        for argument in self.arguments:
            named |= set(_argument_symbols(self.cls, argument))
        if self.shape is not None:
            named |= {axis.size for axis in self.axes} | {d, p}
        return named

    def layer_arguments(self, general: bool, keep: Collection[sympy.Symbol]) -> dict[str, Any]:
        arguments = dict(self.arguments)
        dims = len(self.axes)
        # required arguments default to the notation's symbols
        if "out_channels" in self.fields and "out_channels" not in arguments:
            arguments["out_channels"] = "k"
        if "out_features" in self.fields and "out_features" not in arguments:
            arguments["out_features"] = "c"
        if "num_groups" in self.fields and "num_groups" not in arguments:
            arguments["num_groups"] = "g"
        for symbol, argument in _SEQUENCE_ARGUMENTS.items():
            required = self.fields.get(argument)
            if required is not None and required.default is dataclasses.MISSING:
                arguments.setdefault(argument, symbol)
        if "kernel_size" in self.fields and "kernel_size" not in arguments:
            self.per_axis.setdefault("kernel_size", [None] * dims)
        if "output_size" in self.fields and "output_size" not in arguments:
            arguments["output_size"] = 1
        for name, spec_field in self.fields.items():
            if spec_field.default is dataclasses.MISSING and name not in arguments:
                if spec_field.metadata.get("kind") == "number":
                    arguments[name] = 0  # Threshold's threshold and value: irrelevant to counts
        if general and "bias" in self.fields and "bias" not in arguments:
            arguments["bias"] = "bias"
        if (
            general
            and "groups" in self.fields
            and "groups" not in arguments
            and "g" in _names(keep)
        ):
            arguments["groups"] = "g"
        if general and "num_parameters" in self.fields and "num_parameters" not in arguments:
            if "P" in _names(keep):
                arguments["num_parameters"] = "P"
        for argument, stem in _ARGUMENT_AXIS.items():
            if argument not in self.fields or argument in arguments:
                continue
            for index, axis in enumerate(self.axes):
                symbol = _axis_symbol(axis, stem)
                if general and symbol in keep:
                    self.set_axis(argument, index, symbol.name, symbol.name)
        for argument, values in self.per_axis.items():
            given = arguments.get(argument)
            if given is not None:
                raise self.fail(f"`{argument}` given both whole and per axis", argument)
            filled = []
            for index, value in enumerate(values):
                if value is None:
                    value = self.axis_default(argument, index)
                filled.append(value)
            arguments[argument] = filled
        return arguments

    def axis_default(self, argument: str, index: int) -> Any:
        axis = self.axes[index]
        if argument == "kernel_size":
            return axis.kernel.name
        if argument == "stride" and self.fields[argument].default is None:
            # pooling: the stride defaults to the kernel size
            kernel = self.per_axis.get("kernel_size", [None] * len(self.axes))[index]
            explicit = self.arguments.get("kernel_size")
            if explicit is not None:
                kernel = explicit[index] if isinstance(explicit, list | tuple) else explicit
            return axis.kernel.name if kernel is None else kernel
        default = self.fields[argument].default
        return default

    def tensor(self) -> Tensor:
        kind = _input_kind(self.cls)
        if self.shape is not None:
            return Tensor(tuple(_expr(size) for size in self.shape), "HWC")
        if kind == "features":
            return Tensor((_expr(self.features if self.features is not None else "p"),), "HWC")
        if kind in ("sequence", "tokens"):
            length = _expr(self.length if self.length is not None else "l")
            if kind == "tokens":
                return Tensor((length,), "HWC")
            features = _expr(self.features if self.features is not None else "h_in")
            steps = (length,) if "num_layers" in self.fields else ()
            return Tensor((*steps, features), "HWC")
        if kind == "normalized":
            return Tensor((_expr(self.features if self.features is not None else "N"),), "HWC")
        if self.axes:
            sizes = [_expr(self.spatial.get(i, axis.size.name)) for i, axis in enumerate(self.axes)]
        else:
            sizes = [NOTATION["H"].symbol, NOTATION["W"].symbol]
        channels = _expr(self.channels if self.channels is not None else "d")
        return Tensor((*sizes, channels), "HWC")


def _names(symbols: Iterable[sympy.Symbol]) -> set[str]:
    return {s.name for s in symbols}


def _axis_symbol(axis: AxisSymbols, stem: str) -> sympy.Symbol:
    return {
        "s": axis.stride,
        "z": axis.padding,
        "r": axis.dilation,
        "a": axis.output_padding,
    }[stem]


def _argument_symbols(cls: type[Layer], argument: str) -> list[sympy.Symbol]:
    axes = _axes(cls)
    if argument in _ARGUMENT_AXIS:
        return [_axis_symbol(axis, _ARGUMENT_AXIS[argument]) for axis in axes]
    if argument == "kernel_size":
        return [axis.kernel for axis in axes]
    table = {
        "out_channels": ["k"],
        "out_features": ["c"],
        "groups": ["g"],
        "num_groups": ["g"],
        "bias": ["bias"],
        "num_parameters": ["P"],
        "normalized_shape": ["N"],
        **{argument: [symbol] for symbol, argument in _SEQUENCE_ARGUMENTS.items()},
    }
    return [NOTATION[name].symbol for name in table.get(argument, [])]


def _expr(value: Any) -> Expr:
    if isinstance(value, sympy.Basic):
        return value  # type: ignore[return-value]
    if isinstance(value, bool):
        return sympy.Integer(int(value))
    if isinstance(value, int):
        return sympy.Integer(value)
    return parse_expression(str(value))
