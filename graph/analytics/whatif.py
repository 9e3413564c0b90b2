"""What-if for a cluster's chain, without writing to the store: leave out some entities (a 链主, a
bank, a platform) or add hypothetical enterprises to links, and compare before and after.

Roles, links and the completeness score are the 补链 report computed as if the removed entities were
not there (``completeness(without=…)``, read-only queries). The structure — which entities the
cluster's ecosystem would lose touch with, and which entities become single points of failure — is
computed on the analytics projection: the cluster's neighbourhood (without hub nodes, within the
rules' ``related.max_hops``) as an undirected graph.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import igraph as ig
import numpy as np

from graph.analytics.completeness import completeness, link_status
from graph.analytics.completeness_rules import ROW_CAP, Rules, load_rules
from graph.analytics.projection import project
from graph.analytics.related import Neighbourhood
from graph.store import GraphStore

HYPOTHETICAL_PREFIX = "hypothetical-"
MAX_CHANGES = 50
"""Most entities removed plus added in one question."""


class WhatIfError(ValueError):
    """A what-if question that cannot be answered as asked; the message says what to change."""

    def __init__(self, code: str, message_zh: str, message_en: str, details: dict[str, Any]) -> None:
        super().__init__(message_en)
        self.code, self.message_zh, self.message_en, self.details = code, message_zh, message_en, details


@dataclass(frozen=True)
class Addition:
    """A hypothetical enterprise operating in ``link`` (a 链主 of the cluster when ``leader``)."""

    link: str
    name: str
    leader: bool = False


def _entities(store: GraphStore, ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = store.read("MATCH (n:Entity) WHERE n.id IN $ids RETURN n.id, n.name, n.name_en, labels(n)",
                      {"ids": ids}, row_cap=ROW_CAP).rows
    return {node: {"id": node, "name": zh or node, "name_en": en or zh or node,
                   "type": next((t for t in labels if t != "Entity"), None)} for node, zh, en, labels in rows}


def _check(store: GraphStore, cluster_id: str, remove: list[str], add: list[Addition],
           link_ids: set[str]) -> dict[str, dict[str, Any]]:
    if len(remove) + len(add) > MAX_CHANGES:
        raise WhatIfError("too_many_changes", f"一次最多设想 {MAX_CHANGES} 项变化（移除与新增合计）。",
                          f"At most {MAX_CHANGES} changes (removed plus added) in one question.",
                          {"max": MAX_CHANGES})
    found = _entities(store, sorted(set(remove)))
    unknown = sorted(set(remove) - set(found))
    if unknown:
        raise WhatIfError("unknown_entities",
                          f"没有编号为 {'、'.join(unknown)} 的实体；请从搜索框或详情面板选择要移除的实体。",
                          f"No entity has the id {', '.join(unknown)}; pick the entities to remove from the search "
                          "box or the details panel.", {"ids": unknown})
    if cluster_id in found:
        raise WhatIfError("cluster_removed", "不能移除集群本身；请移除它的成员、环节或支撑机构。",
                          "The cluster itself cannot be removed; remove its members, links or supporters.",
                          {"id": cluster_id})
    for i, a in enumerate(add):
        if a.link not in link_ids:
            raise WhatIfError("unknown_link", f"第 {i + 1} 家设想企业的环节 {a.link!r} 不是该集群的产业链环节；"
                              f"可选：{'、'.join(sorted(link_ids)) or '（该集群没有记录环节）'}。",
                              f"Hypothetical enterprise {i + 1}: {a.link!r} is not a chain link of this cluster; "
                              f"choose one of {', '.join(sorted(link_ids)) or '(the cluster records no links)'}.",
                              {"index": i, "link": a.link, "links": sorted(link_ids)})
        if not a.name.strip():
            raise WhatIfError("missing_name", f"请为第 {i + 1} 家设想企业填写名称。",
                              f"Give hypothetical enterprise {i + 1} a name.", {"index": i})
    return found


def _apply_additions(report: dict[str, Any], add: list[Addition], rules: Rules) -> dict[str, Any]:
    """The report with the hypothetical enterprises counted in their links (and as 链主 where said)."""
    links = []
    for link in report["links"]:
        extra = [f"{HYPOTHETICAL_PREFIX}{i + 1}" for i, a in enumerate(add) if a.link == link["id"]]
        enterprises = link["enterprises"] + extra
        links.append({**link, "enterprises": enterprises, "status": link_status(len(enterprises), rules.fragile_max)})
    roles = []
    for role in report["roles"]:
        leaders = [f"{HYPOTHETICAL_PREFIX}{i + 1}" for i, a in enumerate(add) if a.leader]
        if role["role"] == rules.chain.leader_role and leaders:
            role = {**role, "status": "present", "present": True, "entities": role["entities"] + leaders}
        roles.append(role)
    present = sum(role["weight"] for role in roles if role["present"])
    return {**report, "links": links, "roles": roles, "present_weight": present,
            "score": round(present / rules.total_weight, 4)}


def _structure(hood: Neighbourhood, cluster_id: str, max_hops: int, remove: set[str],
               add: list[Addition]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Before and after: the cluster's neighbourhood graph, what stays connected to the cluster and
    its articulation points (entities whose loss would cut part of it off)."""
    P = hood.P
    nodes = hood.within(cluster_id, max_hops)
    inside = np.zeros(P.number_of_nodes(), dtype=bool)
    inside[nodes] = True
    u, v = hood.neighbours(nodes)
    keep = inside[v] & (u < v)
    pairs = np.unique(np.column_stack((np.searchsorted(nodes, u[keep]), np.searchsorted(nodes, v[keep]))), axis=0)
    names = [P.ids[i] for i in nodes.tolist()]
    position = {name: i for i, name in enumerate(names)}
    gone = {position[r] for r in remove if r in position}
    hypothetical = [f"{HYPOTHETICAL_PREFIX}{i + 1}" for i in range(len(add))]
    centre = position.get(cluster_id)

    def describe(drop: set[int], extra: list[tuple[int, int]], count: int) -> dict[str, Any]:
        g = ig.Graph(n=count)
        kept = pairs[~np.isin(pairs, list(drop)).any(axis=1)] if drop else pairs
        g.add_edges(kept.tolist() + extra)
        if centre is None:
            return {"connected": set(), "articulation": set(), "nodes": count - len(drop)}
        component = sorted(g.subcomponent(centre))  # induced_subgraph keeps vertices in id order
        sub = g.induced_subgraph(component)
        label = [names[i] if i < len(names) else hypothetical[i - len(names)] for i in component]
        cut = {label[i] for i in sub.articulation_points()} - {cluster_id}
        return {"connected": set(label), "articulation": cut, "nodes": count - len(drop)}

    before = describe(set(), [], len(names))
    extra = []
    for k, a in enumerate(add):
        h = len(names) + k
        extra += [(h, position[a.link])] if a.link in position and position[a.link] not in gone else []
        extra += [(h, centre)] if centre is not None else []
    after = describe(gone, extra, len(names) + len(add))
    return before, after


def whatif(store: GraphStore, cluster_id: str, remove: list[str] | None = None, add: list[Addition] | None = None,
           rules: Rules | None = None, hood: Neighbourhood | None = None,
           before: dict[str, Any] | None = None) -> dict[str, Any]:
    """Before and after removing ``remove`` and adding ``add`` to the cluster; nothing is written.

    ``before`` is the cluster's 补链 report without related entities, if already computed.

    Returns
    -------
    dict
        ``{"cluster", "removed", "added", "score", "roles_lost", "roles_gained", "links", "became_gap",
        "became_fragile", "structure"}``. ``score`` is ``{"before", "after", "delta"}`` (completeness);
        each link ``{"id", "name", "before", "after", "local_before", "local_after", "lost"}``;
        ``structure``: ``{"nodes_before", "nodes_after", "cut_off", "new_single_points",
        "single_points_before", "single_points_after"}`` over the cluster's neighbourhood.

    Raises
    ------
    UnknownCluster, WhatIfError
    """
    rules = rules or load_rules()
    remove, add = list(dict.fromkeys(remove or [])), list(add or [])
    before = before or completeness(store, rules, [cluster_id], related=False)[0]
    removed = _check(store, cluster_id, remove, add, {link["id"] for link in before["links"]})
    gone = frozenset(remove)
    after = _apply_additions(completeness(store, rules, [cluster_id], related=False, without=gone)[0], add, rules)
    after_links = {link["id"]: link for link in after["links"]}
    links = []
    for link in before["links"]:
        later = after_links.get(link["id"])
        links.append({"id": link["id"], "name": link["name"], "before": link["status"],
                      "after": later["status"] if later else "removed",
                      "local_before": len(link["enterprises"]),
                      "local_after": len(later["enterprises"]) if later else 0,
                      "lost": sorted(set(link["enterprises"]) - set(later["enterprises"] if later else []))})
    roles_after = {role["role"]: role for role in after["roles"]}
    role_keys = ("role", "label", "label_en", "weight")
    changed = [r for r in before["roles"] if r["present"] != roles_after[r["role"]]["present"]]
    lost = [{k: r[k] for k in role_keys} for r in changed if r["present"]]
    gained = [{k: r[k] for k in role_keys} for r in changed if not r["present"]]
    hood = hood or Neighbourhood(project(store), rules.related.hubs)
    s_before, s_after = _structure(hood, cluster_id, rules.related.max_hops, set(gone), add)
    cut_off = sorted(s_before["connected"] - s_after["connected"] - gone)
    new_points = sorted(s_after["articulation"] - s_before["articulation"])
    named = _entities(store, sorted(set(cut_off) | set(new_points)))

    def entity(node: str) -> dict[str, Any]:
        if node.startswith(HYPOTHETICAL_PREFIX) and node not in named:
            a = add[int(node.removeprefix(HYPOTHETICAL_PREFIX)) - 1]
            return {"id": node, "name": a.name, "name_en": a.name, "type": "Enterprise", "hypothetical": True}
        return named.get(node, {"id": node, "name": node, "name_en": node, "type": None})

    return {
        "cluster": {"id": before["id"], "name": before["name"], "name_en": before["name_en"]},
        "removed": [removed[r] for r in remove],
        "added": [{"id": f"{HYPOTHETICAL_PREFIX}{i + 1}", "name": a.name, "link": a.link, "leader": a.leader}
                  for i, a in enumerate(add)],
        "score": {"before": before["score"], "after": after["score"],
                  "delta": round(after["score"] - before["score"], 4)},
        "roles_lost": lost, "roles_gained": gained, "links": links,
        "became_gap": [link["id"] for link in links if link["after"] == "gap" and link["before"] != "gap"],
        "became_fragile": [link["id"] for link in links if link["after"] == "fragile" and link["before"] != "fragile"],
        "structure": {"nodes_before": s_before["nodes"], "nodes_after": s_after["nodes"],
                      "cut_off": [entity(n) for n in cut_off], "new_single_points": [entity(n) for n in new_points],
                      "single_points_before": len(s_before["articulation"]),
                      "single_points_after": len(s_after["articulation"])},
    }

