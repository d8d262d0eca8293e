"""Time writing assessment.json for a large result (compact and --pretty).

    python benchmarks/json_write.py [--rows 100000] [--projects 200] [--repeat 3]

Generates evidence with ``iwm_rules.synthetic``, assesses it once (python engine), then
writes the JSON result through the real exporter (compact and ``--pretty``) and, for
comparison, with the standard library as before orjson (``json.dump(indent=2)``); prints the
best seconds and the size of each.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from iwm_rules import Evidence, assess, load_evidence, load_ruleset  # noqa: E402
from iwm_rules.exporters import export  # noqa: E402
from iwm_rules.synthetic import synthetic_evidence  # noqa: E402


def evidence_from(frame, rulesets) -> Evidence:
    """The generated rows read back through the real loader, from a csv."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "evidence.csv"
        frame.assign(date=frame["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
        return load_evidence([path], rulesets)


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
    def stdlib(path: Path) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(result.to_dict(), fh, indent=2, ensure_ascii=False, default=str)

    ways = {"orjson compact (default)": lambda p: export(result, p, "json"),
            "orjson --pretty": lambda p: export(result, p, "json", pretty=True),
            "json.dump indent=2 (before)": stdlib}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "assessment.json"
        for name, way in ways.items():
            best = float("inf")
            for _ in range(args.repeat):
                t = time.perf_counter()
                way(path)
                best = min(best, time.perf_counter() - t)
            print(f"  {name:28} {best:6.2f} s  {path.stat().st_size / 2**20:7.1f} MiB")

if __name__ == "__main__":
    main()
