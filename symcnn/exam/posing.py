"""Posing questions: drawing a template's variables, asking each question of a variant, and refusing
degenerate variants (see :mod:`symcnn.exam`)."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import sympy

from ..derive import derive, derive_network
from ..errors import SolveError, SpecError, SymcnnError
from ..formula import Derivation, Fact, Line, Ref, Solved, Value, quantity, times
from ..layers import Row
from ..layers.base import with_values
from ..mistakes import wrong_values
from ..network import Network
from ..prose import Inline, Math, Text
from ..solve import solve
from ..symbols import bias as bias_symbol
from .template import QuestionSpec, Template

__all__ = ["Answer", "Exam", "Mistake", "Posed", "Variant", "make_exam", "solve_for"]

#: draws per requested variant before giving up
DRAWS_PER_VARIANT = 50


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


def _without_bias(rows: Iterable[Row]) -> sympy.Expr:
    """The parameters of ``rows`` had none of them a bias (a common mistake, not a count)."""
    total = sympy.Integer(0)
    for row in rows:
        if row.values.get(bias_symbol) == 1:
            total += with_values(row, row.formula.params, {bias_symbol: 0})
        else:
            total += row.params
    return total


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
    mistakes = _mistakes(row.layer.param_mistakes(row), answer)
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
        if not isinstance(line, Derivation | Fact) or line.quantity.key not in keys
    )


def _lines_of(lines: Iterable[Line], key: str) -> tuple[Line, ...]:
    return tuple(
        line for line in lines if isinstance(line, Derivation | Fact) and line.quantity.key == key
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
        for mistake in _mistakes(row.layer.size_mistakes(row, axis), answers[axis].value):
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


#: the bytes of one parameter on an exam sheet: 32-bit floats, as PyTorch stores them by default
PARAMETER_BYTES = 4


def _ask_param_bytes(variant: Network, spec: QuestionSpec, number: int) -> Posed:
    """The memory the whole network's parameters take, stored as 32-bit floats."""
    answer = _int(variant.params * PARAMETER_BYTES)
    prompt = (
        Text(
            "How many bytes do the learnable parameters of the whole network take, stored as "
            f"32-bit floats ({PARAMETER_BYTES} bytes each)?"
        ),
    )
    working = derive_network(variant)
    total = working.total
    memory = Derivation(
        quantity("param_bytes"),
        times(Ref(quantity("total_params")), PARAMETER_BYTES),
        times(Value(variant.params), PARAMETER_BYTES),
        answer,
        f"{PARAMETER_BYTES} bytes per 32-bit float",
    )
    candidates = [
        ("counting parameters, not bytes", variant.params),
        ("counting bits, not bytes", variant.params * 8 * PARAMETER_BYTES),
        ("8-byte (64-bit) floats", variant.params * 8),
    ]
    if variant.buffers != 0:
        candidates.append(
            ("counting the buffers", (variant.params + variant.buffers) * PARAMETER_BYTES)
        )
    return Posed(
        number,
        spec,
        prompt,
        (Answer("parameter bytes", answer),),
        (total, memory),
        _mistakes(candidates, answer),
    )


def _macs_mistakes(
    rows: Sequence[Row], costs: Mapping[str, sympy.Expr]
) -> list[tuple[str, sympy.Expr]]:
    """The catalogue's wrong MAC counts, each made on every row it applies to: what a student who
    counts that way gives for these rows (FLOPs for MACs, no output size, no depth, the bias)."""
    titles: dict[str, str] = {}
    wrong: dict[str, dict[str, sympy.Expr]] = {}
    for row in rows:
        for form, value in wrong_values(row, "macs"):
            titles[form.mistake.id] = form.mistake.title
            wrong.setdefault(form.mistake.id, {}).setdefault(row.name, value)
    return [
        (titles[mistake], sympy.Add(*(made.get(row.name, costs[row.name]) for row in rows)))
        for mistake, made in wrong.items()
    ]


def _ask_macs(variant: Network, spec: QuestionSpec, number: int) -> Posed:
    """The multiply-accumulates of one layer or of the whole network (one example)."""
    costs = {name: macs for name, (macs, _) in variant.row_costs().items()}
    if spec.layer is not None:
        row = variant[spec.layer]
        answer = _int(costs[row.name])
        whom: tuple[Inline, ...] = (*_layer_pieces(row), Text(" do"))
        lines = _lines_without(derive(row, costs=True).lines, {"params", "buffers"})
        rows: Sequence[Row] = [row]
        label = "MACs"
    else:
        answer = _int(variant.macs)
        whom = (Text("the whole network do"),)
        working = derive_network(variant, costs=True)
        lines = (
            *(
                line
                for layer in working.layers
                for line in _lines_of(layer.lines, "macs")
                if line.result != 0
            ),
            working.costs[0],
        )
        rows = [row for row in variant.rows if costs[row.name] != 0]
        label = "total MACs"
    prompt = (
        Text("How many multiply-accumulates (MACs) does "),
        *whom,
        Text(" in one forward pass of one example?"),
    )
    mistakes = _mistakes(_macs_mistakes(rows, costs), answer)
    return Posed(number, spec, prompt, (Answer(label, answer),), tuple(lines), mistakes)


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
        for piece in row.layer.describe():
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
        elif spec.ask == "macs":
            question = _ask_macs(network, spec, number)
        elif spec.ask == "param_bytes":
            question = _ask_param_bytes(network, spec, number)
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

    >>> from symcnn.exam import load_template
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
