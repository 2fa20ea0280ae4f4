"""The one way a user names a quantity: ``[LAYER.]QUANTITY[INDEX]``.

``params``, ``output_shape[-1]``, ``CONV2.params``, ``layers[2].output_shape[0]``,
``layer1.0.conv1.params``: the quantity names come from the registry
(:data:`symcnn.quantities.QUANTITIES`), so a quantity registered there is accepted everywhere a
reference is read. Layer names may contain dots and digits. The older spellings of one output axis
(``out_w``, ``out_h``, ``out_t``, ``output_size``) are aliases for ``output_shape[i]``, where ``i``
is that axis's position in the layer's output.

>>> parse_reference("layer1.0.conv1.output_shape[0]")
Reference(layer='layer1.0.conv1', name='output_shape', index=0)
>>> parse_reference("params").layer is None
True
>>> parse_reference("CONV1.out_w").quantity.name
'output_shape'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..quantities import QUANTITIES, Quantity, lookup

__all__ = [
    "ALIASES",
    "Alias",
    "Reference",
    "axis_index",
    "names",
    "parse_reference",
    "reference_pattern",
]


@dataclass(frozen=True)
class Alias:
    """An older name for one spatial axis of a registry quantity (``out_w``: the width axis)."""

    name: str
    quantity: str
    axis: str
    meaning: str


ALIASES: dict[str, Alias] = {
    alias.name: alias
    for alias in (
        Alias(
            "output_size",
            "output_shape",
            "w",
            "output size along the width axis (the last spatial axis)",
        ),
        Alias("out_w", "output_shape", "w", "output size along the width axis"),
        Alias("out_h", "output_shape", "h", "output size along the height axis"),
        Alias(
            "out_t",
            "output_shape",
            "t",
            "output size along the third spatial axis (depth or time)",
        ),
    )
}


def names() -> list[str]:
    """Every name a reference may use for a quantity: the registry's, then the aliases."""
    return [*QUANTITIES, *ALIASES]


@dataclass(frozen=True)
class Reference:
    """A parsed reference: the layer (``None`` for the network), the name as written, the index."""

    layer: str | None
    name: str
    index: int | None = None

    @property
    def alias(self) -> Alias | None:
        return ALIASES.get(self.name)

    @property
    def quantity(self) -> Quantity:
        alias = self.alias
        return lookup(alias.quantity if alias is not None else self.name)


def _alternation() -> str:
    # longest first, so that ``output_shape`` is never read as a shorter name it starts with
    return "|".join(re.escape(name) for name in sorted(names(), key=len, reverse=True))


def reference_pattern(layers: str = r".+") -> re.Pattern[str]:
    """The regular expression of one reference, with ``layers`` the pattern of a layer's name."""
    return re.compile(
        rf"(?:(?P<layer>{layers})\.)?(?P<name>{_alternation()})(?:\[(?P<index>-?\d+)\])?"
    )


def parse_reference(text: str) -> Reference | None:
    """``text`` as a reference, or ``None`` when it is not one (an expression, a symbol)."""
    match = reference_pattern().fullmatch(text.strip())
    if match is None:
        return None
    index = match.group("index")
    layer, name = match.group("layer"), match.group("name")
    return Reference(layer, name, None if index is None else int(index))


def axis_index(rank: int, layout: str, axis: str) -> int | None:
    """Where spatial axis ``axis`` (``w``, ``h``, ``t``) sits in a shape of ``rank`` axes laid out
    as ``layout`` (``HWC`` or ``CHW``); ``None`` when the shape has no such axis."""
    spatial = rank - 1 if rank > 1 else 0
    letters = ("t", "h", "w")[3 - spatial :] if 0 < spatial <= 3 else ()
    if axis not in letters:
        return None
    position = letters.index(axis)
    return position if layout == "HWC" else position + 1
