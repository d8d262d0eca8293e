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

import codecs
import contextlib
import csv
import functools
import io
import os
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import IO
from collections.abc import Iterator

import python_calamine

from ..errors import EvidenceFileError

__all__ = ["Limits", "RawSheet", "LimitExceededError", "read_raw", "inspect_zip"]

_KiB = 2**10
_MiB = 2**20
_GiB = 2**30


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


# --------------------------------------------------------------------------- entry points

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_CSV_SUFFIXES = (".csv", ".txt", ".tsv")
_NOT_A_SPREADSHEET = "not a spreadsheet (expected .xlsx, .xlsm or .csv)"
_DAMAGED = "not a valid xlsx (damaged or truncated zip)"


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
    rows cheap.

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
    for idx, row in enumerate(source):
        if row.count("") == len(row):
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
            raise LimitExceededError(
                name,
                f"sheet {sheet_name!r} has more than {max_rows} rows, over the row limit; "
                "if the file is genuine, raise the limit",
                "max_rows",
            )
    if first_idx < 0:
        return [], 1
    # python-calamine 0.9 pads, so idx is the absolute row index and offset is 0; were the
    # leading empty rows not yielded, idx would count from ``start`` and offset corrects it.
    offset = start[0] + sheet.height - (idx + 1)
    return rows, first_idx + offset + 1


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


# --------------------------------------------------------------------------- zip gate

_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile.structFileHeader
_RATIO_FLOOR = 1 * _MiB  # below this, a member's compression ratio is not held against it
_IN_CHUNK = 256 * _KiB
_OUT_CHUNK = 1 * _MiB
_OVERLAP = 512  # bytes carried between scan windows (longer than any pattern match)
_XML_SUFFIXES = (".xml", ".rels", ".vml")


def _inspect_open_zip(fh: IO[bytes], name: str, limits: Limits) -> None:
    fh.seek(0, os.SEEK_END)
    file_size = fh.tell()
    fh.seek(0)
    try:
        with zipfile.ZipFile(fh) as zf:  # a ZipFile given a file object leaves it open
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, struct.error):
        raise EvidenceFileError(name, _DAMAGED) from None
    except NotImplementedError as exc:
        raise EvidenceFileError(name, f"{_DAMAGED}: {_one_line(exc)}") from None

    if len(infos) > limits.max_members:
        raise LimitExceededError(
            name,
            f"the zip has {len(infos)} members, over the member-count limit ({limits.max_members}); "
            "if the file is genuine, raise the limit",
            "max_members",
        )
    total = 0
    for info in infos:
        _check_declared(info, name, limits)
        total += info.file_size
    if total > limits.max_uncompressed_bytes:
        raise LimitExceededError(
            name,
            f"the workbook declares {_size(total)} uncompressed, which exceeds the uncompressed-size limit "
            f"({_size(limits.max_uncompressed_bytes)}); if the file is genuine, raise the limit",
            "max_uncompressed_bytes",
        )
    _check_kind(infos, name)

    inflated_total = 0
    for info in sorted(infos, key=lambda i: i.header_offset):
        inflated_total += _check_member(fh, file_size, info, name, limits, inflated_total)


def _check_declared(info: zipfile.ZipInfo, name: str, limits: Limits) -> None:
    member = info.filename
    if info.flag_bits & 0x1:
        raise EvidenceFileError(name, f"{_DAMAGED}: member {member!r} is encrypted")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise EvidenceFileError(
            name, f"{_DAMAGED}: member {member!r} uses an unsupported compression method ({info.compress_type})"
        )
    if info.file_size > limits.max_member_bytes:
        raise LimitExceededError(
            name,
            f"zip member {member!r} declares {_size(info.file_size)}, which exceeds the per-member size limit "
            f"({_size(limits.max_member_bytes)}); if the file is genuine, raise the limit",
            "max_member_bytes",
        )
    if info.file_size > _RATIO_FLOOR and info.file_size > limits.max_ratio * max(info.compress_size, 1):
        ratio = info.file_size / max(info.compress_size, 1)
        raise LimitExceededError(
            name,
            f"zip member {member!r} has a compression ratio of {ratio:.0f}:1, which exceeds the ratio limit "
            f"({limits.max_ratio:g}:1; possible zip bomb); if the file is genuine, raise the limit",
            "max_ratio",
        )


def _check_kind(infos: list[zipfile.ZipInfo], name: str) -> None:
    names = {i.filename.lower() for i in infos}
    if "xl/workbook.xml" in names:
        return
    if "xl/workbook.bin" in names:
        raise EvidenceFileError(name, "binary .xlsb workbooks are not supported: save it as .xlsx")
    if "content.xml" in names and "mimetype" in names:
        raise EvidenceFileError(name, "OpenDocument spreadsheets are not supported: save it as .xlsx")
    raise EvidenceFileError(name, _NOT_A_SPREADSHEET)


def _data_start(fh: IO[bytes], file_size: int, info: zipfile.ZipInfo, name: str) -> int:
    fh.seek(info.header_offset)
    header = fh.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        raise EvidenceFileError(name, _DAMAGED)
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != b"PK\x03\x04":
        raise EvidenceFileError(name, _DAMAGED)
    start = info.header_offset + _LOCAL_HEADER.size + fields[10] + fields[11]
    if start + info.compress_size > file_size:
        raise EvidenceFileError(name, _DAMAGED)
    return start


def _inflate(fh: IO[bytes], info: zipfile.ZipInfo, start: int, name: str) -> Iterator[bytes]:
    """The member's bytes, inflated from its compressed data whatever sizes it declares.

    Chunks are at most ``_OUT_CHUNK`` bytes, so a bomb is never held in memory: the caller
    stops pulling once a limit is crossed.
    """
    fh.seek(start)
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        while left:
            piece = fh.read(min(left, _OUT_CHUNK))
            if not piece:
                raise EvidenceFileError(name, _DAMAGED)
            left -= len(piece)
            yield piece
        return
    member = info.filename
    d = zlib.decompressobj(-15)
    try:
        while left and not d.eof:
            piece = fh.read(min(left, _IN_CHUNK))
            if not piece:
                raise EvidenceFileError(name, _DAMAGED)
            left -= len(piece)
            while piece and not d.eof:
                out = d.decompress(piece, _OUT_CHUNK)
                piece = d.unconsumed_tail
                if out:
                    yield out
        while not d.eof:
            out = d.decompress(b"", _OUT_CHUNK)
            if not out:
                break
            yield out
    except zlib.error:
        raise EvidenceFileError(name, f"{_DAMAGED}: member {member!r} does not inflate") from None
    if not d.eof:
        raise EvidenceFileError(name, f"{_DAMAGED}: member {member!r} is cut short")


def _check_member(
    fh: IO[bytes], file_size: int, info: zipfile.ZipInfo, name: str, limits: Limits, inflated_before: int
) -> int:
    """Inflate one member against the limits, scan it if it is XML; return its real size."""
    member = info.filename
    start = _data_start(fh, file_size, info, name)
    member_cap = limits.max_member_bytes
    ratio_cap = max(_RATIO_FLOOR, limits.max_ratio * max(info.compress_size, 1))
    total_cap = limits.max_uncompressed_bytes - inflated_before
    scan: _XmlScan | None = None
    inflated = 0
    crc = 0
    for out in _inflate(fh, info, start, name):
        inflated += len(out)
        if inflated > member_cap:
            raise LimitExceededError(
                name,
                f"zip member {member!r} inflates to more than the per-member size limit ({_size(member_cap)})"
                f"{_lie(info, inflated)}; if the file is genuine, raise the limit",
                "max_member_bytes",
            )
        if inflated > ratio_cap:
            raise LimitExceededError(
                name,
                f"zip member {member!r} inflates more than {limits.max_ratio:g}:1, which exceeds the ratio limit "
                f"(possible zip bomb){_lie(info, inflated)}; if the file is genuine, raise the limit",
                "max_ratio",
            )
        if inflated > total_cap:
            raise LimitExceededError(
                name,
                f"the workbook inflates to more than the uncompressed-size limit "
                f"({_size(limits.max_uncompressed_bytes)}){_lie(info, inflated)}; if the file is genuine, "
                "raise the limit",
                "max_uncompressed_bytes",
            )
        crc = zlib.crc32(out, crc)
        if scan is None and inflated == len(out) and _reader_may_parse(member) and _looks_xml(member, out):
            scan = _XmlScan(name, member, limits)
        if scan is not None:
            scan.feed(out)
    if inflated != info.file_size or crc != info.CRC:
        raise EvidenceFileError(
            name, f"{_DAMAGED}: member {member!r} does not match its size or checksum in the zip directory"
        )
    if scan is not None:
        scan.finish()
        if scan.cells.irregular:
            _irregular_cell_range(fh, info, start, name, limits)
        elif scan.cells.over:
            finer = _CellScan(name, member, limits, coarse=False)
            for out in _inflate(fh, info, start, name):
                finer.feed(out)
            finer.finish()
    return inflated


def _reader_may_parse(member: str) -> bool:
    """Parts the reader parses: workbook, styles, shared strings, sheets (all under xl/; names
    matched case-insensitively), plus the package's own relationship and content-type parts.
    Other parts (docProps, customXml, ...) are only inflated and counted."""
    low = member.lower()
    return low.startswith("xl/") or low in ("[content_types].xml", "_rels/.rels")


_SHEET_DIRS = ("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/", "xl/macrosheets/")


def _looks_xml(member: str, first: bytes) -> bool:
    low = member.lower()
    if low.endswith(_XML_SUFFIXES) or low.startswith(_SHEET_DIRS):  # a sheet is parsed whatever its name
        return True
    head = first[:64]
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") or head[:2] in (b"\xff\xfe", b"\xfe\xff")


def _lie(info: zipfile.ZipInfo, inflated: int) -> str:
    if inflated > info.file_size:
        return f" although it declares {_size(info.file_size)} (the zip misreports its sizes)"
    return ""


# --------------------------------------------------------------------------- XML scan

_DOCTYPE_RE = re.compile(rb"<!\s{0,64}(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ENTITY_MSG = "refused: the workbook contains XML entity declarations (possible entity-expansion attack)"


class _XmlScan:
    """Streaming checks over one XML member's inflated bytes (first pass).

    - DOCTYPE / ENTITY declarations (entity expansion, external entities): refused.
    - NUL bytes or a UTF-16/32 byte-order mark: refused. Excel writes UTF-8, and the byte
      scans here would be blind to anything else.
    - A run of more than 10 x ``max_cell_chars`` bytes without a ``<``: refused; it can only
      be a gigantic cell or attribute. (Runs are measured across the 1 MiB chunks, so with
      ``max_cell_chars`` under ~100,000 a shorter run inside one chunk can pass here; the
      exact per-cell check when values are read covers it, and such runs are harmless.)
    - Cells: see :class:`_CellScan`.
    """

    def __init__(self, name: str, member: str, limits: Limits):
        self.name = name
        self.member = member
        self.limits = limits
        self.run_limit = 10 * limits.max_cell_chars
        self.tail = b""
        self.consumed = 0
        self.last_lt = 0
        self.cells = _CellScan(name, member, limits, coarse=True)

    def feed(self, data: bytes) -> None:
        if b"\x00" in data or (self.consumed == 0 and data[:2] in (b"\xff\xfe", b"\xfe\xff")):
            raise EvidenceFileError(self.name, f"refused: XML part {self.member!r} is not UTF-8 encoded")
        i = data.find(b"<")
        if (self.consumed + (len(data) if i < 0 else i)) - self.last_lt > self.run_limit:
            self._too_long()
        if i >= 0:
            self.last_lt = self.consumed + data.rfind(b"<")
        self.consumed += len(data)
        buf = self.tail + data
        if b"!" in buf and _DOCTYPE_RE.search(buf):  # memchr first: "!" is rare in sheet XML
            raise EvidenceFileError(self.name, _ENTITY_MSG)
        self.tail = buf[-_OVERLAP:]
        self.cells.feed(data)

    def finish(self) -> None:
        if self.consumed - self.last_lt > self.run_limit:
            self._too_long()
        self.cells.finish()

    def _too_long(self) -> None:
        raise LimitExceededError(
            self.name,
            f"refused: {self.member!r} holds a text run of more than {self.run_limit} bytes, so a cell exceeds "
            f"{self.limits.max_cell_chars} characters; if the file is genuine, raise the limit",
            "max_cell_chars",
        )


# A cell tag whose first attribute is not ``r="..."`` (no r, other order, other quoting).
_ODD_CELL_RE = re.compile(rb'<c(?! r=")[\s/>]')
# A prefixed cell element (``<x:c ...>``): the reader ignores prefixes. May also match text.
_PREFIXED_CELL_RE = re.compile(rb":c[\s/>]")
_REF_RE = re.compile(rb'<c r="([A-Za-z]{1,3})([0-9]+)"')
_ROW_FLOOR = 999  # value cells in rows 1-999 and ...
_COL_FLOOR = 26  # ... columns A-Z are never a threat; only cells beyond are looked at


class _CellScan:
    """Upper bound of the used range (rows x columns) the reader will allocate for a sheet.

    The reader sizes its dense grid from the smallest and largest positions of the cells that
    hold a value; two far-apart cells suffice to exhaust memory. In the form every common
    writer uses (``<c r="B7" ...>``) one regex pass finds only the value cells lying beyond
    the current bound (a handful per sheet, as the bound grows by rounded steps), so a normal
    sheet costs one scan (references may use lower case and leading zeros, as the reader
    accepts both). Bounds are rounded to one significant figure (``coarse``) in the first
    pass; if that estimate is over ``max_cells`` a second pass rounds to two, and only that
    one refuses. Any other cell form (no ``r``, ``r`` not first, prefixed element, ...) sets
    ``irregular``: the caller then bounds the member with a tag-level scan.
    """

    def __init__(self, name: str, member: str, limits: Limits, coarse: bool):
        self.name = name
        self.member = member
        self.limits = limits
        self.sig = 1 if coarse else 2
        self.coarse = coarse
        self.row_bound = _ROW_FLOOR
        self.col_bound = _COL_FLOOR
        self.rx = _cell_scan_regex(self.row_bound, self.col_bound)
        self.tail = b""
        self.irregular = False
        self.over = False

    def feed(self, data: bytes, final: bool = False) -> None:
        if self.irregular or (self.over and not self.coarse):
            return
        buf = self.tail + data if self.tail else data
        limit = len(buf) if final else len(buf) - _OVERLAP
        if limit > 0:
            self._scan(buf, limit)
        self.tail = b"" if final else buf[max(limit, 0):]

    def finish(self) -> None:
        self.feed(b"", final=True)

    def _scan(self, buf: bytes, limit: int) -> None:
        if self.coarse:
            for rx in (_ODD_CELL_RE, _PREFIXED_CELL_RE):
                m = rx.search(buf, 0, limit + 32)
                if m is not None and m.start() < limit:
                    self.irregular = True
                    return
            if self.over:  # the finer pass will bound the range; keep looking for irregular cells
                return
        pos = 0
        while True:
            m = self.rx.search(buf, pos)
            if m is None or m.start() >= limit:
                return
            ref = _REF_RE.match(buf, m.start())
            col = _col_number(ref.group(1))
            row = _row_number(ref.group(2))
            self.row_bound = max(self.row_bound, _round_up(row, self.sig))
            self.col_bound = max(self.col_bound, _round_up_col(col, self.sig))
            if self.row_bound * self.col_bound > self.limits.max_cells:
                if self.coarse:
                    self.over = True
                    return
                _refuse_cells(self.name, self.member, row, col, self.limits)
            self.rx = _cell_scan_regex(self.row_bound, self.col_bound)
            pos = m.start() + 1


def _refuse_cells(name: str, member: str, row: int, col: int, limits: Limits) -> None:
    raise LimitExceededError(
        name,
        f"refused: worksheet part {member!r} has a cell at {_col_letters(col)}{row}, which makes its used range "
        f"(rows x columns) larger than the cell limit ({limits.max_cells} cells); if the file is genuine, "
        "raise the limit",
        "max_cells",
    )


def _round_up(n: int, sig: int) -> int:
    """Largest number with the same leading ``sig`` digits as n, all others 9 (199999 for 123456).

    Such bounds keep the "greater than" regex down to a few alternatives.
    """
    p = 10 ** max(len(str(n)) - sig, 0)
    return (n // p + 1) * p - 1


def _round_up_col(n: int, sig: int) -> int:
    s = _col_letters(n)
    return n if len(s) <= sig else _col_number((s[:sig] + "Z" * (len(s) - sig)).encode())


def _row_number(digits: bytes) -> int:
    """A row reference's number; one of more than 12 digits (past any limit) counts as 10**12,
    so a hostile reference never reaches int()'s digit limit."""
    digits = digits.lstrip(b"0") or b"0"
    return int(digits) if len(digits) <= 12 else 10**12


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _col_letters(n: int) -> str:
    s = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _gt_int(n: int) -> str:
    """Regex for a decimal integer without leading zeros greater than n."""
    s = str(n)
    k = len(s)
    alts = [f"[1-9][0-9]{{{k},}}"]
    for i, ch in enumerate(s):
        if ch != "9":
            rest = k - i - 1
            alts.append(s[:i] + f"[{int(ch) + 1}-9]" + (f"[0-9]{{{rest}}}" if rest else ""))
    return "(?:" + "|".join(alts) + ")"


def _gt_col(n: int) -> str:
    """Regex for 1-3 column letters (either case) naming a column greater than n."""
    s = _col_letters(n)
    k = len(s)
    alts = [f"[A-Za-z]{{{k + 1},3}}"] if k < 3 else []
    for i, ch in enumerate(s):
        if ch != "Z":
            rest = k - i - 1
            nxt = chr(ord(ch) + 1)
            head = "".join(f"[{c}{c.lower()}]" for c in s[:i])
            alts.append(head + f"[{nxt}-Z{nxt.lower()}-z]" + (f"[A-Za-z]{{{rest}}}" if rest else ""))
    return "(?:" + "|".join(alts) + ")" if alts else "(?!)"


@functools.lru_cache(maxsize=512)
def _cell_scan_regex(row_bound: int, col_bound: int) -> re.Pattern[bytes]:
    """Match a value cell, in the common form, lying beyond row_bound or col_bound.

    A value cell is any ``<c>`` not self-closing within 200 characters (a longer
    self-closing tag counts too: erring on the safe side).
    """
    # the lookahead rejects the common short row numbers before trying the alternatives
    digits = len(str(row_bound))
    big = f"(?:{_gt_col(col_bound)}[0-9]+|[A-Za-z]{{1,3}}0*(?=[0-9]{{{digits}}}){_gt_int(row_bound)})".encode()
    return re.compile(rb'<c r="' + big + rb'"(?![^>]{0,200}/>)')


# The start of a row or cell element, any prefix; then its attributes, quoted values may hold ">".
_TAG_START_RE = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?(row|c)(?=[\s/>])")
_TAG_REST_RE = re.compile(rb"""((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(/?)>""")
_R_ATTR_RE = re.compile(rb"""(?:^|\s)r\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_LOOSE_REF_RE = re.compile(rb"\s*([A-Za-z]{1,3})0*([0-9]{1,12})\s*")
_TAG_OVERLAP = 4096


def _irregular_cell_range(fh: IO[bytes], info: zipfile.ZipInfo, start: int, name: str, limits: Limits) -> None:
    """Upper bound of the used range of a member whose cells are not in the common form.

    A tag-level scan that never trusts the document to be well formed: it follows the
    reader's positioning (a ``row`` without ``r`` is the previous row + 1, a cell without
    ``r`` the previous cell's column + 1, element prefixes ignored) but only ever lets the
    counters grow, so comments, disorder or odd markup can only overestimate. A cell that is
    not self-closing counts as holding a value. The member already passed the size limits,
    so inflating it again is bounded.
    """
    member = info.filename
    row = 0  # row counter (1-based once a row starts)
    col = 0  # column counter within the current row
    ref_row = 0  # largest explicit row of a cell in the current row element
    max_row = max_col = 0
    tail = b""
    chunks = _inflate(fh, info, start, name)
    done = False
    while not done:
        data = next(chunks, None)
        done = data is None
        buf = tail + (data or b"")
        limit = len(buf) if done else len(buf) - _TAG_OVERLAP
        for m in _TAG_START_RE.finditer(buf):
            if m.start() >= limit:
                break  # seen again, whole, in the next window
            rest = _TAG_REST_RE.match(buf, m.end())
            attrs = rest.group(1) if rest else b""
            ra = _R_ATTR_RE.search(attrs)
            ref = ra.group(1) if ra and ra.group(1) is not None else (ra.group(2) if ra else None)
            if m.group(1) == b"row":
                r = ref.strip() if ref is not None else b""
                row = max(row + 1, _row_number(r)) if r.isdigit() else row + 1
                col = 0
                ref_row = row
                continue
            cell = _LOOSE_REF_RE.fullmatch(ref) if ref is not None else None
            if cell is not None:
                c_col, c_row = _col_number(cell.group(1)), int(cell.group(2))
                col = max(col + 1, c_col)
                ref_row = max(ref_row, c_row)
            else:
                col += 1
                c_col, c_row = col, max(row, ref_row, 1)
            if rest is not None and rest.group(2):  # self-closing: no value
                continue
            if c_row > max_row or c_col > max_col:
                max_row = max(max_row, c_row)
                max_col = max(max_col, c_col)
                if max_row * max_col > limits.max_cells:
                    _refuse_cells(name, member, c_row, c_col, limits)
        tail = b"" if done else buf[max(limit, 0):]


# --------------------------------------------------------------------------- csv

_SNIFF_BYTES = 64 * _KiB
_SNIFF_TEXT = 4 * _KiB  # csv.Sniffer's regexes are superlinear: keep its sample small
_DELIMITERS = ",;\t"


class _LineTooLong(Exception):
    pass


def _read_csv(fh: IO[bytes], name: str, limits: Limits) -> RawSheet:
    encoding, mixed = _detect_encoding(fh, name)
    fh.seek(0)
    raw_sample = fh.read(_SNIFF_BYTES)
    sample = raw_sample.decode(encoding, errors="ignore")
    if encoding == "utf-8-sig":
        sample = sample.lstrip("\ufeff")
    delimiter = _detect_delimiter(sample)
    fh.seek(0)
    errors = "surrogateescape" if mixed and encoding == "utf-8" else "strict"
    text = io.TextIOWrapper(fh, encoding=encoding, errors=errors, newline="")
    bad_cells: list[tuple[int, int, str, str]] = []
    max_chars = limits.max_cell_chars
    line_cap = 16 * max_chars + 2
    rows: list[list] = []
    pending = 0
    width = 0
    record = 0  # number of the record being parsed (1-based, as the spreadsheet row)
    first_row = 1
    old_limit = csv.field_size_limit()
    csv.field_size_limit(max_chars)
    try:
        reader = csv.reader(_capped_lines(text, line_cap), delimiter=delimiter, quotechar='"', doublequote=True)
        while True:
            record += 1
            try:
                rec = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                if "field limit" in str(exc):
                    raise LimitExceededError(
                        name, f"row {record}: a cell exceeds {max_chars} characters", "max_cell_chars"
                    ) from None
                raise EvidenceFileError(name, f"row {record}: not valid csv ({_one_line(exc)})") from None
            except _LineTooLong:
                raise LimitExceededError(
                    name,
                    f"row {record}: a line exceeds {line_cap - 2} characters, so a cell is over the "
                    f"{max_chars}-character limit; if the file is genuine, raise the limit",
                    "max_cell_chars",
                ) from None
            except UnicodeDecodeError as exc:
                raise EvidenceFileError(name, f"row {record}: cannot be decoded as {encoding} ({exc.reason})") from None
            last = len(rec)
            while last and rec[last - 1] == "":
                last -= 1
            if not last:
                if rows:
                    pending += 1
                continue
            if len(rows) + pending >= limits.max_rows:
                raise LimitExceededError(
                    name,
                    f"more than {limits.max_rows} rows, over the row limit; if the file is genuine, raise the limit",
                    "max_rows",
                )
            if mixed:
                _foreign_cells(rec, record, encoding, bad_cells)
            if not rows:
                first_row = record  # leading blank lines are dropped like a sheet's
            if pending:
                rows.extend([] for _ in range(pending))
                pending = 0
            if last > width:
                width = last
            rows.append([v if v != "" else None for v in rec])
    finally:
        csv.field_size_limit(old_limit)
        text.detach()
    for i, r in enumerate(rows):
        if len(r) != width:
            rows[i] = (r + [None] * (width - len(r))) if len(r) < width else r[:width]
    return RawSheet(file=name, sheet=None, rows=rows, first_row=first_row, encoding=encoding, delimiter=delimiter,
                    bad_cells=bad_cells)


def _foreign_cells(rec: list[str], record: int, encoding: str, out: list) -> None:
    """Cells of a mixed-encoding csv written in the other encoding: noted in ``out`` and, for
    undecodable bytes, made printable (U+FFFD), so no lone surrogate travels further."""
    for j, v in enumerate(rec):
        if v.isascii():
            continue
        if encoding == "utf-8":
            if _UNDECODED_RE.search(v):
                shown = _UNDECODED_RE.sub("\ufffd", v)
                hexes = " ".join(f"0x{ord(c) - 0xDC00:02X}" for c in _UNDECODED_RE.findall(v)[:4])
                out.append((record, j, shown, f"byte(s) {hexes} are not UTF-8"))
                rec[j] = shown
            continue
        try:
            as_utf8 = v.encode(encoding).decode("utf-8")
        except UnicodeError:
            continue
        out.append((record, j, as_utf8, f"the cell is UTF-8 text in a file read as {encoding}"))


def _capped_lines(text: io.TextIOBase, cap: int) -> Iterator[str]:
    """Lines of ``text``, never holding more than ``cap`` characters of one line in memory."""
    while True:
        line = text.readline(cap)
        if not line:
            return
        if len(line) >= cap and not line.endswith(("\n", "\r")):
            raise _LineTooLong
        yield line


_UNDECODED_RE = re.compile("[\udc80-\udcff]")  # a byte UTF-8 could not decode (surrogateescape)
_CP1252_UNDEFINED_RE = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


def _detect_encoding(fh: IO[bytes], name: str) -> tuple[str, bool]:
    """(encoding, mixed): how to decode a csv, and whether it mixes UTF-8 with another encoding.

    A byte-order mark decides. Otherwise the file is UTF-8 when it decodes as UTF-8. When it
    does not, the characters UTF-8 decodes from several bytes are counted against the bytes
    it cannot decode: the file is UTF-8 when the former are at least as many (the bad bytes
    are a few stray legacy characters), else a legacy single-byte file, cp1252 (latin-1 when
    a byte is undefined in cp1252). ``mixed`` means both kinds occur: the rows written in the
    minority encoding are then rejected (reason ``encoding``) rather than read as mojibake.
    """
    fh.seek(0)
    head = fh.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", False
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", False
    if _decodes(fh, name, "utf-8"):
        return "utf-8", False
    fh.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")("surrogateescape")
    bad = good = 0
    cp1252_ok = True
    final = False
    while not final:
        chunk = fh.read(_MiB)
        final = not chunk
        if b"\x00" in chunk:
            raise EvidenceFileError(name, f"{_NOT_A_SPREADSHEET}: the file holds binary data")
        text = decoder.decode(chunk, final)
        if text.isascii():
            continue
        n_bad = len(_UNDECODED_RE.findall(text))
        bad += n_bad
        good += len(text) - len(text.encode("ascii", "ignore")) - n_bad
        if cp1252_ok and _CP1252_UNDEFINED_RE.search(chunk):
            cp1252_ok = False
    if not bad:
        return "utf-8", False
    if good >= bad:
        return "utf-8", True
    return ("cp1252" if cp1252_ok else "latin-1"), good > 0


def _decodes(fh: IO[bytes], name: str, encoding: str) -> bool:
    """The whole file decodes strictly as ``encoding`` (NUL bytes: not a text file at all)."""
    fh.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        while True:
            chunk = fh.read(_MiB)
            if b"\x00" in chunk:
                raise EvidenceFileError(name, f"{_NOT_A_SPREADSHEET}: the file holds binary data")
            decoder.decode(chunk, not chunk)
            if not chunk:
                return True
    except UnicodeDecodeError:
        return False


def _detect_delimiter(sample: str) -> str:
    lines = sample.splitlines()
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample cut the last line short
    header = next((line for line in lines if line.strip()), "")
    small = "\n".join(lines[:20])[:_SNIFF_TEXT]
    counts = {d: _count_unquoted(header, d) for d in _DELIMITERS}
    try:
        sniffed = csv.Sniffer().sniff(small, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    if sniffed in counts and counts[sniffed] > 0:
        return sniffed
    best = max(_DELIMITERS, key=lambda d: counts[d])  # ties keep the order , ; tab
    return best if counts[best] > 0 else ","


def _count_unquoted(line: str, ch: str) -> int:
    if '"' not in line:
        return line.count(ch)
    n = 0
    quoted = False
    for c in line:
        if c == '"':
            quoted = not quoted
        elif c == ch and not quoted:
            n += 1
    return n


# --------------------------------------------------------------------------- helpers


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
