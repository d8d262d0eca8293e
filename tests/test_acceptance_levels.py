"""Acceptance checks of generic practices and levels (issue 11) through the real command."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import openpyxl
from click.testing import CliRunner

from iwm_rules.cli import main
from iwm_rules.exporters.json_export import schema

SAMPLES = Path(__file__).resolve().parent.parent / "evidence_samples"


def _generic_kit(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Project", "Process Area", "Practice", "Work product", "Status", "Date"])
    ws.append(["Nova", "IWM", "GP 2.1", "organizational policy", "approved", "2026-06-01"])
    ws.append(["Nova", "WP", "GP 2.2", "process plan", "approved", "2026-06-01"])
    ws.append(["Nova", None, "IWM GP 2.3", "resources", "approved", "2026-06-01"])
    ws.append(["Nova", None, "IWM.GP3.1", "defined process", "approved", "2026-06-01"])
    wb.save(path)
    return path


def test_generic_ruleset_alone_rates_each_area_not_rated_with_the_reason(tmp_path):
    # -r cmmi-generic --apply-to IWM,WP without the areas' own rulesets: the levels are not
    # silently left out; each area is not_rated, says why, and the summary shows it
    kit = _generic_kit(tmp_path / "gp.xlsx")
    res = CliRunner().invoke(main, ["assess", str(kit), "-r", "cmmi-generic", "--apply-to", "IWM,WP",
                                    "-o", str(tmp_path / "o"), "--as-of", "2026-11-30"])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "o" / "assessment.json").read_text())
    jsonschema.validate(data, schema())
    chars = {p["practice"]: p["characterization"] for p in data["projects"][0]["practices"]}
    assert chars["IWM.GP2.1"] == chars["WP.GP2.2"] == chars["IWM.GP2.3"] == chars["IWM.GP3.1"] == "FI"
    for levels in (data["projects"][0]["levels"], data["organization"]["levels"]):
        by_area = {lv["process_area"]: lv for lv in levels}
        assert set(by_area) == {"IWM", "WP"}
        for area, lv in by_area.items():
            assert lv["capability_level"] == "not_rated"
            assert lv["goals"]["specific"] == "absent"
            assert lv["ml2"] == "unsatisfied"  # GG2 has NI practices: ML2 is out of reach whatever the SGs
            assert f"specific goals of {area}" in lv["note"] and f"cmmi-svc-{area.lower()}" in lv["note"]
    assert "IWM not rated" in res.output and "WP not rated" in res.output


def test_apply_to_without_a_generic_ruleset_is_a_warning_not_silence(tmp_path):
    kit = _generic_kit(tmp_path / "gp.xlsx")
    res = CliRunner().invoke(main, ["assess", str(kit), str(SAMPLES / "borealis-partial.csv"), "-r", "cmmi-svc-iwm",
                                    "--apply-to", "IWM", "-o", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "--apply-to IWM has no effect" in res.stderr and "cmmi-generic" in res.stderr
