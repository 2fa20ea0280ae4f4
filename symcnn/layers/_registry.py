"""The layer registries' static tables, and the mapping that imports a family on first use.

A spec names a handful of layer types; creating the dataclasses of every family (about 125 of
them) at import was most of symcnn's own start-up. So the registries know each type's *name* and
the family module it lives in, statically, and import that module the first time one of its names
is looked up. ``tests/test_layer_registry.py`` checks the tables against the classes the families
define, so that the tables cannot drift from the code.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import ModuleType
from typing import TypeVar

__all__ = ["FACES_BY_FAMILY", "TYPES_BY_FAMILY", "FamilyRegistry"]

Value = TypeVar("Value")

#: each family module's PyTorch layer types (lower-cased class names), in the order the registry
#: lists them
TYPES_BY_FAMILY: dict[str, tuple[str, ...]] = {
    "conv": (
        "conv1d",
        "conv2d",
        "conv3d",
        "convtranspose1d",
        "convtranspose2d",
        "convtranspose3d",
    ),
    "pool": (
        "maxpool1d",
        "maxpool2d",
        "maxpool3d",
        "avgpool1d",
        "avgpool2d",
        "avgpool3d",
        "adaptiveavgpool1d",
        "adaptiveavgpool2d",
        "adaptiveavgpool3d",
        "adaptivemaxpool1d",
        "adaptivemaxpool2d",
        "adaptivemaxpool3d",
    ),
    "dense": (
        "linear",
        "flatten",
        "identity",
        "dropout",
        "prelu",
        "dropout1d",
        "dropout2d",
        "dropout3d",
        "alphadropout",
        "featurealphadropout",
        "relu",
        "relu6",
        "leakyrelu",
        "rrelu",
        "elu",
        "celu",
        "selu",
        "gelu",
        "silu",
        "mish",
        "sigmoid",
        "tanh",
        "softmax",
        "logsoftmax",
        "softmin",
        "softplus",
        "softsign",
        "hardtanh",
        "hardswish",
        "hardsigmoid",
        "hardshrink",
        "softshrink",
        "tanhshrink",
        "logsigmoid",
        "threshold",
    ),
    "norm": (
        "batchnorm1d",
        "batchnorm2d",
        "batchnorm3d",
        "instancenorm1d",
        "instancenorm2d",
        "instancenorm3d",
        "groupnorm",
        "layernorm",
    ),
    "merge": ("add", "mul", "cat"),
    "parameter": ("parameter",),
    "shape": (
        "unflatten",
        "permute",
        "transpose",
        "reshape",
        "select",
        "narrow",
        "glu",
        "softmax2d",
    ),
    "padding": (
        "zeropad1d",
        "zeropad2d",
        "zeropad3d",
        "constantpad1d",
        "constantpad2d",
        "constantpad3d",
        "reflectionpad1d",
        "reflectionpad2d",
        "reflectionpad3d",
        "replicationpad1d",
        "replicationpad2d",
        "replicationpad3d",
        "circularpad1d",
        "circularpad2d",
        "circularpad3d",
    ),
    "resample": (
        "upsample",
        "upsamplingnearest2d",
        "upsamplingbilinear2d",
        "pixelshuffle",
        "pixelunshuffle",
        "channelshuffle",
    ),
    "embedding": ("embedding", "embeddingbag"),
    "recurrent": ("rnn", "lstm", "gru"),
    "recurrent_cell": ("rnncell", "lstmcell", "grucell"),
    "attention": ("multiheadattention",),
    "transformer": (
        "transformerencoderlayer",
        "transformerdecoderlayer",
        "transformerencoder",
        "transformerdecoder",
        "transformer",
    ),
}

#: each module's Keras faces (lower-cased Keras class names; ``convention: keras``), in the order
#: the docs list them
FACES_BY_FAMILY: dict[str, tuple[str, ...]] = {
    "dense": ("dense", "flatten", "dropout", "activation", "relu"),
    "conv": ("conv1d", "conv2d", "conv3d"),
    "separable": ("depthwiseconv1d", "depthwiseconv2d", "separableconv1d", "separableconv2d"),
    "pool": (
        "maxpooling1d",
        "maxpooling2d",
        "maxpooling3d",
        "averagepooling1d",
        "averagepooling2d",
        "averagepooling3d",
        "globalaveragepooling1d",
        "globalaveragepooling2d",
        "globalaveragepooling3d",
        "globalmaxpooling1d",
        "globalmaxpooling2d",
        "globalmaxpooling3d",
    ),
    "norm": ("batchnormalization", "layernormalization"),
    "merge": ("add", "multiply", "concatenate"),
    "padding": ("zeropadding1d", "zeropadding2d", "zeropadding3d"),
    "resample": ("upsampling2d",),
    "embedding": ("embedding",),
    "recurrent_keras": ("simplernn", "lstm", "gru", "bidirectional"),
    "keras_attention": ("multiheadattention",),
}


class FamilyRegistry(Mapping[str, Value]):
    """A read-only ``name -> value`` mapping whose names are known up front (``families``: module
    -> names) and whose values ``collect(module)`` reads from the family module, imported the first
    time one of its names is looked up. Iterating gives the names without importing anything;
    ``values()`` and ``items()`` import every family."""

    def __init__(
        self,
        families: Mapping[str, Iterable[str]],
        collect: Callable[[ModuleType, frozenset[str]], Mapping[str, Value]],
    ) -> None:
        self._family_of = {name: family for family, names in families.items() for name in names}
        self._collect = collect
        self._values: dict[str, Value] = {}
        self._loaded: set[str] = set()

    def _load(self, family: str) -> None:
        module = importlib.import_module(f"{__package__}.{family}")
        names = frozenset(name for name, home in self._family_of.items() if home == family)
        found = self._collect(module, names)
        if set(found) != names:  # the table and the family disagree: tests/test_layer_registry.py
            raise RuntimeError(
                f"symcnn.layers.{family}: expected {sorted(names)}, found {sorted(found)}"
            )
        self._values.update(found)
        self._loaded.add(family)

    def __getitem__(self, name: str) -> Value:
        value = self._values.get(name)
        if value is None:
            family = self._family_of[name]  # KeyError: not a name of this registry
            if family not in self._loaded:
                self._load(family)
            value = self._values[name]
        return value

    def __contains__(self, name: object) -> bool:
        return name in self._family_of

    def __iter__(self) -> Iterator[str]:
        return iter(self._family_of)

    def __len__(self) -> int:
        return len(self._family_of)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self)} names, {len(self._loaded)} families imported)"
