"""Plain, immutable records shared by every stage. No I/O here."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


#: CMMI V2.0 labels for the same scale (``--scale cmmi-v2``).
CMMI_V2_LABELS = {"FI": "FM", "LI": "LM", "PI": "PM", "NI": "DM", "NY": "NY", "NA": "NA"}

GAP_KINDS = (
    "missing_work_product",
    "not_approved",
    "stale",
    "missing_affirmation",
    "weakness",
    "waiver_expired",
    "no_evidence",
    "dated_after_as_of",
)
STATUSES = ("draft", "in_review", "approved", "baselined", "obsolete")
EVIDENCE_TYPES = ("artifact", "affirmation")
PARTIES = ("customer", "provider", "shared")


@dataclass(frozen=True)
class Subpractice:
    text: str
    provenance: str = "verified"


@dataclass(frozen=True)
class WorkProduct:
    id: str
    name: str
    match: tuple[str, ...]
    required: bool = True
    provenance: str = "verified"

    def regex(self) -> str:
        """One case-insensitive search pattern covering every ``match`` entry."""
        return "|".join(f"(?:{pattern_to_regex(m)})" for m in self.match)


def pattern_to_regex(entry: str) -> str:
    """``/re/`` entries are regular expressions; anything else is a literal substring."""
    if len(entry) >= 2 and entry.startswith("/") and entry.endswith("/"):
        return entry[1:-1]
    return re.escape(entry)


@dataclass(frozen=True)
class Rule:
    """A rule of the rule language (docs/ruleset-format.md), before compilation."""

    id: str
    on: str  # practice | work_product
    when: dict[str, Any]
    then: dict[str, Any]
    origin: str  # ruleset id, or "standard"
    scope_ruleset: str | None = None
    scope_practice: str | None = None


@dataclass(frozen=True)
class Practice:
    id: str
    ruleset: str
    goal: str
    title: str
    statement: str
    aliases: tuple[str, ...] = ()
    source: str = ""
    provenance: str = "verified"
    affirmation_required: bool = False
    owner: str = ""
    objective: str = ""
    inputs: tuple[str, ...] = ()
    guidance: tuple[str, ...] = ()
    subpractices: tuple[Subpractice, ...] = ()
    work_products: tuple[WorkProduct, ...] = ()
    rules: tuple[Rule, ...] = ()

    @property
    def required_work_products(self) -> tuple[WorkProduct, ...]:
        return tuple(w for w in self.work_products if w.required)


@dataclass(frozen=True)
class Goal:
    id: str
    title: str
    statement: str
    practices: tuple[Practice, ...]


@dataclass(frozen=True)
class Defaults:
    accept_status: tuple[str, ...] = ("approved", "baselined")
    max_age_days: int = 365
    affirmation: str = "optional"


@dataclass(frozen=True)
class Ruleset:
    id: str
    title: str
    version: str
    source: str
    goals: tuple[Goal, ...]
    defaults: Defaults = field(default_factory=Defaults)
    description: str = ""
    provenance_note: str = ""
    rules: tuple[Rule, ...] = ()
    path: str = ""

    @property
    def practices(self) -> tuple[Practice, ...]:
        return tuple(p for g in self.goals for p in g.practices)

    def practice(self, practice_id: str) -> Practice:
        for p in self.practices:
            if p.id == practice_id:
                return p
        raise KeyError(practice_id)


@dataclass(frozen=True)
class Mapping:
    """``from`` relative to ``to``: equal, subset, superset or intersect."""

    from_: str
    to: str
    relationship: str
    source: str = ""
    provenance: str = "derived"


@dataclass(frozen=True)
class TailoringEntry:
    project: str  # "*" for every project
    practice: str
    status: str  # not_applicable | not_yet
    justification: str = ""
    line: int = field(default=0, compare=False)  # line in the tailoring file (0: not from a file)


@dataclass(frozen=True)
class Waiver:
    project: str  # "*" for every project
    practice: str
    work_product: str | None  # None: every work product of the practice
    reason: str
    expires: Any  # datetime.date
    line: int = field(default=0, compare=False)  # line in the tailoring file (0: not from a file)


@dataclass(frozen=True)
class Tailoring:
    entries: tuple[TailoringEntry, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    path: str = ""


#: Every field of the facts the rules see, documented once (docs/facts.md repeats this).
FACT_FIELDS: dict[str, dict[str, str]] = {
    "work_product": {
        "type": "always 'work_product'",
        "project": "project / work group id",
        "ruleset": "ruleset id",
        "practice": "practice id",
        "goal": "goal id",
        "work_product": "expected work product id",
        "name": "expected work product name",
        "required": "true when the ruleset marks it required",
        "owner": "owner of the practice: customer, provider, shared or ''",
        "n_artifacts": "artifacts serving it (own evidence and reused full evidence)",
        "n_adequate": "of those, artifacts with an accepted (or blank) status that are not stale",
        "n_unapproved": "of those, artifacts whose status is not accepted",
        "n_stale": "of those, artifacts older than max_age_days",
        "n_future": "of those, artifacts dated after the assessment date (as_of); never adequate",
        "n_supporting": "items reused through a subset/intersect mapping (support only)",
        "newest_age_days": "age in days of the newest artifact dated on or before as_of; -1 when none is",
        "max_age_days": "the ruleset's staleness limit",
        "n_required_in_practice": "required work products of the practice (0: its optional ones are judged as if required)",
        "parties": "parties (customer, provider, shared) of the artifacts serving it",
        "waiver": "none, active or expired",
        "waiver_expires": "expiry date of the waiver (ISO) or ''",
    },
    "practice": {
        "type": "always 'practice'",
        "project": "project / work group id",
        "ruleset": "ruleset id",
        "practice": "practice id",
        "goal": "goal id",
        "title": "practice title",
        "owner": "owner of the practice: customer, provider, shared or ''",
        "n_required": "required work products",
        "n_required_evidenced": "required work products with at least one artifact (or a waiver)",
        "n_required_adequate": "required work products with an adequate artifact (or an active waiver)",
        "n_artifacts": "artifact rows for this practice (matched or not, own or reused)",
        "n_affirmations": "affirmation rows for this practice",
        "n_weaknesses": "weaknesses recorded by reviewers against this practice, or against a practice whose "
                        "evidence it receives in full (equal/wider mapping)",
        "weakness_text": "the recorded weaknesses, joined with '; '; a reused one names the mapping that carried it",
        "n_related_weaknesses": "weaknesses recorded against a practice mapped subset/intersect to this one "
                                "(not counted as weaknesses here)",
        "related_weakness_text": "those weaknesses with their mapping, joined with '; '",
        "n_other_evidence": "artifacts that match none of the expected work products",
        "n_supporting": "items reused through a subset/intersect mapping (support only)",
        "affirmation_required": "true when the practice needs an affirmation",
        "waiver": "none, active or expired (any work product of the practice)",
        "parties": "parties (customer, provider, shared) of this practice's artifacts",
    },
}
