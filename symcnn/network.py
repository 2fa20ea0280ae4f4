"""A network: layers composed in order, each bound to the previous layer's output.

The composition loop only substitutes values into small per-layer formulas (``xreplace``) and
builds sums with one ``Add``; it never simplifies. Totals are formulas in the spec's symbols.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Self

import sympy
from sympy.core.evalf import PrecisionExhausted

from .costs import DEFAULT as DEFAULT_COUNTER
from .costs import lookup as lookup_counter
from .costs import row_costs
from .costs._memory import DEFAULT_DTYPE, DEFAULT_OPTIMIZER
from .costs._memory import memory as memory_of
from .errors import SolveError, SpecError
from .graph import Group, compose
from .layers import Check, Row
from .layers.base import Expr
from .quantities import QUANTITIES, lookup
from .receptive import attach as with_receptive_fields
from .spec import normalize, read_spec
from .symbols import user_symbol

if TYPE_CHECKING:
    pass

__all__ = ["Network"]

#: what :meth:`Network.evaluate` computes unless told otherwise: every network total the quantity
#: registry declares
EVALUATED = tuple(
    name for name, q in QUANTITIES.items()
    if q.aggregate != "none" and not q.cost and not q.on_request
)


def _distinct(checks: list[Check]) -> list[Check]:
    """Checks with the same condition listed once (a square input repeats each one per axis), and
    of the lower bounds on one symbol (``H ≥ 5``, ``H ≥ 16``: what the floor normal form makes of
    a chain's sizes, :func:`symcnn.floors.bound`) only the strongest, which implies the others."""
    strongest: dict[sympy.Basic, Check] = {}
    for check in checks:
        least = _lower_bound(check.condition)
        if least is not None:
            symbol, value = least
            known = strongest.get(symbol)
            if known is None or value > _lower_bound(known.condition)[1]:  # type: ignore[index]
                strongest[symbol] = check
    seen: set[sympy.Basic] = set()
    kept = []
    for check in checks:
        least = _lower_bound(check.condition)
        if least is not None and strongest[least[0]] is not check:
            continue
        if check.condition not in seen:
            seen.add(check.condition)
            kept.append(check)
    return kept


def _values(
    values: Mapping[str | sympy.Symbol, Any], lookup: Any
) -> dict[str, Expr]:
    """Given values by name: numbers, SymPy expressions, or expression text parsed by the safe
    parser (:mod:`symcnn.parse`), whose names ``lookup`` turns into symbols."""
    from .parse import parse_expression

    table: dict[str, Expr] = {}
    for key, value in values.items():
        name = key.name if isinstance(key, sympy.Symbol) else str(key)
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, str):
            # a value may bring new symbols of its own: W = 2*w
            expr = parse_expression(value, lookup)
        elif isinstance(value, int | sympy.Basic):
            expr = sympy.Integer(value) if isinstance(value, int) else value
        else:
            raise SpecError(f"value of `{name}` must be a number or an expression, got {value!r}")
        table[name] = expr
    return table


class _Looked(dict):  # type: ignore[type-arg]
    """The composer's table of symbols, remembering which names the spec looked up."""

    def __init__(self, values: Mapping[str, Expr]):
        super().__init__(values)
        self.looked: set[str] = set()

    def get(self, key: Any, default: Any = None) -> Any:
        self.looked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: Any) -> Any:
        self.looked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: Any) -> bool:
        self.looked.add(key)
        return super().__contains__(key)


def _lower_bound(condition: sympy.Basic) -> tuple[sympy.Basic, sympy.Integer] | None:
    """``(H, 16)`` for the condition ``H ≥ 16``; ``None`` for any other condition."""
    if isinstance(condition, sympy.GreaterThan) and condition.rhs.is_Integer:
        if isinstance(condition.lhs, sympy.Symbol):
            return condition.lhs, condition.rhs
    return None


@dataclass(frozen=True)
class Network:
    """A network built from a normalized spec (see :func:`symcnn.load`)."""

    spec: Mapping[str, Any] = field(repr=False)
    name: str | None
    layout: str
    input_shape: tuple[Expr, ...]
    rows: tuple[Row, ...]
    #: conditions on symbols that must hold for the network to be valid (checked once known)
    conditions: tuple[Check, ...]
    #: the spec's symbols by name
    symbols: Mapping[str, sympy.Symbol] = field(repr=False)
    #: totals in a chosen form (see :meth:`rewrite`); a total not here is the sum of the rows
    totals: Mapping[str, Expr] = field(default_factory=dict, repr=False, compare=False)
    #: the values given so far by name (see :meth:`subs`), so that substitutions compose
    given: Mapping[str, Expr] = field(default_factory=dict, repr=False)
    #: every input's shape by name (``input`` for a spec with one)
    inputs: Mapping[str, tuple[Expr, ...]] = field(default_factory=dict, repr=False)
    #: the block uses, in the spec's order, each with the rows it covers
    groups: tuple[Group, ...] = field(default=(), repr=False)
    #: the qualified name of the entry that is the network's output
    output: str = field(default="", repr=False)
    output_shape: tuple[Expr, ...] = field(default=(), repr=False)
    #: each counter's row costs, once computed (the network is immutable)
    cost_cache: dict[str, dict[str, tuple[Expr, Expr]]] = field(
        default_factory=dict, repr=False, compare=False
    )
    #: what may be wrong with the spec although it is valid (an input in PyTorch's order
    #: without ``layout: CHW``); the CLI prints them on stderr
    warnings: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def build(cls, spec: Mapping[str, Any], values: Mapping[str, Expr] | None = None) -> Self:
        """Compose the layers of a normalized spec; ``values`` replace the named symbols."""
        try:
            return cls._build(spec, values)
        except RecursionError:
            # conv/pool chains stay one floor (symcnn.floors); only sizes no identity collapses
            # (upsampling by 3 then a stride 2, hundreds of times) can nest past SymPy's recursion
            raise SpecError(
                "the sizes of this network nest floors past Python's recursion limit (roundings "
                "the floor normal form cannot collapse); give the input size a value (--set)"
            ) from None
        except PrecisionExhausted:
            # SymPy cannot decide a condition on sizes the floor normal form could not collapse
            # (symcnn.floors): say so rather than show its traceback
            raise SpecError(
                "SymPy cannot decide the sizes of this network symbolically (a size rounded "
                "more than once); give the input size a value (--set)"
            ) from None

    @classmethod
    def build_with(cls, spec: Mapping[str, Any], values: Mapping[str | sympy.Symbol, Any]) -> Self:
        """Compose a normalized spec with ``values`` (numbers, expressions or expression text)
        in place from the start, so that a given size never passes through a symbolic form: 120
        stride-2 poolings of ``H = 2^121`` are computed on numbers. A name the spec does not use
        is refused, as :meth:`subs` refuses it."""
        table = _values(values, lambda name: user_symbol(name))
        used = _Looked(table)
        network = cls.build(spec, used)
        unknown = sorted(set(table) - used.looked)
        if unknown:
            known = ", ".join(sorted({*network.symbols, *used.looked} - set(table))) or "none"
            raise SolveError(
                f"unknown symbol{'s' * (len(unknown) > 1)} {', '.join(unknown)} "
                f"(this network's symbols: {known})"
            )
        return network

    @classmethod
    def _build(cls, spec: Mapping[str, Any], values: Mapping[str, Expr] | None = None) -> Self:
        table: dict[str, Expr] = values if isinstance(values, _Looked) else dict(values or {})
        built = compose(spec, table)
        if isinstance(values, _Looked):
            values = dict(values)
        symbols = {name: value for name, value in table.items() if isinstance(value, sympy.Symbol)}
        given = values or {}
        symbols = {name: s for name, s in symbols.items() if name not in given}
        for value in given.values():
            symbols.update({s.name: s for s in value.free_symbols if isinstance(s, sympy.Symbol)})
        return cls(
            spec=spec,
            name=spec.get("name"),
            layout=spec["layout"],
            input_shape=next(iter(built.inputs.values())),
            rows=with_receptive_fields(built.rows, built.inputs, spec["layout"]),
            conditions=tuple(_distinct(built.pending)),
            symbols=symbols,
            given=dict(given),
            inputs=built.inputs,
            groups=tuple(built.groups),
            output=built.output,
            output_shape=built.output_shape,
            warnings=tuple(spec.get("warnings", ())),
        )

    @property
    def convention(self) -> str:
        """Whose names and counts: ``torch`` (the default) or ``keras`` (see docs/keras.md)."""
        return str(self.spec.get("convention", "torch"))

    # -- totals

    def summary(self) -> list[Row]:
        """One row per layer: name, type, output shape, activation size, parameters, buffers."""
        return list(self.rows)

    @property
    def params(self) -> Expr:
        """Total learnable parameters."""
        if "params" in self.totals:
            return self.totals["params"]
        return sympy.Add(*(row.params * row.multiplicity for row in self.rows))

    @property
    def buffers(self) -> Expr:
        """Total non-learnable state (running statistics), in elements."""
        if "buffers" in self.totals:
            return self.totals["buffers"]
        return sympy.Add(*(row.buffers * row.multiplicity for row in self.rows))

    @property
    def input_size(self) -> Expr:
        return sympy.Mul(*self.input_shape)

    @property
    def activation_size(self) -> Expr:
        """Elements of the network's output (one example)."""
        return sympy.Mul(*self.output_shape)

    @property
    def total_activations(self) -> Expr:
        """Elements of every layer's output, summed (one example)."""
        if "total_activations" in self.totals:
            return self.totals["total_activations"]
        return sympy.Add(*(row.activation_size * row.multiplicity for row in self.rows))

    # -- costs (see symcnn.costs): every application counted, only what the output depends on

    def costs(self, counter: str = DEFAULT_COUNTER) -> dict[str, Expr]:
        """The network's ``macs`` and ``flops`` under ``counter`` (``torch``, ``fvcore``,
        ``ptflops`` or ``torchinfo``).

        >>> import symcnn
        >>> net = symcnn.load({"input": [32, 32, 3], "layers": [
        ...     {"type": "conv2d", "out_channels": 8, "kernel_size": 5}]})
        >>> net.costs()
        {'macs': 470400, 'flops': 940800}
        """
        per_row = self.row_costs(counter)
        times = {row.name: row.multiplicity for row in self.rows}
        return {
            "macs": sympy.Add(*(macs * times[name] for name, (macs, _) in per_row.items())),
            "flops": sympy.Add(*(flops * times[name] for name, (_, flops) in per_row.items())),
        }

    def row_costs(self, counter: str = DEFAULT_COUNTER) -> dict[str, tuple[Expr, Expr]]:
        """Each row's (MACs, FLOPs) under ``counter`` for one application, by name: a shared
        layer's application counts, a row the output does not read costs 0 (totals multiply by a
        symbolic repeat's ``L``)."""
        cached = self.cost_cache.get(counter)
        if cached is None:
            cached = self.cost_cache[counter] = row_costs(
                self.rows, self.output, lookup_counter(counter)
            )
        return cached

    @property
    def macs(self) -> Expr:
        """Multiply-accumulates of one forward pass, one example (the ``torch`` counter)."""
        return self.costs()["macs"]

    @property
    def flops(self) -> Expr:
        """FLOPs of one forward pass, one example (``torch``: FlopCounterMode's number)."""
        return self.costs()["flops"]

    # -- memory (see symcnn.costs._memory): bytes for a dtype, per example or for a batch

    def memory(
        self,
        dtype: str = DEFAULT_DTYPE,
        optimizer: str = DEFAULT_OPTIMIZER,
        batch: int | str | sympy.Expr = 1,
    ) -> dict[str, Expr]:
        """Bytes of the parameters, buffers, input and one forward pass's activations for
        ``dtype``, and the training estimate for ``optimizer``, for ``batch`` examples (a number
        or a symbol's name, ``"N"``).

        >>> import symcnn
        >>> net = symcnn.load({"input": [32, 32, 3], "layers": [
        ...     {"type": "conv2d", "out_channels": 8, "kernel_size": 5}]})
        >>> net.memory(batch="N")["activation_bytes"]
        25088*N
        """
        return memory_of(self, dtype, optimizer, batch)

    @property
    def param_bytes(self) -> Expr:
        """Bytes of the learnable parameters, float32."""
        return memory_of(self)["param_bytes"]

    @property
    def activation_bytes(self) -> Expr:
        """Bytes of every layer's output in one forward pass, one example, float32."""
        return memory_of(self)["activation_bytes"]

    def total(self, name: str) -> Any:
        """The network's value of the registry's quantity ``name``, aggregated over the rows as
        the registry says: a sum (each row times its multiplicity) or the output's value."""
        quantity = lookup(name)
        if name in self.totals:
            return self.totals[name]
        if quantity.aggregate == "sum":
            return sympy.Add(*(getattr(row, name) * row.multiplicity for row in self.rows))
        if quantity.aggregate == "output":
            for row in reversed(self.rows):
                if row.name == self.output:
                    return getattr(row, name)
            raise SolveError(f"{name} is a quantity of layers; the output is an input")
        raise SolveError(f"{name} is not a total of a network")

    def __getattr__(self, name: str) -> Any:
        # a quantity added to the registry is a network total without a property here
        if not name.startswith("_") and name in QUANTITIES:
            return self.total(name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def free_symbols(self) -> set[sympy.Symbol]:
        return set(self.symbols.values())

    def __getitem__(self, key: int | str) -> Row:
        """A row by position or by qualified name (``net["layer1.0.conv1"]``)."""
        if isinstance(key, int):
            return self.rows[key]
        for row in self.rows:
            if row.name == key:
                return row
        names = [row.name for row in self.rows]
        near = difflib.get_close_matches(str(key), names, n=1)
        hint = f"; did you mean {near[0]!r}?" if near else ""
        raise KeyError(f"no layer named {key!r}{hint}")

    def __len__(self) -> int:
        """The number of rows (blocks unrolled)."""
        return len(self.rows)

    # -- evaluation

    def subs(self, values: Mapping[str | sympy.Symbol, Any] | None = None, **named: Any) -> Self:
        """The network with some symbols given values (numbers, expressions or expression text).

        The layers are rebuilt from the spec with the values in place, so every check that waited
        for a symbol runs now, and rows and totals come out exact.

        >>> import symcnn
        >>> net = symcnn.load({"input": ["H", "H", 3], "layers": [
        ...     {"type": "conv2d", "out_channels": "k", "kernel_size": 5}]})
        >>> net.params
        76*k
        >>> small = net.subs(H=32, k=8)
        >>> small.params, small.output_shape
        (608, (28, 28, 8))
        >>> net.subs(H="2*w").subs(w=16).subs(k=8).output_shape
        (28, 28, 8)
        """
        merged: dict[str, Any] = {}
        for key, value in {**(values or {}), **named}.items():
            merged[key.name if isinstance(key, sympy.Symbol) else str(key)] = value
        unknown = sorted(set(merged) - set(self.symbols))
        if unknown:
            known = ", ".join(sorted(self.symbols)) or "none"
            raise SolveError(
                f"unknown symbol{'s' * (len(unknown) > 1)} {', '.join(unknown)} "
                f"(this network's symbols: {known})"
            )
        table = _values(merged, lambda n: self.symbols.get(n) or user_symbol(n))
        # values given earlier stay given, with the new values substituted into them
        by_symbol = {self.symbols[name]: expr for name, expr in table.items()}
        combined = {name: value.xreplace(by_symbol) for name, value in self.given.items()}
        combined.update(table)
        return type(self).build(self.spec, combined)

    def _symbol(self, name: str) -> sympy.Symbol:
        if name not in self.symbols:
            raise SolveError(
                f"unknown symbol {name} (this network's symbols: "
                f"{', '.join(sorted(self.symbols)) or 'none'})"
            )
        return self.symbols[name]

    def __repr__(self) -> str:
        shape = ", ".join(map(str, self.input_shape))
        return (
            f"<Network {self.name or ''} input=[{shape}] layers={len(self.rows)} "
            f"params={self.params}>"
        )


def load(
    source: Any, values: Mapping[str, Any] | None = None, convention: str | None = None
) -> Network:
    """The core network of a dict, a .yaml/.yml/.json path, or YAML/JSON text (what the modules
    below the public facade use; :func:`symcnn.load` gives the public :class:`symcnn.Network`).

    >>> net = load({"input": [32, 32, 3], "layers": [
    ...     {"type": "conv2d", "out_channels": 8, "kernel_size": 5}]})
    >>> net.params, net.output_shape
    (608, (28, 28, 8))
    """
    spec = normalize(read_spec(source), convention)
    return Network.build_with(spec, values) if values else Network.build(spec)
