"""Resident memory over many rule-engine runs: durable_rules must not grow run after run.

    PYTHONPATH=. python benchmarks/engine_memory.py [--runs 1000] [--facts 20] [--engine durable]

Prints RSS before and after (MB) and the growth per run. Before one host and one registered
ruleset were reused per process, 1,000 runs of the standard rules grew RSS from ~78 to ~246 MB.
"""
from __future__ import annotations

import argparse
import time

from iwm_rules.engine import run_rules, select_engine
from iwm_rules.ruleset import load_standard_rules


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        return int(next(line for line in fh if line.startswith("VmRSS:")).split()[1]) / 1024


def facts(n: int) -> list[dict]:
    return [{"type": "work_product", "project": f"P{i}", "ruleset": "r", "practice": "p", "goal": "g",
             "work_product": "w", "name": "Plan", "required": True, "owner": "", "n_artifacts": i % 2,
             "n_adequate": 0, "n_unapproved": 1, "n_stale": 0, "n_supporting": 0, "newest_age_days": 3,
             "max_age_days": 365, "parties": [], "waiver": "none", "waiver_expires": ""} for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1000)
    ap.add_argument("--facts", type=int, default=20)
    ap.add_argument("--engine", default="durable", choices=["auto", "durable", "python"])
    args = ap.parse_args()
    engine = select_engine(args.engine)
    rules = list(load_standard_rules())
    run_rules(rules, facts(args.facts), backend=engine.backend)  # first run registers the ruleset
    before = rss_mb()
    t = time.perf_counter()
    for _ in range(args.runs):
        run_rules(rules, facts(args.facts), backend=engine.backend)
    after = rss_mb()
    print(f"engine {engine.name} {engine.version}: {args.runs} runs x {args.facts} facts in "
          f"{time.perf_counter() - t:.1f} s")
    print(f"RSS before {before:.1f} MB, after {after:.1f} MB, growth {(after - before) * 1024 / args.runs:.2f} KB per run")


if __name__ == "__main__":
    main()
