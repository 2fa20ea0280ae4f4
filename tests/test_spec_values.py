"""Spec values written the way textbooks write them."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy

import symcnn

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


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


def test_a_padding_symbol_may_be_zero():
    net = symcnn.load(
        {
            "input": ["H", "H", 3],
            "layers": [{"type": "conv2d", "out_channels": 8, "kernel_size": 3, "padding": "z"}],
        }
    )
    assert net.symbols["z"].is_nonnegative and not net.symbols["z"].is_positive
    assert net.subs(z=0, H=32).output_shape == (30, 30, 8)
    assert net.subs(z=1, H=32).output_shape == (32, 32, 8)


def test_substitutions_compose():
    net = symcnn.load(EXAMPLES / "symbolic.yaml")
    assert net.subs(H=32, W=32).subs(k1=8, k2=16).params == 62_958
    assert net.subs(W="2*H").subs(H=16).input_shape == (16, 32, 3)


def test_a_deep_strided_chain_keeps_one_floor_per_size():
    layers = [{"type": "maxpool2d", "kernel_size": 2}] * 400
    net = symcnn.load({"input": ["H", "H", 3], "layers": layers})
    height = net.symbols["H"]
    assert net.output_shape[0] == sympy.floor(height / 2**400)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the spec is empty"),
        ("- a\n- b\n", "a spec must be a mapping with `input` and `layers`, got list"),
    ],
)
def test_documents_that_are_not_specs_are_refused(text, message):
    with pytest.raises(symcnn.SpecError, match=message):
        symcnn.load(text if text else "\n")
