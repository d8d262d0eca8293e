"""Facts grouped by what the rules can see of them.

A rule's outcome on a fact depends only on the fields its condition tests (the scope
fields ``type``/``ruleset``/``practice`` among them) and on the fields its ``matches``
patterns read. Facts equal on all of those fields (values and types, presence included)
fire exactly the same rules, so each distinct *signature* is evaluated once and the result
is shared by every fact that has it; messages are still written from each fact's own fields.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .compiler import CompiledRules

_ABSENT = object()
_BRANCHES = ("$and", "$or")
_FIELD_OPS = ("$ex", "$nex", "$neq", "$lt", "$lte", "$gt", "$gte", "$iany", "$iall")


def condition_fields(cond: dict, into: set[str]) -> set[str]:
    """Every fact field a compiled condition reads (regex attributes included as written)."""
    for key, arg in cond.items():
        if key in _BRANCHES:
            for c in arg:
                condition_fields(c, into)
        elif key in _FIELD_OPS:
            into.update(arg)
        elif key.startswith("$"):
            raise ValueError(f"unsupported condition {key!r}")
        else:
            into.add(key)
    return into


def signature_fields(compiled: CompiledRules) -> tuple[str, ...]:
    """The fields that decide every rule's outcome: those the conditions test, with each
    regex attribute replaced by the field its pattern reads."""
    fields: set[str] = {"type"}  # the engine's catch-all tests it
    for cr in compiled.rules:
        condition_fields(cr.condition, fields)
    regex_attrs = set(compiled.regexes.values())
    fields = {f for f in fields if f not in regex_attrs}
    fields.update(fld for fld, _ in compiled.regexes)
    return tuple(sorted(fields))


def _key(value: Any) -> Any:
    """A hashable stand-in for a field value that keeps its type (1, 1.0 and True differ)."""
    cls = value.__class__
    if cls is list or cls is tuple:
        return cls, tuple(_key(v) for v in value)
    if cls is dict:
        return cls, tuple(sorted((k, _key(v)) for k, v in value.items()))
    return cls, value


_NONE = (type(None), type(_ABSENT))        # never equal to a value of any other type
_SCALARS = (str, int, float, bool)


def _column_keys(column: list) -> list:
    """Hashable keys for one field's values over all facts, equal only for values of the same
    type that are equal: the values themselves where that already holds (the usual case: one
    type per field, some facts without it), else :func:`_key` of each."""
    types = set(map(type, column)).difference(_NONE)
    if len(types) <= 1 and types <= set(_SCALARS):
        return column
    if types == {list} and all(type(x) is str for v in column if type(v) is list for x in v):
        return [tuple(v) if type(v) is list else v for v in column]
    return [_key(v) for v in column]


def group(facts: list[dict], fields: tuple[str, ...]) -> tuple[list[int], list[int]]:
    """``(representatives, signature_of)``: the index of the first fact of each distinct
    signature, and for each fact the position of its signature in ``representatives``."""
    if not facts:
        return [], []
    columns = [_column_keys([fact.get(f, _ABSENT) for fact in facts]) for f in fields]
    seen: dict[tuple, int] = {}
    sig_of = [seen.setdefault(key, len(seen)) for key in zip(*columns)]
    # signatures are numbered in order of first appearance: the first index of each, in that order
    _, first = np.unique(np.asarray(sig_of), return_index=True)
    return first.tolist(), sig_of
