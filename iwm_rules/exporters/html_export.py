"""assessment.html: one self-contained page for managers and appraisal teams.

Overview cards, coverage per goal and per practice as inline SVG charts, the projects x
practices heat map grouped by ruleset and goal, the gap list with client-side filters (a few
lines of inline JavaScript), rejected rows, input files, warnings and the legend. No external
resource of any kind (a Content-Security-Policy forbids them too), so it works offline; a print
stylesheet lays it out on landscape pages.

The page reads only the JSON result. Large results stay small and fast: the heat map shows at most
:data:`MAX_HEATMAP_PROJECTS` projects (the lowest coverage first) and the lists at most
:data:`MAX_ROWS` rows, and the page says so; the complete tables are in the xlsx and csv reports.
Rendered with Jinja2, autoescaping every value.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

from . import html_charts as charts
from . import html_notes as notes
from . import view
from .labels import COLOURS, LEVEL_COLOURS, MEANING, NOTE_COLOURS, RATING_COLOURS, colour

TEMPLATES = Path(__file__).with_name("templates")
MAX_HEATMAP_PROJECTS = 200
MAX_ROWS = 2000


@lru_cache(maxsize=1)
def _template():
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True)
    return env.get_template("report.html.j2")


def _columns(data: dict) -> list[dict]:
    """Heat map columns: every assessed practice, grouped by ruleset (result order) then goal, in
    catalogue order (the order of the organization's practices; first seen for any other)."""
    rs_index = {r["id"]: i for i, r in enumerate(data.get("rulesets", []))}
    position = {(o["ruleset"], o["practice"]): i for i, o in enumerate(data.get("organization", {}).get("practices", []))}
    seen: dict[tuple[str, str], dict] = {}
    for p in data.get("projects", []):
        for pr in p.get("practices", []):
            key = (pr["ruleset"], pr["practice"])
            if key not in seen:
                seen[key] = {"ruleset": pr["ruleset"], "goal": pr.get("goal", ""), "practice": pr["practice"],
                             "title": pr.get("title", ""), "pos": position.get(key, len(position) + len(seen))}
    cols = list(seen.values())
    goal_pos: dict[tuple[str, str], int] = {}
    for c in cols:
        g = (c["ruleset"], c["goal"])
        goal_pos[g] = min(goal_pos.get(g, c["pos"]), c["pos"])
    cols.sort(key=lambda c: (rs_index.get(c["ruleset"], len(rs_index)), goal_pos[(c["ruleset"], c["goal"])], c["pos"]))
    return cols


def _spans(cols: list[dict], key) -> list[tuple[str, int]]:
    out: list[list] = []
    for c in cols:
        k = key(c)
        if out and out[-1][0] == k:
            out[-1][1] += 1
        else:
            out.append([k, 1])
    return [(k, n) for k, n in out]


def _heatmap(data: dict, cols: list[dict]) -> dict:
    projects = data.get("projects", [])
    shown = projects
    if len(projects) > MAX_HEATMAP_PROJECTS:
        shown = sorted(projects, key=lambda p: (p.get("coverage") is not None, p.get("coverage") or 0))
        shown = shown[:MAX_HEATMAP_PROJECTS]
    keys = [(c["ruleset"], c["practice"]) for c in cols]
    rows = []
    for p in shown:
        by_key = {(pr["ruleset"], pr["practice"]): pr for pr in p.get("practices", [])}
        cells = []
        for k in keys:
            pr = by_key.get(k)
            if pr is None:
                cells.append(None)
            else:
                t = pr.get("tailoring") or {}
                why = (f"tailored {t.get('kind', '')}: {t.get('justification') or 'no justification'}" if t
                       else f"coverage {view.pct(pr.get('coverage'))}")
                rec = pr.get("recorded")
                differs = bool(rec) and rec != pr["characterization"]
                if differs:
                    why += f"; the appraisal team recorded {pr.get('recorded_as') or rec}"
                cells.append((pr["characterization"], f"{p['project']} · {k[1]}: {pr['characterization']}, {why}",
                              differs))
        rows.append({"project": p["project"], "coverage": view.pct(p.get("coverage")), "cells": cells})
    org = {(o["ruleset"], o["practice"]): o for o in data.get("organization", {}).get("practices", [])}
    org_cells = []
    for k in keys:
        o = org.get(k)
        if o is None:
            org_cells.append(None)
        else:
            inst = ", ".join(f"{n} {lab}" for lab, n in o.get("instances", {}).items() if n)
            note = " (judgment required)" if o.get("judgment_required") else ""
            org_cells.append((o["characterization"], f"organization · {k[1]}: {o['characterization']}{note}; {inst}",
                              bool(o.get("judgment_required"))))
    return {"rows": rows, "org": org_cells, "total": len(projects), "capped": len(projects) > len(shown),
            "rulesets": _spans(cols, lambda c: c["ruleset"]), "goals": _spans(cols, lambda c: (c["ruleset"], c["goal"]))}


def _goal_chart(data: dict, counts: dict) -> dict:
    ratings: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for p in data.get("projects", []):
        for g in p.get("goals", []):
            ratings[(g["ruleset"], g["goal"])][g["rating"]] += 1
    org = {(g["ruleset"], g["goal"]): g["rating"] for g in data.get("organization", {}).get("goals", [])}
    rows = []
    for key, (adequate, required) in counts.items():
        rating = org.get(key, "not_rated")
        r = ratings[key]
        fill, ink = RATING_COLOURS.get(rating, ("BDBDBD", "000000"))
        rows.append({"group": key[0], "label": key[1], "value": view.ratio(adequate, required),
                     "fill": "2F6FB3", "chip": ({"satisfied": "S", "unsatisfied": "U"}.get(rating, "NR"), fill, ink),
                     "note": f"{r['satisfied']}/{sum(r.values())} projects satisfied",
                     "title": f"{key[0]} {key[1]}: organization rating {rating.replace('_', ' ')}; "
                              f"{r['satisfied']} satisfied, {r['unsatisfied']} unsatisfied, {r['not_rated']} not rated"})
    return {"svg": charts.bar_rows(rows, width=760, label_width=170, note_width=170) if rows else None}


def _practice_charts(data: dict, cols: list[dict], counts: dict) -> list[dict]:
    """One small chart per goal: coverage of each practice over the projects assessed on it."""
    assessed: Counter = Counter((pr["ruleset"], pr["practice"]) for p in data.get("projects", [])
                                for pr in p.get("practices", []) if not pr.get("tailoring"))
    org = {(o["ruleset"], o["practice"]): o for o in data.get("organization", {}).get("practices", [])}
    groups: dict[tuple[str, str], list] = {}
    for c in cols:
        key = (c["ruleset"], c["practice"])
        o = org.get(key)
        chip = None
        if o:
            fill, ink = colour(o["characterization"])
            chip = (o["characterization"] + ("*" if o.get("judgment_required") else ""), fill, ink)
        n = assessed[key]
        groups.setdefault((c["ruleset"], c["goal"]), []).append(
            {"label": f"{c['practice']} {c['title']}", "value": view.ratio(*counts[key]), "chip": chip,
             "fill": "2F6FB3", "note": f"{n} proj.", "title": f"{c['practice']} {c['title']}: {n} project(s)"})
    return [{"ruleset": rs, "goal": goal, "svg": charts.bar_rows(rows, width=600, label_width=250, note_width=92)}
            for (rs, goal), rows in groups.items()]


def _gaps(data: dict) -> dict:
    """The gap rows shown (all, or the :data:`MAX_ROWS` most severe in result order) and counts."""
    ranks: list[int] = []
    severities: Counter = Counter()
    for p in data.get("projects", []):
        for pr in p.get("practices", []):
            for g in pr.get("gaps", ()):
                sev = view.gap_severity(pr, g)
                severities[sev] += 1
                ranks.append(view.severity_rank(sev))
    total = len(ranks)
    if total > MAX_ROWS:
        keep = set(sorted(range(total), key=ranks.__getitem__)[:MAX_ROWS])
        rows = list(view.gap_rows(data, keep))
    else:
        rows = list(view.gap_rows(data))
    options = {k: sorted({r[k] for r in rows if r[k]}, key=str.lower) for k in ("project", "ruleset", "practice", "kind")}
    options["severity"] = sorted({r["severity"] for r in rows if r["severity"]}, key=view.severity_rank)
    return {"rows": rows, "total": total, "options": options, "severities": severities}


def _coverage_counts(data: dict) -> tuple[dict, dict]:
    """[adequate, required] required-work-product counts per (ruleset, goal) and per (ruleset, practice),
    in one pass over the result (the numbers every coverage figure in it is the ratio of)."""
    by_goal: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    by_practice: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for p in data.get("projects", []):
        for pr in p.get("practices", []):
            if pr.get("tailoring"):
                continue
            a = r = 0
            for w in pr.get("work_products", ()):
                if w.get("required", True):
                    r += 1
                    a += w.get("state") == "adequate"
            for acc in (by_goal[(pr["ruleset"], pr.get("goal", ""))], by_practice[(pr["ruleset"], pr["practice"])]):
                acc[0] += a
                acc[1] += r
    return by_goal, by_practice


def _levels(data: dict) -> dict | None:
    """Capability levels per process area (rows: projects, then the organization), if assessed."""
    rows = view.level_rows(data)
    if not rows:
        return None
    areas = sorted({r.get("process_area", "") for _, recs, _ in rows for r in recs})
    projects = [r for r in rows if not r[2]]
    shown = projects[:MAX_HEATMAP_PROJECTS] + [r for r in rows if r[2]]
    table = []
    for name, recs, is_org in shown:
        by_area = {r.get("process_area", ""): r for r in recs}
        cells = []
        for a in areas:
            r = by_area.get(a)
            if r is None:
                cells.append(None)
                continue
            goals = ", ".join(f"{k} {str(v).replace('_', ' ')}" for k, v in (r.get("goals") or {}).items())
            title = "; ".join(filter(None, [goals, r.get("note"), r.get("scale_note")]))
            cells.append({"level": view.level_text(r), "key": r.get("capability_level", ""),
                          "ml2": r.get("ml2", "not_rated"), "ml3": r.get("ml3", "not_rated"),
                          "judgment": bool(r.get("judgment_required")), "title": title})
        table.append({"name": name, "org": is_org, "cells": cells})
    notes = sorted({r["scale_note"] for _, recs, _ in rows for r in recs if r.get("scale_note")})
    return {"areas": areas, "rows": table, "notes": notes, "projects": len(projects),
            "shown": min(len(projects), MAX_HEATMAP_PROJECTS), "capped": len(projects) > MAX_HEATMAP_PROJECTS}


def _when(value) -> str:
    """``generated_at`` for people: 2026-11-30 08:17 UTC (the text as given when it does not parse)."""
    try:
        t = dt.datetime.fromisoformat(str(value))
    except (TypeError, ValueError):
        return str(value or "")
    t = t if t.tzinfo else t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def context(data: dict) -> dict:
    """Everything the template shows, as plain values."""
    order = view.label_order(data)
    projects = data.get("projects", [])
    practices = [pr for p in projects for pr in p.get("practices", [])]
    counts = view.count_labels(practices)
    inp = data.get("input", {})
    files = inp.get("files", [])
    org = data.get("organization", {})
    cols = _columns(data)
    goal_ratings = [g for p in projects for g in p.get("goals", [])]
    gaps = _gaps(data)
    by_goal, by_practice = _coverage_counts(data)
    coverage = view.overall_coverage(data)
    rejected = inp.get("rejected", [])
    labels_used = list(order) + [k for k in counts if k not in order]
    return {
        "title": "Gap assessment report",
        "generated": _when(data.get("generated_at")),
        "data": data,
        "order": labels_used,
        "counts": counts,
        "n_projects": len(projects),
        "n_practices": len(practices),
        "n_distinct": len(cols),
        "coverage": coverage,
        "coverage_text": view.pct(coverage, 1),
        "coverage_ring": charts.ring(coverage),
        "org_goals": view.goals_satisfied(org.get("goals", [])),
        "project_goals": view.goals_satisfied(goal_ratings),
        "judgment": sum(bool(o.get("judgment_required")) for o in org.get("practices", [])),
        "fail_under": view.fail_under(data),
        "distribution": charts.stacked_bar([(k, counts.get(k, 0)) for k in labels_used]),
        "goal_chart": _goal_chart(data, by_goal),
        "practice_charts": _practice_charts(data, cols, by_practice),
        "cols": cols,
        "heatmap": _heatmap(data, cols),
        "levels": _levels(data),
        # levels are in the result, but without generic practices they say only CL0/CL1
        "levels_hint": not view.level_rows(data) and any(p.get("levels") for p in projects),
        "gaps": gaps,
        "team": notes.team(data, MAX_ROWS),
        "inputs": notes.inputs(data),
        "portfolio": notes.portfolio(data, MAX_ROWS),
        "level_colours": LEVEL_COLOURS,
        "note_colours": NOTE_COLOURS,
        "rejected": rejected[:MAX_ROWS],
        "n_rejected": len(rejected),
        "files": files,
        "rows": {k: sum(f.get(k, 0) for f in files) for k in ("rows_read", "rows_accepted", "rows_rejected",
                                                             "rows_skipped")},
        "errors": inp.get("errors", []),
        "warnings": inp.get("warnings", []),
        "meaning": MEANING,
        "colours": COLOURS,
        "rating_colours": RATING_COLOURS,
        "max_rows": MAX_ROWS,
        "max_heatmap": MAX_HEATMAP_PROJECTS,
        "pct": view.pct,
        "scale": "CMMI V2.0" if view.is_cmmi_v2(data) else "SCAMPI",
    }


def render(data: dict) -> str:
    return _template().render(**context(data))


def write(data: dict, path: Path) -> None:
    Path(path).write_text(render(data), encoding="utf-8")
