"""The top-level ``evidence`` list of a result, read from the accepted table's columns.

A 1M-row run would otherwise hold one dict of 17 keys per accepted evidence item (about half
a gigabyte). :class:`EvidenceRecords` keeps the columns instead and builds each record when
it is read: ``len()``, truthiness, ``[i]``, slices, iteration and ``==`` behave as on the list
of dicts it stands for (dates as ISO text, '' for none, ``row`` as int). It is read-only:
a record read from it is a fresh dict, changing it changes nothing.

A result read back from a JSON file holds a plain list there; :func:`column` and :func:`take`
serve both.
"""
from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

#: keys of each record: one per accepted item, in the order of the accepted table;
#: ``work_products[].evidence[].ref`` is an index into the list
EVIDENCE_COLUMNS = ("project", "ruleset", "practice", "practice_raw", "work_product", "evidence_type", "status", "date",
                    "owner", "party", "location", "notes", "weakness", "file", "sheet", "row", "reuse_via")
#: records built at once when iterating (a few MB of dicts at a time)
CHUNK = 5_000


def _date_text(days: np.ndarray) -> list:
    """ISO dates of a datetime64[D] array, '' for NaT."""
    text = np.datetime_as_string(days, unit="D").astype(object)
    text[np.isnat(days)] = ""
    return text.tolist()


def _scalar(value):
    """One value of a date or row column as the records hold it."""
    if isinstance(value, np.datetime64):
        return "" if np.isnat(value) else str(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


class EvidenceRecords(Sequence):
    """Read-only sequence of evidence records over column arrays (see the module text)."""

    __slots__ = ("_keys", "_columns", "_owners")

    def __init__(self, keys: Sequence[str], columns: Sequence[np.ndarray], owners: tuple = ()):
        if len(keys) != len(columns):
            raise ValueError("one column per key")
        lengths = {len(c) for c in columns}
        if len(lengths) > 1:
            raise ValueError(f"columns of different lengths: {sorted(lengths)}")
        self._keys = tuple(keys)
        self._columns = tuple(columns)
        # the table's columns the arrays are views of: while they are referenced, a later change
        # to the table copies its data (pandas copy-on-write) instead of changing these records
        self._owners = owners

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> EvidenceRecords:
        """The records of the accepted evidence table (columns of :data:`EVIDENCE_COLUMNS` it has)."""
        keys = [c for c in EVIDENCE_COLUMNS if c in table]
        if not len(table):
            return cls(keys, [np.empty(0, dtype=object) for _ in keys])
        columns, owners = [], []
        for c in keys:
            series = table[c]
            if c == "date":
                columns.append(pd.to_datetime(series).to_numpy(dtype="datetime64[D]"))  # NaT stays NaT
            elif c == "row":
                columns.append(series.to_numpy(dtype=np.int64))
            else:
                columns.append(series.to_numpy(dtype=object))
                owners.append(series)
        return cls(keys, columns, tuple(owners))

    # ---- the sequence ---------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._columns[0]) if self._columns else 0

    def _values(self, column: np.ndarray, index) -> list:
        part = column[index]
        if part.dtype.kind == "M":
            return _date_text(part)
        return part.tolist()

    def _records(self, index) -> list[dict]:
        keys = self._keys
        return [dict(zip(keys, values)) for values in zip(*(self._values(c, index) for c in self._columns))]

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step == 1:
                return self._records(slice(start, max(start, stop)))
            return self._records(np.arange(start, stop, step, dtype=np.intp))
        i = operator.index(index)
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("evidence record index out of range")
        return dict(zip(self._keys, [c[i] if c.dtype == object else _scalar(c[i]) for c in self._columns]))

    def __iter__(self) -> Iterator[dict]:
        for part in self.chunks():
            yield from part

    def chunks(self, size: int = CHUNK) -> Iterator[list[dict]]:
        """The records as lists of at most ``size`` dicts, in order."""
        for start in range(0, len(self), size):
            yield self._records(slice(start, start + size))

    def column(self, key: str) -> list:
        """Every record's value for ``key`` (as the records hold it)."""
        return self._values(self._columns[self._keys.index(key)], slice(None))

    def take(self, indices) -> EvidenceRecords:
        """The records at ``indices`` (in that order), as records of their own."""
        idx = np.asarray(indices, dtype=np.intp)
        if idx.size and (idx.min() < -len(self) or idx.max() >= len(self)):
            raise IndexError("evidence record index out of range")
        return EvidenceRecords(self._keys, [c[idx] for c in self._columns])

    def to_list(self) -> list[dict]:
        return self._records(slice(None))

    # ---- comparison, copies, pickling --------------------------------------------------------------------------

    def __eq__(self, other) -> bool:
        if isinstance(other, EvidenceRecords):
            if self._keys != other._keys or len(self) != len(other):
                return False
            whole = slice(None)
            return all(self._values(a, whole) == self._values(b, whole) for a, b in zip(self._columns, other._columns))
        if isinstance(other, (list, tuple)):
            if len(self) != len(other):
                return False
            start = 0
            for part in self.chunks():
                if part != list(other[start:start + len(part)]):
                    return False
                start += len(part)
            return True
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # compared by content, like a list

    def __repr__(self) -> str:
        return f"EvidenceRecords({len(self)} records)"

    def __reduce__(self):
        return EvidenceRecords, (self._keys, self._columns)

    def __copy__(self) -> EvidenceRecords:
        return self  # read-only: a copy would be the same

    def __deepcopy__(self, memo) -> EvidenceRecords:
        return self


def column(items: Sequence[dict], key: str) -> list:
    """``[r[key] for r in items]`` for evidence records or a plain list of dicts (a result read from JSON)."""
    if isinstance(items, EvidenceRecords):
        return items.column(key)
    return [r[key] for r in items]


def take(items: Sequence[dict], indices) -> Sequence[dict]:
    """The records of ``items`` at ``indices``: evidence records stay columns, a list stays a list."""
    if isinstance(items, EvidenceRecords):
        return items.take(indices)
    return [items[i] for i in indices]


def chunks(items: Sequence, size: int = CHUNK) -> Iterator[list]:
    """``items`` as lists of at most ``size`` elements (records are built one chunk at a time)."""
    if isinstance(items, EvidenceRecords):
        yield from items.chunks(size)
        return
    for start in range(0, len(items), size):
        yield list(items[start:start + size])
