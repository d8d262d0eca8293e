"""The run manifest: what produced a result, for `assess` and `batch` alike."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from click.testing import CliRunner

from iwm_rules.cli import main

from .conftest import FIXTURES
from .test_batch import AS_OF, MINI, _without_time, portfolio


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_manifest_names_rulesets_inputs_and_options(tmp_path):
    extra = portfolio(tmp_path / "pf")
    files = sorted(p for p in (tmp_path / "pf").rglob("*") if p.is_file())
    runs = {}
    for name, cmd in (("assess", "assess"), ("assess-again", "assess"), ("batch", "batch")):
        res = CliRunner().invoke(main, [cmd, *map(str, files), "-r", MINI, "--tailoring", str(extra["tailoring"]),
                                        "--as-of", AS_OF, "--fail-under", "50", "--scale", "cmmi-v2", "--engine", "python",
                                        "-o", str(tmp_path / name)])
        assert res.exit_code in (0, 1), res.output
        runs[name] = tmp_path / name / ("portfolio.json" if cmd == "batch" else "assessment.json")
    for path in runs.values():
        m = json.loads(path.read_text())["manifest"]
        assert m["tool"]["name"] == "iwm-rules" and m["as_of"] == AS_OF
        assert m["engine"]["name"] == "python"
        assert m["rulesets"] == [{"id": "mini", "version": "1", "sha256": sha(FIXTURES / "mini-ruleset.yaml")}]
        assert m["inputs"] == [{"path": str(f), "sha256": sha(f)} for f in sorted(files, key=str)]
        assert m["tailoring"] == {"path": str(extra["tailoring"]), "sha256": sha(extra["tailoring"])}
        assert {k: m["options"][k] for k in ("fail_under", "scale", "layout", "engine", "reuse")} == \
            {"fail_under": 50.0, "scale": "cmmi-v2", "layout": "auto", "engine": "python", "reuse": True}
        assert "jobs" not in m["options"] and "executor" not in m["options"]
    # the same run twice: the same bytes apart from generated_at
    assert _without_time(runs["assess"]) == _without_time(runs["assess-again"])
