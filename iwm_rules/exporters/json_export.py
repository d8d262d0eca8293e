"""assessment.json (DESIGN §7), written with orjson; the JSON Schema ships beside this module.

Compact by default (one line: a 100k-row result is written >10x faster than indented
``json.dump`` and is a third smaller);
``pretty=True`` (``--pretty``) indents by two spaces. Text is UTF-8 and kept verbatim
(control characters escaped as JSON requires); dates are ISO text.

:func:`write` streams: the ``projects`` and ``evidence`` lists are encoded a chunk at a time
into the file (:mod:`.splice`), so a 1M-row result never exists as one string and the evidence
records are built a chunk at a time from the table's columns. The bytes are those of
:func:`dumps`.
"""
from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import orjson

from ..evidence_records import EvidenceRecords, chunks
from ..gcpause import paused_gc
from .splice import Splice

SCHEMA_PATH = Path(__file__).with_name("assessment.schema.json")


def _default(obj):
    """What orjson does not know: dates as ISO text, numpy scalars as their Python value, the rest as text."""
    if isinstance(obj, EvidenceRecords):
        return obj.to_list()
    if isinstance(obj, (dt.date, dt.time)):  # also pandas Timestamp (a datetime subclass)
        return obj.isoformat()
    if type(obj).__name__ in ("datetime64", "timedelta64"):
        return str(obj)
    if hasattr(obj, "item") and callable(obj.item):
        try:
            return obj.item()
        except (TypeError, ValueError):
            pass
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=str)
    return str(obj)


#: top-level lists written a chunk at a time, with the number of items per chunk
STREAMED = {"projects": 100, "evidence": 5_000}


def _orjson(pretty: bool):
    option = orjson.OPT_NON_STR_KEYS | (orjson.OPT_INDENT_2 if pretty else 0)
    return lambda obj: orjson.dumps(obj, default=_default, option=option)


def _standard(pretty: bool):
    """The standard encoder: text orjson refuses (a file name with undecodable bytes holds lone
    surrogates; an integer past 64 bits) is written as \\u escapes, every non-ASCII character too."""
    def encode(obj) -> bytes:
        return json.dumps(obj, default=_default, ensure_ascii=True, indent=2 if pretty else None,
                          separators=None if pretty else (",", ":")).encode("ascii")
    return encode


def dumps(data: dict, *, pretty: bool = False) -> bytes:
    """The JSON document as UTF-8 bytes, ending with a newline."""
    option = orjson.OPT_NON_STR_KEYS | orjson.OPT_APPEND_NEWLINE | (orjson.OPT_INDENT_2 if pretty else 0)
    try:
        return orjson.dumps(data, default=_default, option=option)
    except orjson.JSONEncodeError:
        return _standard(pretty)(data) + b"\n"


def pieces(data: dict, *, pretty: bool = False, encode=None) -> Iterator[bytes]:
    """The bytes of ``dumps(data)`` in pieces (``encode``: one of the two encoders)."""
    encode = encode or _orjson(pretty)
    if not isinstance(data, dict):
        yield encode(data) + b"\n"
        return
    splice = Splice()
    doc = dict(data)
    for key, size in STREAMED.items():
        items = data.get(key)
        if isinstance(items, (list, EvidenceRecords)) and len(items):
            doc[key] = splice.hole(chunks(items, size))
    yield from splice.pieces(encode(doc) + b"\n", encode)


@paused_gc  # the records built a chunk at a time are freed by reference counting
def write(data: dict, path: Path, *, pretty: bool = False) -> None:
    """Write ``dumps(data)`` to ``path`` without building it whole (see the module text)."""
    with open(path, "wb") as fh:
        if not fh.seekable():  # a pipe: the fallback below could not start again
            fh.write(dumps(data, pretty=pretty))
            return
        try:
            fh.writelines(pieces(data, pretty=pretty))
        except orjson.JSONEncodeError:
            fh.seek(0)
            fh.truncate()
            fh.writelines(pieces(data, encode=_standard(pretty)))


def schema() -> dict:
    return orjson.loads(SCHEMA_PATH.read_bytes())
