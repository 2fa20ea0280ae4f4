"""The mistake catalogue: wrong formulas people write, as data with a source for each.

The entries live in ``symcnn/data/mistakes.yaml``. Each has wrong *forms* per layer family and
quantity, written in the notation with a few placeholders for parts of the layer's own formula
(``kernel`` is ``m·n`` for a 2-d layer, ``out_positions`` the product of the output sizes, ``macs``
the layer's own multiply-accumulates…), so one form covers Conv1d, Conv2d and Conv3d.
:func:`wrong_values` resolves them on a bound row, and :mod:`symcnn.check` compares a claim with
each.

>>> [mistake.id for mistake in CATALOGUE][:3]
['forgot-depth', 'dense-bias-once', 'bias-on-input-side']
>>> from symcnn.references import layer_quantity
>>> target = layer_quantity("linear 128->256 params")
>>> [(form.mistake.id, value) for form, value in wrong_values(target.row, "params")][:3]
[('dense-bias-once', 32769), ('bias-on-input-side', 32896), ('forgot-bias', 32768)]
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import sympy
import yaml

from .errors import ParseError, SymcnnError
from .formula import Expr
from .layers import LAYERS, Row
from .parse import parse_expression
from .symbols import NOTATION, axis_symbols

__all__ = [
    "CATALOGUE",
    "CONTEXT_NAMES",
    "FAMILIES",
    "Example",
    "Form",
    "Mistake",
    "family",
    "lookup",
    "wrong_values",
]

#: quantities whose forms are written for the width axis and apply to every axis
AXIS_QUANTITIES = ("output_size", "out_w", "out_h", "out_t")
PLACEHOLDERS = (
    "kernel",
    "padded_kernel",
    "strides",
    "in_positions",
    "out_positions",
    "params",
    "buffers",
    "macs",
    "out_elements",
)
#: quantities whose forms may use the cost placeholders (``macs``, ``out_elements``)
COST_QUANTITIES = ("macs", "flops")
#: names a form may use that come from the network around the row, not from the row itself (a
#: mistake made with a size from elsewhere in the network); a form using one applies only where
#: the caller gives them: the exam does (:func:`symcnn.exam.questions.network_context`), ``check``,
#: which sees one layer, does not
CONTEXT_NAMES = {
    "flat_channels": "the channels of the feature map that a flatten before the layer flattened",
    "input_positions": "the product of the network input's spatial sizes (H·W of the image)",
}


@dataclass(frozen=True)
class Form:
    """One wrong formula of a mistake, for one layer family and quantity."""

    mistake: Mistake
    family: str
    quantity: str
    formula: str
    any_nonzero: bool = False
    #: the :data:`CONTEXT_NAMES` the formula uses
    context: tuple[str, ...] = ()

    def applies(self, row: Row, quantity: str, context: Mapping[str, Expr] | None = None) -> bool:
        if self.family not in row.layer.mistake_families:
            return False
        if not set(self.context) <= set(context or {}):
            return False
        if self.quantity == "output_size":
            return quantity in AXIS_QUANTITIES
        return self.quantity == quantity

    def general(self, row: Row, quantity: str, context: Mapping[str, Expr] | None = None) -> Expr:
        """The wrong formula for ``row``'s layer, in the notation's symbols (not yet bound), with
        the network's ``context`` (:data:`CONTEXT_NAMES`) put in."""
        names = {**_placeholders(row), **(context or {})}
        if self.quantity in COST_QUANTITIES:
            names.update(_cost_placeholders(row))
        if self.quantity == "output_size":
            names.update(_axis_names(row, quantity))
        return parse_expression(self.formula, functools.partial(_resolve, names))

    def value(self, row: Row, quantity: str, context: Mapping[str, Expr] | None = None) -> Expr:
        """The wrong formula with the row's values, as the engine binds its own formula."""
        values = {s: v for s, v in row.values.items() if isinstance(s, sympy.Basic)}
        return self.general(row, quantity, context).xreplace(values)


@dataclass(frozen=True)
class Example:
    """A claim that exhibits a mistake: a formula or a number, and what it is checked against."""

    claim: str
    against: str
    values: Mapping[str, Any]


@dataclass(frozen=True, eq=False)
class Mistake:
    """One catalogued mistake."""

    id: str
    title: str
    explanation: str
    source: str
    forms: tuple[Form, ...]
    examples: tuple[Example, ...]

    def __repr__(self) -> str:
        return f"<Mistake {self.id}: {self.title}>"


def _resolve(names: Mapping[str, Expr], name: str) -> Expr:
    if name in names:
        return names[name]
    if name in NOTATION:
        return NOTATION[name].symbol
    raise ParseError(f"unknown name {name!r} in the mistake catalogue")


def _placeholders(row: Row) -> dict[str, Expr]:
    layer = row.layer
    dims = int(getattr(layer, "spatial_dims", 0))
    axes = axis_symbols(dims) if dims else ()
    general = layer.general_formula("HWC")
    shape = general.output_shape
    out_positions = sympy.Mul(*shape[:-1]) if shape is not None and len(shape) > 1 else sympy.S.One
    return {
        "kernel": sympy.Mul(*(a.kernel for a in axes)),
        "padded_kernel": sympy.Mul(*(a.kernel + 2 * a.padding for a in axes)),
        "strides": sympy.Mul(*(a.stride for a in axes)),
        "in_positions": sympy.Mul(*(a.size for a in axes)),
        "out_positions": out_positions,
        "params": general.params,
        "buffers": general.buffers,
        **layer.mistake_names(),
    }


def _cost_placeholders(row: Row) -> dict[str, Expr]:
    """``macs``: the multiply-accumulates of one application as the layer counts them (its
    textbook tree, ``Layer.work``); ``out_elements``: the elements of its output (H_out·W_out·k).
    Both are the row's own, already bound."""
    return {
        "macs": row.layer.work(row).get("macs", sympy.S.Zero),
        "out_elements": row.activation_size,
    }


def _axis_names(row: Row, quantity: str) -> dict[str, Expr]:
    """The width axis's names, mapped onto the axis ``quantity`` is about."""
    dims = int(getattr(row.layer, "spatial_dims", 0))
    wanted = {"out_h": "h", "out_t": "t"}.get(quantity, "w")
    for axis in axis_symbols(dims) if dims else ():
        if axis.size.name.lower() == wanted:
            return {
                "W": axis.size,
                "m": axis.kernel,
                "s_w": axis.stride,
                "z_w": axis.padding,
                "r_w": axis.dilation,
                "a_w": axis.output_padding,
            }
    return {}


def family(torch_name: str) -> str | None:
    """The first catalogue family of the layer with this PyTorch class name (``None``: none)."""
    layer = LAYERS.get(torch_name.lower())
    families = () if layer is None else layer.mistake_families
    return families[0] if families else None


def wrong_values(
    row: Row, quantity: str, context: Mapping[str, Expr] | None = None
) -> list[tuple[Form, Expr]]:
    """Every catalogued wrong form that applies to ``row``'s ``quantity``, with its bound value;
    the forms that need the network around the row apply when ``context`` gives what they use."""
    return [
        (form, form.value(row, quantity, context))
        for form in _forms()
        if form.applies(row, quantity, context)
    ]


def lookup(mistake_id: str) -> Mistake:
    """The catalogue entry with this id."""
    for mistake in CATALOGUE:
        if mistake.id == mistake_id:
            return mistake
    valid = ", ".join(mistake.id for mistake in CATALOGUE)
    raise SymcnnError(f"no mistake {mistake_id!r} in the catalogue (entries: {valid})")


def _forms() -> list[Form]:
    return [form for mistake in CATALOGUE for form in mistake.forms]


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SymcnnError(f"mistake catalogue: {where} needs a non-empty `{key}`")
    return " ".join(value.split())


def load_catalogue(
    document: Mapping[str, Any],
) -> tuple[dict[str, str], tuple[Mistake, ...]]:
    """Families (name → what it covers) and mistakes from a catalogue document (the parsed
    ``mistakes.yaml``)."""
    families = {str(name): str(covers) for name, covers in document["families"].items()}
    mistakes = []
    for index, entry in enumerate(document["mistakes"]):
        where = f"mistakes[{index}]"
        mistake = Mistake(
            id=_text(entry, "id", where),
            title=_text(entry, "title", where),
            explanation=_text(entry, "explanation", where),
            source=_text(entry, "source", where),
            forms=(),
            examples=tuple(
                Example(str(example["claim"]), str(example["against"]), example.get("values", {}))
                for example in entry.get("examples", ())
            ),
        )
        forms = []
        for raw in entry["forms"]:
            if raw["family"] not in families:
                raise SymcnnError(f"mistake catalogue: {where} names no family {raw['family']!r}")
            names = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", str(raw["formula"])))
            forms.append(
                Form(
                    mistake,
                    raw["family"],
                    raw["quantity"],
                    raw["formula"],
                    bool(raw.get("any_nonzero", False)),
                    tuple(name for name in CONTEXT_NAMES if name in names),
                )
            )
        object.__setattr__(mistake, "forms", tuple(forms))
        mistakes.append(mistake)
    return families, tuple(mistakes)


def _read() -> Mapping[str, Any]:
    text = resources.files("symcnn").joinpath("data/mistakes.yaml").read_text(encoding="utf-8")
    document: Mapping[str, Any] = yaml.safe_load(text)
    return document


FAMILIES, CATALOGUE = load_catalogue(_read())
