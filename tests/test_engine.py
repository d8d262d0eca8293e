"""The rule compiler and both evaluators: durable_rules and plain Python agree on every fact."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from iwm_rules import assess, load_evidence, load_ruleset
from iwm_rules.engine import durable_backend, python_backend, run_rules
from iwm_rules.engine.compiler import compile_condition
from iwm_rules.facts import build_facts
from iwm_rules.model import Rule
from iwm_rules.ruleset import load_standard_rules
from iwm_rules.synthetic import synthetic_evidence
from iwm_rules.evidence.table import validate
from iwm_rules.ruleset import Catalogue

ROOT = Path(__file__).resolve().parent.parent
needs_durable = pytest.mark.skipif(not durable_backend.available(), reason="durable_rules does not import here")


def _findings(result):
    return sorted((f.project, f.practice, f.work_product or "", f.rule, f.message) for f in result)


@needs_durable
def test_both_evaluators_agree_on_the_samples():
    rulesets = [load_ruleset("cmmi-svc-iwm"), load_ruleset("cmmi-svc-wp")]
    files = sorted((ROOT / "evidence_samples").glob("*.xlsx")) + sorted((ROOT / "evidence_samples").glob("*.csv"))
    evidence = load_evidence(files, rulesets)
    a = assess(rulesets, evidence, as_of=dt.date(2026, 11, 30), engine="durable")
    b = assess(rulesets, evidence, as_of=dt.date(2026, 11, 30), engine="python")
    assert a.findings and _findings(a.findings) == _findings(b.findings)
    assert a.to_dict()["projects"] == b.to_dict()["projects"]


@needs_durable
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_both_evaluators_agree_on_generated_evidence(seed):
    rulesets = [load_ruleset(r) for r in ("cmmi-svc-iwm", "cmmi-svc-wp", "pmo-integration")]
    frame = synthetic_evidence(rulesets, 3000, n_projects=40, seed=seed)
    frame["file"], frame["sheet"], frame["row"] = "gen.xlsx", "Evidence", range(2, len(frame) + 2)
    table, rejected, _ = validate(frame, Catalogue(rulesets), default_project=None)
    assert len(rejected) == 0
    facts = build_facts(rulesets, table, as_of=dt.date(2026, 11, 22)).records()
    rules = list(load_standard_rules()) + [r for rs in rulesets for r in rs.rules]
    d = run_rules(rules, facts, backend="durable")
    p = run_rules(rules, facts, backend="python")
    assert len(facts) > 1000 and d
    assert _findings(d) == _findings(p)
    # every kind of standard finding shows up in this much data
    assert {"missing-work-product", "not-approved", "stale", "recorded-weakness", "shared-practice-needs-both-parties"} \
        <= {f.rule for f in d}


OPS_FACTS = [
    {"type": "practice", "project": "A", "ruleset": "r", "practice": "p", "n": 3, "s": "shared", "parties": []},
    {"type": "practice", "project": "B", "ruleset": "r", "practice": "p", "n": 0, "s": "", "parties": ["customer"]},
    {"type": "practice", "project": "C", "ruleset": "r", "practice": "p", "n": 7, "s": "provider",
     "parties": ["customer", "provider"]},
]
OPS = [
    ({"field": "n", "op": "eq", "value": 3}, {"A"}),
    ({"field": "n", "op": "ne", "value": 3}, {"B", "C"}),
    ({"field": "n", "op": "lt", "value": 3}, {"B"}),
    ({"field": "n", "op": "le", "value": 3}, {"A", "B"}),
    ({"field": "n", "op": "gt", "value": 3}, {"C"}),
    ({"field": "n", "op": "ge", "value": 3}, {"A", "C"}),
    ({"field": "s", "op": "in", "value": ["shared", "provider"]}, {"A", "C"}),
    ({"field": "s", "op": "not_in", "value": ["shared", "provider"]}, {"B"}),
    ({"field": "s", "op": "matches", "value": "sh.*"}, {"A"}),
    ({"field": "s", "op": "exists"}, {"A", "B", "C"}),
    ({"field": "parties", "op": "contains", "value": "customer"}, {"B", "C"}),
    ({"field": "parties", "op": "not_contains", "value": "customer"}, {"A"}),
    ({"not": {"field": "parties", "op": "contains", "value": "customer"}}, {"A"}),
    ({"any": [{"field": "n", "op": "eq", "value": 3}, {"field": "s", "op": "eq", "value": "shared"}]}, {"A"}),
    ({"not": {"all": [{"field": "n", "op": "gt", "value": 0}, {"field": "s", "op": "ne", "value": ""}]}}, {"B"}),
]


@pytest.mark.parametrize("backend", ["python"] + (["durable"] if durable_backend.available() else []))
@pytest.mark.parametrize("when,expected", OPS, ids=[str(i) for i in range(len(OPS))])
def test_operators(backend, when, expected):
    """Each operator (and negation, any/all) selects the same facts in both evaluators;
    an 'any' that holds on both sides yields one finding, not two."""
    rule = Rule(id="t", on="practice", when=when, then={"kind": "weakness", "message": "m"}, origin="test")
    found = run_rules([rule], [dict(f) for f in OPS_FACTS], backend=backend)
    assert sorted(f.project for f in found) == sorted(expected)


def test_negated_regex_is_refused_by_the_compiler():
    with pytest.raises(ValueError):
        compile_condition({"not": {"field": "s", "op": "matches", "value": "x"}})


def test_python_backend_handles_every_compiled_standard_rule():
    from iwm_rules.engine.compiler import compile_rules

    compiled = compile_rules(list(load_standard_rules()))
    fact = {"type": "work_product", "project": "A", "ruleset": "r", "practice": "p", "required": True, "n_artifacts": 0,
            "n_supporting": 0, "waiver": "none", "name": "Plan"}
    assert (0, 0) in python_backend.run(compiled, [fact])


@needs_durable
def test_durable_batch_refusal_falls_back_to_single_facts(monkeypatch):
    """A batch durable_rules refuses (e.g. a 32-bit id collision) is re-asserted fact by fact;
    a fact the engine never evaluates is an error, never a silent gap."""
    from durable import engine

    rules = list(load_standard_rules())
    facts = [{"type": "work_product", "project": f"P{i}", "ruleset": "r", "practice": "p", "work_product": "w",
              "name": "Plan", "required": True, "n_artifacts": 0, "n_supporting": 0, "waiver": "none"} for i in range(5)]
    real = engine.Host.assert_facts
    calls = {"n": 0}

    def refuse_first(self, name, batch, complete=None):
        calls["n"] += 1
        if calls["n"] == 1:
            raise engine.MessageObservedException("collision")
        return real(self, name, batch, complete)

    monkeypatch.setattr(engine.Host, "assert_facts", refuse_first)
    found = run_rules(rules, facts, backend="durable")
    assert sorted(f.project for f in found if f.rule == "missing-work-product") == [f"P{i}" for i in range(5)]

    monkeypatch.setattr(engine.Host, "assert_facts", lambda self, name, batch, complete=None: None)
    monkeypatch.setattr(engine.Host, "assert_fact", lambda self, name, fact, complete=None: None)
    with pytest.raises(durable_backend.EngineError, match="did not evaluate 5 fact"):
        run_rules(rules, facts, backend="durable")


def test_auto_falls_back_to_python_where_durable_rules_cannot_import(monkeypatch):
    from iwm_rules import engine as eng

    monkeypatch.setattr(durable_backend, "available", lambda: False)
    assert eng.choose_backend("auto") == "python"
    with pytest.raises(RuntimeError, match="--engine python"):
        eng.choose_backend("durable")
