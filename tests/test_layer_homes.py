"""One home per layer family: every registered layer answers for its working, its description,
its mistakes and its documentation, and the central modules never switch on layer classes.

A new layer type passes these tests with a configuration in ``CASES`` of tests/test_derive.py (or
none, if it builds from a default input with no arguments) and a section in docs/layers.md (or a
family page docs/layers-*.md).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
import sympy
from test_derive import rows_for

from symcnn.formula import Derivation, Fact, Ref, evaluate, substitute
from symcnn.layers import LAYERS
from symcnn.mistakes import CATALOGUE, FAMILIES, family
from symcnn.prose import Math, Shape, Text

ROOT = Path(__file__).resolve().parent.parent
# docs/layers.md and the family pages beside it (docs/layers-*.md)
LAYERS_DOC = "\n".join(
    page.read_text(encoding="utf-8") for page in sorted((ROOT / "docs").glob("layers*.md"))
)
CLASSES = sorted(set(LAYERS.values()), key=lambda cls: cls.torch_name)
IDS = [cls.torch_name for cls in CLASSES]


def _has_ref(node: Any) -> bool:
    if isinstance(node, Ref):
        return True
    children = [*getattr(node, "factors", ()), *(term for _, term in getattr(node, "terms", ()))]
    children += [
        getattr(node, name) for name in ("inner", "numerator", "denominator") if hasattr(node, name)
    ]
    return any(_has_ref(child) for child in children)


def _own_number(row: Any, key: str) -> sympy.Expr:
    """The row's own number for a line's quantity."""
    if key.endswith("_out"):
        return sympy.Integer(-1)  # checked against the output shape instead
    return {
        "params": row.params,
        "buffers": row.buffers,
        "activation_size": row.activation_size,
        "output_shape": sympy.Tuple(*row.output_shape),  # a merge states its output's shape
    }[key]


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_every_layer_has_a_working_that_agrees_with_its_numbers(cls: type) -> None:
    for row in rows_for(cls.torch_name.lower()):
        lines = row.layer.working(row)
        params = [line for line in lines if line.quantity.key == "params"]
        assert len(params) == 1 and isinstance(params[0], Derivation | Fact), cls.torch_name
        for line in lines:
            assert isinstance(line, Derivation | Fact)
            key = line.quantity.key
            if key.endswith("_out"):
                assert line.result in row.output_shape, (cls.torch_name, key)
            else:
                assert line.result == _own_number(row, key), (cls.torch_name, key)
            if isinstance(line, Derivation) and line.substituted is not None:
                difference = sympy.simplify(evaluate(line.substituted) - line.result)
                assert difference == 0, (cls.torch_name, key)


def _value(written: Any) -> sympy.Expr:
    """A written quantity's general value: its formula evaluated, or 0 for a stated one."""
    if written is None or written.formula is None:
        return sympy.Integer(0)
    return evaluate(written.formula)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_the_general_formula_is_the_full_textbook_evaluated(cls: type) -> None:
    """The SymPy formula is computed from the trees the working shows, never written twice; a
    row's form of the trees (no dilation term when r = 1...) equals the full form at its values."""
    for row in rows_for(cls.torch_name.lower()):
        layer = row.layer
        full, shown = layer.textbook(), layer.textbook(row.values)
        if full is None:
            continue
        for layout in ("HWC", "CHW"):
            general = layer.general_formula(layout)
            assert general.params == _value(full.params)
            assert general.buffers == _value(full.buffers)
            if full.sizes and all(size.formula is not None for size in full.sizes):
                _same_formula(general, layer.textbook_formula(layout), row.values)
        pairs = [(full.params, shown.params), *zip(full.sizes, shown.sizes, strict=True)]
        if full.buffers is not None:
            pairs.append((full.buffers, shown.buffers))
        for general, written in pairs:
            assert (general.formula is None) == (written.formula is None)
            if general.formula is None or _has_ref(general.formula):
                continue
            full_form = evaluate(substitute(general.formula, row.values))
            row_form = evaluate(substitute(written.formula, row.values))
            assert sympy.simplify(full_form - row_form) == 0


def _same_formula(general: Any, textbook: Any, values: Any) -> None:
    """The general formula is the textbook's, except that a size whose textbook form is a
    Piecewise (ceil mode's last window) may be the one floor it comes to (symcnn.floors): then
    the two agree at every input size."""
    assert (general.params, general.buffers) == (textbook.params, textbook.buffers)
    for ours, theirs in zip(general.output_shape, textbook.output_shape, strict=True):
        if not theirs.has(sympy.Piecewise):
            assert ours == theirs
            continue
        (size,) = (s for s in theirs.free_symbols if s.name in ("T", "H", "W"))
        others = {s: v for s, v in values.items() if s != size}
        for n in range(1, 40):
            at = {**others, size: sympy.Integer(n)}
            assert ours.xreplace(at) == theirs.xreplace(at), (ours, theirs, n)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_every_layer_describes_itself(cls: type) -> None:
    for row in rows_for(cls.torch_name.lower()):
        pieces = row.layer.describe()
        assert pieces, cls.torch_name
        assert all(isinstance(piece, Text | Math | Shape) for piece in pieces)


@pytest.mark.parametrize("cls", CLASSES, ids=IDS)
def test_every_layer_is_documented(cls: type) -> None:
    name = cls.torch_name
    family_name = re.sub(r"[123]d$", "", name)  # Conv for Conv1d/2d/3d
    assert f"`{name}`" in LAYERS_DOC or family_name in LAYERS_DOC, (
        f"{name}: add a section to docs/layers.md"
    )


def test_the_default_description_names_the_layer_and_its_changed_arguments() -> None:
    relu = LAYERS["relu"]()
    assert relu.describe() == (Text("ReLU"),)
    leaky = LAYERS["leakyrelu"](negative_slope=0.2)
    assert leaky.describe() == (Text("LeakyReLU"), Text(", negative_slope "), Text("0.2"))


# ------------------------------------------------------------------------------ mistakes


def test_every_mistake_family_is_claimed_by_a_layer_and_every_claim_is_a_family() -> None:
    claimed = {name for cls in CLASSES for name in cls.mistake_families}
    assert claimed == set(FAMILIES)
    used = {form.family for mistake in CATALOGUE for form in mistake.forms}
    assert used <= set(FAMILIES)


@pytest.mark.parametrize(
    ("torch_name", "expected"),
    [
        ("Conv2d", ("conv",)),
        ("ConvTranspose3d", ("conv_transpose",)),
        ("Linear", ("linear",)),
        ("MaxPool1d", ("pool", "window_pool")),
        ("AvgPool2d", ("pool", "window_pool")),
        ("AdaptiveAvgPool2d", ("pool",)),
        ("AdaptiveMaxPool3d", ("pool",)),
        ("BatchNorm2d", ("running_stats",)),
        ("InstanceNorm1d", ("running_stats",)),
        ("GroupNorm", ()),
        ("LayerNorm", ()),
        ("ReLU", ()),
        ("Flatten", ()),
    ],
)
def test_the_layers_families(torch_name: str, expected: tuple[str, ...]) -> None:
    assert LAYERS[torch_name.lower()].mistake_families == expected
    assert family(torch_name) == (expected[0] if expected else None)


# ------------------------------------------------------------------------------ no switches

CENTRAL = [ROOT / "symcnn" / "derive.py", *sorted((ROOT / "symcnn" / "exam").glob("*.py"))]
#: what the central modules may take from symcnn.layers: the registry and the base types
ALLOWED = {"LAYERS", "Layer", "Row", "Formula", "Tensor", "Where", "Check", "with_values"}


@pytest.mark.parametrize("path", CENTRAL, ids=[path.name for path in CENTRAL])
def test_central_modules_import_no_layer_class(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and "layers" in node.module:
            assert node.module.split(".")[-1] in ("layers", "base"), (path.name, node.module)
            names = {alias.name for alias in node.names}
            assert names <= ALLOWED, (path.name, names - ALLOWED)
        if isinstance(node, ast.Import):
            assert not any("layers" in alias.name for alias in node.names), path.name
