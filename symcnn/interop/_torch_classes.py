"""Block uses as PyTorch classes, for :mod:`.torch_export`.

A block use (a :class:`~symcnn.graph.Group`) becomes a call of a generated ``nn.Module`` class
when it is self-contained: it reads tensors from outside only as inputs, one of its tensors is
read outside (its output), it applies no weights from outside, and it holds no ``Parameter``
row. A numeric ``repeat`` of such uses, each reading the one before, is an ``nn.Sequential`` of
them (torch names them ``layer1.0``, ``layer1.1``, as symcnn does). A block use that applies an
earlier one's weights again is a second call of that module. Every other use is written inline,
its modules in ``nn.ModuleDict`` containers under its name.

One class is written per block and structure: the uses of a block whose modules and ``forward``
lines are alike share it, and the constructor arguments that differ between them (the channels,
a stride) become the class's ``__init__`` parameters.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from ..errors import SpecError
from ..graph import Group
from ..network import Network

__all__ = ["Body", "Call", "Classes", "Node", "Unit", "camel_case", "units"]


@dataclass(frozen=True)
class Call:
    """A constructor call ``callee(...)``: each argument a keyword (or None, positional) and
    its value as Python text, or another call."""

    callee: str
    args: tuple[tuple[str | None, str | Call], ...] = ()

    def leaves(self) -> Iterator[tuple[str | None, str]]:
        for keyword_, value in self.args:
            if isinstance(value, Call):
                yield from value.leaves()
            else:
                yield keyword_, value

    def skeleton(self) -> Call:
        """The call with its values blanked: calls alike but for their numbers are equal."""
        return Call(
            self.callee,
            tuple(
                (key, value.skeleton() if isinstance(value, Call) else "")
                for key, value in self.args
            ),
        )

    def text(self, names: Iterator[str | None], depth: int) -> str:
        """The call as source; ``names`` gives, leaf by leaf, a parameter to write instead."""
        parts = []
        for key, value in self.args:
            if isinstance(value, Call):
                shown = value.text(names, depth + 1)
            else:
                name = next(names)
                shown = value if name is None else name
            parts.append(shown if key is None else f"{key}={shown}")
        if self.callee == "nn.Sequential" and len(parts) > 1:
            pad = "    " * (depth + 1)
            lines = "".join(f"{pad}{part},\n" for part in parts)
            return f"{self.callee}(\n{lines}{'    ' * depth})"
        return f"{self.callee}({', '.join(parts)})"


@dataclass
class Node:
    """A module container (``layer1``, ``downsample``): its modules' calls by name."""

    children: dict[str, Node | Call] = field(default_factory=dict)

    def add(self, name: str, call: Call) -> None:
        parts = name.split(".")
        node = self
        for part in parts[:-1]:
            child = node.children.setdefault(part, Node())
            if not isinstance(child, Node):
                raise SpecError(
                    f"the row {name!r} sits inside {part!r}, which is a layer: torch cannot "
                    "register a module inside another module's name",
                    where=name,
                )
            node = child
        if parts[-1] in node.children:
            raise SpecError(f"two rows would be the module {name!r}", where=name)
        node.children[parts[-1]] = call

    def container(self, path: Sequence[str]) -> None:
        """Make sure the containers of ``path`` exist (a tensor is registered in the last)."""
        node = self
        for part in path:
            child = node.children.setdefault(part, Node())
            if not isinstance(child, Node):
                raise SpecError(
                    f"{'.'.join(path)!r} is a layer: torch cannot register a tensor inside it",
                    where=".".join(path),
                )
            node = child

    def calls(self) -> Iterator[Call]:
        for child in self.children.values():
            if isinstance(child, Node):
                yield from child.calls()
            else:
                yield child

    def skeleton(self) -> tuple[object, ...]:
        return tuple((key, child.skeleton()) for key, child in self.children.items())

    def lines(self, names: Iterator[str | None]) -> list[str]:
        """``__init__``'s lines registering the modules (containers as ``nn.ModuleDict``)."""
        lines = []
        for name, child in self.children.items():
            text = _text(child, names, 2)
            if name.isidentifier() and not keyword.iskeyword(name):
                lines.append(f"        self.{name} = {text}")
            else:
                lines.append(f"        self.add_module({name!r}, {text})")
        return lines


def _text(node: Node | Call, names: Iterator[str | None], depth: int) -> str:
    if isinstance(node, Call):
        return node.text(names, depth)
    pad = "    " * (depth + 1)
    items = [
        f"{pad}{key!r}: {_text(child, names, depth + 1)}," for key, child in node.children.items()
    ]
    return "nn.ModuleDict({\n" + "\n".join(items) + "\n" + "    " * depth + "})"


@dataclass
class Body:
    """A class's contents as one block use writes it."""

    tree: Node
    forward: list[str]
    #: ``forward``'s parameters and the variable it returns
    inputs: list[str]
    output: str
    #: whether each input, and the output, is held in the spec's order (see torch_export)
    input_orders: list[bool]
    output_order: bool

    def key(self) -> tuple[object, ...]:
        return (
            self.tree.skeleton(),
            tuple(self.forward),
            tuple(self.inputs),
            self.output,
            tuple(self.input_orders),
            self.output_order,
        )

    def leaves(self) -> list[tuple[str | None, str]]:
        return [leaf for call in self.tree.calls() for leaf in call.leaves()]


# ----------------------------------------------------------------------------------- units


@dataclass
class Unit:
    """A block use and how it is written: ``class``, ``sequential``, ``shared`` or ``inline``."""

    group: Group
    children: list[Unit] = field(default_factory=list)
    #: the tensors it reads from outside, in the order it first reads them, and its output
    inputs: list[str] = field(default_factory=list)
    output: str | None = None
    kind: str = "inline"

    @property
    def name(self) -> str:
        return self.group.name

    def walk(self) -> Iterator[Unit]:
        yield self
        for child in self.children:
            yield from child.walk()


def units(net: Network) -> list[Unit]:
    """The block uses of ``net`` as a tree (outermost first), each with its kind."""
    roots: list[Unit] = []
    stack: list[Unit] = []
    for group in net.groups:
        unit = Unit(group)
        while stack and not (
            stack[-1].group.start <= group.start and group.stop <= stack[-1].group.stop
        ):
            stack.pop()
        (stack[-1].children if stack else roots).append(unit)
        stack.append(unit)
    everything = [unit for root in roots for unit in root.walk()]
    for unit in reversed(everything):  # the innermost first: a repeat looks at its copies
        _classify(net, unit)
    by_name = {unit.name: unit for unit in everything}
    for unit in everything:
        if unit.group.shares is not None and unit.kind == "shared":
            original = by_name.get(unit.group.shares)
            if original is None or original.kind not in ("class", "sequential"):
                unit.kind = "inline"
    return roots


def _classify(net: Network, unit: Unit) -> None:
    group = unit.group
    rows = net.rows[group.start : group.stop]
    produced = {row.name for row in rows}
    inputs: list[str] = []
    for row in rows:
        for source in row.inputs:
            if source not in produced and source not in inputs:
                inputs.append(source)
    outside = {
        source
        for index, row in enumerate(net.rows)
        if not group.start <= index < group.stop
        for source in row.inputs
        if source in produced
    }
    if net.output in produced:
        outside.add(net.output)
    unit.inputs = inputs
    unit.output = next(iter(outside)) if len(outside) == 1 else None
    if not inputs or unit.output is None or any(row.type == "Parameter" for row in rows):
        return
    if group.shares is not None:
        unit.kind = "shared"
        return
    if any(row.shares is not None and row.shares not in produced for row in rows):
        return
    unit.kind = "sequential" if _is_sequence(unit) else "class"


def _is_sequence(unit: Unit) -> bool:
    """Whether the use is a numeric repeat: copies ``name.0``, ``name.1``... each a class,
    each reading the one before."""
    copies = unit.children
    if not copies or [copy.name for copy in copies] != [
        f"{unit.name}.{index}" for index in range(len(copies))
    ]:
        return False
    if copies[0].group.start != unit.group.start or copies[-1].group.stop != unit.group.stop:
        return False
    previous = unit.inputs
    for before, copy in zip([None, *copies], copies, strict=False):
        if copy.kind != "class" or copy.inputs != previous or len(previous) != 1:
            return False
        if before is not None and before.group.stop != copy.group.start:
            return False
        previous = [copy.output] if copy.output is not None else []
    return unit.output == copies[-1].output


# ----------------------------------------------------------------------------------- classes


def camel_case(title: str | None, fallback: str, prefix: str | None = None) -> str:
    """A CamelCase identifier from a title (``basic_down`` → ``BasicDown``); ``fallback`` for
    a title without letters or digits, ``prefix`` before one starting with a digit."""
    words = re.findall(r"[A-Za-z0-9]+", title or "")
    name = "".join(word[:1].upper() + word[1:] for word in words) or fallback
    return name if name[0].isalpha() else f"{prefix or fallback}{name}"


class Classes:
    """The generated classes: one per block and structure, written the first time a use of the
    block is called for; ``write`` writes one use's body."""

    def __init__(self, roots: Sequence[Unit], write: Callable[[Unit], Body], taken: set[str]):
        self.all = [unit for root in roots for unit in root.walk()]
        self.named = {unit.name: unit for unit in self.all}
        self.write = write
        self.taken = taken
        self.calls: dict[str, Call] = {}
        self.bodies: dict[str, Body] = {}
        #: the classes' source, in the order they were written (a class before its users)
        self.sources: list[str] = []

    def call(self, unit: Unit) -> Call:
        if unit.name not in self.calls:
            self._resolve(unit.group.block)
        return self.calls[unit.name]

    def body(self, unit: Unit) -> Body:
        self.call(unit)
        return self.bodies[unit.name]

    def orders(self, unit: Unit) -> tuple[list[bool], bool]:
        """Whether a use's inputs and output are held in the spec's order (see torch_export)."""
        if unit.kind == "sequential":
            first, last = self.body(unit.children[0]), self.body(unit.children[-1])
            return first.input_orders, last.output_order
        body = self.body(unit)
        return body.input_orders, body.output_order

    def _resolve(self, block: str) -> None:
        uses = [unit for unit in self.all if unit.kind == "class" and unit.group.block == block]
        bodies = [self.write(unit) for unit in uses]
        kinds: dict[tuple[object, ...], list[int]] = {}
        for position, body in enumerate(bodies):
            kinds.setdefault(body.key(), []).append(position)
        for positions in kinds.values():
            name = self._name(camel_case(block, "Block"))
            same = [bodies[position] for position in positions]
            parameters, slots = _parameters(same)
            self.sources.append(_class_source(name, same[0], parameters, slots))
            for position, body in zip(positions, same, strict=True):
                values = [body.leaves()[slots.index(index)][1] for index in _firsts(slots)]
                args = tuple(
                    (parameter, value)
                    for (parameter, _), value in zip(parameters, values, strict=True)
                )
                self.calls[uses[position].name] = Call(name, args)
                self.bodies[uses[position].name] = body

    def _name(self, base: str) -> str:
        return take_name(base, self.taken)


def take_name(base: str, taken: set[str], separator: str = "") -> str:
    """``base``, or ``base2``, ``base3``… (``base_2`` with ``separator="_"``) if it is taken;
    the name returned is added to ``taken``."""
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}{separator}{number}"
    taken.add(candidate)
    return candidate


def _firsts(slots: list[int | None]) -> list[int]:
    """The parameter numbers in ``slots``, in order of first appearance."""
    seen: list[int] = []
    for slot in slots:
        if slot is not None and slot not in seen:
            seen.append(slot)
    return seen


def _parameters(bodies: Sequence[Body]) -> tuple[list[tuple[str, str]], list[int | None]]:
    """The ``__init__`` parameters of a class whose uses are ``bodies``: one per distinct
    column of values that differ between the uses (name, annotation); and for each leaf the
    number of its parameter (None: the same in every use, written as a number)."""
    leaves = [body.leaves() for body in bodies]
    columns: list[tuple[str, ...]] = []
    slots: list[int | None] = []
    parameters: list[tuple[str, str]] = []
    taken = {"self"}
    for position, (key, _) in enumerate(leaves[0]):
        column = tuple(leaf[position][1] for leaf in leaves)
        if len(set(column)) == 1:
            slots.append(None)
            continue
        if column not in columns:
            columns.append(column)
            base = key or "value"
            name, number = base, 1
            while name in taken:
                number += 1
                name = f"{base}_{number}"
            taken.add(name)
            parameters.append((name, _annotation(column)))
        slots.append(columns.index(column))
    return parameters, slots


def _annotation(values: Sequence[str]) -> str:
    if all(re.fullmatch(r"-?\d+", value) for value in values):
        return ": int"
    if all(value in ("True", "False") for value in values):
        return ": bool"
    if all(re.fullmatch(r"-?\d+\.\d*(e-?\d+)?", value) for value in values):
        return ": float"
    return ""


def _class_source(
    name: str, body: Body, parameters: list[tuple[str, str]], slots: list[int | None]
) -> str:
    signature = "".join(f", {parameter}{annotation}" for parameter, annotation in parameters)
    names = iter([None if slot is None else parameters[slot][0] for slot in slots])
    inputs = ", ".join(f"{variable}: torch.Tensor" for variable in body.inputs)
    lines = [
        f"class {name}(nn.Module):",
        f"    def __init__(self{signature}) -> None:",
        "        super().__init__()",
        *body.tree.lines(names),
        "",
        f"    def forward(self, {inputs}) -> torch.Tensor:",
        *(f"        {line}" for line in body.forward),
        f"        return {body.output}",
    ]
    return "\n".join(lines)
