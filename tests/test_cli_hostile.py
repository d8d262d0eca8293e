"""Hostile and broken files through the real command: one clear line, exit 3, no traceback,
within bounded time and memory (each run in its own process, under an address-space cap)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from .test_raw_readers import BILLION_LAUGHS, SHEET_HEAD, SHEET_TAIL, _workbook_parts, inline, sheet_xml, write_xlsx

RUNNER = textwrap.dedent("""\
    import json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))
    from click.testing import CliRunner
    from iwm_rules.cli import main
    t = time.perf_counter()
    res = CliRunner().invoke(main, sys.argv[1:])
    print(json.dumps({"exit": res.exit_code, "output": res.output, "seconds": time.perf_counter() - t,
                      "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "exception": repr(res.exception) if res.exit_code not in (0, 1, 2, 3, 4) else None}))
""")


def run_cli(*args, timeout=120) -> dict:
    proc = subprocess.run([sys.executable, "-c", RUNNER, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=Path(__file__).resolve().parent.parent)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def assert_refused(path: Path, message: str, tmp_path: Path, seconds: float = 30, mb: float = 600):
    r = run_cli("assess", path, "-o", tmp_path / "out")
    assert r["exit"] == 3, r
    lines = r["output"].strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}: "), r["output"]
    assert message in lines[0]
    assert "Traceback" not in r["output"]
    assert r["seconds"] < seconds and r["maxrss_mb"] < mb, r
    assert not (tmp_path / "out" / "assessment.json").exists()


def test_not_a_spreadsheet(tmp_path):
    p = tmp_path / "minutes.xlsx"
    p.write_text("Meeting minutes, not a workbook\n")
    assert_refused(p, "not a spreadsheet (expected .xlsx, .xlsm or .csv)", tmp_path)


def test_truncated_zip(tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", sheet_xml(f'<row r="1">{inline("A1", "x")}</row>'))
    p = tmp_path / "cut.xlsx"
    p.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert_refused(p, "not a valid xlsx (damaged or truncated zip)", tmp_path)


def test_password_protected_workbook(tmp_path):
    p = tmp_path / "locked.xlsx"
    p.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 4096)
    assert_refused(p, "password-protected or legacy .xls workbook: save it as .xlsx without a password", tmp_path)


def test_zip_bomb(tmp_path):
    payload = sheet_xml("").replace("<sheetData>", "<sheetData>" + " " * (50 * 2**20))
    p = write_xlsx(tmp_path / "bomb.xlsx", payload)
    assert p.stat().st_size < 2**20
    assert_refused(p, "possible zip bomb", tmp_path)


def test_zip_bomb_limit_is_configurable(tmp_path):
    payload = sheet_xml("").replace("<sheetData>", "<sheetData>" + " " * (3 * 2**20))
    p = write_xlsx(tmp_path / "big.xlsx", payload)
    r = run_cli("assess", p, "-o", tmp_path / "o")
    assert r["exit"] == 3 and "ratio limit (200:1" in r["output"] and "raise it with --max-ratio" in r["output"], r
    r = run_cli("assess", p, "-o", tmp_path / "o", "--max-ratio", "100000", "--max-uncompressed-mb", "2")
    assert r["exit"] == 3 and "size limit (2 MiB)" in r["output"] and "--max-uncompressed-mb" in r["output"], r
    r = run_cli("assess", p, "-o", tmp_path / "o", "--max-ratio", "100000")
    assert r["exit"] == 3 and "no evidence table found" in r["output"], r  # read, and simply empty


def test_xml_entity_expansion(tmp_path):
    p = write_xlsx(tmp_path / "laughs.xlsx", BILLION_LAUGHS)
    assert_refused(p, "XML entity declarations (possible entity-expansion attack)", tmp_path)


def test_million_empty_formatted_rows(tmp_path):
    p = tmp_path / "formatted.xlsx"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for member, text in _workbook_parts(["Sheet1"], False).items():
            z.writestr(member, text)
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            f.write(SHEET_HEAD.encode())
            f.write(f'<row r="1">{inline("A1", "Evidence register")}</row>'.encode())
            for start in range(2, 1_000_001, 50_000):
                f.write("".join(f'<row r="{r}" s="1" customFormat="1"><c r="A{r}" s="1"/><c r="B{r}" s="1"/></row>'
                                for r in range(start, min(start + 50_000, 1_000_001))).encode())
            f.write(SHEET_TAIL.encode())
    assert_refused(p, "no evidence table found", tmp_path)


def test_csv_with_a_10_mb_cell(tmp_path):
    p = tmp_path / "huge.csv"
    p.write_text("project,practice,work_product\nA,IWM.SP1.1," + "x" * (10 * 2**20) + "\n")
    assert_refused(p, "a cell exceeds 1000000 characters", tmp_path)


@pytest.mark.parametrize("name", ["missing.xlsx"])
def test_missing_file(tmp_path, name):
    assert_refused(tmp_path / name, "file not found", tmp_path)
