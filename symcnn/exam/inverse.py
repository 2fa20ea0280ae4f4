"""Inverse questions: the sheet hides an unknown and states a quantity; :func:`symcnn.solve`
finds the unknown, and the catalogue's wrong counts, solved the same way, are the mistakes."""

from __future__ import annotations

from collections.abc import Mapping

import sympy

from ..derive import derive
from ..errors import SolveError, SymcnnError
from ..formula import Line
from ..network import Network
from ..prose import Inline, Math, Text
from ..solve import solve, solved_working
from .distractors import Mistake, catalogue_expressions
from .questions import (
    Answer,
    Degenerate,
    Posed,
    _axis_labels,
    _costs,
    _int,
    _lines_of,
    _lines_without,
    _name,
    _network_lines,
    _refused,
    _spatial_axes,
    ask_forward,
    asked_expressions,
    contexts,
)
from .template import QuestionSpec, Template

__all__ = ["ask", "ask_solve", "solve_for"]


# ------------------------------------------------------------------------------ inverse questions

_ROLES = {
    "out_channels": "the number of filters",
    "out_features": "the number of neurons",
    "kernel_size": "the kernel size",
    "stride": "the stride",
    "padding": "the padding",
}


def _role(template: Template, name: str, network: str) -> str:
    """What a variable stands for, from where the question's network's spec uses it
    (``out_channels`` → filters)."""
    for layer in template.specs[network]["layers"]:
        if layer.get("repeat") == name and "block" in layer:
            return f"the number of times block {layer.get('name', layer['block'])} is repeated"
        for key, value in layer.items():
            if value == name and key in _ROLES:
                return f"{_ROLES[key]} of {layer.get('name', layer['type'])}"
    return "its value"


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


def _given_prompt(
    shown: Network, spec: QuestionSpec, target: tuple[sympy.Expr, ...]
) -> list[Inline]:
    if spec.given == "total_params":
        return [Text("The network has "), Math(target[0]), Text(" learnable parameters in total. ")]
    if spec.given == "macs" and spec.layer is None:
        return [Text("The whole network does "), Math(target[0]), Text(" MACs for one example. ")]
    assert spec.layer is not None
    row = shown[spec.layer]
    if spec.given == "output_shape":  # its spatial sizes: the channels would give filters away
        axes = _spatial_axes(row, shown.layout) or [0]
        labels = _axis_labels(len(row.output_shape), shown.layout)
        pieces: list[Inline] = [Text("The output of "), _name(row), Text(" is ")]
        for position, axis in enumerate(axes):
            pieces += [Text(" × " if position else ""), Math(target[axis])]
        pieces.append(Text(f" ({' × '.join(labels[i] for i in axes)})"))
        if all(target[i] == row.input_shape[i] for i in axes):
            pieces.append(Text(", the same spatial size as its input ('same' padding)"))
        return [*pieces, Text(". ")]
    words = {
        "params": " learnable parameters. ",
        "buffers": " buffers. ",
        "activation_size": " values in its output. ",
        "macs": " multiply-accumulates (MACs) for one example. ",
    }[spec.given or "params"]
    return [_name(row), Text(" has "), Math(target[0]), Text(words)]


def _given_lines(shown: Network, spec: QuestionSpec) -> tuple[Line, ...]:
    if spec.given == "total_params":
        return _network_lines(shown, "params")
    if spec.given == "macs" and spec.layer is None:
        return _network_lines(shown, "macs", costs=True)
    assert spec.layer is not None
    lines = derive(shown[spec.layer], costs=spec.given == "macs").lines
    if spec.given == "output_shape":
        return _lines_without(lines, {"params", "buffers", "activation_size", "macs"})
    return _lines_of(lines, spec.given or "params")


def _parts(
    shown: Network,
    spec: QuestionSpec,
    expression: sympy.Expr,
    bind: Mapping[sympy.Basic, sympy.Expr],
) -> list[tuple[str, sympy.Expr]]:
    """The named terms a solved equation's left side adds up: a total's layers (the working
    then says which layers give the known terms and which the unknown's coefficient)."""
    whole = [(spec.layer or "network", expression)]
    if spec.layer is not None or spec.given not in ("total_params", "macs"):
        return whole
    counts = _costs(shown) if spec.given == "macs" else {row.name: row.params for row in shown.rows}
    parts = [(name, count.xreplace(bind)) for name, count in counts.items() if count != 0]
    total = sum((part for _, part in parts), sympy.Integer(0))
    return parts if sympy.expand(total - expression) == 0 else whole


def ask_solve(
    template: Template,
    net: Network,
    shown: Network,
    values: Mapping[str, int],
    spec: QuestionSpec,
    number: int,
) -> Posed:
    assert spec.find is not None and spec.given is not None
    unknown = shown.symbols[spec.find]
    # the sheet's other unknowns are the answers of earlier questions (Posed.uses says which)
    known = {
        name: values[name]
        for name in template.hidden
        if name != spec.find and name in shown.symbols
    }
    bind = {shown.symbols[name]: sympy.Integer(value) for name, value in known.items()}
    expressions = asked_expressions(shown, spec)
    targets = tuple(_int(value) for value in asked_expressions(net, spec))
    position = next((i for i, e in enumerate(expressions) if unknown in e.free_symbols), None)
    if position is None:
        raise Degenerate(
            f"the inverse question has no unique answer: the {spec.given} does not depend on "
            f"{spec.find}"
        )
    expression = expressions[position].xreplace(bind)
    target = targets[position]
    try:
        value = solve_for(shown, expression, unknown, target, known)
    except SymcnnError as error:
        raise Degenerate(f"the inverse question has no unique answer: {error}") from None
    if value != values[spec.find]:  # one solution, and the drawn value is one: they are equal
        raise AssertionError(
            f"solver gave {spec.find} = {value}, the variant drew {values[spec.find]}"
        )
    prompt = (
        *_given_prompt(shown, spec, targets),
        Text("What is "),
        Math(unknown),
        Text(f", {_role(template, spec.find, spec.network)}?"),
    )
    solved = solved_working(unknown, _parts(shown, spec, expression, bind), target, value)
    catalogued: list[Mistake] = []
    if spec.given in ("params", "total_params", "macs"):
        rows = [shown[spec.layer]] if spec.layer else list(shown.rows)
        quantity_name = "macs" if spec.given == "macs" else "params"
        right = _costs(shown) if spec.given == "macs" else {row.name: row.params for row in rows}
        around = contexts(shown, rows) if quantity_name == "params" else None
        for mistake, wrong in catalogue_expressions(rows, quantity_name, right, around):
            try:
                solution = solve_for(shown, wrong.xreplace(bind), unknown, target, known)
            except SymcnnError:  # with this mistake there is no one whole answer
                continue
            if solution == value or solution in [m.value for m in catalogued]:
                continue  # the mistake changes nothing here, or what another already gives
            catalogued.append(
                Mistake(
                    f"solving with the wrong count: {mistake.description}",
                    solution,
                    mistake.id,
                    mistake.explanation,
                    mistake.formula,
                )
            )
    refused = [(m.description, m.value) for m in catalogued if m.id == "forgot-bias"]
    return Posed(
        number,
        spec,
        prompt,
        (Answer(spec.find, value),),
        (*_given_lines(shown, spec), *solved),
        _refused(refused, value),
        tuple(catalogued),
    )


def ask(
    template: Template,
    net: Network,
    shown: Network,
    values: Mapping[str, int],
    spec: QuestionSpec,
    number: int,
) -> Posed:
    """Pose question ``number`` (``spec``) of the variant ``net`` (``shown`` on the sheet)."""
    if spec.ask == "solve":
        return ask_solve(template, net, shown, values, spec, number)
    return ask_forward(net, spec, number)
