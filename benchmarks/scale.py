"""Seconds per stage and peak memory of one ``assess`` over a big long-layout csv.

    python benchmarks/scale.py [--rows 100000] [--projects 1000] [--engine durable python]

Generates the csv once with ``iwm_rules.synthetic`` (kept in the temporary folder between
runs), then runs each engine in a fresh process so that its peak RSS is its own: load, facts
(``build_facts`` + ``Facts.records``), engine, scoring, evidence records, the rest of
``assess`` (levels, team notes, manifest) and writing assessment.json as the CLI does
(``exporters.export``: compact, streamed, to a temporary file that is then removed).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RULESETS = ["cmmi-svc-iwm", "cmmi-svc-wp"]


def generate(rows: int, projects: int) -> Path:
    from iwm_rules import load_ruleset
    from iwm_rules.synthetic import synthetic_evidence

    path = Path(tempfile.gettempdir()) / f"iwm-scale-{rows}-{projects}.csv"
    if not path.exists():
        frame = synthetic_evidence([load_ruleset(r) for r in RULESETS], rows, n_projects=projects)
        frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
        frame.to_csv(path.with_suffix(".part"), index=False)
        path.with_suffix(".part").rename(path)
    return path


def measure(path: Path, engine: str) -> dict:
    """One assessment of ``path`` in this process; seconds per stage and peak RSS (MiB)."""
    from iwm_rules import assessment, load_evidence, load_ruleset
    from iwm_rules.exporters import export
    from iwm_rules.facts import Facts

    times: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(*a, **kw):
            t = time.perf_counter()
            try:
                return fn(*a, **kw)
            finally:
                times[name] = times.get(name, 0.0) + time.perf_counter() - t
        return wrapper

    assessment.build_facts = timed("facts", assessment.build_facts)
    Facts.records = timed("facts", Facts.records)
    assessment.run_rules = timed("engine", assessment.run_rules)
    assessment.score = timed("scoring", assessment.score)
    assessment.evidence_records = timed("evidence", assessment.evidence_records)
    rulesets = [load_ruleset(r) for r in RULESETS]
    t = time.perf_counter()
    evidence = load_evidence([path], rulesets)
    times["load"] = time.perf_counter() - t
    t = time.perf_counter()
    result = assessment.assess(rulesets, evidence, as_of=dt.date(2026, 11, 22), engine=engine)
    whole = time.perf_counter() - t
    times["rest of assess"] = whole - sum(v for k, v in times.items() if k != "load")
    peak_before_json = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        out = export(result.data, Path(tmp) / "assessment.json", "json")
        times["json"] = time.perf_counter() - t
        size = out.stat().st_size
    findings = len(result.findings)
    return {"engine": engine, "rows": len(evidence.table), "findings": findings, "json_mib": size / 2**20,
            "stages": times, "total": sum(times.values()),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "peak_rss_before_json_mib": peak_before_json}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--projects", type=int, default=1_000)
    ap.add_argument("--engine", nargs="+", default=["durable", "python"], choices=["durable", "python"])
    ap.add_argument("--child", help=argparse.SUPPRESS)  # csv path: measure in this process, print JSON
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.child), args.engine[0])))
        return
    t = time.perf_counter()
    path = generate(args.rows, args.projects)
    print(f"input: {path} ({args.rows:,} rows, {args.projects:,} projects, {path.stat().st_size / 2**20:.0f} MiB; "
          f"ready in {time.perf_counter() - t:.1f} s)")
    for engine in args.engine:
        out = subprocess.run([sys.executable, __file__, "--child", str(path), "--engine", engine],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"engine {engine}: {r['rows']:,} rows accepted, {r['findings']:,} findings, "
              f"JSON {r['json_mib']:.0f} MiB, peak RSS {r['peak_rss_mib']:.0f} MiB "
              f"({r['peak_rss_before_json_mib']:.0f} MiB before writing the JSON)")
        for k, v in r["stages"].items():
            print(f"  {k:15} {v:7.2f} s")
        print(f"  {'total':15} {r['total']:7.2f} s  -> {r['rows'] / r['total']:,.0f} rows/s")


if __name__ == "__main__":
    main()
