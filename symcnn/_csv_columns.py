"""CSV text of integer columns at NumPy speed: a million rows in a fraction of a second.

Python's ``str`` of each cell and a ``",".join`` per row cost about a microsecond a cell, seconds
for a sweep of a million points; NumPy's own ``astype(str)`` is slower still. Here every cell of a
block of rows is written at once as ASCII bytes: the digits of an ``int64`` column come out of
``% 10`` and ``// 10`` on the whole column, right-aligned in a byte matrix with one row per line;
the matrices of the columns, the commas and the newlines are laid side by side, and a mask of
the bytes each cell really uses (its length) reads the lines out in order. Only ``int64``
columns come here (:mod:`symcnn.sweep` sends a column of Python integers past ``int64`` the slow,
exact way).

>>> import numpy as np
>>> big = np.array([0, -12, 2**63 - 1])
>>> csv_lines([big, np.array([5, 6, -(2**63)])], np.array([True, False, True]), blank_from=1)
'0,5,true\\n-12,,false\\n9223372036854775807,-9223372036854775808,true\\n'
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["BLOCK_ROWS", "csv_lines"]

#: rows written at a time: bounds the byte matrices (about 60 bytes a row for a typical sweep)
BLOCK_ROWS = 1 << 16

_ZERO, _MINUS, _COMMA, _NEWLINE = (ord(char) for char in "0-,\n")
_TRUE, _FALSE = np.frombuffer(b"true ", np.uint8), np.frombuffer(b"false", np.uint8)


def _magnitudes(column: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """``|x|`` of an ``int64`` column (``uint64`` only where the most negative ``int64`` needs
    it, since ``int64`` division is the faster), the signs, and the most digits of a cell."""
    negative = column < 0
    magnitude = np.where(negative, ~column, column)  # ~x = -x - 1 >= 0, exact for every int64
    largest = int(magnitude.max()) + 1 if len(magnitude) else 0
    if largest > np.iinfo(np.int64).max:
        magnitude = magnitude.astype(np.uint64) + negative.astype(np.uint64)
    else:
        magnitude = magnitude + negative
    return magnitude, negative, len(str(largest))


#: ``"0000"`` to ``"9999"`` as ASCII, four bytes to a ``uint32`` (one ``take`` reads a column's
#: next four digits: much faster than indexing rows of a byte matrix)
_QUADS = (
    (np.arange(10000)[:, None] // np.array([1000, 100, 10, 1]) % 10 + _ZERO)
    .astype(np.uint8)
    .view(np.uint32)
    .ravel()
)
#: ``10, 100, …``: a magnitude's number of digits is one more than how many of these it reaches
_POWERS = {
    np.dtype(np.int64): np.array([10**i for i in range(1, 19)], np.int64),
    np.dtype(np.uint64): np.array([10**i for i in range(1, 20)], np.uint64),
}
#: the digits are divided out of ``uint32`` where they fit: many times faster than ``int64``
_SMALL = np.dtype(np.uint32)
_SMALL_MAX = np.iinfo(np.uint32).max
_TEN_THOUSAND = np.uint32(10000)


def _quads(matrix: np.ndarray, end: int, rest: np.ndarray, count: int) -> int:
    """Write up to ``count`` groups of four digits of ``uint32`` ``rest`` into ``matrix``'s
    columns before ``end`` (not into its first, the sign's), and return where they start."""
    for _ in range(count):
        if end <= 1:
            break
        higher = rest // _TEN_THOUSAND  # np.divmod is slower: it divides twice
        quad = np.take(_QUADS, rest - higher * _TEN_THOUSAND).view(np.uint8).reshape(-1, 4)
        rest = higher
        start = max(1, end - 4)
        matrix[:, start:end] = quad[:, 4 - (end - start) :]
        end = start
    return end


def _cells(
    rest: np.ndarray,
    negative: np.ndarray,
    shown: np.ndarray | None,
    matrix: np.ndarray,
    used: np.ndarray,
) -> None:
    """Write a column of magnitudes ``rest`` and signs ``negative`` (:func:`_magnitudes`) into
    ``matrix`` (one byte for a sign, then room for its most digits), right-aligned, and mark in
    ``used`` the bytes each cell uses (none where ``shown`` is False: a blank cell)."""
    width = matrix.shape[1]
    # the same dtype as the magnitudes: a mixed int64/uint64 search would compare as floats
    length = np.searchsorted(_POWERS[rest.dtype], rest, side="right") + 1
    end = width
    while end > 1:  # the zeros left of a cell's digits are written but not used
        if rest.dtype != _SMALL and rest.max(initial=0) > _SMALL_MAX:
            rest, low = np.divmod(rest, 10**8)  # 64-bit division is slow: once per 8 digits
            end = _quads(matrix, end, low.astype(_SMALL), 2)
        else:
            end = _quads(matrix, end, rest.astype(_SMALL, copy=False), width)
    rows = np.flatnonzero(negative)
    matrix[rows, width - 1 - length[rows]] = _MINUS
    length += negative
    if shown is not None:
        length = np.where(shown, length, 0)
    np.greater_equal(np.arange(width)[None, :], (width - length)[:, None], out=used)


def csv_lines(columns: Sequence[np.ndarray], valid: np.ndarray, blank_from: int) -> str:
    """The CSV lines (no header) of ``int64`` ``columns`` and a last ``valid`` column of
    ``true``/``false``; the cells of the columns from ``blank_from`` on are blank where ``valid``
    is False. Each line ends with a newline."""
    signed = [_magnitudes(column) for column in columns]
    widths = [digits + 1 for _, _, digits in signed]
    total = sum(widths) + len(columns) + len(b"false\n")
    out: list[bytes] = []
    for start in range(0, len(valid), BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, len(valid))
        block = valid[start:stop]
        matrix = np.empty((stop - start, total), np.uint8)
        used = np.ones((stop - start, total), bool)
        at = 0
        for position, ((rest, negative, _), width) in enumerate(zip(signed, widths, strict=True)):
            shown = block if position >= blank_from else None
            piece = slice(at, at + width)
            rows = slice(start, stop)
            _cells(rest[rows], negative[rows], shown, matrix[:, piece], used[:, piece])
            matrix[:, at + width] = _COMMA
            at += width + 1
        matrix[:, at : at + 5] = np.where(block[:, None], _TRUE[None, :], _FALSE[None, :])
        used[:, at + 4] = ~block  # "true" is one byte shorter
        matrix[:, at + 5] = _NEWLINE
        out.append(matrix[used].tobytes())
    return b"".join(out).decode("ascii")
