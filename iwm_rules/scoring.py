"""Findings + facts -> characterizations, gaps, goal ratings and organization-level results.

Rules (DESIGN §4, shared/domain/scampi.md §3-4), first match wins per project x practice:
NA tailored out; NY not yet; FI every required work product adequately evidenced and no
weakness; LI every required work product evidenced and a weakness; PI some evidence; NI none.
"""
from __future__ import annotations

from collections import defaultdict

from .engine import Finding
from .facts import Facts
from .memory import release_free_memory
from .model import Practice, Ruleset

RATED = ("FI", "LI", "PI", "NI")
#: projects scored between two hand-backs of freed memory (their fact dicts) to the system
RELEASE_EVERY = 1000

ACTIONS = {
    "missing_work_product": "Produce '{name}' and record it in the evidence with its status and date.",
    "not_approved": "Have '{name}' reviewed and approved (or baselined), and record the new status.",
    "stale": "Review and update '{name}'; record the date of the new version.",
    "missing_affirmation": "Hold an interview or collect questionnaire answers from the people who perform the practice, and record them as affirmations.",
    "weakness": "Correct the weakness and record the evidence of the correction.",
    "waiver_expired": "Renew the waiver with its approver, or provide '{name}'.",
    "no_evidence": "Start performing the practice and record its work products.",
    "dated_after_as_of": "Check the date recorded for '{name}': it is after the assessment date. Correct the date, "
                         "or assess as of a later date.",
}


def characterize(pf: dict, has_weakness: bool, n_matched: int) -> str:
    """One practice fact (plus whether a weakness finding exists) -> FI/LI/PI/NI."""
    n_req = pf["n_required"]
    if n_req > 0:
        if pf["n_required_evidenced"] == n_req:
            return "FI" if pf["n_required_adequate"] == n_req and not has_weakness else "LI"
        if pf["n_required_evidenced"] > 0 or pf["n_affirmations"] > 0 or pf["n_other_evidence"] > 0 or pf["n_supporting"] > 0:
            return "PI"
        return "NI"
    if n_matched > 0:
        return "LI" if has_weakness else "FI"
    if pf["n_affirmations"] > 0 or pf["n_other_evidence"] > 0 or pf["n_supporting"] > 0:
        return "PI"
    return "NI"


def rate_goal(chars: list[str]) -> str:
    rated = [c for c in chars if c != "NA"]
    if not rated or "NY" in rated:
        return "not_rated"
    return "satisfied" if all(c in ("FI", "LI") for c in rated) else "unsatisfied"


def aggregate(instances: list[str]) -> tuple[str, bool]:
    """Organization-level characterization of one practice over its project instances."""
    s = [c for c in instances if c != "NA"]
    if not s:
        return "NA", False
    kinds = set(s)
    if kinds == {"NY"}:
        return "NY", False
    if kinds <= {"FI", "NY"}:
        return "FI", False
    if kinds <= {"FI", "LI", "NY"}:
        return "LI", False
    if kinds - {"NY"} == {"NI"}:
        return "NI", False
    return "PI", True


def _action(kind: str, name: str, practice: Practice) -> str:
    text = ACTIONS[kind].format(name=name or practice.title)  # the loader admits only GAP_KINDS
    subs = [s.text for s in practice.subpractices][:3]
    if subs and kind in ("missing_work_product", "no_evidence", "weakness"):
        text += " Suggested: " + "; ".join(subs) + "."
    if practice.guidance and kind in ("no_evidence", "missing_work_product", "weakness"):
        text += " Guidance: " + practice.guidance[0]
    return text


def score(rulesets: list[Ruleset], facts: Facts, findings: list[Finding]) -> tuple[list[dict], dict]:
    """(projects, organization) records as in DESIGN §7."""
    practices = {p.id: p for rs in rulesets for p in rs.practices}
    wp_names = {(p.id, w.id): w.name for p in practices.values() for w in p.work_products}
    wp_weights = {(p.id, w.id): w.weight for p in practices.values() for w in p.work_products}
    actions: dict[tuple[str, str, str], str] = {}  # (kind, work product name, practice) -> action text
    by_practice: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        by_practice[(f.project, f.practice)].append(f)
    links = evidence_links(facts)
    wp_facts: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for rec in facts.wp_records():
        wp_facts[(rec["project"], rec["practice"])].append(rec)
    pfacts = {(r["project"], r["practice"]): r for r in facts.practice_records()}
    facts.forget_records()  # from here each project's fact dicts live only until it is scored
    tailored = {(r["project"], r["practice"]): r for r in facts.tailored.to_dict("records")}

    projects_out = []
    org_instances: dict[tuple[str, str], list[str]] = defaultdict(list)
    for project in facts.projects:
        prac_out, req_total, adequate_total = [], 0, 0
        goal_chars: dict[tuple[str, str], list[str]] = defaultdict(list)
        for rs in rulesets:
            if not facts.in_scope(project, rs.id):
                continue
            for practice in rs.practices:
                key = (project, practice.id)
                rec = _practice_record(rs, practice, key, pfacts, tailored, wp_facts, links, by_practice, wp_names,
                                       wp_weights, actions)
                pfacts.pop(key, None)
                wp_facts.pop(key, None)
                prac_out.append(rec)
                goal_chars[(rs.id, practice.goal)].append(rec["characterization"])
                org_instances[(rs.id, practice.id)].append(rec["characterization"])
                req_total += rec["_n_required"]  # 0 for a tailored practice
                adequate_total += rec["_n_adequate"]
        goals = [{"ruleset": r, "goal": g, "rating": rate_goal(c)} for (r, g), c in goal_chars.items()]
        projects_out.append({"project": project, "coverage": round(adequate_total / req_total, 4) if req_total else None,
                             "practices": prac_out, "goals": goals})
        if len(projects_out) % RELEASE_EVERY == 0:
            release_free_memory()  # the scored projects' fact dicts: their pages back to the system
    org_practices, org_goal_chars = [], defaultdict(list)
    for rs in rulesets:
        for practice in rs.practices:
            inst = org_instances.get((rs.id, practice.id))
            if inst:  # some project is assessed against this ruleset
                char, judgment = aggregate(inst)
                counts = {k: inst.count(k) for k in ("FI", "LI", "PI", "NI", "NY", "NA")}
                org_practices.append({"ruleset": rs.id, "practice": practice.id, "characterization": char,
                                      "judgment_required": judgment, "instances": counts})
                org_goal_chars[(rs.id, practice.goal)].append(char)
    org_goals = [{"ruleset": r, "goal": g, "rating": rate_goal(c)} for (r, g), c in org_goal_chars.items()]
    for p in projects_out:
        for rec in p["practices"]:
            rec.pop("_n_required")
            rec.pop("_n_adequate")
    return projects_out, {"practices": org_practices, "goals": org_goals}


def evidence_links(facts: Facts) -> dict[tuple[str, str, str], list[dict]]:
    """(project, practice, work product or '' for other evidence) -> the evidence references
    it gets: ``ref`` (index into the result's ``evidence`` list), ``reused_via`` and ``role``
    for evidence reused through a mapping, ``issue`` for an inadequate item."""
    links: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    lk = facts.links
    if not len(lk):
        return links
    issues = {(True, True): "", (False, True): "not approved", (True, False): "stale", (False, False): "not approved, stale"}
    for project, practice, wp, ref, via, role, ok, fresh in zip(
            lk["project"].tolist(), lk["practice"].tolist(), lk["work_product"].tolist(), lk["ref"].tolist(),
            lk["reuse_via"].tolist(), lk["reuse_role"].tolist(), lk["status_ok"].tolist(), lk["fresh"].tolist()):
        ev = {"ref": int(ref)}
        if via:
            ev["reused_via"] = via
            ev["role"] = role
        issue = issues[(bool(ok), bool(fresh))]
        if issue:  # only inadequate items carry it, to keep large results small
            ev["issue"] = issue
        links[(project, practice, wp)].append(ev)
    return links


def _practice_record(rs, practice, key, pfacts, tailored, wp_facts, links, by_practice, wp_names, wp_weights,
                     actions) -> dict:
    base = {"ruleset": rs.id, "practice": practice.id, "goal": practice.goal, "title": practice.title,
            "weight": practice.weight}
    if key in tailored:
        t = tailored[key]
        char = "NA" if t["status"] == "not_applicable" else "NY"
        return {**base, "characterization": char, "coverage": None, "work_products": [], "findings": [], "gaps": [],
                "tailoring": {"kind": char, "justification": t["justification"]}, "_n_required": 0, "_n_adequate": 0}
    pf = pfacts[key]
    found = by_practice.get(key, [])
    has_weakness = any(f.kind == "weakness" for f in found)
    wps, n_matched = [], 0
    for w in wp_facts[key]:  # defaultdicts: a key with nothing recorded gives []
        if w["n_adequate"] > 0 or w["waiver"] == "active":
            state = "adequate"
        elif w["n_artifacts"] > 0 or w["n_supporting"] > 0 or w["waiver"] == "expired":
            state = "inadequate"
        else:
            state = "missing"
        n_matched += w["n_artifacts"]
        wp_rec = {"id": w["work_product"], "name": wp_names[(key[1], w["work_product"])],
                  "required": bool(w["required"]), "state": state, "weight": wp_weights[(key[1], w["work_product"])],
                  "evidence": links.get((key[0], key[1], w["work_product"])) or []}
        if w["waiver"] != "none":
            wp_rec["waiver"] = {"state": w["waiver"], "expires": w["waiver_expires"]}
        wps.append(wp_rec)
    char = characterize(pf, has_weakness, n_matched)
    n_req = pf["n_required"]
    # weighted: each required work product counts with its weight (default 1); no required work
    # product: nothing to cover (null), and the project's coverage leaves it out
    req_w = sum(w["weight"] for w in wps if w["required"])
    adequate_w = sum(w["weight"] for w in wps if w["required"] and w["state"] == "adequate")
    coverage = round(adequate_w / req_w, 4) if n_req and req_w else None
    gaps = []
    for f in found:
        if f.kind in ("gap", "weakness"):
            kind = f.gap or "weakness"
            name = wp_names.get((practice.id, f.work_product), "")
            action = actions.get((kind, name, practice.id))
            if action is None:
                action = actions[(kind, name, practice.id)] = _action(kind, name, practice)
            gaps.append({"kind": kind, "work_product": f.work_product, "message": f.message, "action": action})
    other = links.get((key[0], key[1], ""))
    rec = {**base, "characterization": char, "coverage": coverage, "work_products": wps,
           "findings": [f.as_record() for f in found], "gaps": gaps, "tailoring": None,
           "_n_required": practice.weight * req_w, "_n_adequate": practice.weight * adequate_w}
    if other:
        rec["other_evidence"] = other
    return rec
