"""Raw readers: the cell values of every sheet of a workbook, or of a csv, as plain rows.

Nothing here knows about layouts or column names. ``read_raw`` returns :class:`RawSheet`
objects (rows of plain Python values plus the spreadsheet row number of the first row), and
every way a file can fail becomes one :class:`~iwm_rules.errors.EvidenceFileError` whose
message is a single line.

Safety (DESIGN §8). The Rust reader, python-calamine, aborts the whole process (no
exception to catch) when a workbook inflates to gigabytes, when one cell is gigantic, or
when a few far-apart cells make the dense cell grid it allocates enormous (one cell in A1
and one in XFD1048576: a 1 KB file asking for 512 GiB). So before calamine sees a workbook,
:func:`inspect_zip`

1. checks the zip central directory: member count, declared sizes, compression ratio and
   compression method;
2. inflates every member itself, counting the bytes really produced (a zip can lie about
   its sizes), and scans the XML parts the reader parses (everything under ``xl/``) for
   DOCTYPE/ENTITY declarations, non-UTF-8 encodings and gigantic text runs;
3. bounds the used range (rows x columns) that each worksheet part's cells will occupy,
   refusing one larger than ``Limits.max_cells``.

Formulas and macros are never evaluated: calamine reads the cached cell values only, and
the VBA project of an .xlsm is never opened.

Meaning. A merged range's value is copied into every cell of the range (:attr:`RawSheet.merged`,
:attr:`RawSheet.filled`). A csv that mixes UTF-8 with a legacy encoding is decoded in the
majority one and the cells in the other are listed in :attr:`RawSheet.bad_cells`. Only what a
reader raises becomes an :class:`EvidenceFileError`; any other exception is a bug and propagates.
"""
from __future__ import annotations

import contextlib
import csv
import os
import stat
import zipfile
import zlib
from typing import IO
from collections.abc import Iterator

import python_calamine

from ..errors import EvidenceFileError
from .limits import _DAMAGED, _NOT_A_SPREADSHEET, _GiB, _KiB, _MiB, LimitExceededError, Limits, RawSheet, _one_line, _size  # noqa: F401
from .csvread import _read_csv
from .zipgate import _inspect_open_zip

__all__ = ["Limits", "RawSheet", "LimitExceededError", "read_raw", "inspect_zip"]


# --------------------------------------------------------------------------- entry points

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_CSV_SUFFIXES = (".csv", ".txt", ".tsv")


def read_raw(path, *, limits: Limits | None = None, sheets: list[str] | None = None) -> list[RawSheet]:
    """Every sheet (or the named ones) of an xlsx/xlsm workbook, or the one table of a csv.

    The format is decided by the file's content (zip, OLE) and, for text, by its suffix.
    Leading and trailing blank rows are dropped; an empty cell is '' (workbooks) or None;
    ``first_row`` is the row number Excel shows for ``rows[0]``. Raises :class:`EvidenceFileError` (one
    line, naming the file) for anything that cannot be read; any other exception is a bug.
    """
    limits = limits or Limits()
    name = str(path)
    with _one_line_errors(name, "reading"), _open_regular(path, name, limits) as fh:
        head = fh.read(8)
        if head.startswith(_ZIP_MAGICS):
            return _read_workbook(fh, name, limits, sheets)
        if head.startswith(_OLE_MAGIC):
            raise EvidenceFileError(
                name, "password-protected or legacy .xls workbook: save it as .xlsx without a password"
            )
        if name.lower().endswith(_CSV_SUFFIXES):
            return [_read_csv(fh, name, limits)]
        raise EvidenceFileError(name, _NOT_A_SPREADSHEET)


def inspect_zip(path, limits: Limits | None = None) -> None:
    """Refuse a hostile or broken workbook zip before any reader opens it.

    Checks the central directory (member count, declared sizes and ratios, compression
    method), then inflates every member counting the bytes really produced, refusing XML
    entity declarations, non-UTF-8 XML, gigantic text runs and worksheet cell ranges over
    ``limits.max_cells``. Raises :class:`EvidenceFileError`; returns None when the zip is safe
    to hand to a reader.
    """
    limits = limits or Limits()
    name = str(path)
    with _one_line_errors(name, "checking"), _open_regular(path, name, limits) as fh:
        _inspect_open_zip(fh, name, limits)


#: What the readers (python-calamine, zipfile, zlib, csv, the file system) raise for a file they
#: cannot read. Anything else raised while reading is a bug in this package and propagates.
_READER_ERRORS = (python_calamine.CalamineError, OSError, zipfile.BadZipFile, zlib.error, EOFError, csv.Error,
                  UnicodeError)


def _is_rust_panic(exc: BaseException) -> bool:
    """pyo3's PanicException (a Rust panic inside a reader): a BaseException, not importable by name."""
    return any(c.__name__ == "PanicException" for c in type(exc).__mro__)


@contextlib.contextmanager
def _one_line_errors(name: str, doing: str) -> Iterator[None]:
    """What a reader can raise becomes one EvidenceFileError naming the file; a bug stays a bug."""
    what = "read" if doing == "reading" else "check"
    try:
        yield
    except EvidenceFileError:
        raise
    except MemoryError as exc:
        raise EvidenceFileError(name, f"ran out of memory while {doing} the file") from exc
    except _READER_ERRORS as exc:
        raise EvidenceFileError(name, f"cannot {what} the file: {_one_line(exc)}") from exc
    except BaseException as exc:
        if not _is_rust_panic(exc):
            raise
        raise EvidenceFileError(name, f"cannot {what} the file: the reader failed ({_one_line(exc)})") from exc


def _open_regular(path, name: str, limits: Limits) -> IO[bytes]:
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise EvidenceFileError(name, "file not found") from None
    except PermissionError:
        raise EvidenceFileError(name, "cannot be read (permission denied)") from None
    except (OSError, ValueError) as exc:
        raise EvidenceFileError(name, f"cannot be read ({_one_line(exc)})") from None
    if stat.S_ISDIR(st.st_mode):
        raise EvidenceFileError(name, "is a directory, not a spreadsheet file")
    if not stat.S_ISREG(st.st_mode):
        raise EvidenceFileError(name, "is not a regular file")
    if st.st_size > limits.max_file_bytes:
        raise LimitExceededError(
            name,
            f"the file is {_size(st.st_size)}, over the file-size limit ({_size(limits.max_file_bytes)}); "
            "if the file is genuine, raise the limit",
            "max_file_bytes",
        )
    try:
        return open(path, "rb")
    except PermissionError:
        raise EvidenceFileError(name, "cannot be read (permission denied)") from None
    except OSError as exc:
        raise EvidenceFileError(name, f"cannot be read ({_one_line(exc)})") from None


# --------------------------------------------------------------------------- workbooks


def _read_workbook(fh: IO[bytes], name: str, limits: Limits, sheets: list[str] | None) -> list[RawSheet]:
    _inspect_open_zip(fh, name, limits)
    fh.seek(0)
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(fh)
    except python_calamine.PasswordError:
        raise EvidenceFileError(
            name, "password-protected workbook: save it as .xlsx without a password"
        ) from None
    except python_calamine.CalamineError as exc:
        raise EvidenceFileError(name, f"cannot read the workbook: {_one_line(exc)}") from exc
    with wb:
        metas = {m.name: m for m in wb.sheets_metadata}
        if sheets is None:
            wanted = [m for m in metas.values() if m.typ == python_calamine.SheetTypeEnum.WorkSheet]
        else:
            wanted = []
            for s in sheets:
                meta = metas.get(s)
                if meta is None or meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
                    known = ", ".join(
                        repr(m.name) for m in metas.values() if m.typ == python_calamine.SheetTypeEnum.WorkSheet
                    )
                    raise EvidenceFileError(name, f"no worksheet named {s!r} (worksheets: {known or 'none'})")
                wanted.append(meta)
        out = []
        for meta in wanted:
            try:
                sheet = wb.get_sheet_by_name(meta.name)
            except python_calamine.CalamineError as exc:
                raise EvidenceFileError(name, f"sheet {meta.name!r}: cannot be read: {_one_line(exc)}") from exc
            rows, first_row = _sheet_rows(sheet, name, meta.name, limits)
            ranges = sheet.merged_cell_ranges if rows else None
            filled: dict[int, list[tuple[int, int]]] = {}
            merged = _fill_merged(rows, ranges, first_row - 1, sheet.start[1], name, meta.name, filled) if ranges else []
            out.append(
                RawSheet(
                    file=name,
                    sheet=meta.name,
                    rows=rows,
                    first_row=first_row,
                    hidden=meta.visible != python_calamine.SheetVisibleEnum.Visible,
                    merged=merged,
                    filled=filled,
                )
            )
        return out


_EAGER_CELLS = 5_000_000


def _sheet_rows(sheet, name: str, sheet_name: str, limits: Limits) -> tuple[list[list], int]:
    """Rows of a calamine sheet as calamine gives them ('' for an empty cell), blank edge rows dropped.

    Cells are not converted one by one: downstream code treats '' like None and whole floats
    like ints, and gigantic text was refused by the XML scan before calamine ran. So the only
    per-row work here is the blank-row test, which keeps a sheet of a million empty formatted
    rows cheap; for a sheet read at once whose rows are all as wide, only the blank rows at
    its edges are tested.

    ``iter_rows`` yields rows from spreadsheet row 1 (leading empty rows padded) but columns
    only from the first used column; the row offset is derived from ``start``/``height`` so
    that either behaviour gives the right ``first_row``.
    """
    start = sheet.start
    if start is None:
        return [], 1
    max_rows = limits.max_rows
    rows: list[list] = []
    pending = 0  # blank rows seen since the last kept row; materialized only if data follows
    first_idx = -1
    idx = -1
    # to_python builds every row in one call (fast); a huge used range is walked lazily instead,
    # so a sheet of a million formatted empty rows never sits in memory at once
    cells = (sheet.height or 0) * (sheet.width or 0)
    source = sheet.to_python(skip_empty_area=True) if cells <= _EAGER_CELLS else sheet.iter_rows()
    if isinstance(source, list) and source and len(source[0]) == len(source[-1]):
        # calamine's range is rectangular (every row as wide): only the blank rows at the edges
        # need looking at (a blank row inside is already a row of '', as the loop below makes it)
        first_idx = next((i for i, row in enumerate(source) if not _blank(row)), -1)
        if first_idx < 0:
            return [], 1
        last_idx = next(i for i in range(len(source) - 1, -1, -1) if not _blank(source[i]))
        if last_idx - first_idx + 1 > max_rows:
            _too_many_rows(name, sheet_name, max_rows)
        offset = start[0] + sheet.height - len(source)
        return source[first_idx:last_idx + 1], first_idx + offset + 1
    for idx, row in enumerate(source):
        if _blank(row):
            if first_idx >= 0:
                pending += 1
            continue
        if first_idx < 0:
            first_idx = idx
        if pending:
            rows.extend([""] * len(row) for _ in range(pending))
            pending = 0
        rows.append(row)
        if len(rows) > max_rows:
            _too_many_rows(name, sheet_name, max_rows)
    if first_idx < 0:
        return [], 1
    # python-calamine 0.9 pads, so idx is the absolute row index and offset is 0; were the
    # leading empty rows not yielded, idx would count from ``start`` and offset corrects it.
    offset = start[0] + sheet.height - (idx + 1)
    return rows, first_idx + offset + 1


def _blank(row: list) -> bool:
    return (not row or row[0] == "") and row.count("") == len(row)  # most rows start with a value


def _too_many_rows(name: str, sheet_name: str, max_rows: int):
    raise LimitExceededError(
        name,
        f"sheet {sheet_name!r} has more than {max_rows} rows, over the row limit; if the file is genuine, raise the limit",
        "max_rows",
    )


def _fill_merged(rows: list[list], ranges, row0: int, col0: int, name: str, sheet_name: str,
                 filled: dict[int, list[tuple[int, int]]]) -> list[tuple]:
    """Copy each merged range's value (its top-left cell) into every cell of the range, in place.

    ``ranges`` are calamine's ``((first row, first col), (last row, last col))``, 0-based on the
    worksheet; ``row0``/``col0`` are the worksheet row and column of ``rows[0][0]``. The cells
    given a copy are recorded in ``filled`` (the loader treats a row whose only content is
    copies as blank). Ranges are clipped to the cells read, and the copies made are bounded by
    that grid (Excel never overlaps merged ranges; a file that does is refused rather than
    allowed to multiply the work). Returns the ranges as indexes into ``rows``
    (see :attr:`RawSheet.merged`).
    """
    out = []
    n = len(rows)
    budget = sum(len(r) for r in rows)
    for (fr, fc), (lr, lc) in ranges:
        r0, c0, r1, c1 = fr - row0, fc - col0, lr - row0, lc - col0
        if r1 < 0 or c1 < 0 or r0 >= n or (r0 == r1 and c0 == c1):
            continue
        out.append((r0, c0, r1, c1))
        if r0 < 0 or c0 < 0 or c0 >= len(rows[r0]):
            continue  # the value cell lies outside what was read: it is empty
        value = rows[r0][c0]
        if value == "" or value is None:
            continue
        for r in range(r0, min(r1, n - 1) + 1):
            row = rows[r]
            first = c0 + 1 if r == r0 else c0
            last = min(c1, len(row) - 1)
            if last < first:
                continue
            budget -= last - first + 1
            if budget < 0:
                raise EvidenceFileError(
                    name, f"sheet {sheet_name!r}: merged cell ranges overlap (damaged workbook); "
                          "unmerge the cells and save the file again")
            row[first:last + 1] = [value] * (last - first + 1)
            filled.setdefault(r, []).append((first, last))
    return out

