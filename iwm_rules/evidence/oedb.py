"""Appraisal-kit objective-evidence database (OEdb) layout (shared/real_world/).

A practice-area sheet has a header row starting ``Heading`` and rows of kinds:
``1 Prac_Group`` and ``2 Prac_OU`` and ``3 Process`` (headings), ``4 Prac_Instan`` (a
practice instance: practice, project; affirmation and artifact Yes|No, weakness, rating) and
``5 OE`` (one objective-evidence item of the instance above: project, OE reference, URL,
OE type, OE source). Practice ids are CMMI V2.0 (``PLAN 2.1``).
"""
from __future__ import annotations

import pandas as pd

from .columns import map_headers

HEADER_SCAN_ROWS = 20
_COLS = {
    "heading": "kind", "levelpracticeprojectoesource": "ref", "oereference": "oe", "url": "url", "oetype": "oe_type",
    "oesource": "oe_source", "affirmationsourcesessionandperson": "aff_source", "suffartifactyesno": "artifact_yes",
    "affirmyesno": "affirm_yes", "weakness": "weakness", "strength": "strength", "ratingchar": "rating", "notes": "notes",
    "recommendations": "recommendation", "recommendation": "recommendation",
}


def find_header(rows: list[list]) -> tuple[int, dict[int, str]] | None:
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        cols = map_headers(row, _COLS, frozenset(_COLS))
        if "kind" in cols.values() and "oe" in cols.values() and "ref" in cols.values():
            return i, cols
    return None


def _yes(v) -> bool:
    return str(v or "").strip().lower() in ("yes", "y", "true", "1")


def candidate_frame(rows: list[list], header_at: int, cols: dict[int, str], *, file: str, sheet: str | None,
                    first_row: int) -> pd.DataFrame:
    idx = {name: i for i, name in cols.items()}
    out = []
    practice = project = None
    for offset, r in enumerate(rows[header_at + 1:]):
        rownum = first_row + header_at + 1 + offset

        def cell(name, r=r):
            i = idx.get(name)
            v = r[i] if i is not None and i < len(r) else None
            return v.strip() if isinstance(v, str) else v

        def name_as_written(name, r=r):  # project names are kept exactly (see docs/evidence-loading.md)
            i = idx.get(name)
            return r[i] if i is not None and i < len(r) and cell(name) else None

        kind = str(cell("kind") or "").strip()
        base = {"file": file, "sheet": sheet or "", "row": rownum}
        if kind.startswith("2"):
            practice, project = cell("ref"), None
        elif kind.startswith("4"):
            practice, project = cell("ref") or practice, name_as_written("oe")
            items = []
            if cell("weakness"):
                items.append({**base, "project": project, "practice": practice, "work_product": "Recorded weakness",
                              "evidence_type": "weakness", "weakness": cell("weakness")})
            if _yes(cell("affirm_yes")) or (cell("aff_source") and _yes(cell("artifact_yes"))):
                items.append({**base, "project": project, "practice": practice, "evidence_type": "affirmation",
                              "work_product": f"Affirmation: {cell('aff_source') or 'recorded in the OEdb'}"})
            if cell("strength") or cell("recommendation") or cell("rating"):  # the team's notes and rating
                items.append({**base, "project": project, "practice": practice, "evidence_type": "observation",
                              "work_product": "Appraisal team notes", "strength": cell("strength"),
                              "recommendation": cell("recommendation"), "recorded": cell("rating")})
            out.extend(items)
            continue
        elif kind.startswith("5"):
            out.append({**base, "project": name_as_written("ref") or project, "practice": practice, "work_product": cell("oe"),
                        "evidence_type": "artifact", "location": cell("url"),
                        "notes": " / ".join(str(x) for x in (cell("oe_type"), cell("oe_source")) if x and x != "none")})
    return pd.DataFrame(out, columns=["project", "practice", "work_product", "evidence_type", "location", "notes",
                                      "weakness", "strength", "recommendation", "recorded", "file", "sheet", "row"])
