"""Errors that carry every problem found, with where it was found.

A compliance tool must refuse bad input loudly and completely: loaders collect
all issues first and raise once (see ``RulesetError`` and ``EvidenceError``).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One problem, with its location (``file:line`` or ``file, sheet, row``)."""

    code: str
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message} [{self.code}]" if self.location else f"{self.message} [{self.code}]"


class IwmRulesError(Exception):
    """Base class of every error the library raises on purpose."""


class RulesetError(IwmRulesError):
    """A ruleset, mapping or tailoring file is invalid; ``issues`` lists every problem."""

    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        lines = "\n".join(f"  {i}" for i in self.issues)
        super().__init__(f"{len(self.issues)} problem(s) found:\n{lines}")


class EvidenceFileError(IwmRulesError):
    """An evidence file cannot be read at all (missing, not a spreadsheet, hostile, ...).

    ``str(err)`` is one line naming the file and what to do.
    """

    def __init__(self, path: str, message: str):
        self.path = str(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")


class EvidenceError(IwmRulesError):
    """No evidence file could be used; ``errors`` holds one EvidenceFileError per file."""

    def __init__(self, errors: list[EvidenceFileError]):
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))
