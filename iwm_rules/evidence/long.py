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
        grid = _object_grid(body)
        width = grid.shape[1]
        data = {name: grid[:, i] if i < width else repeated(n, None) for i, name in cols.items()}
    start = first_row + header_at + 1
    data["file"] = repeated(n, file)
    data["sheet"] = repeated(n, sheet or "")
    frame = pd.DataFrame(data, dtype=object, copy=False)  # cells keep the type they were read with
    frame["row"] = np.arange(start, start + n)
    return frame


def _object_grid(rows: list[list]) -> np.ndarray:
    """Rows as a 2-D object array, short rows padded with None (pandas' C routine when present)."""
    if not rows:
        return np.empty((0, 0), dtype=object)
    try:
        from pandas._libs.lib import to_object_array
    except ImportError:  # pragma: no cover - a pandas without it: the public, slower way
        return pd.DataFrame(rows, dtype=object).to_numpy()
    return to_object_array(rows)
