"""junit.xml read back by a JUnit parser (junitparser): counts match the JSON result."""
from __future__ import annotations

import copy

from pathlib import Path

import pytest

from iwm_rules import api
from iwm_rules.exporters import export

junitparser = pytest.importorskip("junitparser", reason="junitparser is in the test extra")

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def data(export_sample_data):
    return copy.deepcopy(export_sample_data)


def _outcome(case) -> str:
    kinds = {type(r).__name__ for r in case.result}
    return "failed" if "Failure" in kinds else "skipped" if "Skipped" in kinds else "error" if "Error" in kinds else "passed"


def _check(xml, data, labels):
    fail, skip = {labels[2], labels[3]}, {"NA", "NY"}
    suites = {s.name: s for s in xml}
    assert [p["project"] for p in data["projects"]] == [n for n in suites if n != "iwm-rules"]
    for p in data["projects"]:
        suite = suites[p["project"]]
        chars = [pr["characterization"] for pr in p["practices"]]
        assert suite.tests == len(chars)
        assert suite.failures == sum(c in fail for c in chars)
        assert suite.skipped == sum(c in skip for c in chars)
        assert suite.errors == 0
        cases = list(suite)
        assert len(cases) == len(p["practices"])
        for case, pr in zip(cases, p["practices"]):
            assert case.classname == f"{pr['ruleset']}.{pr['goal']}"
            assert case.name == f"{pr['practice']} {pr['title']}"
            c = pr["characterization"]
            expected = "failed" if c in fail else "skipped" if c in skip else "passed"
            assert _outcome(case) == expected, (p["project"], pr["practice"], c)
            if expected == "failed":
                message = case.result[0].message
                assert c in message and all(g["message"][:40] in case.result[0].text for g in pr["gaps"])
            if c == labels[1]:  # LI passes with a note naming the weaknesses
                assert case.system_out and all(g["message"][:40] in case.system_out for g in pr["gaps"])
            if c in skip:
                just = (pr["tailoring"] or {}).get("justification") or ""
                assert just in (case.result[0].message or "")


def test_counts_match_the_result(tmp_path, data):
    path = export(data, tmp_path / "junit.xml")
    xml = junitparser.JUnitXml.fromfile(str(path))
    _check(xml, data, ["FI", "LI", "PI", "NI"])
    chars = [pr["characterization"] for p in data["projects"] for pr in p["practices"]]
    assert xml.tests == len(chars)
    assert xml.failures == sum(c in ("PI", "NI") for c in chars)
    assert xml.skipped == sum(c in ("NA", "NY") for c in chars)
    assert {"NA", "NY", "LI"} <= set(chars)  # the data exercises every outcome


def test_cmmi_v2_labels_behave_the_same(tmp_path, data):
    v2 = api.relabel(data)
    xml = junitparser.JUnitXml.fromfile(str(export(v2, tmp_path / "junit.xml")))
    _check(xml, v2, ["FM", "LM", "PM", "DM"])


def test_text_xml_cannot_carry_is_replaced_and_markup_escaped(tmp_path, data):
    path = export(data, tmp_path / "junit.xml")
    raw = path.read_bytes()
    assert b"\x07" not in raw and b"\x0b" not in raw
    assert b"<script>" not in raw and b"&lt;script&gt;" in raw
    xml = junitparser.JUnitXml.fromfile(str(path))
    assert "Zeta <b>|x</b> & co" in [s.name for s in xml]


@pytest.mark.parametrize(("where", "threshold", "fails"), [("options", 50, True), ("manifest", 10, False), (None, None, None)])
def test_fail_under_adds_a_coverage_case(tmp_path, data, where, threshold, fails):
    d = dict(data)
    if where == "options":
        d["options"] = {"fail_under": threshold}
    elif where == "manifest":
        d["manifest"] = {"options": {"fail_under": threshold}}
    xml = junitparser.JUnitXml.fromfile(str(export(d, tmp_path / "junit.xml")))
    suites = {s.name: s for s in xml}
    if where is None:
        assert "iwm-rules" not in suites
        return
    (case,) = list(suites["iwm-rules"])
    assert case.name == f"coverage >= {threshold}%"
    assert (_outcome(case) == "failed") is fails
    base = sum(pr["characterization"] in ("PI", "NI") for p in data["projects"] for pr in p["practices"])
    assert xml.failures == base + (1 if fails else 0)
