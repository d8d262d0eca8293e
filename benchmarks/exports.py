"""Cost of every report format on a large result: seconds and peak memory per format.

    python benchmarks/exports.py [--rows 200000] [--projects 2000] [-r itil-pm-integration -r cmmi-svc-wp]
                                 [--formats all] [--engine auto|durable|python]

Builds synthetic long-layout evidence (``iwm_rules.synthetic``; default 200,000 rows over 2,000
projects and the 39 practices of two shipped rulesets), assesses it once from a csv file
(load + facts + engine + scoring: the reference time), then writes each available format of
the exporter registry in a fresh process, so that each peak is that format's own. Peak memory
is the process's peak resident set while exporting (Linux VmHWM, reset after the result is
loaded) and the growth over the resident set before exporting. Prints one line per format and
the ratio of all formats together to the assessment, in wall-clock and in CPU seconds.
"""
from __future__ import annotations

import argparse
import json
import pickle
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from iwm_rules import api, load_ruleset  # noqa: E402
from iwm_rules.exporters import FORMATS, available_formats  # noqa: E402
from iwm_rules.synthetic import synthetic_evidence  # noqa: E402


def rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # not Linux: best effort


def export_one(result: Path, fmt: str, outdir: Path) -> dict:
    """Run in a child process: load the pickled result, reset the peak, export, measure."""
    from iwm_rules.exporters import export

    with open(result, "rb") as fh:
        data = pickle.load(fh)
    base = rss_kib("VmRSS")
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    except OSError:
        pass
    t, c = time.perf_counter(), time.process_time()
    path = export(data, outdir / FORMATS[fmt][0], fmt)
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    peak = rss_kib("VmHWM")
    size = sum(p.stat().st_size for p in outdir.iterdir() if p.is_file())
    return {"format": fmt, "seconds": seconds, "cpu": cpu, "peak_mib": peak / 1024, "growth_mib": max(peak - base, 0) / 1024,
            "bytes": size, "file": path.name}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--projects", type=int, default=2_000)
    ap.add_argument("-r", "--ruleset", action="append", dest="rulesets")
    ap.add_argument("--formats", default="all", help="comma-separated formats, or all (every available one)")
    ap.add_argument("--engine", default="auto", choices=["auto", "durable", "python"])
    ap.add_argument("--child", nargs=3, metavar=("RESULT", "FORMAT", "OUTDIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(export_one(Path(args.child[0]), args.child[1], Path(args.child[2]))))
        return
    formats = available_formats() if args.formats == "all" else [f.strip() for f in args.formats.split(",")]
    rulesets = [load_ruleset(r) for r in (args.rulesets or ["itil-pm-integration", "cmmi-svc-wp"])]
    n_practices = sum(len(rs.practices) for rs in rulesets)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        frame = synthetic_evidence(rulesets, args.rows, n_projects=args.projects)
        frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
        src = tmp / "evidence.csv"
        frame.to_csv(src, index=False)
        del frame
        t, c = time.perf_counter(), time.process_time()
        result = api.run_assessment([src], rulesets=rulesets, engine=args.engine)
        assess_s, assess_cpu = time.perf_counter() - t, time.process_time() - c
        data = result.to_dict()
        n_proj, n_ev = len(data["projects"]), len(data["evidence"])
        n_gaps = sum(len(pr["gaps"]) for p in data["projects"] for pr in p["practices"])
        print(f"input: {args.rows:,} evidence rows, {n_proj:,} projects x {n_practices} practices "
              f"({', '.join(rs.id for rs in rulesets)}); {n_ev:,} accepted, {n_gaps:,} gaps")
        print(f"assessment (load csv + facts + engine + scoring): {assess_s:.1f} s ({assess_cpu:.1f} s CPU), "
              f"peak RSS so far {rss_kib('VmHWM') / 1024:.0f} MiB")
        pickled = tmp / "result.pickle"
        with open(pickled, "wb") as fh:
            pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)
        del data, result
        print(f"{'format':8} {'seconds':>8} {'CPU s':>7} {'peak MiB':>9} {'growth MiB':>11} {'size MiB':>9}  file")
        total = total_cpu = 0.0
        for fmt in formats:
            out = tmp / f"out-{fmt}"
            out.mkdir()
            done = subprocess.run([sys.executable, __file__, "--child", str(pickled), fmt, str(out)],
                                  capture_output=True, text=True)
            if done.returncode != 0:
                print(f"{fmt:8} failed: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else done.returncode}")
                continue
            m = json.loads(done.stdout.strip().splitlines()[-1])
            total += m["seconds"]
            total_cpu += m["cpu"]
            print(f"{fmt:8} {m['seconds']:8.1f} {m['cpu']:7.1f} {m['peak_mib']:9.0f} {m['growth_mib']:11.0f} "
                  f"{m['bytes'] / 2**20:9.1f}  {m['file']}")
        print(f"all formats: {total:.1f} s = {total / assess_s:.2f} x the assessment; CPU {total_cpu:.1f} s = "
              f"{total_cpu / assess_cpu:.2f} x (target: under 2 x; CPU time is the steadier figure on a shared machine)")


if __name__ == "__main__":
    main()
