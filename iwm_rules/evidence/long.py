"""Long layout (DESIGN §3): one row per piece of evidence, header row in the first 20 rows."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .arrays import repeated
from .columns import map_headers
from .limits import GridRows

HEADER_SCAN_ROWS = 20


def find_header(rows: list[list]) -> tuple[int, dict[int, str]] | None:
    """(index of the header row, its column map), or None when the sheet is not long layout."""
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cols = map_headers(row)
        names = set(cols.values())
        if {"practice", "work_product"} <= names:
            return i, cols
    return None


def candidate_frame(rows: list[list], header_at: int, cols: dict[int, str], *, file: str,
                    sheet: str | None, first_row: int) -> pd.DataFrame:
    """The rows below the header as a frame of canonical columns with file/sheet/row."""
    body = rows[header_at + 1:]
    n = len(body)
    if isinstance(rows, GridRows):  # a csv read into columns: take them as they are
        data = {name: rows.column(i, header_at + 1) for i, name in cols.items()}
    else:
        width = max(map(len, body), default=0)
        if min(map(len, body), default=0) != width:  # ragged rows are padded with None
            body = [r + [None] * (width - len(r)) for r in body]
        columns = list(zip(*body)) if body else []

        def column(values) -> np.ndarray:
            out = np.empty(n, dtype=object)  # never inferred: a cell keeps the type it was read with
            out[:] = values
            return out

        data = {name: column(columns[i] if i < width else [None] * n) for i, name in cols.items()}
    start = first_row + header_at + 1
    data["file"] = repeated(n, file)
    data["sheet"] = repeated(n, sheet or "")
    data["row"] = np.arange(start, start + n)
    return pd.DataFrame(data, copy=False)
