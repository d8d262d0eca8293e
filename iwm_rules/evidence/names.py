"""Project names as written, and the look-alikes an auditor should be told about.

A project name is an identity: the loader keeps it exactly as written (no trimming, no case
folding), because ``Atlas`` and ``ATLAS`` may be two projects. Names that could be one
project written two ways are listed as warnings instead (docs/evidence-loading.md).
"""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd


def _name_key(name: str) -> str:
    """How project names are compared for look-alikes: Unicode width (NFKC), case, spacing and
    invisible characters (controls, zero-width) ignored."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") or ch in " \t\r\n")
    return " ".join(text.split()).casefold()


def project_variants(table: pd.DataFrame) -> list[dict]:
    """Warnings for project names kept as written that could be one project: names differing
    only in case, spacing or character width, and names with leading/trailing spaces or
    control characters. Each names the variants with the files and rows they come from."""
    if not len(table):
        return []
    names = pd.unique(table["project"])
    keys: dict[str, list[str]] = {}
    for n in names:
        keys.setdefault(_name_key(str(n)), []).append(str(n))
    out = []
    for variants in keys.values():
        odd = [v for v in variants if v != v.strip() or any(unicodedata.category(c) in ("Cc", "Cf") for c in v)]
        if len(variants) < 2 and not odd:
            continue
        variants = sorted(variants)
        where = [{"project": v, "places": _places(table[table["project"] == v])} for v in variants]
        shown = "; ".join(f"{w['project']!r} ({w['places']})" for w in where)
        if len(variants) > 1:
            message = (f"project names {shown} differ only in case, spacing or character width: they are kept as "
                       f"{len(variants)} distinct projects; if they are one project, write its name the same way")
        else:
            message = (f"project name {shown} has leading/trailing spaces or control characters: it is kept as "
                       "written; remove them if it is meant to be the same project as one without them")
        out.append({"kind": "project_variants", "projects": variants, "where": where, "message": message})
    return out


def _places(rows: pd.DataFrame) -> str:
    """'a.csv rows 2-4, 7; b.xlsx sheet S row 3' for the rows of one project."""
    parts = []
    for (file, sheet), g in rows.groupby(["file", "sheet"], sort=True):
        nums = sorted(set(int(r) for r in g["row"]))
        spans, start = [], nums[0]
        for a, b in zip(nums, nums[1:] + [None]):
            if b != a + 1:
                spans.append(str(start) if start == a else f"{start}-{a}")
                start = b
        label = Path(file).name + (f" sheet {sheet}" if sheet else "")
        shown = ", ".join(spans[:5]) + (", ..." if len(spans) > 5 else "")
        parts.append(f"{label} row{'s' if len(nums) > 1 else ''} {shown}")
    return "; ".join(parts)
