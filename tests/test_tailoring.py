"""Tailoring files and waivers through the public API: which entry applies, what a waiver covers,
conflicting entries, and entries naming a project the evidence does not have."""
from __future__ import annotations

import json

import jsonschema
import pytest
from click.testing import CliRunner

from iwm_rules import load_tailoring
from iwm_rules.cli import main
from iwm_rules.errors import RulesetError
from iwm_rules.exporters.json_export import schema

from .test_scoring import FULL_SP11, MINI, _csv, _practices, _run, art

WAIVER_OWN = "  - {project: A, practice: M.SP1.1, work_product: schedule, reason: r, expires: 2026-06-30}\n"
WAIVER_ALL = "  - {project: \"*\", practice: M.SP1.1, work_product: schedule, reason: r, expires: 2027-06-30}\n"


@pytest.mark.parametrize("order", ["own-first", "all-first"])
def test_a_projects_own_waiver_overrides_the_one_for_all_projects(tmp_path, mini_ruleset, order):
    body = WAIVER_OWN + WAIVER_ALL if order == "own-first" else WAIVER_ALL + WAIVER_OWN
    rows = [art("A", "M.SP1.1", "Work plan"), art("B", "M.SP1.1", "Work plan")]
    got = _practices(_run(tmp_path, mini_ruleset, rows, tailoring="waivers:\n" + body))
    a, b = got[("A", "M.SP1.1")], got[("B", "M.SP1.1")]
    assert (a["characterization"], [g["kind"] for g in a["gaps"]]) == ("LI", ["waiver_expired"])
    assert {w["id"]: w.get("waiver") for w in a["work_products"]}["schedule"] == {"state": "expired", "expires": "2026-06-30"}
    assert (b["characterization"], b["coverage"]) == ("FI", 1.0)


def test_a_work_product_waiver_overrides_a_whole_practice_one(tmp_path, mini_ruleset):
    body = ("waivers:\n  - {project: A, practice: M.SP1.1, work_product: schedule, reason: r, expires: 2027-06-30}\n"
            "  - {project: A, practice: M.SP1.1, reason: r, expires: 2026-01-31}\n")
    got = _practices(_run(tmp_path, mini_ruleset, [art("A", "M.SP1.1", "Gantt chart", status="draft")], tailoring=body))
    wps = {w["id"]: (w.get("waiver", {}).get("state"), w["state"]) for w in got[("A", "M.SP1.1")]["work_products"]}
    assert wps == {"work-plan": ("expired", "inadequate"), "schedule": ("active", "adequate"),
                   "minutes": ("expired", "inadequate")}


def test_an_active_waiver_covers_not_approved_and_stale(tmp_path, mini_ruleset):
    body = ("waivers:\n  - {project: A, practice: M.SP1.1, work_product: schedule, reason: r, expires: 2027-06-30}\n"
            "  - {project: A, practice: M.SP1.1, work_product: work-plan, reason: r, expires: 2027-06-30}\n")
    rows = [art("A", "M.SP1.1", "Work plan", date="2020-01-01"), art("A", "M.SP1.1", "Schedule", status="draft")]
    pr = _practices(_run(tmp_path, mini_ruleset, rows, tailoring=body))[("A", "M.SP1.1")]
    assert (pr["characterization"], pr["gaps"], pr["coverage"]) == ("FI", [], 1.0)
    # expired: the draft and the stale plan are weaknesses again, beside the expired waivers
    pr = _practices(_run(tmp_path, mini_ruleset, rows, tailoring=body.replace("2027-06-30", "2026-06-30")))[("A", "M.SP1.1")]
    assert sorted(g["kind"] for g in pr["gaps"]) == ["not_approved", "stale", "waiver_expired", "waiver_expired"]
    assert (pr["characterization"], pr["coverage"]) == ("LI", 0.0)


def test_tailoring_own_entry_overrides_all_whatever_the_order(tmp_path, mini_ruleset):
    for body in ("tailoring:\n  - {project: A, practice: M.SP2.1, status: not_yet}\n"
                 "  - {project: \"*\", practice: M.SP2.1, status: not_applicable, justification: j}\n",
                 "tailoring:\n  - {project: \"*\", practice: M.SP2.1, status: not_applicable, justification: j}\n"
                 "  - {project: A, practice: M.SP2.1, status: not_yet}\n"):
        got = _practices(_run(tmp_path, mini_ruleset, FULL_SP11 + [art("B", "M.SP1.1", "Plan")], tailoring=body))
        assert (got[("A", "M.SP2.1")]["characterization"], got[("B", "M.SP2.1")]["characterization"]) == ("NY", "NA")
        assert got[("A", "M.SP2.1")]["tailoring"] == {"kind": "NY", "justification": ""}
        assert got[("A", "M.SP2.1")]["coverage"] is None


def test_tailoring_for_an_unknown_project_is_a_warning_with_a_suggestion(tmp_path, mini_ruleset):
    body = ("tailoring:\n  - {project: atlas, practice: M.SP2.1, status: not_yet}\n"
            "  - {project: Zephyr, practice: M.SP2.2, status: not_yet}\n"
            "  - {project: Atlas, practice: M.SP2.2, status: not_yet}\n"
            "waivers:\n  - {project: \"At las\", practice: M.SP1.1, reason: r, expires: 2027-01-01}\n"
            "  - {project: \"\uff21tlas\", practice: M.SP1.2, reason: r, expires: 2027-01-01}\n")
    rows = [art("Atlas", "M.SP1.1", "Work plan"), art("Borealis", "M.SP1.1", "Work plan")]
    data = _run(tmp_path, mini_ruleset, rows, tailoring=body)
    got = _practices(data)
    assert got[("Atlas", "M.SP2.1")]["characterization"] == "NI"  # "atlas" is another project: not applied
    assert got[("Atlas", "M.SP2.2")]["characterization"] == "NY"
    warns = [w for w in data["input"]["warnings"] if w.get("kind") == "tailoring_unknown_project"]
    by_line = {w["line"]: w["message"] for w in warns}
    assert sorted(by_line) == [2, 3, 6, 7]
    assert "'atlas'" in by_line[2] and "did you mean Atlas?" in by_line[2] and "t.yaml:2" in by_line[2]
    assert "'Zephyr'" in by_line[3] and "did you mean" not in by_line[3]
    assert "did you mean Atlas?" in by_line[6] and "waiver" in by_line[6]
    assert "did you mean Atlas?" in by_line[7]  # full-width letter
    # and on the terminal
    res_dir = tmp_path / "cli"
    (tmp_path / "t2.yaml").write_text(body)
    res = CliRunner().invoke(main, ["assess", str(tmp_path / "e.csv"), "-r", str(MINI), "--tailoring",
                                    str(tmp_path / "t2.yaml"), "-o", str(res_dir), "--as-of", "2026-11-22"])
    assert res.exit_code == 0, res.output
    assert "warning:" in res.output and "names project 'atlas'" in res.output and "did you mean Atlas?" in res.output
    saved = json.loads((res_dir / "assessment.json").read_text())
    jsonschema.validate(saved, schema())
    assert len([w for w in saved["input"]["warnings"] if w.get("kind") == "tailoring_unknown_project"]) == 4


@pytest.mark.parametrize("body,lines", [
    ("tailoring:\n  - {project: A, practice: M.SP2.1, status: not_yet}\n"
     "  - {project: B, practice: M.SP2.1, status: not_yet}\n"
     "  - {project: A, practice: M.SP2.1, status: not_applicable, justification: j}\n", (4, 2)),
    ("waivers:\n  - {project: A, practice: M.SP1.1, work_product: schedule, reason: r, expires: 2027-01-01}\n"
     "  - {project: A, practice: M.SP1.1, work_product: schedule, reason: r, expires: 2026-01-01}\n", (3, 2)),
])
def test_conflicting_tailoring_entries_are_an_error(tmp_path, mini_ruleset, body, lines):
    path = tmp_path / "conflict.yaml"
    path.write_text(body)
    with pytest.raises(RulesetError) as exc:
        load_tailoring(path, [mini_ruleset])
    (issue,) = exc.value.issues
    assert issue.location == f"{path}:{lines[0]}" and f"line {lines[1]}" in issue.message and issue.code == "conflict"
    _csv(tmp_path / "e.csv", FULL_SP11)
    res = CliRunner().invoke(main, ["assess", str(tmp_path / "e.csv"), "-r", str(MINI), "--tailoring", str(path),
                                    "-o", str(tmp_path / "out")])
    assert res.exit_code == 3
    assert f"conflict.yaml:{lines[0]}" in res.output and "Traceback" not in res.output


def test_repeated_identical_entries_and_different_scopes_are_not_conflicts(tmp_path, mini_ruleset):
    path = tmp_path / "ok.yaml"
    path.write_text("tailoring:\n  - {project: A, practice: M.SP2.1, status: not_yet}\n"
                    "  - {project: A, practice: M.SP2.1, status: not_yet}\n"
                    "  - {project: \"*\", practice: M.SP2.1, status: not_applicable, justification: j}\n"
                    "waivers:\n  - {project: A, practice: M.SP1.1, reason: r, expires: 2027-01-01}\n"
                    "  - {project: A, practice: M.SP1.1, work_product: schedule, reason: r, expires: 2026-01-01}\n")
    t = load_tailoring(path, [mini_ruleset])
    assert len(t.entries) == 3 and [w.line for w in t.waivers] == [6, 7]
