"""Document x practice matrix: rows are documents, columns are practice ids, cells are marks.

::

    Cat | Document              | Release Date | MC 2.1 | PLAN 2.7 | IWM SP 1.1 | Comment
    P   | Project plan v3       | 2026-05-01   |        | G        |            |
    P   | Tailoring record      | var          |        |          | A          | short
    Characterisation          |              |        | LM       | PM         |

The header row (in the first 20 rows) has a document-name column (``Name``, ``Document``,
``Work product``, ``Artifact``) and two or more columns headed by practice ids (ours, aliases or
other frameworks' ids such as ``MC 2.1``). Each non-blank cell under a practice is a mark read
through the legend (:data:`DEFAULT_LEGEND`, or a ``--legend`` file); any other mark is a
rejected cell (``unknown_mark``). The table ends at the first fully blank row or footer row
(``Comment``, ``Characterisation``, ``Rating``, ``Recommendation``, ``Reference``, ``Grading``);
a ``Characterisation``/``Rating`` row below it is the team's recorded characterization per
practice column, a ``Recommendation`` row the team's recommendation per practice column.

What the reader hands back beside the candidate frame (``frame.attrs``): ``rejected`` (cells it
rejected itself), ``warnings`` (odd dates, practice columns no selected ruleset or mapping
knows) and ``note_rows`` (footer rows whose items are team notes, not documents: counted as
skipped headings, not as accepted rows).
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from ..errors import IwmRulesError
from .columns import HEADER_TO_COLUMN, header_key

HEADER_SCAN_ROWS = 20
NAME_HEADERS = {header_key(h) for h in ("name", "document", "document name", "work product", "work product name",
                                        "artifact", "artifact name", "artefact", "document title")}
FOOTER_LABELS = ("comment", "characterisation", "characterization", "rating", "recommendation", "reference", "grading")
RECORDED_LABELS = ("characterisation", "characterization", "rating")
#: a practice-id column header: CMMI style (``MC 2.1``, ``IWM SP 1.1``, ``WP.SP2.7``) or dotted ids (``TPS.PLAN``),
#: alone or followed by the practice's title (``MC 2.1 - Track actual results``, or on a second line)
PRACTICE_HEADER = re.compile(
    r"^((?:[A-Za-z]{2,6}\s*[._-]?\s*(?:(?:SP|GP)\s*[._-]?\s*)?\d+(?:\.\d+)+|[A-Z]{2,}[A-Z0-9]*(?:\.[A-Z0-9]+){1,3}))"
    r"(?:\s*(?:[-:\u2013|]|\n)\s*\S.*|\s+[A-Za-z(].*)?$", re.DOTALL)
KINDS = ("mapped", "sufficient", "attention", "follow_up", "unverified", "none")

#: mark -> kind; marks compare case-insensitively after trimming
DEFAULT_LEGEND: dict[str, str] = {
    "X": "mapped", "x": "mapped", "M": "mapped", "Y": "mapped", "yes": "mapped", "✓": "mapped",
    "G": "sufficient", "S": "sufficient",
    "A": "attention",
    "F": "follow_up",
    "?": "unverified",
}
LEGEND_MAX_BYTES = 64 * 1024
LEGEND_MAX_MARKS = 200


class LegendError(IwmRulesError):
    """A legend file cannot be used; the message is one line naming the file."""


def mark_key(v: object) -> str:
    return " ".join(str(v).split()).casefold()


def legend_table(legend: dict[str, str] | None) -> dict[str, str]:
    return {mark_key(k): v for k, v in (legend or DEFAULT_LEGEND).items()}


def load_legend(path: str | Path) -> dict[str, str]:
    """A legend file: ``marks: {MARK: kind}`` (kinds: mapped, sufficient, attention, follow_up,
    unverified, none), merged over the default legend unless ``replace_default: true``."""
    from ..yamlio import load_yaml
    import yaml

    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise LegendError(f"{p}: cannot read the legend file ({exc.strerror or exc})") from None
    if size > LEGEND_MAX_BYTES:
        raise LegendError(f"{p}: the legend file is {size} bytes, over the {LEGEND_MAX_BYTES}-byte limit for a legend")
    try:
        data = load_yaml(p)
    except (yaml.YAMLError, OSError, UnicodeDecodeError) as exc:
        raise LegendError(f"{p}: not a valid YAML legend ({' '.join(str(exc).split())[:200]})") from None
    except (TypeError, ValueError, RecursionError):  # e.g. a list used as a mapping key
        raise LegendError(f"{p}: not a valid YAML legend (marks must be plain text keys)") from None
    usage = "write 'marks: {X: mapped, G: sufficient, A: attention, F: follow_up, \"?\": unverified}'"
    if not isinstance(data, dict) or not isinstance(data.get("marks"), dict):
        raise LegendError(f"{p}: a legend needs a 'marks' mapping; {usage}")
    unknown = set(data) - {"marks", "replace_default", "description", "__duplicate_keys__"}
    if unknown:
        raise LegendError(f"{p}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; {usage}")
    marks = data["marks"]
    if len(marks) > LEGEND_MAX_MARKS:
        raise LegendError(f"{p}: more than {LEGEND_MAX_MARKS} marks")
    out = {} if data.get("replace_default") is True else dict(DEFAULT_LEGEND)
    for mark, kind in marks.items():
        if mark == "__duplicate_keys__":
            raise LegendError(f"{p}: mark {marks[mark][0][0]!r} is given twice (line {marks[mark][0][1]})")
        if not isinstance(mark, (str, int, float, bool)) or not str(mark).strip() or len(str(mark)) > 40:
            shown = repr(str(mark)[:40]) if isinstance(mark, (str, int, float, bool)) else f"of type {type(mark).__name__}"
            raise LegendError(f"{p}: mark {shown} must be a short text")
        if not isinstance(kind, str) or kind not in KINDS:
            shown = repr(kind[:40]) if isinstance(kind, str) else f"a {type(kind).__name__}"  # never expand aliases
            raise LegendError(f"{p}: mark {mark!r}: kind must be one of {', '.join(KINDS)}, not {shown}")
        mark = "yes" if mark is True else "no" if mark is False else mark
        out = {k: v for k, v in out.items() if mark_key(k) != mark_key(mark)}
        out[str(mark)] = kind
    return out


def describe_legend(legend: dict[str, str] | None) -> str:
    by_kind: dict[str, list[str]] = {}
    for mark, kind in (legend or DEFAULT_LEGEND).items():
        by_kind.setdefault(kind, []).append(mark)
    return "; ".join(f"{'/'.join(v)} {k.replace('_', '-')}" for k, v in by_kind.items())


# --------------------------------------------------------------------------- header

def _date_priority(key: str) -> int | None:
    if "date" not in key:
        return None
    return 0 if "latest" in key or "last" in key else 1 if key == "date" else 2


def find_header(rows: list[list]) -> tuple[int, dict[int, str]] | None:
    """(header row index, columns): ``work_product`` (document name), ``@<id>`` per practice column,
    ``date:<n>`` per date column (n = priority), and other canonical columns."""
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        name_at = next((j for j, c in enumerate(row) if header_key(c) in NAME_HEADERS), None)
        ids = {j: PRACTICE_HEADER.match(c.strip()) for j, c in enumerate(row) if isinstance(c, str)}
        practice_cols = [j for j, m in ids.items() if m]
        if name_at is None or len(practice_cols) < 2:
            continue
        cols: dict[int, str] = {name_at: "work_product"}
        for j in practice_cols:
            cols[j] = "@" + " ".join(ids[j].group(1).split())
        for j, c in enumerate(row):
            if j in cols or c is None or c == "":
                continue
            key = header_key(c)
            prio = _date_priority(key)
            canon = HEADER_TO_COLUMN.get(key)
            if prio is None and canon == "date":  # "Last updated", "Version date", ...
                prio = 0 if "last" in key else 1
            if prio is not None:
                cols[j] = f"date:{prio}"
            elif canon in ("project", "owner", "status", "location", "notes", "party") and canon not in cols.values():
                cols[j] = canon
        return i, cols
    return None


def marks_a_known_practice(rows: list[list], found: tuple[int, dict[int, str]], known) -> bool:
    """True when a named document (not template text such as "atm to complete") is marked under a
    practice column that ``known`` accepts: how a hidden template sheet shows it has been filled in."""
    from .table import PLACEHOLDER_KEYS, word_key

    at, cols = found
    name_at = next(j for j, n in cols.items() if n == "work_product")
    usable = [j for j, n in cols.items() if n.startswith("@") and known(n[1:])]
    for r in rows[at + 1:]:
        if _blank(r) or _is_footer(r, name_at):
            break
        v = r[name_at] if name_at < len(r) else None
        if v not in (None, "") and word_key(str(v)) not in PLACEHOLDER_KEYS and \
                any(j < len(r) and r[j] not in (None, "") for j in usable):
            return True
    return False


# --------------------------------------------------------------------------- body

def _col_letter(j: int) -> str:
    s, n = "", j + 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


_DMY = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_YMD = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


def read_date(v: object) -> tuple[dt.date | None, str]:
    """(date or None, why it is odd or ''): text like ``var``/``?``, formula text and zero dates are odd."""
    if v is None or v == "":
        return None, ""
    if isinstance(v, dt.datetime) or isinstance(v, dt.date):
        d = v.date() if isinstance(v, dt.datetime) else v
        if d.year < 1901:  # Excel's day 0 (shown as 00:00:00) or an error serial
            return None, "a zero date (Excel shows 00:00:00)"
        return d, ""
    if isinstance(v, (dt.time, dt.timedelta)):
        return None, "a zero date (Excel shows 00:00:00)" if not v or v == dt.time(0) else "a time, not a date"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return None, "a zero date (Excel shows 00:00:00)" if v == 0 else "a number, not a date"
    text = str(v).strip()
    if text.startswith(("=", "#")):
        return None, "a formula or reference, not a date"
    m = _YMD.match(text)
    try:
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))), ""
        m = _DMY.match(text)
        if m:
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1))), ""
    except ValueError:
        return None, "not a valid date"
    return None, "not a date"


def _label(row: list, name_at: int) -> str:
    """The footer label of a row: its name cell, else its first non-blank cell."""
    cells = [row[name_at]] if name_at < len(row) else []
    cells += [c for c in row if c not in (None, "")][:1]
    for c in cells:
        if isinstance(c, str) and c.strip():
            return header_key(c)
    return ""


def _is_footer(row: list, name_at: int) -> bool:
    return _label(row, name_at).startswith(FOOTER_LABELS)


def _blank(row: list) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in row)


def candidate_frame(rows: list[list], header_at: int, cols: dict[int, str], *, file: str, sheet: str | None,
                    first_row: int, known=None, legend: dict[str, str] | None = None) -> pd.DataFrame:
    """One candidate row per marked cell; ``known(practice id) -> bool`` says which practice columns are usable."""
    marks = legend_table(legend)
    header = rows[header_at]
    name_at = next(j for j, n in cols.items() if n == "work_product")
    practice_cols = {j: n[1:] for j, n in cols.items() if n.startswith("@")}
    date_cols = sorted((int(n.split(":")[1]), j) for j, n in cols.items() if n.startswith("date:"))
    other = {j: n for j, n in cols.items() if not n.startswith(("@", "date:")) and n != "work_product"}
    usable = {j: pid for j, pid in practice_cols.items() if known is None or known(pid)}
    sheet_name = sheet or ""
    rejected, warnings = [], []
    body_start = header_at + 1
    end = len(rows)
    for k in range(body_start, len(rows)):
        if _blank(rows[k]) or _is_footer(rows[k], name_at):
            end = k
            break
    table = rows[body_start:end]

    def cell(r: list, j: int):
        v = r[j] if j < len(r) else None
        return v.strip() if isinstance(v, str) else v

    # a leading one-letter category column (left of the name, not otherwise mapped) is kept in notes
    category_at = None
    for j in range(name_at):
        if j in cols:
            continue
        vals = [cell(r, j) for r in table if cell(r, j) not in (None, "")]
        if vals and all(isinstance(v, str) and len(v) == 1 and v.isalpha() for v in vals):
            category_at = j
            break

    out = []
    unknown_marks: dict[int, int] = {}
    for offset, r in enumerate(table):
        rownum = first_row + body_start + offset
        name = cell(r, name_at)
        name = "" if name is None else str(name)
        date = None
        for _, j in date_cols:
            d, odd = read_date(cell(r, j))
            if odd:
                warnings.append({"file": file, "sheet": sheet_name, "row": rownum, "column": str(header[j]),
                                 "value": str(cell(r, j)),
                                 "message": f"{header[j]} {str(cell(r, j))!r} is {odd}: the document's date is left blank"})
            if d is not None and date is None:
                date = d
        notes = []
        if category_at is not None and cell(r, category_at):
            notes.append(f"category {cell(r, category_at)}")
        if "notes" in other.values():
            j = next(j for j, n in other.items() if n == "notes")
            if cell(r, j) not in (None, ""):
                notes.append(str(cell(r, j)))
        base = {"file": file, "sheet": sheet_name, "row": rownum, "work_product": name, "evidence_type": "artifact",
                "date": date}
        for j, n in other.items():
            if n != "notes":
                base[n] = cell(r, j)
        items = []
        for j, pid in practice_cols.items():
            v = cell(r, j)
            if v in (None, ""):
                continue
            if j not in usable:
                unknown_marks[j] = unknown_marks.get(j, 0) + 1
                continue
            kind = marks.get(mark_key(v))
            if kind is None:
                rejected.append({"file": file, "sheet": sheet_name, "row": rownum,
                                 "column": f"{pid} ({_col_letter(j)})", "value": str(v), "reason": "unknown_mark",
                                 "hint": "use a mark of the legend (" + describe_legend(legend)
                                         + "), or give your marks with --legend FILE; a row is used whole or not "
                                           "at all, so this document's other marks wait for this one"})
                continue
            if kind == "none":
                continue
            item = {**base, "practice": pid, "notes": "; ".join(notes)}
            mark = str(v)
            if kind == "sufficient":
                item["judged"] = "adequate"
            elif kind == "attention":
                item["weakness"] = f"attention: '{name}' is brief or lacks detail (matrix mark {mark})"
            elif kind == "follow_up":
                item["judged"] = "inadequate"
                item["weakness"] = f"follow-up: '{name}' is inadequate for {pid} (matrix mark {mark})"
            elif kind == "unverified":
                item["judged"] = "unverified"
                item["notes"] = "; ".join([*notes, f"mapping not verified (matrix mark {mark})"])
            items.append(item)
        if not items:  # a document with no usable mark: kept so the row is accounted for (skipped)
            items.append({"file": file, "sheet": sheet_name, "row": rownum})
        out.extend(items)
    for j, n in unknown_marks.items():
        warnings.append({"file": file, "sheet": sheet_name, "column": f"{practice_cols[j]} ({_col_letter(j)})",
                         "message": f"practice column {practice_cols[j]!r} is in no selected ruleset and no mapping "
                                    f"relates it: its {n} mark(s) are not used"})
    note_rows = set()
    for k in range(end, len(rows)):
        label = _label(rows[k], name_at)
        field = "recorded" if label.startswith(RECORDED_LABELS) else \
            "recommendation" if label.startswith("recommendation") else None
        if field is None:
            continue
        rownum = first_row + k
        for j, pid in usable.items():
            v = cell(rows[k], j)
            if v in (None, ""):
                continue
            note_rows.add(rownum)
            out.append({"file": file, "sheet": sheet_name, "row": rownum, "practice": pid,
                        "evidence_type": "observation", field: str(v),
                        "work_product": "Recorded characterization" if field == "recorded" else "Recommendation"})
    columns = ["project", "practice", "work_product", "evidence_type", "status", "date", "owner", "party", "location",
               "notes", "weakness", "judged", "recorded", "recommendation", "file", "sheet", "row"]
    frame = pd.DataFrame(out, columns=columns)
    frame.attrs.update(rejected=rejected, warnings=warnings, note_rows=note_rows)
    return frame
