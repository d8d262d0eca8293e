"""Evidence layouts on real workbooks: long with title rows and merged cells, PIID wide,
the appraisal-kit OEdb (hand-built and the real one), with exact row accounting."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from click.testing import CliRunner

from iwm_rules import load_evidence, load_mappings, load_ruleset
from iwm_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent
REAL_OEDB = ROOT.parent / "shared" / "real_world" / "appraisal-kit-OEdb-for-collection.xlsx"


@pytest.fixture(scope="module")
def iwm():
    return [load_ruleset("cmmi-svc-iwm"), load_ruleset("cmmi-svc-wp")]


def counts(ev, name):
    f = next(f for f in ev.files if Path(f.path).name == name)
    assert f.rows_read == f.rows_accepted + f.rows_rejected + f.rows_skipped
    assert sum(f.skipped.values()) == f.rows_skipped
    return f.rows_read, f.rows_accepted, f.rows_rejected, f.rows_skipped


def test_long_with_title_rows_merged_cells_and_a_sheet_per_project(tmp_path, iwm):
    wb = openpyxl.Workbook()
    for name, rows in (("Orion", [("IWM SP 1.1", "Orion tailored process", "approved", dt.date(2026, 5, 1)),
                                  ("IWM SP 1.9", "Something", "approved", dt.date(2026, 5, 1))]),
                       ("Lyra", [("WP SP 2.7", "Lyra project plan", "baselined", dt.date(2026, 6, 1)),
                                 (None, None, None, None),
                                 ("IWM SP 2.1", "Steering minutes", "Approved", "2026-06-03")])):
        ws = wb.create_sheet(name)
        ws.append([f"{name} evidence register"])
        ws.merge_cells("A1:D1")
        ws.append(["Confidential"])
        ws.append([])
        ws.append(["Practice ID", "Artifact", "Approval status", "Last updated"])
        for r in rows:
            ws.append(list(r))
    wb.remove(wb["Sheet"])
    path = tmp_path / "registers.xlsx"
    wb.save(path)
    ev = load_evidence([path], iwm)
    assert counts(ev, "registers.xlsx") == (4 + 2 + 4 + 3, 3, 1, 9)
    assert sorted(ev.table["project"].unique()) == ["Lyra", "Orion"]
    rej = ev.rejected.iloc[0]
    assert (rej["sheet"], rej["row"], rej["column"], rej["reason"]) == ("Orion", 6, "practice", "unknown practice")
    assert set(ev.table["status"]) == {"approved", "baselined"}


def _piid(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "PIID"
    ws.append(["PIID - Integrated Work Management"])
    ws.append(["Project", "Practice", "Practice Title", "Direct Artifacts", "Indirect Artifacts", "Affirmations",
               "Weaknesses", "Strengths"])
    ws.append(["Vega", "IWM SP 1.1", "Establish the Defined Process", "Vega defined process\nTailoring record",
               "PAL download log", "PM interview", None, "Good tailoring"])
    ws.append(["Vega", "IWM SP 1.4", "Integrate Plans", "Integrated plan; Risk plan", None, None,
               "QA plan not integrated", None])
    ws.append(["Vega", "IWM SP 1.5", "Manage the Work", None, None, None, None, None])      # nothing recorded
    ws.append(["Vega", "IWM SP 3.1", "No such practice", "Something", None, None, None, None])  # unknown
    ws.append(["Vega", "IWM SP 2.3", "Resolve Coordination Issues", None, None, None, "No issue log", None])
    wb.save(path)
    return path


def test_piid_wide_layout(tmp_path, iwm):
    ev = load_evidence([_piid(tmp_path / "piid.xlsx")], iwm)
    assert ev.files[0].layout == "piid"
    # 7 rows: title + header + empty practice row skipped; 1 rejected; 3 accepted
    assert counts(ev, "piid.xlsx") == (7, 3, 1, 3)
    t = ev.table
    sp11 = t[t["practice"] == "IWM.SP1.1"]
    assert sorted(sp11["work_product"]) == ["PAL download log", "PM interview", "Tailoring record", "Vega defined process"]
    assert sorted(sp11["evidence_type"]) == ["affirmation", "artifact", "artifact", "artifact"]
    assert set(t[t["practice"] == "IWM.SP1.4"]["work_product"]) == {"Integrated plan", "Risk plan", "Recorded weakness"}
    assert ev.files[0].evidence_items == len(t) == 8
    assert ev.rejected.iloc[0]["row"] == 6


def test_piid_weakness_makes_li_and_weakness_only_is_not_evidence(tmp_path, iwm):
    path = _piid(tmp_path / "piid.xlsx")
    res = CliRunner().invoke(main, ["assess", str(path), "-o", str(tmp_path / "o"), "--as-of", "2026-11-30"])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "o" / "assessment.json").read_text())
    chars = {pr["practice"]: pr for pr in data["projects"][0]["practices"]}
    assert chars["IWM.SP1.1"]["characterization"] == "FI"
    assert chars["IWM.SP1.4"]["characterization"] == "LI"
    assert chars["IWM.SP2.3"]["characterization"] == "NI"
    assert "weakness" in {g["kind"] for g in chars["IWM.SP2.3"]["gaps"]}


def _oedb(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "PLAN"
    ws.append(["PLANNING"])
    ws.append(["Intent ", "Develop plans ..."])
    ws.append([])
    ws.append(["Heading", "Level\nPractice\nProject\nOE Source", "OE reference", "URL", "Engl", "OE Type", "OE Source",
               "Affirmation Source (Session and Person)", "Suff. Artifact \nYes | No ", "Affirm.\nYes | No", "Questions",
               "Weakness", "Strength", "Recommendations", "Rating/\nChar", "Notes"])
    ws.append(["1 Prac_Group", "Level 2"])
    ws.append(["2 Prac_OU", "PLAN 2.7", "Develop the project plan ..."])
    ws.append(["4 Prac_Instan", "PLAN 2.7", "p6FHR", None, None, None, None, "[3] PM (Smith)", "Yes", "Yes"])
    ws.append(["5 OE", "p6FHR", "p6FHR project management plan v3", "https://wiki/pmp", "engl", "direct", "OE DB"])
    ws.append(["5 OE", "p6FHR", "Evidence name", "link", "engl", "none", "OE DB"])
    ws.append(["2 Prac_OU", "MC 2.1", "Track actual results ..."])
    ws.append(["4 Prac_Instan", "MC 2.1", "p6FHR", None, None, None, None, None, "No", "No", None, "No actuals tracked"])
    ws.append(["5 OE", "p6FHR", "Weekly actuals sheet", "https://wiki/actuals", "engl", "direct", "OE DB"])
    wb.save(path)
    return path


def test_oedb_layout_with_a_v2_mapping(tmp_path, iwm):
    path = _oedb(tmp_path / "oedb.xlsx")
    maps = tmp_path / "v2.yaml"
    maps.write_text("mappings:\n  - {from: WP.SP2.7, to: PLAN 2.7, relationship: equal, source: test}\n")
    ev = load_evidence([path], iwm, mappings=load_mappings(maps))
    assert ev.files[0].layout == "oedb"
    # 12 rows: 4 above/at header, group + 2 OU headings, placeholder OE skipped; PLAN 2.7 instance
    # (affirmation) and its OE accepted; MC 2.1 instance (weakness) and its OE: unmapped, rejected
    assert counts(ev, "oedb.xlsx") == (12, 2, 2, 8)
    assert set(ev.rejected["reason"]) == {"unmapped_practice"}
    assert set(ev.rejected["value"]) == {"MC 2.1"}
    row = ev.table[ev.table["evidence_type"] == "artifact"].iloc[0]
    assert (row["project"], row["practice"], row["practice_raw"]) == ("p6FHR", "WP.SP2.7", "PLAN 2.7")
    assert row["reuse_via"].startswith("mapping PLAN 2.7 -> WP.SP2.7") and row["location"] == "https://wiki/pmp"
    without = load_evidence([path], iwm)
    assert counts(without, "oedb.xlsx") == (12, 0, 4, 8)


@pytest.mark.skipif(not REAL_OEDB.exists(), reason="shared/real_world is not beside this checkout")
def test_real_appraisal_kit_oedb(iwm):
    ev = load_evidence([REAL_OEDB], iwm)
    f = ev.files[0]
    assert f.layout == "oedb" and not ev.errors
    # the kit is a template: every OE row is a placeholder ("Evidence name" / "link"), every
    # instance row is empty, so all 2004 rows are read and skipped, none lost, none invented
    assert (f.rows_read, f.rows_accepted, f.rows_rejected, f.rows_skipped) == (2004, 0, 0, 2004)
    # why: 446 "Evidence name" OE placeholders, 798 heading / empty-instance rows, 32 blank rows,
    # and 728 rows on roll-up and lookup sheets (ou, Tables, TV_*) that hold no evidence table
    assert f.skipped == {"blank": 32, "heading": 798, "placeholder": 446, "other_sheet": 728}
    assert all("no evidence header" in w["message"] for w in ev.warnings)


def test_duplicate_rows_are_flagged(tmp_path, iwm):
    from .conftest import write_long_xlsx

    row = {"project": "A", "practice": "IWM.SP1.1", "work_product": "Defined process", "status": "approved",
           "date": "2026-05-01"}
    ev = load_evidence([write_long_xlsx(tmp_path / "d.xlsx", [row, row])], iwm)
    assert len(ev.table) == 2
    assert any(w.get("rows") == [2, 3] and "duplicates" in w["message"] for w in ev.warnings)


@pytest.mark.parametrize("encoding,delimiter", [("utf-8", ","), ("utf-8-sig", ";"), ("cp1252", "\t")])
def test_csv_encodings_and_delimiters(tmp_path, iwm, encoding, delimiter):
    text = delimiter.join(["Projet", "Practice", "Work product", "Notes"]) + "\n" + \
        delimiter.join(["Équipe", "IWM.SP1.6", "Team charter – signed", "coût 5€"]) + "\n"
    text = text.replace("Projet", "Project")
    path = tmp_path / "e.csv"
    path.write_bytes(text.encode(encoding, errors="replace"))
    ev = load_evidence([path], iwm)
    assert counts(ev, "e.csv") == (2, 1, 0, 1)
    assert ev.table.iloc[0]["project"] == "Équipe"
    if encoding != "cp1252":
        assert ev.table.iloc[0]["notes"] == "coût 5€"


_HEADER_WORDS = ["Project", "Practice", "Work product", "Status", "Date", "Direct", "Indirect", "Affirmations",
                 "OE", "Ref", "Kind", "Document", "IWM SP1.1", "IWM SP1.2", "Note type", "Notes", "W", "x", "",
                 None, "Evidence name", "Observation"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(_HEADER_WORDS), min_size=0, max_size=7), min_size=0, max_size=24))
def test_layout_detection_equals_trying_every_finder_on_every_row(rows):
    """Detection stops scanning once a header is found; the layout it picks is the one trying every
    finder on every row picks (earliest header row; on a tie, the order of READERS)."""
    from iwm_rules.evidence import READERS, _detect

    best = None
    for name, (finder, _) in READERS.items():
        found = finder(rows)
        if found and (best is None or found[0] < best[1][0]):
            best = (name, found)
    assert _detect(rows, "auto") == (best if best else (None, None))
