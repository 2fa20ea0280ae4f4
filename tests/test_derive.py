"""Derivations as data: every substituted formula evaluates to the engine's own number.

The derivation templates write formulas in the textbook's order, apart from the engine's SymPy
formulas; these tests are what keeps the two in agreement, for every registered layer type, over
a table of configurations and over hypothesis-generated ones, with numbers and with symbols.
"""

from __future__ import annotations

from typing import Any

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symcnn
from symcnn import floors
from symcnn.derive import (
    Derivation,
    Fact,
    FormulaExpr,
    Ref,
    Solved,
    Sum,
    derive,
    derive_network,
    evaluate,
    substitute,
)
from symcnn.errors import SpecError
from symcnn.layers import LAYERS
from symcnn.render.document import Style
from symcnn.render.latex import latex_lines, latex_node
from symcnn.render.plain import text_line, text_node

# (input, layout, arguments): one or more configurations per layer type
CASES: dict[str, list[tuple[list[Any], str, dict[str, Any]]]] = {
    "conv1d": [([4, 30], "CHW", {"out_channels": 6, "kernel_size": 5, "stride": 2, "padding": 1})],
    "conv2d": [
        ([32, 32, 3], "HWC", {"out_channels": 8, "kernel_size": 5}),
        (
            [4, 17, 19],
            "CHW",
            {
                "out_channels": 8,
                "kernel_size": [3, 5],
                "stride": [2, 1],
                "padding": [1, 2],
                "dilation": [2, 1],
                "groups": 2,
                "bias": False,
            },
        ),
        ([3, 15, 15], "CHW", {"out_channels": 5, "kernel_size": 4, "padding": "same"}),
        ([3, 15, 15], "CHW", {"out_channels": 5, "kernel_size": 3, "padding": "valid"}),
    ],
    "conv3d": [
        (
            [2, 9, 10, 11],
            "CHW",
            {"out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1, "dilation": [1, 2, 1]},
        )
    ],
    "convtranspose1d": [([4, 7], "CHW", {"out_channels": 6, "kernel_size": 3, "stride": 2})],
    "convtranspose2d": [
        (
            [4, 8, 9],
            "CHW",
            {
                "out_channels": 6,
                "kernel_size": 3,
                "stride": 2,
                "padding": 1,
                "output_padding": 1,
                "groups": 2,
            },
        ),
        (
            [8, 8, 6],
            "HWC",
            {"out_channels": 4, "kernel_size": [3, 2], "stride": 3, "dilation": 2, "bias": False},
        ),
    ],
    "convtranspose3d": [([2, 3, 4, 5], "CHW", {"out_channels": 2, "kernel_size": 2, "stride": 2})],
    "maxpool1d": [([3, 11], "CHW", {"kernel_size": 3, "stride": 2, "ceil_mode": True})],
    "maxpool2d": [
        ([28, 28, 8], "HWC", {"kernel_size": 2, "stride": 2}),
        # ceil mode where PyTorch drops the last window (it would start in the padding)
        ([3, 5, 5], "CHW", {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True}),
        ([3, 13, 12], "CHW", {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2}),
    ],
    "maxpool3d": [([2, 6, 7, 8], "CHW", {"kernel_size": 2})],
    "avgpool1d": [([3, 10], "CHW", {"kernel_size": 3, "padding": 1})],
    "avgpool2d": [([3, 9, 9], "CHW", {"kernel_size": 2, "ceil_mode": True})],
    "avgpool3d": [([2, 6, 6, 6], "CHW", {"kernel_size": 3, "stride": 1})],
    "adaptiveavgpool1d": [([3, 10], "CHW", {"output_size": 4})],
    "adaptiveavgpool2d": [([3, 10, 12], "CHW", {"output_size": [3, None]})],
    "adaptiveavgpool3d": [([2, 5, 6, 7], "CHW", {"output_size": 2})],
    "adaptivemaxpool1d": [([3, 10], "CHW", {"output_size": 5})],
    "adaptivemaxpool2d": [([3, 10, 12], "CHW", {"output_size": 1})],
    "adaptivemaxpool3d": [([2, 5, 6, 7], "CHW", {"output_size": [1, 2, 3]})],
    "linear": [
        ([400], "HWC", {"out_features": 120}),
        ([5, 7], "HWC", {"out_features": 3, "bias": False}),
    ],
    "flatten": [([5, 5, 16], "HWC", {})],
    "prelu": [([6, 4, 4], "CHW", {"num_parameters": 6})],
    "batchnorm1d": [([6], "CHW", {}), ([6, 10], "CHW", {"affine": False})],
    "batchnorm2d": [([6, 4, 4], "CHW", {}), ([4, 4, 6], "HWC", {"track_running_stats": False})],
    "batchnorm3d": [([6, 2, 3, 4], "CHW", {})],
    "instancenorm2d": [([6, 4, 4], "CHW", {"affine": True, "track_running_stats": True})],
    "groupnorm": [
        ([6, 4, 4], "CHW", {"num_groups": 3}),
        ([6, 4], "CHW", {"num_groups": 2, "affine": False}),
    ],
    "layernorm": [
        ([5, 7], "HWC", {"normalized_shape": [5, 7]}),
        ([9], "HWC", {"bias": False}),
        ([9], "HWC", {"elementwise_affine": False}),
    ],
    "threshold": [([3, 4], "CHW", {"threshold": 0.1, "value": 0.0})],
    "unflatten": [([6, 4], "CHW", {"dim": 1, "unflattened_size": [2, -1]})],
    "permute": [([4, 6, 6], "HWC", {"dims": [0, 3, 1, 2]})],
    "transpose": [([4, 6], "CHW", {"dim0": 1, "dim1": 2})],
    "reshape": [(["H", "W", 3], "HWC", {"shape": [-1, 3]})],
    "select": [([4, 6], "CHW", {"dim": 1, "index": 0})],
    "narrow": [([4, 6], "CHW", {"dim": 2, "start": 1, "length": 3})],
    "glu": [([4, 6], "CHW", {"dim": 1})],
    **{
        f"{family}pad{dims}d": [
            (
                [2, *[4] * dims],
                "CHW",
                {"padding": 1, **({"value": 0.5} if family == "constant" else {})},
            )
        ]
        for family in ("zero", "constant", "reflection", "replication", "circular")
        for dims in (1, 2, 3)
    },
    "upsample": [([8, 8, 3], "HWC", {"scale_factor": 1.5, "mode": "bilinear"})],
    "upsamplingnearest2d": [([3, 8, 8], "CHW", {"size": [4, 12]})],
    "upsamplingbilinear2d": [([3, 8, 8], "CHW", {"scale_factor": 2})],
    "pixelshuffle": [([8, 3, 3], "CHW", {"upscale_factor": 2})],
    "pixelunshuffle": [([6, 6, 2], "HWC", {"downscale_factor": 3})],
    "channelshuffle": [([6, 4, 4], "CHW", {"groups": 3})],
    # a source: the input is not read
    "parameter": [
        ([4, 6], "HWC", {"shape": [1, 6]}),
        ([4, 6, 6], "CHW", {"shape": [4, 1, 1], "buffer": True}),
        (["L", "E"], "HWC", {"shape": ["L + 1", "E"]}),
    ],
    "embedding": [
        ([12], "HWC", {"num_embeddings": 100, "embedding_dim": 8}),
        (["L"], "HWC", {"num_embeddings": "V", "embedding_dim": 16, "padding_idx": 0}),
    ],
    "embeddingbag": [([3, 5], "HWC", {"num_embeddings": 50, "embedding_dim": 4, "mode": "sum"})],
    "rnn": [([7, 10], "HWC", {"hidden_size": 20, "nonlinearity": "relu"})],
    "lstm": [
        ([10, 4096], "HWC", {"hidden_size": 256}),
        ([5, 8], "HWC", {"hidden_size": 6, "num_layers": 2, "bidirectional": True, "proj_size": 3}),
        (["L", "F"], "HWC", {"hidden_size": "H", "bias": False}),
    ],
    "gru": [([6, 9], "HWC", {"hidden_size": 4, "num_layers": 3})],
    "rnncell": [([10], "HWC", {"hidden_size": 20})],
    "lstmcell": [([10], "HWC", {"hidden_size": 20, "bias": False})],
    "grucell": [([10], "HWC", {"hidden_size": 20})],
    "transformerencoderlayer": [
        ([10, 16], "HWC", {"nhead": 4, "dim_feedforward": 32}),
        (["L", 8], "CHW", {"nhead": 2, "dim_feedforward": 8, "norm_first": True, "bias": False}),
    ],
    "transformerencoder": [([6, 8], "HWC", {"nhead": 2, "num_layers": 2, "norm": True})],
}
#: inputs tried, with no arguments, for the layer types the table does not list
DEFAULT_INPUTS = ([4, 6, 6], [4, 6], [4, 6, 6, 6])


def build(type_name: str, shape: list[Any], layout: str, arguments: dict[str, Any]) -> Any:
    spec = {"input": shape, "layout": layout, "layers": [{"type": type_name, **arguments}]}
    return symcnn.load(spec)


#: networks of two or more inputs (name to shape, layout, the merge's arguments) per merge kind
MERGES: dict[str, list[tuple[dict[str, list[Any]], str, dict[str, Any]]]] = {
    "add": [
        ({"a": [4, 6, 6], "b": [4, 6, 6]}, "CHW", {}),
        ({"a": [4, "H", "W"], "b": [4, 1, 1], "c": [1, "H", "W"]}, "CHW", {}),
    ],
    "mul": [({"a": [6, 6, 64], "b": [1, 1, 64]}, "HWC", {})],
    "cat": [
        ({"a": [512, 8, 8], "b": [512, 8, 8]}, "CHW", {}),
        ({"a": [6, 6, 3], "b": [6, 6, 5], "c": [6, 6, "k"]}, "HWC", {}),
        ({"a": [2, 6, 4], "b": [2, 6, 7]}, "CHW", {"dim": -1}),
        ({"a": [5, 4, 6], "b": [5, 3, 6]}, "HWC", {"dim": 1}),
        ({"a": [2, 3, 4, 5], "b": [2, 9, 4, 5]}, "CHW", {"dim": 1}),
        ({"a": [10], "b": [20]}, "CHW", {}),
    ],
    "multiheadattention": [
        ({"x": [10, 16]}, "HWC", {"num_heads": 4}),
        ({"q": [10, 16], "kv": [7, 5]}, "HWC", {"num_heads": 2, "add_bias_kv": True}),
        ({"q": ["L", 8], "k": ["S", 3], "v": ["S", 6]}, "CHW", {"num_heads": 2, "bias": False}),
    ],
    "transformerdecoderlayer": [({"tgt": [5, 8], "memory": [7, 8]}, "HWC", {"nhead": 2})],
    "transformerdecoder": [
        ({"tgt": [5, 8], "memory": [7, 8]}, "HWC", {"nhead": 2, "num_layers": 2, "norm": True})
    ],
    "transformer": [
        (
            {"src": [7, 8], "tgt": [5, 8]},
            "HWC",
            {"d_model": 8, "nhead": 2, "num_encoder_layers": 1, "num_decoder_layers": 1},
        )
    ],
}


def merge_rows(type_name: str) -> list[Any]:
    """The merge rows of the networks of :data:`MERGES` for ``type_name`` (or its alias)."""
    kind = LAYERS[type_name].torch_name.lower()
    rows = []
    for inputs, layout, arguments in MERGES[kind]:
        merge = {"type": type_name, "from": list(inputs), **arguments}
        net = symcnn.load({"inputs": inputs, "layout": layout, "layers": [merge]})
        rows.append(net.rows[-1])
    return rows


def rows_for(type_name: str) -> list[Any]:
    if LAYERS[type_name].arity is None:  # a merge: of two or more inputs
        return merge_rows(type_name)
    if type_name in CASES:
        return [build(type_name, *case).rows[0] for case in CASES[type_name]]
    for shape in DEFAULT_INPUTS:
        try:
            return [build(type_name, shape, "CHW", {}).rows[0]]
        except SpecError:
            continue
    pytest.fail(f"{type_name}: add a configuration to CASES in tests/test_derive.py")


def _has_ref(node: Any) -> bool:
    if isinstance(node, Ref):
        return True
    return any(_has_ref(child) for child in getattr(node, "factors", ())) or any(
        _has_ref(term) for _, term in getattr(node, "terms", ())
    )


def check_row(row: Any) -> None:
    """Every line's substituted formula (and general formula at the row's values) gives the
    engine's number, and every quantity the row reports has a line."""
    working = derive(row)
    keys = set()
    for line in working.lines:
        assert isinstance(line, Derivation | Fact)
        keys.add(line.quantity.key)
        if isinstance(line, Derivation):
            if line.substituted is not None:
                difference = evaluate(line.substituted) - line.result
                assert sympy.simplify(difference) == 0, (row.name, line.quantity.key)
            if line.formula is not None and not _has_ref(line.formula):
                # the row's values put in as the engine puts them (the floor normal form)
                general = floors.substitute(evaluate(line.formula), row.values)
                assert sympy.simplify(general - line.result) == 0, (row.name, line.quantity.key)
    assert working.line("activation_size").result == row.activation_size
    assert working.line("params").result == row.params
    if row.buffers != 0:
        assert working.line("buffers").result == row.buffers
    spatial = [key for key in keys if key.endswith("_out")]
    if row.layer.spatial_dims and row.formula.output_shape is not None:
        assert len(spatial) == row.layer.spatial_dims, row.type
    for key in spatial:
        line = working.line(key)
        assert line.result in row.output_shape


@pytest.mark.parametrize("type_name", sorted(LAYERS))
def test_every_layer_type_derives_the_engines_numbers(type_name: str) -> None:
    for row in rows_for(type_name):
        check_row(row)


def test_every_derivation_of_lenet_and_its_total() -> None:
    net = symcnn.load("examples/lenet5.yaml")
    working = derive_network(net)
    for row in net.rows:
        check_row(row)
    assert working.total.result == net.params == evaluate(working.total.substituted) == 62_958


# ------------------------------------------------------------------------------ hypothesis

sizes = st.integers(min_value=1, max_value=48)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    height=sizes,
    width=sizes,
    channels=st.sampled_from([1, 2, 4, 6]),
    kernel=st.tuples(st.integers(1, 7), st.integers(1, 7)),
    stride=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    padding=st.tuples(st.integers(0, 3), st.integers(0, 3)),
    dilation=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    groups=st.sampled_from([1, 2]),
    out=st.sampled_from([2, 4, 6]),
    bias=st.booleans(),
    layout=st.sampled_from(["HWC", "CHW"]),
    kind=st.sampled_from(["conv2d", "convtranspose2d", "maxpool2d", "avgpool2d"]),
    ceil=st.booleans(),
)
def test_random_configurations_agree_with_the_engine(
    height,
    width,
    channels,
    kernel,
    stride,
    padding,
    dilation,
    groups,
    out,
    bias,
    layout,
    kind,
    ceil,
):
    shape = [height, width, channels] if layout == "HWC" else [channels, height, width]
    if kind == "conv2d":
        arguments = {
            "out_channels": out,
            "kernel_size": list(kernel),
            "stride": list(stride),
            "padding": list(padding),
            "dilation": list(dilation),
            "groups": groups,
            "bias": bias,
        }
    elif kind == "convtranspose2d":
        arguments = {
            "out_channels": out,
            "kernel_size": list(kernel),
            "stride": list(stride),
            "padding": list(padding),
            "dilation": list(dilation),
            "groups": groups,
            "bias": bias,
            "output_padding": [min(stride) - 1, 0],
        }
    else:
        arguments = {
            "kernel_size": list(kernel),
            "stride": list(stride),
            "padding": [min(p, k // 2) for p, k in zip(padding, kernel, strict=True)],
            "ceil_mode": ceil,
        }
        if kind == "maxpool2d":
            arguments["dilation"] = list(dilation)
    try:
        net = build(kind, shape, layout, arguments)
    except SpecError:
        assume(False)
    check_row(net.rows[0])


@settings(max_examples=40, deadline=None)
@given(
    kernel=st.integers(1, 7),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    features=st.integers(1, 50),
)
def test_symbolic_derivations_equal_the_engines_expressions(kernel, stride, padding, features):
    net = symcnn.load(
        {
            "input": ["H", "W", "d0"],
            "layers": [
                {
                    "type": "conv2d",
                    "name": "C",
                    "out_channels": "k",
                    "kernel_size": kernel,
                    "stride": stride,
                    "padding": padding,
                },
                {"type": "maxpool2d", "name": "P", "kernel_size": 2},
                {"type": "flatten"},
                {"type": "linear", "name": "F", "out_features": features, "bias": "b"},
            ],
        }
    )
    for row in net.rows:
        check_row(row)


# ------------------------------------------------------------------------------ textbook order


DEFAULT_STYLE = Style()


def lines(net: Any, name: str, style: Style = DEFAULT_STYLE) -> list[str]:
    return [text_line(line, style) for line in derive(net[name]).lines]


def test_the_seeds_working_in_the_textbooks_order() -> None:
    net = symcnn.load("examples/lenet5.yaml")
    assert lines(net, "CONV1") == [
        "H_out = ⌊(H + 2·z_h − n)/s_h⌋ + 1 = ⌊(32 + 2·0 − 5)/1⌋ + 1 = 28",
        "W_out = ⌊(W + 2·z_w − m)/s_w⌋ + 1 = ⌊(32 + 2·0 − 5)/1⌋ + 1 = 28",
        "activation size = H_out·W_out·k = 28·28·8 = 6,272",
        "parameters = ((m·n·d) + bias)·k = ((5·5·3) + 1)·8 = 608",
    ]
    assert lines(net, "FC3")[-1] == "parameters = (p + bias)·c = (400 + 1)·120 = 48,120"
    assert lines(net, "POOL1")[-1] == "parameters = 0  (pooling has nothing to learn)"
    assert lines(net, "Flatten-1")[0] == "activation size = 5·5·16 = 400"
    total = text_line(derive_network(net).total)
    assert total == "total parameters = 608 + 3,216 + 48,120 + 10,164 + 850 = 62,958"


def test_times_and_no_grouping_styles() -> None:
    net = symcnn.load("examples/lenet5.yaml")
    style = Style("times", grouping=False)
    assert (
        lines(net, "CONV2", style)[-1]
        == "parameters = ((m×n×d) + bias)×k = ((5×5×8) + 1)×16 = 3216"
    )
    latex = latex_lines(derive(net["CONV2"]).lines, Style("times"))
    assert r"\left(\left(m \times n \times d\right) + \mathit{bias}\right) \times k" in latex
    assert "= 3{,}216" in latex


def test_grouped_dilated_and_transposed_formulas() -> None:
    net = build("conv2d", [4, 17, 19], "CHW", CASES["conv2d"][1][2])
    assert lines(net, "Conv2d-1") == [
        "H_out = ⌊(H + 2·z_h − r_h·(n − 1) − 1)/s_h⌋ + 1 = ⌊(17 + 2·1 − 2·(3 − 1) − 1)/2⌋ + 1 = 8",
        "W_out = ⌊(W + 2·z_w − m)/s_w⌋ + 1 = ⌊(19 + 2·2 − 5)/1⌋ + 1 = 19",
        "activation size = k·H_out·W_out = 8·8·19 = 1,216",
        "parameters = ((m·n·d/g) + bias)·k = ((5·3·4/2) + 0)·8 = 240",
    ]
    transposed = build("convtranspose2d", *CASES["convtranspose2d"][0])
    assert lines(transposed, "ConvTranspose2d-1")[0] == (
        "H_out = (H − 1)·s_h − 2·z_h + n + a_h = (8 − 1)·2 − 2·1 + 3 + 1 = 16"
    )
    assert lines(transposed, "ConvTranspose2d-1")[-1] == (
        "parameters = m·n·d·k/g + bias·k = 3·3·4·6/2 + 1·6 = 114"
    )


def test_ceil_mode_shows_the_dropped_window() -> None:
    net = build("maxpool2d", *CASES["maxpool2d"][1])
    first = derive(net.rows[0]).line("H_out")
    assert isinstance(first, Derivation) and first.result == 3
    assert text_line(first) == (
        "H_out = ⌈(H + 2·z_h − n)/s_h⌉ + 1 − 1 = ⌈(5 + 2·1 − 2)/2⌉ + 1 − 1 = 3  "
        "(the last window would start in the padding, so it is dropped)"
    )


def test_latex_of_a_strided_size_uses_floor_brackets() -> None:
    net = symcnn.load("examples/lenet5.yaml")
    line = derive(net["CONV1"]).line("W_out")
    assert isinstance(line, Derivation) and line.substituted is not None
    assert latex_node(line.substituted) == (
        r"\left\lfloor \frac{32 + 2 \cdot 0 - 5}{1} \right\rfloor + 1"
    )


def test_symbolic_values_are_substituted_with_parentheses_and_results_stay_symbolic() -> None:
    net = symcnn.load("examples/symbolic.yaml")
    pool = derive(net["POOL1"]).line("H_out")
    assert text_line(pool) == (
        "H_out = ⌊(H + 2·z_h − n)/s_h⌋ + 1 = ⌊((H - 4) + 2·0 − 2)/2⌋ + 1 = floor(H/2) - 2"
    )
    params = derive(net["CONV2"]).line("params")
    assert isinstance(params, Derivation) and not params.result.is_number
    assert params.result == net["CONV2"].params
    latex = latex_lines([params])
    assert latex.splitlines()[-2] == r"&= k_{2} \left(25 k_{1} + 1\right)"
    assert latex.count(r"\\") == 2  # symbolic: one step per row


def test_a_layer_without_a_template_shows_the_engines_formula() -> None:
    net = symcnn.load("examples/lenet5.yaml")
    row = net["CONV1"]
    from symcnn.layers._defaults import untemplated_lines  # for layer types added later

    fallback = untemplated_lines(row)
    params = next(line for line in fallback if line.quantity.key == "params")
    assert isinstance(params, Derivation) and isinstance(params.formula, FormulaExpr)
    assert evaluate(params.substituted) == row.params == 608


def test_substitute_keeps_the_order_of_terms() -> None:
    from symcnn.derive import plus
    from symcnn.symbols import m, n

    formula = plus(n, ("-", m), 1)
    values = {m: sympy.Integer(5), n: sympy.Integer(2)}
    substituted = substitute(formula, values)
    assert isinstance(substituted, Sum)
    assert text_node(substituted) == "2 − 5 + 1"
    assert evaluate(substituted) == -2


def test_solved_line_renders_in_every_format() -> None:
    k1 = sympy.Symbol("k1", integer=True, positive=True)
    line = Solved(k1, 76 * k1, sympy.Integer(608), sympy.Integer(8))
    assert text_line(line) == "76*k1 = 608, so k1 = 8"
    assert latex_lines([line]).splitlines()[1] == r"76 k_{1} &= 608 \;\Longrightarrow\; k_{1} = 8"
    assert line._repr_markdown_() == "- $76 k_{1} = 608$, so $k_{1} = 8$\n"


# ------------------------------------------------------------------------------ graphs

BASIC = {
    "args": {"planes": None},
    "layers": [
        {
            "type": "conv2d",
            "name": "conv1",
            "out_channels": "planes",
            "kernel_size": 3,
            "padding": 1,
            "bias": False,
        },
        {"type": "batchnorm2d", "name": "bn1"},
        {"type": "relu"},
        {"type": "add", "from": ["bn1", "input"]},
    ],
}
#: a block of a symbolic repeat inside another: every row of `inner` counts L·M times
NESTED = {
    "input": [8, "H", "W"],
    "layout": "CHW",
    "blocks": {
        "basic": BASIC,
        "outer": {
            "layers": [
                {"type": "conv2d", "name": "mix", "out_channels": 8, "kernel_size": 1},
                {"block": "basic", "name": "inner", "planes": 8, "repeat": "M"},
                {"type": "relu"},
            ]
        },
    },
    "layers": [
        {"type": "conv2d", "name": "stem", "out_channels": 8, "kernel_size": 3, "padding": 1},
        {"block": "outer", "name": "stage", "repeat": "L"},
        {"block": "basic", "name": "tail", "planes": 8, "repeat": 2},
        {"block": "basic", "name": "again", "planes": 8, "repeat": "2*K"},
        {"type": "flatten"},
    ],
}
#: a shared convolution, a shared BatchNorm (its buffers are shared too) and a shared block
SHARED = {
    "input": [4, 8, 8],
    "layout": "CHW",
    "blocks": {"basic": BASIC},
    "layers": [
        {"type": "conv2d", "name": "conv", "out_channels": 4, "kernel_size": 3, "padding": 1},
        {"type": "batchnorm2d", "name": "bn"},
        {"shares": "conv", "name": "conv_again"},
        {"shares": "bn", "name": "bn_again"},
        {"block": "basic", "name": "block", "planes": 4},
        {"shares": "block", "name": "block_again"},
    ],
}


def graph_networks() -> list[Any]:
    examples = ["lenet5", "shared_weights_exam", "resnet_stage", "resnet18", "googlenet", "unet"]
    return [
        *(symcnn.load(f"examples/{name}.yaml") for name in examples),
        symcnn.load(NESTED),
        symcnn.load(SHARED),
    ]


@pytest.mark.parametrize("net", graph_networks(), ids=lambda net: net.name or "spec")
def test_every_row_and_the_total_of_a_graph_derive_the_engines_numbers(net: Any) -> None:
    working = derive_network(net)
    for row in net.rows:
        check_row(row)
    total = working.total
    assert total.result == net.params
    assert sympy.expand(evaluate(total.substituted) - net.params) == 0


def test_a_shared_rows_working_states_its_counts_and_derives_its_sizes() -> None:
    net = symcnn.load(SHARED)
    reasons = {
        "conv_again": ("params", "applies the weights of conv again: counted once, at conv"),
        "bn_again": ("buffers", "applies the buffers of bn again: counted once, at bn"),
        "block_again.conv1": (
            "params",
            "applies the weights of block.conv1 again: counted once, at block.conv1",
        ),
    }
    for name, (key, reason) in reasons.items():
        line = derive(net[name]).line(key)
        assert isinstance(line, Fact) and line.result == 0 and line.reason == reason, name
    conv_again = derive(net["conv_again"])
    assert [text_line(line) for line in conv_again.lines] == [
        "H_out = ⌊(H + 2·z_h − n)/s_h⌋ + 1 = ⌊(8 + 2·1 − 3)/1⌋ + 1 = 8",
        "W_out = ⌊(W + 2·z_w − m)/s_w⌋ + 1 = ⌊(8 + 2·1 − 3)/1⌋ + 1 = 8",
        "activation size = k·H_out·W_out = 4·8·8 = 256",
        "parameters = 0  (applies the weights of conv again: counted once, at conv)",
    ]
    assert derive(net["bn_again"]).line("params").result == 0
    # the row it shares works its weights out as usual
    assert isinstance(derive(net["conv"]).line("params"), Derivation)


def test_the_total_multiplies_a_symbolic_repeats_rows_by_its_repeat() -> None:
    net = symcnn.load("examples/resnet_stage.yaml")
    stage = derive_network(net).total
    assert text_line(stage) == "total parameters = L·(36,864 + 128 + 36,864 + 128) = 73984*L"
    assert evaluate(stage.substituted) == net.params
    # nested repeats multiply; a numeric repeat is unrolled; a repeat may be an expression
    nested = derive_network(symcnn.load(NESTED)).total
    assert text_line(nested).split(" = ")[1] == (
        "584 + L·(72 + M·(576 + 16)) + 576 + 16 + 576 + 16 + (2*K)·(576 + 16)"
    )
    assert latex_lines([nested]).splitlines()[1] == (
        r"\text{total parameters} &= 584 + L \cdot \left(72 + M \cdot \left(576 + 16\right)"
        r"\right) + 576 + 16 + 576 + 16 + \left(2 K\right) \cdot \left(576 + 16\right) \\"
    )


def test_a_merges_working() -> None:
    unet = symcnn.load("examples/unet.yaml")
    assert lines(unet, "cat4")[0] == (
        "d_out = d_1 + d_2 = 512 + 512 = 1,024  (concatenation stacks the inputs' channels)"
    )
    stage = symcnn.load("examples/resnet_stage.yaml")
    assert lines(stage, "layer1.Add-1") == [
        "output shape = (64, H, W)  (elementwise sum: the shapes must agree (or broadcast from 1))",
        "activation size = 64·H·W = 64*H*W",
        "parameters = 0  (a merge has nothing to learn)",
    ]
    se = symcnn.load("examples/se_block.yaml")
    assert lines(se, "se.scale")[0] == (
        "output shape = (64, 224, 224)  "
        "(elementwise product: the shapes must agree (or broadcast from 1))"
    )
