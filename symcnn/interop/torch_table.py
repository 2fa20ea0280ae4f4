"""The one table from PyTorch to symcnn: which ``torch.nn`` module class, function or tensor
method becomes which symcnn layer, and how its arguments are read.

Adding a module class is one entry in :data:`MODULES`: its torch class name, the symcnn layer type
(the same name for every layer symcnn has) and, only where torch stores an argument under another
name or form, a reader. The arguments are otherwise read by name, since symcnn's layer dataclasses
use torch's keyword names. Functions and methods (``torch.cat``, ``F.relu``, ``x.flatten(1)``...)
are in :func:`functions` and :data:`METHODS`; their handlers live in :mod:`._torch_ops`.

torch is imported only inside functions: this module is imported by ``symcnn.interop``, which
``import symcnn`` does not load, and even then not torch until a model is read.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy

from ..errors import SpecError
from ..layers import LAYERS

__all__ = ["MODULES", "TUPLE_OUTPUTS", "ModuleRule", "module_entry", "one_per_axis", "plain"]


def plain(value: Any, where: str, field: str) -> Any:
    """A torch module attribute as a plain spec value: ints, floats, bools, text, lists."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):  # torch.Size is a tuple
        return [plain(item, where, field) for item in value]
    raise SpecError(
        f"`{field}` = {value!r}: symcnn cannot read a {type(value).__name__} as a layer argument",
        where=where,
        field=field,
    )


def _at_default(value: Any, default: Any) -> bool:
    if default is dataclasses.MISSING:
        return False
    if isinstance(value, list) and not isinstance(default, list | tuple):
        return all(item == default and type(item) is type(default) for item in value)
    return bool(value == default and type(value) is type(default))


#: argument kinds with one value per spatial axis: ``[3, 3]`` is written ``3``
_PER_AXIS = ("sizes", "sizes?", "counts", "padding", "shape?")
#: arguments that change neither a count nor a shape, left out of the spec
_IGNORED = ("inplace",)


def read_arguments(module: Any, layer_type: str, where: str) -> dict[str, Any]:
    """The layer's arguments read off the module by their (torch) names, as a person would write
    them: those at symcnn's default left out, sizes symcnn infers from the input (``in_channels``,
    ``num_features``...) too, and one value for a square kernel. ``bias`` is whether the module
    holds a bias parameter."""
    cls = LAYERS[layer_type.lower()]
    arguments: dict[str, Any] = {}
    for name, spec_field in cls.arguments().items():
        if spec_field.metadata["inferred"] or name in _IGNORED:
            continue
        if name == "bias" and spec_field.metadata["kind"] == "bias":
            held = getattr(module, "bias", None)  # RNNs keep a bool, others a tensor or None
            value: Any = held if isinstance(held, bool) else held is not None
        elif hasattr(module, name):
            value = plain(getattr(module, name), where, name)
        else:
            continue
        if value is None and spec_field.default is None:
            continue
        if isinstance(spec_field.default, sympy.Basic):
            default: Any = int(spec_field.default)
        else:
            default = spec_field.default
        if not _at_default(value, default):
            arguments[name] = one_per_axis(value, spec_field.metadata["kind"])
    return arguments


def one_per_axis(value: Any, kind: str) -> Any:
    """``[3, 3]`` as ``3`` for an argument with one value per spatial axis."""
    if kind in _PER_AXIS and isinstance(value, list) and value:
        if all(item == value[0] for item in value):
            return value[0]
    return value


@dataclass(frozen=True)
class ModuleRule:
    """How one torch module class becomes a symcnn layer: the layer type and the reader of its
    arguments (by default :func:`read_arguments`)."""

    layer_type: str
    read: Callable[[Any, str, str], dict[str, Any]] = read_arguments


def _filtered(layer_type: str, values: dict[str, Any], where: str) -> dict[str, Any]:
    """``values`` without those at the layer's default, as :func:`read_arguments` writes them."""
    fields = LAYERS[layer_type.lower()].arguments()
    arguments: dict[str, Any] = {}
    for name, value in values.items():
        default = fields[name].default
        default = int(default) if isinstance(default, sympy.Basic) else default
        value = plain(value, where, name)
        if value is not None and not _at_default(value, default):
            arguments[name] = value
    return arguments


def _attention(module: Any, layer_type: str, where: str) -> dict[str, Any]:
    """``MultiheadAttention``: ``bias`` and ``add_bias_kv`` are read off the tensors it holds;
    ``embed_dim``, ``kdim`` and ``vdim`` come from the inputs."""
    values = {
        "num_heads": module.num_heads,
        "dropout": module.dropout,
        "bias": module.in_proj_bias is not None,
        "add_bias_kv": module.bias_k is not None,
        "add_zero_attn": module.add_zero_attn,
        "batch_first": module.batch_first,
    }
    return _filtered(layer_type, values, where)


#: a transformer layer's ``activation`` (a function or a module) -> its name in symcnn
_ACTIVATION_NAMES = {"relu": "relu", "gelu": "gelu", "ReLU": "relu", "GELU": "gelu"}


def _layer_values(layer: Any, where: str) -> dict[str, Any]:
    """The arguments of a torch transformer layer, read off its submodules."""
    activation = layer.activation
    key = getattr(activation, "__name__", type(activation).__name__)
    if key not in _ACTIVATION_NAMES or getattr(activation, "approximate", "none") != "none":
        raise SpecError(
            f"`activation` = {activation!r}: symcnn reads a transformer layer with relu or gelu",
            where=where,
            field="activation",
        )
    return {
        "nhead": layer.self_attn.num_heads,
        "dim_feedforward": layer.linear1.out_features,
        "dropout": layer.dropout.p,
        "activation": _ACTIVATION_NAMES[key],
        "layer_norm_eps": layer.norm1.eps,
        "batch_first": layer.self_attn.batch_first,
        "norm_first": layer.norm_first,
        "bias": layer.linear1.bias is not None,
    }


def _transformer_layer(module: Any, layer_type: str, where: str) -> dict[str, Any]:
    return _filtered(layer_type, _layer_values(module, where), where)


def _stack(module: Any, layer_type: str, where: str) -> dict[str, Any]:
    """A stack of copies of one layer: the first layer's arguments (the counts check that the
    others agree), ``num_layers`` and whether it ends in a LayerNorm."""
    values = {
        **_layer_values(module.layers[0], where),
        "num_layers": len(module.layers),
        "norm": module.norm is not None,
    }
    if layer_type == "TransformerEncoder":
        values["enable_nested_tensor"] = module.enable_nested_tensor
    return _filtered(layer_type, values, where)


def _transformer(module: Any, layer_type: str, where: str) -> dict[str, Any]:
    values = {
        **_layer_values(module.encoder.layers[0], where),
        "d_model": module.d_model,
        "num_encoder_layers": len(module.encoder.layers),
        "num_decoder_layers": len(module.decoder.layers),
    }
    return _filtered(layer_type, values, where)


def _same(*names: str) -> dict[str, ModuleRule]:
    return {name: ModuleRule(name) for name in names}


def _nd(*families: str) -> list[str]:
    return [f"{family}{dims}d" for family in families for dims in (1, 2, 3)]


#: torch.nn class name -> how it becomes a symcnn layer. One entry per class; a layer family
#: added to symcnn (Embedding, LSTM, MultiheadAttention...) adds its classes here.
MODULES: dict[str, ModuleRule] = _same(
    *_nd("Conv", "ConvTranspose", "MaxPool", "AvgPool", "AdaptiveAvgPool", "AdaptiveMaxPool"),
    *_nd("BatchNorm", "InstanceNorm", "ZeroPad", "ConstantPad", "ReflectionPad"),
    *_nd("ReplicationPad", "CircularPad", "Dropout"),
    "GroupNorm",
    "LayerNorm",
    "Linear",
    "Flatten",
    "Unflatten",
    "Identity",
    "Dropout",
    "AlphaDropout",
    "FeatureAlphaDropout",
    "PReLU",
    "ReLU",
    "ReLU6",
    "LeakyReLU",
    "RReLU",
    "ELU",
    "CELU",
    "SELU",
    "GELU",
    "SiLU",
    "Mish",
    "Sigmoid",
    "Tanh",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "Hardshrink",
    "Softshrink",
    "Tanhshrink",
    "Softsign",
    "Softplus",
    "LogSigmoid",
    "Threshold",
    "Softmax",
    "Softmin",
    "LogSoftmax",
    "Softmax2d",
    "GLU",
    "Upsample",
    "UpsamplingNearest2d",
    "UpsamplingBilinear2d",
    "PixelShuffle",
    "PixelUnshuffle",
    "ChannelShuffle",
    "Embedding",
    "EmbeddingBag",
    "RNN",
    "LSTM",
    "GRU",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
) | {
    "MultiheadAttention": ModuleRule("MultiheadAttention", _attention),
    "TransformerEncoderLayer": ModuleRule("TransformerEncoderLayer", _transformer_layer),
    "TransformerDecoderLayer": ModuleRule("TransformerDecoderLayer", _transformer_layer),
    "TransformerEncoder": ModuleRule("TransformerEncoder", _stack),
    "TransformerDecoder": ModuleRule("TransformerDecoder", _stack),
    "Transformer": ModuleRule("Transformer", _transformer),
}

#: module classes whose call returns a tuple, of which symcnn's layer is item 0 (the output
#: sequence of an RNN, the attention output of MultiheadAttention)
TUPLE_OUTPUTS = ("RNN", "LSTM", "GRU", "LSTMCell", "MultiheadAttention")


def module_entry(module: Any, name: str) -> dict[str, Any] | None:
    """The spec entry (``type`` and arguments, no ``name``/``from``) of a torch module, or
    ``None`` when the table has no rule for its class. Only torch's own classes are read: a
    subclass may change what ``forward`` does."""
    cls = type(module)
    rule = MODULES.get(cls.__name__)
    if rule is None or not cls.__module__.startswith("torch.nn"):
        return None
    return {"type": rule.layer_type.lower(), **rule.read(module, rule.layer_type, name)}
