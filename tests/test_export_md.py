"""assessment.md: totals, the per-project table, bounded top gaps, a link to the HTML report."""
from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from iwm_rules import api
from iwm_rules.exporters import export, md_export

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def data(export_sample_data):
    return copy.deepcopy(export_sample_data)


def _cells(line: str) -> list[str]:
    """Cells of a Markdown table row, splitting only on pipes that are not escaped."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


def _table(text: str, header_start: str) -> tuple[list[str], list[list[str]]]:
    lines = text.splitlines()
    i = next(n for n, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[i + 2:]:
        if not line.startswith("|"):
            break
        rows.append(_cells(line))
    return _cells(lines[i]), rows


def test_per_project_table_matches_the_result(tmp_path, data):
    path = export(data, tmp_path / "assessment.md")
    text = path.read_text(encoding="utf-8")
    header, rows = _table(text, "| Project |")
    assert header == ["Project", "Coverage", "FI", "LI", "PI", "NI", "NY", "NA", "Goals satisfied"]
    assert len(rows) == len(data["projects"])
    for row, p in zip(rows, data["projects"]):
        assert len(row) == len(header), row  # escaped pipes in the project name keep the columns
        counts = {k: sum(pr["characterization"] == k for pr in p["practices"]) for k in header[2:8]}
        assert [int(x) for x in row[2:8]] == list(counts.values())
        sat = sum(g["rating"] == "satisfied" for g in p["goals"])
        assert row[8] == f"{sat}/{len(p['goals'])}"
        assert row[1] == f"{p['coverage'] * 100:.0f}%"
    assert "[assessment.html](assessment.html)" in text


def test_cells_are_escaped(data):
    text = md_export.render(data)
    assert "<script>" not in text and "<b>" not in text
    assert r"Zeta &lt;b&gt;\|x&lt;/b&gt; &amp; co" in text
    assert "@SUM" not in text  # no accidental @mention either
    cell = md_export.cell("a | b\nc *d* [e](f) `g` \\")
    assert cell == r"a \| b c \*d\* \[e\](f) \`g\` \\"


def test_top_gaps_are_bounded_and_most_severe_first(data):
    text = md_export.render(data)
    total = sum(len(pr["gaps"]) for p in data["projects"] for pr in p["practices"])
    assert f"### Top gaps ({md_export.MAX_GAPS} of {total})" in text
    header, rows = _table(text, "| Severity |")
    assert header == ["Severity", "Project", "Practice", "Kind", "Gap"]
    assert len(rows) == md_export.MAX_GAPS
    ranks = ["blocker", "critical", "major", "minor", "info", ""]
    order = [ranks.index(r[0]) if r[0] in ranks else len(ranks) for r in rows]
    assert order == sorted(order)


def test_cmmi_v2_labels_and_a_bounded_project_table(data):
    big = api.relabel(data)
    template = big["projects"][0]
    big["projects"] = []
    for i in range(md_export.MAX_PROJECTS + 20):
        p = copy.deepcopy(template)
        p["project"] = f"P{i:04d}"
        big["projects"].append(p)
    text = md_export.render(big)
    header, rows = _table(text, "| Project |")
    assert header[2:8] == ["FM", "LM", "PM", "DM", "NY", "NA"]
    assert len(rows) == md_export.MAX_PROJECTS
    assert "20 more project(s)" in text
    assert len(text) < 65536  # fits a GitHub pull-request comment


def _without_levels(data):
    d = copy.deepcopy(data)
    for holder in d["projects"] + [d["organization"]]:
        holder.pop("levels", None)
    return d


def _with_levels(data):
    d = _without_levels(data)
    rec = {"process_area": "IWM", "capability_level": "CL2", "at_least": "CL2", "ml2": "satisfied", "ml3": "unsatisfied",
           "goals": {"specific": "satisfied", "GG2": "satisfied", "GG3": "unsatisfied"}, "judgment_required": False}
    d["projects"][0]["levels"] = [rec]
    d["organization"]["levels"] = [dict(rec, capability_level="not_rated", at_least="CL1", ml2="not_rated",
                                        judgment_required=True)]
    return d


def test_capability_levels_when_generic_practices_were_assessed(data):
    assert "Capability levels" not in md_export.render(_without_levels(data))
    text = md_export.render(_with_levels(data))
    header, rows = _table(text, "| Project | IWM |")
    assert rows[0] == [data["projects"][0]["project"], "CL2, ML2 yes, ML3 no"]
    assert rows[-1] == ["**organization**", "not rated (at least CL1)\\*, ML2 not rated, ML3 no"]
    only_specific = _with_levels(data)
    only_specific["projects"][0]["levels"][0]["goals"]["GG2"] = "absent"
    only_specific["organization"]["levels"][0]["goals"]["GG2"] = "absent"
    assert "Capability levels" not in md_export.render(only_specific)
