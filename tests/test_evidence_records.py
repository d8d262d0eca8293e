"""The result's ``evidence`` list read from the accepted table's columns: the same records the
list of dicts held, without holding a dict per item."""
from __future__ import annotations

import copy
import datetime as dt
import json
import pickle

import numpy as np
import pandas as pd
import pytest

from iwm_rules import api, load_ruleset
from iwm_rules.batch import project_results
from iwm_rules.evidence.table import validate
from iwm_rules.evidence_records import EVIDENCE_COLUMNS, EvidenceRecords, column, take
from iwm_rules.exporters import relabel
from iwm_rules.exporters.json_export import dumps
from iwm_rules.ruleset import Catalogue
from iwm_rules.synthetic import synthetic_evidence

RULESETS = ("cmmi-svc-iwm", "cmmi-svc-wp")


def _old_records(t: pd.DataFrame) -> list[dict]:
    """The list the result held before: one dict per accepted row (the former ``evidence_records``)."""
    if not len(t):
        return []
    keys = [c for c in EVIDENCE_COLUMNS if c in t]
    cols = []
    for c in keys:
        if c == "date":
            days = pd.to_datetime(t["date"]).to_numpy(dtype="datetime64[D]")
            text = np.datetime_as_string(days, unit="D").astype(object)
            text[np.isnat(days)] = ""
            cols.append(text.tolist())
        elif c == "row":
            cols.append(t["row"].astype(int).tolist())
        else:
            cols.append(t[c].to_numpy(dtype=object).tolist())
    return [dict(zip(keys, values)) for values in zip(*cols)]


@pytest.fixture(scope="module")
def table():
    rulesets = [load_ruleset(r) for r in RULESETS]
    frame = synthetic_evidence(rulesets, 700, n_projects=9, seed=3)
    frame["file"], frame["sheet"], frame["row"] = "gen.xlsx", "Evidence", range(2, len(frame) + 2)
    frame.loc[frame.index[::7], "date"] = pd.NaT  # undated rows: '' in the records
    frame.loc[frame.index[1], "notes"] = "naïve 😀 \x01 note"
    accepted, rejected, _ = validate(frame, Catalogue(rulesets), default_project=None)
    assert len(rejected) == 0 and accepted["date"].isna().any()
    return accepted


def test_records_are_the_dicts_of_the_former_list(table):
    want = _old_records(table)
    records = EvidenceRecords.from_table(table)
    assert len(records) == len(want) == 700 and records
    assert list(records) == want
    assert records == want and want == records and not (records != want)
    assert records[0] == want[0] and records[-1] == want[-1] and records[699] == want[699]
    assert records[np.int64(5)] == want[5]
    assert list(records[0]) == list(EVIDENCE_COLUMNS)
    assert isinstance(records[3]["row"], int) and records[3]["row"] == 5
    assert records[0]["date"] == "" and records[1]["notes"] == "naïve 😀 \x01 note"
    assert records[10:25] == want[10:25] and records[-3:] == want[-3:] and records[5:2] == []
    assert records[::97] == want[::97] and records[690::-13] == want[690::-13]
    assert [r["project"] for r in reversed(records)] == [r["project"] for r in reversed(want)]
    assert column(records, "work_product") == [r["work_product"] for r in want]
    assert column(records, "date") == [r["date"] for r in want]
    assert want[3] in records and records.index(want[3]) == 3
    for bad in (700, -701):
        with pytest.raises(IndexError):
            records[bad]


def test_records_are_read_only_and_compare_by_content(table):
    records = EvidenceRecords.from_table(table)
    want = _old_records(table)
    records[0]["project"] = "changed"  # a fresh dict: the records do not change
    assert records[0]["project"] == want[0]["project"]
    assert records != want[:-1] and records != want[::-1]
    assert records != [dict(want[0], row=-1)] + want[1:]
    assert EvidenceRecords.from_table(table) == records
    assert EvidenceRecords.from_table(table.iloc[1:]) != records
    with pytest.raises(TypeError):
        hash(records)
    # changing the table after the fact leaves the records as they were (copy-on-write)
    t = table.copy(deep=False)
    before = EvidenceRecords.from_table(t)
    t.loc[t.index[0], "project"] = "renamed"
    assert before[0]["project"] == want[0]["project"]


def test_copy_pickle_take(table):
    records = EvidenceRecords.from_table(table)
    want = _old_records(table)
    assert copy.copy(records) == want and copy.deepcopy({"evidence": records})["evidence"] == want
    again = pickle.loads(pickle.dumps(records))
    assert isinstance(again, EvidenceRecords) and again == records and list(again) == want
    picked = take(records, [5, 0, 699])
    assert isinstance(picked, EvidenceRecords) and picked == [want[5], want[0], want[699]]
    assert take(want, [5, 0]) == [want[5], want[0]]
    assert take(records, []) == [] and not take(records, [])
    with pytest.raises(IndexError):
        take(records, [700])


def test_empty_table_gives_an_empty_list(table):
    records = EvidenceRecords.from_table(table.iloc[:0])
    assert len(records) == 0 and not records and records == [] and list(records) == []
    assert dumps({"evidence": records}) == b'{"evidence":[]}\n'


def test_records_in_batches_of_chunk_size(table):
    records = EvidenceRecords.from_table(table)
    parts = list(records.chunks(300))
    assert [len(p) for p in parts] == [300, 300, 100]
    assert [r for p in parts for r in p] == _old_records(table)


@pytest.fixture(scope="module")
def result():
    from .conftest import ROOT

    files = sorted((ROOT / "evidence_samples").glob("*.[cx]*"))
    return api.run_assessment(files, as_of=dt.date(2026, 11, 30)).data


def test_every_reader_sees_the_same_whether_records_or_a_list(result):
    """A result in memory holds records, one read back from JSON a list: both serve every reader."""
    assert isinstance(result["evidence"], EvidenceRecords) and len(result["evidence"]) > 20
    loaded = json.loads(dumps(result))
    assert isinstance(loaded["evidence"], list) and result["evidence"] == loaded["evidence"]
    assert json.loads(dumps(relabel(result)))["evidence"] == loaded["evidence"]
    # per-project results of a portfolio: the same documents from either
    mine = [(name, json.loads(dumps(one))) for name, one in project_results(result)]
    theirs = [(name, json.loads(dumps(one))) for name, one in project_results(loaded)]
    assert mine == theirs and len(mine) > 1
    for name, one in mine:
        assert one["evidence"] and {e["project"] for e in one["evidence"]} == {name}


def test_to_dict_is_plain_json_data():
    """``Assessment.to_dict()`` is plain data for any JSON library: the same document the file holds."""
    from .conftest import ROOT

    files = sorted((ROOT / "evidence_samples").glob("*.[cx]*"))
    assessment = api.run_assessment(files, as_of=dt.date(2026, 11, 30))
    plain = assessment.to_dict()
    assert isinstance(plain["evidence"], list) and isinstance(assessment.data["evidence"], EvidenceRecords)
    assert json.loads(json.dumps(plain, default=str)) == json.loads(dumps(assessment.data))
