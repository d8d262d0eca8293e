"""Synthetic long-layout evidence for benchmarks and property tests (deterministic per seed)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from .model import Ruleset

STATUSES = np.array(["approved", "approved", "baselined", "draft", "in_review", ""])
PARTIES = np.array(["", "customer", "provider", "shared"])


def synthetic_evidence(rulesets: list[Ruleset], n_rows: int, n_projects: int = 50, seed: int = 1) -> pd.DataFrame:
    """``n_rows`` evidence rows with the long layout's columns, spread over ``n_projects``."""
    rng = np.random.default_rng(seed)
    choices = [(p.id, w.name) for rs in rulesets for p in rs.practices for w in p.work_products]
    choices += [(p.id, f"{p.title} notes") for rs in rulesets for p in rs.practices]  # other evidence
    idx = rng.integers(0, len(choices), n_rows)
    practice = np.array([c[0] for c in choices])[idx]
    wp = np.array([c[1] for c in choices])[idx]
    version = rng.integers(1, 9, n_rows)
    days = rng.integers(0, 900, n_rows)
    base = np.datetime64(dt.date(2026, 11, 1))
    etype = np.where(rng.random(n_rows) < 0.08, "affirmation", "artifact")
    weakness = np.where(rng.random(n_rows) < 0.02, "Reviewer: evidence incomplete", "")
    return pd.DataFrame({
        "project": np.char.add("P", rng.integers(1, n_projects + 1, n_rows).astype(str)),
        "practice": practice,
        "work_product": np.char.add(np.char.add(wp.astype(str), " v"), version.astype(str)),
        "evidence_type": etype,
        "status": STATUSES[rng.integers(0, len(STATUSES), n_rows)],
        "date": pd.to_datetime(base - days.astype("timedelta64[D]")),
        "owner": "",
        "party": PARTIES[rng.integers(0, len(PARTIES), n_rows)],
        "location": "",
        "notes": "",
        "weakness": weakness,
    })
