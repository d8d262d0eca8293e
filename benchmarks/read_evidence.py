"""Evidence loading speed: the loader next to the bare reader on the same 100k-row workbook.

    python benchmarks/read_evidence.py [--rows 100000] [--repeat 3]

The loader does everything the bare reader does not: zip and XML safety checks, header
detection, validation of every cell, practice resolution, rejected-row bookkeeping. The
figure to watch is the loader's rows/s as a share of the bare reader's (target: >= 70%).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import python_calamine

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from pipeline import write_xlsx  # noqa: E402

from iwm_rules import load_evidence, load_ruleset  # noqa: E402
from iwm_rules.evidence.raw import read_raw  # noqa: E402
from iwm_rules.synthetic import synthetic_evidence  # noqa: E402


def best(fn, repeat: int) -> float:
    """Best of ``repeat`` runs, in CPU seconds of this process (``--wall``: elapsed seconds). On a
    machine shared with other work CPU time is the steadier figure; both agree on an idle one."""
    clock = time.perf_counter if WALL else time.process_time
    times = []
    for _ in range(repeat):
        t = clock()
        fn()
        times.append(clock() - t)
    return min(times)


WALL = False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--wall", action="store_true", help="elapsed seconds instead of CPU seconds")
    args = ap.parse_args()
    global WALL
    WALL = args.wall
    rulesets = [load_ruleset("cmmi-svc-iwm"), load_ruleset("cmmi-svc-wp")]
    frame = synthetic_evidence(rulesets, args.rows, n_projects=200)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "evidence.xlsx"
        write_xlsx(frame, path)
        bare = best(lambda: python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Evidence").to_python(),
                    args.repeat)
        frame_reader = best(lambda: pd.read_excel(path, engine="calamine", sheet_name="Evidence"), args.repeat)
        raw = best(lambda: read_raw(path), args.repeat)
        full = best(lambda: load_evidence([path], rulesets), args.repeat)
    n = args.rows
    print(f"{n:,} rows x {len(frame.columns)} columns, best of {args.repeat}, "
          f"{'elapsed' if WALL else 'CPU'} seconds")
    print(f"  bare python-calamine rows {bare:6.2f} s  {n / bare:>10,.0f} rows/s")
    print(f"  pandas.read_excel (calamine engine, a DataFrame like the loader's)"
          f"\n                            {frame_reader:6.2f} s  {n / frame_reader:>10,.0f} rows/s")
    print(f"  read_raw (safety checks)  {raw:6.2f} s  {n / raw:>10,.0f} rows/s  {bare / raw:6.1%} of bare")
    print(f"  load_evidence (all)       {full:6.2f} s  {n / full:>10,.0f} rows/s  {bare / full:6.1%} of bare rows, "
          f"{frame_reader / full:6.1%} of read_excel")


if __name__ == "__main__":
    main()
