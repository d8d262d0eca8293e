"""What an evidence row means survives loading: merged cells, duplicate header columns,
placeholder rows that say something, look-alike project names, mixed encodings, every bad
cell of a row, and reader errors that are not bugs in disguise. Real files built here."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import openpyxl
import pytest
from click.testing import CliRunner

from iwm_rules import load_evidence, load_ruleset
from iwm_rules.api import run_assessment
from iwm_rules.cli import main
from iwm_rules.errors import EvidenceError, EvidenceFileError
from iwm_rules.exporters.json_export import schema

AS_OF = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def iwm():
    return [load_ruleset("cmmi-svc-iwm"), load_ruleset("cmmi-svc-wp")]


def _xlsx(path: Path, rows: list[list], *, merges=(), sheet: str = "Evidence") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    for ref in merges:
        ws.merge_cells(ref)
    wb.save(path)
    return path


def _assess(tmp_path, *files, extra=()):
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["assess", *map(str, files), "-o", str(out), "--as-of", "2026-11-30", *extra])
    path = out / "assessment.json"
    data = json.loads(path.read_text()) if path.exists() else None
    if data is not None:
        jsonschema.validate(data, schema())
    return res, data


# --------------------------------------------------------------------------- item 2: merged cells


def test_merged_project_cell_counts_for_every_row_it_spans(tmp_path, iwm):
    path = _xlsx(tmp_path / "register.xlsx", [
        ["No.", "Project", "Practice", "Work product", "Status"],
        [1, "Atlas", "IWM.SP1.1", "Atlas defined process", "approved"],   # row 2, B2:B4 merged
        [2, None, "IWM.SP1.2", "Atlas PAL usage log", "approved"],
        [3, None, "IWM.SP1.3", "Atlas measurement repository", "approved"],
        [4, None, "IWM.SP1.4", "Integrated plan", "approved"],             # row 5: blank, not merged
        [5, "Lyra", "IWM.SP1.1", "Lyra defined process", "approved"],     # row 6, B6:B8 merged
        [6, None, None, None, None],                                       # row 7: template row under the merge
        [7, None, "IWM.SP1.6", "Lyra team charter", "approved"],
    ], merges=["B2:B4", "B6:B8"])
    ev = load_evidence([path], iwm)
    by_row = dict(zip(ev.table["row"], ev.table["project"]))
    assert by_row == {2: "Atlas", 3: "Atlas", 4: "Atlas", 6: "Lyra", 8: "Lyra"}
    # the blank cell outside any merge is a rejected row, never a project named after the file
    assert ev.rejected[["row", "column", "reason"]].values.tolist() == [[5, "project", "project is empty"]]
    assert "register" not in set(ev.table["project"])
    f = ev.files[0]
    assert (f.rows_read, f.rows_accepted, f.rows_rejected, f.rows_skipped) == (8, 5, 1, 2)
    assert f.skipped["blank"] == 1  # the template row under the merge stays blank, not "practice is empty"


def test_blank_project_cell_is_rejected_through_the_command(tmp_path):
    path = _xlsx(tmp_path / "Evidence Q3.xlsx", [
        ["Project", "Practice", "Work product", "Status", "Date"],
        ["Atlas", "IWM.SP1.1", "Atlas defined process", "approved", dt.date(2026, 9, 1)],
        [None, "IWM.SP1.2", "PAL usage log", "approved", dt.date(2026, 9, 1)],
    ])
    res, data = _assess(tmp_path, path)
    assert res.exit_code == 0, res.output
    assert [p["project"] for p in data["projects"]] == ["Atlas"]
    assert [(r["row"], r["reason"]) for r in data["input"]["rejected"]] == [(3, "project is empty")]


def test_merged_project_cell_in_a_piid_sheet_and_no_project_column_keeps_the_file_name(tmp_path, iwm):
    piid = _xlsx(tmp_path / "piid.xlsx", [
        ["Project", "Practice", "Direct Artifacts", "Affirmations"],
        ["Vega", "IWM SP 1.1", "Vega defined process", "PM interview"],
        [None, "IWM SP 1.6", "Vega team charter", None],
    ], merges=["A2:A3"])
    ev = load_evidence([piid], iwm)
    assert set(ev.table["project"]) == {"Vega"} and len(ev.rejected) == 0
    # a file without a project column still names its one project after the file (or --project)
    plain = _xlsx(tmp_path / "orion.xlsx", [["Practice", "Work product"], ["IWM.SP1.1", "Orion defined process"]])
    assert set(load_evidence([plain], iwm).table["project"]) == {"orion"}
    assert set(load_evidence([plain], iwm, project="Orion").table["project"]) == {"Orion"}


def test_a_merged_header_cell_is_read_once_and_named(tmp_path, iwm):
    path = _xlsx(tmp_path / "m.xlsx", [
        ["Project", "Practice", "Work product", None, "Status"],
        ["Atlas", "IWM.SP1.1", "Atlas defined process", "v3", "approved"],
    ], merges=["C1:D1"])
    ev = load_evidence([path], iwm)
    assert not ev.errors and ev.table["work_product"].tolist() == ["Atlas defined process"]
    assert any("column D lies under the merged header" in w["message"] for w in ev.warnings)


# --------------------------------------------------------------------------- item 3: duplicate header columns


def test_alias_column_before_the_exact_one_is_ignored_with_a_warning(tmp_path, iwm):
    path = _xlsx(tmp_path / "items.xlsx", [
        ["Item", "Project", "Practice", "Work product", "Status"],
        [1, "Atlas", "IWM.SP1.1", "Atlas defined process", "approved"],
        [2, "Atlas", "IWM.SP1.6", "Atlas team charter", "approved"],
    ])
    ev = load_evidence([path], iwm)
    assert ev.table["work_product"].tolist() == ["Atlas defined process", "Atlas team charter"]
    msgs = [w["message"] for w in ev.warnings]
    assert any("column A ('Item')" in m and "column D ('Work product') is read" in m for m in msgs), msgs
    res, data = _assess(tmp_path, path)
    assert res.exit_code == 0, res.output
    (w,) = [w for w in data["input"]["warnings"] if w.get("kind") == "ignored_column"]
    assert w["sheet"] == "Evidence" and "column A ('Item')" in w["message"]
    assert {e["work_product"] for e in data["evidence"]} == {"Atlas defined process", "Atlas team charter"}


@pytest.mark.parametrize("headers,named", [
    (["Project", "Status", "Practice", "Work product", "Status"], ["B ('Status')", "E ('Status')"]),
    (["Project", "Practice ID", "Work product", "Specific practice"], ["B ('Practice ID')", "D ('Specific practice')"]),
    (["Project", "Practice", "Work product", "Practice"], ["B ('Practice')", "D ('Practice')"]),
])
def test_two_columns_for_one_field_are_an_error_naming_both(tmp_path, iwm, headers, named):
    row = {"Project": "Atlas", "Status": "approved", "Practice": "IWM.SP1.1", "Practice ID": "IWM.SP1.1",
           "Specific practice": "IWM.SP1.2", "Work product": "Atlas defined process"}
    path = _xlsx(tmp_path / "dup.xlsx", [headers, [row[h] for h in headers]])
    ev = load_evidence([path], iwm)
    assert len(ev.errors) == 1 and len(ev.table) == 0 and not ev.files
    assert all(n in ev.errors[0].message for n in named), ev.errors[0].message
    assert "sheet 'Evidence'" in ev.errors[0].message
    res, _ = _assess(tmp_path, path)
    assert res.exit_code == 3
    assert all(n in res.output for n in named) and "Traceback" not in res.output


def test_duplicate_columns_in_a_csv_and_in_a_piid_sheet(tmp_path, iwm):
    csv = tmp_path / "two-status.csv"
    csv.write_text("project,practice,work product,status,approval status\nAtlas,IWM.SP1.1,Defined process,approved,draft\n")
    ev = load_evidence([csv], iwm)  # 'status' is exact, 'approval status' an alias: the exact one wins
    assert ev.table["status"].tolist() == ["approved"]
    assert any("column E ('approval status')" in w["message"] for w in ev.warnings)
    piid = _xlsx(tmp_path / "piid.xlsx", [
        ["Project", "Practice", "Direct Artifacts", "Direct evidence", "Weaknesses", "Weaknesses"],
        ["Vega", "IWM SP 1.1", "Vega defined process", "Tailoring record", "No review", "No sign-off"],
    ])
    ev = load_evidence([piid], iwm)
    (err,) = ev.errors
    assert "E ('Weaknesses') and F ('Weaknesses')" in err.message and "Direct" not in err.message
    assert any("column D ('Direct evidence')" in w["message"] for w in
               load_evidence([_xlsx(tmp_path / "p2.xlsx", [["Project", "Practice", "Direct Artifacts", "Direct evidence"],
                                                            ["Vega", "IWM SP 1.1", "Vega process", "x"]])], iwm).warnings)


# --------------------------------------------------------------------------- item 4: placeholders that say something


def test_placeholder_work_product_with_a_weakness_keeps_the_weakness(tmp_path, iwm):
    path = _xlsx(tmp_path / "tbd.xlsx", [
        ["Project", "Practice", "Work product", "Status", "Date", "Weakness"],
        ["Atlas", "IWM.SP1.1", "Atlas defined process", "approved", dt.date(2026, 9, 1), None],
        ["Atlas", "IWM.SP1.1", "TBD", None, None, "Process never reviewed with the customer"],
        ["Atlas", "IWM.SP1.4", "TBD", "approved", None, None],        # a status about no artifact
        ["Atlas", "IWM.SP1.4", "TBD", None, None, None],              # a template row: skipped
    ])
    ev = load_evidence([path], iwm)
    weak = ev.table[ev.table["row"] == 3].iloc[0]
    assert (weak["weakness"], weak["evidence_type"]) == ("Process never reviewed with the customer", "weakness")
    assert ev.rejected[["row", "column", "reason"]].values.tolist() == [[4, "work_product", "work product is a placeholder"]]
    assert ev.files[0].skipped["placeholder"] == 1
    result = run_assessment([path], rulesets=iwm, as_of=AS_OF).to_dict()
    sp11 = next(pr for pr in result["projects"][0]["practices"] if pr["practice"] == "IWM.SP1.1")
    assert sp11["characterization"] == "LI"  # FI without the weakness
    assert any("never reviewed" in f["message"] for f in sp11["findings"])
    assert [e["work_product"] for e in result["evidence"] if e["evidence_type"] == "artifact"] == ["Atlas defined process"]


def test_placeholder_affirmation_is_rejected_not_skipped(tmp_path, iwm):
    path = _xlsx(tmp_path / "aff.xlsx", [
        ["Project", "Practice", "Work product", "Evidence type"],
        ["Atlas", "IWM.SP1.1", "Evidence name", "affirmation"],
    ])
    ev = load_evidence([path], iwm)
    assert len(ev.table) == 0 and ev.rejected["reason"].tolist() == ["work product is a placeholder"]


# --------------------------------------------------------------------------- item 7: look-alike project names


def test_look_alike_project_names_stay_distinct_and_are_named_in_a_warning(tmp_path):
    csv = tmp_path / "names.csv"
    csv.write_text("project,practice,work product,status\n"
                   "Atlas,IWM.SP1.1,Atlas defined process,approved\n"
                   "ATLAS,IWM.SP1.6,Atlas team charter,approved\n"
                   "\uff21\uff54\uff4c\uff41\uff53,IWM.SP1.2,PAL usage log,approved\n"    # full-width
                   "\"\tAtlas\",IWM.SP1.3,Measurement repository,approved\n"              # leading tab
                   "Atlas Prime,IWM.SP1.1,Prime defined process,approved\n"
                   "Atlas  Prime,IWM.SP1.6,Prime team charter,approved\n", encoding="utf-8")
    res, data = _assess(tmp_path, csv)
    assert res.exit_code == 0, res.output
    projects = {p["project"] for p in data["projects"]}
    assert projects == {"Atlas", "ATLAS", "\uff21\uff54\uff4c\uff41\uff53", "\tAtlas", "Atlas Prime", "Atlas  Prime"}
    atlas = next(p for p in data["projects"] if p["project"] == "Atlas")
    evidenced = {pr["practice"] for pr in atlas["practices"] if pr["characterization"] != "NI"}
    assert evidenced == {"IWM.SP1.1"}  # nothing of ATLAS, full-width or tab-Atlas was merged in
    variants = [w for w in data["input"]["warnings"] if w.get("kind") == "project_variants"]
    assert sorted(sorted(w["projects"]) for w in variants) == [
        sorted(["Atlas", "ATLAS", "\uff21\uff54\uff4c\uff41\uff53", "\tAtlas"]), ["Atlas  Prime", "Atlas Prime"]]
    msg = next(w["message"] for w in variants if "Atlas" in w["projects"])
    assert "names.csv row 2" in msg and "names.csv row 5" in msg and "distinct" in msg


def test_a_leading_tab_alone_is_kept_and_named(tmp_path, iwm):
    csv = tmp_path / "tab.csv"
    csv.write_text('project,practice,work product\n"\tVega",IWM.SP1.1,Vega defined process\n')
    ev = load_evidence([csv], iwm)
    assert ev.table["project"].tolist() == ["\tVega"]
    assert any(w.get("projects") == ["\tVega"] and "kept as written" in w["message"] for w in ev.warnings)


# --------------------------------------------------------------------------- item 9: mixed encodings


def test_a_stray_cp1252_byte_rejects_its_row_only(tmp_path):
    csv = tmp_path / "mixed.csv"
    csv.write_bytes("project,practice,work product,status\n"
                    "Équipe Zürich,IWM.SP1.1,Équipe defined process,approved\n".encode()
                    + "Équipe Zürich,IWM.SP1.6,Charte d'équipe,approved\n".encode("cp1252")
                    + "Équipe Zürich,IWM.SP1.2,Journal PAL – été,approved\n".encode())
    res, data = _assess(tmp_path, csv)
    assert res.exit_code == 0, res.output
    assert [p["project"] for p in data["projects"]] == ["Équipe Zürich"]  # no mojibake, not split
    rej = data["input"]["rejected"]  # one entry per cell written in cp1252, all on row 3
    assert [(r["row"], r["column"], r["reason"]) for r in rej] == [(3, "project", "encoding"), (3, "work_product", "encoding")]
    assert "0xC9" in rej[0]["hint"] and "\ufffd" in rej[0]["value"]
    f = data["input"]["files"][0]
    assert (f["encoding"], f["rows_accepted"], f["rows_rejected"]) == ("utf-8", 2, 1)
    recs = {r["work_product"] for r in data["evidence"]}
    assert recs == {"Équipe defined process", "Journal PAL – été"}


def test_legacy_and_utf8_files_report_their_encoding(tmp_path, iwm):
    legacy = tmp_path / "legacy.csv"
    legacy.write_bytes("project,practice,work product\nZürich,IWM.SP1.1,Défined process\n".encode("cp1252"))
    utf = tmp_path / "utf.csv"
    utf.write_text("project,practice,work product\nZürich,IWM.SP1.1,Défined process\n", encoding="utf-8")
    ev = load_evidence([legacy, utf], iwm)
    assert [f.encoding for f in ev.files] == ["cp1252", "utf-8"]
    assert set(ev.table["project"]) == {"Zürich"} and len(ev.rejected) == 0
    # mostly cp1252 with one UTF-8 row: that row is rejected rather than read as 'ZÃ¼rich'
    mostly = tmp_path / "mostly.csv"
    mostly.write_bytes(b"project,practice,work product\n"
                       + "Zürich,IWM.SP1.1,Défined process\nZürich,IWM.SP1.6,Équipe charter\n".encode("cp1252")
                       + "Zürich,IWM.SP1.2,PAL log\n".encode())
    ev = load_evidence([mostly], iwm)
    assert ev.files[0].encoding == "cp1252" and set(ev.table["project"]) == {"Zürich"}
    assert ev.rejected[["row", "reason"]].drop_duplicates().values.tolist() == [[4, "encoding"]]


# --------------------------------------------------------------------------- item 10: every bad cell


def test_every_bad_cell_of_a_row_is_listed(tmp_path, iwm):
    path = _xlsx(tmp_path / "bad.xlsx", [
        ["Project", "Practice", "Work product", "Evidence type", "Status", "Date"],
        ["Atlas", "IWM.SP9.9", None, "rumour", "signed", "31/01/2026"],
        ["Atlas", "IWM.SP1.1", "Atlas defined process", None, "approved", dt.date(2026, 5, 1)],
    ])
    ev = load_evidence([path], iwm)
    got = ev.rejected[["row", "column", "reason"]].values.tolist()
    assert got == [[2, "practice", "unknown practice"], [2, "work_product", "work product is empty"],
                   [2, "evidence_type", "unknown evidence type"], [2, "status", "unknown status"],
                   [2, "date", "date does not parse"]]
    f = ev.files[0]
    assert (f.rows_read, f.rows_accepted, f.rows_rejected, f.rows_skipped) == (3, 1, 1, 1)


# --------------------------------------------------------------------------- section 4: reader errors vs bugs


def test_a_bug_while_reading_surfaces_as_a_bug(tmp_path, iwm, monkeypatch):
    from iwm_rules.evidence import csvread

    csv = tmp_path / "e.csv"
    csv.write_text("project,practice,work product\nAtlas,IWM.SP1.1,Defined process\n")

    def broken(sample):
        raise KeyError("a bug in the delimiter detection")

    monkeypatch.setattr(csvread, "_detect_delimiter", broken)
    with pytest.raises(KeyError):
        load_evidence([csv], iwm)


def test_a_rust_panic_in_the_reader_stays_contained(tmp_path, iwm, monkeypatch):
    import python_calamine

    class PanicException(BaseException):  # what pyo3 raises for a Rust panic (not importable by name)
        pass

    PanicException.__module__ = "pyo3_runtime"

    def panic(*args, **kwargs):
        raise PanicException("called `Option::unwrap()` on a `None` value")

    path = _xlsx(tmp_path / "p.xlsx", [["Practice", "Work product"], ["IWM.SP1.1", "Defined process"]])
    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", panic)
    ev = load_evidence([path], iwm)
    assert len(ev.errors) == 1 and isinstance(ev.errors[0], EvidenceFileError)
    assert "the reader failed" in ev.errors[0].message and "unwrap" in ev.errors[0].message
    with pytest.raises(EvidenceError):
        run_assessment([path], rulesets=iwm, as_of=AS_OF)


def test_a_hostile_row_reference_is_a_file_error_not_a_crash(tmp_path, iwm):
    """Readers' own limits (a 5,000-digit row number) stay file errors now that only reader
    exceptions are caught."""
    import zipfile

    src = _xlsx(tmp_path / "src.xlsx", [["Practice", "Work product"], ["IWM.SP1.1", "Defined process"]])
    bad = tmp_path / "huge-ref.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = data.replace(b'<c r="B2"', b'<c r="B' + b"9" * 5000 + b'"')
            zout.writestr(info, data)
    ev = load_evidence([bad], iwm)
    assert len(ev.errors) == 1 and "cell limit" in ev.errors[0].message


# --------------------------------------------------------------------------- values in columns no field reads

def test_values_in_columns_no_field_reads_are_named_in_a_warning(tmp_path, iwm):
    """A column whose header names no field ("Reviewer comment") or that has no header at all is
    not read; when it holds values the user is told which columns, with their letters, and how
    many cells. Row-number columns are not worth a warning; the rows themselves are read as usual."""
    path = _xlsx(tmp_path / "kit.xlsx", [
        ["No.", "Project", "Practice", "Work product", "Status", "Date", "Reviewer comment", None],
        [1, "Atlas", "IWM SP1.1", "Defined process", "approved", "2026-10-01", "checked by QA", "see annex"],
        [2, "Atlas", "IWM SP1.2", "Work estimates", "approved", "2026-10-01", None, "draft 2 in SharePoint"],
        [3, "Atlas", "IWM SP1.3", "Equipment list", "approved", "2026-10-01", "", None],
    ])
    ev = load_evidence([path], iwm)
    assert len(ev.table) == 3 and len(ev.rejected) == 0
    unread = [w for w in ev.warnings if w.get("kind") == "unread_column"]
    assert len(unread) == 1
    message = unread[0]["message"]
    assert message.startswith("sheet 'Evidence', header row 1: values in columns no field is read from: ")
    assert "G 'Reviewer comment' (1 cell(s))" in message and "H (no header, 2 cell(s))" in message
    assert "'No.'" not in message
    # the same file through the command: the warning reaches assessment.json
    res, data = _assess(tmp_path, path)
    assert res.exit_code == 0, res.output
    assert any(w.get("kind") == "unread_column" for w in data["input"]["warnings"])


def test_a_report_read_back_as_evidence_gives_no_unread_column_warning(tmp_path):
    """The columns a report adds after the evidence columns (what each item served) are known
    not to be evidence: reading evidence.csv back warns about none of them."""
    out = tmp_path / "first"
    sample = Path(__file__).resolve().parent.parent / "evidence_samples" / "borealis-partial.csv"
    assert CliRunner().invoke(main, ["assess", str(sample), "-o", str(out), "-f", "csv", "--as-of", "2026-11-30"]).exit_code == 0
    again = run_assessment([out / "evidence.csv"], as_of=AS_OF)
    assert not [w for w in again.data["input"]["warnings"] if w.get("kind") == "unread_column"]
    assert len(again.data["evidence"]) == 10
