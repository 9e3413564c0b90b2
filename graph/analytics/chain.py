"""A cluster's industry chain drawn as a chain: its links upstream → downstream, each with its local
enterprises (链主 marked), the enterprises outside the region that operate in it, its status and
the platforms, finance and policies linked to it.

The order comes from ``UPSTREAM_OF`` when those relationships order every link of the cluster
(one connected, acyclic chain); otherwise from each link's ``position`` and the column order the
rules declare (``links.order``), and the result says so (``basis`` and ``warnings``).
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from graph.analytics.completeness import completeness, link_status
from graph.analytics.completeness_rules import CLUSTER_TYPE, ROW_CAP, Rules, UnknownCluster, load_rules, match_pattern
from graph.analytics.locality import Locality, localities
from graph.store import GraphStore

SUPPORT_TYPES = ("Platform", "FinancialInstitution", "Policy")
"""Types of the entities shown attached to a link when they are linked to it."""
CHAIN_RELS = ("HAS_LINK", "OPERATES_IN", "UPSTREAM_OF", "CLASSIFIED_AS", "MENTIONED_IN")
"""Relationships of a link that are the chain itself, not support."""
UNPLACED = "unplaced"
"""The key of the last column: links whose position the declared order does not know."""


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _person(row: list[Any]) -> dict[str, Any]:
    node, name, name_en = row[:3]
    return {"id": node, "name": name or node, "name_en": name_en or name or node}


def order_links(links: list[dict[str, Any]], upstream: list[tuple[str, str]],
                order: tuple[tuple[str, ...], ...]) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
    """``(basis, columns, warnings)`` for links given with ``id`` and ``position``.

    Each column is ``{"key", "positions", "links"}``, upstream first. ``basis`` is ``upstream_of``
    when the relationships order every link, else ``position``.

    Examples
    --------
    >>> links = [{"id": "a", "position": "服务"}, {"id": "b", "position": "材料"}, {"id": "c", "position": "?"}]
    >>> basis, columns, warnings = order_links(links, [], (("材料",), ("服务",)))
    >>> basis, [c["links"] for c in columns], [w["code"] for w in warnings]
    ('position', [['b'], ['a'], ['c']], ['unplaced'])
    >>> order_links(links, [("b", "a"), ("a", "c")], ())[1][0]["links"]
    ['b']
    """
    ids = [link["id"] for link in links]
    position = {link["id"]: link.get("position") for link in links}
    warnings: list[dict[str, Any]] = []
    G = nx.DiGraph()
    G.add_nodes_from(ids)
    G.add_edges_from(upstream)
    if upstream:
        if not nx.is_directed_acyclic_graph(G):
            cycle = sorted({node for edge in nx.find_cycle(G) for node in edge[:2]})
            warnings.append({"code": "upstream_cycle", "links": cycle})
        elif nx.is_weakly_connected(G):
            columns = [{"key": str(i), "positions": sorted({p for n in generation if (p := position[n])}),
                        "links": sorted(generation)} for i, generation in enumerate(nx.topological_generations(G))]
            return "upstream_of", columns, warnings
        else:
            touched = sorted({n for edge in upstream for n in edge})
            warnings.append({"code": "partial_upstream", "links": touched})
    rank = {p: i for i, column in enumerate(order) for p in column}
    columns = [{"key": str(i), "positions": list(column), "links": []} for i, column in enumerate(order)]
    unplaced = {"key": UNPLACED, "positions": [], "links": []}
    for link in sorted(ids):
        at = rank.get(position[link])
        (unplaced if at is None else columns[at])["links"].append(link)
    if unplaced["links"]:
        unplaced["positions"] = sorted({p for n in unplaced["links"] if (p := position[n])})
        warnings.append({"code": "unplaced", "links": unplaced["links"]})
    return "position", [c for c in columns if c["links"]] + ([unplaced] if unplaced["links"] else []), warnings


def _cluster(store: GraphStore, cluster_id: str) -> dict[str, Any]:
    rows = store.read(f"MATCH (c:{CLUSTER_TYPE} {{id: $id}}) RETURN c.id, c.name, c.name_en, c.sources",
                      {"id": cluster_id}).rows
    if not rows:
        raise UnknownCluster([cluster_id])
    return {**_person(rows[0]), "sources": _strings(rows[0][3])}


def _links(store: GraphStore, rules: Rules, cluster_id: str) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"cluster": cluster_id}
    pattern, conditions, link = match_pattern(rules.link, "c", "l", params)
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    rows = store.read(f"MATCH (c:{CLUSTER_TYPE} {{id: $cluster}}) MATCH {pattern}{where} "
                      f"RETURN DISTINCT {link}.id, {link}.name, {link}.name_en, {link}.position, {link}.sources",
                      params, row_cap=ROW_CAP).rows
    return [{**_person(row), "position": row[3], "sources": _strings(row[4])} for row in sorted(rows)]


def _operators(store: GraphStore, rules: Rules, links: list[str]) -> dict[str, list[dict[str, Any]]]:
    params: dict[str, Any] = {"links": links}
    pattern, conditions, op = match_pattern(rules.operators, "l", "o", params)
    where = f" AND {' AND '.join(conditions)}" if conditions else ""
    kinds = rules.link[-1].types
    label = f":{kinds[0]}" if len(kinds) == 1 else ":Entity"
    rows = store.read(f"MATCH (l{label}) WHERE l.id IN $links MATCH {pattern} WHERE true{where} "
                      f"RETURN DISTINCT l.id, {op}.id, {op}.name, {op}.name_en, {op}.region, {op}.is_leader, "
                      f"{op}.sources", params, row_cap=ROW_CAP).rows
    found: dict[str, list[dict[str, Any]]] = {link: [] for link in links}
    for link, *rest in sorted(rows, key=lambda r: (r[0], r[1])):
        found[link].append({**_person(rest), "region": rest[3], "is_leader": rest[4] is True,
                            "sources": _strings(rest[5])})
    return found


def _upstream(store: GraphStore, links: list[str]) -> list[tuple[str, str]]:
    rows = store.read("MATCH (a:ChainLink)-[:UPSTREAM_OF]->(b:ChainLink) WHERE a.id IN $ids AND b.id IN $ids "
                      "RETURN DISTINCT a.id, b.id", {"ids": links}, row_cap=ROW_CAP).rows
    return sorted((a, b) for a, b in rows if a != b)


def _support(store: GraphStore, links: list[str]) -> dict[str, list[dict[str, Any]]]:
    """link → the platforms, finance and policies linked to it (either direction), with the relationship."""
    labels = " OR ".join(f"x:{t}" for t in SUPPORT_TYPES)
    found: dict[str, dict[tuple[str, str], dict[str, Any]]] = {link: {} for link in links}
    for arrow in ("-[r]->", "<-[r]-"):
        rows = store.read(f"MATCH (l:ChainLink){arrow}(x) WHERE l.id IN $ids AND ({labels}) AND NOT type(r) IN $chain "
                          "RETURN l.id, type(r), x.id, x.name, x.name_en, labels(x)",
                          {"ids": links, "chain": list(CHAIN_RELS)}, row_cap=ROW_CAP).rows
        for link, rel, *rest in rows:
            kind = next((t for t in rest[3] if t in SUPPORT_TYPES), None)
            found[link][(rest[0], rel)] = {**_person(rest), "type": kind, "rel": rel,
                                           "direction": "out" if arrow == "-[r]->" else "in"}
    return {link: [found[link][key] for key in sorted(found[link])] for link in links}


def chain(store: GraphStore, cluster_id: str, rules: Rules | None = None,
          report: dict[str, Any] | None = None) -> dict[str, Any]:
    """The chain of one cluster.

    Parameters
    ----------
    store : GraphStore
    cluster_id : str
    rules : Rules, optional
        The 补链 rules (default: the shipped ones): they say what a link and an operator are,
        which regions are home, the column order and which role is the 链主.
    report : dict, optional
        The cluster's 补链 report (``completeness``), if already computed.

    Returns
    -------
    dict
        ``{"cluster", "basis", "warnings", "columns", "links", "upstream", "counts", "fragile_max",
        "home_regions", "leaders", "roles", "sources"}``. Each link: ``{"id", "name", "name_en",
        "position", "column", "status", "local", "outside", "upstream", "downstream", "support",
        "sources"}``; ``local`` and ``outside`` list enterprises (``leader`` marks a 链主 of the
        cluster, ``locality`` is ``local`` or ``unknown``: no region recorded, counted as local).

    Raises
    ------
    UnknownCluster
    """
    rules = rules or load_rules()
    cluster = _cluster(store, cluster_id)
    report = report or completeness(store, rules, [cluster_id], related=False)[0]
    leader_role = next((r for r in report["roles"] if r["role"] == rules.chain.leader_role), None)
    leaders = {e["entity"] for e in leader_role["evidence"]} if leader_role else set()
    links = _links(store, rules, cluster_id)
    ids = [link["id"] for link in links]
    operators = _operators(store, rules, ids)
    where = localities(store, Locality.read(store, rules.chain.home_regions),
                       {op["id"]: op["region"] for ops in operators.values() for op in ops})
    upstream = _upstream(store, ids)
    basis, columns, warnings = order_links(links, upstream, rules.chain.order)
    column_of = {link: i for i, column in enumerate(columns) for link in column["links"]}
    support = _support(store, ids)
    counts = {"gap": 0, "fragile": 0, "ok": 0}
    sources = set(cluster["sources"])
    for link in links:
        ops = operators[link["id"]]
        local = [{**op, "leader": op["id"] in leaders, "locality": where[op["id"]]}
                 for op in ops if where[op["id"]] != "outside"]
        outside = [op for op in ops if where[op["id"]] == "outside"]
        link.update(column=column_of[link["id"]], status=link_status(len(local), rules.fragile_max),
                    local=local, outside=outside, support=support[link["id"]],
                    upstream=sorted(a for a, b in upstream if b == link["id"]),
                    downstream=sorted(b for a, b in upstream if a == link["id"]))
        counts[link["status"]] += 1
        sources.update(link["sources"])
        sources.update(s for op in ops for s in op["sources"])
    links.sort(key=lambda link: (link["column"], link["id"]))
    roles = [{key: role[key] for key in ("role", "label", "label_en", "weight", "status")}
             | {"entities": [{k: e[k] for k in ("entity", "name", "name_en", "scope")} for e in role["evidence"]]}
             for role in report["roles"]]
    return {"cluster": cluster, "basis": basis, "warnings": warnings, "columns": columns, "links": links,
            "upstream": [list(edge) for edge in upstream], "counts": counts, "fragile_max": rules.fragile_max,
            "home_regions": list(rules.chain.home_regions), "leaders": sorted(leaders), "roles": roles,
            "score": report["score"], "sources": sorted(sources)}
