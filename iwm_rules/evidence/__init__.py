"""Evidence files -> one validated table of accepted rows, plus every rejected row.

``rows_read = rows_accepted + rows_rejected + rows_skipped`` holds for every file.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import EvidenceFileError
from ..model import Mapping, Ruleset
from ..ruleset import Catalogue
from . import long as long_layout
from .table import ACCEPTED_COLUMNS, REJECTED_COLUMNS, validate

LAYOUTS = ("auto", "long")


@dataclass
class FileReport:
    path: str
    sha256: str
    layout: str
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0

    def as_record(self) -> dict:
        return dict(self.__dict__)


@dataclass
class Evidence:
    """Accepted rows (``table``), rejected rows, per-file counts, unreadable files."""

    table: pd.DataFrame
    rejected: pd.DataFrame
    files: list[FileReport] = field(default_factory=list)
    errors: list[EvidenceFileError] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    @property
    def projects(self) -> list[str]:
        return sorted(self.table["project"].unique().tolist()) if len(self.table) else []


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_evidence(paths, rulesets: list[Ruleset], *, project: str | None = None, layout: str = "auto",
                  limits=None, mappings: tuple[Mapping, ...] = ()) -> Evidence:
    """Read every evidence file; a file that cannot be read is listed in ``errors``."""
    from .raw import read_raw  # the raw readers carry the safety checks

    if isinstance(paths, (str, Path)):
        paths = [paths]
    catalogue = Catalogue(rulesets)
    accepted, rejected, reports, errors, warnings = [], [], [], [], []
    for p in paths:
        path = Path(p)
        try:
            sheets = read_raw(path, limits=limits)
            digest = sha256_of(path)
        except EvidenceFileError as exc:
            errors.append(exc)
            continue
        report = FileReport(str(path), digest, layout)
        layouts_seen = set()
        long_sheets = [s for s in sheets if long_layout.find_header(s.rows)]
        for sheet in sheets:
            read = len(sheet.rows)
            report.rows_read += read
            found = long_layout.find_header(sheet.rows)
            if not found:
                report.rows_skipped += read
                if read:
                    warnings.append({"file": str(path), "sheet": sheet.sheet or "",
                                     "message": f"no evidence header (practice and work product columns) in the first "
                                                f"{long_layout.HEADER_SCAN_ROWS} rows; {read} row(s) skipped"})
                continue
            layouts_seen.add("long")
            at, cols = found
            frame = long_layout.candidate_frame(sheet.rows, at, cols, file=str(path), sheet=sheet.sheet,
                                                first_row=sheet.first_row)
            default = project or (sheet.sheet if len(long_sheets) > 1 and sheet.sheet else path.stem)
            acc, rej, skipped = validate(frame, catalogue, default_project=default)
            report.rows_skipped += at + 1 + skipped
            report.rows_accepted += len(acc)
            report.rows_rejected += len(rej)
            accepted.append(acc)
            rejected.append(rej)
        report.layout = ",".join(sorted(layouts_seen)) or "none"
        reports.append(report)
    table = pd.concat(accepted, ignore_index=True) if accepted else pd.DataFrame(columns=list(ACCEPTED_COLUMNS))
    rej = pd.concat(rejected, ignore_index=True) if rejected else pd.DataFrame(columns=list(REJECTED_COLUMNS))
    return Evidence(table=table, rejected=rej, files=reports, errors=errors, warnings=warnings)
