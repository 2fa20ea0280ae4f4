"""What every layer shares: argument coercion, tensor layouts, formulas, bound rows and checks.

A layer is a frozen dataclass of PyTorch's keyword arguments. Its general formula is a set of SymPy
expressions over the notation's symbols (:mod:`symcnn.symbols`); binding it to an input tensor
substitutes the layer's values into that formula (one ``xreplace``), so the number a row reports is
the formula evaluated, never a separate computation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import sympy

from ..errors import ParseError, ShapeError, SpecError
from ..formula import Expr, Line, Textbook, evaluate
from ..parse import check_digits
from ..prose import Inline, Text
from ..symbols import bias
from ._arguments import (  # noqa: F401
    KERAS_WEIGHT_KEYWORDS,
    ONE,
    ZERO,
    KerasFace,
    Where,
    _Coercer,
    _describe,
    arg,
    coerce,
    keras_padding,
)
from ._defaults import argument_pieces, at_default, textbook_lines, untemplated_lines, with_values
from ._window import POINTWISE, UNION, WHOLE, Reach, Refused, Window  # noqa: F401

__all__ = [
    "CONVENTIONS",
    "DTYPES",
    "INTEGER_DTYPES",
    "KERAS",
    "KERAS_WEIGHT_KEYWORDS",
    "LAYER_OUTPUT_DTYPE",
    "TORCH",
    "Check",
    "Expansion",
    "Expr",
    "Formula",
    "KerasFace",
    "Layer",
    "Row",
    "Tensor",
    "Where",
    "arg",
    "with_values",
]

from ._values import (  # noqa: F401
    CONVENTIONS,
    DISPLAY,
    DTYPES,
    INTEGER_DTYPES,
    KERAS,
    LAYER_OUTPUT_DTYPE,
    TORCH,
    Check,
    Expansion,
    Formula,
    Row,
    Tensor,
    arrange,
)

# ----------------------------------------------------------------------------------- layers


_FORMULAS: dict[tuple[Any, ...], Formula] = {}


@dataclass(frozen=True, kw_only=True)
class Layer:
    """Base of every layer: a frozen dataclass of PyTorch's keyword arguments.

    Subclasses set ``torch_name`` (PyTorch's class name) and implement :meth:`formula` (the general
    formula) and :meth:`bind_values` (the notation symbols' values for one input).

    ``convention`` is the counting convention the network counts in (``torch`` or ``keras``), not
    a spec argument: the spec's top-level ``convention`` sets it on every layer, and a layer whose
    count differs under Keras writes that term of its textbook tree once, on ``self.convention``.
    Arguments declared with ``arg(..., convention="keras")`` exist only under Keras (its
    BatchNormalization's ``center`` and ``scale``); the Keras names and keywords are declared as
    :class:`KerasFace` values in the layer's module and collected by :mod:`symcnn.layers.keras`.
    """

    convention: str = field(default=TORCH, metadata={"kind": "convention"}, repr=False)

    torch_name: ClassVar[str]
    spatial_dims: ClassVar[int] = 0
    #: the arguments :meth:`formula` depends on, when it can be cached (``None``: it cannot)
    formula_fields: ClassVar[tuple[str, ...] | None] = None
    #: choices for ``text`` arguments
    choices: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    # -- construction from a spec

    @classmethod
    def arguments(cls, convention: str = TORCH) -> dict[str, dataclasses.Field[Any]]:
        """The spec arguments of the layer under ``convention`` (PyTorch's keyword arguments,
        and under Keras the Keras-only ones)."""
        return {
            f.name: f
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
            if f.metadata.get("kind") != "convention"
            and f.metadata.get("convention", convention) == convention
        }

    @classmethod
    def from_spec(
        cls,
        where: Where,
        raw: Mapping[str, Any],
        symbols: dict[str, Expr],
        convention: str = TORCH,
    ) -> Layer:
        """Build the layer from raw spec arguments, coercing and checking each one; the layer
        counts under ``convention``."""
        fields = cls.arguments(convention)
        values: dict[str, Any] = {}
        for name in raw:
            if name not in fields:
                import difflib

                near = difflib.get_close_matches(name, list(fields), n=1)
                hint = f"; did you mean `{near[0]}`?" if near else ""
                valid = ", ".join(fields) or "none"
                raise SpecError(
                    f"unknown argument `{name}`{hint} ({cls.torch_name} takes: {valid})",
                    where=where,
                    field=name,
                )
        for name, spec_field in fields.items():
            if name in raw:
                value = raw[name]
            elif spec_field.default is dataclasses.MISSING:
                raise SpecError(f"missing required argument `{name}`", where=where, field=name)
            elif spec_field.default is None:
                values[name] = None
                continue
            else:
                value = spec_field.default
            if value is None and spec_field.default is None:
                values[name] = None
                continue
            coercer = _Coercer(where, name, value, symbols)
            values[name] = coerce(spec_field.metadata["kind"], value, cls.spatial_dims, coercer)
            allowed = cls.choices.get(name)
            if allowed is not None and values[name] not in allowed:
                raise coercer.fail(f"must be one of {', '.join(map(repr, allowed))}")
        layer = cls(**values, convention=convention)
        layer.validate(where)
        return layer

    def validate(self, where: Where) -> None:
        """Checks that need no input (PyTorch's constructor checks)."""

    # -- formulas

    def formula(self, layout: str = "HWC") -> Formula:
        """The general formula of this layer's configuration, over the notation's symbols."""
        raise NotImplementedError

    def general_formula(self, layout: str) -> Formula:
        """:meth:`formula`, built once per configuration for the layers that declare which of
        their arguments it depends on (``formula_fields``)."""
        if self.formula_fields is None:
            return self.formula(layout)
        key = (
            type(self),
            layout,
            self.convention,
            *(getattr(self, name) for name in self.formula_fields),
        )
        cached = _FORMULAS.get(key)
        if cached is None:
            cached = _FORMULAS[key] = self.formula(layout)
        return cached

    def bind_values(self, x: Tensor, where: Where) -> tuple[dict[sympy.Basic, Expr], list[Check]]:
        """The notation symbols' values for input ``x``, and the checks the input must pass."""
        raise NotImplementedError

    def input_rank(self) -> tuple[int, ...] | None:
        """The example ranks this layer accepts (``None``: any rank of at least 1)."""
        return None

    #: what the cost counters (:mod:`symcnn.costs`) count the layer as: ``conv``, ``linear``,
    #: ``batch_norm``, ``add``...; ``none`` for a layer that does no arithmetic
    cost_family: ClassVar[str] = "none"
    #: whether an application's output is a tensor of its own, which memory counts as an
    #: activation (:mod:`symcnn.costs`): not a learnable tensor's (it is its weights) nor the
    #: identity's (it is its input)
    new_output: ClassVar[bool] = True

    def work(self, row: Row) -> dict[str, Expr]:
        """The arithmetic one application does, by kind, for one example, from the row's own
        values: ``macs`` (multiply-accumulates), ``bias`` (bias additions)... The cost counters
        (:mod:`symcnn.costs`) choose which of it their tool counts. Default: none."""
        return {}

    #: how many inputs the layer reads: 1, or ``None`` for two or more (merges)
    arity: ClassVar[int | None] = 1

    def expansion(self, xs: Sequence[Tensor], where: Where) -> Expansion | None:
        """The inner layers of a composite layer reading ``xs`` (``None``: the layer is one row).
        The graph expands a composite instead of binding it; :meth:`bind_inputs` still gives
        its one-row total, for the layer alone."""
        return None

    def bind_inputs(self, xs: Sequence[Tensor], where: Where) -> tuple[Row, list[Check]]:
        """Bind to the tensors the layer reads; a one-input layer binds to its one tensor."""
        if len(xs) != 1:
            raise SpecError(
                f"takes one input, but `from` lists {len(xs)}", where=where, field="from"
            )
        return self.bind(xs[0], where)

    def bind(self, x: Tensor, where: Where) -> tuple[Row, list[Check]]:
        ranks = self.input_rank()
        if ranks is not None and x.rank not in ranks:
            expected = " or ".join(str(rank) for rank in ranks)
            raise ShapeError(
                f"expects an input of rank {expected} (one example, no batch axis), "
                f"got shape {format_shape(x.shape)} of rank {x.rank}",
                where=where,
                field="input",
            )
        values, checks = self.bind_values(x, where)
        general = self.general_formula(x.layout)
        bound = general.at(values)
        shape = x.shape if bound.output_shape is None else bound.output_shape
        # a count no one could print is refused here, naming the layer (numbers only: a
        # symbolic count is printed as a formula)
        size = sympy.Mul(*shape) if all(v.is_Integer for v in shape) else ZERO
        for label, value in (("params", bound.params), ("buffers", bound.buffers), ("size", size)):
            if isinstance(value, sympy.Integer):
                try:
                    check_digits(int(value), f"its {label}")
                except ParseError as error:
                    raise SpecError(str(error), where=where, field=label) from None
        row = Row(
            index=where.index,
            name=where.name,
            type=self.torch_name,
            input_shape=x.shape,
            output_shape=shape,
            params=bound.params,
            buffers=bound.buffers,
            formula=general,
            values=values,
            layer=self,
            extra=bound.extra,
        )
        return row, checks

    def reach(self, row: Row, layout: str) -> Reach:
        """How one output position of ``row`` depends on the input's positions, its part of the
        receptive field (:mod:`symcnn.layers._window`). Default: no rule, said so."""
        return Refused("has no receptive-field rule")

    # -- what the layer knows: working, description, mistakes
    #
    # A layer answers for itself here, so that the derivations, the exams and the mistake
    # catalogue never switch on layer classes. Every default fits a new layer without parameters.

    #: the mistake catalogue's families the layer belongs to (``families`` in data/mistakes.yaml)
    mistake_families: ClassVar[tuple[str, ...]] = ()

    def textbook(self, values: Mapping[sympy.Basic, Expr] | None = None) -> Textbook | None:
        """The layer's formulas as the textbook writes them (``None``: it has no template).

        Without ``values`` they are in full, and :meth:`textbook_formula` evaluates them into the
        layer's general formula. With a row's values they are in the form a textbook shows for
        those values (no dilation term when r = 1, no /g when g = 1), equal to the full form there.
        """
        return None

    def textbook_formula(self, layout: str) -> Formula:
        """The general formula, evaluated from the full :meth:`textbook` (for :meth:`formula`)."""
        book = self.textbook()
        if book is None:
            raise NotImplementedError(f"{self.torch_name} has no textbook formula")
        params = book.params.formula
        buffers = None if book.buffers is None else book.buffers.formula
        shape = None
        if book.sizes:
            assert book.channels is not None, "a layer with output sizes names its channels"
            spatial = []
            for size in book.sizes:
                assert size.formula is not None, "a computed output size has a formula"
                spatial.append(evaluate(size.formula))
            shape = arrange(book.channels, spatial, layout)
        return Formula(
            params=ZERO if params is None else evaluate(params),
            buffers=ZERO if buffers is None else evaluate(buffers),
            output_shape=shape,
        )

    def working(self, row: Row) -> list[Line]:
        """The textbook working of ``row``, one line per quantity: output sizes, activation size,
        parameters, buffers. Without a textbook: the activation size and the engine's formula."""
        book = self.textbook(row.values)
        return untemplated_lines(row) if book is None else textbook_lines(row, book)

    def describe(self) -> tuple[Inline, ...]:
        """The layer's settings in words, as an exam sheet states them: ``8 filters of 5 × 5,
        stride 1``. By default its PyTorch name and the arguments that are not at their default."""
        pieces: list[Inline] = [Text(self.torch_name)]
        for name, spec_field in self.arguments().items():
            value = getattr(self, name)
            if value is None or at_default(value, spec_field.default):
                continue
            pieces += [Text(f", {name} "), *argument_pieces(value)]
        return tuple(pieces)

    def sheet_assumptions(self) -> tuple[str, ...]:
        """What an exam sheet must state for a network with this layer, by the names the sheets
        give their assumptions (``padding``, ``bias``, ``pooling``...)."""
        return ()

    def mistake_names(self) -> dict[str, Expr]:
        """Names the mistake catalogue's forms may use for this layer, beyond the shared
        placeholders (``kernel``, ``params``...): parts of its own formula (a recurrent layer's
        ``gates``). Default: none."""
        return {}

    def param_mistakes(self, row: Row) -> list[tuple[str, Expr]]:
        """Common wrong parameter counts for ``row``: what went wrong, and the count it gives."""
        candidates: list[tuple[str, Expr]] = []
        if row.values.get(bias) == 1:
            no_bias = with_values(row, row.formula.params, {bias: 0})
            candidates.append(("forgetting the bias", no_bias))
            candidates.append(("one bias for the whole layer", no_bias + 1))
        return candidates

    def size_mistakes(self, row: Row, axis: int) -> list[tuple[str, Expr]]:
        """Common wrong output sizes along ``axis`` (an index into the general formula's shape)."""
        shape = row.formula.output_shape
        if shape is None:
            return []
        general = shape[axis]
        wrong = row.output_shape[axis] - 1
        candidates: list[tuple[str, Expr]] = [("forgetting the + 1", wrong)]
        for symbol in sorted(general.free_symbols, key=lambda symbol: symbol.name):
            value = row.values.get(symbol)
            if symbol.name.startswith("z_") and value not in (None, 0):
                candidates.append(("ignoring the padding", with_values(row, general, {symbol: 0})))
            if symbol.name.startswith("s_") and value not in (None, 1):
                candidates.append(("ignoring the stride", with_values(row, general, {symbol: 1})))
        return candidates

    # -- helpers for subclasses

    def agree(self, where: Where, name: str, given: Expr | None, inferred: Expr) -> list[Check]:
        """An inferred size (in_channels...) that the spec also gave must equal the inferred one."""
        if given is None:
            return []
        return [
            Check(
                where,
                name,
                sympy.Eq(given, inferred),
                f"`{name}` = {given} disagrees with the input, which has {inferred}",
                ShapeError,
            )
        ]


def format_shape(shape: Iterable[Expr]) -> str:
    return "[" + ", ".join(str(size) for size in shape) + "]"


def require(
    checks: list[Check],
    where: Where,
    name: str,
    condition: sympy.Basic,
    message: Callable[[], str],
    error: type[SpecError] = SpecError,
) -> None:
    """Add a check unless it already holds. ``message`` is only called for a check that fails
    or waits for symbols: printing expressions is most of the cost of a check that passes."""
    if condition is not sympy.true:
        checks.append(Check(where, name, condition, message(), error))


def face(base: type, dims: int, name: str) -> type:
    """A thin N-d face of a general layer (``Conv`` → ``Conv2d``): only the number of spatial axes
    is fixed. The face lives in its general layer's module. It declares no field, so it keeps its
    general layer's dataclass methods (``__init__``, ``__eq__``, ``__repr__``, frozenness) rather
    than generating them again: a family imports faster (``benchmarks/README.md``)."""
    cls = type(name, (base,), {"spatial_dims": dims, "torch_name": name, "__doc__": base.__doc__})
    cls.__module__ = base.__module__
    return cls
