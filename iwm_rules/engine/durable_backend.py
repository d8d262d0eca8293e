"""Compiled rules run in durable_rules (2.0.x), with its pitfalls handled:

- actions run synchronously (``Host._run`` is disabled; the default runs them on threads);
- ``set_rulesets`` gets a deep copy (it mutates its input);
- a catch-all rule makes sure no fact raises ``MessageNotHandledException`` and lets us check
  that every fact was seen; a fact that was not (32-bit id hash collision) is asserted again
  on its own in a fresh session, and an error is raised if it still is not seen;
- ``$or`` can fire twice for one fact: results are a set of (rule, fact) pairs;
- facts go in small chunks, each under its own session id, deleted afterwards
  (at most 1024 live sessions per ruleset);
- exceptions inside actions are swallowed by durable_rules, so actions only append to a list.
"""
from __future__ import annotations

import copy
import itertools

from .compiler import LIST_SENTINEL, CompiledRule

CHUNK = 400
_names = itertools.count()


class EngineError(RuntimeError):
    pass


def available() -> bool:
    try:
        import durable.engine  # noqa: F401
    except Exception:  # ImportError, or the extension failing on an unsupported Python
        return False
    return True


def run(compiled: list[CompiledRule], facts: list[dict]) -> set[tuple[int, int]]:
    from durable import engine

    class _Host(engine.Host):
        def _run(self):  # no background dispatch thread: actions run inside assert_facts
            pass

    fired: set[tuple[int, int]] = set()
    seen: set[int] = set()

    def action(rule_index: int):
        def _act(c):
            fired.add((rule_index, int(c.m["id"])))
        return _act

    def seen_action(c):
        seen.add(int(c.m["id"]))

    name = f"iwm{next(_names)}"
    definition = {name: {cr.name: {"all": [{"m": cr.condition}]} for cr in compiled}}
    definition[name]["__seen__"] = {"all": [{"m": {"$ex": {"type": 1}}}]}
    definition = copy.deepcopy(definition)
    for i, cr in enumerate(compiled):
        definition[name][cr.name]["run"] = action(i)
    definition[name]["__seen__"]["run"] = seen_action
    host = _Host()
    host.set_rulesets(definition)

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
        _forget(host, name, sid)
    missing = [i for i in range(len(facts)) if i not in seen]
    for n, i in enumerate(missing):
        sid = f"r{n % 64}"
        _assert_alone(host, name, prepared(i, facts[i], sid), sid)
        _forget(host, name, sid)
    still = [i for i in range(len(facts)) if i not in seen]
    if still:
        raise EngineError(f"durable_rules did not evaluate {len(still)} fact(s); first: {facts[still[0]]}")
    return fired


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
        host.assert_fact(name, fact)  # second try in a clean session; a failure propagates
