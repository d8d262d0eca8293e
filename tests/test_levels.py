"""Generic practices (cmmi-generic applied per process area) and capability / maturity levels."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from iwm_rules import load_ruleset
from iwm_rules.api import run_assessment
from iwm_rules.cli import main
from iwm_rules.errors import RulesetError
from iwm_rules.levels import area_level

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "evidence_samples"
AS_OF = "2026-11-30"

#: IWM generic-practice evidence of a mature project (GP 2.2 and GP 3.1 come through mappings)
IWM_GP = {
    "GP 2.1": "Organizational policy for integrated work management",
    "GP 2.3": "Resource allocation approval (staff and tools)",
    "GP 2.4": "RACI for the integrated plan",
    "GP 2.5": "Training records: IWM workshop",
    "GP 2.6": "Configuration register of plan baselines",
    "GP 2.7": "Stakeholder involvement matrix",
    "GP 2.8": "Monthly status report with corrective actions",
    "GP 2.9": "QA audit report: integrated work management",
    "GP 2.10": "Quarterly management review minutes",
    "GP 3.2": "Lessons learned submitted to the PAL",
}


def _generic_csv(path: Path, gp: dict[str, str], *, extra: list[list[str]] = ()) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["project", "process area", "practice", "work product", "evidence type", "status", "date"])
        for practice, wp in gp.items():
            w.writerow(["Atlas", "IWM", practice, wp, "artifact", "approved", "2026-10-01"])
        for row in extra:
            w.writerow(row)
    return path


def _assess(tmp_path, gp, *, extra=(), tailoring=None, rulesets=("cmmi-svc-iwm", "cmmi-svc-wp", "cmmi-generic"),
            apply_to="IWM"):
    files = [SAMPLES / "atlas-mature.xlsx", _generic_csv(tmp_path / "gp.csv", gp, extra=extra)]
    import datetime as dt

    result = run_assessment(files, rulesets=list(rulesets), tailoring=tailoring, as_of=dt.date(2026, 11, 30),
                            apply_to=apply_to)
    atlas = next(p for p in result.projects if p["project"] == "Atlas")
    chars = {p["practice"]: p["characterization"] for p in atlas["practices"]}
    level = next(lv for lv in atlas["levels"] if lv["process_area"] == "IWM")
    return result, atlas, chars, level


def test_full_institutionalization_is_cl3_and_ml3_ready(tmp_path):
    _, _, chars, level = _assess(tmp_path, IWM_GP)
    assert chars["IWM.GP2.1"] == "FI" and chars["IWM.GP3.2"] == "FI"
    assert level["capability_level"] == "CL3" and level["ml2"] == "satisfied" and level["ml3"] == "satisfied"


def test_reuse_sp11_for_gp31_and_wp_sp27_for_gp22(tmp_path):
    _, atlas, chars, _ = _assess(tmp_path, IWM_GP)
    assert chars["IWM.GP3.1"] == "FI" and chars["IWM.GP2.2"] == "FI"
    gp31 = next(p for p in atlas["practices"] if p["practice"] == "IWM.GP3.1")
    served = [e for w in gp31["work_products"] for e in w["evidence"]]
    assert served and all("IWM.SP1.1" in e["reused_via"] for e in served)
    import datetime as dt

    # without reuse the same evidence would have to be recorded twice
    res = run_assessment([SAMPLES / "atlas-mature.xlsx", _generic_csv(tmp_path / "g2.csv", IWM_GP)],
                         rulesets=["cmmi-svc-iwm", "cmmi-svc-wp", "cmmi-generic"], as_of=dt.date(2026, 11, 30),
                         apply_to="IWM", reuse=False)
    p = next(p for p in res.projects if p["project"] == "Atlas")
    chars = {x["practice"]: x["characterization"] for x in p["practices"]}
    assert chars["IWM.GP3.1"] == "NI" and chars["IWM.GP2.2"] == "NI"


def test_one_gg2_practice_at_pi_gives_cl1(tmp_path):
    gp = dict(IWM_GP)
    del gp["GP 2.5"]  # only an affirmation left: PI
    _, _, chars, level = _assess(tmp_path, gp, extra=[["Atlas", "IWM", "GP 2.5", "Interview: training is informal",
                                                       "affirmation", "", ""]])
    assert chars["IWM.GP2.5"] == "PI"
    assert level["capability_level"] == "CL1" and level["ml2"] == "unsatisfied" and level["ml3"] == "unsatisfied"


def test_gg3_unsatisfied_gives_cl2(tmp_path):
    gp = dict(IWM_GP)
    del gp["GP 3.2"]
    _, _, chars, level = _assess(tmp_path, gp)
    assert chars["IWM.GP3.2"] == "NI"
    assert level["capability_level"] == "CL2" and level["ml2"] == "satisfied" and level["ml3"] == "unsatisfied"


def test_gg3_not_rated_is_not_rated_never_cl0(tmp_path):
    tail = tmp_path / "t.yaml"
    tail.write_text("tailoring:\n  - {project: Atlas, practice: IWM.GP3.2, status: not_yet}\n", encoding="utf-8")
    _, _, chars, level = _assess(tmp_path, IWM_GP, tailoring=tail)
    assert chars["IWM.GP3.2"] == "NY"
    assert level["capability_level"] == "not_rated" and level["at_least"] == "CL2"
    assert level["ml2"] == "satisfied" and level["ml3"] == "not_rated"


def test_na_practice_never_lowers_a_level(tmp_path):
    gp = dict(IWM_GP)
    del gp["GP 2.5"]
    tail = tmp_path / "t.yaml"
    tail.write_text("tailoring:\n  - {project: Atlas, practice: IWM.GP2.5, status: not_applicable,"
                    " justification: 'no training needed: one-person service'}\n", encoding="utf-8")
    _, _, chars, level = _assess(tmp_path, gp, tailoring=tail)
    assert chars["IWM.GP2.5"] == "NA"
    assert level["capability_level"] == "CL3"


def test_specific_goal_unsatisfied_gives_cl0():
    assert area_level(["satisfied", "unsatisfied"], ["satisfied"], ["satisfied"])["capability_level"] == "CL0"
    assert area_level(["satisfied"], [], [])["capability_level"] == "not_rated"  # no GG2 assessed: unknown above CL1
    assert area_level(["satisfied"], [], [])["at_least"] == "CL1"


def test_organization_level_carries_team_judgment(tmp_path):
    import datetime as dt

    files = [SAMPLES / "atlas-mature.xlsx", _generic_csv(tmp_path / "gp.csv", IWM_GP), SAMPLES / "borealis-partial.csv"]
    res = run_assessment(files, rulesets=["cmmi-svc-iwm", "cmmi-svc-wp", "cmmi-generic"], as_of=dt.date(2026, 11, 30),
                         apply_to="IWM")
    org = next(lv for lv in res.organization["levels"] if lv["process_area"] == "IWM")
    assert org["judgment_required"] is True and "judgment" in org["note"]
    assert org["capability_level"] == "CL0"  # Borealis pulls the specific goals to PI at organization level


def test_process_area_column_and_id_spellings(tmp_path):
    path = tmp_path / "ev.csv"
    path.write_text("project,process area,practice,work product,status\n"
                    "P,IWM,GP 2.1,IWM policy,approved\n"
                    "P,,IWM GP 2.3,Resource plan,approved\n"
                    "P,,iwm.gp2.4,RACI chart,approved\n"
                    "P,WP,WP GP 2.1,Planning policy,approved\n", encoding="utf-8")
    from iwm_rules import load_evidence

    ev = load_evidence([path], [load_ruleset("cmmi-generic", apply_to=["IWM", "WP"])])
    assert list(ev.table["practice"]) == ["IWM.GP2.1", "IWM.GP2.3", "IWM.GP2.4", "WP.GP2.1"]
    assert ev.rejected.empty


def test_weights_make_coverage_a_weighted_mean_and_na_never_lowers_it(tmp_path):
    rs = tmp_path / "w.yaml"
    rs.write_text("""\
id: weighted
title: Weighted
version: "1"
source: test
goals:
  - id: W.SG1
    title: G
    practices:
      - id: W.SP1.1
        title: Heavy
        statement: s
        weight: 3
        work_products:
          - {id: plan, name: Plan, match: [plan], weight: 2}
          - {id: log, name: Log, match: [log]}
      - id: W.SP1.2
        title: Light
        statement: s
        work_products:
          - {id: memo, name: Memo, match: [memo]}
""", encoding="utf-8")
    ev = tmp_path / "e.csv"
    ev.write_text("project,practice,work product,status\nP,W.SP1.1,Plan,approved\n", encoding="utf-8")
    import datetime as dt

    res = run_assessment([ev], rulesets=[str(rs)], as_of=dt.date(2026, 11, 30))
    p = res.projects[0]
    sp11 = next(x for x in p["practices"] if x["practice"] == "W.SP1.1")
    assert sp11["coverage"] == pytest.approx(2 / 3, abs=1e-4) and sp11["weight"] == 3
    assert {w["id"]: w["weight"] for w in sp11["work_products"]} == {"plan": 2, "log": 1}
    # project: (3*2) / (3*2 + 3*1 + 1*1)
    assert p["coverage"] == pytest.approx(6 / 10, abs=1e-4) and res.coverage() == pytest.approx(0.6)
    tail = tmp_path / "t.yaml"
    tail.write_text("tailoring:\n  - {project: P, practice: W.SP1.2, status: not_applicable, justification: n/a}\n",
                    encoding="utf-8")
    res = run_assessment([ev], rulesets=[str(rs)], tailoring=tail, as_of=dt.date(2026, 11, 30))
    assert res.projects[0]["coverage"] == pytest.approx(6 / 9, abs=1e-4)  # NA left out: coverage only rises


def test_bad_weight_is_a_load_error(tmp_path):
    rs = tmp_path / "w.yaml"
    rs.write_text("id: w\ntitle: W\nversion: '1'\nsource: s\ngoals:\n  - id: W.SG1\n    title: G\n    practices:\n"
                  "      - {id: W.SP1.1, title: T, statement: s, weight: -2}\n", encoding="utf-8")
    with pytest.raises(RulesetError) as err:
        load_ruleset(rs)
    assert "weight" in str(err.value) and ":9" in str(err.value)


def test_cli_apply_to_and_summary(tmp_path):
    out = tmp_path / "o"
    res = CliRunner().invoke(main, ["assess", str(SAMPLES / "atlas-mature.xlsx"), str(SAMPLES / "atlas-generic-practices.xlsx"),
                                    "-o", str(out), "--as-of", AS_OF, "-r", "cmmi-svc-iwm", "-r", "cmmi-svc-wp",
                                    "-r", "cmmi-generic", "--apply-to", "iwm"])
    assert res.exit_code == 0, res.output
    assert "IWM CL3, ML2 yes, ML3 yes" in res.output
    data = json.loads((out / "assessment.json").read_text(encoding="utf-8"))
    atlas = data["projects"][0]
    assert not any(p["practice"].startswith("WP.GP") for p in atlas["practices"])  # only IWM instantiated
    bad = CliRunner().invoke(main, ["assess", str(SAMPLES / "atlas-mature.xlsx"), "-o", str(out), "-r", "cmmi-generic",
                                    "--apply-to", "I W M!"])
    assert bad.exit_code == 3 and "process area" in bad.output and "Traceback" not in bad.output


def test_quick_start_samples_show_atlas_levels(tmp_path):
    out = tmp_path / "o"
    res = CliRunner().invoke(main, ["assess", str(SAMPLES), "-o", str(out), "--as-of", AS_OF])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "assessment.json").read_text(encoding="utf-8"))
    atlas = next(p for p in data["projects"] if p["project"] == "Atlas")
    levels = {lv["process_area"]: lv["capability_level"] for lv in atlas["levels"]}
    assert levels == {"IWM": "CL3", "WP": "CL2"}
    assert "Atlas                    IWM CL3" in res.output


def test_tailoring_file_applies_to(tmp_path):
    tail = tmp_path / "t.yaml"
    tail.write_text("applies_to: [IWM]\n", encoding="utf-8")
    import datetime as dt

    res = run_assessment([SAMPLES / "atlas-generic-practices.xlsx"], rulesets=["cmmi-generic"], tailoring=tail,
                         as_of=dt.date(2026, 11, 30))
    ids = {p["practice"] for p in res.projects[0]["practices"]}
    assert "IWM.GP2.1" in ids and not any(i.startswith("WP.") for i in ids)
    assert any(r["reason"] == "unknown practice" for r in res.data["input"]["rejected"])  # WP rows: not applied


def test_cmmi_v2_scale_marks_levels_as_derived(tmp_path):
    out = tmp_path / "o"
    res = CliRunner().invoke(main, ["assess", str(SAMPLES / "atlas-mature.xlsx"), str(SAMPLES / "atlas-generic-practices.xlsx"),
                                    "-o", str(out), "--as-of", AS_OF, "--scale", "cmmi-v2"])
    assert res.exit_code == 0, res.output
    assert "[MEM]" in res.output
    data = json.loads((out / "assessment.json").read_text(encoding="utf-8"))
    assert all("[MEM]" in lv["scale_note"] for p in data["projects"] for lv in p["levels"])
