"""Property: for any messy table, every row is accepted, rejected or skipped (the counts add
up), and every accepted row carries exactly the values that were in the sheet."""
from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iwm_rules import load_evidence, load_ruleset

RULESETS = [load_ruleset("cmmi-svc-iwm"), load_ruleset("cmmi-svc-wp")]
text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
practices = st.one_of(st.sampled_from(["IWM.SP1.1", "iwm sp 1.4", "IWM 2.3", "WP SP 2.7", "IPM SP 1.6", "IWM.SP9.9",
                                       "", None, "  IWM-SP1.2  "]), text)
work_products = st.one_of(st.sampled_from(["Integrated plan", "Evidence name", "", None, "  Team charter  ",
                                           "=HYPERLINK(\"x\")"]), text)
statuses = st.sampled_from(["approved", "Approved", "BASELINED", "in review", "draft", "", None, "signed"])
types = st.sampled_from(["artifact", "Direct", "indirect", "affirmation", "", None, "rumour"])
dates = st.one_of(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31)),
                  st.sampled_from(["2026-01-31", "31/01/2026", "", None, "2026-02-30"]))
projects = st.sampled_from(["A", "B", " C ", "", None, 42])
rows = st.lists(st.tuples(projects, practices, work_products, types, statuses, dates), max_size=25)


def _messy_xlsx(path: Path, data) -> Path:
    """A real workbook of the generated rows under a long-layout header (text stored as text)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Project", "Practice", "Work product", "Evidence type", "Status", "Date"])
    for r in data:
        ws.append(list(r))
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # store text as text, never as a formula
    wb.save(path)
    return path


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows)
def test_no_row_is_lost_and_accepted_values_survive(data):
    with tempfile.TemporaryDirectory() as tmp:
        path = _messy_xlsx(Path(tmp) / "messy.xlsx", data)
        ev = load_evidence([path], RULESETS, project="Default")
    f = ev.files[0]
    assert f.rows_read == f.rows_accepted + f.rows_rejected + f.rows_skipped
    assert sum(f.skipped.values()) == f.rows_skipped  # every skipped row has a reason
    # one rejected entry per bad cell: a row is counted once however many of its cells are bad
    assert f.rows_accepted == len(ev.table) and f.rows_rejected == ev.rejected["row"].nunique()
    assert not ev.rejected.duplicated(["row", "column", "reason"]).any()
    seen = set(ev.table["row"]) | set(ev.rejected["row"])
    assert len(seen) == f.rows_accepted + f.rows_rejected
    for _, acc in ev.table.iterrows():
        project, practice, wp, etype, status, date = data[acc["row"] - 2]
        # the name exactly as written (look-alikes are warned about, never merged); blank -> --project
        expected_project = str(project) if project not in (None, "") and str(project).strip() else "Default"
        assert acc["project"] == expected_project
        assert acc["work_product"] == str(wp).strip()
        assert acc["status"] == ("" if status in (None, "") else {"in review": "in_review"}.get(status, status.lower()))
        if isinstance(date, dt.date):
            assert acc["date"].date() == date
        elif date == "2026-01-31":
            assert acc["date"].date() == dt.date(2026, 1, 31)
        else:
            assert str(acc["date"]) == "NaT"


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows)
def test_every_bad_cell_is_listed_once_and_nothing_else(data):
    """The rejected entries are exactly the bad cells of the rows that are not skipped."""
    from iwm_rules.evidence.table import PLACEHOLDER_KEYS, word_key
    from iwm_rules.ruleset import Catalogue, normalize_practice_key

    known = Catalogue(RULESETS).key_to_id
    with tempfile.TemporaryDirectory() as tmp:
        path = _messy_xlsx(Path(tmp) / "messy.xlsx", data)
        ev = load_evidence([path], RULESETS, project="Default")
    expected = set()
    for i, (project, practice, wp, etype, status, date) in enumerate(data, start=2):
        if all(_blank(v) for v in (project, practice, wp, etype, status, date)):
            continue
        placeholder = not _blank(wp) and word_key(str(wp)) in PLACEHOLDER_KEYS
        affirmation = not _blank(etype) and word_key(etype) == "affirmation"
        if placeholder and _blank(status) and not affirmation:
            continue  # a template row: skipped whatever else it holds
        if _blank(practice):
            expected.add((i, "practice"))
        elif known.get(normalize_practice_key(str(practice).strip())) is None:
            expected.add((i, "practice"))
        if _blank(wp) or placeholder:
            expected.add((i, "work_product"))
        if not _blank(etype) and word_key(etype) not in ("artifact", "direct", "indirect", "affirmation"):
            expected.add((i, "evidence_type"))
        if not _blank(status) and word_key(status) not in ("draft", "inreview", "approved", "baselined", "obsolete"):
            expected.add((i, "status"))
        if date in ("31/01/2026", "2026-02-30"):
            expected.add((i, "date"))
    got = list(zip(ev.rejected["row"], ev.rejected["column"]))
    assert sorted(got) == sorted(expected)
