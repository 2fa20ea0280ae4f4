"""Named identities between layer formulas, each proved by the engine and checked on numbers.

An :class:`Identity` states that two lists of expressions are equal. Its sides are built from the
engine's own formulas (:func:`~symcnn.references.quantity`), so proving it (:meth:`Identity.prove`:
the difference, normalized, is 0) is a statement about symcnn's layers, not about formulas typed
here. Checking it (:meth:`Identity.check`) substitutes small values drawn at random and, where the
identity has an ``example``, also builds the two sides as real networks with :func:`symcnn.load`.

>>> identity = IDENTITIES["pointwise-conv-is-dense"]
>>> identity.lhs[0], identity.rhs[0]
(k*(bias + d), k*(bias + d))
>>> identity.prove(), identity.check(samples=5).failures
(True, ())

Add your own with :func:`register` (or a YAML file, :func:`load_identities`)::

    register(Identity(
        name="conv1d-is-conv2d-of-height-1",
        statement="A Conv1d has the parameters of a Conv2d whose kernel is 1 high.",
        lhs=(quantity("conv1d.params"),),
        rhs=(quantity("conv2d.params", n=1),),
    ))
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sympy

from ._identity_examples import (
    bias_example,
    full_kernel_example,
    grouped_example,
    inverse_example,
    pointwise_example,
    same_example,
    separable_example,
    stacked_example,
    strides_example,
    transposed_example,
)
from ._loading import load_text, read_file_text
from ._recurrent_examples import directions_example, gates_example, keras_example, keras_sides
from .check import normalize
from .errors import SpecError, SymcnnError, describe
from .parse import parse_expression
from .references import quantity
from .symbols import NOTATION, bias

__all__ = [
    "IDENTITIES",
    "Identity",
    "Outcome",
    "load_identities",
    "quantity",
    "register",
]

from .formula import Expr

Values = Mapping[sympy.Symbol, int]
#: computes the two sides on concrete networks, for one assignment of the identity's symbols
Example = Callable[[Values], tuple[Sequence[Any], Sequence[Any]]]


def _symbol(name: str) -> sympy.Symbol:
    return NOTATION[name].symbol


def _as_expr(value: Any, name: str) -> Expr:
    """A side of an identity: a SymPy expression or an integer (never text: use
    :func:`~symcnn.parse.parse_expression` for that)."""
    if isinstance(value, sympy.Basic):
        return value  # type: ignore[return-value]
    if isinstance(value, int) and not isinstance(value, bool):
        return sympy.Integer(value)
    raise SymcnnError(
        f"identity {name!r}: a side must be a SymPy expression or an integer, "
        f"not {type(value).__name__}"
    )


@dataclass(frozen=True)
class Outcome:
    """What checking an identity on numbers found: how many assignments were tried, and the ones
    where the two sides (or the networks) disagreed."""

    tried: int
    failures: tuple[dict[str, Any], ...] = ()

    @property
    def ok(self) -> bool:
        return self.tried > 0 and not self.failures


@dataclass(frozen=True)
class Identity:
    """``lhs[i] == rhs[i]`` for every ``i``, for all values of the symbols that satisfy
    ``condition`` (beyond the symbols' own assumptions) and ``minimum`` (lower bounds)."""

    name: str
    statement: str
    lhs: tuple[Expr, ...]
    rhs: tuple[Expr, ...]
    condition: sympy.Basic = sympy.true
    minimum: Mapping[sympy.Symbol, int] = field(default_factory=dict)
    example: Example | None = field(default=None, compare=False, repr=False)
    source: str = ""
    #: further symbols the example needs that the sides do not show (a kernel that cancels out)
    sampled: tuple[sympy.Symbol, ...] = ()

    def __post_init__(self) -> None:
        lhs = self.lhs if isinstance(self.lhs, tuple | list) else (self.lhs,)
        rhs = self.rhs if isinstance(self.rhs, tuple | list) else (self.rhs,)
        if len(lhs) != len(rhs) or not lhs:
            raise SymcnnError(
                f"identity {self.name!r}: the two sides need the same number of parts"
            )
        object.__setattr__(self, "lhs", tuple(_as_expr(side, self.name) for side in lhs))
        object.__setattr__(self, "rhs", tuple(_as_expr(side, self.name) for side in rhs))

    @property
    def symbols(self) -> list[sympy.Symbol]:
        free: set[sympy.Basic] = {*self.condition.free_symbols, *self.minimum, *self.sampled}
        for side in (*self.lhs, *self.rhs):
            free |= side.free_symbols
        order = {name: index for index, name in enumerate(NOTATION)}
        return sorted(
            (s for s in free if isinstance(s, sympy.Symbol)),
            key=lambda s: (order.get(s.name, len(order)), s.name),
        )

    def prove(self) -> bool:
        """Whether every part's difference normalizes to 0 (see :func:`symcnn.check.normalize`)."""
        return all(
            normalize(left - right) == 0 for left, right in zip(self.lhs, self.rhs, strict=True)
        )

    def check(self, samples: int = 25, seed: int = 0) -> Outcome:
        """Substitute ``samples`` random small assignments (and build the example networks)."""
        rng = random.Random(f"{seed}:{self.name}")
        symbols = self.symbols
        tried = 0
        failures: list[dict[str, Any]] = []
        attempts = 0
        while tried < samples and attempts < samples * 40:
            attempts += 1
            drawn = {s: self._draw(rng, s) for s in symbols}
            values = {s: sympy.Integer(v) for s, v in drawn.items()}
            if self.condition.xreplace(values) == sympy.false:
                continue
            left = [side.xreplace(values) for side in self.lhs]
            right = [side.xreplace(values) for side in self.rhs]
            if any(not value.is_number for value in (*left, *right)):
                continue
            built: tuple[Sequence[Any], Sequence[Any]] | None = None
            if self.example is not None:
                try:
                    built = self.example(drawn)
                except SymcnnError:
                    continue  # not a valid configuration for the networks: draw again
            tried += 1
            shown = {s.name: v for s, v in drawn.items()}
            if left != right:
                failures.append({"values": shown, "lhs": left, "rhs": right})
            elif built is not None:
                net_left = [_as_expr(v, self.name) for v in built[0]]
                net_right = [_as_expr(v, self.name) for v in built[1]]
                if net_left != left or net_right != right:
                    failures.append(
                        {
                            "values": shown,
                            "lhs": left,
                            "rhs": right,
                            "network_lhs": net_left,
                            "network_rhs": net_right,
                        }
                    )
        return Outcome(tried, tuple(failures))

    def _draw(self, rng: random.Random, symbol: sympy.Symbol) -> int:
        low = self.minimum.get(symbol)
        if symbol == bias:
            return rng.randint(0, 1)
        if low is None:
            low = 1 if symbol.is_positive else 0
        return rng.randint(low, low + 6)


#: every registered identity by name, the built-in ones first
IDENTITIES: dict[str, Identity] = {}


def register(identity: Identity, *, replace: bool = False) -> Identity:
    """Add an identity to :data:`IDENTITIES` (and so to ``symcnn identities``)."""
    if identity.name in IDENTITIES and not replace:
        raise SymcnnError(f"an identity named {identity.name!r} is already registered")
    IDENTITIES[identity.name] = identity
    return identity


# ----------------------------------------------------------------------------------- built-in


def _builtin() -> list[Identity]:
    d, k, c, m, n, g, N = (_symbol(s) for s in ("d", "k", "c", "m", "n", "g", "N"))
    H, W = _symbol("H"), _symbol("W")
    divides = sympy.And(sympy.Eq(sympy.Mod(d, g), 0), sympy.Eq(sympy.Mod(k, g), 0))
    two_threes = quantity("conv2d.out_w", m=3, W=quantity("conv2d.out_w", m=3))
    two_threes_h = quantity("conv2d.out_h", n=3, H=quantity("conv2d.out_h", n=3))
    bias_layers = ("conv1d", "conv2d", "conv3d", "convtranspose2d", "linear", "layernorm")
    transposed_size = quantity("convtranspose1d.output_size", s_w="s_w", z_w="z_w", r_w="r_w")
    strided = quantity("conv1d.output_size", m=1, s_w="s_h")
    keras_counts, torch_less_biases = keras_sides()
    return [
        Identity(
            "pointwise-conv-is-dense",
            "A 1×1 convolution is a dense layer applied at every position: Conv2d(d → k, 1×1) "
            "has the parameters of Linear(p = d → c = k) and keeps the H×W positions.",
            lhs=(
                quantity("conv2d.params", m=1, n=1),
                quantity("conv2d.out_h", n=1),
                quantity("conv2d.out_w", m=1),
            ),
            rhs=(quantity("linear.params", p="d", c="k"), H, W),
            example=pointwise_example,
            source="PyTorch's Conv2d and Linear documentation",
        ),
        Identity(
            "full-kernel-conv-is-dense",
            "A convolution whose kernel covers the whole input (m = W, n = H) has the parameters "
            "of a dense layer on the flattened input (p = H·W·d, c = k), and a 1×1×k output.",
            lhs=(
                quantity("conv2d.params", m="W", n="H"),
                quantity("conv2d.out_h", n="H"),
                quantity("conv2d.out_w", m="W"),
            ),
            rhs=(quantity("linear.params", p="H*W*d", c="k"), 1, 1),
            example=full_kernel_example,
            source="the fully convolutional view of dense layers (Long, Shelhamer and Darrell, "
            "2015)",
        ),
        Identity(
            "depthwise-separable",
            "Depthwise-separable = depthwise + pointwise: Conv2d(d → d, m×n, groups = d) then "
            "Conv2d(d → k, 1×1) has d·(m·n + k) + bias·(d + k) parameters, and 1/k + 1/(m·n) of "
            "the full m×n convolution's weights.",
            lhs=(
                quantity("conv2d.params", k="d", g="d") + quantity("conv2d.params", m=1, n=1),
                (
                    quantity("conv2d.params", k="d", g="d", bias=0)
                    + quantity("conv2d.params", m=1, n=1, bias=0)
                )
                / quantity("conv2d.params", bias=0),
            ),
            rhs=(d * (m * n + k) + bias * (d + k), 1 / k + 1 / (m * n)),
            example=separable_example,
            source="A. Howard et al., MobileNets (2017), section 3.1",
        ),
        Identity(
            "grouped-conv-weights",
            "A grouped convolution has 1/g of the weights: g times the weights of "
            "Conv2d(d → k, groups = g) are those of Conv2d(d → k).",
            lhs=(g * quantity("conv2d.params", g="g", bias=0),),
            rhs=(quantity("conv2d.params", bias=0),),
            condition=divides,
            example=grouped_example,
            source="PyTorch's Conv2d documentation (weight [k, d/g, n, m])",
        ),
        Identity(
            "stacked-3x3-see-5x5",
            "Two stacked 3×3 convolutions (stride 1) see a 5×5 field like one 5×5 convolution — "
            "the same output size — with 18·d² weights against 25·d² (d → d → d, no bias).",
            lhs=(
                two_threes,
                two_threes_h,
                2 * quantity("conv2d.params", m=3, n=3, k="d", bias=0),
                quantity("conv2d.params", m=5, n=5, k="d", bias=0),
            ),
            rhs=(
                quantity("conv2d.out_w", m=5),
                quantity("conv2d.out_h", n=5),
                18 * d**2,
                25 * d**2,
            ),
            minimum={W: 5, H: 5},
            example=stacked_example,
            source="K. Simonyan and A. Zisserman, Very Deep Convolutional Networks (2014), "
            "section 2.3",
        ),
        Identity(
            "transposed-conv-is-swapped-conv",
            "A transposed convolution has the parameters of the convolution with in and out "
            "swapped: ConvTranspose2d(d → k) holds the weights of Conv2d(k → d), m·n·d·k/g; "
            "only the bias differs, following each layer's own output (bias·(k − d)).",
            lhs=(
                quantity("convtranspose2d.params", g="g", bias=0),
                quantity("convtranspose2d.params", g="g")
                - quantity("conv2d.params", d="k", k="d", g="g"),
            ),
            rhs=(quantity("conv2d.params", d="k", k="d", g="g", bias=0), bias * (k - d)),
            condition=divides,
            example=transposed_example,
            source="PyTorch's ConvTranspose2d documentation (weight [d, k/g, n, m], bias [k])",
        ),
        Identity(
            "bias-adds-output-units",
            "bias = 1 minus bias = 0 is the number of output units: k for Conv1d/2d/3d and "
            "ConvTranspose2d, c for Linear, N for LayerNorm.",
            lhs=tuple(
                quantity(f"{name}.params", bias=1) - quantity(f"{name}.params", bias=0)
                for name in bias_layers
            ),
            rhs=(k, k, k, k, c, N),
            example=bias_example,
            source="PyTorch: one bias per output channel, neuron or normalized element",
        ),
        Identity(
            "same-padding-keeps-size",
            "'same' padding at stride 1 keeps the size: with z = r·(m − 1)/2 the output is "
            "⌊(W + 2z − r·(m − 1) − 1)/1⌋ + 1 = W, for any kernel and dilation.",
            lhs=(
                quantity("conv2d.out_w", padding="same", r_w="r_w"),
                quantity("conv2d.out_h", padding="same", r_h="r_h"),
            ),
            rhs=(W, H),
            example=same_example,
            sampled=tuple(_symbol(s) for s in ("d", "m", "n", "r_w", "r_h")),
            source="PyTorch's Conv2d documentation (padding='same')",
        ),
        Identity(
            "strides-multiply",
            "Strides multiply, whatever the rounding: a window of stride a, then one of stride b, "
            "give the output size of one window of stride a·b — the floor normal form "
            "⌊(⌊x/a⌋ + c)/b⌋ = ⌊(x + a·c)/(a·b)⌋ for integer x and c, positive integers a and b "
            "(docs/floors.md), by which symcnn keeps a strided size one floor at any depth.",
            lhs=(quantity("conv1d.output_size", m=1, s_w="s_w", W=strided),),
            rhs=(quantity("conv1d.output_size", m=1, s_w="s_h*s_w"),),
            example=strides_example,
            sampled=(W, _symbol("s_h"), _symbol("s_w")),
            source="R. Graham, D. Knuth and O. Patashnik, Concrete Mathematics (1994), (3.11); "
            "PyTorch's Conv1d documentation",
        ),
        Identity(
            "conv-inverts-transposed-size",
            "A convolution undoes a transposed convolution's size map: with the same kernel, "
            "stride, padding and dilation (and output_padding 0), Conv1d applied to "
            "ConvTranspose1d's output gives back W.",
            lhs=(
                quantity("conv1d.output_size", W=transposed_size, s_w="s_w", z_w="z_w", r_w="r_w"),
            ),
            rhs=(W,),
            condition=sympy.Ge(transposed_size, 1),
            example=inverse_example,
            source="PyTorch's ConvTranspose1d documentation: its output size is the inverse of "
            "Conv1d's",
        ),
        Identity(
            "lstm-is-four-rnns",
            "An LSTM has the parameters of 4 RNNs of the same sizes (4 gates), a GRU of 3.",
            lhs=(quantity("lstm.params"), quantity("gru.params")),
            rhs=(4 * quantity("rnn.params"), 3 * quantity("rnn.params")),
            example=gates_example,
            source="PyTorch's RNNBase: gate_size = 4·h (LSTM), 3·h (GRU), h (RNN)",
        ),
        Identity(
            "bidirectional-is-two-layers",
            "A bidirectional recurrent layer has twice the parameters of one direction.",
            lhs=tuple(quantity(f"{n}.params", bidirectional=True) for n in ("lstm", "gru", "rnn")),
            rhs=tuple(2 * quantity(f"{n}.params") for n in ("lstm", "gru", "rnn")),
            example=directions_example,
            source="PyTorch's RNNBase: every layer's weights once per direction (_reverse)",
        ),
        Identity(
            "keras-lstm-is-torch-minus-4h",
            "A Keras LSTM has 4h parameters fewer than PyTorch's per layer and direction (one "
            "bias vector per gate set, not b_ih and b_hh): GRU(reset_after=False) 3h, SimpleRNN "
            "h; Keras's default GRU (reset_after=True) keeps PyTorch's two.",
            lhs=keras_counts,
            rhs=torch_less_biases,
            example=keras_example,
            source="Keras 3's SimpleRNNCell, LSTMCell and GRUCell (one bias of G·units; GRU's "
            "reset_after a (2, 3·units) one); PyTorch's RNNBase (bias_ih and bias_hh)",
        ),
    ]


for _identity in _builtin():
    register(_identity)


# ----------------------------------------------------------------------------------- from data


def _side(raw: Any, where: str) -> Expr:
    if isinstance(raw, bool):
        raise SpecError(f"{where}: a side must be a formula, a number or a quantity")
    if isinstance(raw, int):
        return sympy.Integer(raw)
    if isinstance(raw, str):
        return parse_expression(raw, lambda name: _notation(name))
    if isinstance(raw, Mapping) and "sum" in raw:
        parts = raw["sum"]
        if not isinstance(parts, list):
            raise SpecError(f"{where}: `sum` must list the terms")
        return sympy.Add(*(_side(part, where) for part in parts))
    if isinstance(raw, Mapping) and "quantity" in raw:
        values = raw.get("set") or {}
        if not isinstance(values, Mapping):
            raise SpecError(f"{where}: `set` must map names to values")
        return quantity(str(raw["quantity"]), **{str(key): value for key, value in values.items()})
    raise SpecError(
        f"{where}: a side must be a formula, a number, {{quantity: ..., set: {{...}}}} or "
        "{sum: [...]}"
    )


def _notation(name: str) -> sympy.Symbol:
    if name not in NOTATION:
        from .errors import ParseError

        raise ParseError(f"unknown name {name!r} (the notation's names: {', '.join(NOTATION)})")
    return NOTATION[name].symbol


def load_identities(source: str | Path | Mapping[str, Any]) -> list[Identity]:
    """Identities from a YAML file (or its parsed mapping)::

        identities:
          - name: pointwise-is-dense
            statement: A 1x1 conv has the parameters of a dense layer.
            lhs: {quantity: conv2d.params, set: {m: 1, n: 1}}
            rhs: {quantity: linear.params, set: {p: d, c: k}}
            minimum: {W: 5}          # optional lower bounds for the numeric check

    A side is a formula in the notation, a number, a quantity with values, or ``{sum: [...]}``.
    Nothing in the file is executed.
    """
    if isinstance(source, Mapping):
        document: Any = source
    else:
        path = Path(source)
        document = load_text(read_file_text(path, "identities file"), repr(str(path)))
    try:
        return _identities(document)
    except RecursionError:
        raise SpecError("the identities are nested too deeply to read") from None


def _identities(document: Any) -> list[Identity]:
    entries = document.get("identities") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        raise SpecError("an identities file needs a list under `identities`")
    identities = []
    for index, entry in enumerate(entries):
        where = f"identities[{index}]"
        if not isinstance(entry, Mapping):
            raise SpecError(f"{where} must be a mapping with name, statement, lhs and rhs")
        for key in ("name", "lhs", "rhs"):
            if key not in entry:
                raise SpecError(f"{where} has no `{key}`")
        for key in ("name", "statement", "source"):
            value = entry.get(key, "")
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise SpecError(f"{where}: `{key}` = {describe(value)} must be text")
        minimum = entry.get("minimum") or {}
        if not isinstance(minimum, Mapping) or not all(
            isinstance(value, int) and not isinstance(value, bool) for value in minimum.values()
        ):
            raise SpecError(f"{where}: `minimum` must map names to integers")
        bounds = {}
        for name, value in minimum.items():
            symbol = _notation(str(name))
            low = 1 if symbol.is_positive else 0
            if value < low:
                raise SpecError(
                    f"{where}: `minimum` {name} = {value}: {name} is at least {low} already"
                )
            bounds[symbol] = value
        identities.append(
            Identity(
                name=str(entry["name"]),
                statement=str(entry.get("statement", "")),
                lhs=(_side(entry["lhs"], f"{where}.lhs"),),
                rhs=(_side(entry["rhs"], f"{where}.rhs"),),
                minimum=bounds,
                source=str(entry.get("source", "")),
            )
        )
    return identities


def statuses(
    identities: Iterable[Identity], samples: int = 25
) -> list[tuple[Identity, bool, Outcome]]:
    """Each identity with whether it is proved and how its numeric check went."""
    return [(identity, identity.prove(), identity.check(samples)) for identity in identities]
