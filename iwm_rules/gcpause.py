"""Python's cycle collector paused while a big assessment builds its objects.

Loading 1M evidence rows, building facts and scoring create millions of small containers
that all stay alive; each automatic collection walks every one of them, so a 1M-row run
spent a third of its time collecting nothing. The pipeline's data holds no reference cycles
it relies on being freed mid-run, so the collector is paused for the duration of a stage and
resumed after it (nested pauses resume once, at the outermost exit).
"""
from __future__ import annotations

import functools
import gc
import threading

_lock = threading.Lock()
_state = {"depth": 0, "resume": False}


def paused_gc(fn):
    """Run ``fn`` with automatic cycle collection off (restored afterwards, also on error)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _lock:
            if _state["depth"] == 0:
                _state["resume"] = gc.isenabled()
                gc.disable()
            _state["depth"] += 1
        try:
            return fn(*args, **kwargs)
        finally:
            with _lock:
                _state["depth"] -= 1
                if _state["depth"] == 0 and _state["resume"]:
                    gc.enable()
    return wrapper


def reset_in_child() -> None:
    """In a process forked while a pause was on (a pool worker): start again with the collector
    on and no pause, so that a long-lived worker collects its own garbage."""
    with _lock:
        _state["depth"] = 0
        _state["resume"] = False
    gc.enable()
