"""Recurrent layers: ``RNN``, ``LSTM`` and ``GRU``; their cells are in
:mod:`symcnn.layers.recurrent_cell`.

A recurrent layer has G gates (1 for RNN, 3 for GRU, 4 for LSTM: input, forget, cell and output).
Each gate has input weights (h × h_in), recurrent weights (h × H_out) and, in PyTorch, two bias
vectors of h: ``b_ih`` on the input product and ``b_hh`` on the recurrent one (cuDNN's layout; the
sum is what a textbook's single bias would be). Per stacked layer and direction::

    G·h·h_in + G·h·H_out + v·G·h·bias + h_p·h

with ``v = 2`` bias vectors, ``H_out = h_p`` (an LSTM's ``proj_size``) if projected, else ``h``,
and ``h_in`` the input's features for layer 0, ``N_d·H_out`` for the layers above it (they read
both directions). A cell is one layer, one direction, one step: ``G·h·h_in + G·h·h + v·G·h·bias``.
Source: PyTorch's ``RNNBase.__init__`` and ``RNNCellBase``, whose ``weight_ih_l{k}``,
``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` and ``weight_hr_l{k}`` these terms count.

One example's input is ``(l, h_in)`` (time steps, features; ``batch_first`` moves only the batch
axis, which an example has not); the output is the whole output sequence ``(l, N_d·H_out)``,
``module(x)[0]``. A cell's input is ``(h_in)`` and its output the next state ``(h)``.

Hooks for other conventions (Keras): the bias vectors per gate set are the symbol ``v``, bound by
:meth:`_Recurrent.bias_vectors`; whether the output is every step or only the last is
:meth:`_Recurrent.returns_sequences`. A subclass changes either without touching the formula.
Under ``convention: keras`` both read Keras's arguments: ``v = 1`` (SimpleRNN, LSTM,
``GRU(reset_after=False)``; 2 for Keras's default GRU) and ``return_sequences`` (default false:
the last step only); Keras's ``Bidirectional`` sets ``bidirectional`` and ``merge_mode``
(``concat`` doubles the width, ``sum``/``mul``/``ave`` keep it). Keras's names and keywords are
declared in :mod:`symcnn.layers.recurrent_keras`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import sympy

from ..errors import SpecError
from ..formula import Const, Group, Node, Sum, Sym, Textbook, Written, evaluate, plus, times
from ..prose import Inline, Math, Text, bias_phrase
from ..symbols import N_d, N_l, bias, h, h_in, h_p, l, v
from ._defaults import written_work
from ._relations import gt, lt
from .base import (
    KERAS,
    Check,
    Expr,
    Formula,
    Layer,
    Row,
    Tensor,
    Where,
    arg,
    require,
    with_values,
)

__all__ = ["GRU", "LSTM", "RNN"]

#: PyTorch's bias vectors per gate set: b_ih and b_hh
TORCH_BIAS_VECTORS = 2
#: Keras's (SimpleRNN, LSTM, GRU with reset_after=False): one bias on the input product
KERAS_BIAS_VECTORS = 1
#: how Keras's Bidirectional joins the two directions' outputs (None, a list of two, is refused)
MERGE_MODES = ("concat", "sum", "mul", "ave")

_GATE_NAMES = {
    1: "one gate (the new state)",
    3: "3 gates (reset r, update z, new n)",
    4: "4 gates (input i, forget f, cell g, output o)",
}


@dataclass(frozen=True)
class _Terms:
    """Which terms of the per-layer count to write: all of them for the formula, fewer for the
    wrong counts of the mistake catalogue (:meth:`_Recurrent.param_mistakes`)."""

    gates: int
    recurrent: bool = True
    projection: bool = True


def _one_layer(terms: _Terms, inputs: Node, state: Node, projected: bool) -> Sum:
    """``G·h·in + G·h·H_out + v·G·h·bias (+ h_p·h)``: one stacked layer, one direction."""
    gates = Const(terms.gates)
    parts: list[Node] = [times(gates, h, inputs)]
    if terms.recurrent:
        parts.append(times(gates, h, state))
    parts.append(times(v, gates, h, bias))
    if projected and terms.projection:
        parts.append(times(h_p, h))
    return plus(*parts)


@dataclass(frozen=True, kw_only=True)
class _Recurrent(Layer):
    """A stacked, maybe bidirectional recurrent layer (``torch.nn.RNN/LSTM/GRU``)."""

    #: what the cost counters count it as (symcnn.costs)
    cost_family: ClassVar[str] = "rnn"
    #: gates per layer: 1 (RNN), 3 (GRU), 4 (LSTM)
    gates: ClassVar[int]

    input_size: Expr | None = arg("size?", None, inferred=True)
    hidden_size: Expr = arg("size")
    num_layers: Expr = arg("size", 1)
    bias: Expr = arg("bias", True)
    batch_first: bool = arg("bool", False)
    dropout: float = arg("number", 0.0)
    bidirectional: bool = arg("bool", False)
    # Keras's arguments (convention: keras): the last step only unless return_sequences; how
    # Bidirectional joins its two directions
    return_sequences: bool = arg("bool", False, convention="keras")
    merge_mode: str = arg("text", "concat", convention="keras")

    formula_fields: ClassVar[tuple[str, ...]] = ("projected",)
    mistake_families: ClassVar[tuple[str, ...]] = ("recurrent",)
    choices: ClassVar = {"merge_mode": MERGE_MODES}

    # -- hooks for another framework's convention (see the module's docstring)

    def bias_vectors(self) -> int:
        """Bias vectors per gate set, the value of ``v``: PyTorch keeps two (b_ih and b_hh),
        Keras one."""
        return KERAS_BIAS_VECTORS if self.convention == KERAS else TORCH_BIAS_VECTORS

    def other_bias_vectors(self) -> int:
        """The other framework's ``v`` for the same layer: the count people bring from it."""
        return TORCH_BIAS_VECTORS + KERAS_BIAS_VECTORS - self.bias_vectors()

    def bias_note(self) -> str:
        """What ``v`` is in this convention, for the textbook's note."""
        if self.convention == KERAS:
            return "Keras: v = 1, one bias vector added to the input product"
        return "PyTorch: v = 2, b_ih added to the input product and b_hh to the recurrent one"

    def returns_sequences(self) -> bool:
        """Whether the output is every time step ``(l, N_d·H_out)`` (PyTorch's ``output``) or only
        the last one ``(N_d·H_out)`` (Keras's default, ``return_sequences: false``)."""
        return self.convention != KERAS or self.return_sequences

    # -- the formula

    @property
    def projected(self) -> bool:
        return bool(getattr(self, "proj_size", 0) != 0)

    def _state(self) -> Node:
        return Sym(h_p) if self.projected else Sym(h)

    def _params(self, terms: _Terms, values: Mapping[sympy.Basic, Expr] | None) -> Node:
        state = self._state()
        first = _one_layer(terms, Sym(h_in), state, self.projected)
        upper = _one_layer(terms, Group(times(N_d, state)), state, self.projected)
        single = values is not None and values.get(N_l) == 1
        one_way = values is not None and values.get(N_d) == 1
        first_layer: Node = Group(first) if one_way else times(N_d, Group(first))
        if single:
            return first if one_way else first_layer
        return plus(first_layer, times(Group(plus(N_l, ("-", 1))), N_d, Group(upper)))

    def _macs(self, values: Mapping[sympy.Basic, Expr] | None) -> Node:
        """Per time step, every weight matrix multiplies a vector once: the parameters without
        the biases, ``l`` times."""
        state = self._state()
        step = _one_layer(_Terms(self.gates), Sym(h_in), state, self.projected)
        upper = _one_layer(_Terms(self.gates), Group(times(N_d, state)), state, self.projected)
        no_bias = [
            Sum(tuple(term for term in part.terms if not _has_bias(term[1])))
            for part in (step, upper)
        ]
        first: Node = times(l, N_d, Group(no_bias[0]))
        if values is not None and values.get(N_l) == 1:
            return first
        return plus(first, times(l, Group(plus(N_l, ("-", 1))), N_d, Group(no_bias[1])))

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook:
        state = "h_p" if self.projected else "h"
        note = (
            f"{_GATE_NAMES[self.gates]}, each with input weights (h × h_in), recurrent weights "
            f"(h × {state}) and v bias vectors of h ({self.bias_note()})"
        )
        if self.projected:
            note += "; the projection weight_hr (h_p × h) maps the state to H_out = h_p"
        return Textbook(
            Written(self._params(_Terms(self.gates), values), note),
            macs=Written(self._macs(values)),
        )

    def formula(self, layout: str = "HWC") -> Formula:
        return self.textbook_formula(layout)

    def work(self, row: Row) -> dict[str, Expr]:
        """Every weight matrix times a vector at every time step (the textbook's MACs tree), and
        the ``v`` bias vectors added per gate set, step, layer and direction."""
        book = self.textbook()
        assert book.macs is not None
        gates = sympy.Integer(self.gates)
        bias_adds = l * N_l * N_d * v * gates * h * bias
        return {
            "macs": written_work(row, book.macs),
            "bias": bias_adds.xreplace(dict(row.values)),
        }

    # -- checks and binding

    def input_rank(self) -> tuple[int, ...]:
        return (2,)

    def validate(self, where: Where) -> None:
        if isinstance(self.dropout, bool) or not 0 <= self.dropout <= 1:
            raise SpecError(
                f"`dropout` = {self.dropout}: must be a probability between 0 and 1",
                where=where,
                field="dropout",
            )

    def output_size(self) -> Expr:
        """The features of each output step: ``N_d·H_out``."""
        size = self.hidden_size if not self.projected else self.proj_size  # type: ignore[attr-defined]
        if self.bidirectional and self.convention == KERAS and self.merge_mode != "concat":
            return size  # Keras's Bidirectional adds, multiplies or averages the two directions
        return (2 if self.bidirectional else 1) * size

    def bind(self, x: Tensor, where: Where) -> Any:
        row, checks = super().bind(x, where)
        steps = x.shape[0]
        shape = (steps, self.output_size()) if self.returns_sequences() else (self.output_size(),)
        return dataclasses.replace(row, output_shape=shape), checks

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        values: dict[Any, Expr] = {
            l: x.shape[0],
            h_in: x.shape[-1],
            h: self.hidden_size,
            N_l: self.num_layers,
            N_d: sympy.Integer(2 if self.bidirectional else 1),
            v: sympy.Integer(self.bias_vectors()),
            bias: self.bias,
        }
        if self.projected:
            values[h_p] = self.proj_size  # type: ignore[attr-defined]
        return values, self.agree(where, "input_size", self.input_size, x.shape[-1])

    # -- what the layer knows

    def describe(self) -> tuple[Inline, ...]:
        pieces: list[Inline] = [
            Text(f"{self.torch_name}, "),
            Math(self.hidden_size),
            Text(" hidden units"),
        ]
        if self.num_layers != 1:
            pieces += [Text(", "), Math(self.num_layers), Text(" stacked layers")]
        if self.bidirectional:
            pieces.append(Text(", bidirectional"))
        if self.projected:
            pieces += [Text(", projected to "), Math(self.proj_size)]  # type: ignore[attr-defined]
        return (*pieces, *bias_phrase(self.bias))

    def mistake_names(self) -> dict[str, Expr]:
        """For the catalogue's forms (data/mistakes.yaml, family ``recurrent``): the gates, the
        state's size (H_out), the layer-direction pairs and the projection's weights."""
        state = h_p if self.projected else h
        return {
            "gates": sympy.Integer(self.gates),
            "state": state,
            "stacks": N_l * N_d,
            "directions": N_d,
            "projection_weights": N_l * N_d * h_p * h if self.projected else sympy.Integer(0),
        }

    def _count(self, row: Row, terms: _Terms, changes: Mapping[Any, int] | None = None) -> Expr:
        return with_values(row, evaluate(self._params(terms, None)), changes or {})

    def param_mistakes(self, row: Row) -> list[tuple[str, Expr]]:
        mistakes = super().param_mistakes(row)
        if row.values.get(bias) == 1:
            other = self.other_bias_vectors()
            mistakes.append(
                (
                    _other_bias_title(other),
                    self._count(row, _Terms(self.gates), {v: other}),
                )
            )
        mistakes.append(
            (
                "forgetting the recurrent weights",
                self._count(row, _Terms(self.gates, recurrent=False)),
            )
        )
        if self.gates == 4:
            mistakes.append(("3 gates for an LSTM", self._count(row, _Terms(3))))
        if self.projected:
            mistakes.append(
                (
                    "forgetting the projection",
                    self._count(row, _Terms(self.gates, projection=False)),
                )
            )
        if self.bidirectional:
            mistakes.append(("counting one direction of a bidirectional layer", row.params / 2))
        return mistakes


def _other_bias_title(other: int) -> str:
    if other == TORCH_BIAS_VECTORS:
        return "two bias vectors per gate set (the PyTorch count)"
    return "one bias vector per gate set (the Keras count)"


def _has_bias(node: Node) -> bool:
    return bool(evaluate(node).has(bias))


@dataclass(frozen=True, kw_only=True)
class RNN(_Recurrent):
    """An Elman RNN, tanh or ReLU (``torch.nn.RNN``): one gate."""

    torch_name = "RNN"
    gates = 1
    choices: ClassVar = {"nonlinearity": ("tanh", "relu"), "merge_mode": MERGE_MODES}

    nonlinearity: str = arg("text", "tanh")


@dataclass(frozen=True, kw_only=True)
class GRU(_Recurrent):
    """A gated recurrent unit (``torch.nn.GRU``): 3 gates."""

    torch_name = "GRU"
    gates = 3
    formula_fields: ClassVar = ("projected", "reset_after")

    # Keras's GRU (convention: keras): reset_after (its default) keeps an input and a recurrent
    # bias vector, as PyTorch does; reset_after=False one
    reset_after: bool = arg("bool", True, convention="keras")

    def bias_vectors(self) -> int:
        if self.convention == KERAS and self.reset_after:
            return TORCH_BIAS_VECTORS
        return super().bias_vectors()

    def bias_note(self) -> str:
        if self.convention == KERAS and self.reset_after:
            return "Keras's GRU with reset_after: v = 2, an input and a recurrent bias vector"
        return super().bias_note()


@dataclass(frozen=True, kw_only=True)
class LSTM(_Recurrent):
    """A long short-term memory layer (``torch.nn.LSTM``): 4 gates, an optional projection."""

    cost_family: ClassVar[str] = "lstm"
    torch_name = "LSTM"
    gates = 4
    mistake_families: ClassVar = ("recurrent", "lstm")

    proj_size: Expr = arg("count", 0)

    def validate(self, where: Where) -> None:
        super().validate(where)
        if self.proj_size.is_number and self.hidden_size.is_number:
            if not self.proj_size < self.hidden_size:
                raise SpecError(
                    f"`proj_size` = {self.proj_size} must be smaller than `hidden_size` = "
                    f"{self.hidden_size} (0 for no projection)",
                    where=where,
                    field="proj_size",
                )

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[Any, Expr], list[Check]]:
        values, checks = super().bind_values(x, where)
        require(
            checks,
            where,
            "proj_size",
            lt(self.proj_size, self.hidden_size),
            lambda: (
                f"`proj_size` = {self.proj_size} must be smaller than `hidden_size` = "
                f"{self.hidden_size}"
            ),
        )
        if not self.proj_size.is_number:
            # the formula with a projection is chosen by the symbol; 0 would need the other one
            require(
                checks,
                where,
                "proj_size",
                gt(self.proj_size, 0),
                lambda: (
                    f"`proj_size` = {self.proj_size} is a symbol, so it must be positive "
                    "(write 0 for no projection)"
                ),
            )
        return values, checks
