"""Posing an exam: drawing a template's variables under its constraints, asking each question of
a variant, choosing the options, refusing degenerate variants and templates whose questions
cannot be answered from what the sheet shows (see :mod:`symcnn.exam`)."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import product

import sympy

from ..errors import SpecError, SymcnnError
from ..network import Network
from ..prose import Inline, Math, Shape, Text
from .distractors import Dealer, Mistake, choose_options
from .inverse import ask, solve_for
from .questions import Answer, Degenerate, Posed, asked_expressions
from .template import Template

__all__ = [
    "CONSTRAINT_DRAWS",
    "DRAWS_PER_VARIANT",
    "ENUMERATE_LIMIT",
    "SMALL_ANSWER",
    "Answer",
    "Exam",
    "Mistake",
    "Posed",
    "Variant",
    "fallbacks",
    "make_exam",
    "solve_for",
    "variety",
]

#: draws per requested variant before giving up
DRAWS_PER_VARIANT = 50
#: draws in a row that may break a constraint before the constraints are called unsatisfiable
CONSTRAINT_DRAWS = 10_000
#: templates with at most this many value combinations are checked exhaustively for constraints
ENUMERATE_LIMIT = 100_000
#: answers up to this may equal a number on the sheet: a padding of 1 beside a stride of 1 is a
#: coincidence of small settings, not the answer given away
SMALL_ANSWER = 9


@dataclass(frozen=True)
class Variant:
    """One variant: the drawn values, its first network (``network``, ``shown``) and every
    network by the template's key (``networks``, ``shown_networks``), and its questions."""

    index: int
    values: Mapping[str, int]
    #: every variable at its value
    network: Network
    #: what the sheets show: the unknowns of inverse questions are left as letters
    shown: Network
    questions: tuple[Posed, ...]
    networks: Mapping[str, Network] = field(default_factory=dict)
    shown_networks: Mapping[str, Network] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.networks:
            object.__setattr__(self, "networks", {"": self.network})
            object.__setattr__(self, "shown_networks", {"": self.shown})

    def shown_for(self, question: Posed) -> Network:
        """The network a question is about, as its sheet shows it."""
        return self.shown_networks[question.spec.network]


@dataclass(frozen=True)
class Exam:
    template: Template
    seed: int
    variants: tuple[Variant, ...]

    @property
    def points(self) -> sympy.Rational:
        """What one variant is worth."""
        return sympy.Add(*(question.points for question in self.template.questions))


def _given_numbers(shown: Iterable[Network], posed: Sequence[Posed]) -> set[sympy.Expr]:
    """Every number the sheet states: input sizes, layer settings, the inverse questions' data."""
    numbers: set[sympy.Expr] = set()
    for net in shown:
        numbers.update(net.input_shape)
        for row in net.rows:
            numbers.add(row.multiplicity)
            for piece in row.layer.describe():
                if isinstance(piece, Math):
                    numbers.add(piece.value)
    for question in posed:
        for piece in question.prompt:
            if isinstance(piece, Math):
                numbers.add(piece.value)
            elif isinstance(piece, Shape):
                numbers.update(piece.sizes)
    return {number for number in numbers if isinstance(number, sympy.Integer)}


def _uses(template: Template, shown: Mapping[str, Network]) -> list[tuple[int, ...]]:
    """For each question, the earlier questions whose answers it needs: those that find an
    unknown its answer depends on. A question that needs an unknown no earlier question finds
    cannot be answered from the sheet: that is the template's error."""
    finder = {
        spec.find: number
        for number, spec in enumerate(template.questions, 1)
        if spec.ask == "solve" and spec.find
    }
    uses = []
    for number, spec in enumerate(template.questions, 1):
        net = shown[spec.network]
        expressions = asked_expressions(net, spec)
        if spec.ask == "solve":  # an inverse question uses the size its unknown is found from
            unknown = net.symbols.get(spec.find or "")
            expressions = tuple(e for e in expressions if unknown in e.free_symbols)[:1]
        needed = {symbol.name for e in expressions for symbol in e.free_symbols}
        names = sorted(name for name in needed if name in finder and name != spec.find)
        late = [name for name in names if finder[name] >= number]
        if late:
            raise SpecError(
                f"exam template: question {number} cannot be answered from its sheet: it needs "
                f"{', '.join(late)}, which question {finder[late[0]]} asks for; ask that first",
                field=f"questions[{number - 1}]",
            )
        uses.append(tuple(sorted({finder[name] for name in names})))
    return uses


def _using(uses: tuple[int, ...]) -> tuple[Inline, ...]:
    if not uses:
        return ()
    listed = " and ".join(str(number) for number in uses)
    answers = "answers to questions" if len(uses) > 1 else "answer to question"
    return (Text(f"Using your {answers} {listed}: "),)


def _fallback(question: Posed) -> str:
    return (
        f"Asked as a numerical question, not with {question.spec.choices} options: the mistake "
        "catalogue gives too few plausible wrong answers here (distinct, apart from the answer "
        "and the numbers given) for options on both sides of the answer."
    )


def _pose(
    template: Template, values: Mapping[str, int], index: int, seed: int, dealer: Dealer
) -> Variant:
    hidden = set(template.hidden)
    networks, shown = {}, {}
    for key, symbolic in template.networks.items():
        try:
            own = {name: value for name, value in values.items() if name in symbolic.symbols}
            networks[key] = symbolic.subs(own)
            shown[key] = symbolic.subs({k: v for k, v in own.items() if k not in hidden})
        except SymcnnError as error:
            raise Degenerate(f"an invalid network ({' '.join(str(error).split())})") from None
        if networks[key].conditions:
            raise Degenerate("a network whose validity is undecided")
    uses = _uses(template, shown)
    posed = []
    for number, spec in enumerate(template.questions, 1):
        key = spec.network
        question = ask(template, networks[key], shown[key], values, spec, number)
        posed.append(
            replace(
                question,
                prompt=(*_using(uses[number - 1]), *question.prompt),
                uses=uses[number - 1],
            )
        )
    given = _given_numbers(shown.values(), posed)
    for question in posed:
        if question.spec.ask == "output_shape":  # 'same' sizes and the filters: given by design
            continue
        for answer in question.answers:
            if answer.value > SMALL_ANSWER and answer.value in given:
                raise Degenerate(f"an answer ({answer.value}) equals a number the question gives")
    chosen = []
    for question in posed:
        if question.spec.choices:
            rng = random.Random(f"{seed}/{index}/{question.number}")
            options, picked = choose_options(
                question.answers[0].value,
                question.catalogued,
                question.spec.choices,
                given,
                rng,
                dealer,
                (question.number,),
            )
            question = replace(question, options=options, distractors=picked)
            if not options:
                question = replace(question, fallback=_fallback(question))
        chosen.append(question)
    first = next(iter(template.networks))
    several = template.several
    return Variant(
        index,
        dict(values),
        networks[first],
        shown[first],
        tuple(chosen),
        networks if several else {},
        shown if several else {},
    )


def _satisfying(template: Template) -> int | None:
    """How many value combinations satisfy the constraints, when few enough to count."""
    possible = math.prod(len(variable.choices) for variable in template.variables)
    if not template.constraints:
        return possible
    if possible > ENUMERATE_LIMIT:
        return None
    names = [variable.name for variable in template.variables]
    return sum(
        all(c.holds(dict(zip(names, combination, strict=True))) for c in template.constraints)
        for combination in product(*(variable.choices for variable in template.variables))
    )


def _draws(template: Template, rng: random.Random) -> Iterator[dict[str, int]]:
    """Value combinations that satisfy the constraints, drawn by rejection."""
    broken: Counter[str] = Counter()
    while True:
        for _ in range(CONSTRAINT_DRAWS):
            values = {v.name: rng.choice(v.choices) for v in template.variables}
            failed = [c.text for c in template.constraints if not c.holds(values)]
            if not failed:
                yield values
                break
            broken.update(failed)
        else:
            worst = ", ".join(f"`{text}`" for text, _ in broken.most_common(2))
            raise SpecError(
                f"exam template: {CONSTRAINT_DRAWS} draws in a row broke the constraints "
                f"(most often {worst}); they may be unsatisfiable with these ranges",
                field="constraints",
            )


def _identity(variant: Variant, question: Posed) -> tuple[object, ...]:
    """What a student sees of a question: the network shown, the prompt and the prompts of the
    questions it uses (two variants that show the same must have the same answers)."""
    shown = variant.shown_for(question)
    sheet = (
        tuple(shown.input_shape),
        tuple((row.name, row.layer.describe(), row.multiplicity) for row in shown.rows),
    )
    used = tuple(variant.questions[n - 1].prompt for n in question.uses)
    return (sheet, question.prompt, used)


def _check_answerable(exam: Exam) -> None:
    for position, _ in enumerate(exam.template.questions):
        seen: dict[tuple[object, ...], Variant] = {}
        for variant in exam.variants:
            question = variant.questions[position]
            key = _identity(variant, question)
            earlier = seen.setdefault(key, variant)
            if earlier.questions[position].answers != question.answers:
                raise SpecError(
                    f"exam template: question {question.number} of variants {earlier.index} and "
                    f"{variant.index} reads the same but has different answers: it depends on "
                    "something the sheet does not show",
                    field=f"questions[{position}]",
                )


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
    possible = _satisfying(template)
    if possible == 0:
        texts = "; ".join(c.text for c in template.constraints)
        raise SpecError(
            f"exam template: no values of the variables satisfy the constraints ({texts})",
            field="constraints",
        )
    if possible is not None and possible < variants:
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
    drawn = _draws(template, rng)
    dealer = Dealer(random.Random(f"{seed}/options"))
    while len(chosen) < variants and draws < limit and (possible is None or len(seen) < possible):
        draws += 1
        values = next(drawn)
        key = tuple(sorted(values.items()))
        if key in seen:
            refused["the same values as an earlier variant"] += 1
            continue
        seen.add(key)
        try:
            chosen.append(_pose(template, values, len(chosen) + 1, seed, dealer))
        except Degenerate as degenerate:
            refused[degenerate.reason] += 1
    if len(chosen) < variants:
        reasons = "; ".join(f"{count}× {reason}" for reason, count in refused.most_common(4))
        raise SymcnnError(
            f"found only {len(chosen)} of {variants} usable variants in {draws} draws "
            f"(refused: {reasons}); widen the ranges or change the questions"
        )
    exam = Exam(template, seed, tuple(chosen))
    _check_answerable(exam)
    return exam


def variety(exam: Exam) -> list[tuple[int, int, bool]]:
    """Per question: its number, how many distinct answers its variants have, and whether that is
    below half the variants (a warning: students can share answers).

    >>> from symcnn.exam import load_template
    >>> template = load_template('''
    ... input: [32, 32, 3]
    ... layer: {type: conv2d, name: C, out_channels: k, kernel_size: f}
    ... variables: {k: [4, 8, 16], f: [3, 5]}
    ... questions: [{ask: params, layer: C}, {ask: output_shape, layer: C}]
    ... ''')
    >>> variety(make_exam(template, variants=6, seed=1))
    [(1, 6, False), (2, 6, False)]
    """
    report = []
    for position in range(len(exam.template.questions)):
        answers = {
            tuple(answer.value for answer in variant.questions[position].answers)
            for variant in exam.variants
        }
        count = len(answers)
        report.append((position + 1, count, 2 * count < len(exam.variants)))
    return report


def fallbacks(exam: Exam) -> list[tuple[int, int]]:
    """Per multiple-choice question asked numerically in some variants (too few plausible
    mistakes to offer as options): its number and in how many variants."""
    report = []
    for position, spec in enumerate(exam.template.questions):
        count = sum(bool(variant.questions[position].fallback) for variant in exam.variants)
        if spec.choices and count:
            report.append((position + 1, count))
    return report
