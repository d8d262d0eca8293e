"""Tabular views of the JSON result (DESIGN §7) shared by the xlsx and csv exporters.

Plain records in, rows out: nothing here scores anything; it only lays out what the result
says (which evidence item served which practice is resolved through the ``ref`` indices).
Row functions are generators so that large results stream into their files.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ..evidence.columns import REPORT_INPUT_COLUMNS, REPORT_USE_COLUMNS
from ..evidence_records import column
from .labels import CMMI_V2, ORDER

#: long-layout column names: the Evidence sheet / evidence.csv can be read back by ``assess``
#: the long-layout columns an Evidence sheet / evidence.csv repeats, in this order
EVIDENCE_INPUT_COLUMNS = REPORT_INPUT_COLUMNS
#: what each evidence item served (headers the evidence loader ignores)
EVIDENCE_USE_COLUMNS = REPORT_USE_COLUMNS

PRACTICE_COLUMNS = ("project", "ruleset", "goal", "practice", "title", "characterization", "coverage",
                    "required work products", "adequate", "inadequate", "missing", "findings", "gaps", "tailoring",
                    "recorded", "strengths", "recommendations")
GAP_COLUMNS = ("project", "ruleset", "practice", "goal", "kind", "wp id", "expected work product", "message",
               "suggested action", "severity")
FINDING_COLUMNS = ("project", "ruleset", "practice", "goal", "rule", "kind", "severity", "message", "source rows")
REJECTED_COLUMNS = ("file", "sheet", "row", "column", "value", "reason", "hint")
#: the appraisal team's notes: strengths and recommendations per practice (never gaps)
NOTE_COLUMNS = ("project", "ruleset", "practice", "goal", "kind", "text", "characterization", "recorded", "via",
                "file", "sheet", "row")
#: practices whose recorded characterization the evidence does not support
DISAGREEMENT_COLUMNS = ("project", "ruleset", "practice", "recorded", "recorded as", "evidence supports", "reason",
                        "file", "sheet", "row")
CATALOGUE_COLUMNS = ("ruleset", "version", "goal", "goal title", "practice", "title", "provenance", "source",
                     "affirmation", "wp id", "expected work product", "required", "wp provenance")


def label_order(data: dict) -> tuple[str, ...]:
    """Characterization labels in report order, in the scale the result is written in."""
    return tuple(CMMI_V2[k] for k in ORDER) if data.get("scale") == "cmmi-v2" else ORDER


def practice_order(data: dict) -> list[tuple[str, str, str]]:
    """(ruleset, goal, practice) of every practice in the result, in catalogue order."""
    seen: dict[tuple[str, str], str] = {}
    for p in data["projects"]:
        for pr in p["practices"]:
            seen.setdefault((pr["ruleset"], pr["practice"]), pr["goal"])
    for pr in data["organization"]["practices"]:
        seen.setdefault((pr["ruleset"], pr["practice"]), pr.get("goal", ""))
    ordered = [(rs["id"], g["id"], p["id"]) for rs in data.get("catalogue") or () for g in rs["goals"]
               for p in g["practices"] if (rs["id"], p["id"]) in seen]
    known = {(r, p) for r, _, p in ordered}
    ordered += [(r, g, p) for (r, p), g in seen.items() if (r, p) not in known]
    return ordered


def goal_titles(data: dict) -> dict[tuple[str, str], str]:
    return {(rs["id"], g["id"]): g["title"] for rs in data.get("catalogue") or () for g in rs["goals"]}


def label_counts(practices: list[dict], labels: tuple[str, ...]) -> dict[str, int]:
    counts = dict.fromkeys(labels, 0)
    for pr in practices:
        counts[pr["characterization"]] = counts.get(pr["characterization"], 0) + 1
    return counts


# ---- practices and gaps -------------------------------------------------------------------------------------

def practice_rows(data: dict) -> Iterator[tuple]:
    """One row per project x practice (PRACTICE_COLUMNS)."""
    for p in data["projects"]:
        for pr in p["practices"]:
            wps = [w for w in pr["work_products"] if w.get("required", True)]
            states = [w["state"] for w in wps]
            t = pr.get("tailoring")
            yield (p["project"], pr["ruleset"], pr["goal"], pr["practice"], pr.get("title", ""), pr["characterization"],
                   pr["coverage"], len(wps), states.count("adequate"), states.count("inadequate"), states.count("missing"),
                   len(pr["findings"]), len(pr["gaps"]), f"{t['kind']}: {t['justification']}" if t else "",
                   pr.get("recorded_as") or pr.get("recorded") or "", len(pr.get("strengths") or ()),
                   len(pr.get("recommendations") or ()))


def gap_rows(data: dict) -> Iterator[tuple]:
    """One row per gap (GAP_COLUMNS); severity is that of the finding with the same message."""
    for p in data["projects"]:
        for pr in p["practices"]:
            if not pr["gaps"]:
                continue
            names = {w["id"]: w.get("name", "") for w in pr["work_products"]}
            severity = {f["message"]: f["severity"] for f in pr["findings"]}
            for g in pr["gaps"]:
                wp = g.get("work_product") or ""
                yield (p["project"], pr["ruleset"], pr["practice"], pr["goal"], g["kind"], wp, names.get(wp, wp),
                       g["message"], g["action"], severity.get(g["message"], ""))


# ---- the appraisal team's notes and ratings ---------------------------------------------------------------

def source(data: dict, entry: dict) -> tuple[str, str, int | None]:
    """(file, sheet, row) of a note or disagreement: the evidence record its ``ref`` points at,
    else the entry's own fields (older results)."""
    items = data.get("evidence") or ()
    ref = entry.get("ref")
    rec = items[ref] if isinstance(ref, int) and 0 <= ref < len(items) else entry
    return rec.get("file", ""), rec.get("sheet", ""), rec.get("row")


def note_rows(data: dict) -> Iterator[tuple]:
    """One row per strength, then recommendation, of each practice (NOTE_COLUMNS)."""
    for p in data["projects"]:
        for pr in p["practices"]:
            for kind, key in (("strength", "strengths"), ("recommendation", "recommendations")):
                for n in pr.get(key) or ():
                    yield (p["project"], pr["ruleset"], pr["practice"], pr.get("goal", ""), kind, n.get("text", ""),
                           pr["characterization"], pr.get("recorded_as") or pr.get("recorded") or "",
                           n.get("via", ""), *source(data, n))


def disagreement_rows(data: dict) -> Iterator[tuple]:
    """One row per disagreement (DISAGREEMENT_COLUMNS)."""
    for d in data.get("disagreements") or ():
        yield (d["project"], d.get("ruleset", ""), d["practice"], d["recorded"], d.get("recorded_as", d["recorded"]),
               d["characterization"], d.get("reason", ""), *source(data, d))


# ---- evidence: what each item served --------------------------------------------------------------------------

def evidence_links(data: dict) -> list[list[tuple]]:
    """For each record of the top-level ``evidence`` list, the places it served:
    (project, practice, work product name or '' for other evidence, link entry)."""
    links: list[list[tuple]] = [[] for _ in range(len(data.get("evidence") or ()))]
    for p in data["projects"]:
        for pr in p["practices"]:
            for w in pr["work_products"]:
                for e in w["evidence"]:
                    links[e["ref"]].append((pr["practice"], w.get("name") or w["id"], e))
            for e in pr.get("other_evidence") or ():
                links[e["ref"]].append((pr["practice"], "", e))
    return links


def _verdict(entry: dict) -> str:
    if entry.get("issue"):
        return f"not adequate: {entry['issue']}"
    if entry.get("role") == "supporting":
        return "supporting only (mapping does not cover the whole practice)"
    return "adequate"


def _unused_reason(rec: dict, practices: dict) -> tuple[str, str]:
    """(served, verdict) for a record that no work product or other-evidence list names."""
    pr = practices.get((rec["project"], rec["practice"]))
    if pr is None:
        return "", f"not used: ruleset {rec.get('ruleset') or '?'} is not assessed for this project"
    if pr.get("tailoring"):
        t = pr["tailoring"]
        return "", f"not used: practice tailored out ({t['kind']}: {t['justification']})"
    if rec["evidence_type"] == "affirmation":
        return rec["practice"], "affirmation"
    if rec["evidence_type"] == "weakness":
        return rec["practice"], "weakness recorded"
    return "", "not used"


def evidence_rows(data: dict) -> Iterator[tuple]:
    """One row per accepted evidence item: EVIDENCE_INPUT_COLUMNS then EVIDENCE_USE_COLUMNS.

    ``practice`` is the catalogue id, except for an item accepted through a mapping from another
    framework's id (``reuse_via`` set): that keeps the id as written, so reading the row back
    goes through the same mapping.
    """
    links = evidence_links(data)
    practices = {(p["project"], pr["practice"]): pr for p in data["projects"] for pr in p["practices"]}
    for rec, served_by in zip(data.get("evidence") or (), links):
        practice = rec.get("practice_raw") or rec["practice"] if rec.get("reuse_via") else rec["practice"]
        if served_by:
            served = "\n".join(f"{pid} › {wp}" if wp else f"{pid} › other evidence (matches no expected work product)"
                               for pid, wp, _ in served_by)
            verdict = "\n".join(_verdict(e) for _, _, e in served_by)
            via = "\n".join(e.get("reused_via", "") for _, _, e in served_by).strip("\n")
        else:
            (served, verdict), via = _unused_reason(rec, practices), ""
        if rec.get("reuse_via") and rec["reuse_via"] not in via:
            via = "\n".join(v for v in (rec["reuse_via"], via) if v)
        yield (rec["project"], practice, rec["work_product"], rec["evidence_type"], rec.get("status", ""),
               rec.get("date", ""), rec.get("owner", ""), rec.get("party", ""), rec.get("location", ""),
               rec.get("notes", ""), rec.get("weakness", ""),
               rec.get("ruleset") or "", "" if rec.get("practice_raw") == practice else rec.get("practice_raw", ""),
               served, verdict, via,
               rec.get("file", ""), rec.get("sheet", ""), rec.get("row"))


# ---- findings -----------------------------------------------------------------------------------------------

def _place(src: dict) -> str:
    where = src.get("file", "")
    if src.get("sheet"):
        where += f" [{src['sheet']}]"
    return f"{where} row {src.get('row', '?')}"


class _Places:
    """Where each evidence record came from ("file [sheet] row N"), from three columns read once
    (an evidence list of a million records is never turned into dicts for this)."""

    def __init__(self, evidence):
        self.n = len(evidence)
        self.file, self.sheet, self.row = ([column(evidence, k) for k in ("file", "sheet", "row")] if self.n
                                           else ([], [], []))

    def __call__(self, ref: int, entry: dict) -> str:
        if ref >= self.n:  # an older result: the link carries its own place
            return _place(entry)
        return _place({"file": self.file[ref], "sheet": self.sheet[ref], "row": self.row[ref]})


def finding_rows(data: dict) -> Iterator[tuple]:
    """One row per finding (FINDING_COLUMNS) with the evidence rows it came from: those of its
    work product (found through the gap with the same message), else every row of the practice."""
    evidence = data.get("evidence") or []
    place = _Places(evidence)
    own: dict[tuple[str, str], list[int]] = defaultdict(list)
    if evidence:
        for i, key in enumerate(zip(column(evidence, "project"), column(evidence, "practice"))):
            own[key].append(i)
    for p in data["projects"]:
        for pr in p["practices"]:
            if not pr["findings"]:
                continue
            by_wp = {w["id"]: [e for e in w["evidence"]] for w in pr["work_products"]}
            gap_wp = {g["message"]: g.get("work_product") for g in pr["gaps"]}
            linked = [e for es in by_wp.values() for e in es] + list(pr.get("other_evidence") or ())
            refs = {e["ref"]: e for e in linked}
            for i in own.get((p["project"], pr["practice"]), ()):
                refs.setdefault(i, {})
            for f in pr["findings"]:
                wp = gap_wp.get(f["message"])
                entries = {e["ref"]: e for e in by_wp.get(wp, ())} if wp else refs
                rows = "\n".join(place(r, e) for r, e in sorted(entries.items())) or "no evidence rows"
                yield (p["project"], pr["ruleset"], pr["practice"], pr["goal"], f["rule"], f["kind"], f["severity"],
                       f["message"], rows)


# ---- rejected rows and the catalogue ------------------------------------------------------------------------

def rejected_rows(data: dict) -> Iterator[tuple]:
    for r in data["input"]["rejected"]:
        yield tuple(r.get(c, "") for c in REJECTED_COLUMNS)


def catalogue_rows(data: dict) -> Iterator[tuple]:
    """One row per expected work product (a practice without any gets one row of its own)."""
    for rs in data.get("catalogue") or ():
        for g in rs["goals"]:
            for p in g["practices"]:
                head = (rs["id"], rs.get("version", ""), g["id"], g.get("title", ""), p["id"], p.get("title", ""),
                        p.get("provenance", ""), p.get("source", "") or rs.get("source", ""), p.get("affirmation", ""))
                if not p["work_products"]:
                    yield head + ("", "", "", "")
                for w in p["work_products"]:
                    yield head + (w["id"], w["name"], "yes" if w.get("required", True) else "no",
                                  w.get("provenance", ""))
