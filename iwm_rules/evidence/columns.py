"""Canonical evidence columns and the header spellings people really use."""
from __future__ import annotations

import re

#: canonical column -> accepted header spellings (compared after :func:`header_key`)
ALIASES: dict[str, tuple[str, ...]] = {
    "project": ("project", "project id", "project name", "projectid", "work group", "workgroup", "basic unit",
                "project/work group", "instance", "project or work group"),
    "practice": ("practice", "practice id", "practice ref", "practice reference", "specific practice", "sp",
                 "practice identifier", "model practice"),
    "work_product": ("work product", "work product name", "workproduct", "artifact", "artifact name", "artefact",
                     "evidence", "evidence name", "oe reference", "document", "document name", "item"),
    "evidence_type": ("evidence type", "type", "oe type", "pii type", "kind", "evidence kind"),
    "status": ("status", "approval status", "document status", "state"),
    "date": ("date", "version date", "last updated", "updated", "approval date", "last modified", "modified",
             "date approved", "as of"),
    "owner": ("owner", "author", "responsible", "document owner", "prepared by"),
    "party": ("party", "side", "owner party", "customer/provider", "customer or provider", "responsible party"),
    "location": ("location", "link", "url", "path", "uri", "hyperlink", "repository", "where"),
    "notes": ("notes", "note", "comments", "comment", "remarks"),
    "weakness": ("weakness", "weaknesses", "finding", "reviewer weakness"),
    "process_area": ("process area", "pa", "process area id", "process area abbreviation"),
    # appraisal-team notes kept beside the evidence (they never change a characterization by themselves)
    "strength": ("strength", "strengths"),
    "recommendation": ("recommendation", "recommendations", "opportunity for improvement", "ofi"),
    "recorded": ("recorded", "recorded characterization", "recorded characterisation", "characterization",
                 "characterisation", "rating/char", "rating char", "team characterization"),
    # the reviewer's judgement of the artifact: adequate, inadequate or unverified (matrix marks G/S, F, ?)
    "judged": ("judged", "adequacy", "sufficiency", "judgement", "judgment"),
}
CANONICAL = tuple(ALIASES)
#: columns the xlsx/csv reports add after the canonical ones on their Evidence sheet (what each item
#: served); none of them is a header alias, so the loader ignores them
REPORT_USE_COLUMNS = ("ruleset", "practice as written", "served", "verdict", "reused via", "source file",
                      "source sheet", "source row")
#: the exact header row of a report's Evidence sheet: a workbook with such a sheet is read from it alone
#: the long-layout columns the report's Evidence sheet repeats (exporters/tables.py writes them)
REPORT_INPUT_COLUMNS = ("project", "practice", "work_product", "evidence_type", "status", "date", "owner", "party",
                        "location", "notes", "weakness")
REPORT_EVIDENCE_HEADER = REPORT_INPUT_COLUMNS + REPORT_USE_COLUMNS


def header_key(text: object) -> str:
    """Case-, space- and punctuation-insensitive form of a header cell."""
    if type(text) is str:  # header detection reads the top rows of every sheet: text is keyed once
        key = _HEADER_KEYS.get(text)
        if key is None:
            key = _NOT_KEY.sub("", text.lower())
            if len(_HEADER_KEYS) < 100_000:
                _HEADER_KEYS[text] = key
        return key
    return _NOT_KEY.sub("", str(text or "").lower())


_NOT_KEY = re.compile(r"[^a-z0-9]")
_HEADER_KEYS: dict[str, str] = {}


HEADER_TO_COLUMN: dict[str, str] = {header_key(a): col for col, names in ALIASES.items() for a in names + (col,)}


#: header keys that spell a canonical column exactly ("Work product", "work_product", "STATUS")
EXACT_KEYS: frozenset[str] = frozenset(header_key(c) for c in CANONICAL)


class HeaderMap(dict):
    """``{column index: field}`` of a header row, one column per field, plus ``duplicates``:
    ``{field: [(column index, header text, exact?), ...]}`` for fields that several columns name.
    The column kept for such a field is the only exact one, else the first; whether that is
    acceptable is decided by :func:`resolve_duplicates` once the row is known to be the header.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.duplicates: dict[str, list[tuple[int, str, bool]]] = {}


def map_headers(cells: list[object], table: dict[str, str] | None = None,
                exact: frozenset[str] | set[str] | None = None) -> HeaderMap:
    """The recognised cells of a header row: ``table`` maps :func:`header_key` -> field (the
    long layout's by default), ``exact`` holds the keys that name a field exactly (not an alias)."""
    table = HEADER_TO_COLUMN if table is None else table
    exact = EXACT_KEYS if exact is None else exact
    seen: dict[str, list[tuple[int, str, bool]]] = {}
    for i, cell in enumerate(cells):
        key = header_key(cell)
        col = table.get(key)
        if col:
            seen.setdefault(col, []).append((i, str(cell).strip(), key in exact))
    chosen: dict[int, str] = {}
    duplicates = {}
    for col, found in seen.items():
        exacts = [f for f in found if f[2]]
        chosen[(exacts[0] if len(exacts) == 1 else found[0])[0]] = col
        if len(found) > 1:
            duplicates[col] = found
    out = HeaderMap(sorted(chosen.items()))
    out.duplicates = duplicates
    return out


def resolve_duplicates(cols: dict, header_at: int, merged=()) -> tuple[list[str], list[str]]:
    """(errors, warnings) for the columns of a detected header row that name the same field.

    Columns under one merged header cell count once (the leftmost is read). Otherwise two
    columns naming one field are an error, unless exactly one of them spells the field's
    canonical name and the others are aliases: the exact one is read and each alias column
    is named in a warning. ``cols`` is a :class:`HeaderMap` (any other mapping has none).
    """
    errors: list[str] = []
    warnings: list[str] = []
    for col, found in getattr(cols, "duplicates", {}).items():
        kept: list[tuple[int, str, bool]] = []
        for f in found:
            span = next(((c0, c1) for r0, c0, r1, c1 in merged
                         if r0 <= header_at <= r1 and c0 <= f[0] <= c1 and c0 < f[0]), None)
            if span and any(span[0] <= k[0] < f[0] for k in kept):
                warnings.append(f"column {column_letter(f[0])} lies under the merged header {f[1]!r} "
                                f"({column_letter(span[0])}..{column_letter(span[1])}); only column "
                                f"{column_letter(span[0])} is read")
                continue
            kept.append(f)
        exacts = [f for f in kept if f[2]]
        if len(kept) == 1 or len(exacts) == 1:
            winner = kept[0] if len(kept) == 1 else exacts[0]
            for i, text, _ in kept:
                if i != winner[0]:
                    warnings.append(f"column {column_letter(i)} ({text!r}) is another name for {col}; it is "
                                    f"ignored, column {column_letter(winner[0])} ({winner[1]!r}) is read")
            for i, _, _ in found:
                cols.pop(i, None)
            cols[winner[0]] = col
        else:
            named = " and ".join(f"{column_letter(i)} ({text!r})" for i, text, _ in kept)
            errors.append(f"columns {named} {'both' if len(kept) == 2 else 'all'} map to the {col} column; "
                          "rename or delete all but one (a column named exactly after the field wins over "
                          "its aliases, with a warning)")
    return errors, warnings


def column_letter(index: int) -> str:
    """Spreadsheet letters of a 0-based column index (0 -> A, 27 -> AB)."""
    s = ""
    n = index + 1
    while n > 0:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


#: evidence_type values as written -> canonical
EVIDENCE_TYPE_VALUES = {
    "artifact": "artifact", "artefact": "artifact", "direct": "artifact", "indirect": "artifact",
    "directartifact": "artifact", "indirectartifact": "artifact", "da": "artifact", "ia": "artifact",
    "affirmation": "affirmation", "directaffirmation": "affirmation", "af": "affirmation", "interview": "affirmation",
    "weakness": "weakness",
    # a note of the appraisal team (strength, recommendation, recorded characterization): not evidence
    "observation": "observation", "note": "observation",
}
STATUS_VALUES = {
    "draft": "draft", "inreview": "in_review", "review": "in_review", "underreview": "in_review",
    "approved": "approved", "baselined": "baselined", "baseline": "baselined", "obsolete": "obsolete",
}
PARTY_VALUES = {"customer": "customer", "provider": "provider", "shared": "shared", "both": "shared", "joint": "shared"}
#: recorded characterizations as written -> label (CMMI V2.0 FM/LM/PM/DM/NY or SCAMPI FI/LI/PI/NI/NY)
RECORDED_VALUES = {
    **{k: k.upper() for k in ("fm", "lm", "pm", "dm", "ny", "fi", "li", "pi", "ni", "na")},
    "fullymeets": "FM", "largelymeets": "LM", "partiallymeets": "PM", "doesnotmeet": "DM", "notyet": "NY",
    "fullyimplemented": "FI", "largelyimplemented": "LI", "partiallyimplemented": "PI", "notimplemented": "NI",
    "notapplicable": "NA",
}
JUDGED_VALUES = {
    "adequate": "adequate", "sufficient": "adequate", "good": "adequate", "satisfactory": "adequate", "yes": "adequate",
    "inadequate": "inadequate", "insufficient": "inadequate", "no": "inadequate",
    "unverified": "unverified", "notverified": "unverified",
}
