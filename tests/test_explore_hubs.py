"""Paths and neighbourhoods do not walk through hub nodes (Source, Category, Region) unless asked.

The reference is networkx over the store's own relationships (read by Cypher): hub nodes other than
the ends are removed, then shortest paths and neighbourhoods are computed; with ``include_hubs=true``
the API answers what networkx says of the whole graph.
"""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import networkx as nx
import pytest

from app.explore import HUB_TYPES, neighbours, shortest_paths
from app.pages.views import entity_view
from graph.ontology import type_label
from graph.store import GraphStore

pytest_plugins = ["tests.api_fixtures"]

EXPECTED_HUB_TYPES = {"Source", "Category", "Region"}


class StoreGraph:
    """The store's graph as networkx, read with Cypher: node types, and every relationship as an
    undirected edge keyed by (start, type, end)."""

    def __init__(self, store: GraphStore) -> None:
        self.types = {i: type_label(labels) for i, labels in
                      store.read("MATCH (n:Entity) RETURN n.id, labels(n)").rows}
        self.rels = [tuple(r) for r in store.read("MATCH (a:Entity)-[r]->(b:Entity) RETURN a.id, type(r), b.id").rows]
        self.multi = nx.MultiGraph()
        self.multi.add_nodes_from(self.types)
        self.multi.add_edges_from((a, b, (a, t, b)) for a, t, b in self.rels)
        self.simple = nx.Graph(self.multi)
        self.hubs = {i for i, t in self.types.items() if t in EXPECTED_HUB_TYPES}

    def without_hubs(self, *keep: str, multi: bool = False) -> nx.Graph:
        """The graph with every hub node removed except ``keep``."""
        g = self.multi if multi else self.simple
        return g.subgraph(n for n in g if n in keep or n not in self.hubs)

    def path_length(self, a: str, b: str, *, include_hubs: bool) -> int | None:
        g = self.simple if include_hubs else self.without_hubs(a, b)
        try:
            return nx.shortest_path_length(g, a, b)
        except nx.NetworkXNoPath:
            return None

    def ball(self, centre: str, depth: int, *, include_hubs: bool, allowed: set[str] | None = None) -> dict[str, int]:
        """Every node with a walk of at most ``depth`` hops from ``centre`` through no hub (the centre and
        the node reached may be hubs), among ``allowed`` nodes; node -> hops."""
        allowed = set(self.types) if allowed is None else allowed | {centre}
        if include_hubs:
            return nx.single_source_shortest_path_length(self.simple.subgraph(allowed), centre, cutoff=depth)
        ball = nx.single_source_shortest_path_length(self.without_hubs(centre).subgraph(allowed), centre,
                                                     cutoff=depth)
        for hub in (self.hubs & allowed) - {centre}:
            try:
                hops = nx.shortest_path_length(self.without_hubs(centre, hub).subgraph(allowed), centre, hub)
            except nx.NetworkXNoPath:
                continue
            if hops <= depth:
                ball[hub] = hops
        return ball

    def ball_relationships(self, centre: str, depth: int, ball: dict[str, int], *,
                           include_hubs: bool) -> set[tuple[str, str, str]]:
        """The relationships between nodes of ``ball`` with at least one end expanded: nearer than
        ``depth`` and, unless ``include_hubs``, the centre or not a hub."""
        expanded = {n for n, d in ball.items() if d < depth and (include_hubs or n == centre or n not in self.hubs)}
        return {(a, t, b) for a, t, b in self.rels if a in ball and b in ball and (a in expanded or b in expanded)}


@pytest.fixture(scope="module")
def sg(graph: GraphStore) -> StoreGraph:
    return StoreGraph(graph)


def ids(payload: dict) -> set[str]:
    return {n["id"] for n in payload["nodes"]}


def rel_keys(payload: dict) -> set[tuple[str, str, str]]:
    return {(r["start"], r["type"], r["end"]) for r in payload["relationships"]}


def test_the_hub_types_are_declared_once_and_exist_in_the_data(sg: StoreGraph) -> None:
    assert set(HUB_TYPES) == EXPECTED_HUB_TYPES
    assert {sg.types[h] for h in sg.hubs} == EXPECTED_HUB_TYPES


def _pairs(sg: StoreGraph) -> list[tuple[str, str]]:
    nodes = sorted(sg.types)
    pairs = [(a, b) for a in nodes[::3] for b in nodes[1::5] if a != b][:120]
    hubs = sorted(sg.hubs)
    pairs += [(h, b) for h in hubs for b in nodes[2::17] if h != b]  # paths from a hub are fine
    pairs += [(a, b) for a, b in pairwise(hubs)]
    return pairs


def _paths(client, a: str, b: str, **params) -> dict:
    r = client.get("/api/paths", params={"from": a, "to": b, "max_hops": 6, "limit": 100, **params})
    assert r.status_code == 200, r.text
    return r.json()


def test_paths_do_not_pass_through_hubs_and_equal_networkx_without_them(client, sg: StoreGraph) -> None:
    longer = 0
    from_hubs = 0
    for a, b in _pairs(sg):
        body = _paths(client, a, b)
        expected = sg.path_length(a, b, include_hubs=False)
        expected = expected if expected is not None and expected <= 6 else None
        assert body["hops"] == expected, (a, b)
        if expected is None:
            assert body["paths"] == []
            continue
        if a in sg.hubs and expected:
            from_hubs += 1
        full = sg.path_length(a, b, include_hubs=True)
        longer += full is not None and full < expected
        ways = Counter()
        reduced = sg.without_hubs(a, b, multi=True)
        for seq in nx.all_shortest_paths(reduced, a, b):
            count = 1
            for u, v in pairwise(seq):
                count *= reduced.number_of_edges(u, v)
            ways[tuple(seq)] = count
        got = Counter(tuple(n["id"] for n in p["nodes"]) for p in body["paths"])
        if not body["truncated"]:
            assert got == ways, (a, b)
        for seq in got:
            assert not set(seq[1:-1]) & sg.hubs, seq
    assert longer, "some pairs are closer only through a hub, or the filter changes nothing"
    assert from_hubs, "some paths start at a hub"


def test_paths_with_include_hubs_equal_networkx_over_the_whole_graph(client, sg: StoreGraph) -> None:
    through = 0
    for a, b in _pairs(sg):
        body = _paths(client, a, b, include_hubs="true")
        expected = sg.path_length(a, b, include_hubs=True)
        assert body["hops"] == (expected if expected is not None and expected <= 6 else None), (a, b)
        through += any(set(n["id"] for n in p["nodes"][1:-1]) & sg.hubs for p in body["paths"])
    assert through, "with include_hubs some shortest paths go through a hub"


def test_paths_combine_the_hub_rule_with_relationship_types(client, sg: StoreGraph) -> None:
    only = ("LOCATED_IN", "MEMBER_OF", "PART_OF")
    g = nx.Graph()
    g.add_nodes_from(sg.types)
    g.add_edges_from((a, b) for a, t, b in sg.rels if t in only)
    nodes = sorted(sg.types)
    for a, b in [(a, b) for a in nodes[::4] for b in nodes[1::6] if a != b][:60]:
        body = _paths(client, a, b, rel_types=list(only))
        try:
            expected = nx.shortest_path_length(g.subgraph(n for n in g if n in (a, b) or n not in sg.hubs), a, b)
        except nx.NetworkXNoPath:
            expected = None
        assert body["hops"] == (expected if expected is not None and expected <= 6 else None), (a, b)


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_neighbourhoods_do_not_expand_from_hubs_and_equal_networkx(client, sg: StoreGraph, depth: int) -> None:
    smaller = 0
    for centre in sorted(sg.types):
        body = client.get(f"/api/entities/{centre}/neighbors", params={"depth": depth, "limit": 2000}).json()
        assert not body["truncated"]
        ball = sg.ball(centre, depth, include_hubs=False)
        assert ids(body) == set(ball), centre
        assert rel_keys(body) == sg.ball_relationships(centre, depth, ball, include_hubs=False), centre
        smaller += len(ball) < len(sg.ball(centre, depth, include_hubs=True))
    assert bool(smaller) == (depth > 1)  # one hop reaches only direct neighbours either way


@pytest.mark.parametrize("depth", [2, 3])
def test_neighbourhoods_with_include_hubs_equal_networkx_over_the_whole_graph(client, sg: StoreGraph,
                                                                            depth: int) -> None:
    for centre in sorted(sg.types)[::4]:
        body = client.get(f"/api/entities/{centre}/neighbors",
                          params={"depth": depth, "limit": 2000, "include_hubs": "true"}).json()
        ball = sg.ball(centre, depth, include_hubs=True)
        assert ids(body) == set(ball), centre
        assert rel_keys(body) == sg.ball_relationships(centre, depth, ball, include_hubs=True), centre


def test_a_hubs_own_neighbourhood_lists_its_neighbours(client, sg: StoreGraph) -> None:
    for hub in sorted(sg.hubs):
        body = client.get(f"/api/entities/{hub}/neighbors", params={"limit": 2000}).json()
        assert ids(body) == set(sg.simple[hub]) | {hub}
        two = client.get(f"/api/entities/{hub}/neighbors", params={"depth": 2, "limit": 2000}).json()
        assert ids(two) == set(sg.ball(hub, 2, include_hubs=False))
        assert ids(two) >= ids(body)


def test_type_filters_combine_with_the_hub_rule(client, sg: StoreGraph) -> None:
    types = ["Enterprise", "Cluster", "Region", "Park"]
    allowed = {n for n, t in sg.types.items() if t in types}
    for centre in sorted(sg.types)[::3]:
        for include in (False, True):
            body = client.get(f"/api/entities/{centre}/neighbors",
                              params={"depth": 2, "limit": 2000, "types": types,
                                      "include_hubs": str(include).lower()}).json()
            assert ids(body) == set(sg.ball(centre, 2, include_hubs=include, allowed=allowed)), (centre, include)


def test_the_explore_functions_take_include_hubs(graph: GraphStore, sg: StoreGraph) -> None:
    centre = next(n for n in sorted(sg.types) if len(sg.ball(n, 2, include_hubs=False))
                  < len(sg.ball(n, 2, include_hubs=True)))
    assert set(neighbours(graph, centre, depth=2, limit=2000).nodes) == set(sg.ball(centre, 2, include_hubs=False))
    assert set(neighbours(graph, centre, depth=2, limit=2000, include_hubs=True).nodes) == \
        set(sg.ball(centre, 2, include_hubs=True))
    a, b = next((a, b) for a, b in _pairs(sg) if (sg.path_length(a, b, include_hubs=True) or 0)
                < (sg.path_length(a, b, include_hubs=False) or 99))
    assert shortest_paths(graph, a, b, max_hops=6).hops == sg.path_length(a, b, include_hubs=False)
    assert shortest_paths(graph, a, b, max_hops=6, include_hubs=True).hops == sg.path_length(a, b, include_hubs=True)


def test_the_entity_page_draws_what_its_api_link_answers(client, graph: GraphStore, sg: StoreGraph) -> None:
    centre = next(n for n, t in sorted(sg.types.items()) if t == "Enterprise")
    view = entity_view(graph, centre)
    answer = client.get(view.api).json()
    assert ids(view.graph) == ids(answer) and rel_keys(view.graph) == rel_keys(answer)
    assert not (ids(view.graph) - {centre}) & {n for n in sg.hubs if sg.types[n] != "Region"}


def test_include_hubs_is_documented_and_validated(client) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/paths", "/api/entities/{entity_id}/neighbors"):
        [param] = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == "include_hubs"]
        assert param["in"] == "query" and not param.get("required")
        assert param["schema"]["type"] == "boolean" and param["schema"]["default"] is False
        assert all(t in param["description"] for t in EXPECTED_HUB_TYPES)
    r = client.get("/api/paths", params={"from": "a", "to": "b", "include_hubs": "maybe"})
    assert r.status_code == 422 and "include_hubs" in r.text
