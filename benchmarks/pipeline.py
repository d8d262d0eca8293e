"""Throughput of the whole pipeline: load -> facts -> engine -> scoring, on generated evidence.

    python benchmarks/pipeline.py [--rows 100000] [--projects 200] [--engine durable|python]

Prints seconds per stage, evidence rows per second end to end, and the engine's share.
"""
from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from iwm_rules import load_evidence, load_ruleset  # noqa: E402
from iwm_rules.engine import run_rules  # noqa: E402
from iwm_rules.facts import build_facts  # noqa: E402
from iwm_rules.ruleset import load_standard_rules  # noqa: E402
from iwm_rules.scoring import score  # noqa: E402
from iwm_rules.synthetic import synthetic_evidence  # noqa: E402


def write_xlsx(frame, path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
    ws = wb.add_worksheet("Evidence")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    cols = list(frame.columns)
    ws.write_row(0, 0, cols)
    for r, row in enumerate(frame.itertuples(index=False), start=1):
        for c, v in enumerate(row):
            if cols[c] == "date":
                ws.write_datetime(r, c, v.to_pydatetime(), date_fmt)
            elif v != "":
                ws.write_string(r, c, str(v))
    wb.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--projects", type=int, default=200)
    ap.add_argument("--engine", default="durable", choices=["durable", "python"])
    args = ap.parse_args()
    rulesets = [load_ruleset("cmmi-svc-iwm"), load_ruleset("cmmi-svc-wp")]
    frame = synthetic_evidence(rulesets, args.rows, n_projects=args.projects)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "evidence.xlsx"
        t = time.perf_counter()
        write_xlsx(frame, path)
        print(f"generated {args.rows:,} rows x {len(frame.columns)} columns, {args.projects} projects "
              f"({path.stat().st_size / 2**20:.1f} MiB xlsx) in {time.perf_counter() - t:.1f} s")
        times = {}
        t = time.perf_counter()
        evidence = load_evidence([path], rulesets)
        times["load"] = time.perf_counter() - t
        t = time.perf_counter()
        facts = build_facts(rulesets, evidence.table, as_of=dt.date(2026, 11, 22))
        records = facts.records()
        times["facts"] = time.perf_counter() - t
        t = time.perf_counter()
        findings = run_rules(list(load_standard_rules()), records, backend=args.engine)
        times["engine"] = time.perf_counter() - t
        t = time.perf_counter()
        score(rulesets, facts, findings)
        times["scoring"] = time.perf_counter() - t
    total = sum(times.values())
    print(f"accepted {len(evidence.table):,} rows, {len(evidence.rejected)} rejected; {len(records):,} facts; "
          f"{len(findings):,} findings ({args.engine})")
    for k, v in times.items():
        print(f"  {k:8} {v:7.2f} s  {v / total:6.1%}")
    print(f"  total    {total:7.2f} s  -> {args.rows / total:,.0f} evidence rows/s end to end")
    print(f"  engine: {len(records) / times['engine']:,.0f} facts/s, {times['engine'] / total:.1%} of the time")


if __name__ == "__main__":
    main()
