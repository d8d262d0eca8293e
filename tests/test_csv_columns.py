"""The csv reader's column-by-column fast path (pandas' C parser, evidence/csvcolumns.py) gives
exactly what the row-by-row Python parser gives: the same sheet (rows, first row, encoding,
delimiter) or the same one-line error, and the same evidence tables once loaded.

Constructs found to differ while building it (routed to the Python parser, tested below): a
second byte-order mark after the first; an unterminated quoted field; a mixed-encoding file."""
from __future__ import annotations

import contextlib
import random
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iwm_rules import load_evidence, load_ruleset
from iwm_rules.errors import EvidenceFileError
from iwm_rules.evidence import csvread
from iwm_rules.evidence.limits import GridRows
from iwm_rules.evidence.raw import LimitExceededError, Limits, read_raw

ROOT = Path(__file__).resolve().parent.parent
RULESETS = [load_ruleset("cmmi-svc-iwm"), load_ruleset("cmmi-svc-wp")]


@contextlib.contextmanager
def python_path():
    """Read csv files with the row-by-row Python parser only."""
    old = csvread.FAST_PATH
    csvread.FAST_PATH = False
    try:
        yield
    finally:
        csvread.FAST_PATH = old


def outcome(path: Path, limits: Limits | None = None) -> tuple:
    """What reading ``path`` gives: the sheet's content, or the error's kind, text and limit."""
    try:
        [sheet] = read_raw(path, limits=limits)
    except EvidenceFileError as exc:
        return ("error", type(exc).__name__, str(exc), getattr(exc, "limit", None))
    return ("sheet", [list(r) for r in sheet.rows], sheet.first_row, sheet.encoding, sheet.delimiter,
            sheet.bad_cells)


def both(path: Path, limits: Limits | None = None) -> tuple[tuple, tuple]:
    fast = outcome(path, limits)
    with python_path():
        slow = outcome(path, limits)
    return fast, slow


@pytest.fixture
def fast_only(monkeypatch):
    """Fail the test if the Python parser reads a csv (the fast path must have answered)."""
    def refuse(*a, **kw):
        raise AssertionError("the row-by-row csv parser was used")
    monkeypatch.setattr(csvread, "_capped_lines", refuse)


def columnar(path: Path, limits: Limits | None = None):
    [sheet] = read_raw(path, limits=limits)
    assert sheet.grid is not None and isinstance(sheet.rows, GridRows)
    return sheet


# ------------------------------------------------------------------ equivalence on hostile bytes

TOKENS = ["a", "b", "é", ",", ";", "\t", '"', '""', "\n", "\r", "\r\n", " ", "=", "\ufeff", "a" * 40, ",,,",
          "1.5", "NaN", "#", "'", "\\", "\x1a", "\x0b", "\x85", "\u2028"]


@st.composite
def csv_bytes(draw) -> bytes:
    text = "".join(draw(st.lists(st.sampled_from(TOKENS), max_size=60)))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "mixed"]))
    if encoding == "mixed":  # lines alternately in UTF-8 and cp1252
        return b"".join(line.encode("utf-8" if i % 2 else "cp1252", errors="ignore")
                        for i, line in enumerate(text.splitlines(keepends=True)))
    data = text.encode(encoding, errors="ignore")
    return data


limits_st = st.one_of(st.none(), st.builds(lambda c, r: Limits(max_cell_chars=c, max_rows=r),
                                           st.integers(1, 60), st.integers(1, 8)))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_bytes(), limits_st)
def test_fast_path_reads_hostile_csv_exactly_like_the_python_parser(data, limits):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.csv"
        path.write_bytes(data)
        fast, slow = both(path, limits)
    assert fast == slow


def test_big_hostile_csv_across_the_parsers_buffers(tmp_path):
    """A 2 MB file of quoted newlines, escapes, blank and ragged rows: what crosses pandas' and
    the text reader's buffer boundaries reads the same, and through the fast path."""
    rnd = random.Random(7)
    cells = ['"multi\nline"', '"say ""hi"""', "plain", "", "é", '"a,b"', '"x\r\ny"', "=1+1", " "]
    lines = []
    for _ in range(40_000):
        if rnd.random() < 0.03:
            lines.append("")
        else:
            lines.append(",".join(rnd.choice(cells) for _ in range(rnd.randint(1, 9))))
    path = tmp_path / "big.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    fast, slow = both(path)
    assert fast == slow and fast[0] == "sheet"
    assert columnar(path).grid.shape[1] == 9  # ragged rows: widened past the first row's width


# ------------------------------------------------------------------ small files through the fast path

def test_blank_rows_dropped_at_the_edges_kept_inside(tmp_path, fast_only):
    path = tmp_path / "blank.csv"
    path.write_bytes(b"\n,,\n  a,b\n\n,\nc,,\n\n,,,\n")
    sheet = columnar(path)
    assert sheet.first_row == 3  # the two leading blank records are dropped and counted
    assert sheet.rows == [["  a", "b"], [None, None], [None, None], ["c", None]]
    assert len(sheet.rows) == 4 and sheet.rows[-1] == ["c", None]


def test_ragged_rows_padded_and_trailing_empties_dropped(tmp_path, fast_only):
    path = tmp_path / "ragged.csv"
    path.write_text("Evidence register\nproject,practice,work_product,,,\nA,IWM.SP1.1,Plan,x,,\n", encoding="utf-8")
    sheet = columnar(path)
    assert sheet.rows == [["Evidence register", None, None, None], ["project", "practice", "work_product", None],
                          ["A", "IWM.SP1.1", "Plan", "x"]]


def test_quoted_newlines_and_doubled_quotes(tmp_path, fast_only):
    path = tmp_path / "quotes.csv"
    path.write_bytes(b'a,"line 1\r\nline 2",c\r\n"say ""yes""",,"x""\ny"\r\n')
    assert columnar(path).rows == [["a", "line 1\r\nline 2", "c"], ['say "yes"', None, 'x"\ny']]


def test_cp1252_file(tmp_path, fast_only):
    path = tmp_path / "legacy.csv"
    path.write_bytes("project;notes\nCafé;€ 5 – “ok”\n".encode("cp1252"))
    sheet = columnar(path)
    assert (sheet.encoding, sheet.delimiter) == ("cp1252", ";")
    assert sheet.rows == [["project", "notes"], ["Café", "€ 5 – “ok”"]]


def test_utf8_file_with_byte_order_mark(tmp_path, fast_only):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfproject\tpractice\nZ\xc3\xa9ta\tIWM.SP1.1\n")
    sheet = columnar(path)
    assert (sheet.encoding, sheet.delimiter) == ("utf-8-sig", "\t")
    assert sheet.rows[0] == ["project", "practice"] and sheet.rows[1] == ["Zéta", "IWM.SP1.1"]


def test_row_limit_through_the_fast_path(tmp_path, fast_only):
    path = tmp_path / "rows.csv"
    path.write_text("\n" + "a,b\n" * 3 + "\n\n" + "c\n", encoding="utf-8")
    assert len(columnar(path, Limits(max_rows=6)).rows) == 6  # blank rows between count
    with pytest.raises(LimitExceededError) as err:
        read_raw(path, limits=Limits(max_rows=5))
    assert err.value.limit == "max_rows" and "more than 5 rows" in str(err.value)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


def test_cell_limit_through_the_fast_path_names_the_row(tmp_path, fast_only):
    path = tmp_path / "cells.csv"
    path.write_text('\nproject,notes\nA,short\nB,"' + "x" * 30 + '"\nC,' + "y" * 40 + "\n", encoding="utf-8")
    with pytest.raises(LimitExceededError) as err:
        read_raw(path, limits=Limits(max_cell_chars=25))
    assert err.value.limit == "max_cell_chars"
    assert "row 4: a cell exceeds 25 characters" in str(err.value)  # the record number, blank line included
    assert columnar(path, Limits(max_cell_chars=40)).rows[-1] == ["C", "y" * 40]


def test_a_cell_over_the_limit_before_the_row_limit_is_named_first(tmp_path, fast_only):
    path = tmp_path / "both.csv"
    path.write_text("a\n" + "b" * 12 + "\nc\nd\n", encoding="utf-8")
    with pytest.raises(LimitExceededError, match="row 2: a cell exceeds 10"):
        read_raw(path, limits=Limits(max_cell_chars=10, max_rows=2))
    path.write_text("a\nb\nc\n" + "d" * 12 + "\n", encoding="utf-8")
    with pytest.raises(LimitExceededError, match="more than 2 rows"):
        read_raw(path, limits=Limits(max_cell_chars=10, max_rows=2))


# ------------------------------------------------------------------ where the Python parser reads

@pytest.mark.parametrize("data", [
    pytest.param(b"\xef\xbb\xbf\xef\xbb\xbfa,b\n", id="second-byte-order-mark"),
    pytest.param(b'a,b\nc,"open quote\n', id="unterminated-quote"),
    pytest.param("a,é\n".encode() + "b,é\n".encode("cp1252") + "c,é\n".encode(), id="mixed-encoding"),
    pytest.param(b"\xef\xbb\xbfa,\xff\n", id="bom-then-undecodable"),
    pytest.param(b"", id="empty"),
    pytest.param(b"\n\r\n\n", id="only-blank-lines"),
])
def test_constructs_the_parsers_differ_on_are_read_by_the_python_parser(tmp_path, data):
    path = tmp_path / "odd.csv"
    path.write_bytes(data)
    fast, slow = both(path)
    assert fast == slow
    if fast[0] == "sheet":
        assert read_raw(path)[0].grid is None


def test_second_byte_order_mark_stays_in_the_first_cell(tmp_path):
    path = tmp_path / "bom2.csv"
    path.write_bytes(b"\xef\xbb\xbf\xef\xbb\xbfa,b\n")
    assert read_raw(path)[0].rows == [["\ufeffa", "b"]]


def test_a_line_near_the_line_cap_is_left_to_the_python_parser(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("a," * 20 + "\nb\n", encoding="utf-8")  # 40 characters; the line cap is 16 * 2 + 2
    fast, slow = both(path, Limits(max_cell_chars=2))
    assert fast == slow and fast[0] == "error" and "row 1: a line exceeds 32 characters" in fast[2]


def test_much_wider_later_rows_are_read_by_retrying_wider(tmp_path, fast_only):
    path = tmp_path / "wide.csv"
    path.write_text("title\n" + ",".join("x" * 3) + "\n" + ",".join(["y"] * 50) + ",,,\n", encoding="utf-8")
    sheet = columnar(path)
    assert [len(r) for r in sheet.rows] == [50, 50, 50] and sheet.rows[2] == ["y"] * 50


# ------------------------------------------------------------------ the rows sequence

def test_grid_rows_behave_like_a_list_of_rows(tmp_path):
    path = tmp_path / "seq.csv"
    path.write_text("h1,h2\n1,\n\n3,4\n", encoding="utf-8")
    sheet = columnar(path)
    plain = [["h1", "h2"], ["1", None], [None, None], ["3", "4"]]
    rows = sheet.rows
    assert rows == plain and list(rows) == plain and len(rows) == 4 and rows
    assert rows[1] == ["1", None] and rows[-1] == ["3", "4"] and rows[1:3] == plain[1:3]
    assert rows[::-1] == plain[::-1] and rows[:20] == plain and rows[5:] == [] and not rows[5:]
    assert rows[1:][0] == ["1", None] and rows[1:][-1] == ["3", "4"]
    with pytest.raises(IndexError):
        rows[4]
    assert rows.blank().tolist() == [False, False, True, False]
    assert rows.column(1, 1).tolist() == [None, None, "4"] and rows.column(7).tolist() == [None] * 4
    assert list(sheet.grid.columns) == [0, 1] and all(d.kind == "O" for d in sheet.grid.dtypes)


# ------------------------------------------------------------------ whole pipeline

def loaded(paths: list[Path]):
    ev = load_evidence(paths, RULESETS)
    return ev, [f.as_record() for f in ev.files], [str(e) for e in ev.errors]


def assert_same_evidence(paths: list[Path]) -> None:
    fast, fast_files, fast_errors = loaded(paths)
    with python_path():
        slow, slow_files, slow_errors = loaded(paths)
    pd.testing.assert_frame_equal(fast.table, slow.table)
    pd.testing.assert_frame_equal(fast.rejected, slow.rejected)
    assert fast_files == slow_files and fast_errors == slow_errors
    assert fast.warnings == slow.warnings and fast.bridge == slow.bridge


def test_samples_and_fixtures_load_the_same_either_way():
    paths = sorted((ROOT / "evidence_samples").glob("*.csv")) + sorted((ROOT / "tests").rglob("*.csv"))
    assert len(paths) >= 2
    for p in paths:
        assert read_raw(p)[0].grid is not None  # these go through the fast path
    assert_same_evidence(paths)


def test_layouts_with_blank_title_and_rejected_rows_load_the_same_either_way(tmp_path):
    long = tmp_path / "long.csv"
    long.write_text("Evidence register of Lyra,,\n\n"
                    "Project,Practice ID,Work Product Name,Evidence Type,Status,Version Date\n"
                    "Lyra,IWM.SP1.1,Process description,artifact,approved,2026-07-01\n\n"
                    "Lyra,IWM.SP9.9,Unknown practice row,artifact,approved,2026-07-01\n"
                    "Lyra,IWM.SP1.2,Evidence name,,,\n"
                    ",IWM.SP1.4,No project,artifact,approved,2026-07-01\n"
                    "Lyra,IWM.SP1.4,Kick-off,artifact,approved,31/02/2026\n"
                    "Lyra,IWM.SP1.1,Process description,artifact,approved,2026-07-01\n,,,\n", encoding="utf-8")
    matrix = tmp_path / "matrix.csv"
    matrix.write_text("Document,IWM SP1.1,IWM SP1.2,IWM SP2.1\nProject plan,X,,X\nMinutes,,X,\n\n"
                      "Notes: reviewed in October,,,\n", encoding="utf-8")
    piid = tmp_path / "piid.csv"
    piid.write_text("Practice,Direct artifact,Indirect artifact,Affirmation\n"
                    "IWM SP1.1,Process description,Review minutes,Interview PM\n"
                    "IWM SP1.2,Plan,,\n", encoding="utf-8")
    for p in (long, matrix, piid):
        assert read_raw(p)[0].grid is not None
        assert_same_evidence([p])
    ev = load_evidence([long], RULESETS)
    assert ev.files[0].rows_read == ev.files[0].rows_accepted + ev.files[0].rows_rejected + ev.files[0].rows_skipped
    assert ev.files[0].skipped["blank"] >= 2 and len(ev.rejected)


def test_a_cell_over_the_limit_made_of_short_lines_is_found(tmp_path, fast_only):
    """Every physical line is short, but one quoted cell spans twenty of them."""
    path = tmp_path / "multiline.csv"
    path.write_text('project,notes\nA,"' + "ab\n" * 20 + '"\nB,ok\n', encoding="utf-8")
    with pytest.raises(LimitExceededError, match="row 2: a cell exceeds 25 characters"):
        read_raw(path, limits=Limits(max_cell_chars=25))
    assert columnar(path, Limits(max_cell_chars=60)).rows[1] == ["A", "ab\n" * 20]
