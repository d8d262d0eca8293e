"""assessment-results.oscal.json: the result as an OSCAL 1.2 assessment-results document.

- one ``result`` per run; ``reviewed-controls`` lists the practices of each ruleset;
- one ``finding`` per project x practice: the characterization, coverage, project, ruleset and goal
  are ``props`` in this project's namespace (:data:`NS`); ``target.status.state`` is
  ``satisfied`` for FI/LI (FM/LM), ``not-satisfied`` for PI/NI (PM/DM) with reason ``fail``, and
  ``not-satisfied`` with reason ``other`` for NA/NY (tailored out or not yet reached: nothing
  shows the practice is met, and the characterization prop keeps them apart from a failure);
  the gaps and weaknesses are listed in the finding's description;
- one ``observation`` per accepted evidence item (method EXAMINE for artifacts and weaknesses,
  INTERVIEW for affirmations), linked from the findings it serves and pointing at its input file,
  a back-matter resource with the file's SHA-256.

Every uuid is a UUIDv5 of stable keys (the inputs' SHA-256, rulesets, as-of date, project,
practice, evidence row), so two runs on the same input give the same ids; ``generated_at`` is used
only where OSCAL requires a timestamp (last-modified, start/end, collected).
"""
from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from urllib.parse import quote

from . import view
from .splice import Splice
from .labels import MEANING

#: namespace of this project's OSCAL props
NS = "https://github.com/iwm-rules/ns/oscal"
OSCAL_VERSION = "1.2.1"
_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, NS)
#: above this many evidence items the file is written compact, one observation at a time
STREAM_OVER = 10_000
#: observations encoded at once when streaming
OBSERVATION_CHUNK = 2_000
_OBSERVATIONS = "observations"  # placeholder in the skeleton, replaced before it is encoded
_STATE = {"FI": ("satisfied", "pass"), "LI": ("satisfied", "pass"), "PI": ("not-satisfied", "fail"),
          "NI": ("not-satisfied", "fail"), "NY": ("not-satisfied", "other"), "NA": ("not-satisfied", "other")}


def line(value, default: str = "") -> str:
    """One non-empty line without surrounding space (OSCAL markup-line / string values)."""
    if value is None or value == "":
        return default
    text = value if isinstance(value, str) else str(value)
    if text[0].isspace() or text[-1].isspace() or "  " in text or not text.isprintable():
        text = " ".join(text.split())
    return text or default


def token(value) -> str:
    """An OSCAL token (``(\\p{L}|_)(\\p{L}|\\p{N}|[.-_])*``) naming ``value``."""
    chars = [c if c.isalpha() or c.isdigit() or c in ".-_" else "_" for c in str(value)]
    if not chars or not (chars[0].isalpha() or chars[0] == "_"):
        chars.insert(0, "_")
    return "".join(chars)


def timestamp(value, fallback: str) -> str:
    """An OSCAL date-time with time zone (UTC) from ``generated_at``; midnight of ``fallback`` if none."""
    for text in (value, f"{fallback}T00:00:00"):
        try:
            t = dt.datetime.fromisoformat(str(text))
        except (TypeError, ValueError):
            continue
        t = t if t.tzinfo else t.replace(tzinfo=dt.UTC)
        return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return "1970-01-01T00:00:00Z"


def props(**values) -> list[dict]:
    """Props in this project's namespace; empty values are left out."""
    out = []
    for name, value in values.items():
        v = line(value)
        if v:
            out.append({"name": name.replace("_", "-"), "ns": NS, "value": v})
    return out


def _with(record: dict, **optional) -> dict:
    """``record`` plus the optional keys that have a value (OSCAL lists must not be empty)."""
    record.update({k.replace("_", "-"): v for k, v in optional.items() if v})
    return record


class Ids:
    """UUIDv5 from stable keys, under one run key (inputs, rulesets, as-of, scale, tailoring)."""

    def __init__(self, data: dict):
        files = sorted(f.get("sha256", "") or f.get("path", "") for f in data.get("input", {}).get("files", []))
        rulesets = sorted(f"{r.get('id')}@{r.get('version')}" for r in data.get("rulesets", []))
        key = json.dumps([files, rulesets, data.get("as_of"), data.get("scale", "scampi"), data.get("tailoring")])
        self.run = uuid.uuid5(_ROOT, key)

    def __call__(self, *parts) -> str:
        return str(uuid.uuid5(self.run, "\x1f".join(map(str, parts))))


def _file_resources(data: dict, ids: Ids) -> tuple[list[dict], dict[str, str]]:
    resources, by_path = [], {}
    for f in data.get("input", {}).get("files", []):
        path = str(f.get("path", ""))
        rid = ids("file", path, f.get("sha256", ""))
        by_path[path] = rid
        rlink = {"href": quote(path.replace("\\", "/"), safe="/") or "."}
        if f.get("sha256"):
            rlink["hashes"] = [{"algorithm": "SHA-256", "value": f["sha256"]}]
        resources.append(_with({"uuid": rid, "title": line(path, "input file"),
                                "description": f"Evidence file ({f.get('layout', '')} layout): {f.get('rows_read', 0)} rows "
                                               f"read, {f.get('rows_accepted', 0)} accepted, {f.get('rows_rejected', 0)} "
                                               f"rejected, {f.get('rows_skipped', 0)} skipped."},
                               props=props(layout=f.get("layout"), sha256=f.get("sha256")), rlinks=[rlink]))
    return resources, by_path


class _Numbered:
    """(``ref/i``, record) per record of the top-level list, read afresh each time it is iterated
    (a result's records are built when read: never all of them at once)."""

    def __init__(self, items):
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return ((f"ref/{i}", e) for i, e in enumerate(self.items))


def _evidence(data: dict):
    """(key, record) per evidence item: the top-level list, or the links of an older result."""
    if data.get("evidence"):
        return _Numbered(data["evidence"])
    seen: dict[str, dict] = {}
    for p in data.get("projects", []):
        for pr in p.get("practices", []):
            for _wp, link in view.practice_links(pr):
                key = f"row/{link.get('file')}/{link.get('sheet')}/{link.get('row')}/{p['project']}/{pr['practice']}"
                seen.setdefault(key, {"project": p["project"], "ruleset": pr["ruleset"], "practice": pr["practice"],
                                      "work_product": "", "evidence_type": "artifact", **link})
    return list(seen.items())


#: observation props: (OSCAL name, evidence record key)
_OBS_PROPS = (("project", "project"), ("ruleset", "ruleset"), ("practice", "practice"), ("status", "status"),
              ("date", "date"), ("owner", "owner"), ("party", "party"), ("reuse-via", "reuse_via"))


def _observation_uuid(key: str, e: dict, ids: Ids) -> str:
    return ids("observation", key, e.get("file"), e.get("sheet"), e.get("row"), e.get("project"), e.get("practice"),
               line(e.get("work_product"), "(unnamed)"))


def _observation(key: str, e: dict, ids: Ids, files: dict[str, str], collected: str) -> dict:
    etype = line(e.get("evidence_type"), "artifact")
    wp = line(e.get("work_product"), "(unnamed)")
    where = f"{e.get('file', '')}" + (f", sheet {e['sheet']}" if e.get("sheet") else "") + f", row {e.get('row', '')}"
    details = [f"- {k}: {v}" for k in ("status", "date", "owner", "party", "location", "notes") if (v := line(e.get(k)))]
    desc = f"{etype.capitalize()} '{wp}' for {e.get('practice', '')} in project {e.get('project', '')} ({where})."
    if details:
        desc += "\n\n" + "\n".join(details)
    obs = {"uuid": _observation_uuid(key, e, ids),
           "title": line(f"{e.get('project', '')} {e.get('practice', '')}: {wp}"),
           "description": desc,
           "props": [{"name": "evidence-type", "ns": NS, "value": etype}]
           + [{"name": n, "ns": NS, "value": v} for n, k in _OBS_PROPS if (v := line(e.get(k)))],
           "methods": ["INTERVIEW" if etype == "affirmation" else "EXAMINE"],
           "types": ["finding" if etype == "weakness" else "control-objective"]}
    raw = line(e.get("practice_raw"))
    if raw and raw != e.get("practice"):
        obs["props"].append({"name": "practice-raw", "ns": NS, "value": raw})
    file_ref = files.get(str(e.get("file", "")))
    if file_ref:
        obs["relevant-evidence"] = [{"href": f"#{file_ref}", "description": line(where)}]
    obs["collected"] = collected
    weakness = line(e.get("weakness"))
    if weakness:
        obs["remarks"] = f"Weakness noted: {weakness}"
    return obs


def _finding(p: dict, pr: dict, ids: Ids, obs_of: dict[str, str], refs: dict) -> dict:
    label = pr["characterization"]
    state, reason = _STATE.get(view.scampi(label), ("not-satisfied", "other"))
    title = line(pr.get("title"))
    text = [f"{pr['practice']} {title} in project {p['project']}: {label} ({MEANING.get(label, label)}), "
            f"coverage {view.pct(pr.get('coverage'))}."]
    tailoring = pr.get("tailoring") or {}
    if tailoring:
        text.append(f"Tailored {tailoring.get('kind', '')}: {line(tailoring.get('justification'), 'no justification')}")
    weak = [f.get("message", "") for f in pr.get("findings", []) if f.get("kind") == "weakness"]
    gaps = pr.get("gaps", [])

    def item(g):
        return f"- [{g.get('kind', '')}] {line(g.get('message'))} Action: {line(g.get('action'))}"

    listed = [g for g in gaps if g.get("message") in weak]
    extra = [w for w in weak if w not in {g.get("message") for g in listed}]
    if listed or extra:
        text.append("Weaknesses:\n" + "\n".join([item(g) for g in listed] + [f"- {line(w)}" for w in extra]))
    rest = [g for g in gaps if g.get("message") not in weak]
    if rest:
        text.append("Gaps:\n" + "\n".join(item(g) for g in rest))
    related, seen = [], set()
    for _wp, link in view.practice_links(pr):
        k = refs(link, p, pr)
        if k in obs_of and k not in seen:
            seen.add(k)
            related.append({"observation-uuid": obs_of[k]})
    return _with({"uuid": ids("finding", p["project"], pr["ruleset"], pr["practice"]),
                  "title": line(f"{p['project']}: {pr['practice']} {title}"),
                  "description": "\n\n".join(text),
                  "target": {"type": "objective-id", "target-id": token(pr["practice"]),
                             "title": line(f"{pr['practice']} {title}"),
                             "status": {"state": state, "reason": reason}}},
                 props=props(characterization=label, coverage=view.pct(pr.get("coverage"), 1), project=p["project"],
                             ruleset=pr["ruleset"], goal=pr.get("goal"), practice=pr["practice"]),
                 related_observations=related,
                 remarks=tailoring and line(tailoring.get("justification")))


def _reviewed_controls(data: dict) -> dict:
    practices: dict[str, dict[str, None]] = {r["id"]: {} for r in data.get("rulesets", [])}
    for p in data.get("projects", []):
        for pr in p.get("practices", []):
            practices.setdefault(pr["ruleset"], {})[pr["practice"]] = None
    titles = {r["id"]: f"{r['id']} {r.get('version', '')}: {r.get('title', '')}" for r in data.get("rulesets", [])}
    selections = [{"description": line(titles.get(rs, rs)),
                   "include-controls": [{"control-id": token(x)} for x in ids]}
                  for rs, ids in practices.items() if ids]
    return {"description": "The practices of each ruleset assessed in at least one project.",
            "control-selections": selections or [{"include-all": {}}]}


def _skeleton(data: dict):
    """(document with a placeholder for the observations, iterator of the observations)."""
    ids = Ids(data)
    as_of = data.get("as_of", "")
    ts = timestamp(data.get("generated_at"), as_of)
    resources, files = _file_resources(data, ids)
    plan = ids("plan")
    rulesets = data.get("rulesets", [])
    resources.insert(0, {"uuid": plan, "title": "Assessment plan: iwm-rules rulesets",
                         "description": f"Practices assessed as of {as_of} against: "
                                        + "; ".join(f"{r['id']} {r.get('version', '')} ({line(r.get('title'))})"
                                                    for r in rulesets) + "."})
    evidence = _evidence(data)
    obs_of = {k: _observation_uuid(k, e, ids) for k, e in evidence}
    by_ref = bool(data.get("evidence"))

    def refs(link, p, pr):
        if by_ref:
            return f"ref/{link.get('ref')}"
        return f"row/{link.get('file')}/{link.get('sheet')}/{link.get('row')}/{p['project']}/{pr['practice']}"

    findings = [_finding(p, pr, ids, obs_of, refs) for p in data.get("projects", []) for pr in p.get("practices", [])]
    projects = data.get("projects", [])
    counts = view.count_labels(pr for p in projects for pr in p.get("practices", []))
    tool = data.get("tool", {})
    result = _with({"uuid": ids("result"),
                    "title": f"iwm-rules assessment as of {as_of}",
                    "description": f"{len(projects)} project(s), {len(findings)} practice instance(s): "
                                   + ", ".join(f"{k} {counts.get(k, 0)}" for k in view.label_order(data))
                                   + f"; overall coverage {view.pct(view.overall_coverage(data), 1)}.",
                    "start": ts, "end": ts,
                    "reviewed-controls": _reviewed_controls(data)},
                   props=props(as_of=as_of, coverage=view.pct(view.overall_coverage(data), 1),
                               rows_rejected=len(data.get("input", {}).get("rejected", []))),
                   observations=[_OBSERVATIONS] if evidence else None, findings=findings)
    doc = {"uuid": ids("document"),
           "metadata": {"title": f"iwm-rules assessment results as of {as_of}", "last-modified": ts,
                        "version": line(as_of, "1"), "oscal-version": OSCAL_VERSION,
                        "props": props(tool=f"{tool.get('name', 'iwm-rules')} {tool.get('version', '')}",
                                       scale="cmmi-v2" if view.is_cmmi_v2(data) else "scampi")},
           "import-ap": {"href": f"#{plan}",
                         "remarks": "No separate assessment plan: the back-matter resource names the rulesets."},
           "results": [result],
           "back-matter": {"resources": resources}}
    observations = (_observation(k, e, ids, files, ts) for k, e in evidence)
    return {"assessment-results": doc}, observations


def build(data: dict) -> dict:
    """The whole OSCAL document as a dict."""
    doc, observations = _skeleton(data)
    result = doc["assessment-results"]["results"][0]
    if "observations" in result:
        result["observations"] = list(observations)
    return doc


def write(data: dict, path: Path) -> None:
    """Indented for small results; compact and streamed one observation at a time above
    :data:`STREAM_OVER` evidence items, so a 200k-row run never holds every observation at once."""
    try:
        import orjson
    except ImportError:
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(build(data), fh, indent=1, ensure_ascii=False)
        return
    if len(data.get("evidence") or ()) <= STREAM_OVER:
        Path(path).write_bytes(orjson.dumps(build(data), option=orjson.OPT_INDENT_2))
        return
    doc, observations = _skeleton(data)
    result = doc["assessment-results"]["results"][0]
    splice = Splice()
    if "observations" in result:
        result["observations"] = splice.hole(batched(observations, OBSERVATION_CHUNK))
    with open(path, "wb") as fh:
        fh.writelines(splice.pieces(orjson.dumps(doc), orjson.dumps))


def batched(items, size: int):
    """Lists of at most ``size`` items of an iterator."""
    part = []
    for item in items:
        part.append(item)
        if len(part) == size:
            yield part
            part = []
    if part:
        yield part
