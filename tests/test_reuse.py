"""Evidence reuse across rulesets through mappings: the effect of each relationship, and --no-reuse."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from iwm_rules import assess, load_evidence, load_mappings, load_ruleset
from iwm_rules.cli import main

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


def test_reviewer_weakness_is_not_reused(tmp_path, two):
    got = _result(tmp_path, two, [row("O.EQ", "Work plan", weakness="Plan not signed"), row("O.EQ", "Schedule")])
    assert got[("A", "O.EQ")]["characterization"] == "LI"
    assert got[("A", "M.SP1.1")]["characterization"] == "FI"


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
