"""The ``narrow`` layer (``torch.narrow``, ``x[:, a:b]``, one piece of ``chunk``/``split``) and
``from_torch`` on models that cut tensors (ShuffleNetV2's channel split and shuffle), checked in
PyTorch: shapes, refusals, counts, and the numbers ``to_torch`` computes."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import symcnn
from symcnn.errors import ShapeError, SymcnnError
from symcnn.interop import from_torch, to_torch

torch.set_num_threads(1)


def narrowed(shape: list[Any], layout: str = "CHW", **arguments: Any) -> Any:
    spec = {"input": shape, "layout": layout, "layers": [{"type": "narrow", **arguments}]}
    return symcnn.load(spec)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_narrow_agrees_with_torch(data: Any) -> None:
    shape = data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    dim = data.draw(st.integers(1, len(shape)))
    size = shape[dim - 1]
    start = data.draw(st.integers(-size - 1, size))
    length = data.draw(st.integers(1, size + 1))
    try:
        expected = tuple(torch.zeros(2, *shape).narrow(dim, start, length).shape[1:])
    except (IndexError, RuntimeError):
        with pytest.raises(ShapeError):
            narrowed(shape, dim=dim, start=start, length=length)
        return
    net = narrowed(shape, dim=dim, start=start, length=length)
    assert net.output_shape == expected
    assert net.params == 0
    x = torch.randn(2, *shape)
    assert torch.equal(to_torch(net)(x), x.narrow(dim, start, length))


def test_narrow_on_a_symbolic_size_is_a_condition() -> None:
    net = narrowed([16, "H", "W"], dim=2, start=2, length=5)
    assert [str(size) for size in net.output_shape] == ["16", "5", "W"]
    assert net.subs(H=7).output_shape[1] == 5
    with pytest.raises(ShapeError, match="passes the end"):
        net.subs(H=6)


def test_narrow_refuses_the_batch_axis() -> None:
    with pytest.raises(ShapeError, match="batch axis"):
        narrowed([4, 4], dim=0, start=0, length=1)


class Cuts(nn.Module):
    def __init__(self, how: str) -> None:
        super().__init__()
        self.how = how
        if how in ("chunk", "split"):
            self.conv = nn.Conv2d(3, 3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.how == "chunk":
            a, b, c = x.chunk(3, dim=1)
            return torch.cat([c, self.conv(b), a], dim=1)
        if self.how == "split":
            a, b = torch.split(x, [6, 3], dim=1)
            return torch.cat([self.conv(b), a], dim=1)
        if self.how == "slice":
            return torch.cat([x[:, 6:], x[:, :6]], dim=1) + x[:, :, 1:3].mean([2, 3], True)
        if self.how == "reversed":
            return torch.cat(x.chunk(4, dim=1)[::-1], dim=1)  # 9 channels: 3 pieces of 3
        return x.narrow(3, 1, 2)


@pytest.mark.parametrize("how", ["chunk", "split", "slice", "reversed", "narrow"])
def test_cutting_models_compute_the_same(how: str) -> None:
    module = Cuts(how).eval()
    net = from_torch(module, input_shape=[9, 5, 5])
    x = torch.randn(2, 9, 5, 5)
    assert net.output_shape == tuple(module(x).shape[1:])
    assert net.params == sum(p.numel() for p in module.parameters()) * (how in ("chunk", "split"))
    rebuilt = to_torch(net).eval()
    rebuilt.load_state_dict(module.state_dict())
    assert torch.allclose(rebuilt(x), module(x), atol=1e-6)


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """torchvision's ``shufflenetv2.channel_shuffle``."""
    batchsize, num_channels, height, width = x.size()
    channels_per_group = num_channels // groups
    x = x.view(batchsize, groups, channels_per_group, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batchsize, -1, height, width)


class InvertedResidual(nn.Module):
    """torchvision's ShuffleNetV2 block, written out as torchvision writes it."""

    def __init__(self, inp: int, oup: int, stride: int) -> None:
        super().__init__()
        self.stride = stride
        branch_features = oup // 2
        if stride > 1:
            self.branch1 = nn.Sequential(
                nn.Conv2d(inp, inp, 3, stride, 1, bias=False, groups=inp),
                nn.BatchNorm2d(inp),
                nn.Conv2d(inp, branch_features, 1, 1, 0, bias=False),
                nn.BatchNorm2d(branch_features),
                nn.ReLU(inplace=True),
            )
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            nn.Conv2d(inp if stride > 1 else branch_features, branch_features, 1, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
            nn.Conv2d(
                branch_features, branch_features, 3, stride, 1, bias=False, groups=branch_features
            ),
            nn.BatchNorm2d(branch_features),
            nn.Conv2d(branch_features, branch_features, 1, bias=False),
            nn.BatchNorm2d(branch_features),
            nn.ReLU(inplace=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2)


def test_shufflenet_v2_stage() -> None:
    module = nn.Sequential(
        InvertedResidual(24, 116, 2), InvertedResidual(116, 116, 1), InvertedResidual(116, 116, 1)
    ).eval()
    net = from_torch(module, input_shape=[24, 28, 28])
    assert net.params == sum(p.numel() for p in module.parameters())
    assert net.buffers == sum(b.numel() for b in module.buffers())
    x = torch.randn(2, 24, 28, 28)
    assert net.output_shape == tuple(module(x).shape[1:]) == (116, 14, 14)
    rebuilt = to_torch(net).eval()
    rebuilt.load_state_dict(module.state_dict())
    assert torch.allclose(rebuilt(x), module(x), atol=1e-5)


class Symbolic(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.chunk(2, dim=2)[0]


class BadSplit(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.split(x, [2, 2], dim=1)[0]


class SymbolicShuffle(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return channel_shuffle(x, 2)


@pytest.mark.parametrize(
    "module,shape,message",
    [
        (Symbolic(), [4, "H", 4], "known size only"),
        (BadSplit(), [5, 4, 4], "add up to 4, not the dim's size 5"),
        (SymbolicShuffle(), ["C", 4, 4], "symbolic size C"),
    ],
    ids=["chunk-of-a-symbol", "split-sizes", "shuffle-of-a-symbol"],
)
def test_cuts_it_cannot_make_are_refused_by_node(module: Any, shape: Any, message: str) -> None:
    with pytest.raises(SymcnnError, match=message):
        from_torch(module, input_shape=shape)
