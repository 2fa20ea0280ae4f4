"""Multiple-choice options from the mistake catalogue (``symcnn/data/mistakes.yaml``).

Every wrong option is a catalogued mistake that applies to the question's layer and quantity,
made the way a student would make it (on every layer of a total), and it carries the mistake's
name and explanation as feedback. There is no list of mistakes here: :mod:`symcnn.mistakes` is
the one catalogue, the same one ``symcnn check`` diagnoses with.

The options are chosen so that nothing but the count tells the answer apart:

- they are distinct positive integers, none equal to a number the sheet gives, and no two within
  :data:`NEAR` of each other or of the answer (``x`` and ``x + 1`` side by side would mark the pair
  as a bias slip);
- the answer's rank among the options (so many options above it, the rest below) and its
  position are dealt from shuffled decks, one per question and number of options, that hold
  every rank (every position) once: over an exam's variants each rank and each position comes up
  equally often, give or take one, so "pick the k-th largest" or "pick option (b)" scores at
  chance for every k;
- a question with ``choices: n`` offers ``n`` options when the catalogue gives at least ``n − 1``
  wrong values on each side of the answer, fewer otherwise, and becomes a numerical question when
  it could offer fewer than :data:`MIN_OPTIONS` (a coin toss between the answer and one mistake
  is no question) — never filler such as ``answer ± 1``.

>>> import random, sympy
>>> pool = [Mistake(str(v), sympy.Integer(v)) for v in (10, 20, 70, 90)]
>>> options, picked = choose_options(sympy.Integer(50), pool, 3, set(), random.Random(1))
>>> len(options), 50 in options, {m.value for m in picked} == set(options) - {50}
(3, True, True)
>>> choose_options(sympy.Integer(50), pool[:2], 3, set(), random.Random(1))  # none above
((), ())
>>> choose_options(sympy.Integer(50), pool[1:3], 4, set(), random.Random(1))  # a coin toss
((), ())
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import sympy

from ..layers import Row
from ..mistakes import wrong_values

__all__ = [
    "MIN_OPTIONS",
    "NEAR",
    "Dealer",
    "Mistake",
    "catalogue_expressions",
    "catalogue_mistakes",
    "choose_options",
]

#: two options closer than this (in absolute value) are not both offered
NEAR = 1
#: the fewest options a multiple-choice question offers (unless it asks for two): with fewer
#: plausible mistakes it is asked as a numerical question
MIN_OPTIONS = 3


@dataclass(frozen=True)
class Mistake:
    """What a mistake gives: its name (the catalogue's title), its value and, for a catalogued
    mistake, its id, explanation and the wrong formula (for one layer) that gives the value."""

    description: str
    value: sympy.Integer
    id: str = ""
    explanation: str = ""
    formula: sympy.Expr | None = None


class Dealer:
    """Ranks and positions dealt from decks: each deck holds ``0 … count − 1`` once, shuffled,
    and a new one is shuffled when it runs out, so every value comes up equally often (give or
    take one) for each key however many are dealt."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.decks: dict[tuple[object, ...], list[int]] = {}

    def deal(self, key: tuple[object, ...], count: int) -> int:
        deck = self.decks.get((*key, count))
        if not deck:
            deck = list(range(count))
            self.rng.shuffle(deck)
            self.decks[(*key, count)] = deck
        return deck.pop()


def catalogue_expressions(
    rows: Sequence[Row],
    quantity: str,
    right: Mapping[str, sympy.Expr],
    contexts: Mapping[str, Mapping[str, sympy.Expr]] | None = None,
) -> list[tuple[Mistake, sympy.Expr]]:
    """Each catalogued mistake for ``quantity`` made on every row of ``rows`` it applies to (the
    other rows keep their ``right`` value), summed over the rows: one wrong total per form of a
    mistake, in the catalogue's order, with the total as an expression (symbols stay symbols).
    The mistake's ``value`` is the total when it is a whole number, else 0. ``contexts`` gives
    each row's network around it, for the network-level forms
    (:data:`symcnn.mistakes.CONTEXT_NAMES`)."""
    made: dict[tuple[str, int], dict[str, sympy.Expr]] = {}
    found: dict[tuple[str, int], tuple[str, str, sympy.Expr | None]] = {}
    for row in rows:
        counter: dict[str, int] = {}
        context = (contexts or {}).get(row.name)
        for form, value in wrong_values(row, quantity, context):
            key = form.mistake.id
            counter[key] = counter.get(key, -1) + 1
            slot = (key, counter[key])
            general = form.general(row, quantity, context) if len(rows) == 1 else None
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
    rows: Sequence[Row],
    quantity: str,
    right: Mapping[str, sympy.Expr],
    contexts: Mapping[str, Mapping[str, sympy.Expr]] | None = None,
) -> list[Mistake]:
    """The catalogued mistakes of :func:`catalogue_expressions` whose totals are whole numbers."""
    return [
        mistake
        for mistake, total in catalogue_expressions(rows, quantity, right, contexts)
        if total.is_Integer
    ]


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
    dealer: Dealer | None = None,
    key: tuple[object, ...] = (),
) -> tuple[tuple[sympy.Integer, ...], tuple[Mistake, ...]]:
    """The options in the order shown and the mistakes among them (empty: ask it numerically).

    At most ``choices`` options; the answer's rank and position come from ``dealer``'s decks for
    ``key`` (see the module), or are drawn with ``rng`` when there is no dealer."""
    dealer = dealer or Dealer(rng)
    usable = _usable(answer, pool, excluded)
    above = [mistake for mistake in usable if mistake.value > answer]
    below = [mistake for mistake in usable if mistake.value < answer]
    count = min(choices, 1 + min(len(above), len(below)))
    if count < min(choices, MIN_OPTIONS):
        return (), ()
    higher = dealer.deal((*key, "rank"), count)  # how many options lie above the answer
    picked = [*rng.sample(above, higher), *rng.sample(below, count - 1 - higher)]
    rng.shuffle(picked)
    position = dealer.deal((*key, "position"), count)
    options = [mistake.value for mistake in picked]
    options.insert(position, answer)
    return tuple(options), tuple(picked)
