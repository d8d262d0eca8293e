"""Shared test helpers: build real evidence workbooks from rows."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parent.parent
LONG_COLUMNS = ["project", "practice", "work_product", "evidence_type", "status", "date", "owner", "party",
                "location", "notes", "weakness"]


def write_long_xlsx(path: Path, rows: list[dict], *, headers: list[str] | None = None, sheet: str = "Evidence",
                    title_rows: int = 0) -> Path:
    """A real xlsx in the long layout; ``date`` values become real date cells."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for i in range(title_rows):
        ws.append([f"Evidence register - title line {i + 1}"])
    cols = headers or LONG_COLUMNS
    ws.append(cols)
    for r in rows:
        ws.append([_cell(r.get(c)) for c in (LONG_COLUMNS if headers is None else cols)])
    wb.save(path)
    return path


def _cell(v):
    if isinstance(v, str) and len(v) == 10 and v[4] == "-" and v[7] == "-":
        try:
            return dt.date.fromisoformat(v)
        except ValueError:
            return v
    return v


@pytest.fixture
def mini_ruleset():
    from iwm_rules import load_ruleset

    return load_ruleset(FIXTURES / "mini-ruleset.yaml")


@pytest.fixture(scope="session")
def export_sample_data():
    """The bundled samples plus a csv of hostile texts, assessed once: what the exporter tests write."""
    from iwm_rules import api

    data_dir = Path(__file__).parent / "data"
    files = sorted((ROOT / "evidence_samples").glob("*.[cx]*")) + [data_dir / "hostile-evidence.csv"]
    return api.run_assessment(files, as_of=dt.date(2026, 11, 30), tailoring=data_dir / "tailoring-export.yaml").data
