"""Acceptance checks of what the result means (DESIGN §4, docs/tailoring.md) on small files.

A practice with only supporting evidence (reused through a subset/intersect mapping) is at most
LI with the supporting-evidence-only weakness; it no longer also reports "No artifact" for the
same work product. An expired waiver is a weakness (LI), as tests/cases/li-expired-waiver.yaml pins.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from iwm_rules.cli import main
from iwm_rules.exporters.json_export import schema


def _csv(path: Path, rows) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["project", "practice", "work_product", "status", "date"])
        w.writerows(rows)
    return path


def _assess(tmp_path, *args):
    res = CliRunner().invoke(main, ["assess", *map(str, args), "-o", str(tmp_path / "o"), "--as-of", "2026-11-30"])
    data = json.loads((tmp_path / "o" / "assessment.json").read_text())
    jsonschema.validate(data, schema())
    return res, data


def _practice(data, project, practice):
    return next(pr for p in data["projects"] if p["project"] == project for pr in p["practices"]
                if pr["practice"] == practice)


def test_without_the_waiver_the_same_evidence_is_pi(tmp_path):
    ev = _csv(tmp_path / "ev.csv", [["Orion", "WP.SP2.7", "overall work plan", "approved", "2026-10-01"]])
    res, data = _assess(tmp_path, ev, "-r", "cmmi-svc-wp")
    assert res.exit_code == 0, res.output
    pr = _practice(data, "Orion", "WP.SP2.7")
    assert pr["characterization"] == "PI"
    assert {w["state"] for w in pr["work_products"] if w["required"] and not w["evidence"]} == {"missing"}


def test_a_practice_is_not_li_while_saying_its_work_products_have_no_artifact(tmp_path):
    with open(tmp_path / "kit.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["project", "practice", "work_product", "status", "date"])
        w.writerow(["Orion", "PLAN 3.2", "Orion work plan and work estimates", "approved", "2026-10-01"])
    res, data = _assess(tmp_path, tmp_path / "kit.csv")
    assert res.exit_code == 0, res.output
    pr = _practice(data, "Orion", "IWM.SP1.2")
    no_artifact = [f for f in pr["findings"] if f["rule"] == "missing-work-product"]
    assert not (pr["characterization"] == "LI" and no_artifact), (pr["characterization"], pr["coverage"], no_artifact)
    assert "supporting-evidence-only" in {f["rule"] for f in pr["findings"]}
    assert [g["kind"] for g in pr["gaps"]].count("missing_work_product") == len(
        [w for w in pr["work_products"] if w["required"] and w["state"] != "adequate"])  # one gap per work product
