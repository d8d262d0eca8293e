"""The rule language (docs/ruleset-format.md) compiled to durable_rules conditions.

The compiled form is plain JSON-like data in durable_rules' own dialect
(``{'$and': [...]}``, ``{'$gt': {field: value}}``, ...). Both evaluators run exactly this
form: the durable_rules backend hands it to the engine, the plain-Python backend interprets
it, so a test can hold one against the other.

``matches`` is the one operator not handed to an engine: every distinct (field, pattern) of a
rule set becomes a true/false attribute of each fact (``__re0``, ``__re1``, ...), computed
once with RE2 (``iwm_rules.patterns``), and the condition tests that attribute. durable_rules'
own regex operator disagrees with RE2 on ordinary patterns (see ``patterns``), so the
engines see the same booleans instead, and a negated ``matches`` is simply the attribute
being false.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..model import Rule
from ..patterns import fullmatch

#: list fields get this extra item before they reach durable_rules, whose "all items"
#: test is false on an empty list; with it, "contains no X" holds for an empty list too.
LIST_SENTINEL = "\u0000"
#: prefix of the fact attributes that carry ``matches`` results
REGEX_FLAG = "__re"

_NEGATE = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "le": "gt", "gt": "le", "in": "not_in", "not_in": "in",
           "contains": "not_contains", "not_contains": "contains", "matches": "not_matches", "not_matches": "matches"}
_CMP = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    name: str          # unique name inside the compiled ruleset
    condition: dict    # durable_rules condition on one fact


@dataclass
class CompiledRules:
    """Compiled rules, and the (field, pattern) of each regex attribute their conditions test."""

    rules: list[CompiledRule] = field(default_factory=list)
    regexes: dict[tuple[str, str], str] = field(default_factory=dict)   # (field, pattern) -> attribute

    def flag(self, fld: str, pattern: str) -> str:
        return self.regexes.setdefault((fld, pattern), f"{REGEX_FLAG}{len(self.regexes)}")

    def prepare(self, facts: list[dict]) -> list[dict]:
        """The facts with the regex attributes added (each distinct text matched once per pattern)."""
        if not self.regexes:
            return facts
        cache: dict[tuple[str, Any], bool] = {}
        out = []
        for fact in facts:
            extra = {}
            for (fld, pattern), attr in self.regexes.items():
                text = fact.get(fld)
                key = (pattern, text)
                hit = cache.get(key) if isinstance(text, str) else False
                if hit is None:
                    hit = cache[key] = fullmatch(pattern, text)
                extra[attr] = hit
            out.append({**fact, **extra})
        return out

    def __iter__(self):
        return iter(self.rules)

    def __len__(self):
        return len(self.rules)

    def __getitem__(self, i):
        return self.rules[i]


def compile_condition(node: dict, negate: bool = False, into: CompiledRules | None = None) -> dict:
    into = into if into is not None else CompiledRules()
    if "all" in node or "any" in node:
        is_all = "all" in node
        items = node["all"] if is_all else node["any"]
        if negate:  # De Morgan
            is_all = not is_all
        parts = [compile_condition(c, negate, into) for c in items]
        return parts[0] if len(parts) == 1 else {"$and" if is_all else "$or": parts}
    if "not" in node:
        return compile_condition(node["not"], not negate, into)
    field_, op, value = node["field"], node["op"], node.get("value")
    if op == "exists":
        present = bool(value) if value is not None else True
        return {"$ex" if present != negate else "$nex": {field_: 1}}
    if negate:
        if op not in _NEGATE:
            raise ValueError(f"operator {op!r} cannot be negated")
        op = _NEGATE[op]
    if op in ("in", "not_in") and not value:
        raise ValueError(f"operator {op!r} needs a non-empty list")
    if op == "eq":
        return {field_: value}
    if op == "ne":
        return {"$neq": {field_: value}}
    if op in _CMP:
        return {_CMP[op]: {field_: value}}
    if op in ("matches", "not_matches"):
        return {into.flag(field_, str(value)): op == "matches"}
    if op == "in":
        parts = [{field_: v} for v in value]
        return parts[0] if len(parts) == 1 else {"$or": parts}
    if op == "not_in":
        parts = [{"$neq": {field_: v}} for v in value]
        return parts[0] if len(parts) == 1 else {"$and": parts}
    if op == "contains":
        return {"$iany": {field_: {"$i": value}}}
    if op == "not_contains":
        return {"$iall": {field_: {"$neq": {"$i": value}}}}
    raise ValueError(f"unknown operator {op!r}")


def compile_rule(rule: Rule, index: int, into: CompiledRules | None = None) -> CompiledRule:
    scope: list[dict[str, Any]] = [{"type": rule.on}]
    if rule.scope_ruleset:
        scope.append({"ruleset": rule.scope_ruleset})
    if rule.scope_practice:
        scope.append({"practice": rule.scope_practice})
    cond = {"$and": scope + [compile_condition(rule.when, into=into)]}
    return CompiledRule(rule=rule, name=f"r{index}", condition=cond)


def compile_rules(rules: list[Rule]) -> CompiledRules:
    out = CompiledRules()
    for i, r in enumerate(rules):
        out.rules.append(compile_rule(r, i, out))
    return out
