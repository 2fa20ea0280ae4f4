"""symcnn.from_keras against real Keras (3.15.1, torch backend; conftest.py sets KERAS_BACKEND).

Hypothesis draws Keras Sequential image and sequence models and functional residual models; Keras
builds them, and symcnn reads both the model object and its ``to_json()`` text. Both must give
Keras's ``count_params()``, trainable and non-trainable counts and ``output_shape`` (an unknown
axis is a symbol in symcnn, ``None`` in Keras). Models symcnn cannot read are refused by the
layer's name and class.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from keras_models import build, check, counted, keras, truth

import symcnn
from symcnn.cli import main
from symcnn.errors import SpecError
from symcnn.interop import keras_spec

#: examples per property: Keras builds a model per example, so keep them modest
EXAMPLES = 40

L = keras.layers


# ------------------------------------------------------------------------------- strategies

activations = st.sampled_from(["linear", "relu", "sigmoid", None])


@st.composite
def image_layers(draw: Any) -> list[tuple[str, dict[str, Any]]]:
    """A stack of Keras layers as (class name, keywords): Keras builds the layers in the test,
    not in the strategy (a layer's constructor draws its seed)."""
    layers: list[tuple[str, dict[str, Any]]] = []
    for _ in range(draw(st.integers(1, 3))):
        layers.append(
            (
                "Conv2D",
                {
                    "filters": draw(st.integers(1, 6)),
                    "kernel_size": draw(st.integers(1, 3)),
                    "strides": draw(st.integers(1, 2)),
                    "padding": draw(st.sampled_from(["valid", "same"])),
                    "use_bias": draw(st.booleans()),
                    "activation": draw(activations),
                },
            )
        )
        extra = draw(st.sampled_from(["none", "bn", "max", "avg", "dropout"]))
        if extra == "bn":
            layers.append(("BatchNormalization", {"center": draw(st.booleans())}))
        elif extra == "max":
            pool = draw(st.integers(1, 2))
            layers.append(("MaxPooling2D", {"pool_size": pool, "padding": "same"}))
        elif extra == "avg":
            padding = draw(st.sampled_from(["valid", "same"]))
            layers.append(("AveragePooling2D", {"pool_size": 2, "padding": padding}))
        elif extra == "dropout":
            layers.append(("Dropout", {"rate": 0.25}))
    flatten = draw(st.sampled_from(["Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling2D"]))
    layers.append((flatten, {}))
    layers.append(("Dense", {"units": draw(st.integers(1, 10)), "activation": draw(activations)}))
    return layers


# ------------------------------------------------------------------------------- properties


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    size=st.integers(8, 20),
    channels=st.integers(1, 4),
    data=st.data(),
)
def test_sequential_images(size: int, channels: int, data: Any) -> None:
    layers = data.draw(image_layers())
    model = build(
        lambda: keras.Sequential(
            [
                keras.Input((size, size, channels)),
                *(getattr(L, kind)(**keywords) for kind, keywords in layers),
            ]
        )
    )
    check(model)


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    vocabulary=st.integers(2, 50),
    width=st.integers(1, 8),
    units=st.integers(1, 8),
    kind=st.sampled_from(["LSTM", "GRU", "SimpleRNN"]),
    bidirectional=st.booleans(),
    merge_mode=st.sampled_from(["concat", "sum"]),
    sequences=st.booleans(),
    length=st.sampled_from([None, 7]),
)
def test_sequential_sequences(
    vocabulary: int,
    width: int,
    units: int,
    kind: str,
    bidirectional: bool,
    merge_mode: str,
    sequences: bool,
    length: int | None,
) -> None:
    def make() -> Any:
        recurrent = getattr(L, kind)(units, return_sequences=sequences)
        if bidirectional:
            recurrent = L.Bidirectional(recurrent, merge_mode=merge_mode)
        return keras.Sequential(
            [
                keras.Input((length,)),
                L.Embedding(vocabulary, width),
                recurrent,
                L.Dense(3, activation="softmax"),
            ]
        )

    check(build(make))


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    filters=st.integers(1, 8),
    kernel=st.sampled_from([1, 3]),
    blocks=st.integers(1, 2),
    symbolic=st.booleans(),
)
def test_functional_residual(filters: int, kernel: int, blocks: int, symbolic: bool) -> None:
    def make() -> Any:
        x = keras.Input((None, None, 3) if symbolic else (12, 12, 3))
        y = L.Conv2D(filters, 3, padding="same", activation="relu")(x)
        for _ in range(blocks):
            z = L.Conv2D(filters, kernel, padding="same", use_bias=False)(y)
            z = L.BatchNormalization()(z)
            z = L.ReLU()(z)
            z = L.Conv2D(filters, kernel, padding="same")(z)
            y = L.Add()([y, z])
        y = L.GlobalAveragePooling2D()(y)
        return keras.Model(x, L.Dense(4)(y))

    check(build(make))


def test_functional_attention_and_concat() -> None:
    x = keras.Input((10, 8))
    a = L.MultiHeadAttention(2, 4)(x, x)
    b = L.Dense(8, activation="relu")(x)
    y = L.Concatenate()([a, b])
    y = L.LayerNormalization()(y)
    check(keras.Model(x, y))


def test_activation_layers() -> None:
    dense = L.Dense(3, activation=keras.activations.relu)
    model = keras.Sequential([keras.Input((5,)), dense, L.Activation("tanh"), L.ReLU()])
    check(model)
    spec = keras_spec(model)
    assert [row["type"] for row in spec["layers"]] == ["Dense", "Activation", "Activation", "ReLU"]


def test_rows_are_keras_names_and_from_lists() -> None:
    x = keras.Input((None, 8), name="tokens")
    y = L.Dense(4, activation="relu", name="proj")(x)
    z = L.Dense(4, name="gate")(y)
    spec = keras_spec(keras.Model(x, L.Add(name="sum")([y, z])))
    assert spec["convention"] == "keras" and spec["input"] == ["L", 8]
    assert [row["name"] for row in spec["layers"]] == ["proj", "proj_activation", "gate", "sum"]
    assert spec["layers"][2].get("from") is None
    assert spec["layers"][3]["from"] == ["proj_activation", "gate"]
    assert "kernel_initializer" not in spec["layers"][0]
    named = keras_spec(keras.Model(x, z), symbolic=["T"])
    assert named["input"] == ["T", 8]


# -------------------------------------------------------------------------------- refusals


def refused(source: Any, *words: str, **options: Any) -> None:
    with pytest.raises(SpecError) as caught:
        symcnn.from_keras(source, **options)
    for word in words:
        assert word in str(caught.value)


def test_unknown_class_is_refused_by_layer_and_class() -> None:
    model = keras.Sequential([keras.Input((4, 4, 3)), L.Rescaling(0.5, name="scale"), L.Flatten()])
    refused(model, "'scale'", "Rescaling", "unknown Keras layer")
    refused(model.to_json(), "'scale'", "Rescaling")


def test_second_output_and_nested_multi_input_are_refused() -> None:
    x = keras.Input((5, 3))
    _, state, _ = L.LSTM(4, return_state=True, name="rnn")(x)
    refused(keras.Model(x, L.Dense(2)(state)), "'dense", "'rnn' (call 0, output 1)")
    a, b = keras.Input((6,)), keras.Input((6,))
    pair = keras.Model([a, b], L.Add()([a, b]), name="pair")
    y = keras.Input((6,))
    refused(keras.Model(y, pair([y, y])), "'pair'", "2 inputs")


def test_bad_sources_are_refused(tmp_path: Any) -> None:
    refused("{not json", "not a Keras JSON config")
    refused(str(tmp_path / "missing.json"), "no such Keras JSON file")
    refused(42, "from_keras needs")
    refused({"class_name": "Dense", "config": {}}, "Sequential or Functional")
    model = keras.Sequential([keras.Input((None, None, 3)), L.Conv2D(2, 3)])
    refused(model, "expected 2 names", symbolic=["H"])
    refused(model, "expected 2 names", symbolic=["H", "1x"])


def test_import_command_writes_a_keras_spec(tmp_path: Any) -> None:
    x = keras.Input((None, None, 3))
    y = L.Conv2D(4, 3, padding="same", activation="relu")(x)
    model = keras.Model(x, L.Add()([y, L.Conv2D(4, 3, padding="same")(y)]))
    path, spec = tmp_path / "model.json", tmp_path / "model.yaml"
    path.write_text(model.to_json(), encoding="utf-8")
    assert main(["import", str(path), "--symbolic", "A,B", "-o", str(spec)]) == 0
    net = symcnn.load(str(spec))
    assert counted(net) == truth(model)
    assert [str(size) for size in net.output_shape] == ["A", "B", "4"]
    assert main(["import", str(path), "--input", "3,4,4"]) != 0
    assert main(["import", str(path), "--symbolic", "A"]) != 0
