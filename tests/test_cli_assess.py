"""`iwm-rules assess` end to end on real files: exit codes, messages, the JSON an auditor reads."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from iwm_rules.cli import main
from iwm_rules.exporters.json_export import schema

from .conftest import write_long_xlsx

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "evidence_samples"


def _assess(args, tmp_path):
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["assess", *map(str, args), "-o", str(out), "--as-of", "2026-11-30"])
    data = json.loads((out / "assessment.json").read_text()) if (out / "assessment.json").exists() else None
    return res, data


def test_samples_give_what_their_readme_says(tmp_path):
    res, data = _assess([SAMPLES / "atlas-mature.xlsx", SAMPLES / "borealis-partial.csv",
                         SAMPLES / "cygnus-with-mistakes.xlsx"], tmp_path)
    assert res.exit_code == 0, res.output
    jsonschema.validate(data, schema())
    chars = {(p["project"], pr["practice"]): pr["characterization"] for p in data["projects"] for pr in p["practices"]}
    atlas = [c for (proj, _), c in chars.items() if proj == "Atlas"]
    assert atlas.count("FI") == 10 and atlas.count("LI") == 1 and chars[("Atlas", "IWM.SP2.3")] == "LI"
    assert chars[("Borealis", "IWM.SP1.1")] == "LI" and chars[("Borealis", "IWM.SP1.2")] == "LI"
    assert {chars[("Borealis", p)] for p in ("IWM.SP1.4", "IWM.SP1.6", "IWM.SP2.1", "WP.SP2.7")} == {"PI"}
    assert {chars[("Borealis", p)] for p in ("IWM.SP1.3", "IWM.SP1.5", "IWM.SP1.7", "IWM.SP2.2", "IWM.SP2.3")} == {"NI"}
    gaps = {(p["project"], pr["practice"]): {g["kind"] for g in pr["gaps"]} for p in data["projects"] for pr in p["practices"]}
    assert "stale" in gaps[("Borealis", "IWM.SP1.2")] and "not_approved" in gaps[("Borealis", "IWM.SP1.1")]
    atlas_goals = next(p["goals"] for p in data["projects"] if p["project"] == "Atlas")
    assert {g["rating"] for g in atlas_goals} == {"satisfied"}
    # counts add up for every file, as the README states them
    files = {Path(f["path"]).name: f for f in data["input"]["files"]}
    for f in files.values():
        assert f["rows_read"] == f["rows_accepted"] + f["rows_rejected"] + f["rows_skipped"]
    assert (files["atlas-mature.xlsx"]["rows_read"], files["atlas-mature.xlsx"]["rows_accepted"],
            files["atlas-mature.xlsx"]["rows_skipped"]) == (35, 31, 4)
    assert (files["borealis-partial.csv"]["rows_read"], files["borealis-partial.csv"]["rows_accepted"]) == (11, 10)
    cy = files["cygnus-with-mistakes.xlsx"]
    assert (cy["rows_read"], cy["rows_accepted"], cy["rows_rejected"], cy["rows_skipped"]) == (11, 3, 6, 2)
    reasons = {(r["row"], r["column"], r["reason"]) for r in data["input"]["rejected"]}
    assert reasons == {(3, "practice", "unknown practice"), (4, "work_product", "work product is empty"),
                       (5, "date", "date does not parse"), (6, "status", "unknown status"),
                       (7, "evidence_type", "unknown evidence type"), (8, "practice", "practice is empty")}
    hint = next(r["hint"] for r in data["input"]["rejected"] if r["row"] == 3)
    assert hint == "did you mean IWM.SP1.7?"
    org = {p["practice"]: p for p in data["organization"]["practices"]}
    assert org["IWM.SP1.1"]["characterization"] == "LI"
    assert org["IWM.SP1.3"]["characterization"] == "PI" and org["IWM.SP1.3"]["judgment_required"]
    # the terminal summary
    assert "Atlas" in res.output and "100%" in res.output and "6 rejected row(s)" in res.output


def test_every_finding_names_its_rule_and_every_gap_an_action(tmp_path):
    res, data = _assess([SAMPLES / "borealis-partial.csv"], tmp_path)
    assert res.exit_code == 0
    for p in data["projects"]:
        for pr in p["practices"]:
            assert all(f["rule"] for f in pr["findings"])
            assert all(g["action"] for g in pr["gaps"])


def test_missing_file_exits_3_with_one_line(tmp_path):
    res = CliRunner().invoke(main, ["assess", str(tmp_path / "nope.xlsx"), "-o", str(tmp_path)])
    assert res.exit_code == 3
    assert res.output.strip() == f"error: {tmp_path / 'nope.xlsx'}: file not found"
    assert "Traceback" not in res.output


def test_not_a_spreadsheet_exits_3(tmp_path):
    bad = tmp_path / "notes.xlsx"
    bad.write_text("this is not a workbook")
    res = CliRunner().invoke(main, ["assess", str(bad), "-o", str(tmp_path)])
    assert res.exit_code == 3
    assert "notes.xlsx" in res.output and "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_usage_errors_exit_2(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["assess", str(SAMPLES), "--as-of", "yesterday"]).exit_code == 2
    assert runner.invoke(main, ["assess", str(SAMPLES), "-f", "pdf"]).exit_code == 2
    assert runner.invoke(main, ["assess", str(SAMPLES), "--bogus"]).exit_code == 2


def test_fail_under(tmp_path):
    path = write_long_xlsx(tmp_path / "e.xlsx", [
        {"project": "A", "practice": "WP.SP2.7", "work_product": "Overall work plan", "status": "approved",
         "date": "2026-10-01"}])
    res = CliRunner().invoke(main, ["assess", str(path), "-o", str(tmp_path / "o"), "--as-of", "2026-11-30",
                                    "--fail-under", "50"])
    assert res.exit_code == 1 and "below --fail-under" in res.output
    res = CliRunner().invoke(main, ["assess", str(path), "-o", str(tmp_path / "o"), "--as-of", "2026-11-30",
                                    "--fail-under", "5"])
    assert res.exit_code == 0


def test_scale_cmmi_v2_labels(tmp_path):
    out = tmp_path / "o"
    res = CliRunner().invoke(main, ["assess", str(SAMPLES / "atlas-mature.xlsx"), "-o", str(out), "--as-of", "2026-11-30",
                                    "--scale", "cmmi-v2"])
    assert res.exit_code == 0
    data = json.loads((out / "assessment.json").read_text())
    labels = {pr["characterization"] for p in data["projects"] for pr in p["practices"]}
    assert labels == {"FM", "LM"}
    assert " FM " in res.output


def test_tailoring_file(tmp_path):
    t = tmp_path / "tailoring.yaml"
    t.write_text("tailoring:\n  - {project: '*', practice: IWM.SP1.3, status: not_applicable, "
                 "justification: Customer-owned environment}\n")
    res, data = _assess([SAMPLES / "borealis-partial.csv", "--tailoring", t], tmp_path)
    assert res.exit_code == 0, res.output
    pr = next(pr for pr in data["projects"][0]["practices"] if pr["practice"] == "IWM.SP1.3")
    assert pr["characterization"] == "NA" and pr["tailoring"] == {"kind": "NA", "justification": "Customer-owned environment"}
    bad = tmp_path / "bad.yaml"
    bad.write_text("tailoring:\n  - {practice: IWM.SP1.33, status: not_applicable}\n")
    res = CliRunner().invoke(main, ["assess", str(SAMPLES / "borealis-partial.csv"), "--tailoring", str(bad), "-o", str(tmp_path)])
    assert res.exit_code == 3
    assert "did you mean IWM.SP1.3" in res.output and "needs a justification" in res.output


def test_all_rows_rejected_is_an_input_error_with_the_report_written(tmp_path):
    path = write_long_xlsx(tmp_path / "e.xlsx", [
        {"project": "A", "practice": "IWM.SP7.7", "work_product": "Plan", "status": "approved", "date": "2026-10-01"},
        {"project": "A", "practice": "IWM.SP1.1", "work_product": "Plan", "status": "signed", "date": "2026-10-01"}])
    res, data = _assess([path], tmp_path)
    assert res.exit_code == 3
    assert "no evidence row was accepted, nothing assessed; 2 row(s) rejected: see input.rejected" in res.output
    assert len(data["input"]["rejected"]) == 2


def test_non_finite_fail_under_and_empty_formats_are_usage_errors(tmp_path):
    runner = CliRunner()
    for value in ("nan", "NaN", "inf", "-inf"):
        res = runner.invoke(main, ["assess", str(SAMPLES), "-o", str(tmp_path / "o"), "--fail-under", value])
        assert res.exit_code == 2, (value, res.output)
        assert "--fail-under" in res.output and "Traceback" not in res.output
    res = runner.invoke(main, ["assess", str(SAMPLES), "-o", str(tmp_path / "o"), "--max-ratio", "nan"])
    assert res.exit_code == 2 and "not a finite number" in res.output
    for value in (",", "", " , "):
        res = runner.invoke(main, ["assess", str(SAMPLES), "-o", str(tmp_path / "o"), "-f", value])
        assert res.exit_code == 2, (value, res.output)
        assert "no format given" in res.output
    assert not (tmp_path / "o").exists()  # nothing ran


def test_format_all_writes_every_available_format(tmp_path):
    from iwm_rules.exporters import FORMATS, available_formats

    out = tmp_path / "o"
    res = CliRunner().invoke(main, ["assess", str(SAMPLES / "atlas-mature.xlsx"), "-o", str(out), "-f", "all",
                                    "--as-of", "2026-11-30"])
    assert res.exit_code == 0, res.output
    for fmt in available_formats():
        name = FORMATS[fmt][0]
        assert (out / name).is_file() and (out / name).stat().st_size > 0, fmt
        assert f"wrote {out / name}" in res.output
    assert "'all' writes every format" in " ".join(CliRunner().invoke(main, ["assess", "--help"]).output.split())


def test_json_is_compact_by_default_and_indented_with_pretty(tmp_path):
    args = ["assess", str(SAMPLES / "borealis-partial.csv"), "--as-of", "2026-11-30"]
    assert CliRunner().invoke(main, [*args, "-o", str(tmp_path / "c")]).exit_code == 0
    assert CliRunner().invoke(main, [*args, "-o", str(tmp_path / "p"), "--pretty"]).exit_code == 0
    compact = (tmp_path / "c" / "assessment.json").read_text(encoding="utf-8")
    pretty = (tmp_path / "p" / "assessment.json").read_text(encoding="utf-8")
    assert compact.count("\n") == 1 and compact.endswith("}\n")
    assert pretty.startswith('{\n  "schema_version": "1",\n') and pretty.count("\n") > 100
    a, b = json.loads(compact), json.loads(pretty)
    a.pop("generated_at"), b.pop("generated_at")
    assert a == b
    jsonschema.validate(json.loads(pretty), schema())


def test_control_and_bidi_characters_are_escaped_on_the_terminal_only(tmp_path):
    name = "Evil\x1b[2J\u202eeman\u2066x\x85\x07"
    ev = tmp_path / "evidence.csv"
    ev.write_text(f'project,practice,work_product,status,date\n"{name}",WP.SP2.7,Overall work plan,approved,2026-10-01\n',
                  encoding="utf-8")
    out = tmp_path / "o\u202eut"
    res = CliRunner().invoke(main, ["assess", str(ev), "-o", str(out), "--as-of", "2026-11-30"])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "assessment.json").read_text(encoding="utf-8"))
    assert data["projects"][0]["project"] == name  # verbatim in JSON
    for ch in ("\x1b", "\u202e", "\u2066", "\x85", "\x07"):
        assert ch not in res.output
    assert "Evil\\x1b[2J\\u202eeman~ " in res.output  # cut to the column without splitting an escape
    assert f"wrote {tmp_path}/o\\u202eut/assessment.json" in res.output
    res = CliRunner().invoke(main, ["assess", str(tmp_path / "missing\x1b[31m\u202e.csv"), "-o", str(out)])
    assert res.exit_code == 3
    assert res.output.strip() == f"error: {tmp_path}/missing\\x1b[31m\\u202e.csv: file not found"


def test_long_runs_say_what_they_do_on_a_terminal_only(tmp_path, monkeypatch):
    """On a terminal each stage is announced on stderr; piped output gets nothing extra."""
    import io

    from iwm_rules import api, cli

    seen = []
    sample = ROOT / "evidence_samples" / "borealis-partial.csv"
    api.run_assessment([sample], as_of=dt.date(2026, 11, 30), progress=seen.append)
    assert seen[0] == "reading 1 evidence file(s)" and seen[1].startswith("assessing 1 project(s) from ")

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(cli.sys, "stderr", terminal)
    cli._stage_messages()("reading 3 evidence file(s)")
    assert terminal.getvalue() == "iwm-rules: reading 3 evidence file(s) ...\n"
    monkeypatch.undo()
    result = CliRunner().invoke(main, ["assess", str(sample), "-o", str(tmp_path / "out"), "--as-of", "2026-11-30",
                                       "-f", "json"])
    assert result.exit_code == 0 and "iwm-rules:" not in result.output, result.output
