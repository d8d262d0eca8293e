"""`iwm-rules diff` on two real runs with known changes."""
from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from iwm_rules.cli import main
from iwm_rules.diff import change

from .conftest import FIXTURES, write_long_xlsx

MINI = str(FIXTURES / "mini-ruleset.yaml")


def row(project, practice, wp, status="approved", **kw):
    return {"project": project, "practice": practice, "work_product": wp, "status": status, "date": "2026-10-01", **kw}


def _assess(tmp_path: Path, name: str, rows: list[dict], tailoring: str | None = None, cmd="assess", scale="scampi"):
    folder = tmp_path / f"{name}-in"
    folder.mkdir()
    write_long_xlsx(folder / "evidence.xlsx", rows)
    args = [cmd, str(folder), "-r", MINI, "--as-of", "2026-11-22", "-o", str(tmp_path / name), "--scale", scale]
    if tailoring:
        (tmp_path / f"{name}-t.yaml").write_text(tailoring)
        args += ["--tailoring", str(tmp_path / f"{name}-t.yaml")]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    return tmp_path / name / ("portfolio.json" if cmd == "batch" else "assessment.json")


@pytest.fixture
def two_runs(tmp_path):
    old = _assess(tmp_path, "old", [
        row("A", "M.SP1.1", "Work plan"), row("A", "M.SP1.1", "Schedule"),          # A SP1.1 FI
        row("B", "M.SP1.1", "Work plan"),                                           # B SP1.1 PI
        row("B", "M.SP1.2", "Status report"),                                       # B SP1.2 LI (no affirmation)
        row("-D", "M.SP1.1", "Work plan"),                                          # project removed later
    ], cmd="batch")
    new = _assess(tmp_path, "new", [
        row("A", "M.SP1.1", "Work plan", status="draft"), row("A", "M.SP1.1", "Schedule"),  # A SP1.1 LI: regressed
        row("B", "M.SP1.1", "Work plan"), row("B", "M.SP1.1", "Schedule"),                  # B SP1.1 FI: improved
        row("C", "M.SP1.1", "Work plan"),                                                   # project added
    ], tailoring="tailoring:\n  - {project: B, practice: M.SP1.2, status: not_yet}\n", cmd="batch")
    return old, new


def _diff(*args):
    return CliRunner().invoke(main, ["diff", *map(str, args)])


def test_known_changes_per_project_and_organization(two_runs, tmp_path):
    old, new = two_runs
    res = _diff(old, new, "-f", "json")
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["projects_added"] == ["C"] and d["projects_removed"] == ["-D"]
    prs = {(p["project"], x["practice"]): (x["old"], x["new"], x["change"]) for p in d["projects"] for x in p["practices"]}
    assert prs[("A", "M.SP1.1")] == ("FI", "LI", "regressed")
    assert prs[("B", "M.SP1.1")] == ("PI", "FI", "improved")
    assert prs[("B", "M.SP1.2")] == ("LI", "NY", "rescoped")
    assert prs[("A", "M.SP2.2")] == ("NI", "NI", "unchanged")
    assert d["summary"]["improved"] == 1 and d["summary"]["regressed"] == 1 and d["summary"]["rescoped"] == 1
    a = next(p for p in d["projects"] if p["project"] == "A")
    assert {(g["practice"], g["kind"], g["work_product"]) for g in a["gaps_opened"]} == {("M.SP1.1", "not_approved", "work-plan")}
    assert a["gaps_closed"] == []
    b = next(p for p in d["projects"] if p["project"] == "B")
    closed = {(g["practice"], g["kind"], g["work_product"]) for g in b["gaps_closed"]}
    assert ("M.SP1.1", "missing_work_product", "schedule") in closed
    assert ("M.SP1.2", "missing_affirmation", None) in closed  # NY now: its gaps are gone
    assert b["coverage"]["old"] < b["coverage"]["new"] and b["coverage"]["change"] > 0
    org = {x["practice"]: (x["old"], x["new"], x["change"]) for x in d["organization"]["practices"]}
    assert org["M.SP1.1"] == ("PI", "PI", "unchanged")   # old FI, PI, PI; new LI, FI, PI
    assert org["M.SP1.2"] == ("PI", "NI", "regressed")   # old NI, LI, NI; new NI, NY, NI
    assert d["organization"]["changes"]["regressed"] == 1
    # required work products adequately evidenced, over every project (B's NY practice left out)
    assert d["organization"]["coverage"] == {"old": round(5 / 12, 4), "new": round(4 / 11, 4), "change": -0.0531}
    # same file twice: no difference, still exit 0
    res = _diff(new, new, "-f", "json")
    same = json.loads(res.output)
    assert res.exit_code == 0 and same["summary"]["improved"] == same["summary"]["regressed"] == 0
    assert same["summary"]["gaps_opened"] == same["summary"]["gaps_closed"] == 0


def test_markdown_and_xlsx_outputs(two_runs, tmp_path):
    old, new = two_runs
    res = _diff(old, new)
    assert res.exit_code == 0
    assert "| M.SP1.1 | FI | LI | regressed |" in res.output and "Projects added: C" in res.output
    out = tmp_path / "d.xlsx"
    res = _diff(old, new, "-f", "xlsx", "-o", out)
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Summary", "Organization", "Projects", "Practices", "Gaps"]
    projects = {r[0].value: r for r in wb["Projects"].iter_rows(min_row=2)}
    assert projects["-D"][0].data_type == "s" and projects["-D"][1].value == "removed"  # text, never a formula
    gaps = [tuple(c.value for c in r) for r in wb["Gaps"].iter_rows(min_row=2)]
    assert ("A", "mini", "M.SP1.1", "not_approved", "work-plan", "opened") in gaps


def test_assessment_against_portfolio_and_cmmi_v2_labels(tmp_path):
    rows = [row("A", "M.SP1.1", "Work plan")]
    old = _assess(tmp_path, "a1", rows, scale="cmmi-v2")              # assessment.json in FM/LM/PM/DM
    new = _assess(tmp_path, "a2", rows + [row("A", "M.SP1.1", "Schedule")], cmd="batch")
    res = _diff(old, new, "-f", "json")
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    x = next(x for x in d["projects"][0]["practices"] if x["practice"] == "M.SP1.1")
    assert (x["old"], x["new"], x["change"]) == ("PI", "FI", "improved")


@pytest.mark.parametrize("content, text", [
    ("{not json", "not valid JSON"),
    ('{"a": 1}', "not an iwm-rules"),
    ('{"schema_version": "1", "projects": [{"project": "A", "practices": [{"characterization": "XX"}]}], '
     '"organization": {}}', "not an iwm-rules result"),
])
def test_bad_input_is_exit_3_with_one_line(two_runs, tmp_path, content, text):
    old, _ = two_runs
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    res = _diff(old, bad)
    assert res.exit_code == 3
    assert text in res.output and str(bad) in res.output and len(res.output.strip().splitlines()) == 1
    assert _diff(old, tmp_path / "missing.json").exit_code == 3


def test_change_order_and_tailoring():
    assert [change("NI", x) for x in ("PI", "LI", "FI")] == ["improved"] * 3
    assert change("LI", "PI") == "regressed" and change("FM", "LI") == "regressed"
    assert change("NY", "FI") == "rescoped" and change("FI", "NA") == "rescoped" and change("NY", "NY") == "unchanged"
    assert change(None, "FI") == "added" and change("FI", None) == "removed"


def test_summary_counts_only_projects_in_both(two_runs):
    old, new = two_runs
    d = json.loads(_diff(old, new, "-f", "json").output)
    both = [p for p in d["projects"] if p["status"] == "both"]
    assert d["summary"]["gaps_opened"] == sum(len(p["gaps_opened"]) for p in both)
    assert d["summary"]["gaps_closed"] == sum(len(p["gaps_closed"]) for p in both)
    added = next(p for p in d["projects"] if p["project"] == "C")
    assert added["gaps_opened"] and all(x["change"] == "added" for x in added["practices"])
    assert d["summary"]["added"] == 0  # practices of an added project are not "practices added"
