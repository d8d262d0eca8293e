"""The rule compiler and both evaluators: durable_rules and plain Python agree on every fact."""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from iwm_rules import assess, load_evidence, load_ruleset
from iwm_rules.engine import durable_backend, run_rules
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


BACKENDS = ["python"] + (["durable"] if durable_backend.available() else [])


def _rule(when, on="practice", rid="t"):
    return Rule(id=rid, on=on, when=when, then={"kind": "weakness", "message": "m"}, origin="test")


NUM_FACTS = [{"type": "practice", "project": f"N{n}", "ruleset": "r", "practice": "p", "n": n} for n in (2, 3, 4)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("op,holds", [("gt", lambda n: n > 3), ("ge", lambda n: n >= 3), ("lt", lambda n: n < 3),
                                      ("le", lambda n: n <= 3), ("eq", lambda n: n == 3), ("ne", lambda n: n != 3)])
def test_negated_comparisons_select_the_complement(backend, op, holds):
    """``not {n op 3}`` holds exactly where ``n op 3`` does not (the boundary value 3 included)."""
    plain = run_rules([_rule({"field": "n", "op": op, "value": 3})], [dict(f) for f in NUM_FACTS], backend=backend)
    negated = run_rules([_rule({"not": {"field": "n", "op": op, "value": 3}})], [dict(f) for f in NUM_FACTS],
                        backend=backend)
    assert sorted(f.project for f in plain) == [f"N{n}" for n in (2, 3, 4) if holds(n)]
    assert sorted(f.project for f in negated) == [f"N{n}" for n in (2, 3, 4) if not holds(n)]


@pytest.mark.parametrize("op,expected", [("gt", "$lte"), ("ge", "$lt"), ("lt", "$gte"), ("le", "$gt")])
def test_compiler_negates_each_comparison_into_its_complement(op, expected):
    assert compile_condition({"not": {"field": "n", "op": op, "value": 3}}) == {expected: {"n": 3}}
    assert compile_condition({"not": {"not": {"field": "n", "op": op, "value": 3}}}) == \
        compile_condition({"field": "n", "op": op, "value": 3})


@pytest.mark.parametrize("backend", BACKENDS)
def test_negated_regex_is_the_complement_in_both_engines(backend):
    facts = [{"type": "practice", "project": p, "ruleset": "r", "practice": "p", "s": s}
             for p, s in (("A", "Work Plan v2"), ("B", "schedule"), ("C", "work plan"))]
    found = run_rules([_rule({"not": {"field": "s", "op": "matches", "value": "(?i)work plan.*"}})], facts,
                      backend=backend)
    assert [f.project for f in found] == ["B"]


REGEX_FACTS = [{"type": "practice", "project": p, "ruleset": "r", "practice": "p", "s": s} for p, s in
               (("A", "Work Plan"), ("B", "work plan"), ("C", "WP-2026-07"), ("D", 'say "plan"\nnow'), ("E", "a.b"))]
REGEX_CASES = [
    ("(?i)work plan", {"A", "B"}),              # inline flags: durable_rules' own $mt matched neither
    ("^work plan$", {"B"}),                     # anchors: durable_rules' $mt read them as characters
    (r"WP-\d{4}-\d{2}", {"C"}),                  # escapes: durable_rules' $mt matched none
    ("work", set()),                            # matches is a full-string match
    ('say "plan"(?s:.)now', {"D"}),             # quotes and line breaks are ordinary characters
    (r"a\.b", {"E"}),
    ("b*|a", set()),                            # durable_rules' $mt matched "ba"-like texts here
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("pattern,expected", REGEX_CASES, ids=[c[0] for c in REGEX_CASES])
def test_regex_dialect_is_the_same_in_both_engines(backend, pattern, expected):
    found = run_rules([_rule({"field": "s", "op": "matches", "value": pattern})], [dict(f) for f in REGEX_FACTS],
                      backend=backend)
    assert {f.project for f in found} == expected


#: for each standard rule, a fact on which it (and only the rules listed) must fire
WP_BASE = {"type": "work_product", "project": "A", "ruleset": "r", "practice": "p", "goal": "g", "work_product": "w",
           "name": "Plan", "required": True, "owner": "", "n_artifacts": 1, "n_adequate": 1, "n_unapproved": 0,
           "n_stale": 0, "n_future": 0, "n_supporting": 0, "newest_age_days": 10, "max_age_days": 365,
           "n_required_in_practice": 1, "parties": [], "waiver": "none", "waiver_expires": ""}
PR_BASE = {"type": "practice", "project": "A", "ruleset": "r", "practice": "p", "goal": "g", "title": "T", "owner": "",
           "n_required": 1, "n_required_evidenced": 1, "n_required_adequate": 1, "n_artifacts": 1, "n_affirmations": 0,
           "n_weaknesses": 0, "weakness_text": "", "n_related_weaknesses": 0, "related_weakness_text": "",
           "n_other_evidence": 0, "n_supporting": 0,
           "affirmation_required": False, "waiver": "none", "parties": []}
STANDARD_WITNESSES = {
    "missing-work-product": (WP_BASE, {"n_artifacts": 0, "n_adequate": 0}, {"missing-work-product"}),
    "supporting-evidence-only": (WP_BASE, {"n_artifacts": 0, "n_adequate": 0, "n_supporting": 2},
                                 {"supporting-evidence-only"}),  # not also "no artifact" for the same work product
    "not-approved": (WP_BASE, {"n_adequate": 0, "n_unapproved": 1}, {"not-approved"}),
    "stale": (WP_BASE, {"n_adequate": 0, "n_stale": 1, "newest_age_days": 400}, {"stale"}),
    "waiver-expired": (WP_BASE, {"n_artifacts": 0, "n_adequate": 0, "waiver": "expired", "waiver_expires": "2026-01-01"},
                       {"waiver-expired"}),
    "missing-affirmation": (PR_BASE, {"affirmation_required": True}, {"missing-affirmation"}),
    "recorded-weakness": (PR_BASE, {"n_weaknesses": 1, "weakness_text": "never reviewed"}, {"recorded-weakness"}),
    "no-evidence": (PR_BASE, {"n_artifacts": 0, "n_required_evidenced": 0, "n_required_adequate": 0}, {"no-evidence"}),
    "dated-after-as-of": (WP_BASE, {"n_adequate": 0, "n_future": 1}, {"dated-after-as-of"}),
    "related-weakness": (PR_BASE, {"n_related_weaknesses": 1, "related_weakness_text": "x (mapping a -> b)"},
                         {"related-weakness"}),
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_compiled_standard_rule_fires_on_its_witness_and_nothing_else(backend):
    """Each standard rule fires on the fact made for it (with exactly the rules listed), and
    adequate facts fire none: every compiled standard rule is checked, not just the first."""
    rules = list(load_standard_rules())
    assert {r.id for r in rules} == set(STANDARD_WITNESSES), "every standard rule needs a witness fact here"
    for rid, (base, change, expected) in STANDARD_WITNESSES.items():
        assert {f.rule for f in run_rules(rules, [{**base, **change}], backend=backend)} == expected, rid
    assert run_rules(rules, [dict(WP_BASE), dict(PR_BASE)], backend=backend) == []


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
    # the five facts differ only in fields no condition reads: one signature, evaluated once
    with pytest.raises(durable_backend.EngineError, match="did not evaluate 1 fact"):
        run_rules(rules, facts, backend="durable")


def test_auto_falls_back_to_python_with_a_warning(monkeypatch):
    from iwm_rules import engine as eng

    monkeypatch.delenv("IWM_RULES_ENGINE", raising=False)
    monkeypatch.setattr(durable_backend, "available", lambda: False)
    chosen = eng.select_engine("auto")
    assert chosen.backend == "python" and chosen.name == "python"
    assert "durable_rules cannot be imported" in chosen.warning
    with pytest.raises(eng.EngineChoiceError, match="--engine python"):
        eng.select_engine("durable")
    assert eng.select_engine("python").warning is None


def test_engine_from_the_environment(monkeypatch):
    from iwm_rules import engine as eng

    monkeypatch.setenv("IWM_RULES_ENGINE", "python")
    assert eng.select_engine("auto").name == "python"
    monkeypatch.setenv("IWM_RULES_ENGINE", "durabel")
    with pytest.raises(eng.EngineChoiceError, match="IWM_RULES_ENGINE='durabel' is not an engine"):
        eng.select_engine("auto")
    with pytest.raises(eng.EngineChoiceError):
        run_rules(list(load_standard_rules()), [], backend="auto")


def test_assessment_records_the_engine_and_the_fallback(monkeypatch):
    monkeypatch.delenv("IWM_RULES_ENGINE", raising=False)
    rulesets = [load_ruleset("cmmi-svc-iwm")]
    evidence = load_evidence([ROOT / "evidence_samples" / "borealis-partial.csv"], rulesets)
    data = assess(rulesets, evidence, as_of=dt.date(2026, 11, 30), engine="python").to_dict()
    assert data["engine"]["name"] == "python" and data["engine"]["version"]
    assert not [w for w in data["input"]["warnings"] if "durable_rules" in w["message"]]
    monkeypatch.setattr(durable_backend, "available", lambda: False)
    data = assess(rulesets, evidence, as_of=dt.date(2026, 11, 30)).to_dict()
    assert data["engine"]["name"] == "python"
    assert [w for w in data["input"]["warnings"] if "durable_rules cannot be imported" in w["message"]]


@needs_durable
def test_assessment_records_durable_rules_and_its_version():
    rulesets = [load_ruleset("cmmi-svc-iwm")]
    evidence = load_evidence([ROOT / "evidence_samples" / "borealis-partial.csv"], rulesets)
    data = assess(rulesets, evidence, as_of=dt.date(2026, 11, 30), engine="durable").to_dict()
    assert data["engine"] == {"name": "durable_rules", "version": durable_backend.version()}


def _cli(args, env_extra=None, pythonpath_first=None, timeout=120):
    """The real command in its own interpreter: (exit code, stdout, stderr)."""
    env = {k: v for k, v in os.environ.items() if k != "IWM_RULES_ENGINE"}
    env.update(env_extra or {})
    env["PYTHONPATH"] = os.pathsep.join([p for p in (pythonpath_first, str(ROOT)) if p])
    proc = subprocess.run([sys.executable, "-m", "iwm_rules.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=ROOT)
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def no_durable(tmp_path):
    """A folder that, first on the path, makes ``import durable`` fail as on a Python it does not build for."""
    pkg = tmp_path / "shadow" / "durable"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("raise ImportError('durable_rules_engine: undefined symbol PyEval_CallObject')\n")
    return str(tmp_path / "shadow")


def test_cli_engine_durable_where_it_cannot_import_is_a_usage_error(tmp_path, no_durable):
    code, out, err = _cli(["assess", ROOT / "evidence_samples" / "borealis-partial.csv", "-o", tmp_path / "o",
                           "--engine", "durable"], pythonpath_first=no_durable)
    assert code == 2, (out, err)
    assert err.strip().splitlines() == [err.strip()] and "Traceback" not in err
    assert "durable_rules cannot be imported" in err and "--engine python" in err
    assert not (tmp_path / "o" / "assessment.json").exists()


def test_cli_auto_fallback_warns_on_stderr_and_in_json(tmp_path, no_durable):
    code, out, err = _cli(["assess", ROOT / "evidence_samples" / "borealis-partial.csv", "-o", tmp_path / "o",
                           "--as-of", "2026-11-30"], pythonpath_first=no_durable)
    assert code == 0, (out, err)
    assert "warning: durable_rules cannot be imported" in err
    data = json.loads((tmp_path / "o" / "assessment.json").read_text())
    assert data["engine"]["name"] == "python"
    assert any("durable_rules cannot be imported" in w["message"] for w in data["input"]["warnings"])


def test_cli_engine_typo_in_the_environment_is_a_usage_error(tmp_path):
    code, out, err = _cli(["assess", ROOT / "evidence_samples" / "borealis-partial.csv", "-o", tmp_path / "o"],
                          env_extra={"IWM_RULES_ENGINE": "durabel"})
    assert code == 2 and "Traceback" not in err
    assert err.strip() == "error: IWM_RULES_ENGINE='durabel' is not an engine; use one of auto, durable, python"
    assert not (tmp_path / "o").exists()


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        return int(next(line for line in fh if line.startswith("VmRSS:")).split()[1]) / 1024


@needs_durable
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads resident memory from /proc")
def test_durable_memory_stays_flat_over_many_runs():
    """One host and one registered ruleset per distinct rule set, reused: repeated runs do not
    grow memory (a ruleset per run grew ~0.17 MB each, ~50 MB over these 300 runs)."""
    rules = list(load_standard_rules())
    facts = [{**WP_BASE, "project": f"P{i}", "n_artifacts": i % 2} for i in range(20)]
    for _ in range(20):  # warm up allocator pools
        run_rules(rules, [dict(f) for f in facts], backend="durable")
    before = _rss_mb()
    for _ in range(300):
        found = run_rules(rules, [dict(f) for f in facts], backend="durable")
    assert len(found) == 10
    assert _rss_mb() - before < 15


@needs_durable
def test_durable_rulesets_are_reused_and_bounded():
    rules = list(load_standard_rules())
    run_rules(rules, [dict(WP_BASE)], backend="durable")
    registered = dict(durable_backend._state["rulesets"])
    run_rules(rules, [dict(PR_BASE)], backend="durable")
    assert dict(durable_backend._state["rulesets"]) == registered
    for i in range(durable_backend.MAX_RULESETS + 3):  # distinct rule sets: the oldest are deleted
        found = run_rules([_rule({"field": "n", "op": "eq", "value": i})], [dict(NUM_FACTS[0], n=i)], backend="durable")
        assert len(found) == 1
    assert len(durable_backend._state["rulesets"]) == durable_backend.MAX_RULESETS
    assert len(durable_backend._host()._ruleset_list) == durable_backend.MAX_RULESETS


@needs_durable
@pytest.mark.parametrize("pattern", ["(?i)work plan", "^Work plan$", r"\w+ plan"])
def test_a_matches_rule_rates_the_same_in_both_engines(tmp_path, pattern):
    """The issue's case: a ``matches`` rule gave FI under durable_rules and LI under python."""
    from .conftest import FIXTURES, write_long_xlsx

    text = (FIXTURES / "mini-ruleset.yaml").read_text().replace("rules:\n", (
        "rules:\n  - id: named-plan\n    on: work_product\n"
        f"    when: {{all: [{{field: name, op: matches, value: '{pattern}'}}, {{field: n_artifacts, op: gt, value: 0}}]}}\n"
        "    then: {kind: weakness, severity: minor, message: 'check {name}'}\n"), 1)
    path = tmp_path / "mini.yaml"
    path.write_text(text)
    rs = load_ruleset(path)
    xlsx = write_long_xlsx(tmp_path / "e.xlsx", [
        {"project": "A", "practice": "M.SP1.1", "work_product": "Work plan v3", "status": "approved"},
        {"project": "A", "practice": "M.SP1.1", "work_product": "Schedule", "status": "approved"}])
    results = {engine: assess([rs], load_evidence([xlsx], [rs]), as_of=dt.date(2026, 11, 30), engine=engine).to_dict()
               for engine in ("durable", "python")}
    chars = {e: [pr["characterization"] for p in d["projects"] for pr in p["practices"] if pr["practice"] == "M.SP1.1"]
             for e, d in results.items()}
    assert chars["durable"] == chars["python"] == ["LI"]
    assert results["durable"]["projects"] == results["python"]["projects"]


@needs_durable
def test_a_refused_single_fact_is_retried_once_in_a_clean_session(monkeypatch):
    """A fact durable_rules refuses (a colliding id) is asserted again after its session is
    deleted; refused twice, the error surfaces instead of a silent gap."""
    from durable import engine

    rules = list(load_standard_rules())
    fact = {**WP_BASE, "n_artifacts": 0, "n_adequate": 0}
    real_one, calls, deleted = engine.Host.assert_fact, {"n": 0}, []
    real_delete = engine.Host.delete_state

    def refuse_batches(self, name, batch, complete=None):
        raise engine.MessageObservedException("collision")

    def refuse_once(self, name, f, complete=None):
        calls["n"] += 1
        if calls["n"] == 1:
            raise engine.MessageObservedException("collision")
        return real_one(self, name, f, complete)

    def delete(self, name, sid=None):
        deleted.append(sid)
        return real_delete(self, name, sid)

    monkeypatch.setattr(engine.Host, "assert_facts", refuse_batches)
    monkeypatch.setattr(engine.Host, "assert_fact", refuse_once)
    monkeypatch.setattr(engine.Host, "delete_state", delete)
    found = run_rules(rules, [fact], backend="durable")
    assert [(f.rule, f.project) for f in found] == [("missing-work-product", "A")] and calls["n"] == 2
    assert deleted.count("c0") >= 2  # before the retry, and after the chunk

    def refuse_always(self, name, f, complete=None):
        raise engine.MessageObservedException("collision")

    monkeypatch.setattr(engine.Host, "assert_fact", refuse_always)
    with pytest.raises(durable_backend.EngineError, match="refused a fact twice .* project 'A'"):
        run_rules(rules, [fact], backend="durable")


def test_finding_record_is_what_reports_show():
    (f,) = run_rules(list(load_standard_rules()), [{**WP_BASE, "n_artifacts": 0, "n_adequate": 0}], backend="python")
    assert f.as_record() == {"rule": "missing-work-product", "kind": "gap", "severity": "major",
                             "message": "No artifact for required work product 'Plan'"}
    assert (f.gap, f.origin, f.work_product, f.practice, f.ruleset) == ("missing_work_product", "standard", "w", "p", "r")


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_evaluation_per_signature_gives_the_per_fact_findings(backend):
    """Facts sharing a condition signature are evaluated once; the findings (rule, fact,
    message, order) are exactly those of evaluating every fact on its own."""
    from iwm_rules.engine import _message, python_backend, signatures
    from iwm_rules.engine.compiler import compile_rules

    rulesets = [load_ruleset(r) for r in ("cmmi-svc-iwm", "cmmi-svc-wp", "pmo-integration")]
    frame = synthetic_evidence(rulesets, 2000, n_projects=30, seed=5)
    frame["file"], frame["sheet"], frame["row"] = "gen.xlsx", "Evidence", range(2, len(frame) + 2)
    table, _, _ = validate(frame, Catalogue(rulesets), default_project=None)
    facts = build_facts(rulesets, table, as_of=dt.date(2026, 11, 22)).records()
    rules = list(load_standard_rules()) + [r for rs in rulesets for r in rs.rules] + [
        Rule(id="named-owner", on="practice", when={"field": "owner", "op": "matches", "value": "(?i).*manager.*"},
             then={"kind": "info", "message": "owner {owner} of {practice}"}, origin="test")]
    compiled = compile_rules(rules)
    every = sorted(python_backend.run(compiled.rules, compiled.prepare(facts)), key=lambda p: (p[1], p[0]))
    expected = [(compiled.rules[ri].rule.id, fi, _message(str(compiled.rules[ri].rule.then.get("message", "")), facts[fi]))
                for ri, fi in every]
    reps, _ = signatures.group(facts, signatures.signature_fields(compiled))
    assert len(reps) < len(facts) / 3
    got = run_rules(rules, facts, backend=backend)
    # map each finding back to its fact through its (project, ruleset, practice, work product)
    index = {(f["project"], f["ruleset"], f["practice"], f.get("work_product") if f["type"] == "work_product" else None): i
             for i, f in enumerate(facts)}
    assert len(got) > 100 and [(f.rule, index[(f.project, f.ruleset, f.practice, f.work_product)], f.message)
                            for f in got] == expected


def test_signatures_keep_equal_values_of_different_types_apart():
    from iwm_rules.engine import signatures

    facts = [{"n": 1}, {"n": True}, {"n": 1.0}, {"n": 1}, {"n": [1]}, {"n": [True]}, {}, {"n": None}, {"n": [1]}]
    assert signatures.group(facts, ("n",)) == ([0, 1, 2, 4, 5, 6, 7], [0, 1, 2, 0, 3, 4, 5, 6, 3])
    words = [{"t": "a", "p": ["x"]}, {"t": "a", "p": ["x", "y"]}, {"t": "b", "p": ["x"]}, {"t": "a", "p": ["x"]}]
    assert signatures.group(words, ("p", "t")) == ([0, 1, 2], [0, 1, 2, 0])
    assert signatures.group([], ("t",)) == ([], [])
