"""Trends between two results (``assessment.json`` or ``portfolio.json``): what improved, what regressed.

Per project and for the organization: each practice's characterization before and after,
with ``change`` one of

- ``improved`` / ``regressed``: both rated, in the order FI > LI > PI > NI;
- ``unchanged``: the same label (NY stays NY, NA stays NA);
- ``rescoped``: NY or NA on one side only (tailoring changed: neither better nor worse);
- ``added`` / ``removed``: the practice is in one result only (a ruleset added or dropped).

Gaps are compared as multisets keyed by (project, ruleset, practice, kind, work product):
``gaps_closed`` are in the old result only, ``gaps_opened`` in the new one only. Coverage is
compared per project and overall. The summary counts projects present in both results; an
added or removed project lists all its gaps as opened or closed. Labels of the CMMI V2.0 scale (FM/LM/PM/DM) are read as
their SCAMPI equivalents; the output uses the scale of the new result.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from .errors import IwmRulesError
from .model import CMMI_V2_LABELS

RANK = {"FI": 3, "LI": 2, "PI": 1, "NI": 0}
FROM_V2 = {v: k for k, v in CMMI_V2_LABELS.items()}
CHANGES = ("improved", "regressed", "unchanged", "rescoped", "added", "removed")
DIFF_VERSION = "1"


class DiffInputError(IwmRulesError):
    """A file given to ``diff`` is not an iwm-rules result (one line, naming the file)."""


def load_result(path) -> dict:
    """An assessment.json / portfolio.json, checked enough to be compared."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise DiffInputError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DiffInputError(f"{path}: cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise DiffInputError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not (isinstance(data, dict) and isinstance(data.get("projects"), list)
            and isinstance(data.get("organization"), dict) and "schema_version" in data):
        raise DiffInputError(f"{path}: not an iwm-rules assessment.json or portfolio.json "
                             "(no schema_version, projects and organization)")
    if str(data["schema_version"]) != "1":
        raise DiffInputError(f"{path}: schema_version {data['schema_version']!r} is not supported (expected '1')")
    try:
        for p in data["projects"]:
            for pr in p["practices"]:
                _label(pr["characterization"])
                for g in pr.get("gaps", []):
                    g["kind"]  # noqa: B018 - presence check
        for pr in data["organization"].get("practices", []):
            _label(pr["characterization"])
    except (KeyError, TypeError, ValueError) as exc:
        raise DiffInputError(f"{path}: not an iwm-rules result: a project or practice lacks {exc}") from None
    return data


def _label(value) -> str:
    label = FROM_V2.get(value, value)
    if label not in CMMI_V2_LABELS:
        raise ValueError(f"a known characterization (got {value!r})")
    return label


def change(old: str | None, new: str | None) -> str:
    """How one practice's characterization moved (labels of either scale)."""
    if old is None:
        return "added"
    if new is None:
        return "removed"
    old, new = _label(old), _label(new)
    if old == new:
        return "unchanged"
    if old not in RANK or new not in RANK:
        return "rescoped"
    return "improved" if RANK[new] > RANK[old] else "regressed"


def _coverage(projects: list[dict]) -> float | None:
    req = adequate = 0
    for p in projects:
        for pr in p["practices"]:
            if pr.get("tailoring") is None:
                for w in pr.get("work_products", []):
                    if w.get("required", True):
                        req += 1
                        adequate += w.get("state") == "adequate"
    return round(adequate / req, 4) if req else None


def _delta(old, new) -> dict:
    return {"old": old, "new": new, "change": None if old is None or new is None else round(new - old, 4)}


def _practices(old: list[dict], new: list[dict], out_label) -> list[dict]:
    o = {(r["ruleset"], r["practice"]): r["characterization"] for r in old}
    n = {(r["ruleset"], r["practice"]): r["characterization"] for r in new}
    keys = list(n) + [k for k in o if k not in n]
    return [{"ruleset": k[0], "practice": k[1], "old": out_label(o.get(k)), "new": out_label(n.get(k)),
             "change": change(o.get(k), n.get(k))} for k in keys]


def _gap_keys(project: dict | None) -> Counter:
    c: Counter = Counter()
    for pr in (project or {}).get("practices", []):
        for g in pr.get("gaps", []):
            c[(pr["ruleset"], pr["practice"], g["kind"], g.get("work_product") or None)] += 1
    return c


def _gap_records(counter: Counter) -> list[dict]:
    out = []
    for (rs, pr, kind, wp), n in sorted(counter.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2], kv[0][3] or "")):
        out.extend({"ruleset": rs, "practice": pr, "kind": kind, "work_product": wp} for _ in range(n))
    return out


def diff_results(old: dict, new: dict, *, old_name: str = "old", new_name: str = "new") -> dict:
    """The comparison of two results as plain records (the ``diff.json`` document)."""
    v2 = new.get("scale") == "cmmi-v2"

    def out_label(value):
        if value is None:
            return None
        label = _label(value)
        return CMMI_V2_LABELS[label] if v2 else label

    old_p = {p["project"]: p for p in old["projects"]}
    new_p = {p["project"]: p for p in new["projects"]}
    names = sorted(set(old_p) | set(new_p))
    projects = []
    totals = Counter()
    for name in names:
        o, n = old_p.get(name), new_p.get(name)
        prs = _practices(o["practices"] if o else [], n["practices"] if n else [], out_label)
        go, gn = _gap_keys(o), _gap_keys(n)
        closed, opened = _gap_records(go - gn), _gap_records(gn - go)
        status = "added" if o is None else "removed" if n is None else "both"
        if status == "both":  # an added or removed project's gaps are listed with it, not counted as trends
            totals.update(p["change"] for p in prs)
            totals["gaps_closed"] += len(closed)
            totals["gaps_opened"] += len(opened)
        projects.append({"project": name, "status": status,
                         "coverage": _delta(o.get("coverage") if o else None, n.get("coverage") if n else None),
                         "practices": prs, "gaps_closed": closed, "gaps_opened": opened})
    org_o, org_n = old["organization"], new["organization"]
    go = {(g["ruleset"], g["goal"]): g["rating"] for g in org_o.get("goals", [])}
    gn = {(g["ruleset"], g["goal"]): g["rating"] for g in org_n.get("goals", [])}
    goals = [{"ruleset": k[0], "goal": k[1], "old": go.get(k), "new": gn.get(k)}
             for k in list(gn) + [k for k in go if k not in gn]]
    org_practices = _practices(org_o.get("practices", []), org_n.get("practices", []), out_label)
    summary = {k: totals.get(k, 0) for k in CHANGES}
    summary.update(gaps_closed=totals["gaps_closed"], gaps_opened=totals["gaps_opened"],
                   projects_added=sum(p["status"] == "added" for p in projects),
                   projects_removed=sum(p["status"] == "removed" for p in projects))
    return {
        "diff_version": DIFF_VERSION,
        "scale": "cmmi-v2" if v2 else "scampi",
        "old": _about(old, old_name),
        "new": _about(new, new_name),
        "summary": summary,
        "projects_added": [p["project"] for p in projects if p["status"] == "added"],
        "projects_removed": [p["project"] for p in projects if p["status"] == "removed"],
        "organization": {"practices": org_practices, "goals": goals,
                         "coverage": _delta(_coverage(old["projects"]), _coverage(new["projects"])),
                         "changes": {k: sum(p["change"] == k for p in org_practices) for k in CHANGES}},
        "projects": projects,
    }


def _about(data: dict, name: str) -> dict:
    return {"file": name, "generated_at": data.get("generated_at"), "as_of": data.get("as_of"),
            "projects": len(data["projects"])}


def diff_files(old_path, new_path) -> dict:
    return diff_results(load_result(old_path), load_result(new_path), old_name=str(old_path), new_name=str(new_path))
