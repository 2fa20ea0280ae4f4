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
