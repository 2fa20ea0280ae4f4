"""Spec values written the way textbooks write them."""

from __future__ import annotations

import pytest

import symcnn


def conv(kernel_size: object) -> symcnn.Network:
    return symcnn.load(
        {
            "input": [32, 32, 3],
            "layers": [{"type": "conv2d", "out_channels": 8, "kernel_size": kernel_size}],
        }
    )


@pytest.mark.parametrize(
    ("written", "shape", "params"),
    [
        ("3x3", (30, 30, 8), (3 * 3 * 3 + 1) * 8),
        ("3 × 5", (30, 28, 8), (3 * 5 * 3 + 1) * 8),
        ([3, 5], (30, 28, 8), (3 * 5 * 3 + 1) * 8),
        ("2+1", (30, 30, 8), (3 * 3 * 3 + 1) * 8),
    ],
)
def test_kernel_written_per_axis_is_one_size_per_axis(written, shape, params):
    net = conv(written)
    assert net.output_shape == shape
    assert net.params == params


def test_kernel_with_the_wrong_number_of_axes_is_refused():
    with pytest.raises(symcnn.SpecError, match=r"`kernel_size` = '3x3x3': needs 2 values"):
        conv("3x3x3")
