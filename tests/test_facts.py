"""The facts the rules see (docs/facts.md), observed through the public API.

A ruleset may write any fact field into a finding message ("{n_stale}"), so two probe rules
that always hold print every field of every fact; the tests read them back from the
assessment. This pins each field's meaning without reaching into the pipeline's internals.
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from iwm_rules import assess, load_evidence, load_mappings, load_ruleset, load_tailoring
from iwm_rules.model import FACT_FIELDS, Mapping
from iwm_rules.yamlio import load_yaml

from .conftest import FIXTURES
from .test_scoring import _csv, aff, art

AS_OF = dt.date(2026, 11, 22)
WP_FIELDS = ["work_product", "name", "ruleset", "goal", "owner", "required", "n_artifacts", "n_adequate", "n_unapproved", "n_stale", "n_future",
             "n_supporting", "newest_age_days", "max_age_days", "n_required_in_practice", "parties", "waiver",
             "waiver_expires"]
PR_FIELDS = ["title", "ruleset", "goal", "owner", "n_required", "n_required_evidenced", "n_required_adequate", "n_artifacts", "n_affirmations",
             "n_weaknesses", "weakness_text", "n_related_weaknesses", "related_weakness_text", "n_other_evidence",
             "n_supporting", "affirmation_required", "waiver", "parties"]


def _probe_ruleset(tmp_path: Path, source: Path, name: str) -> Path:
    data = json.loads(json.dumps(load_yaml(source)))  # the project's YAML 1.2 reading: ``on:`` is a key
    data.setdefault("rules", [])
    for on, fields in (("work_product", WP_FIELDS), ("practice", PR_FIELDS)):
        data["rules"].append({"id": f"probe-{on.replace('_', '-')}", "on": on,
                              "when": {"all": [{"field": "type", "op": "eq", "value": on}]},
                              "then": {"kind": "info", "severity": "info",
                                       "message": "|".join("{" + f + "}" for f in fields)}})
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def probed(tmp_path):
    return [load_ruleset(_probe_ruleset(tmp_path, FIXTURES / "mini-ruleset.yaml", "mini")),
            load_ruleset(_probe_ruleset(tmp_path, FIXTURES / "mini-other.yaml", "mini-other"))]


def _facts(tmp_path, rulesets, rows, *, tailoring=None, mappings=(), as_of=AS_OF) -> tuple[dict, dict]:
    ev = load_evidence([_csv(tmp_path / "e.csv", rows)], rulesets)
    assert len(ev.rejected) == 0, ev.rejected.to_dict("records")
    tail = None
    if tailoring:
        (tmp_path / "t.yaml").write_text(tailoring)
        tail = load_tailoring(tmp_path / "t.yaml", rulesets)
    res = assess(rulesets, ev, tailoring=tail, as_of=as_of, mappings=mappings, engine="python").to_dict()
    wp, pr = {}, {}
    for p in res["projects"]:
        for practice in p["practices"]:
            for f in practice["findings"]:
                values = f["message"].split("|")
                if f["rule"] == "probe-work-product":
                    wp[(p["project"], practice["practice"], values[0])] = dict(zip(WP_FIELDS, values))
                elif f["rule"] == "probe-practice":
                    pr[(p["project"], practice["practice"])] = dict(zip(PR_FIELDS, values))
    return wp, pr


def test_probe_covers_documented_fields():
    assert set(WP_FIELDS) <= set(FACT_FIELDS["work_product"]) and set(PR_FIELDS) <= set(FACT_FIELDS["practice"])


def test_work_product_and_practice_facts(tmp_path, probed):
    rows = [
        art("A", "M.SP1.1", "Work plan", date="2026-10-01", weakness="Not reviewed"),         # adequate, 52 days
        art("A", "M.SP1.1", "Work plan v0", status="draft", date="2025-01-01", weakness="Not reviewed"),  # 690 days
        art("A", "M.SP1.1", "Gantt chart", date="2026-12-01", weakness="Late"),                # after as_of
        art("A", "M.SP1.1", "Kick-off notes"),                                                 # other evidence
        aff("A", "M.SP1.1"), aff("A", "M.SP1.1", "Second interview"),
        {**art("B", "M.SP1.1", "Schedule", status="", date=""), "evidence_type": "direct"},   # undated, blank status
    ]
    wp, pr = _facts(tmp_path, probed[:1], rows)
    assert wp[("A", "M.SP1.1", "work-plan")] == {
        "work_product": "work-plan", "name": "Work plan", "ruleset": "mini", "goal": "M.SG1", "owner": "none",
        "required": "True", "n_artifacts": "2", "n_adequate": "1", "n_unapproved": "1",
        "n_stale": "1", "n_future": "0", "n_supporting": "0", "newest_age_days": "52", "max_age_days": "365",
        "n_required_in_practice": "2", "parties": "none", "waiver": "none", "waiver_expires": "none"}
    sched = wp[("A", "M.SP1.1", "schedule")]
    assert (sched["n_artifacts"], sched["n_adequate"], sched["n_stale"], sched["n_future"], sched["newest_age_days"]) \
        == ("1", "0", "0", "1", "-1")
    minutes = wp[("A", "M.SP1.1", "minutes")]
    assert (minutes["required"], minutes["n_artifacts"], minutes["newest_age_days"]) == ("False", "0", "-1")
    assert pr[("A", "M.SP1.1")] == {
        "title": "Plan the work", "ruleset": "mini", "goal": "M.SG1", "owner": "none", "n_required": "2", "n_required_evidenced": "2", "n_required_adequate": "1", "n_artifacts": "4",
        "n_affirmations": "2", "n_weaknesses": "2", "weakness_text": "Late; Not reviewed", "n_related_weaknesses": "0",
        "related_weakness_text": "none", "n_other_evidence": "1", "n_supporting": "0", "affirmation_required": "False",
        "waiver": "none", "parties": "none"}
    b = wp[("B", "M.SP1.1", "schedule")]
    assert (b["n_artifacts"], b["n_adequate"], b["newest_age_days"]) == ("1", "1", "-1")
    assert pr[("B", "M.SP1.1")]["n_required_adequate"] == "1" and pr[("B", "M.SP1.1")]["n_required_evidenced"] == "1"
    assert pr[("B", "M.SP1.2")]["affirmation_required"] == "True"
    assert wp[("B", "M.SP2.2", "lessons")]["n_required_in_practice"] == "0"
    assert (wp[("B", "M.SP2.1", "charter")]["owner"], pr[("B", "M.SP2.1")]["owner"]) == ("shared", "shared")
    assert (pr[("B", "M.SP2.2")]["goal"], pr[("B", "M.SP2.2")]["n_required"]) == ("M.SG2", "0")


def test_parties_are_distinct_and_sorted(tmp_path, probed):
    rows = [dict(art("A", "M.SP2.1", "Charter v1"), party="provider") for _ in range(2)] + [
        dict(art("A", "M.SP2.1", "Charter signed"), party="customer"), art("A", "M.SP2.1", "Charter copy"),
        dict(art("A", "M.SP2.1", "Kick-off deck"), party="shared")]
    path = tmp_path / "p.csv"
    cols = ["project", "practice", "work_product", "status", "date", "party"]
    path.write_text(",".join(cols) + "\n" + "".join(",".join(str(r.get(c, "")) for c in cols) + "\n" for r in rows))
    ev = load_evidence([path], probed[:1])
    res = assess(probed[:1], ev, as_of=AS_OF, engine="python").to_dict()
    findings = {f["rule"]: f["message"] for f in res["projects"][0]["practices"][2]["findings"]}
    assert findings["probe-work-product"].split("|")[WP_FIELDS.index("parties")] == "customer, provider"
    assert findings["probe-practice"].split("|")[PR_FIELDS.index("parties")] == "customer, provider, shared"
    assert "shared-practice-needs-both-parties" not in findings


def test_waiver_fields(tmp_path, probed):
    tail = ("waivers:\n  - {project: \"*\", practice: M.SP1.1, work_product: schedule, reason: r, expires: 2026-01-31}\n"
            "  - {project: A, practice: M.SP1.1, work_product: work-plan, reason: r, expires: 2027-01-31}\n"
            "  - {project: B, practice: M.SP1.2, reason: r, expires: 2026-11-22}\n")
    wp, pr = _facts(tmp_path, probed[:1], [art("A", "M.SP1.1", "Minutes"), art("B", "M.SP1.1", "Minutes")],
                    tailoring=tail)
    assert (wp[("A", "M.SP1.1", "work-plan")]["waiver"], wp[("A", "M.SP1.1", "work-plan")]["waiver_expires"]) \
        == ("active", "2027-01-31")
    assert (wp[("A", "M.SP1.1", "schedule")]["waiver"], wp[("A", "M.SP1.1", "schedule")]["waiver_expires"]) \
        == ("expired", "2026-01-31")
    assert wp[("A", "M.SP1.1", "minutes")]["waiver"] == "none"
    assert pr[("A", "M.SP1.1")]["waiver"] == "expired"  # the worst of its work products
    assert pr[("B", "M.SP1.1")]["waiver"] == "expired"
    assert (pr[("A", "M.SP1.1")]["n_required_evidenced"], pr[("A", "M.SP1.1")]["n_required_adequate"]) == ("2", "1")
    assert wp[("B", "M.SP1.2", "status-report")]["waiver"] == "active"  # expiring on as_of is still active
    assert pr[("B", "M.SP1.2")]["waiver"] == "active" and pr[("A", "M.SP1.2")]["waiver"] == "none"
    assert (pr[("B", "M.SP1.2")]["n_required_evidenced"], pr[("B", "M.SP1.2")]["n_required_adequate"]) == ("1", "1")


def test_reuse_fields(tmp_path, probed):
    maps = load_mappings(FIXTURES / "mini-mappings.yaml", probed)
    rows = [art("A", "O.OVERLAP", "Lessons learned", weakness="Never shared"),   # intersect: supports M.SP2.2
            art("A", "O.OVERLAP", "Retro photo"),
            art("A", "O.EQ", "Work plan", weakness="Unsigned"), aff("A", "O.EQ"),   # equal: full for M.SP1.1
            art("A", "O.NARROW", "Charter")]                                         # subset: supports M.SP2.1
    wp, pr = _facts(tmp_path, probed, rows, mappings=maps)
    assert wp[("A", "M.SP2.2", "lessons")]["n_supporting"] == "1" and wp[("A", "M.SP2.2", "lessons")]["n_artifacts"] == "0"
    expected = {"n_supporting": "2", "n_artifacts": "0", "n_weaknesses": "0", "n_related_weaknesses": "1",
                "n_other_evidence": "0",
                "related_weakness_text": "Never shared (via mapping O.OVERLAP -> M.SP2.2 (O.OVERLAP overlaps M.SP2.2))"}
    assert {k: pr[("A", "M.SP2.2")][k] for k in expected} == expected
    sp11 = pr[("A", "M.SP1.1")]
    assert (sp11["n_artifacts"], sp11["n_affirmations"], sp11["n_weaknesses"], sp11["n_supporting"]) == ("1", "1", "1", "0")
    assert sp11["weakness_text"] == "Unsigned (via mapping O.EQ -> M.SP1.1 (O.EQ equals M.SP1.1))"
    assert wp[("A", "M.SP1.1", "work-plan")]["n_artifacts"] == "1"
    assert (pr[("A", "M.SP2.1")]["n_required_evidenced"], pr[("A", "M.SP2.1")]["n_required_adequate"]) == ("1", "0")
    assert pr[("A", "O.EQ")]["weakness_text"] == "Unsigned"


def test_mappings_to_practices_no_ruleset_selects_are_ignored(tmp_path, probed):
    rows = [art("A", "M.SP1.1", "Work plan")]
    base = _facts(tmp_path, probed[:1], rows)
    stray = (Mapping("M.SP1.1", "X.NOWHERE", "equal"), Mapping("X.NOWHERE", "M.SP1.1", "equal"))
    assert _facts(tmp_path, probed[:1], rows, mappings=stray) == base
    # a stray mapping does not stop the ones after it
    wp, _ = _facts(tmp_path, probed, rows, mappings=stray + (Mapping("M.SP1.1", "O.EQ", "equal"),))
    assert wp[("A", "O.EQ", "work-plan")]["n_artifacts"] == "1"


def test_nothing_accepted_gives_no_projects(tmp_path, probed):
    path = tmp_path / "empty.csv"
    path.write_text("project,practice,work_product\nA,M.SP1.1,\n")
    ev = load_evidence([path], probed[:1])
    res = assess(probed[:1], ev, as_of=AS_OF, engine="python").to_dict()
    assert res["projects"] == [] and res["organization"] == {"practices": [], "goals": [], "levels": []}
    assert len(res["input"]["rejected"]) == 1


def test_a_table_built_in_code_without_reuse_columns(probed):
    """Callers may assess a table they built themselves (iwm_rules.synthetic does): no reuse columns needed."""
    import pandas as pd

    from iwm_rules import Evidence

    table = pd.DataFrame({"project": ["A", "A"], "practice": ["M.SP1.1", "M.SP1.1"],
                          "work_product": ["Work plan", "Schedule"], "evidence_type": ["artifact", "artifact"],
                          "status": ["approved", ""], "date": pd.to_datetime(["2026-10-01", None]),
                          "owner": "", "party": "", "location": "", "notes": "", "weakness": ["", "Late"]})
    ev = Evidence(table=table, rejected=pd.DataFrame(columns=["file", "sheet", "row", "column", "value", "reason", "hint"]))
    table["file"], table["sheet"], table["row"] = "built", "", [2, 3]
    res = assess(probed[:1], ev, as_of=AS_OF, engine="python").to_dict()
    pr = next(p for p in res["projects"][0]["practices"] if p["practice"] == "M.SP1.1")
    assert pr["characterization"] == "LI" and [g["kind"] for g in pr["gaps"]] == ["weakness"]
    assert pr["gaps"][0]["message"] == "Weakness recorded by a reviewer: Late"
    assert [e["ref"] for w in pr["work_products"] for e in w["evidence"]] == [0, 1]


def test_every_practice_tailored_out_or_out_of_scope(tmp_path, probed):
    tail = "tailoring:\n" + "".join(f"  - {{project: A, practice: {p}, status: not_applicable, justification: j}}\n"
                                     for p in ("M.SP1.1", "M.SP1.2", "M.SP2.1", "M.SP2.2"))
    ev = load_evidence([_csv(tmp_path / "e.csv", [art("A", "M.SP1.1", "Work plan")])], probed[:1])
    (tmp_path / "t.yaml").write_text(tail)
    res = assess(probed[:1], ev, tailoring=load_tailoring(tmp_path / "t.yaml", probed[:1]), as_of=AS_OF,
                 engine="python").to_dict()
    assert {p["characterization"] for p in res["projects"][0]["practices"]} == {"NA"}
    assert assess(probed[:1], ev, tailoring=load_tailoring(tmp_path / "t.yaml", probed[:1]), as_of=AS_OF,
                  engine="python").findings == []  # no facts, so no rule runs, for tailored-out practices
    assert res["projects"][0]["coverage"] is None
    assert {p["characterization"] for p in res["organization"]["practices"]} == {"NA"}
    assert all(not p["findings"] for p in res["projects"][0]["practices"])
    result = assess(probed[:1], ev, as_of=AS_OF, engine="python", scopes={"A": set()})
    assert result.findings == []
    res = result.to_dict()
    assert res["projects"] == [{"project": "A", "coverage": None, "practices": [], "goals": [], "levels": []}]
    assert res["organization"] == {"practices": [], "goals": [], "levels": []}


def test_only_affirmations_and_other_evidence(tmp_path, probed):
    wp, pr = _facts(tmp_path, probed[:1], [aff("A", "M.SP1.1"), art("A", "M.SP1.2", "Kick-off deck")])
    assert (pr[("A", "M.SP1.1")]["n_affirmations"], pr[("A", "M.SP1.1")]["n_artifacts"]) == ("1", "0")
    assert (pr[("A", "M.SP1.2")]["n_other_evidence"], pr[("A", "M.SP1.2")]["n_artifacts"]) == ("1", "1")
    assert wp[("A", "M.SP1.1", "work-plan")]["n_artifacts"] == "0"
    assert wp[("A", "M.SP1.2", "status-report")]["newest_age_days"] == "-1"


def test_tailoring_for_a_practice_of_another_ruleset_is_left_out(tmp_path, probed):
    from iwm_rules.model import Tailoring, TailoringEntry

    ev = load_evidence([_csv(tmp_path / "e.csv", [art("A", "M.SP1.1", "Work plan")])], probed[:1])
    tail = Tailoring(entries=(TailoringEntry("A", "O.EQ", "not_yet"), TailoringEntry("A", "M.SP2.2", "not_yet")))
    res = assess(probed[:1], ev, tailoring=tail, as_of=AS_OF, engine="python").to_dict()
    chars = {p["practice"]: p["characterization"] for p in res["projects"][0]["practices"]}
    assert chars == {"M.SP1.1": "PI", "M.SP1.2": "NI", "M.SP2.1": "NI", "M.SP2.2": "NY"}
    assert res["input"]["warnings"] == []


def test_unknown_project_hints(tmp_path, probed):
    from iwm_rules.model import Tailoring, TailoringEntry, Waiver

    rows = [art(p, "M.SP1.1", "Work plan") for p in ("Atlas", "ATLAS", "Borealis", "Atlas Prime", "AtlasPrime", "Atlass")]
    ev = load_evidence([_csv(tmp_path / "e.csv", rows)], probed[:1])
    tail = Tailoring(entries=(TailoringEntry("atlas", "M.SP2.1", "not_yet"), TailoringEntry("Borealiss", "M.SP2.1", "not_yet"),
                              TailoringEntry("*", "M.SP2.2", "not_yet"), TailoringEntry("Atlas", "M.SP1.2", "not_yet"),
                              TailoringEntry("atlas prime", "M.SP1.2", "not_yet"),
                              TailoringEntry("Atlasx", "M.SP1.2", "not_yet"), TailoringEntry("Bore", "M.SP1.2", "not_yet")),
                     waivers=(Waiver("Zed", "M.SP1.1", None, "r", dt.date(2027, 1, 1)),), path="t.yaml")
    res = assess(probed[:1], ev, tailoring=tail, as_of=AS_OF, engine="python").to_dict()
    messages = [w["message"] for w in res["input"]["warnings"] if w.get("kind") == "tailoring_unknown_project"]
    assert messages == [
        "t.yaml: tailoring entry for M.SP2.1 names project 'atlas', which the evidence does not have, so it applies to "
        "nothing (did you mean ATLAS or Atlas?)",
        "t.yaml: tailoring entry for M.SP2.1 names project 'Borealiss', which the evidence does not have, so it applies "
        "to nothing (did you mean Borealis?)",
        "t.yaml: tailoring entry for M.SP1.2 names project 'atlas prime', which the evidence does not have, so it "
        "applies to nothing (did you mean Atlas Prime or AtlasPrime?)",
        "t.yaml: tailoring entry for M.SP1.2 names project 'Atlasx', which the evidence does not have, so it applies "
        "to nothing (did you mean ATLAS or Atlas?)",  # the closest name only (not Atlass)
        "t.yaml: tailoring entry for M.SP1.2 names project 'Bore', which the evidence does not have, so it applies "
        "to nothing (check the spelling)",  # too far from Borealis
        "t.yaml: waiver for M.SP1.1 names project 'Zed', which the evidence does not have, so it applies to nothing "
        "(check the spelling)"]
    assert [(w["file"], w["line"]) for w in res["input"]["warnings"]
            if w.get("kind") == "tailoring_unknown_project"] == [("t.yaml", 0)] * 6


def test_a_reused_copy_that_matches_nothing_there_is_other_evidence(tmp_path, probed):
    """M.SP1.1 takes "Gantt chart" as its schedule (/gantt/); O.EQ (equal) only knows "schedule": there the
    same row is other evidence, listed with the mapping that carried it."""
    maps = load_mappings(FIXTURES / "mini-mappings.yaml", probed)
    ev = load_evidence([_csv(tmp_path / "e.csv", [art("A", "M.SP1.1", "Gantt chart")])], probed)
    res = assess(probed, ev, as_of=AS_OF, mappings=maps, engine="python").to_dict()
    got = {pr["practice"]: pr for pr in res["projects"][0]["practices"]}
    assert {w["id"]: w["state"] for w in got["M.SP1.1"]["work_products"]}["schedule"] == "adequate"
    assert got["O.EQ"]["characterization"] == "PI"
    (other,) = got["O.EQ"]["other_evidence"]
    assert (other["ref"], other["role"]) == (0, "full") and other["reused_via"].startswith("mapping M.SP1.1 -> O.EQ")


def test_forgotten_fact_records_are_built_again_the_same_and_scoring_frees_them(tmp_path, probed):
    """Scoring drops the cached fact dicts (each project's are freed once it is scored); anyone
    asking for the records afterwards gets them built anew, equal to the first ones."""
    from iwm_rules.engine import run_rules
    from iwm_rules.facts import build_facts
    from iwm_rules.scoring import score

    path = _csv(tmp_path / "e.csv", [art("A", "M.SP1.1", "Work plan"), art("B", "M.SP1.1", "Schedule", status="draft"),
                           aff("B", "M.SP1.2", "Interview")])
    facts = build_facts(probed[:1], load_evidence([path], probed[:1]).table, as_of=AS_OF)
    first = facts.records()
    findings = run_rules([r for rs in probed[:1] for r in rs.rules], first, backend="python")
    projects, _ = score(probed[:1], facts, findings)
    assert facts._wp_records is None and facts._practice_records is None
    again = facts.records()
    assert again == first and again[0] is not first[0]
    assert [p["project"] for p in projects] == ["A", "B"]
