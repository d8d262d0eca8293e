"""The csv reader's fast path: the cells column by column with pandas' C parser.

:func:`read_columns` gives the same :class:`RawSheet` (rows, first row, encoding, delimiter) or the
same one-line error as the row-by-row Python parser of :mod:`csvread`, behind the same checks and
limits, but keeps the cells in columns (``RawSheet.grid``) instead of one Python list per row:
the C parser stores each distinct string once per chunk, so a million rows of repeated project,
status and owner names take a fraction of the memory, and no Python runs per row.

It returns None, and the Python parser reads the file, whenever the two parsers could differ
(``tests/test_csv_columns.py`` holds them equal on generated hostile input and says which
constructs were found to differ):

- a file that mixes encodings (its foreign cells are found row by row) or is UTF-16;
- a NUL byte, or a physical line near the line cap (the Python parser's error names the row);
- a second byte-order mark right after the first (the csv module keeps it in the first cell,
  pandas drops it);
- anything pandas refuses: an unterminated quoted field (the csv module ends the field at the
  end of the file), a row wider than the first one after a few retries with
  more columns, text it cannot decode (the Python parser names the row).
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import IO

import numpy as np
import pandas as pd

from .limits import _MiB, GridRows, LimitExceededError, Limits, RawSheet

#: encodings whose decoding pandas and the csv module share (detected by ``_detect_encoding``)
_ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1")
_WIDER_RE = re.compile(r"Expected (\d+) fields in line \d+, saw (\d+)")
_WIDTH_TRIES = 6


def read_columns(fh: IO[bytes], name: str, limits: Limits, encoding: str, delimiter: str) -> RawSheet | None:
    """The csv's sheet read column by column, or None when the Python parser must read it."""
    if encoding not in _ENCODINGS:
        return None
    scan = _scan(fh, 16 * limits.max_cell_chars + 2, encoding)
    if scan is None:
        return None
    frame = _parse(fh, encoding, delimiter)
    if frame is None:
        return None
    # no record spans two lines: no cell is longer than the longest line, whose bytes were counted
    longest_cell = scan.longest if len(frame) >= scan.lines else scan.size
    return _sheet(frame, name, limits, encoding, delimiter, longest_cell)


@dataclass
class _Scan:
    size: int  # bytes
    lines: int  # physical lines (\n, \r\n or a lone \r ends one; a last line may lack it)
    longest: int  # bytes of the longest physical line, without its line break


def _scan(fh: IO[bytes], line_cap: int, encoding: str) -> _Scan | None:
    """Size, lines and longest line of the file; None for a NUL byte, a physical line within reach
    of ``line_cap`` characters (counted in bytes, never fewer than the characters) or a second
    byte-order mark."""
    fh.seek(0)
    if encoding == "utf-8-sig" and fh.read(6) == codecs.BOM_UTF8 * 2:
        return None  # a second mark: the csv module keeps it in the first cell, pandas drops it
    fh.seek(0)
    size = lines = longest = run = 0
    cr_last = False
    while chunk := fh.read(_MiB):
        if b"\x00" in chunk:
            return None
        size += len(chunk)
        lines += chunk.count(b"\n") + chunk.count(b"\r") - chunk.count(b"\r\n") - (cr_last and chunk[:1] == b"\n")
        cr_last = chunk[-1:] == b"\r"
        data = np.frombuffer(chunk, dtype=np.uint8)
        breaks = np.flatnonzero((data == 10) | (data == 13))
        if not len(breaks):
            run += len(chunk)
        else:
            longest = max(longest, run + int(breaks[0]))
            if len(breaks) > 1:
                longest = max(longest, int(np.diff(breaks).max()) - 1)
            run = len(chunk) - int(breaks[-1]) - 1
        if max(longest, run) >= line_cap - 3:
            return None
    return _Scan(size=size, lines=lines + (run > 0), longest=max(longest, run))


def _parse(fh: IO[bytes], encoding: str, delimiter: str) -> pd.DataFrame | None:
    """All records as a frame of str columns ('' for an empty or missing cell), or None."""
    names = None
    for _ in range(_WIDTH_TRIES):
        fh.seek(0)
        try:
            return pd.read_csv(fh, header=None, names=names, index_col=False, dtype=object, na_filter=False,
                               keep_default_na=False, skip_blank_lines=False, sep=delimiter, quotechar='"',
                               doublequote=True, engine="c", encoding=encoding, encoding_errors="strict")
        except pd.errors.ParserError as exc:
            wider = _WIDER_RE.search(str(exc))  # a row wider than the first: read again with more columns
            if not wider:
                return None
            names = range(max(int(wider[2]), 2 * int(wider[1])))
        except pd.errors.EmptyDataError:  # a blank first line gives pandas no columns: name one
            if names is not None:
                return None
            names = range(1)
        except UnicodeError:
            return None
    return None


def _sheet(frame: pd.DataFrame, name: str, limits: Limits, encoding: str, delimiter: str,
           longest_cell: int) -> RawSheet | None:
    """The parsed records as the Python parser's sheet: trailing empty cells and columns dropped,
    leading and trailing blank rows dropped (``first_row`` counts the leading ones), ''
    -> None; the row and cell limits raise the Python parser's errors for the same record.
    ``longest_cell``: no cell is longer (in characters)."""
    values = frame.to_numpy(dtype=object, copy=True)  # one block, changed in place below
    del frame
    if values.size and not all(isinstance(v, str) for v in values[0]):
        return None  # not the str cells asked for (nothing known does this): let the Python parser decide
    empty = values == ""
    used = np.flatnonzero(~empty.all(axis=0))
    if not len(used):
        return RawSheet(file=name, sheet=None, rows=[], first_row=1, encoding=encoding, delimiter=delimiter)
    width = int(used[-1]) + 1
    blank = empty[:, :width].all(axis=1)
    kept = np.flatnonzero(~blank)
    first, last = int(kept[0]), int(kept[-1])
    _check_limits(values[:, :width], kept, name, limits, longest_cell)
    values[empty] = None
    del empty
    grid = pd.DataFrame(values[first:last + 1, :width], dtype=object, copy=False)
    return RawSheet(file=name, sheet=None, rows=GridRows(grid, blank=blank[first:last + 1]), first_row=first + 1,
                    encoding=encoding, delimiter=delimiter, grid=grid)


def _check_limits(values: np.ndarray, kept: np.ndarray, name: str, limits: Limits, longest_cell: int) -> None:
    """Raise what the Python parser raises first, reading records in order: a cell over
    ``max_cell_chars`` (at the record holding it) or a row past ``max_rows`` (at the first
    non-blank record beyond the limit, counting blank rows in between)."""
    over_rows = None
    if kept[-1] - kept[0] + 1 > limits.max_rows:
        over_rows = int(kept[np.searchsorted(kept, kept[0] + limits.max_rows)])
    max_chars = limits.max_cell_chars
    over_cell = None
    if longest_cell > max_chars:
        lengths = np.fromiter(map(len, values.ravel()), dtype=np.int64, count=values.size).reshape(values.shape)
        hits = np.flatnonzero((lengths > max_chars).any(axis=1))
        over_cell = int(hits[0]) if len(hits) else None
    if over_cell is not None and (over_rows is None or over_cell <= over_rows):
        raise LimitExceededError(name, f"row {over_cell + 1}: a cell exceeds {max_chars} characters", "max_cell_chars")
    if over_rows is not None:
        raise LimitExceededError(
            name, f"more than {limits.max_rows} rows, over the row limit; if the file is genuine, raise the limit",
            "max_rows")
