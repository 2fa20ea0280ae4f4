"""Every symbol of symcnn's notation, defined once, with its assumptions and its meaning.

The core names come from the seed texts: ``m``, ``n`` (filter width, height), ``d`` (input depth),
``k`` (filters), ``c`` and ``p`` (neurons in this / the previous layer) and ``bias`` (0 or 1).
The rest are what the other layers need. ``p`` is taken, so padding is ``z`` (zero padding);
per-axis quantities carry the axis as a suffix: ``w`` (width), ``h`` (height), ``t`` (the third
spatial axis of 3-D layers, depth or time).

>>> from symcnn.symbols import m, n, d, k, bias
>>> (m * n * d + bias) * k
k*(bias + d*m*n)
>>> describe("z_w")
'zero padding on each side of the width axis'
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

__all__ = [
    "AXES",
    "NOTATION",
    "Notation",
    "axis_symbols",
    "bias",
    "c",
    "d",
    "describe",
    "g",
    "k",
    "m",
    "n",
    "p",
    "t",
    "user_symbol",
]

SIZE = {"integer": True, "positive": True}
COUNT = {"integer": True, "nonnegative": True}


@dataclass(frozen=True)
class Notation:
    """One symbol of the notation: the SymPy symbol, what it means and where it comes from."""

    symbol: sympy.Symbol
    meaning: str
    source: str


NOTATION: dict[str, Notation] = {}


def _define(name: str, meaning: str, source: str, **assumptions: bool) -> sympy.Symbol:
    symbol = sympy.Symbol(name, **(assumptions or SIZE))
    NOTATION[name] = Notation(symbol, meaning, source)
    return symbol


SEEDS = "seed texts"
TORCH = "PyTorch docs"
KERAS = "Keras docs"

m = _define("m", "filter (kernel) width", SEEDS)
n = _define("n", "filter (kernel) height", SEEDS)
t = _define("t", "filter (kernel) depth, the third spatial axis of 3-D layers", TORCH)
d = _define("d", "depth of the input: channels or filters of the previous layer", SEEDS)
k = _define("k", "number of filters (output channels)", SEEDS)
c = _define("c", "neurons in this layer (out_features)", SEEDS)
p = _define("p", "neurons in the previous layer (in_features)", SEEDS)
bias = _define(
    "bias", "1 if the layer has a bias (one per filter or neuron), else 0", SEEDS, **COUNT
)
g = _define("g", "groups of a grouped convolution or of GroupNorm", TORCH)
N = _define("N", "elements in LayerNorm's normalized_shape", TORCH)
P = _define("P", "learnable slopes of PReLU (num_parameters)", TORCH)

# -- sequence models: embeddings and recurrent layers (RNN, LSTM, GRU and their cells).
# The gates per layer (1 for RNN, 3 for GRU, 4 for LSTM) are written as the constants a textbook
# writes; the bias vectors per gate set are a symbol, because frameworks differ (PyTorch: 2,
# b_ih and b_hh; Keras: 1 for SimpleRNN, LSTM and GRU with reset_after=False).
V = _define("V", "embeddings in an Embedding's table (num_embeddings, the vocabulary)", TORCH)
d_e = _define("d_e", "size of each embedding vector (embedding_dim)", TORCH)
h = _define("h", "hidden size of a recurrent layer (hidden_size): features of its state", TORCH)
h_in = _define("h_in", "input features of a recurrent layer (input_size)", TORCH)
h_p = _define(
    "h_p", "projection size of an LSTM (proj_size): 0 without a projection", TORCH, **COUNT
)
N_l = _define("N_l", "stacked layers of a recurrent layer (num_layers)", TORCH)
N_d = _define("N_d", "directions of a recurrent layer: 2 if bidirectional, else 1", TORCH)
v = _define(
    "v",
    "bias vectors per gate set of a recurrent layer: 2 in PyTorch (b_ih and b_hh), 1 in Keras "
    "(2 in its GRU with reset_after)",
    TORCH,
)
l = _define("l", "time steps of a recurrent layer's input (the sequence length)", TORCH)  # noqa: E741
# -- attention and transformers (MultiheadAttention, Transformer*): PyTorch's E is `e` (a Symbol
# named E would print and read as SymPy's Euler number) and its F `e_ff` (`f` and `F` are taken
# by the checker's hint that the filter size is m)
e = _define("e", "embedding size of attention (embed_dim, d_model: E in PyTorch's docs)", TORCH)
e_k = _define("e_k", "width of attention's key input (kdim)", TORCH)
e_v = _define("e_v", "width of attention's value input (vdim)", TORCH)
bias_kv = _define(
    "bias_kv", "1 if attention learns bias_k and bias_v (add_bias_kv), else 0", TORCH, **COUNT
)
zero_attn = _define(
    "zero_attn",
    "1 if attention appends a zero key and value (add_zero_attn), else 0",
    TORCH,
    **COUNT,
)
heads = _define(
    "heads", "attention heads (num_heads, nhead); no PyTorch count depends on them", TORCH
)
L_q = _define("L_q", "length of attention's query sequence", TORCH)
L_k = _define("L_k", "length of attention's key and value sequences", TORCH)
# -- Keras's MultiHeadAttention (convention: keras): per-head sizes, not a split embed_dim
d_k = _define("d_k", "query and key features per head of Keras's attention (key_dim)", KERAS)
d_v = _define(
    "d_v", "value features per head of Keras's attention (value_dim, default key_dim)", KERAS
)
e_o = _define(
    "e_o", "output features of Keras's attention (output_shape, default the query's)", KERAS
)
e_ff = _define(
    "e_ff", "width of a transformer layer's feedforward network (dim_feedforward)", TORCH
)
l_e = _define("l_e", "encoder layers of a transformer (num_layers, num_encoder_layers)", TORCH)
l_d = _define("l_d", "decoder layers of a transformer (num_layers, num_decoder_layers)", TORCH)
norm = _define(
    "norm", "1 if a transformer stack ends with a LayerNorm (norm), else 0", TORCH, **COUNT
)
# -- receptive fields (symcnn/receptive.py): the recurrence of Araujo, Norris & Sim (Distill 2019)
DISTILL = "Distill (Araujo et al. 2019)"
R_in = _define(
    "R_in",
    "receptive field of a layer's input along one axis: the input region one position reads",
    DISTILL,
)
J_in = _define(
    "J_in", "jump of a layer's input: input positions between neighbouring positions' fields",
    DISTILL,
)

#: spatial axes by suffix, in PyTorch's order for 3-D inputs (depth/time, height, width)
AXES = {"t": "depth", "h": "height", "w": "width"}
_INPUT_SIZE = {"t": "T", "h": "H", "w": "W"}
_KERNEL = {"t": t, "h": n, "w": m}


def _per_axis(stem: str, meaning: str, assumptions: dict[str, bool]) -> dict[str, sympy.Symbol]:
    return {
        axis: _define(f"{stem}_{axis}", f"{meaning} the {name} axis", TORCH, **assumptions)
        for axis, name in AXES.items()
    }


_SIZES = {
    axis: _define(_INPUT_SIZE[axis], f"input size along the {name} axis", TORCH)
    for axis, name in AXES.items()
}
_STRIDE = _per_axis("s", "stride along", SIZE)
_PADDING = _per_axis("z", "zero padding on each side of", COUNT)
_DILATION = _per_axis("r", "dilation (rate) along", SIZE)
_OUTPUT_PADDING = _per_axis("a", "output_padding of a transposed conv on", COUNT)


@dataclass(frozen=True)
class AxisSymbols:
    """The symbols of one spatial axis: input size, kernel extent, stride, padding, dilation."""

    size: sympy.Symbol
    kernel: sympy.Symbol
    stride: sympy.Symbol
    padding: sympy.Symbol
    dilation: sympy.Symbol
    output_padding: sympy.Symbol


def axis_symbols(spatial_dims: int) -> tuple[AxisSymbols, ...]:
    """The per-axis symbols of a layer with ``spatial_dims`` spatial axes, in PyTorch's axis order.

    1-D layers act along the width axis; 2-D along (height, width); 3-D along (depth, height,
    width).
    """
    axes = ("t", "h", "w")[3 - spatial_dims :]
    return tuple(
        AxisSymbols(
            _SIZES[a], _KERNEL[a], _STRIDE[a], _PADDING[a], _DILATION[a], _OUTPUT_PADDING[a]
        )
        for a in axes
    )


def describe(name: str) -> str:
    """The one-line meaning of a notation symbol."""
    return NOTATION[name].meaning


def user_symbol(name: str, *, nonnegative: bool = False) -> sympy.Symbol:
    """The symbol a spec means by ``name``.

    A notation name gives the notation's symbol, so ``k`` in a spec is the ``k`` of the formulas.
    Other names are positive integers, or nonnegative integers where they stand for a bias flag.
    """
    if name in NOTATION:
        return NOTATION[name].symbol
    return sympy.Symbol(name, **(COUNT if nonnegative else SIZE))
