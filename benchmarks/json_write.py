"""Time writing assessment.json for a large result (compact and --pretty).

    python benchmarks/json_write.py [--rows 100000] [--projects 200] [--repeat 3]

Generates evidence with ``iwm_rules.synthetic``, assesses it once (python engine), then
writes the JSON result through the real exporter and prints the best seconds and the size.
"""
from __future__ import annotations

import argparse
import datetime as dt
import inspect
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from iwm_rules import assess, load_ruleset  # noqa: E402
from iwm_rules.evidence import Evidence, FileReport  # noqa: E402
from iwm_rules.evidence.table import REJECTED_COLUMNS  # noqa: E402
from iwm_rules.exporters import export  # noqa: E402
from iwm_rules.exporters.json_export import write  # noqa: E402
from iwm_rules.synthetic import synthetic_evidence  # noqa: E402


def evidence_from(frame, rulesets) -> Evidence:
    """Accepted rows straight from the generated frame (the reader is not what is timed here)."""
    import pandas as pd

    from iwm_rules.evidence import load_evidence

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "evidence.csv"
        frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
        ev = load_evidence([path], rulesets)
    return ev if len(ev.table) else Evidence(pd.DataFrame(), pd.DataFrame(columns=list(REJECTED_COLUMNS)),
                                             [FileReport("none", "", "none")])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--projects", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rulesets = [load_ruleset("cmmi-svc-iwm"), load_ruleset("cmmi-svc-wp")]
    frame = synthetic_evidence(rulesets, args.rows, n_projects=args.projects)
    t = time.perf_counter()
    result = assess(rulesets, evidence_from(frame, rulesets), as_of=dt.date(2026, 11, 22), engine="python")
    print(f"{args.rows:,} rows, {args.projects} projects: load + assess {time.perf_counter() - t:.1f} s")
    styles = [{}, {"pretty": True}] if "pretty" in inspect.signature(write).parameters else [{}]
    with tempfile.TemporaryDirectory() as tmp:
        for options in styles:
            best = float("inf")
            for _ in range(args.repeat):
                t = time.perf_counter()
                path = export(result, Path(tmp) / "assessment.json", "json", **options)
                best = min(best, time.perf_counter() - t)
            name = "pretty" if options else "default"
            print(f"  json {name:8} {best:6.2f} s  {path.stat().st_size / 2**20:7.1f} MiB")


if __name__ == "__main__":
    main()
