"""CSV for spreadsheets and scripts: ``practices.csv`` at ``path``, ``gaps.csv``, ``evidence.csv`` and
``notes.csv`` (the appraisal team's strengths, recommendations and disagreements) beside it. UTF-8 with a byte-order mark (Excel then reads the encoding right); every text cell
that starts with ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading ``'`` (DESIGN §8).

``evidence.csv`` starts with the long-layout columns, so it can be given back to ``assess``
(strip the ``'`` a spreadsheet would hide before doing so with escaped cells).
"""
from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from . import atomic_write
from . import tables as T
from .escape import neutralize

GAPS_NAME = "gaps.csv"
EVIDENCE_NAME = "evidence.csv"
NOTES_NAME = "notes.csv"
#: the files written beside ``practices.csv`` (listed by the CLI)
COMPANIONS = (GAPS_NAME, EVIDENCE_NAME, NOTES_NAME)


def write(data: dict, path: Path) -> None:
    """Write the four files; ``path`` itself may be a temporary name (the registry renames it)."""
    path = Path(path)
    # the two companions are written first, each atomically; practices.csv last, at ``path``
    atomic_write(path.with_name(GAPS_NAME), lambda tmp: write_table(tmp, T.GAP_COLUMNS, T.gap_rows(data)))
    atomic_write(path.with_name(EVIDENCE_NAME), lambda tmp: write_table(
        tmp, T.EVIDENCE_INPUT_COLUMNS + T.EVIDENCE_USE_COLUMNS, T.evidence_rows(data)))
    atomic_write(path.with_name(NOTES_NAME), lambda tmp: write_table(tmp, NOTES_COLUMNS, notes_rows(data)))
    write_table(path, T.PRACTICE_COLUMNS, T.practice_rows(data))


#: notes.csv: the appraisal team's strengths and recommendations, then every disagreement between a
#: recorded characterization and the evidence (text: the reason)
NOTES_COLUMNS = T.NOTE_COLUMNS


def notes_rows(data: dict):
    yield from T.note_rows(data)
    for d in T.disagreement_rows(data):
        project, ruleset, practice, recorded, recorded_as, supports, reason, *where = d
        yield (project, ruleset, practice, "", "disagreement",
               f"recorded {recorded_as}, evidence supports {supports}: {reason}", supports, recorded_as, "", *where)


def write_table(path: Path, columns: Iterable[str], rows: Iterable[tuple]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        out = csv.writer(fh, lineterminator="\r\n")
        out.writerow(columns)
        out.writerows([neutralize(v) for v in row] for row in rows)
