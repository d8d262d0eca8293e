"""Generic rulesets (CMMI generic goals and practices) applied per process area.

A generic ruleset is written once (``GG2``, ``GP2.2``, ...) and instantiated for each process
area it is applied to: ``IWM.GG2`` / ``IWM.GP2.2``, ``WP.GG2`` / ``WP.GP2.2``. Each instance is
an ordinary practice afterwards, characterized by the same rules as a specific practice, so
evidence names it as ``IWM GP 2.2``, ``IWM.GP2.2`` or ``GP 2.2`` with a ``process_area`` column.
"""
from __future__ import annotations

import re
from dataclasses import replace

from .errors import Issue, RulesetError
from .model import Goal, Ruleset

_AREA = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")


def parse_areas(text: str | list[str] | tuple[str, ...] | None) -> tuple[str, ...]:
    """``"IWM, wp"`` -> ``("IWM", "WP")``; a value that is not a process-area abbreviation raises."""
    if text is None:
        return ()
    items = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for item in items:
        area = str(item).strip().upper()
        if not area:
            continue
        if not _AREA.match(area):
            raise RulesetError([Issue("bad-process-area", "--apply-to",
                                      f"{item!r} is not a process area abbreviation (letters and digits, e.g. IWM, WP)")])
        if area not in out:
            out.append(area)
    return tuple(out)


def instantiate(template: Ruleset, areas) -> Ruleset:
    """``template`` (a generic ruleset) with one copy of every goal and practice per process area."""
    areas = parse_areas(areas)
    if not areas:
        raise RulesetError([Issue("no-process-area", template.path or template.id,
                                  f"generic ruleset {template.id!r} needs the process areas it applies to: "
                                  f"pass --apply-to IWM,WP or set 'applies_to' in the ruleset or tailoring file")])
    goals = []
    for area in areas:
        for goal in template.goals:
            gid = f"{area}.{goal.id}"
            practices = []
            for p in goal.practices:
                pid = f"{area}.{p.id}"
                number = p.id[2:] if p.id.upper().startswith("GP") else p.id
                aliases = tuple(dict.fromkeys((f"{area} {p.id}", f"{area} GP {number}",
                                               *(f"{area} {a}" for a in p.aliases))))
                rules = tuple(replace(r, scope_practice=pid) if r.scope_practice else r for r in p.rules)
                practices.append(replace(p, id=pid, goal=gid, aliases=aliases, rules=rules,
                                         title=f"{p.title} ({area})"))
            goals.append(Goal(id=gid, title=f"{goal.title} ({area})", statement=goal.statement, practices=tuple(practices)))
    return replace(template, goals=tuple(goals), applies_to=areas)


def process_area_of(practice_or_goal_id: str) -> str:
    """``IWM.SP1.1`` / ``IWM.GG2`` -> ``IWM``."""
    return practice_or_goal_id.split(".", 1)[0]
