"""What the raw readers return and the limits they enforce (shared by raw.py, zipgate.py, csvread.py)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import EvidenceFileError

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
