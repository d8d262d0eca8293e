"""Rules and patterns are checked at load, with file and line: values against the type of the
fact field they test, message placeholders against the fact fields, regular expressions
against the one accepted dialect (RE2)."""
from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from iwm_rules import RulesetError, assess, load_evidence, load_ruleset
from iwm_rules.model import FACT_FIELDS, FIELD_TYPES, fact_fields_markdown
from iwm_rules.ruleset import validate_files

from .conftest import write_long_xlsx

ROOT = Path(__file__).resolve().parent.parent
HEAD = textwrap.dedent("""\
    id: typed
    title: Typed rules
    version: "1"
    source: test
    rules:
    """)
GOALS = textwrap.dedent("""\
    goals:
      - id: G1
        title: Goal
        statement: s
        practices:
          - id: X.SP1.1
            title: Plan
            statement: s
            work_products:
    """)


def _ruleset(tmp_path, rules: str, work_products: str = "      - {id: plan, name: Work plan, match: [work plan]}\n") -> Path:
    path = tmp_path / "typed.yaml"
    path.write_text(HEAD + textwrap.indent(rules, "  ") + GOALS + textwrap.indent(work_products, "          "))
    return path


def _issues(path: Path) -> list[str]:
    return [str(i) for i in validate_files([path])]


def _rule(when: str, message: str = "m", on: str = "practice") -> str:
    return f"- id: r\n  on: {on}\n  when: {when}\n  then: {{kind: weakness, message: \"{message}\"}}\n"


@pytest.mark.parametrize("when,expected", [
    ('{field: n_artifacts, op: gt, value: "1"}', "value '1' for 'n_artifacts' (whole number): must be a whole number"),
    ("{field: n_artifacts, op: eq, value: []}", "value [] for 'n_artifacts' (whole number): must be a whole number"),
    ("{field: n_artifacts, op: eq, value: true}", "must be a whole number"),
    ("{field: n_artifacts, op: eq, value: 1.5}", "must be a whole number"),
    ("{field: title, op: eq, value: []}", "value [] for 'title' (text): must be text"),
    ("{field: title, op: eq, value: 3}", "must be text (quote it)"),
    ("{field: title, op: gt, value: a}", "operator 'gt' does not apply to 'title' (text)"),
    ("{field: affirmation_required, op: eq, value: 'true'}", "must be true or false"),
    ("{field: parties, op: eq, value: customer}", "operator 'eq' does not apply to 'parties' (list of texts)"),
    ("{field: parties, op: contains, value: [customer]}", "must be text"),
    ("{field: n_artifacts, op: in, value: []}", "'in' takes a non-empty list"),
    ("{field: n_artifacts, op: in, value: 1}", "'in' takes a non-empty list"),
    ("{field: n_artifacts, op: in, value: [1, '2']}", "'in' list item '2' for 'n_artifacts': must be a whole number"),
    ("{field: n_artifacts, op: matches, value: '1.*'}", "operator 'matches' does not apply to 'n_artifacts'"),
    ("{field: title, op: exists, value: maybe}", "'exists' takes true or false"),
    ("{field: title, op: matches, value: '(a)\\1'}", "backreferences"),
    ("{field: title, op: matches, value: '(?=plan)p.*'}", "look-ahead"),
    ("{field: title, op: matches, value: '(unclosed'}", "missing )"),
    ("{field: title, op: matches, value: ''}", "the pattern is empty"),
])
def test_rule_values_are_checked_against_the_field_type(tmp_path, when, expected):
    path = _ruleset(tmp_path, _rule(when))
    issues = _issues(path)
    assert len(issues) == 1, issues
    assert issues[0].startswith(f"{path}:8: ") and expected in issues[0], issues[0]


def test_dates_in_rules(tmp_path):
    good = _ruleset(tmp_path, _rule("{field: waiver_expires, op: lt, value: 2027-01-01}", on="work_product"))
    assert _issues(good) == []
    assert load_ruleset(good).rules[0].when == {"field": "waiver_expires", "op": "lt", "value": "2027-01-01"}
    for value, expected in (('"2027-02-30"', "must be a real date written YYYY-MM-DD"),
                            ('"soon"', "must be a real date written YYYY-MM-DD"),
                            ("2027-02-30", "'2027-02-30' is not a real date; write a date as YYYY-MM-DD"),
                            ("2027-03-31T10:00:00", "is a timestamp; write a date as YYYY-MM-DD")):
        path = _ruleset(tmp_path, _rule(f"{{field: waiver_expires, op: lt, value: {value}}}", on="work_product"))
        issues = _issues(path)
        assert len(issues) == 1 and issues[0].startswith(f"{path}:8: ") and expected in issues[0], issues


@pytest.mark.parametrize("message,expected", [
    ("{project.foo}", "message placeholder {project.foo} is not a field of 'practice' facts (docs/facts.md); write {project}"),
    ("{unknown}", "message placeholder {unknown} is not a field"),
    ("{n_artifact}", "did you mean {n_artifacts}?"),
    ("{parties[0]}", "write {parties}"),
    ("{n_artifacts:>5}", "takes no format; write {n_artifacts}"),
    ("{n_artifacts!r}", "takes no format"),
    ("unbalanced {", "message 'unbalanced {'"),
])
def test_message_templates_name_fact_fields(tmp_path, message, expected):
    path = _ruleset(tmp_path, _rule("{field: n_artifacts, op: gt, value: 0}", message=message))
    issues = _issues(path)
    assert len(issues) == 1 and expected in issues[0], issues
    with pytest.raises(RulesetError):
        load_ruleset(path)


def test_good_message_and_literal_braces(tmp_path):
    path = _ruleset(tmp_path, _rule("{field: n_artifacts, op: ge, value: 0}", message="{{x}} {project}: {n_artifacts}"))
    assert _issues(path) == []


def test_work_product_patterns_use_the_re2_dialect(tmp_path):
    path = _ruleset(tmp_path, "[]\n", work_products=(
        "- {id: plan, name: Work plan, match: ['/(?<!draft )work plan/']}\n"
        "- {id: sched, name: Schedule, match: ['/(s)chedule\\1/', schedule]}\n"
        "- {id: wbs, name: WBS, match: ['/\\bWBS\\b/'], exclude: ['/(?=x)/']}\n"))
    issues = _issues(path)
    text = "\n".join(issues)
    assert len(issues) == 3, issues
    assert f"{path}:16: " in text and "look-behind" in text
    assert f"{path}:17: " in text and "backreferences" in text
    assert f"{path}:18: " in text and "exclude entry" in text and "look-ahead" in text


def test_exclude_keeps_a_template_from_counting_as_the_plan(tmp_path):
    path = _ruleset(tmp_path, "[]\n", work_products=(
        "- {id: plan, name: Work plan, match: ['/work plan\\b/'], exclude: ['/work plan\\s*template/']}\n"))
    rs = load_ruleset(path)
    xlsx = write_long_xlsx(tmp_path / "e.xlsx", [
        {"project": "A", "practice": "X.SP1.1", "work_product": "Work plan template v2", "status": "approved"},
        {"project": "B", "practice": "X.SP1.1", "work_product": "WORK PLAN 2026", "status": "approved"}])
    data = assess([rs], load_evidence([xlsx], [rs]), as_of=dt.date(2026, 11, 30), engine="python").to_dict()
    chars = {p["project"]: p["practices"][0]["characterization"] for p in data["projects"]}
    assert chars == {"A": "PI", "B": "FI"}


def test_evil_patterns_are_accepted_and_run_in_linear_time(tmp_path):
    """Patterns that make a backtracking engine hang are fine in RE2: a 5,000-character cell
    matches in milliseconds."""
    path = _ruleset(tmp_path, _rule("{field: weakness_text, op: matches, value: '(a+)+$'}"), work_products=(
        "- {id: plan, name: Work plan, match: [work plan, '/(a|aa)+$/', '/(.*a){20}/', '/(a+)+b/']}\n"))
    rs = load_ruleset(path)
    xlsx = write_long_xlsx(tmp_path / "e.xlsx", [
        {"project": "A", "practice": "X.SP1.1", "work_product": "a" * 5000 + "!", "weakness": "a" * 5000 + "!"}])
    import time

    t = time.perf_counter()
    data = assess([rs], load_evidence([xlsx], [rs]), as_of=dt.date(2026, 11, 30), engine="python").to_dict()
    assert time.perf_counter() - t < 20
    assert data["projects"][0]["practices"][0]["characterization"] == "LI"  # matched '(.*a){20}', weakness recorded


def test_every_field_has_a_type_and_docs_facts_md_is_generated_from_them():
    for fields in FACT_FIELDS.values():
        assert all(f.type in FIELD_TYPES and f.meaning for f in fields.values())
    text = (ROOT / "docs" / "facts.md").read_text()
    assert fact_fields_markdown() in text, "regenerate the tables: python -c 'from iwm_rules.model import " \
                                           "fact_fields_markdown as f; print(f())'"


@pytest.mark.parametrize("when,count", [
    ("{field: title, op: in, value: [" + ", ".join(f"t{i}" for i in range(600)) + "]}", 600),
    ("{not: {field: title, op: not_in, value: [" + ", ".join(f"t{i}" for i in range(300)) + "]}}", 300),
    ("{all: [" + ", ".join(f"{{any: [{{field: title, op: eq, value: a{i}}}, {{field: n_artifacts, op: eq, value: {i}}}]}}"
                           for i in range(14)) + "]}", 2**14),
    ("{not: {any: [" + ", ".join(f"{{all: [{{field: title, op: eq, value: a{i}}}, {{field: n_artifacts, op: eq, value: {i}}}]}}"
                               for i in range(9)) + "]}}", 2**9),
])
def test_conditions_that_expand_past_the_engine_limit_are_refused(tmp_path, when, count):
    """durable_rules expands alternatives: an 'in' of 600 values hung it, 2**14 branches made it fail."""
    path = _ruleset(tmp_path, _rule(when))
    issues = _issues(path)
    assert len(issues) == 1 and f"has {count:,} alternative branches" in issues[0], issues
    ok = _ruleset(tmp_path, _rule("{field: title, op: in, value: [" + ", ".join(f"t{i}" for i in range(200)) + "]}"))
    assert _issues(ok) == []


@pytest.mark.parametrize("content,line,expected", [
    (b"id: typed\ntitle: caf\xe9\n", 2, "UTF-8 octet sequence at offset 20; save the file as UTF-8"),
    (b"id: typed\ntitle: a\x00b\n", 2, "control characters are not allowed"),
    (b"id: !!python/object:os.system ls\n", 1, "could not determine a constructor for the tag"),
    (b"? [a, b]\n: 1\n", 1, "a mapping key must be text"),
])
def test_unreadable_yaml_is_one_line_with_its_line(tmp_path, content, line, expected):
    path = tmp_path / "odd.yaml"
    path.write_bytes(content)
    issues = _issues(path)
    assert len(issues) == 1 and "\n" not in issues[0], issues
    assert issues[0].startswith(f"{path}:{line}: ") and expected in issues[0], issues


def test_match_entries_that_only_together_exceed_the_memory_bound_are_refused(tmp_path):
    """Each entry compiles on its own; their union (what matching runs) would not."""
    entries = ", ".join(f"'/\\pL{{1,300}}{i}/'" for i in range(3))
    path = _ruleset(tmp_path, "[]\n", work_products=f"- {{id: plan, name: Work plan, match: [work plan, {entries}]}}\n")
    issues = _issues(path)
    assert len(issues) == 1 and issues[0].startswith(f"{path}:16: "), issues
    assert "its match entries together cannot be run: the pattern is too large" in issues[0]
