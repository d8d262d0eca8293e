"""assessment.xlsx for auditors (DESIGN §6): Summary, (Portfolio for a batch result), Matrix, Gaps,
Team notes, Disagreements, Findings, Evidence, Rejected, Ruleset — written with xlsxwriter from the
plain JSON result.

The Evidence sheet uses the long-layout column names, so the workbook can be given back to
``assess``: no other sheet has both a practice and a work-product column, so only the
Evidence sheet is read as evidence. Large results use constant-memory mode (rows are
written in order, one sheet after the other).
"""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from . import tables as T
from . import view
from . import xlsx_notes as N
from .labels import MEANING
from .xlsx_book import Book, as_date

#: above this many evidence + gap + finding rows the workbook is written in constant-memory mode
CONSTANT_MEMORY_ROWS = 20_000
GAP_STATUSES = ("open", "in progress", "done", "accepted risk")
SPARE_PLAN_ROWS = 200  # dropdowns also below the last gap, for actions the team adds


def write(data: dict, path: Path, *, constant_memory: bool | None = None) -> None:
    if constant_memory is None:
        size = len(data.get("evidence") or ()) + sum(len(pr["gaps"]) + len(pr["findings"])
                                                     for p in data["projects"] for pr in p["practices"])
        constant_memory = size > CONSTANT_MEMORY_ROWS
    book = Book(path, constant_memory=constant_memory)
    try:
        _summary(book, data)
        if N.is_portfolio(data):
            N.portfolio(book, data)
        _matrix(book, data)
        _gaps(book, data)
        N.team_notes(book, data)
        N.disagreements(book, data)
        _findings(book, data)
        _evidence(book, data)
        _rejected(book, data)
        _ruleset(book, data)
    finally:
        book.close()


def _generated(text: str):
    try:
        stamp = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return text or ""
    return stamp.astimezone(dt.UTC).replace(tzinfo=None) if stamp.tzinfo else stamp


# ---- Summary ------------------------------------------------------------------------------------------------

def _summary(book: Book, data: dict) -> None:
    """Columns are shared by the tables stacked here: A names, B coverage / label, C.. one per label,
    then goals satisfied / judgment, then one column per goal (and the organization's ruleset)."""
    labels = T.label_order(data)
    goals = list(dict.fromkeys((r, g) for r, g, _ in T.practice_order(data)))
    n = len(labels)
    ws = book.sheet("Summary", [30, 16] + [11] * n + [19] + [15] * max(len(goals), 2))
    cell = book.cell
    tool = data.get("tool") or {}
    cell(ws, 0, 0, f"{tool.get('name', 'iwm-rules')} assessment", book.title)
    cell(ws, 1, 0, "As of", book.bold)
    cell(ws, 1, 1, as_date(data.get("as_of") or "", {}), book.date)
    cell(ws, 1, 2, "Generated (UTC)", book.bold)
    cell(ws, 1, 2 + n, _generated(data.get("generated_at")), book.datetime)
    cell(ws, 2, 0, "Overall coverage", book.bold)
    cell(ws, 2, 1, view.overall_coverage(data) if view.overall_coverage(data) is not None else "n/a", book.pct)
    if N.is_portfolio(data):
        cell(ws, 2, 2, N.portfolio_line(data), book.flag if data.get("failed_files") else book.bold)
    elif data.get("disagreements"):
        cell(ws, 2, 2, f"{len(data['disagreements'])} recorded characterization(s) differ from the evidence: "
                       "Disagreements sheet", book.flag)
    # projects: coverage, counts per characterization, goal ratings
    ws.set_row(3, 30)
    head = ["project", "coverage", *labels, "goals satisfied", *(f"{r}\n{g}" for r, g in goals)]
    fmts = {1: book.pct, **{3 + n + i: book.ratings.get for i in range(len(goals))}}
    ws, r = book.table(ws, 3, head, _project_rows(data, labels, goals), formats=fmts)
    # organization
    r += 1
    cell(ws, r, 0, "Organization (org-unit aggregation over projects)", book.section)
    r += 1
    book.header_row(ws, r, ["practice", "characterization", *labels, "judgment required", "ruleset"])
    for pr in data["organization"]["practices"]:
        r += 1
        cell(ws, r, 0, pr["practice"])
        cell(ws, r, 1, pr["characterization"], book.label_format(pr["characterization"]))
        for i, k in enumerate(labels):
            cell(ws, r, 2 + i, pr["instances"].get(k, 0))
        cell(ws, r, 2 + n, "yes: team decides" if pr["judgment_required"] else "",
             book.flag if pr["judgment_required"] else None)
        cell(ws, r, 3 + n, pr["ruleset"])
    r += 1
    cell(ws, r, 0, "judgment required: the instances mix PI/NI with others; the appraisal team decides")
    r += 2
    book.header_row(ws, r, ["goal", "rating", "ruleset"])
    for g in data["organization"]["goals"]:
        r += 1
        cell(ws, r, 0, g["goal"])
        cell(ws, r, 1, g["rating"], book.ratings.get(g["rating"]))
        cell(ws, r, 2, g["ruleset"])
    r = N.levels(book, ws, r + 2, data)
    r = _legend(book, ws, r, labels)
    r = _inputs(book, ws, r + 1, data, n)
    N.input_notes(book, ws, r + 1, data)


def _project_rows(data: dict, labels, goals):
    for p in data["projects"]:
        counts = T.label_counts(p["practices"], labels)
        rating = {(g["ruleset"], g["goal"]): g["rating"] for g in p["goals"]}
        sat = sum(v == "satisfied" for v in rating.values())
        yield (p["project"], p["coverage"], *(counts[k] for k in labels), f"{sat}/{len(rating)}",
               *(rating.get(k, "") for k in goals))


def _legend(book: Book, ws, r: int, labels) -> int:
    book.cell(ws, r, 0, "Legend", book.section)
    for k in labels:
        r += 1
        book.cell(ws, r, 0, MEANING.get(k, k))
        book.cell(ws, r, 1, k, book.label_format(k))
    for k, f in book.ratings.items():
        r += 1
        book.cell(ws, r, 0, f"goal {k.replace('_', ' ')}")
        book.cell(ws, r, 1, k, f)
    r += 1
    book.cell(ws, r, 0, "* in the Matrix: organization-level mix of instances, judgment required")
    return r + 1


def _inputs(book: Book, ws, r: int, data: dict, n: int) -> int:
    cell = book.cell
    cell(ws, r, 0, "Inputs", book.section)
    r += 1
    head = ["file", "layout", "rows read", "accepted", "rejected", "skipped"]
    book.header_row(ws, r, head + [""] * (n + 2 - len(head)) + ["sha256"])
    for f in data["input"]["files"]:
        r += 1
        for c, v in enumerate((f["path"], f["layout"], f["rows_read"], f["rows_accepted"], f["rows_rejected"],
                               f["rows_skipped"])):
            cell(ws, r, c, v)
        cell(ws, r, n + 2, f["sha256"])
    r += 2
    book.header_row(ws, r, ["ruleset", "version", "title"])
    for rs in data["rulesets"]:
        r += 1
        cell(ws, r, 0, rs["id"])
        cell(ws, r, 1, str(rs["version"]))
        cell(ws, r, 2, rs["title"])
    r += 2
    engine = data.get("engine") or {}
    facts = [("as of", as_date(data.get("as_of") or "", {})),
             ("tool", " ".join(str(v) for v in (data.get("tool") or {}).values())),
             ("engine", " ".join(str(v) for v in engine.values()) if isinstance(engine, dict) else str(engine)),
             ("scale", data.get("scale", "scampi")),
             ("tailoring", data.get("tailoring") or ""),
             ("mappings used", len(data.get("mappings_used") or ())),
             ("schema version", data.get("schema_version", ""))]
    manifest = data.get("manifest")
    if isinstance(manifest, dict):  # the run's manifest, where the result carries one: its plain values
        facts += [(f"manifest: {k}", v if isinstance(v, (str, int, float, bool)) else json.dumps(v, default=str))
                  for k, v in manifest.items() if v is not None]
    for k, v in facts:
        cell(ws, r, 0, k, book.bold)
        cell(ws, r, 1, v)
        r += 1
    return r


# ---- Matrix -------------------------------------------------------------------------------------------------

def _matrix(book: Book, data: dict) -> None:
    order = T.practice_order(data)
    titles = T.goal_titles(data)
    ws = book.sheet("Matrix", [24] + [max(6.0, len(p) + 1.5) for _, _, p in order])
    cell = book.cell
    # two bands above the header: ruleset, then goal, each merged over its practices
    for band, key in ((0, lambda i: order[i][0]), (1, lambda i: order[i][:2])):
        ws.set_row(band, 45 if band else 30)
        cell(ws, band, 0, "ruleset" if band == 0 else "goal", book.band)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and key(j + 1) == key(i):
                j += 1
            text = order[i][0] if band == 0 else " ".join(filter(None, (order[i][1], titles.get(order[i][:2], ""))))
            if j > i:
                ws.merge_range(band, 1 + i, band, 1 + j, "", book.band)
            cell(ws, band, 1 + i, text, book.band)
            i = j + 1
    book.header_row(ws, 2, ["project", *(p for _, _, p in order)])
    col = {(r, p): 1 + i for i, (r, _, p) in enumerate(order)}
    r = 2
    for r, p in enumerate(data["projects"], 3):
        cell(ws, r, 0, p["project"], book.top)
        for pr in p["practices"]:
            c = col[(pr["ruleset"], pr["practice"])]
            label = pr["characterization"]
            recorded = pr.get("recorded")
            text = f"{label} ≠{recorded}" if recorded and recorded != label else label
            cell(ws, r, c, text, book.label_format(label))
    ws.freeze_panes(3, 1)
    ws.repeat_rows(0, 2)
    ws.repeat_columns(0)
    ws.autofilter(2, 0, max(r, 3), len(order))
    r += 2
    cell(ws, r, 0, "organization", book.bold)
    for pr in data["organization"]["practices"]:
        c = col.get((pr["ruleset"], pr["practice"]))
        if c is not None:
            label = pr["characterization"] + ("*" if pr["judgment_required"] else "")
            cell(ws, r, c, label, book.label_format(label))
    r += 2
    labels = T.label_order(data)
    cell(ws, r, 0, "legend", book.bold)
    for i, k in enumerate(labels):
        cell(ws, r, 1 + i, k, book.label_format(k))
    r += 1
    cell(ws, r, 0, ", ".join(f"{k} {MEANING.get(k, k).lower()}" for k in labels)
         + "; * judgment required (mix of instances); blank: not assessed for that project")
    r += 1
    cell(ws, r, 0, "PI ≠FI: the evidence supports PI, the appraisal team recorded FI (see the Disagreements sheet)")


# ---- Gaps: the action plan ----------------------------------------------------------------------------------

def _gaps(book: Book, data: dict) -> None:
    cols = list(T.GAP_COLUMNS) + ["owner", "due", "status"]
    ws = book.sheet("Gaps", [14, 14, 12, 10, 18, 16, 28, 45, 60, 9, 16, 12, 13], wrap=(5, 6, 7, 8))
    n = len(cols)
    ws.set_column(n - 2, n - 2, 12, book.date)  # Due: a date column, also in rows the team adds
    first = ws
    ws, end = book.table(ws, 0, cols, (row + ("", "", "") for row in T.gap_rows(data)), formats={n - 2: book.date})
    last = min(end - 1 + SPARE_PLAN_ROWS, book.max_rows - 1)
    if ws is not first:
        first.data_validation(1, n - 1, book.max_rows - 1, n - 1, _STATUS_RULE)
        first.data_validation(1, n - 2, book.max_rows - 1, n - 2, _DUE_RULE)
        ws.set_column(n - 2, n - 2, 12, book.date)
    ws.data_validation(1, n - 1, last, n - 1, _STATUS_RULE)
    ws.data_validation(1, n - 2, last, n - 2, _DUE_RULE)


_STATUS_RULE = {"validate": "list", "source": list(GAP_STATUSES), "input_title": "Status",
                "input_message": "open, in progress, done or accepted risk",
                "error_title": "Status", "error_message": "Choose open, in progress, done or accepted risk."}
_DUE_RULE = {"validate": "date", "criteria": "between", "minimum": dt.date(2000, 1, 1),
             "maximum": dt.date(2100, 12, 31), "input_title": "Due date", "input_message": "A date (YYYY-MM-DD)",
             "error_title": "Due date", "error_message": "Enter a date such as 2026-12-31."}


# ---- Findings, Evidence, Rejected, Ruleset ------------------------------------------------------------------

def _findings(book: Book, data: dict) -> None:
    ws = book.sheet("Findings", [14, 14, 12, 10, 24, 10, 10, 60, 45], wrap=(7, 8))
    book.table(ws, 0, T.FINDING_COLUMNS, T.finding_rows(data))


def _evidence(book: Book, data: dict) -> None:
    cols = T.EVIDENCE_INPUT_COLUMNS + T.EVIDENCE_USE_COLUMNS
    ws = book.sheet("Evidence", [14, 12, 36, 11, 10, 11, 14, 9, 24, 24, 28, 14, 12, 40, 30, 30, 28, 12, 9],
                    wrap=(2, 9, 10, 13, 14, 15))
    dates: dict = {}
    rows = ((*row[:5], as_date(row[5], dates), *row[6:]) for row in T.evidence_rows(data))
    book.table(ws, 0, cols, rows, formats={5: book.date})


def _rejected(book: Book, data: dict) -> None:
    ws = book.sheet("Rejected", [40, 14, 8, 14, 24, 30, 50], wrap=(4, 5, 6))
    ws, r = book.table(ws, 0, T.REJECTED_COLUMNS, T.rejected_rows(data))
    r += 1
    book.cell(ws, r, 0, "Skipped rows per file", book.section)
    kinds = sorted({k for f in data["input"]["files"] for k in f.get("skipped") or ()})
    book.header_row(ws, r + 1, ["file", "skipped", *(k.replace("_", " ") for k in kinds)])
    r += 1
    for f in data["input"]["files"]:
        r += 1
        for c, v in enumerate((f["path"], f["rows_skipped"], *((f.get("skipped") or {}).get(k, 0) for k in kinds))):
            book.cell(ws, r, c, v)
    problems = [(e["file"], e["message"]) for e in data["input"].get("errors") or ()]
    problems += [(w.get("file", ""), (f"[{w['sheet']}] " if w.get("sheet") else "") + w.get("message", ""))
                 for w in data["input"].get("warnings") or () if isinstance(w, dict)]
    if problems:
        r += 2
        book.header_row(ws, r, ["file", "note"])
        for f, msg in problems:
            r += 1
            book.cell(ws, r, 0, f)
            book.cell(ws, r, 1, msg)


def _ruleset(book: Book, data: dict) -> None:
    ws = book.sheet("Ruleset", [14, 8, 10, 28, 12, 34, 10, 30, 10, 22, 40, 9, 12], wrap=(3, 5, 7, 10))
    book.table(ws, 0, T.CATALOGUE_COLUMNS, T.catalogue_rows(data))
