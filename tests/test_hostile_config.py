"""Hostile configuration files (ruleset, tailoring, mappings) through the real command, each
run in its own interpreter under an address-space cap: a clear error and exit 3 in bounded
time and memory, never a hang, a traceback or a half-used file."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "evidence_samples" / "borealis-partial.csv"

RUNNER = textwrap.dedent("""\
    import json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))
    from click.testing import CliRunner
    from iwm_rules.cli import main
    t = time.perf_counter()
    res = CliRunner().invoke(main, sys.argv[1:])
    with open("/proc/self/status") as f:
        hwm = next(line for line in f if line.startswith("VmHWM:"))
    print(json.dumps({"exit": res.exit_code, "output": res.output, "seconds": time.perf_counter() - t,
                      "maxrss_mb": int(hwm.split()[1]) / 1024,
                      "exception": repr(res.exception) if res.exit_code not in (0, 1, 2, 3, 4) else None}))
""")

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="measures memory from /proc")


def run_cli(*args, timeout=120) -> dict:
    proc = subprocess.run([sys.executable, "-c", RUNNER, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def refused(r: dict, *fragments: str, seconds: float = 30, mb: float = 500) -> None:
    assert r["exit"] == 3, r
    assert "Traceback" not in r["output"] and r["exception"] is None, r
    for fragment in fragments:
        assert fragment in r["output"], r["output"]
    assert r["seconds"] < seconds and r["maxrss_mb"] < mb, r


def laughs(levels: int = 9, width: int = 9) -> str:
    """A 'billion laughs': each anchor is a list of ``width`` aliases of the previous one."""
    lines = ["lol0: &l0 [" + ", ".join(['"lol"'] * width) + "]"]
    lines += [f"lol{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


RULESET_HEAD = textwrap.dedent("""\
    id: hostile
    title: Hostile
    version: "1"
    source: test
    goals:
      - id: G1
        title: Goal
        statement: s
        practices:
          - id: H.SP1.1
            title: Plan
            statement: s
            work_products:
              - {id: plan, name: Work plan, match: [work plan]}
    """)


def bomb_ruleset(tmp_path) -> Path:
    path = tmp_path / "bomb.yaml"
    path.write_text(laughs() + RULESET_HEAD + "rules:\n  - id: lol\n    on: practice\n"
                    "    when: {field: title, op: in, value: *l9}\n    then: {kind: info, message: m}\n")
    return path


def test_alias_bomb_in_a_rule_value_is_refused_by_validate(tmp_path):
    path = bomb_ruleset(tmp_path)
    r = run_cli("rulesets", "validate", path)
    refused(r, f"{path}:1: refused: aliases expand this document to", "(at most 10,000 may come from aliases)")


def test_alias_bomb_in_a_ruleset_is_refused_by_assess(tmp_path):
    r = run_cli("assess", SAMPLE, "-r", bomb_ruleset(tmp_path), "-o", tmp_path / "out")
    refused(r, "refused: aliases expand this document")
    assert not list((tmp_path / "out").glob("*"))  # nothing written (the folder itself is checked up front)


def test_alias_bomb_in_tailoring_and_mappings(tmp_path):
    tailoring = tmp_path / "tailoring.yaml"
    tailoring.write_text(laughs() + "tailoring:\n  - {practice: IWM.SP1.1, status: not_yet, justification: *l9}\n")
    r = run_cli("assess", SAMPLE, "-r", "cmmi-svc-iwm", "--tailoring", tailoring, "-o", tmp_path / "out")
    refused(r, f"{tailoring}:1: refused: aliases expand")
    mappings = tmp_path / "maps.yaml"
    mappings.write_text(laughs() + "mappings:\n  - {from: IWM.SP1.1, to: WP.SP2.7, relationship: equal, source: *l9}\n")
    r = run_cli("assess", SAMPLE, "-r", "cmmi-svc-iwm", "--mappings", mappings, "-o", tmp_path / "out")
    refused(r, f"{mappings}:1: refused: aliases expand")
    r = run_cli("rulesets", "validate", mappings)
    refused(r, "refused: aliases expand")


def test_recursive_alias_and_deep_nesting(tmp_path):
    rec = tmp_path / "rec.yaml"
    rec.write_text(RULESET_HEAD + "description: &d [a, *d]\n")
    refused(run_cli("rulesets", "validate", rec), "recursive alias")
    deep = tmp_path / "deep.yaml"
    deep.write_text(RULESET_HEAD + "description: " + "[" * 200_000 + "]" * 200_000 + "\n")
    refused(run_cli("rulesets", "validate", deep), f"{deep}:15: ", "nesting")


def test_oversized_files_are_refused_before_parsing(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text(RULESET_HEAD + ("# " + "x" * 1000 + "\n") * 6000)  # ~6 MB of comments
    refused(run_cli("rulesets", "validate", big), "the file is 5.7 MiB; configuration files may be at most 5 MiB",
            seconds=20)
    r = run_cli("assess", SAMPLE, "--tailoring", big, "-o", tmp_path / "out")
    refused(r, "at most 5 MiB", seconds=20)
    many = tmp_path / "many.yaml"  # under 5 MiB, but a million values
    many.write_text(RULESET_HEAD + "description: [" + ",".join(["x"] * 1_000_000) + "]\n")
    refused(run_cli("rulesets", "validate", many), "more than 100,000 values", seconds=30)


TAILORING_HEAD = "tailoring: []\nwaivers:\n"


@pytest.mark.parametrize("expires,message", [
    ("2027-02-30", "'2027-02-30' is not a real date; write a date as YYYY-MM-DD"),
    ("2027-03-31T10:00:00", "'2027-03-31T10:00:00' is a timestamp; write a date as YYYY-MM-DD"),
    ("2027-03-31 10:00:00", "is a timestamp; write a date as YYYY-MM-DD"),
    ('"2027-02-30"', "expires must be a date (YYYY-MM-DD)"),
])
def test_invalid_dates_in_tailoring(tmp_path, expires, message):
    path = tmp_path / "tailoring.yaml"
    path.write_text(TAILORING_HEAD + "  - {practice: IWM.SP1.1, reason: waiting, expires: 2027-01-01}\n"
                    f"  - {{practice: IWM.SP1.2, reason: waiting, expires: {expires}}}\n")
    r = run_cli("assess", SAMPLE, "-r", "cmmi-svc-iwm", "--tailoring", path, "-o", tmp_path / "out")
    refused(r, f"{path}:4: ", message)
    assert not list((tmp_path / "out").glob("*"))  # nothing written (the folder itself is checked up front)


def test_invalid_date_in_a_ruleset(tmp_path):
    path = tmp_path / "dated.yaml"
    path.write_text(RULESET_HEAD + "rules:\n  - id: r\n    on: work_product\n"
                    "    when: {field: waiver_expires, op: lt, value: 2027-02-30}\n    then: {kind: info, message: m}\n")
    for args in (("rulesets", "validate", path), ("assess", SAMPLE, "-r", path, "-o", tmp_path / "out")):
        refused(run_cli(*args), f"{path}:18: '2027-02-30' is not a real date; write a date as YYYY-MM-DD")


def test_message_with_an_attribute_placeholder_is_refused_before_assess(tmp_path):
    path = tmp_path / "msg.yaml"
    path.write_text(RULESET_HEAD + "rules:\n  - id: r\n    on: practice\n"
                    "    when: {field: n_artifacts, op: ge, value: 0}\n    then: {kind: info, message: '{project.foo}'}\n")
    refused(run_cli("rulesets", "validate", path), f"{path}:19: rule 'r': message placeholder {{project.foo}}")
    refused(run_cli("assess", SAMPLE, "-r", path, "-o", tmp_path / "out"), "message placeholder {project.foo}")


@pytest.mark.parametrize("engine", ["python", "auto"])
def test_evil_regexes_run_in_bounded_time_through_assess(tmp_path, engine):
    """Patterns that backtrack catastrophically in Python's re, on a 40-character cell."""
    path = tmp_path / "evil.yaml"
    path.write_text(RULESET_HEAD.replace("match: [work plan]", "match: [work plan, '/(a+)+$/', '/(a|aa)+$/', "
                                         "'/(.*a){20}/', '/(a|a)*b/']")
                    + "rules:\n  - id: evil\n    on: practice\n"
                    "    when: {field: weakness_text, op: matches, value: '(a+)+$'}\n"
                    "    then: {kind: weakness, message: 'evil {weakness_text}'}\n"
                    "  - id: evil-but-matching\n    on: practice\n"
                    "    when: {field: weakness_text, op: matches, value: '.*(a|aa)+!'}\n"
                    "    then: {kind: weakness, message: 'matched'}\n")
    evidence = tmp_path / "evil.csv"
    cell = "a" * 40 + "!"
    evidence.write_text("project,practice,work_product,weakness\n"
                        f"Atlas,H.SP1.1,{cell},{cell}\nAtlas,H.SP1.1,work plan,{'a' * 40}\n")
    r = run_cli("rulesets", "validate", path)
    assert r["exit"] == 0 and r["seconds"] < 10, r
    r = run_cli("assess", evidence, "-r", path, "-o", tmp_path / "out", "--engine", engine, "--as-of", "2026-11-30",
                timeout=60)
    assert r["exit"] == 0 and r["seconds"] < 30, r
    data = json.loads((tmp_path / "out" / "assessment.json").read_text())
    practice = data["projects"][0]["practices"][0]
    assert practice["characterization"] == "LI"
    rules = {f["rule"] for f in practice["findings"]}
    assert "evil-but-matching" in rules and "evil" not in rules  # full-string match: the text ends in '!'
    assert [w["state"] for w in practice["work_products"]] == ["adequate"]
