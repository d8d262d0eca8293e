"""Seconds and memory of ``load_evidence`` alone on one big long-layout csv.

    python benchmarks/load_memory.py [--rows 1000000] [--projects 10000] [--python-path]

Uses the csv ``benchmarks/scale.py`` generates (made here when missing), loads it once in this
process and prints the load time, the resident memory right after loading (the accepted table
and everything else still alive) and the peak resident memory of the process.
``--python-path`` forces the csv reader's row-by-row Python parser, for comparison.
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--projects", type=int, default=10_000)
    ap.add_argument("--python-path", action="store_true", help="use the row-by-row Python csv parser")
    args = ap.parse_args()
    from scale import RULESETS, generate

    path = generate(args.rows, args.projects)
    from iwm_rules import load_evidence, load_ruleset
    from iwm_rules.evidence import csvread

    if args.python_path:
        csvread.FAST_PATH = False
    rulesets = [load_ruleset(r) for r in RULESETS]
    before = rss_mib()
    t = time.perf_counter()
    evidence = load_evidence([path], rulesets)
    seconds = time.perf_counter() - t
    after = rss_mib()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{path.name}: {len(evidence.table):,} rows accepted, {len(evidence.rejected):,} rejected "
          f"({'python' if args.python_path else 'default'} csv path)")
    print(f"  load            {seconds:7.2f} s")
    print(f"  RSS before load {before:7.0f} MiB")
    print(f"  RSS after load  {after:7.0f} MiB")
    print(f"  peak RSS        {peak:7.0f} MiB")


if __name__ == "__main__":
    main()
