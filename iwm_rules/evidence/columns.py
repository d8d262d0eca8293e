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
    # appraisal-team notes kept beside the evidence (they never change a characterization by themselves)
    "strength": ("strength", "strengths"),
    "recommendation": ("recommendation", "recommendations", "opportunity for improvement", "ofi"),
    "recorded": ("recorded", "recorded characterization", "recorded characterisation", "characterization",
                 "characterisation", "rating/char", "rating char", "team characterization"),
    # the reviewer's judgement of the artifact: adequate, inadequate or unverified (matrix marks G/S, F, ?)
    "judged": ("judged", "adequacy", "sufficiency", "judgement", "judgment"),
}
CANONICAL = tuple(ALIASES)


def header_key(text: object) -> str:
    """Case-, space- and punctuation-insensitive form of a header cell."""
    return re.sub(r"[^a-z0-9]", "", str(text or "").lower())


HEADER_TO_COLUMN: dict[str, str] = {header_key(a): col for col, names in ALIASES.items() for a in names + (col,)}


def map_headers(cells: list[object]) -> dict[int, str]:
    """``{column index: canonical name}`` for the recognised cells of a header row (first wins)."""
    out: dict[int, str] = {}
    taken: set[str] = set()
    for i, cell in enumerate(cells):
        col = HEADER_TO_COLUMN.get(header_key(cell))
        if col and col not in taken:
            out[i] = col
            taken.add(col)
    return out

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
