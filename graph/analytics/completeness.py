"""Ecosystem completeness per cluster (补链): which supporting roles are present, which chain
links have no local enterprise (a gap) or only one (fragile).

What counts as a role, and how it is found in the graph, is data: ``completeness_rules.yaml``
(or any file of the same shape). The rules are compiled into read-only Cypher with every value
passed as a parameter; labels, relationship types and property names are checked against the
ontology before they reach a query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from graph.ontology import NODE_TYPE_BY_LABEL, REL_TYPE_BY_NAME, node_props
from graph.store import GraphStore

DEFAULT_RULES_PATH = Path(__file__).with_name("completeness_rules.yaml")
CLUSTER_TYPE = "Cluster"
STATUSES = ("gap", "fragile", "ok")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ROW_CAP = 10_000_000


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file, the entry and the fix."""


class UnknownCluster(LookupError):
    """A requested cluster id is not a Cluster in the graph."""

    def __init__(self, ids: list[str]) -> None:
        super().__init__(f"no cluster with id {', '.join(ids)}")
        self.ids = ids


@dataclass(frozen=True)
class Hop:
    """One step of a rule path: ``(previous)<-[rel]-(next)`` (in) or ``(previous)-[rel]->(next)`` (out)."""

    rels: tuple[str, ...]
    direction: str
    types: tuple[str, ...]
    where: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Role:
    role: str
    label: str
    weight: float
    match: tuple[tuple[Hop, ...], ...]


@dataclass(frozen=True)
class Rules:
    roles: tuple[Role, ...]
    inherit: tuple[tuple[Hop, ...], ...]
    inherit_depth: int
    link: tuple[Hop, ...]
    operators: tuple[Hop, ...]
    fragile_max: int

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
    """
    path = Path(path) if path is not None else DEFAULT_RULES_PATH
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RulesError(f"{path}: cannot read the rules file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise RulesError(f"{path}: not valid YAML ({exc})") from None
    return parse_rules(data, source=str(path))


def parse_rules(data: Any, source: str = "rules") -> Rules:
    """Check rules given as plain data (the parsed YAML) and build ``Rules``."""
    def fail(where: str, message: str) -> RulesError:
        return RulesError(f"{source}: {where}: {message}")

    if not isinstance(data, dict):
        raise fail("top level", "expected a mapping with 'roles', 'scope' and 'links'")
    unknown = set(data) - {"roles", "scope", "links"}
    if unknown:
        raise fail("top level", f"unknown key(s) {', '.join(sorted(unknown))}")
    raw_roles = data.get("roles")
    if not isinstance(raw_roles, list) or not raw_roles:
        raise fail("roles", "expected a non-empty list of roles")
    roles: list[Role] = []
    for i, raw in enumerate(raw_roles):
        where = f"roles[{i}]"
        if not isinstance(raw, dict):
            raise fail(where, "expected a mapping with role, label, weight and match")
        missing = {"role", "label", "weight", "match"} - set(raw)
        if missing:
            raise fail(where, f"missing {', '.join(sorted(missing))}")
        extra = set(raw) - {"role", "label", "weight", "match"}
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
        match = raw["match"]
        if not isinstance(match, list) or not match:
            raise fail(where, "match must be a non-empty list of paths")
        paths = tuple(_path(p, (CLUSTER_TYPE,), f"{where} match[{j}]", fail) for j, p in enumerate(match))
        roles.append(Role(key, raw["label"], float(weight), paths))
    if sum(r.weight for r in roles) <= 0:
        raise fail("roles", "the weights add up to 0; give at least one role a positive weight")

    scope = data.get("scope") or {}
    if not isinstance(scope, dict) or set(scope) - {"inherit", "depth"}:
        raise fail("scope", "expected a mapping with 'inherit' (list of paths) and 'depth'")
    inherit = tuple(_path(p, (CLUSTER_TYPE,), f"scope.inherit[{j}]", fail)
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
    if set(links) - {"link", "operators", "fragile_max"}:
        raise fail("links", f"unknown key(s) {', '.join(sorted(set(links) - {'link', 'operators', 'fragile_max'}))}")
    link = _path(links["link"], (CLUSTER_TYPE,), "links.link", fail)
    operators = _path(links["operators"], link[-1].types, "links.operators", fail)
    fragile_max = links.get("fragile_max", 1)
    if isinstance(fragile_max, bool) or not isinstance(fragile_max, int) or fragile_max < 0:
        raise fail("links.fragile_max", f"{fragile_max!r} must be a whole number ≥ 0")
    return Rules(tuple(roles), inherit, depth, link, operators, fragile_max)


def _names(value: Any, what: str, known: dict, where: str, fail) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) for v in values):
        raise fail(where, f"{what} must be a name or a list of names")
    for v in values:
        if v not in known:
            raise fail(where, f"unknown {what} {v!r}; known: {', '.join(sorted(known))}")
    return tuple(values)


def _path(raw: Any, start: tuple[str, ...], where: str, fail) -> tuple[Hop, ...]:
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
        if direction not in ("in", "out"):
            raise fail(at, f"direction {direction!r} must be 'in' or 'out'")
        for rel in rels:
            starts, ends = (types, previous) if direction == "in" else (previous, types)
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
        hops.append(Hop(rels, direction, types, tuple(sorted(filters.items()))))
        previous = types
    return tuple(hops)


# -- compiling rule paths to Cypher --------------------------------------------------------
def _match(path: tuple[Hop, ...], start: str, prefix: str, params: dict[str, Any]) -> tuple[str, list[str], str]:
    """Pattern, WHERE conditions and the last node's variable for ``path`` from ``start``."""
    pattern = f"({start})"
    conditions: list[str] = []
    seen = [start]
    var = start
    for k, hop in enumerate(path):
        var, rel = f"{prefix}n{k}", f"{prefix}r{k}"
        # Names below were checked against the ontology in parse_rules; values are parameters.
        label = f":{hop.types[0]}" if len(hop.types) == 1 else ""
        edge = f"[{rel}:{'|'.join(hop.rels)}]"
        pattern += f"<-{edge}-({var}{label})" if hop.direction == "in" else f"-{edge}->({var}{label})"
        if len(hop.types) > 1:
            conditions.append("(" + " OR ".join(f"{var}:{t}" for t in hop.types) + ")")
        for j, (prop, value) in enumerate(hop.where):
            name = f"{prefix}p{k}_{j}"
            params[name] = value
            conditions.append(f"{var}.{prop} IN ${name}" if isinstance(value, list) else f"{var}.{prop} = ${name}")
        conditions += [f"{var} <> {other}" for other in seen]
        seen.append(var)
    return pattern, conditions, var


def _reached(store: GraphStore, path: tuple[Hop, ...], starts: list[str]) -> dict[str, set[str]]:
    """For each start cluster id, the ids reached by ``path``."""
    params: dict[str, Any] = {"starts": starts}
    pattern, conditions, end = _match(path, "c", "", params)
    where = " AND ".join(conditions)
    cypher = (f"MATCH (c:{CLUSTER_TYPE}) WHERE c.id IN $starts MATCH {pattern}"
              f"{' WHERE ' + where if where else ''} RETURN c.id, collect(DISTINCT {end}.id)")
    return {row[0]: set(row[1]) for row in store.read(cypher, params, row_cap=_ROW_CAP).rows}


def _scopes(store: GraphStore, rules: Rules, clusters: list[str]) -> dict[str, set[str]]:
    """Each cluster with the parent clusters whose roles it inherits."""
    scopes = {c: {c} for c in clusters}
    frontier = {c: {c} for c in clusters}
    for _ in range(rules.inherit_depth if rules.inherit else 0):
        starts = sorted(set().union(*frontier.values()))
        if not starts:
            break
        parents: dict[str, set[str]] = {}
        for path in rules.inherit:
            for start, reached in _reached(store, path, starts).items():
                parents.setdefault(start, set()).update(reached)
        frontier = {c: set().union(*(parents.get(s, set()) for s in frontier[c])) - scopes[c] for c in clusters}
        for c in clusters:
            scopes[c] |= frontier[c]
    return scopes


def link_status(operators: int, fragile_max: int = 1) -> str:
    """``gap`` with no operator, ``fragile`` with 1..``fragile_max``, else ``ok``.

    Examples
    --------
    >>> [link_status(n) for n in (0, 1, 2)]
    ['gap', 'fragile', 'ok']
    """
    if operators == 0:
        return "gap"
    return "fragile" if operators <= fragile_max else "ok"


def _links(store: GraphStore, rules: Rules, clusters: list[str]) -> dict[str, list[dict]]:
    params: dict[str, Any] = {"clusters": clusters}
    link_pattern, link_conditions, link = _match(rules.link, "c", "l", params)
    op_pattern, op_conditions, operator = _match(rules.operators, link, "o", params)
    link_where = " AND ".join(link_conditions)
    op_where = " AND ".join(op_conditions)
    cypher = (f"MATCH (c:{CLUSTER_TYPE}) WHERE c.id IN $clusters MATCH {link_pattern}"
              f"{' WHERE ' + link_where if link_where else ''} "
              f"OPTIONAL MATCH {op_pattern}{' WHERE ' + op_where if op_where else ''} "
              f"RETURN c.id, {link}.id, {link}.name, collect(DISTINCT {operator}.id)")
    by_cluster: dict[str, list[dict]] = {c: [] for c in clusters}
    for cluster, link_id, name, enterprises in store.read(cypher, params, row_cap=_ROW_CAP).rows:
        enterprises = sorted(enterprises)
        by_cluster[cluster].append({"id": link_id, "name": name, "enterprises": enterprises,
                                    "status": link_status(len(enterprises), rules.fragile_max)})
    for links in by_cluster.values():
        links.sort(key=lambda link: link["id"])
    return by_cluster


def completeness(store: GraphStore, rules: Rules | None = None,
                 clusters: list[str] | None = None) -> list[dict]:
    """The 补链 report: for each cluster, its roles present and absent, its score and its chain links.

    Parameters
    ----------
    store : GraphStore
    rules : Rules, optional
        Default: the shipped ``completeness_rules.yaml``.
    clusters : list of str, optional
        Cluster ids (default: every cluster).

    Returns
    -------
    list of dict
        One per cluster, by id: ``{"id", "name", "score", "roles": [{"role", "label", "weight",
        "present", "entities"}], "links": [{"id", "name", "enterprises", "status"}]}``. ``score``
        is the weight of the present roles over the weight of all roles (0 to 1); a link's
        ``status`` is ``gap``, ``fragile`` or ``ok`` (see ``link_status``).

    Raises
    ------
    UnknownCluster
        When a requested id is not a cluster.

    Examples
    --------
    >>> report = completeness(store, clusters=["rail-transit-equipment"])  # doctest: +SKIP
    >>> [link["status"] for link in report[0]["links"]]  # doctest: +SKIP
    ['gap', 'gap', 'fragile', 'ok']
    """
    rules = rules or load_rules()
    if clusters is None:
        rows = store.read(f"MATCH (c:{CLUSTER_TYPE}) RETURN c.id, c.name", row_cap=_ROW_CAP).rows
    else:
        rows = store.read(f"MATCH (c:{CLUSTER_TYPE}) WHERE c.id IN $ids RETURN c.id, c.name",
                          {"ids": list(clusters)}, row_cap=_ROW_CAP).rows
        missing = sorted(set(clusters) - {row[0] for row in rows})
        if missing:
            raise UnknownCluster(missing)
    names = dict(sorted((row[0], row[1]) for row in rows))
    ids = list(names)
    if not ids:
        return []
    scopes = _scopes(store, rules, ids)
    every = sorted(set().union(*scopes.values()))
    found: dict[str, dict[str, set[str]]] = {}
    for role in rules.roles:
        holders: dict[str, set[str]] = {}
        for path in role.match:
            for start, reached in _reached(store, path, every).items():
                holders.setdefault(start, set()).update(reached)
        found[role.role] = holders
    links = _links(store, rules, ids)
    report = []
    for cluster in ids:
        roles = []
        present_weight = 0.0
        for role in rules.roles:
            entities = sorted(set().union(*(found[role.role].get(s, set()) for s in scopes[cluster])))
            if entities:
                present_weight += role.weight
            roles.append({"role": role.role, "label": role.label, "weight": role.weight,
                          "present": bool(entities), "entities": entities})
        report.append({"id": cluster, "name": names[cluster],
                       "score": round(present_weight / rules.total_weight, 4),
                       "roles": roles, "links": links[cluster]})
    return report
