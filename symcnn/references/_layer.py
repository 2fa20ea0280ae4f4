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

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy
from sympy import Expr

from ..errors import SolveError, SpecError
from ..layers import Row, Where, lookup
from ._grammar import Reference, axis_index, names, parse_reference
from ._network import read_reference
from ._settings import _input_kind, _Settings

__all__ = [
    "LayerQuantity",
    "general_quantity",
    "layer_quantity",
    "quantity",
    "read_quantity",
]


#: words people write for a quantity in a layer reference
_QUANTITY_ALIASES = {"parameters": "params", "#params": "params", "weights_and_biases": "params"}
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


@dataclass(frozen=True)
class _Reference(Where):
    """Where a layer reference's errors come from: the reference itself."""

    def __str__(self) -> str:
        return f"{self.name!r} ({self.type})"


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
            kind = _input_kind(cls)
            inputs = {"features": "p", "sequence": "h_in", "tokens": "V"}
            settings.assign(inputs.get(kind, "d"), source)
            outputs = ("out_features", "c"), ("hidden_size", "h"), ("embedding_dim", "d_e")
            output = next((name for field, name in outputs if field in settings.fields), "k")
            settings.assign(output, target)
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
