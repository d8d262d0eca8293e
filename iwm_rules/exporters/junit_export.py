"""junit.xml: one testsuite per project, one testcase per practice, for CI dashboards.

- FI passes; LI passes with a ``system-out`` note naming its weaknesses;
- PI and NI fail, the failure message listing the gaps (full text with suggested actions in the body);
- NA and NY are skipped, with the tailoring justification.

The CMMI V2.0 labels (FM/LM/PM/DM) behave as their SCAMPI equivalents. When the result records a
``--fail-under`` threshold, a suite ``iwm-rules`` holds one more testcase, ``coverage >= X%``,
that fails when the overall coverage is below it, so the run fails as the CLI's exit code does.
Written with the standard library's ElementTree (escaping) after removing characters XML 1.0
forbids.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from . import view
from .labels import MEANING

#: characters XML 1.0 cannot carry, even escaped
_NOT_XML = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
MAX_MESSAGE = 1000


def clean(value) -> str:
    return _NOT_XML.sub("\ufffd", "" if value is None else str(value))


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs) -> ET.Element:
    el = ET.SubElement(parent, tag, {k: clean(v) for k, v in attrs.items()})
    if text is not None:
        el.text = clean(text)
    return el


def _gap_text(pr: dict) -> str:
    return "\n".join(f"- [{g.get('kind', '')}] {g.get('message', '')}\n  action: {g.get('action', '')}"
                     for g in pr.get("gaps", []))


def _testcase(suite: ET.Element, project: str, pr: dict) -> str:
    """Add the practice's testcase; return its outcome: passed, failed or skipped."""
    label = pr["characterization"]
    code = view.scampi(label)
    title = pr.get("title") or ""
    case = _sub(suite, "testcase", classname=f"{pr['ruleset']}.{pr.get('goal', '')}",
                name=f"{pr['practice']} {title}".strip(), time="0")
    meaning = f"{label} ({MEANING.get(label, label)})"
    cov = view.pct(pr.get("coverage"))
    if code in ("NA", "NY"):
        justification = (pr.get("tailoring") or {}).get("justification") or ""
        _sub(case, "skipped", message=f"{meaning}" + (f": {justification}" if justification else ""))
        return "skipped"
    if code in ("PI", "NI"):
        gaps = pr.get("gaps", [])
        message = f"{project} {pr['practice']}: {meaning}, coverage {cov}; " + "; ".join(g.get("message", "") for g in gaps)
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 1] + "…"
        _sub(case, "failure", _gap_text(pr) or "no gap recorded", message=message, type=label)
        return "failed"
    if code == "LI":
        weak = [g.get("message", "") for g in pr.get("gaps", [])]
        note = f"{project} {pr['practice']}: {meaning}, coverage {cov}; passes with weaknesses to correct:\n"
        _sub(case, "system-out", note + ("\n".join(f"- {w}" for w in weak) or "(no weakness text recorded)"))
    return "passed"


def _suite(root: ET.Element, name: str, timestamp: str) -> ET.Element:
    return _sub(root, "testsuite", name=name, timestamp=timestamp, time="0", hostname="iwm-rules")


def _close(suite: ET.Element, outcomes: list[str]) -> tuple[int, int, int]:
    n, failed, skipped = len(outcomes), outcomes.count("failed"), outcomes.count("skipped")
    suite.set("tests", str(n))
    suite.set("failures", str(failed))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    return n, failed, skipped


def build(data: dict) -> ET.Element:
    timestamp = clean(data.get("generated_at", ""))[:19]
    root = ET.Element("testsuites", {"name": "iwm-rules assessment"})
    totals = [0, 0, 0]
    for p in data.get("projects", []):
        suite = _suite(root, p["project"], timestamp)
        props = _sub(suite, "properties")
        _sub(props, "property", name="coverage", value=view.pct(p.get("coverage"), 1))
        s, t = view.goals_satisfied(p.get("goals", []))
        _sub(props, "property", name="goals_satisfied", value=f"{s}/{t}")
        _sub(props, "property", name="as_of", value=data.get("as_of", ""))
        outcomes = [_testcase(suite, p["project"], pr) for pr in p.get("practices", [])]
        for i, v in enumerate(_close(suite, outcomes)):
            totals[i] += v
    threshold = view.fail_under(data)
    if threshold is not None:
        coverage = view.overall_coverage(data)
        suite = _suite(root, "iwm-rules", timestamp)
        case = _sub(suite, "testcase", classname="iwm-rules.run", name=f"coverage >= {threshold:g}%", time="0")
        if coverage is None or coverage * 100 < threshold:
            _sub(case, "failure", f"overall coverage {view.pct(coverage, 1)} is below --fail-under {threshold:g}%",
                 message=f"coverage {view.pct(coverage, 1)} < {threshold:g}%", type="fail_under")
            outcome = "failed"
        else:
            _sub(case, "system-out", f"overall coverage {view.pct(coverage, 1)} meets --fail-under {threshold:g}%")
            outcome = "passed"
        for i, v in enumerate(_close(suite, [outcome])):
            totals[i] += v
    root.set("tests", str(totals[0]))
    root.set("failures", str(totals[1]))
    root.set("errors", "0")
    root.set("skipped", str(totals[2]))
    root.set("time", "0")
    return root


def write(data: dict, path: Path) -> None:
    tree = ET.ElementTree(build(data))
    ET.indent(tree, space=" ")
    tree.write(path, encoding="utf-8", xml_declaration=True)
