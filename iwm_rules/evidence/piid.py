"""PIID wide layout: one row per project x practice, with columns of items.

Columns (matched like long-layout headers): project, practice, direct artifacts, indirect
artifacts, affirmations, weaknesses, strengths. A cell may hold several items separated by
new lines or ``;``. Each item becomes one candidate evidence row of the same spreadsheet row.
"""
from __future__ import annotations

import re

import pandas as pd

from .columns import header_key, map_headers

HEADER_SCAN_ROWS = 20
PIID_ALIASES = {
    "project": ("project", "project id", "project name", "work group", "basic unit"),
    "practice": ("practice", "practice id", "practice ref", "specific practice", "model practice"),
    "direct": ("direct artifact", "direct artifacts", "direct artefacts", "direct evidence", "direct"),
    "indirect": ("indirect artifact", "indirect artifacts", "indirect artefacts", "indirect evidence", "indirect"),
    "affirmations": ("affirmation", "affirmations", "affirmation source", "interviews"),
    "weaknesses": ("weakness", "weaknesses", "findings"),
    "strengths": ("strength", "strengths"),
}
_KEYS = {header_key(a): col for col, names in PIID_ALIASES.items() for a in names}
_SPLIT = re.compile(r"\s*(?:\r?\n|;)\s*")


#: header keys that name a PIID column exactly (the others are aliases)
_EXACT = frozenset(header_key(a) for a in ("project", "practice", "direct artifact", "direct artifacts",
                                           "indirect artifact", "indirect artifacts", "affirmation", "affirmations",
                                           "weakness", "weaknesses", "strength", "strengths"))


def find_header(rows: list[list]) -> tuple[int, dict[int, str]] | None:
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cols = map_headers(row, _KEYS, _EXACT)
        names = set(cols.values())
        if "practice" in names and names & {"direct", "indirect", "affirmations"}:
            return i, cols
    return None


def split_items(value) -> list[str]:
    if value is None:
        return []
    return [s for s in _SPLIT.split(str(value).strip()) if s]


def candidate_frame(rows: list[list], header_at: int, cols: dict[int, str], *, file: str, sheet: str | None,
                    first_row: int) -> pd.DataFrame:
    """One candidate row per item; ``row`` is the spreadsheet row the item came from."""
    idx = {name: i for i, name in cols.items()}
    out = []
    for offset, r in enumerate(rows[header_at + 1:]):
        rownum = first_row + header_at + 1 + offset

        def cell(name, r=r):
            i = idx.get(name)
            return r[i] if i is not None and i < len(r) else None

        base = {"project": cell("project"), "practice": cell("practice"), "file": file, "sheet": sheet or "", "row": rownum}
        items = []
        for kind, etype, note in (("direct", "artifact", "direct artifact"), ("indirect", "artifact", "indirect artifact"),
                                  ("affirmations", "affirmation", "")):
            items += [{**base, "work_product": it, "evidence_type": etype, "notes": note} for it in split_items(cell(kind))]
        for w in split_items(cell("weaknesses")):
            items.append({**base, "work_product": "Recorded weakness", "evidence_type": "weakness", "weakness": w})
        if not items and (base["project"] is not None or base["practice"] is not None):
            # a practice row with nothing recorded: kept so the row is accounted for (skipped as blank)
            items.append({**base, "project": None, "practice": None})
        out.extend(items)
    return pd.DataFrame(out, columns=["project", "practice", "work_product", "evidence_type", "notes", "weakness",
                                      "file", "sheet", "row"])
