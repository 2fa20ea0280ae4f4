"""Recurrent cells: ``RNNCell``, ``LSTMCell`` and ``GRUCell``, one step of one recurrent layer.

A cell is one layer, one direction, one step of :mod:`symcnn.layers.recurrent`'s formula, with
the same gate terms: ``G·h·h_in + G·h·h + v·G·h·bias`` (G = 1, 4, 3 gates; v = 2 bias vectors in
PyTorch, ``b_ih`` and ``b_hh``). Source: PyTorch's ``RNNCellBase``, whose ``weight_ih``,
``weight_hh``, ``bias_ih`` and ``bias_hh`` these terms count. A cell's input is ``(h_in)`` and
its output the next state ``(h)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..formula import Sum, Sym, Textbook, Written, evaluate
from ..prose import Inline, Math, Text, bias_phrase
from ..symbols import bias, h, h_in, v
from ._defaults import written_work
from .base import Check, Expr, Formula, Layer, Row, Tensor, Where, arg, with_values
from .recurrent import _GATE_NAMES, TORCH_BIAS_VECTORS, _has_bias, _one_layer, _Terms

__all__ = ["GRUCell", "LSTMCell", "RNNCell"]


@dataclass(frozen=True, kw_only=True)
class _Cell(Layer):
    """One step of one recurrent layer (``torch.nn.RNNCell/LSTMCell/GRUCell``)."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = "rnn_cell"
    gates: ClassVar[int]

    input_size: Expr | None = arg("size?", None, inferred=True)
    hidden_size: Expr = arg("size")
    bias: Expr = arg("bias", True)

    formula_fields: ClassVar = ()
    mistake_families: ClassVar[tuple[str, ...]] = ("recurrent",)

    def bias_vectors(self) -> int:
        """Bias vectors per gate set, the value of ``v``: PyTorch keeps two (b_ih and b_hh)."""
        return TORCH_BIAS_VECTORS

    def _params(self, terms: _Terms) -> Sum:
        return _one_layer(terms, Sym(h_in), Sym(h), projected=False)

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        note = (
            f"{_GATE_NAMES[self.gates]}, each with input weights (h × h_in), recurrent weights "
            "(h × h) and v bias vectors of h (PyTorch: v = 2, b_ih and b_hh)"
        )
        step = _one_layer(_Terms(self.gates), Sym(h_in), Sym(h), projected=False)
        macs = Sum(tuple(term for term in step.terms if not _has_bias(term[1])))
        return Textbook(Written(self._params(_Terms(self.gates)), note), macs=Written(macs))

    def formula(self, layout: str = "HWC") -> Formula:
        return self.textbook_formula(layout)

    def work(self, row: Row) -> dict[str, Expr]:
        """The input and recurrent products of one step, and the bias vectors added."""
        book = self.textbook()
        assert book.macs is not None
        bias_adds = v * sympy.Integer(self.gates) * h * bias
        return {
            "macs": written_work(row, book.macs),
            "bias": bias_adds.xreplace(dict(row.values)),
        }

    def input_rank(self) -> tuple[int, ...]:
        return (1,)

    def bind(self, x: Tensor, where: Where) -> Any:
        row, checks = super().bind(x, where)
        return dataclasses.replace(row, output_shape=(self.hidden_size,)), checks

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        values: dict[Any, Expr] = {
            h_in: x.shape[-1],
            h: self.hidden_size,
            v: sympy.Integer(self.bias_vectors()),
            bias: self.bias,
        }
        return values, self.agree(where, "input_size", self.input_size, x.shape[-1])

    def describe(self) -> tuple[Inline, ...]:
        pieces: list[Inline] = [
            Text(f"{self.torch_name}, "),
            Math(self.hidden_size),
            Text(" hidden units, one step"),
        ]
        return (*pieces, *bias_phrase(self.bias))

    def mistake_names(self) -> dict[str, Expr]:
        """For the catalogue's forms: one layer, one direction, no projection."""
        one = sympy.Integer(1)
        return {
            "gates": sympy.Integer(self.gates),
            "state": h,
            "stacks": one,
            "directions": one,
            "projection_weights": sympy.Integer(0),
        }

    def param_mistakes(self, row: Row) -> list[tuple[str, Expr]]:
        mistakes = super().param_mistakes(row)
        general = evaluate(self._params(_Terms(self.gates)))
        if row.values.get(bias) == 1:
            mistakes.append(
                (
                    "one bias vector per gate set (the Keras count)",
                    with_values(row, general, {v: 1}),
                )
            )
        no_recurrent = evaluate(self._params(_Terms(self.gates, recurrent=False)))
        mistakes.append(("forgetting the recurrent weights", with_values(row, no_recurrent, {})))
        if self.gates == 4:
            mistakes.append(("3 gates for an LSTM", with_values(row, general * 3 / 4, {})))
        return mistakes


@dataclass(frozen=True, kw_only=True)
class RNNCell(_Cell):
    """One step of an Elman RNN (``torch.nn.RNNCell``)."""

    torch_name = "RNNCell"
    gates = 1
    choices: ClassVar = {"nonlinearity": ("tanh", "relu")}

    nonlinearity: str = arg("text", "tanh")


@dataclass(frozen=True, kw_only=True)
class LSTMCell(_Cell):
    """One step of an LSTM (``torch.nn.LSTMCell``): 4 gates."""

    torch_name = "LSTMCell"
    gates = 4
    mistake_families: ClassVar = ("recurrent", "lstm")


@dataclass(frozen=True, kw_only=True)
class GRUCell(_Cell):
    """One step of a GRU (``torch.nn.GRUCell``): 3 gates."""

    torch_name = "GRUCell"
    gates = 3
