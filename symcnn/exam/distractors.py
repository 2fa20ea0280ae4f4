"""Multiple-choice options from the mistake catalogue (``symcnn/data/mistakes.yaml``).

Every wrong option is a catalogued mistake that applies to the question's layer and quantity,
made the way a student would make it (on every layer of a total), and it carries the mistake's
name and explanation as feedback. There is no list of mistakes here: :mod:`symcnn.mistakes` is
the one catalogue, the same one ``symcnn check`` diagnoses with.

The options are chosen so that nothing but the count tells the answer apart:

- they are distinct positive integers, none equal to a number the sheet gives, and no two within
  :data:`NEAR` of each other or of the answer (``x`` and ``x + 1`` side by side would mark the pair
  as a bias slip);
- the answer's rank among the options is drawn uniformly (so many options above it, the rest
  below), and its position is a uniform shuffle: "pick the k-th largest" or "pick option (b)"
  scores at chance for every k;
- a question with ``choices: n`` offers ``n`` options when the catalogue gives at least ``n − 1``
  wrong values on each side of the answer, fewer otherwise, and becomes a numerical question when
  there is not one on each side — never filler such as ``answer ± 1``.

>>> import random, sympy
>>> pool = [Mistake(str(v), sympy.Integer(v)) for v in (10, 20, 70, 90)]
>>> options, picked = choose_options(sympy.Integer(50), pool, 3, set(), random.Random(1))
>>> len(options), 50 in options, {m.value for m in picked} == set(options) - {50}
(3, True, True)
>>> choose_options(sympy.Integer(50), pool[:2], 3, set(), random.Random(1))  # none above
((), ())
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import sympy

from ..layers import Row
from ..mistakes import wrong_values

__all__ = ["NEAR", "Mistake", "catalogue_expressions", "catalogue_mistakes", "choose_options"]

#: two options closer than this (in absolute value) are not both offered
NEAR = 1


@dataclass(frozen=True)
class Mistake:
    """What a mistake gives: its name (the catalogue's title), its value and, for a catalogued
    mistake, its id, explanation and the wrong formula (for one layer) that gives the value."""

    description: str
    value: sympy.Integer
    id: str = ""
    explanation: str = ""
    formula: sympy.Expr | None = None


def catalogue_expressions(
    rows: Sequence[Row], quantity: str, right: Mapping[str, sympy.Expr]
) -> list[tuple[Mistake, sympy.Expr]]:
    """Each catalogued mistake for ``quantity`` made on every row of ``rows`` it applies to (the
    other rows keep their ``right`` value), summed over the rows: one wrong total per form of a
    mistake, in the catalogue's order, with the total as an expression (symbols stay symbols).
    The mistake's ``value`` is the total when it is a whole number, else 0."""
    made: dict[tuple[str, int], dict[str, sympy.Expr]] = {}
    found: dict[tuple[str, int], tuple[str, str, sympy.Expr | None]] = {}
    for row in rows:
        counter: dict[str, int] = {}
        for form, value in wrong_values(row, quantity):
            key = form.mistake.id
            counter[key] = counter.get(key, -1) + 1
            slot = (key, counter[key])
            general = form.general(row, quantity) if len(rows) == 1 else None
            found.setdefault(slot, (form.mistake.title, form.mistake.explanation, general))
            made.setdefault(slot, {})[row.name] = value
    expressions = []
    for slot, by_row in made.items():
        total = sympy.Add(*(by_row.get(row.name, right[row.name]) for row in rows))
        title, explanation, general = found[slot]
        value = sympy.Integer(total) if total.is_Integer else sympy.Integer(0)
        expressions.append((Mistake(title, value, slot[0], explanation, general), total))
    return expressions


def catalogue_mistakes(
    rows: Sequence[Row], quantity: str, right: Mapping[str, sympy.Expr]
) -> list[Mistake]:
    """The catalogued mistakes of :func:`catalogue_expressions` whose totals are whole numbers."""
    return [mistake for mistake, total in catalogue_expressions(rows, quantity, right) if total.is_Integer]


def _usable(
    answer: sympy.Integer, pool: Iterable[Mistake], excluded: Collection[sympy.Expr]
) -> list[Mistake]:
    usable: list[Mistake] = []
    for mistake in pool:
        value = mistake.value
        if value <= 0 or value in excluded or abs(value - answer) <= NEAR:
            continue
        if any(abs(value - kept.value) <= NEAR for kept in usable):
            continue
        usable.append(mistake)
    return usable


def choose_options(
    answer: sympy.Integer,
    pool: Iterable[Mistake],
    choices: int,
    excluded: Collection[sympy.Expr],
    rng: random.Random,
) -> tuple[tuple[sympy.Integer, ...], tuple[Mistake, ...]]:
    """The options in the order shown and the mistakes among them (empty: ask it numerically).

    At most ``choices`` options; the answer's rank is uniform among them (see the module)."""
    usable = _usable(answer, pool, excluded)
    above = [mistake for mistake in usable if mistake.value > answer]
    below = [mistake for mistake in usable if mistake.value < answer]
    count = min(choices, 1 + min(len(above), len(below)))
    if count < 2:
        return (), ()
    higher = rng.randrange(count)  # how many options lie above the answer
    picked = [*rng.sample(above, higher), *rng.sample(below, count - 1 - higher)]
    options = [answer, *(mistake.value for mistake in picked)]
    rng.shuffle(options)
    return tuple(options), tuple(picked)
