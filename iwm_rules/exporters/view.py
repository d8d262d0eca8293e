"""Read-only views over the plain JSON result (DESIGN §7) shared by the report exporters.

Nothing here decides a characterization, a rating or a gap: these helpers only look records
up (evidence through ``ref``, a gap's severity from its finding), pick the label set in use
and add up counts that are already in the result.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from .labels import CMMI_V2, FROM_CMMI_V2, ORDER

#: severities in report order (most urgent first); unknown ones sort after these
SEVERITY_ORDER = ("blocker", "critical", "major", "minor", "info")
_V2_ONLY = {"FM", "LM", "PM", "DM"}


def is_cmmi_v2(data: dict) -> bool:
    """True when the result carries CMMI V2.0 labels (``--scale cmmi-v2``)."""
    if data.get("scale") == "cmmi-v2":
        return True
    return any(pr.get("characterization") in _V2_ONLY for p in data.get("projects", []) for pr in p.get("practices", []))


def label_order(data: dict) -> tuple[str, ...]:
    """The characterization labels of this result, in report order."""
    return tuple(CMMI_V2[k] for k in ORDER) if is_cmmi_v2(data) else ORDER


def scampi(label: str) -> str:
    """The SCAMPI code (FI/LI/PI/NI/NY/NA) of a label in either scale."""
    return FROM_CMMI_V2.get(label, label)


def severity_rank(severity: str | None) -> int:
    s = (severity or "").lower()
    return SEVERITY_ORDER.index(s) if s in SEVERITY_ORDER else len(SEVERITY_ORDER)


def evidence_item(data: dict, link: dict) -> dict:
    """The top-level evidence record a work-product link points at (its ``ref``); the link itself
    when the result has no evidence list (older results carry file/sheet/row in the link)."""
    items = data.get("evidence") or []
    ref = link.get("ref")
    if isinstance(ref, int) and 0 <= ref < len(items):
        return items[ref]
    return link


def practice_links(practice: dict) -> Iterator[tuple[dict | None, dict]]:
    """(work product or None for other evidence, link) for every evidence link of a practice."""
    for wp in practice.get("work_products", []):
        for link in wp.get("evidence", []):
            yield wp, link
    for link in practice.get("other_evidence", []) or []:
        yield None, link


def gap_severity(practice: dict, gap: dict) -> str:
    """A gap's severity: its own, else that of the finding it came from (same message)."""
    if gap.get("severity"):
        return gap["severity"]
    for f in practice.get("findings", []):
        if f.get("message") == gap.get("message") and f.get("kind") in ("gap", "weakness"):
            return f.get("severity") or ""
    return ""


def wp_name(practice: dict, wp_id: str | None) -> str:
    if not wp_id:
        return ""
    for wp in practice.get("work_products", []):
        if wp.get("id") == wp_id:
            return wp.get("name") or wp_id
    return wp_id


def gap_rows(data: dict, keep: set[int] | None = None) -> Iterator[dict]:
    """One flat record per gap, in result order (only the gaps numbered in ``keep``, when given)."""
    n = -1
    for p in data.get("projects", []):
        for pr in p.get("practices", []):
            gaps = pr.get("gaps")
            if not gaps:
                continue
            if keep is not None and not any(n + 1 + i in keep for i in range(len(gaps))):
                n += len(gaps)
                continue
            severity: dict[str, str] = {}
            for f in pr.get("findings", []):
                if f.get("kind") in ("gap", "weakness"):
                    severity.setdefault(f.get("message"), f.get("severity") or "")
            names = {w.get("id"): w.get("name") or w.get("id") for w in pr.get("work_products", [])}
            base = {"project": p["project"], "ruleset": pr["ruleset"], "goal": pr.get("goal", ""),
                    "practice": pr["practice"], "title": pr.get("title", ""), "characterization": pr["characterization"],
                    # what the appraisal team recorded for the practice (shown beside its gaps)
                    "recorded": (pr.get("recorded_as") or pr.get("recorded") or "")
                    if pr.get("recorded") and pr["recorded"] != pr["characterization"] else "",
                    "team_notes": len(pr.get("strengths") or ()) + len(pr.get("recommendations") or ())}
            for g in gaps:
                n += 1
                if keep is not None and n not in keep:
                    continue
                wp = g.get("work_product")
                yield {**base, "kind": g.get("kind", ""), "work_product": names.get(wp, wp) if wp else "",
                       "message": g.get("message", ""), "action": g.get("action", ""),
                       "severity": g.get("severity") or severity.get(g.get("message"), "")}


def count_labels(practices) -> Counter:
    return Counter(pr["characterization"] for pr in practices)


def ratio(adequate: int, required: int) -> float | None:
    return adequate / required if required else None


def overall_coverage(data: dict) -> float | None:
    """The run's coverage, as the result states it (top-level ``coverage``, the figure
    ``--fail-under`` tests); None when the result has none. Never recomputed here."""
    value = data.get("coverage")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def fail_under(data: dict) -> float | None:
    """The ``--fail-under`` percentage recorded in the result (options or run manifest), if any."""
    for opts in ((data.get("options") or {}), ((data.get("manifest") or {}).get("options") or {})):
        value = opts.get("fail_under")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return None


def goals_satisfied(goals) -> tuple[int, int]:
    goals = list(goals)
    return sum(g.get("rating") == "satisfied" for g in goals), len(goals)


def pct(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value * 100:.{digits}f}%"


def level_rows(data: dict) -> list[tuple[str, list[dict], bool]]:
    """(project or 'organization', capability-level records, is the organization) when generic
    practices were assessed (some process area has a GG2 rating); empty otherwise: specific
    goals alone say only CL0/CL1."""
    rows = [(p["project"], p.get("levels") or [], False) for p in data.get("projects", [])]
    rows.append(("organization", (data.get("organization") or {}).get("levels") or [], True))
    if not any((r.get("goals") or {}).get("GG2", "absent") != "absent" for _, recs, _ in rows for r in recs):
        return []
    return [row for row in rows if row[1]]


def level_text(rec: dict) -> str:
    """'CL2' or 'not rated (at least CL1)'."""
    level = rec.get("capability_level", "")
    if level == "not_rated":
        return f"not rated (at least {rec.get('at_least', 'CL0')})"
    return level
