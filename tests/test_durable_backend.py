"""The durable_rules evaluator's own duties: every fact asserted once, in bounded chunks, each
in a session that is deleted afterwards; refused or unseen facts retried on their own; a
fresh process builds its host once; which engine runs (``--engine``, ``IWM_RULES_ENGINE``,
durable_rules unimportable), and errors that name what to do."""
from __future__ import annotations

import importlib.metadata
import os
import platform
import signal
import sys
import time
from collections import OrderedDict

import pytest

from iwm_rules import engine as eng
from iwm_rules.engine import durable_backend, run_rules
from iwm_rules.model import Rule
from iwm_rules.ruleset import load_standard_rules

needs_durable = pytest.mark.skipif(not durable_backend.available(), reason="durable_rules does not import here")

#: a work product with no artifact: the standard rules find it missing
MISSING = {"type": "work_product", "project": "A", "ruleset": "r", "practice": "p", "work_product": "w",
           "name": "Plan", "required": True, "n_artifacts": 0, "n_supporting": 0, "waiver": "none"}


def _missing_facts(n):
    """``n`` facts that all fire missing-work-product, with distinct signatures (each one evaluated)."""
    return [{**MISSING, "project": f"P{i}", "n_required_in_practice": i} for i in range(n)]


class Spy:
    """Records what reaches the durable_rules host (batches, single facts, deleted sessions)
    and can make it drop or refuse facts."""

    def __init__(self, monkeypatch, drop_last=False, refuse_batches=False, refuse_single=0):
        from durable import engine

        self.batches, self.singles, self.deleted = [], [], []
        self.drop_last, self.refuse_batches, self.refuse_single = drop_last, refuse_batches, refuse_single
        real_facts, real_fact, real_delete = engine.Host.assert_facts, engine.Host.assert_fact, engine.Host.delete_state
        spy = self

        def assert_facts(host, name, batch, complete=None):
            spy.batches.append([(f["id"], f["sid"]) for f in batch])
            if spy.refuse_batches:
                raise engine.MessageObservedException("collision")
            return real_facts(host, name, batch[:-1] if spy.drop_last else batch, complete)

        def assert_fact(host, name, fact, complete=None):
            spy.singles.append((fact["id"], fact["sid"]))
            if spy.refuse_single:
                spy.refuse_single -= 1
                raise engine.MessageObservedException("collision")
            return real_fact(host, name, fact, complete)

        def delete_state(host, name, sid=None):
            spy.deleted.append(sid)
            return real_delete(host, name, sid)

        monkeypatch.setattr(engine.Host, "assert_facts", assert_facts)
        monkeypatch.setattr(engine.Host, "assert_fact", assert_fact)
        monkeypatch.setattr(engine.Host, "delete_state", delete_state)

    def sessions(self):
        return {sid for b in self.batches for _, sid in b} | {sid for _, sid in self.singles}


def _no_state_left(rules, sessions):
    """No session the run used keeps state in durable_rules (each is deleted after use)."""
    from iwm_rules.engine.compiler import compile_rules

    name = durable_backend.ruleset_for(compile_rules(rules).rules)
    host = durable_backend._host()
    for sid in sessions:
        with pytest.raises(Exception, match="309"):
            host.get_state(name, sid)


@needs_durable
def test_facts_go_in_chunks_each_asserted_once_in_its_own_session(monkeypatch):
    n = 2 * durable_backend.CHUNK + 1
    spy = Spy(monkeypatch)
    rules = list(load_standard_rules())
    found = run_rules(rules, _missing_facts(n), backend="durable")
    assert sorted(f.project for f in found) == sorted(f"P{i}" for i in range(n))
    assert [len(b) for b in spy.batches] == [durable_backend.CHUNK, durable_backend.CHUNK, 1]
    assert sorted(int(i) for b in spy.batches for i, _ in b) == list(range(n))   # each fact once
    assert [len({sid for _, sid in b}) for b in spy.batches] == [1, 1, 1]
    assert len(spy.sessions()) == 3 and spy.singles == []      # nothing refused: no fact re-asserted alone
    assert spy.deleted == [b[0][1] for b in spy.batches]
    _no_state_left(rules, spy.sessions())


@needs_durable
def test_a_fact_durable_rules_did_not_evaluate_is_asserted_again_on_its_own(monkeypatch):
    """The engine accepted the batch but never saw one fact (a 32-bit id collision): that fact is
    asserted alone, once, its findings are reported, and its session is deleted."""
    spy = Spy(monkeypatch, drop_last=True)
    rules = list(load_standard_rules())
    found = run_rules(rules, _missing_facts(3), backend="durable")
    assert sorted(f.project for f in found if f.rule == "missing-work-product") == ["P0", "P1", "P2"]
    assert [i for i, _ in spy.singles] == ["2"]
    (batch_sid,), (alone_sid,) = {s for _, s in spy.batches[0]}, {s for _, s in spy.singles}
    assert alone_sid != batch_sid and spy.deleted == [batch_sid, alone_sid]
    _no_state_left(rules, spy.sessions())


@needs_durable
def test_a_refused_batch_is_asserted_fact_by_fact_in_a_clean_session(monkeypatch):
    spy = Spy(monkeypatch, refuse_batches=True)
    found = run_rules(list(load_standard_rules()), _missing_facts(4), backend="durable")
    assert sorted(f.project for f in found) == ["P0", "P1", "P2", "P3"]
    assert sorted(i for i, _ in spy.singles) == ["0", "1", "2", "3"]       # each fact once
    (sid,) = spy.sessions()
    assert spy.deleted == [sid, sid]     # cleared before the facts go in alone, and after the chunk


@needs_durable
def test_a_refused_single_fact_is_retried_after_its_session_is_deleted(monkeypatch):
    spy = Spy(monkeypatch, refuse_batches=True, refuse_single=1)
    found = run_rules(list(load_standard_rules()), _missing_facts(1), backend="durable")
    assert [f.project for f in found] == ["P0"] and [i for i, _ in spy.singles] == ["0", "0"]
    (sid,) = spy.sessions()
    assert spy.deleted == [sid, sid, sid]   # after the refused batch, after the refused fact, after the chunk


@needs_durable
def test_a_fact_refused_twice_is_an_error_naming_the_project_and_practice(monkeypatch):
    Spy(monkeypatch, refuse_batches=True, refuse_single=2)
    with pytest.raises(durable_backend.EngineError, match=r"refused a fact twice \(MessageObservedException\); "
                                                          r"project 'P0', practice 'p'; use --engine python"):
        run_rules(list(load_standard_rules()), _missing_facts(1), backend="durable")


@needs_durable
def test_rules_durable_rules_cannot_take_are_an_error_that_names_the_way_out(monkeypatch):
    from durable import engine

    def refuse(host, definition):
        raise RuntimeError("too many nodes")

    monkeypatch.setattr(engine.Host, "set_rulesets", refuse)
    rule = Rule(id="t", on="practice", when={"field": "n", "op": "eq", "value": -12345}, then={"kind": "info", "message": "m"},
                origin="test")
    with pytest.raises(durable_backend.EngineError) as err:
        run_rules([rule], [{"type": "practice", "project": "A", "ruleset": "r", "practice": "p", "n": 1}], backend="durable")
    assert str(err.value) == ("durable_rules cannot run these rules (too many nodes); simplify the rule conditions "
                              "or use --engine python")


@needs_durable
def test_a_fresh_process_builds_one_host_and_reuses_it(monkeypatch):
    monkeypatch.setattr(durable_backend, "_state", {"host": None, "run": None, "rulesets": OrderedDict()})
    rules = list(load_standard_rules())
    assert [f.project for f in run_rules(rules, _missing_facts(1), backend="durable")] == ["P0"]
    host = durable_backend._state["host"]
    assert host is not None and durable_backend._host() is host
    assert [f.project for f in run_rules(rules, _missing_facts(2), backend="durable")] == ["P0", "P1"]
    assert durable_backend._state["host"] is host and len(durable_backend._state["rulesets"]) == 1


def test_durable_rules_is_unavailable_where_its_engine_cannot_import(monkeypatch):
    monkeypatch.delenv("IWM_RULES_ENGINE", raising=False)
    monkeypatch.setitem(sys.modules, "durable.engine", None)   # import fails as on an unsupported Python
    assert durable_backend.available() is False
    chosen = eng.select_engine("auto")
    assert (chosen.name, chosen.backend) == ("python", "python") and "durable_rules cannot be imported" in chosen.warning


@needs_durable
def test_the_recorded_durable_rules_version_is_the_installed_distribution(monkeypatch):
    installed = importlib.metadata.version("durable-rules")
    assert durable_backend.version() == installed and installed[0].isdigit()
    assert eng.select_engine("durable").as_record() == {"name": "durable_rules", "version": installed}

    def not_installed(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    assert durable_backend.version() == "unknown"


@needs_durable
@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork (batch workers are forked)")
def test_a_worker_forked_while_the_engine_is_busy_can_run_rules():
    """A batch worker forked while another thread of the parent holds the engine lock must not
    wait for a lock no thread of the child will ever release."""
    rules = list(load_standard_rules())
    read_end, write_end = os.pipe()
    with durable_backend._LOCK:          # as if a parent thread were in the middle of a run
        pid = os.fork()
        if pid == 0:                     # the worker
            try:
                found = run_rules(rules, _missing_facts(2), backend="durable")
                os.write(write_end, ",".join(f.project for f in found).encode())
            finally:
                os._exit(0)
    os.close(write_end)
    deadline, status = time.monotonic() + 30, None
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        pytest.fail("the forked worker hung on the engine lock")
    assert os.waitstatus_to_exitcode(status) == 0
    with os.fdopen(read_end, "rb") as fh:
        assert fh.read().decode() == "P0,P1"


def test_an_unknown_engine_name_says_where_it_came_from_and_what_to_use(monkeypatch):
    monkeypatch.delenv("IWM_RULES_ENGINE", raising=False)
    with pytest.raises(eng.EngineChoiceError) as err:
        eng.select_engine("durabel")
    assert str(err.value) == "--engine='durabel' is not an engine; use one of auto, durable, python"


@pytest.mark.parametrize("from_env", [False, True], ids=["option", "environment"])
def test_durable_where_it_cannot_import_tells_how_to_choose_another_engine(monkeypatch, from_env):
    monkeypatch.setattr(durable_backend, "available", lambda: False)
    if from_env:
        monkeypatch.setenv("IWM_RULES_ENGINE", "Durable ")
    else:
        monkeypatch.delenv("IWM_RULES_ENGINE", raising=False)
    with pytest.raises(eng.EngineChoiceError) as err:
        eng.select_engine("auto" if from_env else "durable")
    why = f"durable_rules cannot be imported on Python {platform.python_version()}; use --engine python (or auto)"
    assert str(err.value) == why + (" or unset IWM_RULES_ENGINE" if from_env else "")


def test_the_fallback_records_the_python_version_that_ran_the_rules(monkeypatch):
    monkeypatch.delenv("IWM_RULES_ENGINE", raising=False)
    monkeypatch.setattr(durable_backend, "available", lambda: False)
    chosen = eng.select_engine()
    assert chosen.as_record() == {"name": "python", "version": platform.python_version()} and chosen.warning


def test_the_plain_python_evaluator_needs_no_durable_rules(monkeypatch):
    """With durable_rules unimportable, ``--engine python`` (and ``auto``) still find everything."""
    monkeypatch.delenv("IWM_RULES_ENGINE", raising=False)
    monkeypatch.setitem(sys.modules, "durable", None)
    monkeypatch.setitem(sys.modules, "durable.engine", None)
    monkeypatch.setattr(durable_backend, "_state", {"host": None, "run": None, "rulesets": OrderedDict()})
    rules = list(load_standard_rules())
    for backend in ("python", "auto"):
        assert [f.project for f in run_rules(rules, _missing_facts(2), backend=backend)] == ["P0", "P1"]
    assert durable_backend._state["host"] is None


@needs_durable
def test_the_default_engine_is_durable_rules_unless_the_environment_says_otherwise(monkeypatch):
    monkeypatch.delenv("IWM_RULES_ENGINE", raising=False)
    assert eng.select_engine().name == "durable_rules" and eng.choose_backend() == "durable"
    spy = Spy(monkeypatch)
    assert [f.project for f in run_rules(list(load_standard_rules()), _missing_facts(1))] == ["P0"]
    assert spy.batches
    monkeypatch.setenv("IWM_RULES_ENGINE", "python")
    assert eng.select_engine().name == "python" and eng.choose_backend() == "python"


def test_a_rule_built_without_a_message_gives_an_empty_message():
    rule = Rule(id="t", on="practice", when={"field": "n", "op": "eq", "value": 1}, then={"kind": "info"}, origin="test")
    (f,) = run_rules([rule], [{"type": "practice", "project": "A", "ruleset": "r", "practice": "p", "n": 1}],
                     backend="python")
    assert f.message == ""


@needs_durable
def test_an_unseen_fact_refused_on_its_own_is_retried_in_a_clean_session(monkeypatch):
    spy = Spy(monkeypatch, drop_last=True, refuse_single=1)
    found = run_rules(list(load_standard_rules()), _missing_facts(2), backend="durable")
    assert sorted(f.project for f in found) == ["P0", "P1"] and [i for i, _ in spy.singles] == ["1", "1"]
    (batch_sid,), (alone_sid,) = {s for _, s in spy.batches[0]}, {s for _, s in spy.singles}
    assert spy.deleted == [batch_sid, alone_sid, alone_sid]   # after the chunk, after the refusal, after the retry
