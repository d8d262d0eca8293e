"""The csv reader: encoding and delimiter detection, bounded lines and cells."""
from __future__ import annotations

import codecs
import csv
import io
import re
from typing import IO
from collections.abc import Iterator


from ..errors import EvidenceFileError

from .csvcolumns import read_columns
from .limits import _DAMAGED, _NOT_A_SPREADSHEET, _GiB, _KiB, _MiB, LimitExceededError, Limits, RawSheet, _one_line, _size  # noqa: F401


# --------------------------------------------------------------------------- csv

_SNIFF_BYTES = 64 * _KiB
_SNIFF_TEXT = 4 * _KiB  # csv.Sniffer's regexes are superlinear: keep its sample small
_DELIMITERS = ",;\t"
#: read column by column with pandas' C parser where it gives exactly this module's result
#: (csvcolumns.py); False: always the row-by-row Python parser below
FAST_PATH = True


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
    if FAST_PATH and not mixed:
        sheet = read_columns(fh, name, limits, encoding, delimiter)
        if sheet is not None:
            return sheet
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

