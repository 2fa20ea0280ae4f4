"""The quantities symcnn computes, declared once: name, meaning, words, LaTeX and aggregation.

Every command that names a quantity (``solve`` targets, ``sweep --show``, ``check --quantity``,
``identities``, ``net.evaluate``) reads this registry, the way :mod:`sympy.physics.units` declares
a dimension once and every unit system reads it. A row (:class:`symcnn.layers.Row`) and a network
expose each quantity as an attribute of the same name, so a reader asks for
``getattr(obj, quantity.name)``; a quantity a network has no attribute for is formed from its
rows as ``aggregate`` says (:func:`symcnn.references.value_of`).

>>> lookup("params").meaning
'learnable parameters'
>>> [name for name, q in QUANTITIES.items() if q.shape]
['output_shape', 'input_shape', 'receptive_field']
>>> lookup("parms")
Traceback (most recent call last):
...
symcnn.errors.SpecError: unknown quantity 'parms'; did you mean 'params'? (quantities: ...)

This module is the lowest of the package: it imports only the standard library and
:mod:`symcnn.errors`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from .errors import SpecError

__all__ = ["AGGREGATES", "QUANTITIES", "Quantity", "lookup", "register"]

#: how a network's value of a quantity is formed: the sum of its rows', the output's, or neither
AGGREGATES = ("sum", "output", "none")


@dataclass(frozen=True)
class Quantity:
    """One quantity: what it is called and means, and how a network's value is formed."""

    name: str
    #: one line, for docs and ``--help``
    meaning: str
    #: the quantity in words, as workings write it
    text: str
    latex: str
    #: ``sum`` (of the rows), ``output`` (the output's) or ``none`` (the network's own)
    aggregate: str
    #: a per-axis tuple (``output_shape``) rather than one number
    shape: bool = False
    #: costs count every application of a shared layer; weights count once
    per_application: bool = False
    #: a cost of computation, counted by a counter (:mod:`symcnn.costs`), not part of a summary
    #: unless asked for (``--costs``)
    cost: bool = False
    #: shown only when asked for (``summary --receptive-field``), not in a default evaluate
    on_request: bool = False

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise SpecError(f"a quantity's name must be an identifier, got {self.name!r}")
        if self.aggregate not in AGGREGATES:
            raise SpecError(
                f"quantity {self.name!r}: aggregate must be one of {', '.join(AGGREGATES)}, "
                f"got {self.aggregate!r}"
            )


#: every quantity by name, in the order documentation lists them
QUANTITIES: dict[str, Quantity] = {}


def register(quantity: Quantity) -> Quantity:
    """Add ``quantity`` to the registry (replacing one of the same name) and return it."""
    QUANTITIES[quantity.name] = quantity
    return quantity


def lookup(name: str) -> Quantity:
    """The quantity called ``name``; the error lists the valid names and suggests the nearest."""
    quantity = QUANTITIES.get(name)
    if quantity is not None:
        return quantity
    near = difflib.get_close_matches(str(name), list(QUANTITIES), n=1)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    raise SpecError(
        f"unknown quantity {name!r}{hint} (quantities: {', '.join(QUANTITIES)})",
        field="quantity",
    )


register(Quantity("params", "learnable parameters", "parameters", r"\text{parameters}", "sum"))
register(Quantity("buffers", "buffers (running statistics)", "buffers", r"\text{buffers}", "sum"))
register(
    Quantity(
        "output_shape",
        "the output's size along each axis",
        "output shape",
        r"\text{output shape}",
        "output",
        shape=True,
    )
)
register(
    Quantity(
        "input_shape",
        "the input's size along each axis",
        "input shape",
        r"\text{input shape}",
        "none",
        shape=True,
    )
)
register(
    Quantity(
        "activation_size",
        "elements of the output (one example)",
        "activation size",
        r"\text{activation size}",
        "output",
        per_application=True,
    )
)
register(
    Quantity(
        "total_activations",
        "elements of every layer's output, summed (one example)",
        "total activations",
        r"\text{total activations}",
        "sum",
        per_application=True,
    )
)
register(
    Quantity(
        "input_size",
        "elements of the input (one example)",
        "input size",
        r"\text{input size}",
        "none",
    )
)
# Keras's split of the parameters (model.count_params() = trainable + non-trainable). Under the
# torch convention every parameter is trainable (non_trainable = 0) and BatchNorm's running
# statistics stay buffers; under keras they are BatchNormalization's 2C non-trainable parameters.
register(
    Quantity(
        "trainable",
        "parameters an optimizer trains (params less non_trainable)",
        "trainable parameters",
        r"\text{trainable parameters}",
        "sum",
    )
)
register(
    Quantity(
        "non_trainable",
        "parameters not trained: Keras's moving mean and variance (0 under torch)",
        "non-trainable parameters",
        r"\text{non-trainable parameters}",
        "sum",
    )
)
register(
    Quantity(
        "macs",
        "multiply-accumulates of one forward pass, one example (the default counter, torch)",
        "multiply-accumulates",
        r"\text{MACs}",
        "sum",
        per_application=True,
        cost=True,
    )
)
register(
    Quantity(
        "flops",
        "floating-point operations of one forward pass, one example (the default counter)",
        "FLOPs",
        r"\text{FLOPs}",
        "sum",
        per_application=True,
        cost=True,
    )
)
register(
    Quantity(
        "param_bytes",
        "bytes of the learnable parameters, float32 (summary --memory: other dtypes)",
        "parameter bytes",
        r"\text{parameter bytes}",
        "none",
        cost=True,
    )
)
register(
    Quantity(
        "activation_bytes",
        "bytes of every layer's output, one forward pass, one example, float32",
        "activation bytes",
        r"\text{activation bytes}",
        "none",
        per_application=True,
        cost=True,
    )
)
# the side of the input region one output position reads, per spatial axis of the input (the
# Distill recurrence, symcnn/receptive.py); a tuple like output_shape, one entry per input axis
register(
    Quantity(
        "receptive_field",
        "the side of the input region one output position reads, per spatial axis",
        "receptive field",
        r"\text{receptive field}",
        "output",
        shape=True,
        per_application=True,
        on_request=True,
    )
)
