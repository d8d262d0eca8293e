"""Tailoring files: practices not applicable / not yet per project, waivers, generic-practice scope.

Every problem is collected with its line and raised at once as a :class:`RulesetError`.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from .checker import _Checker, _closest, _line, read_config
from .errors import RulesetError
from .model import Ruleset, Tailoring, TailoringEntry, Waiver


def load_tailoring(path: str | Path, rulesets: list[Ruleset]) -> Tailoring:
    """A tailoring file: practices not applicable / not yet per project, and waivers."""
    ck = _Checker(str(path))
    data = read_config(Path(path), ck)
    known = {p.id for rs in rulesets for p in rs.practices}
    wps = {(p.id, w.id) for rs in rulesets for p in rs.practices for w in p.work_products}
    entries, waivers = [], []
    applies_to: tuple[str, ...] = ()
    if data is not None and ck.keys(data, {"tailoring", "waivers", "description", "applies_to"}, set(), "tailoring file"):
        applies_to = tuple(a.upper() for a in ck.str_list(data, "applies_to"))
        for node in data.get("tailoring") or []:
            if not ck.keys(node, {"project", "practice", "status", "justification"}, {"practice", "status"}, "tailoring entry"):
                continue
            pid, status = ck.text(node, "practice"), ck.text(node, "status")
            if pid not in known:
                ck.add("unknown-practice", _line(node, "practice"), f"unknown practice {pid!r}" + _hint(pid, known))
            if status not in ("not_applicable", "not_yet"):
                ck.add("type", _line(node, "status"), "status must be 'not_applicable' or 'not_yet'")
            just = ck.text(node, "justification")
            if status == "not_applicable" and not just:
                ck.add("missing-field", _line(node), f"{pid}: 'not_applicable' needs a justification")
            entries.append(TailoringEntry(ck.text(node, "project", "*") or "*", pid, status, just, line=_line(node)))
        for node in data.get("waivers") or []:
            if not ck.keys(node, {"project", "practice", "work_product", "reason", "expires", "approved_by"},
                           {"practice", "reason", "expires"}, "waiver"):
                continue
            pid, wid = ck.text(node, "practice"), ck.text(node, "work_product") or None
            if pid not in known:
                ck.add("unknown-practice", _line(node, "practice"), f"unknown practice {pid!r}" + _hint(pid, known))
            elif wid and (pid, wid) not in wps:
                ck.add("unknown-work-product", _line(node, "work_product"), f"practice {pid} has no work product {wid!r}")
            expires = node.get("expires")
            if isinstance(expires, str):
                try:
                    expires = dt.date.fromisoformat(expires)
                except ValueError:
                    expires = None
            if not isinstance(expires, dt.date):
                ck.add("type", _line(node, "expires"), "expires must be a date (YYYY-MM-DD)")
                continue
            waivers.append(Waiver(ck.text(node, "project", "*") or "*", pid, wid, ck.text(node, "reason"), expires,
                                  line=_line(node)))
    _check_tailoring_conflicts(ck, entries, waivers)
    if ck.issues:
        raise RulesetError(ck.issues)
    return Tailoring(tuple(entries), tuple(waivers), str(path), applies_to)


def tailoring_applies_to(path: str | Path) -> tuple[str, ...]:
    """The ``applies_to`` process areas of a tailoring file (read before the rulesets are chosen)."""
    ck = _Checker(str(path))
    data = read_config(Path(path), ck)
    if ck.issues:
        raise RulesetError(ck.issues)
    if not isinstance(data, dict):
        return ()
    return tuple(a.upper() for a in ck.str_list(data, "applies_to"))


def _check_tailoring_conflicts(ck: _Checker, entries: list[TailoringEntry], waivers: list[Waiver]) -> None:
    """Two different entries for one project and practice (waivers: and work product) leave the
    result depending on their order in the file: refuse them, naming both lines."""
    first: dict[tuple, TailoringEntry | Waiver] = {}
    for kind, items in (("tailoring entry", entries), ("waiver", waivers)):
        for e in items:
            key = (kind, e.project, e.practice, getattr(e, "work_product", None))
            seen = first.setdefault(key, e)
            if seen is not e and seen != e:
                what = f"project {e.project!r}, practice {e.practice}" + (f", work product {key[3]}" if key[3] else "")
                ck.add("conflict", e.line, f"{kind} for {what} conflicts with the one at line {seen.line}; "
                                           "keep one entry per project and practice")


def _hint(value: str, known: set[str]) -> str:
    hit = _closest(value, known)
    return f" (did you mean {hit}?)" if hit else ""


