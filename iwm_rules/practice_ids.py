"""Practice ids as evidence writes them: normalized spellings, aliases, and the catalogue that
finds a practice of the selected rulesets by any of its spellings."""
from __future__ import annotations

import re

from .model import Practice, Ruleset


def normalize_practice_key(text: str) -> str:
    """Comparable form of a practice id: upper case, only letters, digits and inner dots."""
    s = re.sub(r"[^A-Z0-9.]", "", str(text).upper())
    s = re.sub(r"(?<![0-9])\.|\.(?![0-9])", "", s)
    return s


def practice_keys(practice: Practice) -> set[str]:
    """Every normalized spelling under which evidence may name ``practice``."""
    keys = {normalize_practice_key(practice.id)}
    keys.update(normalize_practice_key(a) for a in practice.aliases)
    m = re.match(r"^([A-Za-z]+)\.SP(\d+\.\d+)$", practice.id)
    if m:
        keys.add(normalize_practice_key(f"{m.group(1)} {m.group(2)}"))
    return keys


class Catalogue:
    """Every practice of the selected rulesets, findable by any of its spellings."""

    def __init__(self, rulesets: list[Ruleset]):
        self.rulesets = list(rulesets)
        self.practices: dict[str, Practice] = {}
        self.key_to_id: dict[str, str] = {}
        for rs in self.rulesets:
            for p in rs.practices:
                self.practices[p.id] = p
                for key in practice_keys(p):
                    self.key_to_id.setdefault(key, p.id)

    def resolve(self, text: str) -> str | None:
        return self.key_to_id.get(normalize_practice_key(text))

    def suggest(self, text: str) -> str | None:
        import difflib

        key = normalize_practice_key(text)
        hits = difflib.get_close_matches(key, list(self.key_to_id), n=1, cutoff=0.75)
        return self.key_to_id[hits[0]] if hits else None
