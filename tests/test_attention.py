"""MultiheadAttention against PyTorch 2.13: parameters, buffers, output shape, refusals and the
multiply-accumulates FlopCounterMode counts, over hypothesis-drawn configurations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

import symcnn
from symcnn import strategies as sst
from symcnn.errors import ShapeError, SpecError, SymcnnError
from symcnn.formula import evaluate
from symcnn.layers import LAYERS
from symcnn.symbols import L_k, L_q, bias, bias_kv, e, e_k, e_v, zero_attn

torch.set_num_threads(1)

#: what PyTorch raises for a bad configuration (constructor or forward pass)
TORCH_ERRORS = (RuntimeError, ValueError, AssertionError)


@dataclass(frozen=True)
class Attention:
    """One configuration: PyTorch's keywords, the inputs' shapes, and how the spec reads them."""

    embed: int
    heads: int
    mode: str  # self, kv (from: [q, kv]) or qkv (from: [q, k, v])
    query: tuple[int, int]
    key: tuple[int, int]
    value: tuple[int, int]
    options: dict[str, Any]
    #: kdim/vdim the spec states (PyTorch gets the inputs' widths unless stated)
    stated: dict[str, int]

    def torch_module(self) -> torch.nn.MultiheadAttention:
        kdim = self.stated.get("kdim", self.key[1])
        vdim = self.stated.get("vdim", self.value[1])
        return torch.nn.MultiheadAttention(
            self.embed, self.heads, kdim=kdim, vdim=vdim, **self.options
        )

    def tensors(self) -> tuple[torch.Tensor, ...]:
        query = torch.zeros(self.query)
        if self.mode == "self":
            return query, query, query
        key = torch.zeros(self.key)
        value = key if self.mode == "kv" else torch.zeros(self.value)
        return query, key, value

    def spec(self) -> dict[str, Any]:
        layer = {
            "type": "MultiheadAttention",
            "name": "attn",
            "num_heads": self.heads,
            **self.options,
            **self.stated,
        }
        if self.mode == "self":
            return {"input": list(self.query), "layers": [layer]}
        inputs = {"q": list(self.query), "k": list(self.key), "v": list(self.value)}
        sources = ["q", "k"] if self.mode == "kv" else ["q", "k", "v"]
        return {"inputs": inputs, "layers": [{**layer, "from": sources}]}


@st.composite
def attentions(draw: st.DrawFn) -> Attention:
    heads = draw(st.integers(1, 4))
    embed = heads * draw(st.integers(1, 4)) if draw(st.booleans()) else draw(st.integers(1, 12))
    mode = draw(st.sampled_from(["self", "kv", "qkv"]))
    query = (draw(st.integers(1, 5)), embed)
    key = query if mode == "self" else (draw(st.integers(1, 5)), draw(st.integers(1, 8)))
    if mode == "qkv":
        length = key[0] if draw(st.integers(0, 4)) else draw(st.integers(1, 5))
        value = (length, draw(st.integers(1, 8)))
    else:
        value = key
    options = {
        "bias": draw(st.booleans()),
        "add_bias_kv": draw(st.booleans()),
        "add_zero_attn": draw(st.booleans()),
        "dropout": draw(st.sampled_from([0.0, 0.25, 1.0, 1.5])),
        "batch_first": draw(st.booleans()),
    }
    stated: dict[str, int] = {}
    if mode != "self":
        for name, width in (("kdim", key[1]), ("vdim", value[1])):
            if draw(st.integers(0, 3)) == 0:
                stated[name] = width if draw(st.booleans()) else width + 1
    return Attention(embed, heads, mode, query, key, value, options, stated)


def _torch_result(case: Attention) -> tuple[int, int, tuple[int, ...], int] | None:
    """PyTorch's parameters, buffers, output shape and FLOPs, or None when it refuses."""
    try:
        module = case.torch_module()
        module.train()
        counter = FlopCounterMode(display=False)
        with counter:
            output = module(*case.tensors())[0]
    except TORCH_ERRORS:
        return None
    params = sum(p.numel() for p in module.parameters())
    buffers = sum(b.numel() for b in module.buffers())
    return params, buffers, tuple(output.shape), counter.get_total_flops()


@settings(max_examples=150, deadline=None)
@given(attentions())
def test_multihead_attention_agrees_with_pytorch(case: Attention) -> None:
    expected = _torch_result(case)
    if expected is None:
        with pytest.raises(SymcnnError):
            symcnn.load(case.spec())
        return
    net = symcnn.load(case.spec())
    params, buffers, shape, flops = expected
    row = net["attn"]
    assert (row.params, row.buffers) == (params, buffers)
    assert all(isinstance(size, sympy.Integer) for size in row.output_shape)
    assert tuple(row.output_shape) == shape
    assert net.flops == flops and net.macs * 2 == flops


def test_the_count_is_the_issue_s_formula() -> None:
    """E·E + E·kdim + E·vdim + 3E·bias + E·E + E·bias + 2E·add_bias_kv, from the textbook tree."""
    layer = LAYERS["multiheadattention"](num_heads=sympy.Integer(2))
    params = evaluate(layer.textbook().params.formula)
    expected = e * e + e * e_k + e * e_v + 3 * e * bias + e * e + e * bias + 2 * e * bias_kv
    assert sympy.expand(params - expected) == 0
    macs = evaluate(layer.textbook().macs.formula)
    steps = L_k + bias_kv + zero_attn
    assert sympy.expand(macs - (2 * L_q * e**2 + L_k * e * (e_k + e_v) + 2 * L_q * steps * e)) == 0


def test_symbolic_attention_is_the_formula_at_the_sizes() -> None:
    net = symcnn.load(
        {
            "inputs": {"x": ["L", "E_m"], "memory": ["S", 64]},
            "layers": [{"type": "MultiheadAttention", "num_heads": 8, "from": ["x", "memory"]}],
        }
    )
    embed, length, memory = (
        sympy.Symbol(name, integer=True, positive=True) for name in "E_m L S".split()
    )
    assert sympy.expand(net.params - (2 * embed**2 + 128 * embed + 4 * embed)) == 0
    assert net.rows[0].output_shape == (length, embed)
    assert (
        sympy.expand(
            net.macs - (2 * length * embed**2 + 128 * memory * embed + 2 * length * memory * embed)
        )
        == 0
    )
    assert any(check.field == "num_heads" for check in net.conditions)


REFUSALS = [
    ({"num_heads": 3}, [10, 16], None, SpecError, "`num_heads` = 3 must divide embed_dim"),
    ({"num_heads": 2, "kdim": 4}, [10, 16], None, SpecError, "`kdim` = 4 needs a separate key"),
    ({"num_heads": 2, "dropout": -0.1}, [10, 16], None, SpecError, "between 0 and 1"),
    ({"num_heads": 2, "dropout": 1.5}, [10, 16], None, SpecError, "between 0 and 1"),
    ({"num_heads": 2, "embed_dim": 8}, [10, 16], None, ShapeError, "`embed_dim` = 8 disagrees"),
    ({"num_heads": 2}, [3, 10, 16], None, ShapeError, "of rank 2"),
    ({"num_heads": 2, "kdim": 5}, [10, 16], ["input", "k"], ShapeError, "`kdim` = 5 disagrees"),
    ({"num_heads": 2}, [10, 16], ["input", "k", "v"], ShapeError, "need the same length"),
    ({"num_heads": 2}, [10, 16], ["input", "k", "v", "v"], SpecError, "`from` lists 4"),
]


@pytest.mark.parametrize(("args", "shape", "sources", "error", "message"), REFUSALS)
def test_bad_attention_is_refused_naming_the_layer_and_field(
    args: dict[str, Any], shape: list[int], sources: list[str] | None, error: type, message: str
) -> None:
    layer = {"type": "MultiheadAttention", "name": "attn", **args}
    spec: dict[str, Any] = {"input": shape, "layers": [layer]}
    if sources is not None:
        spec = {
            "inputs": {"input": shape, "k": [7, 6], "v": [9, 3]},
            "layers": [{**layer, "from": sources}],
        }
    with pytest.raises(error, match=message) as raised:
        symcnn.load(spec)
    assert "'attn' (MultiheadAttention)" in str(raised.value)


def test_the_working_shows_the_four_projections() -> None:
    from symcnn.derive import derive
    from symcnn.render.plain import text_line

    net = symcnn.load(
        {"input": [10, 8], "layers": [{"type": "MultiheadAttention", "num_heads": 2}]}
    )
    line = derive(net.rows[0]).line("params")
    text = text_line(line)
    assert text.startswith("parameters = (e·e + e·e_k + e·e_v + 3·e·bias) + (e·e + e·bias)")
    assert "= 288" in text and "out_proj" in text


@settings(max_examples=60, deadline=None)
@given(sst.attention_specs())
def test_drawn_attention_has_the_count_pytorch_s_modules_give(drawn: sst.Counted) -> None:
    net = symcnn.load(drawn.spec)
    assert net.params == drawn.params
    assert net.output_shape == drawn.output_shape


# ---------------------------------------------------------------- the other counters' tools


class _Attending(torch.nn.Module):
    """One MultiheadAttention reading the tool's one input as its query, and fixed key and value
    tensors (the tools feed a model one tensor)."""

    def __init__(self, case: Attention) -> None:
        super().__init__()
        self.attention = case.torch_module()
        self.case = case

    def forward(self, query: torch.Tensor) -> torch.Tensor:
        if self.case.mode == "self":
            return self.attention(query, query, query)[0]
        key = torch.zeros(1, *self.case.key)
        value = key if self.case.mode == "kv" else torch.zeros(1, *self.case.value)
        return self.attention(query, key, value)[0]


def _tool_macs(tool: str, module: torch.nn.Module, shape: tuple[int, int]) -> int:
    import contextlib
    import io
    import warnings

    module.eval()
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter("ignore")  # the tools' own notices (unsupported ops...)
        if tool == "ptflops":
            from ptflops import get_model_complexity_info

            macs, _ = get_model_complexity_info(
                module, shape, as_strings=False, backend="aten", print_per_layer_stat=False
            )
            return int(macs)
        if tool == "fvcore":
            from fvcore.nn import FlopCountAnalysis

            analysis = FlopCountAnalysis(module, torch.zeros(1, *shape))
            analysis.unsupported_ops_warnings(False)
            analysis.uncalled_modules_warnings(False)
            return int(analysis.total())
        import torchinfo

        return int(torchinfo.summary(module, input_size=(1, *shape), verbose=0).total_mult_adds)


@settings(max_examples=25, deadline=None)
@given(attentions(), st.sampled_from(["ptflops", "fvcore", "torchinfo"]))
def test_attention_costs_agree_with_each_tool(case: Attention, tool: str) -> None:
    """ptflops (aten) counts the projections with their biases and the two products, fvcore the
    same without the biases, torchinfo nothing (the projections are not child modules it calls)."""
    case = Attention(
        case.embed,
        case.heads,
        case.mode,
        case.query,
        case.key,
        case.value,
        {**case.options, "dropout": 0.0, "batch_first": True},
        {},
    )
    if _torch_result(case) is None:
        return  # which configurations are valid is the test above's business
    module = _Attending(case)
    expected = _tool_macs(tool, module, case.query)
    net = symcnn.load(case.spec())
    assert net.costs(tool)["macs"] == expected
