"""Freed memory goes back to the system between stages (glibc), and that changes no result."""
from __future__ import annotations

import ctypes
import platform

import pytest

from iwm_rules import memory


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(platform.system() != "Linux" or memory._malloc_trim() is None, reason="glibc malloc_trim only")
def test_freed_fragmented_memory_is_returned_to_the_system():
    # many medium blocks with a few kept alive between them: free() alone cannot give the pages back
    blocks = [bytearray(4000) for _ in range(60_000)]  # ~240 MB from the C heap
    keep = blocks[::64]
    del blocks
    before = _rss_mib()
    memory.release_free_memory()
    after = _rss_mib()
    assert before - after > 100, (before, after)
    assert len(keep) == 938 and all(len(b) == 4000 for b in keep)


def test_without_glibc_release_does_nothing(monkeypatch):
    """On a C library without malloc_trim (macOS, musl) the call is a no-op, never an error."""
    def no_library(*args, **kwargs):
        raise OSError("no such library")

    monkeypatch.setattr(ctypes, "CDLL", no_library)
    memory._malloc_trim.cache_clear()
    try:
        assert memory._malloc_trim() is None
        assert memory.release_free_memory() is None
    finally:
        memory._malloc_trim.cache_clear()
