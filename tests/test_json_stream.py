"""assessment.json is written in pieces: the bytes are those of the whole document encoded at
once (``dumps``), compact and indented, and the whole document never exists in memory."""
from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
import tracemalloc

import orjson
import pandas as pd
import pytest

from iwm_rules import assess, load_ruleset
from iwm_rules.evidence import Evidence
from iwm_rules.evidence.table import validate
from iwm_rules.evidence_records import EVIDENCE_COLUMNS, EvidenceRecords
from iwm_rules.exporters import export, json_export
from iwm_rules.exporters.splice import Splice
from iwm_rules.ruleset import Catalogue
from iwm_rules.synthetic import synthetic_evidence

from .conftest import FIXTURES

RULESETS = ("cmmi-svc-iwm", "cmmi-svc-wp")
#: text JSON escapes or orjson keeps verbatim: control characters, quotes, non-BMP, line separators
AWKWARD = "tab\tnl\ncr\rnul\x00bell\x07 \"q\" back\\slash é 中 😀 𝄞 \u2028\u2029 \x7f </script>"


def synthetic_result(rows: int, projects: int, *, notes: str = "") -> dict:
    """A real result over ``rows`` synthetic evidence rows (``notes`` on every tenth row)."""
    rulesets = [load_ruleset(r) for r in RULESETS]
    frame = synthetic_evidence(rulesets, rows, n_projects=projects)
    frame["file"], frame["sheet"], frame["row"] = "gen.csv", "", range(2, rows + 2)
    if notes:
        frame.loc[frame.index[::10], "notes"] = notes
    table, rejected, _ = validate(frame, Catalogue(rulesets), default_project=None)
    return assess(rulesets, Evidence(table=table, rejected=rejected), as_of=dt.date(2026, 11, 22),
                  engine="python").to_dict()


def _written(data, tmp_path, pretty):
    path = tmp_path / ("pretty.json" if pretty else "compact.json")
    json_export.write(data, path, pretty=pretty)
    return path.read_bytes()


def _same_bytes(data, tmp_path, *, plain: dict | None = None):
    """``write`` gives the bytes of ``dumps``, compact and indented; ``plain`` (the same result
    with lists of dicts) encodes to those bytes too."""
    for pretty in (False, True):
        whole = json_export.dumps(data, pretty=pretty)
        assert _written(data, tmp_path, pretty) == whole
        if plain is not None:
            assert json_export.dumps(plain, pretty=pretty) == whole
    return json_export.dumps(data)


def test_samples_are_written_byte_for_byte(export_sample_data, tmp_path, monkeypatch):
    data = export_sample_data
    assert isinstance(data["evidence"], EvidenceRecords)
    plain = {**data, "evidence": list(data["evidence"])}
    text = _same_bytes(data, tmp_path, plain=plain)
    # small chunks: many pieces per list, each spliced at its place
    monkeypatch.setattr(json_export, "STREAMED", {"projects": 1, "evidence": 7})
    assert _same_bytes(data, tmp_path, plain=plain) == text
    assert json.loads(text)["evidence"] == data["evidence"]


def test_synthetic_result_in_several_chunks(tmp_path, monkeypatch):
    data = synthetic_result(20_000, 150, notes=AWKWARD)
    assert len(data["evidence"]) == 20_000 and len(data["projects"]) == 150
    monkeypatch.setattr(json_export, "STREAMED", {"projects": 40, "evidence": 6_000})
    text = _same_bytes(data, tmp_path)
    back = json.loads(text)
    assert back["evidence"][0]["notes"] == AWKWARD and back["evidence"][19_999]["row"] == 20_001
    assert len(back["projects"]) == 150


def test_awkward_text_and_lone_surrogates(export_sample_data, tmp_path, monkeypatch):
    """Text orjson refuses (a lone surrogate from an undecodable file name) makes the standard
    encoder write everything as ASCII escapes, as ``dumps`` does, wherever it is met."""
    monkeypatch.setattr(json_export, "STREAMED", {"projects": 2, "evidence": 5})
    data = export_sample_data
    records = list(data["evidence"])
    awkward = [dict(r, notes=AWKWARD) if i % 3 == 0 else r for i, r in enumerate(records)]
    text = _same_bytes({**data, "evidence": awkward}, tmp_path)
    assert AWKWARD.encode() not in text and json.loads(text)["evidence"][0]["notes"] == AWKWARD
    # a surrogate late in the evidence list: the file is started again with the standard encoder
    late = awkward[:-1] + [dict(records[-1], file="bad\udce9name.xlsx")]
    text = _same_bytes({**data, "evidence": late}, tmp_path)
    assert text.isascii() and b"bad\\udce9name.xlsx" in text and b"\\ud83d\\ude00" in text
    # one in the document around the lists
    inputs = {**data["input"], "errors": [{"file": "\udcff.xlsx", "message": AWKWARD}]}
    text = _same_bytes({**data, "input": inputs}, tmp_path)
    assert json.loads(text)["input"]["errors"][0] == {"file": "\udcff.xlsx", "message": AWKWARD}


def test_empty_lists(export_sample_data, tmp_path):
    empty = EvidenceRecords.from_table(pd.DataFrame(columns=list(EVIDENCE_COLUMNS)))
    text = _same_bytes({**export_sample_data, "evidence": empty, "projects": []}, tmp_path)
    assert b'"evidence":[]' in text and b'"projects":[]' in text
    assert _same_bytes({"evidence": [], "projects": [{"a": 1}]}, tmp_path) == b'{"evidence":[],"projects":[{"a":1}]}\n'


def test_a_pipe_gets_the_same_bytes(export_sample_data, tmp_path):
    """Not seekable: written at once (the encoder could not start again)."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    json_export.write(export_sample_data, fifo)
    reader.join(30)
    assert got == [json_export.dumps(export_sample_data)]


def test_export_writes_the_streamed_bytes(export_sample_data, tmp_path):
    path = export(export_sample_data, tmp_path / "assessment.json", pretty=True)
    assert path.read_bytes() == json_export.dumps(export_sample_data, pretty=True)
    assert [p.name for p in tmp_path.iterdir()] == ["assessment.json"]  # the temporary is renamed


def test_splice_places_every_hole_at_its_depth():
    splice = Splice()
    doc = {"a": [1], "deep": {"x": {"list": splice.hole(iter([[{"k": [1, 2]}, "s"], [], [3]]))}},
           "b": splice.hole(iter([[None]])), "c": "end"}
    want = {"a": [1], "deep": {"x": {"list": [{"k": [1, 2]}, "s", 3]}}, "b": [None], "c": "end"}
    names = list(splice._holes)

    def refill():  # the chunks are read once: the same ones again for the next encoder
        splice._holes = {names[0]: iter([[{"k": [1, 2]}, "s"], [], [3]]), names[1]: iter([[None]])}

    for option in (0, orjson.OPT_INDENT_2):
        refill()
        got = b"".join(splice.pieces(orjson.dumps(doc, option=option), lambda o, option=option: orjson.dumps(o, option=option)))
        assert got == orjson.dumps(want, option=option)
    for indent, separators in ((None, (",", ":")), (2, None)):
        def encode(obj, indent=indent, separators=separators):
            return json.dumps(obj, indent=indent, separators=separators).encode()

        refill()
        assert b"".join(splice.pieces(encode(doc), encode)) == encode(want)
    missing = Splice()
    missing.hole(iter([[1]]))
    with pytest.raises(ValueError, match="exactly once"):
        list(missing.pieces(b"{}", orjson.dumps))
    empty = Splice()
    with pytest.raises(ValueError, match="no items"):
        list(empty.pieces(orjson.dumps({"x": empty.hole(iter([[]]))}), orjson.dumps))


def test_writing_a_200k_row_result_never_holds_the_document(tmp_path):
    """tracemalloc's peak while writing stays a small part of the file: no whole document, no
    dict per evidence item."""
    data = synthetic_result(200_000, 2_000)
    assert len(data["evidence"]) == 200_000
    path = tmp_path / "assessment.json"
    t = time.perf_counter()
    tracemalloc.start()
    try:
        json_export.write(data, path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = path.stat().st_size
    assert size > 100 * 2**20, size
    assert peak < size / 6, (peak, size)  # about 11 MB for a 113 MiB file
    assert time.perf_counter() - t < 30
    with open(path, "rb") as fh:
        head = fh.read(4096)
    assert head.startswith(b'{"schema_version":"1"')


def test_portfolio_json_is_the_whole_document(tmp_path, monkeypatch):
    """batch writes portfolio.json and each project's assessment.json with the same streamed writer."""
    from iwm_rules.api import write_reports
    from iwm_rules.batch import project_results, run_batch

    from .test_batch import portfolio

    monkeypatch.setattr(json_export, "STREAMED", {"projects": 1, "evidence": 2})
    folder = tmp_path / "in"
    portfolio(folder)
    result = run_batch([folder], [str(FIXTURES / "mini-ruleset.yaml")], jobs=1, progress=False,
                       as_of=dt.date(2026, 11, 1))
    data = result.data
    assert isinstance(data["evidence"], EvidenceRecords) and "portfolio" in data and len(data["projects"]) == 4
    written = write_reports(data, tmp_path / "out", ["json"], stem="portfolio")
    assert [p.name for p in written] == ["portfolio.json"]
    assert written[0].read_bytes() == json_export.dumps(data)
    for name, one in project_results(data):
        assert _same_bytes(one, tmp_path) == json_export.dumps({**one, "evidence": list(one["evidence"])})
        assert {e["project"] for e in one["evidence"]} == {name}
