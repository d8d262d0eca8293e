"""Rulesets, mappings and tailoring: YAML in, validated records out.

Every loader collects *all* problems (with file and line) and raises one
:class:`RulesetError`; a broken ruleset is refused loudly, never half used.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import Issue, RulesetError
from .model import (
    FACT_FIELDS,
    Defaults,
    Goal,
    Mapping,
    Practice,
    Rule,
    Ruleset,
    Subpractice,
    TailoringEntry,
    Tailoring,
    Waiver,
    WorkProduct,
    pattern_to_regex,
)
from .yamlio import LineDict, load_yaml

RULESET_KEYS = {"id", "title", "version", "source", "description", "provenance_note", "defaults", "rules", "goals"}
DEFAULT_KEYS = {"accept_status", "max_age_days", "affirmation"}
GOAL_KEYS = {"id", "title", "statement", "source", "practices"}
PRACTICE_KEYS = {
    "id", "title", "statement", "aliases", "source", "provenance", "affirmation", "owner",
    "objective", "inputs", "guidance", "subpractices", "work_products", "rules",
}
WP_KEYS = {"id", "name", "match", "required", "provenance", "note"}
RULE_KEYS = {"id", "on", "when", "then", "description"}
THEN_KEYS = {"kind", "severity", "gap", "message", "action"}
PROVENANCE = {"verified", "partial", "derived"}
OWNERS = {"", "customer", "provider", "shared"}
RELATIONSHIPS = {"equal", "subset", "superset", "intersect"}
OPERATORS = {"eq", "ne", "in", "not_in", "lt", "le", "gt", "ge", "matches", "exists", "contains", "not_contains"}
FINDING_KINDS = {"weakness", "gap", "info"}
SEVERITIES = {"major", "minor", "info"}
KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

STANDARD_RULES_FILE = "standard-rules.yaml"
MAPPINGS_FILE = "mappings.yaml"


# --------------------------------------------------------------------------- ids

def normalize_practice_key(text: str) -> str:
    """Comparable form of a practice id: upper case, only letters, digits and inner dots."""
    s = re.sub(r"[^A-Z0-9.]", "", str(text).upper())
    s = re.sub(r"(?<![0-9])\.|\.(?![0-9])", "", s)
    return s


def practice_keys(practice: Practice) -> set[str]:
    """Every normalized spelling under which evidence may name ``practice``."""
    keys = {normalize_practice_key(practice.id)}
    keys.update(normalize_practice_key(a) for a in practice.aliases)
    m = re.match(r"^([A-Za-z]+)\.SP(\d+\.\d+)$", practice.id)
    if m:
        keys.add(normalize_practice_key(f"{m.group(1)} {m.group(2)}"))
    return keys


# --------------------------------------------------------------------------- shipped files

def shipped_dir() -> Path:
    """Folder holding the shipped rulesets (installed with the package, or the checkout)."""
    try:
        packaged = Path(str(resources.files("iwm_rules") / "rulesets"))
        if packaged.is_dir():
            return packaged
    except (ModuleNotFoundError, TypeError):  # pragma: no cover
        pass
    return Path(__file__).resolve().parent.parent / "rulesets"


def shipped_ids() -> dict[str, Path]:
    """``{ruleset id: path}`` of every shipped framework ruleset."""
    out: dict[str, Path] = {}
    for path in sorted(shipped_dir().glob("*.yaml")):
        if path.name in (STANDARD_RULES_FILE, MAPPINGS_FILE):
            continue
        out[path.stem] = path
    return out


# --------------------------------------------------------------------------- validation helpers

@dataclass
class _Checker:
    path: str
    issues: list[Issue] = field(default_factory=list)

    def add(self, code: str, line: int, message: str) -> None:
        self.issues.append(Issue(code, f"{self.path}:{line}", message))

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


# --------------------------------------------------------------------------- rules

def _check_condition(ck: _Checker, node: Any, on: str, where: str, negated: bool = False) -> None:
    if not isinstance(node, dict) or not node:
        ck.add("rule", _line(node), f"{where}: a condition must be a mapping (all/any/not or field/op/value)")
        return
    keys = set(node) - {"__duplicate_keys__"}
    if keys & {"all", "any"}:
        if len(keys) != 1:
            ck.add("rule", _line(node), f"{where}: 'all'/'any' must stand alone in their mapping")
        items = node.get("all", node.get("any"))
        if not isinstance(items, list) or not items:
            ck.add("rule", _line(node), f"{where}: 'all'/'any' takes a non-empty list")
            return
        for item in items:
            _check_condition(ck, item, on, where, negated)
        return
    if "not" in keys:
        if len(keys) != 1:
            ck.add("rule", _line(node), f"{where}: 'not' must stand alone in its mapping")
        _check_condition(ck, node["not"], on, where, not negated)
        return
    if not ck.keys(node, {"field", "op", "value"}, {"field", "op"}, f"{where} condition"):
        return
    fld, op = node.get("field"), node.get("op")
    if fld and fld not in FACT_FIELDS.get(on, {}):
        hint = _closest(str(fld), set(FACT_FIELDS.get(on, {})))
        ck.add("rule", _line(node, "field"), f"{where}: unknown field {fld!r} for '{on}' facts" + (f" (did you mean {hint!r}?)" if hint else ""))
    if op and op not in OPERATORS:
        ck.add("rule", _line(node, "op"), f"{where}: unknown operator {op!r} (use one of {', '.join(sorted(OPERATORS))})")
    if op == "matches":
        if negated:
            ck.add("rule", _line(node, "op"), f"{where}: 'matches' cannot be negated by 'not' (the rule engine has no negated regex)")
        try:
            re.compile(str(node.get("value", "")))
        except re.error as exc:
            ck.add("bad-regex", _line(node, "value"), f"{where}: bad regular expression {node.get('value')!r}: {exc}")
    if op in ("in", "not_in") and not isinstance(node.get("value"), list):
        ck.add("rule", _line(node, "value"), f"{where}: '{op}' takes a list value")
    if op not in ("exists",) and op in OPERATORS and "value" not in node:
        ck.add("rule", _line(node), f"{where}: operator {op!r} needs a 'value'")


def _parse_rules(ck: _Checker, items: Any, origin: str, scope_ruleset: str | None,
                 scope_practice: str | None, seen: dict[str, int]) -> tuple[Rule, ...]:
    if items in (None, []):
        return ()
    if not isinstance(items, list):
        ck.add("type", _line(items), "'rules' must be a list")
        return ()
    out = []
    for node in items:
        if not ck.keys(node, RULE_KEYS, {"id", "on", "when", "then"}, "rule"):
            continue
        rid = ck.text(node, "id")
        where = f"rule {rid!r}"
        ck.unique(seen, rid, node, "rule")
        on = ck.text(node, "on")
        if on not in FACT_FIELDS:
            ck.add("rule", _line(node, "on"), f"{where}: 'on' must be one of {', '.join(FACT_FIELDS)}")
        else:
            _check_condition(ck, node.get("when"), on, where)
        then = node.get("then")
        if ck.keys(then, THEN_KEYS, {"kind", "message"}, f"{where} 'then'"):
            if then.get("kind") not in FINDING_KINDS:
                ck.add("rule", _line(then, "kind"), f"{where}: kind must be one of {', '.join(sorted(FINDING_KINDS))}")
            if then.get("severity", "major") not in SEVERITIES:
                ck.add("rule", _line(then, "severity"), f"{where}: severity must be one of {', '.join(sorted(SEVERITIES))}")
            from .model import GAP_KINDS

            if then.get("gap") is not None and then.get("gap") not in GAP_KINDS:
                ck.add("rule", _line(then, "gap"), f"{where}: gap must be one of {', '.join(GAP_KINDS)}")
        out.append(Rule(id=rid, on=on, when=_plain(node.get("when")), then=_plain(then) if isinstance(then, dict) else {},
                        origin=origin, scope_ruleset=scope_ruleset, scope_practice=scope_practice))
    return tuple(out)


def _plain(obj: Any) -> Any:
    """LineDicts back to plain dicts (rules are data handed to the engine)."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items() if k != "__duplicate_keys__"}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


# --------------------------------------------------------------------------- ruleset

def _read(path: Path, ck: _Checker) -> Any:
    try:
        return load_yaml(path)
    except FileNotFoundError:
        ck.add("io", 0, "file not found")
    except OSError as exc:
        ck.add("io", 0, f"cannot read: {exc.strerror or exc}")
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        ck.add("yaml", line, f"invalid YAML: {exc.problem}")
    except yaml.YAMLError as exc:
        ck.add("yaml", 0, f"invalid YAML: {exc}")
    return None


def _parse_work_products(ck: _Checker, items: Any, pid: str, provenance: str) -> tuple[WorkProduct, ...]:
    if items in (None, []):
        return ()
    if not isinstance(items, list):
        ck.add("type", _line(items), f"practice {pid}: 'work_products' must be a list")
        return ()
    out, seen = [], {}
    for node in items:
        if not ck.keys(node, WP_KEYS, {"id", "name", "match"}, f"work product of {pid}"):
            continue
        wid, name = ck.text(node, "id"), ck.text(node, "name")
        if wid and not KEBAB.match(wid):
            ck.add("bad-id", _line(node, "id"), f"work product id {wid!r} must be kebab-case")
        ck.unique(seen, wid, node, "work product", f" in {pid}")
        match = ck.str_list(node, "match")
        compiled = []
        for entry in match:
            try:
                compiled.append(re.compile(pattern_to_regex(entry), re.IGNORECASE))
            except re.error as exc:
                ck.add("bad-regex", _line(node, "match"), f"work product {wid!r} of {pid}: bad regular expression {entry!r}: {exc}")
        if compiled and name and not any(c.search(name) for c in compiled):
            ck.add("name-not-matched", _line(node, "name"),
                   f"work product {wid!r} of {pid}: its name {name!r} matches none of its own patterns; add a pattern that matches it")
        required = node.get("required", True)
        if not isinstance(required, bool):
            ck.add("type", _line(node, "required"), f"work product {wid!r}: 'required' must be true or false")
            required = True
        prov = ck.text(node, "provenance", provenance)
        if prov not in PROVENANCE:
            ck.add("provenance", _line(node, "provenance"), f"provenance must be one of {', '.join(sorted(PROVENANCE))}")
        out.append(WorkProduct(id=wid, name=name, match=match, required=required, provenance=prov))
    return tuple(out)


def _parse_subpractices(ck: _Checker, items: Any, pid: str) -> tuple[Subpractice, ...]:
    out = []
    for node in items or []:
        if isinstance(node, str):
            out.append(Subpractice(node.strip()))
        elif isinstance(node, dict) and ck.keys(node, {"text", "provenance"}, {"text"}, f"subpractice of {pid}"):
            prov = ck.text(node, "provenance", "verified")
            if prov not in PROVENANCE:
                ck.add("provenance", _line(node, "provenance"), f"provenance must be one of {', '.join(sorted(PROVENANCE))}")
            out.append(Subpractice(ck.text(node, "text"), prov))
        elif not isinstance(node, dict):
            ck.add("type", 0, f"practice {pid}: a subpractice must be text or {{text, provenance}}")
    return tuple(out)


def parse_ruleset(data: Any, path: str, ck: _Checker | None = None) -> Ruleset | None:
    """Validate one parsed ruleset document; problems go to ``ck``."""
    ck = ck or _Checker(path)
    if not ck.keys(data, RULESET_KEYS, {"id", "title", "version", "source", "goals"}, "ruleset"):
        return None
    rid = ck.text(data, "id")
    if rid and not KEBAB.match(rid):
        ck.add("bad-id", _line(data, "id"), f"ruleset id {rid!r} must be kebab-case")
    dnode = data.get("defaults") or LineDict()
    defaults = Defaults()
    if ck.keys(dnode, DEFAULT_KEYS, set(), "defaults"):
        accept = ck.str_list(dnode, "accept_status") if "accept_status" in dnode else defaults.accept_status
        max_age = dnode.get("max_age_days", defaults.max_age_days)
        if not isinstance(max_age, int) or max_age <= 0:
            ck.add("type", _line(dnode, "max_age_days"), "max_age_days must be a positive whole number")
            max_age = defaults.max_age_days
        aff = ck.text(dnode, "affirmation", defaults.affirmation)
        if aff not in ("optional", "required"):
            ck.add("type", _line(dnode, "affirmation"), "affirmation must be 'optional' or 'required'")
        defaults = Defaults(tuple(a.lower() for a in accept), max_age, aff)
    rule_ids: dict[str, int] = {}
    ruleset_rules = _parse_rules(ck, data.get("rules"), rid, rid, None, rule_ids)
    goals, seen_goals, seen_practices = [], {}, {}
    for gnode in ck.items(data, "goals", "ruleset"):
        if not ck.keys(gnode, GOAL_KEYS, {"id", "title", "practices"}, "goal"):
            continue
        gid = ck.text(gnode, "id")
        ck.unique(seen_goals, gid, gnode, "goal")
        practices = []
        for pnode in ck.items(gnode, "practices", f"goal {gid}"):
            if not ck.keys(pnode, PRACTICE_KEYS, {"id", "title", "statement"}, "practice"):
                continue
            pid = ck.text(pnode, "id")
            ck.unique(seen_practices, pid, pnode, "practice")
            prov = ck.text(pnode, "provenance", "verified")
            if prov not in PROVENANCE:
                ck.add("provenance", _line(pnode, "provenance"), f"provenance must be one of {', '.join(sorted(PROVENANCE))}")
            owner = ck.text(pnode, "owner").lower()
            if owner not in OWNERS:
                ck.add("type", _line(pnode, "owner"), "owner must be customer, provider or shared")
            aff = ck.text(pnode, "affirmation", defaults.affirmation)
            if aff not in ("optional", "required"):
                ck.add("type", _line(pnode, "affirmation"), "affirmation must be 'optional' or 'required'")
            practices.append(Practice(
                id=pid, ruleset=rid, goal=gid, title=ck.text(pnode, "title"), statement=ck.text(pnode, "statement"),
                aliases=ck.str_list(pnode, "aliases"), source=ck.text(pnode, "source"), provenance=prov,
                affirmation_required=aff == "required", owner=owner, objective=ck.text(pnode, "objective"),
                inputs=ck.str_list(pnode, "inputs"), guidance=ck.str_list(pnode, "guidance"),
                subpractices=_parse_subpractices(ck, pnode.get("subpractices"), pid),
                work_products=_parse_work_products(ck, pnode.get("work_products"), pid, prov),
                rules=_parse_rules(ck, pnode.get("rules"), rid, rid, pid, rule_ids),
            ))
        goals.append(Goal(id=gid, title=ck.text(gnode, "title"), statement=ck.text(gnode, "statement"), practices=tuple(practices)))
    # aliases must not point at two practices
    owners: dict[str, str] = {}
    for g in goals:
        for p in g.practices:
            for key in practice_keys(p):
                if key in owners and owners[key] != p.id:
                    ck.add("duplicate-alias", seen_practices.get(p.id, 0), f"practice {p.id} and {owners[key]} share the spelling {key!r}")
                owners.setdefault(key, p.id)
    return Ruleset(id=rid, title=ck.text(data, "title"), version=ck.text(data, "version"), source=ck.text(data, "source"),
                   goals=tuple(goals), defaults=defaults, description=ck.text(data, "description"),
                   provenance_note=ck.text(data, "provenance_note"), rules=ruleset_rules, path=path)


def load_ruleset(path_or_id: str | Path) -> Ruleset:
    """Load a shipped ruleset by id, or a ruleset file by path.

    Raises :class:`RulesetError` listing every problem found in the file.
    """
    path = resolve_ruleset_path(path_or_id)
    ck = _Checker(str(path))
    data = _read(path, ck)
    rs = parse_ruleset(data, str(path), ck) if data is not None or not ck.issues else None
    if data is None and not ck.issues:
        ck.add("empty", 0, "the file is empty")
    if ck.issues:
        raise RulesetError(ck.issues)
    assert rs is not None
    return rs


def resolve_ruleset_path(path_or_id: str | Path) -> Path:
    text = str(path_or_id)
    ids = shipped_ids()
    if text in ids:
        return ids[text]
    path = Path(text)
    if path.suffix.lower() in (".yaml", ".yml") or path.exists():
        return path
    known = ", ".join(sorted(ids))
    raise RulesetError([Issue("unknown-ruleset", text, f"no shipped ruleset with id {text!r} and no such file (shipped: {known})")])


def load_standard_rules() -> tuple[Rule, ...]:
    """The standard checks, written in the rule language and shipped beside the rulesets."""
    path = shipped_dir() / STANDARD_RULES_FILE
    ck = _Checker(str(path))
    data = _read(path, ck)
    rules: tuple[Rule, ...] = ()
    if data is not None and ck.keys(data, {"rules", "description"}, {"rules"}, "standard rules"):
        rules = _parse_rules(ck, data.get("rules"), "standard", None, None, {})
    if ck.issues:
        raise RulesetError(ck.issues)
    return rules


# --------------------------------------------------------------------------- mappings

def load_mappings(path: str | Path | None, rulesets: list[Ruleset] | None = None,
                  *, strict: bool = True) -> tuple[Mapping, ...]:
    """Mappings between practices. With ``rulesets``, an endpoint no ruleset knows is an error
    when ``strict`` (validation); otherwise such rows are left out (the other ruleset is not
    selected for this run)."""
    if path is None and not (shipped_dir() / MAPPINGS_FILE).exists():
        return ()
    path = Path(path) if path else shipped_dir() / MAPPINGS_FILE
    ck = _Checker(str(path))
    data = _read(path, ck)
    out = []
    if data is not None and ck.keys(data, {"mappings", "source", "provenance_note", "description"}, {"mappings"}, "mappings file"):
        known = {p.id for rs in rulesets or [] for p in rs.practices}
        for node in data.get("mappings") or []:
            if not ck.keys(node, {"from", "to", "relationship", "source", "provenance", "note"}, {"from", "to", "relationship"}, "mapping"):
                continue
            rel = ck.text(node, "relationship")
            if rel not in RELATIONSHIPS:
                ck.add("type", _line(node, "relationship"), f"relationship must be one of {', '.join(sorted(RELATIONSHIPS))}")
            m = Mapping(from_=ck.text(node, "from"), to=ck.text(node, "to"), relationship=rel,
                        source=ck.text(node, "source"), provenance=ck.text(node, "provenance", "derived"))
            if rulesets is not None:
                missing = [e for e in (m.from_, m.to) if e not in known]
                if missing:
                    if strict:
                        for e in missing:
                            ck.add("unknown-practice", _line(node), f"mapping {m.from_} -> {m.to}: no ruleset has practice {e!r}")
                    continue
            out.append(m)
    if ck.issues:
        raise RulesetError(ck.issues)
    return tuple(out)


# --------------------------------------------------------------------------- tailoring

def load_tailoring(path: str | Path, rulesets: list[Ruleset]) -> Tailoring:
    """A tailoring file: practices not applicable / not yet per project, and waivers."""
    ck = _Checker(str(path))
    data = _read(Path(path), ck)
    known = {p.id for rs in rulesets for p in rs.practices}
    wps = {(p.id, w.id) for rs in rulesets for p in rs.practices for w in p.work_products}
    entries, waivers = [], []
    if data is not None and ck.keys(data, {"tailoring", "waivers", "description"}, set(), "tailoring file"):
        for node in data.get("tailoring") or []:
            if not ck.keys(node, {"project", "practice", "status", "justification"}, {"practice", "status"}, "tailoring entry"):
                continue
            pid, status = ck.text(node, "practice"), ck.text(node, "status")
            if pid not in known:
                ck.add("unknown-practice", _line(node, "practice"), f"unknown practice {pid!r}" + _hint(pid, known))
            if status not in ("not_applicable", "not_yet"):
                ck.add("type", _line(node, "status"), "status must be 'not_applicable' or 'not_yet'")
            just = ck.text(node, "justification")
            if status == "not_applicable" and not just:
                ck.add("missing-field", _line(node), f"{pid}: 'not_applicable' needs a justification")
            entries.append(TailoringEntry(ck.text(node, "project", "*") or "*", pid, status, just, line=_line(node)))
        for node in data.get("waivers") or []:
            if not ck.keys(node, {"project", "practice", "work_product", "reason", "expires", "approved_by"},
                           {"practice", "reason", "expires"}, "waiver"):
                continue
            pid, wid = ck.text(node, "practice"), ck.text(node, "work_product") or None
            if pid not in known:
                ck.add("unknown-practice", _line(node, "practice"), f"unknown practice {pid!r}" + _hint(pid, known))
            elif wid and (pid, wid) not in wps:
                ck.add("unknown-work-product", _line(node, "work_product"), f"practice {pid} has no work product {wid!r}")
            expires = node.get("expires")
            if isinstance(expires, str):
                try:
                    expires = dt.date.fromisoformat(expires)
                except ValueError:
                    expires = None
            if not isinstance(expires, dt.date):
                ck.add("type", _line(node, "expires"), "expires must be a date (YYYY-MM-DD)")
                continue
            waivers.append(Waiver(ck.text(node, "project", "*") or "*", pid, wid, ck.text(node, "reason"), expires,
                                  line=_line(node)))
    _check_tailoring_conflicts(ck, entries, waivers)
    if ck.issues:
        raise RulesetError(ck.issues)
    return Tailoring(tuple(entries), tuple(waivers), str(path))


def _check_tailoring_conflicts(ck: _Checker, entries: list[TailoringEntry], waivers: list[Waiver]) -> None:
    """Two different entries for one project and practice (waivers: and work product) leave the
    result depending on their order in the file: refuse them, naming both lines."""
    first: dict[tuple, TailoringEntry | Waiver] = {}
    for kind, items in (("tailoring entry", entries), ("waiver", waivers)):
        for e in items:
            key = (kind, e.project, e.practice, getattr(e, "work_product", None))
            seen = first.setdefault(key, e)
            if seen is not e and seen != e:
                what = f"project {e.project!r}, practice {e.practice}" + (f", work product {key[3]}" if key[3] else "")
                ck.add("conflict", e.line, f"{kind} for {what} conflicts with the one at line {seen.line}; "
                                           "keep one entry per project and practice")


def _hint(value: str, known: set[str]) -> str:
    hit = _closest(value, known)
    return f" (did you mean {hit}?)" if hit else ""


# --------------------------------------------------------------------------- validation entry point

def validate_files(paths: list[str | Path]) -> list[Issue]:
    """Every problem in the given ruleset / mappings files (empty list: all valid)."""
    issues: list[Issue] = []
    rulesets: list[Ruleset] = []
    mapping_paths: list[Path] = []
    for p in paths:
        path = Path(p)
        ck = _Checker(str(path))
        data = _read(path, ck)
        if isinstance(data, dict) and "mappings" in data and "goals" not in data:
            mapping_paths.append(path)
        elif isinstance(data, dict) and "rules" in data and "goals" not in data and "id" not in data:
            try:
                parsed = _Checker(str(path))
                _parse_rules(parsed, data.get("rules"), "standard", None, None, {})
                ck.issues.extend(parsed.issues)
            except Exception as exc:  # pragma: no cover - defensive
                ck.add("internal", 0, str(exc))
        elif data is not None:
            rs = parse_ruleset(data, str(path), ck)
            if rs is not None and not ck.issues:
                rulesets.append(rs)
        elif not ck.issues:
            ck.add("empty", 0, "the file is empty")
        issues.extend(ck.issues)
    if mapping_paths:
        all_rs = list(rulesets)
        names = {r.id for r in all_rs}
        for rid, path in shipped_ids().items():
            if rid not in names:
                try:
                    all_rs.append(load_ruleset(path))
                except RulesetError:
                    pass
        for mp in mapping_paths:
            try:
                load_mappings(mp, all_rs, strict=True)
            except RulesetError as exc:
                issues.extend(exc.issues)
    return issues


# --------------------------------------------------------------------------- catalogue

class Catalogue:
    """Every practice of the selected rulesets, findable by any of its spellings."""

    def __init__(self, rulesets: list[Ruleset]):
        self.rulesets = list(rulesets)
        self.practices: dict[str, Practice] = {}
        self.key_to_id: dict[str, str] = {}
        for rs in self.rulesets:
            for p in rs.practices:
                self.practices[p.id] = p
                for key in practice_keys(p):
                    self.key_to_id.setdefault(key, p.id)

    def resolve(self, text: str) -> str | None:
        return self.key_to_id.get(normalize_practice_key(text))

    def suggest(self, text: str) -> str | None:
        import difflib

        key = normalize_practice_key(text)
        hits = difflib.get_close_matches(key, list(self.key_to_id), n=1, cutoff=0.75)
        return self.key_to_id[hits[0]] if hits else None
