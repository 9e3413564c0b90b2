"""The projection from the store holds exactly the stored graph, whatever the page size, and the
metrics computed on it equal networkx on the same graph built independently."""

from __future__ import annotations

import networkx as nx
import pytest

from graph.analytics import betweenness, communities, components, degree, k_hop_reach, pagerank, project
from graph.analytics.planted import GraphSpec, random_ecosystem, write_spec
from graph.store import GraphStore


def _small_spec() -> GraphSpec:
    spec = GraphSpec()
    spec.node("c", "Cluster")
    spec.node("e1", "Enterprise", is_leader=True)
    spec.node("e2", "Enterprise")
    spec.node("bank", "FinancialInstitution", kind="银行")
    spec.node("src", "Source", title="t")
    spec.node("cat", "Category")
    spec.edge("e1", "MEMBER_OF", "c")
    spec.edge("e1", "LEADS", "c")  # a second relationship between the same two nodes
    spec.edge("e2", "MEMBER_OF", "c")
    spec.edge("e1", "COLLABORATES_WITH", "e2")
    spec.edge("e2", "COLLABORATES_WITH", "e1")  # the opposite direction
    spec.edge("bank", "FINANCES", "c")
    spec.edge("e1", "MENTIONED_IN", "src")
    spec.edge("e1", "CLASSIFIED_AS", "cat")
    return spec


def test_projection_holds_every_typed_relationship_including_parallel_ones(store: GraphStore) -> None:
    spec = _small_spec()
    write_spec(store, spec)
    P = project(store)
    assert P.version == store.version()
    assert sorted(zip(P.ids, P.types, strict=True)) == sorted((n["id"], n["type"]) for n in spec.nodes)
    derived = {"MENTIONED_IN", "CLASSIFIED_AS"}
    assert sorted(P.edges()) == sorted(e for e in spec.edges if e[1] not in derived)
    # the metric graph: one undirected connection per pair of related nodes
    assert sorted(map(sorted, P.to_networkx().edges())) == [["bank", "c"], ["c", "e1"], ["c", "e2"], ["e1", "e2"]]
    everything = project(store, exclude_rel_types=())
    assert sorted(everything.edges()) == sorted(spec.edges)
    only = project(store, rel_types=["MEMBER_OF", "LEADS"])
    assert sorted(only.edges()) == [("e1", "LEADS", "c"), ("e1", "MEMBER_OF", "c"), ("e2", "MEMBER_OF", "c")]


@pytest.mark.parametrize("page_size", [1, 7, 1000])
def test_projection_is_the_same_for_any_page_size(store: GraphStore, page_size: int) -> None:
    spec = random_ecosystem(400, 1500, seed=3)
    write_spec(store, spec)
    pages: list[tuple[int, int]] = []
    P = project(store, page_size=page_size, on_page=lambda done, total: pages.append((done, total)))
    assert sorted(P.edges()) == sorted(spec.edges)
    assert P.number_of_nodes() == 400 and P.number_of_edges() == 1500
    assert pages[-1][0] == pages[-1][1]


def test_metrics_on_the_projection_equal_networkx_on_the_same_graph_built_directly(store: GraphStore) -> None:
    spec = random_ecosystem(600, 2400, seed=8)
    write_spec(store, spec)
    P = project(store)
    assert set(P.ids) == {n["id"] for n in spec.nodes}
    G = nx.Graph()
    G.add_nodes_from(P.ids)  # the same node order, so that sampling draws the same sources
    G.add_edges_from((a, b) for a, _, b in spec.edges)
    for engine in ("networkx", "igraph"):
        assert degree(P, engine=engine) == dict(G.degree())
        pr = pagerank(P, engine=engine)
        expected = nx.pagerank(G) if engine == "networkx" else nx.pagerank(G, tol=1e-13, max_iter=10_000)
        assert max(abs(pr[n] - expected[n]) for n in G) < 1e-10
        bt, expected = betweenness(P, engine=engine), nx.betweenness_centrality(G)
        assert max(abs(bt[n] - expected[n]) for n in G) < 1e-12
        bt, expected = betweenness(P, 25, seed=4, engine=engine), nx.betweenness_centrality(G, k=25, seed=4)
        assert max(abs(bt[n] - expected[n]) for n in G) < 1e-12
        assert {frozenset(c) for c in components(P, engine=engine)} == \
            {frozenset(c) for c in nx.connected_components(G)}
        assert k_hop_reach(P, 2, engine=engine) == \
            {n: len(nx.single_source_shortest_path_length(G, n, cutoff=2)) - 1 for n in G}
        found = communities(P, engine=engine)
        assert found.modularity == pytest.approx(nx.community.modularity(G, map(set, found.communities)), abs=1e-12)


def test_an_empty_store_projects_to_an_empty_graph(store: GraphStore) -> None:
    P = project(store)
    assert P.number_of_nodes() == 0 and P.number_of_edges() == 0
    assert pagerank(P) == {} and components(P) == [] and communities(P).communities == []
