"""Inflating one zip member by hand, in bounded chunks, whatever sizes it declares."""
from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from typing import IO

from ..errors import EvidenceFileError
from .limits import _DAMAGED, _KiB, _MiB

_IN_CHUNK = 256 * _KiB
_OUT_CHUNK = 1 * _MiB
_OVERLAP = 512  # bytes carried between scan windows (longer than any pattern match)


def _inflate(fh: IO[bytes], info: zipfile.ZipInfo, start: int, name: str) -> Iterator[bytes]:
    """The member's bytes, inflated from its compressed data whatever sizes it declares.

    Chunks are at most ``_OUT_CHUNK`` bytes, so a bomb is never held in memory: the caller
    stops pulling once a limit is crossed.
    """
    fh.seek(start)
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        while left:
            piece = fh.read(min(left, _OUT_CHUNK))
            if not piece:
                raise EvidenceFileError(name, _DAMAGED)
            left -= len(piece)
            yield piece
        return
    member = info.filename
    d = zlib.decompressobj(-15)
    try:
        while left and not d.eof:
            piece = fh.read(min(left, _IN_CHUNK))
            if not piece:
                raise EvidenceFileError(name, _DAMAGED)
            left -= len(piece)
            while piece and not d.eof:
                out = d.decompress(piece, _OUT_CHUNK)
                piece = d.unconsumed_tail
                if out:
                    yield out
        while not d.eof:
            out = d.decompress(b"", _OUT_CHUNK)
            if not out:
                break
            yield out
    except zlib.error:
        raise EvidenceFileError(name, f"{_DAMAGED}: member {member!r} does not inflate") from None
    if not d.eof:
        raise EvidenceFileError(name, f"{_DAMAGED}: member {member!r} is cut short")
