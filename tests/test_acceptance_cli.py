"""Acceptance checks of the command-line contract (DESIGN §6) as a careful or hostile user meets it."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from iwm_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "evidence_samples"


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def run_json(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    res = cli("assess", SAMPLES / "borealis-partial.csv", "-o", out, "--as-of", "2026-11-30")
    assert res.exit_code == 0, res.output
    return out / "assessment.json"


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")


@needs_fifo
@pytest.mark.parametrize("fmt", ["md", "json", "xlsx"])
def test_diff_never_replaces_a_device_or_pipe_named_by_o(run_json, tmp_path, fmt):
    # a report is renamed over its target: run as root, `-o /dev/null` replaced the device by a file
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    res = cli("diff", run_json, run_json, "-f", fmt, "-o", pipe)
    assert res.exit_code == 3, res.output
    assert "special file" in res.output and str(pipe) in res.output
    assert stat.S_ISFIFO(os.stat(pipe).st_mode)


@needs_fifo
def test_assess_refuses_a_pipe_where_a_report_goes(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "assessment.json")
    res = cli("assess", SAMPLES / "borealis-partial.csv", "-o", out)
    assert res.exit_code == 3, res.output
    assert "assessment.json" in res.output and "special file" in res.output
    assert stat.S_ISFIFO(os.stat(out / "assessment.json").st_mode)


def test_diff_output_below_a_file_is_refused_before_reading(run_json, tmp_path):
    # the output is checked before the inputs are read: a missing input is not reached
    res = cli("diff", tmp_path / "missing.json", run_json, "-o", run_json / "d.md")
    assert res.exit_code == 3, res.output
    assert str(run_json) in res.output and "Traceback" not in res.output


def test_diff_writes_to_a_new_folder(run_json, tmp_path):
    res = cli("diff", run_json, run_json, "-f", "json", "-o", tmp_path / "new" / "d.json")
    assert res.exit_code == 0, res.output
    d = json.loads((tmp_path / "new" / "d.json").read_text())
    assert d["summary"]["regressed"] == 0 and d["summary"]["improved"] == 0


@pytest.mark.parametrize("option", ["--tailoring", "--mappings", "--legend"])
@pytest.mark.parametrize("command", ["assess", "batch"])
def test_a_folder_given_as_a_config_file_is_invalid_input_like_r(tmp_path, option, command):
    # `-r FOLDER` is exit 3 naming it; the other configuration files behave the same way
    folder = tmp_path / "conf"
    folder.mkdir()
    res = cli(command, SAMPLES / "borealis-partial.csv", option, folder, "-o", tmp_path / "o")
    assert res.exit_code == 3, res.output
    assert str(folder) in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("option", ["--tailoring", "--mappings", "--legend"])
def test_an_empty_config_file_name_is_a_usage_error(tmp_path, option):
    # '' meant the current folder (--tailoring) or was silently ignored (--mappings, --legend)
    res = cli("assess", SAMPLES / "borealis-partial.csv", option, "", "-o", tmp_path / "o")
    assert res.exit_code == 2, res.output
    assert "empty" in res.output
    assert not (tmp_path / "o" / "assessment.json").exists()


@pytest.mark.parametrize("args", [["--project", ""], ["--project", "  "], ["-r", ""], ["-r", "cmmi-svc-iwm", "-r", " "]])
@pytest.mark.parametrize("command", ["assess", "batch"])
def test_blank_project_or_ruleset_is_a_usage_error(tmp_path, command, args):
    # --project '  ' made a nameless project; --project '' was ignored; -r '' read the current folder
    res = cli(command, SAMPLES / "borealis-partial.csv", *args, "-o", tmp_path / "o")
    assert res.exit_code == 2, res.output
    assert "empty" in res.output and "Traceback" not in res.output


def test_template_refuses_a_blank_ruleset(tmp_path):
    res = cli("template", "-r", "", "-o", tmp_path / "t.xlsx")
    assert res.exit_code == 2, res.output
    assert not (tmp_path / "t.xlsx").exists()


def test_batch_escapes_control_characters_in_failed_file_names(tmp_path):
    # on a terminal (color=True keeps escapes, as a tty does) a file name must not drive the screen
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "ok.csv").write_text((SAMPLES / "borealis-partial.csv").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "bad\x1b[2J\u202e.xlsx").write_bytes(b"not a zip")
    res = CliRunner().invoke(main, ["batch", str(folder), "-o", str(tmp_path / "o"), "-j", "1"], color=True)
    assert res.exit_code == 4, res.output
    assert "\x1b" not in res.stderr and "\u202e" not in res.stderr
    assert "bad\\x1b[2J\\u202e.xlsx" in res.stderr


@pytest.mark.parametrize("command", ["assess", "batch"])
def test_a_typo_in_the_engine_variable_is_a_usage_error_for_every_command(tmp_path, monkeypatch, command):
    monkeypatch.setenv("IWM_RULES_ENGINE", "pyhton")
    res = cli(command, SAMPLES / "borealis-partial.csv", "-o", tmp_path / "o")
    assert res.exit_code == 2, res.output
    assert "IWM_RULES_ENGINE" in res.output
