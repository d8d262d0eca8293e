"""Evidence table -> aggregated facts, vectorized with pandas.

One fact per project x practice x expected work product, and one per project x practice
(fields documented once in ``model.FACT_FIELDS``). The engine sees only these facts, never
raw rows: pandas does the matching at millions of rows per second, the rule engine would not.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .model import Mapping, Ruleset, Tailoring, TailoringEntry, Waiver
from .patterns import search_mask

INVERSE = {"equal": "equal", "subset": "superset", "superset": "subset", "intersect": "intersect"}
FULL_REUSE = {"equal", "superset"}
PHRASE = {"equal": "equals", "subset": "is a subset of", "superset": "is a superset of", "intersect": "overlaps"}

WP_FACT_COLUMNS = tuple(["type", "project", "ruleset", "practice", "goal", "work_product", "name", "required", "owner",
                         "n_artifacts", "n_adequate", "n_unapproved", "n_stale", "n_future", "n_supporting",
                         "newest_age_days", "max_age_days", "n_required_in_practice", "parties", "waiver",
                         "waiver_expires"])
PRACTICE_FACT_COLUMNS = tuple(["type", "project", "ruleset", "practice", "goal", "title", "owner", "n_required",
                               "n_required_evidenced", "n_required_adequate", "n_artifacts", "n_affirmations",
                               "n_weaknesses", "weakness_text", "n_related_weaknesses", "related_weakness_text",
                               "n_other_evidence", "n_supporting", "affirmation_required", "waiver", "parties"])

#: which evidence row served which expected work product ('' for other evidence), and through which mapping
LINK_COLUMNS = ("project", "practice", "work_product", "ref", "reuse_via", "reuse_role", "status_ok", "fresh")
#: the evidence columns facts are built from (the rest stays in the caller's table, reached through ``ref``)
ROW_COLUMNS = ("project", "practice", "work_product", "evidence_type", "status", "date", "party", "weakness",
               "reuse_via", "reuse_role", "judged")
TAILORED_COLUMNS = ("project", "ruleset", "practice", "goal", "status", "justification")


@dataclass
class Facts:
    work_products: pd.DataFrame   # WP_FACT_COLUMNS
    practices: pd.DataFrame       # PRACTICE_FACT_COLUMNS
    links: pd.DataFrame           # LINK_COLUMNS (status_ok, fresh: the row's own adequacy for that practice's ruleset)
    tailored: pd.DataFrame        # TAILORED_COLUMNS (in any order)
    projects: list[str]
    as_of: dt.date
    scopes: dict[str, set[str]] | None = None
    #: tailoring entries and waivers naming a project the evidence does not have ({file, line, message})
    warnings: list[dict] = field(default_factory=list)

    def in_scope(self, project: str, ruleset: str) -> bool:
        return self.scopes is None or ruleset in self.scopes.get(project, set())

    _wp_records: list[dict] | None = field(default=None, repr=False, compare=False)
    _practice_records: list[dict] | None = field(default=None, repr=False, compare=False)

    def wp_records(self) -> list[dict]:
        """The work-product facts as plain dicts (built once; callers must not change them)."""
        if self._wp_records is None:
            self._wp_records = frame_records(self.work_products)
        return self._wp_records

    def practice_records(self) -> list[dict]:
        """The practice facts as plain dicts (built once; callers must not change them)."""
        if self._practice_records is None:
            self._practice_records = frame_records(self.practices)
        return self._practice_records

    def records(self) -> list[dict]:
        """Every fact as a plain dict (what the engine asserts): work products, then practices."""
        return self.wp_records() + self.practice_records()

    def forget_records(self) -> None:
        """Drop the cached fact dicts (scoring, their last reader, frees each project's as it goes);
        asked for again, they are built anew."""
        self._wp_records = self._practice_records = None


def column_values(column: pd.Series) -> list:
    """A column as Python values (numpy scalars inside object columns unwrapped), as
    ``DataFrame.to_dict("records")`` gives them."""
    values = column.tolist()
    if column.dtype == object and any(isinstance(v, np.generic) for v in values):
        values = [v.item() if isinstance(v, np.generic) else v for v in values]
    return values


def frame_records(frame: pd.DataFrame) -> list[dict]:
    """``frame.to_dict("records")``, column by column instead of row by row."""
    keys = [str(c) for c in frame.columns]
    if not len(frame):
        return []
    return [dict(zip(keys, row)) for row in zip(*(column_values(frame[c]) for c in frame.columns))]


def catalogue_frames(rulesets: list[Ruleset]) -> tuple[pd.DataFrame, pd.DataFrame]:
    wps, prs = [], []
    for rs in rulesets:
        for p in rs.practices:
            prs.append({"ruleset": rs.id, "practice": p.id, "goal": p.goal, "title": p.title, "owner": p.owner,
                        "affirmation_required": p.affirmation_required,
                        "n_required": len(p.required_work_products),
                        "accept_status": ",".join(rs.defaults.accept_status),
                        "max_age_days": rs.defaults.max_age_days})
            for w in p.work_products:
                wps.append({"ruleset": rs.id, "practice": p.id, "goal": p.goal, "work_product": w.id, "name": w.name,
                            "required": w.required, "owner": p.owner, "regex": w.regex(),
                            "max_age_days": rs.defaults.max_age_days,
                            "n_required_in_practice": len(p.required_work_products)})
    return pd.DataFrame(wps), pd.DataFrame(prs)


def _reuse(table: pd.DataFrame, mappings: tuple[Mapping, ...], known: set[str]) -> pd.DataFrame:
    """Copies of rows tagged with a mapped practice, re-tagged to the other end.

    A copy keeps its weakness: reused in full (equal/wider), it is a weakness of the other
    practice too; reused as support only, it is listed there as a related weakness.
    """
    parts = []
    for m in mappings:
        if m.from_ not in known or m.to not in known:
            continue
        # ``from`` rel ``to``: evidence of the wider (or equal) practice fully serves the narrower one;
        # evidence of a narrower or merely overlapping practice only supports the other.
        for src, dst, rel in ((m.from_, m.to, m.relationship), (m.to, m.from_, INVERSE[m.relationship])):
            rows = table[(table["practice"] == src) & (table["reuse_role"] == "own")]
            if rows.empty:
                continue
            rows = rows.copy()
            rows["practice"] = dst
            rows["reuse_via"] = f"mapping {src} -> {dst} ({src} {PHRASE[rel]} {dst})"
            rows["reuse_role"] = "full" if rel in FULL_REUSE else "supporting"
            parts.append(rows)
    return pd.concat([table] + parts, ignore_index=True) if parts else table


def build_facts(rulesets: list[Ruleset], table: pd.DataFrame, *, tailoring: Tailoring | None = None,
                as_of: dt.date | None = None, mappings: tuple[Mapping, ...] = (),
                projects: list[str] | None = None, scopes: dict[str, set[str]] | None = None) -> Facts:
    """``scopes``: project -> ruleset ids assessed for it (default: every ruleset for every project)."""
    as_of = as_of or dt.date.today()
    wp_cat, pr_cat = catalogue_frames(rulesets)
    projects = sorted(projects if projects is not None else table["project"].unique().tolist())
    pr_ruleset = dict(zip(pr_cat["practice"], pr_cat["ruleset"])) if len(pr_cat) else {}
    if not projects:  # nothing accepted: no facts
        return Facts(work_products=pd.DataFrame(columns=list(WP_FACT_COLUMNS)),
                     practices=pd.DataFrame(columns=list(PRACTICE_FACT_COLUMNS)),
                     links=pd.DataFrame(columns=list(LINK_COLUMNS)), tailored=pd.DataFrame(columns=list(TAILORED_COLUMNS)),
                     projects=[], as_of=as_of, scopes=scopes)

    # ---- rows: adequacy, age, reuse
    t = table[[c for c in ROW_COLUMNS if c in table]].copy(deep=False)  # copy-on-write: the caller's table is untouched
    t["ref"] = np.arange(len(t))  # position in the accepted table = index into the JSON ``evidence`` list
    if "reuse_via" not in t:
        t["reuse_via"] = ""
        t["reuse_role"] = "own"
    t = _reuse(t, mappings, set(pr_ruleset))
    t["ruleset"] = t["practice"].map(pr_ruleset)
    accept = dict(zip(pr_cat["ruleset"], pr_cat["accept_status"])) if len(pr_cat) else {}
    max_age = dict(zip(pr_cat["ruleset"], pr_cat["max_age_days"])) if len(pr_cat) else {}
    dates = pd.to_datetime(t["date"])
    t["age_days"] = (pd.Timestamp(as_of) - dates).dt.days
    status_ok = (t["status"] == "").to_numpy(dtype=bool, copy=True)
    for r, statuses in accept.items():  # a status the row's ruleset accepts
        status_ok |= ((t["ruleset"] == r) & t["status"].isin(statuses.split(","))).to_numpy(dtype=bool)
    t["status_ok"] = status_ok
    t["stale"] = t["age_days"] > t["ruleset"].map(max_age)
    t["future"] = t["age_days"] < 0  # dated after as_of: not fresh, whatever its status
    t["fresh"] = ~t["stale"] & ~t["future"]
    # a reviewer's judgement (document x practice matrix mark F) makes an artifact inadequate
    t["adequate"] = t["status_ok"] & t["fresh"] & (t["judged"] != "inadequate" if "judged" in t else True)
    t["unapproved"] = ~t["status_ok"]
    t["past_age_days"] = t["age_days"].where(~t["future"])
    t["is_artifact"] = t["evidence_type"] == "artifact"
    t["is_affirmation"] = t["evidence_type"] == "affirmation"
    t["supporting"] = t["reuse_role"] == "supporting"
    art = t[t["is_artifact"]]

    # ---- match artifact rows to expected work products: once per distinct (practice, text)
    pairs = art[["practice", "work_product"]].drop_duplicates()
    hits = []
    wp_by_practice = {k: g for k, g in wp_cat.groupby("practice")} if len(wp_cat) else {}
    for pid, group in pairs.groupby("practice"):
        for wp in wp_by_practice.get(pid, pd.DataFrame()).itertuples(index=False):
            hit = search_mask(group["work_product"], wp.regex)  # RE2, case-insensitive, linear time
            if hit.any():
                hits.append(group[hit.to_numpy()].assign(work_product_id=wp.work_product))
    pair_hits = pd.concat(hits, ignore_index=True) if hits else pd.DataFrame(columns=["practice", "work_product", "work_product_id"])
    art_i = art.reset_index().rename(columns={"index": "_i"})
    matched = art_i.merge(pair_hits, on=["practice", "work_product"], how="inner").set_index("_i")
    if "judged" in matched:  # an unverified mapping (matrix mark ?) is other evidence: it lifts NI to PI at most
        matched = matched[matched["judged"] != "unverified"]
    matched_idx = set(matched.index)
    art_other = art[~art.index.isin(matched_idx)]

    # ---- tailoring
    chosen: dict[tuple[str, str], TailoringEntry] = {}
    if tailoring:
        # "*" entries first, so that a project's own entry overrides them whatever the order in the file
        for e in sorted(tailoring.entries, key=_specificity):
            if e.practice not in pr_ruleset:
                continue
            for proj in projects if e.project == "*" else [e.project]:
                if proj in projects:
                    chosen[(proj, e.practice)] = e
    tail_rows = [{"project": proj, "practice": pid, "status": e.status, "justification": e.justification}
                 for (proj, pid), e in chosen.items()]
    tailored = pd.DataFrame(tail_rows, columns=["project", "practice", "status", "justification"])
    tailored_keys = set(zip(tailored["project"], tailored["practice"]))

    # ---- work-product facts
    grid = _in_scope(pd.DataFrame({"project": projects}).merge(wp_cat.drop(columns=["regex"]), how="cross"), scopes) \
        if len(wp_cat) else pd.DataFrame()
    grid = _where_pairs(grid, "practice", tailored_keys, keep=False)
    keys = ["project", "practice", "work_product_id"]
    full = matched[~matched["supporting"]]
    sup = matched[matched["supporting"]]
    agg = full.groupby(keys).agg(
        n_artifacts=("adequate", "size"), n_adequate=("adequate", "sum"),
        n_unapproved=("unapproved", "sum"), n_stale=("stale", "sum"), n_future=("future", "sum"),
        newest_age_days=("past_age_days", "min"),
    ).reset_index().merge(_parties(full, keys), on=keys, how="left") if len(full) else pd.DataFrame(columns=keys + ["n_artifacts", "n_adequate", "n_unapproved", "n_stale", "n_future", "newest_age_days", "parties"])
    sagg = sup.groupby(keys).size().rename("n_supporting").reset_index() if len(sup) else pd.DataFrame(columns=keys + ["n_supporting"])
    if len(grid):
        wpf = grid.merge(agg.rename(columns={"work_product_id": "work_product"}), on=["project", "practice", "work_product"], how="left")
        wpf = wpf.merge(sagg.rename(columns={"work_product_id": "work_product"}), on=["project", "practice", "work_product"], how="left")
    else:
        wpf = pd.DataFrame(columns=list(WP_FACT_COLUMNS))
    for c in ("n_artifacts", "n_adequate", "n_unapproved", "n_stale", "n_future", "n_supporting"):
        wpf[c] = wpf[c].fillna(0).astype(int)
    wpf["newest_age_days"] = wpf["newest_age_days"].fillna(-1).astype(int)
    wpf["parties"] = [p if isinstance(p, list) else [] for p in wpf["parties"]]
    wpf["type"] = "work_product"
    wpf["waiver"], wpf["waiver_expires"] = _waivers(wpf, tailoring, as_of)
    wpf = wpf[list(WP_FACT_COLUMNS)].reset_index(drop=True)

    # ---- practice facts
    pgrid = _in_scope(pd.DataFrame({"project": projects}).merge(pr_cat, how="cross"), scopes) if len(pr_cat) else pd.DataFrame()
    pgrid = _where_pairs(pgrid, "practice", tailored_keys, keep=False)
    req = wpf[wpf["required"].astype(bool)].copy()  # as bool: an empty object column would select columns
    req["evidenced"] = (req["n_artifacts"] > 0) | (req["n_supporting"] > 0) | (req["waiver"] != "none")
    req["is_adequate"] = (req["n_adequate"] > 0) | (req["waiver"] == "active")
    ragg = req.groupby(["project", "practice"]).agg(n_required_evidenced=("evidenced", "sum"),
                                                    n_required_adequate=("is_adequate", "sum")).reset_index()
    wv = wpf.assign(w=wpf["waiver"].map({"none": 0, "active": 1, "expired": 2})).groupby(["project", "practice"])["w"].max()
    own_full = t[~t["supporting"]]
    pagg = own_full.groupby(["project", "practice"]).agg(
        n_artifacts=("is_artifact", "sum"), n_affirmations=("is_affirmation", "sum"),
    ).reset_index().merge(_parties(own_full[own_full["is_artifact"]], ["project", "practice"]), on=["project", "practice"],
                          how="left") if len(own_full) else pd.DataFrame(columns=["project", "practice", "n_artifacts", "n_affirmations", "parties"])
    wagg = _weaknesses(own_full, "n_weaknesses", "weakness_text")
    relagg = _weaknesses(t[t["supporting"]], "n_related_weaknesses", "related_weakness_text")
    oagg = art_other[~art_other["supporting"]].groupby(["project", "practice"]).size().rename("n_other_evidence").reset_index() \
        if len(art_other) else pd.DataFrame(columns=["project", "practice", "n_other_evidence"])
    sp = t[t["supporting"] & (t["is_artifact"] | t["is_affirmation"])]  # notes support nothing
    sagg2 = sp.groupby(["project", "practice"]).size().rename("n_supporting").reset_index() \
        if len(sp) else pd.DataFrame(columns=["project", "practice", "n_supporting"])
    if len(pgrid):
        pf = pgrid
        for extra in (ragg, pagg, wagg, relagg, oagg, sagg2):
            pf = pf.merge(extra, on=["project", "practice"], how="left")
        pf = pf.merge(wv.rename("w").reset_index(), on=["project", "practice"], how="left")
        pf["waiver"] = pf.pop("w").fillna(0).astype(int).map({0: "none", 1: "active", 2: "expired"})
    else:
        pf = pd.DataFrame(columns=list(PRACTICE_FACT_COLUMNS))
    for c in ("n_required_evidenced", "n_required_adequate", "n_artifacts", "n_affirmations", "n_weaknesses",
              "n_related_weaknesses", "n_other_evidence", "n_supporting", "n_required"):
        pf[c] = pf[c].fillna(0).astype(int)
    pf["weakness_text"] = pf["weakness_text"].fillna("")
    pf["related_weakness_text"] = pf["related_weakness_text"].fillna("")
    pf["parties"] = [p if isinstance(p, list) else [] for p in pf["parties"]]
    pf["affirmation_required"] = pf["affirmation_required"].astype(bool)
    pf["type"] = "practice"
    pf = pf[list(PRACTICE_FACT_COLUMNS)].reset_index(drop=True)

    # ---- evidence links (which row served which work product, and through which mapping)
    links = pd.concat([matched.assign(work_product=matched["work_product_id"])[list(LINK_COLUMNS)],
                       art_other.assign(work_product="")[list(LINK_COLUMNS)]], ignore_index=True)

    tailored = tailored.assign(ruleset=tailored["practice"].map(pr_ruleset),
                               goal=tailored["practice"].map(dict(zip(pr_cat["practice"], pr_cat["goal"])) if len(pr_cat) else {}))
    return Facts(work_products=wpf, practices=pf, links=links, tailored=tailored, projects=projects, as_of=as_of,
                 scopes=scopes, warnings=tailoring_warnings(tailoring, projects))


def _in_scope(grid: pd.DataFrame, scopes: dict[str, set[str]] | None) -> pd.DataFrame:
    if scopes is None:
        return grid
    return _where_pairs(grid, "ruleset", {(p, r) for p, rs in scopes.items() for r in rs}, keep=True)


def _where_pairs(grid: pd.DataFrame, column: str, pairs: set, *, keep: bool) -> pd.DataFrame:
    """Rows whose (project, ``column``) pair is in ``pairs`` (keep) or not in it (drop)."""
    if not len(grid):  # may have no columns at all
        return grid
    hit = pd.MultiIndex.from_arrays([grid["project"], grid[column]]).isin(list(pairs))
    return grid[hit if keep else ~hit]


def distinct_sorted(rows: pd.DataFrame, keys: list[str], column: str) -> tuple[pd.DataFrame, list[list]]:
    """The groups of ``rows`` by ``keys`` (a frame of their keys, in key order) and, for each,
    the sorted distinct values of ``column``: every column factorized once in sorted order,
    then one sort of integer codes and slices of one list."""
    cols = keys + [column]
    rows = rows[rows[keys].notna().all(axis=1)]  # as groupby: a group needs its keys
    if not len(rows):
        return pd.DataFrame({k: pd.Series([], dtype=object) for k in keys}), []
    # a missing value of ``column`` is one more value, sorted last (as sort_values puts it)
    factorized = [pd.factorize(rows[c], sort=True, use_na_sentinel=False) for c in cols]
    codes = [c for c, _ in factorized]
    order = np.lexsort(codes[::-1])  # by the keys, then the column
    codes = [c[order] for c in codes]
    n = len(order)

    def changed(arrays) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        out[0] = True
        for a in arrays:
            out[1:] |= a[1:] != a[:-1]
        return out

    keep = np.flatnonzero(changed(codes))             # first of each distinct (keys, value)
    codes = [c[keep] for c in codes]
    n = len(keep)
    starts = np.flatnonzero(changed(codes[:-1])).tolist()
    values = np.asarray(factorized[-1][1], dtype=object)[codes[-1]].tolist()
    lists = [values[a:b] for a, b in zip(starts, starts[1:] + [n])]
    groups = pd.DataFrame({k: np.asarray(u, dtype=object)[c[starts]] for k, (_, u), c in zip(keys, factorized, codes)})
    return groups, lists


def _parties(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sorted list of the non-empty parties per group (one row per group that has any)."""
    groups, lists = distinct_sorted(rows[rows["party"] != ""], keys, "party")
    return groups.assign(parties=pd.Series(lists, dtype=object))


def _weaknesses(rows: pd.DataFrame, count: str, text: str) -> pd.DataFrame:
    """Distinct weakness texts per project x practice; one reused through a mapping names that mapping."""
    rows = rows[rows["weakness"] != ""]
    if not len(rows):
        return pd.DataFrame(columns=["project", "practice", count, text])
    named = rows["weakness"].where(rows["reuse_via"] == "", rows["weakness"] + " (via " + rows["reuse_via"] + ")")
    groups, lists = distinct_sorted(rows[["project", "practice"]].assign(named=named), ["project", "practice"], "named")
    return groups.assign(**{count: [len(v) for v in lists], text: ["; ".join(v) for v in lists]})


def _specificity(entry: TailoringEntry | Waiver) -> tuple[bool, bool]:
    """Sort key: entries for every project ("*") first, a project's own entries after them (they win);
    for waivers, a whole-practice waiver before one naming the work product."""
    return entry.project != "*", getattr(entry, "work_product", None) is not None


def _waivers(wpf: pd.DataFrame, tailoring: Tailoring | None, as_of: dt.date) -> tuple[list[str], list[str]]:
    state = ["none"] * len(wpf)
    expires = [""] * len(wpf)
    if not tailoring:
        return state, expires
    pos = {k: i for i, k in enumerate(zip(wpf["project"], wpf["practice"], wpf["work_product"]))}
    for w in sorted(tailoring.waivers, key=_specificity):  # the most specific waiver is applied last and wins
        for (proj, pid, wid), i in pos.items():
            if pid == w.practice and (w.project in ("*", proj)) and (w.work_product in (None, wid)):
                state[i] = "active" if w.expires >= as_of else "expired"
                expires[i] = w.expires.isoformat()
    return state, expires


def _name_key(name: str) -> str:
    """How two project names are compared for a "did you mean": Unicode width, case and spaces ignored."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name).casefold())


def tailoring_warnings(tailoring: Tailoring | None, projects: list[str]) -> list[dict]:
    """Tailoring entries and waivers that name a project the evidence does not have (they apply to nothing)."""
    if not tailoring or not projects:
        return []
    known = set(projects)
    by_key: dict[str, list[str]] = {}
    for p in projects:
        by_key.setdefault(_name_key(p), []).append(p)
    out = []
    for kind, items in (("tailoring entry", tailoring.entries), ("waiver", tailoring.waivers)):
        for e in items:
            if e.project == "*" or e.project in known:
                continue
            near = by_key.get(_name_key(e.project)) or [  # same name but for case/spaces/width, else the closest
                name for k in difflib.get_close_matches(_name_key(e.project), list(by_key), n=1, cutoff=0.8)
                for name in by_key[k]]
            hint = f"did you mean {' or '.join(sorted(near))}?" if near else "check the spelling"
            where = f"{tailoring.path}:{e.line}" if e.line else tailoring.path
            out.append({"file": tailoring.path, "line": e.line, "kind": "tailoring_unknown_project",
                        "message": f"{where}: {kind} for {e.practice} names project {e.project!r}, which the evidence "
                                   f"does not have, so it applies to nothing ({hint})"})
    return out
