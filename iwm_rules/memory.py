"""Handing memory the pipeline has freed back to the operating system between stages.

Each stage of a big run (loading, facts, engine, scoring) builds large temporary structures
and frees them when it ends. glibc's allocator keeps most of that freed memory in the
process (it is fragmented among live objects, and later stages allocate objects of other
sizes from other pools, so they rarely reuse it): a 1M-row run carried about 600 MB of
freed memory from stage to stage. ``malloc_trim(0)`` returns every free page to the system;
it costs a few milliseconds and changes no result. Elsewhere than on glibc it does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl, Windows)
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_free_memory() -> None:
    """Return the allocator's free pages to the operating system (no effect off glibc)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
