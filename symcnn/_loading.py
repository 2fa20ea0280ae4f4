"""Reading YAML and JSON documents from files or text, safely and exactly.

- Files are checked before they are read: a directory, a FIFO or a device is refused, and so is a
  file over :data:`symcnn.limits.MAX_SPEC_BYTES` (``/dev/zero`` would fill the memory).
- YAML is read with the YAML 1.2 core schema: ``010`` is ten, ``1:30`` and ``yes`` are text, only
  ``true``/``false`` are booleans. A number in scientific notation is a number (``1e3`` is the
  integer 1000); a decimal is exact as written: an ``int`` when it is an integer
  (``9007199254740993.0``), else a :class:`~symcnn.parse.ExactFloat` that remembers its digits.
- A key given twice in one mapping is refused (YAML and JSON), with its line and column.
- Aliases may not expand the document past :data:`symcnn.limits.MAX_YAML_NODES` nodes.
- A syntax error says its line and column.

Every refusal is a :class:`~symcnn.errors.SpecError`.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, SequenceNode

import symcnn.limits as limits

from .errors import ParseError, SpecError
from .limits import how_to_raise
from .parse import exact_number

__all__ = ["load_text", "read_file_text"]

#: the deepest nesting (brackets, or indentation counted in characters) a spec may have and still
#: be read by libyaml's C parser, which is twenty times faster but recurses in C without a limit
#: (deep enough text crashes the process); deeper text is read by PyYAML's pure-Python parser,
#: whose recursion limit becomes a clear error. Both build values with the same safe constructor.
FAST_YAML_NESTING = 200

_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
_BOOL = re.compile(r"true|True|TRUE|false|False|FALSE")
_NULL = re.compile(r"~|null|Null|NULL|")
_MERGE = re.compile(r"<<")


class _Core:
    """The YAML 1.2 core schema's implicit types, and exact numbers."""

    def construct_yaml_int(self, node: Node) -> int:
        text = str(node.value).replace("_", "")
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-")
        if len(digits) > limits.MAX_INTEGER_DIGITS:
            raise ConstructorError(
                None,
                None,
                f"an integer of {len(digits):,} digits (more than {limits.MAX_INTEGER_DIGITS:,}) "
                + how_to_raise("MAX_INTEGER_DIGITS"),
                node.start_mark,
            )
        if digits.startswith("0o"):
            return sign * int(digits[2:], 8)
        if digits.startswith("0x"):
            return sign * int(digits[2:], 16)
        return sign * int(digits)

    def construct_yaml_float(self, node: Node) -> int | float:
        text = str(node.value)
        if _SPECIAL_FLOAT.fullmatch(text):
            lowered = text.lower()
            return float(lowered.replace(".", "")) if "inf" in lowered else float("nan")
        try:
            return exact_number(text)
        except ParseError as error:
            raise ConstructorError(None, None, str(error), node.start_mark) from None

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)  # type: ignore[attr-defined]
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:
                    continue  # an unhashable key: the constructor refuses it itself
                if duplicate:
                    raise ConstructorError(
                        None, None, f"the key {key!r} is given twice", key_node.start_mark
                    )
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]


_RESOLVERS: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}
for _tag, _pattern, _first in (
    ("bool", _BOOL, "tTfF"),
    ("int", _INT, "-+0123456789"),
    ("float", _FLOAT, "-+.0123456789"),
    ("float", _SPECIAL_FLOAT, "-+."),
    ("null", _NULL, ["~", "n", "N", ""]),
    ("merge", _MERGE, "<"),
):
    for _char in _first:
        _RESOLVERS.setdefault(_char or None, []).append(
            (f"tag:yaml.org,2002:{_tag}", _pattern)
        )


def _constructors(loader: Any) -> None:
    loader.add_constructor("tag:yaml.org,2002:int", _Core.construct_yaml_int)
    loader.add_constructor("tag:yaml.org,2002:float", _Core.construct_yaml_float)


class _SafeLoader(_Core, yaml.SafeLoader):  # type: ignore[misc]
    """PyYAML's safe loader (pure Python) with the core schema."""


_constructors(_SafeLoader)
_FastLoader: type | None = None
if hasattr(yaml, "CSafeLoader"):

    class _CLoader(_Core, yaml.CSafeLoader):  # type: ignore[misc, name-defined]
        """libyaml's safe loader with the core schema."""

    _constructors(_CLoader)
    _FastLoader = _CLoader

# PyYAML resolves with fullmatch semantics through re.match plus an anchored pattern
for _loader in (_SafeLoader, *((_FastLoader,) if _FastLoader else ())):
    _loader.yaml_implicit_resolvers = {
        key: [(tag, re.compile(f"(?:{pattern.pattern})\\Z")) for tag, pattern in value]
        for key, value in _RESOLVERS.items()
    }


def _nesting(text: str) -> int:
    """An upper bound of the text's nesting: bracket depth plus the deepest indentation, where a
    run of ``- `` counts as indentation too (``- - - x`` nests three sequences)."""
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    indent = max((len(line) - len(line.lstrip(" -")) for line in text.splitlines()), default=0)
    return deepest + indent


def _expanded_size(root: Node) -> int:
    """The number of nodes ``root`` stands for once every alias is copied out (memoized, so an
    alias tree costs its number of distinct nodes); a node that contains itself is refused."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = _children(node)
            sizes[key] = min(1 + sum(sizes[id(child)] for child in children), 2**62)
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise ConstructorError(None, None, "an alias refers to itself", node.start_mark)
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise ConstructorError(None, None, "an alias refers to itself", child.start_mark)
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _load_yaml(text: str) -> Any:
    fast = _FastLoader is not None and _nesting(text) <= FAST_YAML_NESTING
    loader = (_FastLoader if fast and _FastLoader else _SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node)
        if size > limits.MAX_YAML_NODES:
            raise SpecError(
                f"the document stands for {size:,} values once its aliases (*name) are expanded, "
                f"more than {limits.MAX_YAML_NODES:,} " + how_to_raise("MAX_YAML_NODES")
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _marked(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        problem = " ".join(part for part in (error.context, error.problem) if part)
        if mark is not None:
            return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
        return problem
    return str(error).splitlines()[0] if str(error) else type(error).__name__


def _json_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise SpecError(f"the key {key!r} is given twice")
        document[key] = value
    return document


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > limits.MAX_INTEGER_DIGITS:
        raise SpecError(
            f"an integer of more than {limits.MAX_INTEGER_DIGITS:,} digits "
            + how_to_raise("MAX_INTEGER_DIGITS")
        )
    return int(text)


def _json_float(text: str) -> int | float:
    try:
        return exact_number(text)
    except ParseError as error:
        raise SpecError(str(error)) from None


def load_text(text: str, origin: str, *, json_only: bool = False) -> Any:
    """The document ``text`` holds (YAML, or JSON when ``json_only``); ``origin`` names it in
    errors."""
    if len(text) > limits.MAX_SPEC_BYTES:
        raise SpecError(
            f"{origin} is longer than {limits.MAX_SPEC_BYTES:,} characters "
            + how_to_raise("MAX_SPEC_BYTES")
        )
    if _nesting(text) > limits.MAX_DOCUMENT_NESTING:
        raise SpecError(
            f"{origin} is nested too deeply to read (more than {limits.MAX_DOCUMENT_NESTING:,} "
            "levels) " + how_to_raise("MAX_DOCUMENT_NESTING")
        )
    try:
        if json_only:
            return json.loads(
                text, object_pairs_hook=_json_pairs, parse_int=_json_int, parse_float=_json_float
            )
        return _load_yaml(text)
    except SpecError as error:
        raise SpecError(f"{origin}: {error}") from None
    except yaml.YAMLError as error:
        raise SpecError(f"{origin} is not valid YAML/JSON: {_marked(error)}") from None
    except json.JSONDecodeError as error:
        raise SpecError(f"{origin} is not valid JSON: {error}") from None
    except RecursionError:
        raise SpecError(f"{origin} is nested too deeply to read") from None


def read_file_text(path: Path, what: str = "spec file") -> str:
    """The UTF-8 text of the regular file ``path``, refused clearly when it is missing, is a
    directory, a FIFO or a device, is over :data:`symcnn.limits.MAX_SPEC_BYTES` or is not UTF-8."""
    name = repr(str(path))
    try:
        # O_NONBLOCK: opening a FIFO with no writer must not wait; fstat then sees what opened
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise SpecError(f"cannot read {what} {name}: no such file") from None
    except IsADirectoryError:
        raise SpecError(f"{what} {name} is a directory; give a .yaml or .json file") from None
    except OSError as error:
        raise SpecError(f"cannot read {what} {name}: {error.strerror}") from None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode):
        os.close(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise SpecError(f"{what} {name} is a directory; give a .yaml or .json file")
        raise SpecError(f"{what} {name} is not a regular file (a FIFO, a device or a socket)")
    with os.fdopen(descriptor, "rb") as file:
        limit = limits.MAX_SPEC_BYTES
        if info.st_size > limit:
            raise SpecError(
                f"{what} {name} has {info.st_size:,} bytes, more than {limit:,} "
                + how_to_raise("MAX_SPEC_BYTES")
            )
        data = file.read(limit + 1)
    if len(data) > limit:
        raise SpecError(
            f"{what} {name} has more than {limit:,} bytes " + how_to_raise("MAX_SPEC_BYTES")
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SpecError(f"{what} {name} is not UTF-8 text (byte {error.start})") from None
