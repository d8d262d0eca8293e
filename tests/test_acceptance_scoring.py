"""Acceptance checks of what the result means (DESIGN §4, docs/tailoring.md) on small files.

Tests marked xfail(strict=True) pin defects found in the acceptance review in code owned
elsewhere (facts.py / scoring.py); each reason says what is wrong.
"""
from __future__ import annotations

import csv
import json
from pathlib import Path

import jsonschema
import pytest
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


@pytest.mark.xfail(strict=True, reason="facts.py counts a work product under an expired waiver as evidenced "
                   "(evidenced = ... | waiver != 'none'): with no artifact it is 'inadequate', not 'missing', and "
                   "the practice is LI (goal satisfied) instead of PI; docs/tailoring.md: once expired, the work "
                   "product is judged again on its evidence")
def test_an_expired_waiver_does_not_stand_in_for_a_missing_work_product(tmp_path):
    ev = _csv(tmp_path / "ev.csv", [["Orion", "WP.SP2.7", "overall work plan", "approved", "2026-10-01"]])
    tailoring = tmp_path / "t.yaml"
    tailoring.write_text("waivers:\n  - {project: Orion, practice: WP.SP2.7, reason: later, expires: 2026-01-31}\n")
    res, data = _assess(tmp_path, ev, "-r", "cmmi-svc-wp", "--tailoring", tailoring)
    assert res.exit_code == 0, res.output
    pr = _practice(data, "Orion", "WP.SP2.7")
    empty = [w for w in pr["work_products"] if w["required"] and not w["evidence"]]
    assert empty, "the plan names only one of the plan contents"
    assert all(w["state"] == "missing" for w in empty)
    assert "missing_work_product" in {g["kind"] for g in pr["gaps"]}
    assert "waiver_expired" in {g["kind"] for g in pr["gaps"]}
    assert pr["characterization"] == "PI"


def test_without_the_waiver_the_same_evidence_is_pi(tmp_path):
    ev = _csv(tmp_path / "ev.csv", [["Orion", "WP.SP2.7", "overall work plan", "approved", "2026-10-01"]])
    res, data = _assess(tmp_path, ev, "-r", "cmmi-svc-wp")
    assert res.exit_code == 0, res.output
    pr = _practice(data, "Orion", "WP.SP2.7")
    assert pr["characterization"] == "PI"
    assert {w["state"] for w in pr["work_products"] if w["required"] and not w["evidence"]} == {"missing"}


@pytest.mark.xfail(strict=True, reason="scoring.py/facts.py: a required work product served only by supporting "
                   "evidence (a subset/intersect mapping, here the bridge PLAN 3.2 -> IWM.SP1.2) counts as 'evidenced' "
                   "for LI while the missing-work-product rule still reports 'No artifact for required work product': "
                   "the practice is LI with coverage 0 and says its work products have no artifact (DESIGN §4 LI needs "
                   "an artifact for every required work product); either PI, or LI without that finding")
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
