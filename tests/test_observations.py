"""Observations sheets: weaknesses count, strengths and recommendations are kept, never rate."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from click.testing import CliRunner

from iwm_rules import load_evidence, load_ruleset
from iwm_rules.cli import main
from iwm_rules.exporters.json_export import schema
from iwm_rules.ruleset import load_bridge


@pytest.fixture(scope="module")
def iwm():
    return [load_ruleset("cmmi-svc-iwm"), load_ruleset("cmmi-svc-wp")]


def workbook(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ev = wb.active
    ev.title = "Evidence"
    ev.append(["Practice", "Work product", "Status", "Date"])
    ev.append(["IWM SP 1.1", "Orion tailored process", "approved", "2026-05-01"])
    ev.append(["IWM SP 2.2", "Orion critical dependencies, commitments and dependency status", "approved",
               "2026-05-01"])
    obs = wb.create_sheet("Observations")
    obs.append(["Appraisal observations"])                                                          # 1
    obs.append(["Abbr", "Note Type", "EN Note", "CN Note", "Source", "User"])                        # 2
    obs.append(["IWM SP 1.1", "W", "Tailoring decisions are not recorded", "裁剪决定没有记录", "interview", "Li"])  # 3
    obs.append(["PLAN 2.7", "S", "The plan is reviewed every sprint", None, "document", "Li"])         # 4
    obs.append(["MC 3.4", "R", None, "建议建立问题日志", "interview", "Wang"])                          # 5
    obs.append(["IWM SP 2.3", "Strength", "Issues are escalated within a day", "问题在一天内升级", None, None])  # 6
    obs.append(["IWM SP 2.2", "opportunity for improvement", "Track supplier dependencies too", None, None, None])  # 7
    obs.append(["IWM SP 1.2", "Q", "Estimates use history", None, None, None])                       # 8
    obs.append(["IWM SP 1.3", "W", None, None, "interview", None])                                   # 9
    obs.append([])                                                                                   # 10
    obs.append(["PLAN 1.1", "W", "Task list incomplete", None, None, None])                          # 11
    wb.save(path)
    return path


def test_observations_sheet_counts_and_fields(tmp_path, iwm):
    ev = load_evidence([workbook(tmp_path / "orion.xlsx")], iwm, project="Orion", bridge=load_bridge())
    f = ev.files[0]
    assert f.layout == "long,observations"
    # Evidence: header + 2 accepted. Observations: title, header, blank skipped; rows 3-7 accepted;
    # 8 (unknown note type), 9 (empty note) and 11 (PLAN 1.1: no counterpart) rejected
    assert (f.rows_read, f.rows_accepted, f.rows_rejected, f.rows_skipped) == (14, 7, 3, 4)
    rej = {r["row"]: r for r in ev.rejected.to_dict("records")}
    assert (rej[8]["column"], rej[8]["value"], rej[8]["reason"]) == ("Note Type", "Q", "unknown note type")
    assert rej[9]["reason"] == "note is empty" and rej[11]["reason"] == "unknown practice"
    o = ev.table[ev.table["sheet"] == "Observations"].set_index("row")
    assert (o.loc[3, "evidence_type"], o.loc[3, "weakness"]) == ("weakness", "Tailoring decisions are not recorded")
    assert o.loc[3, "notes"] == "CN Note: 裁剪决定没有记录; source: interview" and o.loc[3, "owner"] == "Li"
    assert (o.loc[4, "practice"], o.loc[4, "strength"]) == ("WP.SP2.7", "The plan is reviewed every sprint")
    assert o.loc[5, "recommendation"] == "建议建立问题日志"  # no English note: the other language is the text
    assert o.loc[6, "strength"] == "Issues are escalated within a day" and "问题在一天内升级" in o.loc[6, "notes"]
    assert o.loc[7, "recommendation"] == "Track supplier dependencies too"


def test_weaknesses_lower_strengths_never_raise(tmp_path):
    out = tmp_path / "o"
    res = CliRunner().invoke(main, ["assess", str(workbook(tmp_path / "orion.xlsx")), "--project", "Orion",
                                    "-o", str(out), "--as-of", "2026-11-30"])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "assessment.json").read_text())
    jsonschema.validate(data, schema())
    pr = {p["practice"]: p for p in data["projects"][0]["practices"]}
    # W: a weakness against the practice -> LI despite an adequate artifact
    assert pr["IWM.SP1.1"]["characterization"] == "LI"
    assert any("Tailoring decisions are not recorded" in g["message"] for g in pr["IWM.SP1.1"]["gaps"])
    # S on a practice with nothing else: still NI; the strength is kept with its source row
    assert pr["IWM.SP2.3"]["characterization"] == "NI"
    s = pr["IWM.SP2.3"]["strengths"]
    assert [(x["text"], x["sheet"], x["row"]) for x in s] == [("Issues are escalated within a day", "Observations", 6)]
    assert data["evidence"][s[0]["ref"]]["row"] == 6
    # R: kept per practice; the practice keeps the characterization its evidence gives
    sp22 = pr["IWM.SP2.2"]
    assert [r["text"] for r in sp22["recommendations"]] == ["Track supplier dependencies too"]
    assert sp22["characterization"] == "FI"
    assert [(r["text"], r["via"]) for r in pr["IWM.SP2.3"]["recommendations"]] == [
        ("建议建立问题日志", "bridge MC 3.4 -> IWM.SP2.3 (superset)")]
    assert pr["IWM.SP1.1"]["strengths"] == [] and pr["IWM.SP1.1"]["recommendations"] == []
    wp = pr["WP.SP2.7"]
    assert wp["strengths"][0]["via"] == "bridge PLAN 2.7 -> WP.SP2.7 (equal)" and wp["characterization"] == "NI"


def test_observations_with_a_project_column_and_words_for_types(tmp_path, iwm):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Project", "Practice", "Type", "Observation"])
    ws.append(["Lyra", "IWM.SP1.4", "weakness", "QA plan not integrated"])
    ws.append(["Vega", "IWM.SP1.4", "recommendation", "Integrate the QA plan"])
    ws.append(["Vega", "IWM.SP1.4", "strength", "Plans integrated monthly"])
    path = tmp_path / "notes.xlsx"
    wb.save(path)
    ev = load_evidence([path], iwm)
    f = ev.files[0]
    assert (f.layout, f.rows_accepted, f.rows_rejected) == ("observations", 3, 0)
    assert sorted(ev.table["project"]) == ["Lyra", "Vega", "Vega"]
    assert list(ev.table["evidence_type"]) == ["weakness", "observation", "observation"]


@pytest.mark.parametrize("headers", [
    ["Practice", "Type", "Notes", "Note (ZH)"],
    ["Abbr", "Note Type", "Chinese Note", "English Note"],
])
def test_english_note_is_the_text_whatever_the_column_order(tmp_path, iwm, headers):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    english_first = "english" not in headers[2].lower() and "chinese" not in headers[2].lower()
    row = ["IWM SP 1.4", "S", "Plans integrated monthly", "计划每月整合"]
    ws.append(row if english_first else [row[0], row[1], row[3], row[2]])
    path = tmp_path / "n.xlsx"
    wb.save(path)
    ev = load_evidence([path], iwm, project="Lyra")
    t = ev.table.iloc[0]
    assert (t["strength"], t["notes"]) == ("Plans integrated monthly", f"{headers[3 if english_first else 2]}: 计划每月整合")
