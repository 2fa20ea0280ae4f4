"""Composition: a normalized spec becomes rows — inputs, ``from`` edges, blocks, repeats, shares.

One walk over the spec, in its order, with blocks unrolled where they are used. Every layer is
bound to the tensors it reads (the previous entry's by default, or what ``from`` names); a block
use expands the block's layers under a qualified prefix (``layer1.0.conv1``, as PyTorch names
modules); ``shares`` binds an earlier layer (or block) again with its weights, so the row has no
parameters of its own. Checks that wait for symbols are collected, and a check that fails now
raises at once. Nothing here renders, solves or simplifies.

Input limits (in :mod:`symcnn.limits`, documented in ``docs/limits.md``): ``MAX_ROWS`` rows
after unrolling, ``MAX_BLOCK_NESTING`` block uses inside each other.
"""

from ._compose import compose
from ._scope import MAX_BLOCK_NESTING, MAX_ROWS, Built, Group

__all__ = ["MAX_BLOCK_NESTING", "MAX_ROWS", "Built", "Group", "compose"]
