"""A diff (:func:`iwm_rules.diff.diff_results`) as Markdown, JSON or an xlsx workbook.

Plain records in, text or file out; nothing is computed here. The workbook is written with
xlsxwriter ``write_string`` for every text cell, so no value is ever stored as a formula.
"""
from __future__ import annotations

import json
from pathlib import Path

DIFF_FORMATS = ("md", "json", "xlsx")


def _pct(v) -> str:
    return "-" if v is None else f"{v * 100:.1f}%"


def _pts(v) -> str:
    """One decimal, like :func:`_pct`: whole numbers rounded apart read as '18% -> 21% (+4 pts)'."""
    return "-" if v is None else f"{v * 100:+.1f} pts"


def _cell(v) -> str:
    return "-" if v is None else str(v).replace("|", "\\|").replace("\n", " ")


def to_json(d: dict) -> str:
    return json.dumps(d, indent=2, ensure_ascii=False) + "\n"


def to_markdown(d: dict) -> str:
    s = d["summary"]
    lines = [f"# Assessment diff: {d['old']['file']} -> {d['new']['file']}", "",
             f"As of {d['old']['as_of']} -> {d['new']['as_of']}; projects {d['old']['projects']} -> {d['new']['projects']}.",
             "", "| improved | regressed | unchanged | rescoped | practices added | practices removed | gaps closed | gaps opened |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|",
             f"| {s['improved']} | {s['regressed']} | {s['unchanged']} | {s['rescoped']} | {s['added']} | {s['removed']} "
             f"| {s['gaps_closed']} | {s['gaps_opened']} |", ""]
    if d["projects_added"]:
        lines += ["Projects added: " + ", ".join(d["projects_added"]), ""]
    if d["projects_removed"]:
        lines += ["Projects removed: " + ", ".join(d["projects_removed"]), ""]
    org = d["organization"]
    lines += ["## Organization", "", f"Coverage {_pct(org['coverage']['old'])} -> {_pct(org['coverage']['new'])} "
              f"({_pts(org['coverage']['change'])}).", ""]
    moved = [p for p in org["practices"] if p["change"] != "unchanged"]
    if moved:
        lines += ["| ruleset | practice | old | new | change |", "|---|---|---|---|---|"]
        lines += [f"| {_cell(p['ruleset'])} | {_cell(p['practice'])} | {_cell(p['old'])} | {_cell(p['new'])} | {p['change']} |"
                  for p in moved]
    else:
        lines.append("No organization-level characterization changed.")
    goals = [g for g in org["goals"] if g["old"] != g["new"]]
    if goals:
        lines += ["", "| goal | old rating | new rating |", "|---|---|---|"]
        lines += [f"| {_cell(g['goal'])} | {_cell(g['old'])} | {_cell(g['new'])} |" for g in goals]
    lines.append("")
    for p in d["projects"]:
        moved = [x for x in p["practices"] if x["change"] != "unchanged"]
        if p["status"] == "both" and not moved and not p["gaps_closed"] and not p["gaps_opened"] \
                and not p["coverage"]["change"]:
            continue
        head = {"added": " (added)", "removed": " (removed)"}.get(p["status"], "")
        cov = p["coverage"]
        lines += [f"## {_cell(p['project'])}{head}", "",
                  f"Coverage {_pct(cov['old'])} -> {_pct(cov['new'])} ({_pts(cov['change'])}); "
                  f"{sum(x['change'] == 'unchanged' for x in p['practices'])} practice(s) unchanged.", ""]
        if moved and p["status"] == "both":
            lines += ["| practice | old | new | change |", "|---|---|---|---|"]
            lines += [f"| {_cell(x['practice'])} | {_cell(x['old'])} | {_cell(x['new'])} | {x['change']} |" for x in moved]
            lines.append("")
        for title, key in (("Gaps closed", "gaps_closed"), ("Gaps opened", "gaps_opened")):
            if p[key] and p["status"] == "both":
                lines.append(f"{title}:")
                lines += [f"- {g['practice']} {g['kind']}" + (f" ({g['work_product']})" if g["work_product"] else "")
                          for g in p[key]]
                lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def write_xlsx(d: dict, path: Path) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False})
    bold = wb.add_format({"bold": True})
    pct = wb.add_format({"num_format": "0%"})

    def sheet(name: str, header: list[str], rows):
        ws = wb.add_worksheet(name)
        for c, h in enumerate(header):
            ws.write_string(0, c, h, bold)
        r = 0
        for r, values in enumerate(rows, start=1):
            for c, v in enumerate(values):
                if v is None:
                    continue
                if isinstance(v, (int, float)) and not isinstance(v, bool):
                    ws.write_number(r, c, v, pct if header[c].endswith("coverage") or header[c] == "change (pts)" else None)
                else:
                    ws.write_string(r, c, str(v))
        ws.autofilter(0, 0, max(r, 1), len(header) - 1)
        ws.freeze_panes(1, 0)
        ws.set_column(0, len(header) - 1, 18)

    s = d["summary"]
    sheet("Summary", ["item", "value"], [("old file", d["old"]["file"]), ("new file", d["new"]["file"]),
                                         ("old as_of", d["old"]["as_of"]), ("new as_of", d["new"]["as_of"]),
                                         *((k.replace("_", " "), v) for k, v in s.items())])
    sheet("Organization", ["ruleset", "practice", "old", "new", "change"],
          [(p["ruleset"], p["practice"], p["old"], p["new"], p["change"]) for p in d["organization"]["practices"]])
    sheet("Projects", ["project", "status", "old coverage", "new coverage", "change (pts)"],
          [(p["project"], p["status"], p["coverage"]["old"], p["coverage"]["new"], p["coverage"]["change"])
           for p in d["projects"]])
    sheet("Practices", ["project", "ruleset", "practice", "old", "new", "change"],
          [(p["project"], x["ruleset"], x["practice"], x["old"], x["new"], x["change"])
           for p in d["projects"] for x in p["practices"]])
    sheet("Gaps", ["project", "ruleset", "practice", "kind", "work product", "change"],
          [(p["project"], g["ruleset"], g["practice"], g["kind"], g["work_product"], what)
           for p in d["projects"] for what, key in (("closed", "gaps_closed"), ("opened", "gaps_opened"))
           for g in p[key]])
    wb.close()


def write(d: dict, path: Path, fmt: str) -> Path:
    """Write the diff to ``path`` atomically."""
    from .exporters import atomic_write

    if fmt == "xlsx":
        return atomic_write(path, lambda tmp: write_xlsx(d, tmp))
    text = to_json(d) if fmt == "json" else to_markdown(d)
    return atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
