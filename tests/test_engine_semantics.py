"""What a rule means on a fact, the same in both evaluators: absent fields, ``exists``, list
operators on what is not a list, messages naming fields, finding defaults."""
from __future__ import annotations

import pytest

from iwm_rules.engine import durable_backend, python_backend, run_rules
from iwm_rules.engine import signatures
from iwm_rules.model import Rule

BACKENDS = ["python"] + (["durable"] if durable_backend.available() else [])

#: A has every field, B lacks them all, C has ``parties`` as text instead of a list
FACTS = [
    {"type": "practice", "project": "A", "ruleset": "r", "practice": "p", "n": 3, "s": "x", "parties": ["customer"]},
    {"type": "practice", "project": "B", "ruleset": "r", "practice": "p"},
    {"type": "practice", "project": "C", "ruleset": "r", "practice": "p", "n": 5, "s": "y", "parties": "customer"},
]


def _fired(when, backend, facts=FACTS, then=None):
    rule = Rule(id="t", on="practice", when=when, then=then or {"kind": "weakness", "message": "m"}, origin="test")
    return sorted(f.project for f in run_rules([rule], [dict(f) for f in facts], backend=backend))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("when,expected", [
    ({"field": "s", "op": "exists"}, ["A", "C"]),
    ({"field": "s", "op": "exists", "value": True}, ["A", "C"]),
    ({"field": "s", "op": "exists", "value": False}, ["B"]),
    ({"not": {"field": "s", "op": "exists"}}, ["B"]),
    ({"not": {"field": "s", "op": "exists", "value": False}}, ["A", "C"]),
    ({"any": [{"field": "s", "op": "exists", "value": False}, {"field": "n", "op": "gt", "value": 4}]}, ["B", "C"]),
], ids=["exists", "exists-true", "exists-false", "not-exists", "not-exists-false", "any-absent-or-large"])
def test_exists_and_its_negation_select_facts_with_and_without_the_field(backend, when, expected):
    assert _fired(when, backend) == expected


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("op,value", [("eq", 3), ("ne", 4), ("lt", 9), ("le", 9), ("gt", 0), ("ge", 0),
                                      ("in", [3, 5]), ("not_in", [7, 8])])
def test_a_comparison_on_a_field_the_fact_lacks_never_fires(backend, op, value):
    """``n ne 4`` or ``n not_in [7, 8]`` holds for A and C, not for B, which has no ``n`` at all."""
    assert _fired({"field": "n", "op": op, "value": value}, backend) == (["A"] if op == "eq" else ["A", "C"])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("op,value,expected", [("contains", "customer", ["A"]), ("not_contains", "provider", ["A"]),
                                               ("contains", "provider", []), ("not_contains", "customer", [])])
def test_list_operators_hold_only_on_lists(backend, op, value, expected):
    """B has no ``parties`` and C has it as text: neither contains, nor lacks, anything."""
    assert _fired({"field": "parties", "op": op, "value": value}, backend) == expected


@pytest.mark.parametrize("backend", BACKENDS)
def test_messages_show_the_facts_fields_and_leave_unknown_names_as_written(backend):
    facts = [{"type": "practice", "project": "A", "ruleset": "r", "practice": "p1", "owner": "", "parties": []},
             {"type": "practice", "project": "B", "ruleset": "r", "practice": "p2", "owner": "Svc manager",
              "parties": ["customer", "provider"]}]
    rule = Rule(id="t", on="practice", when={"field": "type", "op": "eq", "value": "practice"}, origin="test",
                then={"kind": "info", "message": "{practice} owned by {owner}, parties {parties}; {no_such_field}"})
    found = run_rules([rule], facts, backend=backend)
    assert [f.message for f in found] == ["p1 owned by none, parties none; {no_such_field}",
                                          "p2 owned by Svc manager, parties customer, provider; {no_such_field}"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_finding_takes_its_kind_severity_and_gap_from_the_rule_or_the_defaults(backend):
    fact = {"type": "work_product", "project": "A", "ruleset": "r", "practice": "p", "work_product": "w", "n": 1}
    when = {"field": "n", "op": "eq", "value": 1}
    rules = [Rule(id="bare", on="work_product", when=when, then={"kind": "weakness", "message": "m"}, origin="rs"),
             Rule(id="gap", on="work_product", when=when, origin="rs",
                  then={"kind": "gap", "severity": "minor", "gap": "missing_work_product", "message": "m"}),
             Rule(id="info", on="work_product", when=when, then={"kind": "info", "message": "m"}, origin="rs")]
    found = run_rules(rules, [fact], backend=backend)
    assert [(f.rule, f.origin, f.kind, f.severity, f.gap, f.work_product) for f in found] == [
        ("bare", "rs", "weakness", "major", "weakness", "w"),
        ("gap", "rs", "gap", "minor", "missing_work_product", "w"),
        ("info", "rs", "info", "major", None, "w")]


def test_the_evaluator_refuses_a_condition_form_it_does_not_know():
    """A compiled form the plain-Python evaluator cannot read is an error, never a silent 'false'."""
    fact = {"type": "practice", "s": "x", "parties": ["x"]}
    with pytest.raises(ValueError, match=r"unsupported condition '\$mt'"):
        python_backend.evaluate({"$mt": {"s": "x"}}, fact)
    with pytest.raises(ValueError, match=r"unsupported item condition \{'\$mt': 'x'\}"):
        python_backend.evaluate({"$iany": {"parties": {"$mt": "x"}}}, fact)
    assert python_backend.evaluate({"$iany": {"parties": {"$i": "x"}}}, fact)
    assert not python_backend.evaluate({"$iall": {"parties": {"$neq": {"$i": "x"}}}}, fact)


@pytest.mark.parametrize("column,expected", [
    ([{"a": 1}, {"a": 2}, {"a": True}, {"a": 1}, {"b": 1}, {}], [0, 1, 2, 0, 3, 4]),   # mappings
    ([1, True, 1, True], [0, 1, 0, 1]),                                         # two scalar types, no list
    ([[1], [True], [1]], [0, 1, 0]),                                            # lists of non-text items
    ([["x"], None, ["x", "y"], ["x"]], [0, 1, 2, 0]),                           # lists of text, one empty value
], ids=["mappings", "int-and-bool", "lists-of-numbers", "lists-of-text"])
def test_signatures_tell_values_apart_by_value_and_type(column, expected):
    """Facts share a signature only when the field holds equal values of the same type (1 is not True)."""
    facts = [{"m": v} for v in column] + [{}]
    reps, sig_of = signatures.group(facts, ("m",))
    assert sig_of == expected + [max(expected) + 1]
    assert reps == [sig_of.index(s) for s in range(len(reps))]


def test_a_compiled_form_signatures_cannot_read_is_an_error():
    with pytest.raises(ValueError, match=r"unsupported condition '\$mt'"):
        signatures.condition_fields({"$and": [{"type": "practice"}, {"$mt": {"s": "x"}}]}, set())
    assert signatures.condition_fields({"$and": [{"type": "practice"}, {"$or": [{"$neq": {"n": 1}}, {"__re0": True}]}]},
                                       set()) == {"type", "n", "__re0"}


@pytest.mark.parametrize("backend", BACKENDS)
def test_doubled_braces_in_a_rulesets_messages_are_literal_braces(tmp_path, backend):
    """docs/ruleset-format.md: ``{{`` and ``}}`` write one brace, also in a message with no placeholder."""
    from iwm_rules import load_ruleset

    from .conftest import FIXTURES

    messages = ["set {{owner}} for {practice}", "closing }} only", "opening {{ only", "plain text"]
    rules = "".join(f"  - id: m{i}\n    on: practice\n    when: {{field: n_artifacts, op: eq, value: 0}}\n"
                    f"    then: {{kind: info, message: '{m}'}}\n" for i, m in enumerate(messages))
    path = tmp_path / "braces.yaml"
    path.write_text((FIXTURES / "mini-ruleset.yaml").read_text().replace("rules:\n", "rules:\n" + rules, 1))
    fact = {"type": "practice", "project": "A", "ruleset": "mini", "practice": "M.SP1.1", "n_artifacts": 0, "owner": ""}
    found = run_rules([r for r in load_ruleset(path).rules if r.id.startswith("m")], [fact], backend=backend)
    assert [f.message for f in found] == ["set {owner} for M.SP1.1", "closing } only", "opening { only", "plain text"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_practice_rule_fires_only_on_its_practice_and_a_ruleset_rule_only_in_its_ruleset(tmp_path, backend):
    from iwm_rules import load_ruleset

    from .conftest import FIXTURES

    text = (FIXTURES / "mini-ruleset.yaml").read_text()
    text = text.replace("rules:\n", "rules:\n  - {id: in-mini, on: practice, when: {field: n_artifacts, op: eq, value: 0},"
                                    " then: {kind: info, message: 'mini {practice}'}}\n", 1)
    text = text.replace('        guidance: ["Plan in increments the team can commit to."]\n',
                        '        guidance: ["Plan in increments the team can commit to."]\n        rules:\n'
                        "          - {id: on-sp11, on: practice, when: {field: n_artifacts, op: eq, value: 0},"
                        " then: {kind: info, message: 'sp11 {practice}'}}\n", 1)
    path = tmp_path / "scoped.yaml"
    path.write_text(text)
    rs = load_ruleset(path)
    rules = [r for r in rs.rules if r.id == "in-mini"] + [r for p in rs.practices for r in p.rules]
    assert [r.id for r in rules] == ["in-mini", "on-sp11"]
    facts = [{"type": "practice", "project": "A", "ruleset": rid, "practice": pid, "n_artifacts": 0}
             for rid in ("mini", "other") for pid in ("M.SP1.1", "M.SP1.2")]
    found = run_rules(rules, facts, backend=backend)
    assert [(f.rule, f.ruleset, f.practice) for f in found] == [
        ("in-mini", "mini", "M.SP1.1"), ("on-sp11", "mini", "M.SP1.1"), ("in-mini", "mini", "M.SP1.2")]


#: one fact per combination of two conditions: a = n > 0, b = s == "x"
AB_FACTS = [{"type": "practice", "project": f"{int(a)}{int(b)}", "ruleset": "r", "practice": "p",
             "n": 1 if a else 0, "s": "x" if b else "y"} for a in (False, True) for b in (False, True)]
A, B = {"field": "n", "op": "gt", "value": 0}, {"field": "s", "op": "eq", "value": "x"}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("when,holds", [
    ({"not": {"all": [A, B]}}, lambda a, b: not (a and b)),
    ({"not": {"any": [A, B]}}, lambda a, b: not (a or b)),
    ({"not": {"all": [A, {"not": B}]}}, lambda a, b: not a or b),
    ({"all": [A, B]}, lambda a, b: a and b),
    ({"any": [A, B]}, lambda a, b: a or b),
], ids=["not-all", "not-any", "not-all-with-not", "all", "any"])
def test_negated_all_and_any_hold_exactly_where_the_plain_ones_do_not(backend, when, holds):
    expected = [f"{int(a)}{int(b)}" for a in (False, True) for b in (False, True) if holds(a, b)]
    assert _fired(when, backend, facts=AB_FACTS) == expected


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("when,expected", [
    ({"field": "s", "op": "in", "value": ["x"]}, ["A"]),
    ({"field": "s", "op": "not_in", "value": ["x"]}, ["C"]),
    ({"not": {"field": "s", "op": "in", "value": ["x"]}}, ["C"]),
    ({"field": "n", "op": "matches", "value": ".*"}, []),           # a number is not text: never matches
    ({"field": "s", "op": "matches", "value": "[xy]"}, ["A", "C"]),
], ids=["in-one", "not-in-one", "not-in-one-negated", "matches-on-a-number", "matches"])
def test_one_value_lists_and_matches_on_what_is_not_text(backend, when, expected):
    assert _fired(when, backend) == expected


def test_the_compiler_refuses_what_it_cannot_compile():
    """Rules built in code (not loaded and checked from a file) get a clear error from the compiler."""
    from iwm_rules.engine.compiler import compile_condition

    with pytest.raises(ValueError, match="operator 'between' cannot be negated"):
        compile_condition({"not": {"field": "n", "op": "between", "value": 1}})
    with pytest.raises(ValueError, match="unknown operator 'between'"):
        compile_condition({"field": "n", "op": "between", "value": 1})
    for op in ("in", "not_in"):
        with pytest.raises(ValueError, match=f"operator '{op}' needs a non-empty list"):
            compile_condition({"field": "s", "op": op, "value": []})
    # on its own (no rule set to collect into), a regex still becomes a true/false attribute
    assert compile_condition({"field": "s", "op": "matches", "value": "x"}) == {"__re0": True}
