"""Evidence reuse across rulesets through mappings: the effect of each relationship, and --no-reuse."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from iwm_rules import assess, load_evidence, load_mappings, load_ruleset
from iwm_rules.cli import main
from iwm_rules.exporters.json_export import schema

from .conftest import FIXTURES, write_long_xlsx

AS_OF = dt.date(2026, 11, 22)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def two():
    return [load_ruleset(FIXTURES / "mini-ruleset.yaml"), load_ruleset(FIXTURES / "mini-other.yaml")]


def _result(tmp_path, rulesets, rows, reuse=True):
    path = write_long_xlsx(tmp_path / "e.xlsx", rows)
    ev = load_evidence([path], rulesets)
    maps = load_mappings(FIXTURES / "mini-mappings.yaml", rulesets)
    res = assess(rulesets, ev, as_of=AS_OF, mappings=maps, reuse=reuse).to_dict()
    return {(p["project"], pr["practice"]): pr for p in res["projects"] for pr in p["practices"]}


def row(practice, wp, **kw):
    return {"project": "A", "practice": practice, "work_product": wp, "status": "approved", "date": "2026-10-01", **kw}


def test_equal_mapping_counts_as_full_evidence_both_ways(tmp_path, two):
    got = _result(tmp_path, two, [row("O.EQ", "Work plan"), row("O.EQ", "Schedule")])
    assert got[("A", "M.SP1.1")]["characterization"] == "FI"
    ev = got[("A", "M.SP1.1")]["work_products"][0]["evidence"][0]
    assert ev["role"] == "full" and ev["reused_via"] == "mapping O.EQ -> M.SP1.1 (O.EQ equals M.SP1.1)"
    got = _result(tmp_path, two, [row("M.SP1.1", "Work plan"), row("M.SP1.1", "Schedule")])
    assert got[("A", "O.EQ")]["characterization"] == "FI"


def test_superset_evidence_fully_serves_the_narrower_practice(tmp_path, two):
    # M.SP2.1 is a superset of O.NARROW: a charter for M.SP2.1 is full evidence for O.NARROW
    got = _result(tmp_path, two, [row("M.SP2.1", "Program charter", party="shared")])
    assert got[("A", "O.NARROW")]["characterization"] == "FI"
    # O.WIDE is a superset of M.SP1.2 (M.SP1.2 subset O.WIDE): full the other way round
    got = _result(tmp_path, two, [row("O.WIDE", "Status report"), row("O.WIDE", "Team interview", evidence_type="affirmation")])
    assert got[("A", "M.SP1.2")]["characterization"] == "FI"


def test_subset_and_intersect_only_support_and_cap_at_li(tmp_path, two):
    # O.NARROW is a subset of M.SP2.1: its charter supports M.SP2.1 but cannot make it FI
    got = _result(tmp_path, two, [row("O.NARROW", "Charter")])
    pr = got[("A", "M.SP2.1")]
    assert pr["characterization"] == "LI"
    assert pr["work_products"][0]["state"] == "inadequate"
    assert pr["work_products"][0]["evidence"][0]["role"] == "supporting"
    assert "missing_work_product" in {g["kind"] for g in pr["gaps"]}
    assert "supporting-evidence-only" in {f["rule"] for f in pr["findings"]}
    # M.SP1.2 is a subset of O.WIDE: its status report only supports O.WIDE
    got = _result(tmp_path, two, [row("M.SP1.2", "Status report")])
    assert got[("A", "O.WIDE")]["characterization"] == "LI"
    # intersect: supporting both ways; an optional-only practice gets PI at most from support
    got = _result(tmp_path, two, [row("O.OVERLAP", "Lessons learned")])
    assert got[("A", "M.SP2.2")]["characterization"] == "PI"


def test_no_reuse_turns_it_off(tmp_path, two):
    got = _result(tmp_path, two, [row("O.EQ", "Work plan"), row("O.EQ", "Schedule")], reuse=False)
    assert got[("A", "M.SP1.1")]["characterization"] == "NI"
    assert got[("A", "O.EQ")]["characterization"] == "FI"


def test_reviewer_weakness_travels_with_full_reuse_named_with_its_mapping(tmp_path, two):
    """A weakness recorded against a practice reaches every practice that receives its evidence in full.
    (Before: it was dropped, and the receiving practice was FI with no finding.)"""
    got = _result(tmp_path, two, [row("O.EQ", "Work plan", weakness="Plan not signed"), row("O.EQ", "Schedule")])
    assert got[("A", "O.EQ")]["characterization"] == "LI"
    pr = got[("A", "M.SP1.1")]
    assert pr["characterization"] == "LI"
    gap = next(g for g in pr["gaps"] if g["kind"] == "weakness")
    assert "Plan not signed" in gap["message"] and "mapping O.EQ -> M.SP1.1 (O.EQ equals M.SP1.1)" in gap["message"]
    # own weakness text is not decorated
    assert any(g["message"].endswith(": Plan not signed") for g in got[("A", "O.EQ")]["gaps"])
    # wider -> narrower is full reuse too: M.SP2.1 is a superset of O.NARROW
    got = _result(tmp_path, two, [row("M.SP2.1", "Program charter", party="shared", weakness="Charter unsigned")])
    pr = got[("A", "O.NARROW")]
    assert pr["characterization"] == "LI"
    assert any("Charter unsigned (via mapping M.SP2.1 -> O.NARROW" in g["message"] for g in pr["gaps"])


def test_weakness_through_a_partial_mapping_is_shown_not_counted(tmp_path, two):
    """subset/intersect reuse only supports: the weakness written for the other practice may concern
    the part they do not share, so it is an info finding here, not a weakness."""
    got = _result(tmp_path, two, [row("M.SP2.2", "Lessons learned"),
                                  row("O.OVERLAP", "Lessons learned", weakness="Lessons never reviewed")])
    pr = got[("A", "M.SP2.2")]
    assert pr["characterization"] == "FI"
    assert "weakness" not in {g["kind"] for g in pr["gaps"]}
    info = next(f for f in pr["findings"] if f["rule"] == "related-weakness")
    assert info["kind"] == "info"
    assert "Lessons never reviewed (via mapping O.OVERLAP -> M.SP2.2 (O.OVERLAP overlaps M.SP2.2))" in info["message"]
    assert got[("A", "O.OVERLAP")]["characterization"] == "LI"


def _v2_rows_csv(path: Path, weakness: str) -> Path:
    path.write_text("project,practice,work_product,status,date,weakness\n"
                    f"Atlas,PLAN 2.7,Tailored process for Atlas,approved,2026-10-01,{weakness}\n")
    return path


@pytest.mark.parametrize("layout", ["long", "oedb"])
def test_weakness_under_an_external_practice_id_reaches_the_mapped_practice(tmp_path, layout):
    """A V2.0 row (PLAN 2.7) with a weakness, mapped ``equal`` to IWM.SP1.1 with --mappings: IWM.SP1.1
    must not be FI, and the finding names the mapping. (Before: FI with no finding.)"""
    if layout == "long":
        evidence = _v2_rows_csv(tmp_path / "v2.csv", "Plan never reviewed with stakeholders")
    else:
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "PLAN"
        ws.append(["Heading", "Level\nPractice\nProject\nOE Source", "OE reference", "URL", "Engl", "OE Type",
                   "OE Source", "Affirmation Source (Session and Person)", "Suff. Artifact \nYes | No ",
                   "Affirm.\nYes | No", "Questions", "Weakness"])
        ws.append(["2 Prac_OU", "PLAN 2.7", "Develop the project plan ..."])
        ws.append(["4 Prac_Instan", "PLAN 2.7", "Atlas", None, None, None, None, "[3] PM (Smith)", "Yes", "Yes", None,
                   "Plan never reviewed with stakeholders"])
        ws.append(["5 OE", "Atlas", "Tailored process for Atlas", "https://wiki/tp", "engl", "direct", "OE DB"])
        evidence = tmp_path / "oedb.xlsx"
        wb.save(evidence)
    maps = tmp_path / "v2.yaml"
    maps.write_text("mappings:\n  - {from: IWM.SP1.1, to: PLAN 2.7, relationship: equal, source: test}\n")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["assess", str(evidence), "-r", "cmmi-svc-iwm", "--mappings", str(maps),
                                    "-o", str(out), "--as-of", "2026-11-22", "--engine", "python"])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "assessment.json").read_text())
    jsonschema.validate(data, schema())
    pr = next(p for p in data["projects"][0]["practices"] if p["practice"] == "IWM.SP1.1")
    assert pr["work_products"][0]["state"] == "adequate"  # the artifact itself is fine ...
    assert pr["characterization"] == "LI"                  # ... the weakness makes it LI
    gap = next(g for g in pr["gaps"] if g["kind"] == "weakness")
    assert "Plan never reviewed with stakeholders" in gap["message"]
    assert "mapping PLAN 2.7 -> IWM.SP1.1" in gap["message"]
    if layout == "oedb":  # the instance's affirmation reaches it too
        assert any(e["evidence_type"] == "affirmation" and e["practice"] == "IWM.SP1.1" for e in data["evidence"])


def test_weakness_under_an_external_id_mapped_as_subset_is_only_shown(tmp_path):
    evidence = _v2_rows_csv(tmp_path / "v2.csv", "Plan never reviewed")
    maps = tmp_path / "v2.yaml"
    maps.write_text("mappings:\n  - {from: IWM.SP1.1, to: PLAN 2.7, relationship: superset, source: test}\n")
    rs = [load_ruleset("cmmi-svc-iwm")]
    ev = load_evidence([evidence], rs, mappings=load_mappings(maps))
    res = assess(rs, ev, as_of=AS_OF, engine="python").to_dict()
    pr = next(p for p in res["projects"][0]["practices"] if p["practice"] == "IWM.SP1.1")
    assert "weakness" not in {g["kind"] for g in pr["gaps"]}
    assert any(f["rule"] == "related-weakness" and "Plan never reviewed (via mapping PLAN 2.7 -> IWM.SP1.1" in f["message"]
               for f in pr["findings"])


def test_integrated_sample_json_and_terminal(tmp_path):
    """Delta, assessed against IWM, WP, TPS and PM-integration at once (evidence_samples/README.md)."""
    sample = ROOT / "evidence_samples" / "delta-service-transition.xlsx"
    runner = CliRunner()
    res = runner.invoke(main, ["assess", str(sample), "-o", str(tmp_path / "a"), "--as-of", "2026-11-30"])
    assert res.exit_code == 0, res.output
    assert "rulesets: cmmi-svc-iwm, cmmi-svc-wp, itil-pm-integration, itil-tps" in res.output
    assert "Delta" in res.output
    data = json.loads((tmp_path / "a" / "assessment.json").read_text())
    chars = {pr["practice"]: pr for pr in data["projects"][0]["practices"]}
    for pid in ("TPS.STRATEGY", "TPS.PREPARE", "TPS.INIT", "TPS.PLAN", "TPS.CONTROL", "TPS.REPORT", "IWM.SP1.1",
                "IWM.SP1.4", "IWM.SP1.5", "PMI.INIT.CHARTER", "PMI.MC.CHANGE", "PMI.EXEC.ELS", "PMI.MC.TPS"):
        assert chars[pid]["characterization"] == "FI", pid
    assert chars["TPS.CLOSE"]["characterization"] == "PI"
    assert chars["WP.SP2.7"]["characterization"] == "PI"
    reused = [e for w in chars["PMI.MC.TPS"]["work_products"] for e in w["evidence"]]
    assert reused and all(e["reused_via"].startswith("mapping IWM.SP1.4 -> PMI.MC.TPS") for e in reused)
    support = [e for w in chars["IWM.SP1.5"]["work_products"] for e in w["evidence"] if e.get("role") == "supporting"]
    assert support and "TPS.REPORT" in support[0]["reused_via"]
    assert data["mappings_used"]
    res = runner.invoke(main, ["assess", str(sample), "-o", str(tmp_path / "b"), "--as-of", "2026-11-30", "--no-reuse"])
    data = json.loads((tmp_path / "b" / "assessment.json").read_text())
    chars = {pr["practice"]: pr for pr in data["projects"][0]["practices"]}
    assert chars["PMI.MC.TPS"]["characterization"] == "NI"
    assert data["mappings_used"] == []


def _pmo(tmp_path, rows):
    rs = [load_ruleset("pmo-integration")]
    path = write_long_xlsx(tmp_path / "pmo.xlsx", rows)
    res = assess(rs, load_evidence([path], rs), as_of=AS_OF).to_dict()
    return {(p["project"], pr["practice"]): pr for p in res["projects"] for pr in p["practices"]}


def test_shared_pmo_practice_needs_both_parties(tmp_path):
    rows = [
        {"project": "One", "practice": "PMO.3.1.2", "work_product": "Program charter v2", "status": "approved",
         "date": "2026-10-01", "party": "provider"},
        {"project": "Both", "practice": "PMO.3.1.2", "work_product": "Program charter v2", "status": "approved",
         "date": "2026-10-01", "party": "provider"},
        {"project": "Both", "practice": "PMO.3.1.2", "work_product": "Program charter v2 - agency sign-off",
         "status": "approved", "date": "2026-10-02", "party": "customer"},
        {"project": "One", "practice": "PMO.3.1.1", "work_product": "Provider PMO onboarding record",
         "status": "approved", "date": "2026-10-01", "party": "provider"},
    ]
    got = _pmo(tmp_path, rows)
    one = got[("One", "PMO.3.1.2")]
    assert one["characterization"] == "LI"
    finding = next(f for f in one["findings"] if f["rule"] == "shared-practice-needs-both-parties")
    assert "provider" in finding["message"]
    assert got[("Both", "PMO.3.1.2")]["characterization"] == "FI"
    # a provider-owned practice needs only the provider
    assert got[("One", "PMO.3.1.1")]["characterization"] == "FI"


def test_one_supporting_item_that_matches_no_work_product_lifts_ni_to_pi(tmp_path, two):
    # M.SP1.2 is a subset of O.WIDE: its unmatched kick-off notes only support O.WIDE, as other evidence
    got = _result(tmp_path, two, [row("M.SP1.2", "Kick-off notes")])
    pr = got[("A", "O.WIDE")]
    assert pr["characterization"] == "PI"
    assert pr["work_products"][0]["state"] == "missing"
    assert pr["other_evidence"][0]["role"] == "supporting"
