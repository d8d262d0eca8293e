"""A ruleset as a catalogue: plain records (same key names as the YAML) and Markdown."""
from __future__ import annotations

from .model import Ruleset


def catalogue_dict(rs: Ruleset) -> dict:
    return {
        "id": rs.id, "title": rs.title, "version": rs.version, "source": rs.source,
        "description": rs.description, "provenance_note": rs.provenance_note,
        "defaults": {"accept_status": list(rs.defaults.accept_status), "max_age_days": rs.defaults.max_age_days,
                     "affirmation": rs.defaults.affirmation},
        "rules": [r.id for r in rs.rules],
        **({"generic": True, "applies_to": list(rs.applies_to)} if rs.generic else {}),
        "goals": [{
            "id": g.id, "title": g.title, "statement": g.statement,
            "practices": [{
                "id": p.id, "title": p.title, "statement": p.statement, "aliases": list(p.aliases), "source": p.source,
                "provenance": p.provenance, "affirmation": "required" if p.affirmation_required else "optional",
                "owner": p.owner, "objective": p.objective, "inputs": list(p.inputs), "guidance": list(p.guidance),
                "subpractices": [{"text": s.text, "provenance": s.provenance} for s in p.subpractices],
                "work_products": [{"id": w.id, "name": w.name, "match": list(w.match), "required": w.required,
                                   "provenance": w.provenance, "weight": w.weight} for w in p.work_products],
                "rules": [r.id for r in p.rules], "weight": p.weight,
            } for p in g.practices],
        } for g in rs.goals],
    }


def catalogue_markdown(rs: Ruleset) -> str:
    out = [f"# {rs.title}", "", f"- id: `{rs.id}`  version: {rs.version}", f"- source: {rs.source}"]
    if rs.provenance_note:
        out.append(f"- provenance: {rs.provenance_note}")
    if rs.description:
        out += ["", rs.description]
    for g in rs.goals:
        out += ["", f"## {g.id} {g.title}", "", g.statement]
        for p in g.practices:
            extra = f" (owner: {p.owner})" if p.owner else ""
            out += ["", f"### {p.id} {p.title}{extra}", "", p.statement, "",
                    f"- provenance: {p.provenance}" + (f"; source: {p.source}" if p.source else "")]
            if p.weight != 1:
                out.append(f"- weight: {p.weight:g}")
            if p.work_products:
                out.append("- work products:")
                for w in p.work_products:
                    tag = "required" if w.required else "optional"
                    prov = "" if w.provenance == "verified" else f", {w.provenance}"
                    weight = f", weight {w.weight:g}" if w.weight != 1 else ""
                    out.append(f"  - `{w.id}` {w.name} ({tag}{prov}{weight})")
            if p.subpractices:
                out.append("- subpractices:")
                for i, s in enumerate(p.subpractices, 1):
                    prov = "" if s.provenance == "verified" else f" *({s.provenance})*"
                    out.append(f"  {i}. {s.text}{prov}")
            for gl in p.guidance:
                out.append(f"- guidance: {gl}")
    return "\n".join(out) + "\n"
