"""Every input limit symcnn enforces, one named constant each, in one place (``docs/limits.md``).

The limits keep hostile or careless input cheap: no input can make symcnn hang, eat the memory or
fail with a traceback. Each refusal names its limit; to raise one, set the constant before
loading anything, e.g. ``symcnn.limits.MAX_SPEC_BYTES = 64 * 2**20``. The modules that enforce a
limit read it from here when they run, so a changed value takes effect at once.

This module imports nothing from symcnn: it sits at the bottom of the import order.
"""

from __future__ import annotations

__all__ = [
    "MAX_BITS",
    "MAX_BLOCK_NESTING",
    "MAX_CHOICES",
    "MAX_DASK_POINTS",
    "MAX_DEPTH",
    "MAX_DESCRIBED",
    "MAX_DOCUMENT_NESTING",
    "MAX_EXPANDED_TERMS",
    "MAX_EXPONENT",
    "MAX_HISTOGRAM_BINS",
    "MAX_INTEGER_DIGITS",
    "MAX_LENGTH",
    "MAX_LITERAL_DIGITS",
    "MAX_ROWS",
    "MAX_SEARCH_POINTS",
    "MAX_SPEC_BYTES",
    "MAX_SWEEP_POINTS",
    "MAX_YAML_NODES",
    "how_to_raise",
]

#: characters in one expression (a spec value, ``--set``, a formula to check)
MAX_LENGTH = 2000
#: levels of nesting (parentheses, signs, powers) in one expression
MAX_DEPTH = 60
#: the largest literal exponent in an expression (``d^2``, ``2^10``); an exponent that is not a
#: number (``2^k``) is refused: it makes the size of a value unbounded
MAX_EXPONENT = 256
#: digits in one number written in an expression (``62,958``, ``1e3`` counts the digits written)
MAX_LITERAL_DIGITS = 200
#: the bits a power of numbers may produce (2^256^256 would take gigabytes); about 3,900 digits
MAX_BITS = 13_000
#: terms a polynomial expression may have once expanded (``(m+n+d+k)^200`` has 1.4 million)
MAX_EXPANDED_TERMS = 5000
#: decimal digits in any integer symcnn reads or prints (Python refuses to print more than
#: 4,300 by default; this limit is below that so the refusal is symcnn's, with this name)
MAX_INTEGER_DIGITS = 4000
#: bytes in a spec, identities or exam file (and in spec text)
MAX_SPEC_BYTES = 16 * 2**20
#: YAML nodes a document may have once its aliases are expanded (a 4 KB ``&a [*a, *a, ...]`` tree
#: can stand for billions)
MAX_YAML_NODES = 1_000_000
#: nesting of a spec, identity or exam document (brackets plus indentation), refused before it is
#: parsed, so that no parser recurses that deep
MAX_DOCUMENT_NESTING = 1_000
#: characters of a value shown in an error message; longer values are cut with ``…``
MAX_DESCRIBED = 200
#: rows a network may have once every numeric ``repeat`` is unrolled
MAX_ROWS = 100_000
#: block uses nested inside each other (a block that uses a block that uses a block...)
MAX_BLOCK_NESTING = 32
#: points of a sweep grid, counted before any value is listed (``max_points=`` per call)
MAX_SWEEP_POINTS = 20_000_000
#: points of a sweep summarised chunk by chunk (``engine="dask"``): never held in memory at once
MAX_DASK_POINTS = 10**12
#: bins of one histogram of a sweep summary (``--bins``; each is a line of the text)
MAX_HISTOGRAM_BINS = 1000
#: grid points a solve search may visit, counted before any array is made (``--max-points``)
MAX_SEARCH_POINTS = 10_000_000
#: values one exam-template variable may take
MAX_CHOICES = 10_000


def how_to_raise(name: str) -> str:
    """The sentence each refusal ends with: which constant to change."""
    return f"(limit symcnn.limits.{name}; see docs/limits.md to raise it)"
