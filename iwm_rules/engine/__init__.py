"""Findings from facts: rules compiled once, evaluated by durable_rules or plain Python."""
from __future__ import annotations

import os
import platform
from dataclasses import dataclass

from ..errors import IwmRulesError
from ..model import Rule
from . import durable_backend, python_backend, signatures
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


class _Shown:
    """The fact's fields as a message shows them (lists joined, empty as "none"), looked up
    only for the fields the template names; an unknown field is shown as written."""

    __slots__ = ("fact",)

    def __init__(self, fact: dict):
        self.fact = fact

    def __getitem__(self, key):
        if key not in self.fact:
            return "{" + key + "}"
        v = self.fact[key]
        if isinstance(v, list):
            v = ", ".join(v)
        return "none" if v == "" or v == [] else v


def _message(template: str, fact: dict) -> str:
    """The message with ``{field}`` replaced (templates are validated at load; anything odd
    from a caller-built rule is shown as written rather than raised)."""
    if "{" not in template and "}" not in template:
        return template
    try:
        return template.format_map(_Shown(fact))
    except (ValueError, IndexError, KeyError, AttributeError, TypeError):
        return template


def run_rules(rules: list[Rule], facts: list[dict], backend: str = "auto") -> list[Finding]:
    """Evaluate every rule on every fact; one finding per (rule, fact) that holds, in fact order.

    Each distinct condition signature (``signatures``) is evaluated once, by durable_rules or
    the plain-Python evaluator, and what fires is shared by every fact with that signature.
    """
    compiled: CompiledRules = compile_rules(rules)
    name = choose_backend(backend)
    reps, sig_of = signatures.group(facts, signatures.signature_fields(compiled))
    prepared = compiled.prepare([facts[i] for i in reps])
    fired = (durable_backend.run if name == "durable" else python_backend.run)(compiled.rules, prepared)
    by_sig: list[list[int]] = [[] for _ in reps]
    for ri, si in sorted(fired):
        by_sig[si].append(ri)
    templates = [str(cr.rule.then.get("message", "")) for cr in compiled.rules]
    shapes = [_shape(cr.rule) for cr in compiled.rules]
    findings = []
    for fi, si in enumerate(sig_of):
        hits = by_sig[si]
        if not hits:
            continue
        fact = facts[fi]
        wp = fact.get("work_product") if fact["type"] == "work_product" else None
        for ri in hits:
            rule_id, origin, kind, severity, gap = shapes[ri]
            findings.append(Finding(
                rule=rule_id, origin=origin, kind=kind, severity=severity, gap=gap,
                message=_message(templates[ri], fact), project=fact["project"], ruleset=fact["ruleset"],
                practice=fact["practice"], work_product=wp))
    return findings


def _shape(rule: Rule) -> tuple[str, str, str, str, str | None]:
    then = rule.then
    return (rule.id, rule.origin, then.get("kind", "weakness"), then.get("severity", "major"),
            then.get("gap") or ("weakness" if then.get("kind") == "weakness" else None))
