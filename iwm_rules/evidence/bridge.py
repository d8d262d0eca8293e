"""Practice ids of other frameworks (CMMI V2.0/V3.0 ``PLAN 2.7``) reaching our practices.

A mapping row whose one end is a selected practice and whose other end no selected ruleset
holds relates an *external* id to our practice: evidence rows tagged with that id are accepted
for our practice, named with the row that carried them (``reuse_via``). The shipped CMMI
V2.0/V3.0 bridge (``rulesets/mappings-cmmi-v2.yaml``) is such a set of rows; its rows are named
``bridge ...``, a user's ``--mappings`` rows ``mapping ...``. One external id may reach several
practices (``PLAN 3.2`` -> IWM SP 1.2 and SP 1.4): the accepted row is then copied once per
further practice, each copy naming its own row.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from ..model import Mapping
from ..ruleset import Catalogue, normalize_practice_key

INVERSE = {"equal": "equal", "subset": "superset", "superset": "subset", "intersect": "intersect"}
FULL = ("equal", "superset")
#: what a CMMI V2.0/V3.0 practice id looks like: practice-area letters and level.number (``PLAN 2.7``, ``MC3.1``)
V2_ID = re.compile(r"^\s*([A-Za-z]{2,4})\s*[ ._-]?\s*(\d)\.(\d{1,2})\s*$")


@dataclass
class Bridge:
    """External ids of one run: normalized id -> every (our practice, relationship, label)."""

    targets: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    rows: dict[tuple[str, str], Mapping] = field(default_factory=dict)  # (normalized external id, ours) -> bridge row
    enabled: bool = True

    @property
    def external(self) -> dict[str, tuple[str, str, str]]:
        """The first target of each id, in the form ``table.validate`` takes."""
        return {k: v[0] for k, v in self.targets.items()}

    def bridged_ids(self) -> set[str]:
        return {k for k, _ in self.rows}


def resolve(mappings: tuple[Mapping, ...], catalogue: Catalogue, bridge: tuple[Mapping, ...] = (),
            *, enabled: bool = True) -> Bridge:
    """Collect the external ids that the mappings (user's first, then the bridge) relate to selected practices."""
    out = Bridge(enabled=enabled)
    bridge_set = set(bridge)
    for m in (*mappings, *bridge):
        label = "bridge" if m in bridge_set else "mapping"
        if m.from_ in catalogue.practices and m.to not in catalogue.practices:
            key, target = normalize_practice_key(m.to), (m.from_, INVERSE[m.relationship], label)
        elif m.to in catalogue.practices and m.from_ not in catalogue.practices:
            key, target = normalize_practice_key(m.from_), (m.to, m.relationship, label)
        else:
            continue
        have = out.targets.setdefault(key, [])
        if all(t[0] != target[0] for t in have):
            have.append(target)
            if label == "bridge":
                out.rows[(key, target[0])] = m
    return out


def expand(acc: pd.DataFrame, bridge: Bridge, catalogue: Catalogue) -> pd.DataFrame:
    """Copy each accepted row of an external id once per further practice it reaches."""
    multi = {k: v[1:] for k, v in bridge.targets.items() if len(v) > 1}
    if not multi or not len(acc):
        return acc
    via = acc["reuse_via"] != ""
    if not via.any():
        return acc
    norm = _keys(acc["practice_raw"].where(via, ""))
    parts = [acc]
    for key, more in multi.items():
        rows = acc[via & (norm == key)]
        if rows.empty:
            continue
        for target, rel, label in more:
            copy = rows.copy()
            copy["practice"] = target
            copy["ruleset"] = catalogue.practices[target].ruleset
            copy["reuse_via"] = [f"{label} {raw} -> {target} ({rel})" for raw in copy["practice_raw"]]
            copy["reuse_role"] = "full" if rel in FULL else "supporting"
            parts.append(copy)
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else acc


def hint_unmapped(rej: pd.DataFrame, bridge: Bridge, off_bridge: dict[str, list[str]]) -> pd.DataFrame:
    """Say, for a rejected V2.0/V3.0 id, whether the bridge relates it (and is off) or has no row for it."""
    if not len(rej):
        return rej
    mask = (rej["column"] == "practice") & rej["value"].astype(str).str.match(V2_ID.pattern) \
        & ~rej["hint"].astype(str).str.startswith("did you mean")  # a near miss of our own id keeps its hint
    if not mask.any():
        return rej
    rej = rej.copy()
    covered = sorted({m.from_ for m in bridge.rows.values()} | {m for ms in off_bridge.values() for m in ms})

    def hint(value: str) -> str:
        key = normalize_practice_key(value)
        if key in off_bridge:
            return (f"the CMMI V2.0/V3.0 bridge relates {value} to {', '.join(off_bridge[key])}, but it is off "
                    "(--no-bridge); run without --no-bridge or relate it with --mappings FILE")
        return ("a CMMI V2.0/V3.0 practice with no counterpart in the selected rulesets or the bridge"
                + (f" (the bridge relates {_short(covered)})" if covered else "")
                + "; if it carries IWM/WP content, relate it with --mappings FILE")

    rej.loc[mask, "hint"] = rej.loc[mask, "value"].astype(str).map(hint)
    return rej


def _keys(raw: pd.Series) -> pd.Series:
    """Normalized practice ids, computed once per distinct spelling."""
    return raw.map({u: normalize_practice_key(u) for u in raw.unique()})


def _short(ids: list[str], limit: int = 12) -> str:
    return ", ".join(ids[:limit]) + (" ..." if len(ids) > limit else "")


def usage(table: pd.DataFrame, bridge: Bridge) -> dict:
    """How many evidence rows reached which rulesets through the bridge, and through which rows."""
    info = {"enabled": bridge.enabled, "provenance": "derived", "rows": 0, "items": 0, "rulesets": {}, "mappings": [],
            "targets": sorted({p for _, p in bridge.rows})}
    if not len(table) or not bridge.rows:
        return info
    t = table[table["reuse_via"].astype(str).str.startswith("bridge ")]
    if not len(t):
        return info
    key = _keys(t["practice_raw"])
    src = t["file"].astype(str) + "\x00" + t["sheet"].astype(str) + "\x00" + t["row"].astype(str)
    info["items"] = int(len(t))
    info["rows"] = int(src.nunique())
    info["rulesets"] = {r: int(n) for r, n in src.groupby(t["ruleset"]).nunique().sort_index().items()}
    used = pd.DataFrame({"key": key, "practice": t["practice"], "src": src})
    for (k, p), g in used.groupby(["key", "practice"], sort=True):
        m = bridge.rows.get((k, p))
        if m is not None:
            info["mappings"].append((m, int(g["src"].nunique())))
    return info


def v2_ids(values) -> list[str]:
    """The distinct values that look like CMMI V2.0/V3.0 practice ids, in first-seen order."""
    seen: dict[str, None] = {}
    for v in values:
        if isinstance(v, str) and V2_ID.match(v):
            seen.setdefault(" ".join(v.split()), None)
    return list(seen)
