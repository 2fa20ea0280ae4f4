"""The keras convention against real Keras (3.15.1, torch backend; conftest.py sets KERAS_BACKEND).

Hypothesis draws Sequential stacks and two-branch functional models of the layers with Keras faces,
each layer written once as a Keras config ``{"type": "Conv2D", "filters": 4, ...}``: Keras builds
it as ``keras.layers.Conv2D(filters=4, ...)``, symcnn reads the same dict under
``convention: keras``. Both must agree on ``count_params()``, the trainable and non-trainable
counts and ``model.output_shape``, or both refuse the model.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symcnn
from symcnn.errors import SpecError, SymcnnError

os.environ.setdefault("KERAS_BACKEND", "torch")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import keras

#: examples per property: Keras builds a model per example, so keep them modest
EXAMPLES = 40


# ------------------------------------------------------------------------------------ truth


def keras_counts(input_shape: list[int], layers: list[dict[str, Any]], merge: Any = None) -> Any:
    """Keras's (params, trainable, non-trainable, output shape) of the model, or the exception
    Keras refuses it with. ``merge`` (a config) joins two branches, each one of ``layers``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x = keras.Input(tuple(input_shape))
            if merge is None:
                y = x
                for config in layers:
                    y = _keras_layer(config)(y)
            else:
                branches = [_keras_layer(config)(x) for config in layers]
                y = _keras_layer(merge)(branches)
            model = keras.Model(x, y)
            trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
            frozen = sum(int(w.numpy().size) for w in model.non_trainable_weights)
            return model.count_params(), trainable, frozen, tuple(model.output_shape[1:])
    except Exception as error:  # Keras refuses with ValueError, or torch's error in build
        return error


def _keras_layer(config: dict[str, Any]) -> Any:
    arguments = {key: tuple(value) if isinstance(value, list) else value
                 for key, value in config.items() if key != "type"}
    if "padding" in arguments and isinstance(arguments["padding"], tuple):
        arguments["padding"] = tuple(
            tuple(item) if isinstance(item, list) else item for item in arguments["padding"]
        )
    return getattr(keras.layers, config["type"])(**arguments)


def symcnn_counts(input_shape: list[int], layers: list[dict[str, Any]], merge: Any = None) -> Any:
    if merge is None:
        entries = layers
    else:
        entries = [{**config, "name": f"b{i}", "from": "input"} for i, config in enumerate(layers)]
        entries.append({**merge, "from": [f"b{i}" for i in range(len(layers))]})
    try:
        net = symcnn.load({"convention": "keras", "input": input_shape, "layers": entries})
    except SymcnnError as error:
        return error
    shape = tuple(int(size) for size in net.output_shape)
    return int(net.params), int(net.trainable), int(net.non_trainable), shape


def agree(input_shape: list[int], layers: list[dict[str, Any]], merge: Any = None) -> None:
    truth = keras_counts(input_shape, layers, merge)
    ours = symcnn_counts(input_shape, layers, merge)
    if isinstance(truth, Exception):
        assert isinstance(ours, SymcnnError), f"Keras refuses ({truth}), symcnn gives {ours}"
    else:
        assert not isinstance(ours, Exception), f"symcnn refuses ({ours}), Keras gives {truth}"
        assert ours == truth


# ------------------------------------------------------------------------------- strategies

size = st.integers(1, 12)
channels = st.integers(1, 6)
kernel = st.integers(1, 4) | st.lists(st.integers(1, 4), min_size=2, max_size=2)
stride = st.integers(1, 3) | st.lists(st.integers(1, 3), min_size=2, max_size=2)
padding = st.sampled_from(["valid", "same"])


@st.composite
def conv2d(draw: Any, name: str = "Conv2D") -> dict[str, Any]:
    config: dict[str, Any] = {"type": name, "kernel_size": draw(kernel), "padding": draw(padding)}
    if name == "Conv2D":
        groups = draw(st.sampled_from([1, 1, 2]))
        config["filters"] = groups * draw(st.integers(1, 3))
        if groups != 1:
            config["groups"] = groups
    else:  # depthwise and separable: a depth multiplier; separable's filters are pointwise
        config["depth_multiplier"] = draw(st.integers(1, 3))
        if name == "SeparableConv2D":
            config["filters"] = draw(st.integers(1, 4))
    if draw(st.booleans()):
        config["strides"] = draw(stride)
    if draw(st.booleans()):
        config["dilation_rate"] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        config["use_bias"] = draw(st.booleans())
    return config


@st.composite
def pooling(draw: Any, dims: int = 2) -> dict[str, Any]:
    kind = draw(st.sampled_from(["MaxPooling", "AveragePooling"]))
    config: dict[str, Any] = {"type": f"{kind}{dims}D", "padding": draw(padding)}
    if draw(st.booleans()):
        config["pool_size"] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        config["strides"] = draw(st.integers(1, 3))
    return config


@st.composite
def norm(draw: Any, rank: int = 3) -> dict[str, Any]:
    kind = draw(st.sampled_from(["BatchNormalization", "LayerNormalization"]))
    config: dict[str, Any] = {"type": kind}
    for flag in ("center", "scale"):
        if draw(st.booleans()):
            config[flag] = draw(st.booleans())
    if kind == "BatchNormalization" and draw(st.booleans()):
        config["axis"] = draw(st.sampled_from([-1, *range(1, rank + 1)]))
    return config


@st.composite
def shape_keeping(draw: Any) -> dict[str, Any]:
    return draw(
        st.sampled_from(
            [
                {"type": "ReLU"},
                {"type": "Activation", "activation": "tanh"},
                {"type": "Dropout", "rate": 0.25},
            ]
        )
    )


@st.composite
def resizing(draw: Any) -> dict[str, Any]:
    if draw(st.booleans()):
        pad = draw(
            st.integers(0, 2)
            | st.lists(st.integers(0, 2), min_size=2, max_size=2)
            | st.lists(st.lists(st.integers(0, 2), min_size=2, max_size=2), min_size=2, max_size=2)
        )
        return {"type": "ZeroPadding2D", "padding": pad}
    return {"type": "UpSampling2D", "size": draw(st.integers(1, 2))}


@st.composite
def head(draw: Any) -> list[dict[str, Any]]:
    kind = draw(st.sampled_from(["global", "flatten", "none"]))
    dense = {"type": "Dense", "units": draw(st.integers(1, 5)), "use_bias": draw(st.booleans())}
    if kind == "global":
        pool = draw(st.sampled_from(["GlobalAveragePooling2D", "GlobalMaxPooling2D"]))
        keep = draw(st.booleans())
        return [{"type": pool, "keepdims": keep}, *([dense] * (not keep))]
    if kind == "flatten":
        return [{"type": "Flatten"}, dense]
    return [dense]


image_layer = st.one_of(
    conv2d(),
    conv2d("DepthwiseConv2D"),
    conv2d("SeparableConv2D"),
    pooling(),
    norm(),
    shape_keeping(),
    resizing(),
)


# --------------------------------------------------------------------------------- properties


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    height=size,
    width=size,
    depth=channels,
    layers=st.lists(image_layer, min_size=1, max_size=3),
    top=head(),
)
def test_sequential_image_models_count_as_keras(
    height: int, width: int, depth: int, layers: list[dict[str, Any]], top: list[dict[str, Any]]
) -> None:
    agree([height, width, depth], [*layers, *top])


@settings(max_examples=EXAMPLES // 2, deadline=None)
@given(
    length=st.integers(1, 16),
    depth=channels,
    filters=st.integers(1, 5),
    kernel_size=st.integers(1, 5),
    strides=st.integers(1, 3),
    conv_padding=padding,
    pool=pooling(dims=1),
    bn=norm(rank=2),
)
def test_one_d_models_count_as_keras(
    length: int,
    depth: int,
    filters: int,
    kernel_size: int,
    strides: int,
    conv_padding: str,
    pool: dict[str, Any],
    bn: dict[str, Any],
) -> None:
    conv = {"type": "Conv1D", "filters": filters, "kernel_size": kernel_size,
            "strides": strides, "padding": conv_padding}
    agree([length, depth], [conv, bn, pool, {"type": "GlobalAveragePooling1D"}])


@settings(max_examples=EXAMPLES // 4, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 6), min_size=3, max_size=3),
    filters=st.integers(1, 3),
    kernel_size=st.integers(1, 3),
    strides=st.integers(1, 2),
    conv_padding=padding,
    pool=pooling(dims=3),
)
def test_three_d_models_count_as_keras(
    sizes: list[int],
    filters: int,
    kernel_size: int,
    strides: int,
    conv_padding: str,
    pool: dict[str, Any],
) -> None:
    conv = {"type": "Conv3D", "filters": filters, "kernel_size": kernel_size,
            "strides": strides, "padding": conv_padding}
    agree([*sizes, 2], [conv, pool, {"type": "BatchNormalization"}])


@settings(max_examples=EXAMPLES // 2, deadline=None)
@given(
    height=size,
    depth=channels,
    first=conv2d(),
    second=conv2d(),
    merge=st.sampled_from(["Add", "Multiply", "Concatenate"]),
    axis=st.sampled_from([None, -1, 1, 2, 3, 0]),
)
def test_two_branch_functional_models_count_as_keras(
    height: int,
    depth: int,
    first: dict[str, Any],
    second: dict[str, Any],
    merge: str,
    axis: int | None,
) -> None:
    join: dict[str, Any] = {"type": merge}
    if merge == "Concatenate" and axis is not None:
        join["axis"] = axis
    agree([height, height, depth], [first, second], join)


# --------------------------------------------------------------------- worked cases, refusals


@pytest.mark.parametrize(
    ("layers", "expected"),
    [
        # 4C in Keras: gamma and beta trainable, the moving mean and variance non-trainable
        ([{"type": "BatchNormalization"}], (64, 32, 32)),
        ([{"type": "BatchNormalization", "center": False}], (48, 16, 32)),
        ([{"type": "Conv2D", "filters": 8, "kernel_size": 3, "strides": 2, "padding": "same"}],
         (1160, 1160, 0)),
    ],
)
def test_worked_examples_match_keras(layers: list[dict[str, Any]], expected: tuple) -> None:
    truth = keras_counts([8, 8, 16], layers)
    net = symcnn.load({"convention": "keras", "input": [8, 8, 16], "layers": layers})
    assert (int(net.params), int(net.trainable), int(net.non_trainable)) == expected
    assert truth[:3] == expected


def test_torch_convention_keeps_running_statistics_as_buffers() -> None:
    spec = {"input": [8, 8, 16], "layers": [{"type": "BatchNorm2d"}]}
    net = symcnn.load(spec)
    assert (net.params, net.trainable, net.non_trainable, net.buffers) == (32, 32, 0, 33)
    keras_net = symcnn.load(
        {"input": [8, 8, 16], "layers": [{"type": "BatchNormalization"}]}, convention="keras"
    )
    assert (keras_net.params, keras_net.buffers) == (64, 0)


@pytest.mark.parametrize(
    ("convention", "layer", "message"),
    [
        ("keras", {"type": "Conv2D", "out_channels": 4, "kernel_size": 3},
         r"did you mean `filters` \(Keras's name for PyTorch's `out_channels`\)"),
        ("keras", {"type": "Dense", "out_features": 4}, r"did you mean `units`"),
        ("keras", {"type": "MaxPooling2D", "kernel_size": 2}, r"did you mean `pool_size`"),
        ("keras", {"type": "Linear", "units": 4}, r"PyTorch's name: Keras's is Dense"),
        ("keras", {"type": "Conv2D", "filters": 4, "kernel_size": 3, "padding": 1},
         r"Keras's padding is 'valid' or 'same'"),
        ("keras", {"type": "Concatenate", "axis": 0}, r"batch axis"),
        ("torch", {"type": "Conv2d", "filters": 4, "kernel_size": 3},
         r"did you mean `out_channels` \(PyTorch's name for Keras's `filters`\)"),
        ("torch", {"type": "Linear", "units": 4}, r"did you mean `out_features`"),
        ("torch", {"type": "MaxPooling2D", "pool_size": 2}, r"PyTorch's is MaxPool2d"),
        ("torch", {"type": "Conv2d", "out_channels": 4, "kernel_size": 3, "stride": 2,
                   "padding": "same"}, r"PyTorch refuses 'same' for strided convolutions"),
    ],
)
def test_the_other_frameworks_names_are_told_apart(
    convention: str, layer: dict[str, Any], message: str
) -> None:
    with pytest.raises(SpecError, match=message) as error:
        symcnn.load({"convention": convention, "input": [8, 8, 3], "layers": [layer]})
    assert error.value.where is not None


def test_convention_is_checked_and_overridable() -> None:
    with pytest.raises(SpecError, match="`convention` = 'tf': must be torch or keras"):
        symcnn.load({"convention": "tf", "input": [4], "layers": [{"type": "Dense", "units": 2}]})
    spec = {"convention": "keras", "input": [4], "layers": [{"type": "Dense", "units": 2}]}
    assert symcnn.load(spec).convention == "keras"
    with pytest.raises(SpecError, match="unknown argument `units`"):
        symcnn.load(spec, convention="torch")


def test_the_table_says_keras_counted_and_shows_its_footer() -> None:
    from symcnn.render import json_summary, latex_table, markdown_table, text_table

    net = symcnn.load(
        {"input": [8, 8, 16], "layers": [{"type": "BatchNormalization"}]}, convention="keras"
    )
    text = text_table(net)
    assert "Keras convention" in text.splitlines()[0]
    assert text.splitlines()[-3:] == [
        "Total params: 64", "Trainable params: 32", "Non-trainable params: 32"
    ]
    assert "Non-trainable params: 32" in markdown_table(net)
    assert r"Non-trainable params: $32$" in latex_table(net)
    assert '"convention": "keras"' in json_summary(net)
    torch_net = symcnn.load({"input": [8, 8, 16], "layers": [{"type": "BatchNorm2d"}]})
    assert "Trainable params" not in text_table(torch_net)


def test_references_read_the_keras_quantities() -> None:
    from symcnn.references import network_quantity

    net = symcnn.load(
        {"input": [8, 8, "C"], "layers": [{"type": "BatchNormalization", "name": "BN1"}]},
        convention="keras",
    )
    assert str(network_quantity(net, "BN1.non_trainable").values[0]) == "2*C"
    assert str(network_quantity(net, "trainable").values[0]) == "2*C"
    assert str(net.solve("BN1.non_trainable = 64")).splitlines()[0] == "C = 32"
    evaluated = net.evaluate(C=4)
    assert (evaluated["params"], evaluated["trainable"], evaluated["non_trainable"]) == (16, 8, 8)


@pytest.mark.parametrize(
    ("input_shape", "layer"),
    [
        ([2, 2, 3], {"type": "Conv2D", "filters": 4, "kernel_size": 3}),
        ([9, 9, 3], {"type": "Conv2D", "filters": 4, "kernel_size": 3, "strides": 2,
                     "dilation_rate": 2}),
        ([9, 9, 3], {"type": "Conv2D", "filters": 4, "kernel_size": 3, "groups": 2}),
        ([9, 9, 4], {"type": "Conv2D", "filters": 3, "kernel_size": 3, "groups": 2}),
        ([2, 2, 3], {"type": "MaxPooling2D", "pool_size": 3}),
        ([9, 9, 3], {"type": "AveragePooling2D"}),
        ([9, 9, 3], {"type": "BatchNormalization", "axis": 4}),
        ([9, 9, 3], {"type": "Dropout"}),
        ([9, 9, 3], {"type": "Dense", "units": 0}),
    ],
)
def test_what_keras_refuses_symcnn_refuses(input_shape: list[int], layer: dict[str, Any]) -> None:
    assert isinstance(keras_counts(input_shape, [layer]), Exception)
    agree(input_shape, [layer])
