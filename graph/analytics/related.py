"""Entities that could fill a role the sources do not record for a cluster.

Around each cluster, a short breadth-first search over the graph without its hub nodes finds the
entities of the role's kind that the data links to the cluster some other way; each comes with the
relationships that link it and a sentence in both languages saying so.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from graph.analytics.completeness_rules import ROW_CAP, Role, Rules, Step, node_conditions
from graph.analytics.projection import Projection, project
from graph.ontology import REL_TYPE_BY_NAME
from graph.store import GraphStore


class Neighbourhood:
    """The graph without its hub nodes, as sorted adjacency arrays, for short breadth-first searches.

    Every relationship counts in both directions; the relationships to and from a hub (a Source,
    a Category, a Region…) are left out, so no path passes through one. A search is level by
    level on arrays, so that searching around every cluster of a large graph stays fast.
    """

    def __init__(self, projection: Projection, hubs: Iterable[str]) -> None:
        self.P = projection
        hubs = set(hubs)
        n = projection.number_of_nodes()
        is_hub = np.fromiter((t in hubs for t in projection.types), dtype=bool, count=n)
        src, dst = projection.sources, projection.targets
        keep = np.nonzero(~is_hub[src] & ~is_hub[dst] & (src != dst))[0]
        origin = np.concatenate((src[keep], dst[keep]))
        other = np.concatenate((dst[keep], src[keep]))
        edge = np.concatenate((keep, keep))
        order = np.lexsort((edge, other, origin))
        self.pointer = np.searchsorted(origin[order], np.arange(n + 1))
        self.other = other[order]
        self.edge = edge[order]
        self._parent = np.full(n, -1, dtype=np.int64)  # reset after each search
        self._via = np.full(n, -1, dtype=np.int64)

    def of_types(self, types: Iterable[Iterable[str]]) -> np.ndarray:
        """The nodes of any of the given types, as a boolean array over the projection."""
        wanted = {t for group in types for t in group}
        return np.fromiter((t in wanted for t in self.P.types), dtype=bool, count=self.P.number_of_nodes())

    def mask(self, ids: Iterable[str]) -> np.ndarray:
        """The nodes among ``ids`` (unknown ids ignored), as a boolean array over the projection."""
        index = self.P.index
        found = np.zeros(self.P.number_of_nodes(), dtype=bool)
        found[[index[i] for i in ids if i in index]] = True
        return found

    def search(self, start: str, wanted: dict[str, np.ndarray], max_hops: int,
               max_listed: int) -> dict[str, list[tuple[str, tuple[Step, ...]]]]:
        """For each key of ``wanted`` (a role, with a mask of the nodes that could fill it), the
        nearest of those nodes, at most ``max_listed``, each with the relationships from ``start``;
        nearest first, then by id.

        The search goes level by level up to ``max_hops`` relationships and stops after the
        first level at which every role has ``max_listed`` nodes.
        """
        P = self.P
        origin = P.index.get(start)
        if origin is None or max_listed == 0 or not wanted:
            return {role: [] for role in wanted}
        found: dict[str, list[int]] = {role: [] for role in wanted}
        seen = [np.array([origin])]
        self._parent[origin] = origin
        frontier = seen[0]
        try:
            for _ in range(max_hops):
                low, counts = self.pointer[frontier], self.pointer[frontier + 1] - self.pointer[frontier]
                total = int(counts.sum())
                if total == 0:
                    break
                offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
                at = np.repeat(low, counts) + offsets
                nodes, via, parents = self.other[at], self.edge[at], np.repeat(frontier, counts)
                new = self._parent[nodes] == -1
                level, first = np.unique(nodes[new], return_index=True)
                if not len(level):
                    break
                self._parent[level] = parents[new][first]
                self._via[level] = via[new][first]
                seen.append(level)
                for role, mask in wanted.items():
                    if len(found[role]) < max_listed:
                        hits = level[mask[level]].tolist()
                        found[role].extend(sorted(hits, key=lambda v: P.ids[v]))
                if all(len(hits) >= max_listed for hits in found.values()):
                    break
                frontier = level
            return {role: [(P.ids[v], self._steps(v)) for v in hits[:max_listed]] for role, hits in found.items()}
        finally:
            visited = np.concatenate(seen)
            self._parent[visited] = -1
            self._via[visited] = -1

    def neighbours(self, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every relationship from ``nodes`` as two aligned arrays: the node and its neighbour."""
        low, counts = self.pointer[nodes], self.pointer[nodes + 1] - self.pointer[nodes]
        total = int(counts.sum())
        offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        return np.repeat(nodes, counts), self.other[np.repeat(low, counts) + offsets]

    def within(self, start: str, max_hops: int) -> np.ndarray:
        """The nodes at most ``max_hops`` relationships from ``start`` (itself included), by index, sorted."""
        origin = self.P.index.get(start)
        if origin is None:
            return np.zeros(0, dtype=np.int64)
        seen = np.zeros(self.P.number_of_nodes(), dtype=bool)
        seen[origin] = True
        frontier = np.array([origin])
        for _ in range(max_hops):
            _, reached = self.neighbours(frontier)
            frontier = np.unique(reached[~seen[reached]])
            if not len(frontier):
                break
            seen[frontier] = True
        return np.nonzero(seen)[0]

    def _steps(self, node: int) -> tuple[Step, ...]:
        P = self.P
        steps: list[Step] = []
        while self._via[node] != -1:
            e = int(self._via[node])
            steps.append((P.rel_type_names[P.rel_types[e]], P.ids[P.sources[e]], P.ids[P.targets[e]]))
            node = int(self._parent[node])
        return tuple(reversed(steps))


def _fillers(store: GraphStore, role: Role, hood: Neighbourhood) -> np.ndarray:
    """The entities matching the last hop of one of the role's paths (its type and filters), as a
    mask over the projection. Types alone come from the projection; only filters ask the store."""
    mask = hood.of_types(hop.types for hop in role.fillers if not hop.where)
    typed = {t for hop in role.fillers if not hop.where for t in hop.types}
    for hop in role.fillers:
        if not hop.where or set(hop.types) <= typed:
            continue
        params: dict[str, Any] = {}
        label, conditions = node_conditions(hop, "x", "p", params)
        cypher = f"MATCH (x{label}) WHERE {' AND '.join(conditions)} RETURN x.id"
        mask |= hood.mask(row[0] for row in store.read(cypher, params, row_cap=ROW_CAP).rows)
    return mask


_WHY = {
    "zh": "{entity} 与 {cluster} 有关联（{chain}），但来源没有把它记为该集群的{role}",
    "en": "{entity} is linked to {cluster} ({chain}), but the sources do not record it as the cluster's {role}",
}


def _chain(entity: str, steps: tuple[Step, ...], name, rel_name) -> str:
    """The path read from the entity back to the cluster, each relationship with its direction."""
    text = name(entity)
    at = entity
    for rel, start, end in reversed(steps):
        other = start if end == at else end
        arrow = f" —{rel_name(rel)}→ " if start == at else f" ←{rel_name(rel)}— "
        text += arrow + name(other)
        at = other
    return text


def why(entity: str, cluster: str, role: Role, steps: tuple[Step, ...], names: dict[str, tuple[str, str]],
        lang: str) -> str:
    """The sentence saying how ``entity`` is linked to ``cluster`` and that no source records it in ``role``."""
    column = 0 if lang == "zh" else 1

    def name(node: str) -> str:
        return (names.get(node) or (node, node))[column] or node

    def rel_name(rel: str) -> str:
        known = REL_TYPE_BY_NAME.get(rel)
        return rel if known is None else (known.zh if column == 0 else known.en)

    return _WHY[lang].format(entity=name(entity), cluster=name(cluster), chain=_chain(entity, steps, name, rel_name),
                             role=role.label if column == 0 else role.label_en)



def related_entities(store: GraphStore, rules: Rules, unrecorded: dict[str, list[Role]],
             projection: Projection | None) -> dict[str, dict[str, list[tuple[str, tuple[Step, ...]]]]]:
    """cluster → role → the entities that could fill it, with their paths (see ``RelatedSearch``)."""
    search = rules.related
    roles = {role.role: role for wanted in unrecorded.values() for role in wanted}
    if not roles or search.max_listed == 0:
        return {}
    hood = Neighbourhood(projection if projection is not None else project(store), search.hubs)
    fillers = {key: _fillers(store, role, hood) for key, role in roles.items()}
    return {cluster: hood.search(cluster, {role.role: fillers[role.role] for role in wanted},
                                 search.max_hops, search.max_listed)
            for cluster, wanted in unrecorded.items() if wanted}
