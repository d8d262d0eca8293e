"""assessment-results.oscal.json: loads in compliance-trestle's models, validates against the
official OSCAL 1.2.1 JSON Schema, and keeps its ids across runs on the same input."""
from __future__ import annotations

import copy
import datetime as dt
import json
import uuid
from pathlib import Path

import pytest

from iwm_rules import api
from iwm_rules.exporters import export, oscal_export

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra")
regex = pytest.importorskip("regex", reason="the OSCAL schema's \\p{L} patterns need the regex package (test extra)")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
SCHEMA = json.loads((DATA / "oscal_assessment-results_schema.json").read_text(encoding="utf-8"))


def _run():
    files = sorted((ROOT / "evidence_samples").glob("*.[cx]*")) + [DATA / "hostile-evidence.csv"]
    return api.run_assessment(files, as_of=dt.date(2026, 11, 30), tailoring=DATA / "tailoring-export.yaml").to_dict()


@pytest.fixture(scope="module")
def data():
    return _run()


def _pattern(validator, pattern, instance, schema):
    """JSON Schema ``pattern`` with the regex package (OSCAL uses \\p{L} / \\p{N} classes)."""
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


Validator = jsonschema.validators.extend(jsonschema.Draft7Validator, {"pattern": _pattern})


def schema_errors(doc) -> list[str]:
    v = Validator(SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in v.iter_errors(doc)]


def _write(d, tmp_path, name="assessment-results.oscal.json"):
    return json.loads(export(d, tmp_path / name, "oscal").read_text(encoding="utf-8"))


def test_validates_against_the_oscal_schema_and_trestle(tmp_path, data):
    doc = _write(data, tmp_path)
    assert SCHEMA["$id"].endswith("/1.2.1/oscal-ar-schema.json")
    assert schema_errors(doc) == []
    trestle = pytest.importorskip("trestle.oscal.assessment_results", reason="compliance-trestle is in the test extra")
    model = trestle.AssessmentResults.model_validate(doc["assessment-results"])
    assert len(model.results) == 1


def test_the_schema_check_is_not_vacuous(tmp_path, data):
    doc = _write(data, tmp_path)
    bad = copy.deepcopy(doc)
    finding = bad["assessment-results"]["results"][0]["findings"][0]
    finding["uuid"] = "not-a-uuid"
    finding["props"][0]["name"] = "has space"
    del finding["target"]
    errors = schema_errors(bad)
    assert any("uuid" in e for e in errors) and any("has space" in e for e in errors)
    assert any("'target' is a required property" in e for e in errors)


def test_one_finding_per_project_practice_with_characterization_and_state(tmp_path, data):
    doc = _write(data, tmp_path)["assessment-results"]
    (result,) = doc["results"]
    findings = result["findings"]
    pairs = [(p, pr) for p in data["projects"] for pr in p["practices"]]
    assert len(findings) == len(pairs)
    obs = {o["uuid"]: o for o in result["observations"]}
    for f, (p, pr) in zip(findings, pairs):
        props = {x["name"]: x["value"] for x in f["props"] if x["ns"] == oscal_export.NS}
        assert props["characterization"] == pr["characterization"]
        assert props["project"] == p["project"] and props["practice"] == pr["practice"]
        status = f["target"]["status"]
        c = pr["characterization"]
        assert status["state"] == ("satisfied" if c in ("FI", "LI") else "not-satisfied")
        assert status["reason"] == {"FI": "pass", "LI": "pass", "PI": "fail", "NI": "fail"}.get(c, "other")
        for g in pr["gaps"]:
            assert " ".join(g["message"].split()) in f["description"]
        refs = {link["ref"] for wp in pr["work_products"] for link in wp["evidence"]}
        refs |= {link["ref"] for link in pr.get("other_evidence", [])}
        related = [r["observation-uuid"] for r in f.get("related-observations", [])]
        assert len(related) == len(refs) and all(u in obs for u in related)
    chars = {pr["characterization"] for _, pr in pairs}
    assert {"NA", "NY", "LI", "PI", "NI", "FI"} <= chars


def test_one_observation_per_evidence_item_with_its_method(tmp_path, data):
    doc = _write(data, tmp_path)["assessment-results"]
    observations = doc["results"][0]["observations"]
    assert len(observations) == len(data["evidence"])
    files = {r["uuid"]: r for r in doc["back-matter"]["resources"]}
    for o, e in zip(observations, data["evidence"]):
        assert o["methods"] == (["INTERVIEW"] if e["evidence_type"] == "affirmation" else ["EXAMINE"])
        (rel,) = o["relevant-evidence"]
        resource = files[rel["href"][1:]]
        assert resource["title"] == e["file"]
        sha = next(f["sha256"] for f in data["input"]["files"] if f["path"] == e["file"])
        assert resource["rlinks"][0]["hashes"][0]["value"] == sha
    assert any(o["methods"] == ["INTERVIEW"] for o in observations)


def test_ids_are_stable_across_runs_and_unique(tmp_path, data):
    again = _run()
    again["generated_at"] = "2031-01-02T03:04:05+00:00"  # a later run of the same input
    first, second = _write(data, tmp_path, "a.json"), _write(again, tmp_path, "b.json")

    def ids(doc):
        out = []

        def walk(x):
            if isinstance(x, dict):
                out.extend(v for k, v in x.items() if k == "uuid" or k.endswith("-uuid"))
                for v in x.values():
                    walk(v)
            elif isinstance(x, list):
                for v in x:
                    walk(v)
        walk(doc)
        return out

    a, b = ids(first), ids(second)
    assert a == b and len(a) > 100
    own = [u for u in a if u]  # every uuid an object declares is distinct
    declared = [x["uuid"] for x in first["assessment-results"]["results"][0]["findings"]]
    declared += [x["uuid"] for x in first["assessment-results"]["results"][0]["observations"]]
    assert len(set(declared)) == len(declared)
    assert all(uuid.UUID(u).version == 5 for u in own)
    # another as-of date is another assessment: new ids
    other = dict(data, as_of="2026-12-01")
    assert ids(_write(other, tmp_path, "c.json"))[0] != a[0]


def test_cmmi_v2_labels_keep_their_state(tmp_path, data):
    v2 = api.relabel(data)
    doc = _write(v2, tmp_path)
    assert schema_errors(doc) == []
    findings = doc["assessment-results"]["results"][0]["findings"]
    states = {}
    for f in findings:
        label = next(x["value"] for x in f["props"] if x["name"] == "characterization")
        states.setdefault(label, set()).add(f["target"]["status"]["state"])
    assert states["FM"] == {"satisfied"} and states["DM"] == {"not-satisfied"}
    assert "LM" in states and states["LM"] == {"satisfied"}


def test_streamed_big_file_is_the_same_document(tmp_path, data, monkeypatch):
    pytest.importorskip("orjson", reason="streaming uses orjson")
    whole = _write(data, tmp_path, "whole.json")
    monkeypatch.setattr(oscal_export, "STREAM_OVER", 5)  # stream this small result as if it were big
    path = export(data, tmp_path / "streamed.json", "oscal")
    raw = path.read_text(encoding="utf-8")
    assert "\n" not in raw.strip()  # compact
    assert json.loads(raw) == whole
    assert schema_errors(json.loads(raw)) == []
