"""A flat imported spec with ``blocks:`` where the model repeats a submodule class.

:func:`with_blocks` reads the flat spec that :func:`~symcnn.interop.torch_spec` writes (one
entry per module call or op, named by torch's module names) and the class of each submodule.
The entries a submodule made (``layer1.0.conv1``, ``layer1.0.add``...) become a use of a block
named after its class when they read one tensor from outside and only their last is read from
outside; nested submodules become nested blocks. The uses of one class whose layers are alike
but for numbers are one block, the numbers that differ its arguments (``out_channels``,
``stride``); uses that differ otherwise are one block each (``BasicBlock``, ``BasicBlock_2``).
Consecutive uses ``layer1.0``, ``layer1.1``... of one block with the same arguments are one
use with ``repeat``. The rows keep their names; if the spec with blocks would not give the flat
spec's rows, counts and shapes, the flat spec is returned.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import SymcnnError

__all__ = ["submodule_classes", "with_blocks"]


def submodule_classes(module: Any) -> dict[str, str]:
    """The class name of each submodule of ``module`` that is a model's own (not torch's
    containers or layers): ``{"layer1.0": "BasicBlock"}``."""
    classes = {}
    for path, sub in module.named_modules():
        kind = type(sub)
        if path and not kind.__module__.startswith("torch.") and any(True for _ in sub.children()):
            classes[path] = kind.__qualname__.replace(".", "_")
    return classes


def with_blocks(spec: Mapping[str, Any], classes: Mapping[str, str]) -> dict[str, Any]:
    """``spec`` with a block for each repeated submodule class (see the module's text)."""
    flat = dict(spec)
    try:
        blocked = _Blocker(flat["layers"], classes).spec()
    except (SymcnnError, KeyError, TypeError, ValueError):  # pragma: no cover - kept flat
        return flat
    if not blocked[0]:
        return flat
    candidate = {**flat, "blocks": blocked[0], "layers": blocked[1]}
    return candidate if _same(flat, candidate) else flat


def _same(flat: dict[str, Any], blocked: dict[str, Any]) -> bool:
    from ..network import load

    try:
        a, b = load(flat), load(blocked)
    except SymcnnError:
        return False
    rows = [(row.name, row.type, row.params, row.buffers, row.output_shape) for row in a.rows]
    again = [(row.name, row.type, row.params, row.buffers, row.output_shape) for row in b.rows]
    return rows == again and (a.params, a.buffers) == (b.params, b.buffers)


def _refs(entry: Mapping[str, Any]) -> Iterator[str]:
    source = entry.get("from")
    if isinstance(source, str):
        yield source
    elif isinstance(source, list):
        yield from (item for item in source if isinstance(item, str))
    if isinstance(entry.get("shares"), str):
        yield entry["shares"]


@dataclass
class _Instance:
    """One submodule's entries as a block use: its layers (local names) and the use."""

    kind: str
    layers: list[dict[str, Any]]
    use: dict[str, Any]


@dataclass
class _Blocker:
    entries: list[dict[str, Any]]
    classes: Mapping[str, str]
    instances: list[_Instance] = field(default_factory=list)

    def spec(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        layers = self.scope(self.entries, "", "input")
        blocks = self.resolve()
        for block in blocks.values():
            block["layers"] = self.repeats(block["layers"])
        return blocks, self.repeats(layers)

    # -- finding the uses

    def scope(self, entries: list[dict[str, Any]], prefix: str, source: str) -> list[Any]:
        """``entries`` (full names) as a scope's layers: local names, submodules as uses."""
        out: list[dict[str, Any]] = []
        alias: dict[str, str] = {}
        index = 0
        while index < len(entries):
            found = self.use_at(entries, index, prefix, source)
            if found is None:
                out.append(copy.deepcopy(entries[index]))
                index += 1
                continue
            path, stop, reads = found
            previous = entries[index - 1]["name"] if index else source
            inner = self.scope(entries[index:stop], path + ".", reads)
            use: dict[str, Any] = {"block": None, "name": path}
            if reads != previous:
                use["from"] = reads
            self.instances.append(_Instance(self.classes[path], inner, use))
            alias[entries[stop - 1]["name"]] = path
            out.append(use)
            index = stop
        for entry in out:
            self.localize(entry, prefix, source, alias)
        return out

    def localize(
        self, entry: dict[str, Any], prefix: str, source: str, alias: Mapping[str, str]
    ) -> None:
        def local(name: str) -> str:
            name = alias.get(name, name)
            if prefix and name == source:
                return "input"
            return name[len(prefix) :] if prefix and name.startswith(prefix) else name

        entry["name"] = local(entry["name"])
        if isinstance(entry.get("from"), str):
            entry["from"] = local(entry["from"])
        elif isinstance(entry.get("from"), list):
            entry["from"] = [local(item) for item in entry["from"]]
        if isinstance(entry.get("shares"), str):
            entry["shares"] = local(entry["shares"])

    def use_at(
        self, entries: list[dict[str, Any]], index: int, prefix: str, source: str
    ) -> tuple[str, int, str] | None:
        """The outermost submodule whose entries start at ``index`` and can be a block use:
        its path, where its entries stop, and the tensor it reads."""
        name = entries[index]["name"]
        parts = name[len(prefix) :].split(".")
        for depth in range(1, len(parts)):
            path = prefix + ".".join(parts[:depth])
            if path not in self.classes:
                continue
            stop = index
            while stop < len(entries) and entries[stop]["name"].startswith(path + "."):
                stop += 1
            reads = self.reads(entries, index, stop, path, source)
            if reads is not None:
                return path, stop, reads
        return None

    def reads(
        self, entries: list[dict[str, Any]], start: int, stop: int, path: str, source: str
    ) -> str | None:
        """The one tensor ``entries[start:stop]`` read from outside, if they are a block."""
        run = entries[start:stop]
        inside = {entry["name"] for entry in run}
        if any(entry["name"].startswith(path + ".") for entry in self.entries_after(run)):
            return None  # the submodule is called again later: its entries are not contiguous
        if any("type" in entry and entry["type"] == "parameter" for entry in run):
            return None
        previous = entries[start - 1]["name"] if start else source
        first = run[0]
        outside = [ref for entry in run for ref in _refs(entry) if ref not in inside]
        if "from" not in first:
            outside.append(previous)
        if len(set(outside)) != 1 or any(
            isinstance(entry.get("shares"), str) and entry["shares"] not in inside for entry in run
        ):
            return None
        last = run[-1]["name"]
        for entry in self.entries:
            if entry["name"] in inside:
                continue
            if any(ref in inside and ref != last for ref in _refs(entry)):
                return None
            if isinstance(entry.get("shares"), str) and entry["shares"] in inside:
                return None
        return outside[0]

    def entries_after(self, run: list[dict[str, Any]]) -> list[dict[str, Any]]:
        last = run[-1]["name"]
        names = [entry["name"] for entry in self.entries]
        return self.entries[names.index(last) + 1 :]

    # -- one block per class and structure, the numbers that differ its arguments

    def resolve(self) -> dict[str, Any]:
        blocks: dict[str, Any] = {}
        kinds: dict[str, list[_Instance]] = {}
        for instance in self.instances:
            kinds.setdefault(instance.kind, []).append(instance)
        # a class's uses are compared once the blocks they use inside are known
        order: list[str] = []
        while len(order) < len(kinds):
            ready = [
                kind
                for kind, instances in kinds.items()
                if kind not in order
                and all(
                    entry.get("block", "") is not None
                    for instance in instances
                    for entry in instance.layers
                )
            ]
            if not ready:
                raise ValueError("a class uses itself")  # pragma: no cover - kept flat
            kind = ready[0]
            order.append(kind)
            self._resolve(kind, kinds[kind], blocks)
        return blocks

    def _resolve(self, kind: str, instances: list[_Instance], blocks: dict[str, Any]) -> None:
        """One block per structure of ``kind``'s uses."""
        shapes: dict[Any, list[_Instance]] = {}
        for instance in instances:
            shapes.setdefault(_skeleton(instance.layers), []).append(instance)
        for number, same in enumerate(shapes.values()):
            name = kind if number == 0 else f"{kind}_{number + 1}"
            while name in blocks:
                name += "_"
            blocks[name] = self.block(name, same)

    def block(self, name: str, same: list[_Instance]) -> dict[str, Any]:
        columns: list[tuple[Any, ...]] = []
        arguments: dict[str, tuple[Any, ...]] = {}
        leaves = [list(_leaves(instance.layers)) for instance in same]
        layers = copy.deepcopy(same[0].layers)
        targets = list(_leaves(layers))
        for position, (entry, key, _) in enumerate(targets):
            column = tuple(leaf[position][2] for leaf in leaves)
            if len(set(column)) == 1:
                continue
            if column not in columns:
                columns.append(column)
                base, number = key, 1
                argument = base
                while argument in arguments:
                    number += 1
                    argument = f"{base}_{number}"
                arguments[argument] = column
            entry[key] = next(arg for arg, values in arguments.items() if values == column)
        for position, instance in enumerate(same):
            instance.use["block"] = name
            for argument, column in arguments.items():
                instance.use[argument] = column[position]
        definition: dict[str, Any] = {"layers": layers}
        if arguments:
            definition = {"args": dict.fromkeys(arguments), "layers": layers}
        return definition

    # -- consecutive alike uses as one with ``repeat``

    def repeats(self, layers: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        index = 0
        while index < len(layers):
            run = self.repeat_run(layers, index)
            if run < 2:
                out.append(layers[index])
                index += 1
                continue
            first = layers[index]
            container = first["name"][: -len(".0")]
            out.append({**first, "name": container, "repeat": run})
            last = layers[index + run - 1]["name"]
            for entry in layers[index + run :]:
                if entry.get("from") == last:
                    entry["from"] = container
                elif isinstance(entry.get("from"), list):
                    entry["from"] = [container if item == last else item for item in entry["from"]]
            index += run
        return out

    def repeat_run(self, layers: list[dict[str, Any]], index: int) -> int:
        first = layers[index]
        name = first.get("name", "")
        if "block" not in first or not name.endswith(".0"):
            return 0
        container = name[: -len(".0")]
        same = {key: value for key, value in first.items() if key not in ("name", "from")}
        run = 1
        while index + run < len(layers):
            entry = layers[index + run]
            rest = {key: value for key, value in entry.items() if key not in ("name",)}
            if entry.get("name") != f"{container}.{run}" or rest != same:
                break
            run += 1
        names = [entry.get("name", "") for entry in layers]
        inner = {f"{container}.{copy_}" for copy_ in range(run)}
        clash = any(
            n == container or (n.startswith(container + ".") and n not in inner) for n in names
        )
        referenced = {ref for entry in layers for ref in _refs(entry) if ref in inner} - {
            f"{container}.{run - 1}"
        }
        return 0 if clash or referenced or run < 2 else run


def _leaves(layers: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], str, Any]]:
    """The numbers of ``layers`` (entry, key, value), in order: what may be an argument."""
    for entry in layers:
        for key, value in entry.items():
            if key in ("repeat",) or isinstance(value, bool):
                continue
            if isinstance(value, int | float):
                yield entry, key, value


def _skeleton(layers: list[dict[str, Any]]) -> Any:
    def blank(key: str, value: Any) -> Any:
        if key != "repeat" and isinstance(value, int | float) and not isinstance(value, bool):
            return "#"
        return repr(value)

    return tuple(
        tuple((key, blank(key, value)) for key, value in entry.items()) for entry in layers
    )
