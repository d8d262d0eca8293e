"""The parts of ``assessment.xlsx`` beyond the characterizations: capability levels and input
notes on the Summary sheet, the appraisal team's notes (*Team notes*, *Disagreements*) and the
portfolio extras of a batch result (*Portfolio*).

Everything is read from the plain JSON result; nothing here rates or counts anew (the portfolio
figures are the result's ``portfolio`` records).
"""
from __future__ import annotations

from . import tables as T
from . import view
from .xlsx_book import Book

#: warnings listed on the Summary sheet (every one is also on the Rejected sheet)
MAX_SUMMARY_WARNINGS = 200
#: most frequent gaps listed on the Portfolio sheet
MAX_PORTFOLIO_GAPS = 500
LEVEL_COLUMNS = ["project", "process area", "capability level", "at least", "ML2", "ML3", "specific goals", "GG2",
                 "GG3", "subject to team judgment", "note"]


# ---- Summary: capability levels -------------------------------------------------------------------------------

def levels(book: Book, ws, r: int, data: dict) -> int:
    """The capability-level table (projects, then the organization); returns the next free row.

    Shown when generic practices were assessed (a GG2 rating exists); otherwise one line says
    why there is no level to show."""
    cell = book.cell
    rows = view.level_rows(data)
    has_levels = any(p.get("levels") for p in data.get("projects", [])) or (data.get("organization") or {}).get("levels")
    if not rows:
        if has_levels:
            cell(ws, r, 0, "Capability levels: generic practices were not assessed (add -r cmmi-generic --apply-to "
                           "IWM,WP); specific goals alone reach at most CL1.")
            return r + 2
        return r
    cell(ws, r, 0, "Capability levels (CMMI v1.3: specific goals, GG2, GG3) and ML2/ML3 readiness", book.section)
    r += 1
    ws.set_row(r, 30)
    book.header_row(ws, r, LEVEL_COLUMNS)
    for name, recs, is_org in rows:
        for rec in recs:
            r += 1
            level = rec.get("capability_level", "")
            judged = bool(rec.get("judgment_required"))
            goals = rec.get("goals") or {}
            cell(ws, r, 0, "organization" if is_org else name, book.bold if is_org else None)
            cell(ws, r, 1, rec.get("process_area", ""))
            cell(ws, r, 2, (level.replace("_", " ") + ("*" if judged else "")), book.levels.get(level))
            cell(ws, r, 3, rec.get("at_least", ""), book.levels.get(rec.get("at_least", "")))
            for c, key in ((4, "ml2"), (5, "ml3")):
                value = rec.get(key, "")
                cell(ws, r, c, value.replace("_", " "), book.ratings.get(value))
            for c, key in ((6, "specific"), (7, "GG2"), (8, "GG3")):
                value = goals.get(key, "")
                cell(ws, r, c, value.replace("_", " "), book.ratings.get(value))
            cell(ws, r, 9, "yes" if judged else "", book.flag if judged else None)
            cell(ws, r, 10, " ".join(filter(None, (rec.get("note"), rec.get("scale_note")))))
    r += 1
    cell(ws, r, 0, "* subject to team judgment: an organization-level characterization mixes PI/NI instances. "
                   "not rated: a goal is not rated; 'at least' is the level the satisfied goals reach.")
    return r + 2


# ---- Summary: input notes --------------------------------------------------------------------------------------

def input_notes(book: Book, ws, r: int, data: dict) -> int:
    """Warnings about the input and the CMMI V2.0/V3.0 bridge; returns the next free row."""
    cell = book.cell
    inp = data.get("input") or {}
    warnings = [w for w in inp.get("warnings") or () if isinstance(w, dict)]
    cell(ws, r, 0, f"Input warnings ({len(warnings)})", book.section)
    r += 1
    if warnings:
        book.header_row(ws, r, ["file", "kind", "sheet", "message"])
        for w in warnings[:MAX_SUMMARY_WARNINGS]:
            r += 1
            cell(ws, r, 0, w.get("file", ""))
            cell(ws, r, 1, (w.get("kind") or "").replace("_", " "))
            cell(ws, r, 2, w.get("sheet", ""))
            cell(ws, r, 3, w.get("message", ""))
        if len(warnings) > MAX_SUMMARY_WARNINGS:
            r += 1
            cell(ws, r, 0, f"... and {len(warnings) - MAX_SUMMARY_WARNINGS} more: the Rejected sheet lists them all")
    else:
        cell(ws, r, 0, "none")
    r += 2
    bridge = inp.get("bridge")
    used = [m for m in data.get("mappings_used") or () if m.get("bridge")]
    if isinstance(bridge, dict) or used:
        bridge = bridge or {}
        cell(ws, r, 0, "CMMI V2.0/V3.0 bridge (derived, not an official model mapping)", book.section)
        r += 1
        state = "on" if bridge.get("enabled") else "off (--no-bridge)"
        reached = ", ".join(f"{k} ({n})" for k, n in (bridge.get("rulesets") or {}).items()) or "no ruleset"
        cell(ws, r, 0, f"{state}: {bridge.get('rows', 0)} evidence row(s), {bridge.get('items', 0)} item(s) "
                       f"reached {reached}")
        r += 1
        if used:
            book.header_row(ws, r, ["bridge row: from", "to", "relationship", "rows", "note", "source"])
            for m in used:
                r += 1
                for c, v in enumerate((m.get("from", ""), m.get("to", ""), m.get("relationship", ""), m.get("rows"),
                                       m.get("note", ""), m.get("source", ""))):
                    cell(ws, r, c, v)
        r += 2
    return r


# ---- Team notes and Disagreements ----------------------------------------------------------------------------

def team_notes(book: Book, data: dict) -> None:
    ws = book.sheet("Team notes", [14, 14, 12, 10, 15, 60, 10, 10, 34, 34, 12, 7], wrap=(5, 8))
    fmts = {4: book.notes.get, 6: book.label_format, 7: book.label_format}
    ws, r = book.table(ws, 0, T.NOTE_COLUMNS, T.note_rows(data), formats=fmts)
    book.cell(ws, r + 1, 0, "The appraisal team's strengths and recommendations (opportunities for improvement) per "
                            "practice, with the row they came from. They never change a characterization: "
                            "weaknesses lower it, strengths do not raise it. recorded: the team's own characterization.")
    if r == 1:
        book.cell(ws, r + 2, 0, "No strength or recommendation is recorded in the evidence.")


def disagreements(book: Book, data: dict) -> None:
    ws = book.sheet("Disagreements", [14, 14, 12, 10, 12, 12, 70, 34, 12, 7], wrap=(6,))
    fmts = {3: book.label_format, 4: book.label_format, 5: book.label_format}
    ws, r = book.table(ws, 0, T.DISAGREEMENT_COLUMNS, T.disagreement_rows(data), formats=fmts)
    book.cell(ws, r + 1, 0, "Every practice whose recorded characterization (the appraisal team's) differs from the "
                            "one the evidence supports, with the reason; check these before a readiness review.")
    if r == 1:
        book.cell(ws, r + 2, 0, "No disagreement: every recorded characterization matches the evidence, or none "
                                "is recorded.")


# ---- Portfolio (batch results) ----------------------------------------------------------------------------------

def is_portfolio(data: dict) -> bool:
    return "portfolio" in data or "failed_files" in data


def portfolio_line(data: dict) -> str:
    failed = data.get("failed_files") or []
    return (f"Portfolio: {len(data.get('projects', []))} project(s); {len(failed)} failed file(s); "
            "most frequent gaps and the coverage distribution: Portfolio sheet")


def portfolio(book: Book, data: dict) -> None:
    ws = book.sheet("Portfolio", [48, 16, 20, 44, 10, 10], wrap=())
    cell = book.cell
    summary = data.get("portfolio") or {}
    failed = data.get("failed_files") or []
    cell(ws, 0, 0, "Portfolio", book.title)
    r = 2
    cell(ws, r, 0, f"Failed files ({len(failed)})", book.section)
    r += 1
    if failed:
        book.header_row(ws, r, ["file", "reason"])
        for f in failed:
            r += 1
            cell(ws, r, 0, f.get("file", ""))
            cell(ws, r, 1, f.get("reason", ""))
    else:
        cell(ws, r, 0, "none: every file was read")
    r += 2
    dist = summary.get("coverage_distribution") or {}
    cell(ws, r, 0, "Coverage distribution (projects per tenth of coverage)", book.section)
    r += 1
    for k in ("projects", "with_coverage", "mean", "median", "min", "max"):
        if k in dist:
            cell(ws, r, 0, k.replace("_", " "), book.bold)
            v = dist[k]
            cell(ws, r, 1, v, book.pct if k not in ("projects", "with_coverage") and v is not None else None)
            r += 1
    bins = dist.get("bins") or []
    if bins:
        r += 1
        top = r
        book.header_row(ws, r, ["coverage", "projects"])
        for b in bins:
            r += 1
            last = b is bins[-1]
            cell(ws, r, 0, f"{view.pct(b.get('from'))} to {'' if last else 'under '}{view.pct(b.get('to'))}")
            cell(ws, r, 1, b.get("projects", 0))
        chart = book.wb.add_chart({"type": "column"})
        chart.add_series({"name": "projects", "categories": [ws.name, top + 1, 0, r, 0],
                          "values": [ws.name, top + 1, 1, r, 1], "fill": {"color": "#2F6FB3"}, "gap": 40})
        chart.set_title({"name": "Projects per coverage band", "name_font": {"size": 11}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"name": "projects", "major_gridlines": {"visible": True, "line": {"color": "#E3E8EE"}}})
        chart.set_size({"width": 620, "height": 260})
        ws.insert_chart(top, 2, chart, {"x_offset": 10})
        r = max(r, top + 13)
    r += 2
    gaps = summary.get("most_frequent_gaps") or []
    cell(ws, r, 0, f"Most frequent gaps across projects ({min(len(gaps), MAX_PORTFOLIO_GAPS)} of {len(gaps)})",
         book.section)
    r += 1
    names = {(rs["id"], p["id"], w["id"]): w["name"] for rs in data.get("catalogue") or () for g in rs["goals"]
             for p in g["practices"] for w in p["work_products"]}
    book.header_row(ws, r, ["practice", "ruleset", "kind", "work product", "projects", "share"])
    for g in gaps[:MAX_PORTFOLIO_GAPS]:
        r += 1
        wp = g.get("work_product") or ""
        for c, v in enumerate((g.get("practice", ""), g.get("ruleset", ""), (g.get("kind") or "").replace("_", " "),
                               names.get((g.get("ruleset"), g.get("practice"), wp), wp), g.get("projects"))):
            cell(ws, r, c, v)
        cell(ws, r, 5, g.get("share"), book.pct)
