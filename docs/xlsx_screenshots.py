"""Regenerate docs/xlsx-summary.png, docs/xlsx-levels.png and docs/xlsx-matrix.png: the shipped
samples' assessment.xlsx as LibreOffice prints it (xlsx -> PDF with ``soffice --headless``, first
page -> PNG with pypdfium2). The Summary sheet is long: its top (projects and the start of the
organization table) and its capability-level table are printed as two areas.

    pip install pypdfium2      # the "docs" extra
    python docs/xlsx_screenshots.py [--as-of 2026-11-01]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

from iwm_rules import api  # noqa: E402
from iwm_rules.exporters import export  # noqa: E402


def find_row(book: Path, sheet: str, text: str) -> int:
    """The first row (1-based) whose first cell starts with ``text``."""
    ws = openpyxl.load_workbook(book, read_only=True)[sheet]
    for i, row in enumerate(ws.iter_rows(max_col=1, values_only=True), 1):
        if isinstance(row[0], str) and row[0].startswith(text):
            return i
    raise SystemExit(f"{sheet}: no row starting with {text!r}")


def matrix_area(book: Path, last_practice: str) -> str:
    """The Matrix from its first column to ``last_practice``'s, every row."""
    from openpyxl.utils import get_column_letter

    ws = openpyxl.load_workbook(book)["Matrix"]
    header = [c.value for c in ws[3]]
    col = header.index(last_practice) + 1 if last_practice in header else len(header)
    return f"A1:{get_column_letter(col)}{ws.max_row}"


def sheet_pdf(book: Path, sheet: str, tmp: Path, area: str | None = None, name: str | None = None) -> Path:
    """A PDF of one sheet (only ``area`` of it, when given): a copy of the workbook with only that
    sheet, printed by LibreOffice."""
    wb = openpyxl.load_workbook(book)
    for ws in list(wb):
        if ws.title != sheet:
            wb.remove(ws)
    if area:
        wb[sheet].print_area = area
        first = int("".join(ch for ch in area.split(":")[0] if ch.isdigit()))
        wb[sheet].print_title_rows = f"{first}:{first}"  # not the header of a table above the area
    name = name or sheet
    single = tmp / f"{name}.xlsx"
    wb.save(single)
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        sys.exit("LibreOffice (soffice) is needed to print the workbook")
    subprocess.run([exe, f"-env:UserInstallation={(tmp / 'profile').as_uri()}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp), str(single)], check=True, capture_output=True, timeout=300)
    return tmp / f"{name}.pdf"


def first_page_png(pdf: Path, out: Path, *, scale: float, keep_width: float = 1.0) -> None:
    """Page 1 rendered and cropped to its content (``keep_width``: the left share of it to keep)."""
    import pypdfium2 as pdfium

    page = pdfium.PdfDocument(str(pdf))[0]
    image = page.render(scale=scale).to_pil().convert("RGB")
    gray = image.convert("L").point(lambda v: 255 if v < 250 else 0)
    left, top, right, bottom = gray.getbbox() or (0, 0, *image.size)
    right = left + int((right - left) * keep_width)
    # stop at the first tall blank band (the space above the page footer)
    blank, y, step = 0, top, 8
    while y < bottom:
        blank = 0 if gray.crop((left, y, right, y + step)).getbbox() else blank + step
        if blank > image.height // 12:
            bottom = y - blank + step
            break
        y += step
    pad = 12
    image.crop((max(left - pad, 0), max(top - pad, 0), min(right + pad, image.width),
                min(bottom + pad, image.height))).save(out, optimize=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--as-of", default="2026-11-01")
    args = ap.parse_args()
    os.chdir(ROOT)  # file names as the README's quick start shows them
    files = sorted(p for p in Path("evidence_samples").iterdir() if p.suffix in (".xlsx", ".csv"))
    data = api.run_assessment(files, as_of=dt.date.fromisoformat(args.as_of)).to_dict()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        book = export(data, tmp / "assessment.xlsx")
        org = find_row(book, "Summary", "Organization")
        top = sheet_pdf(book, "Summary", tmp, f"A1:Q{org + 14}", "summary-top")
        first_page_png(top, DOCS / "xlsx-summary.png", scale=3.0)
        levels = find_row(book, "Summary", "Capability levels")
        legend = find_row(book, "Summary", "Legend")
        first_page_png(sheet_pdf(book, "Summary", tmp, f"A{levels}:P{legend - 1}", "summary-levels"),
                       DOCS / "xlsx-levels.png", scale=3.0)
        # the CMMI part (generic, IWM, WP practices): the whole matrix is too wide to read in a picture
        first_page_png(sheet_pdf(book, "Matrix", tmp, matrix_area(book, "WP.SP2.7"), "matrix-cmmi"),
                       DOCS / "xlsx-matrix.png", scale=4.0)
    print("wrote", DOCS / "xlsx-summary.png", DOCS / "xlsx-levels.png", DOCS / "xlsx-matrix.png")


if __name__ == "__main__":
    main()
