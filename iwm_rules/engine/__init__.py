"""Findings from facts: rules compiled once, evaluated by durable_rules or plain Python."""
from __future__ import annotations

import os
from dataclasses import dataclass

from ..model import Rule
from . import durable_backend, python_backend
from .compiler import CompiledRule, compile_rules

BACKENDS = ("auto", "durable", "python")


@dataclass(frozen=True)
class Finding:
    rule: str
    origin: str        # "standard" or the ruleset id the rule comes from
    kind: str          # weakness | gap | info
    severity: str
    gap: str | None
    message: str
    project: str
    ruleset: str
    practice: str
    work_product: str | None

    def as_record(self) -> dict:
        return {"rule": self.rule, "kind": self.kind, "severity": self.severity, "message": self.message}


def choose_backend(backend: str = "auto") -> str:
    backend = os.environ.get("IWM_RULES_ENGINE", backend) if backend == "auto" else backend
    if backend == "auto":
        return "durable" if durable_backend.available() else "python"
    if backend == "durable" and not durable_backend.available():
        raise RuntimeError("durable_rules cannot be imported on this Python; use --engine python")
    return backend


class _SafeDict(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def _message(template: str, fact: dict) -> str:
    shown = {k: (", ".join(v) if isinstance(v, list) else v) for k, v in fact.items()}
    shown = {k: ("none" if v == "" or v == [] else v) for k, v in shown.items()}
    try:
        return template.format_map(_SafeDict(shown))
    except (ValueError, IndexError):
        return template


def run_rules(rules: list[Rule], facts: list[dict], backend: str = "auto") -> list[Finding]:
    """Evaluate every rule on every fact; one finding per (rule, fact) that holds."""
    compiled: list[CompiledRule] = compile_rules(rules)
    name = choose_backend(backend)
    fired = (durable_backend.run if name == "durable" else python_backend.run)(compiled, facts)
    findings = []
    for ri, fi in sorted(fired, key=lambda p: (p[1], p[0])):
        rule, fact = compiled[ri].rule, facts[fi]
        then = rule.then
        findings.append(Finding(
            rule=rule.id, origin=rule.origin, kind=then.get("kind", "weakness"), severity=then.get("severity", "major"),
            gap=then.get("gap") or ("weakness" if then.get("kind") == "weakness" else None),
            message=_message(str(then.get("message", "")), fact), project=fact["project"], ruleset=fact["ruleset"],
            practice=fact["practice"], work_product=fact.get("work_product") if fact["type"] == "work_product" else None))
    return findings
