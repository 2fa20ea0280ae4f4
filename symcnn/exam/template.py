"""Question templates: a network spec whose numbers may be names, the values each name may take,
and the questions to ask; :func:`load_template` reads and checks one (see :mod:`symcnn.exam`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import sympy

import symcnn.limits as limits

from ..errors import SpecError, SymcnnError, describe
from ..limits import how_to_raise
from ..network import Network
from ..parse import parse_expression
from ..spec import normalize, read_spec

__all__ = ["Constraint", "QuestionSpec", "Template", "Tolerance", "Variable", "load_template"]

TOP_LEVEL = (
    "title",
    "instructions",
    "assumptions",
    "network",
    "networks",
    "input",
    "layer",
    "variables",
    "constraints",
    "questions",
)
ASKS = (
    "params",
    "buffers",
    "activation_size",
    "output_shape",
    "total_params",
    "macs",
    "param_bytes",
    "solve",
    "receptive_field",
)
QUESTION_KEYS = (
    "ask",
    "layer",
    "find",
    "given",
    "choices",
    "points",
    "tolerance",
    "type",
    "network",
    "input",
)
#: what an inverse question may state to find its unknown from (a layer's, or the network's total)
GIVENS = ("params", "buffers", "activation_size", "output_shape", "macs", "total_params")
#: the question types as course systems have them; `shape` is one Cloze question, a blank per axis
TYPES = ("numerical", "multichoice", "shape", "short")
#: the most values one variable may take
MAX_CHOICES = limits.MAX_CHOICES  # its value at import; the check reads symcnn.limits
#: the most options a multiple-choice question may ask for
MAX_OPTIONS = 8
#: the most points one question may be worth
MAX_POINTS = 1000
#: the most constraints a template may state
MAX_CONSTRAINTS = 20
#: the most networks one template may give (``networks``, and questions with their own layer)
MAX_NETWORKS = 20
_RELATIONS = {
    "<=": sympy.Le,
    ">=": sympy.Ge,
    "==": sympy.Eq,
    "!=": sympy.Ne,
    "<": sympy.Lt,
    ">": sympy.Gt,
}
_RELATION = re.compile(r"(<=|>=|==|!=|<|>)")


@dataclass(frozen=True)
class Variable:
    """A name in the template's network and the integers it may take."""

    name: str
    choices: tuple[int, ...]


@dataclass(frozen=True)
class Tolerance:
    """How far an answer may be from the right one and still count: ``absolute`` units, or a
    ``relative`` fraction of the answer (exact rationals; 0 means exactly)."""

    value: sympy.Rational = sympy.Integer(0)
    relative: bool = False

    def margin(self, answer: sympy.Integer) -> sympy.Rational:
        """The absolute margin around ``answer``."""
        return sympy.Rational(self.value * abs(answer)) if self.relative else self.value


@dataclass(frozen=True)
class Constraint:
    """A relation the drawn variables must satisfy (``z <= (f - 1)/2``), as written and parsed."""

    text: str
    relation: sympy.Basic

    def holds(self, values: Mapping[str, int]) -> bool:
        bound = self.relation.xreplace(
            {sympy.Symbol(name): sympy.Integer(value) for name, value in values.items()}
        )
        return bool(bound == sympy.true)


@dataclass(frozen=True)
class QuestionSpec:
    """One question of the template: what to ask, about which layer; ``choices`` > 0 makes it
    multiple choice with at most that many options; ``points`` it is worth; ``tolerance`` of a
    numerical answer; ``type`` as a course system asks it (see :data:`TYPES`); ``network`` the
    key of the template's network it is about (``""``: the template's one network)."""

    ask: str
    layer: str | None = None
    find: str | None = None
    given: str | None = None
    choices: int = 0
    points: sympy.Rational = sympy.Integer(1)
    tolerance: Tolerance = Tolerance()
    type: str = "numerical"
    network: str = ""


@dataclass(frozen=True)
class Template:
    """A question template. ``spec`` and ``network`` are its first network's (a one-network
    template's only one); ``specs`` and ``networks`` every network by key, in the order given,
    the variables shared between them."""

    title: str
    instructions: str
    assumptions: tuple[str, ...]
    spec: Mapping[str, Any]
    variables: tuple[Variable, ...]
    questions: tuple[QuestionSpec, ...]
    #: the network with every variable still a symbol
    network: Network
    constraints: tuple[Constraint, ...] = ()
    specs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    networks: Mapping[str, Network] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.networks:  # one network, under the key questions default to
            object.__setattr__(self, "specs", {"": self.spec})
            object.__setattr__(self, "networks", {"": self.network})

    @property
    def several(self) -> bool:
        """Whether the template has several networks (the sheets then name each)."""
        return len(self.networks) > 1

    def title_of(self, key: str) -> str:
        """A network as a sheet names it: its key, and its spec's name when it has another."""
        name = self.specs[key].get("name")
        return key if not name or name == key else f"{key} ({name})"

    @property
    def hidden(self) -> tuple[str, ...]:
        """The variables that inverse questions ask for: the sheets show them as letters."""
        return tuple(q.find for q in self.questions if q.ask == "solve" and q.find)


def _fail(message: str, field: str | None = None) -> SpecError:
    return SpecError(f"exam template: {message}", field=field)


def _integer(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(f"{where} = {describe(value)}: must be an integer", where)
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
        if (high - low) // step >= limits.MAX_CHOICES:
            raise _fail(
                f"{where}: more than {limits.MAX_CHOICES} values " + how_to_raise("MAX_CHOICES"),
                where,
            )
        values = list(range(low, high + 1, step))
    return Variable(name, tuple(dict.fromkeys(values)))


def _rational(value: Any, where: str) -> sympy.Rational:
    """An exact number from YAML: an integer, a decimal (read as the decimal written) or ``a/b``."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _fail(f"{where} = {value!r}: must be a number", where)
    try:
        fraction = Fraction(str(value).strip().replace(" ", ""))
    except (ValueError, ZeroDivisionError):
        raise _fail(f"{where} = {value!r}: must be a number (12, 0.5 or 1/2)", where) from None
    return sympy.Rational(fraction.numerator, fraction.denominator)


def _tolerance(raw: Any, where: str) -> Tolerance:
    where = f"{where}.tolerance"
    if isinstance(raw, str) and raw.strip().endswith("%"):
        raw = {"relative": _rational(raw.strip()[:-1], where) / 100}
    if not isinstance(raw, Mapping):
        raw = {"absolute": raw}
    if set(raw) - {"absolute", "relative"} or len(raw) != 1:
        raise _fail(f"{where}: give a number, `absolute: x`, `relative: x` or `x%`", where)
    ((kind, value),) = raw.items()
    amount = value if isinstance(value, sympy.Rational) else _rational(value, where)
    if amount < 0 or (kind == "relative" and amount >= 1):
        raise _fail(f"{where} = {value!r}: must be at least 0 (and below 1 when relative)", where)
    return Tolerance(amount, kind == "relative")


def _question_network(where: str, raw: Mapping[str, Any], nets: Mapping[str, Network]) -> str:
    """The key of the network a question is about: its ``network``, else the template's one."""
    key = raw.get("network")
    if key is None:
        if "" in nets or len(nets) == 1:
            return "" if "" in nets else next(iter(nets))
        raise _fail(
            f"{where}: the template has several networks; name one with `network` "
            f"({', '.join(nets)}) or give the question its own `input` and `layer`",
            where,
        )
    if not isinstance(key, str) or key not in nets or not key:
        known = ", ".join(name for name in nets if name) or "none"
        raise _fail(f"{where}: `network` = {describe(key)}: no such network ({known})", where)
    return key


def _question(index: int, raw: Any, nets: Mapping[str, Network], names: set[str]) -> QuestionSpec:
    where = f"questions[{index}]"
    if not isinstance(raw, Mapping) or "ask" not in raw:
        raise _fail(f"{where} must be a mapping with `ask` ({', '.join(ASKS)})", where)
    unknown = sorted(set(raw) - set(QUESTION_KEYS))
    if unknown:
        raise _fail(
            f"{where}: unknown key `{unknown[0]}` (valid keys: {', '.join(QUESTION_KEYS)})", where
        )
    network = _question_network(where, raw, nets)
    net = nets[network]
    ask = raw["ask"]
    if not isinstance(ask, str) or ask not in ASKS:
        raise _fail(f"{where}: `ask` = {describe(ask)}: must be one of {', '.join(ASKS)}", where)
    layer = raw.get("layer")
    layers = [row.name for row in net.rows]
    if layer is not None and (not isinstance(layer, str | int) or str(layer) not in layers):
        raise _fail(
            f"{where}: no layer named {describe(layer)} (layers: {', '.join(layers)})", where
        )
    layer = None if layer is None else str(layer)
    needs_layer = ask in ("params", "buffers", "activation_size", "output_shape")
    if needs_layer and layer is None:
        raise _fail(f"{where}: `ask: {ask}` needs `layer`", where)
    kind = raw.get("type")
    if kind is not None and kind not in TYPES:
        raise _fail(f"{where}: `type` = {kind!r}: must be one of {', '.join(TYPES)}", where)
    choices = raw.get("choices", 4 if kind == "multichoice" else 0)
    choices = _integer(choices, f"{where}.choices")
    if choices and not 2 <= choices <= MAX_OPTIONS:
        raise _fail(
            f"{where}.choices = {choices}: a multiple-choice question has 2 to {MAX_OPTIONS} "
            "options",
            where,
        )
    shape = ask == "output_shape"
    if shape and choices:
        raise _fail(f"{where}: a shape has several numbers; ask it without `choices`", where)
    if kind is None:
        kind = "shape" if shape else "multichoice" if choices else "numerical"
    if (kind == "shape") != shape or (kind == "multichoice") != bool(choices):
        raise _fail(
            f"{where}: `type: {kind}` does not fit `ask: {ask}`"
            + (" with `choices`" if choices else ""),
            where,
        )
    points = _rational(raw.get("points", 1), f"{where}.points")
    if not 0 < points <= MAX_POINTS:
        raise _fail(f"{where}.points = {points}: must be above 0 and at most {MAX_POINTS}", where)
    tolerance = _tolerance(raw.get("tolerance", 0), where)
    find = given = None
    if ask == "solve":
        find = raw.get("find")
        if not isinstance(find, str) or find not in names:
            raise _fail(
                f"{where}: `find` = {describe(find)} must be one of the variables "
                f"({', '.join(sorted(names))})",
                where,
            )
        if find not in net.symbols:
            raise _fail(f"{where}: `find` = {find!r} does not appear in network {network}", where)
        given = raw.get("given", "params" if layer else "total_params")
        if not isinstance(given, str) or given not in GIVENS:
            raise _fail(
                f"{where}: `given` = {describe(given)}: must be one of {', '.join(GIVENS)}", where
            )
        if given != "total_params" and given != "macs" and layer is None:
            raise _fail(f"{where}: `given: {given}` needs `layer`", where)
    elif "find" in raw or "given" in raw:
        raise _fail(f"{where}: `find` and `given` belong to `ask: solve`", where)
    return QuestionSpec(ask, layer, find, given, choices, points, tolerance, kind, network)


def _constraint(index: int, raw: Any, names: set[str]) -> Constraint:
    where = f"constraints[{index}]"
    if not isinstance(raw, str):
        raise _fail(f"{where} must be a relation such as `z <= (f - 1)/2`", where)
    parts = _RELATION.split(raw)
    if len(parts) != 3:
        raise _fail(
            f"{where} = {raw!r}: write one relation with one of {', '.join(_RELATIONS)}", where
        )
    left, relation, right = parts
    try:
        sides = [
            parse_expression(side, sympy.Symbol, allowed_names=names) for side in (left, right)
        ]
    except SymcnnError as error:
        raise _fail(f"{where} = {raw!r}: {error}", where) from None
    return Constraint(" ".join(raw.split()), _RELATIONS[relation](*sides, evaluate=False))


def _read_network(raw: Any, source: Any, where: str) -> Mapping[str, Any]:
    """A network of a template: a spec, a spec file next to the template, or ``input`` with one
    ``layer``."""
    if isinstance(raw, Mapping) and "layer" in raw:
        unknown = sorted(str(key) for key in raw if key not in ("input", "layer", "name"))
        if unknown or "input" not in raw:
            raise _fail(f"{where}: a one-layer network has `input`, `layer` and a `name`", where)
        return normalize(
            {
                "input": raw["input"],
                "layers": [raw["layer"]],
                **({"name": raw["name"]} if "name" in raw else {}),
            }
        )
    if isinstance(raw, str) and isinstance(source, str | Path) and "\n" not in str(source):
        raw = str(Path(source).parent / raw)  # a spec file next to the template
    return normalize(read_spec(raw))


def _networks(document: Mapping[str, Any], source: Any) -> dict[str, Mapping[str, Any]]:
    """The template's networks by key: ``""`` for its one ``network`` (or ``input`` with
    ``layer``), each of ``networks`` by its name."""
    given = [key for key in ("network", "networks") if key in document]
    one_layer = "layer" in document or "input" in document
    if len(given) + one_layer > 1:
        raise _fail("give one of `network`, `networks`, or `input` with `layer`", given[0])
    if "networks" in document:
        raw = document["networks"]
        if not isinstance(raw, Mapping) or not raw or len(raw) > MAX_NETWORKS:
            raise _fail(
                f"`networks` must map 1 to {MAX_NETWORKS} names to network specs", "networks"
            )
        specs: dict[str, Mapping[str, Any]] = {}
        for key, network in raw.items():
            if not isinstance(key, str) or not key.strip() or len(key) > 80:
                raise _fail(f"`networks`: {describe(key)} is not a network's name", "networks")
            specs[key] = _read_network(network, source, f"networks.{key}")
        return specs
    if "network" in document:
        return {"": _read_network(document["network"], source, "network")}
    if one_layer and "layer" in document and "input" in document:
        return {
            "": _read_network(
                {"input": document["input"], "layer": document["layer"]}, None, "layer"
            )
        }
    return {}


def _own_layer(index: int, raw: Any, specs: dict[str, Mapping[str, Any]]) -> Any:
    """A question with its own ``input`` and ``layer`` (a mapping): its network is added to
    ``specs`` as ``for question N``, and the question asks about its layer there."""
    if not isinstance(raw, Mapping) or "input" not in raw:
        return raw
    where = f"questions[{index}]"
    layer = raw.get("layer")
    if not isinstance(layer, Mapping) or "network" in raw:
        raise _fail(
            f"{where}: with `input`, `layer` is the question's own layer (a mapping)", where
        )
    key = f"for question {index + 1}"
    specs[key] = _read_network({"input": raw["input"], "layer": layer}, None, where)
    (entry,) = specs[key]["layers"]
    name = entry.get("name") or Network.build(specs[key]).rows[0].name
    return {**{k: v for k, v in raw.items() if k != "input"}, "layer": name, "network": key}


def load_template(source: Any) -> Template:
    """Read and check a question template: a mapping, a .yaml/.yml/.json path or YAML text."""
    document = read_spec(source)
    if not isinstance(document, Mapping):
        raise _fail("must be a mapping with `network`, `variables` and `questions`")
    unknown = sorted(str(key) for key in document if key not in TOP_LEVEL)
    if unknown:
        raise _fail(f"unknown key `{unknown[0]}` (valid keys: {', '.join(TOP_LEVEL)})", unknown[0])
    specs = _networks(document, source)
    raw_questions = document.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        raise _fail("`questions` must be a non-empty list", "questions")
    raw_questions = [_own_layer(i, raw, specs) for i, raw in enumerate(raw_questions)]
    if not specs:
        raise _fail(
            "needs `network` (a spec), `networks` (several), or `input` and `layer` (a one-layer "
            "question)",
            "network",
        )
    if len(specs) > MAX_NETWORKS:
        raise _fail(f"more than {MAX_NETWORKS} networks", "networks")
    spec = next(iter(specs.values()))
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
    for name in raw_variables:
        if not isinstance(name, str) or not name.isidentifier():
            raise _fail(
                f"`variables`: {describe(name)} is not a symbol's name (quote it if it is)",
                "variables",
            )
    variables = tuple(_variable(name, raw) for name, raw in sorted(raw_variables.items()))
    nets = {key: Network.build(one) for key, one in specs.items()}
    names = {variable.name for variable in variables}
    symbols = set().union(*(net.symbols for net in nets.values()))
    several = "any network" if len(nets) > 1 else "the network"
    if symbols - names:
        missing = ", ".join(sorted(symbols - names))
        raise _fail(f"{several} uses {missing} but `variables` gives no values for it", "variables")
    if names - symbols:
        unused = ", ".join(sorted(names - symbols))
        raise _fail(f"variable {unused} does not appear in {several}", "variables")
    questions = tuple(_question(i, raw, nets, names) for i, raw in enumerate(raw_questions))
    for key in nets:
        if key and not any(question.network == key for question in questions):
            raise _fail(f"network {key} is given but no question asks about it", "networks")
    raw_constraints = document.get("constraints") or []
    if isinstance(raw_constraints, str):
        raw_constraints = [raw_constraints]
    if not isinstance(raw_constraints, list) or len(raw_constraints) > MAX_CONSTRAINTS:
        raise _fail(
            f"`constraints` must be a list of at most {MAX_CONSTRAINTS} relations", "constraints"
        )
    constraints = tuple(_constraint(i, raw, names) for i, raw in enumerate(raw_constraints))
    net = next(iter(nets.values()))
    return Template(
        title,
        instructions,
        tuple(assumptions),
        spec,
        variables,
        questions,
        net,
        constraints,
        specs if len(specs) > 1 else {},
        nets if len(nets) > 1 else {},
    )
