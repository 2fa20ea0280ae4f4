"""One quantity of one layer, as the engine computes it: ``conv2d.params``, ``linear 128->256``.

Claims (:mod:`symcnn.check`) and identities (:mod:`symcnn.identities`) compare an expression with
what the engine says. This module turns a short reference into that value: it builds the layer with
the registry (:func:`symcnn.layers.lookup`), binds it to an input tensor made of the notation's
symbols (``H``, ``W``, ``d``…) and reads the quantity off the bound :class:`~symcnn.layers.Row`, so
the number is always the layer's own formula, substituted.

Two forms, both case-insensitive in the layer name:

``LAYER.QUANTITY`` — the general formula
    ``conv2d.params`` is ``(m·n·d/g + bias)·k`` at PyTorch's defaults (groups 1, stride 1,
    padding 0, dilation 1) with ``bias`` left as a symbol. Values given by name (``g=d``,
    ``s_w=2``) replace the defaults, and so do the symbols listed in ``keep`` (a claim that
    mentions ``g`` is compared with the formula for every ``g``).

``LAYER [IN->OUT] [KERNEL] [NAME=VALUE ...] [QUANTITY]`` — one concrete layer
    ``linear 128->256 params``, ``conv2d 3->8 5x5``, ``conv1d W=7 kernel=3 stride=2 output_size``:
    PyTorch's defaults (``bias=True``) for everything not given; sizes not given stay symbols.

The quantity is named as everywhere else (:mod:`._grammar`): a registry name or one axis of a
shape (``conv2d.output_shape[0]``); ``out_w``, ``out_h``, ``out_t`` and ``output_size`` (the width
axis) are the older names of an output axis.

>>> quantity("conv2d.params")
k*(bias + d*m*n)
>>> quantity("conv2d.params", g="g")
k*(bias + d*m*n/g)
>>> quantity("linear 128->256 params")
33024
>>> quantity("conv1d W=7 kernel=3 stride=2 output_size")
3
>>> quantity("conv2d.output_shape[1]") == quantity("conv2d.out_w")
True
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy
from sympy import Expr

from ..errors import SolveError, SpecError
from ..layers import Layer, Row, Tensor, Where, lookup
from ..parse import parse_expression
from ..symbols import NOTATION, AxisSymbols, axis_symbols, d, p
from ._grammar import Reference, axis_index, names, parse_reference
from ._network import read_reference

__all__ = [
    "LayerQuantity",
    "general_quantity",
    "layer_quantity",
    "quantity",
    "read_quantity",
]


#: words people write for a quantity in a layer reference
_QUANTITY_ALIASES = {"parameters": "params", "#params": "params", "weights_and_biases": "params"}
# notation names of per-axis arguments: s_w -> stride, z_w -> padding...
_AXIS_ARGUMENTS = {"s": "stride", "z": "padding", "r": "dilation", "a": "output_padding"}
_ARGUMENT_AXIS = {argument: stem for stem, argument in _AXIS_ARGUMENTS.items()}
# spec arguments that describe the input rather than the layer
_INPUT_ARGUMENTS = {"in_channels", "num_features", "num_channels", "in_features"}
_KERNEL_TOKEN = re.compile(r"\d+(?:\s*[x×]\s*\d+)*")
_ARROW = re.compile(r"\s*(?:->|→)\s*")
_REFERENCE = re.compile(
    r"(?P<layer>[A-Za-z][A-Za-z0-9_]*)\.(?P<quantity>[A-Za-z_#]+(?:\[-?\d+\])?)"
)


@dataclass(frozen=True)
class LayerQuantity:
    """One quantity of one layer, bound to a symbolic or concrete input.

    ``truth`` is the engine's value. ``named`` holds the values the user gave (by notation symbol),
    which a claim shares; ``defaults`` the values the engine filled in for symbols nobody named.
    ``constraints`` are the layer's checks that still wait for symbols (groups dividing the
    channels, the kernel fitting in the input…): a counterexample must satisfy them.
    """

    label: str
    quantity: str
    row: Row
    truth: Expr
    general: bool
    named: Mapping[sympy.Symbol, Expr] = field(default_factory=dict)
    defaults: Mapping[sympy.Symbol, Expr] = field(default_factory=dict)
    constraints: tuple[sympy.Basic, ...] = ()

    @property
    def claim_values(self) -> dict[sympy.Symbol, Expr]:
        """What a claim's symbols stand for: the named values, and for a concrete layer every
        value the layer has (its symbols are that layer's)."""
        if self.general:
            return dict(self.named)
        return {s: v for s, v in self.row.values.items() if isinstance(s, sympy.Symbol) and s != v}


def _spatial_dims(cls: type[Layer]) -> int:
    return int(getattr(cls, "spatial_dims", 0))


def _axes(cls: type[Layer]) -> tuple[AxisSymbols, ...]:
    dims = _spatial_dims(cls)
    return axis_symbols(dims) if dims else ()


def _input_kind(cls: type[Layer]) -> str:
    """How the symbolic input looks: ``features`` (p,), ``normalized`` (N,) or ``spatial``."""
    fields = cls.arguments()
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
            if name == "in_features":
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
        elif name == "p":
            self.features = value
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
        if kind == "normalized":
            return Tensor((_expr(self.features if self.features is not None else "N"),), "HWC")
        if self.axes:
            sizes = [_expr(self.spatial.get(i, axis.size.name)) for i, axis in enumerate(self.axes)]
        else:
            sizes = [NOTATION["H"].symbol, NOTATION["W"].symbol]
        channels = _expr(self.channels if self.channels is not None else "d")
        return Tensor((*sizes, channels), "HWC")


@dataclass(frozen=True)
class _Reference(Where):
    """Where a layer reference's errors come from: the reference itself."""

    def __str__(self) -> str:
        return f"{self.name!r} ({self.type})"


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


def _value(text: str) -> Any:
    """A value in a reference: ``5``, ``5x5`` (a list), ``true``, or an expression kept as text."""
    stripped = text.strip()
    lowered = stripped.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if _KERNEL_TOKEN.fullmatch(stripped) and re.search("[x×]", stripped):
        return [int(part) for part in re.split(r"\s*[x×]\s*", stripped)]
    if lowered in ("same", "valid"):
        return lowered
    return stripped


def _quantity_name(text: str, where: str) -> str:
    """The quantity a layer reference names, as the grammar spells it (``params``,
    ``output_shape[0]``, ``out_w``)."""
    name = text.strip().lower()
    name = _QUANTITY_ALIASES.get(name, name)
    reference = parse_reference(name)
    if reference is None or reference.layer is not None:
        valid = ", ".join([*names(), "output_shape[i]"])
        raise SpecError(f"{where}: unknown quantity {text!r} (valid: {valid})", field="quantity")
    if reference.quantity.shape and reference.index is None and reference.alias is None:
        raise SpecError(
            f"{where}: {name} is a shape; name one axis, such as {name}[0]", field="quantity"
        )
    return name


def _reference(quantity: str) -> Reference:
    reference = parse_reference(quantity)
    if reference is None or reference.layer is not None:
        raise SpecError(f"unknown quantity {quantity!r}", field="quantity")
    return reference


def meaning(quantity: str) -> str:
    """What ``quantity`` (as :func:`_quantity_name` spells it) is, in words."""
    reference = _reference(quantity)
    if reference.alias is not None:
        return reference.alias.meaning
    if reference.index is not None:
        return f"{reference.quantity.text} along axis {reference.index}"
    return reference.quantity.meaning


def read_quantity(row: Row, quantity: str, layout: str = "HWC") -> Expr:
    """The value of ``quantity`` (one number: ``params``, ``output_shape[0]``, ``out_w``…) on a
    row bound in ``layout``."""
    try:
        reading = read_reference(row, _reference(quantity), "", layout)
    except SolveError as error:
        raise SpecError(str(error), field="quantity") from None
    if reading.is_shape:
        raise SpecError(f"{quantity} is a shape; name one axis", field="quantity")
    return reading.values[0]


def general_quantity(row: Row, quantity: str) -> Expr | None:
    """The quantity's formula before the row's values go in: the layer's general formula, or
    ``None`` where the layer has none (the output of a shape-keeping layer)."""
    formula = row.layer.formula("HWC")
    reference = _reference(quantity)
    name = reference.quantity.name
    if not reference.quantity.shape and hasattr(formula, name):
        return getattr(formula, name)  # type: ignore[no-any-return]
    shape = formula.output_shape
    if shape is None:
        return None
    if name == "activation_size":
        return sympy.Mul(*shape)
    if name != "output_shape":
        return None
    index = reference.index
    if reference.alias is not None:
        index = axis_index(len(shape), "HWC", reference.alias.axis)
    if index is None or not -len(shape) <= index < len(shape):
        return None
    return shape[index]


def _split_reference(text: str) -> tuple[str, list[str]]:
    text = _ARROW.sub("->", text.strip())
    match = _REFERENCE.fullmatch(text)
    if match:
        return match["layer"], [match["quantity"]]
    tokens = text.split()
    if not tokens:
        raise SpecError("an empty layer reference; try 'conv2d.params' or 'linear 128->256 params'")
    return tokens[0], tokens[1:]


def layer_quantity(
    reference: str,
    values: Mapping[str, Any] | None = None,
    *,
    keep: Collection[sympy.Symbol] = (),
    quantity: str | None = None,
) -> LayerQuantity:
    """Resolve a layer reference (see the module docstring) to the engine's value.

    ``values`` name further values (notation symbols or PyTorch argument names, as numbers or
    expression text). For the general form, the symbols in ``keep`` stay symbolic instead of taking
    PyTorch's defaults.
    """
    text = reference.strip()
    general = bool(_REFERENCE.fullmatch(text))
    type_name, tokens = _split_reference(text)
    where: Where = _Reference(0, text, type_name)
    cls = lookup(type_name, where)
    where = _Reference(0, text, cls.torch_name)
    settings = _Settings(cls, where)
    chosen = None if quantity is None else _quantity_name(quantity, text)
    for token in tokens:
        if general:
            chosen = _quantity_name(token, text)
        elif "->" in token:
            source, _, target = token.partition("->")
            if not source or not target:
                raise SpecError(f"{text!r}: write IN->OUT, such as 128->256", field="channels")
            settings.assign("p" if _input_kind(cls) == "features" else "d", source)
            settings.assign("c" if "out_features" in settings.fields else "k", target)
        elif "=" in token:
            name, _, value = token.partition("=")
            settings.assign(name.strip(), _value(value))
        elif _KERNEL_TOKEN.fullmatch(token) and "kernel_size" in settings.fields:
            sizes = _value(token)
            sizes = sizes if isinstance(sizes, list) else [int(sizes)]
            dims = len(settings.axes)
            if len(sizes) == dims + 1:  # 3x3x128: the kernel and the input depth
                settings.assign("d", sizes[-1])
                sizes = sizes[:-1]
            if len(sizes) == 1 and dims > 1 and "x" not in token:
                raise SpecError(
                    f"{text!r}: a bare number {token!r}; write the kernel as "
                    f"{'x'.join([token] * dims)} or kernel_size={token}",
                    field="kernel_size",
                )
            settings.assign("kernel_size", sizes if len(sizes) > 1 else sizes[0])
        elif _is_quantity(token):
            chosen = _quantity_name(token, text)
        else:
            raise SpecError(
                f"{text!r}: cannot read {token!r} (expected IN->OUT, a kernel such as 3x3, "
                f"NAME=VALUE or a quantity: {', '.join(names())})",
                field="reference",
            )
    for name, value in (values or {}).items():
        settings.assign(str(name), value if not isinstance(value, str) else _value(value))
    chosen = chosen or "params"
    keep_set = set(keep) - settings.named_symbols()
    arguments = settings.layer_arguments(general, keep_set)
    layer = cls.from_spec(where, arguments, {})
    tensor = settings.tensor()
    row, checks = layer.bind(tensor, where)
    constraints = []
    for check in checks:
        if check.condition == sympy.false:
            raise check.fail()
        if check.condition != sympy.true:
            constraints.append(check.condition)
    named = settings.named_symbols()
    mapping = {s: v for s, v in row.values.items() if isinstance(s, sympy.Symbol)}
    named_values = {s: v for s, v in mapping.items() if s in named and s != v}
    defaults = {s: v for s, v in mapping.items() if s not in named and s != v}
    truth = read_quantity(row, chosen)
    label = f"{cls.torch_name} {meaning(chosen)}"
    if named_values:
        shown = ", ".join(f"{s} = {sympy.sstr(v)}" for s, v in named_values.items())
        label = f"{cls.torch_name} with {shown}: {meaning(chosen)}"
    return LayerQuantity(
        label=label,
        quantity=chosen,
        row=row,
        truth=truth,
        general=general,
        named=named_values,
        defaults=defaults,
        constraints=tuple(constraints),
    )


def _is_quantity(token: str) -> bool:
    name = token.lower().replace("#", "")
    if name in _QUANTITY_ALIASES:
        return True
    reference = parse_reference(name)
    return reference is not None and reference.layer is None


def quantity(reference: str, **values: Any) -> Expr:
    """The engine's value of a layer reference, with ``values`` named by notation symbol or
    PyTorch argument (numbers or expression text)."""
    return layer_quantity(reference, values).truth
