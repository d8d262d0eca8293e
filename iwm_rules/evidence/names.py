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
    if name.isascii():
        text = name.translate(_ASCII_CONTROLS)
    else:
        text = unicodedata.normalize("NFKC", name)
        text = "".join(ch for ch in text if ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf"))
    return " ".join(text.split()).casefold()


_ASCII_CONTROLS = {c: None for c in (*range(0x20), 0x7F) if not chr(c).isspace()}


def project_variants(table: pd.DataFrame) -> list[dict]:
    """Warnings for project names kept as written that could be one project: names differing
    only in case, spacing or character width, and names with leading/trailing spaces or
    control characters. Each names the variants with the files and rows they come from."""
    if not len(table):
        return []
    names = pd.Series(pd.unique(table["project"]), dtype=object).map(str)
    odd = names.map(_odd).to_numpy(dtype=bool)
    # a printable ASCII name with single inner spaces compares by case only; the rest in full
    keys = names.str.lower()
    plain = ~odd & names.map(str.isascii).to_numpy(dtype=bool) & ~names.str.contains("  ", regex=False).to_numpy(dtype=bool)
    if not plain.all():
        keys[~plain] = [_name_key(n) for n in names[~plain]]
    flagged = keys.duplicated(keep=False).to_numpy(dtype=bool) | odd
    if not flagged.any():
        return []
    by_key: dict[str, list[str]] = {}
    for key, name in zip(keys[flagged], names[flagged]):
        by_key.setdefault(key, []).append(name)
    groups = [sorted(v) for v in by_key.values()]
    places = _places([v for g in groups for v in g], table)
    out = []
    for variants in groups:
        where = [{"project": v, "places": places[v]} for v in variants]
        shown = "; ".join(f"{w['project']!r} ({w['places']})" for w in where)
        if len(variants) > 1:
            message = (f"project names {shown} differ only in case, spacing or character width: they are kept as "
                       f"{len(variants)} distinct projects; if they are one project, write its name the same way")
        else:
            message = (f"project name {shown} has leading/trailing spaces or invisible/control characters: it is kept as "
                       "written; remove them if it is meant to be the same project as one without them")
        out.append({"kind": "project_variants", "projects": variants, "where": where, "message": message})
    return out


def _odd(name: str) -> bool:
    """Leading/trailing white space, or a control or invisible character (or a space other than
    U+0020) anywhere."""
    return name != name.strip() or not name.isprintable()


def _places(names: list[str], table: pd.DataFrame) -> dict[str, str]:
    """{name: 'a.csv rows 2-4, 7; b.xlsx sheet S row 3'} for the rows of each named project
    (one grouping for all of them; at most 5 sheets and 5 row spans each are spelled out)."""
    sub = table.loc[table["project"].isin(names), ["project", "file", "sheet", "row"]]
    grouped = sub.groupby(["project", "file", "sheet"], sort=True)["row"].agg(lambda r: sorted(set(int(x) for x in r)))
    parts: dict[str, list[str]] = {}
    for (project, file, sheet), nums in grouped.items():
        mine = parts.setdefault(project, [])
        if len(mine) > 5:
            continue
        if len(mine) == 5:
            mine.append("more sheets")
            continue
        spans: list[str] = []
        start = nums[0]
        for a, b in zip(nums, nums[1:] + [None]):
            if b != a + 1:
                spans.append(str(start) if start == a else f"{start}-{a}")
                start = b
                if len(spans) > 5:
                    break
        label = Path(file).name + (f" sheet {sheet}" if sheet else "")
        shown = ", ".join(spans[:5]) + (", ..." if len(spans) > 5 else "")
        mine.append(f"{label} row{'s' if len(nums) > 1 else ''} {shown}")
    return {name: "; ".join(parts.get(name, [])) for name in names}
