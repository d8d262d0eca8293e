"""Orchestration used by the CLI and by callers who start from file names."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from .assessment import Assessment, as_rulesets, assess
from .errors import EvidenceError, EvidenceFileError
from .evidence import load_evidence
from .exporters import FORMATS, export
from .model import CMMI_V2_LABELS
from .ruleset import load_mappings, load_ruleset, shipped_ids


def select_rulesets(requested: list) -> tuple[list, bool]:
    """(rulesets, auto): the requested ones, or every shipped ruleset when none is named."""
    if requested:
        return as_rulesets(requested), False
    return [load_ruleset(p) for p in shipped_ids().values()], True


def run_assessment(files: list[Path], *, rulesets: list | None = None, tailoring=None, as_of: dt.date | None = None,
                   project: str | None = None, layout: str = "auto", reuse: bool = True,
                   engine: str = "auto", mappings_file: Path | None = None, limits=None) -> Assessment:
    """Load, assess and return. Any unreadable file raises (nothing is assessed from half the input).

    Without ``rulesets``, each project is assessed against the shipped rulesets its own
    accepted evidence refers to (so a transition project's ITIL evidence does not make every
    other project "not implemented" on ITIL practices).
    """
    selected, auto = select_rulesets(rulesets or [])
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
    out["scale"] = "cmmi-v2"
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
    for w in data["input"].get("warnings", []):
        if w.get("kind") == "tailoring_unknown_project":
            lines.append("warning: " + w["message"])
    if data["input"]["rejected"]:
        lines.append(f"{len(data['input']['rejected'])} rejected row(s): see input.rejected in assessment.json")
    return "\n".join(lines)
