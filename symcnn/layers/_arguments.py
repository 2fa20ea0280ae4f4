"""Layer arguments: how a spec's raw values become exact SymPy values, with errors that name the
layer (:class:`Where`), the field, the value and what would be valid.

A layer declares each argument with :func:`arg` and a *kind* (``size``, ``sizes``, ``padding``,
``bias``, ``text``...); :func:`coerce` turns a raw value of that kind into the layer's value.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy

from ..errors import ParseError, SpecError, describe
from ..formula import Expr
from ..parse import ExactFloat, check_digits, parse_expression
from ..symbols import user_symbol

__all__ = ["Where", "arg", "coerce"]

ZERO = sympy.Integer(0)
ONE = sympy.Integer(1)


@dataclass(frozen=True)
class Where:
    """Where a layer sits in a network, for error messages: ``layers[2] 'CONV2' (Conv2d)``."""

    index: int
    name: str
    type: str

    def __str__(self) -> str:
        if self.type == "input":  # the spec's input shape, not a layer
            return "input"
        if not self.name:  # a layer whose type is not known yet and that has no name
            return f"layers[{self.index}]"
        return f"layers[{self.index}] {self.name!r} ({self.type})"


def arg(
    kind: str,
    default: Any = dataclasses.MISSING,
    *,
    inferred: bool = False,
    convention: str | None = None,
) -> Any:
    """A layer argument: ``kind`` says how spec values are coerced (see :func:`coerce`).

    ``inferred`` marks sizes that come from the input (in_channels, in_features, num_features...):
    they may be omitted and, if given, must agree with the inferred value. ``convention`` marks an
    argument that exists only under that counting convention (``keras``: BatchNormalization's
    ``center``); it must have a default.
    """
    metadata: dict[str, Any] = {"kind": kind, "inferred": inferred}
    if convention is not None:
        metadata["convention"] = convention
    if default is dataclasses.MISSING:
        return field(metadata=metadata)
    return field(default=default, metadata=metadata)


_describe = describe


class _Coercer:
    """Turns raw spec values into exact SymPy values, with errors that name the field."""

    def __init__(self, where: Where, name: str, raw: Any, symbols: dict[str, Expr]):
        self.where = where
        self.name = name
        self.raw = raw
        self.symbols = symbols

    def fail(self, reason: str, value: Any = None) -> SpecError:
        """An error naming the field and its value; ``value`` is what the text evaluated to,
        when symbols in it were given values (``bias`` = 'b' (= 2))."""
        shown = _describe(self.raw)
        if value is not None and describe(value) != shown:
            shown += f" (= {describe(value)})"
        return SpecError(f"`{self.name}` = {shown}: {reason}", where=self.where, field=self.name)

    def parse(self, text: str, symbol: Any) -> Expr:
        """Parse spec text safely; a syntax error names the layer and the field."""
        try:
            return parse_expression(text, symbol)
        except ParseError as error:
            raise ParseError(f"{self.where}: `{self.name}`: {error}") from None

    def symbol(self, name: str, nonnegative: bool = False, flag: bool = False) -> Expr:
        """The symbol (or, when the network is being evaluated, the value) a name stands for.

        A new name is a positive integer, or a nonnegative one where it stands for a padding or
        a bias flag; a bias flag's name may not also be a size.
        """
        existing = self.symbols.get(name)
        if existing is None:
            existing = self.symbols[name] = user_symbol(name, nonnegative=nonnegative or flag)
        elif flag and isinstance(existing, sympy.Symbol) and existing.is_positive:
            raise self.fail(f"symbol `{name}` is used both as a bias flag (0 or 1) and as a size")
        return existing

    def number(self, value: Any, minimum: int) -> Expr:
        what = "a positive integer" if minimum == 1 else "a nonnegative integer"
        if isinstance(value, bool) or value is None:
            raise self.fail(f"must be {what}")
        if isinstance(value, float):
            exact = value.exact if isinstance(value, ExactFloat) else None
            if not value.is_integer() or (exact is not None and exact.denominator != 1):
                raise self.fail(f"must be {what} (sizes are whole numbers)")
            value = int(value)
        if isinstance(value, int):
            try:
                check_digits(value, "the number")
            except ParseError as error:
                raise self.fail(str(error)) from None
            expr: Expr = sympy.Integer(value)
        elif isinstance(value, str):
            # a symbol first met as a padding may be 0; one met as a size is at least 1
            expr = self.parse(value, lambda name: self.symbol(name, nonnegative=minimum == 0))
        elif isinstance(value, sympy.Basic):
            loose = sorted(
                str(s) for s in value.free_symbols if not (s.is_integer and s.is_nonnegative)
            )
            if loose:
                raise self.fail(
                    f"must be {what}; the symbol {loose[0]} may be any number (give it integer "
                    f"assumptions: sympy.Symbol({loose[0]!r}, integer=True, positive=True), or "
                    "write the size as text)"
                )
            expr = value
        else:
            raise self.fail(f"must be {what}")
        got = f" ({value!r} is {expr})" if isinstance(value, str) and str(expr) != value else ""
        if expr.is_number:
            if not expr.is_integer:
                raise self.fail(f"must be {what}, not the fraction {expr}{got}")
            if expr < minimum:
                raise self.fail(f"must be {what}{got}")
        elif expr.free_symbols and expr.is_integer is False:
            raise self.fail(f"must be {what}")
        return expr

    def sizes(self, count: int, minimum: int) -> tuple[Expr, ...]:
        value = self.raw
        if isinstance(value, list | tuple):
            if len(value) != count:
                raise self.fail(f"needs {count} value{'s' * (count != 1)}, one per spatial axis")
            return tuple(self.number(item, minimum) for item in value)
        if isinstance(value, str) and _AXES_TEXT.fullmatch(value):
            # "3x3" or "5×5×3" in a per-axis field is one size per axis, as the textbooks write
            # kernels, not the product 9
            parts = re.split(r"[x×*]", value.replace(" ", ""))
            if len(parts) != count:
                raise self.fail(f"needs {count} value{'s' * (count != 1)}, one per spatial axis")
            return tuple(self.number(int(part), minimum) for part in parts)
        return (self.number(value, minimum),) * count


_AXES_TEXT = re.compile(r"\s*\d+(?:\s*[x×]\s*\d+)+\s*")


def coerce(kind: str, raw: Any, spatial_dims: int, coercer: _Coercer) -> Any:
    """Coerce ``raw`` (a spec value) to the argument kind ``kind``."""
    if kind == "size":
        return coercer.number(raw, 1)
    if kind == "count":
        return coercer.number(raw, 0)
    if kind == "size?":
        return None if raw is None else coercer.number(raw, 1)
    if kind == "sizes":
        return coercer.sizes(spatial_dims, 1)
    if kind == "sizes?":
        return None if raw is None else coercer.sizes(spatial_dims, 1)
    if kind == "counts":
        if isinstance(raw, str) and raw.strip().lower() in ("same", "valid"):
            raise coercer.fail(
                "'same' and 'valid' are paddings of Conv1d/2d/3d only; give numbers"
            )
        return coercer.sizes(spatial_dims, 0)
    if kind == "padding":
        if isinstance(raw, str) and raw.strip().lower() in ("same", "valid"):
            return raw.strip().lower()
        return coercer.sizes(spatial_dims, 0)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw)
        raise coercer.fail("must be true or false")
    if kind == "bias":
        if isinstance(raw, bool):
            return ONE if raw else ZERO
        if isinstance(raw, str):
            stripped = raw.strip().lower()
            if stripped in ("true", "false"):
                return ONE if stripped == "true" else ZERO
            if stripped in ("yes", "no", "on", "off"):
                # YAML 1.1 read these as booleans; symcnn reads YAML 1.2, where they are text
                raise coercer.fail("must be true, false, 0, 1 or a symbol (write true or false)")
            expr = coercer.parse(raw, lambda name: coercer.symbol(name, flag=True))
        elif isinstance(raw, int):
            expr = sympy.Integer(raw)
        else:
            raise coercer.fail("must be true, false, 0, 1 or a symbol")
        if expr.is_number and expr not in (ZERO, ONE):
            raise coercer.fail("must be true, false, 0, 1 or a symbol", expr)
        return expr
    if kind == "number?" and raw is None:
        return None
    if kind in ("number", "number?"):
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise coercer.fail("must be a number")
        if isinstance(raw, float) and not math.isfinite(raw):
            raise coercer.fail("must be a finite number")
        return raw
    if kind == "text":
        if not isinstance(raw, str):
            raise coercer.fail("must be text")
        return raw
    if kind == "int?" and raw is None:
        return None
    if kind in ("int", "int?"):  # a plain integer such as a dim index; may be negative
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise coercer.fail("must be an integer")
        return raw
    if kind == "shape":  # an int or a list of sizes (LayerNorm's normalized_shape)
        items = raw if isinstance(raw, list | tuple) else [raw]
        if not items:
            raise coercer.fail("must list at least one size")
        return tuple(coercer.number(item, 1) for item in items)
    if kind == "shape?":  # adaptive output_size: sizes where None keeps the input's size
        items = raw if isinstance(raw, list | tuple) else [raw] * spatial_dims
        if len(items) != spatial_dims:
            raise coercer.fail(f"needs {spatial_dims} values, one per spatial axis")
        return tuple(None if item is None else coercer.number(item, 1) for item in items)
    if kind in ("integers", "extents"):
        # an integer or a list of integers of any sign, kept apart (PyTorch broadcasts an int but
        # takes a list as given): a padding may crop, a size of -1 is inferred. A new symbol is a
        # count (``integers``: paddings) or a size (``extents``: sizes)

        def integer(item: Any) -> Expr:
            if isinstance(item, int) and not isinstance(item, bool):
                return sympy.Integer(item)
            if isinstance(item, str | sympy.Basic):
                return coercer.number(item, 0 if kind == "integers" else 1)
            raise coercer.fail("must be an integer or a list of integers")

        if isinstance(raw, list | tuple):
            return tuple(integer(item) for item in raw)
        return integer(raw)
    if kind == "scales":  # a number or a list of numbers, exact as written: 1.5 is 3/2

        def scale(item: Any) -> Expr:
            if isinstance(item, bool) or not isinstance(item, int | float):
                raise coercer.fail("must be a number or a list of numbers")
            if isinstance(item, float) and not math.isfinite(item):
                raise coercer.fail("must be a finite number")
            if isinstance(item, ExactFloat):
                return sympy.Rational(item.exact.numerator, item.exact.denominator)
            return sympy.Rational(str(item))

        if isinstance(raw, list | tuple):
            return tuple(scale(item) for item in raw)
        return scale(raw)
    raise AssertionError(f"unknown argument kind {kind!r}")  # a bug in a layer class


#: Keras keywords of the weighted layers that change no count: how weights start, are penalized
#: or bounded, and the activation applied after the layer
KERAS_WEIGHT_KEYWORDS = (
    "activation",
    "kernel_initializer",
    "bias_initializer",
    "kernel_regularizer",
    "bias_regularizer",
    "activity_regularizer",
    "kernel_constraint",
    "bias_constraint",
)


def keras_padding(value: Any, where: Where) -> str:
    """Keras's ``padding`` of a convolution: ``'valid'`` or ``'same'`` (no numbers)."""
    if isinstance(value, str) and value.strip().lower() in ("same", "valid"):
        return value.strip().lower()
    raise SpecError(
        f"`padding` = {value!r}: Keras's padding is 'valid' or 'same' (for numbers, put a "
        "ZeroPadding layer before)",
        where=where,
        field="padding",
    )


@dataclass(frozen=True)
class KerasFace:
    """How Keras writes one of the layer classes, for ``convention: keras`` (the registry of
    faces is :mod:`symcnn.layers.keras`; a family's module declares its faces as ``KERAS_FACES``).

    ``keywords`` maps each Keras keyword to the layer's field it sets; ``convert`` turns a Keras
    value into the field's (``padding: ((1, 2), (3, 4))`` into PyTorch's flat tuple), by Keras
    keyword; ``defaults`` are the layer's fields whose Keras default differs from PyTorch's;
    ``ignored`` are Keras keywords that change no count (``activation``, initializers...);
    ``required`` the Keras keywords Keras's constructor cannot do without; ``torch`` how
    PyTorch writes the layer, when that is not the layer class's own name. ``expand`` is a
    wrapper's hook (``Bidirectional(layer)``): given the entry's keywords it returns the face and
    keywords that count, a nested layer config expanded into fields.
    """

    name: str
    layer: type  # the symcnn layer class (symcnn.layers.base.Layer)
    keywords: Mapping[str, str] = field(default_factory=dict)
    convert: Mapping[str, Callable[[Any, Where], Any]] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    torch: str = ""
    expand: Callable[[Mapping[str, Any], Where], tuple[KerasFace, dict[str, Any]]] | None = None

    @property
    def torch_name(self) -> str:
        """PyTorch's name (or way of writing) the layer."""
        return self.torch or str(getattr(self.layer, "torch_name", ""))
