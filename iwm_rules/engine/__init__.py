"""Findings from facts: rules compiled once, evaluated by durable_rules or plain Python."""
from __future__ import annotations

import os
import platform
from dataclasses import dataclass

from ..errors import IwmRulesError
from ..model import Rule
from . import durable_backend, python_backend
from .compiler import CompiledRules, compile_rules

BACKENDS = ("auto", "durable", "python")
ENV_VAR = "IWM_RULES_ENGINE"


class EngineChoiceError(IwmRulesError):
    """The requested engine is unknown or cannot run here (a usage error: exit 2 on the CLI)."""


@dataclass(frozen=True)
class Engine:
    """The evaluator that runs: ``name`` durable_rules or python, its version, and a warning
    when ``auto`` had to fall back."""

    name: str
    version: str
    warning: str | None = None

    @property
    def backend(self) -> str:
        return "durable" if self.name == "durable_rules" else "python"

    def as_record(self) -> dict:
        return {"name": self.name, "version": self.version}


def select_engine(requested: str = "auto") -> Engine:
    """Resolve ``auto`` / ``durable`` / ``python``; with ``auto``, ``IWM_RULES_ENGINE`` decides
    when set. An unknown name, or durable where durable_rules cannot import, raises
    :class:`EngineChoiceError`."""
    source = "--engine"
    if requested == "auto" and os.environ.get(ENV_VAR, "").strip():
        requested, source = os.environ[ENV_VAR].strip().lower(), ENV_VAR
    if requested not in BACKENDS:
        raise EngineChoiceError(f"{source}={requested!r} is not an engine; use one of {', '.join(BACKENDS)}")
    if requested == "python":
        return Engine("python", platform.python_version())
    if durable_backend.available():
        return Engine("durable_rules", durable_backend.version())
    why = f"durable_rules cannot be imported on Python {platform.python_version()}"
    if requested == "durable":
        raise EngineChoiceError(f"{why}; use --engine python (or auto)"
                                + (f" or unset {ENV_VAR}" if source == ENV_VAR else ""))
    return Engine("python", platform.python_version(),
                  warning=f"{why}: the rules ran in the plain-Python evaluator (same rules, same results)")


def choose_backend(backend: str = "auto") -> str:
    """``durable`` or ``python``: the evaluator ``backend`` resolves to (see :func:`select_engine`)."""
    return select_engine(backend).backend


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


class _SafeDict(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def _message(template: str, fact: dict) -> str:
    """The message with ``{field}`` replaced (templates are validated at load; anything odd
    from a caller-built rule is shown as written rather than raised)."""
    shown = {k: (", ".join(v) if isinstance(v, list) else v) for k, v in fact.items()}
    shown = {k: ("none" if v == "" or v == [] else v) for k, v in shown.items()}
    try:
        return template.format_map(_SafeDict(shown))
    except (ValueError, IndexError, KeyError, AttributeError, TypeError):
        return template


def run_rules(rules: list[Rule], facts: list[dict], backend: str = "auto") -> list[Finding]:
    """Evaluate every rule on every fact; one finding per (rule, fact) that holds."""
    compiled: CompiledRules = compile_rules(rules)
    name = choose_backend(backend)
    prepared = compiled.prepare(facts)
    fired = (durable_backend.run if name == "durable" else python_backend.run)(compiled.rules, prepared)
    findings = []
    for ri, fi in sorted(fired, key=lambda p: (p[1], p[0])):
        rule, fact = compiled.rules[ri].rule, facts[fi]
        then = rule.then
        findings.append(Finding(
            rule=rule.id, origin=rule.origin, kind=then.get("kind", "weakness"), severity=then.get("severity", "major"),
            gap=then.get("gap") or ("weakness" if then.get("kind") == "weakness" else None),
            message=_message(str(then.get("message", "")), fact), project=fact["project"], ruleset=fact["ruleset"],
            practice=fact["practice"], work_product=fact.get("work_product") if fact["type"] == "work_product" else None))
    return findings
