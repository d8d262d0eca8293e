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
class MatchPattern:
    """How a work product is recognised in evidence text: ``include`` occurs in it and
    ``exclude`` (when set) does not. Both are RE2 patterns, searched case-insensitively."""

    include: str
    exclude: str = ""


@dataclass(frozen=True)
class WorkProduct:
    id: str
    name: str
    match: tuple[str, ...]
    required: bool = True
    provenance: str = "verified"
    weight: float = 1.0
    exclude: tuple[str, ...] = ()

    def regex(self) -> MatchPattern:
        """The ``match`` entries as one pattern, and the ``exclude`` entries as another."""
        return MatchPattern(_union(self.match), _union(self.exclude))


def _union(entries: tuple[str, ...]) -> str:
    return "|".join(f"(?:{pattern_to_regex(m)})" for m in entries)


def is_regex_entry(entry: str) -> bool:
    """A ``match`` entry written ``/.../`` is a regular expression; anything else is literal text."""
    return len(entry) >= 2 and entry.startswith("/") and entry.endswith("/")


def pattern_to_regex(entry: str) -> str:
    """``/re/`` entries are regular expressions (RE2 dialect); anything else is a literal substring."""
    if is_regex_entry(entry):
        return entry[1:-1]
    # RE2 reads a backslash before ASCII punctuation as that character and needs no escape for
    # letters, digits, spaces or non-ASCII text (re.escape would write ``\ `` for a space).
    return re.sub(r"([!-/:-@[-`{-~])", r"\\\1", entry)


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
    weight: float = 1.0

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
    #: a generic ruleset (CMMI generic goals) is instantiated per process area (``applies_to``)
    generic: bool = False
    applies_to: tuple[str, ...] = ()

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
    applies_to: tuple[str, ...] = ()  # process areas a generic ruleset is applied to


@dataclass(frozen=True)
class FactField:
    """A fact field: its type (one of ``FIELD_TYPES``) and what it means."""

    type: str
    meaning: str


#: The types of fact fields, what a rule value for them must be, and the operators they take.
FIELD_TYPES: dict[str, dict[str, Any]] = {
    "str": {"label": "text", "ops": ("eq", "ne", "in", "not_in", "matches", "exists")},
    "int": {"label": "whole number", "ops": ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "exists")},
    "bool": {"label": "true/false", "ops": ("eq", "ne", "exists")},
    "date": {"label": "date text YYYY-MM-DD, or ''", "ops": ("eq", "ne", "lt", "le", "gt", "ge", "exists")},
    "list": {"label": "list of texts", "ops": ("contains", "not_contains", "exists")},
}


#: Every field of the facts the rules see, with its type, documented once: docs/facts.md is
#: generated from it (``fact_fields_markdown``) and a test keeps the two equal.
FACT_FIELDS: dict[str, dict[str, FactField]] = {
    "work_product": {
        "type": FactField("str", "always 'work_product'"),
        "project": FactField("str", "project / work group id"),
        "ruleset": FactField("str", "ruleset id"),
        "practice": FactField("str", "practice id"),
        "goal": FactField("str", "goal id"),
        "work_product": FactField("str", "expected work product id"),
        "name": FactField("str", "expected work product name"),
        "required": FactField("bool", "true when the ruleset marks it required"),
        "owner": FactField("str", "owner of the practice: customer, provider, shared or ''"),
        "n_artifacts": FactField("int", "artifacts serving it (own evidence and reused full evidence)"),
        "n_adequate": FactField("int", "of those, artifacts with an accepted (or blank) status that are not stale and "
                                       "not judged inadequate (`judged` column, matrix mark `F`)"),
        "n_unapproved": FactField("int", "of those, artifacts whose status is not accepted"),
        "n_stale": FactField("int", "of those, artifacts older than max_age_days"),
        "n_future": FactField("int", "of those, artifacts dated after the assessment date (as_of); never adequate"),
        "n_supporting": FactField("int", "items reused through a subset/intersect mapping (support only)"),
        "newest_age_days": FactField("int", "age in days of the newest artifact dated on or before as_of; -1 when none is"),
        "max_age_days": FactField("int", "the ruleset's staleness limit"),
        "n_required_in_practice": FactField("int", "required work products of the practice (0: its optional ones are "
                                                   "judged as if required)"),
        "parties": FactField("list", "parties (customer, provider, shared) of the artifacts serving it"),
        "waiver": FactField("str", "none, active or expired"),
        "waiver_expires": FactField("date", "expiry date of the waiver (ISO) or ''"),
    },
    "practice": {
        "type": FactField("str", "always 'practice'"),
        "project": FactField("str", "project / work group id"),
        "ruleset": FactField("str", "ruleset id"),
        "practice": FactField("str", "practice id"),
        "goal": FactField("str", "goal id"),
        "title": FactField("str", "practice title"),
        "owner": FactField("str", "owner of the practice: customer, provider, shared or ''"),
        "n_required": FactField("int", "required work products"),
        "n_required_evidenced": FactField("int", "required work products with at least one artifact (or a waiver)"),
        "n_required_adequate": FactField("int", "required work products with an adequate artifact (or an active waiver)"),
        "n_artifacts": FactField("int", "artifact rows for this practice (matched or not, own or reused)"),
        "n_affirmations": FactField("int", "affirmation rows for this practice"),
        "n_weaknesses": FactField("int", "weaknesses recorded by reviewers against this practice, or against a "
                                         "practice whose evidence it receives in full (equal/wider mapping)"),
        "weakness_text": FactField("str", "the recorded weaknesses, joined with '; '; a reused one names the mapping "
                                          "that carried it"),
        "n_related_weaknesses": FactField("int", "weaknesses recorded against a practice mapped subset/intersect to this "
                                                 "one (not counted as weaknesses here)"),
        "related_weakness_text": FactField("str", "those weaknesses with their mapping, joined with '; '"),
        "n_other_evidence": FactField("int", "artifacts that match none of the expected work products, or whose "
                                             "mapping is unverified (`judged: unverified`, matrix mark `?`)"),
        "n_supporting": FactField("int", "artifacts and affirmations reused through a subset/intersect mapping "
                                         "(support only; team notes are not counted)"),
        "affirmation_required": FactField("bool", "true when the practice needs an affirmation"),
        "waiver": FactField("str", "none, active or expired (any work product of the practice)"),
        "parties": FactField("list", "parties (customer, provider, shared) of this practice's artifacts"),
    },
}


def fact_fields_markdown() -> str:
    """The field tables of docs/facts.md, generated from ``FACT_FIELDS``."""
    out = []
    for kind, fields in FACT_FIELDS.items():
        out += [f"## `{kind}` facts", "", "| field | type | meaning |", "|---|---|---|"]
        out += [f"| `{name}` | {FIELD_TYPES[f.type]['label']} | {f.meaning} |" for name, f in fields.items()]
        out.append("")
    return "\n".join(out)
