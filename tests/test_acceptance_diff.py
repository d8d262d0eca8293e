"""Acceptance: `diff` of two real runs with a known change (issue 9)."""
from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from iwm_rules.cli import main

SAMPLES = Path(__file__).resolve().parent.parent / "evidence_samples"


def _run(src: Path, out: Path) -> Path:
    res = CliRunner().invoke(main, ["assess", str(src), "-o", str(out), "--as-of", "2026-11-30"])
    assert res.exit_code == 0, res.output
    return out / "assessment.json"


def test_diff_of_a_draft_approved_shows_the_change_with_figures_that_add_up(tmp_path):
    text = (SAMPLES / "borealis-partial.csv").read_text(encoding="utf-8")
    assert "draft" in text
    (tmp_path / "after.csv").write_text(text.replace("draft", "approved"), encoding="utf-8")
    old = _run(SAMPLES / "borealis-partial.csv", tmp_path / "r1")
    new = _run(tmp_path / "after.csv", tmp_path / "r2")
    res = CliRunner().invoke(main, ["diff", str(old), str(new), "-f", "json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["summary"]["improved"] >= 1 and d["summary"]["regressed"] == 0
    assert any(x["practice"] == "IWM.SP1.1" and (x["old"], x["new"]) == ("LI", "FI")
               for p in d["projects"] for x in p["practices"])
    md = CliRunner().invoke(main, ["diff", str(old), str(new)]).output
    cov = json.loads(old.read_text())["projects"][0]["coverage"], json.loads(new.read_text())["projects"][0]["coverage"]
    # the printed change is the difference of the printed figures (Borealis: 17.9% -> 21.4%, not 18% -> 21% (+4 pts))
    shown = f"Coverage {cov[0] * 100:.1f}% -> {cov[1] * 100:.1f}% ({(cov[1] - cov[0]) * 100:+.1f} pts)"
    assert shown in md, md
    assert "IWM.SP1.1 not_approved" in md


def test_a_project_name_cannot_inject_markdown_headings(tmp_path):
    src = tmp_path / "p.csv"
    src.write_text('project,practice,work_product,status\n"Evil\n# injected",IWM.SP1.1,defined process,draft\n',
                   encoding="utf-8")
    old = _run(src, tmp_path / "r1")
    src.write_text('project,practice,work_product,status\n"Evil\n# injected",IWM.SP1.1,defined process,approved\n',
                   encoding="utf-8")
    new = _run(src, tmp_path / "r2")
    md = CliRunner().invoke(main, ["diff", str(old), str(new)]).output
    assert "\n# injected" not in md
    assert "## Evil # injected" in md
