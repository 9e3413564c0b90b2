"""Graph look-ups behind the entity, neighbourhood and path endpoints.

Plain functions over a ``GraphStore``; the Cypher stays in the subset FalkorDB and Neo4j answer the
same way: relationship variables are always bound (FalkorDB undercounts parallel relationships
otherwise) and shortest paths are found by a breadth-first search in Python over one
bounded neighbourhood query per level, because FalkorDB's ``shortestPath`` is directed-only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from graph.model import Node, Path, Relationship, to_json
from graph.ontology import LIUXIN_EN, LIUXIN_IDS, Liuxin, type_label
from graph.store import GraphStore

HUB_TYPES = ("Source", "Category", "Region")
"""Node types that join large parts of the graph without saying that the entities they join work
together: every cited entity is MENTIONED_IN a Source document, every 六新 entity is CLASSIFIED_AS one of
six Category nodes, most entities are LOCATED_IN a Region. A walk through them puts nearly every entity
within two hops of every other, which hides the relationships a planner is looking for. So by default a
path never passes through one (it may start or end at one) and a neighbourhood does not expand from one
(it lists the hubs next to the entities it reaches, and a hub's own neighbourhood lists its
neighbours); ``include_hubs=True`` walks through them like any other node."""


def is_hub(node: Node) -> bool:
    """Whether ``node`` is of one of the ``HUB_TYPES``."""
    return node.type in HUB_TYPES


class NotFound(LookupError):
    """No entity has the given id."""

    def __init__(self, entity_id: str) -> None:
        super().__init__(entity_id)
        self.entity_id = entity_id


class SearchTooBroad(RuntimeError):
    """A path search would visit more nodes than its budget allows."""


_FILTER = ("($rel_types IS NULL OR type(r) IN $rel_types) "
           "AND ($types IS NULL OR any(l IN labels(m) WHERE l IN $types))")

NEIGHBOURS_1 = (
    "MATCH (c:Entity {id: $id}) "
    f"OPTIONAL MATCH (c)-[r]-(m:Entity) WHERE {_FILTER} "
    "WITH c, m, collect([type(r), startNode(r) = c, properties(r)]) AS rs ORDER BY m.id "
    "WITH c, collect([m, rs]) AS near "
    "RETURN c, near[..$cap] AS near, size(near) AS total")
"""One round trip for a 1-hop neighbourhood: the centre, up to ``$cap`` neighbours with every
relationship to each (type, outgoing?, properties), and the number of neighbours in all."""

EXPAND = (
    "MATCH (a:Entity)-[r]-(m:Entity) WHERE a.id IN $ids AND " + _FILTER + " "
    "RETURN a.id, type(r), startNode(r) = a, properties(r), m")
"""Every relationship between a frontier node and an allowed neighbour, for breadth-first search."""

DETAIL = (
    "MATCH (n:Entity {id: $id}) "
    "OPTIONAL MATCH (n)-[r]->(:Entity) WITH n, collect(type(r)) AS outs "
    "OPTIONAL MATCH (n)<-[r2]-(:Entity) RETURN n, outs, collect(type(r2)) AS ins")

SOURCES = "MATCH (s:Source) WHERE s.id IN $ids RETURN s.id, s.title, s.sections"
NODES = "MATCH (n:Entity) WHERE n.id IN $ids RETURN n"
LIUXIN_COUNTS = ("MATCH (n:Entity) WHERE n.liuxin IS NOT NULL UNWIND n.liuxin AS c "
                 "RETURN c, labels(n), count(n)")


@dataclass
class Subgraph:
    nodes: dict[str, Node] = field(default_factory=dict)
    relationships: dict[tuple[str, str, str], Relationship] = field(default_factory=dict)
    truncated: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"nodes": [to_json(n) for n in self.nodes.values()],
                "relationships": [to_json(r) for r in self.relationships.values()],
                "truncated": self.truncated}


def _filters(types: Iterable[str] | None, rel_types: Iterable[str] | None) -> dict[str, Any]:
    return {"types": sorted(types) if types else None, "rel_types": sorted(rel_types) if rel_types else None}


def neighbours(store: GraphStore, entity_id: str, *, depth: int = 1, types: Iterable[str] | None = None,
               rel_types: Iterable[str] | None = None, limit: int = 200, include_hubs: bool = False) -> Subgraph:
    """Nodes within ``depth`` hops of ``entity_id`` (either direction), at most ``limit`` besides the centre.

    Only relationships of ``rel_types`` are followed and only nodes of ``types`` are entered (the centre
    is always in). Nodes of ``HUB_TYPES`` other than the centre are reached but not expanded from, unless
    ``include_hubs``: a node is in when some walk of at most ``depth`` hops reaches it without passing
    through a hub. The relationships returned are every followed relationship between returned nodes.
    """
    params = _filters(types, rel_types)
    if depth == 1:
        result = store.read(NEIGHBOURS_1, {"id": entity_id, "cap": limit, **params}, row_cap=1)
        if not result.rows:
            raise NotFound(entity_id)
        centre, near, total = result.rows[0]
        graph = Subgraph(nodes={centre.id: centre}, truncated=total > limit)
        for m, rels in near:
            if m is None:
                continue
            graph.nodes.setdefault(m.id, m)
            for rel_type, outgoing, props in rels:
                start, end = (centre.id, m.id) if outgoing else (m.id, centre.id)
                graph.relationships[(start, rel_type, end)] = Relationship(rel_type, start, end, props or {})
        return graph
    centre = _nodes(store, [entity_id]).get(entity_id)
    if centre is None:
        raise NotFound(entity_id)
    graph = Subgraph(nodes={entity_id: centre})
    frontier = [entity_id]
    for _ in range(depth):
        found: dict[str, Node] = {}
        for _, rel, m in _expand(store, frontier, params, row_cap=max(10_000, limit * 20)):
            graph.relationships[rel.key] = rel
            if m.id not in graph.nodes:
                found[m.id] = m
        new = sorted(found)
        room = limit + 1 - len(graph.nodes)
        if len(new) > room:
            new, graph.truncated = new[:room], True
        graph.nodes.update((i, found[i]) for i in new)
        frontier = new if include_hubs else [i for i in new if not is_hub(found[i])]
        if graph.truncated or not frontier:
            break
    graph.relationships = {k: r for k, r in graph.relationships.items()
                           if r.start in graph.nodes and r.end in graph.nodes}
    return graph


def _expand(store: GraphStore, frontier: list[str], params: dict[str, Any],
            row_cap: int) -> list[tuple[str, Relationship, Node]]:
    result = store.read(EXPAND, {"ids": frontier, **params}, row_cap=row_cap)
    out = []
    for a, rel_type, outgoing, props, m in result.rows:
        start, end = (a, m.id) if outgoing else (m.id, a)
        out.append((a, Relationship(rel_type, start, end, props or {}), m))
    return out


def _nodes(store: GraphStore, ids: list[str]) -> dict[str, Node]:
    return {row[0].id: row[0] for row in store.read(NODES, {"ids": ids}, row_cap=len(ids) + 1).rows}


@dataclass
class PathsResult:
    hops: int | None
    paths: list[Path]
    truncated: bool


def shortest_paths(store: GraphStore, source: str, target: str, *, max_hops: int = 4,
                   rel_types: Iterable[str] | None = None, limit: int = 20,
                   budget: int = 100_000, include_hubs: bool = False) -> PathsResult:
    """Every shortest path (relationships followed in either direction) from ``source`` to ``target``
    of at most ``max_hops``, at most ``limit`` of them. Unless ``include_hubs``, no node between the
    two ends is of the ``HUB_TYPES`` (the ends themselves may be).

    Bidirectional breadth-first search, one neighbourhood query per level, always expanding the
    smaller frontier; ``budget`` caps the nodes visited (``SearchTooBroad`` beyond it). Paths through
    different relationships between the same two nodes are different paths, as in Cypher.
    """
    ends = _nodes(store, [source, target])
    for entity_id in (source, target):
        if entity_id not in ends:
            raise NotFound(entity_id)
    if source == target:
        return PathsResult(0, [Path((ends[source],), ())], False)
    params = _filters(None, rel_types)
    # side -> node id -> distance; side -> node id -> [(neighbour one step closer to that side, rel)]
    dist: list[dict[str, int]] = [{source: 0}, {target: 0}]
    preds: list[dict[str, list[tuple[str, Relationship]]]] = [{source: []}, {target: []}]
    nodes: dict[str, Node] = dict(ends)
    frontiers = [[source], [target]]
    levels = [0, 0]
    while levels[0] + levels[1] < max_hops and frontiers[0] and frontiers[1]:
        side = 0 if len(frontiers[0]) <= len(frontiers[1]) else 1
        level = levels[side] + 1
        new: list[str] = []
        for a, rel, m in _expand(store, frontiers[side], params, row_cap=budget * 10):
            if not include_hubs and m.id not in ends and is_hub(m):
                continue
            nodes.setdefault(m.id, m)
            known = dist[side].get(m.id)
            if known is None:
                dist[side][m.id] = level
                preds[side][m.id] = []
                new.append(m.id)
                known = level
            if known == level:
                preds[side][m.id].append((a, rel))
        levels[side], frontiers[side] = level, new
        if len(dist[0]) + len(dist[1]) > budget:
            raise SearchTooBroad(f"the search visited more than {budget} nodes; lower max_hops or give rel_types")
        meets = [x for x in new if x in dist[1 - side]]
        if meets:
            hops = min(dist[0][x] + dist[1][x] for x in meets)
            paths: list[Path] = []
            truncated = False
            for x in sorted(meets):
                if dist[0][x] + dist[1][x] != hops:
                    continue
                for left in _chains_from_origin(preds[0], x):
                    for right in _chains_to_origin(preds[1], x):
                        if len(paths) == limit:
                            truncated = True
                            break
                        steps = left + right
                        ids = [source] + [reached for _, reached in steps]
                        paths.append(Path(tuple(nodes[i] for i in ids), tuple(rel for rel, _ in steps)))
            return PathsResult(hops, paths, truncated)
    return PathsResult(None, [], False)


Step = tuple[Relationship, str]
"""A relationship and the node it leads to, reading the path from source to target."""


def _chains_from_origin(preds: dict[str, list[tuple[str, Relationship]]], node: str) -> Iterator[list[Step]]:
    """Every chain of steps from the search's origin to ``node`` (source side)."""
    if not preds[node]:
        yield []
        return
    for prev, rel in preds[node]:
        for chain in _chains_from_origin(preds, prev):
            yield [*chain, (rel, node)]


def _chains_to_origin(preds: dict[str, list[tuple[str, Relationship]]], node: str) -> Iterator[list[Step]]:
    """Every chain of steps from ``node`` to the search's origin (target side)."""
    if not preds[node]:
        yield []
        return
    for nxt, rel in preds[node]:
        for chain in _chains_to_origin(preds, nxt):
            yield [(rel, nxt), *chain]


@dataclass
class Detail:
    node: Node
    degree: list[dict[str, Any]]
    provenance: list[dict[str, Any]]


def detail(store: GraphStore, entity_id: str) -> Detail:
    """An entity with its degree per relationship type and direction, and its provenance resolved
    to each source's title and section title."""
    result = store.read(DETAIL, {"id": entity_id}, row_cap=1)
    if not result.rows:
        raise NotFound(entity_id)
    node, outs, ins = result.rows[0]
    degree = []
    for direction, types in (("out", outs), ("in", ins)):
        counts: dict[str, int] = {}
        for t in types:
            counts[t] = counts.get(t, 0) + 1
        degree += [{"type": t, "direction": direction, "count": n} for t, n in sorted(counts.items())]
    citations = node.properties.get("sources") or []
    if isinstance(citations, str):
        citations = [citations]
    split = [str(c).partition("#") for c in citations]
    sources: dict[str, tuple[Any, Any]] = {}
    if split:
        rows = store.read(SOURCES, {"ids": sorted({s for s, _, _ in split})}).rows
        sources = {r[0]: (r[1], r[2]) for r in rows}
    provenance = []
    for source_id, _, section in split:
        title, sections = sources.get(source_id, (None, None))
        provenance.append({"source_id": source_id, "title": title, "section": section or None,
                           "section_title": _section_title(sections, section),
                           "note": node.properties.get("note")})
    return Detail(node, degree, provenance)


def _section_title(sections: Any, section: str) -> str | None:
    if not isinstance(sections, list) or not (section.isascii() and section.isdigit()):
        return None
    index = int(section)
    return str(sections[index]) if index < len(sections) else None


def liuxin_breakdown(store: GraphStore) -> list[dict[str, Any]]:
    """Nodes per 六新 category, and per type within each."""
    counts: dict[str, dict[str, int]] = {c.value: {} for c in Liuxin}
    for category, labels, n in store.read(LIUXIN_COUNTS).rows:
        if category in counts:
            t = type_label(labels) or "Entity"
            counts[category][t] = counts[category].get(t, 0) + n
    return [{"name": c.value, "id": LIUXIN_IDS[c], "en": LIUXIN_EN[c], "nodes": sum(counts[c.value].values()),
             "by_type": dict(sorted(counts[c.value].items()))} for c in Liuxin]
