"""Validate a table of candidate evidence rows into accepted rows and rejected rows.

Every layout reader ends here: it turns its sheet into a frame with the canonical columns
(text or raw cell values) plus ``file``, ``sheet`` and ``row`` (the row number the
spreadsheet shows), and :func:`validate` decides, vectorized, which rows are used and why
the others are rejected. Nothing is dropped without a reason.
"""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from ..ruleset import Catalogue, normalize_practice_key
from .columns import CANONICAL, EVIDENCE_TYPE_VALUES, PARTY_VALUES, STATUS_VALUES

ACCEPTED_COLUMNS = (
    "project", "practice", "ruleset", "practice_raw", "work_product", "evidence_type", "status", "date",
    "owner", "party", "location", "notes", "weakness", "file", "sheet", "row", "reuse_via", "reuse_role",
)
REJECTED_COLUMNS = ("file", "sheet", "row", "column", "value", "reason", "hint")

PLACEHOLDER_KEYS = {"evidencename", "link", "engl", "tbd", "todo", "xxx"}


def as_text(series: pd.Series) -> pd.Series:
    """Cell values as stripped text ('' for empty); whole floats lose their '.0'.

    Evidence columns repeat a lot (projects, practices, statuses), so the conversion runs
    once per distinct value and is spread back with the factorized codes.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    texts = np.array([_cell_text(u).strip() for u in uniques] + [""], dtype=object)
    return pd.Series(texts[codes], index=series.index, dtype=object)


def per_unique(series: pd.Series, func) -> pd.Series:
    """``series.map(func)`` computed once per distinct value."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    out = np.array([func(u) for u in uniques] + [func("")], dtype=object)
    return pd.Series(out[codes], index=series.index, dtype=object)


def _cell_text(v: object) -> str:
    if v is None or v == "":
        return ""
    if isinstance(v, float):
        if np.isnan(v):
            return ""
        return str(int(v)) if v.is_integer() else str(v)
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    return str(v)


def _key(series: pd.Series) -> pd.Series:
    return per_unique(series, lambda v: re.sub(r"[^a-z0-9]", "", str(v).lower()))


def _to_date(v: object):
    """A date cell or ISO text -> Timestamp; '' -> None; anything else -> False (does not parse)."""
    if v is None or v == "" or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (dt.date, dt.datetime, pd.Timestamp)):
        return pd.Timestamp(v)
    m = _ISO_DATE.match(str(v).strip())
    if m:
        try:
            return pd.Timestamp(dt.date.fromisoformat(m.group(1)))
        except ValueError:
            return False
    return False


_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(parsed dates as datetime64, mask of non-empty cells that did not parse)."""
    parsed = per_unique(values, _to_date)
    bad = parsed.map(lambda v: v is False).astype(bool)
    good = parsed.where(~bad, None)
    return pd.to_datetime(good.where(good.notna(), pd.NaT)), bad


def validate(frame: pd.DataFrame, catalogue: Catalogue, *, default_project: str | None,
             external: dict[str, tuple[str, str]] | None = None,
             unknown_reason: str = "unknown practice") -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Split candidate rows into (accepted, rejected, skipped_count).

    ``frame`` has any of the canonical columns plus ``file``, ``sheet``, ``row``.
    ``external``: normalized id of another framework's practice (e.g. CMMI V2.0 ``PLAN 2.7``)
    -> (selected practice id, relationship of the external practice to it), from a mapping file.
    """
    n = len(frame)
    if n == 0:
        return _empty_accepted(), _empty_rejected(), 0
    cols = {c: as_text(frame[c]) if c in frame and c != "date" else pd.Series([""] * n, index=frame.index, dtype=object)
            for c in CANONICAL}
    blank = np.ones(n, dtype=bool)
    for c in CANONICAL:
        if c in frame:
            blank &= (cols[c] == "").to_numpy() if c != "date" else (as_text(frame[c]) == "").to_numpy()
    # template placeholders ("Evidence name", "link") are not evidence: skipped, like blank rows
    if "work_product" in frame:
        blank |= _key(as_text(frame["work_product"])).isin(PLACEHOLDER_KEYS).to_numpy()
    skipped = int(blank.sum())
    keep = ~blank
    f = frame[keep]
    cols = {c: s[keep] for c, s in cols.items()}
    reason = pd.Series("", index=f.index, dtype=object)
    column = pd.Series("", index=f.index, dtype=object)
    value = pd.Series("", index=f.index, dtype=object)
    hint = pd.Series("", index=f.index, dtype=object)

    def reject(mask: pd.Series, col: str, why: str, hints: pd.Series | str, values: pd.Series | None = None) -> None:
        m = mask & (reason == "")
        if not m.any():
            return
        reason[m] = why
        column[m] = col
        value[m] = (values if values is not None else cols[col])[m]
        hint[m] = hints[m] if isinstance(hints, pd.Series) else hints

    # project
    project = cols["project"].copy()
    if default_project:
        project[project == ""] = default_project
    reject(project == "", "project", "project is empty",
           "fill in the project, add a 'project' column, or pass --project NAME")
    # practice
    practice_raw = cols["practice"]
    norm = per_unique(practice_raw, normalize_practice_key)
    practice = norm.map(catalogue.key_to_id)
    reuse_via = pd.Series("", index=f.index, dtype=object)
    reuse_role = pd.Series("own", index=f.index, dtype=object)
    via = practice.isna() & norm.isin(list((external or {}).keys()))
    if via.any():
        target = norm[via].map(lambda k: external[k][0])
        rel = norm[via].map(lambda k: external[k][1])
        practice[via] = target
        reuse_via[via] = "mapping " + practice_raw[via] + " -> " + target + " (" + rel + ")"
        reuse_role[via] = rel.map(lambda r: "full" if r in ("equal", "superset") else "supporting")
    reject(practice_raw == "", "practice", "practice is empty", "fill in a practice id such as " + _example(catalogue))
    unknown = practice.isna() & (practice_raw != "")
    if unknown.any():
        hints = practice_raw[unknown].map(lambda t: _practice_hint(t, catalogue))
        reject(unknown, "practice", unknown_reason, hints.reindex(f.index, fill_value=""))
    # work product
    wp = cols["work_product"]
    reject(wp == "", "work_product", "work product is empty", "name the artifact (e.g. 'Integrated work plan v2')")
    # evidence type
    et_raw = cols["evidence_type"]
    et = _key(et_raw).map(EVIDENCE_TYPE_VALUES)
    et[et_raw == ""] = "artifact"
    reject(et.isna(), "evidence_type", "unknown evidence type", "use artifact (or direct / indirect), affirmation or weakness")
    # status
    st_raw = cols["status"]
    st = _key(st_raw).map(STATUS_VALUES)
    st[st_raw == ""] = ""
    reject(st.isna(), "status", "unknown status", "use one of: draft, in_review, approved, baselined, obsolete")
    # party
    pa_raw = cols["party"]
    pa = _key(pa_raw).map(PARTY_VALUES)
    pa[pa_raw == ""] = ""
    reject(pa.isna(), "party", "unknown party", "use customer, provider or shared")
    # date
    if "date" in f:
        dates, bad_date = parse_dates(f["date"])
        reject(bad_date, "date", "date does not parse", "write the date as YYYY-MM-DD or use a date cell",
               values=as_text(f["date"]))
    else:
        dates = pd.Series(pd.NaT, index=f.index, dtype="datetime64[ns]")

    ok = reason == ""
    accepted = pd.DataFrame({
        "project": project[ok], "practice": practice[ok], "ruleset": practice[ok].map(
            {pid: p.ruleset for pid, p in catalogue.practices.items()}),
        "practice_raw": practice_raw[ok], "work_product": wp[ok], "evidence_type": et[ok], "status": st[ok],
        "date": dates[ok], "owner": cols["owner"][ok], "party": pa[ok], "location": cols["location"][ok],
        "notes": cols["notes"][ok], "weakness": cols["weakness"][ok],
        "file": f["file"][ok], "sheet": f["sheet"][ok], "row": f["row"][ok],
        "reuse_via": reuse_via[ok], "reuse_role": reuse_role[ok],
    }, columns=list(ACCEPTED_COLUMNS))
    bad = ~ok
    rejected = pd.DataFrame({
        "file": f["file"][bad], "sheet": f["sheet"][bad], "row": f["row"][bad], "column": column[bad],
        "value": value[bad], "reason": reason[bad], "hint": hint[bad],
    }, columns=list(REJECTED_COLUMNS))
    return accepted.reset_index(drop=True), rejected.reset_index(drop=True), skipped


def _example(catalogue: Catalogue) -> str:
    return next(iter(catalogue.practices), "IWM.SP1.1")


def _practice_hint(text: str, catalogue: Catalogue) -> str:
    hit = catalogue.suggest(text)
    if hit:
        return f"did you mean {hit}?"
    ids = list(catalogue.practices)
    return "no selected ruleset has this practice; selected practices include " + ", ".join(ids[:4]) + (" ..." if len(ids) > 4 else "")


def _empty_accepted() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "date" else object) for c in ACCEPTED_COLUMNS})


def _empty_rejected() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in REJECTED_COLUMNS})
