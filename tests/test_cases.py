"""Data-driven characterization tests: tests/cases/*.yaml (evidence + expected results).

Each case is written to a real xlsx, loaded, and assessed with both rule evaluators.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from iwm_rules import assess, load_evidence, load_tailoring
from iwm_rules.engine import durable_backend

from .conftest import write_long_xlsx

CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))
ENGINES = ["python"] + (["durable"] if durable_backend.available() else [])


def _run(case: dict, tmp_path: Path, mini_ruleset, engine: str):
    rows = [{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r.items()} for r in case["evidence"]]
    path = write_long_xlsx(tmp_path / "evidence.xlsx", rows)
    evidence = load_evidence([path], [mini_ruleset])
    assert len(evidence.rejected) == 0, evidence.rejected.to_dict("records")
    tailoring = None
    if case.get("tailoring"):
        tpath = tmp_path / "tailoring.yaml"
        tpath.write_text(yaml.safe_dump(case["tailoring"]))
        tailoring = load_tailoring(tpath, [mini_ruleset])
    as_of = case["as_of"] if isinstance(case["as_of"], dt.date) else dt.date.fromisoformat(case["as_of"])
    return assess([mini_ruleset], evidence, tailoring=tailoring, as_of=as_of, engine=engine).to_dict()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case_path", CASES, ids=[c.stem for c in CASES])
def test_case(case_path, engine, tmp_path, mini_ruleset):
    case = yaml.safe_load(case_path.read_text())
    result = _run(case, tmp_path, mini_ruleset, engine)
    expect = case["expect"]
    by_project = {p["project"]: p for p in result["projects"]}
    practice = {(p["project"], pr["practice"]): pr for p in result["projects"] for pr in p["practices"]}
    for proj, chars in expect.get("practices", {}).items():
        for pid, char in chars.items():
            assert practice[(proj, pid)]["characterization"] == char, (proj, pid, practice[(proj, pid)])
    for proj, gaps in expect.get("gaps", {}).items():
        for pid, kinds in gaps.items():
            assert sorted(g["kind"] for g in practice[(proj, pid)]["gaps"]) == sorted(kinds), (proj, pid)
            for g in practice[(proj, pid)]["gaps"]:
                assert g["action"], "every gap says what to do"
    for proj, rules in expect.get("rules", {}).items():
        for pid, ids in rules.items():
            assert set(ids) <= {f["rule"] for f in practice[(proj, pid)]["findings"]}
    for proj, covs in expect.get("coverage", {}).items():
        for pid, cov in covs.items():
            got = practice[(proj, pid)]["coverage"]
            assert got is None if cov is None else got == pytest.approx(cov), (proj, pid, got)
    for proj, goals in expect.get("goals", {}).items():
        got = {g["goal"]: g["rating"] for g in by_project[proj]["goals"]}
        for gid, rating in goals.items():
            assert got[gid] == rating, (proj, gid)
    org = {p["practice"]: p for p in result["organization"]["practices"]}
    for pid, char in expect.get("organization", {}).items():
        assert org[pid]["characterization"] == char, pid
    if "judgment_required" in expect:
        assert sorted(p for p, r in org.items() if r["judgment_required"]) == sorted(expect["judgment_required"])
    org_goals = {g["goal"]: g["rating"] for g in result["organization"]["goals"]}
    for gid, rating in expect.get("organization_goals", {}).items():
        assert org_goals[gid] == rating


def test_cases_cover_every_characterization():
    """The case files together pin FI, LI (each cause), PI, NI, NY and NA."""
    seen, gap_kinds = set(), set()
    for c in CASES:
        case = yaml.safe_load(c.read_text())
        for chars in case["expect"].get("practices", {}).values():
            seen.update(chars.values())
        for gaps in case["expect"].get("gaps", {}).values():
            for kinds in gaps.values():
                gap_kinds.update(kinds)
    assert {"FI", "LI", "PI", "NI", "NY", "NA"} <= seen
    assert {"weakness", "not_approved", "stale", "missing_affirmation", "waiver_expired", "dated_after_as_of"} <= gap_kinds
