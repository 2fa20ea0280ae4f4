"""The key's chain for a solved question: the equation built step by step (where the known
terms and the unknown's coefficient come from, the known moved across, the division, the root),
each step's arithmetic re-evaluated, and the check against the engine's number."""

from __future__ import annotations

from pathlib import Path

import sympy
from hypothesis import given
from hypothesis import strategies as st

from symcnn.derive import EquationStep, Solved, Value, evaluate
from symcnn.exam import answer_sheet, load_template, make_exam
from symcnn.exam.questions import quantity_of
from symcnn.render.latex import latex_lines, latex_number
from symcnn.render.markdown import markdown_lines
from symcnn.render.plain import text_document, text_line
from symcnn.solve import solved_working

EXAMS = Path(__file__).resolve().parent.parent / "examples" / "exams"
X = sympy.Symbol("x")


def _steps_add_up(lines: tuple[object, ...]) -> None:
    """Every step's right side evaluates to its result: no step's arithmetic is only printed."""
    for line in lines:
        if isinstance(line, EquationStep) and line.result is not None:
            assert evaluate(line.right) == line.result, line


def _the_unknown(lines: tuple[object, ...], unknown: sympy.Symbol) -> sympy.Expr:
    """The value the chain gives the unknown: its step's result (or right side, for a root)."""
    for line in lines:
        if isinstance(line, EquationStep) and line.left == Value(unknown):
            return line.result if line.result is not None else evaluate(line.right)
        if isinstance(line, Solved):
            return line.result
    raise AssertionError("no step gives the unknown")


@given(
    coefficients=st.lists(st.integers(0, 500), min_size=1, max_size=5),
    constants=st.lists(st.integers(-50, 5000), min_size=1, max_size=5),
    power=st.integers(1, 3),
    value=st.integers(1, 40),
)
def test_the_chain_of_a_monomial_equation(
    coefficients: list[int], constants: list[int], power: int, value: int
) -> None:
    parts = [
        (f"L{i}", a * X**power + b)
        for i, (a, b) in enumerate(zip(coefficients, constants, strict=False))
    ]
    a = sum(sympy.Poly(part, X).coeff_monomial(X**power) for _, part in parts)
    b = sum(sympy.Poly(part, X).coeff_monomial(1) for _, part in parts)
    if a == 0:
        return
    target = a * value**power + b
    lines = solved_working(X, parts, target, sympy.Integer(value))
    _steps_add_up(lines)
    assert _the_unknown(lines, X) == value
    check = lines[-1]
    assert isinstance(check, EquationStep) and check.result == target
    assert check.note.startswith("the given")
    by_left = {str(line.left): line for line in lines if isinstance(line, EquationStep)}
    known = [line for key, line in by_left.items() if "known terms" in key]
    nonzero_constants = [part for _, part in parts if sympy.Poly(part, X).coeff_monomial(1) != 0]
    assert bool(known) == (len(nonzero_constants) > 1)
    if known:
        assert known[0].result == b
    coefficient = [line for key, line in by_left.items() if "coefficient" in key]
    if coefficient:
        assert coefficient[0].result == a
    # the steps appear in every format with the numbers the chain computed
    text = "\n".join(text_line(line) for line in lines)
    assert "(the equation)" in text and "the given" in text
    latex = latex_lines(lines)
    for line in lines:
        if isinstance(line, EquationStep) and line.result is not None:
            assert latex_number(line.result) in latex
    assert markdown_lines(lines).count("\n- ") == len(lines) - 1


def test_an_equation_without_a_closed_form_is_checked_with_its_neighbours() -> None:
    expression = sympy.floor((33 - X) / X) + 1  # the stride of a 3-wide kernel on 36
    value = sympy.Integer(3)
    target = expression.xreplace({X: value})
    solved, check = solved_working(X, [("C", expression)], target, value)
    assert isinstance(solved, Solved) and solved.result == value
    assert isinstance(check, EquationStep) and evaluate(check.right) == target
    for neighbour in (value - 1, value + 1):
        assert f"x = {neighbour} gives {expression.xreplace({X: neighbour})}" in check.note


def test_every_example_solved_question_builds_its_equation_and_checks_it() -> None:
    seen = 0
    for path in sorted(EXAMS.glob("*.yaml")):
        exam = make_exam(load_template(path), variants=3, seed=11)
        for variant in exam.variants:
            for question in variant.questions:
                if question.spec.ask != "solve":
                    continue
                seen += 1
                unknown = variant.shown_for(question).symbols[question.spec.find]
                _steps_add_up(question.working)
                assert _the_unknown(question.working, unknown) == question.answers[0].value
                check = question.working[-1]
                assert isinstance(check, EquationStep)
                network = variant.networks[question.spec.network]
                given = quantity_of(network, question.spec.given, question.spec.layer)
                numbers = given if isinstance(given, tuple) else (given,)
                assert evaluate(check.right) in numbers  # the engine's number, unhidden
    assert seen >= 6


def test_a_total_says_which_layers_give_the_known_terms_and_the_coefficient() -> None:
    document = {
        "title": "Total backwards",
        "network": {
            "input": [32, 32, 3],
            "layout": "HWC",
            "layers": [
                {"type": "conv2d", "name": "CONV1", "out_channels": 6, "kernel_size": 5},
                {"type": "maxpool2d", "name": "POOL1", "kernel_size": 2},
                {"type": "conv2d", "name": "CONV2", "out_channels": "k", "kernel_size": 5},
                {"type": "maxpool2d", "name": "POOL2", "kernel_size": 2},
                {"type": "flatten"},
                {"type": "linear", "name": "FC3", "out_features": 20},
                {"type": "linear", "name": "FC4", "out_features": 10},
            ],
        },
        "variables": {"k": [12, 16, 20]},
        "questions": [{"ask": "solve", "find": "k", "given": "total_params"}],
    }
    exam = make_exam(load_template(document), variants=1, seed=1)
    (variant,) = exam.variants
    assert len(variant.questions) == 1
    shown = variant.shown
    k = shown.symbols["k"]
    constants = {row.name: row.params.xreplace({k: 0}) for row in shown.rows}
    slopes = {row.name: sympy.expand(row.params).coeff(k) for row in shown.rows}
    known = [f"{name} {int(c):,}" for name, c in constants.items() if c != 0]
    slope = [f"{name} {int(c):,}" for name, c in slopes.items() if c != 0]
    key = text_document(answer_sheet(exam, variant))
    assert f"({'; '.join(known)})" in key
    assert f"({'; '.join(slope)})" in key
    assert f"{int(sum(constants.values())):,} moved to the right" in key
    assert f"divided by {int(sum(slopes.values())):,}" in key
