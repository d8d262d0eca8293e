"""`batch --executor dask`: the per-file chunks run on a Dask distributed cluster, same result."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from iwm_rules.cli import main

from .test_batch import AS_OF, MINI, _without_time, portfolio

distributed = pytest.importorskip("distributed", reason="Dask distributed is an optional extra (iwm-rules[dask])")


def test_dask_local_cluster_gives_the_same_portfolio(tmp_path):
    extra = portfolio(tmp_path / "pf")
    common = [str(tmp_path / "pf"), "-r", MINI, "--tailoring", str(extra["tailoring"]), "--as-of", AS_OF]
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        res = CliRunner().invoke(main, ["batch", *common, "-o", str(tmp_path / "dask"), "--executor", "dask",
                                        "--scheduler", cluster.scheduler_address])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(main, ["batch", *common, "-o", str(tmp_path / "local"), "-j", "1"])
    assert res.exit_code == 0, res.output
    assert _without_time(tmp_path / "dask" / "portfolio.json") == _without_time(tmp_path / "local" / "portfolio.json")
    data = json.loads((tmp_path / "dask" / "portfolio.json").read_text())
    assert [p["project"] for p in data["projects"]] == ["A", "B", "C", "D"]


def test_unreachable_scheduler_is_one_line_exit_3(tmp_path):
    portfolio(tmp_path / "pf")
    import dask

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        res = CliRunner().invoke(main, ["batch", str(tmp_path / "pf"), "-r", MINI, "-o", str(tmp_path / "o"),
                                        "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9"])
    assert res.exit_code == 3, res.output
    assert "cannot reach the Dask scheduler" in res.output and "Traceback" not in res.output
