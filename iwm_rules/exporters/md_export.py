"""assessment.md: a short Markdown summary that fits a pull-request comment.

Totals, one table row per project, the most urgent gaps (bounded), and a relative link to the
full HTML report. Every cell is escaped (``|``, Markdown and HTML characters; newlines folded)
so evidence text cannot break the table or inject markup.
"""
from __future__ import annotations

import re
from pathlib import Path

from . import view
from .labels import MEANING

#: the HTML report, written beside this file by ``-f html``
REPORT_LINK = "assessment.html"
MAX_PROJECTS = 100
MAX_GAPS = 15
MAX_CELL = 180

#: characters with a meaning inside a table cell line (the rest only matter at a line start)
_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def cell(value, limit: int = MAX_CELL) -> str:
    """Text safe in a Markdown table cell: one line, markup escaped, at most ``limit`` characters."""
    text = " ".join(str("" if value is None else value).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # a word joiner after '@' keeps evidence text from mentioning people in a pull-request comment
    return _SPECIAL.sub(r"\\\1", text).replace("@", "@\u2060")


def _table(headers: list[str], rows: list[list[str]], right: set[int] = frozenset()) -> list[str]:
    out = ["| " + " | ".join(headers) + " |",
           "|" + "|".join("---:" if i in right else "---" for i in range(len(headers))) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def render(data: dict) -> str:
    order = view.label_order(data)
    projects = data.get("projects", [])
    practices = [pr for p in projects for pr in p.get("practices", [])]
    counts = view.count_labels(practices)
    files = data.get("input", {}).get("files", [])
    rejected = data.get("input", {}).get("rejected", [])
    org_goals = data.get("organization", {}).get("goals", [])
    sat, total = view.goals_satisfied(org_goals)
    coverage = view.overall_coverage(data)
    threshold = view.fail_under(data)

    lines = ["## iwm-rules assessment", ""]
    rulesets = ", ".join(f"{cell(r['id'])} ({cell(r.get('version', ''))})" for r in data.get("rulesets", []))
    lines.append(f"As of **{cell(data.get('as_of', ''))}** · rulesets: {rulesets}")
    lines.append("")
    summary = (f"**{len(projects)}** project(s), **{len(practices)}** practice instance(s), "
               f"overall coverage **{view.pct(coverage, 1)}**")
    if threshold is not None:
        passed = coverage is not None and coverage * 100 >= threshold
        summary += f" ({'meets' if passed else 'below'} `--fail-under {threshold:g}`%)"
    lines.append(summary + f", organization goals satisfied **{sat}/{total}**.")
    lines.append("")
    lines += _table(order, [[str(counts.get(k, 0)) for k in order]], right=set(range(len(order))))
    lines.append("")
    rows_read = sum(f.get("rows_read", 0) for f in files)
    lines.append(f"{len(files)} file(s): {rows_read} rows read, {sum(f.get('rows_accepted', 0) for f in files)} accepted, "
                 f"{len(rejected)} rejected, {sum(f.get('rows_skipped', 0) for f in files)} skipped.")
    bridge = data.get("input", {}).get("bridge") or {}
    if bridge.get("rows"):
        reached = ", ".join(f"{cell(k)} ({n})" for k, n in (bridge.get("rulesets") or {}).items())
        lines += ["", f"CMMI V2.0/V3.0 bridge (derived, not an official model mapping): {bridge['rows']} row(s) "
                      f"reached {reached}."]
    warnings = data.get("input", {}).get("warnings") or []
    if warnings:
        kinds: dict[str, int] = {}
        for w in warnings:
            k = (w.get("kind") if isinstance(w, dict) else None) or "other"
            kinds[k] = kinds.get(k, 0) + 1
        lines += ["", f"{len(warnings)} input warning(s): "
                      + ", ".join(f"{n} {cell(k.replace('_', ' '), 40)}" for k, n in sorted(kinds.items())) + "."]
    lines += ["", "### Projects", ""]
    rows = []
    for p in projects[:MAX_PROJECTS]:
        c = view.count_labels(p.get("practices", []))
        s, t = view.goals_satisfied(p.get("goals", []))
        rows.append([cell(p["project"], 60), view.pct(p.get("coverage"))] + [str(c.get(k, 0)) for k in order]
                    + [f"{s}/{t}"])
    if rows:
        lines += _table(["Project", "Coverage", *order, "Goals satisfied"], rows, right=set(range(1, len(order) + 3)))
    else:
        lines.append("No project assessed: no evidence row was accepted.")
    if len(projects) > MAX_PROJECTS:
        lines += ["", f"… and {len(projects) - MAX_PROJECTS} more project(s) in the full report."]

    levels = view.level_rows(data)
    if levels:
        areas = sorted({r.get("process_area", "") for _, recs, _ in levels for r in recs})
        ready = {"satisfied": "yes", "unsatisfied": "no"}
        rows = []
        for name, recs, is_org in [r for r in levels if not r[2]][:MAX_PROJECTS] + [r for r in levels if r[2]]:
            by_area = {r.get("process_area"): r for r in recs}
            rows.append([("**organization**" if is_org else cell(name, 60))] + [
                "–" if a not in by_area else
                cell(f"{view.level_text(by_area[a])}{'*' if by_area[a].get('judgment_required') else ''}, "
                     f"ML2 {ready.get(by_area[a].get('ml2'), 'not rated')}, ML3 {ready.get(by_area[a].get('ml3'), 'not rated')}")
                for a in areas])
        lines += ["", "### Capability levels", ""]
        lines += _table(["Project", *[cell(a, 20) for a in areas]], rows)
        if any(r.get("judgment_required") for _, recs, _ in levels for r in recs):
            lines += ["", "\\* subject to team judgment."]

    lines += _team_lines(data)
    lines += _portfolio_lines(data)

    gaps = sorted(view.gap_rows(data), key=lambda g: view.severity_rank(g["severity"]))
    lines += ["", f"### Top gaps ({min(len(gaps), MAX_GAPS)} of {len(gaps)})", ""]
    if gaps:
        lines += _table(["Severity", "Project", "Practice", "Kind", "Gap"],
                        [[cell(g["severity"], 20), cell(g["project"], 40), cell(g["practice"], 40),
                          cell(g["kind"].replace("_", " "), 30), cell(g["message"])] for g in gaps[:MAX_GAPS]])
    else:
        lines.append("No gaps.")
    lines += ["", "Legend: " + ", ".join(f"{k} {MEANING.get(k, k).lower()}" for k in order) + ".", "",
              f"Full report: [{REPORT_LINK}]({REPORT_LINK}) (every gap with its suggested action, the heat map, "
              "rejected rows).", ""]
    return "\n".join(lines)


def _team_lines(data: dict) -> list[str]:
    """The appraisal team's recorded characterizations that the evidence does not support (a list),
    and how many strengths and recommendations the team recorded."""
    dis = data.get("disagreements") or []
    practices = [pr for p in data.get("projects", []) for pr in p.get("practices", [])]
    n_s = sum(len(pr.get("strengths") or ()) for pr in practices)
    n_r = sum(len(pr.get("recommendations") or ()) for pr in practices)
    if not dis and not n_s and not n_r and not any(pr.get("recorded") for pr in practices):
        return []
    out = ["", f"### Recorded vs evidence ({len(dis)} disagreement(s))", ""]
    for d in dis[:MAX_GAPS]:
        out.append(f"- **{cell(d['project'], 40)} {cell(d['practice'], 30)}**: recorded {cell(d.get('recorded_as') or d['recorded'], 20)}, "
                   f"evidence supports {cell(d['characterization'], 4)}: {cell(d.get('reason', ''))}")
    if len(dis) > MAX_GAPS:
        out.append(f"- … and {len(dis) - MAX_GAPS} more in the full report.")
    if not dis:
        out.append("Every recorded characterization matches the evidence.")
    out += ["", f"The appraisal team recorded {n_s} strength(s) and {n_r} recommendation(s); they never change a "
                "characterization."]
    return out


def _portfolio_lines(data: dict) -> list[str]:
    """Batch results: failed files and the gaps most projects share."""
    if "portfolio" not in data and "failed_files" not in data:
        return []
    failed = data.get("failed_files") or []
    out = ["", "### Portfolio", ""]
    dist = (data.get("portfolio") or {}).get("coverage_distribution") or {}
    if dist:
        out.append(f"Project coverage: median {view.pct(dist.get('median'))}, mean {view.pct(dist.get('mean'))}, "
                   f"min {view.pct(dist.get('min'))}, max {view.pct(dist.get('max'))} "
                   f"({dist.get('with_coverage', 0)} of {dist.get('projects', 0)} project(s) with a coverage figure).")
        out.append("")
    out.append(f"{len(failed)} failed file(s)" + (":" if failed else "."))
    for f in failed[:MAX_GAPS]:
        out.append(f"- `{cell(f.get('file', ''), 120).replace('`', '')}`: {cell(f.get('reason', ''))}")
    if len(failed) > MAX_GAPS:
        out.append(f"- … and {len(failed) - MAX_GAPS} more in portfolio.json.")
    gaps = (data.get("portfolio") or {}).get("most_frequent_gaps") or []
    if gaps:
        out += ["", "Most frequent gaps:", ""]
        out += _table(["Practice", "Kind", "Work product", "Projects", "Share"],
                      [[cell(g.get("practice", ""), 30), cell((g.get("kind") or "").replace("_", " "), 30),
                        cell(g.get("work_product") or "", 40), str(g.get("projects", "")), view.pct(g.get("share"))]
                       for g in gaps[:MAX_GAPS // 3 or 1]], right={3, 4})
    return out


def write(data: dict, path: Path) -> None:
    Path(path).write_text(render(data), encoding="utf-8")
