"""The terminal summary printed after an assessment: an exporter over the plain JSON records.

``render(data, scale=...)`` returns the text; it reads only the §7 result (counts, coverage,
ratings already computed) and the label table of :mod:`.labels`. Every name that came from a
file (projects, files, rulesets) goes through :func:`printable`, so a control or bidi
character in a spreadsheet cannot move the cursor, recolour or reorder the terminal.
"""
from __future__ import annotations

import unicodedata
from pathlib import Path

from .labels import CMMI_V2, FROM_CMMI_V2, ORDER

#: format characters kept as they are: zero-width (non-)joiners shape scripts and emoji
_KEEP_FORMAT = {"\u200c", "\u200d"}
_NAME = 24


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text) -> str:
    """``text`` with control, bidi and other invisible format characters as ``\\xNN`` / ``\\uNNNN``.

    Escaped: C0 and C1 controls (also tab and newline), DEL, line/paragraph separators,
    format characters (bidi embeddings, overrides and isolates U+202A-202E, U+2066-2069,
    marks U+200E/200F/061C, zero-width space, BOM, ...) except the zero-width joiners, and
    lone surrogates (undecodable bytes in a file name). Everything else is kept.
    """
    text = str(text)
    if text.isprintable() and text.isascii():
        return text
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Zl", "Zp", "Cs") or (cat == "Cf" and ch not in _KEEP_FORMAT):
            out.append(_escape(ch))
        else:
            out.append(ch)
    return "".join(out)


def printable_lines(text) -> str:
    """:func:`printable` line by line: the newlines of a multi-line message are kept."""
    return "\n".join(printable(line) for line in str(text).split("\n"))


def _labels(scale: str) -> dict[str, str]:
    return dict(CMMI_V2) if scale == "cmmi-v2" else {k: k for k in ORDER}


def _counts(practices) -> dict[str, int]:
    """Characterizations counted on the SCAMPI scale, whichever scale the records carry."""
    counts = dict.fromkeys(ORDER, 0)
    for pr in practices:
        label = pr["characterization"]
        counts[label if label in counts else FROM_CMMI_V2[label]] += 1
    return counts


def _name(text: str) -> str:
    """A name for the table column: escaped, cut to the column width without splitting an escape."""
    text = printable(text)
    if len(text) <= _NAME:
        return text
    out, width = [], 0
    for piece in _pieces(text):
        if width + len(piece) > _NAME - 1:
            break
        out.append(piece)
        width += len(piece)
    return "".join(out) + "~"


def _pieces(escaped: str):
    """Characters and whole ``\\x..``/``\\u....``/``\\U........`` escapes of a printable() text."""
    i = 0
    while i < len(escaped):
        n = {"x": 4, "u": 6, "U": 10}.get(escaped[i + 1], 1) if escaped[i] == "\\" and i + 1 < len(escaped) else 1
        yield escaped[i:i + n]
        i += n


def _input_line(data: dict) -> str:
    files = data["input"]["files"]
    rows = sum(f["rows_read"] for f in files)
    acc = sum(f["rows_accepted"] for f in files)
    rej = sum(f["rows_rejected"] for f in files)
    skp = sum(f["rows_skipped"] for f in files)
    why = {k: sum(f.get("skipped", {}).get(k, 0) for f in files) for k in ("blank", "heading", "placeholder", "other_sheet")}
    detail = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in why.items() if n)
    return (f"{len(files)} file(s): {rows} rows read, {acc} accepted, {rej} rejected, {skp} skipped"
            + (f" ({detail})" if detail else ""))


def _level_text(rec: dict) -> str:
    if rec["capability_level"] == "not_rated":
        text = f"not rated (at least {rec['at_least']})"
    else:
        text = rec["capability_level"]
    ready = {"satisfied": "yes", "unsatisfied": "no", "not_rated": "not rated"}
    text += f", ML2 {ready[rec['ml2']]}, ML3 {ready[rec['ml3']]}"
    if rec.get("judgment_required"):
        text += " (subject to team judgment)"
    return f"{printable(rec['process_area'])} {text}"


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
            out.append(f"  {_name(name):{_NAME}} " + "; ".join(_level_text(r) for r in recs))
    return out


def kit_lines(data: dict, labels: dict) -> list[str]:
    """Summary lines over the plain JSON result: rows carried by the CMMI V2.0/V3.0 bridge, and
    every practice whose recorded characterization the evidence does not support."""
    lines = []
    br = data["input"].get("bridge") or {}
    if br.get("rows"):
        reached = ", ".join(f"{r} ({n})" for r, n in br["rulesets"].items())
        lines.append(f"CMMI V2.0/V3.0 bridge (derived, not an official model mapping): {br['rows']} row(s) reached {reached}")
    off = sum("(--no-bridge)" in (r.get("hint") or "") for r in data["input"]["rejected"])
    if off:
        lines.append(f"CMMI V2.0/V3.0 bridge off (--no-bridge): {off} rejected row(s) carry ids it would relate")
    practices = [pr for p in data["projects"] for pr in p["practices"]]
    n_s = sum(len(pr.get("strengths") or ()) for pr in practices)
    n_r = sum(len(pr.get("recommendations") or ()) for pr in practices)
    if n_s or n_r:
        lines.append(f"appraisal team notes: {n_s} strength(s), {n_r} recommendation(s) (never change a characterization)")
    for d in data.get("disagreements", []):
        lines.append(printable(f"{d['project']} {d['practice']}: recorded {d['recorded_as']}, evidence supports "
                               f"{labels.get(d['characterization'], d['characterization'])}: {d['reason']}"))
    return lines


def nothing_accepted_text(data: dict) -> str:
    """Why nothing was assessed: what each file named (projects, practice ids) and why no row was used."""
    parts = []
    for f in data["input"]["files"]:
        found = f.get("found")
        if not found:
            continue
        name = Path(f["path"]).name
        projects = ", ".join(found["projects"][:5]) + (" ..." if found["n_projects"] > 5 else "")
        head = f"{name}: found {found['n_projects']} project(s) ({projects or 'none named'}) and " \
               f"{found['n_practices']} practice id(s)"
        related = found.get("related") or {}
        if related:
            head += (f"; {len(related)} of them reach our practices through the CMMI V2.0/V3.0 bridge or a mapping ("
                     + ", ".join(f"{k} -> {'/'.join(v)}" for k, v in list(related.items())[:6])
                     + (" ..." if len(related) > 6 else "") + ")")
        elif found.get("bridge_off"):
            head += f"; {len(found['bridge_off'])} of them would reach IWM/WP through the CMMI V2.0/V3.0 bridge, which is off (--no-bridge)"
        why = []
        sk = f.get("skipped", {})
        if sk.get("placeholder"):
            why.append(f"{sk['placeholder']} evidence row(s) are template placeholders ('Evidence name', 'link')")
        if f["rows_rejected"]:
            why.append(f"{f['rows_rejected']} row(s) were rejected (see input.rejected)")
        if not why:
            why.append("no row names an artifact, affirmation, weakness or rating")
        todo = ("fill in the '5 OE' rows (OE reference, URL) under the PLAN and MC practices" if "oedb" in f["layout"]
                else "name the documents and mark them under the practice columns" if "matrix" in f["layout"]
                else "fill in the evidence rows")
        parts.append(head + ", but " + " and ".join(why) + f": nothing to rate; {todo}")
    return "; ".join(parts)


def render(data: dict, *, scale: str | None = None, json_name: str = "assessment.json") -> str:
    """The summary table of ``data`` (the JSON result), labels on ``scale`` (default: the
    scale the records carry, ``data["scale"]``, else SCAMPI)."""
    scale = scale or data.get("scale") or "scampi"
    json_name = printable(json_name)
    labels = _labels(scale)
    lines = [_input_line(data), "rulesets: " + ", ".join(printable(r["id"]) for r in data["rulesets"])]
    head = f"{'project':{_NAME}} {'coverage':>8}  " + " ".join(f"{labels[k]:>3}" for k in ORDER) + "  goals satisfied"
    lines += [head, "-" * len(head)]
    for p in data["projects"]:
        counts = _counts(p["practices"])
        sat = sum(g["rating"] == "satisfied" for g in p["goals"])
        cov = "-" if p["coverage"] is None else f"{p['coverage'] * 100:.0f}%"
        lines.append(f"{_name(p['project']):{_NAME}} {cov:>8}  " + " ".join(f"{counts[k]:>3}" for k in ORDER)
                     + f"  {sat}/{len(p['goals'])}")
    org = data["organization"]
    counts = _counts(org["practices"])
    sat = sum(g["rating"] == "satisfied" for g in org["goals"])
    lines.append("-" * len(head))
    overall = data.get("coverage")  # the run's weighted coverage, as the result states it
    overall = f"{overall * 100:.0f}%" if isinstance(overall, (int, float)) and not isinstance(overall, bool) else ""
    lines.append(f"{'organization':{_NAME}} {overall:>8}  " + " ".join(f"{counts[k]:>3}" for k in ORDER)
                 + f"  {sat}/{len(org['goals'])}")
    judg = sum(bool(pr.get("judgment_required")) for pr in org["practices"])
    if judg:
        lines.append(f"{judg} organization-level characterization(s) include PI/NI instances: judgment_required, "
                     "the appraisal team decides")
    for w in data["input"].get("warnings", []):
        if w.get("kind") in ("tailoring_unknown_project", "project_variants"):
            lines.append("warning: " + printable(w["message"]))
    lines.extend(kit_lines(data, labels))
    lines.extend(level_lines(data, scale))
    if data["input"]["rejected"]:
        lines.append(f"{len(data['input']['rejected'])} rejected row(s): see input.rejected in {json_name}")
    warnings = data["input"].get("warnings") or []
    if warnings:
        lines.append(f"{len(warnings)} warning(s): see input.warnings in {json_name}")
    return "\n".join(lines)


def write(data: dict, path: Path, *, scale: str | None = None) -> None:
    """The same summary as a UTF-8 text file."""
    Path(path).write_text(render(data, scale=scale) + "\n", encoding="utf-8")
