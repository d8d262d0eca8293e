"""A portfolio at once: many evidence files -> one result with every project (``portfolio.json``).

Files are found (folders searched recursively, globs expanded) and sorted by path, read and
validated in worker processes (:mod:`.batch_pool`), merged in that sorted order, and
assessed once in this process over the merged table (facts, engine and scoring see exactly
what ``assess`` would see for the same files). So the result depends only on the files and
options: not on ``jobs``, the executor, or the order the files were named or found in.

A project found in several files is one project. A file that cannot be used (unreadable,
damaged, hostile, no evidence table, or a reader that killed its worker) is listed in
``failed_files`` with its reason; the other files are assessed.
"""
from __future__ import annotations

import datetime as dt
import glob
import os
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .assessment import Assessment
from .batch_pool import EXECUTORS, TASK_TIMEOUT, FilePart, ReadJob, read_all
from .errors import EvidenceError, EvidenceFileError
from .evidence import Evidence, FileReport
from .evidence.names import project_variants
from .evidence.table import ACCEPTED_COLUMNS, REJECTED_COLUMNS
from .memory import release_free_memory

EVIDENCE_SUFFIXES = (".xlsx", ".xlsm", ".csv")
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass
class BatchResult:
    """The portfolio result (``data`` is the JSON document) and how the run went."""

    assessment: Assessment
    failed_files: list[dict] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def data(self) -> dict:
        return self.assessment.data

    @property
    def projects(self) -> list[dict]:
        return self.assessment.projects

    def to_dict(self) -> dict:
        """The portfolio document as plain Python data (see :meth:`Assessment.to_dict`)."""
        return self.assessment.to_dict()

    def coverage(self) -> float | None:
        return self.assessment.coverage()


def find_evidence_files(paths, *, exclude=()) -> list[str]:
    """Evidence files named by ``paths`` (files, folders searched recursively, globs), sorted by path.

    Each file is listed once (a file reached twice keeps its shortest spelling). Files found in
    a folder search under an ``exclude`` folder (the report folder) are left out. Raises
    EvidenceError naming every path that does not exist or holds no evidence file.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    found: dict[object, str] = {}
    problems = []
    skip = [os.path.realpath(e) for e in exclude]

    def excluded(path: Path) -> bool:
        real = os.path.realpath(path)
        return any(real == e or real.startswith(e.rstrip(os.sep) + os.sep) for e in skip)

    def add(path: Path) -> None:
        name = os.path.normpath(str(path))
        try:
            st = os.stat(name)
            key = (st.st_dev, st.st_ino)  # the same file through links or other spellings
        except OSError:
            key = os.path.realpath(name)
        if key not in found or (len(name), name) < (len(found[key]), found[key]):
            found[key] = name

    for given in paths:
        given = str(given)
        matches = sorted(glob.glob(given, recursive=True)) if _GLOB_CHARS.search(given) and not os.path.exists(given) \
            else [given]
        if not matches:
            problems.append(EvidenceFileError(given, "no file matches this pattern"))
        for m in matches:
            path = Path(m)
            if path.is_dir():
                inside = [f for f in path.rglob("*") if _is_evidence_name(f) and f.is_file() and not excluded(f)]
                if not inside:
                    problems.append(EvidenceFileError(m, "no .xlsx, .xlsm or .csv files in this folder"))
                for f in inside:
                    add(f)
            elif path.exists() or path.is_symlink():
                add(path)
            else:
                problems.append(EvidenceFileError(m, "file not found"))
    if problems:
        raise EvidenceError(problems)
    return sorted(found.values(), key=_path_key)


def _is_evidence_name(path: Path) -> bool:
    return path.suffix.lower() in EVIDENCE_SUFFIXES and not path.name.startswith(("~$", "."))


def _path_key(name: str) -> tuple:
    return tuple(Path(name).parts)


def run_batch(paths, rulesets=None, *, jobs: int | None = None, progress=None, executor: str = "process",
              scheduler: str | None = None, tailoring=None, as_of: dt.date | None = None, project: str | None = None,
              layout: str = "auto", reuse: bool = True, engine: str = "auto", mappings_file=None, limits=None,
              options: dict | None = None, exclude=(), task_timeout: float = TASK_TIMEOUT,
              apply_to=None, bridge: bool = True, legend_file=None) -> BatchResult:
    """Assess every evidence file under ``paths`` as one portfolio.

    ``rulesets``: Ruleset objects, ids or paths; None/empty: the shipped rulesets each project's
    evidence refers to. ``jobs``: worker processes (default: all cores). ``progress``: None shows a
    bar on stderr when it is a terminal; False shows nothing; a callable gets (files done, total).
    ``executor``: ``process`` (local workers) or ``dask`` (``scheduler`` = a distributed scheduler address).
    ``exclude``: folders whose files a folder search skips (the report folder). ``task_timeout``:
    local workers that finish nothing for this many seconds are stopped; a file that alone takes
    longer fails as hung.
    Raises EvidenceError when a named path does not exist; every other file problem is a
    ``failed_files`` entry.
    """
    from .api import assess_loaded, evidence_options, resolve_areas, select_rulesets
    from .ruleset import load_mappings

    if executor not in EXECUTORS:
        raise ValueError(f"unknown executor {executor!r}; choose from {', '.join(EXECUTORS)}")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    files = find_evidence_files(paths, exclude=exclude)
    selected, auto = select_rulesets(list(rulesets or []), resolve_areas(apply_to, tailoring))
    extra = load_mappings(mappings_file) if mappings_file else ()
    job = ReadJob(tuple(selected), project=project, layout=layout, limits=limits, mappings=tuple(extra),
                  evidence_options=evidence_options(bridge, legend_file))
    timings["find"] = time.perf_counter() - t0
    t = time.perf_counter()
    with _progress(progress, len(files)) as bar:
        parts, crashed = read_all(files, job, jobs=jobs, executor=executor, scheduler=scheduler, on_done=bar.step,
                                  timeout=task_timeout)
        timings["read"] = time.perf_counter() - t
        t = time.perf_counter()
        evidence, failed = merge_parts(files, parts, crashed)
        del parts
        release_free_memory()
        evidence.bridge = bridge_usage(evidence.table, job)
        timings["merge"] = time.perf_counter() - t
        t = time.perf_counter()
        bar.say(f"assessing {evidence.table['project'].nunique() if len(evidence.table) else 0:,} project(s)")
        opts = {"layout": layout, "project": project, "mappings": str(mappings_file) if mappings_file else None,
                **(options or {})}
        result = assess_loaded(evidence, selected, auto=auto, extra=extra, tailoring=tailoring, as_of=as_of,
                               reuse=reuse, engine=engine, options=opts)
        timings["assess"] = time.perf_counter() - t
    t = time.perf_counter()
    data = result.data
    data["failed_files"] = failed
    data["portfolio"] = portfolio_summary(data)
    timings["portfolio"] = time.perf_counter() - t
    return BatchResult(result, failed, files, timings)


def merge_parts(files: list[str], parts: list[FilePart], crashed: dict[int, str]) -> tuple[Evidence, list[dict]]:
    """One Evidence from the per-file parts, in file order, and the failed files with their reasons."""
    from .api import no_table_error
    from .evidence.raw import LimitExceededError

    tables = [p.table for p in parts if p.table is not None and len(p.table)]
    rejected = [p.rejected for p in parts if p.rejected is not None and len(p.rejected)]
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(
        {c: pd.Series(dtype="datetime64[ns]" if c == "date" else object) for c in ACCEPTED_COLUMNS})
    rej = pd.concat(rejected, ignore_index=True) if rejected else pd.DataFrame(
        {c: pd.Series(dtype=object) for c in REJECTED_COLUMNS})
    reports: list[FileReport] = []
    errors: list[tuple[int, EvidenceFileError]] = []
    warnings: list[dict] = []
    index_of = {str(Path(path)): i for i, path in enumerate(files)}
    for p in parts:
        reports.extend(p.reports)
        # look-alike project names are a matter of the whole portfolio: found once below
        warnings.extend(w for w in p.warnings if w.get("kind") != "project_variants")
        for path, message, limit in p.errors:
            errors.append((index_of.get(path, p.index),
                           LimitExceededError(path, message, limit) if limit else EvidenceFileError(path, message)))
        for r in p.reports:
            if r.layout == "none":
                errors.append((index_of.get(r.path, p.index), no_table_error(r)))
    warnings.extend(project_variants(table))
    errors.extend((i, EvidenceFileError(files[i], reason)) for i, reason in crashed.items())
    errors.sort(key=lambda e: e[0])
    evidence = Evidence(table=table, rejected=rej, files=reports, errors=[e for _, e in errors], warnings=warnings)
    failed = [{"file": e.path, "reason": e.message} for _, e in errors]
    return evidence, failed


def bridge_usage(table, job: ReadJob) -> dict:
    """``Evidence.bridge`` of the merged table: whether the CMMI V2.0/V3.0 bridge was on and which
    rows it carried to which rulesets (each worker's part knows only its own files)."""
    from .evidence import bridge as bridging
    from .ruleset import Catalogue

    opts = job.evidence_options or {}
    on = bool(opts.get("use_bridge", True))
    rows = tuple(opts.get("bridge") or ()) if on else ()
    return bridging.usage(table, bridging.resolve(tuple(job.mappings), Catalogue(list(job.rulesets)), rows, enabled=on))


class _progress:
    """A rich progress bar on stderr when it is a terminal (or a callback); quiet otherwise."""

    def __init__(self, progress, total: int):
        self.total = total
        self.callback: Callable[[int, int], None] | None = progress if callable(progress) else None
        self.bar = None
        if progress is None and sys.stderr.isatty() or progress is True:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                TimeRemainingColumn(), console=Console(stderr=True), transient=True)
        self.done = 0

    def __enter__(self):
        return self

    def step(self, n: int) -> None:
        """``n`` more files done (0: the workers have started)."""
        self.done += n
        if self.bar is not None:
            if not self.bar.live.is_started:  # started once the workers exist: they are forked without its thread
                self.bar.start()
                self.task = self.bar.add_task("reading evidence files", total=self.total)
            self.bar.update(self.task, completed=self.done)
        if self.callback is not None and n:
            self.callback(self.done, self.total)

    def say(self, text: str) -> None:
        if self.bar is not None and self.bar.live.is_started:
            self.bar.update(self.task, description=text)

    def __exit__(self, *exc) -> None:
        if self.bar is not None and self.bar.live.is_started:
            self.bar.stop()


# --------------------------------------------------------------------------- portfolio extras

COVERAGE_BINS = 10


def portfolio_summary(data: dict) -> dict:
    """Plain records for portfolio reports: the most frequent gaps and the coverage distribution.

    ``most_frequent_gaps``: one entry per (ruleset, practice, kind, work product) with the number
    of projects that have that gap and their share of the projects assessed on that ruleset,
    most frequent first. ``coverage_distribution``: projects per tenth of coverage (the last bin
    includes 100%), with count, mean, median, min and max over projects that have a coverage.
    """
    in_scope: dict[str, int] = defaultdict(int)
    holders: dict[tuple, set] = defaultdict(set)
    for p in data["projects"]:
        for rs in {pr["ruleset"] for pr in p["practices"]}:
            in_scope[rs] += 1
        for pr in p["practices"]:
            for g in pr["gaps"]:
                holders[(pr["ruleset"], pr["practice"], g["kind"], g["work_product"] or "")].add(p["project"])
    gaps = [{"ruleset": r, "practice": pr, "kind": k, "work_product": w or None, "projects": len(who),
             "share": round(len(who) / in_scope[r], 4)}
            for (r, pr, k, w), who in holders.items()]
    gaps.sort(key=lambda g: (-g["projects"], g["ruleset"], g["practice"], g["kind"], g["work_product"] or ""))
    covs = [p["coverage"] for p in data["projects"] if p["coverage"] is not None]
    bins = [0] * COVERAGE_BINS
    for c in covs:
        bins[min(int(c * COVERAGE_BINS + 1e-9), COVERAGE_BINS - 1)] += 1
    dist = {
        "projects": len(data["projects"]),
        "with_coverage": len(covs),
        "mean": round(statistics.fmean(covs), 4) if covs else None,
        "median": round(statistics.median(covs), 4) if covs else None,
        "min": min(covs) if covs else None,
        "max": max(covs) if covs else None,
        "bins": [{"from": round(i / COVERAGE_BINS, 2), "to": round((i + 1) / COVERAGE_BINS, 2), "projects": n}
                 for i, n in enumerate(bins)],
    }
    return {"most_frequent_gaps": gaps, "coverage_distribution": dist}


# --------------------------------------------------------------------------- per-project outputs

def safe_name(name: str, used: set[str]) -> str:
    """A folder name for a project: letters, digits, '.', '_' and '-'; unique (case-insensitively) in ``used``."""
    base = re.sub(r"[^\w.-]+", "_", name).strip("._-")[:80] or "project"
    out, n = base, 1
    while out.lower() in used:
        n += 1
        out = f"{base}-{n}"
    used.add(out.lower())
    return out


def project_results(data: dict):
    """(project name, that project's own result) for every project of a portfolio result.

    Each result is the portfolio document cut to one project: its practices and goals, its
    evidence records (``ref`` indexes renumbered), the files it came from with their rejected
    rows and warnings, and the organization level computed over that one project.
    """
    from .evidence_records import column, take
    from .scoring import aggregate, rate_goal

    records = data.get("evidence") or []
    by_project: dict[str, list[int]] = defaultdict(list)
    for i, name in enumerate(column(records, "project") if records else ()):
        by_project[name].append(i)
    files = {f["path"]: f for f in data["input"]["files"]}
    rejected_by_file: dict[str, list] = defaultdict(list)
    for r in data["input"]["rejected"]:
        rejected_by_file[r["file"]].append(r)
    warnings_by_file: dict[str, list] = defaultdict(list)
    for w in data["input"].get("warnings", []):
        warnings_by_file[w.get("file")].append(w)
    skip = {"projects", "organization", "evidence", "input", "portfolio", "failed_files", "scopes"}
    for p in data["projects"]:
        old = by_project.get(p["project"], [])
        new_ref = {o: n for n, o in enumerate(old)}
        evidence = take(records, old)
        practices = []
        for pr in p["practices"]:
            pr = dict(pr)
            pr["work_products"] = [{**w, "evidence": [_reref(e, new_ref) for e in w["evidence"]]}
                                   for w in pr["work_products"]]
            if "other_evidence" in pr:
                pr["other_evidence"] = [_reref(e, new_ref) for e in pr["other_evidence"]]
            practices.append(pr)
        touched = sorted(set(column(evidence, "file")) if evidence else (), key=_path_key)
        org_practices, goal_chars = [], defaultdict(list)
        for pr in practices:
            char, judgment = aggregate([pr["characterization"]])
            counts = {k: int(pr["characterization"] == k) for k in ("FI", "LI", "PI", "NI", "NY", "NA")}
            org_practices.append({"ruleset": pr["ruleset"], "practice": pr["practice"], "characterization": char,
                                  "judgment_required": judgment, "instances": counts})
            goal_chars[(pr["ruleset"], pr["goal"])].append(char)
        out = {k: v for k, v in data.items() if k not in skip}
        out["input"] = {"files": [files[f] for f in touched if f in files],
                        "rejected": [r for f in touched for r in rejected_by_file.get(f, [])],
                        "errors": [],
                        "warnings": [w for f in touched for w in warnings_by_file.get(f, [])]}
        if data.get("scopes"):
            out["scopes"] = {p["project"]: data["scopes"].get(p["project"], [])}
        out["coverage"] = p["coverage"]  # the one project's own figure, not the portfolio's
        out["disagreements"] = [_reref(d, new_ref) for d in data.get("disagreements", []) if d["project"] == p["project"]]
        out["projects"] = [{**p, "practices": practices}]
        out["organization"] = {"practices": org_practices,
                               "goals": [{"ruleset": r, "goal": g, "rating": rate_goal(c)} for (r, g), c in goal_chars.items()]}
        out["evidence"] = evidence
        yield p["project"], out


def _reref(entry: dict, new_ref: dict[int, int]) -> dict:
    return {**entry, "ref": new_ref[entry["ref"]]} if entry.get("ref") in new_ref else dict(entry)


def write_per_project(data: dict, outdir: Path, formats: list[str], *, scale: str = "scampi",
                      pretty: bool = False) -> list[Path]:
    """Each project's own reports in OUTDIR/projects/<safe name>/ (same formats as the portfolio)."""
    from .api import write_reports
    from .exporters import relabel

    used: set[str] = set()
    written = []
    for name, result in project_results(data):
        records = relabel(result) if scale == "cmmi-v2" else result
        written.extend(write_reports(records, Path(outdir) / "projects" / safe_name(name, used), formats, pretty=pretty))
    return written
