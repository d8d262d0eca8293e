"""The terminal summary is an exporter over the plain JSON records (no Assessment object needed)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from iwm_rules import api
from iwm_rules.exporters import relabel
from iwm_rules.exporters.summary import printable, render

ROOT = Path(__file__).resolve().parent.parent


def _record(project, chars, coverage, goals):
    return {"project": project, "coverage": coverage,
            "practices": [{"characterization": c} for c in chars],
            "goals": [{"rating": r} for r in goals]}


DATA = {
    "rulesets": [{"id": "cmmi-svc-iwm"}],
    "input": {"files": [{"rows_read": 10, "rows_accepted": 6, "rows_rejected": 1, "rows_skipped": 3,
                         "skipped": {"blank": 2, "heading": 1}}],
              "rejected": [{}], "errors": [],
              "warnings": [{"message": "a"}, {"message": "b"}]},
    "projects": [_record("Atlas", ["FI", "FI", "LI"], 0.75, ["satisfied", "unsatisfied"]),
                 _record("Borealis", ["NI", "NY", "NA", "PI"], None, ["not_rated"])],
    "organization": {"practices": [{"characterization": "PI", "judgment_required": True}],
                     "goals": [{"rating": "unsatisfied"}]},
}


def test_render_reads_plain_records():
    text = render(DATA)
    lines = text.splitlines()
    assert lines[0] == "1 file(s): 10 rows read, 6 accepted, 1 rejected, 3 skipped (2 blank, 1 heading)"
    assert lines[1] == "rulesets: cmmi-svc-iwm"
    assert lines[2].split() == ["project", "coverage", "FI", "LI", "PI", "NI", "NY", "NA", "goals", "satisfied"]
    assert lines[4].split() == ["Atlas", "75%", "2", "1", "0", "0", "0", "0", "1/2"]
    assert lines[5].split() == ["Borealis", "-", "0", "0", "1", "1", "1", "1", "0/1"]
    assert lines[7].split() == ["organization", "0", "0", "1", "0", "0", "0", "0/1"]
    assert "1 organization-level characterization(s) include PI/NI" in text
    assert "1 rejected row(s): see input.rejected in assessment.json" in text
    assert lines[-1] == "2 warning(s): see input.warnings in assessment.json"


def test_render_on_the_cmmi_v2_scale_counts_the_same():
    data = {**DATA, "organization": {"practices": [{"characterization": "PI", "judgment_required": True,
                                                    "instances": {"PI": 1}}], "goals": []}}
    v2 = relabel(data)
    lines = render(v2).splitlines()
    assert lines[2].split()[2:8] == ["FM", "LM", "PM", "DM", "NY", "NA"]
    assert lines[4].split() == ["Atlas", "75%", "2", "1", "0", "0", "0", "0", "1/2"]
    assert render(data, scale="cmmi-v2") == render(v2)


def test_printable_escapes_what_can_move_the_terminal():
    assert printable("plain Ünïcode 名前 👩‍💻") == "plain Ünïcode 名前 👩‍💻"  # ZWJ emoji kept
    assert printable("a\tb\nc\rd\x00\x7f\x9b") == "a\\x09b\\x0ac\\x0dd\\x00\\x7f\\x9b"
    assert printable("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c\u200b\ufeff\u2028") == (
        "\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c\\u200b\\ufeff\\u2028")
    assert printable("bad\udcffname") == "bad\\udcffname"  # undecodable byte in a file name


def test_api_summary_text_is_the_exporter(tmp_path):
    result = api.run_assessment([ROOT / "evidence_samples" / "atlas-mature.xlsx"], as_of=dt.date(2026, 11, 30))
    assert api.summary_text(result) == render(result.to_dict())
    assert api.summary_text(result, scale="cmmi-v2") == render(api.report_data(result, scale="cmmi-v2"))
    assert "Atlas" in api.summary_text(result) and " FM " in api.summary_text(result, scale="cmmi-v2")


def test_organization_row_shows_the_results_coverage_and_team_notes_are_counted():
    data = {**DATA, "coverage": 0.4166}
    data["projects"] = [dict(p) for p in DATA["projects"]]
    data["projects"][0]["practices"] = [{"characterization": "FI", "strengths": [{"text": "s"}],
                                         "recommendations": [{"text": "r"}, {"text": "q"}]}]
    lines = render(data).splitlines()
    assert lines[7].split()[:2] == ["organization", "42%"]
    assert "appraisal team notes: 1 strength(s), 2 recommendation(s) (never change a characterization)" in lines
    assert render(DATA).splitlines()[7].split()[:2] == ["organization", "0"]  # no figure in the result: none shown
