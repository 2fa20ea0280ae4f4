"""From a symcnn network to PyTorch: readable source for an ``nn.Module`` (:func:`torch_source`)
and the module itself (:func:`to_torch`, the source executed, so the two never disagree).

The module takes a batch in torch's own layout, ``(N, C, ...)``, whatever the spec's layout. Each
row becomes a module registered under the row's name (``layer1.0.conv1``), merges and axis moves
become lines of ``forward``, and a row that ``shares`` another calls that row's module again. A
block use is a generated class (a numeric ``repeat`` an ``nn.Sequential`` of them, see
:mod:`._torch_classes`); other nested names are ``nn.ModuleDict`` containers. In ``HWC`` the few
layers whose meaning depends on where the channels are get their dims moved to torch's order. Every
tensor of rank 2 or more in an ``HWC`` network is held channels first (``(N, C, H, W)``) except
where a layer reads its last axis as symcnn does (a sequence layer's ``(N, L, features)``,
``Linear``, ``LayerNorm``, a partial ``Flatten``): there it is held in the spec's order, and
``forward`` moves the channels (``x.movedim(1, -1)``, ``x.movedim(-1, 1)``) only where a reader
wants the other order.
"""

from __future__ import annotations

import itertools
import keyword
from collections.abc import Sequence
from typing import Any

from ..errors import SpecError
from ..network import Network
from ._extras import require
from ._torch_classes import Classes, camel_case, units
from ._torch_writer import Scope, Writer

__all__ = ["to_torch", "torch_input_shape", "torch_output_shape", "torch_source"]


def to_torch(net: Network, class_name: str | None = None) -> Any:
    """The ``torch.nn.Module`` of a numeric network, taking a batch ``(N, C, ...)``."""
    require("torch")
    source = torch_source(net, class_name)
    namespace: dict[str, Any] = {"__name__": "symcnn_export"}
    # safe: the source is symcnn's own writing; every user string in it is a repr() literal or
    # an identifier made of \w characters (torch_source)
    exec(compile(source, "<symcnn export>", "exec"), namespace)  # safe: symcnn's own source
    return namespace["build"]()


def torch_input_shape(net: Network) -> tuple[int, ...]:
    """One example's input as the module of :func:`to_torch` takes it: channels first, or in
    the spec's order where a sequence layer reads it (``(L, features)``)."""
    _require_numbers(net)
    name = next(iter(net.inputs), "input")
    return _held(net.input_shape, _writer(net).spec_order.get(name, True))


def torch_output_shape(net: Network) -> tuple[int, ...]:
    """One example's output as the module of :func:`to_torch` returns it (see
    :func:`torch_input_shape`)."""
    _require_numbers(net)
    return _held(net.output_shape, _writer(net).write().spec_order.get(net.output, True))


def _held(shape: Sequence[Any], spec_order: bool) -> tuple[int, ...]:
    sizes = tuple(int(size) for size in shape)
    return sizes if spec_order or len(sizes) < 2 else (sizes[-1], *sizes[:-1])


def _writer(net: Network, taken: set[str] | None = None) -> Writer:
    """The network's writer, with a class for each block use that can be one."""
    roots = units(net)

    def write(unit: Any) -> Any:
        group = unit.group
        scope = Scope(
            group.name + ".", group.start, group.stop, unit.inputs, unit.output, unit.children
        )
        return Writer(net, scope, classes).write().body()

    classes = Classes(roots, write, taken if taken is not None else set())
    scope = Scope("", 0, len(net.rows), list(net.inputs), net.output, roots, top=True)
    return Writer(net, scope, classes)


def torch_source(net: Network, class_name: str | None = None) -> str:
    """Readable PyTorch source of the network: imports, a class per block, the network's
    class, and ``build()``."""
    _require_numbers(net)
    if net.convention != "torch":
        raise SpecError(
            f"the spec is `convention: {net.convention}`, whose layers are Keras's (Dense, "
            "Conv2D…); symcnn exports PyTorch modules from torch-convention specs only"
        )
    name = class_name or _class_name(net.name)
    if not name.isidentifier() or keyword.iskeyword(name):
        raise SpecError(f"class name {name!r} is not a Python identifier")
    writer = _writer(net, {name, "torch", "nn", "build"}).write()
    assert writer.classes is not None
    inputs = ", ".join(f"{writer.input_vars[name]}: torch.Tensor" for name in net.inputs)
    title = f"    {_docstring(f'{net.name}, as symcnn read it.')}\n\n" if net.name else ""
    blocks = [line for source in writer.classes.sources for line in (*source.split("\n"), "", "")]
    lines = [
        '"""Written by symcnn export. Input: a batch (N, C, ...), whatever the spec\'s layout."""',
        "",
        "import torch",
        "from torch import nn",
        "",
        "",
        *blocks,
        f"class {name}(nn.Module):",
        title + "    def __init__(self) -> None:",
        "        super().__init__()",
        *writer.init_lines(itertools.repeat(None)),
        "",
        f"    def forward(self, {inputs}) -> torch.Tensor:",
        *(f"        {line}" for line in writer.forward),
        f"        return {writer.var[net.output]}",
        "",
        "",
        f"def build() -> {name}:",
        f"    return {name}()",
        "",
    ]
    return "\n".join(lines)


def _docstring(text: str) -> str:
    """``text`` as a docstring literal: triple quotes when it is plain, else its repr(), so a
    name with quotes, backslashes or control characters stays text."""
    plain = text.isprintable() and '"' not in text and "\\" not in text
    return f'"""{text}"""' if plain else repr(text)


def _class_name(title: str | None) -> str:
    return camel_case(title, "Network", "Net")


def _require_numbers(net: Network) -> None:
    if net.symbols:
        names = ", ".join(sorted(net.symbols))
        values = "a value" if len(net.symbols) == 1 else "values"
        raise SpecError(
            f"to build a torch module every size must be a number; give {names} {values} "
            "(net.subs(...) or symcnn export --set NAME=VALUE)",
            field="symbols",
        )
    for row in net.rows:
        if row.multiplicity != 1:
            raise SpecError(
                "a symbolic repeat must have a value to be built", where=row.name, field="repeat"
            )
