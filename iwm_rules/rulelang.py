"""The rule language (docs/ruleset-format.md): rules parsed and checked at load.

Every value is checked against the type of the fact field it tests (``model.FACT_FIELDS``),
every ``matches`` pattern against the RE2 dialect (``patterns``), every message placeholder
against the fact fields, and a condition may not expand past ``MAX_BRANCHES`` alternatives.
"""
from __future__ import annotations

import datetime as dt
import re
import string
from typing import Any

from .checker import _Checker, _closest, _line
from .model import FACT_FIELDS, FIELD_TYPES, GAP_KINDS, Rule
from .patterns import check as check_pattern

RULE_KEYS = {"id", "on", "when", "then", "description"}
THEN_KEYS = {"kind", "severity", "gap", "message", "action"}
OPERATORS = {"eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "matches", "exists", "contains", "not_contains"}
FINDING_KINDS = {"weakness", "gap", "info"}
SEVERITIES = {"major", "minor", "info"}
#: most alternative branches one rule's condition may expand to (durable_rules hangs past ~512)
MAX_BRANCHES = 256


def _check_condition(ck: _Checker, node: Any, on: str, where: str) -> None:
    if not isinstance(node, dict) or not node:
        ck.add("rule", _line(node), f"{where}: a condition must be a mapping (all/any/not or field/op/value)")
        return
    keys = set(node) - {"__duplicate_keys__"}
    if keys & {"all", "any"}:
        if len(keys) != 1:
            ck.add("rule", _line(node), f"{where}: 'all'/'any' must stand alone in their mapping")
        items = node.get("all", node.get("any"))
        if not isinstance(items, list) or not items:
            ck.add("rule", _line(node), f"{where}: 'all'/'any' takes a non-empty list")
            return
        for item in items:
            _check_condition(ck, item, on, where)
        return
    if "not" in keys:
        if len(keys) != 1:
            ck.add("rule", _line(node), f"{where}: 'not' must stand alone in its mapping")
        _check_condition(ck, node["not"], on, where)
        return
    if not ck.keys(node, {"field", "op", "value"}, {"field", "op"}, f"{where} condition"):
        return
    fld, op = node.get("field"), node.get("op")
    spec = FACT_FIELDS.get(on, {}).get(fld) if isinstance(fld, str) else None
    if fld and spec is None:
        hint = _closest(str(fld), set(FACT_FIELDS.get(on, {})))
        ck.add("rule", _line(node, "field"), f"{where}: unknown field {fld!r} for '{on}' facts" + (f" (did you mean {hint!r}?)" if hint else ""))
    if op and op not in OPERATORS:
        ck.add("rule", _line(node, "op"), f"{where}: unknown operator {op!r} (use one of {', '.join(sorted(OPERATORS))})")
        return
    if op != "exists" and op in OPERATORS and "value" not in node:
        ck.add("rule", _line(node), f"{where}: operator {op!r} needs a 'value'")
        return
    if spec is not None and op in OPERATORS:
        _check_value(ck, node, str(fld), spec.type, str(op), where)


def _branches(node: dict, negated: bool = False) -> int:
    """How many conjunctive branches the condition expands to (durable_rules expands 'any',
    'in' and negated 'all' into alternatives; past a few hundred it hangs or gives up)."""
    if "all" in node or "any" in node:
        counts = [_branches(c, negated) for c in node.get("all", node.get("any"))]
        product = ("all" in node) != negated
        total = 1 if product else 0
        for c in counts:
            total = min(total * c if product else total + c, 10**9)
        return total
    if "not" in node:
        return _branches(node["not"], not negated)
    if node.get("op") == ("not_in" if negated else "in"):
        return len(node.get("value") or [])
    return 1


def _check_value(ck: _Checker, node: dict, fld: str, ftype: str, op: str, where: str) -> None:
    """The operator applies to the field's type (docs/facts.md) and the value has that type."""
    line = _line(node, "value") if "value" in node else _line(node, "op")
    label = FIELD_TYPES[ftype]["label"]
    allowed = FIELD_TYPES[ftype]["ops"]
    if op not in allowed:
        ck.add("type", _line(node, "op"), f"{where}: operator {op!r} does not apply to {fld!r} ({label}); "
                                          f"use one of {', '.join(allowed)}")
        return
    value = node.get("value")
    if op == "exists":
        if value is not None and not isinstance(value, bool):
            ck.add("type", line, f"{where}: 'exists' takes true or false, got {_shown(value)}")
        return
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            ck.add("type", line, f"{where}: {op!r} takes a non-empty list of values ({label}), got {_shown(value)}")
            return
        for item in value:
            problem = _type_problem(item, ftype, op)
            if problem:
                ck.add("type", line, f"{where}: {op!r} list item {_shown(item)} for {fld!r}: {problem}")
        return
    problem = _type_problem(value, "str" if ftype == "list" else ftype, op)
    if problem:
        ck.add("type", line, f"{where}: value {_shown(value)} for {fld!r} ({'list item' if ftype == 'list' else label}): {problem}")
        return
    if op == "matches":
        problem = check_pattern(value)
        if problem:
            ck.add("bad-regex", line, f"{where}: {_shown(value)} is not an accepted regular expression "
                                      f"(RE2 dialect, docs/ruleset-format.md): {problem}")


def _shown(value: Any) -> str:
    """A value as written, cut short (a value may be a long list built with aliases)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _type_problem(value: Any, ftype: str, op: str) -> str | None:
    """Why ``value`` cannot be compared with a field of type ``ftype``, or None."""
    if ftype == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            return "must be a whole number (unquoted)"
        return None if abs(value) <= 2**53 else "must be a whole number between -2**53 and 2**53"
    if ftype == "bool":
        return None if isinstance(value, bool) else "must be true or false (unquoted)"
    if ftype == "date":
        if isinstance(value, dt.datetime):
            return "must be a date YYYY-MM-DD, not a timestamp"
        if isinstance(value, dt.date) or (value == "" and op in ("eq", "ne")):
            return None
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            try:
                dt.date.fromisoformat(value)
                return None
            except ValueError:
                pass
        return "must be a real date written YYYY-MM-DD" + (" (or '' with eq/ne)" if op in ("eq", "ne") else "")
    if isinstance(value, str):
        return None if "\x00" not in value else "must not contain a NUL character"
    return "must be text (quote it)" if value is not None else "must be text, not empty"


def _check_message(ck: _Checker, then: dict, on: str, where: str) -> None:
    """``{field}`` in a message names a fact field of the rule's fact type, nothing more."""
    message = then.get("message")
    if message is None:
        return
    if not isinstance(message, str):
        ck.add("type", _line(then, "message"), f"{where}: 'message' must be text")
        return
    try:
        parts = list(string.Formatter().parse(message))
    except ValueError as exc:
        ck.add("message", _line(then, "message"), f"{where}: message {message!r}: {exc} (write {{{{ and }}}} for a literal brace)")
        return
    known = FACT_FIELDS.get(on, {})
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in known:
            base = re.split(r"[.\[]", name, maxsplit=1)[0]
            hint = f"; write {{{base}}}" if base in known else (f" (did you mean {{{_closest(name, set(known))}}}?)" if _closest(name, set(known)) else "")
            ck.add("message", _line(then, "message"), f"{where}: message placeholder {{{name}}} is not a field of "
                                                      f"'{on}' facts (docs/facts.md){hint}")
        elif spec or conversion:
            ck.add("message", _line(then, "message"), f"{where}: message placeholder {{{name}"
                                                      f"{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}} "
                                                      f"takes no format; write {{{name}}}")


def _parse_rules(ck: _Checker, items: Any, origin: str, scope_ruleset: str | None,
                 scope_practice: str | None, seen: dict[str, int]) -> tuple[Rule, ...]:
    if items in (None, []):
        return ()
    if not isinstance(items, list):
        ck.add("type", _line(items), "'rules' must be a list")
        return ()
    out = []
    for node in items:
        if not ck.keys(node, RULE_KEYS, {"id", "on", "when", "then"}, "rule"):
            continue
        rid = ck.text(node, "id")
        where = f"rule {rid!r}"
        ck.unique(seen, rid, node, "rule")
        on = ck.text(node, "on")
        if on not in FACT_FIELDS:
            ck.add("rule", _line(node, "on"), f"{where}: 'on' must be one of {', '.join(FACT_FIELDS)}")
        else:
            before = len(ck.issues)
            _check_condition(ck, node.get("when"), on, where)
            if len(ck.issues) == before and _branches(node.get("when")) > MAX_BRANCHES:
                ck.add("rule", _line(node, "when"), f"{where}: the condition has {_branches(node.get('when')):,} "
                                                    f"alternative branches once 'any', 'in' and 'not' are expanded; at most "
                                                    f"{MAX_BRANCHES} are accepted (split it into several rules)")
        then = node.get("then")
        if ck.keys(then, THEN_KEYS, {"kind", "message"}, f"{where} 'then'"):
            if then.get("kind") not in FINDING_KINDS:
                ck.add("rule", _line(then, "kind"), f"{where}: kind must be one of {', '.join(sorted(FINDING_KINDS))}")
            if then.get("severity", "major") not in SEVERITIES:
                ck.add("rule", _line(then, "severity"), f"{where}: severity must be one of {', '.join(sorted(SEVERITIES))}")
            if then.get("gap") is not None and then.get("gap") not in GAP_KINDS:
                ck.add("rule", _line(then, "gap"), f"{where}: gap must be one of {', '.join(GAP_KINDS)}")
            if on in FACT_FIELDS:
                _check_message(ck, then, on, where)
        out.append(Rule(id=rid, on=on, when=_plain(node.get("when")), then=_plain(then) if isinstance(then, dict) else {},
                        origin=origin, scope_ruleset=scope_ruleset, scope_practice=scope_practice))
    return tuple(out)


def _plain(obj: Any) -> Any:
    """LineDicts back to plain dicts (rules are data handed to the engine); dates as ISO text."""
    if isinstance(obj, dt.date):
        return obj.isoformat()
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items() if k != "__duplicate_keys__"}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj
