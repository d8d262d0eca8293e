"""Capability levels (CL0-CL3) and staged ML2/ML3 readiness per process area, from goal ratings.

shared/domain/scampi.md §5 (CMMI v1.3): a capability level is achieved when every goal up to
that level is satisfied: CL1 all specific goals (GG1), CL2 also GG2, CL3 also GG3; CL0 when a
specific goal is not satisfied. Staged: a process area is satisfied for ML2 when its specific
goals and GG2 are satisfied, for ML3 when GG3 is satisfied too (GG2 and GG3 are required of
every process area in scope for ML3). A goal rated *not_rated* makes the level *not_rated*
(never CL0 silently): ``at_least`` then says the level the satisfied goals already reach.
Practices tailored NA are left out of goal ratings, so they never lower a level.
"""
from __future__ import annotations

import re
from collections import defaultdict

#: CMMI-SVC v1.3 process areas per maturity level (shared/domain/scampi.md §5)
ML2_AREAS = ("CM", "MA", "PPQA", "REQM", "SAM", "SD", "WMC", "WP")
ML3_AREAS = ("CAM", "DAR", "IRP", "IWM", "OPD", "OPF", "OT", "RSKM", "SCON", "SSD", "SST", "STSM")

_SPECIFIC = re.compile(r"^([A-Z][A-Z0-9]*)\.SG\d+$")
_GENERIC = re.compile(r"^([A-Z][A-Z0-9]*)\.GG(\d)$")

#: shown with ratings under --scale cmmi-v2 (scampi.md §6 is marked [MEM])
V2_NOTE = ("CMMI V2.0/V3.0 scale: shown as the level whose practice groups are all FM or LM at this "
           "level, by the V2.0 rule in shared/domain/scampi.md §6, which is [MEM]: derived, not verified "
           "against the V2.0 model definition")


def _combine(ratings: list[str]) -> str:
    """satisfied / unsatisfied / not_rated for a set of goals that must all be satisfied."""
    if not ratings:
        return "not_rated"
    if "unsatisfied" in ratings:
        return "unsatisfied"
    if "not_rated" in ratings:
        return "not_rated"
    return "satisfied"


def area_level(specific: list[str], gg2: list[str], gg3: list[str]) -> dict:
    """Level of one process area from the ratings of its specific goals, GG2 and GG3."""
    steps = [("CL1", _combine(specific)), ("CL2", _combine(gg2)), ("CL3", _combine(gg3))]
    reached = "CL0"
    level = None
    for name, state in steps:
        if state == "satisfied":
            reached = name
            continue
        level = reached if state == "unsatisfied" else "not_rated"
        break
    if level is None:
        level = reached
    if any(r == "not_rated" for r in specific + gg2 + gg3):
        level = "not_rated"  # a rated goal of this area was not rated: never a silent CL0
    ml2 = _combine([_combine(specific), _combine(gg2)])
    ml3 = _combine([ml2, _combine(gg3)])
    return {"capability_level": level, "at_least": reached, "ml2": ml2, "ml3": ml3,
            "goals": {"specific": _combine(specific), "GG2": _combine(gg2) if gg2 else "absent",
                      "GG3": _combine(gg3) if gg3 else "absent"}}


def levels(goals: list[dict], practices: list[dict] | None = None) -> list[dict]:
    """Per CMMI process area with rated specific or generic goals: capability level and ML2/ML3
    readiness. An area with generic goals only (its own ruleset not selected) is *not_rated*, with a
    note saying so, never left out silently.

    ``goals``: ``[{ruleset, goal, rating}]`` (a project's or the organization's).
    ``practices``: the matching practice records; where they carry ``judgment_required``
    (organization level), the area's level is marked subject to team judgment.
    """
    spec: dict[str, list[str]] = defaultdict(list)
    gen: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"2": [], "3": []})
    for g in goals:
        m = _SPECIFIC.match(g["goal"])
        if m:
            spec[m.group(1)].append(g["rating"])
            continue
        m = _GENERIC.match(g["goal"])
        if m and m.group(2) in ("2", "3"):
            gen[m.group(1)][m.group(2)].append(g["rating"])
    judged = {p["practice"].split(".", 1)[0] for p in practices or () if p.get("judgment_required")}
    out = []
    for area in sorted(set(spec) | {a for a, g in gen.items() if g["2"] or g["3"]}):
        rec = {"process_area": area, **area_level(spec[area], gen[area]["2"], gen[area]["3"])}
        if not spec[area]:  # generic practices assessed without the area's own ruleset
            rec["goals"]["specific"] = "absent"
        rec["maturity_level_of_area"] = 2 if area in ML2_AREAS else 3 if area in ML3_AREAS else None
        if area in judged:
            rec["judgment_required"] = True
            rec["note"] = "level subject to team judgment: an organization-level characterization includes PI/NI instances"
        else:
            rec["judgment_required"] = False
        if not spec[area]:
            rec["note"] = (f"not rated: no selected ruleset holds the specific goals of {area}; select the one "
                           f"that does too (for IWM and WP: -r cmmi-svc-iwm, -r cmmi-svc-wp)"
                           + (f"; {rec['note']}" if "note" in rec else ""))
        out.append(rec)
    return out
