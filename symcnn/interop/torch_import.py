"""From a PyTorch module to a symcnn network: trace it with ``torch.fx`` and map every node onto
a spec entry through :mod:`.torch_table` and :mod:`._torch_ops`; where tracing fails, read the
leaf modules in the order forward hooks see them (valid for chains only, and said so).

The network is the spec a person would write: one entry per module call or op, named as torch
names modules (``layer1.0.conv1``), ``from`` only where the graph branches, a module called again
as ``shares``. Its parameters and buffers are checked against the module's own.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import sympy

from ..errors import SpecError
from ..facade import Network
from ..facade import load as load_spec
from ..layers import LAYERS
from ._extras import require
from ._importer import Attr, FinalState, Importer, Tensor, Unread, base_name
from ._torch_ops import METHODS, Call, functions
from .torch_table import TUPLE_OUTPUTS, module_entry

__all__ = ["INDEX_INPUTS", "PROBE_SIZE", "TracingFallbackWarning", "from_torch", "torch_spec"]

#: the size a symbolic input axis takes when the hook fallback has to run the module once
PROBE_SIZE = 64
#: module classes that read token indices: a model whose input goes to one first reads int64
INDEX_INPUTS = ("Embedding", "EmbeddingBag")
#: keyword arguments of a module call that change neither a count nor the output symcnn reads
_CALL_KEYWORDS = {
    "MultiheadAttention": ("need_weights", "average_attn_weights"),
}


class TracingFallbackWarning(UserWarning):
    """torch.fx could not trace the module; symcnn read its leaf modules with forward hooks."""


def from_torch(
    module: Any,
    input_shape: Sequence[int | str],
    *,
    symbols: Mapping[str, str] | None = None,
    name: str | None = None,
    dtype: str | None = None,
) -> Network:
    """The symcnn network of a torch module for one example of ``input_shape`` (CHW, no batch
    axis; text is a symbol): ``from_torch(model, [3, "H", "W"])``. ``symbols`` replaces layer
    arguments by expressions, ``{"conv1.out_channels": "k"}``, to ask about other widths.
    ``dtype`` declares the input's element type (``"int64"`` for token indices); by default it
    is ``int64`` when the input goes first to an ``Embedding``, else undeclared."""
    spec = torch_spec(module, input_shape, symbols=symbols, name=name, dtype=dtype)
    net = load_spec(spec)
    _check_counts(module, net, changed=bool(symbols))
    return net


def torch_spec(
    module: Any,
    input_shape: Sequence[int | str],
    *,
    symbols: Mapping[str, str] | None = None,
    name: str | None = None,
    dtype: str | None = None,
) -> dict[str, Any]:
    """The spec dict of a torch module (see :func:`from_torch`)."""
    torch = require("torch")
    if not isinstance(module, torch.nn.Module):
        raise SpecError(f"from_torch needs a torch.nn.Module, got {type(module).__name__}")
    shape = list(input_shape)
    if not shape or not all(
        isinstance(size, int | str) and not isinstance(size, bool) for size in shape
    ):
        raise SpecError(
            f"`input_shape` = {input_shape!r}: must list sizes (numbers or symbol names), "
            "channels first, without the batch axis",
            field="input_shape",
        )
    if dtype is not None and not isinstance(dtype, str):
        raise SpecError(f"`dtype` = {dtype!r}: must be a dtype name such as int64", field="dtype")
    fx = require("torch.fx")
    try:
        graph = _trace_in_eval_mode(fx, module)
    except Exception as error:
        first = next(
            (
                sub
                for name, sub in module.named_modules()
                if name and not any(True for _ in sub.children())
            ),
            None,
        )
        dtype = dtype or _index_dtype(first)
        warnings.warn(
            f"torch.fx could not trace {type(module).__name__} ({type(error).__name__}: "
            f"{error}); symcnn read its submodules in the order a forward pass calls them, "
            "which is right only if the model is a chain",
            TracingFallbackWarning,
            stacklevel=3,
        )
        source: Any = {"shape": shape, "dtype": dtype} if dtype else shape
        entries = _from_hooks(module, shape, source, dtype)
    else:
        dtype = dtype or _graph_dtype(module, graph)
        source = {"shape": shape, "dtype": dtype} if dtype else shape
        entries = _from_graph(module, graph, source)
    _replace(entries, symbols or {})
    spec: dict[str, Any] = {"name": name or type(module).__name__, "input": source}
    spec = {**spec, "layout": "CHW", "layers": entries}
    _pin_linear_inputs(module, spec, {size for size in shape if isinstance(size, str)})
    return spec


def _pin_linear_inputs(module: Any, spec: dict[str, Any], inputs: set[str]) -> None:
    """A ``Linear`` whose input size depends on the symbolic input sizes alone keeps the
    module's ``in_features``: its weights are fixed, so its count is the module's, and the
    input sizes must come to it (a condition: LeNet's ``Linear(400, 120)`` on ``[1, H, W]``)."""
    if not inputs:
        return
    modules = dict(module.named_modules())
    entries = {entry["name"]: entry for entry in spec["layers"] if entry.get("type") == "linear"}
    for row in load_spec(copy.deepcopy(spec)).rows:
        size, entry = row.input_shape[-1], entries.get(row.name)
        if entry is None or "in_features" in entry or size.is_Integer:
            continue
        if {str(symbol) for symbol in size.free_symbols} <= inputs:
            features = getattr(modules.get(row.name), "in_features", None)
            if isinstance(features, int):
                entry["in_features"] = features


def _trace_in_eval_mode(fx: Any, module: Any) -> Any:
    """The fx graph of the module as it runs in eval mode, the mode symcnn describes (a
    stochastic-depth branch taken only in training is not traced); each submodule's own mode is
    put back afterwards."""
    modes = {sub: sub.training for sub in module.modules()}
    module.eval()  # safe: torch.nn.Module.eval, the training flag, not Python eval
    try:
        return fx.symbolic_trace(module).graph
    finally:
        for sub, training in modes.items():
            sub.training = training


def _index_dtype(module: Any) -> str | None:
    return "int64" if type(module).__name__ in INDEX_INPUTS else None


def _graph_dtype(module: Any, graph: Any) -> str | None:
    """``int64`` when the model's input goes first to an embedding."""
    modules = dict(module.named_modules())
    for node in graph.nodes:
        if node.op == "placeholder":
            users = list(node.users)
            if len(users) == 1 and users[0].op == "call_module":
                return _index_dtype(modules[users[0].target])
            return None
    return None  # pragma: no cover - a traced module has a placeholder


def _replace(entries: list[dict[str, Any]], symbols: Mapping[str, str]) -> None:
    """Set ``ROW.ARGUMENT`` to an expression in each entry ``symbols`` names."""
    by_name = {entry["name"]: entry for entry in entries}
    for key, expression in symbols.items():
        row, _, argument = str(key).rpartition(".")
        entry = by_name.get(row)
        if entry is None or "type" not in entry:
            near = ", ".join(sorted(n for n, e in by_name.items() if "type" in e)[:8])
            raise SpecError(
                f"`symbols`: {key!r} names no layer {row!r} of the model (layers: {near}, ...)",
                field="symbols",
            )
        fields = LAYERS[entry["type"]].arguments()
        if argument not in fields:
            raise SpecError(
                f"`symbols`: {key!r}: {LAYERS[entry['type']].torch_name} has no argument "
                f"{argument!r} "
                f"(it takes: {', '.join(fields)})",
                field="symbols",
            )
        entry[argument] = expression


# ----------------------------------------------------------------------------------- fx graphs


def _where(node: Any) -> str:
    target = (
        node.target
        if isinstance(node.target, str)
        else getattr(node.target, "__name__", repr(node.target))
    )
    module = getattr(node.target, "__module__", None)
    if module and module.startswith("torch._"):  # torch.stack lives in torch._VariableFunctions
        module = "torch"
    if node.op == "call_function" and module:
        target = f"{module}.{target}"
    return f"node {node.name!r} ({node.op} {target})"


def _prefix(node: Any) -> str:
    """The qualified name of the module whose forward made a functional node (``layer1.0``)."""
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return ""
    path = list(stack.values())[-1]
    return str(path[0] if isinstance(path, tuple) else path)


def _from_graph(module: Any, graph: Any, shape: Any) -> list[dict[str, Any]]:
    importer = Importer(shape)
    values: dict[Any, Any] = {}
    counts: dict[tuple[str, str], int] = {}
    placeholders = [node for node in graph.nodes if node.op == "placeholder"]
    if len(placeholders) != 1:
        raise SpecError(
            f"from_torch reads a module with one input; forward takes {len(placeholders)}"
        )
    modules = dict(module.named_modules())
    importer.names.update(name for name in modules if name)
    output: Any = None

    def value(arg: Any) -> Any:
        fx = require("torch.fx")
        return fx.node.map_arg(arg, lambda node: values[node])

    for node in graph.nodes:
        where = _where(node)
        if node.op == "placeholder":
            values[node] = Tensor("input")
        elif node.op == "call_module":
            values[node] = _call_module(importer, modules[node.target], node, value, where)
        elif node.op in ("call_function", "call_method"):
            table = functions() if node.op == "call_function" else METHODS
            handler = table.get(node.target)
            if handler is None:
                raise SpecError(
                    "symcnn has no layer for this op (see docs/import-export.md for the ops it "
                    "reads)",
                    where=where,
                )
            prefix, base = _prefix(node), base_name(node.name)
            number = counts[(prefix, base)] = counts.get((prefix, base), -1) + 1
            local = base if number == 0 else f"{base}_{number}"
            call = Call(
                tuple(value(node.args)),
                dict(value(node.kwargs)),
                f"{prefix}.{local}" if prefix else local,
                where,
            )
            values[node] = handler(importer, call)
        elif node.op == "get_attr":
            values[node] = _attribute(module, str(node.target), where)
        elif node.op == "output":
            output = value(node.args[0])
    if not isinstance(output, Tensor):
        raise SpecError(
            f"forward returns {type(output).__name__}; from_torch reads a model with one tensor "
            "output"
        )
    if not importer.entries:
        importer.add({"type": "identity"}, "identity", [Tensor("input")])
    elif output.name != importer.entries[-1]["name"]:
        importer.add({"type": "identity"}, "output", [output])
    return importer.entries


def _attribute(module: Any, target: str, where: str) -> Attr:
    """A ``get_attr`` node: a parameter or buffer the model reads outside a leaf module."""
    parameters = dict(module.named_parameters())
    buffers = dict(module.named_buffers())
    tensor = parameters.get(target, buffers.get(target))
    if tensor is None:
        raise SpecError(
            "the model reads a tensor attribute that is neither a parameter nor a buffer (a "
            "constant symcnn cannot count)",
            where=where,
        )
    return Attr(target, tuple(int(size) for size in tensor.shape), target not in parameters)


def _call_module(importer: Importer, module: Any, node: Any, value: Any, where: str) -> Any:
    args = list(value(node.args))
    kwargs = dict(value(node.kwargs))
    kind = type(module).__name__
    for key in _CALL_KEYWORDS.get(kind, ()):
        kwargs.pop(key, None)
    kwargs = {key: arg for key, arg in kwargs.items() if arg is not None}  # masks left out
    if kind == "MultiheadAttention":
        args.extend(kwargs.pop(role) for role in ("query", "key", "value") if role in kwargs)
    if kwargs or not args or not all(isinstance(arg, Tensor) for arg in args):
        raise SpecError(
            "symcnn reads a module called on tensors only (no masks or states: "
            f"{', '.join(kwargs) or 'a non-tensor argument'})",
            where=where,
        )
    if kind == "MultiheadAttention":
        query, key, val = [*args, *[None] * 3][:3]
        key, val = key or query, val or key or query
        # self-attention is one input; [q, kv] when key and value are one tensor
        args = [query] if key == query and val == query else [query, key] if key == val else args
    out = _apply(importer, module, str(node.target), args, where)
    if kind == "MultiheadAttention":
        weights = f"the attention weights of {str(node.target)!r}, which symcnn does not describe"
        return (out, Unread(weights))
    if kind in TUPLE_OUTPUTS:
        if kind.endswith("Cell"):
            return (out, Unread(f"the cell state of {str(node.target)!r}"))
        directions = 2 if module.bidirectional else 1
        part = "both" if kind == "LSTM" else "h_n"
        return (out, FinalState(out, str(node.target), module.num_layers, directions, part))
    return out


def _apply(importer: Importer, module: Any, target: str, x: Any, where: str) -> Tensor:
    """A module's call (on a tensor or a list of them): its layer the first time, ``shares``
    after that."""
    x = x if isinstance(x, list) else [x]
    calls = importer.calls.get(target, 0)
    importer.calls[target] = calls + 1
    if calls:
        return importer.add({"shares": target}, f"{target}_{calls}", x)
    entry = module_entry(module, target)
    if entry is None:
        raise SpecError(
            f"symcnn has no layer for the module class {type(module).__module__}."
            f"{type(module).__qualname__} (see docs/import-export.md for the classes it reads)",
            where=where,
        )
    importer.names.discard(target)
    return importer.add(entry, target, x)


# ----------------------------------------------------------------------------------- hooks


def _from_hooks(
    module: Any, shape: list[Any], source: Any, dtype: str | None
) -> list[dict[str, Any]]:
    """Run the module once (a copy, on zeros of the probe size) and read its leaf modules in call
    order; refuse unless each one reads the previous one's output."""
    torch = require("torch")
    model = copy.deepcopy(module).eval()  # safe: Module.eval (train flag)
    calls: list[tuple[str, Any, Any, Any]] = []
    handles = []
    for name, sub in model.named_modules():
        if name and not any(True for _ in sub.children()):

            def hook(sub: Any, args: Any, out: Any, name: str = name) -> None:
                calls.append((name, sub, args[0] if args else None, out))

            handles.append(sub.register_forward_hook(hook))
    sizes = [size if isinstance(size, int) else PROBE_SIZE for size in shape]
    x = torch.zeros(1, *sizes, dtype=getattr(torch, dtype) if dtype else None)
    try:
        with torch.no_grad():
            out = model(x)
    except Exception as error:
        raise SpecError(
            f"running {type(module).__name__} on an input of shape {[1, *sizes]} failed "
            f"({type(error).__name__}: {error})"
        ) from None
    finally:
        for handle in handles:
            handle.remove()
    importer = Importer(source)
    importer.names.update(name for name, _ in model.named_modules() if name)
    previous, before = x, "the input"
    tensor = Tensor("input")
    for name, sub, given, produced in calls:
        if given is not previous:
            raise SpecError(
                f"the model is not a chain of its submodules: {name!r} does not read the output "
                f"of {before}, so its graph cannot be read without torch.fx",
                where=f"module {name!r}",
            )
        tensor = _apply(importer, sub, name, tensor, f"module {name!r}")
        previous, before = produced, repr(name)
    if out is not previous:
        raise SpecError(
            f"the model is not a chain of its submodules: its output is not the output of {before}"
        )
    if not importer.entries:
        importer.add({"type": "identity"}, "identity", [tensor])
    return importer.entries


# ----------------------------------------------------------------------------------- the check


def _check_counts(module: Any, net: Network, changed: bool) -> None:
    """Every parameter and buffer must belong to rows the network has: the row of its module
    (or of the nearest ancestor symcnn read as one layer), the rows a module's ops made
    (``features.0.1.layer_norm``), or its own ``Parameter`` row; and those rows must count what
    the module holds."""
    names = [row.name for row in net.rows]

    def under(owner: str, name: str) -> bool:
        return name == owner or name.startswith(f"{owner}.")

    held: dict[str, int] = {}
    for name, tensor in [*module.named_parameters(), *module.named_buffers()]:
        owner = name
        while owner and not any(under(owner, row) for row in names):
            owner = owner.rpartition(".")[0]
        if not owner:
            parent = name.rpartition(".")[0]
            own = sum(
                t.numel()
                for key, t in [*module.named_parameters(), *module.named_buffers()]
                if key.rpartition(".")[0] == parent
            )
            raise SpecError(
                f"module {parent!r} holds {own} parameters and buffers but forward never calls "
                "it as a layer symcnn reads, so the counts would be wrong",
                where=f"module {parent!r}" if parent else f"tensor {name!r}",
            )
        held[owner] = held.get(owner, 0) + tensor.numel()
    if changed:  # the caller asked for other widths: the module's counts no longer apply
        return
    counted: dict[str, Any] = {}
    shapes: dict[str, Any] = {}
    for row in net.rows:
        owners = [owner for owner in held if under(owner, row.name)]
        if owners:
            owner = max(owners, key=len)
            counted[owner] = counted.get(owner, sympy.Integer(0)) + row.params + row.buffers
            shapes.setdefault(owner, (row.input_shape, row.type))
    for owner, own in held.items():
        total = counted.get(owner, sympy.Integer(0))
        if total.is_number and total != own:
            shape, kind = shapes[owner]
            raise SpecError(
                f"the module holds {own} parameters and buffers, but on its input of shape "
                f"{list(shape)} symcnn counts {total}: the module does not fit "
                "its input (are its in_channels or in_features right?)",
                where=f"module {owner!r} ({kind})",
            )
    params = sum(p.numel() for p in module.parameters())
    buffers = sum(b.numel() for b in module.buffers())
    if net.params.is_number and (net.params, net.buffers) != (params, buffers):  # pragma: no cover
        raise SpecError(
            f"symcnn counts {net.params} parameters and {net.buffers} buffers, the module "
            f"{params} and {buffers}: a module or op was read wrongly"
        )
