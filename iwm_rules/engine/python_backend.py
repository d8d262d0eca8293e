"""Plain-Python evaluator of compiled rules: same conditions, no durable_rules needed."""
from __future__ import annotations

from typing import Any

from .compiler import CompiledRule

_MISSING = object()


def _item_ok(cond: Any, item: Any) -> bool:
    if isinstance(cond, dict) and "$i" in cond:
        return item == cond["$i"]
    if isinstance(cond, dict) and "$neq" in cond:
        return item != cond["$neq"]["$i"]
    raise ValueError(f"unsupported item condition {cond!r}")


def evaluate(cond: dict, fact: dict) -> bool:
    (key, arg), = cond.items()
    if key == "$and":
        return all(evaluate(c, fact) for c in arg)
    if key == "$or":
        return any(evaluate(c, fact) for c in arg)
    if key in ("$ex", "$nex"):
        (field, _), = arg.items()
        return (field in fact) == (key == "$ex")
    if key in ("$iany", "$iall"):
        (field, sub), = arg.items()
        items = fact.get(field, _MISSING)
        if not isinstance(items, list):
            return False
        test = any if key == "$iany" else all
        return test(_item_ok(sub, i) for i in items)
    if key in ("$neq", "$lt", "$lte", "$gt", "$gte"):
        (field, value), = arg.items()
        have = fact.get(field, _MISSING)
        if have is _MISSING:
            return False
        if key == "$neq":
            return have != value
        try:
            return {"$lt": have < value, "$lte": have <= value, "$gt": have > value, "$gte": have >= value}[key]
        except TypeError:
            return False
    if key.startswith("$"):
        raise ValueError(f"unsupported condition {key!r}")
    have = fact.get(key, _MISSING)
    return have is not _MISSING and have == arg


def run(compiled: list[CompiledRule], facts: list[dict]) -> set[tuple[int, int]]:
    """``{(rule index, fact index)}`` for every rule that holds on a fact (facts prepared by
    ``CompiledRules.prepare``: regex results are attributes, as durable_rules sees them)."""
    fired = set()
    for fi, fact in enumerate(facts):
        for ri, cr in enumerate(compiled):
            if evaluate(cr.condition, fact):
                fired.add((ri, fi))
    return fired
