"""Files read together (one validation pass per chunk of files) mean exactly what they mean
read one by one: each file keeps its own default project, its own duplicates, its own counts,
its own reasons; and the portfolio is checked for look-alike project names as a whole."""
from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from iwm_rules import load_evidence, load_ruleset, run_batch
from iwm_rules.batch_pool import ReadJob, read_files

from .conftest import FIXTURES, LONG_COLUMNS
from .test_batch import row, write_csv

MINI = str(FIXTURES / "mini-ruleset.yaml")


def _without_project_column(path: Path, rows: list[dict]) -> Path:
    cols = [c for c in LONG_COLUMNS if c != "project"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        w.writerows({c: r.get(c, "") for c in cols} for r in rows)
    return path


def _files(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    same = [row("", "M.SP1.1", "Work plan"), row("", "M.SP1.1", "Work plan")]  # a duplicate pair in each file
    return [
        _without_project_column(folder / "alpha.csv", same + [row("", "M.SP9.9", "Plan")]),
        _without_project_column(folder / "beta.csv", same + [row("", "M.SP1.2", "Report", date="31/02/2026")]),
        write_csv(folder / "gamma.csv", [row("G", "M.SP1.2", "Status report"), row("", "M.SP1.2", "Orphan")]),
    ]


def _frame(ev) -> pd.DataFrame:
    return ev.table.reset_index(drop=True).astype(object)


def test_files_read_together_equal_files_read_one_by_one(tmp_path):
    rulesets = [load_ruleset(MINI)]
    paths = _files(tmp_path / "in")
    together = load_evidence(paths, rulesets)
    alone = [load_evidence([p], rulesets) for p in paths]
    pd.testing.assert_frame_equal(_frame(together), pd.concat([_frame(a) for a in alone], ignore_index=True),
                                  check_dtype=False)
    pd.testing.assert_frame_equal(together.rejected.reset_index(drop=True).astype(object),
                                  pd.concat([a.rejected for a in alone], ignore_index=True).astype(object),
                                  check_dtype=False)
    assert [r.as_record() for r in together.files] == [a.files[0].as_record() for a in alone]
    assert together.warnings == [w for a in alone for w in a.warnings]
    # each file's rows belong to the project its name gives; a file with a project column has no default
    assert set(together.table.groupby("file")["project"].unique().map(tuple)) == {("alpha",), ("beta",), ("G",)}
    reasons = together.rejected.set_index(together.rejected["file"].map(lambda f: Path(f).name))["reason"]
    assert reasons.to_dict() == {"alpha.csv": "unknown practice", "beta.csv": "date does not parse",
                                 "gamma.csv": "project is empty"}


def test_duplicates_are_found_within_a_file_never_across_files(tmp_path):
    rulesets = [load_ruleset(MINI)]
    folder = tmp_path / "in"
    folder.mkdir()
    rows = [row("P", "M.SP1.1", "Work plan")]
    paths = [write_csv(folder / "one.csv", rows), write_csv(folder / "two.csv", rows + rows)]
    ev = load_evidence(paths, rulesets)
    dup = [w for w in ev.warnings if "exact duplicates" in w["message"]]
    assert [(Path(w["file"]).name, w["rows"]) for w in dup] == [("two.csv", [2, 3])]
    assert ev.table["duplicate"].tolist() == [False, True, True]


def test_a_worker_chunk_gives_each_file_its_own_report(tmp_path):
    paths = _files(tmp_path / "in")
    parts = read_files(list(enumerate(map(str, paths))), ReadJob((load_ruleset(MINI),)))
    assert len(parts) == 1  # one chunk, one validation
    counts = [(Path(r.path).name, r.rows_read, r.rows_accepted, r.rows_rejected, r.rows_skipped) for r in parts[0].reports]
    assert counts == [("alpha.csv", 4, 2, 1, 1), ("beta.csv", 4, 2, 1, 1), ("gamma.csv", 3, 1, 1, 1)]


def test_look_alike_project_names_in_different_files_are_warned_about(tmp_path, monkeypatch):
    import iwm_rules.batch_pool as pool

    folder = tmp_path / "pf"
    folder.mkdir()
    write_csv(folder / "a.csv", [row("Atlas", "M.SP1.1", "Work plan")])
    write_csv(folder / "b.csv", [row("ATLAS", "M.SP1.1", "Schedule")])
    for jobs, chunk in ((1, 50), (2, 1)):  # one chunk; one file per chunk in two workers
        monkeypatch.setattr(pool, "CHUNK_FILES", chunk)
        result = run_batch([str(folder)], [load_ruleset(MINI)], jobs=jobs)
        look = [w for w in result.data["input"]["warnings"] if w.get("kind") == "project_variants"]
        assert len(look) == 1 and look[0]["projects"] == ["ATLAS", "Atlas"]
        assert [p["project"] for p in result.projects] == ["ATLAS", "Atlas"]  # kept as two projects


def test_a_worker_forked_from_a_paused_command_collects_its_own_garbage():
    """The commands pause the cycle collector (their result is acyclic); a pool worker forked
    from them starts with it on, so that a long-lived worker does not pile up garbage."""
    import gc
    import os

    from iwm_rules import gcpause
    from iwm_rules.batch_pool import _init_worker

    @gcpause.paused_gc
    def fork_a_worker() -> bytes:
        assert not gc.isenabled()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker
            try:
                _init_worker({})
                ok = gc.isenabled() and gcpause._state["depth"] == 0
                os.write(write, b"on" if ok else b"off")
            finally:
                os._exit(0)
        os.close(write)
        os.waitpid(pid, 0)
        return os.read(read, 8)

    was = gc.isenabled()
    assert fork_a_worker() == b"on"
    assert gc.isenabled() == was  # the command's own pause ended as it began
