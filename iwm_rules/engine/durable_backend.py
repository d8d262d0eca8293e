"""Compiled rules run in durable_rules (2.0.x), with its pitfalls handled:

- actions run synchronously (``Host._run`` is disabled; the default runs them on threads);
- ``set_rulesets`` gets a deep copy (it mutates its input);
- one Host per process, and one registered durable ruleset per distinct compiled rule set,
  reused by every run (a new ruleset per run is never freed: resident memory grew by
  ~0.17 MB per run); at most ``MAX_RULESETS`` are kept, the oldest is deleted;
- a catch-all rule makes sure no fact raises ``MessageNotHandledException`` and lets us check
  that every fact was seen; a fact that was not (32-bit id hash collision) is asserted again
  on its own in a fresh session, and an error is raised if it still is not seen;
- ``$or`` can fire twice for one fact: results are a set of (rule, fact) pairs;
- facts go in small chunks, each under its own session id, whose state is deleted afterwards
  (at most 1024 live sessions per ruleset);
- exceptions inside actions are swallowed by durable_rules, so actions only add to the
  current run's sets; runs share the host, so they take a lock.
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
import threading
from collections import OrderedDict

from ..errors import IwmRulesError
from .compiler import LIST_SENTINEL, CompiledRule

CHUNK = 400
MAX_RULESETS = 16


class EngineError(IwmRulesError, RuntimeError):
    """durable_rules could not run the rules or did not evaluate every fact."""


def available() -> bool:
    try:
        import durable.engine  # noqa: F401
    except Exception:  # ImportError, or the extension failing on an unsupported Python
        return False
    return True


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _version

    try:
        return _version("durable-rules")
    except PackageNotFoundError:  # pragma: no cover - imported from a source tree
        return "unknown"


class _Run:
    """What the actions of the run in progress record."""

    def __init__(self):
        self.fired: set[tuple[int, int]] = set()
        self.seen: set[int] = set()


_LOCK = threading.Lock()
_state: dict = {"host": None, "run": None, "rulesets": OrderedDict()}  # key -> ruleset name


def _after_fork_in_child() -> None:
    """A forked worker (batch) gets a fresh lock: the parent's may have been held at fork time."""
    global _LOCK
    _LOCK = threading.Lock()
    _state["run"] = None


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _host():
    if _state["host"] is None:
        from durable import engine

        class _Host(engine.Host):
            def _run(self):  # no background dispatch thread: actions run inside assert_facts
                pass

        _state["host"] = _Host()
    return _state["host"]


def _action(rule_index: int):
    def _act(c):
        _state["run"].fired.add((rule_index, int(c.m["id"])))
    return _act


def _seen(c):
    _state["run"].seen.add(int(c.m["id"]))


def ruleset_for(compiled: list[CompiledRule]) -> str:
    """The name of the registered durable ruleset running ``compiled`` (registered on first use)."""
    conditions = {cr.name: {"all": [{"m": cr.condition}]} for cr in compiled}
    conditions["__seen__"] = {"all": [{"m": {"$ex": {"type": 1}}}]}
    text = json.dumps(conditions, sort_keys=True, ensure_ascii=False, default=str)
    key = hashlib.sha256(text.encode()).hexdigest()
    cache: OrderedDict = _state["rulesets"]
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    name = f"iwm-{key[:24]}"
    definition = copy.deepcopy({name: conditions})
    for i, cr in enumerate(compiled):
        definition[name][cr.name]["run"] = _action(i)
    # durable_rules checks an action's signature: a plain one-argument callable (not a wrapped function)
    definition[name]["__seen__"]["run"] = lambda c: _seen(c)
    try:
        _host().set_rulesets(definition)
    except Exception as exc:  # durable_rules_engine.error: a limit of the engine
        raise EngineError(f"durable_rules cannot run these rules ({exc}); simplify the rule conditions "
                          "or use --engine python") from None
    cache[key] = name
    while len(cache) > MAX_RULESETS:
        _drop(cache.popitem(last=False)[1])
    return name


def _drop(name: str) -> None:
    """Free a registered ruleset (durable_rules keeps it until deleted)."""
    import durable_rules_engine

    host = _host()
    ruleset = host._ruleset_directory.pop(name, None)
    if ruleset is not None:
        host._ruleset_list.remove(ruleset)
        durable_rules_engine.delete_ruleset(ruleset._handle)


def run(compiled: list[CompiledRule], facts: list[dict]) -> set[tuple[int, int]]:
    with _LOCK:
        name = ruleset_for(compiled)
        _state["run"] = run_state = _Run()
        try:
            _assert_all(_host(), name, facts, run_state)
        finally:
            _state["run"] = None
    return run_state.fired


def _assert_all(host, name: str, facts: list[dict], run_state: _Run) -> None:
    def prepared(index: int, fact: dict, sid: str) -> dict:
        out = {k: (v + [LIST_SENTINEL] if isinstance(v, list) else v) for k, v in fact.items()}
        out["id"] = str(index)
        out["sid"] = sid
        return out

    for start in range(0, len(facts), CHUNK):
        sid = f"c{(start // CHUNK) % 64}"
        batch = [prepared(i, facts[i], sid) for i in range(start, min(start + CHUNK, len(facts)))]
        try:
            host.assert_facts(name, batch)
        except Exception:  # a colliding id refuses the batch: fall back to one fact at a time
            _forget(host, name, sid)
            for f in batch:
                _assert_alone(host, name, f, sid)
        finally:
            _forget(host, name, sid)
    missing = [i for i in range(len(facts)) if i not in run_state.seen]
    for n, i in enumerate(missing):
        sid = f"r{n % 64}"
        try:
            _assert_alone(host, name, prepared(i, facts[i], sid), sid)
        finally:
            _forget(host, name, sid)
    still = [i for i in range(len(facts)) if i not in run_state.seen]
    if still:
        raise EngineError(f"durable_rules did not evaluate {len(still)} fact(s); first: {facts[still[0]]}")


def _forget(host, name: str, sid: str) -> None:
    """Delete a session's state; a session that never got any state is fine."""
    try:
        host.delete_state(name, sid)
    except Exception as exc:  # durable_rules_engine.error 309: no such state
        if "309" not in str(exc):
            raise


def _assert_alone(host, name: str, fact: dict, sid: str) -> None:
    try:
        host.assert_fact(name, fact)
    except Exception:
        _forget(host, name, sid)
        try:
            host.assert_fact(name, fact)  # second try in a clean session
        except Exception as exc:
            raise EngineError(f"durable_rules refused a fact twice ({type(exc).__name__}); project "
                              f"{fact.get('project')!r}, practice {fact.get('practice')!r}; use --engine python") from exc
