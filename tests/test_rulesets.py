"""Ruleset loading: the shipped rulesets are valid, and a broken one is refused with every problem."""
from __future__ import annotations

import json
import textwrap

import pytest
from click.testing import CliRunner

from iwm_rules import RulesetError, load_ruleset
from iwm_rules.cli import main
from iwm_rules.ruleset import load_mappings, shipped_dir, shipped_ids, validate_files

SHIPPED = ["cmmi-svc-iwm", "cmmi-svc-wp", "cmmi-generic", "itil-tps", "itil-pm-integration", "pmo-integration"]


def test_all_shipped_files_validate():
    files = sorted(shipped_dir().glob("*.yaml"))
    assert validate_files(files) == []
    assert set(SHIPPED) <= set(shipped_ids())


def test_iwm_has_both_goals_and_all_ten_practices():
    rs = load_ruleset("cmmi-svc-iwm")
    assert [g.id for g in rs.goals] == ["IWM.SG1", "IWM.SG2"]
    assert [p.id for p in rs.practices] == [f"IWM.SP1.{i}" for i in range(1, 8)] + [f"IWM.SP2.{i}" for i in range(1, 4)]
    for p in rs.practices:
        assert p.statement and p.subpractices and p.required_work_products, p.id
        assert p.provenance in ("verified", "partial", "derived")
    # derived content stays visible
    assert rs.practice("IWM.SP2.2").provenance == "derived"
    assert any(s.provenance == "derived" for s in rs.practice("IWM.SP1.3").subpractices)


def test_work_planning_lists_the_plan_contents():
    rs = load_ruleset("cmmi-svc-wp")
    wp = rs.practice("WP.SP2.7")
    names = " | ".join(w.name.lower() for w in wp.work_products)
    for item in ("overall work plan", "lifecycle", "tasks", "budgets and schedules", "milestones", "data management",
                 "risk", "resource and skill", "stakeholder", "infrastructure"):
        assert item in names
    assert len(wp.subpractices) == 4


def test_every_mapping_endpoint_exists():
    rulesets = [load_ruleset(r) for r in SHIPPED]
    maps = load_mappings(None, rulesets, strict=True)
    assert maps and all(m.relationship in ("equal", "subset", "superset", "intersect") for m in maps)


BROKEN = textwrap.dedent("""\
    id: Broken_Id
    title: Broken
    version: "1"
    source: test
    colour: blue
    goals:
      - id: G1
        title: Goal
        statement: s
        practices:
          - id: X.SP1.1
            title: One
            statement: s
            work_products:
              - {id: plan, name: The plan, match: ["/unclosed(/"], required: true}
              - {id: plan, name: Charter, match: ["schedule"]}
          - id: X.SP1.1
            title: Duplicate
            statement: s
            rules:
              - id: r1
                on: practice
                when: {field: n_artifactz, op: gt, value: 0}
                then: {kind: weakness, message: m}
          - id: X.SP1.2
            statement: missing title
    """)


def test_broken_ruleset_reports_every_problem_with_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    with pytest.raises(RulesetError) as err:
        load_ruleset(path)
    text = "\n".join(str(i) for i in err.value.issues)
    codes = {i.code for i in err.value.issues}
    assert {"unknown-key", "bad-id", "bad-regex", "duplicate-id", "name-not-matched", "rule", "missing-field"} <= codes
    assert f"{path}:5: unknown key 'colour'" in text
    assert "duplicate practice id 'X.SP1.1' (first at line 11)" in text
    assert "duplicate work product id 'plan'" in text
    assert "unknown field 'n_artifactz'" in text and "did you mean 'n_artifacts'" in text
    assert "its name 'Charter' matches none of its own patterns" in text


def test_mapping_to_unknown_practice_is_refused(tmp_path):
    path = tmp_path / "maps.yaml"
    path.write_text("mappings:\n  - {from: IWM.SP1.4, to: NOPE.1, relationship: equal}\n"
                    "  - {from: IWM.SP1.1, to: TPS.PLAN, relationship: sameish}\n")
    issues = validate_files([path])
    text = "\n".join(str(i) for i in issues)
    assert "no ruleset has practice 'NOPE.1'" in text
    assert "relationship must be one of" in text


def test_cli_validate_exit_codes(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(main, ["rulesets", "validate", str(shipped_dir() / "cmmi-svc-iwm.yaml")])
    assert ok.exit_code == 0, ok.output
    bad = tmp_path / "broken.yaml"
    bad.write_text(BROKEN)
    res = runner.invoke(main, ["rulesets", "validate", str(bad)])
    assert res.exit_code == 3
    assert "unknown key 'colour'" in res.output


def test_cli_list_and_show():
    runner = CliRunner()
    res = runner.invoke(main, ["rulesets", "list"])
    assert res.exit_code == 0
    for rid in SHIPPED:
        assert rid in res.output
    res = runner.invoke(main, ["rulesets", "show", "cmmi-svc-wp", "--format", "json"])
    data = json.loads(res.output)
    assert data["id"] == "cmmi-svc-wp"
    wp = data["goals"][0]["practices"][0]
    assert wp["id"] == "WP.SP2.7" and all("required" in w for w in wp["work_products"])
    md = runner.invoke(main, ["rulesets", "show", "cmmi-svc-iwm"]).output
    assert "### IWM.SP1.4 Integrate Plans" in md and "(derived)" in md
    res = runner.invoke(main, ["rulesets", "show", "no-such-ruleset"])
    assert res.exit_code == 3 and "no shipped ruleset" in res.output


SEED_SECTIONS = {
    "itil-tps": ["initiat", "planning and coordination", "control", "report", "clos"],
    "itil-pm-integration": ["initiating", "planning", "executing", "monitoring", "closing"],
}


def test_itil_and_pmo_practices_name_their_source_and_show_lists_them():
    runner = CliRunner()
    for rid in ("itil-tps", "itil-pm-integration", "pmo-integration"):
        rs = load_ruleset(rid)
        for p in rs.practices:
            assert "seed" in p.source or "domain/" in p.source, (rid, p.id, p.source)
        md = runner.invoke(main, ["rulesets", "show", rid]).output
        assert md.count("; source: ") == len(rs.practices)
        text = md.lower()
        for section in SEED_SECTIONS.get(rid, []):
            assert section in text, (rid, section)
    tps = load_ruleset("itil-tps")
    close = tps.practice("TPS.CLOSE")
    assert "release and deployment" in (close.source + " ".join(close.guidance) + close.statement).lower()
    pmi = load_ruleset("itil-pm-integration")
    ids = {p.id for p in pmi.practices}
    for itil_process in ("SLM", "AVAILABILITY", "CAPACITY", "ITSCM", "SECURITY", "SUPPLIER", "CHANGE", "CONFIG",
                         "RELEASE", "KNOWLEDGE", "EVENT", "INCIDENT", "REQUEST", "PROBLEM", "ACCESS"):
        assert f"PMI.PLAN.{itil_process}" in ids
    pmo = load_ruleset("pmo-integration")
    owners = {p.id: p.owner for p in pmo.practices}
    assert len(owners) == 9 and owners["PMO.3.1.1"] == "provider" and owners["PMO.3.1.7"] == "customer"
    assert {owners[f"PMO.3.1.{i}"] for i in (2, 3, 4, 5, 6, 8, 9)} == {"shared"}
    assert any(p.guidance for p in pmo.practices)
