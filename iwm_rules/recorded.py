"""What the appraisal team recorded, beside what the evidence supports.

After scoring, each practice record gets the team's ``strengths`` and ``recommendations``
(each with its source row and ``ref`` into the top-level evidence list) and, when the evidence
carries one, ``recorded``: the team's own characterization (OEdb ``Rating/Char``, a matrix
``Characterisation`` row, a ``recorded`` column). Every practice whose recorded
characterization differs from the computed one is listed in ``disagreements`` with the reason
taken from its gaps. None of this changes a characterization (SCAMPI: weaknesses lower it,
strengths do not raise it).

A recorded characterization travels only with evidence of the practice itself or reused in
full (an equal or wider mapping): the team's rating of ``PLAN 3.2`` is not a rating of a
practice it merely overlaps. Strengths and recommendations travel with any mapping and name it.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

#: CMMI V2.0 labels -> the SCAMPI scale the characterizations use
TO_SCAMPI = {"FM": "FI", "LM": "LI", "PM": "PI", "DM": "NI", "NY": "NY", "NA": "NA",
             "FI": "FI", "LI": "LI", "PI": "PI", "NI": "NI"}
GENERIC_REASON = {
    "FI": "every required work product has adequate evidence and no weakness is recorded",
    "LI": "every required work product has evidence, with at least one weakness",
    "PI": "only part of the required work products have evidence",
    "NI": "no evidence supports the practice",
    "NY": "the practice is tailored as not yet reached",
    "NA": "the practice is tailored out (not applicable)",
}


def _source(t: pd.DataFrame, i: int) -> dict:
    out = {"ref": int(i), "file": str(t.at[i, "file"]), "sheet": str(t.at[i, "sheet"]), "row": int(t.at[i, "row"])}
    if "reuse_via" in t and t.at[i, "reuse_via"]:
        out["via"] = str(t.at[i, "reuse_via"])
    return out


def _reason(rec: dict, limit: int = 2) -> str:
    msgs = [g["message"] for g in rec.get("gaps", [])] or \
        [f["message"] for f in rec.get("findings", []) if f.get("kind") == "weakness"]
    msgs = list(dict.fromkeys(m for m in msgs if m))
    if not msgs:
        return GENERIC_REASON.get(rec["characterization"], "")
    more = f" (+{len(msgs) - limit} more)" if len(msgs) > limit else ""
    return "; ".join(msgs[:limit]) + more


def attach(projects: list[dict], table: pd.DataFrame, *, bridge_targets: set[str] = frozenset(),
           bridge_reached: set[str] = frozenset()) -> list[dict]:
    """Add ``strengths``, ``recommendations`` and ``recorded`` to every practice record of
    ``projects`` (in place); return the ``disagreements``.

    ``bridge_targets``: our practices that some bridge row reaches; ``bridge_reached``: rulesets
    the bridge carried evidence to. In a project with bridged evidence, a not-implemented
    practice of such a ruleset that no bridge row reaches gets a hint that the kit has no
    counterpart for it.
    """
    t = table.reset_index(drop=True)
    strengths: dict[tuple[str, str], list[dict]] = defaultdict(list)
    recommendations: dict[tuple[str, str], list[dict]] = defaultdict(list)
    recorded: dict[tuple[str, str], tuple[str, dict]] = {}
    bridged_projects: set[str] = set()
    if len(t):
        def filled(c: str) -> np.ndarray:
            return (t[c].fillna("") != "").to_numpy() if c in t else np.zeros(len(t), dtype=bool)

        for i in np.flatnonzero(filled("strength")):
            key = (t.at[i, "project"], t.at[i, "practice"])
            strengths[key].append({"text": str(t.at[i, "strength"]), **_source(t, i)})
        for i in np.flatnonzero(filled("recommendation")):
            key = (t.at[i, "project"], t.at[i, "practice"])
            recommendations[key].append({"text": str(t.at[i, "recommendation"]), **_source(t, i)})
        full = t["reuse_role"].isin(["own", "full"]).to_numpy() if "reuse_role" in t else np.ones(len(t), dtype=bool)
        for i in np.flatnonzero(filled("recorded") & full):
            recorded.setdefault((t.at[i, "project"], t.at[i, "practice"]), (str(t.at[i, "recorded"]), _source(t, i)))
        if "reuse_via" in t:
            bridged_projects = set(t.loc[t["reuse_via"].astype(str).str.startswith("bridge ").to_numpy(), "project"])
    disagreements = []
    for p in projects:
        for rec in p["practices"]:
            key = (p["project"], rec["practice"])
            rec["strengths"] = strengths.get(key, [])
            rec["recommendations"] = recommendations.get(key, [])
            if p["project"] in bridged_projects and rec["ruleset"] in bridge_reached \
                    and rec["practice"] not in bridge_targets and rec["characterization"] == "NI":
                _no_counterpart_hint(rec)
            if key not in recorded:
                continue
            label, src = recorded[key]
            code = TO_SCAMPI[label]
            rec["recorded"] = code
            rec["recorded_as"] = label
            if code == rec["characterization"]:
                continue
            reason = _reason(rec)
            disagreements.append({
                "project": p["project"], "ruleset": rec["ruleset"], "practice": rec["practice"],
                "recorded": code, "recorded_as": label, "characterization": rec["characterization"],
                "reason": reason,
                "message": f"recorded {label}, evidence supports {rec['characterization']}: {reason}",
                **src,
            })
    return disagreements


def _no_counterpart_hint(rec: dict) -> None:
    hint = (f" The CMMI V2.0/V3.0 kit has no counterpart for {rec['practice']} (no bridge row reaches it): "
            f"record its evidence under {rec['practice']} itself, e.g. in a long-layout sheet.")
    rec["hint"] = hint.strip()
    for g in rec.get("gaps", []):
        if g["kind"] in ("no_evidence", "missing_work_product") and hint not in g["action"]:
            g["action"] += hint
