"""A blank evidence workbook for an appraisal team to fill in, built from the selected rulesets.

Sheets:

* ``Instructions``: what each column means, the allowed values, how to run the assessment and
  which rulesets (id, title, version) the workbook was made from;
* ``Evidence`` (layout ``long``): the evidence header row the loader recognises, with dropdowns
  and input messages, or ``PIID`` (layout ``piid``): one pre-filled row per practice;
* ``Catalogue``: one row per practice x expected work product;
* ``Lists`` (hidden): the practice ids the practice dropdown refers to (a literal list in a data
  validation may not exceed 255 characters).

No sheet other than ``Evidence`` carries a header row that the long-layout reader would take for
evidence, so the Instructions, Catalogue and Lists rows are only ever counted as skipped.

Every text cell goes through ``write_string`` (and the workbook is opened with
``strings_to_formulas`` off), so a title such as ``=HYPERLINK(...)`` is stored as text, never as
a formula (DESIGN §8). The file is written to a temporary name and renamed.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import xlsxwriter

from .exporters import atomic_write
from .model import EVIDENCE_TYPES, PARTIES, STATUSES, Practice, Ruleset

__all__ = ["LAYOUTS", "LONG_HEADERS", "PIID_HEADERS", "CATALOGUE_HEADERS", "DATA_ROWS", "write_template"]

LAYOUTS = ("long", "piid")

#: header row of the ``Evidence`` sheet, in the order of the README table
LONG_HEADERS = ("project", "practice", "work_product", "evidence_type", "status", "date", "owner", "party",
                "location", "notes", "weakness")
#: header row of the ``PIID`` sheet
PIID_HEADERS = ("Project", "Practice", "Practice Title", "Direct Artifacts", "Indirect Artifacts", "Affirmations",
                "Weaknesses", "Strengths")
#: header row of the ``Catalogue`` sheet. The work product columns are deliberately not named
#: like an evidence column ("work product", "artifact", ...) so that the loader never reads the
#: catalogue as evidence.
CATALOGUE_HEADERS = ("Ruleset", "Goal", "Practice ID", "Practice Title", "Expected Work Product ID",
                     "Expected Work Product", "Required", "Provenance")

#: the dropdowns and formats cover spreadsheet rows 2..DATA_ROWS
DATA_ROWS = 5000

EVIDENCE_SHEET = "Evidence"
PIID_SHEET = "PIID"
CATALOGUE_SHEET = "Catalogue"
INSTRUCTIONS_SHEET = "Instructions"
LISTS_SHEET = "Lists"
LISTS_HEADER = "Practice IDs"

_DATE_MIN = dt.date(1980, 1, 1)
_DATE_MAX = dt.date(2099, 12, 31)

#: column -> (required, meaning, allowed values); same meanings as the README table
_LONG_COLUMNS: dict[str, tuple[str, str, str]] = {
    "project": ("yes*", "Project / work group the evidence belongs to.",
                "Free text. *May be left empty when the whole file is one project: the file name is used "
                "(or pass --project NAME)."),
    "practice": ("yes", "The practice the evidence supports.",
                 "A practice id from the Catalogue sheet (dropdown), or another spelling of it: {spellings}."),
    "work_product": ("yes", "Name of the artifact (or of the affirmation), as the team knows it. It is matched "
                            "against the expected work products listed on the Catalogue sheet.",
                     "Free text, e.g. 'Integrated work plan v2'."),
    "evidence_type": ("no", "Kind of evidence.",
                      "artifact (default when empty; direct / indirect are read as artifact) or affirmation."),
    "status": ("no", "Approval status of the artifact.", ", ".join(STATUSES) + "."),
    "date": ("no", "Version date of the artifact (used to find stale evidence).",
             "A date cell or text written as yyyy-mm-dd."),
    "owner": ("no", "Person or role who owns the artifact.", "Free text."),
    "party": ("no", "Who produced the artifact (used by the shared-ownership rules).", ", ".join(PARTIES) + "."),
    "location": ("no", "Where the artifact can be found.", "Free text: link, path or repository."),
    "notes": ("no", "Anything the reviewer wants to keep with the row.", "Free text."),
    "weakness": ("no", "A weakness a reviewer recorded against the practice (makes it at best LI).", "Free text."),
}

_PIID_COLUMNS: dict[str, tuple[str, str, str]] = {
    "Project": ("yes*", "Project / work group. Copy the practice rows once per project and fill this in.",
                "Free text. *May be left empty when the whole file is one project: the file name is used "
                "(or pass --project NAME)."),
    "Practice": ("yes", "The practice (pre-filled, one row per practice).",
                 "A practice id from the Catalogue sheet (dropdown)."),
    "Practice Title": ("no", "Title of the practice (pre-filled, for reading only).", "Free text."),
    "Direct Artifacts": ("no", "Artifacts produced directly by performing the practice.",
                         "One item per line (Alt+Enter in a cell) or items separated by ';'."),
    "Indirect Artifacts": ("no", "Artifacts that are a consequence of performing the practice.",
                           "One item per line or items separated by ';'."),
    "Affirmations": ("no", "Interviews or statements confirming the practice is performed.",
                     "One item per line or items separated by ';'."),
    "Weaknesses": ("no", "Weaknesses the reviewers recorded against the practice.",
                   "One item per line or items separated by ';'."),
    "Strengths": ("no", "Strengths the reviewers noted.", "One item per line or items separated by ';'."),
}

_LONG_WIDTHS = {"project": 16, "practice": 14, "work_product": 40, "evidence_type": 14, "status": 12, "date": 12,
                "owner": 18, "party": 11, "location": 36, "notes": 36, "weakness": 36}
_PIID_WIDTHS = {"Project": 16, "Practice": 14, "Practice Title": 40, "Direct Artifacts": 40,
                "Indirect Artifacts": 40, "Affirmations": 32, "Weaknesses": 32, "Strengths": 32}


def write_template(rulesets: list[Ruleset], path, *, layout: str = "long") -> Path:
    """Write a blank evidence workbook for ``rulesets`` to ``path`` (an ``.xlsx``); returns the path.

    ``layout``: ``long`` (sheet ``Evidence``, one row per piece of evidence) or ``piid`` (sheet
    ``PIID``, one row per project x practice). Raises :class:`ValueError` for an unknown layout,
    a path that does not end in ``.xlsx``, or rulesets without any practice.
    """
    if layout not in LAYOUTS:
        raise ValueError(f"unknown template layout {layout!r} (known: {', '.join(LAYOUTS)})")
    rulesets = list(rulesets)
    if not rulesets:
        raise ValueError("a template needs at least one ruleset")
    practice_ids = list(dict.fromkeys(p.id for rs in rulesets for p in rs.practices))
    if not practice_ids:
        raise ValueError("the selected rulesets have no practices")
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"a template is an .xlsx workbook: {path}")
    return atomic_write(path, lambda tmp: _write(rulesets, practice_ids, tmp, layout, path.name))


# --------------------------------------------------------------------------- workbook


def _write(rulesets: list[Ruleset], practice_ids: list[str], tmp: Path, layout: str, file_name: str) -> None:
    wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    try:
        fmt = _Formats(wb)
        instructions = wb.add_worksheet(INSTRUCTIONS_SHEET)
        data = wb.add_worksheet(EVIDENCE_SHEET if layout == "long" else PIID_SHEET)
        catalogue = wb.add_worksheet(CATALOGUE_SHEET)
        lists = wb.add_worksheet(LISTS_SHEET)
        practice_source = _write_lists(lists, practice_ids, fmt)
        _write_instructions(instructions, rulesets, layout, file_name, fmt)
        if layout == "long":
            _write_evidence(data, practice_source, fmt)
        else:
            _write_piid(data, rulesets, practice_source, fmt)
        _write_catalogue(catalogue, rulesets, fmt)
        instructions.activate()
    finally:
        wb.close()


class _Formats:
    def __init__(self, wb):
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.heading = wb.add_format({"bold": True, "font_size": 12})
        self.header = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                     "valign": "top"})
        self.text = wb.add_format({"text_wrap": True, "valign": "top"})
        self.mono = wb.add_format({"font_name": "Consolas", "valign": "top"})
        self.date = wb.add_format({"num_format": "yyyy-mm-dd"})
        self.items = wb.add_format({"text_wrap": True, "valign": "top"})


def _put(ws, row: int, col: int, value: object, fmt=None) -> None:
    """Text always as a string cell, whatever it starts with; empty text leaves the cell blank."""
    text = "" if value is None else str(value)
    if text:
        ws.write_string(row, col, text, fmt)
    else:
        ws.write_blank(row, col, None, fmt)


def _write_lists(ws, practice_ids: list[str], fmt: _Formats) -> str:
    _put(ws, 0, 0, LISTS_HEADER, fmt.header)
    for i, pid in enumerate(practice_ids, start=1):
        _put(ws, i, 0, pid)
    ws.set_column(0, 0, 18)
    ws.hide()
    return f"={LISTS_SHEET}!$A$2:$A${len(practice_ids) + 1}"


def _header_row(ws, headers, widths: dict[str, int], fmt: _Formats) -> None:
    for c, name in enumerate(headers):
        _put(ws, 0, c, name, fmt.header)
        ws.set_column(c, c, widths.get(name, 16))
    ws.freeze_panes(1, 0)


def _practice_validation(ws, col: int, source: str) -> None:
    # a warning, not a stop: other spellings of a practice id (IWM SP 1.4, aliases) are accepted too
    ws.data_validation(1, col, DATA_ROWS - 1, col, {
        "validate": "list", "source": source,
        "input_title": "Practice",
        "input_message": "Pick a practice id (see the Catalogue sheet). Other spellings such as "
                         "'IWM SP 1.4' are accepted too.",
        "error_type": "warning", "error_title": "Unknown practice id",
        "error_message": "This is not a practice id of the selected rulesets. Keep it only if it is "
                         "another spelling (alias) of one.",
    })


def _list_validation(ws, col: int, values, title: str, message: str) -> None:
    ws.data_validation(1, col, DATA_ROWS - 1, col, {
        "validate": "list", "source": list(values),
        "input_title": title, "input_message": message,
        "error_type": "stop", "error_title": f"Invalid {title.lower()}",
        "error_message": "Use one of: " + ", ".join(values) + ".",
    })


def _write_evidence(ws, practice_source: str, fmt: _Formats) -> None:
    _header_row(ws, LONG_HEADERS, _LONG_WIDTHS, fmt)
    col = {name: i for i, name in enumerate(LONG_HEADERS)}
    _practice_validation(ws, col["practice"], practice_source)
    _list_validation(ws, col["evidence_type"], EVIDENCE_TYPES, "Evidence type",
                     "artifact (a document, record or tool output; the default) or affirmation "
                     "(an interview or statement).")
    _list_validation(ws, col["status"], STATUSES, "Status",
                     "Approval status of the artifact: " + ", ".join(STATUSES) + ". Leave empty if unknown.")
    _list_validation(ws, col["party"], PARTIES, "Party",
                     "Who produced the artifact: " + ", ".join(PARTIES) + ".")
    d = col["date"]
    ws.set_column(d, d, _LONG_WIDTHS["date"], fmt.date)
    ws.data_validation(1, d, DATA_ROWS - 1, d, {
        "validate": "date", "criteria": "between", "minimum": _DATE_MIN, "maximum": _DATE_MAX,
        "input_title": "Version date",
        "input_message": "Version date of the artifact, as yyyy-mm-dd.",
        "error_type": "stop", "error_title": "Invalid date",
        "error_message": f"Enter a date as yyyy-mm-dd between {_DATE_MIN.isoformat()} and {_DATE_MAX.isoformat()}.",
    })


def _write_piid(ws, rulesets: list[Ruleset], practice_source: str, fmt: _Formats) -> None:
    _header_row(ws, PIID_HEADERS, _PIID_WIDTHS, fmt)
    for c in range(3, len(PIID_HEADERS)):
        ws.set_column(c, c, _PIID_WIDTHS[PIID_HEADERS[c]], fmt.items)
    seen: set[str] = set()
    row = 1
    for rs in rulesets:
        for p in rs.practices:
            if p.id in seen:
                continue
            seen.add(p.id)
            _put(ws, row, 1, p.id)
            _put(ws, row, 2, p.title, fmt.text)
            row += 1
    _practice_validation(ws, 1, practice_source)
    items = "One item per line (Alt+Enter) or items separated by ';'."
    for c, what in ((3, "Direct artifacts"), (4, "Indirect artifacts"), (5, "Affirmations"),
                    (6, "Weaknesses"), (7, "Strengths")):
        ws.data_validation(1, c, DATA_ROWS - 1, c, {"validate": "any", "input_title": what,
                                                    "input_message": items})


def _write_catalogue(ws, rulesets: list[Ruleset], fmt: _Formats) -> None:
    rows: list[tuple[str, ...]] = []
    for rs in rulesets:
        for p in rs.practices:
            if not p.work_products:
                rows.append((rs.id, p.goal, p.id, p.title, "", "", "", p.provenance))
            for w in p.work_products:
                rows.append((rs.id, p.goal, p.id, p.title, w.id, w.name, "yes" if w.required else "no",
                             w.provenance))
    for c, name in enumerate(CATALOGUE_HEADERS):
        _put(ws, 0, c, name, fmt.header)
    for r, values in enumerate(rows, start=1):
        for c, v in enumerate(values):
            _put(ws, r, c, v, fmt.text)
    for c, name in enumerate(CATALOGUE_HEADERS):
        longest = max([len(name)] + [len(v[c]) for v in rows])
        ws.set_column(c, c, min(max(longest + 2, 10), 60))
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, len(rows), len(CATALOGUE_HEADERS) - 1)


def _spellings(p: Practice) -> str:
    """Example spellings of one practice id the loader accepts (``IWM.SP1.1, IWM SP 1.1, IWM 1.1, ...``)."""
    out = [p.id]
    m = re.fullmatch(r"([A-Za-z]+)\.SP(\d+\.\d+)", p.id)
    if m:
        out += [f"{m[1]} SP {m[2]}", f"{m[1]} {m[2]}"]
    out += list(p.aliases[:1])
    return ", ".join(out)


def _ruleset_arg(rs: Ruleset) -> str:
    from .ruleset import shipped_ids

    if rs.id in shipped_ids():
        return rs.id
    return rs.path or rs.id


def _write_instructions(ws, rulesets: list[Ruleset], layout: str, file_name: str, fmt: _Formats) -> None:
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 12)
    ws.set_column(2, 2, 60)
    ws.set_column(3, 3, 60)
    row = 0

    def line(text: str, f=None, col: int = 0) -> None:
        nonlocal row
        _put(ws, row, col, text, f)
        row += 1

    line("Evidence workbook for iwm-rules", fmt.title)
    row += 1
    line("Made from", fmt.heading)
    for c, name in enumerate(("Ruleset id", "Title", "Version", "Practices")):
        _put(ws, row, c, name, fmt.header)
    row += 1
    for rs in rulesets:
        for c, v in enumerate((rs.id, rs.title, rs.version, str(len(rs.practices)))):
            _put(ws, row, c, v, fmt.text)
        row += 1
    row += 1

    line("How to fill it in", fmt.heading)
    if layout == "long":
        steps = [
            f"Fill in the '{EVIDENCE_SHEET}' sheet: one row = one piece of evidence (an artifact or an affirmation) "
            "for one practice of one project.",
            "Keep the header row as it is. Dropdowns and input messages cover rows 2 to "
            f"{DATA_ROWS}; write as many rows as needed.",
        ]
        columns = _LONG_COLUMNS
    else:
        steps = [
            f"Fill in the '{PIID_SHEET}' sheet: one row per project x practice. The practices are pre-filled once; "
            "copy the rows for every further project and fill in the Project column.",
            "In the artifact, affirmation, weakness and strength columns put one item per line (Alt+Enter in a "
            "cell) or separate items with ';'.",
        ]
        columns = _PIID_COLUMNS
    steps.append(f"The '{CATALOGUE_SHEET}' sheet lists, per practice, the work products the rulesets expect and "
                 "whether each is required. Name artifacts so that they can be recognised as one of them.")
    for s in steps:
        ws.merge_range(row, 0, row, 3, "", fmt.text)
        _put(ws, row, 0, s, fmt.text)
        ws.set_row(row, 30)
        row += 1
    row += 1

    line("Columns", fmt.heading)
    for c, name in enumerate(("Column", "Required", "Meaning", "Allowed values")):
        _put(ws, row, c, name, fmt.header)
    row += 1
    spellings = _spellings(next(p for rs in rulesets for p in rs.practices))
    for name, (required, meaning, allowed) in columns.items():
        allowed = allowed.replace("{spellings}", spellings)
        for c, v in enumerate((name, required, meaning, allowed)):
            _put(ws, row, c, v, fmt.mono if c == 0 else fmt.text)
        row += 1
    row += 1

    if layout == "long":
        line("Allowed values (dropdowns)", fmt.heading)
        for label, values in (("evidence_type", EVIDENCE_TYPES), ("status", STATUSES), ("party", PARTIES)):
            _put(ws, row, 0, label, fmt.mono)
            _put(ws, row, 2, ", ".join(values), fmt.text)
            row += 1
        _put(ws, row, 0, "practice", fmt.mono)
        _put(ws, row, 2, "the practice ids listed on the Catalogue sheet", fmt.text)
        row += 2

    line("Running the assessment", fmt.heading)
    args = " ".join(f"-r {_ruleset_arg(rs)}" for rs in rulesets)
    line(f"iwm-rules assess {file_name} {args} -o reports", fmt.mono)
    line("Every row is either accepted, rejected (with the sheet, row, column and a hint) or skipped as blank; "
         "the sheets other than the one filled in are skipped. Add --project NAME when the project column is "
         "empty, and --as-of DATE to judge staleness at a given date.", fmt.text)
