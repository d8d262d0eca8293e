"""assessment.xlsx: what an auditor opens (openpyxl and LibreOffice read it back) and what
``assess`` reads back (the Evidence sheet round trip)."""
from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from defusedxml import ElementTree

from iwm_rules import api
from iwm_rules.assessment import assess
from iwm_rules.evidence import load_evidence
from iwm_rules.ruleset import load_ruleset
from iwm_rules.exporters import export
from iwm_rules.exporters import xlsx_export
from iwm_rules.exporters.labels import COLOURS
from iwm_rules.exporters.tables import EVIDENCE_INPUT_COLUMNS, EVIDENCE_USE_COLUMNS

from .conftest import ROOT

AS_OF = dt.date(2026, 11, 1)
SHEETS = ["Summary", "Matrix", "Gaps", "Team notes", "Disagreements", "Findings", "Evidence", "Rejected", "Ruleset"]
INJECTIONS = ['=HYPERLINK("http://x","y")', "@SUM(A1)", "+1", "-1", "\ttab", "\rreturn"]


def characterizations(data: dict) -> dict:
    return {(p["project"], pr["practice"]): (pr["characterization"], pr["coverage"],
                                             tuple(w["state"] for w in pr["work_products"]),
                                             tuple(sorted(g["kind"] for g in pr["gaps"])))
            for p in data["projects"] for pr in p["practices"]}


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    """The shipped samples assessed, written as xlsx; (data, path)."""
    files = sorted(p for p in (ROOT / "evidence_samples").iterdir() if p.suffix in (".xlsx", ".csv"))
    data = api.run_assessment(files, as_of=AS_OF).to_dict()
    path = export(data, tmp_path_factory.mktemp("xlsx") / "assessment.xlsx")
    return data, path


def injection_csv(path: Path) -> Path:
    """Evidence whose project, work product, notes and weakness start like formulas."""
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["project", "practice", "work_product", "evidence_type", "status", "date", "notes", "weakness"])
        for i, text in enumerate(INJECTIONS):
            w.writerow([f"{text} project", "IWM.SP1.1", f"{text} defined process", "artifact", "approved",
                        f"2026-0{i + 1}-15", f"{text} note", f"{text} weakness"])
    return path


@pytest.fixture(scope="module")
def injected(tmp_path_factory):
    """The injection evidence assessed; the loader keeps project names exactly but trims other
    texts, so the exact texts (tab and CR included) are then put back into the result the exporter reads."""
    folder = tmp_path_factory.mktemp("inject")
    data = api.run_assessment([injection_csv(folder / "evidence.csv")], rulesets=["cmmi-svc-iwm"],
                              as_of=AS_OF).to_dict()
    assert len(data["evidence"]) == len(INJECTIONS)
    data["evidence"] = list(data["evidence"])  # the result's records are read-only: edit a list of them
    for rec, text in zip(data["evidence"], INJECTIONS):  # in the order of the input rows
        assert rec["notes"] == f"{text} note".strip()
        rec.update(project=f"{text} project", work_product=f"{text} defined process", notes=f"{text} note",
                   weakness=f"{text} weakness")
    for p in data["projects"]:
        p["project"] = next(t for t in INJECTIONS if p["project"] in (f"{t} project", f"{t} project".strip())) + " project"
    return data, export(data, folder / "assessment.xlsx")


# ---- structure an auditor relies on -------------------------------------------------------------------------

def test_sheets_headers_and_layout(samples):
    data, path = samples
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SHEETS
    ev = wb["Evidence"]
    assert [c.value for c in ev[1]] == list(EVIDENCE_INPUT_COLUMNS + EVIDENCE_USE_COLUMNS)
    assert ev.max_row == 1 + len(data["evidence"])
    assert [c.value for c in wb["Gaps"][1]][-3:] == ["owner", "due", "status"]
    n_gaps = sum(len(pr["gaps"]) for p in data["projects"] for pr in p["practices"])
    assert wb["Gaps"].max_row == 1 + n_gaps
    n_findings = sum(len(pr["findings"]) for p in data["projects"] for pr in p["practices"])
    assert wb["Findings"].max_row == 1 + n_findings
    for name in ("Gaps", "Findings", "Evidence", "Rejected", "Ruleset"):
        ws = wb[name]
        assert ws.freeze_panes == "A2", name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:"), name
        assert ws.page_setup.orientation == "landscape", name
        # fit to one page wide (1 is the file format's default, so it may be left out), any number down
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1), name
        assert ws.page_setup.fitToHeight == 0, name
        assert ws.print_title_rows == "$1:$1", name
    # evidence dates are real dates, and the verdict says what each item served
    dates = [r[5] for r in ev.iter_rows(min_row=2, values_only=True) if r[5] is not None]
    assert dates and all(isinstance(d, dt.datetime) for d in dates)
    assert ev.cell(2, 6).number_format == "yyyy-mm-dd"
    verdicts = {r[14] for r in ev.iter_rows(min_row=2, values_only=True)}
    assert "adequate" in verdicts and any(v.startswith("not adequate: ") for v in verdicts)
    # rejected rows are all there, with their reasons
    rej = [r for r in wb["Rejected"].iter_rows(min_row=2, max_row=1 + len(data["input"]["rejected"]), values_only=True)]
    assert [(r[0], r[2], r[5]) for r in rej] == [(x["file"], x["row"], x["reason"]) for x in data["input"]["rejected"]]


def test_matrix_cells_carry_label_and_colour(samples):
    data, path = samples
    ws = openpyxl.load_workbook(path)["Matrix"]
    header = [c.value for c in ws[3]]
    assert header[0] == "project"
    assert ws.freeze_panes == "B4"
    for r, p in enumerate(data["projects"], 4):
        assert ws.cell(r, 1).value == p["project"]
        for pr in p["practices"]:
            cell = ws.cell(r, header.index(pr["practice"]) + 1)
            assert cell.value == pr["characterization"]
            assert cell.fill.fgColor.rgb[-6:] == COLOURS[pr["characterization"]][0]
    # ruleset band above the practices it covers
    assert ws.cell(1, 2).value == data["projects"][0]["practices"][0]["ruleset"]


def test_gap_plan_has_dropdowns(samples):
    _, path = samples
    ws = openpyxl.load_workbook(path)["Gaps"]
    rules = {dv.type: dv for dv in ws.data_validations.dataValidation}
    assert rules["list"].formula1 == '"open,in progress,done,accepted risk"'
    assert str(rules["list"].sqref).startswith("M2:M")
    date = rules["date"]  # "between" is the default operator, so it may be left out
    assert date.operator in (None, "between") and str(date.sqref).startswith("L2:L")
    assert (date.formula1, date.formula2) == ("36526", "73415")  # 2000-01-01 .. 2100-12-31


def test_summary_marks_judgment_and_lists_inputs(samples):
    data, path = samples
    ws = openpyxl.load_workbook(path)["Summary"]
    values = [c for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    assert sum(v == "yes: team decides" for v in values) == \
        sum(pr["judgment_required"] for pr in data["organization"]["practices"])
    for f in data["input"]["files"]:
        assert f["path"] in values and f["sha256"] in values
    assert ws.cell(2, 2).value == dt.datetime(2026, 11, 1)
    first = {p["project"]: p for p in data["projects"]}
    rows = {r[0]: r for r in ws.iter_rows(min_row=5, max_row=4 + len(first), values_only=True)}
    for name, p in first.items():
        assert rows[name][1] == pytest.approx(p["coverage"])


def test_ruleset_sheet_is_the_catalogue(samples):
    data, path = samples
    ws = openpyxl.load_workbook(path)["Ruleset"]
    got = {(r[4], r[9], r[11]) for r in ws.iter_rows(min_row=2, values_only=True)}
    want = {(p["id"], w["id"], "yes" if w["required"] else "no") for rs in data["catalogue"] for g in rs["goals"]
            for p in g["practices"] for w in p["work_products"]}
    assert want <= got


# ---- round trip -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("constant_memory", [False, True])
def test_evidence_sheet_round_trip(samples, tmp_path, constant_memory):
    data, _ = samples
    path = tmp_path / "assessment.xlsx"
    xlsx_export.write(data, path, constant_memory=constant_memory)
    again = api.run_assessment([path], as_of=AS_OF).to_dict()
    assert characterizations(again) == characterizations(data)
    f = again["input"]["files"][0]
    assert f["rows_accepted"] == len(data["evidence"]) and f["rows_rejected"] == 0


def test_evidence_sheet_alone_round_trip(samples, tmp_path):
    """The Evidence sheet copied into a workbook of its own is read the same way."""
    data, path = samples
    src = openpyxl.load_workbook(path)["Evidence"]
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in src.iter_rows():
        ws.append([c.value for c in row])
    wb.save(tmp_path / "evidence.xlsx")
    again = api.run_assessment([tmp_path / "evidence.xlsx"], as_of=AS_OF).to_dict()
    assert characterizations(again) == characterizations(data)


# ---- formula injection --------------------------------------------------------------------------------------

def test_no_cell_is_a_formula(injected):
    data, path = injected
    assert {e["project"] for e in data["evidence"]} == {f"{t} project" for t in INJECTIONS}
    for cm in (False, True):
        out = path.with_name(f"cm{cm}.xlsx")
        xlsx_export.write(data, out, constant_memory=cm)
        wb = openpyxl.load_workbook(out)
        cells = [c for ws in wb for row in ws.iter_rows() for c in row if c.value is not None]
        assert cells and not [c.coordinate for c in cells if c.data_type == "f"]
        ev = wb["Evidence"]
        texts = {c.value for row in ev.iter_rows(min_row=2) for c in row}
        assert '=HYPERLINK("http://x","y") defined process' in texts and "@SUM(A1) weakness" in texts


def test_injected_evidence_round_trips(injected, tmp_path):
    data, path = injected
    again = api.run_assessment([path], rulesets=["cmmi-svc-iwm"], as_of=AS_OF).to_dict()
    # project names are kept exactly as written (a leading tab stays); other texts are trimmed
    assert characterizations(again) == characterizations(data)
    assert [(e["project"], e["work_product"], e["notes"], e["weakness"]) for e in again["evidence"]] == \
        [(e["project"], e["work_product"].strip(), e["notes"].strip(), e["weakness"].strip())
         for e in data["evidence"]]


# ---- LibreOffice opens it -----------------------------------------------------------------------------------

def soffice() -> str:
    """The LibreOffice program; skips when it is absent or older than 7.2 (one csv per sheet)."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if not exe:
        pytest.skip("LibreOffice (soffice) is not installed: install it (Debian: libreoffice-calc) to run this check")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=120).stdout
    found = re.search(r"(\d+)\.(\d+)", out)
    if not found or tuple(map(int, found.groups())) < (7, 2):
        pytest.skip(f"LibreOffice 7.2 or later is needed to convert every sheet to csv; found: {out.strip()!r}")
    return exe


def convert(exe: str, src: Path, target: str, outdir: Path) -> None:
    """``soffice --headless --convert-to`` with a private profile, so parallel runs do not clash."""
    profile = outdir / "profile"
    cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", target,
           "--outdir", str(outdir), str(src)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr


def test_libreoffice_reads_text_as_text_and_dates_as_dates(injected, tmp_path):
    exe = soffice()
    data, path = injected
    # every sheet to csv (filter token 12 = -1: all sheets, one file each; LibreOffice 7.2+)
    convert(exe, path, 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1', tmp_path)
    for name in SHEETS:
        assert (tmp_path / f"assessment-{name}.csv").exists(), name
    with open(tmp_path / "assessment-Evidence.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(data["evidence"])
    for row, rec in zip(rows, data["evidence"]):
        for col in ("project", "work_product", "notes", "weakness"):  # the text, not a formula's result
            assert row[col].replace("\r\n", "\n").replace("\r", "\n") == rec[col].replace("\r", "\n")
        assert row["date"] == rec["date"]
    # the cell types: no formula anywhere, evidence dates are date cells
    convert(exe, path, "fods", tmp_path)
    tree = ElementTree.parse(tmp_path / "assessment.fods")
    ns = {"table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
          "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0"}
    formula = f"{{{ns['table']}}}formula"
    vtype = f"{{{ns['office']}}}value-type"
    dval = f"{{{ns['office']}}}date-value"
    assert not [c for c in tree.iter(f"{{{ns['table']}}}table-cell") if formula in c.attrib]
    sheet = next(t for t in tree.iter(f"{{{ns['table']}}}table") if t.get(f"{{{ns['table']}}}name") == "Evidence")
    dates = [c.get(dval) for c in sheet.iter(f"{{{ns['table']}}}table-cell") if c.get(vtype) == "date"]
    assert sorted(dates) == sorted(e["date"] for e in data["evidence"])


def test_libreoffice_shows_matrix_and_plan(samples, tmp_path):
    exe = soffice()
    data, path = samples
    convert(exe, path, 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1', tmp_path)

    def sheet(name):
        with open(tmp_path / f"assessment-{name}.csv", encoding="utf-8", newline="") as fh:
            return list(csv.reader(fh))

    matrix = sheet("Matrix")
    header = matrix[2]
    by_project = {row[0]: row for row in matrix[3:3 + len(data["projects"])]}
    for p in data["projects"]:
        for pr in p["practices"]:
            assert by_project[p["project"]][header.index(pr["practice"])] == pr["characterization"]
    gaps = sheet("Gaps")
    assert gaps[0][-3:] == ["owner", "due", "status"]
    want = [(p["project"], pr["practice"], g["kind"], g["message"]) for p in data["projects"] for pr in p["practices"]
            for g in pr["gaps"]]
    assert [(r[0], r[2], r[4], r[7]) for r in gaps[1:] if any(r)] == want
    summary = sheet("Summary")
    assert summary[1][:2] == ["As of", data["as_of"]]


# ---- other shapes of result ---------------------------------------------------------------------------------

def test_cmmi_v2_labels_keep_their_colours(samples, tmp_path):
    data, _ = samples
    path = export(api.relabel(data), tmp_path / "assessment.xlsx")
    wb = openpyxl.load_workbook(path)
    assert [c.value for c in wb["Summary"][4]][2:8] == ["FM", "LM", "PM", "DM", "NY", "NA"]
    cells = [c for row in wb["Matrix"].iter_rows(min_row=4, max_row=3 + len(data["projects"])) for c in row[1:]
             if c.value]
    assert cells and {c.value for c in cells} <= {"FM", "LM", "PM", "DM", "NY", "NA"}
    for c in cells:
        assert c.fill.fgColor.rgb[-6:] == COLOURS[c.value][0]


def test_nothing_accepted_still_gives_a_workbook(tmp_path):
    """Every row rejected: the workbook lists the rejections and has no project rows."""
    src = tmp_path / "bad.csv"
    src.write_text("project,practice,work_product\nX,NOPE.1,thing\nY,IWM.SP1.1,\n", encoding="utf-8")
    rs = [load_ruleset("cmmi-svc-iwm")]
    data = assess(rs, load_evidence([src], rs), as_of=AS_OF).to_dict()
    wb = openpyxl.load_workbook(export(data, tmp_path / "assessment.xlsx"))
    assert wb.sheetnames == SHEETS
    assert len(data["input"]["rejected"]) == 2
    rejected = list(wb["Rejected"].iter_rows(min_row=2, max_row=3, values_only=True))
    assert {r[0] for r in rejected} == {str(src)}
    assert sorted((r[2], r[3]) for r in rejected) == [(2, "practice"), (3, "work_product")]
    assert wb["Evidence"].max_row == 1 and wb["Gaps"].max_row == 1


def test_summary_shows_the_run_manifest(samples, tmp_path):
    data, _ = samples
    manifest = {"tool_version": "0.1.0", "options": {"scale": "scampi", "reuse": True}, "as_of": "2026-11-01"}
    ws = openpyxl.load_workbook(export({**data, "manifest": manifest}, tmp_path / "a.xlsx"))["Summary"]
    rows = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if isinstance(r[0], str) and r[0].startswith("manifest")}
    assert rows == {"manifest: tool_version": "0.1.0", "manifest: options": '{"scale": "scampi", "reuse": true}',
                    "manifest: as_of": "2026-11-01"}


@pytest.mark.parametrize("constant_memory", [False, True])
def test_long_tables_continue_on_more_sheets(samples, tmp_path, monkeypatch, constant_memory):
    """Rows beyond a sheet's limit go on "NAME (2)", ... with the same header; nothing is dropped,
    and the continued Evidence sheets still read back as the same evidence."""
    from iwm_rules.exporters import xlsx_book

    data, _ = samples
    monkeypatch.setattr(xlsx_book, "MAX_ROWS", 30)
    path = tmp_path / "assessment.xlsx"
    xlsx_export.write(data, path, constant_memory=constant_memory)
    wb = openpyxl.load_workbook(path)
    parts = [n for n in wb.sheetnames if n == "Evidence" or n.startswith("Evidence (")]
    assert len(parts) == -(-len(data["evidence"]) // 29)
    rows = [r for n in parts for r in wb[n].iter_rows(min_row=2, values_only=True)]
    assert [(r[0], r[2]) for r in rows] == [(e["project"], e["work_product"]) for e in data["evidence"]]
    assert all([c.value for c in wb[n][1]] == [c.value for c in wb["Evidence"][1]] for n in parts)
    gaps = [n for n in wb.sheetnames if n == "Gaps" or n.startswith("Gaps (")]
    n_gaps = sum(len(pr["gaps"]) for p in data["projects"] for pr in p["practices"])
    assert sum(wb[n].max_row - 1 for n in gaps) == n_gaps
    again = api.run_assessment([path], as_of=AS_OF).to_dict()
    assert characterizations(again) == characterizations(data)


def test_evidence_sheet_says_what_each_item_served(samples):
    """served / verdict / reused via agree with the result's links (resolved through ``ref``)."""
    data, path = samples
    links: dict[int, list] = {}
    for p in data["projects"]:
        for pr in p["practices"]:
            for w in pr["work_products"]:
                for e in w["evidence"]:
                    links.setdefault(e["ref"], []).append((pr["practice"], w["name"], e))
            for e in pr.get("other_evidence") or ():
                links.setdefault(e["ref"], []).append((pr["practice"], None, e))
    ws = openpyxl.load_workbook(path)["Evidence"]
    head = [c.value for c in ws[1]]
    served, verdict, via = head.index("served"), head.index("verdict"), head.index("reused via")
    seen_reuse = seen_issue = False
    for i, row in enumerate(ws.iter_rows(min_row=2, values_only=True)):
        mine = links.get(i, [])
        lines = (row[served] or "").split("\n")
        verdicts = (row[verdict] or "").split("\n")
        if not mine:
            assert row[verdict] in ("affirmation", "weakness recorded") or row[verdict].startswith("not used"), row
            continue
        assert len(lines) == len(verdicts) == len(mine)
        for line, v, (practice, wp, e) in zip(lines, verdicts, mine):
            assert line.startswith(f"{practice} › ") and (wp is None or line.endswith(wp))
            if e.get("issue"):
                seen_issue = True
                assert v == f"not adequate: {e['issue']}"
            if e.get("reused_via"):
                seen_reuse = True
                assert e["reused_via"] in (row[via] or "")
    assert seen_reuse and seen_issue  # the samples have both
