"""The sweep's CSV written by NumPy (symcnn._csv_columns) is the CSV the csv module writes."""

from __future__ import annotations

import csv
import io

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from symcnn import _csv_columns
from symcnn._csv_columns import csv_lines

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


def reference(columns: list[np.ndarray], valid: np.ndarray, blank_from: int) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for i, ok in enumerate(valid.tolist()):
        cells = [
            str(column[i]) if ok or position < blank_from else ""
            for position, column in enumerate(columns)
        ]
        writer.writerow([*cells, "true" if ok else "false"])
    return buffer.getvalue()


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[np.ndarray], np.ndarray, int]:
    rows = draw(st.integers(0, 40))
    width = draw(st.integers(1, 4))
    elements = st.sampled_from([INT64, st.integers(-9, 9)])
    columns = [draw(hnp.arrays(np.int64, rows, elements=draw(elements))) for _ in range(width)]
    valid = draw(hnp.arrays(np.bool_, rows))
    return columns, valid, draw(st.integers(0, width))


@given(tables())
def test_numpy_csv_is_the_csv_modules(table: tuple[list[np.ndarray], np.ndarray, int]) -> None:
    columns, valid, blank_from = table
    assert csv_lines(columns, valid, blank_from) == reference(columns, valid, blank_from)


def test_blocks_of_rows_join_seamlessly(monkeypatch) -> None:
    monkeypatch.setattr(_csv_columns, "BLOCK_ROWS", 3)
    columns = [np.arange(-5, 5) * 10**17, np.arange(10)]
    valid = np.arange(10) % 3 != 0
    assert csv_lines(columns, valid, 1) == reference(columns, valid, 1)


#: the digit counts' and the division stages' edges: 10^k - 1 and 10^k, uint32's largest, 10^8
#: (where a 64-bit magnitude is split), and int64's extremes
EDGES = sorted(
    {
        edge + offset
        for edge in [*(10**k for k in range(19)), 2**32, 2**31, 10**8 * 2**32]
        for offset in (-1, 0, 1)
    }
    | {2**63 - 1, 0}
)


def test_every_digit_count_and_division_stage_is_written_as_python_writes_it() -> None:
    magnitudes = np.array(EDGES, np.int64)
    column = np.concatenate([magnitudes, -magnitudes, [-(2**63)]])
    small = np.arange(len(column), dtype=np.int64) % 7 - 3  # a column of one digit and a sign
    valid = np.arange(len(column)) % 3 != 0
    for columns in ([column], [small, column], [column, small, column]):
        for blank_from in range(len(columns) + 1):
            assert csv_lines(columns, valid, blank_from) == reference(columns, valid, blank_from)
