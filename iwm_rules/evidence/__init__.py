"""Evidence files -> one validated table of accepted rows, plus every rejected row.

Each sheet's layout is detected (long, PIID wide, appraisal-kit OEdb) unless forced; the
layout reader turns the sheet into candidate rows, and :func:`sheets.validate_sheets` accepts
or rejects each one (every sheet of the call in one pass of :func:`table.validate`). Per file, ``rows_read = rows_accepted + rows_rejected + rows_skipped``
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
from .names import project_variants
from .sheets import FileDone, PendingSheet, validate_sheets

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
    pending: list[PendingSheet] = []  # sheets laid out as candidate rows, validated together below
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
        done = FileDone(report, seen=[], warnings=[])
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
            file_sheets.append(PendingSheet(done, sheet, frame, cols, default,
                                        "unmapped_practice" if name == "oedb" else "unknown practice", duplicates))
        if file_errors:  # a file is used whole or not at all
            errors.extend(file_errors)
            continue
        report.layout = ",".join(sorted(layouts_seen)) or "none"
        reports.append(done)
        warnings.append(done)  # its warnings take this place once its sheets are validated
        pending.extend(file_sheets)
    table, rej = validate_sheets(pending, catalogue, external, br, off_bridge)
    del pending
    for done in reports:
        if not done.report.rows_accepted and done.seen:
            done.report.found = _found(done.seen, br, off_bridge)
        done.seen = []
    release_free_memory()  # the raw cells and candidate frames are gone: their pages go back to the system
    warnings = [w for item in warnings for w in (item.all_warnings() if isinstance(item, FileDone) else [item])]
    warnings.extend(project_variants(table))
    return Evidence(table=table, rejected=rej, files=[d.report for d in reports], errors=errors, warnings=warnings,
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
