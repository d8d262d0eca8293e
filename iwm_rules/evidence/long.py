"""Long layout (DESIGN §3): one row per piece of evidence, header row in the first 20 rows."""
from __future__ import annotations

import pandas as pd

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
    if isinstance(rows, GridRows) and len(body):  # a csv read into columns: take them as they are
        frame = pd.DataFrame({name: rows.column(i, header_at + 1) for i, name in cols.items()}, dtype=object)
    else:
        grid = pd.DataFrame(body, dtype=object) if body else pd.DataFrame()  # ragged rows are padded with None
        frame = pd.DataFrame({name: (grid[i] if i in grid else pd.Series([None] * len(grid), dtype=object))
                              for i, name in cols.items()})
    start = first_row + header_at + 1
    frame["file"] = file
    frame["sheet"] = sheet or ""
    frame["row"] = range(start, start + len(body))
    return frame
