"""Real appraisal kits out of the box: the CMMI V2.0/V3.0 bridge, the team's notes and ratings."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from click.testing import CliRunner

from iwm_rules import load_evidence, load_ruleset
from iwm_rules.cli import main
from iwm_rules.exporters.json_export import schema
from iwm_rules.ruleset import bridge_notes, load_bridge, load_mappings, shipped_dir, validate_files

ROOT = Path(__file__).resolve().parent.parent
KIT_NAME = "appraisal-kit-OEdb-for-collection.xlsx"
REAL_KIT = next((p for p in (ROOT.parent / "shared" / "real_world" / KIT_NAME,
                             ROOT.parent.parent / "shared" / "real_world" / KIT_NAME) if p.exists()), None)
needs_kit = pytest.mark.skipif(REAL_KIT is None, reason="shared/real_world is not beside this checkout")


def run(args, out: Path):
    res = CliRunner().invoke(main, ["assess", *map(str, args), "-o", str(out), "--as-of", "2026-11-30"])
    path = out / "assessment.json"
    data = json.loads(path.read_text()) if path.exists() else None
    if data is not None:
        jsonschema.validate(data, schema())
    return res, data


def practices(data, project=None):
    return {pr["practice"]: pr for p in data["projects"] if project in (None, p["project"]) for pr in p["practices"]}


# --------------------------------------------------------------------------- the bridge file

def test_bridge_rows_are_derived_with_source_relationship_and_justification():
    text = (shipped_dir() / "mappings-cmmi-v2.yaml").read_text()
    rows = load_bridge()
    assert validate_files([shipped_dir() / "mappings-cmmi-v2.yaml"]) == []
    assert len(rows) == text.count("- from:") >= 10
    assert all(m.provenance == "derived" and m.source for m in rows)
    notes = bridge_notes()
    assert all(notes[(m.from_, m.to)] for m in rows)
    rel = {(m.from_, m.to): m.relationship for m in rows}
    assert rel[("PLAN 2.7", "WP.SP2.7")] == "equal"
    assert rel[("MC 3.1", "IWM.SP1.5")] == "equal"
    assert rel[("PLAN 3.3", "IWM.SP2.2")] == "subset"
    assert {t for f, t in rel if f == "PLAN 3.2"} == {"IWM.SP1.2", "IWM.SP1.4"}
    # SP 1.6 (teams) and SP 1.7 (process assets) have no counterpart in the kit's PLAN/MC practices
    assert not {"IWM.SP1.6", "IWM.SP1.7"} & {m.to for m in rows}


def test_the_bridge_file_is_not_a_ruleset_and_a_bad_bridge_row_is_refused(tmp_path):
    from iwm_rules.ruleset import shipped_ids

    assert "mappings-cmmi-v2" not in shipped_ids()
    bad = tmp_path / "bridge.yaml"
    bad.write_text("external: CMMI V2.0\nmappings:\n  - {from: PLAN 9.9, to: IWM.SP9.9, relationship: equal}\n")
    issues = validate_files([bad])
    assert {i.code for i in issues} == {"missing-field", "unknown-practice"}
    assert all("PLAN 9.9" in i.message or "IWM.SP9.9" in i.message for i in issues)


# --------------------------------------------------------------------------- OEdb kits built here

HEADER = ["Heading", "Level\nPractice\nProject\nOE Source", "OE reference", "URL", "Engl", "OE Type", "OE Source",
          "Affirmation Source (Session and Person)", "Suff. Artifact \nYes | No ", "Affirm.\nYes | No", "Questions",
          "Weakness", "Strength", "Recommendations", "Rating/\nChar", "Notes"]


def instance(practice, project, *, weakness=None, strength=None, recommendation=None, rating=None, affirm=None):
    row = ["4 Prac_Instan", practice, project, None, None, None, None, affirm, None, "Yes" if affirm else None, None,
           weakness, strength, recommendation, rating]
    return row


def oedb(path: Path, blocks: list[tuple[str, list]]) -> Path:
    """An OEdb sheet: per practice, its instance row and OE rows (reference, url)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "PLAN"
    ws.append(["PLANNING"])
    ws.append(HEADER)
    for practice, rows in blocks:
        ws.append(["2 Prac_OU", practice, "statement"])
        for r in rows:
            ws.append(r if r[0] == "4 Prac_Instan" else ["5 OE", r[0], r[1], r[2], "engl", "direct", "OE DB"])
    wb.save(path)
    return path


def test_v2_ids_rate_iwm_and_wp_through_the_bridge_with_no_flags(tmp_path):
    path = oedb(tmp_path / "kit.xlsx", [
        ("PLAN 2.7", [instance("PLAN 2.7", "Orion"),
                      ("Orion", "Orion project management plan with tasks, schedule, budget, milestones and risks", "u1"),
                      ("Orion", "Orion stakeholder, resource and data management plan; lifecycle and infrastructure", "u2")]),
        ("PLAN 3.2", [instance("PLAN 3.2", "Orion"), ("Orion", "Orion integrated plan and work estimates", "u3")]),
        ("MC 3.1", [instance("MC 3.1", "Orion"), ("Orion", "Orion monthly status report", "u4")]),
        ("PLAN 1.1", [instance("PLAN 1.1", "Orion"), ("Orion", "Orion task list", "u5")]),
    ])
    res, data = run([path], tmp_path / "o")
    assert res.exit_code == 0, res.output
    assert [r["id"] for r in data["rulesets"]] == ["cmmi-svc-iwm", "cmmi-svc-wp"]  # bridged rows refer to them
    chars = practices(data)
    assert chars["WP.SP2.7"]["characterization"] in ("FI", "LI")
    assert chars["IWM.SP1.5"]["characterization"] != "NI"
    assert chars["IWM.SP1.2"]["characterization"] != "NI" and chars["IWM.SP1.4"]["characterization"] != "NI"
    # every reused item names the bridge row that carried it
    wp_ev = [e for w in chars["WP.SP2.7"]["work_products"] for e in w["evidence"]]
    assert wp_ev and all(e["reused_via"] == "bridge PLAN 2.7 -> WP.SP2.7 (equal)" and e["role"] == "full" for e in wp_ev)
    sp14 = [e for w in chars["IWM.SP1.4"]["work_products"] for e in w["evidence"]]
    assert sp14 and {e["reused_via"] for e in sp14} == {"bridge PLAN 3.2 -> IWM.SP1.4 (intersect)"}
    assert {e["role"] for e in sp14} == {"supporting"}
    # the JSON lists each bridge row used and how many rows reached which ruleset
    used = {(m["from"], m["to"]): m for m in data["mappings_used"] if m.get("bridge")}
    assert set(used) == {("PLAN 2.7", "WP.SP2.7"), ("PLAN 3.2", "IWM.SP1.2"), ("PLAN 3.2", "IWM.SP1.4"),
                         ("MC 3.1", "IWM.SP1.5")}
    assert used[("PLAN 2.7", "WP.SP2.7")]["rows"] == 2 and used[("PLAN 2.7", "WP.SP2.7")]["note"]
    assert all(m["provenance"] == "derived" for m in used.values())
    assert data["input"]["bridge"] == {"enabled": True, "provenance": "derived", "rows": 4, "items": 5,
                                       "rulesets": {"cmmi-svc-iwm": 2, "cmmi-svc-wp": 2}}
    assert "bridge (derived, not an official model mapping): 4 row(s) reached cmmi-svc-iwm (2), cmmi-svc-wp (2)" \
        in res.output
    # PLAN 1.1 has no counterpart: its rows are rejected and the hint says why
    rej = data["input"]["rejected"]
    assert {r["value"] for r in rej} == {"PLAN 1.1"} and all("no counterpart" in r["hint"] for r in rej)
    # SP 1.6 stays NI, with a hint that the kit has no counterpart for it
    sp16 = chars["IWM.SP1.6"]
    assert sp16["characterization"] == "NI" and "no counterpart" in sp16["hint"]
    assert any("no counterpart for IWM.SP1.6" in g["action"] for g in sp16["gaps"])

    off, data_off = run([path, "--no-bridge"], tmp_path / "off")
    assert off.exit_code == 3
    assert data_off["input"]["bridge"]["enabled"] is False and data_off["projects"] == []
    hints = {r["value"]: r["hint"] for r in data_off["input"]["rejected"]}
    assert "relates PLAN 2.7 to WP.SP2.7, but it is off (--no-bridge)" in hints["PLAN 2.7"]
    assert "would reach IWM/WP through the CMMI V2.0/V3.0 bridge, which is off" in off.output


def test_no_bridge_summary_says_how_many_rows_it_left_out(tmp_path):
    path = oedb(tmp_path / "kit.xlsx", [
        ("IWM SP 1.1", [instance("IWM SP 1.1", "Orion"), ("Orion", "Orion tailored process", "u0")]),
        ("PLAN 2.7", [instance("PLAN 2.7", "Orion"), ("Orion", "Orion project plan", "u1")]),
    ])
    res, data = run([path, "--no-bridge"], tmp_path / "o")
    assert res.exit_code == 0, res.output
    assert [r["id"] for r in data["rulesets"]] == ["cmmi-svc-iwm"]
    assert "bridge off (--no-bridge): 1 rejected row(s) carry ids it would relate" in res.output
    res, data = run([path], tmp_path / "on")
    assert [r["id"] for r in data["rulesets"]] == ["cmmi-svc-iwm", "cmmi-svc-wp"] and data["input"]["rejected"] == []


def test_mappings_add_to_the_bridge(tmp_path):
    path = oedb(tmp_path / "kit.xlsx", [
        ("PLAN 2.7", [instance("PLAN 2.7", "Orion"), ("Orion", "Orion project plan", "u1")]),
        ("PLAN 2.2", [instance("PLAN 2.2", "Orion"), ("Orion", "Orion team charter and team members", "u2")]),
    ])
    extra = tmp_path / "m.yaml"
    extra.write_text("mappings:\n  - {from: PLAN 2.2, to: IWM.SP1.6, relationship: intersect, source: team}\n")
    res, data = run([path, "--mappings", extra], tmp_path / "o")
    assert res.exit_code == 0, res.output
    chars = practices(data)
    assert chars["WP.SP2.7"]["characterization"] != "NI"  # the bridge still applies
    ev = [e for w in chars["IWM.SP1.6"]["work_products"] for e in w["evidence"]]
    assert {e["reused_via"] for e in ev} == {"mapping PLAN 2.2 -> IWM.SP1.6 (intersect)"}
    assert data["input"]["bridge"]["rows"] == 1  # the user's row is a mapping, not the bridge


def test_oedb_strengths_recommendations_and_recorded_ratings_that_disagree(tmp_path):
    path = oedb(tmp_path / "kit.xlsx", [
        # the team says FM and the evidence agrees: not a disagreement
        ("MC 3.1", [instance("MC 3.1", "Orion", rating="FM", strength="Weekly steering meeting",
                             recommendation="Add risks to the status report"),
                    ("Orion", "Orion monthly status report", "u1")]),
        # the team says FM; a plan alone lacks the required risk identification, milestones, ...
        ("PLAN 2.7", [instance("PLAN 2.7", "Orion", rating="Fully Meets"), ("Orion", "Orion project plan", "u2")]),
        # the team says LM; nothing is recorded for the practice
        ("PLAN 3.1", [instance("PLAN 3.1", "Orion", rating="LM")]),
        # a rating that is not a characterization is a rejected cell
        ("MC 3.4", [instance("MC 3.4", "Orion", rating="Good")]),
    ])
    res, data = run([path], tmp_path / "o")
    assert res.exit_code == 0, res.output
    chars = practices(data)
    sp15 = chars["IWM.SP1.5"]
    assert sp15["characterization"] == "FI" and sp15["recorded"] == "FI" and sp15["recorded_as"] == "FM"
    assert [s["text"] for s in sp15["strengths"]] == ["Weekly steering meeting"]
    assert [r["text"] for r in sp15["recommendations"]] == ["Add risks to the status report"]
    src = sp15["strengths"][0]
    assert (src["sheet"], src["row"]) == ("PLAN", 4) and data["evidence"][src["ref"]]["row"] == 4
    assert src["via"] == "bridge MC 3.1 -> IWM.SP1.5 (equal)"
    wp = chars["WP.SP2.7"]
    assert wp["recorded"] == "FI" and wp["characterization"] == "PI"
    dis = {d["practice"]: d for d in data["disagreements"]}
    assert set(dis) == {"WP.SP2.7", "IWM.SP1.1"}
    assert dis["WP.SP2.7"]["message"].startswith("recorded FM, evidence supports PI: No artifact for required work product")
    assert (dis["WP.SP2.7"]["sheet"], dis["WP.SP2.7"]["row"]) == ("PLAN", 7)
    assert "Orion WP.SP2.7: recorded FM, evidence supports PI: No artifact" in res.output
    assert (dis["IWM.SP1.1"]["recorded_as"], dis["IWM.SP1.1"]["characterization"]) == ("LM", "NI")
    # a recorded rating never sets the characterization
    assert chars["IWM.SP1.1"]["characterization"] == "NI"
    rej = data["input"]["rejected"]
    assert [(r["column"], r["value"], r["reason"]) for r in rej] == [("recorded", "Good", "unknown characterization")]
    # in the CMMI V2.0 scale the recorded value is relabelled too
    _, v2 = run([path, "--scale", "cmmi-v2"], tmp_path / "v2")
    assert practices(v2)["WP.SP2.7"]["recorded"] == "FM"
    assert {(d["recorded"], d["characterization"]) for d in v2["disagreements"]} == {("FM", "PM"), ("LM", "DM")}


def test_a_partial_mapping_does_not_carry_the_teams_rating(tmp_path):
    path = oedb(tmp_path / "kit.xlsx", [
        ("PLAN 3.3", [instance("PLAN 3.3", "Orion", rating="FM", strength="Dependencies negotiated early"),
                      ("Orion", "Orion critical dependencies list", "u1")]),
        # notes alone, carried by a partial mapping, support nothing
        ("MC 3.3", [instance("MC 3.3", "Orion", strength="Workplace survey every quarter", rating="FM")]),
    ])
    res, data = run([path], tmp_path / "o")
    assert res.exit_code == 0, res.output
    chars = practices(data)
    sp22 = chars["IWM.SP2.2"]
    assert "recorded" not in sp22 and data["disagreements"] == []
    assert sp22["strengths"][0]["via"] == "bridge PLAN 3.3 -> IWM.SP2.2 (subset)"
    sp13 = chars["IWM.SP1.3"]
    assert sp13["characterization"] == "NI" and sp13["strengths"][0]["text"] == "Workplace survey every quarter"


# --------------------------------------------------------------------------- the real kit

@needs_kit
def test_real_kit_with_no_flags_says_what_it_found_and_why_nothing_is_rated(tmp_path):
    res, data = run([REAL_KIT], tmp_path / "o")
    assert res.exit_code == 3
    f = data["input"]["files"][0]
    assert (f["rows_read"], f["rows_accepted"], f["rows_rejected"], f["rows_skipped"]) == (2004, 0, 0, 2004)
    assert "p6FHR" in f["found"]["projects"] and "PLAN 2.7" in f["found"]["practices"]
    assert f["found"]["related"]["PLAN 2.7"] == ["WP.SP2.7"]
    assert "found 7 project(s)" in res.output and "p6FHR" in res.output
    assert "PLAN 2.7 -> WP.SP2.7" in res.output.replace("\n", " ") or "reach our practices" in res.output
    assert "446 evidence row(s) are template placeholders" in res.output


def fill_kit(src: Path, dst: Path, evidence: dict[str, list[tuple[str, str]]], notes: dict | None = None) -> Path:
    """A copy of the kit with evidence written into the '5 OE' rows of the PLAN and MC sheets."""
    shutil.copy(src, dst)
    wb = openpyxl.load_workbook(dst)
    for name in ("PLAN", "MC"):
        ws = wb[name]
        practice, queue = None, []
        for row in ws.iter_rows(min_row=1):
            kind = str(row[0].value or "")
            if kind.startswith("2"):
                practice = row[1].value
                queue = list(evidence.get(practice, []))
            elif kind.startswith("4") and notes and practice in notes:
                for col, value in notes[practice].items():
                    row[col].value = value
            elif kind.startswith("5") and queue:
                ref, url = queue.pop(0)
                row[2].value, row[3].value = ref, url
    wb.save(dst)
    return dst


@needs_kit
def test_filled_in_real_kit_rates_iwm_and_wp_with_no_flags(tmp_path):
    kit = fill_kit(REAL_KIT, tmp_path / "filled.xlsx", {
        "PLAN 2.7": [("p6FHR project management plan (tasks, schedule, budget, milestones, risks)", "https://x/pmp"),
                     ("p6FHR stakeholder, resource and data management plan, lifecycle, infrastructure", "https://x/s")],
        "PLAN 3.1": [("p6FHR tailored process description", "https://x/tp")],
        "MC 3.1": [("p6FHR monthly status report", "https://x/sr")],
        "MC 3.4": [("p6FHR issue log", "https://x/il")],
    }, notes={"MC 3.1": {11: "Risks not reviewed", 14: "PM"}})
    res, data = run([kit], tmp_path / "o")
    assert res.exit_code == 0, res.output
    f = data["input"]["files"][0]
    assert (f["rows_read"], f["rows_accepted"], f["rows_rejected"]) == (2004, 6, 0)
    assert f["rows_skipped"] == 2004 - 6
    assert {r["id"] for r in data["rulesets"]} == {"cmmi-svc-iwm", "cmmi-svc-wp"}
    chars = practices(data, "p6FHR")
    assert chars["WP.SP2.7"]["characterization"] in ("FI", "LI")
    assert chars["IWM.SP1.1"]["characterization"] != "NI" and chars["IWM.SP2.3"]["characterization"] != "NI"
    assert chars["IWM.SP1.6"]["characterization"] == "NI" and "no counterpart" in chars["IWM.SP1.6"]["hint"]
    assert data["input"]["bridge"]["rulesets"] == {"cmmi-svc-iwm": 4, "cmmi-svc-wp": 2}
    assert chars["IWM.SP1.5"]["recorded_as"] == "PM" and chars["IWM.SP1.5"]["characterization"] in ("FI", "LI")
    assert any(d["practice"] == "IWM.SP1.5" for d in data["disagreements"])


@needs_kit
def test_real_kit_counts_do_not_change_with_the_bridge_off():
    iwm = [load_ruleset("cmmi-svc-iwm"), load_ruleset("cmmi-svc-wp")]
    for use in (True, False):
        ev = load_evidence([REAL_KIT], iwm, bridge=load_bridge(), use_bridge=use)
        f = ev.files[0]
        assert (f.rows_read, f.rows_accepted, f.rows_rejected, f.rows_skipped) == (2004, 0, 0, 2004)
        assert f.skipped == {"blank": 32, "heading": 798, "placeholder": 446, "other_sheet": 728}


def test_load_mappings_of_the_bridge_keep_only_selected_targets():
    wp = load_ruleset("cmmi-svc-wp")
    rows = load_mappings(shipped_dir() / "mappings-cmmi-v2.yaml", [wp], strict=False)
    assert [(m.from_, m.to) for m in rows] == [("PLAN 2.7", "WP.SP2.7")]
