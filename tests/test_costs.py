"""Costs under the default counter, ``torch``, against ``torch.utils.flop_counter.FlopCounterMode``.

Hypothesis draws convolutions (grouped, strided, dilated, padded), transposed convolutions and
linear layers; each is built in PyTorch and run once under FlopCounterMode, and symcnn's ``flops``
must be its total exactly. The zoo examples are compared whole. The rest are the contract: only
what the output depends on costs, every application of shared weights costs, a symbolic repeat
costs ``L`` times, and the command line and JSON show it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sympy
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

import symcnn
from symcnn.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parent))
from zoo_models import ZOO

torch.set_num_threads(1)
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def torch_flops(model: nn.Module, shape: tuple[int, ...]) -> int:
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(torch.zeros(1, *shape))
    if out.numel() == 0:  # an empty output: symcnn refuses sizes below 1, as its layer tests do
        raise RuntimeError("an empty output")
    return int(counter.get_total_flops())


@st.composite
def convolutions(draw: Any) -> tuple[dict[str, Any], nn.Module, tuple[int, ...]]:
    dims = draw(st.sampled_from([1, 2, 3]))
    groups = draw(st.sampled_from([1, 2]))
    channels = groups * draw(st.integers(1, 3))
    out = groups * draw(st.integers(1, 3))
    kernel = draw(st.integers(1, 3))
    stride = draw(st.integers(1, 2))
    padding = draw(st.integers(0, 1))
    dilation = draw(st.integers(1, 2))
    size = draw(st.integers(dilation * (kernel - 1) + 1, 7))
    bias = draw(st.booleans())
    transposed = draw(st.booleans())
    kwargs = {
        "out_channels": out,
        "kernel_size": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "groups": groups,
        "bias": bias,
    }
    name = f"Conv{'Transpose' if transposed else ''}{dims}d"
    module = getattr(nn, name)(channels, **kwargs)
    return {"type": name, **kwargs}, module, (channels, *[size] * dims)


@settings(max_examples=120, deadline=None)
@given(case=convolutions())
def test_convolutions_cost_what_flop_counter_mode_counts(case: Any) -> None:
    layer, module, shape = case
    spec = {"input": list(shape), "layout": "CHW", "layers": [layer]}
    try:
        expected = torch_flops(module, shape)
    except RuntimeError:  # a configuration PyTorch refuses: symcnn refuses it too
        with pytest.raises(symcnn.SymcnnError):
            symcnn.load(spec)
        return
    net = symcnn.load(spec)
    assert net.flops == expected
    assert net.macs * 2 == net.flops


@settings(max_examples=60, deadline=None)
@given(
    rank=st.integers(1, 3),
    width=st.integers(1, 9),
    out=st.integers(1, 9),
    bias=st.booleans(),
    lead=st.integers(1, 4),
)
def test_linear_layers_on_any_rank(rank: int, width: int, out: int, bias: bool, lead: int) -> None:
    shape = (*[lead] * (rank - 1), width)
    net = symcnn.load(
        {"input": list(shape), "layers": [{"type": "linear", "out_features": out, "bias": bias}]}
    )
    assert net.flops == torch_flops(nn.Linear(width, out, bias=bias), shape)


@contextmanager
def attention_in_counted_kernels(fast_path: bool = False, math: bool = True) -> Iterator[None]:
    """In eval mode without grad, a ``batch_first`` MultiheadAttention (ViT's) runs the fused
    ``torch._native_multi_head_attention`` (the "fast path"), and with ``need_weights=False``
    its products run in ``scaled_dot_product_attention``'s fused CPU kernel: FlopCounterMode
    counts neither. Without the fast path and with the math kernel, it counts every matrix
    product (docs/layers-attention.md#vit-b16)."""
    before = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(fast_path)
    try:
        if math:
            with sdpa_kernel(SDPBackend.MATH):
                yield
        else:
            yield
    finally:
        torch.backends.mha.set_fastpath_enabled(before)


def zoo_reference(example: str) -> tuple[symcnn.Network, nn.Module, tuple[int, ...]]:
    net = symcnn.load(EXAMPLES / example)
    entry = ZOO[example]
    model = entry() if callable(entry) else entry
    model = model[0] if isinstance(model, tuple) else model
    shape = tuple(int(size) for size in net.input_shape)
    if net.layout == "HWC":  # PyTorch's modules take channels first
        shape = (shape[-1], *shape[:-1])
    return net, model, shape


@pytest.mark.parametrize("example", sorted(ZOO))
def test_the_zoo_costs_what_flop_counter_mode_counts(example: str) -> None:
    net, model, shape = zoo_reference(example)
    with attention_in_counted_kernels():
        assert net.flops == torch_flops(model, shape), example


def test_vit_in_pytorchs_default_kernels_counts_less_attention() -> None:
    """ViT-B/16 in PyTorch's default kernels: with the fast path FlopCounterMode counts none of
    an attention's work; without it, the projections but not the two products Q·Kᵀ and
    weights·V (2·L·L·e MACs), which the fused CPU kernel computes."""
    net, model, shape = zoo_reference("vit_b_16.yaml")
    attentions = [row for row in net.rows if row.type == "MultiheadAttention"]
    assert len(attentions) == 12
    attention_flops = sum(net.row_costs()[row.name][1] for row in attentions)
    products = sum(2 * 2 * row.input_shape[0] ** 2 * row.input_shape[1] for row in attentions)
    assert products == 12 * 4 * 197 * 197 * 768
    with attention_in_counted_kernels(fast_path=True, math=False):
        assert torch_flops(model, shape) == net.flops - attention_flops
    with attention_in_counted_kernels(fast_path=False, math=False):
        assert torch_flops(model, shape) == net.flops - products


def test_only_what_the_output_depends_on_costs_and_every_application_counts() -> None:
    conv = {"type": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}
    net = symcnn.load({"input": [4, 8, 8], "layout": "CHW", "output": "twice", "layers": [
        {**conv, "name": "a"},
        {"shares": "a", "name": "twice"},
        {**conv, "name": "unused", "from": "input"},
    ]})
    once = 8 * 8 * 4 * 4 * 9
    assert net.macs == 2 * once  # a applied twice; the unused branch costs nothing
    assert net.params == 2 * (4 * 4 * 9 + 4)  # but its weights are the network's
    assert net.row_costs()["unused"] == (0, 0)


def test_a_symbolic_repeat_costs_L_times() -> None:
    net = symcnn.load(EXAMPLES / "resnet_stage.yaml")
    L, H, W = (net.symbols[name] for name in ("L", "H", "W"))
    assert sympy.expand(net.macs - L * 2 * 64 * 64 * 9 * H * W) == 0
    assert net.subs(L=3, H=7, W=7).macs == 3 * 2 * 64 * 64 * 9 * 49


def test_the_bottleneck_question() -> None:
    """A 5×5 convolution from 192 to 32 channels on 28×28, with and without a 1×1 bottleneck."""
    direct = symcnn.load({"input": [28, 28, 192], "layers": [
        {"type": "conv2d", "out_channels": 32, "kernel_size": 5, "padding": "same"}]})
    bottleneck = symcnn.load({"input": [28, 28, 192], "layers": [
        {"type": "conv2d", "out_channels": 16, "kernel_size": 1},
        {"type": "conv2d", "out_channels": 32, "kernel_size": 5, "padding": 2}]})
    assert direct.macs == 120_422_400
    assert bottleneck.macs == 12_443_648


def test_costs_on_the_command_line_and_in_json(capsys: Any) -> None:
    lenet = str(EXAMPLES / "lenet5.yaml")
    assert main(["summary", lenet, "--costs", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    net = symcnn.load(lenet)
    assert data["macs"] == str(net.macs) and data["flops"] == str(net.flops)
    assert data["layers"][0]["macs"] == "470400" and data["counter"] == "torch"
    assert main(["summary", lenet, "--costs"]) == 0
    table = capsys.readouterr().out
    assert "MACs" in table and "FlopCounterMode" in table.splitlines()[-1]
    with pytest.raises(SystemExit):
        main(["summary", lenet, "--counter", "nope"])
    capsys.readouterr()


def test_the_costs_of_a_net_are_the_sum_of_its_rows() -> None:
    net = symcnn.load(EXAMPLES / "googlenet.yaml")
    rows = net.row_costs()
    assert net.macs == sum(macs for macs, _ in rows.values())
    assert net.costs() == {"macs": net.macs, "flops": net.flops}


WIDE_AND_DEEP = {
    "input": [3, 32, 32],
    "layout": "CHW",
    "blocks": {"b": {"args": {"w": None}, "layers": [
        {"type": "conv2d", "name": "conv", "out_channels": "w", "kernel_size": 3, "padding": 1},
        {"type": "relu"}]}},
    "layers": [
        {"type": "conv2d", "name": "stem", "out_channels": "w", "kernel_size": 3, "padding": 1},
        {"block": "b", "name": "stage", "w": "w", "repeat": "L"},
        {"type": "adaptiveavgpool2d", "output_size": 1},
        {"type": "flatten"},
        {"type": "linear", "out_features": 10},
    ],
}


def test_width_and_depth_pairs_under_a_flops_and_a_parameter_budget() -> None:
    net = symcnn.load(WIDE_AND_DEEP)
    solution = net.solve(
        "flops <= 2e9", "params <= 1e7", bounds={"w": (8, 400), "L": (1, 20)}, limit=10_000
    )
    pairs = {(point["w"], point["L"]) for point in solution.points}
    assert pairs, "some pairs fit"
    for w in range(8, 401, 37):
        for depth in range(1, 21, 3):
            point = net.subs(w=w, L=depth)
            fits = point.flops <= 2 * 10**9 and point.params <= 10**7
            assert ((w, depth) in pairs) == fits, (w, depth)


def test_the_largest_width_under_a_mac_budget() -> None:
    net = symcnn.load({"input": [56, 56, 64], "layers": [
        {"type": "conv2d", "out_channels": "k", "kernel_size": 3, "padding": 1}]})
    k = net.solve("macs <= 1e9", maximize="k").value
    assert net.subs(k=k).macs <= 10**9 < net.subs(k=k + 1).macs


def test_an_exam_asks_the_bytes_of_the_parameters() -> None:
    from symcnn.exam import load_template, make_exam

    text = (EXAMPLES / "exams" / "bottleneck_exam.yaml").read_text()
    exam = make_exam(load_template(text + "  - {ask: param_bytes}\n"), variants=2, seed=3)
    for variant in exam.variants:
        posed = next(q for q in variant.questions if q.spec.ask == "param_bytes")
        assert posed.answers[0].value == 4 * variant.network.params
        assert posed.working[-1].result == posed.answers[0].value
        assert {m.value for m in posed.mistakes} >= {variant.network.params}


def test_a_markdown_answer_key_with_costs_has_their_columns(capsys: Any) -> None:
    assert main(["latex", str(EXAMPLES / "lenet5.yaml"), "--costs", "--format", "markdown"]) == 0
    table = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert table[0].endswith("| MACs | FLOPs |")
    assert "470,400" in next(line for line in table if "CONV1" in line)
