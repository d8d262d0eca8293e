"""The rule language (docs/ruleset-format.md) compiled to durable_rules conditions.

The compiled form is plain JSON-like data in durable_rules' own dialect
(``{'$and': [...]}``, ``{'$gt': {field: value}}``, ...). Both evaluators run exactly this
form: the durable_rules backend hands it to the engine, the plain-Python backend interprets
it, so a test can hold one against the other.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import Rule

#: list fields get this extra item before they reach durable_rules, whose "all items"
#: test is false on an empty list; with it, "contains no X" holds for an empty list too.
LIST_SENTINEL = "\u0000"

_NEGATE = {"eq": "ne", "ne": "eq", "lt": "ge", "ge": "lt", "le": "gt", "gt": "le", "in": "not_in", "not_in": "in",
           "contains": "not_contains", "not_contains": "contains"}
_CMP = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    name: str          # unique name inside the compiled ruleset
    condition: dict    # durable_rules condition on one fact


def compile_condition(node: dict, negate: bool = False) -> dict:
    if "all" in node or "any" in node:
        is_all = "all" in node
        items = node["all"] if is_all else node["any"]
        if negate:  # De Morgan
            is_all = not is_all
        parts = [compile_condition(c, negate) for c in items]
        return parts[0] if len(parts) == 1 else {"$and" if is_all else "$or": parts}
    if "not" in node:
        return compile_condition(node["not"], not negate)
    field, op, value = node["field"], node["op"], node.get("value")
    if op == "exists":
        present = bool(value) if value is not None else True
        return {"$ex" if present != negate else "$nex": {field: 1}}
    if negate:
        if op not in _NEGATE:
            raise ValueError(f"operator {op!r} cannot be negated")
        op = _NEGATE[op]
    if op == "eq":
        return {field: value}
    if op == "ne":
        return {"$neq": {field: value}}
    if op in _CMP:
        return {_CMP[op]: {field: value}}
    if op == "matches":
        return {"$mt": {field: str(value)}}
    if op == "in":
        parts = [{field: v} for v in value]
        return parts[0] if len(parts) == 1 else {"$or": parts}
    if op == "not_in":
        parts = [{"$neq": {field: v}} for v in value]
        return parts[0] if len(parts) == 1 else {"$and": parts}
    if op == "contains":
        return {"$iany": {field: {"$i": value}}}
    if op == "not_contains":
        return {"$iall": {field: {"$neq": {"$i": value}}}}
    raise ValueError(f"unknown operator {op!r}")


def compile_rule(rule: Rule, index: int) -> CompiledRule:
    scope: list[dict[str, Any]] = [{"type": rule.on}]
    if rule.scope_ruleset:
        scope.append({"ruleset": rule.scope_ruleset})
    if rule.scope_practice:
        scope.append({"practice": rule.scope_practice})
    cond = {"$and": scope + [compile_condition(rule.when)]}
    return CompiledRule(rule=rule, name=f"r{index}", condition=cond)


def compile_rules(rules: list[Rule]) -> list[CompiledRule]:
    return [compile_rule(r, i) for i, r in enumerate(rules)]
