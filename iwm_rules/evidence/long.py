"""Long layout (DESIGN §3): one row per piece of evidence, header row in the first 20 rows."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .arrays import repeated
from .columns import REPORT_USE_COLUMNS, header_key, map_headers
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


def unread_columns(rows, header_at: int, cols: dict[int, str], skip=()) -> list[tuple[int, str, int]]:
    """(column index, header text, cells with a value) for each column below the header that no
    field is read from: a header no field is named by, or no header at all. ``skip``: columns
    already reported otherwise (an alias column beside the exact one)."""
    header = rows[header_at] if len(rows) > header_at else []
    if isinstance(rows, GridRows):
        width = len(rows.grid.columns)
        counts = {j: int(pd.notna(rows.column(j, header_at + 1)).sum()) for j in range(width)
                  if j not in cols and j not in skip}
    else:
        body = rows[header_at + 1:]
        width = len(body[0]) if body else 0  # raw sheets are rectangular (readers pad short rows)
        extra = [j for j in range(width) if j not in cols and j not in skip]
        counts = {j: sum(1 for r in body if j < len(r) and r[j] is not None and r[j] != "") for j in extra}
    out = []
    for j, n in counts.items():
        text = str(header[j]).strip() if j < len(header) and header[j] not in (None, "") else ""
        if n and not (text and (header_key(text) in _NOT_EVIDENCE or text == "#")):
            out.append((j, text, n))
    return out


#: headers of columns that are known not to be evidence: row numbers, and what an iwm-rules
#: report adds after the evidence columns (what each item served: read back, it is not evidence)
_NOT_EVIDENCE = frozenset({"no", "nr", "nbr", "num", "number", "seq", "index", "idx", "rowno", "row",
                           *(header_key(c) for c in REPORT_USE_COLUMNS)})
