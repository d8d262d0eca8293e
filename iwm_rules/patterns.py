"""Regular expressions in rulesets: one dialect (RE2), checked at load, run in linear time.

Work-product ``match`` entries written ``/.../`` and the values of ``matches`` rules are RE2
patterns (https://github.com/google/re2/wiki/Syntax). RE2 has no backtracking, so the time to
match is linear in the text whatever the pattern (``(a+)+$`` on a long cell cannot hang a run);
what it cannot run in linear time (backreferences, look-around) it refuses to compile, and
the loader refuses it with file and line.

Both rule evaluators use this module for ``matches``: the pattern is evaluated here once per
distinct text and the engines only see the result (a true/false fact attribute), so
durable_rules and the plain-Python evaluator cannot disagree on what a pattern means.
durable_rules' own regex operator is not used: it matches the JSON-escaped text, reads no
``\\`` escapes, ``(?i)`` or anchors, and mis-evaluates alternations and repetitions
(``b*|a`` matches ``ba``, ``.*aa`` does not match ``aaaa``).
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import pandas as pd
import re2

from .model import MatchPattern

#: longest pattern accepted (a ruleset pattern is a few dozen characters)
MAX_PATTERN_CHARS = 2000
#: memory RE2 may use for one compiled pattern; a pattern needing more is refused at load
MAX_PROGRAM_BYTES = 8 << 20


class PatternError(ValueError):
    """A pattern outside the accepted dialect; the message says why."""


def _options(ignore_case: bool) -> re2.Options:
    opts = re2.Options()
    opts.log_errors = False          # RE2 would print parse errors to stderr itself
    opts.max_mem = MAX_PROGRAM_BYTES
    opts.case_sensitive = not ignore_case
    return opts


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str, ignore_case: bool = False):
    """The compiled RE2 pattern; :class:`PatternError` when it is outside the dialect."""
    if not isinstance(pattern, str):
        raise PatternError(f"a pattern must be text, got {type(pattern).__name__}")
    if pattern == "":
        raise PatternError("the pattern is empty")
    if "\\C" in pattern.replace("\\\\", ""):
        raise PatternError("\\C (any single byte) is not accepted; use . for any character")
    try:
        return re2.compile(pattern, _options(ignore_case))
    except re2.error as exc:
        reason = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise PatternError(_explain(reason)) from None


def _explain(reason: str) -> str:
    """RE2's reason, with what to write instead where the cause is a common one."""
    hints = {
        "invalid escape sequence: \\1": "backreferences (\\1) are not supported (they cannot run in linear time)",
        "invalid perl operator: (?=": "look-ahead (?=...) is not supported",
        "invalid perl operator: (?!": "look-ahead (?!...) is not supported",
        "invalid perl operator: (?<": "look-behind (?<...) is not supported",
        "pattern too large": "the pattern is too large to run in bounded memory; simplify it",
    }
    for key, text in hints.items():
        if reason.startswith(key):
            return f"{text} ({reason})"
    if "escape sequence: \\" in reason and reason[-1:].isdigit():
        return f"backreferences are not supported (they cannot run in linear time) ({reason})"
    return reason


def check(pattern, ignore_case: bool = False, max_chars: int | None = MAX_PATTERN_CHARS) -> str | None:
    """Why ``pattern`` is refused, or None when it is accepted (``max_chars`` bounds what a user
    writes; the union of a work product's entries is checked without it)."""
    if max_chars is not None and isinstance(pattern, str) and len(pattern) > max_chars:
        return f"the pattern is {len(pattern)} characters long; at most {max_chars} are accepted"
    try:
        compile_pattern(pattern, ignore_case)
    except PatternError as exc:
        return str(exc)
    return None


def fullmatch(pattern: str, text) -> bool:
    """The ``matches`` operator: the whole text matches (case-sensitive unless ``(?i)``)."""
    return isinstance(text, str) and compile_pattern(pattern).fullmatch(text) is not None


def search_mask(texts: Iterable, pattern: str | MatchPattern, *, ignore_case: bool = True):
    """Work-product matching: for each text, does ``pattern`` occur in it (case-insensitively)?

    A :class:`MatchPattern` also needs its ``exclude`` pattern not to occur. A pandas Series
    gives a boolean Series on the same index; anything else a boolean numpy array."""
    include, exclude = (pattern.include, pattern.exclude) if isinstance(pattern, MatchPattern) else (pattern, "")
    inc = compile_pattern(include, ignore_case)
    exc = compile_pattern(exclude, ignore_case) if exclude else None
    mask = np.fromiter((isinstance(t, str) and inc.search(t) is not None and (exc is None or exc.search(t) is None)
                        for t in texts), dtype=bool)
    return pd.Series(mask, index=texts.index) if isinstance(texts, pd.Series) else mask
