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
      - {ask: solve, find: k1, given: params, layer: CONV1, points: 2}
      - {ask: solve, find: z, given: output_shape, layer: CONV1}   # which padding keeps it 'same'?
    constraints: ["z <= (f - 1) / 2"]  # drawn by rejection

Each question may give ``points``, a ``tolerance`` (absolute or relative) and a ``type``
(numerical, multichoice, short, shape). Multiple-choice options are the mistake catalogue's
(:mod:`symcnn.exam.distractors`), their rank and position dealt evenly; a question that needs an
inverse question's answer says so, and a template whose question cannot be answered from its
sheet is refused.

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

from .posing import (
    Answer,
    Exam,
    Mistake,
    Posed,
    Variant,
    fallbacks,
    make_exam,
    solve_for,
    variety,
)
from .sheets import (
    answer_sheet,
    assumptions,
    combined,
    network_blocks,
    network_table,
    question_groups,
    question_sheet,
    sheet_assumptions,
)
from .template import Constraint, QuestionSpec, Template, Tolerance, Variable, load_template

__all__ = [
    "Answer",
    "Constraint",
    "Exam",
    "Mistake",
    "Posed",
    "QuestionSpec",
    "Template",
    "Tolerance",
    "Variable",
    "Variant",
    "answer_sheet",
    "assumptions",
    "combined",
    "fallbacks",
    "load_template",
    "make_exam",
    "network_blocks",
    "network_table",
    "question_groups",
    "question_sheet",
    "sheet_assumptions",
    "solve_for",
    "variety",
]
