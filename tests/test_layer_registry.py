"""The lazy layer registries' static tables agree with the classes and faces the families define.

``symcnn.layers._registry`` names every layer type and Keras face, and the family module it lives
in, without importing the families; these tests import every module of ``symcnn/layers/`` and
read what they really define, so that a class or face added to a family without its table entry
(or the reverse) fails here.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

import pytest

import symcnn.layers
from symcnn.errors import SpecError
from symcnn.layers import LAYERS, Layer, keras, lookup
from symcnn.layers._registry import FACES_BY_FAMILY, TYPES_BY_FAMILY, FamilyRegistry
from symcnn.layers.base import KerasFace


def every_layer_module() -> list[ModuleType]:
    return [
        importlib.import_module(f"symcnn.layers.{info.name}")
        for info in pkgutil.iter_modules(symcnn.layers.__path__)
    ]


def defined_layer_classes() -> set[type[Layer]]:
    """Every layer class a module of ``symcnn/layers/`` defines with a class name of its own."""
    every_layer_module()
    found: set[type[Layer]] = set()
    pending = [Layer]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if "torch_name" in vars(sub):
                found.add(sub)
    return found


def declared_faces() -> dict[str, list[KerasFace]]:
    """Each module's ``KERAS_FACES``, by module name."""
    return {
        module.__name__.rpartition(".")[2]: list(module.KERAS_FACES)
        for module in every_layer_module()
        if hasattr(module, "KERAS_FACES")
    }


def test_every_layer_class_is_registered_or_is_keras_only() -> None:
    registered = set(LAYERS.values())
    keras_only = {face.layer for face in keras.FACES.values()} - registered
    assert defined_layer_classes() == registered | keras_only
    # and a Keras-only class is not under a PyTorch name
    assert not {cls.torch_name.lower() for cls in keras_only} & set(LAYERS)


@pytest.mark.parametrize("family", sorted(TYPES_BY_FAMILY))
def test_the_type_table_names_each_familys_classes(family: str) -> None:
    module = importlib.import_module(f"symcnn.layers.{family}")
    names = TYPES_BY_FAMILY[family]
    assert len(set(names)) == len(names)
    for name in names:
        cls = LAYERS[name]
        assert cls.torch_name.lower() == name
        assert cls.__module__ == module.__name__


def test_no_type_is_in_two_families() -> None:
    names = [name for family in TYPES_BY_FAMILY.values() for name in family]
    assert len(names) == len(set(names)) == len(LAYERS)


def test_the_face_table_is_every_modules_keras_faces_in_order() -> None:
    declared = declared_faces()
    assert set(declared) == set(FACES_BY_FAMILY)
    for family, faces in declared.items():
        assert FACES_BY_FAMILY[family] == tuple(face.name.lower() for face in faces)
        for face in faces:
            assert keras.FACES[face.name.lower()] is face


def test_iterating_and_membership_need_no_family() -> None:
    imported: list[str] = []

    def collect(module: ModuleType, names: frozenset[str]) -> dict[str, str]:
        imported.append(module.__name__)
        return {name: name.upper() for name in names}

    registry = FamilyRegistry({"conv": ("conv1d", "conv2d"), "pool": ("maxpool1d",)}, collect)
    assert list(registry) == ["conv1d", "conv2d", "maxpool1d"]
    assert "conv2d" in registry and "lstm" not in registry and len(registry) == 3
    assert imported == []
    assert registry["conv2d"] == "CONV2D" and registry.get("lstm") is None
    assert registry["conv1d"] == "CONV1D"
    assert imported == ["symcnn.layers.conv"]  # one import for the family's two names
    assert dict(registry) == {"conv1d": "CONV1D", "conv2d": "CONV2D", "maxpool1d": "MAXPOOL1D"}
    assert imported == ["symcnn.layers.conv", "symcnn.layers.pool"]


def test_a_table_that_disagrees_with_its_family_is_an_error() -> None:
    registry = FamilyRegistry({"conv": ("conv2d", "conv9d")}, lambda module, names: {"conv2d": 1})
    with pytest.raises(RuntimeError, match=r"symcnn.layers.conv: expected \['conv2d', 'conv9d'\]"):
        registry["conv2d"]


def test_a_misspelt_type_still_lists_every_valid_type() -> None:
    with pytest.raises(
        SpecError, match=r"did you mean Conv2d or .*TransformerEncoderLayer"
    ) as error:
        lookup("convd2", where=None)
    for cls in LAYERS.values():
        assert cls.torch_name in str(error.value)
