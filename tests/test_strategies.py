"""symcnn's hypothesis strategies, and the properties they are for.

The strategies compute shapes in plain Python; the engine computes them with SymPy; the properties
compare the two, and the invariants of the style guide are checked on what they draw.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn
from symcnn import strategies as sst
from symcnn.check import check
from symcnn.references import quantity
from symcnn.symbols import bias, c, d, k, m, n, p

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = settings(max_examples=60, deadline=None)


@SETTINGS
@given(sst.specs_with_shapes())
def test_drawn_specs_load_with_the_shape_computed_in_plain_python(pair):
    spec, shape = pair
    net = symcnn.load(spec)
    assert net.output_shape == shape


@SETTINGS
@given(sst.networks(max_layers=4))
def test_a_networks_total_is_the_sum_of_its_rows(net):
    assert net.params == sum(row.params for row in net.rows)
    assert net.buffers == sum(row.buffers for row in net.rows)


@settings(max_examples=40, deadline=None)
@given(sst.symbolic_specs(max_layers=3))
def test_the_symbolic_count_evaluated_is_the_numeric_count(triple):
    symbolic, values, numeric = triple
    net = symcnn.load(symbolic)
    assert set(net.symbols) == set(values)
    evaluated = net.subs(values) if values else net
    expected = symcnn.load(numeric)
    assert evaluated.params == expected.params
    assert evaluated.output_shape == expected.output_shape
    assert [row.params for row in evaluated.rows] == [row.params for row in expected.rows]


@SETTINGS
@given(sst.layer_configs(types=["conv", "convtranspose", "linear"]))
def test_bias_one_minus_bias_zero_is_the_output_units(config):
    shape, drawn = config
    with_bias = symcnn.load({"input": list(shape), "layers": [{**drawn.layer, "bias": True}]})
    without = symcnn.load({"input": list(shape), "layers": [{**drawn.layer, "bias": False}]})
    units = drawn.layer.get("out_channels", drawn.layer.get("out_features"))
    assert with_bias.params - without.params == units


@SETTINGS
@given(sst.layer_values(["conv"]))
def test_the_general_formula_at_a_layers_values_is_the_hand_count(values):
    t, g = symbol("t"), symbol("g")
    dims = 3 if t in values else 2 if n in values else 1
    general = quantity(f"conv{dims}d.params", g="g")
    kernel = values[m] * values.get(n, 1) * values.get(t, 1)
    assert general.xreplace(values) == (kernel * values[d] // values[g] + values[bias]) * values[k]


def symbol(name: str) -> sympy.Symbol:
    return symcnn.symbols.NOTATION[name].symbol


@SETTINGS
@given(sst.layer_configs(types=["conv"], spatial_dims=[2]))
def test_same_padding_at_stride_one_keeps_the_size(config):
    shape, drawn = config
    layer = {key: value for key, value in drawn.layer.items() if key not in ("stride", "padding")}
    net = symcnn.load({"input": list(shape), "layers": [{**layer, "padding": "same"}]})
    assert net.output_shape[:-1] == shape[:-1]


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from([(m * n * d + bias) * k, (p + bias) * c]).flatmap(
        lambda formula: st.tuples(st.just(formula), sst.writings(formula))
    )
)
def test_writings_parse_back_and_check_right(pair):
    formula, text = pair
    assert sympy.expand(symcnn.parse_expression(text) - formula) == 0
    against = "conv2d.params" if k in formula.free_symbols else "linear.params"
    assert check(text, against).right


def test_strategies_need_hypothesis_and_say_so():
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "try:\n    import symcnn.strategies\n"
        "except ImportError as error:\n    print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert "symcnn.strategies needs hypothesis" in result.stdout


def test_the_docs_worked_property_test_runs():
    page = (ROOT / "docs" / "strategies.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL)
    assert blocks, "docs/strategies.md shows a worked property test"
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "docs/strategies.md", "exec"), namespace)  # our own docs, not input
    tests = [value for name, value in namespace.items() if name.startswith("test_")]
    assert tests
    for test in tests:
        test()  # type: ignore[operator]
