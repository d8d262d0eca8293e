"""Property test: for any facts and any rules of the rule language, durable_rules and the
plain-Python evaluator give the same findings, and both agree with the language's meaning
(an independent reading of each operator, negation included)."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from iwm_rules.engine import durable_backend, run_rules
from iwm_rules.model import FACT_FIELDS, FIELD_TYPES, Rule
from iwm_rules.patterns import check, fullmatch
from iwm_rules.checker import _Checker
from iwm_rules.rulelang import _parse_rules

FIELDS = FACT_FIELDS["practice"]
FIXED = {"type", "ruleset", "practice"}
TEXT = st.text(alphabet='aAbé "\\\n.%*-(', max_size=6)
INT = st.integers(min_value=-3, max_value=6)
PARTY = st.sampled_from(["customer", "provider", "shared", "", 'a"b', "a\\b", "x\ny"])
DATE = st.sampled_from(["", "2026-01-01", "2026-12-31", "2027-06-30"])

VALUES = {"str": TEXT, "int": INT, "bool": st.booleans(), "list": PARTY, "date": DATE}


def fact_strategy(project: str):
    fields = {name: (st.lists(PARTY, max_size=3) if f.type == "list" else VALUES[f.type])
              for name, f in FIELDS.items() if name not in FIXED | {"project"}}
    return st.fixed_dictionaries(fields).map(
        lambda d: {"type": "practice", "project": project, "ruleset": "r", "practice": "p", **d})


PIECES = ["a", "b", "é", " ", '"', ".", ".*", "[a-c]", "[^a]", r"\d", r"\\", r"\.", "%", "(a|b)", "(?i:a)", "x?", "a+"]
PATTERN = st.tuples(st.sampled_from(["", "(?i)", "^", "(?s)"]), st.lists(st.sampled_from(PIECES), min_size=1, max_size=4),
                    st.sampled_from(["", "$", ".*", "|b"])).map(lambda t: t[0] + "".join(t[1]) + t[2])


@st.composite
def leaf(draw):
    name = draw(st.sampled_from(sorted(set(FIELDS) - {"type"})))
    ftype = FIELDS[name].type
    op = draw(st.sampled_from(FIELD_TYPES[ftype]["ops"]))
    node = {"field": name, "op": op}
    if op == "exists":
        value = draw(st.sampled_from([None, True, False]))
        if value is not None:
            node["value"] = value
    elif op in ("in", "not_in"):
        node["value"] = draw(st.lists(VALUES[ftype], min_size=1, max_size=3))
    elif op == "matches":
        node["value"] = draw(PATTERN)
    else:
        node["value"] = draw(VALUES[ftype])
    return node


CONDITION = st.recursive(
    leaf(), lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"all": xs}),
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"any": xs}),
        inner.map(lambda x: {"not": x})), max_leaves=6)


def holds(node: dict, fact: dict) -> bool:
    """The rule language read directly, operator by operator (docs/ruleset-format.md)."""
    if "all" in node:
        return all(holds(c, fact) for c in node["all"])
    if "any" in node:
        return any(holds(c, fact) for c in node["any"])
    if "not" in node:
        return not holds(node["not"], fact)
    have, op, value = fact.get(node["field"]), node["op"], node.get("value")
    return {
        "eq": lambda: have == value, "ne": lambda: have != value,
        "lt": lambda: have < value, "le": lambda: have <= value, "gt": lambda: have > value, "ge": lambda: have >= value,
        "in": lambda: have in value, "not_in": lambda: have not in value,
        "contains": lambda: value in have, "not_contains": lambda: value not in have,
        "matches": lambda: fullmatch(value, have),
        "exists": lambda: (node["field"] in fact) == (True if value is None else value),
    }[op]()


def _accepted(when: dict) -> bool:
    """The generated rule passes the loader (so it is a rule a user could write)."""
    ck = _Checker("generated.yaml")
    _parse_rules(ck, [{"id": "g", "on": "practice", "when": when,
                       "then": {"kind": "weakness", "message": "{project}: {parties} {n_artifacts}"}}],
                 "test", None, None, {})
    return not ck.issues


BACKENDS = ["python"] + (["durable"] if durable_backend.available() else [])


@pytest.mark.skipif(len(BACKENDS) < 2, reason="durable_rules does not import here: nothing to compare")
@settings(max_examples=int(__import__("os").environ.get("IWM_PROPERTY_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=st.lists(st.integers(0, 10**6), min_size=1, max_size=5, unique=True).flatmap(
           lambda ids: st.tuples(*[fact_strategy(f"P{i}") for i in ids])),
       whens=st.lists(CONDITION, min_size=1, max_size=3))
def test_durable_and_python_agree_with_the_rule_language(facts, whens):
    for when in whens:
        assume(all(check(n["value"]) is None for n in _leaves(when) if n["op"] == "matches"))
        assume(_accepted(when))
    rules = [Rule(id=f"g{i}", on="practice", when=w, then={"kind": "weakness", "message": "{project}: {parties} {n_artifacts}"},
                  origin="test") for i, w in enumerate(whens)]
    expected = sorted((r.id, f["project"]) for r in rules for f in facts if holds(r.when, f))
    results = {}
    for backend in BACKENDS:
        found = run_rules(rules, [dict(f) for f in facts], backend=backend)
        results[backend] = sorted((f.rule, f.project, f.message) for f in found)
        assert sorted((f.rule, f.project) for f in found) == expected, backend
    assert results["durable"] == results["python"]


def _leaves(node: dict):
    if "all" in node or "any" in node:
        for c in node.get("all", node.get("any")):
            yield from _leaves(c)
    elif "not" in node:
        yield from _leaves(node["not"])
    else:
        yield node
