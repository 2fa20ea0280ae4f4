"""Keras's faces of the recurrent layers (``convention: keras``): ``SimpleRNN``, ``LSTM``,
``GRU`` and the ``Bidirectional`` wrapper, whose nested layer config the face's ``expand`` hook
turns into the wrapped layer's fields (``bidirectional``, ``merge_mode``). What Keras counts
differently (one bias vector per gate set, the last step only) is the layers' own formula, on
``self.convention``, in :mod:`symcnn.layers.recurrent`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..errors import SpecError
from .base import KERAS_WEIGHT_KEYWORDS, KerasFace, Where
from .recurrent import GRU, LSTM, MERGE_MODES, RNN

__all__ = ["KERAS_FACES"]

#: Keras keywords of the recurrent layers that change no count (dropout masks, activations,
#: initializers, state handling)
_KERAS_IGNORED = (
    *KERAS_WEIGHT_KEYWORDS,
    "recurrent_activation",
    "recurrent_initializer",
    "recurrent_regularizer",
    "recurrent_constraint",
    "unit_forget_bias",
    "dropout",
    "recurrent_dropout",
    "go_backwards",
    "stateful",
    "unroll",
    "seed",
    "use_cudnn",
)
_KERAS_KEYWORDS = {
    "units": "hidden_size",
    "use_bias": "bias",
    "return_sequences": "return_sequences",
}


def _bidirectional(raw: Mapping[str, Any], where: Where) -> tuple[KerasFace, dict[str, Any]]:
    """Keras's ``Bidirectional(layer, merge_mode)`` (``raw``: its keywords): the nested
    recurrent layer's face and keywords, counted twice (``bidirectional``), with ``merge_mode``
    joining the directions."""
    inner = raw.get("layer")
    if not isinstance(inner, Mapping):
        raise SpecError(
            "`layer` must be the wrapped recurrent layer's config, such as "
            "{type: LSTM, units: 32}",
            where=where,
            field="layer",
        )
    kind = inner.get("type")
    face = _RECURRENT_FACES.get(kind.strip().lower()) if isinstance(kind, str) else None
    if face is None:
        valid = ", ".join(face.name for face in _RECURRENT_FACES.values())
        raise SpecError(
            f"`layer` = {{type: {kind!r}}}: Bidirectional wraps a recurrent layer ({valid})",
            where=where,
            field="layer",
        )
    for key in raw:
        if key not in ("layer", "merge_mode"):
            raise SpecError(
                f"unknown Keras argument `{key}` (Bidirectional takes: layer, merge_mode)",
                where=where,
                field=key,
            )
    if "merge_mode" in raw and raw["merge_mode"] is None:
        raise SpecError(
            "`merge_mode` = None returns the two directions as a list of two tensors; give "
            f"one of {', '.join(MERGE_MODES)}",
            where=where,
            field="merge_mode",
        )
    wrapped = dataclasses.replace(
        face,
        name="Bidirectional",
        keywords={**face.keywords, "merge_mode": "merge_mode"},
        defaults={**face.defaults, "bidirectional": True},
        expand=None,
    )
    keywords = {key: value for key, value in inner.items() if key != "type"}
    if "merge_mode" in raw:
        keywords["merge_mode"] = raw["merge_mode"]
    return wrapped, keywords

_RECURRENT_FACES = {
    face.name.lower(): face
    for face in (
        KerasFace("SimpleRNN", RNN, _KERAS_KEYWORDS, ignored=_KERAS_IGNORED, required=("units",)),
        KerasFace("LSTM", LSTM, _KERAS_KEYWORDS, ignored=_KERAS_IGNORED, required=("units",)),
        KerasFace(
            "GRU",
            GRU,
            {**_KERAS_KEYWORDS, "reset_after": "reset_after"},
            ignored=_KERAS_IGNORED,
            required=("units",),
        ),
    )
}

#: Keras's names for these layers (``convention: keras``; see :mod:`symcnn.layers.keras`)
KERAS_FACES = (
    *_RECURRENT_FACES.values(),
    KerasFace(
        "Bidirectional",
        LSTM,
        expand=_bidirectional,
        torch="RNN, LSTM or GRU with bidirectional=True",
    ),
)
