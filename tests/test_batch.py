"""`iwm-rules batch` on small real portfolios: failures listed and the rest assessed, a dead
worker costs one file, the organization table row by row, reproducible JSON, per-project output."""
from __future__ import annotations

import csv
import json
import os
import re
import zipfile
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from iwm_rules.batch_pool import CRASH_REASON, TEST_ABORT_ENV, TEST_HANG_ENV
from iwm_rules.cli import main
from iwm_rules.exporters.json_export import schema

from .conftest import FIXTURES, LONG_COLUMNS, write_long_xlsx

MINI = str(FIXTURES / "mini-ruleset.yaml")
AS_OF = "2026-11-22"


def write_csv(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=LONG_COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in LONG_COLUMNS})
    return path


def row(project, practice, wp, status="approved", date="2026-10-01", **kw):
    return {"project": project, "practice": practice, "work_product": wp, "status": status, "date": date, **kw}


def portfolio(folder: Path) -> dict:
    """Three files, four projects; project A is split over two files of different formats.

    Expected per project (mini ruleset, tailoring below):
      M.SP1.1  A FI  B LI  C FI  D PI
      M.SP1.2  A FI  B NY  C FI  D NI
      M.SP2.1  A NI  B NI  C NY  D NI
      M.SP2.2  A FI  B NA  C NI  D NI
    """
    folder.mkdir(parents=True, exist_ok=True)
    write_long_xlsx(folder / "a-plans.xlsx", [
        row("A", "M.SP1.1", "Work plan"), row("A", "M.SP1.1", "Schedule"),
        row("A", "M.SP1.2", "Status report"), row("A", "M.SP1.2", "Team interview", status="", date="",
                                                  evidence_type="affirmation"),
    ])
    (folder / "sub").mkdir()
    write_csv(folder / "sub" / "a-and-b.csv", [
        row("A", "M.SP2.2", "Lessons learned"),
        row("B", "M.SP1.1", "Work plan", status="draft"), row("B", "M.SP1.1", "Schedule"),
    ])
    write_csv(folder / "c-d.csv", [
        row("C", "M.SP1.1", "Work plan"), row("C", "M.SP1.1", "Gantt chart"),
        row("C", "M.SP1.2", "Status report"), row("C", "M.SP1.2", "Interview", status="", date="",
                                                  evidence_type="affirmation"),
        row("D", "M.SP1.1", "Work plan"),
    ])
    tailoring = folder.parent / "tailoring.yaml"
    tailoring.write_text(
        "tailoring:\n"
        "  - {project: B, practice: M.SP1.2, status: not_yet}\n"
        "  - {project: B, practice: M.SP2.2, status: not_applicable, justification: no lessons process yet}\n"
        "  - {project: C, practice: M.SP2.1, status: not_yet}\n")
    return {"tailoring": tailoring}


def run(args, *, env=None):
    return CliRunner().invoke(main, ["batch", *map(str, args)], env=env)


def load(out: Path, name="portfolio.json") -> dict:
    return json.loads((out / name).read_text(encoding="utf-8"))


def chars(data: dict) -> dict:
    return {(p["project"], pr["practice"]): pr["characterization"] for p in data["projects"] for pr in p["practices"]}


def test_organization_table_row_by_row_over_projects_split_across_files(tmp_path):
    extra = portfolio(tmp_path / "pf")
    out = tmp_path / "out"
    res = run([tmp_path / "pf", "-r", MINI, "--tailoring", extra["tailoring"], "--as-of", AS_OF, "-o", out, "-j", "2"])
    assert res.exit_code == 0, res.output
    data = load(out)
    jsonschema.validate(data, schema())
    assert [p["project"] for p in data["projects"]] == ["A", "B", "C", "D"]  # A from two files is one project
    c = chars(data)
    assert [c[(p, "M.SP1.1")] for p in "ABCD"] == ["FI", "LI", "FI", "PI"]
    assert [c[(p, "M.SP1.2")] for p in "ABCD"] == ["FI", "NY", "FI", "NI"]
    assert [c[(p, "M.SP2.1")] for p in "ABCD"] == ["NI", "NI", "NY", "NI"]
    assert [c[(p, "M.SP2.2")] for p in "ABCD"] == ["FI", "NA", "NI", "NI"]
    org = [(r["practice"], r["characterization"], r["judgment_required"],
            tuple(r["instances"][k] for k in ("FI", "LI", "PI", "NI", "NY", "NA")))
           for r in data["organization"]["practices"]]
    assert org == [
        ("M.SP1.1", "PI", True, (2, 1, 1, 0, 0, 0)),    # a PI instance among FI/LI: the team decides
        ("M.SP1.2", "PI", True, (2, 0, 0, 1, 1, 0)),    # FI, NY and NI
        ("M.SP2.1", "NI", False, (0, 0, 0, 3, 1, 0)),   # every non-NY instance NI
        ("M.SP2.2", "PI", True, (1, 0, 0, 2, 0, 1)),    # NA excluded, FI and NI left
    ]
    assert [(g["goal"], g["rating"]) for g in data["organization"]["goals"]] == [("M.SG1", "unsatisfied"),
                                                                                ("M.SG2", "unsatisfied")]
    goals = {(p["project"], g["goal"]): g["rating"] for p in data["projects"] for g in p["goals"]}
    assert goals[("A", "M.SG1")] == "satisfied" and goals[("B", "M.SG1")] == "not_rated"
    assert goals[("C", "M.SG2")] == "not_rated" and goals[("D", "M.SG1")] == "unsatisfied"
    assert data["failed_files"] == []
    # every evidence item of A, from both files, is in the evidence list; refs resolve to A's rows
    a_files = {Path(e["file"]).name for e in data["evidence"] if e["project"] == "A"}
    assert a_files == {"a-plans.xlsx", "a-and-b.csv"}
    for p in data["projects"]:
        for pr in p["practices"]:
            for w in pr["work_products"]:
                for e in w["evidence"]:
                    assert data["evidence"][e["ref"]]["project"] == p["project"]


def test_portfolio_extras_gaps_and_coverage_distribution(tmp_path):
    extra = portfolio(tmp_path / "pf")
    out = tmp_path / "out"
    res = run([tmp_path / "pf", "-r", MINI, "--tailoring", extra["tailoring"], "--as-of", AS_OF, "-o", out])
    assert res.exit_code == 0, res.output
    data = load(out)
    gaps = data["portfolio"]["most_frequent_gaps"]
    # the same gaps counted from the projects themselves, most frequent first
    seen: dict = {}
    for p in data["projects"]:
        for pr in p["practices"]:
            for g in pr["gaps"]:
                seen.setdefault((pr["practice"], g["kind"], g["work_product"]), set()).add(p["project"])
    assert {(g["practice"], g["kind"], g["work_product"]): g["projects"] for g in gaps} == \
        {k: len(v) for k, v in seen.items()}
    assert [g["projects"] for g in gaps] == sorted((g["projects"] for g in gaps), reverse=True)
    charter = next(g for g in gaps if g["practice"] == "M.SP2.1" and g["kind"] == "missing_work_product")
    assert charter["projects"] == 3 and charter["share"] == 0.75  # A, B, D (C is NY) of four projects
    dist = data["portfolio"]["coverage_distribution"]
    covs = sorted(p["coverage"] for p in data["projects"] if p["coverage"] is not None)
    assert dist["with_coverage"] == len(covs) and dist["min"] == covs[0] and dist["max"] == covs[-1]
    assert sum(b["projects"] for b in dist["bins"]) == len(covs)
    assert sum(b["projects"] for b in dist["bins"] if b["from"] <= covs[-1] <= b["to"]) >= 1


def _hostile_xlsx(good: Path, path: Path) -> Path:
    """A copy of a real workbook whose workbook part declares an XML entity (billion-laughs style)."""
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/workbook.xml":
                text = data.decode()
                decl_end = text.index("?>") + 2 if "?>" in text else 0
                data = (text[:decl_end] + '<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
                        + text[decl_end:]).encode()
            dst.writestr(info.filename, data)
    return path


def test_corrupt_hostile_empty_and_unreadable_files_fail_alone(tmp_path):
    extra = portfolio(tmp_path / "pf")
    pf = tmp_path / "pf"
    (pf / "corrupt.xlsx").write_bytes(b"PK\x03\x04" + os.urandom(300))
    _hostile_xlsx(pf / "a-plans.xlsx", pf / "hostile.xlsx")
    (pf / "empty.csv").write_bytes(b"")
    (pf / "notes.csv").write_text("just,some,notes\n1,2,3\n", encoding="utf-8")
    unreadable = tmp_path / "gone.csv"
    unreadable.symlink_to(tmp_path / "does-not-exist.csv")  # named, but cannot be opened
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)  # a reader would block on it forever
    out = tmp_path / "out"
    res = run([pf, unreadable, fifo, "-r", MINI, "--tailoring", extra["tailoring"], "--as-of", AS_OF, "-o", out])
    assert res.exit_code == 4, res.output
    data = load(out)
    jsonschema.validate(data, schema())
    failed = {Path(f["file"]).name: f["reason"] for f in data["failed_files"]}
    assert set(failed) == {"corrupt.xlsx", "hostile.xlsx", "empty.csv", "notes.csv", "gone.csv", "pipe.csv"}
    assert "damaged" in failed["corrupt.xlsx"] or "not a valid xlsx" in failed["corrupt.xlsx"]
    assert "entit" in failed["hostile.xlsx"].lower() or "doctype" in failed["hostile.xlsx"].lower()
    assert "no evidence table" in failed["empty.csv"] and "no evidence table" in failed["notes.csv"]
    assert "not found" in failed["gone.csv"] and "not a regular file" in failed["pipe.csv"]
    # every good project is assessed exactly as without the bad files
    c = chars(data)
    assert [c[(p, "M.SP1.1")] for p in "ABCD"] == ["FI", "LI", "FI", "PI"]
    assert data["input"]["errors"] == [{"file": f["file"], "message": f["reason"]} for f in data["failed_files"]]
    for f in data["input"]["files"]:
        assert f["rows_read"] == f["rows_accepted"] + f["rows_rejected"] + f["rows_skipped"]
    assert {Path(i["path"]).name for i in data["manifest"]["inputs"]} >= set(failed)
    assert "6 of 9 file(s) failed" in res.output or "6 of" in res.output
    assert "Traceback" not in res.output


def test_a_worker_killed_mid_file_fails_that_file_only(tmp_path, monkeypatch):
    extra = portfolio(tmp_path / "pf")
    write_csv(tmp_path / "pf" / "boom.csv", [row("E", "M.SP1.1", "Work plan")])
    out = tmp_path / "out"
    monkeypatch.setenv(TEST_ABORT_ENV, "boom.csv")
    res = run([tmp_path / "pf", "-r", MINI, "--tailoring", extra["tailoring"], "--as-of", AS_OF, "-o", out, "-j", "2"])
    assert res.exit_code == 4, res.output
    data = load(out)
    assert data["failed_files"] == [{"file": str(tmp_path / "pf" / "boom.csv"), "reason": CRASH_REASON}]
    assert [p["project"] for p in data["projects"]] == ["A", "B", "C", "D"]  # the chunk's other files were retried
    assert [chars(data)[(p, "M.SP1.1")] for p in "ABCD"] == ["FI", "LI", "FI", "PI"]


def test_a_reader_that_hangs_is_stopped_and_fails_that_file_only(tmp_path, monkeypatch):
    extra = portfolio(tmp_path / "pf")
    write_csv(tmp_path / "pf" / "stuck.csv", [row("E", "M.SP1.1", "Work plan")])
    out = tmp_path / "out"
    monkeypatch.setenv(TEST_HANG_ENV, "stuck.csv")
    res = run([tmp_path / "pf", "-r", MINI, "--tailoring", extra["tailoring"], "--as-of", AS_OF, "-o", out, "-j", "2",
               "--task-timeout", "6"])
    assert res.exit_code == 4, res.output
    data = load(out)
    assert [Path(f["file"]).name for f in data["failed_files"]] == ["stuck.csv"]
    assert "longer than 6 s" in data["failed_files"][0]["reason"]
    assert [p["project"] for p in data["projects"]] == ["A", "B", "C", "D"]


def _without_time(path: Path) -> bytes:
    """The file's bytes with the value of generated_at blanked (compact or indented JSON)."""
    data, n = re.subn(rb'"generated_at":\s*"[^"]*"', b'"generated_at": ""', path.read_bytes())
    assert n == 1
    return data


def test_same_json_whatever_jobs_and_file_order(tmp_path):
    extra = portfolio(tmp_path / "pf")
    pf = tmp_path / "pf"
    write_csv(pf / "rejects.csv", [row("E", "M.SP9", "Work plan"), row("E", "M.SP1.1", "Work plan", date="soon")])
    files = sorted(str(p.relative_to(tmp_path)) for p in pf.rglob("*") if p.is_file())
    common = ["-r", MINI, "--tailoring", extra["tailoring"], "--as-of", AS_OF]
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        results = []
        for name, args in [("j1", [*files, "-j", "1"]), ("j2", [*files, "-j", "2"]),
                           ("rev", [*reversed(files), "-j", "2"]), ("dir", ["pf", "-j", "2"])]:
            res = run([*args, *common, "-o", name])
            assert res.exit_code == 0, res.output
            results.append(_without_time(tmp_path / name / "portfolio.json"))
    finally:
        os.chdir(cwd)
    assert results[0] == results[1] == results[2] == results[3]
    data = json.loads(results[0])  # still valid JSON without generated_at
    assert [i["path"] for i in data["manifest"]["inputs"]] == sorted(i["path"] for i in data["manifest"]["inputs"])
    assert data["manifest"]["options"]["scale"] == "scampi" and "jobs" not in data["manifest"]["options"]
    assert len(data["input"]["rejected"]) == 2


def test_per_project_outputs(tmp_path):
    extra = portfolio(tmp_path / "pf")
    out = tmp_path / "out"
    res = run([tmp_path / "pf", "-r", MINI, "--tailoring", extra["tailoring"], "--as-of", AS_OF, "-o", out,
               "--per-project", "--scale", "cmmi-v2"])
    assert res.exit_code == 0, res.output
    whole = load(out)
    for name in "ABCD":
        one = load(out / "projects" / name, "assessment.json")
        jsonschema.validate(one, schema())
        assert [p["project"] for p in one["projects"]] == [name]
        assert {e["project"] for e in one["evidence"]} <= {name}
        assert len(one["evidence"]) == sum(e["project"] == name for e in whole["evidence"])
        mine = next(p for p in whole["projects"] if p["project"] == name)
        assert [pr["characterization"] for pr in one["projects"][0]["practices"]] == \
            [pr["characterization"] for pr in mine["practices"]]
        assert [r["characterization"] for r in one["organization"]["practices"]] == \
            [pr["characterization"] for pr in mine["practices"]]
        for pr in one["projects"][0]["practices"]:
            for w in pr["work_products"]:
                for e in w["evidence"]:
                    assert one["evidence"][e["ref"]]["project"] == name
    a = load(out / "projects" / "A", "assessment.json")
    assert {Path(f["path"]).name for f in a["input"]["files"]} == {"a-plans.xlsx", "a-and-b.csv"}


@pytest.mark.parametrize("args, code, text", [
    (["missing-folder"], 3, "file not found"),
    (["pf", "--executor", "dask"], 2, "--scheduler"),
    (["pf", "-j", "0"], 2, "-j"),
])
def test_bad_invocations(tmp_path, args, code, text):
    portfolio(tmp_path / "pf")
    res = run([tmp_path / a if a in ("pf", "missing-folder") else a for a in args] + ["-r", MINI, "-o", tmp_path / "o"])
    assert res.exit_code == code, res.output
    assert text in res.output and "Traceback" not in res.output


def test_output_folder_that_is_a_file_is_refused_before_reading(tmp_path):
    portfolio(tmp_path / "pf")
    (tmp_path / "o").write_text("x")
    res = run([tmp_path / "pf", "-r", MINI, "-o", tmp_path / "o" / "reports"])
    assert res.exit_code == 3 and "is a file, not a folder" in res.output and not (tmp_path / "o" / "reports").exists()


def test_library_api_progress_and_glob(tmp_path):
    from iwm_rules import BatchResult, load_ruleset, run_batch

    extra = portfolio(tmp_path / "pf")
    seen = []
    result = run_batch([str(tmp_path / "pf" / "**" / "*.csv")], [load_ruleset(MINI)], jobs=1,
                       progress=lambda done, total: seen.append((done, total)), tailoring=extra["tailoring"])
    assert isinstance(result, BatchResult)
    assert [Path(f).name for f in result.files] == ["c-d.csv", "a-and-b.csv"]  # sorted by path: pf/c-d before pf/sub/
    assert seen[-1] == (2, 2) and all(t == 2 for _, t in seen)
    assert [p["project"] for p in result.projects] == ["A", "B", "C", "D"]
    assert result.failed_files == [] and set(result.timings) >= {"read", "merge", "assess"}


def test_a_file_reached_twice_is_read_once(tmp_path):
    extra = portfolio(tmp_path / "pf")
    os.link(tmp_path / "pf" / "c-d.csv", tmp_path / "hard-link.csv")
    out = tmp_path / "out"
    res = run([tmp_path / "pf", tmp_path / "pf" / "c-d.csv", tmp_path / "hard-link.csv", "-r", MINI,
               "--tailoring", extra["tailoring"], "--as-of", AS_OF, "-o", out])
    assert res.exit_code == 0, res.output
    data = load(out)
    assert sorted(Path(f["path"]).name for f in data["input"]["files"]) == ["a-and-b.csv", "a-plans.xlsx", "c-d.csv"]
    assert [chars(data)[(p, "M.SP1.1")] for p in "ABCD"] == ["FI", "LI", "FI", "PI"]


def test_reports_inside_the_portfolio_folder_are_not_read_back(tmp_path):
    extra = portfolio(tmp_path / "pf")
    out = tmp_path / "pf" / "reports"
    args = [tmp_path / "pf", "-r", MINI, "--tailoring", extra["tailoring"], "--as-of", AS_OF, "-o", out]
    out.mkdir()
    write_csv(out / "evidence.csv", [row("Z", "M.SP1.1", "Work plan")])  # as a csv report listing evidence would
    second = run(args)
    assert second.exit_code == 0, second.output
    assert {Path(f["path"]).name for f in load(out)["input"]["files"]} == {"a-plans.xlsx", "a-and-b.csv", "c-d.csv"}
    assert "Z" not in {p["project"] for p in load(out)["projects"]}


def test_per_project_folder_names_are_safe_and_unique():
    from iwm_rules.batch import safe_name

    used: set[str] = set()
    names = [safe_name(n, used) for n in ["../etc/passwd", "A", "a", "Ünïcode name", "", "..", "CON:1"]]
    assert names == ["etc_passwd", "A", "a-2", "Ünïcode_name", "project", "project-2", "CON_1"]
    assert all("/" not in n and not n.startswith(".") for n in names)
