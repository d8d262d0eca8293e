"""practices.csv, gaps.csv, evidence.csv, notes.csv: what Excel opens (BOM, no formulas) and what scripts count."""
from __future__ import annotations

import csv
import datetime as dt

import pytest

from iwm_rules import api
from iwm_rules.exporters import FORMATS, export
from iwm_rules.exporters.escape import neutralize
from iwm_rules.exporters.tables import (EVIDENCE_INPUT_COLUMNS, EVIDENCE_USE_COLUMNS, GAP_COLUMNS,
                                        NOTE_COLUMNS, PRACTICE_COLUMNS)

from .conftest import ROOT
from .test_export_xlsx import INJECTIONS, characterizations, injection_csv

AS_OF = dt.date(2026, 11, 1)
BOM = b"\xef\xbb\xbf"


def read(path):
    raw = path.read_bytes()
    assert raw.startswith(BOM), f"{path.name} has no UTF-8 byte-order mark"
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    files = sorted(p for p in (ROOT / "evidence_samples").iterdir() if p.suffix in (".xlsx", ".csv"))
    data = api.run_assessment(files, as_of=AS_OF).to_dict()
    out = tmp_path_factory.mktemp("csv")
    export(data, out / FORMATS["csv"][0], "csv")
    return data, out


def test_three_files_with_bom_and_counts(samples):
    data, out = samples
    # no temporaries; notes.csv (the team's notes) has only its header here: the samples record none
    assert sorted(p.name for p in out.iterdir()) == ["evidence.csv", "gaps.csv", "notes.csv", "practices.csv"]
    assert read(out / "notes.csv") == [list(NOTE_COLUMNS)]
    practices = read(out / "practices.csv")
    assert practices[0] == list(PRACTICE_COLUMNS)
    want = [(p["project"], pr["practice"], pr["characterization"]) for p in data["projects"] for pr in p["practices"]]
    assert [(r[0], r[3], r[5]) for r in practices[1:]] == want
    gaps = read(out / "gaps.csv")
    assert gaps[0] == list(GAP_COLUMNS)
    assert [(r[0], r[2], r[4]) for r in gaps[1:]] == [(p["project"], pr["practice"], g["kind"]) for p in data["projects"]
                                                       for pr in p["practices"] for g in pr["gaps"]]
    evidence = read(out / "evidence.csv")
    assert evidence[0] == list(EVIDENCE_INPUT_COLUMNS + EVIDENCE_USE_COLUMNS)
    assert len(evidence) - 1 == len(data["evidence"])
    assert [(r[0], r[2], int(r[-1])) for r in evidence[1:]] == [(e["project"], e["work_product"], e["row"])
                                                                for e in data["evidence"]]


def test_evidence_csv_reads_back_as_evidence(samples):
    data, out = samples
    again = api.run_assessment([out / "evidence.csv"], as_of=AS_OF).to_dict()
    assert characterizations(again) == characterizations(data)


def test_formula_triggers_are_prefixed(tmp_path):
    data = api.run_assessment([injection_csv(tmp_path / "in.csv")], rulesets=["cmmi-svc-iwm"], as_of=AS_OF).to_dict()
    data["evidence"] = list(data["evidence"])  # the result's records are read-only: edit a list of them
    for rec, text in zip(data["evidence"], INJECTIONS):  # exact texts, tab and CR included
        rec.update(project=f"{text} project", work_product=f"{text} defined process", notes=f"{text} note",
                   weakness=f"{text} weakness")
    out = tmp_path / "out"
    export(data, out / "practices.csv")
    rows = read(out / "evidence.csv")[1:]
    cols = {c: i for i, c in enumerate(EVIDENCE_INPUT_COLUMNS)}
    for row, text in zip(rows, INJECTIONS):
        for col, tail in (("project", " project"), ("work_product", " defined process"), ("notes", " note"),
                          ("weakness", " weakness")):
            assert row[cols[col]] == "'" + text + tail
    # and nowhere in any of the three files does a cell start like a formula
    for name in ("practices.csv", "gaps.csv", "evidence.csv"):
        for row in read(out / name):
            assert not [v for v in row if v[:1] in ("=", "+", "-", "@", "\t", "\r")], name


def test_neutralize_leaves_numbers_and_plain_text():
    assert neutralize(-1) == -1 and neutralize(0.5) == 0.5 and neutralize(None) is None
    assert neutralize("plan - v2") == "plan - v2"
    assert [neutralize(t) for t in ("=1", "+1", "-1", "@x", "\tx", "\rx")] == ["'=1", "'+1", "'-1", "'@x", "'\tx", "'\rx"]
