"""Collecting every problem of a configuration file, with its line (used by every loader)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pathlib import Path

import yaml

from .errors import Issue
from .yamlio import LineDict, YamlLimitError, load_yaml


@dataclass
class _Checker:
    path: str
    issues: list[Issue] = field(default_factory=list)

    def add(self, code: str, line: int, message: str) -> None:
        self.issues.append(Issue(code, f"{self.path}:{line}" if line else self.path, message))

    def keys(self, node: Any, allowed: set[str], required: set[str], what: str) -> bool:
        if not isinstance(node, dict):
            self.add("type", getattr(node, "line", 0), f"{what} must be a mapping, got {type(node).__name__}")
            return False
        line = getattr(node, "line", 0)
        for key, kline in node.get("__duplicate_keys__", []):
            self.add("duplicate-key", kline, f"duplicate key {key!r} in {what}")
        for key in node:
            if key == "__duplicate_keys__":
                continue
            if key not in allowed:
                hint = _closest(str(key), allowed)
                self.add("unknown-key", _line(node, key), f"unknown key {key!r} in {what}" + (f" (did you mean {hint!r}?)" if hint else ""))
        for key in sorted(required):
            if key not in node or node[key] in (None, ""):
                self.add("missing-field", line, f"{what} is missing required field {key!r}")
        return True

    def unique(self, seen: dict[str, int], ident: str, node: dict, what: str, where: str = "") -> None:
        """Refuse an id already used (``seen`` maps id -> first line), like a registry would."""
        line = _line(node, "id")
        if ident in seen:
            self.add("duplicate-id", line, f"duplicate {what} id {ident!r}{where} (first at line {seen[ident]})")
        else:
            seen[ident] = line

    def items(self, node: dict, key: str, what: str) -> list:
        """``node[key]`` as a list (missing: empty); anything else is reported."""
        value = node.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.add("type", _line(node, key), f"{what}: {key!r} must be a list")
            return []
        return value

    def text(self, node: dict, key: str, default: str = "") -> str:
        value = node.get(key, default)
        if value is None:
            return default
        if isinstance(value, (dict, list)):
            self.add("type", _line(node, key), f"{key!r} must be text")
            return default
        return str(value).strip()

    def str_list(self, node: dict, key: str) -> tuple[str, ...]:
        value = node.get(key) or []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, (str, int, float)) for v in value):
            self.add("type", _line(node, key), f"{key!r} must be a list of texts")
            return ()
        return tuple(str(v).strip() for v in value)


def _line(node: Any, key: str | None = None) -> int:
    if isinstance(node, LineDict):
        return node.line_of(key) if key else node.line
    return 0


def _closest(word: str, options: set[str]) -> str | None:
    import difflib

    hits = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.6)
    return hits[0] if hits else None


def read_config(path: Path, ck: _Checker) -> Any:
    """A YAML configuration file, or None with the problem added to ``ck`` (never raises for bad input)."""
    try:
        return load_yaml(path)
    except FileNotFoundError:
        ck.add("io", 0, "file not found")
    except OSError as exc:
        ck.add("io", 0, f"cannot read: {exc.strerror or exc}")
    except YamlLimitError as exc:
        ck.add("limit", exc.problem_mark.line + 1 if exc.problem_mark else 0, f"refused: {exc.problem}")
    except yaml.constructor.ConstructorError as exc:
        ck.add("yaml", exc.problem_mark.line + 1 if exc.problem_mark else 0, str(exc.problem))
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        ck.add("yaml", line, f"invalid YAML: {exc.problem}")
    except yaml.YAMLError as exc:
        ck.add("yaml", 0, f"invalid YAML: {exc}")
    return None
