"""Orchestration used by the CLI and by callers who start from file names."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from .assessment import Assessment, as_rulesets, assess
from .errors import EvidenceError, EvidenceFileError
from .evidence import load_evidence
from .exporters import FORMATS, export
from .model import CMMI_V2_LABELS
from .generic import parse_areas
from .levels import V2_NOTE
from .model import Ruleset
from .ruleset import load_mappings, load_ruleset, shipped_ids, tailoring_applies_to


def select_rulesets(requested: list, apply_to: tuple[str, ...] = ()) -> tuple[list, bool]:
    """(rulesets, auto): the requested ones, or every shipped ruleset when none is named.

    ``apply_to``: process areas a generic ruleset (CMMI generic practices) is instantiated for
    (default: the ruleset's own ``applies_to``)."""
    if requested:
        return [r if isinstance(r, Ruleset) else load_ruleset(r, apply_to=apply_to) for r in requested], False
    return [load_ruleset(p, apply_to=apply_to) for p in shipped_ids().values()], True


def run_assessment(files: list[Path], *, rulesets: list | None = None, tailoring=None, as_of: dt.date | None = None,
                   project: str | None = None, layout: str = "auto", reuse: bool = True,
                   engine: str = "auto", mappings_file: Path | None = None, limits=None,
                   apply_to: str | tuple[str, ...] | None = None) -> Assessment:
    """Load, assess and return. Any unreadable file raises (nothing is assessed from half the input).

    Without ``rulesets``, each project is assessed against the shipped rulesets its own
    accepted evidence refers to (so a transition project's ITIL evidence does not make every
    other project "not implemented" on ITIL practices).
    """
    areas = parse_areas(apply_to)
    if not areas and isinstance(tailoring, (str, Path)):
        areas = tailoring_applies_to(tailoring)
    selected, auto = select_rulesets(rulesets or [], areas)
    extra = load_mappings(mappings_file) if mappings_file else ()
    evidence = load_evidence(files, selected, project=project, layout=layout, mappings=extra, limits=limits)
    if evidence.errors:
        raise EvidenceError(evidence.errors)
    empty = [f for f in evidence.files if f.layout == "none"]
    if empty:
        raise EvidenceError([EvidenceFileError(
            f.path, f"no evidence table found: no sheet has a header row with practice and work product columns (or a "
                    f"PIID / OEdb header) in its first 20 rows; {f.rows_read} row(s) read") for f in empty])
    scopes = None
    if auto:
        used = set(evidence.table["ruleset"].unique()) if len(evidence.table) else set()
        selected = [rs for rs in selected if rs.id in used] or selected
        scopes = {p: set(g.unique()) for p, g in evidence.table.groupby("project")["ruleset"]}
    maps = load_mappings(None, selected, strict=False) + tuple(
        m for m in extra if {m.from_, m.to} <= {p.id for rs in selected for p in rs.practices})
    return assess(selected, evidence, tailoring=tailoring, as_of=as_of, reuse=reuse, engine=engine, scopes=scopes,
                  mappings=maps)


def write_reports(result: Assessment, outdir: Path, formats: list[str], *, scale: str = "scampi") -> list[Path]:
    data = result.to_dict()
    if scale == "cmmi-v2":
        data = relabel(data)
    return [export(data, Path(outdir) / FORMATS[f][0], f) for f in formats]


def relabel(data: dict) -> dict:
    """A copy of the JSON result with CMMI V2.0 labels (FM/LM/PM/DM/NY)."""
    import copy

    out = copy.deepcopy(data)
    for p in out["projects"]:
        for pr in p["practices"]:
            pr["characterization"] = CMMI_V2_LABELS[pr["characterization"]]
    for pr in out["organization"]["practices"]:
        pr["characterization"] = CMMI_V2_LABELS[pr["characterization"]]
        pr["instances"] = {CMMI_V2_LABELS[k]: v for k, v in pr["instances"].items()}
    for rec in [r for p in out["projects"] for r in p.get("levels", [])] + out["organization"].get("levels", []):
        rec["scale_note"] = V2_NOTE
    out["scale"] = "cmmi-v2"
    return out


def _level_text(rec: dict) -> str:
    if rec["capability_level"] == "not_rated":
        text = f"not rated (at least {rec['at_least']})"
    else:
        text = rec["capability_level"]
    ready = {"satisfied": "yes", "unsatisfied": "no", "not_rated": "not rated"}
    text += f", ML2 {ready[rec['ml2']]}, ML3 {ready[rec['ml3']]}"
    if rec.get("judgment_required"):
        text += " (subject to team judgment)"
    return f"{rec['process_area']} {text}"


def level_lines(data: dict, scale: str = "scampi") -> list[str]:
    """Capability levels per process area, when generic practices were assessed."""
    rows = [(p["project"], p.get("levels", [])) for p in data["projects"]]
    rows.append(("organization", data["organization"].get("levels", [])))
    if not any(rec["goals"]["GG2"] != "absent" for _, recs in rows for rec in recs):
        return []
    out = ["capability levels (CMMI v1.3: specific goals, GG2, GG3):"]
    if scale == "cmmi-v2" or data.get("scale") == "cmmi-v2":
        out[0] = "levels (CMMI V2.0 scale, derived from [MEM] sources: see levels[].scale_note in the JSON):"
    for name, recs in rows:
        if recs:
            out.append(f"  {name[:24]:24} " + "; ".join(_level_text(r) for r in recs))
    return out


def summary_text(result: Assessment, *, scale: str = "scampi") -> str:
    """The short table printed after an assessment."""
    labels = CMMI_V2_LABELS if scale == "cmmi-v2" else {k: k for k in CMMI_V2_LABELS}
    order = ["FI", "LI", "PI", "NI", "NY", "NA"]
    data = result.to_dict()
    lines = []
    files = data["input"]["files"]
    rows = sum(f["rows_read"] for f in files)
    acc = sum(f["rows_accepted"] for f in files)
    rej = sum(f["rows_rejected"] for f in files)
    skp = sum(f["rows_skipped"] for f in files)
    why = {k: sum(f.get("skipped", {}).get(k, 0) for f in files) for k in ("blank", "heading", "placeholder", "other_sheet")}
    detail = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in why.items() if n)
    lines.append(f"{len(files)} file(s): {rows} rows read, {acc} accepted, {rej} rejected, {skp} skipped"
                 + (f" ({detail})" if detail else ""))
    lines.append("rulesets: " + ", ".join(r["id"] for r in data["rulesets"]))
    head = f"{'project':24} {'coverage':>8}  " + " ".join(f"{labels[k]:>3}" for k in order) + "  goals satisfied"
    lines.append(head)
    lines.append("-" * len(head))
    for p in data["projects"]:
        counts = {k: 0 for k in order}
        for pr in p["practices"]:
            counts[pr["characterization"]] += 1
        sat = sum(g["rating"] == "satisfied" for g in p["goals"])
        cov = "-" if p["coverage"] is None else f"{p['coverage'] * 100:.0f}%"
        lines.append(f"{p['project'][:24]:24} {cov:>8}  " + " ".join(f"{counts[k]:>3}" for k in order)
                     + f"  {sat}/{len(p['goals'])}")
    org = data["organization"]
    counts = {k: 0 for k in order}
    for pr in org["practices"]:
        counts[pr["characterization"]] += 1
    sat = sum(g["rating"] == "satisfied" for g in org["goals"])
    judg = sum(pr["judgment_required"] for pr in org["practices"])
    lines.append("-" * len(head))
    lines.append(f"{'organization':24} {'':>8}  " + " ".join(f"{counts[k]:>3}" for k in order) + f"  {sat}/{len(org['goals'])}")
    if judg:
        lines.append(f"{judg} organization-level characterization(s) include PI/NI instances: judgment_required, the appraisal team decides")
    lines.extend(level_lines(data, scale))
    if data["input"]["rejected"]:
        lines.append(f"{len(data['input']['rejected'])} rejected row(s): see input.rejected in assessment.json")
    return "\n".join(lines)
