"""Asking one question of one variant: its text, answers, working, the mistakes it must not equal
(refused variants) and the catalogue's mistakes it offers as options and feedback."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import sympy

from ..derive import derive, derive_network
from ..formula import Derivation, Fact, Line, Ref, Value, quantity, times
from ..layers import Row
from ..layers.base import with_values
from ..network import Network
from ..prose import Inline, Text
from ..receptive import mistakes as receptive_mistakes
from ..receptive import working as receptive_working
from ..symbols import bias as bias_symbol
from .distractors import Mistake, catalogue_mistakes
from .template import QuestionSpec

__all__ = [
    "PARAMETER_BYTES",
    "Answer",
    "Degenerate",
    "Posed",
    "ask_forward",
    "asked_expressions",
    "contexts",
    "network_context",
]

#: the bytes of one parameter on an exam sheet: 32-bit floats, as PyTorch stores them by default
PARAMETER_BYTES = 4
#: the catalogue's quantity of each axis of a shape (its output-size forms apply to every axis)
AXIS_QUANTITY = {"depth": "out_t", "height": "out_h", "width": "out_w", "size": "out_w"}


class Degenerate(Exception):  # noqa: N818 - internal signal, never leaves the exam package
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Answer:
    """One number to give: a label (``width``, ``k1``...), its value and, for an axis of a shape,
    the catalogue's mistakes for it (feedback on a wrong blank)."""

    label: str
    value: sympy.Integer
    catalogued: tuple[Mistake, ...] = ()


@dataclass(frozen=True)
class Posed:
    """A question of one variant: its text, its answers, their working, the mistakes it must not
    equal, the catalogue's mistakes (``catalogued``: offered as options, or as feedback on a wrong
    number) and, for multiple choice, the options in the order shown and the mistakes among them.
    ``uses`` numbers the earlier questions whose answers this one needs; ``fallback`` says why a
    multiple-choice question is asked numerically (too few plausible mistakes), for the key."""

    number: int
    spec: QuestionSpec
    prompt: tuple[Inline, ...]
    answers: tuple[Answer, ...]
    working: tuple[Line, ...]
    mistakes: tuple[Mistake, ...]
    catalogued: tuple[Mistake, ...] = ()
    options: tuple[sympy.Integer, ...] = ()
    distractors: tuple[Mistake, ...] = ()
    uses: tuple[int, ...] = field(default=())
    fallback: str = ""

    def mistake_for(self, option: sympy.Integer) -> Mistake | None:
        """The mistake a wrong option is (``None`` for the answer)."""
        return next((m for m in self.distractors if m.value == option), None)


def _int(value: sympy.Expr) -> sympy.Integer:
    if not value.is_Integer:
        raise Degenerate(f"a non-integer answer ({value})")
    return sympy.Integer(value)


def _refused(
    candidates: Iterable[tuple[str, sympy.Expr]], answer: sympy.Integer
) -> tuple[Mistake, ...]:
    """The layer's common slips; one equal to the answer makes the variant degenerate."""
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
    total = sympy.Integer(0)
    for row in rows:
        if row.values.get(bias_symbol) == 1:
            total += with_values(row, row.formula.params, {bias_symbol: 0})
        else:
            total += row.params
    return total


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


def _spatial_axes(row: Row, layout: str) -> list[int]:
    rank = len(row.output_shape)
    if rank == 1:
        return []
    return list(range(rank - 1)) if layout == "HWC" else list(range(1, rank))


def _axis_labels(rank: int, layout: str) -> list[str]:
    if rank == 1:
        return ["size"]
    spatial = ["depth", "height", "width"][3 - (rank - 1) :]
    return [*spatial, "channels"] if layout == "HWC" else ["channels", *spatial]


def _name(row: Row) -> Text:
    return Text(row.name, bold=True)


# ------------------------------------------------------------------------------ what is asked


def _costs(net: Network) -> dict[str, sympy.Expr]:
    return {name: macs for name, (macs, _) in net.row_costs().items()}


def quantity_of(net: Network, what: str, layer: str | None) -> sympy.Expr | tuple[sympy.Expr, ...]:
    """The value (a shape: the sizes) of ``what`` for ``layer`` or the whole network."""
    if what == "total_params":
        return net.params
    if what == "param_bytes":
        return net.params * PARAMETER_BYTES
    if what == "macs":
        return net.macs if layer is None else _costs(net)[layer]
    if what == "receptive_field":
        return tuple(net.receptive_field if layer is None else net[layer].receptive_field)
    assert layer is not None
    row = net[layer]
    if what == "output_shape":
        return tuple(row.output_shape)
    return {"params": row.params, "buffers": row.buffers, "activation_size": row.activation_size}[
        what
    ]


def asked_expressions(net: Network, spec: QuestionSpec) -> tuple[sympy.Expr, ...]:
    """What a question's answer is computed from, on ``net`` (its symbols: what it depends on)."""
    value = quantity_of(net, spec.given or "" if spec.ask == "solve" else spec.ask, spec.layer)
    return value if isinstance(value, tuple) else (value,)


# ------------------------------------------------------------------------------ forward questions

_PROMPTS = {
    "params": "How many learnable parameters (weights and biases) does {} have?",
    "buffers": "How many buffers (running statistics, not learned) does {} keep?",
    "activation_size": "What is the activation size (the number of values in the output) of {}?",
}


def _prompt(template: str, row: Row) -> tuple[Inline, ...]:
    before, after = template.split("{}")
    return (Text(before), _name(row), Text(after))


def _ask_layer(net: Network, spec: QuestionSpec, number: int) -> Posed:
    assert spec.layer is not None
    row = net[spec.layer]
    answer = _int(quantity_of(net, spec.ask, spec.layer))  # type: ignore[arg-type]
    refused: list[tuple[str, sympy.Expr]] = []
    if spec.ask == "params":
        refused = row.layer.param_mistakes(row)
        lines = (*_input_lines(net, row), *_lines_of(derive(row).lines, "params"))
    elif spec.ask == "buffers":
        lines = _lines_of(derive(row).lines, "buffers")
    else:
        axes = _spatial_axes(row, net.layout)
        if axes:
            refused.append(
                ("forgetting the channels", sympy.Mul(*(row.output_shape[i] for i in axes)))
            )
        refused.append(("giving the input's size", sympy.Mul(*row.input_shape)))
        if row.formula.params != 0:
            refused.append(("giving the number of parameters", row.params))
        lines = _lines_without(derive(row).lines, {"params", "buffers"})
    right = {row.name: quantity_of(net, spec.ask, row.name)}
    return Posed(
        number,
        spec,
        _prompt(_PROMPTS[spec.ask], row),
        (Answer(spec.ask.replace("_", " ").replace("params", "parameters"), answer),),
        lines,
        _refused(refused, answer),
        tuple(catalogue_mistakes([row], spec.ask, right, contexts(net, [row]))),  # type: ignore[arg-type]
    )


def _ask_shape(net: Network, spec: QuestionSpec, number: int) -> Posed:
    assert spec.layer is not None
    row = net[spec.layer]
    labels = _axis_labels(len(row.output_shape), net.layout)
    answers = []
    for label, size in zip(labels, row.output_shape, strict=True):
        caught: tuple[Mistake, ...] = ()
        if label != "channels":
            caught = tuple(catalogue_mistakes([row], AXIS_QUANTITY[label], {row.name: size}))
        answers.append(Answer(label, _int(size), caught))
    prompt = (
        Text("What is the shape of the output of "),
        _name(row),
        Text(f", written ({', '.join(labels)})?"),
    )
    mistakes: list[Mistake] = []
    for axis in _spatial_axes(row, net.layout):
        for mistake in _refused(row.layer.size_mistakes(row, axis), answers[axis].value):
            if mistake not in mistakes:
                mistakes.append(mistake)
    lines = _lines_without(derive(row).lines, {"params", "buffers", "activation_size"})
    return Posed(number, spec, prompt, tuple(answers), lines, tuple(mistakes))


def _named(line: Line, name: str) -> Line:
    """A line of a total's working with the layer it is for in its note: ``(FC3)``."""
    if isinstance(line, Derivation):
        return replace(line, note=f"{name}; {line.note}" if line.note else name)
    if isinstance(line, Fact):
        return replace(line, reason=f"{name}; {line.reason}" if line.reason else name)
    return line


def _network_lines(net: Network, key: str, costs: bool = False) -> tuple[Line, ...]:
    """Each layer's line of ``key``, named, then the total."""
    working = derive_network(net, costs=costs)
    lines = tuple(
        _named(line, layer.row.name)
        for layer in working.layers
        for line in _lines_of(layer.lines, key)
        if line.result != 0
    )
    return (*lines, working.costs[0] if key == "macs" else working.total)


def _source(net: Network, row: Row) -> Row | None:
    """The row ``row`` reads from (``None``: the network's input)."""
    names = [r.name for r in net.rows]
    position = names.index(row.name)
    source = row.inputs[0] if row.inputs else (names[position - 1] if position else None)
    return net[source] if source is not None and source in names else None


def _flattener(net: Network, row: Row) -> Row | None:
    """The row before ``row`` when it flattens (its output has fewer axes than its input)."""
    producer = _source(net, row)
    if producer is None or len(producer.input_shape) <= len(producer.output_shape):
        return None
    return producer


def _input_lines(net: Network, row: Row) -> tuple[Line, ...]:
    """The working of a layer's input size when a flatten made it (``5·5·16 = 400``, then the
    layer's ``p = 400``): the step students skip."""
    producer = _flattener(net, row)
    if producer is None:
        return ()
    return tuple(
        _named(line, producer.name) for line in _lines_of(derive(producer).lines, "activation_size")
    )


def network_context(net: Network, row: Row) -> dict[str, sympy.Expr]:
    """The network around ``row`` that the catalogue's network-level forms use
    (:data:`symcnn.mistakes.CONTEXT_NAMES`): after a flatten of an image-shaped map, its channels
    and the network input's spatial size. Empty where they do not apply."""
    producer = _flattener(net, row)
    flattened, image = (producer.input_shape, net.input_shape) if producer else ((), ())
    if producer is None or len(flattened) != len(image) or len(image) < 2:
        return {}
    axis = -1 if net.layout == "HWC" else 0
    spatial = image[:-1] if net.layout == "HWC" else image[1:]
    return {"flat_channels": flattened[axis], "input_positions": sympy.Mul(*spatial)}


def contexts(net: Network, rows: Iterable[Row]) -> dict[str, dict[str, sympy.Expr]]:
    """:func:`network_context` of each row that has one."""
    found = {row.name: network_context(net, row) for row in rows}
    return {name: context for name, context in found.items() if context}


def _ask_total(net: Network, spec: QuestionSpec, number: int) -> Posed:
    answer = _int(net.params)
    refused: list[tuple[str, sympy.Expr]] = []
    if any(row.values.get(bias_symbol) == 1 for row in net.rows):
        refused.append(("forgetting the biases", _without_bias(net.rows)))
    if net.buffers != 0:
        refused.append(("counting the buffers", net.params + net.buffers))
    right = {row.name: row.params for row in net.rows}
    caught = catalogue_mistakes(net.rows, "params", right, contexts(net, net.rows))
    return Posed(
        number,
        spec,
        (Text("How many learnable parameters does the whole network have?"),),
        (Answer("total parameters", answer),),
        _network_lines(net, "params"),
        _refused(refused, answer),
        tuple(caught),
    )


def _ask_param_bytes(net: Network, spec: QuestionSpec, number: int) -> Posed:
    """The memory the whole network's parameters take, stored as 32-bit floats."""
    answer = _int(net.params * PARAMETER_BYTES)
    prompt = (
        Text(
            "How many bytes do the learnable parameters of the whole network take, stored as "
            f"32-bit floats ({PARAMETER_BYTES} bytes each)?"
        ),
    )
    memory = Derivation(
        quantity("param_bytes"),
        times(Ref(quantity("total_params")), PARAMETER_BYTES),
        times(Value(net.params), PARAMETER_BYTES),
        answer,
        f"{PARAMETER_BYTES} bytes per 32-bit float",
    )
    refused = [
        ("counting parameters, not bytes", net.params),
        ("counting bits, not bytes", net.params * 8 * PARAMETER_BYTES),
    ]
    right = {row.name: row.params for row in net.rows}
    catalogued = [
        Mistake(m.description, sympy.Integer(m.value * PARAMETER_BYTES), m.id, m.explanation)
        for m in catalogue_mistakes(net.rows, "params", right, contexts(net, net.rows))
    ]
    return Posed(
        number,
        spec,
        prompt,
        (Answer("parameter bytes", answer),),
        (*_network_lines(net, "params")[-1:], memory),
        _refused(refused, answer),
        tuple(catalogued),
    )


def _ask_macs(net: Network, spec: QuestionSpec, number: int) -> Posed:
    """The multiply-accumulates of one layer or of the whole network (one example)."""
    costs = _costs(net)
    if spec.layer is not None:
        row = net[spec.layer]
        answer = _int(costs[row.name])
        whom: tuple[Inline, ...] = (_name(row), Text(" do"))
        lines = _lines_without(derive(row, costs=True).lines, {"params", "buffers"})
        rows: Sequence[Row] = [row]
        label = "MACs"
    else:
        answer = _int(net.macs)
        whom = (Text("the whole network do"),)
        lines = _network_lines(net, "macs", costs=True)
        rows = [row for row in net.rows if costs[row.name] != 0]
        label = "total MACs"
    prompt = (
        Text("How many multiply-accumulates (MACs) does "),
        *whom,
        Text(" in one forward pass of one example?"),
    )
    catalogued = tuple(catalogue_mistakes(rows, "macs", costs))
    refused = [(m.description, m.value) for m in catalogued]
    return Posed(
        number, spec, prompt, (Answer(label, answer),), lines, _refused(refused, answer), catalogued
    )


def _ask_receptive_field(net: Network, spec: QuestionSpec, number: int) -> Posed:
    """The receptive field of a layer (or the output): the side of the input region one of its
    output positions reads, along the width when the field is not square."""
    row = net[spec.layer or net.output]
    sizes = tuple(row.receptive_field)
    if not sizes:
        raise Degenerate("a field with no spatial axes")
    square = all(size == sizes[0] for size in sizes)
    axis = len(sizes) - 1  # the width, the last spatial axis
    answer = _int(sizes[axis])
    prompt = (
        Text("What is the receptive field of "),
        _name(row),
        Text(
            (" along the width" if not square else "")
            + ": the side, in input positions, of the input region one of its output "
            "positions reads?"
        ),
    )
    args = (net.rows, net.inputs, net.layout, row.name, axis)
    slips = receptive_mistakes(*args)
    refused = _refused(slips, answer)
    label = "receptive field" if square else "receptive field (width)"
    return Posed(
        number, spec, prompt, (Answer(label, answer),), tuple(receptive_working(*args)),
        refused, refused,
    )


FORWARD = {
    "params": _ask_layer,
    "buffers": _ask_layer,
    "activation_size": _ask_layer,
    "output_shape": _ask_shape,
    "total_params": _ask_total,
    "macs": _ask_macs,
    "param_bytes": _ask_param_bytes,
    "receptive_field": _ask_receptive_field,
}


def ask_forward(net: Network, spec: QuestionSpec, number: int) -> Posed:
    """Pose question ``number`` (``spec``, not an inverse question) of the variant ``net``."""
    return FORWARD[spec.ask](net, spec, number)
