"""Safe YAML loading that remembers the line of every mapping and key.

Configuration files (rulesets, tailoring, mappings) may come from anyone, so loading is
bounded: the file size is capped (``MAX_YAML_BYTES``), aliases may not expand the document
past ``MAX_ALIAS_NODES`` nodes ("billion laughs"), recursive aliases and very deep nesting
are refused, and a date that is not a real date (``2027-02-30``) or a timestamp where a date
belongs is an error with its line, never an exception from deep inside the parser.
"""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import yaml

#: largest configuration file read (a shipped ruleset is ~40 KB)
MAX_YAML_BYTES = 5 * 2**20
#: most nodes that aliases may add to a document when expanded
MAX_ALIAS_NODES = 10_000
#: most values (scalars, lists, mappings) a document may hold as written (the largest shipped file has ~2,000)
MAX_NODES = 100_000
#: deepest nesting of mappings and lists
MAX_DEPTH = 100


class YamlLimitError(yaml.MarkedYAMLError):
    """A document refused before it is built: too large an alias expansion, recursion, nesting."""


class LineDict(dict):
    """A dict from YAML that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml parses ~20x faster where present


class _LineLoader(_BASE):  # type: ignore[misc, valid-type]
    def get_single_data(self):
        node = self.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return self.construct_document(node)


# YAML 1.2 booleans: only true/false. (YAML 1.1 also reads on/off/yes/no as booleans, which
# would turn the rule key ``on:`` into True.)
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in _BASE.yaml_implicit_resolvers.items()
}
_LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a node graph whose alias expansion is too large, recursive or too deep.

    The composer returns an alias as the very node it names, so the document is a graph;
    its expanded size is computed once per node (linear in the file, whatever the bomb)."""
    size: dict[int, int] = {}
    distinct = 0
    # iterative post-order walk; ``on_path`` detects an alias that contains itself
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    on_path: set[int] = set()
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            continue
        if key in on_path:
            raise YamlLimitError(None, None, "an alias refers to the node that contains it (recursive alias)",
                                 node.start_mark)
        if key in size:
            continue
        if depth > MAX_DEPTH:
            raise YamlLimitError(None, None, f"nesting deeper than {MAX_DEPTH} levels", node.start_mark)
        distinct += 1
        if distinct > MAX_NODES:
            break
        on_path.add(key)
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in children if id(c) not in size)
    if distinct > MAX_NODES:
        raise YamlLimitError(None, None, f"the document has more than {MAX_NODES:,} values; a configuration file "
                                         "is far smaller", root.start_mark)
    if size[id(root)] - distinct > MAX_ALIAS_NODES:
        raise YamlLimitError(None, None, f"aliases expand this document to {size[id(root)]:,} nodes from {distinct:,} "
                                         f"written ones (at most {MAX_ALIAS_NODES:,} may come from aliases)", root.start_mark)


def _prescan(data: bytes) -> None:
    """Count values and nesting from the event stream (constant memory) before any node is built."""
    count = depth = 0
    for event in yaml.parse(data, Loader=_BASE):
        if isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
            count += 1
        elif isinstance(event, yaml.CollectionStartEvent):
            count += 1
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlLimitError(None, None, f"nesting deeper than {MAX_DEPTH} levels", event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if count > MAX_NODES:
            raise YamlLimitError(None, None, f"the document has more than {MAX_NODES:,} values; a configuration "
                                             "file is far smaller", event.start_mark)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(None, None, "a mapping key must be text", key_node.start_mark) from None
        if key in result:
            result.setdefault("__duplicate_keys__", []).append((key, key_node.start_mark.line + 1))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_timestamp(loader: _LineLoader, node: yaml.ScalarNode) -> dt.date:
    """Plain ``YYYY-MM-DD`` scalars are dates; an impossible date or a time of day is an error."""
    text = loader.construct_scalar(node)
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise yaml.constructor.ConstructorError(
            None, None, f"{text!r} is a timestamp; write a date as YYYY-MM-DD (quote the value if it is text)",
            node.start_mark)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, f"{text!r} is not a real date; write a date as YYYY-MM-DD", node.start_mark) from None


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def load_yaml(path: str | Path, *, max_bytes: int = MAX_YAML_BYTES) -> Any:
    """Parse ``path`` safely; mappings come back as :class:`LineDict`.

    Raises ``yaml.YAMLError`` (with its own line where it has one) or ``OSError``; a file larger
    than ``max_bytes`` is a ``YamlLimitError`` before anything is parsed.
    """
    with open(path, "rb") as fh:
        data = fh.read(max_bytes + 1)  # also bounds a FIFO or a device
    if len(data) > max_bytes:
        size = Path(path).stat().st_size if Path(path).is_file() else 0
        shown = f"{size / 2**20:.1f} MiB" if size else f"more than {max_bytes // 2**20} MiB"
        raise YamlLimitError(None, None, f"the file is {shown}; configuration files may be at most "
                                         f"{max_bytes // 2**20} MiB", None)
    try:
        _prescan(data)
        return yaml.load(data, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.reader.ReaderError as exc:  # not UTF-8, or a control character: say where, on one line
        line = data[: max(exc.position, 0)].count(b"\n")
        hint = "; save the file as UTF-8" if "UTF" in str(exc.reason) else ""
        raise yaml.MarkedYAMLError(None, None, f"{exc.reason} at offset {exc.position}{hint}",
                                   yaml.Mark(str(path), exc.position, line, 0, None, None)) from None
    except RecursionError:
        raise YamlLimitError(None, None, f"nesting deeper than {MAX_DEPTH} levels", None) from None
