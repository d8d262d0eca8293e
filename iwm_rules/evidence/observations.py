"""Observations sheets: the appraisal team's strengths, weaknesses and recommendations.

::

    Abbr     | Note Type | EN Note                      | CN Note        | Source    | User
    MC 2.1   | W         | Actuals are not tracked      | 未跟踪实际值    | interview | Li
    PLAN 2.7 | S         | Plan reviewed every sprint   |                | document  | Li

A header row (in the first 20 rows) with a practice column (``Abbr``, ``Practice``), a note-type
column (``Note Type``, ``Type``: ``W`` weakness, ``S`` strength, ``R`` recommendation /
opportunity for improvement, or those words) and a note column (``EN Note``, ``Note``,
``Observation``). When an English and another-language note both exist, the English one is the
text and the other is kept in ``notes``. Optional: ``Source`` (interview, document), ``User``,
project. A weakness counts against the practice; strengths and recommendations are kept beside
it and never change a characterization.
"""
from __future__ import annotations

import pandas as pd

from .columns import header_key

HEADER_SCAN_ROWS = 20
PRACTICE = {header_key(h) for h in ("abbr", "practice", "practice id", "practice abbr", "abbreviation")}
TYPE = {header_key(h) for h in ("note type", "type", "observation type", "notetype")}
PROJECT = {header_key(h) for h in ("project", "project id", "project name", "work group", "basic unit")}
SOURCE = {header_key(h) for h in ("source", "note source", "oe source")}
USER = {header_key(h) for h in ("user", "author", "recorded by", "team member")}
_ENGLISH = ("en", "eng", "english")
_NOTE_WORDS = ("note", "notes", "observation", "observations")
#: note type as written -> W / S / R
TYPES = {
    "w": "W", "weakness": "W", "weaknesses": "W",
    "s": "S", "strength": "S", "strengths": "S",
    "r": "R", "recommendation": "R", "recommendations": "R", "opportunityforimprovement": "R", "ofi": "R",
    "improvement": "R", "i": "R",
}


def _note_column(key: str) -> str | None:
    """'en' for an English note column, 'other' for another language's, None if not a note column."""
    if key in _NOTE_WORDS:
        return "en"
    for word in _NOTE_WORDS:
        for lang in (key[:-len(word)] if key.endswith(word) else None, key[len(word):] if key.startswith(word) else None):
            if lang in _ENGLISH:
                return "en"
            if lang and 1 < len(lang) <= 10 and lang.isalpha():
                return "other"
    return None


def find_header(rows: list[list]) -> tuple[int, dict[int, str]] | None:
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cols: dict[int, str] = {}
        for j, cell in enumerate(row):
            key = header_key(cell)
            if not key:
                continue
            name = ("practice" if key in PRACTICE else "note_type" if key in TYPE else "project" if key in PROJECT
                    else "source" if key in SOURCE else "user" if key in USER else None)
            if name is None:
                lang = _note_column(key)
                name = f"note_{lang}" if lang else None
            if name and (name not in cols.values() or name == "note_other"):
                cols[j] = name
        names = set(cols.values())
        if {"practice", "note_type"} <= names and names & {"note_en", "note_other"}:
            return i, cols
    return None


def candidate_frame(rows: list[list], header_at: int, cols: dict[int, str], *, file: str, sheet: str | None,
                    first_row: int) -> pd.DataFrame:
    header = rows[header_at]
    single = {n: j for j, n in cols.items() if n != "note_other"}
    others = [j for j, n in cols.items() if n == "note_other"]
    sheet_name = sheet or ""
    out, rejected = [], []

    def cell(r: list, j: int | None) -> str:
        v = r[j] if j is not None and j < len(r) else None
        return "" if v is None else " ".join(str(v).split()) if not isinstance(v, str) else v.strip()

    for offset, r in enumerate(rows[header_at + 1:]):
        rownum = first_row + header_at + 1 + offset
        practice, kind_raw = cell(r, single.get("practice")), cell(r, single.get("note_type"))
        english = cell(r, single.get("note_en"))
        other = [(str(header[j]).strip(), cell(r, j)) for j in others if cell(r, j)]
        text = english or (other[0][1] if other else "")
        base = {"file": file, "sheet": sheet_name, "row": rownum, "practice": practice or None,
                "project": cell(r, single.get("project")) or None, "owner": cell(r, single.get("user")) or None}
        if not (practice or kind_raw or text):
            out.append({"file": file, "sheet": sheet_name, "row": rownum})  # blank: skipped
            continue
        kind = TYPES.get(header_key(kind_raw))
        if kind is None:
            rejected.append({"file": file, "sheet": sheet_name, "row": rownum, "column": str(header[single["note_type"]]),
                             "value": kind_raw, "reason": "unknown note type" if kind_raw else "note type is empty",
                             "hint": "use W (weakness), S (strength) or R (recommendation / opportunity for improvement)"})
        if not text:
            rejected.append({"file": file, "sheet": sheet_name, "row": rownum, "column": "note", "value": "",
                             "reason": "note is empty", "hint": "write the observation in the note column"})
        kept = [f"{h}: {t}" for h, t in other if t != text]
        source = cell(r, single.get("source"))
        if source:
            kept.append(f"source: {source}")
        item = {**base, "notes": "; ".join(kept)}
        if kind == "W":
            item.update(work_product="Recorded weakness", evidence_type="weakness", weakness=text)
        elif kind == "S":
            item.update(work_product="Strength", evidence_type="observation", strength=text)
        else:
            item.update(work_product="Recommendation", evidence_type="observation", recommendation=text)
        out.append(item)
    frame = pd.DataFrame(out, columns=["project", "practice", "work_product", "evidence_type", "owner", "notes",
                                       "weakness", "strength", "recommendation", "file", "sheet", "row"])
    frame.attrs["rejected"] = rejected
    return frame
