"""The keras convention's sequence layers against real Keras (3.15.1, torch backend).

Hypothesis draws recurrent stacks (SimpleRNN, LSTM, GRU with either reset_after, Bidirectional
with each merge_mode), Embedding → recurrent → Dense models, and MultiHeadAttention for self- and
cross-attention, each written once as Keras configs. Keras builds them, symcnn reads the same
configs under ``convention: keras``; both must agree on ``count_params()``, the trainable and
non-trainable counts and ``model.output_shape``, or both refuse.
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
EXAMPLES = 30


# ------------------------------------------------------------------------------------ truth


def _keras_layer(config: dict[str, Any]) -> Any:
    arguments = {key: value for key, value in config.items() if key not in ("type", "from")}
    if config["type"] == "Bidirectional":
        arguments["layer"] = _keras_layer(arguments["layer"])
    return getattr(keras.layers, config["type"])(**arguments)


def _measure(inputs: list[Any], output: Any) -> tuple[int, int, int, tuple[int, ...]]:
    model = keras.Model(inputs, output)
    trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
    frozen = sum(int(w.numpy().size) for w in model.non_trainable_weights)
    return model.count_params(), trainable, frozen, tuple(model.output_shape[1:])


def keras_sequential(input_shape: list[int], layers: list[dict[str, Any]], dtype: str) -> Any:
    """Keras's (params, trainable, non-trainable, output shape), or its refusal."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x = keras.Input(tuple(input_shape), dtype=dtype)
            y = x
            for config in layers:
                y = _keras_layer(config)(y)
            return _measure([x], y)
    except Exception as error:  # Keras refuses with ValueError, or torch's error in build
        return error


def symcnn_counts(spec: dict[str, Any]) -> Any:
    try:
        net = symcnn.load({"convention": "keras", **spec})
    except SymcnnError as error:
        return error
    shape = tuple(int(size) for size in net.output_shape)
    return int(net.params), int(net.trainable), int(net.non_trainable), shape


def agree(truth: Any, ours: Any) -> None:
    if isinstance(truth, Exception):
        assert isinstance(ours, SymcnnError), f"Keras refuses ({truth}), symcnn gives {ours}"
    else:
        assert not isinstance(ours, Exception), f"symcnn refuses ({ours}), Keras gives {truth}"
        assert ours == truth


def agree_sequential(
    input_shape: list[int], layers: list[dict[str, Any]], dtype: str = "float32"
) -> None:
    truth = keras_sequential(input_shape, layers, dtype)
    given_input: Any = input_shape if dtype == "float32" else {"shape": input_shape, "dtype": dtype}
    agree(truth, symcnn_counts({"input": given_input, "layers": layers}))


# ------------------------------------------------------------------------------- strategies


@st.composite
def recurrent(draw: Any, sequences: bool | None = None) -> dict[str, Any]:
    kind = draw(st.sampled_from(["SimpleRNN", "LSTM", "GRU"]))
    config: dict[str, Any] = {"type": kind, "units": draw(st.integers(1, 9))}
    if kind == "GRU" and draw(st.booleans()):
        config["reset_after"] = draw(st.booleans())
    if draw(st.booleans()):
        config["use_bias"] = draw(st.booleans())
    if sequences is None:
        if draw(st.booleans()):
            config["return_sequences"] = draw(st.booleans())
    else:
        config["return_sequences"] = sequences
    for rate in ("dropout", "recurrent_dropout"):
        if draw(st.booleans()):
            config[rate] = draw(st.sampled_from([0.0, 0.25, 0.5]))
    if draw(st.booleans()):
        config["activation"] = draw(st.sampled_from(["tanh", "relu"]))
    return config


@st.composite
def maybe_bidirectional(draw: Any, sequences: bool | None = None) -> dict[str, Any]:
    layer = draw(recurrent(sequences))
    if not draw(st.booleans()):
        return layer
    config: dict[str, Any] = {"type": "Bidirectional", "layer": layer}
    if draw(st.booleans()):
        config["merge_mode"] = draw(st.sampled_from(["concat", "sum", "mul", "ave"]))
    return config


# --------------------------------------------------------------------------------- properties


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    length=st.integers(1, 8),
    features=st.integers(1, 9),
    layer=maybe_bidirectional(),
)
def test_one_recurrent_layer_counts_as_keras(
    length: int, features: int, layer: dict[str, Any]
) -> None:
    agree_sequential([length, features], [layer])


@settings(max_examples=EXAMPLES // 2, deadline=None)
@given(
    length=st.integers(1, 8),
    features=st.integers(1, 6),
    lower=maybe_bidirectional(sequences=True),
    upper=maybe_bidirectional(),
    units=st.integers(1, 5),
)
def test_stacked_recurrent_models_count_as_keras(
    length: int, features: int, lower: dict[str, Any], upper: dict[str, Any], units: int
) -> None:
    agree_sequential([length, features], [lower, upper, {"type": "Dense", "units": units}])


@settings(max_examples=EXAMPLES // 2, deadline=None)
@given(
    length=st.integers(1, 8),
    vocabulary=st.integers(1, 50),
    width=st.integers(1, 8),
    mask_zero=st.booleans(),
    layer=maybe_bidirectional(),
    units=st.integers(1, 5),
)
def test_embedding_recurrent_dense_counts_as_keras(
    length: int, vocabulary: int, width: int, mask_zero: bool, layer: dict[str, Any], units: int
) -> None:
    embedding = {"type": "Embedding", "input_dim": vocabulary, "output_dim": width,
                 "mask_zero": mask_zero}
    agree_sequential(
        [length], [embedding, layer, {"type": "Dense", "units": units}], dtype="int32"
    )


@st.composite
def attention(draw: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "type": "MultiHeadAttention",
        "num_heads": draw(st.integers(1, 4)),
        "key_dim": draw(st.integers(1, 6)),
    }
    if draw(st.booleans()):
        config["value_dim"] = draw(st.integers(1, 6))
    if draw(st.booleans()):
        config["use_bias"] = draw(st.booleans())
    if draw(st.booleans()):
        config["output_shape"] = draw(st.integers(1, 7))
    if draw(st.booleans()):
        config["dropout"] = 0.1
    return config


def keras_attention(
    shapes: list[list[int]], config: dict[str, Any], tail: list[dict[str, Any]]
) -> Any:
    """Keras calls MultiHeadAttention as (query, value, key=value); ``tail`` follows it, with a
    residual ``Add`` of the query when it is ``Add``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            inputs = [keras.Input(tuple(shape)) for shape in shapes]
            query = inputs[0]
            value = inputs[1] if len(inputs) > 1 else query
            keyword = {"key": inputs[2]} if len(inputs) > 2 else {}
            y = _keras_layer(config)(query, value, **keyword)
            for layer in tail:
                y = keras.layers.Add()([query, y]) if layer["type"] == "Add" else (
                    _keras_layer(layer)(y)
                )
            return _measure(inputs, y)
    except Exception as error:
        return error


def symcnn_attention(
    shapes: list[list[int]], config: dict[str, Any], tail: list[dict[str, Any]]
) -> Any:
    names = ["query", "value", "key"][: len(shapes)]
    layers: list[dict[str, Any]] = [{**config, "name": "mha", "from": names}]
    for layer in tail:
        layers.append({**layer, "from": ["query", "mha"]} if layer["type"] == "Add" else layer)
    inputs = dict(zip(names, shapes, strict=True))
    return symcnn_counts({"inputs": inputs, "layers": layers})


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    query=st.lists(st.integers(1, 7), min_size=2, max_size=2),
    value=st.lists(st.integers(1, 7), min_size=2, max_size=2),
    key_width=st.integers(1, 7),
    key_length=st.sampled_from([None, "same", 3]),
    config=attention(),
)
def test_multi_head_attention_counts_as_keras(
    query: list[int],
    value: list[int],
    key_width: int,
    key_length: Any,
    config: dict[str, Any],
) -> None:
    self_attention = [query]
    cross = [query, value]
    if key_length is not None:
        length = value[0] if key_length == "same" else key_length
        cross.append([length, key_width])
    for shapes in (self_attention, cross):
        agree(keras_attention(shapes, config, []), symcnn_attention(shapes, config, []))


@settings(max_examples=EXAMPLES // 2, deadline=None)
@given(
    length=st.integers(1, 8),
    vocabulary=st.integers(1, 40),
    width=st.integers(1, 8),
    config=attention(),
    units=st.integers(1, 5),
)
def test_embedding_attention_block_counts_as_keras(
    length: int, vocabulary: int, width: int, config: dict[str, Any], units: int
) -> None:
    """Embedding → MultiHeadAttention → Add (residual) → LayerNormalization → Dense."""
    config = {key: value for key, value in config.items() if key != "output_shape"}
    tail = [{"type": "Add"}, {"type": "LayerNormalization"}, {"type": "Dense", "units": units}]
    embedding = {"type": "Embedding", "input_dim": vocabulary, "output_dim": width}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tokens = keras.Input((length,), dtype="int32")
            x = _keras_layer(embedding)(tokens)
            y = keras.layers.Add()([x, _keras_layer(config)(x, x)])
            y = keras.layers.LayerNormalization()(y)
            y = keras.layers.Dense(units)(y)
            truth: Any = _measure([tokens], y)
    except Exception as error:
        truth = error
    layers = [
        {**embedding, "name": "emb"},
        {**config, "name": "mha"},
        {"type": "Add", "from": ["emb", "mha"]},
        *tail[1:],
    ]
    spec = {"input": {"shape": [length], "dtype": "int32"}, "layers": layers}
    agree(truth, symcnn_counts(spec))


# --------------------------------------------------------------------- worked cases, refusals


def test_the_course_question_under_both_conventions() -> None:
    """"An LSTM(256) on 4,096 inputs": PyTorch's two bias vectors, Keras's one."""
    torch_net = symcnn.load({"input": [10, 4096], "layers": [{"type": "LSTM", "hidden_size": 256}]})
    keras_net = symcnn.load(
        {"convention": "keras", "input": [10, 4096], "layers": [{"type": "LSTM", "units": 256}]}
    )
    assert (torch_net.params, keras_net.params) == (4458496, 4457472)
    assert keras_sequential([10, 4096], [{"type": "LSTM", "units": 256}], "float32")[0] == 4457472
    assert torch_net.output_shape == (10, 256)
    assert keras_net.output_shape == (256,)


def test_keras_lstm_of_the_issue() -> None:
    layers = [{"type": "LSTM", "units": 32}]
    assert symcnn_counts({"input": [5, 16], "layers": layers})[0] == 6272
    assert keras_sequential([5, 16], layers, "float32")[0] == 6272


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ({"type": "LSTM", "hidden_size": 4}, r"did you mean `units` \(Keras's name for PyTorch's"),
        ({"type": "LSTM", "units": 4, "bidirectional": True}, r"unknown Keras argument"),
        ({"type": "LSTM"}, r"missing required Keras argument `units`"),
        ({"type": "Bidirectional", "layer": {"type": "Dense", "units": 3}},
         r"Bidirectional wraps a recurrent layer"),
        ({"type": "Bidirectional", "layer": "LSTM"}, r"`layer` must be the wrapped"),
        ({"type": "Bidirectional", "layer": {"type": "LSTM", "units": 3}, "merge_mode": None},
         r"list of two tensors"),
        ({"type": "Bidirectional", "layer": {"type": "LSTM", "units": 3}, "merge_mode": "max"},
         r"`merge_mode`"),
        ({"type": "Bidirectional", "layer": {"type": "LSTM", "units": 3}, "backward_layer": 1},
         r"unknown Keras argument `backward_layer`"),
        ({"type": "GRU", "units": 3, "return_state": True}, r"unknown Keras argument"),
        ({"type": "MultiHeadAttention", "num_heads": 2}, r"missing required Keras argument"),
        ({"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 2, "output_shape": [2, 3]},
         r"`output_shape`"),
        ({"type": "LSTMCell", "hidden_size": 2}, r"PyTorch's LSTMCell has no Keras face"),
    ],
)
def test_keras_sequence_refusals_name_the_field(layer: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message) as error:
        symcnn.load({"convention": "keras", "input": [5, 6], "layers": [layer]})
    assert error.value.where is not None


def test_keras_keywords_under_torch_get_pytorch_names() -> None:
    with pytest.raises(SpecError, match=r"did you mean `hidden_size`"):
        symcnn.load({"input": [5, 6], "layers": [{"type": "LSTM", "units": 4}]})
    with pytest.raises(SpecError, match=r"unknown argument `return_sequences`"):
        symcnn.load(
            {"input": [5, 6], "layers": [{"type": "LSTM", "hidden_size": 4,
                                          "return_sequences": True}]}
        )
    with pytest.raises(SpecError, match=r"PyTorch's is RNN, LSTM or GRU with bidirectional"):
        symcnn.load({"input": [5, 6], "layers": [{"type": "Bidirectional", "layer": {}}]})


def test_bidirectional_shows_as_keras_names_it() -> None:
    net = symcnn.load(
        {"convention": "keras", "input": [5, 6], "layers": [
            {"type": "Bidirectional", "name": "bi",
             "layer": {"type": "LSTM", "units": 32, "return_sequences": True}}]}
    )
    assert net.rows[-1].type == "Bidirectional"
    assert net.output_shape == (5, 64)
    assert net.params == 2 * 4 * (6 * 32 + 32 * 32 + 32)


# ----------------------------------------------------------------------- symcnn check, keras


def _torch_twin(config: dict[str, Any]) -> dict[str, Any]:
    """The PyTorch layer of the same sizes as a Keras recurrent config (or Bidirectional)."""
    both = config["type"] == "Bidirectional"
    inner = config["layer"] if both else config
    kind = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}[inner["type"]]
    return {"type": kind, "hidden_size": inner["units"], "bias": inner.get("use_bias", True),
            "bidirectional": both}


@settings(max_examples=EXAMPLES, deadline=None)
@given(length=st.integers(1, 6), features=st.integers(1, 9), layer=maybe_bidirectional())
def test_check_calls_the_keras_answer_right_and_the_other_count_the_bias_mistake(
    length: int, features: int, layer: dict[str, Any]
) -> None:
    """Under `convention: keras` Keras's own count is right, and the other framework's bias
    count (PyTorch's for LSTM, SimpleRNN and GRU(reset_after=False); one vector for Keras's
    default GRU) is diagnosed as `rnn-one-bias-vector`."""
    from symcnn.check import check

    truth = keras_sequential([length, features], [layer], "float32")
    spec = {"convention": "keras", "input": [length, features], "layers": [layer]}
    right = check(str(truth[0]), spec)
    assert right.right and not right.diagnoses
    inner = layer.get("layer", layer)
    if not inner.get("use_bias", True):
        return
    torch_count = symcnn.load(
        {"input": [length, features], "layers": [_torch_twin(layer)]}
    ).params
    keeps_two = inner["type"] == "GRU" and inner.get("reset_after", True)
    directions = 2 if layer["type"] == "Bidirectional" else 1
    gates = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[inner["type"]]
    other = truth[0] - directions * gates * inner["units"] if keeps_two else torch_count
    if keeps_two:
        assert torch_count == truth[0]  # Keras's GRU(reset_after=True) is PyTorch's count
    verdict = check(str(other), spec)
    assert not verdict.right
    assert "rnn-one-bias-vector" in [d.mistake.id for d in verdict.diagnoses if d.mistake]


def test_the_keras_course_example_is_what_keras_counts() -> None:
    from pathlib import Path

    import yaml

    path = Path(__file__).resolve().parents[1] / "examples" / "lstm_course_keras.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    layers = [{k: v for k, v in layer.items() if k != "name"} for layer in document["layers"]]
    truth = keras_sequential(document["input"], layers, "float32")
    net = symcnn.load(path)
    assert net.convention == "keras"
    assert symcnn_counts(document) == truth
    assert int(net.params) == truth[0]
