"""Portfolio reports of a real `iwm-rules batch` run: failed files, the most frequent gaps and the
coverage distribution in portfolio.xlsx / .html / .md, and each project's own coverage figure."""
from __future__ import annotations

import json
import re

import jsonschema
import openpyxl
import pytest
from click.testing import CliRunner

from iwm_rules.cli import main
from iwm_rules.exporters import view
from iwm_rules.exporters.json_export import schema

from .test_batch import AS_OF, MINI, portfolio


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    base = tmp_path_factory.mktemp("portfolio")
    folder = base / "in"
    extra = portfolio(folder)
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    out = base / "out"
    res = CliRunner().invoke(main, ["batch", str(folder), "-r", MINI, "-o", str(out), "-j", "1", "--as-of", AS_OF,
                                    "--tailoring", str(extra["tailoring"]), "-f", "json,xlsx,html,md",
                                    "--per-project"])
    assert res.exit_code == 4, res.output  # one file failed, the rest is assessed
    data = json.loads((out / "portfolio.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema())
    assert len(data["failed_files"]) == 1 and data["portfolio"]["most_frequent_gaps"]
    return data, out


def test_portfolio_sheet(batch):
    data, out = batch
    wb = openpyxl.load_workbook(out / "portfolio.xlsx")
    assert wb.sheetnames[:3] == ["Summary", "Portfolio", "Matrix"]
    ws = wb["Portfolio"]
    values = [[c for c in r if c is not None] for r in ws.iter_rows(values_only=True)]
    failed = data["failed_files"][0]
    assert [failed["file"], failed["reason"]] in values
    # one row per coverage band, the counts of the result
    bins = data["portfolio"]["coverage_distribution"]["bins"]
    start = values.index(["coverage", "projects"]) + 1
    assert [r[1] for r in values[start:start + len(bins)]] == [b["projects"] for b in bins]
    assert values[start][0] == "0% to under 10%" and values[start + len(bins) - 1][0] == "90% to 100%"
    assert ws._charts, "the distribution has a chart"
    # the most frequent gaps, most frequent first, with the work product's name from the catalogue
    gaps = data["portfolio"]["most_frequent_gaps"]
    start = values.index(["practice", "ruleset", "kind", "work product", "projects", "share"]) + 1
    names = {w["id"]: w["name"] for rs in data["catalogue"] for g in rs["goals"] for p in g["practices"]
             for w in p["work_products"]}
    got = values[start:start + len(gaps)]
    assert [(r[0], r[-2], r[-1]) for r in got] == [(g["practice"], g["projects"], g["share"]) for g in gaps]
    assert any(names.get(g["work_product"]) in r for g, r in zip(gaps, got) if g["work_product"])
    for row in ws.iter_rows():
        assert all(c.data_type != "f" for c in row)
    summary = [c for r in wb["Summary"].iter_rows(values_only=True) for c in r if isinstance(c, str)]
    assert any(s.startswith(f"Portfolio: {len(data['projects'])} project(s); 1 failed file(s)") for s in summary)


def test_portfolio_html_overview(batch):
    data, out = batch
    text = (out / "portfolio.html").read_text(encoding="utf-8")
    sec = text.split('<section id="portfolio">', 1)[1].split("</section>", 1)[0]
    failed = data["failed_files"][0]
    assert f'<td class="mono">{failed["file"]}</td>' in sec
    # the histogram: one bar per band, the same inline-SVG style as the other charts
    svg = sec.split('<svg class="chart"', 1)[1].split("</svg>", 1)[0]
    bars = re.findall(r"<title>([^<]+): (\d+) project\(s\)</title>", svg)
    assert [int(n) for _, n in bars] == [b["projects"] for b in data["portfolio"]["coverage_distribution"]["bins"]]
    table = sec.split('<table id="portfolio-gaps">', 1)[1].split("</table>", 1)[0]
    gaps = data["portfolio"]["most_frequent_gaps"]
    assert table.count("<tr><td><strong>") == min(len(gaps), 25)
    assert f'<td class="num">{gaps[0]["projects"]}</td><td class="num">{view.pct(gaps[0]["share"])}</td>' in table


def test_portfolio_markdown(batch):
    data, out = batch
    text = (out / "portfolio.md").read_text(encoding="utf-8")
    assert "### Portfolio" in text and "1 failed file(s):" in text
    assert data["failed_files"][0]["reason"][:40] in text
    dist = data["portfolio"]["coverage_distribution"]
    assert f"median {view.pct(dist['median'])}" in text


def test_per_project_results_carry_their_own_coverage(batch):
    data, out = batch
    assert isinstance(data["coverage"], float)
    for p in data["projects"]:
        one = json.loads((out / "projects" / p["project"] / "assessment.json").read_text(encoding="utf-8"))
        assert one["coverage"] == p["coverage"]
        assert "portfolio" not in one and "failed_files" not in one
        assert all(d["project"] == p["project"] for d in one.get("disagreements", []))


def test_batch_reports_the_bridge_like_assess(tmp_path):
    """A kit with CMMI V2.0 ids in a batch: the portfolio says what the bridge carried, as assess does."""
    from .test_kits import instance, oedb

    folder = tmp_path / "in"
    folder.mkdir()
    oedb(folder / "orion-kit.xlsx", [
        ("PLAN 2.7", [instance("PLAN 2.7", "Orion"), ("Orion", "Orion project plan", "u1")]),
        ("MC 3.1", [instance("MC 3.1", "Orion", strength="Weekly steering meeting"),
                    ("Orion", "Orion monthly status report", "u2")]),
    ])
    res = CliRunner().invoke(main, ["batch", str(folder), "-o", str(tmp_path / "b"), "-j", "1", "--as-of", AS_OF,
                                    "-f", "json,xlsx"])
    assert res.exit_code == 0, res.output
    one = CliRunner().invoke(main, ["assess", str(folder), "-o", str(tmp_path / "a"), "--as-of", AS_OF])
    assert one.exit_code == 0, one.output
    batch = json.loads((tmp_path / "b" / "portfolio.json").read_text(encoding="utf-8"))
    single = json.loads((tmp_path / "a" / "assessment.json").read_text(encoding="utf-8"))
    # three rows: two OE rows and the instance row that carries the strength
    assert batch["input"]["bridge"] == single["input"]["bridge"] and batch["input"]["bridge"]["rows"] == 3
    assert [m for m in batch["mappings_used"] if m.get("bridge")] == [m for m in single["mappings_used"] if m.get("bridge")]
    summary = [c for r in openpyxl.load_workbook(tmp_path / "b" / "portfolio.xlsx")["Summary"].iter_rows(values_only=True)
               for c in r if isinstance(c, str)]
    br = batch["input"]["bridge"]
    reached = ", ".join(f"{k} ({n})" for k, n in br["rulesets"].items())
    assert f"on: 3 evidence row(s), {br['items']} item(s) reached {reached}" in summary
