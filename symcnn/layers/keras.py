"""The Keras convention's names: Keras's class names and keywords onto the symcnn layer classes.

Under ``convention: keras`` a spec's ``type`` is a Keras class name (``Conv2D``, case-insensitive)
and its keywords are Keras's (``filters``, ``strides``, ``use_bias``); under ``torch`` they are
PyTorch's. Each face (:class:`~symcnn.layers.base.KerasFace`) is declared once, in its layer
family's module as ``KERAS_FACES``; this module is the registry that collects them and the one
place that translates keywords, so that a PyTorch keyword in a Keras spec, or the reverse, is told
the other framework's name for it::

    `out_channels` is PyTorch's name; Keras's Conv2D calls it `filters`

What a face changes in a *count* is not here: a layer writes its convention-dependent terms in its
own textbook tree, on ``self.convention`` (BatchNormalization's moving statistics, TF-style
``same`` padding).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from ..errors import SpecError
from ._registry import FACES_BY_FAMILY, FamilyRegistry
from .base import KerasFace, Layer, Where

__all__ = [
    "FACES",
    "defaults",
    "faces_of",
    "keyword",
    "require",
    "torch_hint",
    "translate",
    "unknown",
]


def _faces(module: ModuleType, names: frozenset[str]) -> dict[str, KerasFace]:
    """The Keras faces ``module`` declares (its ``KERAS_FACES``) under the names ``names``."""
    return {face.name.lower(): face for face in module.KERAS_FACES if face.name.lower() in names}


#: lower-cased Keras class name -> its face; each family's ``KERAS_FACES``, its module imported
#: when one of its names is first looked up
FACES: Mapping[str, KerasFace] = FamilyRegistry(FACES_BY_FAMILY, _faces)


def faces_of(layer_class: type[Layer]) -> list[KerasFace]:
    """The Keras faces of one layer class (Keras's names for it)."""
    return [face for face in FACES.values() if face.layer is layer_class]


def unknown(type_name: object, torch_class: type[Layer] | None, where: Where) -> SpecError:
    """The error for a ``type`` that no Keras face has: PyTorch's name (``torch_class``) gets its
    Keras name, a misspelt one the nearest Keras names."""
    if not isinstance(type_name, str) or not type_name.strip():
        return SpecError(
            f"`type` = {type_name!r}: must be a Keras layer class name", where=where, field="type"
        )
    names = {face.name.lower(): face.name for face in FACES.values()}
    hint = ""
    if torch_class is not None:
        faces = faces_of(torch_class)
        hint = (
            f"; it is PyTorch's name: Keras's is {faces[0].name}"
            if faces
            else f"; PyTorch's {torch_class.torch_name} has no Keras face here "
            "(count it with convention: torch)"
        )
    else:
        near = difflib.get_close_matches(type_name.strip().lower(), list(names), n=2, cutoff=0.6)
        if near:
            hint = f"; did you mean {' or '.join(names[n] for n in near)}?"
    valid = ", ".join(sorted(names.values()))
    return SpecError(
        f"unknown Keras layer {type_name!r}{hint} (convention: keras; Keras layers: {valid})",
        where=where,
        field="type",
    )


def torch_hint(type_name: object, where: Where) -> SpecError | None:
    """Under the torch convention, the error for a Keras class name (``MaxPooling2D``): PyTorch's
    name for it. ``None`` for a name that is not Keras's."""
    key = type_name.strip().lower() if isinstance(type_name, str) else None
    face = FACES.get(key) if key is not None else None
    if face is None:
        return None
    return SpecError(
        f"`type` = {type_name!r} is Keras's name; PyTorch's is {face.torch_name} "
        "(or give the spec `convention: keras` to write Keras's names and keywords)",
        where=where,
        field="type",
    )


def keyword(
    layer_class: type[Layer], face: KerasFace | None, name: str, where: Where
) -> str | None:
    """The layer's field a spec keyword sets (``None``: a Keras keyword that changes no count).

    Under torch (``face`` is ``None``) a field's own name is kept, and a Keras keyword of the
    class is refused with PyTorch's name; under keras a keyword of the face is translated, and a
    PyTorch field's name is refused with Keras's.
    """
    if face is None:
        fields = layer_class.arguments()
        if name not in fields:
            for other in faces_of(layer_class):
                target = other.keywords.get(name)
                if target is not None and target in fields and target != name:
                    raise SpecError(
                        f"unknown argument `{name}`; did you mean `{target}` (PyTorch's name "
                        f"for Keras's `{name}`)? Or give the spec `convention: keras`",
                        where=where,
                        field=name,
                    )
        return name
    if name in face.keywords:
        return face.keywords[name]
    if name in face.ignored:
        return None
    reverse = {target: keras for keras, target in face.keywords.items()}
    if name in reverse and reverse[name] != name:
        raise SpecError(
            f"unknown Keras argument `{name}`; did you mean `{reverse[name]}` (Keras's name for "
            f"PyTorch's `{name}`)?",
            where=where,
            field=name,
        )
    near = difflib.get_close_matches(name, list(face.keywords), n=1)
    hint = f"; did you mean `{near[0]}`?" if near else ""
    valid = ", ".join([*face.keywords, *face.ignored]) or "none"
    raise SpecError(
        f"unknown Keras argument `{name}`{hint} ({face.name} takes: {valid})",
        where=where,
        field=name,
    )


def require(face: KerasFace | None, given: Mapping[str, Any], where: Where) -> None:
    """Keras's constructor refuses a layer without these keywords (AveragePooling2D's
    ``pool_size``): so does the keras convention."""
    if face is None:
        return
    for name in face.required:
        if name not in given:
            raise SpecError(
                f"missing required Keras argument `{name}` ({face.name} has no default for it)",
                where=where,
                field=name,
            )


def translate(face: KerasFace, name: str, value: Any, where: Where) -> Any:
    """A Keras keyword's value as the layer's field takes it."""
    convert = face.convert.get(name)
    return value if convert is None else convert(value, where)


def defaults(face: KerasFace | None) -> Mapping[str, Any]:
    """The layer's fields whose Keras default differs from PyTorch's."""
    return {} if face is None else face.defaults
