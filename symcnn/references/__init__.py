"""References: how a user names a quantity, and the values they name.

One grammar (:mod:`._grammar`), built from the registry (:mod:`symcnn.quantities`):
``[LAYER.]QUANTITY[INDEX]`` — ``params``, ``output_shape[-1]``, ``CONV2.params``,
``layers[2].output_shape[0]``, ``layer1.0.conv1.params``. Two readers use it:

- on a network (:func:`network_quantity`): totals, shapes, a layer's own, and expressions of them,
  for ``solve`` targets, ``sweep`` columns and :meth:`symcnn.Network.evaluate`;
- on one layer built from a short description (:func:`quantity`, :func:`layer_quantity`):
  ``conv2d.params``, ``linear 128->256 params``, for ``check`` and ``identities``.

>>> quantity("linear 128->256 params")
33024
"""

from __future__ import annotations

from ._grammar import ALIASES, Alias, Reference, axis_index, names, parse_reference
from ._layer import (
    LayerQuantity,
    general_quantity,
    layer_quantity,
    meaning,
    quantity,
    read_quantity,
)
from ._network import (
    Reading,
    check_value,
    find_row,
    layer_quantities,
    network_quantity,
    parse_number_text,
    read_reference,
    resolver,
    row_cost,
    value_of,
    values_table,
)

__all__ = [
    "ALIASES",
    "Alias",
    "LayerQuantity",
    "Reading",
    "Reference",
    "axis_index",
    "check_value",
    "find_row",
    "general_quantity",
    "layer_quantities",
    "layer_quantity",
    "meaning",
    "names",
    "network_quantity",
    "parse_number_text",
    "parse_reference",
    "quantity",
    "read_quantity",
    "read_reference",
    "resolver",
    "row_cost",
    "value_of",
    "values_table",
]
