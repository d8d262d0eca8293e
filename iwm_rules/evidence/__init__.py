"""Evidence files -> one validated table of accepted rows, plus every rejected row.

Each sheet's layout is detected (long, PIID wide, appraisal-kit OEdb) unless forced; the
layout reader turns the sheet into candidate rows, and :func:`table.validate` accepts or
rejects each one. Per file, ``rows_read = rows_accepted + rows_rejected + rows_skipped``
counts spreadsheet rows: a row is rejected when any item of it is, accepted when an item
of it is used, skipped otherwise (blank, heading, title, template placeholder).

Meaning is kept (docs/evidence-loading.md): merged cells fill their range; two header columns
for one field are an error for the file (an exact name beats an alias, with a warning); a
blank project cell in a sheet with a project column is rejected; project names are kept as
written and look-alikes are warned about; csv rows in a second encoding are rejected.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EvidenceFileError
from ..gcpause import paused_gc
from ..memory import release_free_memory
from ..model import Mapping, Ruleset
from ..ruleset import Catalogue, normalize_practice_key
from . import bridge as bridging
from . import long as long_layout
from . import matrix, observations, oedb, piid
from .columns import REPORT_EVIDENCE_HEADER, column_letter, resolve_duplicates
from .limits import GridRows
from .names import project_variants
from .table import ACCEPTED_COLUMNS, REJECTED_COLUMNS, validate

#: layout name -> (header finder, candidate builder); detection tries them in this order.
#: A builder may hand back, in ``frame.attrs``: ``rejected`` (cells it rejected itself),
#: ``warnings``, and ``note_rows`` (rows holding team notes only, counted as skipped headings).
READERS = {
    "oedb": (oedb.find_header, oedb.candidate_frame),
    "piid": (piid.find_header, piid.candidate_frame),
    "matrix": (matrix.find_header, matrix.candidate_frame),
    "long": (long_layout.find_header, long_layout.candidate_frame),
    "observations": (observations.find_header, observations.candidate_frame),
}
LAYOUTS = ("auto", *READERS)


@dataclass
class FileReport:
    path: str
    sha256: str
    layout: str
    encoding: str | None = None  # csv: the encoding the file was decoded with; workbooks: None
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0
    evidence_items: int = 0  # accepted items (a PIID row may hold several)
    #: why rows were skipped: blank, heading (titles, header rows, layout headings),
    #: placeholder (template text such as "Evidence name"), other_sheet (sheets with no evidence header)
    skipped: dict = field(default_factory=lambda: {"blank": 0, "heading": 0, "placeholder": 0, "other_sheet": 0})
    #: for a file that yields no accepted row: the projects and practice ids it names (what was found)
    found: dict | None = None

    def as_record(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None or k != "found"}


@dataclass
class Evidence:
    """Accepted rows (``table``), rejected rows, per-file counts, unreadable files."""

    table: pd.DataFrame
    rejected: pd.DataFrame
    files: list[FileReport] = field(default_factory=list)
    errors: list[EvidenceFileError] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    #: rows that reached our practices through the CMMI V2.0/V3.0 bridge (``bridge.usage``)
    bridge: dict = field(default_factory=dict)

    @property
    def projects(self) -> list[str]:
        return sorted(self.table["project"].unique().tolist()) if len(self.table) else []


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _detect(rows: list[list], layout: str):
    """(layout, (header index, columns)) of a sheet. Auto: the layout whose header row comes
    first wins (a data row below a long-layout header may look like a matrix header); on the
    same row, the order of READERS decides.

    Each header finder looks at rows one by one and returns the first that fits, so once a
    header is found at row k the others need only look at rows 0..k; the long layout, the
    usual one, is tried first."""
    if layout != "auto":
        found = READERS[layout][0](rows)
        return (layout, found) if found else (None, None)
    rank = {name: i for i, name in enumerate(READERS)}
    best = None
    for name in _DETECT_ORDER:
        found = READERS[name][0](rows if best is None else rows[:best[1][0] + 1])
        if found and (best is None or (found[0], rank[name]) < (best[1][0], rank[best[0]])):
            best = (name, found)
    return best if best else (None, None)


#: the order the header finders are tried in (the result does not depend on it)
_DETECT_ORDER = ("long", *(name for name in READERS if name != "long"))


@paused_gc
def load_evidence(paths, rulesets: list[Ruleset], *, project: str | None = None, layout: str = "auto",
                  limits=None, mappings: tuple[Mapping, ...] = (), bridge: tuple[Mapping, ...] = (),
                  use_bridge: bool = True, legend: dict | None = None, before_file=None) -> Evidence:
    """Read every evidence file; a file that cannot be read is listed in ``errors``.

    ``mappings`` may relate practices of other frameworks (e.g. CMMI V2.0 ids in an OEdb) to
    selected practices; rows of such practices are then accepted for the mapped practice.
    ``bridge``: the CMMI V2.0/V3.0 bridge rows (``ruleset.load_bridge``), applied unless
    ``use_bridge`` is false. ``legend``: marks of the document x practice matrix (mark -> kind).
    ``before_file(path)`` is called before each file is read.

    The candidate rows of every sheet of every file are validated in one vectorized pass, so
    many small files cost little more than one file of their total size.
    """
    from .raw import read_raw  # the raw readers carry the safety checks

    if isinstance(paths, (str, Path)):
        paths = [paths]
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; choose from {', '.join(LAYOUTS)}")
    catalogue = Catalogue(rulesets)
    br = bridging.resolve(tuple(mappings), catalogue, tuple(bridge) if use_bridge else (), enabled=use_bridge)
    external = br.external
    off_bridge = {} if use_bridge or not bridge else {
        k: [t[0] for t in v] for k, v in bridging.resolve((), catalogue, tuple(bridge)).targets.items()}

    def known(text: str) -> bool:
        key = normalize_practice_key(text)
        return key in catalogue.key_to_id or key in external
    reports, errors, warnings = [], [], []
    pending: list[_Pending] = []  # sheets laid out as candidate rows, validated together below
    for p in paths:
        path = Path(p)
        if before_file is not None:
            before_file(path)
        try:
            sheets = read_raw(path, limits=limits)
            digest = sha256_of(path)
        except EvidenceFileError as exc:
            errors.append(exc)
            continue
        report = FileReport(str(path), digest, layout, encoding=sheets[0].encoding if sheets else None)
        own = _report_evidence_sheets(sheets)
        if own:
            warnings.append({"file": str(path), "sheet": own[0].sheet or "",
                             "message": "an iwm-rules report: only its Evidence sheet(s) are read as evidence"})
        done = _FileDone(report, seen=[], warnings=[])
        detected = [(s, *(_detect(s.rows, layout) if not own or any(s is o for o in own) else (None, None)))
                    for s in sheets]
        # kits keep matrix templates in hidden sheets: read only once a document is marked against our practices
        detected = [(s, None, None) if name == "matrix" and layout == "auto" and s.hidden
                    and not matrix.marks_a_known_practice(s.rows, found, known) else (s, name, found)
                    for s, name, found in detected]
        n_evidence_sheets = sum(1 for _, name, _ in detected if name)
        layouts_seen = set()
        file_errors, file_sheets = [], []
        for sheet, name, found in detected:
            read = len(sheet.rows)
            report.rows_read += read
            where = {"file": str(path), "sheet": sheet.sheet or ""}
            if not name:
                report.rows_skipped += read
                report.skipped["other_sheet"] += read
                if read and not sheet.hidden and not own:
                    done.warnings.append({**where, "message": f"no evidence header found in the first 20 rows; "
                                                              f"{read} row(s) skipped"})
                continue
            layouts_seen.add(name)
            at, cols = found
            problems, notes = resolve_duplicates(cols, at, sheet.merged)
            in_sheet = f"sheet {sheet.sheet!r}, header row {sheet.first_row + at}: " if sheet.sheet else \
                f"header row {sheet.first_row + at}: "
            file_errors.extend(EvidenceFileError(str(path), in_sheet + e) for e in problems)
            done.warnings.extend({**where, "kind": "ignored_column", "message": in_sheet + w} for w in notes)
            if problems:
                continue
            _drop_lone_copies(sheet, at, cols)
            extra = {"known": known, "legend": legend} if name == "matrix" else {}
            frame = READERS[name][1](sheet.rows, at, cols, file=str(path), sheet=sheet.sheet, first_row=sheet.first_row,
                                     **extra)
            done.warnings.extend(frame.attrs.get("warnings", ()))
            if name == "long" and not own:
                done.warnings.extend(_unread_warning(sheet.rows, at, cols, where, in_sheet))
            done.seen.append(frame)  # its project and practice columns, read only if the file yields nothing
            if project or _has_project_column(name, cols):
                default = project  # a blank project cell is rejected, never credited to a made-up project
            else:
                default = sheet.sheet if name == "long" and n_evidence_sheets > 1 and sheet.sheet else path.stem
            duplicates: list[dict] = []  # this sheet's duplicate-row warnings, found once every sheet is validated
            done.warnings.append(duplicates)
            file_sheets.append(_Pending(done, sheet, frame, cols, default,
                                        "unmapped_practice" if name == "oedb" else "unknown practice", duplicates))
        if file_errors:  # a file is used whole or not at all
            errors.extend(file_errors)
            continue
        report.layout = ",".join(sorted(layouts_seen)) or "none"
        reports.append(done)
        warnings.append(done)  # its warnings take this place once its sheets are validated
        pending.extend(file_sheets)
    table, rej = _validate_sheets(pending, catalogue, external, br, off_bridge)
    del pending
    for done in reports:
        if not done.report.rows_accepted and done.seen:
            done.report.found = _found(done.seen, br, off_bridge)
        done.seen = []
    release_free_memory()  # the raw cells and candidate frames are gone: their pages go back to the system
    warnings = [w for item in warnings for w in (_flat(item.warnings) if isinstance(item, _FileDone) else [item])]
    warnings.extend(project_variants(table))
    return Evidence(table=table, rejected=rej, files=[d.report for d in reports], errors=errors, warnings=warnings,
                    bridge=bridging.usage(table, br))


def _flat(items: list) -> list[dict]:
    return [w for item in items for w in (item if isinstance(item, list) else [item])]


@dataclass
class _FileDone:
    """A file read whole: its report, what it names (for ``FileReport.found``), its warnings in
    order (a list in there is a sheet's duplicate-row warnings, filled after validation)."""

    report: FileReport
    seen: list
    warnings: list


@dataclass
class _Pending:
    """One evidence sheet laid out as candidate rows, waiting to be validated with the others."""

    file: _FileDone
    sheet: object  # RawSheet
    frame: pd.DataFrame
    cols: dict
    default: str | None  # the project of rows without one
    unknown_reason: str
    duplicates: list  # filled with this sheet's duplicate-row warnings


def _validate_sheets(pending: list[_Pending], catalogue: Catalogue, external: dict, br, off_bridge: dict):
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
    rej = _finish_rejected(rej, pending, frame, sid)
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


def _finish_rejected(rej: pd.DataFrame, pending: list[_Pending], frame: pd.DataFrame, sid: np.ndarray) -> pd.DataFrame:
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


def _count_rows(pending: list[_Pending], frame: pd.DataFrame, sid: np.ndarray, acc: pd.DataFrame,
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


def _found(frames: list[pd.DataFrame], br, off_bridge: dict, limit: int = 60) -> dict:
    """The projects and practice ids a file names, and which of them a mapping or the bridge relates."""
    projects: dict[str, None] = {}
    practices: dict[str, str] = {}
    for f in frames:
        for v in f.get("project", pd.Series(dtype=object)).dropna().unique():
            if str(v).strip():
                projects.setdefault(str(v).strip(), None)
        for v in f.get("practice", pd.Series(dtype=object)).dropna().unique():
            if str(v).strip():
                practices.setdefault(normalize_practice_key(v), " ".join(str(v).split()))
    related = {raw: [t[0] for t in br.targets[k]] for k, raw in practices.items() if k in br.targets}
    off = {raw: off_bridge[k] for k, raw in practices.items() if k in off_bridge}
    ids = [raw for raw in practices.values() if raw in related or raw in off] + \
        [raw for raw in practices.values() if raw not in related and raw not in off]  # what can be rated first
    return {"projects": list(projects)[:limit], "n_projects": len(projects),
            "practices": ids[:4 * limit], "n_practices": len(practices), "related": related, "bridge_off": off}


def _report_evidence_sheets(sheets: list) -> list:
    """The Evidence sheet(s) of a workbook iwm-rules wrote (header row = the report's), or [].

    The report's other sheets (gaps, findings, rejected rows, the catalogue) are not evidence,
    even where a row of them happens to look like a header. A very long Evidence sheet
    continues on "Evidence (2)", ... with the same header."""
    if len(sheets) < 2:
        return []
    head = list(REPORT_EVIDENCE_HEADER)
    return [s for s in sheets if s.rows and [str(c or "") for c in s.rows[0][:len(head)]] == head]


def _drop_lone_copies(sheet, header_at: int, cols: dict) -> None:
    """A row below the header whose only content in the columns read is merged-cell copies (an
    empty template row under a merged project cell) is a blank row: its copies are removed."""
    for r, spans in sheet.filled.items():
        if r <= header_at:
            continue
        row = sheet.rows[r]
        copies = {c for first, last in spans for c in range(first, last + 1)}
        if all(j in copies or j >= len(row) or row[j] == "" or row[j] is None for j in cols):
            for c in copies:
                row[c] = ""


def _unread_warning(rows, header_at: int, cols, where: dict, in_sheet: str) -> list[dict]:
    """A warning naming the columns below a long-layout header that hold values no field is read
    from (nothing a row says is dropped without the user being told)."""
    aliases = {j for found in getattr(cols, "duplicates", {}).values() for j, *_ in found}
    unread = long_layout.unread_columns(rows, header_at, cols, skip=aliases)
    if not unread:
        return []
    shown = ", ".join(f"{column_letter(j)} {text!r} ({n} cell(s))" if text else f"{column_letter(j)} (no header, "
                      f"{n} cell(s))" for j, text, n in unread[:12]) + (" ..." if len(unread) > 12 else "")
    return [{**where, "kind": "unread_column",
             "message": f"{in_sheet}values in columns no field is read from: {shown}; if they are evidence, "
                        "give the column a field's name (docs/evidence-loading.md, Header columns)"}]


def _has_project_column(layout: str, cols: dict) -> bool:
    """The layout reads project names from a column (OEdb instance rows always carry one)."""
    return layout == "oedb" or "project" in cols.values()


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


def _duplicate_warnings(acc: pd.DataFrame, pending: list[_Pending]) -> None:
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
