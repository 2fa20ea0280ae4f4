"""The transformer layers against PyTorch 2.13 (parameters, buffers, output shapes, refusals and
FlopCounterMode's count, over hypothesis-drawn configurations), their one-row formulas against the
rows they expand into, and their display as one foldable row."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

import symcnn
from symcnn import strategies as sst
from symcnn.errors import ShapeError, SpecError, SymcnnError
from symcnn.formula import evaluate
from symcnn.layers import LAYERS, Tensor, Where
from symcnn.render.table import summary_table
from symcnn.symbols import bias, e
from symcnn.symbols import e_ff as f

torch.set_num_threads(1)

TORCH_ERRORS = (RuntimeError, ValueError, AssertionError)
#: PyTorch's Transformer warns that it cannot use nested tensors for unbatched examples
NESTED_TENSOR_WARNING = "enable_nested_tensor is True"
TWO_INPUTS = {"TransformerDecoderLayer", "TransformerDecoder", "Transformer"}
STACKS = {
    "TransformerEncoder": "TransformerEncoderLayer",
    "TransformerDecoder": "TransformerDecoderLayer",
}


@dataclass(frozen=True)
class Case:
    type: str
    d_model: int
    keywords: dict[str, Any]  # the layer keywords PyTorch and symcnn share
    stack: dict[str, Any]  # num_layers and norm of a stack; the layer counts of a Transformer
    shapes: tuple[tuple[int, int], ...]
    declare: bool  # whether the spec states d_model (otherwise inferred from the input)

    def torch_module(self) -> torch.nn.Module:
        keywords = {"d_model": self.d_model, **self.keywords}
        if self.type == "Transformer":
            return torch.nn.Transformer(**keywords, **self.stack)
        if self.type in STACKS:
            layer = getattr(torch.nn, STACKS[self.type])(**keywords)
            norm = None
            if self.stack["norm"]:
                norm = torch.nn.LayerNorm(
                    self.d_model, eps=self.keywords["layer_norm_eps"], bias=self.keywords["bias"]
                )
            extra = {"enable_nested_tensor": False} if self.type == "TransformerEncoder" else {}
            return getattr(torch.nn, self.type)(layer, self.stack["num_layers"], norm, **extra)
        return getattr(torch.nn, self.type)(**keywords)

    def spec(self) -> dict[str, Any]:
        layer = {"type": self.type, "name": "tr", **self.keywords, **self.stack}
        if self.declare:
            layer["d_model"] = self.d_model
        if len(self.shapes) == 1:
            return {"input": list(self.shapes[0]), "layers": [layer]}
        inputs = {"a": list(self.shapes[0]), "b": list(self.shapes[1])}
        return {"inputs": inputs, "layers": [{**layer, "from": ["a", "b"]}]}


#: at most one thing wrong with a drawn configuration, so that most are valid
FAULTS = (None, None, None, None, None, None, "dropout", "activation", "heads", "width")


@st.composite
def cases(draw: st.DrawFn) -> Case:
    kind = draw(
        st.sampled_from(
            [
                "TransformerEncoderLayer",
                "TransformerDecoderLayer",
                "TransformerEncoder",
                "TransformerDecoder",
                "Transformer",
            ]
        )
    )
    fault = draw(st.sampled_from(FAULTS))
    nhead = draw(st.integers(1, 3))
    d_model = nhead * draw(st.integers(1, 3))
    if fault == "heads":
        nhead = draw(st.integers(2, 3))
        d_model = nhead * draw(st.integers(1, 2)) + 1
    keywords = {
        "nhead": nhead,
        "dim_feedforward": draw(st.integers(1, 8)),
        "dropout": draw(st.sampled_from([-0.1, 1.5] if fault == "dropout" else [0.0, 0.1, 1.0])),
        "activation": "tanh" if fault == "activation" else draw(st.sampled_from(["relu", "gelu"])),
        "layer_norm_eps": 1e-5,
        "batch_first": draw(st.booleans()),
        "norm_first": draw(st.booleans()),
        "bias": draw(st.booleans()),
    }
    stack: dict[str, Any] = {}
    if kind in STACKS:
        stack = {"num_layers": draw(st.integers(1, 2)), "norm": draw(st.booleans())}
    elif kind == "Transformer":
        stack = {
            "num_encoder_layers": draw(st.integers(1, 2)),
            "num_decoder_layers": draw(st.integers(1, 2)),
        }
    declare = kind == "Transformer" or draw(st.booleans())
    widths = [d_model] * (2 if kind in TWO_INPUTS else 1)
    if fault == "width":
        # a wrong width: the first input's only when d_model is stated (else it defines d_model)
        first = 0 if declare else 1
        if first < len(widths):
            widths[draw(st.integers(first, len(widths) - 1))] += 1
    shapes = tuple((draw(st.integers(1, 4)), width) for width in widths)
    return Case(kind, d_model, keywords, stack, shapes, declare)


def _torch_result(case: Case) -> tuple[int, int, tuple[int, ...], int] | None:
    """PyTorch's numbers, or None when it refuses. The attention's products run on SDPA's math
    kernel, which FlopCounterMode counts (``aten.bmm``); see the next test for CPU's fused one."""
    with warnings.catch_warnings(), sdpa_kernel(SDPBackend.MATH):
        warnings.filterwarnings("ignore", NESTED_TENSOR_WARNING, UserWarning)
        try:
            module = case.torch_module()
            module.train()
            counter = FlopCounterMode(display=False)
            with counter:
                output = module(*(torch.zeros(shape) for shape in case.shapes))
        except TORCH_ERRORS:
            return None
    params = sum(p.numel() for p in module.parameters())
    buffers = sum(b.numel() for b in module.buffers())
    return params, buffers, tuple(output.shape), counter.get_total_flops()


@settings(max_examples=120, deadline=None)
@given(cases())
def test_transformer_layers_agree_with_pytorch(case: Case) -> None:
    expected = _torch_result(case)
    if expected is None:
        with pytest.raises(SymcnnError):
            symcnn.load(case.spec())
        return
    net = symcnn.load(case.spec())
    params, buffers, shape, flops = expected
    assert (net.params, net.buffers) == (params, buffers)
    assert tuple(net.output_shape) == shape
    assert net.flops == flops


def test_flop_counter_misses_cpu_s_fused_attention_kernel() -> None:
    """PyTorch's transformer layers call their attention with need_weights=False, so it runs on
    scaled_dot_product_attention; on CPU with dropout 0 (or in eval mode) that is the fused
    ``_scaled_dot_product_flash_attention_for_cpu``, which FlopCounterMode does not count: its
    number then lacks the two products, 2·L·L·e MACs per attention (docs/costs.md)."""
    module = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0)
    counter = FlopCounterMode(display=False)
    with counter:
        module(torch.zeros(5, 8))
    net = symcnn.load(
        {
            "input": [5, 8],
            "layers": [
                {
                    "type": "TransformerEncoderLayer",
                    "nhead": 2,
                    "dim_feedforward": 16,
                    "dropout": 0.0,
                }
            ],
        }
    )
    assert counter.get_total_flops() == net.flops - 2 * (2 * 5 * 5 * 8)


def _count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def test_pytorch_s_default_transformer() -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", NESTED_TENSOR_WARNING, UserWarning)
        expected = _count(torch.nn.Transformer())
    net = symcnn.load(
        {
            "inputs": {"src": ["S", 512], "tgt": ["T", 512]},
            "layers": [{"type": "Transformer", "name": "transformer", "from": ["src", "tgt"]}],
        }
    )
    assert net.params == expected == 44_140_544
    assert net["transformer.encoder.layers.5.self_attn"].params == 4 * 512**2 + 4 * 512


# ---------------------------------------------------------------- the one-row formula, written once


def _one_row(type_name: str, raw: dict[str, Any], shapes: list[tuple[Any, ...]]) -> Any:
    where = Where(0, "tr", LAYERS[type_name.lower()].torch_name)
    layer = LAYERS[type_name.lower()].from_spec(where, raw, {})
    tensors = [Tensor(tuple(sympy.Integer(size) for size in shape)) for shape in shapes]
    row, _ = layer.bind_inputs(tensors, where)
    return row


@settings(max_examples=40, deadline=None)
@given(
    kind=st.sampled_from(
        [
            "TransformerEncoderLayer",
            "TransformerDecoderLayer",
            "TransformerEncoder",
            "TransformerDecoder",
            "Transformer",
        ]
    ),
    nhead=st.integers(1, 4),
    per_head=st.integers(1, 16),
    feedforward=st.integers(1, 64),
    layers=st.integers(1, 3),
    flags=st.tuples(st.booleans(), st.booleans(), st.booleans()),
)
def test_the_composite_formula_is_the_sum_of_its_rows(
    kind: str,
    nhead: int,
    per_head: int,
    feedforward: int,
    layers: int,
    flags: tuple[bool, bool, bool],
) -> None:
    with_bias, norm_first, final_norm = flags
    width = nhead * per_head
    raw: dict[str, Any] = {
        "d_model": width,
        "nhead": nhead,
        "dim_feedforward": feedforward,
        "bias": with_bias,
        "norm_first": norm_first,
    }
    if kind in STACKS:
        raw |= {"num_layers": layers, "norm": final_norm}
    if kind == "Transformer":
        raw |= {"num_encoder_layers": layers, "num_decoder_layers": 4 - layers}
    shapes = [(5, width), (3, width)] if kind in TWO_INPUTS else [(5, width)]
    row = _one_row(kind, raw, shapes)
    spec = {
        "inputs": {"a": list(shapes[0]), **({"b": list(shapes[1])} if len(shapes) > 1 else {})},
        "layers": [{"type": kind, "name": "tr", **raw, "from": ["a", "b"][: len(shapes)]}],
    }
    net = symcnn.load(spec)
    assert row.params == net.params == sum(r.params for r in net.rows)
    assert row.output_shape == net.output_shape


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("TransformerEncoderLayer", 4 * e**2 + 2 * e * f + 2 * e + bias * (7 * e + f)),
        ("TransformerDecoderLayer", 8 * e**2 + 2 * e * f + 3 * e + bias * (12 * e + f)),
    ],
)
def test_the_layer_formulas_in_symbols(kind: str, expected: sympy.Expr) -> None:
    """4E² + 2EF + 9E + F with biases, 4E² + 2EF + 2E without, from the tree and from the rows."""
    layer = LAYERS[kind.lower()](nhead=sympy.Integer(2))
    assert sympy.expand(evaluate(layer.textbook().params.formula) - expected) == 0
    spec = {
        "inputs": {"a": ["L", "e"], "b": ["S", "e"]},
        "layers": [
            {
                "type": kind,
                "nhead": 1,
                "dim_feedforward": "e_ff",
                "bias": "bias",
                "from": ["a", "b"] if kind in TWO_INPUTS else "a",
            }
        ],
    }
    assert sympy.expand(symcnn.load(spec).params - expected) == 0
    assert (
        expected.subs(bias, 1) == 4 * e**2 + 2 * e * f + 9 * e + f
        or kind != LAYERS["transformerencoderlayer"].torch_name
    )
    assert expected.subs(bias, 0) == 4 * e**2 + 2 * e * f + 2 * e or "Decoder" in kind


def test_a_symbolic_number_of_layers_counts_the_layer_that_many_times() -> None:
    spec = {
        "input": ["L", 64],
        "layers": [
            {
                "type": "TransformerEncoder",
                "name": "enc",
                "nhead": 4,
                "dim_feedforward": 256,
                "num_layers": "n_layers",
            }
        ],
    }
    net = symcnn.load(spec)
    layers = sympy.Symbol("n_layers", integer=True, positive=True)
    one = 4 * 64**2 + 2 * 64 * 256 + 9 * 64 + 256
    assert sympy.expand(net.params - one * layers) == 0
    assert net["enc.layers.self_attn"].multiplicity == layers


# ---------------------------------------------------------------- names, folding, refusals


def test_rows_carry_pytorch_s_submodule_names_and_fold_to_one_row() -> None:
    spec = {
        "input": [10, 16],
        "layers": [
            {
                "type": "TransformerEncoder",
                "name": "enc",
                "nhead": 4,
                "dim_feedforward": 32,
                "num_layers": 2,
                "norm": True,
            },
            {"type": "Linear", "out_features": 3},
        ],
    }
    net = symcnn.load(spec)
    module = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(16, 4, 32),
        2,
        torch.nn.LayerNorm(16),
        enable_nested_tensor=False,
    )
    weighted = {name for name, sub in module.named_modules() if list(sub.parameters(recurse=False))}
    rows = {row.name.removeprefix("enc.") for row in net.rows if row.params}
    assert weighted - {"layers.0.self_attn.out_proj", "layers.1.self_attn.out_proj"} == rows - {
        "Linear-1"
    }
    folded = [row.label for row in summary_table(net, depth=0).rows]
    assert folded == ["Input", "enc (TransformerEncoder)", "Linear-1"]
    middle = [row.label for row in summary_table(net, depth=1).rows]
    assert "enc.layers.0 (TransformerEncoderLayer)" in middle and "enc.norm (LayerNorm)" in middle
    heading = summary_table(net, depth=0).rows[1]
    assert heading.params == _count(module)


REFUSALS = [
    ("TransformerEncoderLayer", {"nhead": 3}, SpecError, "num_heads", "must divide"),
    (
        "TransformerEncoderLayer",
        {"nhead": 2, "activation": "tanh"},
        SpecError,
        "activation",
        "must be one of 'relu', 'gelu'",
    ),
    ("TransformerEncoderLayer", {"nhead": 2, "dropout": 1.5}, SpecError, "dropout", "between"),
    ("TransformerEncoderLayer", {"nhead": 2, "d_model": 8}, ShapeError, "d_model", "disagrees"),
    ("TransformerEncoder", {"nhead": 2}, SpecError, "num_layers", "missing required"),
    ("TransformerDecoderLayer", {"nhead": 2}, SpecError, "from", r"reads \[tgt, memory\]"),
]


@pytest.mark.parametrize(("kind", "args", "error", "field", "message"), REFUSALS)
def test_bad_transformers_are_refused(
    kind: str, args: dict[str, Any], error: type, field: str, message: str
) -> None:
    spec = {"input": [10, 16], "layers": [{"type": kind, "name": "tr", **args}]}
    with pytest.raises(error, match=message) as raised:
        symcnn.load(spec)
    assert raised.value.field == field
    assert "'tr" in str(raised.value)


# ---------------------------------------------------------------- the examples, against PyTorch

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _bert_encoder() -> torch.nn.Module:
    layer = torch.nn.TransformerEncoderLayer(768, 12, 3072, activation="gelu", layer_norm_eps=1e-12)
    return torch.nn.TransformerEncoder(layer, 12, enable_nested_tensor=False)


def _budget_encoder() -> torch.nn.Module:
    layer = torch.nn.TransformerEncoderLayer(584, 8, 4 * 584)
    return torch.nn.TransformerEncoder(
        layer, 6, torch.nn.LayerNorm(584), enable_nested_tensor=False
    )


#: each transformer example (with values for its symbols) and the PyTorch module it describes
EXAMPLE_MODULES = {
    "transformer_encoder.yaml": ({"L": 5}, "encoder", _bert_encoder),
    "transformer_budget.yaml": ({"L": 3, "w": 584}, "enc", _budget_encoder),
}


@pytest.mark.parametrize("name", sorted(EXAMPLE_MODULES))
def test_transformer_examples_agree_with_pytorch_row_by_row(name: str) -> None:
    values, prefix, build = EXAMPLE_MODULES[name]
    net = symcnn.load(EXAMPLES / name).subs(values)
    module = build()
    modules = dict(module.named_modules())
    assert net.params == _count(module)
    for row in net.rows:
        if row.params:
            assert row.params == _count(modules[row.name.removeprefix(prefix + ".")]), row.name
    with torch.no_grad():
        output = module(torch.zeros(*(int(size) for size in net.input_shape)))
    assert tuple(output.shape) == net.output_shape


@settings(max_examples=30, deadline=None)
@given(sst.transformer_specs())
def test_drawn_transformers_have_the_count_pytorch_s_modules_give(drawn: sst.Counted) -> None:
    net = symcnn.load(drawn.spec)
    assert net.params == drawn.params
    assert net.output_shape == drawn.output_shape
