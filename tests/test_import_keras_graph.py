"""symcnn.from_keras on what a functional graph adds (against real Keras 3.15.1, torch backend):
frozen layers (``trainable: false``), shared layers (one layer called twice), models used as
layers (nested), several inputs and outputs, and every Keras class symcnn has a face for.

Each model is compared with Keras's ``count_params()``, the sizes of its trainable and
non-trainable weights and every output's shape (batch axis removed), read from the model, its
``to_json()`` text, the parsed dict, and the imported network's own spec. Hypothesis draws
functional graphs of Dense, Conv2D, pooling, BatchNormalization, Embedding, LSTM / GRU /
SimpleRNN, Dropout, Flatten, Add and Concatenate, with frozen, shared and nested layers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from keras_models import build, check, counted, keras, truth

import symcnn
from symcnn.cli import main
from symcnn.errors import SpecError
from symcnn.interop import keras_spec
from symcnn.layers.keras import FACES

L = keras.layers

#: examples of the graph property: Keras builds a model per example
EXAMPLES = 30


def frozen(layer: Any) -> Any:
    layer.trainable = False
    return layer


# ------------------------------------------------------------------------- trainable: false

#: one frozen layer of each kind of weights: (layer, input shape)
FROZEN = [
    (lambda: L.Dense(3), (5,)),
    (lambda: L.BatchNormalization(), (4, 4, 3)),
    (lambda: L.Conv2D(4, 3), (6, 6, 2)),
    (lambda: L.Embedding(20, 4), (7,)),
    (lambda: L.LSTM(3), (5, 2)),
    (lambda: L.Bidirectional(L.GRU(3)), (5, 2)),
    (lambda: L.MultiHeadAttention(2, 3), None),
    (lambda: L.SeparableConv2D(4, 3), (6, 6, 2)),
]


@pytest.mark.parametrize(("make", "shape"), FROZEN)
def test_a_frozen_layer_counts_as_non_trainable(make: Any, shape: Any) -> None:
    layer = make()
    if shape is None:  # attention reads a query and a value
        x = keras.Input((5, 6))
        y = layer(x, x)
    else:
        x = keras.Input(shape)
        y = layer(x)
    model = keras.Model(x, L.Dense(2)(L.Flatten()(y)))
    # frozen once built, as for fine-tuning: a MultiHeadAttention frozen before it is built
    # builds trainable sublayers (Keras's own model_from_json of this config does too)
    frozen(layer)
    net = check(model)
    assert net.non_trainable > 0 and net.trainable == model.layers[-1].count_params()
    assert keras_spec(model)["layers"][0]["trainable"] is False


def test_trainable_false_in_a_spec() -> None:
    spec = {
        "convention": "keras",
        "input": [5],
        "layers": [
            {"type": "Dense", "name": "a", "units": 3, "trainable": False},
            {"type": "BatchNormalization", "name": "bn", "trainable": False},
            {"type": "Dense", "name": "b", "units": 2},
        ],
    }
    net = symcnn.load(spec)
    assert (net.params, net.trainable, net.non_trainable) == (18 + 12 + 8, 8, 30)
    bad = {**spec, "layers": [{"type": "Dense", "units": 3, "trainable": "no"}]}
    with pytest.raises(SpecError, match="`trainable` = 'no': must be true or false"):
        symcnn.load(bad)
    torch = {"input": [5], "layers": [{"type": "linear", "out_features": 3, "trainable": False}]}
    with pytest.raises(SpecError, match="convention: keras"):
        symcnn.load(torch)


# ----------------------------------------------------------------------------- shared layers


def test_a_layer_called_twice_shares_its_weights() -> None:
    x = keras.Input((6,))
    shared = L.Dense(6, activation="relu", name="shared")
    model = keras.Model(x, L.Dense(2)(shared(shared(x))))
    net = check(model)
    assert net["shared_call1"].shares == "shared" and net["shared_call1"].params == 0
    frozen(shared)
    check(keras.Model(x, L.Dense(2)(shared(shared(x)))))


def test_a_shared_layer_on_two_inputs() -> None:
    a, b = keras.Input((5,), name="left"), keras.Input((5,), name="right")
    shared = L.Dense(3, name="tower")
    model = keras.Model([a, b], L.Concatenate()([shared(a), shared(b)]))
    check(model)
    spec = keras_spec(model)
    assert spec["inputs"] == {"left": [5], "right": [5]}
    assert spec["layers"][1] == {"shares": "tower", "name": "tower_call1", "from": ["right"]}


# ----------------------------------------------------------------------------- nested models


def test_a_nested_sequential_is_a_block_of_its_name() -> None:
    inner = keras.Sequential(
        [
            keras.Input((6,)),
            L.Dense(4, name="d1", activation="relu"),
            L.BatchNormalization(name="bn"),
        ],
        name="inner",
    )
    model = keras.Sequential([keras.Input((6,)), inner, L.Dense(2, name="head")])
    net = check(model)
    assert [row.name for row in net.rows] == ["inner.d1", "inner.d1_activation", "inner.bn", "head"]
    frozen(inner)
    check(keras.Sequential([keras.Input((6,)), inner, L.Dense(2)]))


def test_a_nested_functional_model_called_twice() -> None:
    x = keras.Input((None, 8))
    h = L.Dense(6, activation="relu")(x)
    encoder = keras.Model(x, [L.Dense(4)(h), h], name="encoder")  # outputs a later row first
    p, q = keras.Input((None, 8)), keras.Input((None, 8))
    model = keras.Model([p, q], L.Add()([encoder(p)[0], encoder(q)[0]]))
    check(model)
    spec = keras_spec(model)
    assert spec["inputs"] == {
        name: ["L" if i == 0 else "L2", 8] for i, name in enumerate(spec["inputs"])
    }
    assert spec["layers"][1]["shares"] == "encoder"


def test_models_nested_two_deep() -> None:
    core = keras.Sequential([keras.Input((4, 4, 3)), L.Conv2D(5, 3, padding="same")], name="core")
    middle = keras.Sequential([keras.Input((4, 4, 3)), core, L.BatchNormalization()], name="mid")
    model = keras.Sequential([keras.Input((4, 4, 3)), middle, L.GlobalAveragePooling2D()])
    net = check(model)
    assert net.rows[0].name.startswith("mid.core.conv2d")
    assert net.rows[1].name.startswith("mid.batch_normalization")


# --------------------------------------------------------------------- inputs and outputs


def test_several_inputs_and_outputs() -> None:
    image = keras.Input((8, 8, 3), name="image")
    tokens = keras.Input((None,), name="tokens")
    x = L.GlobalMaxPooling2D()(L.Conv2D(4, 3)(image))
    t = L.GRU(4)(L.Embedding(30, 5)(tokens))
    joint = L.Concatenate(name="joint")([x, t])
    model = keras.Model([image, tokens], [L.Dense(3, name="cls")(joint), L.Dense(1)(t), joint])
    net = check(model)
    spec = keras_spec(model)
    assert spec["inputs"] == {"image": [8, 8, 3], "tokens": ["L2"]}
    assert spec["output"] == "cls"
    assert net.output_shape == (3,)


# ------------------------------------------------------------------------- every Keras face

#: a Keras layer of every class symcnn has a face for, and an input it reads
FACE_CASES: dict[str, tuple[Any, tuple[int, ...]]] = {
    "Dense": (lambda: L.Dense(3), (4,)),
    "Flatten": (lambda: L.Flatten(), (2, 3)),
    "Dropout": (lambda: L.Dropout(0.5), (4,)),
    "Activation": (lambda: L.Activation("relu"), (4,)),
    "ReLU": (lambda: L.ReLU(), (4,)),
    "Conv1D": (lambda: L.Conv1D(3, 2, strides=2, padding="same"), (7, 2)),
    "Conv2D": (lambda: L.Conv2D(3, 2, dilation_rate=2), (7, 7, 2)),
    "Conv3D": (lambda: L.Conv3D(2, 2), (4, 4, 4, 2)),
    "DepthwiseConv1D": (lambda: L.DepthwiseConv1D(3, depth_multiplier=2), (7, 2)),
    "DepthwiseConv2D": (lambda: L.DepthwiseConv2D(3, padding="same"), (7, 7, 2)),
    "SeparableConv1D": (lambda: L.SeparableConv1D(4, 3), (7, 2)),
    "SeparableConv2D": (lambda: L.SeparableConv2D(4, 3, use_bias=False), (7, 7, 2)),
    "MaxPooling1D": (lambda: L.MaxPooling1D(), (7, 2)),
    "MaxPooling2D": (lambda: L.MaxPooling2D(3, strides=2, padding="same"), (7, 7, 2)),
    "MaxPooling3D": (lambda: L.MaxPooling3D(), (4, 4, 4, 2)),
    "AveragePooling1D": (lambda: L.AveragePooling1D(2), (7, 2)),
    "AveragePooling2D": (lambda: L.AveragePooling2D(2, padding="same"), (7, 7, 2)),
    "AveragePooling3D": (lambda: L.AveragePooling3D(2), (4, 4, 4, 2)),
    "GlobalAveragePooling1D": (lambda: L.GlobalAveragePooling1D(), (7, 2)),
    "GlobalAveragePooling2D": (lambda: L.GlobalAveragePooling2D(keepdims=True), (7, 7, 2)),
    "GlobalAveragePooling3D": (lambda: L.GlobalAveragePooling3D(), (4, 4, 4, 2)),
    "GlobalMaxPooling1D": (lambda: L.GlobalMaxPooling1D(), (7, 2)),
    "GlobalMaxPooling2D": (lambda: L.GlobalMaxPooling2D(), (7, 7, 2)),
    "GlobalMaxPooling3D": (lambda: L.GlobalMaxPooling3D(keepdims=True), (4, 4, 4, 2)),
    "BatchNormalization": (lambda: L.BatchNormalization(scale=False), (7, 7, 2)),
    "LayerNormalization": (lambda: L.LayerNormalization(), (7, 3)),
    "Add": (lambda: L.Add(), (4,)),
    "Multiply": (lambda: L.Multiply(), (4,)),
    "Concatenate": (lambda: L.Concatenate(), (4,)),
    "ZeroPadding1D": (lambda: L.ZeroPadding1D(2), (7, 2)),
    "ZeroPadding2D": (lambda: L.ZeroPadding2D(((1, 2), (0, 1))), (7, 7, 2)),
    "ZeroPadding3D": (lambda: L.ZeroPadding3D(1), (4, 4, 4, 2)),
    "UpSampling2D": (lambda: L.UpSampling2D(2), (3, 3, 2)),
    "Embedding": (lambda: L.Embedding(10, 4), (6,)),
    "SimpleRNN": (lambda: L.SimpleRNN(3, return_sequences=True), (6, 2)),
    "LSTM": (lambda: L.LSTM(3, use_bias=False), (6, 2)),
    "GRU": (lambda: L.GRU(3, reset_after=False), (6, 2)),
    "Bidirectional": (lambda: L.Bidirectional(L.LSTM(3), merge_mode="sum"), (6, 2)),
    "MultiHeadAttention": (lambda: L.MultiHeadAttention(2, 3, value_dim=4), (6, 5)),
}


def test_every_keras_face_has_a_case() -> None:
    assert sorted(name.lower() for name in FACE_CASES) == sorted(FACES)


@pytest.mark.parametrize("kind", sorted(FACE_CASES))
def test_every_keras_face_imports(kind: str) -> None:
    make, shape = FACE_CASES[kind]
    x = keras.Input(shape)
    layer = make()
    if kind in ("Add", "Multiply", "Concatenate"):
        y = layer([x, L.Dense(shape[-1])(x)])
    elif kind == "MultiHeadAttention":
        y = layer(x, x)
    else:
        y = layer(x)
    model = keras.Model(x, y)
    check(model)
    assert any(row["type"] == FACES[kind.lower()].name for row in keras_spec(model)["layers"])


def test_an_unknown_class_in_a_nested_model_is_named() -> None:
    inner = keras.Sequential(
        [keras.Input((4,)), L.Dense(2), L.GaussianNoise(0.1, name="noisy")], name="inner"
    )
    with pytest.raises(SpecError, match=r"'noisy' \(GaussianNoise\).*unknown Keras layer"):
        symcnn.from_keras(keras.Sequential([keras.Input((4,)), inner]))


# ------------------------------------------------------------------- hypothesis: graphs


@st.composite
def graph_plans(draw: Any) -> dict[str, Any]:
    """A functional graph as data (Keras builds it in the test: a layer's constructor draws its
    seed): one to three input branches each ending in a vector, then merges, Dense, BN,
    Dropout, a shared Dense and a nested model over vectors, and one or two outputs (the last
    layer's first or second)."""
    branches = draw(
        st.lists(st.sampled_from(["vector", "image", "tokens"]), min_size=1, max_size=3)
    )
    settings_ = [
        {
            "kind": kind,
            "width": draw(st.integers(1, 6)),
            "size": draw(st.integers(4, 9)),
            "filters": draw(st.integers(1, 4)),
            "kernel": draw(st.integers(1, 3)),
            "pool": draw(st.sampled_from(["max", "avg", "none"])),
            "reduce": draw(st.sampled_from(["Flatten", "GlobalAveragePooling2D"])),
            "rnn": draw(st.sampled_from(["LSTM", "GRU", "SimpleRNN"])),
            "length": draw(st.sampled_from([None, 5])),
            "frozen": draw(st.booleans()),
        }
        for kind in branches
    ]
    steps = draw(
        st.lists(
            st.tuples(
                st.sampled_from(
                    [
                        "dense",
                        "dense",
                        "bn",
                        "dropout",
                        "add",
                        "concat",
                        "shared",
                        "shared",
                        "nested",
                        "nested",
                    ]
                ),
                st.integers(1, 6),
                st.booleans(),
                st.integers(0, 100),
                st.integers(0, 100),
            ),
            min_size=1,
            max_size=7,
        )
    )
    outputs = draw(st.sampled_from(["one", "last first", "last second"]))
    return {"branches": settings_, "steps": steps, "outputs": outputs}


def branch(plan: dict[str, Any]) -> tuple[Any, Any]:
    """An input and the vector its branch ends in."""
    kind, freeze = plan["kind"], plan["frozen"]
    if kind == "vector":
        x = keras.Input((plan["width"],))
        return x, x
    if kind == "image":
        x = keras.Input((plan["size"], plan["size"], 2))
        conv = L.Conv2D(plan["filters"], plan["kernel"], padding="same", activation="relu")
        conv.trainable = not freeze
        y = L.BatchNormalization()(conv(x))
        if plan["pool"] != "none":
            pool = L.MaxPooling2D if plan["pool"] == "max" else L.AveragePooling2D
            y = pool(2, padding="same")(y)
        return x, getattr(L, plan["reduce"])()(y)
    x = keras.Input((plan["length"],))
    embed = L.Embedding(20, plan["width"])
    embed.trainable = not freeze
    return x, getattr(L, plan["rnn"])(plan["filters"])(embed(x))


def graph(plan: dict[str, Any]) -> Any:
    inputs, vectors = zip(*(branch(b) for b in plan["branches"]), strict=True)
    tensors = list(vectors)
    shared: list[Any] = []
    for op, units, freeze, first, second in plan["steps"]:
        # mostly the newest tensor, so that most layers reach an output
        x = tensors[-1] if first % 3 else tensors[first % len(tensors)]
        y = tensors[second % len(tensors)]
        if op == "dense":
            layer = L.Dense(units, activation="relu" if freeze else None)
            layer.trainable = not freeze or units % 2 == 0
            shared.append(layer)
            tensors.append(layer(x))
        elif op == "bn":
            norm = L.BatchNormalization()
            norm.trainable = not freeze
            tensors.append(norm(x))
        elif op == "dropout":
            tensors.append(L.Dropout(0.5)(x))
        elif op == "add":
            same = [t for t in tensors if t.shape == x.shape]
            partner = same[second % len(same)]
            tensors.append(L.Add()([x, partner]) if partner is not x else L.Dropout(0.5)(x))
        elif op == "concat":
            tensors.append(L.Concatenate()([x, y]))
        elif op == "shared":
            layer = shared[second % len(shared)] if shared else None
            fits = [t for t in tensors if layer and t.shape[-1] == layer.input.shape[-1]]
            tensors.append(layer(fits[first % len(fits)]) if fits else L.Dropout(0.5)(x))
        elif op == "nested":
            block = keras.Sequential(
                [keras.Input((x.shape[-1],)), L.Dense(units), L.BatchNormalization()]
            )
            block.trainable = not freeze
            tensors.append(block(x))
            if second % 2:  # the nested model called again
                tensors.append(block(tensors[-1]) if units == x.shape[-1] else block(x))
    outputs = [tensors[-1]]
    if plan["outputs"] != "one" and all(tensors[-2] is not x for x in inputs):
        outputs.insert(0 if plan["outputs"] == "last second" else 1, tensors[-2])
    return keras.Model(list(inputs), outputs if len(outputs) > 1 else outputs[0])


@settings(max_examples=EXAMPLES, deadline=None)
@given(plan=graph_plans())
def test_functional_graphs(plan: dict[str, Any]) -> None:
    check(build(lambda: graph(plan)))


# ------------------------------------------------------------------------------------ CLI


def test_import_command_reads_shared_nested_and_frozen(tmp_path: Any) -> None:
    inner = frozen(keras.Sequential([keras.Input((6,)), L.Dense(4, name="d1")], name="inner"))
    x = keras.Input((6,))
    tower = L.Dense(6, name="tower")
    model = keras.Model(x, L.Add()([inner(tower(x)), inner(tower(tower(x)))]))
    path, spec = tmp_path / "model.json", tmp_path / "model.yaml"
    path.write_text(model.to_json(), encoding="utf-8")
    assert main(["import", str(path), "-o", str(spec)]) == 0
    assert counted(symcnn.load(str(spec))) == truth(model)


def test_the_documented_siamese_config_is_the_keras_model() -> None:
    page = (Path(__file__).parent.parent / "docs" / "import-export.md").read_text()
    text = page.split("<!-- file: siamese.json -->\n```json\n", 1)[1].split("```", 1)[0]
    left, right = keras.Input((16,), name="left"), keras.Input((16,), name="right")
    encoder = keras.Sequential(
        [
            keras.Input((16,)),
            L.Dense(8, activation="relu", name="hidden"),
            L.BatchNormalization(name="norm"),
        ],
        name="encoder",
    )
    encoder.trainable = False
    pair = L.Concatenate(name="pair")([encoder(left), encoder(right)])
    model = keras.Model([left, right], L.Dense(1, activation="sigmoid", name="score")(pair))
    assert counted(symcnn.from_keras(text)) == truth(model) == (185, 17, 168, ((1,),))
    check(model)


# ------------------------------------------------------------------ malformed configs

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["", "dense", "Dense"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for key, item in items:
        found += _paths(item, (*prefix, key))
    return found


def _siamese_config() -> dict[str, Any]:
    x = keras.Input((None, 4), name="x")
    inner = keras.Sequential([keras.Input((None, 4)), L.Dense(4, activation="relu")], name="in")
    shared = L.Dense(3, name="shared")
    y = L.Add()([shared(inner(x)), shared(L.Dense(4)(x))])
    return json.loads(keras.Model(x, [y, L.LSTM(2)(y)]).to_json())


SIAMESE = _siamese_config()


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_a_malformed_config_is_a_spec_error_or_a_network(data: Any) -> None:
    config = json.loads(json.dumps(SIAMESE))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(config)[1:]))
        parent = config
        for key in path[:-1]:
            parent = parent[key]
        if data.draw(st.booleans()) and isinstance(parent, dict):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(json_values)
    try:
        net = symcnn.from_keras(config)
    except SpecError:
        return
    assert net.params >= 0
