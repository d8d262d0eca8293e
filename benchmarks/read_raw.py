"""Rows per second: bare python-calamine vs ``read_raw`` (and the cost of its zip checks).

Usage: python benchmarks/read_raw.py [ROWS] [--repeat N]

Writes a ROWS x 10 evidence-like workbook (default 100,000 rows) with xlsxwriter in
constant-memory mode into a temporary directory, then times, best of N runs:

- bare calamine: ``CalamineWorkbook.from_path(...).get_sheet_by_name(...).to_python()``
- ``inspect_zip``: the pre-reader checks alone (directory, real inflation, XML scans)
- ``read_raw``: checks + calamine + '' -> None / float -> int conversion + blank trimming
- the same table as csv through ``read_raw``
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import python_calamine  # noqa: E402
import xlsxwriter  # noqa: E402

from iwm_rules.evidence.raw import inspect_zip, read_raw  # noqa: E402

HEADER = ["project", "practice", "work_product", "evidence_type", "status", "date", "owner", "location", "notes",
          "weakness"]


def row_values(r: int) -> list:
    return [f"P{r % 50}", f"PP {r % 30}", f"Work product number {r}", "artifact", "approved",
            dt.date(2024, 1, 1) + dt.timedelta(days=r % 700), f"owner{r % 17}", f"https://repo/x/{r}", r * 1.5, ""]


def write_workbook(path: Path, rows: int) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Evidence")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for c, h in enumerate(HEADER):
        ws.write_string(0, c, h)
    for r in range(1, rows + 1):
        for c, v in enumerate(row_values(r)):
            if isinstance(v, dt.date):
                ws.write_datetime(r, c, v, date_fmt)
            elif isinstance(v, float):
                ws.write_number(r, c, v)
            elif v:
                ws.write_string(r, c, v)
    wb.close()


def write_csv(path: Path, rows: int) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for r in range(1, rows + 1):
            w.writerow(row_values(r))


def best_of(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("rows", nargs="?", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    n = args.rows + 1  # with the header

    with tempfile.TemporaryDirectory() as tmp:
        xlsx = Path(tmp) / "bench.xlsx"
        csv_path = Path(tmp) / "bench.csv"
        t = time.perf_counter()
        write_workbook(xlsx, args.rows)
        write_csv(csv_path, args.rows)
        print(f"wrote {args.rows:,} rows x {len(HEADER)} columns in {time.perf_counter() - t:.1f} s "
              f"(xlsx {xlsx.stat().st_size / 2**20:.1f} MiB, csv {csv_path.stat().st_size / 2**20:.1f} MiB)")

        def bare() -> None:
            wb = python_calamine.CalamineWorkbook.from_path(str(xlsx))
            rows = wb.get_sheet_by_name("Evidence").to_python()
            assert len(rows) == n

        def ours() -> None:
            [sheet] = read_raw(xlsx)
            assert len(sheet.rows) == n

        def ours_csv() -> None:
            [sheet] = read_raw(csv_path)
            assert len(sheet.rows) == n

        results = [
            ("bare calamine to_python", best_of(args.repeat, bare)),
            ("inspect_zip (checks only)", best_of(args.repeat, lambda: inspect_zip(xlsx))),
            ("read_raw xlsx", best_of(args.repeat, ours)),
            ("read_raw csv", best_of(args.repeat, ours_csv)),
        ]
        base = results[0][1]
        for label, secs in results:
            print(f"{label:28s} {secs:7.3f} s  {n / secs:12,.0f} rows/s  ({secs / base:5.2f}x bare calamine)")


if __name__ == "__main__":
    main()
