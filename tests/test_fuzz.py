"""Fuzzing the parser, the spec loader and the checker: the only exception that escapes is a
symcnn error, and every call returns quickly."""

from __future__ import annotations

import math
import time
from typing import Any

import sympy
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symcnn
from symcnn import SymcnnError, parse_expression
from symcnn.layers import LAYERS

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
#: seconds one call may take; generous for a loaded CI machine, far below a hang
LIMIT = 3.0

# characters of the grammar, its neighbours, and some that have no business in a formula
ALPHABET = [
    *"0123456789mndkcpgWHTx_ ()+-*/^,.{}[]=<>!'\"`$;:\\|&%#@~?",
    "×",
    "·",
    "⋅",
    "−",
    "÷",
    "⌊",
    "⌋",
    "⌈",
    "⌉",
    "²",
    "³",
    "é",
    "\n",
    "\t",
    "\x00",
    "🙂",
]
TOKENS = [
    "m",
    "n",
    "d",
    "k",
    "c",
    "p",
    "bias",
    "g",
    "W",
    "s_w",
    "z_w",
    "x",
    "H",
    "(",
    ")",
    "+",
    "-",
    "*",
    "/",
    "//",
    "^",
    "**",
    "×",
    "·",
    "\\cdot ",
    "\\times ",
    "2",
    "3",
    "128",
    "62,958",
    "3x3",
    "0",
    "1.5",
    "floor(",
    "ceil(",
    "max(",
    "min(",
    ",",
    "⌊",
    "⌋",
    "\\frac{",
    "}{",
    "}",
    "²",
    " ",
    "\\left(",
    "\\right)",
    "999999999999",
    "__",
    "lambda",
    ".",
    "'",
]


def timed(function: Any, *arguments: Any, **options: Any) -> Any:
    start = time.perf_counter()
    try:
        return function(*arguments, **options)
    except SymcnnError as error:
        return error
    finally:
        elapsed = time.perf_counter() - start
        assert elapsed < LIMIT, f"{function.__name__}{arguments!r} took {elapsed:.1f} s"


@FUZZ
@given(st.text(alphabet=st.sampled_from(ALPHABET), max_size=120))
def test_random_text_parses_or_is_refused(text):
    result = timed(parse_expression, text)
    assert isinstance(result, sympy.Basic | SymcnnError)


@FUZZ
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_random_token_soup_parses_or_is_refused(text):
    result = timed(parse_expression, text)
    assert isinstance(result, sympy.Basic | SymcnnError)


@FUZZ
@given(st.text(max_size=80))
def test_any_unicode_parses_or_is_refused(text):
    result = timed(parse_expression, text)
    assert isinstance(result, sympy.Basic | SymcnnError)


TARGETS = [
    "conv2d.params",
    "linear.params",
    "conv1d.output_size",
    "maxpool2d.out_h",
    "convtranspose2d.params",
    "batchnorm2d.buffers",
    "linear 128->256 params",
    "conv2d 3->8 5x5",
    "conv1d W=7 kernel=3 stride=2 output_size",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.sampled_from(TOKENS[:40]), min_size=1, max_size=25).map("".join),
    st.sampled_from(TARGETS),
)
def test_random_claims_get_a_verdict_or_a_symcnn_error(claim, target):
    result = timed(symcnn.check, claim, target)
    assert isinstance(result, symcnn.Verdict | SymcnnError)


@settings(max_examples=60, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("conv2dlinear. ->0123456789x=kspadingstrue")), max_size=40
    )
)
def test_random_layer_references_are_read_or_refused(reference):
    result = timed(symcnn.check, "1", reference or "?")
    assert isinstance(result, symcnn.Verdict | SymcnnError)


# ----------------------------------------------------------------------------------- specs

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 40),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(alphabet=st.sampled_from(ALPHABET), max_size=12),
    st.sampled_from(["same", "valid", "H", "k1", "2x3", "62,958", "true", "zeros", "1e5"]),
)
nested = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=25,
)


@FUZZ
@given(nested)
def test_random_nested_yaml_loads_or_is_refused(document):
    text = yaml.safe_dump(document, allow_unicode=True)
    result = timed(symcnn.load, text)
    assert isinstance(result, symcnn.Network | SymcnnError)


LAYER_NAMES = [*sorted(LAYERS), "dense", "fc", "conv2dd", "", "Conv2D", "LINEAR"]
ARGUMENTS = sorted(
    {field for cls in LAYERS.values() for field in cls.arguments()} | {"type", "name", "bogus"}
)
values = st.one_of(
    scalars,
    st.lists(st.one_of(st.integers(-2, 9), st.sampled_from(["H", "k", "2", None])), max_size=4),
)


@st.composite
def spec_shaped(draw: Any) -> dict[str, Any]:
    """Documents that look like specs, to reach the layers' argument checks."""
    layers = []
    for _ in range(draw(st.integers(0, 4))):
        layer = {"type": draw(st.sampled_from(LAYER_NAMES))}
        for name in draw(st.lists(st.sampled_from(ARGUMENTS), max_size=5)):
            if name != "type":
                layer[name] = draw(values)
        layers.append(layer)
    document: dict[str, Any] = {
        "input": draw(
            st.one_of(
                st.lists(
                    st.one_of(st.integers(0, 40), st.sampled_from(["H", "W", "2*H", "d"])),
                    max_size=4,
                ),
                values,
            )
        ),
        "layers": layers,
    }
    if draw(st.booleans()):
        document["layout"] = draw(st.sampled_from(["HWC", "CHW", "chw", "NCHW", 3]))
    return document


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec_shaped())
def test_spec_shaped_documents_load_or_are_refused(document):
    result = timed(symcnn.load, document)
    assert isinstance(result, symcnn.Network | SymcnnError)
    if isinstance(result, symcnn.Network):
        # what loads can be summarised and its totals are exact expressions
        assert isinstance(result.params, sympy.Basic)
        assert not (result.params.is_number and math.isnan(float(result.params)))
