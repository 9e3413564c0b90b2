"""Ecosystem completeness per cluster (补链): which supporting roles the sources record for a
cluster, which they record as lacking, which they do not record at all, and which chain links
have no local enterprise (a gap) or only one (fragile).

A role the data does not show is not thereby missing: the sources may simply not mention it. So
each role gets one of three statuses:

* ``present``: an entity fills it, reached from the cluster (or a parent cluster) along a rule
  path; ``evidence`` gives the entity and the relationships that make it count;
* ``recorded_absent``: a source states the cluster lacks it (the cluster's ``absent_roles``
  property lists the role key);
* ``not_recorded``: neither. ``related`` then lists entities of the role's kind that the data
  links to the cluster some other, short way, so a planner can check whether one of them
  fills the role.

What counts as a role, and how it is found in the graph, is data: ``completeness_rules.yaml``
(or any file of the same shape). The rules are compiled into read-only Cypher with every value
passed as a parameter; labels, relationship types and property names are checked against the
ontology before they reach a query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graph.analytics.completeness_rules import (
    CLUSTER_TYPE,
    DEFAULT_RULES_PATH,
    ROLE_STATUSES,
    ROW_CAP,
    STATUSES,
    Role,
    Rules,
    RulesError,
    Step,
    UnknownCluster,
    load_rules,
    match_pattern,
    parse_rules,
)
from graph.analytics.locality import Locality, localities
from graph.analytics.projection import Projection
from graph.analytics.related import related_entities, why
from graph.analytics.rule_paths import follow, merge, shorter
from graph.store import GraphStore

__all__ = ["CLUSTER_TYPE", "DEFAULT_RULES_PATH", "ROLE_STATUSES", "STATUSES", "Rules", "RulesError", "UnknownCluster",
           "completeness", "link_status", "load_rules", "parse_rules"]

def _scopes(store: GraphStore, rules: Rules, clusters: list[str],
            without: frozenset[str] = frozenset()) -> dict[str, dict[str, tuple[Step, ...]]]:
    """Each cluster with the clusters whose roles count for it: itself (no relationship) and its
    parents, each with the relationships from the cluster up to it (nearest first)."""
    scopes: dict[str, dict[str, tuple[Step, ...]]] = {c: {c: ()} for c in clusters}
    frontier = {c: [c] for c in clusters}
    for _ in range(rules.inherit_depth if rules.inherit else 0):
        starts = sorted(set().union(*map(set, frontier.values())))
        if not starts:
            break
        parents: dict[str, dict[str, tuple[Step, ...]]] = {}
        for path in rules.inherit:
            merge(parents, follow(store, path, starts, without=without))
        for c in clusters:
            reached: dict[str, tuple[Step, ...]] = {}
            for via in frontier[c]:
                for parent, steps in parents.get(via, {}).items():
                    if parent not in scopes[c] and shorter(reached.get(parent), scopes[c][via] + steps):
                        reached[parent] = scopes[c][via] + steps
            scopes[c].update(reached)
            frontier[c] = sorted(reached)
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


def _links(store: GraphStore, rules: Rules, clusters: list[str],
           without: frozenset[str] = frozenset()) -> dict[str, list[dict]]:
    """Each cluster's chain links with their operators, told apart by locality (see ``Locality``)."""
    params: dict[str, Any] = {"clusters": clusters}
    link_pattern, link_conditions, link = match_pattern(rules.link, "c", "l", params)
    op_pattern, op_conditions, operator = match_pattern(rules.operators, link, "o", params)
    if without:
        params["without"] = sorted(without)
        link_conditions.append(f"NOT {link}.id IN $without")
        op_conditions.append(f"NOT {operator}.id IN $without")
    link_where = f" WHERE {' AND '.join(link_conditions)}" if link_conditions else ""
    op_where = f" WHERE {' AND '.join(op_conditions)}" if op_conditions else ""
    cypher = (f"MATCH (c:{CLUSTER_TYPE}) WHERE c.id IN $clusters MATCH {link_pattern}{link_where} "
              f"OPTIONAL MATCH {op_pattern}{op_where} "
              f"RETURN c.id, {link}.id, {link}.name, collect(DISTINCT [{operator}.id, {operator}.region])")
    rows = store.read(cypher, params, row_cap=ROW_CAP).rows
    regions = {op: region for row in rows for op, region in row[3] if op is not None}
    where = localities(store, Locality.read(store, rules.chain.home_regions), regions)
    by_cluster: dict[str, list[dict]] = {c: [] for c in clusters}
    for cluster, link_id, name, operators in rows:
        ids = sorted({op for op, _ in operators if op is not None})
        counted = [op for op in ids if where[op] != "outside"]
        by_cluster[cluster].append({"id": link_id, "name": name, "enterprises": counted,
                                    "unknown_region": [op for op in counted if where[op] == "unknown"],
                                    "outside": [op for op in ids if where[op] == "outside"],
                                    "status": link_status(len(counted), rules.fragile_max)})
    for links in by_cluster.values():
        links.sort(key=lambda link: link["id"])
    return by_cluster


# -- roles present, with their evidence ------------------------------------------------------
@dataclass(frozen=True)
class Evidence:
    """Why ``entity`` fills a role of ``cluster``: held by ``via`` (the cluster itself or a parent),
    reached from the cluster by ``steps``."""

    entity: str
    via: str
    steps: tuple[Step, ...]


def _holders(store: GraphStore, rules: Rules, clusters: list[str],
             without: frozenset[str] = frozenset()) -> dict[str, dict[str, dict[str, tuple[Step, ...]]]]:
    """role → cluster id → entity filling the role → the relationships from the cluster to it."""
    found: dict[str, dict[str, dict[str, tuple[Step, ...]]]] = {}
    for role in rules.roles:
        holders: dict[str, dict[str, tuple[Step, ...]]] = {}
        for path in role.match:
            merge(holders, follow(store, path, clusters, without=without))
        found[role.role] = holders
    return found


def _evidence(scope: dict[str, tuple[Step, ...]], holders: dict[str, dict[str, tuple[Step, ...]]],
              cluster: str) -> list[Evidence]:
    """One piece of evidence per entity: held by the cluster itself if it is, else by the nearest parent."""
    best: dict[str, tuple[tuple, Evidence]] = {}
    for via, up in scope.items():
        for entity, steps in holders.get(via, {}).items():
            rank = (via != cluster, len(up), via, len(steps), steps)
            if entity not in best or rank < best[entity][0]:
                best[entity] = (rank, Evidence(entity, via, up + steps))
    return [best[entity][1] for entity in sorted(best)]


# -- the report ------------------------------------------------------------------------------
def _clusters(store: GraphStore, clusters: list[str] | None) -> list[tuple]:
    fields = "c.id, c.name, c.name_en, c.absent_roles, c.sources"
    if clusters is None:
        return sorted(store.read(f"MATCH (c:{CLUSTER_TYPE}) RETURN {fields}", row_cap=ROW_CAP).rows)
    rows = store.read(f"MATCH (c:{CLUSTER_TYPE}) WHERE c.id IN $ids RETURN {fields}",
                      {"ids": list(clusters)}, row_cap=ROW_CAP).rows
    missing = sorted(set(clusters) - {row[0] for row in rows})
    if missing:
        raise UnknownCluster(missing)
    return sorted(rows)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [v for v in value if isinstance(v, str)] if isinstance(value, list | tuple) else []


def _names_of(store: GraphStore, ids: set[str]) -> dict[str, tuple[str, str]]:
    """id → (Chinese name, English name); the English falls back to the Chinese, the Chinese to the id."""
    if not ids:
        return {}
    rows = store.read("MATCH (n:Entity) WHERE n.id IN $ids RETURN n.id, n.name, n.name_en",
                      {"ids": sorted(ids)}, row_cap=ROW_CAP).rows
    return {node: (zh or node, en or zh or node) for node, zh, en in rows}


def _path_json(steps: tuple[Step, ...]) -> list[dict[str, str]]:
    return [{"rel": rel, "start": start, "end": end} for rel, start, end in steps]


def completeness(store: GraphStore, rules: Rules | None = None, clusters: list[str] | None = None,
                 projection: Projection | None = None, *, related: bool = True,
                 without: frozenset[str] = frozenset()) -> list[dict]:
    """The 补链 report: for each cluster, the status of every supporting role, its score and its chain links.

    Parameters
    ----------
    store : GraphStore
    rules : Rules, optional
        Default: the shipped ``completeness_rules.yaml``.
    clusters : list of str, optional
        Cluster ids (default: every cluster).
    projection : Projection, optional
        The store's graph, to search for related entities (default: read from the store when a
        role is not recorded somewhere).
    related : bool
        Whether to search for related entities (``related`` is empty for every role when not).
    without : set of str
        Entities to leave out, as if they were not in the graph (for what-if questions; nothing
        is written).

    Returns
    -------
    list of dict
        One per cluster, by id: ``{"id", "name", "name_en", "score", "present_weight",
        "total_weight", "roles", "links"}``. Each role: ``{"role", "label", "label_en", "weight",
        "status", "present", "entities", "evidence", "absent_sources", "related"}``:

        * ``status`` is ``present`` (``entities`` fill it; ``evidence`` has, per entity, ``scope``
          ``self`` or ``parent``, ``via_cluster`` and the ``path`` of relationships from the cluster),
          else ``recorded_absent`` (the cluster's ``absent_roles`` names it; ``absent_sources`` are
          the cluster's citations), else ``not_recorded`` (``related``: entities of the role's kind
          linked to the cluster some other short way, each with a ``path`` and a ``why_zh``/``why_en``).
          Data showing an entity wins over a recorded lack.
        * ``score`` is the weight of the present roles over the weight of all roles (0 to 1): how
          much of the rules the sources record for the cluster, not how strong the cluster is.

        A link's ``status`` is ``gap``, ``fragile`` or ``ok`` (see ``link_status``).

    Raises
    ------
    UnknownCluster
        When a requested id is not a cluster.

    Examples
    --------
    >>> report = completeness(store, clusters=["rail-transit-equipment"])  # doctest: +SKIP
    >>> [link["status"] for link in report[0]["links"]]  # doctest: +SKIP
    ['gap', 'gap', 'fragile', 'ok']
    >>> [role["status"] for role in report[0]["roles"]][:2]  # doctest: +SKIP
    ['present', 'not_recorded']
    """
    rules = rules or load_rules()
    rows = _clusters(store, clusters)
    if not rows:
        return []
    ids = [row[0] for row in rows]
    scopes = _scopes(store, rules, ids, without)
    holders = _holders(store, rules, sorted(set().union(*scopes.values())), without)
    evidence = {c: {role.role: _evidence(scopes[c], holders[role.role], c) for role in rules.roles} for c in ids}
    absent = {row[0]: set(_strings(row[3])) for row in rows}
    unrecorded = {c: [role for role in rules.roles if not evidence[c][role.role] and role.role not in absent[c]]
                  for c in ids}
    related = related_entities(store, rules, unrecorded, projection) if related else {}
    mentioned = {e.entity for c in ids for found in evidence[c].values() for e in found}
    mentioned |= {node for found in related.values() for hits in found.values()
                  for _, steps in hits for step in steps for node in step[1:]}
    names = {**_names_of(store, mentioned), **{row[0]: (row[1] or row[0], row[2] or row[1] or row[0]) for row in rows}}
    links = _links(store, rules, ids, without)
    report = []
    for cluster_id, name, name_en, _, sources in rows:
        roles = []
        for role in rules.roles:
            found = evidence[cluster_id][role.role]
            status = "present" if found else "recorded_absent" if role.role in absent[cluster_id] else "not_recorded"
            roles.append(_role_json(role, cluster_id, status, found, _strings(sources),
                                    related.get(cluster_id, {}).get(role.role, []), names))
        present_weight = sum(role.weight for role, entry in zip(rules.roles, roles, strict=True) if entry["present"])
        report.append({"id": cluster_id, "name": name, "name_en": name_en,
                       "score": round(present_weight / rules.total_weight, 4),
                       "present_weight": present_weight, "total_weight": rules.total_weight,
                       "roles": roles, "links": links[cluster_id]})
    return report


def _role_json(role: Role, cluster: str, status: str, found: list[Evidence], sources: list[str],
               related: list[tuple[str, tuple[Step, ...]]], names: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """One role of one cluster in the report (see ``completeness``)."""
    def named(entity: str) -> dict[str, str]:
        zh, en = names.get(entity, (entity, entity))
        return {"entity": entity, "name": zh, "name_en": en}

    return {
        "role": role.role, "label": role.label, "label_en": role.label_en, "weight": role.weight,
        "status": status, "present": status == "present", "entities": [e.entity for e in found],
        "evidence": [{**named(e.entity), "scope": "self" if e.via == cluster else "parent",
                      "via_cluster": None if e.via == cluster else e.via, "path": _path_json(e.steps)}
                     for e in found],
        "absent_sources": sorted(sources) if status == "recorded_absent" else [],
        "related": [{**named(entity), "path": _path_json(steps),
                     "why_zh": why(entity, cluster, role, steps, names, "zh"),
                     "why_en": why(entity, cluster, role, steps, names, "en")} for entity, steps in related],
    }
