"""Memory, in bytes, for a dtype: parameters, buffers, the input, one forward pass's activations,
and a training step's estimate, per example or for a (symbolic) batch size.

Every figure is an exact formula in the spec's symbols, like the rest, read off the rows:

- ``param_bytes``: every learnable parameter, at the dtype's width (a layer applied again through
  ``shares`` holds no weights of its own; a ``repeat: L`` block's weights count ``L`` times).
- ``buffer_bytes``: every buffer. The running mean and variance take the dtype's width, but
  PyTorch's ``num_batches_tracked`` (one per BatchNorm or InstanceNorm that tracks running
  statistics) is an ``int64`` whatever the dtype: 8 bytes (``module.half()`` leaves it ``int64``).
- ``input_bytes``: every input, ``batch`` examples.
- ``activation_bytes``: every layer's output in one forward pass, ``batch`` examples: each row
  the output depends on (:func:`~symcnn.costs.live_rows`), counted once per application (a
  shared layer's second application is a second output; a ``repeat: L`` block's rows ``L``
  times). The input is not an activation (it is ``input_bytes``), nor is a learnable tensor's
  output (it is its weights) or the identity's (it is its input).
- ``training_bytes``: the estimate of a training step: the activations, all kept for the backward
  pass, plus the parameters, their gradients (as many, same dtype) and the optimizer's state
  (:data:`OPTIMIZERS` values per parameter). The input and the buffers are not in it (they are
  listed on their own); nor are temporary workspaces, or the float32 master copy mixed-precision
  training keeps: it is the textbook's count, not an allocator's.

torchinfo prints different sums, which :func:`torchinfo_memory` reproduces exactly (see
``docs/memory.md``): its "Forward/backward pass size" counts only the outputs of the layers that
have weights, twice ("x2 for gradients"), and its "Params size" leaves out the buffers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy

from ..errors import SpecError
from ..formula import Expr
from ..layers import Row
from ..parse import parse_expression
from ..symbols import user_symbol
from ._base import live_rows

__all__ = [
    "COUNTER_BYTES",
    "DEFAULT_DTYPE",
    "DEFAULT_OPTIMIZER",
    "DTYPES",
    "MEANINGS",
    "OPTIMIZERS",
    "TORCHINFO_CONTAINERS",
    "batch_size",
    "memory",
    "memory_report",
    "torchinfo_memory",
]

#: bytes of one value of each dtype (``torch.tensor([], dtype=...).element_size()``)
DTYPES: dict[str, int] = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1, "float64": 8}

#: bytes of ``num_batches_tracked``, PyTorch's batch counter of a normalization layer: an int64
COUNTER_BYTES = 8

#: the optimizer's state, in values per parameter: plain SGD keeps none (SGD with momentum keeps
#: a momentum buffer: 1), Adam two moments (``exp_avg`` and ``exp_avg_sq``: 2)
OPTIMIZERS: dict[str, int] = {"sgd": 0, "sgd_momentum": 1, "adam": 2}

DEFAULT_DTYPE = "float32"
#: cost families of layers torchinfo sees as a container, not a leaf module: MultiheadAttention
#: holds ``out_proj`` as a child it never calls (its forward uses the weight in a function), so
#: neither the attention's parameters nor its output are in torchinfo's sizes
TORCHINFO_CONTAINERS = ("attention",)
DEFAULT_OPTIMIZER = "sgd"

#: what each figure of :func:`memory` counts, in its order
MEANINGS: dict[str, str] = {
    "param_bytes": "the learnable parameters",
    "buffer_bytes": "the buffers (running statistics; each batch counter an int64)",
    "input_bytes": "the input",
    "activation_bytes": "every layer's output, one forward pass",
    "training_bytes": "activations + parameters + gradients + optimizer state",
}


def _width(dtype: str) -> int:
    if dtype not in DTYPES:
        raise SpecError(f"unknown dtype {dtype!r} (dtypes: {', '.join(DTYPES)})", field="dtype")
    return DTYPES[dtype]


def _states(optimizer: str) -> int:
    if optimizer not in OPTIMIZERS:
        raise SpecError(
            f"unknown optimizer {optimizer!r} (optimizers: {', '.join(OPTIMIZERS)})",
            field="optimizer",
        )
    return OPTIMIZERS[optimizer]


def batch_size(net: Any, batch: int | str | sympy.Expr = 1) -> Expr:
    """``batch`` as an expression: a positive number, or a symbol's name (``N``; the network's
    own symbol of that name if it has one) or an expression of symbols (``2*N``).

    >>> batch_size(None, "N"), batch_size(None, 8)
    (N, 8)
    """
    if isinstance(batch, bool):
        raise SpecError(f"batch size must be a number or a symbol, got {batch!r}", field="batch")
    if isinstance(batch, str):
        symbols = getattr(net, "symbols", {}) or {}
        value = parse_expression(batch, lambda name: symbols.get(name) or user_symbol(name))
    elif isinstance(batch, int):
        value = sympy.Integer(batch)
    elif isinstance(batch, sympy.Basic):
        value = batch
    else:
        raise SpecError(f"batch size must be a number or a symbol, got {batch!r}", field="batch")
    if value.is_number and not (value.is_integer and value >= 1):
        raise SpecError(
            f"batch size must be a whole number of at least 1, got {batch}", field="batch"
        )
    return value


def _counters(row: Row) -> int:
    """The row's int64 batch counters: one for a normalization layer tracking running statistics
    that holds its own buffers (a shared application holds none)."""
    if row.buffers == 0 or not getattr(row.layer, "track_running_stats", False):
        return 0
    return 1


def memory(
    net: Any,
    dtype: str = DEFAULT_DTYPE,
    optimizer: str = DEFAULT_OPTIMIZER,
    batch: int | str | sympy.Expr = 1,
) -> dict[str, Expr]:
    """The network's memory in bytes for ``dtype``, the training estimate for ``optimizer``, and
    ``batch`` examples (a number, or a symbol's name such as ``"N"``), as exact expressions in
    the order of :data:`MEANINGS`.

    >>> from symcnn.network import load
    >>> net = load({"input": [32, 32, 3], "layers": [
    ...     {"type": "conv2d", "out_channels": 8, "kernel_size": 5},
    ...     {"type": "batchnorm2d"}]})
    >>> memory(net)
    {'param_bytes': 2496, 'buffer_bytes': 72, 'input_bytes': 12288, 'activation_bytes': 50176, \
'training_bytes': 55168}
    >>> memory(net, "float16", "adam", batch="N")["training_bytes"]
    25088*N + 4992
    """
    width = _width(dtype)
    states = _states(optimizer)
    size = batch_size(net, batch)
    live = live_rows(net.rows, net.output)
    counters = sympy.Add(*(_counters(row) * row.multiplicity for row in net.rows))
    inputs = sympy.Add(*(sympy.Mul(*shape) for shape in net.inputs.values()))
    activations = sympy.Add(
        *(
            row.activation_size * row.multiplicity
            for row in net.rows
            if row.name in live and row.layer.new_output
        )
    )
    param_bytes = width * net.params
    activation_bytes = width * size * activations
    return {
        "param_bytes": param_bytes,
        "buffer_bytes": width * (net.buffers - counters) + COUNTER_BYTES * counters,
        "input_bytes": width * size * inputs,
        "activation_bytes": activation_bytes,
        "training_bytes": activation_bytes + (2 + states) * param_bytes,
    }


def memory_report(
    net: Any,
    dtype: str = DEFAULT_DTYPE,
    optimizer: str = DEFAULT_OPTIMIZER,
    batch: int | str | sympy.Expr = 1,
) -> dict[str, Any]:
    """:func:`memory` with the settings it was counted for first (``dtype``, ``bytes_per_value``,
    ``optimizer``, ``optimizer_states``, ``batch``): what ``summary --memory`` shows."""
    return {
        "dtype": dtype,
        "bytes_per_value": sympy.Integer(_width(dtype)),
        "optimizer": optimizer,
        "optimizer_states": sympy.Integer(_states(optimizer)),
        "batch": batch_size(net, batch),
        **memory(net, dtype, optimizer, batch),
    }


def torchinfo_memory(
    net: Any, dtype: str = DEFAULT_DTYPE, batch: int | str | sympy.Expr = 1
) -> dict[str, Expr]:
    """torchinfo's four sizes (``torchinfo.summary``'s ``ModelStatistics``, version 1.8), in bytes,
    for a model in ``dtype`` run on ``batch`` examples:

    - ``total_input``: the input's bytes. torchinfo adds ``sys.getsizeof``'s header of the
      input's storage object (64 bytes on CPython 3.11, PyTorch 2), which is Python's and not
      counted here.
    - ``total_output_bytes`` ("Forward/backward pass size"): twice ("x2 for gradients") the
      outputs of the layers that have parameters, every application (a ``shares`` row's too);
      ReLU, pooling, additions and the like are not counted, nor is a learnable tensor (a bare
      ``nn.Parameter`` is not a module).
    - ``total_param_bytes`` ("Params size"): the parameters of the modules; buffers are not
      counted, nor are learnable tensors (bare parameters of a module with children).
    - A ``MultiheadAttention`` (:data:`TORCHINFO_CONTAINERS`) is in neither: torchinfo sees a
      module with a child, ``out_proj``, that never runs.
    - ``total_bytes`` ("Estimated Total Size"): the sum of the three.

    >>> from symcnn.network import load
    >>> net = load({"input": [32, 32, 3], "layers": [
    ...     {"type": "conv2d", "out_channels": 8, "kernel_size": 5}, {"type": "relu"}]})
    >>> torchinfo_memory(net)
    {'total_input': 12288, 'total_output_bytes': 50176, 'total_param_bytes': 2432, \
'total_bytes': 64896}
    """
    width = _width(dtype)
    size = batch_size(net, batch)
    live = live_rows(net.rows, net.output)
    by_name: Mapping[str, Row] = {row.name: row for row in net.rows}

    def leaf(row: Row) -> bool:
        return row.layer.cost_family not in TORCHINFO_CONTAINERS

    def weighted(row: Row) -> bool:
        owner = by_name.get(row.shares, row) if row.shares is not None else row
        return bool(owner.params != 0) and leaf(owner)

    outputs = sympy.Add(
        *(
            row.activation_size * row.multiplicity
            for row in net.rows
            if row.name in live and weighted(row) and row.layer.new_output
        )
    )
    total_input = width * size * sympy.Add(*(sympy.Mul(*s) for s in net.inputs.values()))
    total_output = 2 * width * size * outputs
    # "Params size" adds up the leaf modules' parameters: a learnable tensor (a source, a bare
    # ``nn.Parameter`` of a module with children) and an attention's weights are in torchinfo's
    # "Total params" but not here
    tensors = sympy.Add(
        *(
            row.params * row.multiplicity
            for row in net.rows
            if row.layer.arity == 0 or not leaf(row)
        )
    )
    total_param = width * (net.params - tensors)
    return {
        "total_input": total_input,
        "total_output_bytes": total_output,
        "total_param_bytes": total_param,
        "total_bytes": total_input + total_output + total_param,
    }
