"""Document x practice matrix: detection, every legend mark, odd dates, footer blocks, the team's ratings."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from click.testing import CliRunner

from iwm_rules import load_evidence, load_ruleset
from iwm_rules.cli import main
from iwm_rules.evidence.matrix import DEFAULT_LEGEND, LegendError, load_legend, read_date
from iwm_rules.exporters.json_export import schema
from iwm_rules.ruleset import load_bridge


@pytest.fixture(scope="module")
def iwm():
    return [load_ruleset("cmmi-svc-iwm"), load_ruleset("cmmi-svc-wp")]


def load(path, rulesets, **kw):
    ev = load_evidence([path], rulesets, bridge=load_bridge(), **kw)
    f = ev.files[0]
    assert f.rows_read == f.rows_accepted + f.rows_rejected + f.rows_skipped
    assert sum(f.skipped.values()) == f.rows_skipped
    return ev, f


def kit_matrix(path: Path) -> Path:
    """A matrix as real kits have it: title, category column, two date columns, a comment column,
    odd date cells, a practice column no ruleset knows, and footer blocks right under the last document."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Mapping"
    ws.append(["Orion - documents mapped to practices"])                                        # 1
    ws.append([])                                                                                # 2
    ws.append(["Cat", "Document", "Release Date", "Latest Date", "IWM SP 1.1", "WP SP 2.7", "IWM SP 1.5", "PLAN 1.1",
               "Comment"])                                                                       # 3
    ws.append(["P", "Orion tailored process", dt.date(2026, 5, 1), None, "G", None, None, None, "signed off"])  # 4
    ws.append(["P", "Orion project plan", "var", dt.date(2026, 6, 1), None, "A", "X", None, None])          # 5
    ws.append(["M", "Orion status report", "?", None, None, None, "F", None, None])                          # 6
    ws.append(["P", "Orion lifecycle description", "=C4", 0, None, "?", None, "x", None])                  # 7
    ws.append(["P", "Orion risk register", None, None, None, "Z", None, None, None])                        # 8
    ws.append([None, "Characterisation", None, None, "FM", "LM", "PM", "LM"])                              # 9
    ws.append([None, "Comment", None, None, "complete", None, None, None])                                 # 10
    ws.append([None, "Recommendation", None, None, None, "Add the risk register to the plan"])            # 11
    ws.append([None, "Grading", "G good, S satisfactory, A attention, F follow-up"])                       # 12
    ws.append([])                                                                                          # 13
    ws.append([None, "Old plan (not a document of this table)", None, None, "X", "X"])                  # 14
    ws["C7"].data_type = "s"  # the text of a formula reference, as a kit exported without formulas shows it
    ws["D7"].number_format = "hh:mm:ss"  # a zero date: Excel shows 00:00:00
    wb.save(path)
    return path


def test_kit_matrix_counts_documents_and_marked_cells(tmp_path, iwm):
    ev, f = load(kit_matrix(tmp_path / "orion.xlsx"), iwm)
    assert f.layout == "matrix"
    # 14 rows: title, blank, header; 5 documents (4 accepted, 1 rejected for its unknown mark);
    # footer rows 9-12, the blank row and the row below it are not documents
    assert (f.rows_read, f.rows_accepted, f.rows_rejected, f.rows_skipped) == (14, 4, 1, 9)
    assert f.evidence_items == 5  # marked cells used: G, A, X, F, ? (PLAN 1.1 is in no ruleset, Z is rejected)
    assert f.skipped == {"blank": 2, "heading": 7, "placeholder": 0, "other_sheet": 0}
    t = ev.table[ev.table["evidence_type"] == "artifact"]
    assert set(t["project"]) == {"orion"}
    assert sorted(t["row"]) == [4, 5, 5, 6, 7]
    rej = ev.rejected.iloc[0]
    assert (rej["row"], rej["column"], rej["value"], rej["reason"]) == (8, "WP SP 2.7 (F)", "Z", "unknown_mark")
    assert "legend" in rej["hint"] and "--legend" in rej["hint"]


def test_kit_matrix_dates_notes_and_odd_date_cells(tmp_path, iwm):
    ev, _ = load(kit_matrix(tmp_path / "orion.xlsx"), iwm)
    t = ev.table[ev.table["evidence_type"] == "artifact"].set_index(["row", "practice"])
    assert t.loc[(4, "IWM.SP1.1"), "date"] == pd_ts(2026, 5, 1)
    assert t.loc[(5, "WP.SP2.7"), "date"] == pd_ts(2026, 6, 1)  # the latest date wins over 'var'
    assert str(t.loc[(6, "IWM.SP1.5"), "date"]) == "NaT" and str(t.loc[(7, "WP.SP2.7"), "date"]) == "NaT"
    assert t.loc[(4, "IWM.SP1.1"), "notes"] == "category P; signed off"
    odd = {(w["row"], w["column"]): w for w in ev.warnings if "date is left blank" in w.get("message", "")}
    assert set(odd) == {(5, "Release Date"), (6, "Release Date"), (7, "Release Date"), (7, "Latest Date")}
    assert odd[(5, "Release Date")]["value"] == "var"
    assert odd[(5, "Release Date")]["message"] == "Release Date 'var' is not a date: the document's date is left blank"
    assert "formula" in odd[(7, "Release Date")]["message"] and "zero date" in odd[(7, "Latest Date")]["message"]
    assert any("PLAN 1.1" in w["message"] and "1 mark(s) are not used" in w["message"] for w in ev.warnings)


def test_kit_matrix_assessed_with_recorded_characterizations_and_recommendations(tmp_path):
    path = kit_matrix(tmp_path / "orion.xlsx")
    out = tmp_path / "o"
    res = CliRunner().invoke(main, ["assess", str(path), "-o", str(out), "--as-of", "2026-11-30"])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "assessment.json").read_text())
    jsonschema.validate(data, schema())
    pr = {p["practice"]: p for p in data["projects"][0]["practices"]}
    assert pr["IWM.SP1.1"]["characterization"] == "FI" and pr["IWM.SP1.1"]["recorded"] == "FI"
    assert pr["WP.SP2.7"]["recorded_as"] == "LM" and pr["WP.SP2.7"]["characterization"] == "PI"
    assert pr["IWM.SP1.5"]["recorded_as"] == "PM" and pr["IWM.SP1.5"]["characterization"] == "LI"
    assert [r["text"] for r in pr["WP.SP2.7"]["recommendations"]] == ["Add the risk register to the plan"]
    assert pr["WP.SP2.7"]["recommendations"][0]["row"] == 11
    dis = {d["practice"]: d for d in data["disagreements"]}
    assert set(dis) == {"WP.SP2.7", "IWM.SP1.5"} and dis["WP.SP2.7"]["row"] == 9
    assert "orion IWM.SP1.5: recorded PM, evidence supports LI: " in res.output
    assert any("follow-up" in g["message"] for g in pr["IWM.SP1.5"]["gaps"])
    # team notes are not documents: the footer rows stay out of the counts
    f = data["input"]["files"][0]
    assert (f["rows_accepted"], f["evidence_items"]) == (4, 5)


def pd_ts(y, m, d):
    import pandas as pd

    return pd.Timestamp(dt.date(y, m, d))


def one_mark(path: Path, mark) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Document", "IWM SP 1.1", "IWM SP 1.2"])
    ws.append(["Vega defined process", mark, None])
    wb.save(path)
    return path


MARKS = {
    # mark: (judged, weakness contains, characterization of IWM.SP1.1 (one required work product))
    "X": ("", "", "FI"), "x": ("", "", "FI"), "M": ("", "", "FI"), "Y": ("", "", "FI"), "yes": ("", "", "FI"),
    "✓": ("", "", "FI"),
    "G": ("adequate", "", "FI"), "S": ("adequate", "", "FI"),
    "A": ("", "attention", "LI"),
    "F": ("inadequate", "follow-up", "LI"),
    "?": ("unverified", "", "PI"),
}


def test_every_default_mark_is_pinned():
    assert set(MARKS) == set(DEFAULT_LEGEND)


@pytest.mark.parametrize("mark", list(MARKS))
def test_each_legend_mark(tmp_path, iwm, mark):
    judged, weak, char = MARKS[mark]
    path = one_mark(tmp_path / "vega.xlsx", mark)
    ev, f = load(path, iwm)
    assert (f.layout, f.rows_accepted, f.evidence_items) == ("matrix", 1, 1)
    row = ev.table.iloc[0]
    assert (row["practice"], row["evidence_type"], row["judged"]) == ("IWM.SP1.1", "artifact", judged)
    assert (weak in row["weakness"]) if weak else row["weakness"] == ""
    from iwm_rules import assess

    res = assess(iwm, ev, as_of=dt.date(2026, 11, 30)).to_dict()
    sp11 = next(p for p in res["projects"][0]["practices"] if p["practice"] == "IWM.SP1.1")
    assert sp11["characterization"] == char
    if mark == "F":
        assert sp11["work_products"][0]["state"] == "inadequate"
    if mark == "?":  # supporting only: listed as other evidence, never serving the work product
        assert sp11["work_products"][0]["state"] == "missing" and sp11["other_evidence"]


@pytest.mark.parametrize("mark", ["Z", "xx", "0", "✗"])
def test_unknown_marks_are_rejected_cells(tmp_path, iwm, mark):
    ev, f = load(one_mark(tmp_path / "vega.xlsx", mark), iwm)
    assert (f.rows_accepted, f.rows_rejected) == (0, 1)
    assert ev.rejected.iloc[0]["reason"] == "unknown_mark" and ev.rejected.iloc[0]["column"] == "IWM SP 1.1 (B)"


def test_legend_file_adds_marks_and_can_replace_the_default(tmp_path, iwm):
    legend = tmp_path / "legend.yaml"
    legend.write_text('marks:\n  "√": mapped\n  N: none\n')
    marks = load_legend(legend)
    assert marks["√"] == "mapped" and marks["N"] == "none" and marks["G"] == "sufficient"
    ev, f = load(one_mark(tmp_path / "v.xlsx", "√"), iwm, legend=marks)
    assert f.rows_accepted == 1
    ev, f = load(one_mark(tmp_path / "n.xlsx", "N"), iwm, legend=marks)
    assert (f.rows_accepted, f.rows_rejected, f.skipped["blank"]) == (0, 0, 1)
    legend.write_text("replace_default: true\nmarks:\n  OK: sufficient\n")
    only = load_legend(legend)
    assert only == {"OK": "sufficient"}
    ev, f = load(one_mark(tmp_path / "g.xlsx", "G"), iwm, legend=only)
    assert ev.rejected.iloc[0]["reason"] == "unknown_mark" and "OK sufficient" in ev.rejected.iloc[0]["hint"]


@pytest.mark.parametrize("text,why", [
    ("marks:\n  X: maybe\n", "kind must be one of"),
    ("marks: [X]\n", "needs a 'marks' mapping"),
    ("colour: blue\nmarks:\n  X: mapped\n", "unknown key"),
    ("marks: {X: mapped\n", "not a valid YAML"),
    ("marks:\n  X: &a [x, x, x]\n  Y: *a\n", "kind must be one of"),
    # a 'billion laughs' value is refused without being expanded
    ("marks:\n  X: &h [" + ", ".join(["*g"] * 10) + "]\n", "not a valid YAML"),  # undefined alias
    ("marks:\n  A: &a [x, x, x, x, x, x, x, x, x, x]\n"
     + "".join(f"  {k}: &{k.lower()} [{', '.join(['*' + p] * 10)}]\n" for p, k in zip("abcdefg", "BCDEFGH"))
     + "  X: *h\n", "aliases expand"),
    ("marks:\n  ? [a, b]\n  : mapped\n", "not a valid YAML legend"),
])
def test_a_bad_legend_is_one_clear_error(tmp_path, text, why):
    legend = tmp_path / "legend.yaml"
    legend.write_text(text)
    with pytest.raises(LegendError, match=why):
        load_legend(legend)


def test_a_huge_legend_is_refused_before_parsing(tmp_path):
    legend = tmp_path / "legend.yaml"
    legend.write_text("marks:\n" + "".join(f"  M{i}: mapped\n" for i in range(20000)))
    with pytest.raises(LegendError, match="limit"):
        load_legend(legend)


def test_cli_legend_and_forced_layout(tmp_path):
    path = one_mark(tmp_path / "vega.xlsx", "√")
    bad = tmp_path / "bad.yaml"
    bad.write_text("marks:\n  X: maybe\n")
    res = CliRunner().invoke(main, ["assess", str(path), "-o", str(tmp_path / "o"), "--legend", str(bad)])
    assert res.exit_code == 3 and "bad.yaml" in res.output and "Traceback" not in res.output
    good = tmp_path / "good.yaml"
    good.write_text('marks:\n  "√": sufficient\n')
    res = CliRunner().invoke(main, ["assess", str(path), "-o", str(tmp_path / "o"), "--legend", str(good),
                                    "--layout", "matrix", "--project", "Vega", "--as-of", "2026-11-30"])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "o" / "assessment.json").read_text())
    assert data["input"]["files"][0]["layout"] == "matrix" and data["projects"][0]["project"] == "Vega"


def test_read_date_odd_values():
    assert read_date(dt.datetime(2026, 1, 2, 0, 0)) == (dt.date(2026, 1, 2), "")
    assert read_date("2026-01-02") == (dt.date(2026, 1, 2), "")
    assert read_date("02.01.2026") == (dt.date(2026, 1, 2), "")
    for odd in ("var", "?", "=B7", "#REF!", 0, dt.time(0, 0), dt.datetime(1899, 12, 30), "2026-02-30"):
        d, why = read_date(odd)
        assert d is None and why, odd
    assert read_date(None) == (None, "") and read_date("") == (None, "")


def test_a_matrix_with_a_project_column_and_bridged_v2_columns(tmp_path, iwm):
    wb = openpyxl.Workbook()
    ws = wb.active
    # headers carry the practice title after the id, as kits print them
    ws.append(["Project", "Artifact", "PLAN 2.7\nDevelop the project plan", "MC 3.1 - Manage the project", "Status"])
    ws.append(["Lyra", "Lyra project plan", "X", None, "approved"])
    ws.append(["Vega", "Vega status report", None, "S", "draft"])
    ws.append([None, None, None, None, None])
    path = tmp_path / "two.xlsx"
    wb.save(path)
    ev, f = load(path, iwm)
    assert (f.layout, f.rows_accepted, f.evidence_items) == ("matrix", 2, 2)
    t = ev.table.set_index("project")
    assert t.loc["Lyra", "practice"] == "WP.SP2.7" and t.loc["Lyra", "reuse_via"] == "bridge PLAN 2.7 -> WP.SP2.7 (equal)"
    assert (t.loc["Vega", "practice"], t.loc["Vega", "status"]) == ("IWM.SP1.5", "draft")
    ev, f = load(path, iwm, use_bridge=False)
    assert (f.rows_accepted, f.rows_rejected) == (0, 0)
    assert sum("not used" in w.get("message", "") for w in ev.warnings) == 2
