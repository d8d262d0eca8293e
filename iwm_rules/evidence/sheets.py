"""Candidate rows of many sheets (of many files) validated together, then counted sheet by sheet.

:func:`validate_sheets` runs :func:`table.validate` once over every laid-out sheet of a call to
``load_evidence`` (a batch worker's ~50 files at a time), with a per-row default project and
unknown-practice reason, duplicates looked for within each sheet only; each sheet's rejected
entries are then finished (the layout reader's own, csv cells in a second encoding) and its
rows counted as accepted, rejected or skipped (and why), exactly as validating sheet by sheet.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..ruleset import Catalogue
from . import bridge as bridging
from .columns import column_letter
from .limits import GridRows
from .table import ACCEPTED_COLUMNS, REJECTED_COLUMNS, validate


@dataclass
class FileDone:
    """A file read whole: its report, what it names (for ``FileReport.found``), its warnings in
    order (a list in there is a sheet's duplicate-row warnings, filled after validation)."""

    report: object  # FileReport
    seen: list
    warnings: list

    def all_warnings(self) -> list[dict]:
        """Its warnings in order, each sheet's duplicate-row warnings in their place."""
        return [w for item in self.warnings for w in (item if isinstance(item, list) else [item])]


@dataclass
class PendingSheet:
    """One evidence sheet laid out as candidate rows, waiting to be validated with the others."""

    file: FileDone
    sheet: object  # RawSheet
    frame: pd.DataFrame
    cols: dict
    default: str | None  # the project of rows without one
    unknown_reason: str
    duplicates: list  # filled with this sheet's duplicate-row warnings


def validate_sheets(pending: list[PendingSheet], catalogue: Catalogue, external: dict, br, off_bridge: dict):
    """Validate the candidate rows of every sheet at once (one pass of vectorized checks,
    however many small files), then count each sheet's rows and finish its rejected rows.

    (accepted table, rejected rows), both in the order of the sheets."""
    if not pending:
        return pd.DataFrame(columns=list(ACCEPTED_COLUMNS)), pd.DataFrame(columns=list(REJECTED_COLUMNS))
    sizes = np.array([len(p.frame) for p in pending])
    frame = pd.concat([p.frame for p in pending], ignore_index=True) if len(pending) > 1 else pending[0].frame
    sid = np.repeat(np.arange(len(pending)), sizes)
    defaults = np.repeat(np.array([p.default or "" for p in pending], dtype=object), sizes)
    reasons = np.repeat(np.array([p.unknown_reason for p in pending], dtype=object), sizes)
    acc, rej, placeholder_at = validate(frame, catalogue, default_project=defaults, external=external,
                                        unknown_reason=reasons, group=sid)
    rej = _finish_rejected(rej, pending)
    rej = bridging.hint_unmapped(rej, br, off_bridge)
    rej_key = _row_keys(rej)
    if len(rej):  # a row is used whole or not at all
        acc = acc[~_row_keys(acc).isin(rej_key.to_numpy())]
    acc = bridging.expand(acc, br, catalogue)
    if len(acc) and acc["_sid"].is_monotonic_increasing is False:  # copies of bridged rows follow their own sheet
        acc = acc.iloc[np.argsort(acc["_sid"].to_numpy(), kind="stable")]
    _count_rows(pending, frame, sid, acc, rej, placeholder_at)
    _duplicate_warnings(acc, pending)
    return (acc.drop(columns="_sid").reset_index(drop=True),
            rej.drop(columns="_sid").reset_index(drop=True))


def _row_keys(frame: pd.DataFrame) -> pd.Series:
    """(sheet, row) as one integer per entry."""
    return frame["_sid"].astype(np.int64) * (1 << 32) + frame["row"].astype(np.int64)


def _finish_rejected(rej: pd.DataFrame, pending: list[PendingSheet]) -> pd.DataFrame:
    """Each sheet's rejected entries: those its layout reader found itself first, then the
    validator's, plus a csv's cells in a second encoding (then ordered by row); repeats dropped."""
    parts = [rej.assign(_part=np.ones(len(rej), dtype=np.int64))]
    bad_sheets = []
    for i, p in enumerate(pending):
        if p.frame.attrs.get("rejected"):
            parts.append(pd.DataFrame(p.frame.attrs["rejected"], columns=list(REJECTED_COLUMNS)).assign(_sid=i, _part=0))
        if p.sheet.bad_cells:
            extra = _encoding_rejects(p.sheet, set(p.frame["row"].tolist()), p.cols)
            if extra is not None:
                parts.append(extra.assign(_sid=i, _part=2))
                bad_sheets.append(i)
    if len(parts) > 1:
        rej = pd.concat(parts, ignore_index=True)
        part = rej["_part"].to_numpy()
        sheet_of = rej["_sid"].to_numpy()
        by_row = np.isin(sheet_of, bad_sheets)
        first = np.where(by_row, rej["row"].to_numpy(dtype=np.int64), np.minimum(part, 1))
        second = np.where(by_row, np.minimum(part, 1), 0)
        rej = rej.iloc[np.lexsort((second, first, sheet_of))]
    rej = rej.drop(columns="_part", errors="ignore")
    return rej.drop_duplicates(subset=["_sid", "row", "column", "reason"])


def _count_rows(pending: list[PendingSheet], frame: pd.DataFrame, sid: np.ndarray, acc: pd.DataFrame,
                rej: pd.DataFrame, placeholder_at: np.ndarray) -> None:
    """Per sheet: rows read = accepted + rejected + skipped (and why skipped), items accepted."""
    n = len(pending)
    rows = frame["row"].to_numpy()
    acc_sid, acc_row = acc["_sid"].to_numpy(), acc["row"].to_numpy()
    rej_sid, rej_row = rej["_sid"].to_numpy(), rej["row"].to_numpy()
    cand_at = np.searchsorted(sid, np.arange(n + 1))
    acc_at = np.searchsorted(acc_sid, np.arange(n + 1)) if len(acc) else np.zeros(n + 1, dtype=np.intp)
    rej_order = np.argsort(rej_sid, kind="stable")
    rej_sid, rej_row = rej_sid[rej_order], rej_row[rej_order]
    rej_at = np.searchsorted(rej_sid, np.arange(n + 1)) if len(rej) else np.zeros(n + 1, dtype=np.intp)
    ph_sid = sid[placeholder_at]
    ph_at = np.searchsorted(ph_sid, np.arange(n + 1))
    ph_rows = rows[placeholder_at]
    for i, p in enumerate(pending):
        report, sheet = p.file.report, p.sheet
        read = len(sheet.rows)
        candidates = set(rows[cand_at[i]:cand_at[i + 1]].tolist())
        note_rows = set(p.frame.attrs.get("note_rows", ()))
        rej_rows = set(rej_row[rej_at[i]:rej_at[i + 1]].tolist())
        acc_rows_all = acc_row[acc_at[i]:acc_at[i + 1]]
        notes_only = note_rows - rej_rows  # team notes below a matrix: not documents, counted as headings
        acc_rows = set(acc_rows_all.tolist()) - notes_only
        report.rows_rejected += len(rej_rows)
        report.rows_accepted += len(acc_rows)
        report.rows_skipped += read - len(rej_rows) - len(acc_rows)
        _count_skipped(report.skipped, sheet, candidates - notes_only, acc_rows | rej_rows,
                       set(ph_rows[ph_at[i]:ph_at[i + 1]].tolist()))
        report.evidence_items += int(len(acc_rows_all) - np.isin(acc_rows_all, list(notes_only)).sum()) \
            if notes_only else int(len(acc_rows_all))


def _encoding_rejects(sheet, candidates: set, cols: dict) -> pd.DataFrame | None:
    """A csv row holding bytes of another encoding is rejected (reason ``encoding``), one entry per
    cell, whatever else it holds. (Such bytes above the header only spoil a title, which is not read.)"""
    bad = [(row, j, value, detail) for row, j, value, detail in sheet.bad_cells if row in candidates]
    if not bad:
        return None
    return pd.DataFrame([{"file": sheet.file, "sheet": sheet.sheet or "", "row": row,
                          "column": cols.get(j) or f"column {column_letter(j)}", "value": value, "reason": "encoding",
                          "hint": f"{detail}: save the file as UTF-8 (every row in one encoding)"}
                         for row, j, value, detail in bad], columns=list(REJECTED_COLUMNS))


def _count_skipped(counts: dict, sheet, candidates: set, used: set, placeholder_rows: set) -> None:
    """Say why each skipped row of a sheet was skipped (blank, placeholder or heading)."""
    placeholders = placeholder_rows - used
    blank_candidates = candidates - used - placeholders
    # only the rows that are not candidates are looked at (above the header, mostly)
    numbers = sheet.first_row + np.arange(len(sheet.rows))
    outside = np.flatnonzero(~np.isin(numbers, np.fromiter(candidates, dtype=np.int64, count=len(candidates))))
    if isinstance(sheet.rows, GridRows):  # a csv read into columns: no Python per row
        blank_others = int(sheet.rows.blank()[outside].sum())
    else:
        blank_others = sum(1 for i in outside.tolist() if all(v is None or v == "" for v in sheet.rows[i]))
    others = len(sheet.rows) - len(candidates)
    counts["placeholder"] += len(placeholders)
    counts["blank"] += len(blank_candidates) + blank_others
    counts["heading"] += others - blank_others


def _duplicate_warnings(acc: pd.DataFrame, pending: list[PendingSheet]) -> None:
    """Exact duplicate rows of a sheet (same values in every column but the row number) are
    flagged, not dropped: one warning per set, into that sheet's place among the warnings."""
    dup = acc[acc["duplicate"].astype(bool)]
    if len(dup) < 2:
        return
    cols = ["_sid"] + [c for c in ACCEPTED_COLUMNS if c not in ("row", "file", "sheet", "duplicate")]
    for key, group in dup.groupby(cols, dropna=False, sort=False):
        rows = sorted(set(int(r) for r in group["row"]))
        if len(rows) > 1:
            p = pending[key[0]]
            p.duplicates.append({"file": p.sheet.file, "sheet": p.sheet.sheet or "", "rows": rows,
                                 "message": f"rows {', '.join(map(str, rows))} are exact duplicates (each is counted)"})
