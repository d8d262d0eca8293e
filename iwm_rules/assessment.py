"""The public pipeline: rulesets + evidence -> facts -> findings -> Assessment."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import __version__
from .engine import Finding, run_rules
from .evidence import Evidence
from .facts import build_facts
from .model import Mapping, Ruleset, Tailoring
from .ruleset import load_mappings, load_ruleset, load_standard_rules, load_tailoring
from .scoring import score

SCHEMA_VERSION = "1"


@dataclass
class Assessment:
    """The result of one assessment; ``data`` is the JSON document of DESIGN §7."""

    data: dict
    findings: list[Finding] = field(default_factory=list)

    @property
    def projects(self) -> list[dict]:
        return self.data["projects"]

    @property
    def organization(self) -> dict:
        return self.data["organization"]

    def to_dict(self) -> dict:
        return self.data

    def coverage(self) -> float | None:
        """Overall coverage: adequately evidenced required work products / required ones."""
        req = adequate = 0
        for p in self.projects:
            for pr in p["practices"]:
                if pr["tailoring"] is None:
                    for w in pr["work_products"]:
                        if w["required"]:
                            req += 1
                            adequate += w["state"] == "adequate"
        return adequate / req if req else None


#: columns of the top-level ``evidence`` list: one record per accepted item, in the order of
#: the accepted table; ``work_products[].evidence[].ref`` is an index into it
EVIDENCE_COLUMNS = ("project", "ruleset", "practice", "practice_raw", "work_product", "evidence_type", "status", "date",
                    "owner", "party", "location", "notes", "weakness", "file", "sheet", "row", "reuse_via")


def evidence_records(evidence: Evidence) -> list[dict]:
    """Every accepted evidence item as a plain record (dates as ISO text, '' for none)."""
    t = evidence.table
    if not len(t):
        return []
    cols = {c: t[c] for c in EVIDENCE_COLUMNS if c in t}
    dates = pd.to_datetime(t["date"])
    cols["date"] = dates.dt.strftime("%Y-%m-%d").where(dates.notna(), "")
    cols["row"] = t["row"].astype(int)
    frame = pd.DataFrame(cols)
    return frame.to_dict("records")


def as_rulesets(items) -> list[Ruleset]:
    return [r if isinstance(r, Ruleset) else load_ruleset(r) for r in items]


def assess(rulesets, evidence: Evidence, *, tailoring: Tailoring | str | Path | None = None,
           as_of: dt.date | None = None, mappings: tuple[Mapping, ...] | str | Path | None = None,
           reuse: bool = True, engine: str = "auto", scopes: dict[str, set[str]] | None = None) -> Assessment:
    """Assess ``evidence`` against ``rulesets`` (Ruleset objects, ids or paths).

    ``mappings``: None uses the shipped mappings (only rows whose two practices are both
    selected); ``reuse=False`` turns evidence reuse across mapped practices off.
    ``scopes``: project -> ids of the rulesets it is assessed against (default: all).
    """
    rulesets = as_rulesets(rulesets)
    as_of = as_of or dt.date.today()
    if isinstance(tailoring, (str, Path)):
        tailoring = load_tailoring(tailoring, rulesets)
    if not reuse:
        maps: tuple[Mapping, ...] = ()
    elif mappings is None or isinstance(mappings, (str, Path)):
        maps = load_mappings(mappings, rulesets, strict=False)
    else:
        maps = tuple(mappings)
    facts = build_facts(rulesets, evidence.table, tailoring=tailoring, as_of=as_of, mappings=maps, scopes=scopes)
    rules = list(load_standard_rules())
    for rs in rulesets:
        rules.extend(rs.rules)
        for p in rs.practices:
            rules.extend(p.rules)
    findings = run_rules(rules, facts.records(), backend=engine)
    projects, organization = score(rulesets, facts, findings)
    data = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "iwm-rules", "version": __version__},
        "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "as_of": as_of.isoformat(),
        "rulesets": [{"id": r.id, "version": r.version, "title": r.title} for r in rulesets],
        "input": {
            "files": [f.as_record() for f in evidence.files],
            "rejected": [{k: (int(v) if k == "row" else v) for k, v in r.items()}
                         for r in evidence.rejected.to_dict("records")],
            "errors": [{"file": e.path, "message": e.message} for e in evidence.errors],
            "warnings": list(evidence.warnings) + facts.warnings,
        },
        "mappings_used": [{"from": m.from_, "to": m.to, "relationship": m.relationship, "source": m.source}
                          for m in maps],
        "scopes": {p: sorted(r) for p, r in scopes.items()} if scopes else None,
        "tailoring": tailoring.path if isinstance(tailoring, Tailoring) else None,
        "projects": projects,
        "organization": organization,
        "evidence": evidence_records(evidence),
    }
    return Assessment(data=data, findings=findings)
