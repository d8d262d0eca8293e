"""Rulesets and mappings: YAML in, validated records out (tailoring files: ``tailoring.py``;
practice-id spellings and the catalogue: ``practice_ids.py``).

Every loader collects *all* problems (with file and line) and raises one
:class:`RulesetError`; a broken ruleset is refused loudly, never half used.
"""
from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Any


from .checker import _Checker, _line
from .checker import read_config as _read
from .errors import Issue, RulesetError
from .model import (
    Defaults,
    Goal,
    Mapping,
    Practice,
    Rule,
    Ruleset,
    Subpractice,
    WorkProduct,
    pattern_to_regex,
)
from .patterns import check as check_pattern
from .patterns import search_mask
from .rulelang import OPERATORS, _parse_rules, _plain  # noqa: F401 - OPERATORS re-exported
from .practice_ids import Catalogue, normalize_practice_key, practice_keys  # noqa: F401 - re-exported
from .tailoring import load_tailoring, tailoring_applies_to  # noqa: F401 - re-exported
from .yamlio import LineDict

RULESET_KEYS = {"id", "title", "version", "source", "description", "provenance_note", "defaults", "rules", "goals",
                "generic", "applies_to"}
DEFAULT_KEYS = {"accept_status", "max_age_days", "affirmation"}
GOAL_KEYS = {"id", "title", "statement", "source", "practices"}
PRACTICE_KEYS = {
    "id", "title", "statement", "aliases", "source", "provenance", "affirmation", "owner",
    "objective", "inputs", "guidance", "subpractices", "work_products", "rules", "weight",
}
WP_KEYS = {"id", "name", "match", "exclude", "required", "provenance", "note", "weight"}
PROVENANCE = {"verified", "partial", "derived"}
OWNERS = {"", "customer", "provider", "shared"}
RELATIONSHIPS = {"equal", "subset", "superset", "intersect"}
PROCESS_AREA = re.compile(r"^[A-Z][A-Z0-9]{1,7}$")
KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

STANDARD_RULES_FILE = "standard-rules.yaml"
MAPPINGS_FILE = "mappings.yaml"
#: the shipped CMMI V2.0/V3.0 bridge: kit practice ids (``PLAN 2.7``) -> our practices
BRIDGE_FILE = "mappings-cmmi-v2.yaml"


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
        if path.name == STANDARD_RULES_FILE or path.name.startswith("mappings"):
            continue
        out[path.stem] = path
    return out


# --------------------------------------------------------------------------- ruleset

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
        exclude = ck.str_list(node, "exclude")
        where = f"work product {wid!r} of {pid}"
        good: dict[str, list[str]] = {"match": [], "exclude": []}
        for key, entries in (("match", match), ("exclude", exclude)):
            for entry in entries:
                problem = check_pattern(pattern_to_regex(entry), ignore_case=True)
                if problem:
                    ck.add("bad-regex", _line(node, key), f"{where}: {key} entry {entry!r} is not an accepted regular "
                                                           f"expression (RE2 dialect, docs/ruleset-format.md): {problem}")
                else:
                    good[key].append(entry)
        combined = WorkProduct(wid, name, tuple(good["match"]), exclude=tuple(good["exclude"])).regex()
        for key, union in (("match", combined.include), ("exclude", combined.exclude)):
            problem = check_pattern(union, ignore_case=True, max_chars=None) if union else None
            if problem:
                ck.add("bad-regex", _line(node, key), f"{where}: its {key} entries together cannot be run: {problem}")
                good[key] = []
        if good["match"] and name and not search_mask(
                [name], WorkProduct(wid, name, tuple(good["match"]), exclude=tuple(good["exclude"])).regex())[0]:
            ck.add("name-not-matched", _line(node, "name"),
                   f"{where}: its name {name!r} matches none of its own patterns (or matches an exclude entry); "
                   "add a pattern that matches it")
        required = node.get("required", True)
        if not isinstance(required, bool):
            ck.add("type", _line(node, "required"), f"work product {wid!r}: 'required' must be true or false")
            required = True
        prov = ck.text(node, "provenance", provenance)
        if prov not in PROVENANCE:
            ck.add("provenance", _line(node, "provenance"), f"provenance must be one of {', '.join(sorted(PROVENANCE))}")
        out.append(WorkProduct(id=wid, name=name, match=match, required=required, provenance=prov, exclude=exclude,
                               weight=_weight(ck, node, f"work product {wid!r} of {pid}")))
    return tuple(out)


def _weight(ck: _Checker, node: dict, what: str) -> float:
    """``weight:`` of a practice or work product: a positive number, default 1."""
    value = node.get("weight", 1)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 < value <= 1000) or value != value:
        ck.add("type", _line(node, "weight"), f"{what}: 'weight' must be a number greater than 0 (at most 1000), got {value!r}")
        return 1.0
    return float(value)


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
                weight=_weight(ck, pnode, f"practice {pid}"),
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
    generic = data.get("generic", False)
    if not isinstance(generic, bool):
        ck.add("type", _line(data, "generic"), "'generic' must be true or false")
        generic = False
    applies_to = tuple(a.upper() for a in ck.str_list(data, "applies_to"))
    for a in applies_to:
        if not PROCESS_AREA.match(a):
            ck.add("type", _line(data, "applies_to"), f"applies_to: {a!r} is not a process area abbreviation such as IWM")
    if applies_to and not generic:
        ck.add("type", _line(data, "applies_to"), "'applies_to' is only for generic rulesets ('generic: true')")
    return Ruleset(id=rid, title=ck.text(data, "title"), version=ck.text(data, "version"), source=ck.text(data, "source"),
                   goals=tuple(goals), defaults=defaults, description=ck.text(data, "description"),
                   provenance_note=ck.text(data, "provenance_note"), rules=ruleset_rules, path=path,
                   generic=generic, applies_to=applies_to)


def load_ruleset(path_or_id: str | Path, *, apply_to: tuple[str, ...] | list[str] | None = None) -> Ruleset:
    """Load a shipped ruleset by id, or a ruleset file by path.

    A generic ruleset (``generic: true``) comes back instantiated for the process areas
    ``apply_to`` (default: its own ``applies_to``): ``GP2.2`` becomes ``IWM.GP2.2``, ...
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
    if rs.generic:
        from .generic import instantiate

        return instantiate(rs, apply_to if apply_to else rs.applies_to)
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
    if data is not None and ck.keys(data, {"mappings", "source", "provenance_note", "description", "external"},
                                    {"mappings"}, "mappings file"):
        known = {p.id for rs in rulesets or [] for p in rs.practices}
        # an ``external`` file (the CMMI V2.0/V3.0 bridge) relates another framework's ids (``from``),
        # which no ruleset holds, to our practices (``to``)
        external = bool(ck.text(data, "external"))
        for node in data.get("mappings") or []:
            if not ck.keys(node, {"from", "to", "relationship", "source", "provenance", "note"}, {"from", "to", "relationship"}, "mapping"):
                continue
            rel = ck.text(node, "relationship")
            if rel not in RELATIONSHIPS:
                ck.add("type", _line(node, "relationship"), f"relationship must be one of {', '.join(sorted(RELATIONSHIPS))}")
            m = Mapping(from_=ck.text(node, "from"), to=ck.text(node, "to"), relationship=rel,
                        source=ck.text(node, "source"), provenance=ck.text(node, "provenance", "derived"))
            if external and not (m.source and node.get("provenance")):
                ck.add("missing-field", _line(node), f"bridge row {m.from_} -> {m.to}: give its 'source' and 'provenance'")
            if rulesets is not None:
                missing = [e for e in ((m.to,) if external else (m.from_, m.to)) if e not in known]
                if missing:
                    if strict:
                        for e in missing:
                            ck.add("unknown-practice", _line(node), f"mapping {m.from_} -> {m.to}: no ruleset has practice {e!r}")
                    continue
            out.append(m)
    if ck.issues:
        raise RulesetError(ck.issues)
    return tuple(out)


def load_bridge(path: str | Path | None = None) -> tuple[Mapping, ...]:
    """The CMMI V2.0/V3.0 bridge (shipped ``mappings-cmmi-v2.yaml`` unless ``path``): every row derived."""
    return load_mappings(path or shipped_dir() / BRIDGE_FILE)


def bridge_notes(path: str | Path | None = None) -> dict[tuple[str, str], str]:
    """``{(from, to): justification}`` of the bridge rows (their ``note``)."""
    ck = _Checker(str(path or shipped_dir() / BRIDGE_FILE))
    data = _read(Path(ck.path), ck)
    out = {}
    for node in (data or {}).get("mappings") or []:
        if isinstance(node, dict):
            out[(str(node.get("from", "")).strip(), str(node.get("to", "")).strip())] = str(node.get("note") or "").strip()
    return out


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
                if rs.generic:
                    from .generic import instantiate

                    rs = instantiate(rs, rs.applies_to or ("IWM",))
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
