"""The blank evidence workbook: sheets, headers, dropdowns, text safety, and a filled template loads cleanly."""
from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils import column_index_from_string, get_column_letter

from iwm_rules import load_evidence, load_ruleset
from iwm_rules.model import Goal, Practice, Ruleset, WorkProduct
from iwm_rules.template import DATA_ROWS, write_template

LONG_HEADERS = ["project", "practice", "work_product", "evidence_type", "status", "date", "owner", "party",
                "location", "notes", "weakness"]
PIID_HEADERS = ["Project", "Practice", "Practice Title", "Direct Artifacts", "Indirect Artifacts", "Affirmations",
                "Weaknesses", "Strengths"]


@pytest.fixture(scope="module")
def iwm():
    return load_ruleset("cmmi-svc-iwm")


@pytest.fixture
def long_template(tmp_path, iwm) -> Path:
    return write_template([iwm], tmp_path / "evidence-template.xlsx")


def _validations_by_column(ws) -> dict[str, object]:
    """{header of the validated column: its DataValidation}."""
    headers = [c.value for c in ws[1]]
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            assert rng.min_col == rng.max_col
            assert (rng.min_row, rng.max_row) == (2, DATA_ROWS)
            out[headers[rng.min_col - 1]] = dv
    return out


def _list_range_values(wb, formula: str) -> list[str]:
    m = re.fullmatch(r"'?(\w+)'?!\$([A-Z]+)\$(\d+):\$([A-Z]+)\$(\d+)", formula.lstrip("="))
    assert m, formula
    sheet, c1, r1, c2, r2 = m.groups()
    assert c1 == c2
    ws = wb[sheet]
    col = column_index_from_string(c1)
    return [ws.cell(row=r, column=col).value for r in range(int(r1), int(r2) + 1)]


def _literal_list(dv) -> list[str]:
    assert dv.type == "list"
    return dv.formula1.strip('"').split(",")


def test_long_template_sheets_and_evidence_header(long_template):
    wb = openpyxl.load_workbook(long_template)
    assert {"Instructions", "Catalogue", "Evidence", "Lists"} <= set(wb.sheetnames)
    assert wb["Lists"].sheet_state == "hidden"
    ws = wb["Evidence"]
    assert [c.value for c in ws[1]] == LONG_HEADERS
    assert all(c.font.b for c in ws[1])
    assert ws.freeze_panes == "A2"
    assert ws.max_row == 1  # blank below the header
    date_col = get_column_letter(LONG_HEADERS.index("date") + 1)
    assert wb["Evidence"].column_dimensions[date_col].number_format == "yyyy-mm-dd"
    assert not list(long_template.parent.glob(".*.tmp"))  # written through a temporary file


def test_evidence_dropdowns(long_template, iwm):
    wb = openpyxl.load_workbook(long_template)
    dvs = _validations_by_column(wb["Evidence"])
    assert {"practice", "evidence_type", "status", "party", "date"} <= set(dvs)
    assert _literal_list(dvs["evidence_type"]) == ["artifact", "affirmation"]
    assert _literal_list(dvs["status"]) == ["draft", "in_review", "approved", "baselined", "obsolete"]
    assert _literal_list(dvs["party"]) == ["customer", "provider", "shared"]
    practice = dvs["practice"]
    assert practice.type == "list" and "!" in practice.formula1  # a range, not a literal list
    assert _list_range_values(wb, practice.formula1) == [p.id for p in iwm.practices]
    assert dvs["date"].type == "date"
    for name in ("practice", "evidence_type", "status", "party", "date"):
        assert dvs[name].showInputMessage and dvs[name].prompt, name


def test_practice_list_covers_every_ruleset(tmp_path, iwm):
    wp = load_ruleset("cmmi-svc-wp")
    path = write_template([iwm, wp], tmp_path / "two.xlsx")
    wb = openpyxl.load_workbook(path)
    values = _list_range_values(wb, _validations_by_column(wb["Evidence"])["practice"].formula1)
    assert values == [p.id for p in iwm.practices] + [p.id for p in wp.practices]
    text = " ".join(str(c) for row in wb["Instructions"].iter_rows(values_only=True) for c in row if c)
    for rs in (iwm, wp):
        assert rs.id in text and rs.title in text and rs.version in text
    assert "iwm-rules assess two.xlsx -r cmmi-svc-iwm -r cmmi-svc-wp" in text


def test_catalogue_lists_every_work_product(long_template, iwm):
    wb = openpyxl.load_workbook(long_template)
    ws = wb["Catalogue"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("Ruleset", "Goal", "Practice ID", "Practice Title", "Expected Work Product ID",
                       "Expected Work Product", "Required", "Provenance")
    expected = [(iwm.id, p.goal, p.id, p.title, w.id, w.name, "yes" if w.required else "no", w.provenance)
                for p in iwm.practices for w in p.work_products]
    assert rows[1:] == expected
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:H{len(expected) + 1}"


def test_instructions_explain_columns_and_command(long_template, iwm):
    wb = openpyxl.load_workbook(long_template)
    rows = list(wb["Instructions"].iter_rows(values_only=True))
    first = [r[0] for r in rows]
    for col in LONG_HEADERS:
        assert col in first, col
    text = " ".join(str(c) for r in rows for c in r if c)
    assert "one row = one piece of evidence" in text
    assert "IWM.SP1.1, IWM SP 1.1, IWM 1.1, IPM SP 1.1" in text
    assert "iwm-rules assess evidence-template.xlsx -r cmmi-svc-iwm" in text
    for value in ("draft, in_review, approved, baselined, obsolete", "customer, provider, shared"):
        assert value in text
    assert iwm.title in text and iwm.version in text


def _hostile_ruleset() -> Ruleset:
    wp = WorkProduct(id="plan", name="+cmd|' /C calc'!A0", match=("plan",), required=True)
    optional = WorkProduct(id="notes", name="@SUM(1+1)", match=("notes",), required=False)
    p1 = Practice(id="X.SP1.1", ruleset="hostile", goal="X.SG1", title='=HYPERLINK("x")',
                  statement="-2+3 starts like a formula", work_products=(wp, optional))
    p2 = Practice(id="X.SP1.2", ruleset="hostile", goal="X.SG1", title="\tTabbed title", statement="s",
                  work_products=())
    goal = Goal(id="X.SG1", title="=1+1", statement="-1", practices=(p1, p2))
    return Ruleset(id="hostile", title="=cmd()", version="1", source="test", goals=(goal,))


@pytest.mark.parametrize("layout", ["long", "piid"])
def test_text_that_looks_like_a_formula_is_stored_as_text(tmp_path, layout):
    path = write_template([_hostile_ruleset()], tmp_path / f"hostile-{layout}.xlsx", layout=layout)
    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in zf.read(name).decode("utf-8"), name
    wb = openpyxl.load_workbook(path)
    cat = wb["Catalogue"]
    rows = list(cat.iter_rows(min_row=2))
    assert len(rows) == 3  # two work products + one practice without any
    titles = {r[3].value for r in rows}
    assert titles == {'=HYPERLINK("x")', "\tTabbed title"}
    for r in rows:
        for cell in r:
            if cell.value is not None:
                assert cell.data_type == "s", (cell.coordinate, cell.value)
    assert [r[6].value for r in rows] == ["yes", "no", None]
    hits = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
            if isinstance(c.value, str) and c.value[:1] in "=+-@\t"]
    assert hits and all(c.data_type == "s" for c in hits)
    instructions = " ".join(str(c) for row in wb["Instructions"].iter_rows(values_only=True) for c in row if c)
    assert "=cmd()" in instructions
    if layout == "piid":
        assert wb["PIID"]["C2"].value == '=HYPERLINK("x")' and wb["PIID"]["C2"].data_type == "s"


def test_filled_long_template_loads_without_rejections(long_template, iwm, tmp_path):
    rows = [
        ["Atlas", "IWM.SP1.1", "Atlas tailored process description v3", "artifact", "approved",
         dt.date(2026, 5, 4), "PMO lead", "provider", "https://wiki/atlas/process", "", ""],
        ["Atlas", "IWM SP 1.4", "Atlas integrated work plan and schedule", "artifact", "baselined",
         dt.date(2026, 6, 1), "Project manager", "shared", "sharepoint/atlas/plan.xlsx", "aliased id", ""],
        ["Atlas", "IWM.SP1.6", "Team charter - service desk", "artifact", "in_review",
         dt.date(2026, 2, 17), "Service owner", "customer", "", "", "Charter not yet signed"],
        ["Atlas", "IWM.SP2.2", "Interview with the delivery manager on dependencies", "affirmation", "",
         None, "", "", "", "", ""],
    ]
    wb = openpyxl.load_workbook(long_template)
    ws = wb["Evidence"]
    for r in rows:
        ws.append(r)
    filled = tmp_path / "atlas-evidence.xlsx"
    wb.save(filled)

    ev = load_evidence([filled], [iwm])
    assert not ev.errors
    assert len(ev.rejected) == 0, ev.rejected.to_dict("records")
    assert len(ev.table) == len(rows)
    report = ev.files[0]
    assert report.rows_accepted == len(rows) and report.rows_rejected == 0
    assert report.rows_read == report.rows_accepted + report.rows_skipped
    t = ev.table.sort_values("row")
    assert t["row"].tolist() == [2, 3, 4, 5]
    assert t["sheet"].unique().tolist() == ["Evidence"]
    assert t["practice"].tolist() == ["IWM.SP1.1", "IWM.SP1.4", "IWM.SP1.6", "IWM.SP2.2"]
    assert t["project"].unique().tolist() == ["Atlas"]
    assert t["evidence_type"].tolist() == ["artifact", "artifact", "artifact", "affirmation"]
    assert t["status"].tolist() == ["approved", "baselined", "in_review", ""]
    assert t["party"].tolist() == ["provider", "shared", "customer", ""]
    assert [d.date() if d == d else None for d in t["date"]] == [dt.date(2026, 5, 4), dt.date(2026, 6, 1),
                                                                  dt.date(2026, 2, 17), None]
    assert t["weakness"].tolist()[2] == "Charter not yet signed"


def test_blank_template_has_nothing_to_accept_or_reject(long_template, iwm):
    ev = load_evidence([long_template], [iwm])
    assert len(ev.table) == 0 and len(ev.rejected) == 0
    assert ev.files[0].rows_read == ev.files[0].rows_skipped


def test_piid_template(tmp_path, iwm):
    path = write_template([iwm], tmp_path / "piid.xlsx", layout="piid")
    wb = openpyxl.load_workbook(path)
    assert {"Instructions", "Catalogue", "PIID", "Lists"} <= set(wb.sheetnames)
    assert "Evidence" not in wb.sheetnames
    ws = wb["PIID"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == PIID_HEADERS
    assert [(r[1], r[2]) for r in rows[1:]] == [(p.id, p.title) for p in iwm.practices]
    assert all(r[0] is None and all(v is None for v in r[3:]) for r in rows[1:])
    assert ws.freeze_panes == "A2"
    dvs = _validations_by_column(ws)
    assert _list_range_values(wb, dvs["Practice"].formula1) == [p.id for p in iwm.practices]
    text = " ".join(str(c) for r in wb["Instructions"].iter_rows(values_only=True) for c in r if c)
    assert "one row per project x practice" in text and ";" in text


def test_filled_piid_template_loads_without_rejections(tmp_path, iwm):
    pytest.importorskip("iwm_rules.evidence.piid")
    path = write_template([iwm], tmp_path / "piid.xlsx", layout="piid")
    wb = openpyxl.load_workbook(path)
    ws = wb["PIID"]
    ws["A2"] = "Borealis"
    ws["D2"] = "Borealis tailored process description\nLifecycle model selection memo"
    ws["A5"] = "Borealis"
    ws["D5"] = "Integrated master schedule; Subsidiary plans cross-reference"
    ws["F5"] = "Interview with the project manager"
    filled = tmp_path / "borealis.xlsx"
    wb.save(filled)
    ev = load_evidence([filled], [iwm])
    assert len(ev.rejected) == 0, ev.rejected.to_dict("records")
    assert sorted(ev.table["practice"]) == ["IWM.SP1.1", "IWM.SP1.1", "IWM.SP1.4", "IWM.SP1.4", "IWM.SP1.4"]
    assert set(ev.table["project"]) == {"Borealis"}


def test_bad_arguments(tmp_path, iwm):
    with pytest.raises(ValueError, match="layout"):
        write_template([iwm], tmp_path / "t.xlsx", layout="wide")
    with pytest.raises(ValueError, match="xlsx"):
        write_template([iwm], tmp_path / "t.csv")
    with pytest.raises(ValueError, match="ruleset"):
        write_template([], tmp_path / "t.xlsx")
    assert not list(tmp_path.iterdir())


def test_cli_template_then_assess(tmp_path):
    """The command an auditor runs: make the template, fill it, assess it."""
    import openpyxl
    from click.testing import CliRunner

    from iwm_rules.cli import main

    out = tmp_path / "evidence.xlsx"
    res = CliRunner().invoke(main, ["template", "-r", "cmmi-svc-iwm", "-r", "cmmi-svc-wp", "-o", str(out)])
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out)
    ws = wb["Evidence"]
    ws.append(["Nova", "WP.SP2.7", "Nova project plan", "artifact", "approved", dt.date(2026, 10, 1)])
    wb.save(out)
    res = CliRunner().invoke(main, ["assess", str(out), "-o", str(tmp_path / "r"), "--as-of", "2026-11-30"])
    assert res.exit_code == 0, res.output
    assert "1 accepted, 0 rejected" in res.output
    bad = CliRunner().invoke(main, ["template", "-r", "nope", "-o", str(tmp_path / "x.xlsx")])
    assert bad.exit_code == 3
    bad = CliRunner().invoke(main, ["template", "-r", "cmmi-svc-wp", "-o", str(tmp_path / "x.csv")])
    assert bad.exit_code == 2
