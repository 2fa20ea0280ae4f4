"""Exams with variants: a question template, drawn values, question sheets and answer keys.

A template (YAML) is a network spec whose numbers may be names, the values each name may take, and
the questions to ask::

    title: Counting parameters
    network:
      name: LeNet-5
      input: [32, 32, 3]
      layers:
        - {type: conv2d, name: CONV1, out_channels: k1, kernel_size: f, padding: z}
        ...
    variables:
      k1: [6, 8, 12, 16]              # a list of choices
      f: {choices: [3, 5]}
      z: {range: [0, 2]}              # every integer from 0 to 2
    questions:
      - {ask: params, layer: CONV1}
      - {ask: output_shape, layer: POOL1}
      - {ask: activation_size, layer: CONV2}
      - {ask: total_params, choices: 4}          # multiple choice, 4 options
      - {ask: solve, find: k1, given: params, layer: CONV1}

Each variant draws every variable with a ``random.Random(seed)``, so the same seed gives the same
exam. The engine computes every answer (the network is rebuilt with the drawn values), and a variant
is refused, and another drawn, when it is degenerate: the network is invalid, the values repeat an
earlier variant, an answer equals a number the question gives, or an answer equals what a common
mistake gives (forgetting the bias, the depth, the padding, the stride or the ``+ 1``) — a question
whose wrong method gives the right number does not test the method.

Inverse questions (``ask: solve``) hide the unknown in the network shown and give the quantity;
the unknown is found by :func:`symcnn.solve` over the engine's formula, and a variant where it is
not the one integer solution is refused.
"""

from __future__ import annotations

import functools
import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import sympy

from .derive import Line, Solved, derive, derive_network
from .errors import SolveError, SpecError, SymcnnError
from .layers.base import Layer, Row
from .layers.conv import Conv, ConvTranspose
from .layers.dense import Dropout, Flatten, Linear, PReLU
from .layers.norm import GroupNorm, LayerNorm, _NormBase
from .layers.pool import AdaptiveMaxPool, AdaptivePool, AvgPool, MaxPool, _Pool
from .network import Network
from .render.document import (
    Block,
    Document,
    Heading,
    Inline,
    Items,
    Lines,
    Math,
    PageBreak,
    Paragraph,
    Shape,
    Table,
    Text,
)
from .spec import normalize, read_spec
from .symbols import bias as bias_symbol
from .symbols import d as depth

__all__ = [
    "Answer",
    "Exam",
    "Mistake",
    "Posed",
    "QuestionSpec",
    "Template",
    "Variable",
    "Variant",
    "answer_sheet",
    "combined",
    "load_template",
    "make_exam",
    "question_sheet",
    "solve_for",
]

TOP_LEVEL = (
    "title",
    "instructions",
    "assumptions",
    "network",
    "input",
    "layer",
    "variables",
    "questions",
)
ASKS = ("params", "activation_size", "output_shape", "total_params", "solve")
QUESTION_KEYS = ("ask", "layer", "find", "given", "choices")
GIVENS = ("params", "total_params")
MAX_CHOICES = 10_000
#: draws per requested variant before giving up
DRAWS_PER_VARIANT = 50


# ------------------------------------------------------------------------------ templates


@dataclass(frozen=True)
class Variable:
    """A name in the template's network and the integers it may take."""

    name: str
    choices: tuple[int, ...]


@dataclass(frozen=True)
class QuestionSpec:
    """One question of the template: what to ask, about which layer; ``choices`` > 0 makes it
    multiple choice with that many options."""

    ask: str
    layer: str | None = None
    find: str | None = None
    given: str | None = None
    choices: int = 0


@dataclass(frozen=True)
class Template:
    title: str
    instructions: str
    assumptions: tuple[str, ...]
    spec: Mapping[str, Any]
    variables: tuple[Variable, ...]
    questions: tuple[QuestionSpec, ...]
    #: the network with every variable still a symbol
    network: Network

    @property
    def hidden(self) -> tuple[str, ...]:
        """The variables that inverse questions ask for: the sheets show them as letters."""
        return tuple(q.find for q in self.questions if q.ask == "solve" and q.find)


def _fail(message: str, field: str | None = None) -> SpecError:
    return SpecError(f"exam template: {message}", field=field)


def _integer(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(f"{where} = {value!r}: must be an integer", where)
    return value


def _variable(name: str, raw: Any) -> Variable:
    where = f"variables.{name}"
    if isinstance(raw, int) and not isinstance(raw, bool):
        return Variable(name, (raw,))
    if isinstance(raw, list):
        raw = {"choices": raw}
    if not isinstance(raw, Mapping):
        raise _fail(
            f"{where}: give a list of choices, {{choices: [...]}} or {{range: [low, high]}}", where
        )
    unknown = set(raw) - {"choices", "range", "step"}
    if unknown or ("choices" in raw) == ("range" in raw):
        raise _fail(f"{where}: give either `choices` or `range` (with an optional `step`)", where)
    if "choices" in raw:
        if not isinstance(raw["choices"], list) or not raw["choices"]:
            raise _fail(f"{where}.choices must be a non-empty list of integers", where)
        values = [_integer(value, f"{where}.choices") for value in raw["choices"]]
    else:
        bounds = raw["range"]
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise _fail(f"{where}.range must be [low, high] (both included)", where)
        low, high = (_integer(value, f"{where}.range") for value in bounds)
        step = _integer(raw.get("step", 1), f"{where}.step")
        if step < 1 or high < low:
            raise _fail(f"{where}: range [{low}, {high}] with step {step} is empty", where)
        if (high - low) // step >= MAX_CHOICES:
            raise _fail(f"{where}: more than {MAX_CHOICES} values", where)
        values = list(range(low, high + 1, step))
    return Variable(name, tuple(dict.fromkeys(values)))


def _question(index: int, raw: Any, net: Network, names: set[str]) -> QuestionSpec:
    where = f"questions[{index}]"
    if not isinstance(raw, Mapping) or "ask" not in raw:
        raise _fail(f"{where} must be a mapping with `ask` ({', '.join(ASKS)})", where)
    unknown = sorted(set(raw) - set(QUESTION_KEYS))
    if unknown:
        raise _fail(
            f"{where}: unknown key `{unknown[0]}` (valid keys: {', '.join(QUESTION_KEYS)})", where
        )
    ask = raw["ask"]
    if ask not in ASKS:
        raise _fail(f"{where}: `ask` = {ask!r}: must be one of {', '.join(ASKS)}", where)
    layer = raw.get("layer")
    layers = [row.name for row in net.rows]
    if layer is not None and str(layer) not in layers:
        raise _fail(f"{where}: no layer named {layer!r} (layers: {', '.join(layers)})", where)
    layer = None if layer is None else str(layer)
    needs_layer = ask in ("params", "activation_size", "output_shape")
    if needs_layer and layer is None:
        raise _fail(f"{where}: `ask: {ask}` needs `layer`", where)
    choices = raw.get("choices", 0)
    choices = _integer(choices, f"{where}.choices")
    if choices and not 2 <= choices <= 8:
        raise _fail(
            f"{where}.choices = {choices}: a multiple-choice question has 2 to 8 options", where
        )
    if ask == "output_shape" and choices:
        raise _fail(f"{where}: a shape has several numbers; ask it without `choices`", where)
    find = given = None
    if ask == "solve":
        find = raw.get("find")
        if find not in names:
            raise _fail(
                f"{where}: `find` = {find!r} must be one of the variables "
                f"({', '.join(sorted(names))})",
                where,
            )
        given = raw.get("given", "params" if layer else "total_params")
        if given not in GIVENS:
            raise _fail(f"{where}: `given` = {given!r}: must be params or total_params", where)
        if given == "params" and layer is None:
            raise _fail(f"{where}: `given: params` needs `layer`", where)
    elif "find" in raw or "given" in raw:
        raise _fail(f"{where}: `find` and `given` belong to `ask: solve`", where)
    return QuestionSpec(ask, layer, find, given, choices)


def load_template(source: Any) -> Template:
    """Read and check a question template: a mapping, a .yaml/.yml/.json path or YAML text."""
    document = read_spec(source)
    if not isinstance(document, Mapping):
        raise _fail("must be a mapping with `network`, `variables` and `questions`")
    unknown = sorted(str(key) for key in document if key not in TOP_LEVEL)
    if unknown:
        raise _fail(f"unknown key `{unknown[0]}` (valid keys: {', '.join(TOP_LEVEL)})", unknown[0])
    if "network" in document:
        if "layer" in document or "input" in document:
            raise _fail("give either `network` or `input` with `layer`, not both", "network")
        raw_network = document["network"]
        if (
            isinstance(raw_network, str)
            and isinstance(source, str | Path)
            and "\n" not in str(source)
        ):  # a spec file next to the template
            raw_network = str(Path(source).parent / raw_network)
        spec = normalize(read_spec(raw_network))
    elif "layer" in document and "input" in document:
        spec = normalize({"input": document["input"], "layers": [document["layer"]]})
    else:
        raise _fail(
            "needs `network` (a spec), or `input` and `layer` (a one-layer question)", "network"
        )
    title = document.get("title", spec.get("name") or "Exam")
    instructions = document.get("instructions", "")
    assumptions = document.get("assumptions", [])
    if isinstance(assumptions, str):
        assumptions = [assumptions]
    if not isinstance(title, str) or not isinstance(instructions, str):
        raise _fail("`title` and `instructions` must be text", "title")
    if not isinstance(assumptions, list) or not all(isinstance(a, str) for a in assumptions):
        raise _fail("`assumptions` must be a list of sentences", "assumptions")
    raw_variables = document.get("variables") or {}
    if not isinstance(raw_variables, Mapping):
        raise _fail("`variables` must map each name to its choices", "variables")
    variables = tuple(_variable(str(name), raw) for name, raw in sorted(raw_variables.items()))
    net = Network.build(spec)
    names = {variable.name for variable in variables}
    symbols = set(net.symbols)
    if symbols - names:
        missing = ", ".join(sorted(symbols - names))
        raise _fail(
            f"the network uses {missing} but `variables` gives no values for it", "variables"
        )
    if names - symbols:
        unused = ", ".join(sorted(names - symbols))
        raise _fail(f"variable {unused} does not appear in the network", "variables")
    raw_questions = document.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise _fail("`questions` must be a non-empty list", "questions")
    questions = tuple(_question(i, raw, net, names) for i, raw in enumerate(raw_questions))
    template = Template(title, instructions, tuple(assumptions), spec, variables, questions, net)
    return template


def _given_quantity(net: Network, question: QuestionSpec) -> sympy.Expr:
    if question.given == "params":
        assert question.layer is not None
        return net[question.layer].params
    return net.params


def solve_for(
    shown: Network,
    expression: sympy.Expr,
    unknown: sympy.Symbol,
    target: sympy.Expr,
    values: Mapping[str, int] | None = None,
) -> sympy.Integer:
    """The one integer ``unknown`` with ``expression = target``, found by :func:`symcnn.solve`.

    ``values`` gives the network's other symbols. No solution, or more than one, is a
    :class:`~symcnn.SolveError`: an inverse question must have exactly one answer.

    >>> import symcnn
    >>> net = symcnn.load({"input": [32, 32, 3], "layers": [
    ...     {"type": "conv2d", "name": "C", "out_channels": "k", "kernel_size": 5}]})
    >>> solve_for(net, net["C"].params, net.symbols["k"], sympy.Integer(608))
    8
    """
    from .solve import solve

    equation = sympy.Eq(expression, target, evaluate=False)
    solution = solve(shown, equation, unknowns=[unknown.name], values=dict(values or {}))
    if solution.count != 1 or not solution.complete:
        raise SolveError(solution.describe())
    return sympy.Integer(solution.value)


# ------------------------------------------------------------------------------ questions


@dataclass(frozen=True)
class Answer:
    """One number to give: a label (``width``, ``k1``...) and its value."""

    label: str
    value: sympy.Integer


@dataclass(frozen=True)
class Mistake:
    """What a common mistake gives, to tell it apart from the answer (and offer it as an option)."""

    description: str
    value: sympy.Integer


@dataclass(frozen=True)
class Posed:
    """A question of one variant: its text, its answers, their working, the mistakes it catches and,
    for multiple choice, the options in the order shown."""

    number: int
    spec: QuestionSpec
    prompt: tuple[Inline, ...]
    answers: tuple[Answer, ...]
    working: tuple[Line, ...]
    mistakes: tuple[Mistake, ...]
    options: tuple[sympy.Integer, ...] = ()


@dataclass(frozen=True)
class Variant:
    index: int
    values: Mapping[str, int]
    #: every variable at its value
    network: Network
    #: what the sheets show: the unknowns of inverse questions are left as letters
    shown: Network
    questions: tuple[Posed, ...]


@dataclass(frozen=True)
class Exam:
    template: Template
    seed: int
    variants: tuple[Variant, ...]


class Degenerate(Exception):  # noqa: N818 - internal signal, never leaves this module
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _int(value: sympy.Expr) -> sympy.Integer:
    if not (value.is_Integer):
        raise Degenerate(f"a non-integer answer ({value})")
    return sympy.Integer(value)


def _layer_pieces(row: Row) -> list[Inline]:
    return [Text(row.name, bold=True)]


def _mistakes(
    candidates: Iterable[tuple[str, sympy.Expr]], answer: sympy.Integer
) -> tuple[Mistake, ...]:
    """The applicable mistakes' values; one equal to the answer makes the variant degenerate."""
    found: list[Mistake] = []
    for description, value in candidates:
        if not value.is_Integer:
            continue
        if value == answer:
            raise Degenerate(f"the answer equals what a common mistake gives ({description})")
        if value > 0 and all(value != mistake.value for mistake in found):
            found.append(Mistake(description, sympy.Integer(value)))
    return tuple(found)


def _with(row: Row, expression: sympy.Expr, changes: Mapping[sympy.Symbol, int]) -> sympy.Expr:
    """``expression`` (a general formula of ``row``) at the row's values, some of them changed."""
    values = {**row.values, **{symbol: sympy.Integer(value) for symbol, value in changes.items()}}
    return expression.xreplace(values)


def _without_bias(rows: Iterable[Row]) -> sympy.Expr:
    """The parameters of ``rows`` had none of them a bias (a common mistake, not a count)."""
    total = sympy.Integer(0)
    for row in rows:
        if row.values.get(bias_symbol) == 1:
            total += _with(row, row.formula.params, {bias_symbol: 0})
        else:
            total += row.params
    return total


def _param_mistakes(row: Row) -> list[tuple[str, sympy.Expr]]:
    general = row.formula.params
    candidates: list[tuple[str, sympy.Expr]] = []
    if row.values.get(bias_symbol) == 1:
        no_bias = _with(row, general, {bias_symbol: 0})
        candidates.append(("forgetting the bias", no_bias))
        candidates.append(("one bias for the whole layer", no_bias + 1))
    if isinstance(row.layer, Conv | ConvTranspose) and row.values.get(depth) != 1:
        candidates.append(("forgetting the input depth d", _with(row, general, {depth: 1})))
    return candidates


def _size_mistakes(row: Row, axis: int) -> list[tuple[str, sympy.Expr]]:
    """Mistakes on one spatial output size (``axis`` indexes the general formula's shape)."""
    shape = row.formula.output_shape
    if shape is None:
        return []
    general = shape[axis]
    candidates: list[tuple[str, sympy.Expr]] = [("forgetting the + 1", row.output_shape[axis] - 1)]
    for symbol in sorted(general.free_symbols, key=lambda symbol: symbol.name):
        value = row.values.get(symbol)
        if symbol.name.startswith("z_") and value not in (None, 0):
            candidates.append(("ignoring the padding", _with(row, general, {symbol: 0})))
        if symbol.name.startswith("s_") and value not in (None, 1):
            candidates.append(("ignoring the stride", _with(row, general, {symbol: 1})))
    return candidates


def _spatial_axes(row: Row, layout: str) -> list[int]:
    rank = len(row.output_shape)
    if rank == 1:
        return []
    return list(range(rank - 1)) if layout == "HWC" else list(range(1, rank))


def _axis_labels(rank: int, layout: str) -> list[str]:
    spatial = ["depth", "height", "width"][3 - (rank - 1) :] if rank > 1 else []
    if rank == 1:
        return ["size"]
    return [*spatial, "channels"] if layout == "HWC" else ["channels", *spatial]


def _ask_params(variant: Network, spec: QuestionSpec, number: int) -> Posed:
    assert spec.layer is not None
    row = variant[spec.layer]
    answer = _int(row.params)
    prompt = (
        Text("How many learnable parameters (weights and biases) does "),
        *_layer_pieces(row),
        Text(" have?"),
    )
    lines = _lines_of(derive(row).lines, "params")
    mistakes = _mistakes(_param_mistakes(row), answer)
    return Posed(number, spec, prompt, (Answer("parameters", answer),), lines, mistakes)


def _ask_activation(variant: Network, spec: QuestionSpec, number: int) -> Posed:
    assert spec.layer is not None
    row = variant[spec.layer]
    answer = _int(row.activation_size)
    prompt = (
        Text("What is the activation size (the number of values in the output) of "),
        *_layer_pieces(row),
        Text("?"),
    )
    candidates: list[tuple[str, sympy.Expr]] = []
    axes = _spatial_axes(row, variant.layout)
    if axes:
        spatial = sympy.Mul(*(row.output_shape[i] for i in axes))
        candidates.append(("forgetting the channels", spatial))
    candidates.append(("giving the input's size", sympy.Mul(*row.input_shape)))
    if spec.layer and row.formula.params != 0:
        candidates.append(("giving the number of parameters", row.params))
    mistakes = _mistakes(candidates, answer)
    return Posed(
        number,
        spec,
        prompt,
        (Answer("activation size", answer),),
        _lines_without(derive(row).lines, {"params", "buffers"}),
        mistakes,
    )


def _lines_without(lines: Iterable[Line], keys: set[str]) -> tuple[Line, ...]:
    return tuple(
        line
        for line in lines
        if getattr(line, "quantity", None) is None or line.quantity.key not in keys
    )


def _lines_of(lines: Iterable[Line], key: str) -> tuple[Line, ...]:
    return tuple(
        line
        for line in lines
        if getattr(line, "quantity", None) is not None and line.quantity.key == key
    )


def _ask_shape(variant: Network, spec: QuestionSpec, number: int) -> Posed:
    assert spec.layer is not None
    row = variant[spec.layer]
    labels = _axis_labels(len(row.output_shape), variant.layout)
    answers = tuple(
        Answer(label, _int(size)) for label, size in zip(labels, row.output_shape, strict=True)
    )
    order = ", ".join(labels)
    prompt = (
        Text("What is the shape of the output of "),
        *_layer_pieces(row),
        Text(f", written ({order})?"),
    )
    mistakes: list[Mistake] = []
    for axis in _spatial_axes(row, variant.layout):
        for mistake in _mistakes(_size_mistakes(row, axis), answers[axis].value):
            if mistake not in mistakes:
                mistakes.append(mistake)
    lines = _lines_without(derive(row).lines, {"params", "buffers", "activation_size"})
    return Posed(number, spec, prompt, answers, lines, tuple(mistakes))


def _ask_total(variant: Network, spec: QuestionSpec, number: int) -> Posed:
    answer = _int(variant.params)
    prompt = (Text("How many learnable parameters does the whole network have?"),)
    working = derive_network(variant)
    lines = [
        line
        for layer in working.layers
        for line in _lines_of(layer.lines, "params")
        if line.result != 0
    ]
    candidates: list[tuple[str, sympy.Expr]] = []
    if any(row.values.get(bias_symbol) == 1 for row in variant.rows):
        candidates.append(("forgetting the biases", _without_bias(variant.rows)))
    if variant.buffers != 0:
        candidates.append(("counting the buffers", variant.params + variant.buffers))
    mistakes = _mistakes(candidates, answer)
    return Posed(
        number,
        spec,
        prompt,
        (Answer("total parameters", answer),),
        (*lines, working.total),
        mistakes,
    )


_ROLES = {
    "out_channels": "the number of filters",
    "out_features": "the number of neurons",
    "kernel_size": "the kernel size",
    "stride": "the stride",
    "padding": "the padding",
}


def _role(template: Template, name: str) -> str:
    """What a variable stands for, from where the spec uses it (``out_channels`` → filters)."""
    for layer in template.spec["layers"]:
        for key, value in layer.items():
            if value == name and key in _ROLES:
                return f"{_ROLES[key]} of {layer.get('name', layer['type'])}"
    return "its value"


def _ask_solve(
    template: Template,
    variant: Network,
    shown: Network,
    values: Mapping[str, int],
    spec: QuestionSpec,
    number: int,
) -> Posed:
    assert spec.find is not None
    unknown = shown.symbols[spec.find]
    # the other unknowns of the sheet are known by the time this question is answered
    known = {name: values[name] for name in template.hidden if name != spec.find}
    expression = _given_quantity(shown, spec).xreplace(
        {shown.symbols[name]: sympy.Integer(value) for name, value in known.items()}
    )
    target = _int(_given_quantity(variant, spec))
    try:
        value = solve_for(shown, expression, unknown, target, known)
    except SolveError as error:
        raise Degenerate(f"the inverse question has no unique answer: {error}") from None
    if value != values[spec.find]:  # one solution, and the drawn value is one: they are equal
        raise AssertionError(
            f"solver gave {spec.find} = {value}, the variant drew {values[spec.find]}"
        )
    if spec.given == "params":
        assert spec.layer is not None
        row = shown[spec.layer]
        prompt: tuple[Inline, ...] = (
            *_layer_pieces(row),
            Text(" has "),
            Math(target),
            Text(" learnable parameters. "),
        )
        lines: tuple[Line, ...] = _lines_of(derive(row).lines, "params")
        rows: Sequence[Row] = [row]
    else:
        prompt = (Text("The network has "), Math(target), Text(" learnable parameters in total. "))
        lines = (derive_network(shown).total,)
        rows = shown.rows
    prompt += (Text("What is "), Math(unknown), Text(f", {_role(template, spec.find)}?"))
    solved = Solved(unknown, expression, target, value)
    candidates: list[tuple[str, sympy.Expr]] = []
    if any(row.values.get(bias_symbol) == 1 for row in rows):
        try:
            no_bias = _without_bias(rows).xreplace(
                {shown.symbols[name]: sympy.Integer(v) for name, v in known.items()}
            )
            candidates.append(
                ("forgetting the bias", solve_for(shown, no_bias, unknown, target, known))
            )
        except SolveError:  # without the bias there is no one whole answer: nothing to confuse
            pass
    mistakes = _mistakes(candidates, value)
    return Posed(number, spec, prompt, (Answer(spec.find, value),), (*lines, solved), mistakes)


def _options(posed: Posed, rng: random.Random) -> tuple[sympy.Integer, ...]:
    """The answer and ``choices − 1`` wrong options: the mistakes first, then near misses."""
    answer = posed.answers[0].value
    wrong = [mistake.value for mistake in posed.mistakes][: posed.spec.choices - 1]
    step = 1
    while len(wrong) < posed.spec.choices - 1:
        for candidate in (answer + step, answer - step):
            if candidate > 0 and candidate != answer and candidate not in wrong:
                wrong.append(sympy.Integer(candidate))
                if len(wrong) == posed.spec.choices - 1:
                    break
        step += 1
    options = [answer, *wrong]
    rng.shuffle(options)
    return tuple(options)


def _given_numbers(shown: Network, posed: Sequence[Posed]) -> set[sympy.Expr]:
    """Every number the sheet states: input sizes, layer settings, the inverse questions' data."""
    numbers: set[sympy.Expr] = set(shown.input_shape)
    for row in shown.rows:
        for piece in describe_layer(row.layer):
            if isinstance(piece, Math):
                numbers.add(piece.value)
    for question in posed:
        numbers.update(piece.value for piece in question.prompt if isinstance(piece, Math))
    return {number for number in numbers if isinstance(number, sympy.Integer)}


def _pose(template: Template, values: Mapping[str, int], index: int, seed: int) -> Variant:
    try:
        network = template.network.subs(values)
        hidden = set(template.hidden)
        shown = template.network.subs({k: v for k, v in values.items() if k not in hidden})
    except SymcnnError as error:
        raise Degenerate(f"an invalid network ({' '.join(str(error).split())})") from None
    if network.conditions:
        raise Degenerate("a network whose validity is undecided")
    posed: list[Posed] = []
    for number, spec in enumerate(template.questions, 1):
        if spec.ask == "params":
            question = _ask_params(network, spec, number)
        elif spec.ask == "activation_size":
            question = _ask_activation(network, spec, number)
        elif spec.ask == "output_shape":
            question = _ask_shape(network, spec, number)
        elif spec.ask == "total_params":
            question = _ask_total(network, spec, number)
        else:
            question = _ask_solve(template, network, shown, values, spec, number)
        posed.append(question)
    given = _given_numbers(shown, posed)
    for question in posed:
        checked = question.answers
        if question.spec.ask == "output_shape":  # the channels are the filters: given by design
            labels = ("channels", "size")
            checked = tuple(answer for answer in checked if answer.label not in labels)
        for answer in checked:
            if answer.value in given:
                raise Degenerate(f"an answer ({answer.value}) equals a number the question gives")
    rng = random.Random(f"{seed}/{index}")
    posed = [
        _replace_options(question, _options(question, rng)) if question.spec.choices else question
        for question in posed
    ]
    return Variant(index, dict(values), network, shown, tuple(posed))


def _replace_options(posed: Posed, options: tuple[sympy.Integer, ...]) -> Posed:
    return replace(posed, options=options)


def make_exam(template: Template, variants: int = 1, seed: int = 0) -> Exam:
    """Draw ``variants`` distinct, non-degenerate variants of ``template``, reproducibly.

    >>> template = load_template('''
    ... title: One convolution
    ... input: [32, 32, 3]
    ... layer: {type: conv2d, name: CONV1, out_channels: k, kernel_size: 5}
    ... variables: {k: [4, 8, 16]}
    ... questions: [{ask: params, layer: CONV1}]
    ... ''')
    >>> exam = make_exam(template, variants=3, seed=7)
    >>> sorted(variant.questions[0].answers[0].value for variant in exam.variants)
    [304, 608, 1216]
    """
    if variants < 1:
        raise SpecError(f"--variants = {variants}: ask for at least one variant")
    possible = math.prod(len(variable.choices) for variable in template.variables)
    if possible < variants:
        raise SymcnnError(
            f"the template's variables allow only {possible} distinct variant"
            f"{'s' * (possible != 1)}, fewer than the {variants} asked for; widen the ranges"
        )
    rng = random.Random(seed)
    seen: set[tuple[tuple[str, int], ...]] = set()
    chosen: list[Variant] = []
    refused: Counter[str] = Counter()
    draws = 0
    limit = DRAWS_PER_VARIANT * variants + 100
    while len(chosen) < variants and draws < limit and len(seen) < possible:
        draws += 1
        values = {variable.name: rng.choice(variable.choices) for variable in template.variables}
        key = tuple(sorted(values.items()))
        if key in seen:
            refused["the same values as an earlier variant"] += 1
            continue
        seen.add(key)
        try:
            chosen.append(_pose(template, values, len(chosen) + 1, seed))
        except Degenerate as degenerate:
            refused[degenerate.reason] += 1
    if len(chosen) < variants:
        reasons = "; ".join(f"{count}× {reason}" for reason, count in refused.most_common(4))
        raise SymcnnError(
            f"found only {len(chosen)} of {variants} usable variants in {draws} draws "
            f"(refused: {reasons}); widen the ranges or change the questions"
        )
    return Exam(template, seed, tuple(chosen))


# ------------------------------------------------------------------------------ describing layers


def _exact(size: Any) -> sympy.Basic:
    """A layer's size as SymPy: already exact (the spec loader parsed it), or a plain int."""
    if isinstance(size, sympy.Basic):
        return size
    if isinstance(size, int):
        return sympy.Integer(size)
    raise TypeError(f"expected an exact size, got {size!r}")


def _sizes(sizes: Sequence[Any]) -> list[Inline]:
    """``5 × 5``; a value given once when every axis has it (``stride 2``)."""
    pieces: list[Inline] = []
    for position, size in enumerate(sizes):
        if position:
            pieces.append(Text(" × "))
        pieces.append(Math(_exact(size)))
    return pieces


def _uniform(sizes: Sequence[Any]) -> list[Inline]:
    if len(set(sizes)) == 1:
        return [Math(_exact(sizes[0]))]
    return _sizes(sizes)


def _bias(value: sympy.Expr) -> list[Inline]:
    if value == 1:
        return []
    if value == 0:
        return [Text(", no bias")]
    return [Text(", bias "), Math(value)]


def _conv_tail(layer: Conv | ConvTranspose) -> list[Inline]:
    """What convolutions state after their padding: dilation and groups when not 1, the bias."""
    pieces: list[Inline] = []
    if any(r != 1 for r in layer.dilation):
        pieces += [Text(", dilation "), *_uniform(layer.dilation)]
    if layer.groups != 1:
        pieces += [Text(", groups "), Math(layer.groups)]
    return [*pieces, *_bias(layer.bias)]


@functools.singledispatch
def describe_layer(layer: Layer) -> tuple[Inline, ...]:
    """A layer's settings in words, as a sheet states them: ``8 filters of 5 × 5, stride 1``."""
    return ()


@describe_layer.register
def _(layer: Conv) -> tuple[Inline, ...]:
    pieces: list[Inline] = [
        Math(layer.out_channels),
        Text(" filters of "),
        *_sizes(layer.kernel_size),
        Text(", stride "),
        *_uniform(layer.stride),
        Text(", padding "),
    ]
    if isinstance(layer.padding, str):
        pieces.append(Text(f"'{layer.padding}'"))
    else:
        pieces += _uniform(layer.padding)
    return (*pieces, *_conv_tail(layer))


@describe_layer.register
def _(layer: ConvTranspose) -> tuple[Inline, ...]:
    pieces: list[Inline] = [
        Math(layer.out_channels),
        Text(" filters of "),
        *_sizes(layer.kernel_size),
        Text(", stride "),
        *_uniform(layer.stride),
        Text(", padding "),
        *_uniform(layer.padding),
    ]
    if any(a != 0 for a in layer.output_padding):
        pieces += [Text(", output padding "), *_uniform(layer.output_padding)]
    return (*pieces, *_conv_tail(layer))


@describe_layer.register
def _(layer: _Pool) -> tuple[Inline, ...]:
    kind = "max" if isinstance(layer, MaxPool) else "average" if isinstance(layer, AvgPool) else ""
    pieces: list[Inline] = [
        Text(f"{kind} pooling, window ".lstrip()),
        *_sizes(layer.kernel_size),
        Text(", stride "),
        *_uniform(layer.strides()),
    ]
    if any(z != 0 for z in layer.padding):
        pieces += [Text(", padding "), *_uniform(layer.padding)]
    if any(r != 1 for r in layer.dilations()):
        pieces += [Text(", dilation "), *_uniform(layer.dilations())]
    if layer.ceil_mode:
        pieces.append(Text(", rounding up (ceil mode)"))
    return tuple(pieces)


@describe_layer.register
def _(layer: AdaptivePool) -> tuple[Inline, ...]:
    kind = "max" if isinstance(layer, AdaptiveMaxPool) else "average"
    sizes = [Text("the input's") if size is None else Math(size) for size in layer.output_size]
    pieces: list[Inline] = [Text(f"adaptive {kind} pooling to ")]
    for position, piece in enumerate(sizes):
        pieces += [Text(" × ")] * bool(position) + [piece]
    return tuple(pieces)


@describe_layer.register
def _(layer: Linear) -> tuple[Inline, ...]:
    return (Math(layer.out_features), Text(" neurons, fully connected"), *_bias(layer.bias))


@describe_layer.register
def _(layer: Flatten) -> tuple[Inline, ...]:
    return (Text("flattens to a vector"),)


@describe_layer.register
def _(layer: Dropout) -> tuple[Inline, ...]:
    return (Text(f"drops values with probability {layer.p}"),)


@describe_layer.register
def _(layer: PReLU) -> tuple[Inline, ...]:
    return (
        Math(layer.num_parameters),
        Text(" learnable slope(s)"),
    )


@describe_layer.register
def _(layer: _NormBase) -> tuple[Inline, ...]:
    affine = "scale and shift per channel" if layer.affine else "no scale or shift"
    stats = ", running statistics" if layer.track_running_stats else ""
    return (Text(affine + stats),)


@describe_layer.register
def _(layer: GroupNorm) -> tuple[Inline, ...]:
    affine = ", scale and shift per channel" if layer.affine else ""
    return (Math(layer.num_groups), Text(" groups" + affine))


@describe_layer.register
def _(layer: LayerNorm) -> tuple[Inline, ...]:
    return (
        Text("scale and shift per element" if layer.elementwise_affine else "no scale or shift"),
    )


# ------------------------------------------------------------------------------ documents


def assumptions(template: Template, shown: Network) -> tuple[tuple[Inline, ...], ...]:
    """What the question takes for granted, stated rather than left for students to guess."""
    layout = "(height, width, channels)" if shown.layout == "HWC" else "(channels, height, width)"
    items: list[tuple[Inline, ...]] = [
        (Text(f"Shapes are written {layout} for one example; there is no batch axis."),)
    ]
    types = [row.layer for row in shown.rows]
    if any(isinstance(layer, Conv | ConvTranspose | _Pool) for layer in types):
        items.append(
            (
                Text(
                    "Padding is zero padding on each side, of the size stated for each "
                    "layer; sizes are rounded down unless a layer says otherwise."
                ),
            )
        )
    biased = [row for row in shown.rows if isinstance(row.layer, Conv | ConvTranspose | Linear)]
    if biased:
        without = [row.name for row in biased if row.values.get(bias_symbol) != 1]
        if not without:
            items.append(
                (
                    Text(
                        "Every convolution and fully connected layer has one bias per "
                        "filter or neuron."
                    ),
                )
            )
        else:
            items.append(
                (
                    Text(
                        "Convolution and fully connected layers have one bias per filter "
                        "or neuron, except " + ", ".join(without) + "."
                    ),
                )
            )
    if any(isinstance(layer, _Pool) and layer.stride is None for layer in types):
        items.append((Text("A pooling layer's stride equals its window when it is not stated."),))
    if any(isinstance(layer, _Pool | AdaptivePool) for layer in types):
        items.append((Text("Pooling layers have no parameters."),))
    items += [(Text(text),) for text in template.assumptions]
    return tuple(items)


def network_table(shown: Network) -> Table:
    rows = tuple(
        ((Text(row.name),), (Text(row.type),), describe_layer(row.layer) or (Text("none"),))
        for row in shown.rows
    )
    return Table(("Layer", "Type", "Settings"), rows, "lll")


def _prompt_blocks(variant: Variant) -> list[Block]:
    items = []
    for question in variant.questions:
        item: tuple[Inline, ...] = question.prompt
        if question.options:
            letters = "abcdefgh"
            for letter, option in zip(letters, question.options, strict=False):
                item += (Text(f"  ({letter}) "), Math(option))
        items.append(item)
    return [Heading("Questions", 2), Items(tuple(items), numbered=True)]


def _header(exam: Exam, variant: Variant) -> list[Block]:
    template = exam.template
    blocks: list[Block] = []
    if template.instructions:
        blocks.append(Paragraph.of(template.instructions))
    blocks += [
        Heading("Assumptions", 2),
        Items(assumptions(template, variant.shown)),
        Heading("Network", 2),
        Paragraph.of("Input ", Shape(variant.shown.input_shape), "."),
        network_table(variant.shown),
    ]
    return blocks


def _variant_title(exam: Exam, variant: Variant, what: str) -> str:
    count = len(exam.variants)
    return f"{exam.template.title}: {what}, variant {variant.index} of {count} (seed {exam.seed})"


def question_sheet(exam: Exam, variant: Variant) -> Document:
    """What students get: assumptions, the network, the questions."""
    blocks = [*_header(exam, variant), *_prompt_blocks(variant)]
    return Document(_variant_title(exam, variant, "questions"), tuple(blocks))


def _answer_pieces(question: Posed) -> tuple[Inline, ...]:
    pieces: list[Inline] = [Text("Answer: ", bold=True)]
    if question.spec.ask == "output_shape":
        pieces.append(Shape(tuple(answer.value for answer in question.answers)))
    else:
        pieces.append(Math(question.answers[0].value))
        if question.options:
            letter = "abcdefgh"[question.options.index(question.answers[0].value)]
            pieces.append(Text(f" (option {letter})"))
    return tuple(pieces)


def answer_sheet(exam: Exam, variant: Variant) -> Document:
    """The answer key of one variant: the sheet, then every answer with its working."""
    blocks: list[Block] = [*_header(exam, variant)]
    for question in variant.questions:
        blocks += [
            Heading(f"Question {question.number}", 2),
            Paragraph(question.prompt),
            Paragraph(_answer_pieces(question)),
            Lines(question.working),
        ]
        if question.mistakes:
            pieces: list[Inline] = [Text("Common mistakes: ")]
            for position, mistake in enumerate(question.mistakes):
                separator = "; " if position else ""
                pieces += [Text(f"{separator}{mistake.description} gives "), Math(mistake.value)]
            blocks.append(Paragraph((*pieces, Text("."))))
    return Document(_variant_title(exam, variant, "answer key"), tuple(blocks))


def combined(exam: Exam, sheet: Any, what: str) -> Document:
    """Every variant's sheet (``question_sheet`` or ``answer_sheet``) in one document."""
    blocks: list[Block] = []
    for position, variant in enumerate(exam.variants):
        if position:
            blocks.append(PageBreak())
        document = sheet(exam, variant)
        blocks += [Heading(document.title, 1), *document.blocks]
    title = f"{exam.template.title}: {what}, {len(exam.variants)} variants (seed {exam.seed})"
    return Document(title, tuple(blocks))
