"""Portfolio benchmark: ``run_batch`` against a bare read of the same files and a naive baseline.

    python benchmarks/batch.py --format csv --rows 100000 --projects 1000 --files 20
    python benchmarks/batch.py --format xlsx --files 500 --rows 50000 --projects 500
    python benchmarks/batch.py --format csv --rows 1000000 --projects 10000 --files 100 --no-naive

Generates a portfolio with ``iwm_rules.synthetic`` (each project in one file, a few projects
split over two files; about 1% of rows faulty: unknown practice, unparsable date, unknown
status; a few blank rows; one damaged file per 200), then prints:

- files, rows, projects;
- bare read: python-calamine ``to_python()`` per workbook / pandas C-engine ``read_csv`` per
  csv, in one process (no validation, no assessment); generation and bare read run in one child
  process and the batch in another, so the batch's peak RSS is its own;
- batch: ``run_batch`` wall time, ratio to the bare read, rows/s, and its stages (find, read
  in workers, merge, facts, engine, scoring, evidence records, portfolio extras, JSON write);
- CPU and peak RSS of this process and of the workers (``resource.getrusage``; the workers are
  this process's children: the pool forks them);
- naive baseline: openpyxl (xlsx) or csv-module row iteration with per-row Python matching
  of every work-product pattern, characterizing each project x practice.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import iwm_rules.assessment as assessment_module  # noqa: E402
from iwm_rules import load_ruleset  # noqa: E402
from iwm_rules.batch import run_batch  # noqa: E402
from iwm_rules.batch_pool import default_jobs  # noqa: E402
from iwm_rules.exporters import export  # noqa: E402
from iwm_rules.model import pattern_to_regex  # noqa: E402
from iwm_rules.synthetic import synthetic_evidence  # noqa: E402

COLUMNS = ["project", "practice", "work_product", "evidence_type", "status", "date", "owner", "party", "location",
           "notes", "weakness"]


def make_portfolio(folder: Path, rulesets, *, rows: int, projects: int, files: int, fmt: str, seed: int = 7) -> int:
    """Write the portfolio; returns the number of data rows written (faulty and blank included)."""
    frame = synthetic_evidence(rulesets, rows, n_projects=projects, seed=seed)
    rng = np.random.default_rng(seed)
    frame["date"] = frame["date"].dt.strftime("%Y-%m-%d")
    fault = rng.random(len(frame))
    frame.loc[fault < 0.004, "practice"] = "IWM.SP9.9"
    frame.loc[(fault >= 0.004) & (fault < 0.007), "date"] = "31/02/2026"
    frame.loc[(fault >= 0.007) & (fault < 0.010), "status"] = "pending"
    pnum = frame["project"].str[1:].astype(int).to_numpy()
    file_of = (pnum - 1) % files
    split = (pnum % 50 == 0) & (rng.random(len(frame)) < 0.5)  # a few projects over two files
    file_of = np.where(split, (file_of + 1) % files, file_of)
    written = 0
    for i in range(files):
        part = frame[file_of == i]
        path = folder / f"evidence-{i:05d}.{fmt}"
        records = part.to_numpy(dtype=object).tolist()
        if records:
            records.insert(len(records) // 2, [""] * len(COLUMNS))  # one blank row in each file
        written += len(records)
        if fmt == "csv":
            with open(path, "w", newline="", encoding="utf-8") as fh:
                w = csv.writer(fh)
                w.writerow(COLUMNS)
                w.writerows(records)
        else:
            _write_xlsx(path, records)
    for i in range(0, files, 200):  # damaged files among the good ones
        (folder / f"damaged-{i:05d}.{fmt}").write_bytes(b"PK\x03\x04" + bytes(200) if fmt == "xlsx" else b"\x00\x01binary")
    return written


def _write_xlsx(path: Path, records: list[list]) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
    ws = wb.add_worksheet("Evidence")
    ws.write_row(0, 0, COLUMNS)
    for r, rec in enumerate(records, start=1):
        for c, v in enumerate(rec):
            if v != "":
                ws.write_string(r, c, str(v))
    wb.close()


def bare_read(paths: list[Path], fmt: str) -> tuple[float, float]:
    t, c = time.perf_counter(), time.process_time()
    if fmt == "csv":
        import pandas as pd

        for p in paths:
            try:
                pd.read_csv(p, engine="c", dtype=str, keep_default_na=False)
            except Exception:  # noqa: BLE001 - the damaged files
                pass
    else:
        import python_calamine

        for p in paths:
            try:
                python_calamine.CalamineWorkbook.from_path(str(p)).get_sheet_by_index(0).to_python()
            except Exception:  # noqa: BLE001
                pass
    return time.perf_counter() - t, time.process_time() - c


def naive(paths: list[Path], rulesets, fmt: str) -> tuple[float, int]:
    """Row iteration with per-row pattern matching, then a per-practice characterization."""
    t, c = time.perf_counter(), time.process_time()
    wps = {p.id: [(w.id, w.required, [re.compile(pattern_to_regex(m), re.I) for m in w.match]) for w in p.work_products]
           for rs in rulesets for p in rs.practices}
    seen: dict[tuple, set] = defaultdict(set)
    projects = set()
    for path in paths:
        try:
            if fmt == "csv":
                fh = open(path, newline="", encoding="utf-8")
                rows = csv.reader(fh)
            else:
                import openpyxl

                wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
                rows = wb.worksheets[0].iter_rows(values_only=True)
            header = next(rows)
            idx = {h: i for i, h in enumerate(header)}
            for r in rows:
                if not r or not r[idx["practice"]]:
                    continue
                project, practice, text = r[idx["project"]], r[idx["practice"]], str(r[idx["work_product"]] or "")
                if practice not in wps:
                    continue
                projects.add(project)
                ok = r[idx["status"]] in ("approved", "baselined", "", None)
                for wid, _req, pats in wps[practice]:
                    if any(p.search(text) for p in pats):
                        seen[(project, practice, wid)].add(ok)
        except Exception:  # noqa: BLE001 - the damaged files
            continue
    chars = {}
    for project in projects:
        for pid, items in wps.items():
            req = [w for w, r, _ in items if r]
            adequate = sum(True in seen.get((project, pid, w), ()) for w in req)
            evidenced = sum(bool(seen.get((project, pid, w))) for w in req)
            chars[(project, pid)] = "FI" if req and adequate == len(req) else "LI" if req and evidenced == len(req) \
                else "PI" if evidenced else "NI"
    return time.perf_counter() - t, time.process_time() - c, len(chars)


def timed_stages(stages: dict[str, float], cpu: dict[str, float]) -> None:
    """Time the assessment stages by wrapping the functions ``assess`` calls (no change to them)."""
    for attr, name in (("build_facts", "facts"), ("run_rules", "engine"), ("score", "scoring"),
                       ("evidence_records", "evidence records")):
        original = getattr(assessment_module, attr)

        def wrapper(*a, _f=original, _n=name, **kw):
            t, c = time.perf_counter(), time.process_time()
            try:
                return _f(*a, **kw)
            finally:
                stages[_n] = stages.get(_n, 0.0) + time.perf_counter() - t
                cpu[_n] = cpu.get(_n, 0.0) + time.process_time() - c

        setattr(assessment_module, attr, functools.wraps(original)(wrapper))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--projects", type=int, default=1_000)
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("-j", "--jobs", type=int, default=None)
    ap.add_argument("--engine", default="auto", choices=["auto", "durable", "python"])
    ap.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    ap.add_argument("--prepare", help=argparse.SUPPRESS)  # child process: generate into this folder, bare-read it
    ap.add_argument("--measure", help=argparse.SUPPRESS)  # child process: run the batch over this folder
    ap.add_argument("--prepared", help=argparse.SUPPRESS)  # [rows, bare seconds, bare CPU seconds]
    args = ap.parse_args()
    if args.prepare:
        folder = Path(args.prepare)
        rulesets = [load_ruleset("cmmi-svc-iwm"), load_ruleset("cmmi-svc-wp")]
        rows = make_portfolio(folder, rulesets, rows=args.rows, projects=args.projects, files=args.files,
                              fmt=args.format)
        print(json.dumps([rows, *bare_read(sorted(folder.iterdir()), args.format)]))
        return
    if args.measure:
        rows, bare, bare_cpu = json.loads(args.prepared)
        measure(args, Path(args.measure), rows, bare, bare_cpu)
        return
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "portfolio"
        folder.mkdir()
        t = time.perf_counter()
        # generated and bare-read in one child process, measured in another: each peak RSS is its own
        common = ["--format", args.format, "--rows", str(args.rows), "--projects", str(args.projects),
                  "--files", str(args.files)]
        child = subprocess.run([sys.executable, __file__, "--prepare", str(folder), *common],
                               check=True, capture_output=True, text=True)
        rows, bare, bare_cpu = json.loads(child.stdout.strip().splitlines()[-1])
        paths = sorted(folder.iterdir())
        size = sum(p.stat().st_size for p in paths) / 2**20
        print(f"portfolio: {len(paths)} {args.format} files ({size:.1f} MiB), {rows:,} rows, {args.projects:,} projects; "
              f"generated and read in {time.perf_counter() - t:.1f} s", flush=True)
        extra = (["-j", str(args.jobs)] if args.jobs else []) + ["--engine", args.engine] + \
            (["--no-naive"] if args.no_naive else [])
        subprocess.run([sys.executable, __file__, "--measure", str(folder), "--prepared",
                        json.dumps([rows, bare, bare_cpu]), *common, *extra], check=True)


def measure(args, folder: Path, rows: int, bare: float, bare_cpu: float) -> None:
    """The batch over the prepared portfolio, in a fresh process (its workers are its only children)."""
    rulesets = [load_ruleset("cmmi-svc-iwm"), load_ruleset("cmmi-svc-wp")]
    paths = sorted(folder.iterdir())
    out_dir = tempfile.TemporaryDirectory()
    tmp = out_dir.name
    print(f"bare read ({'pandas C engine' if args.format == 'csv' else 'python-calamine'}, one process): "
          f"{bare:.2f} s (CPU {bare_cpu:.2f} s), {rows / bare:,.0f} rows/s")
    stages: dict[str, float] = {}
    stage_cpu: dict[str, float] = {}
    timed_stages(stages, stage_cpu)
    t = time.perf_counter()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    # no sampling thread here: a second thread would make the pool start its workers from
    # the fork server (importing everything again) instead of forking, as the CLI does
    result = run_batch([folder], rulesets, jobs=args.jobs, progress=False, engine=args.engine,
                       as_of=dt.date(2026, 11, 22))
    kids2 = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's workers have exited: counted
    worker_cpu = kids2.ru_utime + kids2.ru_stime - kids.ru_utime - kids.ru_stime
    t_json, c_json = time.perf_counter(), time.process_time()
    out = export(result.data, Path(tmp) / "portfolio.json", "json")
    t_end = time.perf_counter()
    stage_cpu["json write"] = time.process_time() - c_json
    total = t_end - t
    d = result.data
    acc = sum(f["rows_accepted"] for f in d["input"]["files"])
    rej = sum(f["rows_rejected"] for f in d["input"]["files"])
    skp = sum(f["rows_skipped"] for f in d["input"]["files"])
    print(f"batch (-j {args.jobs or 'all cores'}, engine {d['manifest']['engine']['name']}): {total:.2f} s "
          f"= {total / bare:.1f}x the bare read, {rows / total:,.0f} rows/s; {len(d['projects']):,} projects, "
          f"{acc:,} accepted + {rej:,} rejected + {skp:,} skipped rows, {len(result.failed_files)} failed file(s); "
          f"portfolio.json {out.stat().st_size / 2**20:.1f} MiB")
    tm = dict(result.timings)
    breakdown = {"find + rulesets": tm["find"], "read (workers)": tm["read"], "merge": tm["merge"]}
    breakdown.update(stages)
    breakdown["assess, other"] = tm["assess"] - sum(stages.values())
    breakdown["portfolio extras"] = tm["portfolio"]
    breakdown["json write"] = t_end - t_json
    print(f"  {'stage':18} {'wall':>9}  {'share':>6}  {'main-process CPU':>16}")
    for k, v in breakdown.items():
        c = f"{stage_cpu[k]:7.2f} s" if k in stage_cpu else ""
        print(f"  {k:18} {v:7.2f} s  {v / total:6.1%}  {c:>16}")
    cpu2 = resource.getrusage(resource.RUSAGE_SELF)
    main_cpu = cpu2.ru_utime + cpu2.ru_stime - cpu.ru_utime - cpu.ru_stime
    jobs = args.jobs or default_jobs()
    print(f"CPU during batch + JSON: main process {main_cpu:.2f} s, workers {worker_cpu:.2f} s, wall {total:.2f} s")
    print(f"peak RSS: main process {peak_rss_mb():,.0f} MB, largest worker {kids2.ru_maxrss / 1024:,.0f} MB, "
          f"all together at most {peak_rss_mb() + jobs * kids2.ru_maxrss / 1024:,.0f} MB ({jobs} workers)")
    if not args.no_naive:
        t_naive, c_naive, n = naive(paths, rulesets, args.format)
        print(f"naive baseline ({'csv module' if args.format == 'csv' else 'openpyxl'} rows + per-row matching, "
              f"{n:,} characterizations): {t_naive:.2f} s (CPU {c_naive:.2f} s); batch/naive wall "
              f"{t_naive / total:.2f}x faster, CPU {c_naive / (main_cpu + worker_cpu):.2f}x")
    out_dir.cleanup()


if __name__ == "__main__":
    main()
