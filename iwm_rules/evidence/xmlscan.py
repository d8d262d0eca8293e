"""Scans of a workbook's XML parts before any reader parses them: entity declarations, odd or
far-apart cells that would make the reader allocate an enormous grid."""
from __future__ import annotations

import functools
import re
import zipfile
from typing import IO

from ..errors import EvidenceFileError
from .limits import _DAMAGED, _NOT_A_SPREADSHEET, _GiB, _KiB, _MiB, LimitExceededError, Limits, RawSheet, _one_line, _size  # noqa: F401
from .inflate import _IN_CHUNK, _OUT_CHUNK, _OVERLAP, _inflate  # noqa: F401


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

