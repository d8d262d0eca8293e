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
    same row, the order of READERS decides."""
    names = READERS if layout == "auto" else [layout]
    best = None
    for name in names:
        found = READERS[name][0](rows)
        if found and (best is None or found[0] < best[1][0]):
            best = (name, found)
    return best if best else (None, None)


@paused_gc
def load_evidence(paths, rulesets: list[Ruleset], *, project: str | None = None, layout: str = "auto",
                  limits=None, mappings: tuple[Mapping, ...] = (), bridge: tuple[Mapping, ...] = (),
                  use_bridge: bool = True, legend: dict | None = None) -> Evidence:
    """Read every evidence file; a file that cannot be read is listed in ``errors``.

    ``mappings`` may relate practices of other frameworks (e.g. CMMI V2.0 ids in an OEdb) to
    selected practices; rows of such practices are then accepted for the mapped practice.
    ``bridge``: the CMMI V2.0/V3.0 bridge rows (``ruleset.load_bridge``), applied unless
    ``use_bridge`` is false. ``legend``: marks of the document x practice matrix (mark -> kind).
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
    accepted, rejected, reports, errors, warnings = [], [], [], [], []
    for p in paths:
        path = Path(p)
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
        seen: list[pd.DataFrame] = []
        detected = [(s, *(_detect(s.rows, layout) if not own or any(s is o for o in own) else (None, None)))
                    for s in sheets]
        # kits keep matrix templates in hidden sheets: read only once a document is marked against our practices
        detected = [(s, None, None) if name == "matrix" and layout == "auto" and s.hidden
                    and not matrix.marks_a_known_practice(s.rows, found, known) else (s, name, found)
                    for s, name, found in detected]
        n_evidence_sheets = sum(1 for _, name, _ in detected if name)
        layouts_seen = set()
        file_acc, file_rej, file_errors, file_warnings = [], [], [], []
        for sheet, name, found in detected:
            read = len(sheet.rows)
            report.rows_read += read
            where = {"file": str(path), "sheet": sheet.sheet or ""}
            if not name:
                report.rows_skipped += read
                report.skipped["other_sheet"] += read
                if read and not sheet.hidden and not own:
                    file_warnings.append({**where, "message": f"no evidence header found in the first 20 rows; "
                                                              f"{read} row(s) skipped"})
                continue
            layouts_seen.add(name)
            at, cols = found
            problems, notes = resolve_duplicates(cols, at, sheet.merged)
            in_sheet = f"sheet {sheet.sheet!r}, header row {sheet.first_row + at}: " if sheet.sheet else \
                f"header row {sheet.first_row + at}: "
            file_errors.extend(EvidenceFileError(str(path), in_sheet + e) for e in problems)
            file_warnings.extend({**where, "kind": "ignored_column", "message": in_sheet + w} for w in notes)
            if problems:
                continue
            _drop_lone_copies(sheet, at, cols)
            extra = {"known": known, "legend": legend} if name == "matrix" else {}
            frame = READERS[name][1](sheet.rows, at, cols, file=str(path), sheet=sheet.sheet, first_row=sheet.first_row,
                                     **extra)
            note_rows = set(frame.attrs.get("note_rows", ()))
            file_warnings.extend(frame.attrs.get("warnings", ()))
            seen.append(frame[[c for c in ("project", "practice") if c in frame]])
            if project or _has_project_column(name, cols):
                default = project  # a blank project cell is rejected, never credited to a made-up project
            else:
                default = sheet.sheet if name == "long" and n_evidence_sheets > 1 and sheet.sheet else path.stem
            acc, rej, placeholder_rows = validate(frame, catalogue, default_project=default, external=external,
                                   unknown_reason="unmapped_practice" if name == "oedb" else "unknown practice")
            if frame.attrs.get("rejected"):  # cells the layout reader rejected itself (e.g. unknown marks)
                rej = pd.concat([pd.DataFrame(frame.attrs["rejected"], columns=list(REJECTED_COLUMNS)), rej],
                                ignore_index=True)
            rej = _with_encoding_rejects(rej, sheet, set(frame["row"].tolist()), cols)
            rej = rej.drop_duplicates(subset=["file", "sheet", "row", "column", "reason"])
            rej = bridging.hint_unmapped(rej, br, off_bridge)
            rej_rows = set(rej["row"])
            if rej_rows:  # a row is used whole or not at all
                acc = acc[~acc["row"].isin(rej_rows)]
            acc = bridging.expand(acc, br, catalogue)
            notes_only = note_rows - rej_rows  # team notes below a matrix: not documents, counted as headings
            acc_rows = set(acc["row"]) - notes_only
            report.rows_rejected += len(rej_rows)
            report.rows_accepted += len(acc_rows)
            report.rows_skipped += read - len(rej_rows) - len(acc_rows)
            _count_skipped(report.skipped, sheet, set(frame["row"].tolist()) - notes_only, acc_rows | rej_rows,
                           placeholder_rows)
            report.evidence_items += int((~acc["row"].isin(notes_only)).sum())
            file_warnings.extend(_duplicates(acc, str(path), sheet.sheet or ""))
            file_acc.append(acc)
            file_rej.append(rej)
        if file_errors:  # a file is used whole or not at all
            errors.extend(file_errors)
            continue
        report.layout = ",".join(sorted(layouts_seen)) or "none"
        if not report.rows_accepted and seen:
            report.found = _found(seen, br, off_bridge)
        reports.append(report)
        accepted.extend(file_acc)
        rejected.extend(file_rej)
        warnings.extend(file_warnings)
    table = pd.concat(accepted, ignore_index=True) if accepted else pd.DataFrame(columns=list(ACCEPTED_COLUMNS))
    rej = pd.concat(rejected, ignore_index=True) if rejected else pd.DataFrame(columns=list(REJECTED_COLUMNS))
    warnings.extend(project_variants(table))
    return Evidence(table=table, rejected=rej, files=reports, errors=errors, warnings=warnings,
                    bridge=bridging.usage(table, br))


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


def _has_project_column(layout: str, cols: dict) -> bool:
    """The layout reads project names from a column (OEdb instance rows always carry one)."""
    return layout == "oedb" or "project" in cols.values()


def _with_encoding_rejects(rej: pd.DataFrame, sheet, candidates: set, cols: dict) -> pd.DataFrame:
    """A csv row holding bytes of another encoding is rejected (reason ``encoding``), one entry per
    cell, whatever else it holds. (Such bytes above the header only spoil a title, which is not read.)"""
    bad = [(row, j, value, detail) for row, j, value, detail in sheet.bad_cells if row in candidates]
    if not bad:
        return rej
    extra = pd.DataFrame([{"file": sheet.file, "sheet": sheet.sheet or "", "row": row,
                           "column": cols.get(j) or f"column {column_letter(j)}", "value": value, "reason": "encoding",
                           "hint": f"{detail}: save the file as UTF-8 (every row in one encoding)"}
                          for row, j, value, detail in bad], columns=list(REJECTED_COLUMNS))
    out = pd.concat([rej, extra], ignore_index=True) if len(rej) else extra
    return out.sort_values("row", kind="stable", ignore_index=True)


def _count_skipped(counts: dict, sheet, candidates: set, used: set, placeholder_rows: set) -> None:
    """Say why each skipped row of a sheet was skipped (blank, placeholder or heading)."""
    placeholders = placeholder_rows - used
    blank_candidates = candidates - used - placeholders
    if isinstance(sheet.rows, GridRows):  # a csv read into columns: no Python per row
        numbers = sheet.first_row + np.arange(len(sheet.rows))
        outside = ~np.isin(numbers, np.fromiter(candidates, dtype=np.int64, count=len(candidates)))
        blank_others = int((sheet.rows.blank() & outside).sum())
    else:
        blank_others = sum(1 for i, r in enumerate(sheet.rows)
                           if sheet.first_row + i not in candidates and all(v is None or v == "" for v in r))
    others = len(sheet.rows) - len(candidates)
    counts["placeholder"] += len(placeholders)
    counts["blank"] += len(blank_candidates) + blank_others
    counts["heading"] += others - blank_others


def _duplicates(acc: pd.DataFrame, file: str, sheet: str) -> list[dict]:
    """Exact duplicate rows (same values in every column but the row number) are flagged, not dropped."""
    cols = [c for c in ACCEPTED_COLUMNS if c not in ("row", "file", "sheet", "duplicate")]
    dup = acc[acc["duplicate"].astype(bool)]
    if len(dup) < 2:
        return []
    out = []
    for _, group in dup.groupby(cols, dropna=False, sort=False):
        rows = sorted(set(int(r) for r in group["row"]))
        if len(rows) > 1:
            out.append({"file": file, "sheet": sheet, "rows": rows,
                        "message": f"rows {', '.join(map(str, rows))} are exact duplicates (each is counted)"})
    return out
