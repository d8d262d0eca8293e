"""xlsxwriter plumbing for ``assessment.xlsx``: one set of formats, safe cell writing, tables.

Every text cell goes through ``write_string`` (never ``write``), so a text that starts with
``=``, ``+``, ``-``, ``@``, tab or CR stays text (DESIGN §8). Rows are written strictly in
order, so the same code works in xlsxwriter's constant-memory mode.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import xlsxwriter

from .labels import COLOURS, LEVEL_COLOURS, NOTE_COLOURS, RATING_COLOURS

MAX_TEXT = 32767  # Excel's limit for one cell
MAX_ROWS = 1_048_576  # Excel's rows per sheet
DATE_FORMAT = "yyyy-mm-dd"


class Book:
    """A workbook with the report's formats and a helper per kind of cell."""

    def __init__(self, path, *, constant_memory: bool):
        self.constant_memory = constant_memory
        self.max_rows = MAX_ROWS
        self._setup: dict[str, tuple] = {}
        self.wb = xlsxwriter.Workbook(str(path), {
            "constant_memory": constant_memory, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "default_date_format": DATE_FORMAT,
        })
        add = self.wb.add_format
        self.header = add({"bold": True, "bg_color": "#DDE3EA", "border": 1, "text_wrap": True, "valign": "top"})
        self.title = add({"bold": True, "font_size": 14})
        self.section = add({"bold": True, "font_size": 12})
        self.bold = add({"bold": True})
        self.wrap = add({"text_wrap": True, "valign": "top"})
        self.top = add({"valign": "top"})
        self.plain = add({})
        self.date = add({"num_format": DATE_FORMAT, "valign": "top", "align": "left"})
        self.datetime = add({"num_format": "yyyy-mm-dd hh:mm:ss", "align": "left"})
        self.pct = add({"num_format": "0%", "valign": "top"})
        self.band = add({"bold": True, "bg_color": "#EEF1F4", "border": 1, "align": "center", "valign": "vcenter",
                         "text_wrap": True})
        self.flag = add({"bold": True, "bg_color": "#FFE08A", "valign": "top"})
        self.labels = {k: add({"bg_color": f"#{bg}", "font_color": f"#{fg}", "align": "center", "border": 1})
                       for k, (bg, fg) in COLOURS.items()}
        self.ratings = {k: add({"bg_color": f"#{bg}", "font_color": f"#{fg}", "align": "center", "border": 1})
                        for k, (bg, fg) in RATING_COLOURS.items()}
        self.levels = {k: add({"bg_color": f"#{bg}", "font_color": f"#{fg}", "align": "center", "border": 1})
                       for k, (bg, fg) in LEVEL_COLOURS.items()}
        self.notes = {k: add({"bg_color": f"#{bg}", "font_color": f"#{fg}", "valign": "top", "border": 1})
                      for k, (bg, fg) in NOTE_COLOURS.items()}

    def sheet(self, name: str, widths: Iterable[float] = (), wrap: Iterable[int] = ()):
        ws = self.wb.add_worksheet(name)
        widths, wrap = tuple(widths), set(wrap)
        self._setup[name] = (name, widths, wrap)
        for i, w in enumerate(widths):
            ws.set_column(i, i, w, self.wrap if i in wrap else None)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)  # fit to width, as many pages down as needed
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_footer("&L&A&RPage &P of &N")
        return ws

    def label_format(self, label: str):
        return self.labels.get(label.rstrip("*"))

    def cell(self, ws, r: int, c: int, v, fmt=None) -> None:
        """Write one value with the writer for its type; text is always a string cell."""
        if v is None or v == "":
            if fmt is not None:
                ws.write_blank(r, c, None, fmt)
            return
        t = type(v)
        if t is str:
            if len(v) > MAX_TEXT:
                v = v[:MAX_TEXT - 12] + " [truncated]"
            if self.constant_memory and v.startswith("<r>") and v.endswith("</r>"):
                # constant-memory mode writes such a text as raw rich-string XML: split it so it is escaped
                ws.write_rich_string(r, c, "<", self.plain, v[1:], fmt)
            else:
                ws.write_string(r, c, v, fmt)
        elif t is bool:
            ws.write_string(r, c, "yes" if v else "no", fmt)
        elif t is int or t is float:
            ws.write_number(r, c, v, fmt)
        elif isinstance(v, (dt.date, dt.datetime)):
            ws.write_datetime(r, c, v, fmt or self.date)
        else:
            ws.write_string(r, c, str(v), fmt)

    def header_row(self, ws, r: int, names: Iterable[str], c0: int = 0) -> int:
        names = list(names)
        for i, n in enumerate(names):
            ws.write_string(r, c0 + i, n, self.header)
        return len(names)

    def table(self, ws, top: int, columns: Iterable[str], rows: Iterable[tuple], *,
              formats: dict | None = None) -> tuple:
        """A header row at ``top`` and ``rows`` below it; returns (sheet, next free row).

        ``formats``: column index -> format, or -> callable(value) returning one (e.g. a label colour).
        The header is frozen, filtered and repeated on every printed page. Rows beyond the
        sheet's limit continue on sheets named "NAME (2)", "NAME (3)", ... with the same header:
        no row is dropped.
        """
        columns = list(columns)
        n = self.header_row(ws, top, columns)
        formats = formats or {}
        first, part, r = ws, 1, top
        for row in rows:
            r += 1
            if r >= self.max_rows:
                self._finish_table(ws, top, r - 1, n)
                part += 1
                ws, top, r = self.continuation(first, part), 0, 1
                self.header_row(ws, 0, columns)
            for c, v in enumerate(row):
                f = formats.get(c)
                self.cell(ws, r, c, v, f(v) if callable(f) else f)
        self._finish_table(ws, top, r, n)
        return ws, r + 1

    @staticmethod
    def _finish_table(ws, top: int, last: int, n: int) -> None:
        ws.freeze_panes(top + 1, 0)
        ws.repeat_rows(top)
        ws.autofilter(top, 0, last, n - 1)

    def continuation(self, ws, part: int):
        """Sheet ``part`` of a table too long for ``ws``, set up like it."""
        name, widths, wrap = self._setup[ws.name]
        return self.sheet(f"{name[:25]} ({part})", widths, wrap)

    def close(self) -> None:
        self.wb.close()


def as_date(text: str, cache: dict) -> dt.date | str:
    """An ISO date text as a date (a real date cell); anything else unchanged."""
    if not text:
        return ""
    got = cache.get(text)
    if got is None:
        try:
            got = dt.date.fromisoformat(text[:10]) if len(text) <= 10 else dt.datetime.fromisoformat(text)
        except ValueError:
            got = text
        cache[text] = got
    return got
