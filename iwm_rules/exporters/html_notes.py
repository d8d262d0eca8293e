"""What ``assessment.html`` shows beyond the characterizations, as plain values for the template:
the appraisal team's notes and disagreements, input warnings and the CMMI V2.0/V3.0 bridge, and
the portfolio extras of a batch result (failed files, most frequent gaps, coverage distribution).

Read from the JSON result only; evidence sources are resolved through ``ref``.
"""
from __future__ import annotations

from collections import Counter

from . import html_charts as charts
from . import tables as T
from . import view

#: most frequent gaps shown in the portfolio overview (all are in portfolio.json / the xlsx)
MAX_PORTFOLIO_GAPS = 25


def _where(data: dict, entry: dict) -> str:
    file, sheet, row = T.source(data, entry)
    return f"{file}" + (f" [{sheet}]" if sheet else "") + (f" row {row}" if row is not None else "")


def team(data: dict, limit: int) -> dict:
    """Disagreements, and strengths / recommendations grouped per project x practice."""
    dis = data.get("disagreements") or []
    rows = [{**d, "recorded_as": d.get("recorded_as", d["recorded"]), "where": _where(data, d)} for d in dis[:limit]]
    notes, n_strengths, n_recs = [], 0, 0
    for p in data.get("projects", []):
        for pr in p.get("practices", []):
            s, r = pr.get("strengths") or [], pr.get("recommendations") or []
            n_strengths += len(s)
            n_recs += len(r)
            if (s or r) and len(notes) < limit:
                notes.append({"project": p["project"], "practice": pr["practice"], "title": pr.get("title", ""),
                              "ruleset": pr["ruleset"], "characterization": pr["characterization"],
                              "recorded": pr.get("recorded"), "recorded_as": pr.get("recorded_as") or pr.get("recorded"),
                              "strengths": [{"text": x.get("text", ""), "via": x.get("via", ""), "where": _where(data, x)}
                                            for x in s],
                              "recommendations": [{"text": x.get("text", ""), "via": x.get("via", ""),
                                                   "where": _where(data, x)} for x in r]})
    recorded = sum(1 for p in data.get("projects", []) for pr in p.get("practices", []) if pr.get("recorded"))
    return {"disagreements": rows, "n_disagreements": len(dis), "notes": notes, "n_strengths": n_strengths,
            "n_recommendations": n_recs, "n_recorded": recorded,
            "n_noted": sum(1 for p in data.get("projects", []) for pr in p.get("practices", [])
                           if pr.get("strengths") or pr.get("recommendations"))}


def inputs(data: dict) -> dict:
    """Warnings counted by kind, and the bridge: whether it was on, what it carried, the rows used."""
    warnings = [w for w in (data.get("input") or {}).get("warnings") or () if isinstance(w, dict)]
    kinds = Counter((w.get("kind") or "other") for w in warnings)
    bridge = (data.get("input") or {}).get("bridge")
    used = [m for m in data.get("mappings_used") or () if m.get("bridge")]
    others = [m for m in data.get("mappings_used") or () if not m.get("bridge")]
    return {"warning_kinds": sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])),
            "bridge": bridge if isinstance(bridge, dict) else None, "bridge_rows": used, "n_mappings": len(others)}


def portfolio(data: dict, limit: int) -> dict | None:
    """Failed files, the most frequent gaps and the coverage distribution of a batch result."""
    if "portfolio" not in data and "failed_files" not in data:
        return None
    summary = data.get("portfolio") or {}
    failed = data.get("failed_files") or []
    names = {(rs["id"], p["id"], w["id"]): w["name"] for rs in data.get("catalogue") or () for g in rs["goals"]
             for p in g["practices"] for w in p["work_products"]}
    gaps = summary.get("most_frequent_gaps") or []
    top = [{**g, "work_product_name": names.get((g.get("ruleset"), g.get("practice"), g.get("work_product")),
                                                g.get("work_product") or ""),
            "share_text": view.pct(g.get("share"))} for g in gaps[:MAX_PORTFOLIO_GAPS]]
    dist = summary.get("coverage_distribution") or {}
    bins = dist.get("bins") or []
    labels = [(f"{view.pct(b.get('from'))}–{view.pct(b.get('to'))}", int(b.get("projects") or 0)) for b in bins]
    stats = [(k.replace("_", " "), view.pct(dist[k]) if k in ("mean", "median", "min", "max") else dist[k])
             for k in ("projects", "with_coverage", "mean", "median", "min", "max") if k in dist]
    return {"failed": failed[:limit], "n_failed": len(failed), "gaps": top, "n_gaps": len(gaps),
            "histogram": charts.histogram(labels) if labels else None, "stats": stats}
