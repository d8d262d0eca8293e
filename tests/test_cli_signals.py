"""Reports on disk, through the real command in a subprocess: created with the user's umask,
and a run killed by SIGTERM or SIGINT leaves no temporary file and no half report behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "evidence_samples" / "borealis-partial.csv"

#: runs the command; with KILL_AT=<stage> the process sends itself SIGNAL at that point (after
#: the JSON exporter has written most of its temporary file, or while evidence is loading) and
#: then waits, so the signal always arrives at the same place
RUNNER = textwrap.dedent("""\
    import os, signal, sys, time
    os.umask(int(os.environ.get("UMASK", "022"), 8))
    stage, signame = os.environ.get("KILL_AT"), os.environ.get("SIGNAL", "SIGTERM")

    def kill_here():
        if os.environ.get("FROM_PARENT"):  # say where we are and wait for the parent's signal
            sys.stderr.write("writing\\n")
            sys.stderr.flush()
        else:
            os.kill(os.getpid(), getattr(signal, signame))
        time.sleep(60)  # the handler interrupts this
        raise SystemExit("the signal was not handled")

    if stage == "write":
        from iwm_rules.exporters import json_export
        real = json_export.write
        def write(data, path, *, pretty=False):
            real(data, path, pretty=pretty)
            kill_here()
        json_export.write = write
    elif stage == "load":
        import iwm_rules.api as api
        def load_evidence(*a, **k):
            kill_here()
        api.load_evidence = load_evidence
    from iwm_rules.cli import main
    main(sys.argv[1:], prog_name="iwm-rules")
""")


def run(*args, timeout=120, **env) -> subprocess.CompletedProcess:
    full = dict(os.environ, **env)
    full["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-c", RUNNER, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=full)


@pytest.mark.parametrize("umask, mode", [("022", 0o644), ("027", 0o640), ("077", 0o600)])
def test_reports_follow_the_umask(tmp_path, umask, mode):
    proc = run("assess", SAMPLE, "-o", tmp_path / "out", "--as-of", "2026-11-30", UMASK=umask)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "assessment.json").stat().st_mode & 0o777 == mode


def test_template_follows_the_umask(tmp_path):
    proc = run("template", "-r", "cmmi-svc-wp", "-o", tmp_path / "t.xlsx", UMASK="002")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "t.xlsx").stat().st_mode & 0o777 == 0o664


@pytest.mark.parametrize("signame", ["SIGTERM", "SIGINT"])
def test_killed_while_writing_leaves_nothing_half_written(tmp_path, signame):
    out = tmp_path / "out"
    out.mkdir()
    (out / "assessment.json").write_text('{"previous": "report"}\n')
    proc = run("assess", SAMPLE, "-o", out, "--as-of", "2026-11-30", KILL_AT="write", SIGNAL=signame)
    signum = getattr(signal, signame)
    assert proc.returncode == 128 + signum, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"error: interrupted ({signame}); no report was left half-written"
    assert sorted(p.name for p in out.iterdir()) == ["assessment.json"]  # no .assessment.json.*.tmp
    assert (out / "assessment.json").read_text() == '{"previous": "report"}\n'  # the old report is intact


def test_killed_while_loading_is_not_a_file_error(tmp_path):
    proc = run("assess", SAMPLE, "-o", tmp_path / "out", KILL_AT="load", SIGNAL="SIGTERM")
    assert proc.returncode == 128 + signal.SIGTERM, proc.stderr
    assert proc.stderr.strip() == "error: interrupted (SIGTERM); no report was left half-written"
    assert list((tmp_path / "out").iterdir()) == []


def test_killed_by_another_process_while_writing(tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, KILL_AT="write", FROM_PARENT="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    proc = subprocess.Popen([sys.executable, "-c", RUNNER, "assess", str(SAMPLE), "-o", str(out), "--as-of", "2026-11-30"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    try:
        assert proc.stderr.readline() == "writing\n"
        assert [p.name for p in out.iterdir()][0].endswith(".tmp")  # caught with the temporary file on disk
        proc.send_signal(signal.SIGTERM)
        rest = proc.stderr.read()
        assert proc.wait(timeout=60) == 128 + signal.SIGTERM, rest
    finally:
        proc.kill()
        proc.wait()
    assert rest.strip() == "error: interrupted (SIGTERM); no report was left half-written"
    assert list(out.iterdir()) == []
