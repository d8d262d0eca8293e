"""Raw readers (iwm_rules.evidence.raw): values, row numbers, csv dialects, hostile files.

Every file is built in tmp_path. Hostile workbooks that could take the whole interpreter
down if a guard failed (a Rust reader aborts on a huge allocation) are read in a
subprocess with an address-space cap, a timeout, and a report of time and peak RSS.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import struct
import subprocess
import sys
import textwrap
import time
import zipfile
from pathlib import Path

import pytest

from iwm_rules.errors import EvidenceFileError
from iwm_rules.evidence.raw import LimitExceededError, Limits, inspect_zip, read_raw

REPO = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------- builders

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
NS_R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
SHEET_HEAD = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {NS}><sheetData>'
SHEET_TAIL = "</sheetData></worksheet>"


def _workbook_parts(sheet_names: list[str], shared_strings: bool, ext: str = ".xml") -> dict[str, str]:
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, len(sheet_names) + 1)
    )
    if shared_strings:
        overrides += (
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        )
    ct = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{overrides}</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    sheets = "".join(
        f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(sheet_names, start=1)
    )
    wb = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f"<workbook {NS} {NS_R}><sheets>{sheets}</sheets></workbook>"
    )
    wb_rels = "".join(
        f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        f'worksheet" Target="worksheets/sheet{i}{ext}"/>'
        for i in range(1, len(sheet_names) + 1)
    )
    if shared_strings:
        wb_rels += (
            f'<Relationship Id="rId{len(sheet_names) + 1}" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        )
    wb_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f"{wb_rels}</Relationships>"
    )
    return {
        "[Content_Types].xml": ct,
        "_rels/.rels": rels,
        "xl/workbook.xml": wb,
        "xl/_rels/workbook.xml.rels": wb_rels,
    }


def write_xlsx(
    path: Path,
    sheets: dict[str, str | bytes] | str | bytes,
    *,
    shared_strings: str | bytes | None = None,
    extra: dict[str, bytes | str] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
    sheet_ext: str = ".xml",
) -> Path:
    """A minimal workbook whose worksheet XML is given verbatim (one sheet per entry)."""
    if not isinstance(sheets, dict):
        sheets = {"Sheet1": sheets}
    with zipfile.ZipFile(path, "w", compression) as z:
        for member, text in _workbook_parts(list(sheets), shared_strings is not None, sheet_ext).items():
            z.writestr(member, text)
        for i, xml in enumerate(sheets.values(), start=1):
            z.writestr(f"xl/worksheets/sheet{i}{sheet_ext}", xml)
        if shared_strings is not None:
            z.writestr("xl/sharedStrings.xml", shared_strings)
        for member, data in (extra or {}).items():
            z.writestr(member, data)
    return path


def sheet_xml(body: str) -> str:
    return SHEET_HEAD + body + SHEET_TAIL


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def patch_declared_size(path: Path, member: str, size: int) -> None:
    """Make the local header and central directory declare ``size`` for ``member``."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as z:
        offset = z.getinfo(member).header_offset
    struct.pack_into("<L", data, offset + 22, size)
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46 : pos + 46 + name_len]) == member.encode():
            struct.pack_into("<L", data, pos + 24, size)
        pos = data.find(b"PK\x01\x02", pos + 4)
    path.write_bytes(bytes(data))


_RUNNER = textwrap.dedent(
    """
    import json, resource, sys, time
    cap = 4 * 2**30
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    from iwm_rules.errors import EvidenceFileError
    from iwm_rules.evidence.raw import Limits, read_raw
    path, kw = sys.argv[1], json.loads(sys.argv[2])
    out = {}
    t = time.perf_counter()
    try:
        sheets = read_raw(path, limits=Limits(**kw))
        out["rows"] = [len(s.rows) for s in sheets]
        out["first_row"] = [s.first_row for s in sheets]
        out["head"] = [[[str(v) for v in r] for r in s.rows[:2]] for s in sheets]
    except EvidenceFileError as e:
        out["error"] = str(e)
    out["seconds"] = time.perf_counter() - t
    try:  # this process's own peak (ru_maxrss would include the forking parent's)
        with open("/proc/self/status") as f:
            hwm = next(line for line in f if line.startswith("VmHWM:"))
        out["maxrss_mb"] = int(hwm.split()[1]) / 1024
    except (OSError, StopIteration):
        out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
    """
)


def read_isolated(path: Path, timeout: float = 60, **limits) -> dict:
    """read_raw in a fresh interpreter (4 GiB address-space cap): result, seconds, peak RSS."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(path), json.dumps(limits)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )
    assert proc.returncode == 0, f"reader process died (rc={proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(proc.stdout)


def clean(rows: list[list]) -> list[list]:
    """Rows as a reader of the values sees them: '' and None both empty, 6.0 == 6, no blank right edge.

    read_raw hands calamine's rows over without converting cell by cell (that would cost more
    than the safety checks); the loader treats '' as empty and whole floats as integers."""
    out = [[None if v == "" else (int(v) if isinstance(v, float) and v.is_integer() else v) for v in r] for r in rows]
    width = max((max((i + 1 for i, v in enumerate(r) if v is not None), default=0) for r in out), default=0)
    return [r[:width] for r in out]


def raises_file_error(path, match: str, **kw) -> EvidenceFileError:
    t = time.perf_counter()
    with pytest.raises(EvidenceFileError) as info:
        read_raw(path, **kw)
    assert time.perf_counter() - t < 30
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(str(path) + ": ")
    assert match in msg, msg
    return info.value


# --------------------------------------------------------------------------- workbooks: values


def test_data_starting_at_row_5_keeps_spreadsheet_row_numbers(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Evidence"
    ws["C5"], ws["D5"] = "project", "practice"
    ws["C6"], ws["D6"] = "P1", "PP 1"
    ws["C8"], ws["D8"] = "P2", "PP 2"  # row 7 blank in the middle: kept
    for r in range(9, 40):  # formatted but empty: dropped
        ws.cell(r, 3).font = Font(bold=True)
        ws.cell(r, 6).font = Font(bold=True)
    path = tmp_path / "row5.xlsx"
    wb.save(path)

    [sheet] = read_raw(path)
    assert (sheet.file, sheet.sheet, sheet.first_row) == (str(path), "Evidence", 5)
    assert clean(sheet.rows) == [["project", "practice"], ["P1", "PP 1"], [None, None], ["P2", "PP 2"]]
    # rows[i] is spreadsheet row first_row + i
    assert sheet.rows[8 - sheet.first_row] == ["P2", "PP 2"]


def test_first_row_with_raw_xml_and_leading_blank_columns(tmp_path):
    path = write_xlsx(
        tmp_path / "b.xlsx",
        sheet_xml(f'<row r="5">{inline("B5", "a")}</row><row r="6"><c r="C6"><v>3</v></c></row>'),
    )
    [sheet] = read_raw(path)
    assert sheet.first_row == 5
    assert clean(sheet.rows) == [["a", None], [None, 3]]


def test_dates_and_value_types_survive(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["date", "datetime", "int", "float", "bool", "text"])
    ws.append([dt.date(2024, 3, 1), dt.datetime(2024, 3, 1, 13, 45, 0), 2024, 1.5, True, "x"])
    path = tmp_path / "dates.xlsx"
    wb.save(path)

    [sheet] = read_raw(path)
    row = sheet.rows[1]
    assert row[0] == dt.date(2024, 3, 1) and type(row[0]) is dt.date
    assert row[1] == dt.datetime(2024, 3, 1, 13, 45)
    assert row[2] == 2024  # Excel numbers are floats (the loader shows integral ones as integers)
    assert row[3] == 1.5
    assert row[4] is True
    assert row[5] == "x"


def test_empty_strings_and_error_cells_are_none(tmp_path):
    body = (
        f'<row r="1">{inline("A1", "")}<c r="B1" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
        '<c r="C1"><f>2*3</f><v>6</v></c><c r="D1" t="str"><v>x</v></c></row>'
    )
    [sheet] = read_raw(write_xlsx(tmp_path / "e.xlsx", sheet_xml(body)))
    assert clean(sheet.rows) == [[None, None, 6, "x"]]  # cached formula values; errors read as empty


def test_trailing_blank_rows_and_columns_dropped(tmp_path):
    rows = [f'<row r="1">{inline("A1", "h1")}{inline("B1", "h2")}{inline("C1", "")}</row>']
    rows.append(f'<row r="2">{inline("A2", "v")}<c r="C2" t="str"><v></v></c></row>')
    rows += [f'<row r="{r}">{inline(f"A{r}", "")}{inline(f"D{r}", "")}</row>' for r in range(3, 200)]
    [sheet] = read_raw(write_xlsx(tmp_path / "t.xlsx", sheet_xml("".join(rows))))
    assert clean(sheet.rows) == [["h1", "h2"], ["v", None]]
    assert len(sheet.rows) == 2 and sheet.first_row == 1


def test_blank_sheet_and_sheet_selection(tmp_path):
    path = write_xlsx(
        tmp_path / "multi.xlsx",
        {
            "First": sheet_xml(f'<row r="1">{inline("A1", "one")}</row>'),
            "Empty": sheet_xml(""),
            "Third": sheet_xml(f'<row r="2">{inline("A2", "three")}</row>'),
        },
    )
    all_sheets = read_raw(path)
    assert [(s.sheet, s.rows, s.first_row) for s in all_sheets] == [
        ("First", [["one"]], 1),
        ("Empty", [], 1),
        ("Third", [["three"]], 2),
    ]
    picked = read_raw(path, sheets=["Third", "First"])
    assert [s.sheet for s in picked] == ["Third", "First"]
    raises_file_error(path, "no worksheet named 'Nope'", sheets=["Nope"])


def test_hidden_sheet_is_read_and_flagged(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active["A1"] = "visible"
    hidden = wb.create_sheet("Lists")
    hidden["A1"] = "hidden"
    hidden.sheet_state = "hidden"
    path = tmp_path / "hidden.xlsx"
    wb.save(path)
    sheets = read_raw(path)
    assert [(s.rows, s.hidden) for s in sheets] == [([["visible"]], False), ([["hidden"]], True)]


def test_xlsm_values_read_macros_untouched(tmp_path):
    xlsxwriter = pytest.importorskip("xlsxwriter")
    vba = tmp_path / "vbaProject.bin"
    vba.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024)  # never parsed
    path = tmp_path / "macro.xlsm"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    ws.write_string(0, 0, "project")
    ws.write_string(1, 0, "P1")
    ws.write_formula(1, 1, "=1+1", None, 2)
    wb.add_vba_project(str(vba))
    wb.close()
    with zipfile.ZipFile(path) as z:
        assert "xl/vbaProject.bin" in z.namelist()
        assert b"macroEnabled" in z.read("[Content_Types].xml")
    [sheet] = read_raw(path)
    assert clean(sheet.rows) == [["project", None], ["P1", 2]]


def test_workbook_content_under_another_suffix_is_read_as_workbook(tmp_path):
    path = write_xlsx(tmp_path / "actually_a_workbook.csv", sheet_xml(f'<row r="1">{inline("A1", "x")}</row>'))
    [sheet] = read_raw(path)
    assert sheet.sheet == "Sheet1" and sheet.rows == [["x"]]


def test_inspect_zip_accepts_a_normal_workbook(tmp_path):
    path = write_xlsx(tmp_path / "ok.xlsx", sheet_xml(f'<row r="1">{inline("A1", "x")}</row>'))
    assert inspect_zip(path, Limits()) is None


# --------------------------------------------------------------------------- csv


@pytest.mark.parametrize(
    ("data", "encoding", "delimiter"),
    [
        ("project,practice,notes\nP1,PP 1,caf\u00e9\n".encode("utf-8"), "utf-8", ","),
        ("project,practice,notes\nP1,PP 1,caf\u00e9\n".encode("utf-8-sig"), "utf-8-sig", ","),
        ("project;practice;notes\r\nP1;PP 1;caf\u00e9 \u20ac5\r\n".encode("cp1252"), "cp1252", ";"),
        ("project\tpractice\tnotes\nP1\tPP 1\tcaf\u00e9\n".encode("utf-8"), "utf-8", "\t"),
        ("project\tpractice\tnotes\nP1\tPP 1\tcaf\u00e9\n".encode("utf-16"), "utf-16", "\t"),
    ],
    ids=["utf8-comma", "utf8-bom", "cp1252-semicolon", "tab", "utf16-excel-unicode-text"],
)
def test_csv_encodings_and_delimiters(tmp_path, data, encoding, delimiter):
    path = tmp_path / "e.csv"
    path.write_bytes(data)
    [sheet] = read_raw(path)
    assert (sheet.encoding, sheet.delimiter, sheet.sheet, sheet.first_row) == (encoding, delimiter, None, 1)
    assert sheet.rows[0] == ["project", "practice", "notes"]
    assert sheet.rows[1][:2] == ["P1", "PP 1"]
    assert sheet.rows[1][2].startswith("caf\u00e9")
    if encoding == "cp1252":
        assert sheet.rows[1][2] == "caf\u00e9 \u20ac5"


def test_csv_quotes_blanks_and_ragged_rows(tmp_path):
    path = tmp_path / "q.txt"
    path.write_text(
        'project;practice;notes\n"P;1";PP 1;"two\nlines, with comma"\n\nP2;PP 2\n;;\nP3;PP 3;x;\n\n\n',
        encoding="utf-8",
    )
    [sheet] = read_raw(path)
    assert sheet.delimiter == ";"
    assert sheet.rows == [
        ["project", "practice", "notes"],
        ["P;1", "PP 1", "two\nlines, with comma"],
        [None, None, None],
        ["P2", "PP 2", None],
        [None, None, None],
        ["P3", "PP 3", "x"],
    ]


def test_csv_leading_blank_lines_move_first_row(tmp_path):
    path = tmp_path / "lead.csv"
    path.write_text("\n,,\nproject,practice\nP1,PP 1\n", encoding="utf-8")
    [sheet] = read_raw(path)
    assert sheet.first_row == 3 and sheet.rows == [["project", "practice"], ["P1", "PP 1"]]


def test_csv_single_column_and_empty_file(tmp_path):
    one = tmp_path / "one.csv"
    one.write_text("project\nP1\n", encoding="utf-8")
    [sheet] = read_raw(one)
    assert sheet.rows == [["project"], ["P1"]] and sheet.delimiter == ","
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    [sheet] = read_raw(empty)
    assert sheet.rows == []


def test_csv_row_limit(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("h\n1\n2\n3\n\n\n", encoding="utf-8")
    assert len(read_raw(path, limits=Limits(max_rows=4))[0].rows) == 4
    err = raises_file_error(path, "row limit", limits=Limits(max_rows=3))
    assert isinstance(err, LimitExceededError) and err.limit == "max_rows"


def test_csv_with_a_10_mb_cell_is_refused_with_bounded_memory(tmp_path):
    path = tmp_path / "big_cell.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write("project,notes\nP1,")
        f.write("x" * (10 * 2**20))
        f.write("\nP2,short\n")
    result = read_isolated(path)
    assert result["error"] == f"{path}: row 2: a cell exceeds 1000000 characters"
    assert result["seconds"] < 30
    assert result["maxrss_mb"] < 400, result


def test_csv_one_gigantic_line_is_read_in_bounded_pieces(tmp_path):
    path = tmp_path / "line.csv"
    path.write_text("a,b\n" + ",".join(["y" * 900] * 100) + "\n", encoding="utf-8")
    err = raises_file_error(path, "row 2: a line exceeds 16000", limits=Limits(max_cell_chars=1000))
    assert err.limit == "max_cell_chars"


def test_csv_binary_content_is_refused(tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(b"a,b\n\x00\x01\x02\x03" * 10)
    raises_file_error(path, "not a spreadsheet")


# --------------------------------------------------------------------------- dispatch and plain errors


def test_missing_file_and_directory(tmp_path):
    raises_file_error(tmp_path / "nope.xlsx", "file not found")
    raises_file_error(tmp_path, "is a directory")


def test_text_file_named_xlsx_is_not_a_spreadsheet(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("project,practice\nP1,PP 1\n", encoding="utf-8")
    raises_file_error(path, "not a spreadsheet (expected .xlsx, .xlsm or .csv)")
    other = tmp_path / "notes.pdf"
    other.write_bytes(b"%PDF-1.4\n")
    raises_file_error(other, "not a spreadsheet (expected .xlsx, .xlsm or .csv)")


def test_zip_that_is_not_a_workbook(tmp_path):
    doc = tmp_path / "doc.xlsx"
    with zipfile.ZipFile(doc, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    raises_file_error(doc, "not a spreadsheet")
    xlsb = tmp_path / "bin.xlsx"
    with zipfile.ZipFile(xlsb, "w") as z:
        z.writestr("xl/workbook.bin", b"\0" * 10)
    raises_file_error(xlsb, ".xlsb")


def test_ole_container_password_protected_or_xls(tmp_path):
    path = tmp_path / "locked.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4096)
    raises_file_error(path, "password-protected or legacy .xls workbook: save it as .xlsx without a password")


def test_truncated_zip(tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", sheet_xml(f'<row r="1">{inline("A1", "x" * 5000)}</row>'))
    bad = tmp_path / "cut.xlsx"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    raises_file_error(bad, "not a valid xlsx (damaged or truncated zip)")
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"PK\x03\x04")
    raises_file_error(empty, "not a valid xlsx (damaged or truncated zip)")


def test_corrupted_member_fails_its_checksum(tmp_path):
    path = write_xlsx(
        tmp_path / "crc.xlsx", sheet_xml('<row r="1"><c r="A1"><v>12345</v></c></row>'), compression=zipfile.ZIP_STORED
    )
    data = bytearray(path.read_bytes())
    i = data.index(b"<v>12345</v>")
    data[i + 3] = ord("9")
    path.write_bytes(bytes(data))
    raises_file_error(path, "does not match its size or checksum")


def test_unsupported_compression_method(tmp_path):
    path = write_xlsx(tmp_path / "bz.xlsx", sheet_xml(""), compression=zipfile.ZIP_BZIP2)
    raises_file_error(path, "unsupported compression method")


def test_file_size_limit(tmp_path):
    path = write_xlsx(tmp_path / "s.xlsx", sheet_xml(""))
    err = raises_file_error(path, "over the file-size limit", limits=Limits(max_file_bytes=100))
    assert err.limit == "max_file_bytes"


def test_row_limit_on_a_sheet(tmp_path):
    body = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 6))
    path = write_xlsx(tmp_path / "rows.xlsx", sheet_xml(body))
    assert len(read_raw(path, limits=Limits(max_rows=5))[0].rows) == 5
    raises_file_error(path, "more than 4 rows, over the row limit", limits=Limits(max_rows=4))


def test_long_text_cell_is_read_whole(tmp_path):
    sst = f'<?xml version="1.0"?><sst {NS} count="1" uniqueCount="1"><si><t>{"w" * 3000}</t></si></sst>'
    path = write_xlsx(
        tmp_path / "long.xlsx", sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'), shared_strings=sst
    )
    assert len(read_raw(path)[0].rows[0][0]) == 3000


def test_text_run_over_the_limit_is_refused_before_reading(tmp_path):
    sst = f'<?xml version="1.0"?><sst {NS}><si><t>{"w" * (3 * 2**20)}</t></si></sst>'
    path = write_xlsx(
        tmp_path / "run.xlsx", sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'), shared_strings=sst
    )
    err = raises_file_error(
        path, "so a cell exceeds 100000 characters", limits=Limits(max_cell_chars=100_000, max_ratio=1e9)
    )
    assert "'xl/sharedStrings.xml'" in str(err)


# --------------------------------------------------------------------------- zip bombs


def test_zip_bomb_refused_by_declared_ratio(tmp_path):
    payload = sheet_xml("").replace("<sheetData>", "<sheetData>" + " " * (20 * 2**20))
    path = write_xlsx(tmp_path / "bomb.xlsx", payload)
    err = raises_file_error(path, "'xl/worksheets/sheet1.xml' has a compression ratio of")
    assert "exceeds the ratio limit (200:1; possible zip bomb); if the file is genuine, raise the limit" in str(err)
    assert err.limit == "max_ratio"
    with pytest.raises(EvidenceFileError, match="compression ratio"):
        inspect_zip(path, Limits())


def test_zip_bomb_refused_by_declared_member_size(tmp_path):
    payload = sheet_xml("").replace("<sheetData>", "<sheetData>" + " " * (3 * 2**20))
    path = write_xlsx(tmp_path / "bomb.xlsx", payload)
    err = raises_file_error(
        path, "exceeds the per-member size limit (2 MiB)", limits=Limits(max_member_bytes=2 * 2**20, max_ratio=1e9)
    )
    assert err.limit == "max_member_bytes"


def test_zip_bomb_refused_by_declared_total_size(tmp_path):
    filler = {f"xl/media/pad{i}.xml": "<a>" + "b" * 600_000 + "</a>" for i in range(3)}
    path = write_xlsx(tmp_path / "total.xlsx", sheet_xml(""), extra=filler)
    err = raises_file_error(
        path,
        "exceeds the uncompressed-size limit (1 MiB); if the file is genuine, raise the limit",
        limits=Limits(max_uncompressed_bytes=2**20, max_ratio=1e9),
    )
    assert err.limit == "max_uncompressed_bytes"


def test_too_many_members(tmp_path):
    path = write_xlsx(tmp_path / "many.xlsx", sheet_xml(""), extra={f"x/{i}.xml": "<a/>" for i in range(10)})
    raises_file_error(path, "the zip has 15 members, over the member-count limit (5)", limits=Limits(max_members=5))


def test_lying_zip_refused_by_bytes_actually_inflated(tmp_path):
    """Declared sizes are tiny; inflating shows the truth and stops at the limit."""
    rows = "".join(f'<row r="{r}" s="1"/>' for r in range(1, 400_000))
    path = write_xlsx(tmp_path / "liar.xlsx", sheet_xml(rows))
    patch_declared_size(path, "xl/worksheets/sheet1.xml", 1000)
    with zipfile.ZipFile(path) as z:
        assert z.getinfo("xl/worksheets/sheet1.xml").file_size == 1000
    err = raises_file_error(
        path,
        "inflates to more than the per-member size limit (2 MiB) although it declares 1000 bytes "
        "(the zip misreports its sizes)",
        limits=Limits(max_member_bytes=2 * 2**20, max_ratio=1e9),
    )
    assert err.limit == "max_member_bytes"


def test_lying_zip_refused_by_actual_ratio(tmp_path):
    payload = sheet_xml("").replace("<sheetData>", "<sheetData>" + " " * (8 * 2**20))
    path = write_xlsx(tmp_path / "liar2.xlsx", payload)
    patch_declared_size(path, "xl/worksheets/sheet1.xml", 1000)
    result = read_isolated(path)
    assert "inflates more than 200:1, which exceeds the ratio limit (possible zip bomb)" in result["error"]
    assert "misreports its sizes" in result["error"]
    assert result["seconds"] < 30 and result["maxrss_mb"] < 400


def test_lying_zip_within_limits_is_still_refused_as_damaged(tmp_path):
    path = write_xlsx(tmp_path / "liar3.xlsx", sheet_xml(f'<row r="1">{inline("A1", "x" * 3000)}</row>'))
    patch_declared_size(path, "xl/worksheets/sheet1.xml", 100)
    raises_file_error(path, "not a valid xlsx (damaged or truncated zip)")


# --------------------------------------------------------------------------- XML attacks

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol%s;" % ("" if i == 1 else i - 1)) * 10}">\n' for i in range(1, 10))
    + "]>\n"
    + f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    + "</sheetData></worksheet>"
)


def test_entity_expansion_in_a_sheet_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "laughs.xlsx", BILLION_LAUGHS)
    result = read_isolated(path)
    assert result["error"] == (
        f"{path}: refused: the workbook contains XML entity declarations (possible entity-expansion attack)"
    )
    assert result["seconds"] < 30 and result["maxrss_mb"] < 400


@pytest.mark.parametrize("doctype", ["<!DOCTYPE sst [", "<!doctype sst ["])
def test_external_entity_in_shared_strings_is_refused(tmp_path, doctype):
    sst = (
        f'<?xml version="1.0"?>\n{doctype}<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f"<sst {NS}><si><t>&xxe;</t></si></sst>"
    )
    path = write_xlsx(
        tmp_path / "xxe.xlsx", sheet_xml('<row r="1"><c r="A1" t="s"><v>0</v></c></row>'), shared_strings=sst
    )
    raises_file_error(path, "refused: the workbook contains XML entity declarations")


def test_utf16_xml_part_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "u16.xlsx", sheet_xml("").replace("UTF-8", "UTF-16").encode("utf-16"))
    raises_file_error(path, "refused: XML part 'xl/worksheets/sheet1.xml' is not UTF-8 encoded")


# --------------------------------------------------------------------------- huge used ranges


def test_million_empty_formatted_rows_read_fast_with_bounded_memory(tmp_path):
    path = tmp_path / "formatted.xlsx"
    parts = _workbook_parts(["Sheet1"], False)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for member, text in parts.items():
            z.writestr(member, text)
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            f.write(SHEET_HEAD.encode())
            f.write(f'<row r="1">{inline("A1", "project")}{inline("B1", "practice")}</row>'.encode())
            f.write(f'<row r="2">{inline("A2", "P1")}{inline("B2", "PP 1")}</row>'.encode())
            for start in range(3, 1_000_001, 50_000):
                f.write(
                    "".join(
                        f'<row r="{r}" s="1" customFormat="1"><c r="A{r}" s="1"/><c r="B{r}" s="1"/></row>'
                        for r in range(start, min(start + 50_000, 1_000_001))
                    ).encode()
                )
            f.write(SHEET_TAIL.encode())
    result = read_isolated(path)
    assert result.get("error") is None, result
    assert result["rows"] == [2] and result["first_row"] == [1]
    assert result["head"] == [[["project", "practice"], ["P1", "PP 1"]]]
    assert result["seconds"] < 30, result
    assert result["maxrss_mb"] < 500, result


@pytest.mark.parametrize(
    "far_cell",
    [
        '<c r="XFD1048576"><v>1</v></c>',
        '<c r="xfd0001048576"><v>1</v></c>',  # the reader accepts lower case and leading zeros
        '<c r="A4000000000"><v>1</v></c>',
        '<c t="n" r="XFD1048576"><v>1</v></c>',  # r not first: tag-level path
        '<x:c r="XFD1048576"><x:v>1</x:v></x:c>',  # prefixed element: tag-level path
        """<c t=">" r='XFD1048576'><v>1</v></c>""",  # ">" inside a quoted value
    ],
    ids=["canonical", "lowercase-zeros", "huge-row", "attr-order", "prefixed", "gt-in-attribute"],
)
@pytest.mark.parametrize("disguise", [False, True], ids=["plain", "binary-looking-part"])
def test_two_far_apart_cells_are_refused_before_the_reader_allocates(tmp_path, far_cell, disguise):
    """A1 plus one far cell: the reader would allocate the whole grid (hundreds of GiB) and abort."""
    body = f'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576">{far_cell}</row>'
    xml = sheet_xml(body).replace("<worksheet ", '<worksheet xmlns:x="urn:x" ')
    if disguise:  # a sheet part named .dat, junk before the root: the reader still parses it
        xml = "\x01junk" + xml[xml.index("<worksheet") :]
    path = write_xlsx(tmp_path / "corner.xlsx", xml, sheet_ext=".dat" if disguise else ".xml")
    result = read_isolated(path)
    assert "which makes its used range (rows x columns) larger than the cell limit (50000000 cells)" in result.get(
        "error", ""
    ), result
    assert result["seconds"] < 30 and result["maxrss_mb"] < 400


def test_positional_cells_without_references_are_measured(tmp_path):
    wide = "".join("<c><v>1</v></c>" for _ in range(300))  # 1000 rows x 101 columns > 100000 at CW1000
    path = write_xlsx(tmp_path / "norefs.xlsx", sheet_xml("<row/>" * 999 + f"<row>{wide}</row>"))
    result = read_isolated(path, max_cells=100_000)
    assert "has a cell at CW1000" in result.get("error", ""), result
    body = "<row><c><v>1</v></c><c><v>2</v></c></row><row/><row><c/><c><v>3</v></c></row>"
    small = write_xlsx(tmp_path / "small.xlsx", sheet_xml(body))
    assert clean(read_raw(small)[0].rows) == [[1, 2], [None, None], [None, 3]]


def test_cell_limit_estimate_is_refined_before_refusing(tmp_path):
    """The first pass rounds bounds to one significant figure; only the finer pass refuses."""
    ok = write_xlsx(tmp_path / "ok.xlsx", sheet_xml('<row r="1001"><c r="Z1001"><v>1</v></c></row>'))
    [sheet] = read_raw(ok, limits=Limits(max_cells=30_000))
    assert sheet.first_row == 1001 and sheet.rows == [[1]]
    over = write_xlsx(tmp_path / "over.xlsx", sheet_xml('<row r="1200"><c r="Z1200"><v>1</v></c></row>'))
    err = raises_file_error(over, "has a cell at Z1200", limits=Limits(max_cells=30_000))
    assert err.limit == "max_cells"


def test_far_empty_formatted_cells_do_not_count(tmp_path):
    body = f'<row r="1">{inline("A1", "x")}</row><row r="1048576"><c r="XFD1048576" s="3"/></row>'
    [sheet] = read_raw(write_xlsx(tmp_path / "fmt.xlsx", sheet_xml(body)))
    assert sheet.rows == [["x"]]


def test_irregular_cells_after_a_coarse_overrun_are_still_caught(tmp_path):
    """A legitimate-looking far cell pushes the first pass over; a prefixed bomb follows it."""
    filler = "".join(f'<row r="{r}"><c r="B{r}" s="1"/></row>' for r in range(2, 60_000))  # > 1 MiB
    body = (
        '<row r="1"><c r="A1"><v>1</v></c></row>'
        '<row r="1050000"><c r="Z1050000"><v>1</v></c></row>'
        + filler
        + '<row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></row>'
    )
    xml = sheet_xml(body).replace("<worksheet ", '<worksheet xmlns:x="urn:x" ')
    result = read_isolated(write_xlsx(tmp_path / "mixed.xlsx", xml))
    assert "has a cell at XFD1048576" in result.get("error", ""), result


def test_malformed_non_sheet_xml_with_cell_like_tags_does_not_block_reading(tmp_path):
    vml = '<xml xmlns:v="urn:v"><v:shape><br><v:c a=1></v:shape>'  # legacy VML is not well formed
    path = write_xlsx(
        tmp_path / "vml.xlsx",
        sheet_xml(f'<row r="1">{inline("A1", "x")}</row>'),
        extra={"xl/drawings/vmlDrawing1.vml": vml},
    )
    assert read_raw(path)[0].rows == [["x"]]


def test_parts_the_reader_never_parses_are_only_counted(tmp_path):
    """customXml/docProps parts may be UTF-16 or carry a DOCTYPE: harmless, never parsed."""
    utf16 = '<?xml version="1.0" encoding="utf-16"?><b:Sources xmlns:b="urn:b"/>'.encode("utf-16")
    path = write_xlsx(
        tmp_path / "custom.xlsx",
        sheet_xml(f'<row r="1">{inline("A1", "x")}</row>'),
        extra={"customXml/item1.xml": utf16, "docProps/custom.xml": '<!DOCTYPE x []><x/>'},
    )
    assert read_raw(path)[0].rows == [["x"]]
    bomb = write_xlsx(
        tmp_path / "custom_bomb.xlsx", sheet_xml(""), extra={"customXml/item1.xml": " " * (20 * 2**20)}
    )
    raises_file_error(bomb, "'customXml/item1.xml' has a compression ratio of")
