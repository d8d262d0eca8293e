"""Orchestration used by the CLI and by callers who start from file names."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from .assessment import Assessment, assess
from .errors import EvidenceError, EvidenceFileError
from .evidence import load_evidence
from .exporters import FORMATS, export, relabel, summary
from .paths import unique_files
from .generic import parse_areas
from .model import Ruleset
from .ruleset import load_bridge, load_mappings, load_ruleset, shipped_ids, tailoring_applies_to


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
                   input_warnings: list[dict] | None = None,
                   apply_to: str | tuple[str, ...] | None = None, bridge: bool = True,
                   legend_file: Path | None = None, options: dict | None = None,
                   progress: Callable[[str], None] | None = None) -> Assessment:
    """Load, assess and return. Any unreadable file raises (nothing is assessed from half the input).

    ``progress(message)`` is told what the run is doing before each long stage.

    A file reached more than once in ``files`` is read once, with a warning in
    ``input.warnings`` (after ``input_warnings``, the warnings of an earlier path check).

    Without ``rulesets``, each project is assessed against the shipped rulesets its own
    accepted evidence refers to (so a transition project's ITIL evidence does not make every
    other project "not implemented" on ITIL practices); rows carried by the CMMI V2.0/V3.0
    bridge refer to the ruleset of the practice they reach. ``bridge=False`` turns the bridge
    off; ``mappings_file`` adds to it. ``legend_file``: marks of the document x practice matrix.
    ``apply_to``: process areas a generic ruleset is applied to (default: its own list, or the
    tailoring file's ``applies_to``). ``options``: recorded in the run manifest.
    """
    say = progress or (lambda message: None)
    files, duplicates = unique_files(files)
    selected, auto = select_rulesets(rulesets or [], resolve_areas(apply_to, tailoring))
    extra = load_mappings(mappings_file) if mappings_file else ()
    say(f"reading {len(files)} evidence file(s)")
    evidence = load_evidence(files, selected, project=project, layout=layout, mappings=extra, limits=limits,
                             **evidence_options(bridge, legend_file))
    if evidence.errors:
        raise EvidenceError(evidence.errors)
    empty = [f for f in evidence.files if f.layout == "none"]
    if empty:
        raise EvidenceError([no_table_error(f) for f in empty])
    say(f"assessing {evidence.table['project'].nunique() if len(evidence.table) else 0:,} project(s) "
        f"from {len(evidence.table):,} evidence item(s)")
    result = assess_loaded(evidence, selected, auto=auto, extra=extra, tailoring=tailoring, as_of=as_of, reuse=reuse,
                           engine=engine, options=options)
    result.data["input"].setdefault("warnings", [])[:0] = [*(input_warnings or ()), *duplicates]
    return result


def resolve_areas(apply_to, tailoring) -> tuple[str, ...]:
    """Process areas for generic rulesets: ``apply_to``, else the tailoring file's ``applies_to``."""
    areas = parse_areas(apply_to)
    if not areas and isinstance(tailoring, (str, Path)):
        areas = tailoring_applies_to(tailoring)
    return areas


def evidence_options(bridge: bool = True, legend_file: Path | None = None) -> dict:
    """The ``load_evidence`` keywords for the CMMI V2.0/V3.0 bridge and a matrix legend file."""
    from .evidence.matrix import load_legend

    return {"bridge": load_bridge(), "use_bridge": bridge,
            "legend": load_legend(legend_file) if legend_file else None}


def no_table_error(report) -> EvidenceFileError:
    """The error for a file in which no sheet holds an evidence table."""
    return EvidenceFileError(
        report.path, f"no evidence table found: no sheet has a header row with practice and work product columns (or a "
                     f"PIID / OEdb / matrix / observations header) in its first 20 rows; {report.rows_read} row(s) read")


def assess_loaded(evidence, selected: list, *, auto: bool, extra: tuple = (), tailoring=None,
                  as_of: dt.date | None = None, reuse: bool = True, engine: str = "auto",
                  options: dict | None = None) -> Assessment:
    """Assess evidence already loaded against ``selected`` rulesets (``auto``: narrowed to those it refers to)."""
    scopes = None
    if auto:
        used = set(evidence.table["ruleset"].unique()) if len(evidence.table) else set()
        selected = [rs for rs in selected if rs.id in used] or selected
        scopes = {p: set(g.unique()) for p, g in evidence.table.groupby("project")["ruleset"]}
    maps = load_mappings(None, selected, strict=False) + tuple(
        m for m in extra if {m.from_, m.to} <= {p.id for rs in selected for p in rs.practices})
    return assess(selected, evidence, tailoring=tailoring, as_of=as_of, reuse=reuse, engine=engine, scopes=scopes,
                  mappings=maps, options=options)


def report_data(result: Assessment, *, scale: str = "scampi") -> dict:
    """The plain records every exporter reads: the JSON result, relabelled for ``scale``."""
    data = result.data
    return relabel(data) if scale == "cmmi-v2" else data


def write_reports(result: Assessment | dict, outdir: Path, formats: list[str], *, scale: str = "scampi",
                  pretty: bool = False, stem: str | None = None) -> list[Path]:
    """Write each format's report into ``outdir``; ``pretty`` indents the JSON; ``stem`` replaces
    the name before the first dot (``portfolio`` -> portfolio.json, portfolio.xlsx, ...)."""
    data = result if isinstance(result, dict) else report_data(result, scale=scale)
    out = []
    for f in formats:
        name = FORMATS[f][0]
        if stem:
            name = stem + name[name.index("."):]
        out.append(export(data, Path(outdir) / name, f, pretty=pretty))
    return out


def summary_text(result: Assessment | dict, *, scale: str = "scampi") -> str:
    """The short table printed after an assessment (see :mod:`iwm_rules.exporters.summary`)."""
    data = result if isinstance(result, dict) else report_data(result, scale=scale)
    return summary.render(data, scale=scale)
