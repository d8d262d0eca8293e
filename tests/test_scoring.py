"""Characterization, coverage, goal ratings and organization aggregation through the public API.

Each test builds a small csv, loads it and assesses it (plain-Python evaluator: fast, and
tests/test_cases.py holds both evaluators against each other). These are the checks that
kill the mutations an auditor would not notice: boundaries, aggregation corners, adequacy.
"""
from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest

from iwm_rules import assess, load_evidence, load_tailoring

from .conftest import FIXTURES

AS_OF = dt.date(2026, 11, 22)
COLUMNS = ["project", "practice", "work_product", "evidence_type", "status", "date", "weakness"]
MINI = FIXTURES / "mini-ruleset.yaml"


def _csv(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in COLUMNS})
    return path


def _run(tmp_path, mini_ruleset, rows, tailoring: str | None = None, as_of=AS_OF) -> dict:
    ev = load_evidence([_csv(tmp_path / "e.csv", rows)], [mini_ruleset])
    assert len(ev.rejected) == 0, ev.rejected.to_dict("records")
    tail = None
    if tailoring is not None:
        (tmp_path / "t.yaml").write_text(tailoring)
        tail = load_tailoring(tmp_path / "t.yaml", [mini_ruleset])
    return assess([mini_ruleset], ev, tailoring=tail, as_of=as_of, engine="python").to_dict()


def _practices(data: dict) -> dict:
    return {(p["project"], pr["practice"]): pr for p in data["projects"] for pr in p["practices"]}


def _org(data: dict) -> dict:
    return {p["practice"]: p for p in data["organization"]["practices"]}


def art(project, practice, wp, status="approved", date="2026-10-01", **kw):
    return {"project": project, "practice": practice, "work_product": wp, "status": status, "date": date, **kw}


def aff(project, practice, text="Interview with the team"):
    return {"project": project, "practice": practice, "work_product": text, "evidence_type": "affirmation"}


FULL_SP11 = [art("A", "M.SP1.1", "Work plan"), art("A", "M.SP1.1", "Schedule")]


# --------------------------------------------------------------------------- organization aggregation

def test_organization_ni_with_ny_is_ni_not_pi(tmp_path, mini_ruleset):
    data = _run(tmp_path, mini_ruleset, [art("A", "M.SP1.1", "Work plan"), art("B", "M.SP1.1", "Work plan")],
                tailoring="tailoring:\n  - {project: B, practice: M.SP2.2, status: not_yet}\n")
    got = _practices(data)
    assert (got[("A", "M.SP2.2")]["characterization"], got[("B", "M.SP2.2")]["characterization"]) == ("NI", "NY")
    org = _org(data)["M.SP2.2"]
    assert (org["characterization"], org["judgment_required"]) == ("NI", False)
    assert org["instances"] == {"FI": 0, "LI": 0, "PI": 0, "NI": 1, "NY": 1, "NA": 0}


def test_organization_all_ny_is_ny_and_fi_with_ny_is_fi(tmp_path, mini_ruleset):
    tail = ("tailoring:\n  - {project: A, practice: M.SP2.2, status: not_yet}\n"
            "  - {project: B, practice: M.SP2.2, status: not_yet}\n"
            "  - {project: B, practice: M.SP1.1, status: not_yet}\n")
    data = _run(tmp_path, mini_ruleset, FULL_SP11 + [art("B", "M.SP2.1", "Charter")], tailoring=tail)
    org = _org(data)
    assert (org["M.SP2.2"]["characterization"], org["M.SP2.2"]["judgment_required"]) == ("NY", False)
    assert (org["M.SP1.1"]["characterization"], org["M.SP1.1"]["judgment_required"]) == ("FI", False)
    goals = {g["goal"]: g["rating"] for g in data["organization"]["goals"]}
    assert goals["M.SG2"] == "not_rated"  # an NY practice leaves the goal not rated


def test_organization_excludes_na_instances(tmp_path, mini_ruleset):
    tail = ("tailoring:\n  - {project: B, practice: M.SP1.1, status: not_applicable, justification: no plan}\n"
            "  - {project: \"*\", practice: M.SP2.2, status: not_applicable, justification: not used}\n")
    rows = FULL_SP11 + [art("A", "M.SP1.2", "Status report"), aff("A", "M.SP1.2"),
                        art("B", "M.SP1.2", "Status report", status="draft"), aff("B", "M.SP1.2")]
    data = _run(tmp_path, mini_ruleset, rows, tailoring=tail)
    org = _org(data)
    assert (org["M.SP1.1"]["characterization"], org["M.SP1.1"]["judgment_required"]) == ("FI", False)
    assert org["M.SP1.1"]["instances"]["NA"] == 1
    assert org["M.SP1.2"]["characterization"] == "LI"       # FI + LI
    assert (org["M.SP2.2"]["characterization"], org["M.SP2.2"]["judgment_required"]) == ("NA", False)  # all NA
    goals = {g["goal"]: g["rating"] for g in data["organization"]["goals"]}
    assert goals["M.SG1"] == "satisfied"
    proj = {p["project"]: {g["goal"]: g["rating"] for g in p["goals"]} for p in data["projects"]}
    assert proj["B"]["M.SG1"] == "satisfied"                # NA + LI


def test_organization_fi_li_and_ny_is_li(tmp_path, mini_ruleset):
    rows = FULL_SP11 + [art("B", "M.SP1.1", "Work plan", status="draft"), art("B", "M.SP1.1", "Schedule")]
    tail = "tailoring:\n  - {project: C, practice: M.SP1.1, status: not_yet}\n"
    data = _run(tmp_path, mini_ruleset, rows + [art("C", "M.SP1.2", "Status report")], tailoring=tail)
    org = _org(data)["M.SP1.1"]
    assert (org["characterization"], org["judgment_required"]) == ("LI", False)
    assert org["instances"] == {"FI": 1, "LI": 1, "PI": 0, "NI": 0, "NY": 1, "NA": 0}
    data = _run(tmp_path, mini_ruleset, rows[2:] + [art("C", "M.SP1.2", "Status report")], tailoring=tail)
    assert _org(data)["M.SP1.1"]["characterization"] == "LI"  # LI + NY


def test_organization_mixed_pi_needs_judgment(tmp_path, mini_ruleset):
    data = _run(tmp_path, mini_ruleset, FULL_SP11 + [art("B", "M.SP1.1", "Work plan"), art("C", "M.SP1.1", "Gantt")])
    org = _org(data)["M.SP1.1"]
    assert (org["characterization"], org["judgment_required"]) == ("PI", True)
    assert org["instances"] == {"FI": 1, "LI": 0, "PI": 2, "NI": 0, "NY": 0, "NA": 0}
    ni = _org(data)["M.SP2.1"]
    assert (ni["characterization"], ni["judgment_required"]) == ("NI", False)


def test_goal_with_no_rated_practice_is_not_rated(tmp_path, mini_ruleset):
    tail = ("tailoring:\n  - {project: A, practice: M.SP2.1, status: not_applicable, justification: none}\n"
            "  - {project: A, practice: M.SP2.2, status: not_applicable, justification: none}\n")
    data = _run(tmp_path, mini_ruleset, FULL_SP11, tailoring=tail)
    goals = {g["goal"]: g["rating"] for g in data["projects"][0]["goals"]}
    assert goals["M.SG2"] == "not_rated"
    assert {g["goal"]: g["rating"] for g in data["organization"]["goals"]}["M.SG2"] == "not_rated"
    assert goals["M.SG1"] == "unsatisfied"  # M.SP1.2 NI


# --------------------------------------------------------------------------- adequacy and dates

@pytest.mark.parametrize("days,expected", [(365, "FI"), (366, "LI"), (0, "FI"), (-1, "LI")])
def test_staleness_and_future_boundaries(tmp_path, mini_ruleset, days, expected):
    """max_age_days old is still fresh, one day more is stale; today is fine, tomorrow is after as_of."""
    date = (AS_OF - dt.timedelta(days=days)).isoformat()
    data = _run(tmp_path, mini_ruleset, [art("A", "M.SP1.1", "Work plan", date=date), art("A", "M.SP1.1", "Schedule")])
    pr = _practices(data)[("A", "M.SP1.1")]
    assert pr["characterization"] == expected
    state = {w["id"]: w["state"] for w in pr["work_products"]}["work-plan"]
    assert state == ("adequate" if expected == "FI" else "inadequate")
    assert pr["coverage"] == (1.0 if expected == "FI" else 0.5)
    kinds = [g["kind"] for g in pr["gaps"]]
    assert kinds == ({366: ["stale"], -1: ["dated_after_as_of"]}.get(days, []))


def test_future_dated_evidence_is_a_weakness_even_beside_an_adequate_version(tmp_path, mini_ruleset):
    rows = FULL_SP11 + [art("A", "M.SP1.1", "Work plan v4", date="2027-01-10")]
    pr = _practices(_run(tmp_path, mini_ruleset, rows))[("A", "M.SP1.1")]
    assert pr["characterization"] == "LI"
    gap = next(g for g in pr["gaps"] if g["kind"] == "dated_after_as_of")
    assert gap["work_product"] == "work-plan" and "after the assessment date" in gap["message"]
    assert "Correct the date" in gap["action"]
    assert {w["id"]: w["state"] for w in pr["work_products"]}["work-plan"] == "adequate"
    # the stale message shows the age of the newest version on or before as_of, not a negative age
    rows = [art("A", "M.SP1.1", "Work plan", date="2024-01-01"), art("A", "M.SP1.1", "Work plan", date="2027-01-01"),
            art("A", "M.SP1.1", "Schedule")]
    pr = _practices(_run(tmp_path, mini_ruleset, rows))[("A", "M.SP1.1")]
    stale = next(g for g in pr["gaps"] if g["kind"] == "stale")
    assert "newest version is 1056 days old (limit 365)" in stale["message"]


def test_work_product_states_and_coverage_follow_adequacy(tmp_path, mini_ruleset):
    """Adequacy itself, not only the rule that reports its absence: states, coverage, project coverage."""
    rows = [art("A", "M.SP1.1", "Work plan", status="draft"), art("A", "M.SP1.1", "Schedule"),
            art("A", "M.SP1.1", "Review minutes", status="draft"),
            art("A", "M.SP1.2", "Status report", status=""), aff("A", "M.SP1.2"),
            art("A", "M.SP2.1", "Program charter", status="in_review", date="2023-01-01")]
    data = _run(tmp_path, mini_ruleset, rows)
    got = _practices(data)
    sp11 = got[("A", "M.SP1.1")]
    assert {w["id"]: w["state"] for w in sp11["work_products"]} == {
        "work-plan": "inadequate", "schedule": "adequate", "minutes": "inadequate"}
    assert (sp11["characterization"], sp11["coverage"]) == ("LI", 0.5)
    assert [g["kind"] for g in sp11["gaps"]] == ["not_approved"]  # the optional draft is no weakness here
    assert (got[("A", "M.SP1.2")]["characterization"], got[("A", "M.SP1.2")]["coverage"]) == ("FI", 1.0)  # blank status
    sp21 = got[("A", "M.SP2.1")]
    assert (sp21["characterization"], sp21["coverage"]) == ("LI", 0.0)
    assert sorted(g["kind"] for g in sp21["gaps"]) == ["not_approved", "stale", "weakness"]  # + one party only
    assert {w["id"]: w["state"] for w in got[("A", "M.SP2.2")]["work_products"]} == {"lessons": "missing"}
    # project: 1 + 1 + 0 adequate of 1 + 2 + 1 required work products (M.SP2.2 has none: left out)
    assert data["projects"][0]["coverage"] == 0.5


def test_optional_only_practice_is_judged_on_its_optional_work_products(tmp_path, mini_ruleset):
    """M.SP2.2 has only an optional work product: a stale draft is LI, not FI; coverage is null."""
    rows = [art("A", "M.SP2.2", "Lessons learned", status="draft", date="2024-01-01"),
            art("B", "M.SP2.2", "Lessons learned", date="2024-01-01"),
            art("C", "M.SP2.2", "Lessons learned", status="draft"),
            art("D", "M.SP2.2", "Lessons learned"),
            art("E", "M.SP2.2", "Lessons learned", weakness="Never shared with the team"),
            art("F", "M.SP2.2", "Retrospective photo"),
            aff("G", "M.SP2.2")]
    data = _run(tmp_path, mini_ruleset, rows)
    got = _practices(data)
    expected = {"A": ("LI", {"not_approved", "stale"}), "B": ("LI", {"stale"}), "C": ("LI", {"not_approved"}),
                "D": ("FI", set()), "E": ("LI", {"weakness"}), "F": ("PI", set()), "G": ("PI", set())}
    for proj, (char, gaps) in expected.items():
        pr = got[(proj, "M.SP2.2")]
        assert (pr["characterization"], {g["kind"] for g in pr["gaps"]}) == (char, gaps), proj
        assert pr["coverage"] is None, proj
    assert got[("A", "M.SP2.2")]["work_products"][0]["state"] == "inadequate"
    # project coverage counts required work products only: D's M.SP2.2 (FI) adds nothing to it
    assert {p["project"]: p["coverage"] for p in data["projects"]}["D"] == 0.0


def test_project_coverage_is_null_when_nothing_required_is_assessed(tmp_path, mini_ruleset):
    tail = "".join(f"  - {{project: A, practice: {p}, status: not_yet}}\n" for p in ("M.SP1.1", "M.SP1.2", "M.SP2.1"))
    data = _run(tmp_path, mini_ruleset, [art("A", "M.SP2.2", "Lessons learned")], tailoring="tailoring:\n" + tail)
    assert data["projects"][0]["coverage"] is None
    assert _practices(data)[("A", "M.SP2.2")]["characterization"] == "FI"


def test_practice_characterization_ladder(tmp_path, mini_ruleset):
    rows = [art("A", "M.SP1.1", "Work plan"),                                 # PI: 1 of 2 required
            art("B", "M.SP1.1", "Kick-off notes"),                            # PI: other evidence only
            aff("C", "M.SP1.1"),                                              # PI: only affirmations
            art("D", "M.SP1.2", "Status report"),                             # LI: affirmation required, none
            art("E", "M.SP1.2", "Status report"), aff("E", "M.SP1.2")]        # FI
    got = _practices(_run(tmp_path, mini_ruleset, rows))
    assert [got[(p, "M.SP1.1")]["characterization"] for p in "ABC"] == ["PI", "PI", "PI"]
    assert got[("D", "M.SP1.1")]["characterization"] == "NI"
    assert [got[(p, "M.SP1.2")]["characterization"] for p in "DE"] == ["LI", "FI"]
    assert [g["kind"] for g in got[("D", "M.SP1.2")]["gaps"]] == ["missing_affirmation"]
    assert [g["kind"] for g in got[("A", "M.SP1.1")]["gaps"]] == ["missing_work_product"]
    assert got[("A", "M.SP1.1")]["coverage"] == 0.5
    assert sorted(g["kind"] for g in got[("D", "M.SP1.1")]["gaps"]) == ["missing_work_product"] * 2 + ["no_evidence"]
    action = next(g for g in got[("A", "M.SP1.1")]["gaps"])["action"]
    assert action == ("Produce 'Schedule' and record it in the evidence with its status and date. Suggested: Write the "
                      "plan; Review the plan; Agree the plan. Guidance: Plan in increments the team can commit to.")
    assert got[("D", "M.SP1.2")]["gaps"][0]["action"].startswith("Hold an interview")
    assert "Suggested" not in got[("D", "M.SP1.2")]["gaps"][0]["action"]
    # subpractices and guidance are suggested for missing work, no evidence and weaknesses only
    tail = " Suggested: Write the plan; Review the plan; Agree the plan. Guidance: Plan in increments the team can commit to."
    actions = {g["kind"]: g["action"] for g in got[("D", "M.SP1.1")]["gaps"]}
    assert actions["no_evidence"] == "Start performing the practice and record its work products." + tail
    assert actions["missing_work_product"].endswith(tail)
    # M.SP1.2 has neither: nothing is appended
    sp12 = {g["kind"]: g["action"] for g in got[("A", "M.SP1.2")]["gaps"]}
    assert sp12["missing_work_product"] == "Produce 'Status report' and record it in the evidence with its status and date."
    weak = _practices(_run(tmp_path, mini_ruleset, FULL_SP11[:1] + [art("A", "M.SP1.1", "Schedule", weakness="Late")]))
    assert weak[("A", "M.SP1.1")]["gaps"][0]["action"] == "Correct the weakness and record the evidence of the correction." + tail


def test_every_gap_kind_says_what_to_do():
    from iwm_rules.model import GAP_KINDS
    from iwm_rules.scoring import ACTIONS

    assert set(ACTIONS) == set(GAP_KINDS)


def test_practice_record_and_evidence_references(tmp_path, mini_ruleset):
    rows = [art("A", "M.SP1.1", "Work plan", status="draft"), art("A", "M.SP1.1", "Schedule"),
            art("A", "M.SP1.1", "Kick-off notes")]
    data = _run(tmp_path, mini_ruleset, rows, tailoring="tailoring:\n  - {project: A, practice: M.SP2.2, status: "
                                                         "not_applicable, justification: No lessons process}\n")
    got = _practices(data)
    pr = got[("A", "M.SP1.1")]
    assert set(pr) == {"ruleset", "practice", "goal", "title", "weight", "characterization", "coverage", "work_products",
                       "findings", "gaps", "tailoring", "other_evidence", "strengths", "recommendations"}
    assert (pr["ruleset"], pr["goal"], pr["title"], pr["tailoring"]) == ("mini", "M.SG1", "Plan the work", None)
    wps = {w["id"]: w for w in pr["work_products"]}
    assert {k: (w["name"], w["required"], w["state"]) for k, w in wps.items()} == {
        "work-plan": ("Work plan", True, "inadequate"), "schedule": ("Schedule", True, "adequate"),
        "minutes": ("Review minutes", False, "missing")}
    assert "waiver" not in wps["schedule"]
    ref = wps["schedule"]["evidence"][0]
    assert ref == {"ref": ref["ref"]}  # compact: where the item is comes from the evidence list
    item = data["evidence"][ref["ref"]]
    assert (item["file"], item["sheet"], item["row"], item["work_product"]) == (str(tmp_path / "e.csv"), "", 3, "Schedule")
    other = pr["other_evidence"][0]
    assert set(other) == {"ref"} and data["evidence"][other["ref"]]["row"] == 4
    assert data["evidence"][other["ref"]]["work_product"] == "Kick-off notes"
    assert pr["findings"] == [{"rule": "not-approved", "kind": "weakness", "severity": "minor",
                               "message": "'Work plan' exists but no version is approved or baselined (1 unapproved)"}]
    assert pr["gaps"][0]["work_product"] == "work-plan"
    assert pr["gaps"][0]["action"] == "Have 'Work plan' reviewed and approved (or baselined), and record the new status."
    na = got[("A", "M.SP2.2")]
    assert na == {"ruleset": "mini", "practice": "M.SP2.2", "goal": "M.SG2", "title": "Keep lessons learned",
                  "characterization": "NA", "coverage": None, "work_products": [], "findings": [], "gaps": [],
                  "tailoring": {"kind": "NA", "justification": "No lessons process"}, "weight": 1.0,
                  "strengths": [], "recommendations": []}
    assert "other_evidence" not in got[("A", "M.SP1.2")]
    assert [(g["ruleset"], g["goal"]) for g in data["projects"][0]["goals"]] == [("mini", "M.SG1"), ("mini", "M.SG2")]


def test_scopes_choose_the_rulesets_each_project_is_assessed_against(tmp_path, mini_ruleset):
    from iwm_rules import load_ruleset

    other = load_ruleset(FIXTURES / "mini-other.yaml")
    rows = [art("A", "M.SP1.1", "Work plan"), art("B", "O.EQ", "Work plan"), art("B", "M.SP2.2", "Lessons"),
            art("C", "M.SP1.1", "Work plan")]
    ev = load_evidence([_csv(tmp_path / "e.csv", rows)], [other, mini_ruleset])
    data = assess([other, mini_ruleset], ev, as_of=AS_OF, engine="python", mappings=(),
                  scopes={"A": {"mini"}, "B": {"mini-other", "mini"}}).to_dict()
    by_project = {p["project"]: p for p in data["projects"]}
    assert {pr["ruleset"] for pr in by_project["A"]["practices"]} == {"mini"}
    assert [pr["ruleset"] for pr in by_project["B"]["practices"]][:4] == ["mini-other"] * 4
    assert len(by_project["B"]["practices"]) == 8 and len(by_project["A"]["practices"]) == 4
    assert by_project["C"]["practices"] == [] and by_project["C"]["coverage"] is None  # C is in no scope
    org = {(p["ruleset"], p["practice"]): p for p in data["organization"]["practices"]}
    assert sum(org[("mini-other", "O.EQ")]["instances"].values()) == 1
    assert sum(org[("mini", "M.SP1.1")]["instances"].values()) == 2
    # a ruleset no project is assessed against has no organization-level result
    data = assess([other, mini_ruleset], ev, as_of=AS_OF, engine="python", mappings=(),
                  scopes={"A": {"mini"}, "B": {"mini"}}).to_dict()
    assert {p["ruleset"] for p in data["organization"]["practices"]} == {"mini"}
    assert {g["ruleset"] for g in data["organization"]["goals"]} == {"mini"}
    assert len(data["organization"]["practices"]) == 4


def test_coverage_is_rounded_to_four_places(tmp_path):
    from iwm_rules import load_ruleset

    text = (FIXTURES / "mini-ruleset.yaml").read_text().replace(
        '          - {id: minutes, name: Review minutes, match: ["minutes"], required: false}',
        '          - {id: minutes, name: Review minutes, match: ["minutes"], required: true}')
    (tmp_path / "three.yaml").write_text(text)
    rs = load_ruleset(tmp_path / "three.yaml")
    tail = "tailoring:\n  - {project: A, practice: M.SP2.1, status: not_yet}\n"
    data = _run(tmp_path, rs, [art("A", "M.SP1.1", "Work plan"), art("A", "M.SP1.1", "Schedule")], tailoring=tail)
    assert _practices(data)[("A", "M.SP1.1")]["coverage"] == 0.6667
    assert data["projects"][0]["coverage"] == 0.5  # 2 of 3 + 0 of 1; M.SP2.1 (NY) left out
    data = _run(tmp_path, rs, [art("A", "M.SP1.1", "Work plan")], tailoring=tail)
    assert _practices(data)[("A", "M.SP1.1")]["coverage"] == 0.3333
    assert data["projects"][0]["coverage"] == 0.25
    data = _run(tmp_path, rs, [art("A", "M.SP1.1", "Work plan"), art("A", "M.SP1.2", "Status report"),
                               aff("A", "M.SP1.2")], tailoring=tail)
    assert data["projects"][0]["coverage"] == 0.5
    data = _run(tmp_path, rs, [art("A", "M.SP1.1", "Work plan")],
                tailoring=tail + "  - {project: A, practice: M.SP1.2, status: not_yet}\n")
    assert data["projects"][0]["coverage"] == 0.3333


def test_rules_of_a_ruleset_shape_gaps_and_optional_only_practices(tmp_path):
    """A ruleset's own rules: a gap without a gap kind is reported as a weakness gap; a practice-level gap
    about a work product names the practice. An optional-only practice with several work products is FI
    when any of them has an adequate artifact."""
    from iwm_rules import load_ruleset

    text = (FIXTURES / "mini-ruleset.yaml").read_text()
    text = text.replace(
        '          - {id: lessons, name: Lessons learned, match: ["lessons"], required: false}',
        '          - {id: lessons, name: Lessons learned, match: ["lessons"], required: false}\n'
        '          - {id: retro, name: Retrospective, match: ["retrospective"], required: false}')
    text = text.replace("rules:\n", "rules:\n"
                        "  - {id: no-owner, on: practice, when: {all: [{field: n_affirmations, op: gt, value: 1}]},\n"
                        "     then: {kind: gap, severity: minor, message: Too many interviews}}\n"
                        "  - {id: plan-it, on: practice, when: {all: [{field: n_affirmations, op: eq, value: 1}]},\n"
                        "     then: {kind: gap, severity: minor, gap: missing_work_product, message: Write it down}}\n", 1)
    (tmp_path / "rules.yaml").write_text(text)
    rs = load_ruleset(tmp_path / "rules.yaml")
    data = _run(tmp_path, rs, [aff("A", "M.SP2.1"), aff("A", "M.SP2.1", "Another"), aff("B", "M.SP2.1"),
                               art("A", "M.SP2.2", "Lessons learned")])
    got = _practices(data)
    gap = next(g for g in got[("A", "M.SP2.1")]["gaps"] if g["message"] == "Too many interviews")
    assert (gap["kind"], gap["work_product"]) == ("weakness", None)
    assert gap["action"] == "Correct the weakness and record the evidence of the correction."
    gap = next(g for g in got[("B", "M.SP2.1")]["gaps"] if g["message"] == "Write it down")
    assert gap["action"] == "Produce 'Agree the program charter' and record it in the evidence with its status and date."
    assert got[("A", "M.SP2.2")]["characterization"] == "FI"
    assert {w["id"]: w["state"] for w in got[("A", "M.SP2.2")]["work_products"]} == {"lessons": "adequate",
                                                                                    "retro": "missing"}


def test_each_inadequate_evidence_reference_says_why(tmp_path, mini_ruleset):
    """An evidence reference that is not adequate names the reason (the Evidence sheet's verdict
    reads it): not approved, stale, or both; an adequate one carries no ``issue``."""
    rows = [art("A", "M.SP1.1", "Work plan v1", status="draft"),
            art("A", "M.SP1.1", "Work plan v0", status="approved", date="2024-01-01"),
            art("A", "M.SP1.1", "Work plan draft 2023", status="draft", date="2023-01-01"),
            art("A", "M.SP1.1", "Schedule", status="approved")]
    data = _run(tmp_path, mini_ruleset, rows)
    pr = _practices(data)[("A", "M.SP1.1")]
    issue_of = {data["evidence"][e["ref"]]["work_product"]: e.get("issue")
                for w in pr["work_products"] for e in w["evidence"]}
    assert issue_of == {"Work plan v1": "not approved", "Work plan v0": "stale",
                        "Work plan draft 2023": "not approved, stale", "Schedule": None}


def test_scoring_lets_go_of_each_projects_facts_once_it_is_scored(tmp_path, mini_ruleset, monkeypatch):
    """A big run scores project after project: the fact dicts of a scored project are held by
    nothing of scoring's any more, and the freed memory is handed back every RELEASE_EVERY projects."""
    import sys

    from iwm_rules import scoring
    from iwm_rules.engine import run_rules
    from iwm_rules.facts import build_facts

    rows = [art(p, "M.SP1.1", "Work plan") for p in ("A", "B", "C")] + [aff("B", "M.SP1.2")]
    facts = build_facts([mini_ruleset], load_evidence([_csv(tmp_path / "e.csv", rows)], [mini_ruleset]).table,
                        as_of=AS_OF)
    records = facts.records()
    mine = {p: [r for r in records if r["project"] == p] for p in ("A", "B", "C")}
    findings = run_rules([r for r in mini_ruleset.rules], records, backend="python")
    del records
    held = []

    def release():  # called after each project (RELEASE_EVERY = 1): how many hold that project's facts?
        project = "ABC"[len(held)]
        held.append(max(sys.getrefcount(r) for r in mine[project]))

    monkeypatch.setattr(scoring, "RELEASE_EVERY", 1)
    monkeypatch.setattr(scoring, "release_free_memory", release)
    projects, _ = scoring.score([mini_ruleset], facts, findings)
    assert [p["project"] for p in projects] == ["A", "B", "C"]
    control = [{}]  # a dict held by one list only, counted the same way
    alone = max(sys.getrefcount(r) for r in control)
    assert held == [alone] * 3
