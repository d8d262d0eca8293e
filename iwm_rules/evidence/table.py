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
from .arrays import repeated
from .columns import CANONICAL, EVIDENCE_TYPE_VALUES, JUDGED_VALUES, PARTY_VALUES, RECORDED_VALUES, STATUS_VALUES

ACCEPTED_COLUMNS = (
    "project", "practice", "ruleset", "practice_raw", "work_product", "evidence_type", "status", "date",
    "owner", "party", "location", "notes", "weakness", "file", "sheet", "row", "reuse_via", "reuse_role", "duplicate",
    "strength", "recommendation", "recorded", "judged",
)
REJECTED_COLUMNS = ("file", "sheet", "row", "column", "value", "reason", "hint")

PLACEHOLDER_KEYS = {"evidencename", "link", "engl", "tbd", "todo", "xxx", "atmtocomplete"}


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


def word_key(text: str) -> str:
    """Lower-case letters and digits only: how vocabulary values and placeholders are compared."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


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


class _Factor:
    """One column factorized once: per-distinct-value work, spread back with the codes."""

    def __init__(self, values: pd.Series | None, n: int):
        if values is None:
            self.codes = np.zeros(n, dtype=np.intp)
            self.uniques: list = [None]
        else:
            codes, uniques = pd.factorize(values, use_na_sentinel=True)
            self.uniques = list(uniques) + [None]
            self.codes = np.where(codes < 0, len(self.uniques) - 1, codes)
        self.texts = np.array([_cell_text(u).strip() for u in self.uniques], dtype=object)
        self.empty = (self.texts == "")[self.codes]

    def text(self) -> np.ndarray:
        return self.texts[self.codes]

    def map_text(self, func) -> np.ndarray:
        return np.array([func(t) for t in self.texts] + [None], dtype=object)[:-1][self.codes]

    def map_raw(self, func) -> np.ndarray:
        return np.array([func(u) for u in self.uniques] + [None], dtype=object)[:-1][self.codes]


def _lookup(table: dict):
    return lambda t: table.get(word_key(t))


def validate(frame: pd.DataFrame, catalogue: Catalogue, *, default_project,
             external: dict[str, tuple[str, str]] | None = None,
             unknown_reason="unknown practice", group: np.ndarray | None = None,
             ) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Split candidate rows into (accepted, rejected, placeholder_at).

    ``placeholder_at``: positions in ``frame`` of items skipped as template placeholders
    (blank items are skipped too; the caller counts rows, not items).

    ``default_project`` (the project of a row without one; None: such a row is rejected) and
    ``unknown_reason`` (the reason given for an unknown practice id) are one value for every
    row or an array with one per row. ``group``: the sheet each row comes from, when several
    sheets are validated together: exact duplicates are looked for within a sheet only, and
    both frames returned carry it as column ``_sid``.

    ``frame`` has any of the canonical columns plus ``file``, ``sheet``, ``row``.
    ``external``: normalized id of another framework's practice (e.g. CMMI V2.0 ``PLAN 2.7``)
    -> (selected practice id, relationship of the external practice to it), from a mapping file.
    Every check runs once per distinct cell value, so repeated values cost nothing.
    """
    n = len(frame)
    if n == 0:
        acc, rej = _empty_accepted(), _empty_rejected()
        if group is not None:
            acc["_sid"], rej["_sid"] = pd.Series(dtype=np.int64), pd.Series(dtype=np.int64)
        return acc, rej, np.zeros(0, dtype=np.intp)
    if "process_area" in frame and "practice" in frame:
        frame = frame.assign(practice=with_process_area(frame["process_area"], frame["practice"]))
    fac = {c: _Factor(frame[c] if c in frame else None, n) for c in CANONICAL}
    blank = np.ones(n, dtype=bool)
    for c in CANONICAL:
        blank &= fac[c].empty
    # template placeholders ("Evidence name", "link", "TBD") are not evidence: skipped like blank
    # rows, unless the row says something of its own: a weakness, an affirmation or a status
    placeholder = fac["work_product"].map_text(lambda t: word_key(t) in PLACEHOLDER_KEYS).astype(bool)
    et_raw = fac["evidence_type"].map_text(_lookup(EVIDENCE_TYPE_VALUES))
    says = ~fac["weakness"].empty | ~fac["status"].empty | (et_raw == "affirmation")
    skipped_placeholder = placeholder & ~says
    placeholder_at = np.flatnonzero(skipped_placeholder & ~blank)
    blank |= skipped_placeholder
    keep = ~blank
    m = int(keep.sum())
    if m == n:
        keep = slice(None)  # every row is kept: the selections below are views, not copies
    text = {c: fac[c].text()[keep] for c in CANONICAL if c != "date"}
    empty = {c: fac[c].empty[keep] for c in CANONICAL}
    placeholder = placeholder[keep]
    problems: list[tuple[np.ndarray, str, str, object, np.ndarray]] = []  # every bad cell, in check order

    def reject(mask: np.ndarray, col: str, why: str, hints, values: np.ndarray | None = None) -> None:
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        vals = (values if values is not None else text[col])[idx]
        problems.append((idx, col, why, hints[idx] if isinstance(hints, np.ndarray) else hints, vals))

    # project: the name exactly as written (an empty or all-space cell is empty)
    project = fac["project"].map_raw(_cell_text)[keep]
    if isinstance(default_project, np.ndarray):
        project[empty["project"]] = default_project[keep][empty["project"]]
    else:
        project[empty["project"]] = default_project or ""
    reject(project == "", "project", "project is empty",
           "fill in the project (a merged project cell counts for every row it spans), or pass --project NAME")
    # practice
    practice_raw = text["practice"]
    norm = fac["practice"].map_text(normalize_practice_key)[keep]
    practice = fac["practice"].map_text(lambda t: catalogue.key_to_id.get(normalize_practice_key(t)))[keep]
    reuse_via = repeated(m, "")
    reuse_role = repeated(m, "own")
    if external:
        via = pd.isna(practice) & np.isin(norm, list(external))
        for i in np.flatnonzero(via):
            target, rel, *label = external[norm[i]]  # label: how the mapping is named (e.g. the bridge)
            practice[i] = target
            reuse_via[i] = f"{label[0] if label else 'mapping'} {practice_raw[i]} -> {target} ({rel})"
            reuse_role[i] = "full" if rel in ("equal", "superset") else "supporting"
    reject(empty["practice"], "practice", "practice is empty", "fill in a practice id such as " + _example(catalogue))
    unknown = pd.isna(practice) & ~empty["practice"]
    if unknown.any():
        hints = fac["practice"].map_text(lambda t: _practice_hint(t, catalogue) if t else "")[keep]
        if isinstance(unknown_reason, np.ndarray):
            reasons = unknown_reason[keep]
            for why in dict.fromkeys(reasons[unknown].tolist()):  # one check per reason, rows in order
                reject(unknown & (reasons == why), "practice", why, hints)
        else:
            reject(unknown, "practice", unknown_reason, hints)
    # work product
    reject(empty["work_product"], "work_product", "work product is empty",
           "name the artifact (e.g. 'Integrated work plan v2')")
    # a placeholder work product on a row with something of its own: a weakness is kept as a
    # recorded weakness (no artifact is credited, see below); otherwise the artifact must be named
    reject(placeholder & empty["weakness"], "work_product", "work product is a placeholder",
           "name the artifact the status or affirmation is about, or clear the row")
    # evidence type, status, party: a fixed vocabulary each
    et = fac["evidence_type"].map_text(_lookup(EVIDENCE_TYPE_VALUES))[keep]
    et[empty["evidence_type"]] = "artifact"
    reject(pd.isna(et), "evidence_type", "unknown evidence type",
           "use artifact (or direct / indirect), affirmation or weakness")
    et[placeholder & ~empty["weakness"]] = "weakness"
    st = fac["status"].map_text(_lookup(STATUS_VALUES))[keep]
    st[empty["status"]] = ""
    reject(pd.isna(st), "status", "unknown status", "use one of: draft, in_review, approved, baselined, obsolete")
    pa = fac["party"].map_text(_lookup(PARTY_VALUES))[keep]
    pa[empty["party"]] = ""
    reject(pd.isna(pa), "party", "unknown party", "use customer, provider or shared")
    rc = fac["recorded"].map_text(_lookup(RECORDED_VALUES))[keep]
    rc[empty["recorded"]] = ""
    reject(pd.isna(rc), "recorded", "unknown characterization",
           "use FM, LM, PM, DM, NY (CMMI V2.0) or FI, LI, PI, NI, NY")
    jd = fac["judged"].map_text(_lookup(JUDGED_VALUES))[keep]
    jd[empty["judged"]] = ""
    reject(pd.isna(jd), "judged", "unknown judgement", "use adequate, inadequate or unverified")
    # date
    parsed = fac["date"].map_raw(_to_date)[keep]
    bad_date = (parsed == False).astype(bool)  # noqa: E712 - elementwise: _to_date's "does not parse"
    reject(bad_date, "date", "date does not parse", "write the date as YYYY-MM-DD or use a date cell",
           values=fac["date"].text()[keep])
    parsed[bad_date] = None
    dates = pd.to_datetime(pd.Series(parsed, dtype=object).where(pd.notna(parsed), pd.NaT))

    ok = np.ones(m, dtype=bool)
    for idx, *_ in problems:
        ok[idx] = False
    rows_kept = frame.loc[keep, ["file", "sheet", "row"]].reset_index(drop=True)
    # exact duplicates (every cell the same), found on the factor codes rather than the texts
    columns = [(fac[c].codes[keep], len(fac[c].uniques)) for c in CANONICAL]
    if group is not None:
        columns.append((group[keep], int(group.max()) + 1 if len(group) else 1))
    duplicate = _duplicated_rows(columns, m)
    ruleset_of = {pid: p.ruleset for pid, p in catalogue.practices.items()}
    kept_practice = practice[ok]
    p_codes, p_uniques = pd.factorize(kept_practice, use_na_sentinel=False) if len(kept_practice) else ([], [])
    accepted = pd.DataFrame({
        "project": project[ok], "practice": kept_practice,
        "ruleset": np.array([ruleset_of.get(p) for p in p_uniques] + [None], dtype=object)[:-1][p_codes],
        "practice_raw": practice_raw[ok], "work_product": text["work_product"][ok], "evidence_type": et[ok],
        "status": st[ok], "date": dates[ok].to_numpy(), "owner": text["owner"][ok], "party": pa[ok],
        "location": text["location"][ok], "notes": text["notes"][ok], "weakness": text["weakness"][ok],
        "file": rows_kept["file"][ok].to_numpy(), "sheet": rows_kept["sheet"][ok].to_numpy(),
        "row": rows_kept["row"][ok].to_numpy(), "reuse_via": reuse_via[ok], "reuse_role": reuse_role[ok],
        "duplicate": duplicate[ok], "strength": text["strength"][ok], "recommendation": text["recommendation"][ok],
        "recorded": rc[ok], "judged": jd[ok],
    }, columns=list(ACCEPTED_COLUMNS))
    rejected = _rejected_frame(problems, rows_kept)
    if group is not None:
        kept_group = group[keep]
        accepted["_sid"] = kept_group[ok]
        rejected["_sid"] = kept_group[_rejected_at(problems)] if len(rejected) else np.zeros(0, dtype=np.int64)
    return accepted, rejected, placeholder_at


def with_process_area(area: pd.Series, practice: pd.Series) -> pd.Series:
    """``GP 2.2`` in a row whose process area is ``IWM`` -> ``IWM GP 2.2`` (an id that already
    starts with its process area is left as it is)."""
    a = area.map(_cell_text).str.strip()
    p = practice.map(_cell_text).str.strip()
    akey = a.map(word_key)
    pkey = p.map(word_key)
    prefixed = pd.Series([bool(k) and q.startswith(k) for k, q in zip(akey, pkey)], index=practice.index)
    combine = (a != "") & (p != "") & ~prefixed
    return practice.where(~combine, a + " " + p)


def _rejected_frame(problems: list, rows_kept: pd.DataFrame) -> pd.DataFrame:
    """One rejected entry per bad cell, ordered by row, then in the order the checks ran."""
    if not problems:
        return _empty_rejected()
    idx = np.concatenate([p[0] for p in problems])
    order = np.argsort(idx, kind="stable")
    idx = idx[order]

    def spread(k: int) -> np.ndarray:
        parts = [p[k] if isinstance(p[k], np.ndarray) else repeated(len(p[0]), p[k]) for p in problems]
        return np.concatenate(parts).astype(object)[order]

    return pd.DataFrame({
        "file": rows_kept["file"].to_numpy()[idx], "sheet": rows_kept["sheet"].to_numpy()[idx],
        "row": rows_kept["row"].to_numpy()[idx], "column": spread(1), "value": spread(4), "reason": spread(2),
        "hint": spread(3),
    }, columns=list(REJECTED_COLUMNS))


def _duplicated_rows(columns: list[tuple[np.ndarray, int]], m: int) -> np.ndarray:
    """Which rows equal another row in every column, from each column's integer codes and their
    count: the codes are folded into one integer key per row (re-numbered whenever the key
    space would pass 2**62), then the keys are compared."""
    if not m:
        return np.zeros(0, dtype=bool)
    key = np.zeros(m, dtype=np.int64)
    space = 1
    for codes, size in columns:
        size = max(int(size), 1)
        if space * size >= 1 << 62:
            key = pd.factorize(key)[0].astype(np.int64)
            space = int(key.max()) + 1
        key = key * size + codes.astype(np.int64)
        space *= size
    return pd.Series(key).duplicated(keep=False).to_numpy()


def _rejected_at(problems: list) -> np.ndarray:
    """Positions (among the rows kept) of the entries of ``_rejected_frame``, in its order."""
    idx = np.concatenate([p[0] for p in problems])
    return idx[np.argsort(idx, kind="stable")]


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
