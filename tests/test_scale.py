"""The column-wise fact building gives exactly what the row-wise pandas forms gave."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from iwm_rules import load_mappings, load_ruleset
from iwm_rules.evidence.table import validate
from iwm_rules.facts import _parties, _weaknesses, build_facts, frame_records
from iwm_rules.ruleset import Catalogue
from iwm_rules.synthetic import synthetic_evidence

RULESETS = ("cmmi-svc-iwm", "cmmi-svc-wp", "pmo-integration")


def _facts(seed: int):
    rulesets = [load_ruleset(r) for r in RULESETS]
    frame = synthetic_evidence(rulesets, 3000, n_projects=25, seed=seed)
    frame["file"], frame["sheet"], frame["row"] = "gen.xlsx", "Evidence", range(2, len(frame) + 2)
    rng = np.random.default_rng(seed)
    # parties and weaknesses with case, accents and repeats, so order and distinctness matter
    frame["party"] = rng.choice(["customer", "provider", "shared", ""], len(frame))
    frame["weakness"] = rng.choice(["", "", "late review", "Late review", "no owner", "ÉTAT absent"], len(frame))
    table, rejected, _ = validate(frame, Catalogue(rulesets), default_project=None)
    assert len(rejected) == 0
    maps = load_mappings(None, rulesets, strict=False)
    return table, build_facts(rulesets, table, as_of=dt.date(2026, 11, 22), mappings=maps)


def _old_parties(rows, keys):
    p = rows.loc[rows["party"] != "", keys + ["party"]].drop_duplicates().sort_values("party")
    return p.groupby(keys)["party"].agg(list).rename("parties").reset_index()


def _old_weaknesses(rows, count, text):
    rows = rows[rows["weakness"] != ""]
    named = rows["weakness"].where(rows["reuse_via"] == "", rows["weakness"] + " (via " + rows["reuse_via"] + ")")
    grouped = named.groupby([rows["project"], rows["practice"]])
    return grouped.agg(**{count: lambda s: len(set(s)), text: lambda s: "; ".join(sorted(set(s)))}).reset_index()


def _plain(frame):
    return sorted(tuple(r.values()) for r in frame_records(frame.astype(object)))


def test_records_are_to_dict_records():
    _, facts = _facts(3)
    for frame in (facts.work_products, facts.practices, facts.links):
        assert len(frame) > 100
        assert frame_records(frame) == frame.to_dict("records")
    assert facts.records() == facts.work_products.to_dict("records") + facts.practices.to_dict("records")
    assert frame_records(facts.practices.iloc[:0]) == []
    odd = pd.DataFrame({"a": pd.Series([np.int64(3), "x", np.float64(1.5)], dtype=object), "b": [True, False, True]})
    assert frame_records(odd) == odd.to_dict("records") and type(frame_records(odd)[0]["a"]) is int


def test_parties_and_weaknesses_as_the_groupby_forms():
    for seed in (1, 2):
        table, _ = _facts(seed)
        rng = np.random.default_rng(seed)
        rows = table.assign(reuse_via=np.where(np.arange(len(table)) % 7 == 0, "mapping A -> B (A equals B)", ""),
                            party=rng.choice(["customer", "Provider", "", "prestataire é", "shared"], len(table)))
        for keys in (["project", "practice"], ["project", "practice", "work_product"]):
            assert _plain(_parties(rows, keys)) == _plain(_old_parties(rows, keys))
        assert _plain(_weaknesses(rows, "n", "t")) == _plain(_old_weaknesses(rows, "n", "t"))
        assert len(_old_weaknesses(rows, "n", "t")) > 10
    empty = table.iloc[:0]
    assert len(_parties(empty, ["project", "practice"])) == 0 and len(_weaknesses(empty, "n", "t")) == 0


def test_cycle_collection_is_paused_during_a_stage_and_restored_after():
    import gc

    from iwm_rules.gcpause import paused_gc

    seen = []

    @paused_gc
    def inner():
        seen.append(gc.isenabled())

    @paused_gc
    def outer(fail):
        inner()
        seen.append(gc.isenabled())
        if fail:
            raise RuntimeError("stage failed")

    assert gc.isenabled()
    outer(False)
    assert seen == [False, False] and gc.isenabled()
    try:
        outer(True)
    except RuntimeError:
        pass
    assert gc.isenabled()
    gc.disable()
    try:
        outer(False)
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()


def test_distinct_sorted_with_missing_values_as_groupby():
    from iwm_rules.facts import distinct_sorted

    rows = pd.DataFrame({"project": ["B", "A", "A", None, "A", "B"], "practice": ["p", "q", "q", "p", "q", "p"],
                         "party": ["z", None, "b", "a", "b", "a"]}, dtype=object)
    groups, lists = distinct_sorted(rows, ["project", "practice"], "party")
    got = {(g.project, g.practice): v for g, v in zip(groups.itertuples(), lists)}
    assert list(got) == [("A", "q"), ("B", "p")] and got[("B", "p")] == ["a", "z"]
    assert got[("A", "q")][0] == "b" and pd.isna(got[("A", "q")][1])
