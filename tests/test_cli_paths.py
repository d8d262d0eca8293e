"""Input and output paths through the real command: checked before any work, one line, exit 3
(exit 2 for a bad option value); unreadable files and folders are errors, never skipped; a file
reached twice is read once with a warning."""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from iwm_rules import api
from iwm_rules.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "evidence_samples"
CSV = "project,practice,work_product,status,date\nAtlas,WP.SP2.7,Overall work plan,approved,2026-10-01\n"


def invoke(*args):
    return CliRunner().invoke(main, ["assess", *map(str, args), "--as-of", "2026-11-30"])


def one_error_line(res) -> str:
    lines = res.output.strip().splitlines()
    assert len(lines) == 1, res.output
    assert "Traceback" not in res.output
    return lines[0]


@pytest.fixture
def no_assessment(monkeypatch):
    """Fail the test if the assessment starts: path checks must come first."""
    def refuse(*a, **k):
        raise AssertionError("the assessment ran before the paths were checked")
    monkeypatch.setattr(api, "run_assessment", refuse)


@pytest.fixture
def evidence(tmp_path) -> Path:
    p = tmp_path / "ev.csv"
    p.write_text(CSV)
    return p


# --------------------------------------------------------------------------- -o

def test_outdir_that_is_a_file(tmp_path, evidence, no_assessment):
    f = tmp_path / "report.txt"
    f.write_text("keep me")
    res = invoke(evidence, "-o", f)
    assert res.exit_code == 3
    assert one_error_line(res) == f"error: {f}: is a file, not a folder; name a folder for the reports"
    assert f.read_text() == "keep me"


def test_outdir_below_a_file(tmp_path, evidence, no_assessment):
    f = tmp_path / "report.txt"
    f.write_text("keep me")
    res = invoke(evidence, "-o", f / "sub")
    assert res.exit_code == 3
    assert one_error_line(res) == f"error: {f / 'sub'}: cannot be created: {f} is a file, not a folder"


def test_outdir_dev_null(evidence, no_assessment):
    res = invoke(evidence, "-o", "/dev/null")
    assert res.exit_code == 3
    assert one_error_line(res) == ("error: /dev/null: is a device or other special file, not a folder; "
                                   "name a folder for the reports")


def test_outdir_where_the_report_name_is_a_folder(tmp_path, evidence, no_assessment):
    (tmp_path / "out" / "assessment.json").mkdir(parents=True)
    res = invoke(evidence, "-o", tmp_path / "out")
    assert res.exit_code == 3
    assert "assessment.json: is a folder; the report cannot be written there" in one_error_line(res)


def test_empty_outdir_is_a_usage_error(evidence, no_assessment):
    res = invoke(evidence, "-o", "")
    assert res.exit_code == 2 and "the output folder name is empty" in res.output


def test_outdir_checked_before_the_evidence_is_read(tmp_path):
    """A bad -o is reported even when reading the evidence would fail later (nothing is read first)."""
    broken = tmp_path / "notes.xlsx"
    broken.write_text("not a workbook")
    res = invoke(broken, "-o", "/dev/null")
    assert res.exit_code == 3 and "/dev/null" in one_error_line(res) and "notes.xlsx" not in res.output


def test_outdir_is_created_when_missing(tmp_path, evidence):
    res = invoke(evidence, "-o", tmp_path / "a" / "b")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "a" / "b" / "assessment.json").is_file()
    assert [p.name for p in (tmp_path / "a" / "b").iterdir()] == ["assessment.json"]  # no probe left behind


# --------------------------------------------------------------------------- permissions, for real
# Root ignores permission bits; as root these run the command with every capability dropped
# (util-linux ``setpriv``), so mode 000 and 555 mean what they mean for any user.

RUNNER = ("import sys; from iwm_rules.cli import main; "
          "main(sys.argv[1:], prog_name='iwm-rules')")
DROP_PRIVILEGES = ["setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all", "--"]


def unprivileged(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    if not shutil.which("setpriv"):
        pytest.skip("running as root and setpriv (util-linux) is absent: cannot drop the capability to bypass permissions")
    return DROP_PRIVILEGES + argv


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run_unprivileged(*args, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(unprivileged([sys.executable, "-c", RUNNER, *map(str, args)]), capture_output=True,
                          text=True, timeout=120, cwd=cwd, env=_env())


@pytest.fixture
def shared_dir(tmp_path):
    yield tmp_path
    for p in [tmp_path, *tmp_path.rglob("*")]:  # let pytest clean up
        if not p.is_symlink():
            p.chmod(0o755 if p.is_dir() else 0o644)


def _can_read(path: Path) -> bool:
    probe = subprocess.run(unprivileged([sys.executable, "-c", f"open({str(path)!r}, 'rb') if __import__('os').path.isfile("
                                         f"{str(path)!r}) else __import__('os').listdir({str(path)!r})"]),
                           capture_output=True)
    return probe.returncode == 0


def test_unreadable_subfolder_is_an_input_error(shared_dir):
    ev = shared_dir / "evidence"
    (ev / "locked").mkdir(parents=True)
    (ev / "good.csv").write_text(CSV)
    (ev / "locked" / "hidden.csv").write_text(CSV)
    (ev / "locked").chmod(0)
    out = shared_dir / "out"
    if _can_read(ev / "locked"):
        pytest.skip("this user can still read a folder with mode 000")
    proc = run_unprivileged("assess", ev, "-o", out, cwd=shared_dir)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"error: {ev / 'locked'}: folder cannot be read (permission denied); fix its permissions or name the "
        "readable files instead"]
    assert not (out / "assessment.json").exists()


def test_unreadable_file_in_a_folder_is_an_input_error(shared_dir):
    ev = shared_dir / "evidence"
    ev.mkdir()
    (ev / "good.csv").write_text(CSV)
    (ev / "secret.csv").write_text(CSV)
    (ev / "secret.csv").chmod(0)
    out = shared_dir / "out"
    if _can_read(ev / "secret.csv"):
        pytest.skip("this user can still read a file with mode 000")
    proc = run_unprivileged("assess", ev, "-o", out, cwd=shared_dir)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.strip() == f"error: {ev / 'secret.csv'}: cannot be read (permission denied)"


def test_unwritable_outdir(shared_dir):
    (shared_dir / "ev.csv").write_text(CSV)
    ro = shared_dir / "readonly"
    ro.mkdir()
    ro.chmod(0o555)
    writable = subprocess.run(unprivileged([sys.executable, "-c", f"open({str(ro / 'x')!r}, 'w')"]), capture_output=True)
    if writable.returncode == 0:
        pytest.skip("this user can write a folder with mode 555")
    proc = run_unprivileged("assess", shared_dir / "ev.csv", "-o", ro, cwd=shared_dir)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.strip() == f"error: {ro}: folder is not writable (permission denied)"
    proc = run_unprivileged("assess", shared_dir / "ev.csv", "-o", ro / "sub", cwd=shared_dir)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.strip() == f"error: {ro / 'sub'}: cannot create the folder (permission denied)"
    assert list(ro.iterdir()) == []


def test_unreadable_subfolder_code_path(tmp_path, monkeypatch):
    """The same refusal, whoever runs the tests: listing the subfolder fails as it does without permission."""
    ev = tmp_path / "evidence"
    (ev / "sub").mkdir(parents=True)
    (ev / "good.csv").write_text(CSV)
    real = os.scandir

    def scandir(path="."):
        if Path(path) == ev / "sub":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    res = invoke(ev, "-o", tmp_path / "out")
    assert res.exit_code == 3
    assert one_error_line(res) == (f"error: {ev / 'sub'}: folder cannot be read (permission denied); fix its "
                                   "permissions or name the readable files instead")


# --------------------------------------------------------------------------- the same file twice

def _accepted(data) -> int:
    return sum(f["rows_accepted"] for f in data["input"]["files"])


def test_a_file_reached_twice_is_read_once_with_a_warning(tmp_path, monkeypatch):
    ev = tmp_path / "ev"
    ev.mkdir()
    (ev / "a.csv").write_text(CSV)
    (ev / "link.csv").symlink_to(ev / "a.csv")
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["assess", "ev/a.csv", "./ev/a.csv", "ev", "ev/a.csv", "-o", "out",
                                    "--as-of", "2026-11-30"])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "out" / "assessment.json").read_text())
    assert [f["path"] for f in data["input"]["files"]] == ["ev/a.csv"]
    assert _accepted(data) == 1
    warned = sorted((w["file"], w["message"]) for w in data["input"]["warnings"] if w.get("kind") == "duplicate_input")
    again = "listed more than once (by name or through a folder); read once"
    assert warned == [("ev/a.csv", again)] * 3 + [("ev/link.csv", "the same file as ev/a.csv; read once")]
    assert "warning: ev/link.csv: the same file as ev/a.csv; read once" in res.output
    assert "4 warning(s): see input.warnings in out/assessment.json" in res.output


def test_a_folder_linked_into_itself_is_searched_once(tmp_path):
    ev = tmp_path / "ev"
    (ev / "sub").mkdir(parents=True)
    (ev / "sub" / "a.csv").write_text(CSV)
    (ev / "sub" / "loop").symlink_to(ev)
    res = invoke(ev, "-o", tmp_path / "out")
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "out" / "assessment.json").read_text())
    assert [Path(f["path"]).name for f in data["input"]["files"]] == ["a.csv"] and _accepted(data) == 1


def test_library_api_reads_a_repeated_file_once(tmp_path, evidence):
    result = api.run_assessment([evidence, evidence], as_of=None)
    assert len(result.data["input"]["files"]) == 1
    assert [w["kind"] for w in result.data["input"]["warnings"]] == ["duplicate_input"]


def test_broken_link_and_empty_path(tmp_path):
    (tmp_path / "dangling.csv").symlink_to(tmp_path / "gone.csv")
    res = invoke(tmp_path / "dangling.csv", "-o", tmp_path / "out")
    assert res.exit_code == 3 and one_error_line(res) == f"error: {tmp_path / 'dangling.csv'}: is a broken symbolic link"
    res = invoke("", "-o", tmp_path / "out")
    assert res.exit_code == 3 and "an empty path was given" in one_error_line(res)


def test_a_fifo_named_as_evidence_does_not_hang(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    proc = subprocess.run([sys.executable, "-c", RUNNER, "assess", str(fifo), "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 3 and "is not a regular file" in proc.stderr, proc.stderr


def test_template_output_below_a_file(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("x")
    res = CliRunner().invoke(main, ["template", "-r", "cmmi-svc-wp", "-o", str(f / "t.xlsx")])
    assert res.exit_code == 3
    assert one_error_line(res) == f"error: {f}: is a file, not a folder; name a folder for the reports"


def test_a_file_name_with_undecodable_bytes(tmp_path):
    ev = tmp_path / "ev"
    ev.mkdir()
    name = os.fsdecode(b"plan\xff.csv")
    (ev / name).write_text(CSV)
    res = invoke(ev, "-o", tmp_path / "out")
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "out" / "assessment.json").read_text(encoding="utf-8"))
    assert data["input"]["files"][0]["path"] == str(ev / name)
    res = invoke(ev / name, ev / "missing\udcfe.csv", "-o", tmp_path / "out")
    assert res.exit_code == 3 and one_error_line(res) == f"error: {ev}/missing\\udcfe.csv: file not found"


def test_a_report_that_cannot_be_written_is_one_line(tmp_path, evidence, monkeypatch):
    import errno

    from iwm_rules.exporters import json_export

    def full(data, path, *, pretty=False):
        Path(path).write_text("{")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(json_export, "write", full)
    out = tmp_path / "out"
    res = invoke(evidence, "-o", out)
    assert res.exit_code == 3
    assert one_error_line(res) == f"error: {out / 'assessment.json'}: cannot write the report (No space left on device)"
    assert list(out.iterdir()) == []


def test_the_report_folder_inside_an_input_folder_is_not_read_as_evidence(tmp_path, monkeypatch):
    (tmp_path / "ev.csv").write_text(CSV)
    monkeypatch.chdir(tmp_path)
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "practices.csv").write_text("project,practice,characterization\nAtlas,WP.SP2.7,FI\n")
    res = CliRunner().invoke(main, ["assess", ".", "--as-of", "2026-11-30"])  # -o reports, the default
    assert res.exit_code == 0, res.output
    data = json.loads((reports / "assessment.json").read_text())
    assert [f["path"] for f in data["input"]["files"]] == ["ev.csv"]
    res = CliRunner().invoke(main, ["assess", "reports/practices.csv", "-o", "reports"])  # named: read (and refused)
    assert res.exit_code == 3 and "reports/practices.csv" in res.output


def test_a_broken_link_inside_a_folder_is_named(tmp_path):
    ev = tmp_path / "ev"
    ev.mkdir()
    (ev / "a.csv").write_text(CSV)
    (ev / "old.csv").symlink_to(tmp_path / "moved.csv")
    res = invoke(ev, "-o", tmp_path / "out")
    assert res.exit_code == 3
    assert one_error_line(res) == f"error: {ev / 'old.csv'}: is a broken symbolic link; remove it or name the other files"


def test_a_report_never_replaces_a_device_or_a_link(tmp_path):
    """Writing a report over /dev/null (or a symlink) as root would replace the device with a
    regular file: the atomic writer refuses anything that is not a regular file."""
    import pytest

    from iwm_rules.exporters import atomic_write

    link = tmp_path / "link.json"
    target = tmp_path / "target.json"
    target.write_text("keep")
    link.symlink_to(target)
    for path in (Path("/dev/null"), link, tmp_path):
        with pytest.raises(OSError):
            atomic_write(path, lambda tmp: tmp.write_text("x"))
    assert Path("/dev/null").is_char_device() and target.read_text() == "keep"
