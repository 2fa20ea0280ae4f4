"""``from_torch`` with symbolic input sizes: a ``Linear`` after a flatten keeps the module's
``in_features``, so the imported counts are the module's whatever the symbols, and the sizes the
module accepts are a condition."""

from __future__ import annotations

import pytest
import torch
from torch import nn

import symcnn
from symcnn.errors import ShapeError
from symcnn.interop import from_torch

torch.set_num_threads(1)


def lenet() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.Tanh(), nn.Linear(120, 84), nn.Tanh(), nn.Linear(84, 10),
    )  # fmt: skip


def test_symbolic_lenet_counts_what_the_module_holds() -> None:
    module = lenet()
    net = from_torch(module, input_shape=[1, "H", "W"])
    assert net.params == sum(p.numel() for p in module.parameters()) == 61706
    assert net.to_spec()["layers"][7]["in_features"] == 400
    assert symcnn.load(net.to_spec()).params == net.params
    # the sizes the module takes: 28 to 31 (16·(⌊H/4⌋ − 2)·(⌊W/4⌋ − 2) = 400)
    for size in (28, 31):
        numeric = net.subs(H=size, W=size)
        x = torch.zeros(2, 1, size, size)
        assert numeric.output_shape == tuple(module(x).shape[1:])
        assert numeric.macs == from_torch(module, input_shape=[1, size, size]).macs
    for size in (27, 32):
        with pytest.raises(RuntimeError):
            module(torch.zeros(2, 1, size, size))
        with pytest.raises(ShapeError, match="in_features"):
            net.subs(H=size, W=size)


def test_a_symbolic_width_leaves_the_next_linear_free() -> None:
    module = lenet()
    net = from_torch(module, input_shape=[1, "H", "W"], symbols={"3.out_channels": "k"})
    assert "in_features" not in net.to_spec()["layers"][7]
    assert net.subs(H=28, W=28, k=16).params == 61706
    assert net.subs(H=28, W=28, k=8).params == 61706 - 8 * (150 + 1) - 8 * 25 * 120


def test_adaptive_pooling_needs_no_pin() -> None:
    module = nn.Sequential(
        nn.Conv2d(3, 8, 3), nn.AdaptiveAvgPool2d(2), nn.Flatten(), nn.Linear(32, 4)
    )
    net = from_torch(module, input_shape=[3, "H", "W"])
    assert "in_features" not in net.to_spec()["layers"][3]
    assert net.params == sum(p.numel() for p in module.parameters())


class StochasticDepth(nn.Module):
    """torchvision's ``StochasticDepth`` (row mode), whose training branch draws noise."""

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = 1.0 - self.p
        noise = torch.empty([x.shape[0]] + [1] * (x.ndim - 1)).bernoulli_(keep)
        return x * noise.div_(keep)


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = nn.Sequential(
            nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.BatchNorm2d(8), nn.SiLU()
        )
        self.stochastic_depth = StochasticDepth(0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stochastic_depth(self.block(x)) + x


def test_a_model_in_training_mode_is_read_as_in_eval_mode_and_left_as_it_was() -> None:
    module = Block().train()
    module.block[1].eval()  # a mixed state, which from_torch must put back as it was
    modes = [sub.training for sub in module.modules()]
    net = from_torch(module, input_shape=[8, "H", "W"])
    assert [sub.training for sub in module.modules()] == modes
    assert net.params == sum(p.numel() for p in module.parameters())
    assert net.buffers == sum(b.numel() for b in module.buffers())
    assert [str(s) for s in net.output_shape] == ["8", "H", "W"]
