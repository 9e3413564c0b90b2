"""The 补链 rules: what a complete cluster ecosystem has and how each role is found in the graph.

The rules are data (``completeness_rules.yaml`` or any file of the same shape); ``parse_rules`` checks
every label, relationship type and property name against the ontology before it can reach a query,
and ``match_pattern`` compiles a rule path into read-only Cypher whose values are all parameters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from graph.ontology import NODE_TYPE_BY_LABEL, REL_TYPE_BY_NAME, node_props

DEFAULT_RULES_PATH = Path(__file__).with_name("completeness_rules.yaml")
CLUSTER_TYPE = "Cluster"
STATUSES = ("gap", "fragile", "ok")
"""Statuses of a chain link."""
ROLE_STATUSES = ("present", "recorded_absent", "not_recorded")
"""Statuses of a supporting role."""
DEFAULT_HUBS = ("Source", "Category", "Region")
"""Node types a related entity's path may not pass through: nearly everything is linked to them."""
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ROW_CAP = 10_000_000

DIRECTIONS = ("in", "out", "both")
Step = tuple[str, str, str]
"""One relationship of a path: ``(type, start id, end id)`` as stored."""


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file, the entry and the fix."""


class UnknownCluster(LookupError):
    """A requested cluster id is not a Cluster in the graph."""

    def __init__(self, ids: list[str]) -> None:
        super().__init__(f"no cluster with id {', '.join(ids)}")
        self.ids = ids


@dataclass(frozen=True)
class Hop:
    """One step of a rule path: ``(previous)<-[rel]-(next)`` (in), ``(previous)-[rel]->(next)`` (out)
    or either (both)."""

    rels: tuple[str, ...]
    direction: str
    types: tuple[str, ...]
    where: tuple[tuple[str, Any], ...] = ()
    """Property filters on the next node: a value, or a tuple of accepted values."""


@dataclass(frozen=True)
class Role:
    role: str
    label: str
    weight: float
    match: tuple[tuple[Hop, ...], ...]
    label_en: str = ""

    @property
    def fillers(self) -> tuple[Hop, ...]:
        """The last hop of each alternative: what kind of entity can fill the role."""
        return tuple(dict.fromkeys(path[-1] for path in self.match))


@dataclass(frozen=True)
class RelatedSearch:
    """How far to look for entities that could fill a role the sources do not record.

    A related entity is at most ``max_hops`` relationships away from the cluster, through no
    node of a ``hubs`` type; at most ``max_listed`` are listed per role, nearest first. The paths
    follow the relationships the analytics project (``project``): the derived 六新 and source
    links (``CLASSIFIED_AS``, ``MENTIONED_IN``) are never followed.
    """

    hubs: tuple[str, ...] = DEFAULT_HUBS
    max_hops: int = 2
    max_listed: int = 10


@dataclass(frozen=True)
class ChainSettings:
    """How a cluster's chain links are told apart and put in order.

    An operator is local unless its region (its ``region`` property, else the Region it is
    ``LOCATED_IN``) is a known Region outside every ``home_regions`` entry and the regions
    ``PART_OF`` them; an operator whose region is not recorded counts as local, and is marked so.
    ``order`` lists the columns of the chain, upstream first, each with the ``position`` values it
    holds; it is used where ``UPSTREAM_OF`` does not order every link. ``leader_role`` is the role
    whose entities the chain marks as 链主.
    """

    home_regions: tuple[str, ...] = ()
    order: tuple[tuple[str, ...], ...] = ()
    leader_role: str | None = None


@dataclass(frozen=True)
class Rules:
    roles: tuple[Role, ...]
    inherit: tuple[tuple[Hop, ...], ...]
    inherit_depth: int
    link: tuple[Hop, ...]
    operators: tuple[Hop, ...]
    fragile_max: int
    related: RelatedSearch = RelatedSearch()
    chain: ChainSettings = ChainSettings()

    @property
    def total_weight(self) -> float:
        return sum(role.weight for role in self.roles)


# -- loading and validation ----------------------------------------------------------------
def load_rules(path: str | Path | None = None) -> Rules:
    """Read and check a rules file (default: the shipped ``completeness_rules.yaml``).

    Raises
    ------
    RulesError
        Naming the file, the entry and what is wrong with it.

    Examples
    --------
    >>> rules = load_rules()
    >>> [r.role for r in rules.roles][:3]
    ['leader', 'key_lab', 'engineering_centre']
    >>> rules.roles[0].label_en
    'Chain leader / lead enterprise'
    """
    path = Path(path) if path is not None else DEFAULT_RULES_PATH
    return parse_rules(read_rules_file(path), source=str(path))


def read_rules_file(path: Path) -> Any:
    """The parsed YAML of a rules file.

    Raises
    ------
    RulesError
        When the file cannot be read or is not YAML, naming the file.
    """
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesError(f"{path}: cannot read the rules file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise RulesError(f"{path}: not valid YAML ({exc})") from None


_ROLE_KEYS = {"role", "label", "label_en", "weight", "match"}
_TOP_KEYS = {"roles", "scope", "links", "related"}


def parse_rules(data: Any, source: str = "rules") -> Rules:
    """Check rules given as plain data (the parsed YAML) and build ``Rules``."""
    def fail(where: str, message: str) -> RulesError:
        return RulesError(f"{source}: {where}: {message}")

    if not isinstance(data, dict):
        raise fail("top level", "expected a mapping with 'roles', 'scope' and 'links'")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise fail("top level", f"unknown key(s) {', '.join(sorted(unknown))}")
    raw_roles = data.get("roles")
    if not isinstance(raw_roles, list) or not raw_roles:
        raise fail("roles", "expected a non-empty list of roles")
    roles: list[Role] = []
    for i, raw in enumerate(raw_roles):
        where = f"roles[{i}]"
        if not isinstance(raw, dict):
            raise fail(where, "expected a mapping with role, label, weight and match (and optionally label_en)")
        missing = {"role", "label", "weight", "match"} - set(raw)
        if missing:
            raise fail(where, f"missing {', '.join(sorted(missing))}")
        extra = set(raw) - _ROLE_KEYS
        if extra:
            raise fail(where, f"unknown key(s) {', '.join(sorted(extra))}")
        key = raw["role"]
        if not isinstance(key, str) or not _NAME.match(key):
            raise fail(where, f"role {key!r} must be an ASCII name (letters, digits, _)")
        if any(r.role == key for r in roles):
            raise fail(where, f"role {key!r} appears twice")
        where = f"roles[{i}] ({key})"
        weight = raw["weight"]
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise fail(where, f"weight {weight!r} must be a number ≥ 0")
        if not isinstance(raw["label"], str) or not raw["label"]:
            raise fail(where, "label must be a non-empty string")
        label_en = raw.get("label_en", raw["label"])
        if not isinstance(label_en, str) or not label_en:
            raise fail(where, "label_en must be a non-empty string (the English name of the role)")
        match = raw["match"]
        if not isinstance(match, list) or not match:
            raise fail(where, "match must be a non-empty list of paths")
        paths = tuple(parse_path(p, (CLUSTER_TYPE,), f"{where} match[{j}]", fail) for j, p in enumerate(match))
        roles.append(Role(key, raw["label"], float(weight), paths, label_en))
    if sum(r.weight for r in roles) <= 0:
        raise fail("roles", "the weights add up to 0; give at least one role a positive weight")

    scope = data.get("scope") or {}
    if not isinstance(scope, dict) or set(scope) - {"inherit", "depth"}:
        raise fail("scope", "expected a mapping with 'inherit' (list of paths) and 'depth'")
    inherit = tuple(parse_path(p, (CLUSTER_TYPE,), f"scope.inherit[{j}]", fail)
                    for j, p in enumerate(scope.get("inherit") or []))
    for j, p in enumerate(inherit):
        if p[-1].types != (CLUSTER_TYPE,):
            raise fail(f"scope.inherit[{j}]", "the path must end at a Cluster")
    depth = scope.get("depth", 1)
    if isinstance(depth, bool) or not isinstance(depth, int) or not 0 <= depth <= 10:
        raise fail("scope.depth", f"{depth!r} must be a whole number from 0 to 10")

    links = data.get("links")
    if not isinstance(links, dict) or {"link", "operators"} - set(links):
        raise fail("links", "expected a mapping with 'link', 'operators' and 'fragile_max'")
    if set(links) - _LINK_KEYS:
        raise fail("links", f"unknown key(s) {', '.join(sorted(set(links) - _LINK_KEYS))}")
    link = parse_path(links["link"], (CLUSTER_TYPE,), "links.link", fail)
    operators = parse_path(links["operators"], link[-1].types, "links.operators", fail)
    fragile_max = links.get("fragile_max", 1)
    if isinstance(fragile_max, bool) or not isinstance(fragile_max, int) or fragile_max < 0:
        raise fail("links.fragile_max", f"{fragile_max!r} must be a whole number ≥ 0")
    related = _related_search(data.get("related"), fail)
    chain = _chain_settings(links, [r.role for r in roles], fail)
    return Rules(tuple(roles), inherit, depth, link, operators, fragile_max, related, chain)


_LINK_KEYS = {"link", "operators", "fragile_max", "home_regions", "order", "leader_role"}


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def _chain_settings(links: dict[str, Any], role_keys: list[str], fail) -> ChainSettings:
    homes = links.get("home_regions", [])
    if not _strings(homes):
        raise fail("links.home_regions", "expected a list of region names (e.g. [山西省])")
    order = links.get("order", [])
    if not isinstance(order, list) or not all(_strings(column) and column for column in order):
        raise fail("links.order", "expected a list of columns, each a non-empty list of position values "
                   "(e.g. [[材料], [零部件], [整车, 整机], [服务]])")
    seen = [p for column in order for p in column]
    repeated = sorted({p for p in seen if seen.count(p) > 1})
    if repeated:
        raise fail("links.order", f"position(s) {', '.join(repeated)} appear in more than one column")
    leader = links.get("leader_role")
    if leader is not None and leader not in role_keys:
        raise fail("links.leader_role", f"{leader!r} is not one of the roles ({', '.join(role_keys)})")
    return ChainSettings(tuple(homes), tuple(tuple(column) for column in order), leader)


def _whole(value: Any, low: int, high: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and low <= value <= high


def _related_search(raw: Any, fail) -> RelatedSearch:
    if raw is None:
        return RelatedSearch()
    keys = {"hubs", "max_hops", "max_listed"}
    if not isinstance(raw, dict) or set(raw) - keys:
        raise fail("related", "expected a mapping with 'hubs', 'max_hops' and 'max_listed'")
    default = RelatedSearch()
    given = raw.get("hubs", list(default.hubs))
    hubs = _names(given, "node type", NODE_TYPE_BY_LABEL, "related.hubs", fail) if given != [] else ()
    hops = raw.get("max_hops", default.max_hops)
    if not _whole(hops, 1, 4):
        raise fail("related.max_hops", f"{hops!r} must be a whole number from 1 to 4")
    listed = raw.get("max_listed", default.max_listed)
    if not _whole(listed, 0, 1000):
        raise fail("related.max_listed", f"{listed!r} must be a whole number from 0 to 1000")
    return RelatedSearch(hubs, hops, listed)


def _names(value: Any, what: str, known: dict, where: str, fail) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) for v in values):
        raise fail(where, f"{what} must be a name or a list of names")
    for v in values:
        if v not in known:
            raise fail(where, f"unknown {what} {v!r}; known: {', '.join(sorted(known))}")
    return tuple(values)


def parse_path(raw: Any, start: tuple[str, ...], where: str, fail) -> tuple[Hop, ...]:
    if not isinstance(raw, list) or not raw:
        raise fail(where, "a path is a non-empty list of hops")
    hops: list[Hop] = []
    previous = start
    for k, step in enumerate(raw):
        at = f"{where} hop {k + 1}"
        if not isinstance(step, dict):
            raise fail(at, "a hop is a mapping with rel, direction, type and optional where")
        if {"rel", "direction", "type"} - set(step) or set(step) - {"rel", "direction", "type", "where"}:
            raise fail(at, "a hop has exactly rel, direction, type and optionally where")
        rels = _names(step["rel"], "relationship type", REL_TYPE_BY_NAME, at, fail)
        types = _names(step["type"], "node type", NODE_TYPE_BY_LABEL, at, fail)
        direction = step["direction"]
        if direction not in DIRECTIONS:
            raise fail(at, f"direction {direction!r} must be 'in', 'out' or 'both'")
        for rel in rels:
            starts, ends = (types, previous) if direction == "in" else (previous, types)
            if direction == "both":
                starts = ends = tuple(types) + tuple(previous)
            if not any(REL_TYPE_BY_NAME[rel].allows(s, e) for s in starts for e in ends):
                arrow = f"({'|'.join(starts)})-[:{rel}]->({'|'.join(ends)})"
                raise fail(at, f"the ontology allows no {arrow}; check the direction and the types")
        filters = step.get("where") or {}
        if not isinstance(filters, dict):
            raise fail(at, "where must be a mapping of property: value or [values]")
        declared = {p.name for t in types for p in node_props(t)}
        for prop, value in filters.items():
            if prop not in declared:
                raise fail(at, f"property {prop!r} is not declared for {', '.join(types)}")
            values = value if isinstance(value, list) else [value]
            if not values or not all(isinstance(v, str | int | float | bool) for v in values):
                raise fail(at, f"where {prop}: expected a value or a non-empty list of values")
        where_items = ((prop, tuple(value) if isinstance(value, list) else value) for prop, value in filters.items())
        hops.append(Hop(rels, direction, types, tuple(sorted(where_items))))
        previous = types
    return tuple(hops)


# -- compiling rule paths to Cypher --------------------------------------------------------
def node_conditions(hop: Hop, var: str, prefix: str, params: dict[str, Any]) -> tuple[str, list[str]]:
    """The label part of ``var``'s pattern and the WHERE conditions its type and filters need."""
    # Names below were checked against the ontology in parse_rules; values are parameters.
    label = f":{hop.types[0]}" if len(hop.types) == 1 else ""
    conditions = [] if label else ["(" + " OR ".join(f"{var}:{t}" for t in hop.types) + ")"]
    for j, (prop, value) in enumerate(hop.where):
        name = f"{prefix}_{j}"
        params[name] = list(value) if isinstance(value, tuple) else value
        conditions.append(f"{var}.{prop} IN ${name}" if isinstance(value, tuple) else f"{var}.{prop} = ${name}")
    return label, conditions


def match_pattern(path: tuple[Hop, ...], start: str, prefix: str, params: dict[str, Any]) -> tuple[str, list[str], str]:
    """Pattern, WHERE conditions and the last node's variable for ``path`` from ``start``."""
    pattern = f"({start})"
    conditions: list[str] = []
    seen = [start]
    var = start
    for k, hop in enumerate(path):
        var, rel = f"{prefix}n{k}", f"{prefix}r{k}"
        label, hop_conditions = node_conditions(hop, var, f"{prefix}p{k}", params)
        edge = f"[{rel}:{'|'.join(hop.rels)}]"
        arrow = {"in": f"<-{edge}-", "out": f"-{edge}->", "both": f"-{edge}-"}[hop.direction]
        pattern += f"{arrow}({var}{label})"
        conditions += hop_conditions
        conditions += [f"{var} <> {other}" for other in seen]
        seen.append(var)
    return pattern, conditions, var
