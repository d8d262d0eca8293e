"""The public pipeline: rulesets + evidence -> facts -> findings -> Assessment."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .engine import Finding, run_rules, select_engine
from .evidence import Evidence
from .evidence_records import EvidenceRecords
from .facts import build_facts
from .gcpause import paused_gc
from .levels import levels as rate_levels
from .memory import release_free_memory
from .model import Mapping, Ruleset, Tailoring
from .recorded import attach as attach_team_notes
from .ruleset import bridge_notes, load_mappings, load_ruleset, load_standard_rules, load_tailoring
from .scoring import score

SCHEMA_VERSION = "1"


@dataclass
class Assessment:
    """The result of one assessment; ``data`` is the JSON document of DESIGN §7 (its
    ``evidence`` a read-only :class:`~iwm_rules.evidence_records.EvidenceRecords`; write it
    with ``exporters.json_export``)."""

    data: dict
    findings: list[Finding] = field(default_factory=list)

    @property
    def projects(self) -> list[dict]:
        return self.data["projects"]

    @property
    def organization(self) -> dict:
        return self.data["organization"]

    def to_dict(self) -> dict:
        """The JSON document as plain Python data (``evidence`` a list of dicts: ``json.dumps``
        works on it). Exporters read ``data`` directly, which builds evidence records only as
        they are written."""
        evidence = self.data.get("evidence")
        return self.data if isinstance(evidence, list) or evidence is None else {**self.data, "evidence": list(evidence)}

    def coverage(self) -> float | None:
        """Overall coverage (the result's ``coverage`` key, see :func:`weighted_coverage`)."""
        return weighted_coverage(self.projects)


def weighted_coverage(projects: list[dict]) -> float | None:
    """Overall coverage: weighted share of required work products with adequate evidence
    (practice weight x work-product weight; tailored practices are left out); None when no
    required work product is assessed."""
    req = adequate = 0.0
    for p in projects:
        for pr in p["practices"]:
            if pr["tailoring"] is None:
                for w in pr["work_products"]:
                    if w["required"]:
                        weight = pr.get("weight", 1.0) * w.get("weight", 1.0)
                        req += weight
                        adequate += weight * (w["state"] == "adequate")
    return adequate / req if req else None


def evidence_records(evidence: Evidence) -> EvidenceRecords:
    """Every accepted evidence item as a record (dates as ISO text, '' for none), read lazily
    from the accepted table's columns (see :mod:`iwm_rules.evidence_records`)."""
    return EvidenceRecords.from_table(evidence.table)


def catalogue_records(rulesets: list[Ruleset]) -> list[dict]:
    """The catalogue the run used, compactly (key names as in the ruleset YAML): what reports
    show beside the results (goals, practices, expected work products, provenance, source)."""
    return [{
        "id": rs.id, "version": rs.version, "title": rs.title, "source": rs.source,
        "defaults": {"accept_status": list(rs.defaults.accept_status), "max_age_days": rs.defaults.max_age_days},
        "goals": [{"id": g.id, "title": g.title, "practices": [{
            "id": p.id, "title": p.title, "provenance": p.provenance, "source": p.source,
            "affirmation": "required" if p.affirmation_required else "optional",
            "work_products": [{"id": w.id, "name": w.name, "required": w.required, "provenance": w.provenance}
                              for w in p.work_products]} for p in g.practices]} for g in rs.goals],
    } for rs in rulesets]


def bridge_summary(bridge: dict) -> dict:
    """``input.bridge``: whether the CMMI V2.0/V3.0 bridge was on and how many rows reached which rulesets."""
    return {"enabled": bool(bridge.get("enabled", False)), "provenance": "derived", "rows": bridge.get("rows", 0),
            "items": bridge.get("items", 0), "rulesets": dict(bridge.get("rulesets", {}))}


def bridge_rows_used(bridge: dict) -> list[dict]:
    """Every bridge row that carried evidence, with its justification and the rows it carried."""
    used = bridge.get("mappings", [])
    notes = bridge_notes() if used else {}
    return [{"from": m.from_, "to": m.to, "relationship": m.relationship, "source": m.source,
             "provenance": m.provenance, "bridge": True, "note": notes.get((m.from_, m.to), ""), "rows": n}
            for m, n in used]


def as_rulesets(items) -> list[Ruleset]:
    return [r if isinstance(r, Ruleset) else load_ruleset(r) for r in items]


@paused_gc
def assess(rulesets, evidence: Evidence, *, tailoring: Tailoring | str | Path | None = None,
           as_of: dt.date | None = None, mappings: tuple[Mapping, ...] | str | Path | None = None,
           reuse: bool = True, engine: str = "auto", scopes: dict[str, set[str]] | None = None,
           options: dict | None = None) -> Assessment:
    """Assess ``evidence`` against ``rulesets`` (Ruleset objects, ids or paths).

    ``mappings``: None uses the shipped mappings (only rows whose two practices are both
    selected); ``reuse=False`` turns evidence reuse across mapped practices off.
    ``scopes``: project -> ids of the rulesets it is assessed against (default: all).
    ``options``: the caller's options that change the result (recorded in ``manifest.options``).
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
    release_free_memory()  # each stage's temporaries go back to the system, not into the next stage's peak
    rules = list(load_standard_rules())
    for rs in rulesets:
        rules.extend(rs.rules)
        for p in rs.practices:
            rules.extend(p.rules)
    chosen = select_engine(engine)
    findings = run_rules(rules, facts.records(), backend=chosen.backend)
    release_free_memory()
    projects, organization = score(rulesets, facts, findings)
    release_free_memory()
    for p in projects:
        p["levels"] = rate_levels(p["goals"])
    organization["levels"] = rate_levels(organization["goals"], organization["practices"])
    bridge = evidence.bridge or {}
    disagreements = attach_team_notes(projects, evidence.table, bridge_targets=set(bridge.get("targets", ())),
                                      bridge_reached=set(bridge.get("rulesets", {})))
    data = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "iwm-rules", "version": __version__},
        "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "as_of": as_of.isoformat(),
        "engine": chosen.as_record(),
        "rulesets": [{"id": r.id, "version": r.version, "title": r.title} for r in rulesets],
        "catalogue": catalogue_records(rulesets),
        "input": {
            "files": [f.as_record() for f in evidence.files],
            "rejected": [{k: (int(v) if k == "row" else v) for k, v in r.items()}
                         for r in evidence.rejected.to_dict("records")],
            "errors": [{"file": e.path, "message": e.message} for e in evidence.errors],
            "warnings": list(evidence.warnings) + facts.warnings + ([{"file": "", "sheet": "", "message": chosen.warning}]
                                                                    if chosen.warning else []),
            "bridge": bridge_summary(bridge),
        },
        "mappings_used": [{"from": m.from_, "to": m.to, "relationship": m.relationship, "source": m.source}
                          for m in maps] + bridge_rows_used(bridge),
        "disagreements": disagreements,
        "scopes": {p: sorted(r) for p, r in scopes.items()} if scopes else None,
        "tailoring": tailoring.path if isinstance(tailoring, Tailoring) else None,
        "coverage": weighted_coverage(projects),
        "projects": projects,
        "organization": organization,
        "evidence": evidence_records(evidence),
    }
    data["manifest"] = run_manifest(data, rulesets, evidence, tailoring, engine, {"reuse": reuse, **(options or {})})
    return Assessment(data=data, findings=findings)


def _file_sha256(path) -> str | None:
    """sha256 of a regular file, None when it cannot be read (never blocks on a pipe or device)."""
    import os
    import stat

    from .evidence import sha256_of

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        return sha256_of(Path(path))
    except OSError:
        return None


def run_manifest(data: dict, rulesets: list[Ruleset], evidence: Evidence, tailoring, engine: str,
                 options: dict | None) -> dict:
    """What produced this result: tool, engine, ruleset contents, input contents, date, options.

    Two runs with equal manifests give equal results (apart from ``generated_at``). Inputs are
    listed sorted by path, with ``sha256: null`` for a file that could not be read.
    """
    inputs = {f.path: f.sha256 for f in evidence.files}
    for e in evidence.errors:
        inputs.setdefault(e.path, _file_sha256(e.path))
    engine_record = data.get("engine")
    if engine_record is None:  # recorded by the engine stage when it names itself
        from .engine import choose_backend

        engine_record = {"name": choose_backend(engine), "requested": engine}
    return {
        "tool": dict(data["tool"]),
        "engine": engine_record,
        "rulesets": [{"id": r.id, "version": r.version, "sha256": _file_sha256(r.path) if r.path else None}
                     for r in rulesets],
        "inputs": [{"path": p, "sha256": inputs[p]} for p in sorted(inputs)],
        "tailoring": ({"path": tailoring.path, "sha256": _file_sha256(tailoring.path) if tailoring.path else None}
                      if isinstance(tailoring, Tailoring) else None),
        "as_of": data["as_of"],
        "options": dict(sorted({"engine": engine, **(options or {})}.items())),
    }
