"""What the raw readers return and the limits they enforce (shared by raw.py, zipgate.py, csvread.py)."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import EvidenceFileError
from .arrays import repeated

_KiB = 2**10
_MiB = 2**20
_GiB = 2**30

_NOT_A_SPREADSHEET = "not a spreadsheet (expected .xlsx, .xlsm or .csv)"
_DAMAGED = "not a valid xlsx (damaged or truncated zip)"


@dataclass(frozen=True)
class Limits:
    """Size limits applied before and while reading one evidence file."""

    max_file_bytes: int = 200 * _MiB  # on-disk size
    max_uncompressed_bytes: int = 1 * _GiB  # sum of zip members' sizes (declared and inflated)
    max_member_bytes: int = 512 * _MiB  # one zip member's size (declared and inflated)
    max_ratio: float = 200.0  # per-member uncompressed/compressed (members over 1 MiB)
    max_members: int = 10_000
    max_cell_chars: int = 1_000_000  # csv field / text cell
    max_rows: int = 2_000_000  # per sheet, after trailing blank rows are dropped
    max_cells: int = 50_000_000  # rows x columns of a worksheet's used range (~32 bytes each in the reader)


@dataclass
class RawSheet:
    """The values of one sheet (or of a csv), top-left aligned on its first non-blank row."""

    file: str  # path as given
    sheet: str | None  # sheet name; None for csv
    rows: list[list]  # str, int, float, bool, date/datetime (time/timedelta for such formats); '' or None = empty
    first_row: int = 1  # spreadsheet row number of rows[0] (1-based, as Excel shows it)
    encoding: str | None = None  # csv only: the encoding the file was decoded with
    delimiter: str | None = None  # csv only
    hidden: bool = False  # workbook only: the sheet is hidden in Excel
    #: workbook only: merged ranges as (first row, first column, last row, last column) indexes into
    #: ``rows`` (0-based, inclusive; a range may start above or left of the rows read). Their value
    #: was copied into every cell they span (Excel keeps it in the top-left cell only).
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    #: workbook only: the cells that hold such a copy, {row index: [(first column, last column), ...]}
    filled: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    #: csv only: cells whose bytes are not in the file's encoding, as
    #: (row number, column index, the cell with U+FFFD for each bad byte, what was wrong)
    bad_cells: list[tuple[int, int, str, str]] = field(default_factory=list)
    #: csv read column by column: the cells as columns 0..w-1 (object dtype, None for an empty
    #: cell), the same cells as ``rows`` (then a :class:`GridRows` over this frame); else None
    grid: pd.DataFrame | None = None


class GridRows(Sequence):
    """The rows of a columnar sheet as a read-only sequence of row lists, each built on demand.

    Behaves like the ``list[list]`` of a row-by-row reader for every consumer (length, index,
    slice, iteration, comparison with a list), while the cells stay in the grid's columns."""

    __slots__ = ("grid", "_cols", "_index", "_blank")

    def __init__(self, grid: pd.DataFrame, blank: np.ndarray | None = None):
        """``blank``: which rows of ``grid`` hold no value, when the reader knows it already."""
        self.grid = grid
        self._cols = [grid[c].to_numpy(dtype=object) for c in grid.columns]
        self._index = range(len(grid))
        self._blank = blank

    def _view(self, index: range) -> GridRows:
        out = object.__new__(GridRows)
        out.grid, out._cols, out._index, out._blank = self.grid, self._cols, index, None
        return out

    def __len__(self) -> int:
        return len(self._index)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return self._view(self._index[i])
        k = self._index[i]  # IndexError past the end, negative indexes count from the end
        return [col[k] for col in self._cols]

    def __iter__(self):
        cols = self._cols
        for k in self._index:
            yield [col[k] for col in cols]

    def __eq__(self, other) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == list(b) for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"GridRows({len(self)} rows x {len(self._cols)} columns)"

    def column(self, j: int, start: int = 0) -> np.ndarray:
        """Column ``j`` (object array, None for an empty cell) from row ``start`` of this sequence;
        all None past the last column."""
        index = self._index[start:]
        if j >= len(self._cols):
            return repeated(len(index), None)
        col = self._cols[j]
        return col[index.start:index.stop] if index.step == 1 else col[np.arange(index.start, index.stop, index.step)]

    def blank(self) -> np.ndarray:
        """Boolean mask: which rows hold no value at all."""
        if self._blank is not None:
            return self._blank
        mask = np.ones(len(self._index), dtype=bool)
        for j in range(len(self._cols)):
            mask &= pd.isna(self.column(j))
        return mask


class LimitExceededError(EvidenceFileError):
    """A file is over one of the :class:`Limits`; ``limit`` names the field that stopped it."""

    def __init__(self, path: str, message: str, limit: str):
        super().__init__(path, message)
        self.limit = limit


def _size(n: int) -> str:
    for unit, div in (("GiB", _GiB), ("MiB", _MiB), ("KiB", _KiB)):
        if n >= div:
            v = n / div
            return f"{v:.1f} {unit}" if unit == "GiB" or v != int(v) else f"{int(v)} {unit}"
    return f"{n} bytes"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if len(text) > 300:
        text = text[:297] + "..."
    return text
