"""Every exact metric equals networkx called directly on the same graph, on both engines;
sampled betweenness equals networkx's own sampling and stays within the documented error;
planted structure (communities, a bridge, brokers) is found."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from graph.analytics import (
    Projection,
    betweenness,
    betweenness_error,
    betweenness_sources,
    bridges,
    bridges_between,
    brokers,
    cluster_alignment,
    communities,
    components,
    declared_clusters,
    degree,
    group_links,
    importance,
    k_hop_reach,
    modularity,
    normalized_mutual_information,
    pagerank,
)
from graph.analytics.engine import use_igraph
from graph.analytics.planted import planted_clusters

ENGINES = ["networkx", "igraph"]


def _graphs() -> list:
    """Graphs with the awkward cases: isolated nodes, several components, pendant edges."""
    karate = nx.karate_club_graph()
    G = nx.gnm_random_graph(150, 400, seed=7)
    G.add_nodes_from([900, 901])  # isolated
    G.add_edges_from([(902, 903), (903, 904)])  # a separate path
    named = nx.relabel_nodes(nx.barbell_graph(6, 3), lambda n: f"n{n}")
    return [pytest.param(karate, id="karate"), pytest.param(G, id="random-plus-pieces"),
            pytest.param(named, id="barbell")]


GRAPHS = _graphs()


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("G", GRAPHS)
def test_degree_equals_networkx(G: nx.Graph, engine: str) -> None:
    assert degree(G, engine=engine) == dict(G.degree())


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("G", GRAPHS)
def test_pagerank_equals_networkx(G: nx.Graph, engine: str) -> None:
    # The metric graph is unweighted (karate carries a weight attribute networkx would use).
    # networkx stops at its default tolerance; igraph solves the system exactly, so it is compared
    # with networkx iterated to convergence.
    if engine == "networkx":
        expected = nx.pagerank(G, weight=None)
    else:
        expected = nx.pagerank(G, weight=None, tol=1e-13, max_iter=10_000)
    got = pagerank(G, engine=engine)
    assert got.keys() == expected.keys()
    assert max(abs(got[n] - expected[n]) for n in G) < 1e-10
    scaled = importance(G, engine=engine)
    assert max(scaled.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("G", GRAPHS)
def test_exact_betweenness_equals_networkx(G: nx.Graph, engine: str) -> None:
    expected = nx.betweenness_centrality(G, weight=None)
    got = betweenness(G, engine=engine)
    assert max(abs(got[n] - expected[n]) for n in G) < 1e-12


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("k", [2, 10, 40])
def test_sampled_betweenness_equals_networkx_sampling_with_the_same_seed(engine: str, k: int) -> None:
    G = nx.gnm_random_graph(200, 600, seed=3)
    expected = nx.betweenness_centrality(G, k=k, seed=11)
    got = betweenness(G, k, seed=11, engine=engine)
    assert max(abs(got[n] - expected[n]) for n in G) < 1e-12
    assert len(set(betweenness_sources(G, k, seed=11))) == k


def test_sampled_betweenness_stays_within_the_documented_error_and_finds_the_bridge() -> None:
    spec = planted_clusters(4, 60, p_in=0.15, seed=5)
    G = nx.Graph([(a, b) for a, _, b in spec.edges])
    exact = betweenness(G)
    for k in (20, 50, 100):
        sampled = betweenness(G, k, seed=0, engine="igraph")
        bound = betweenness_error(k, confidence=0.99)
        assert max(abs(sampled[n] - exact[n]) for n in G) <= bound
        # the two ends of the only inter-cluster relationship stay the top brokers by betweenness
        top = sorted(G, key=sampled.get, reverse=True)[:2]
        assert set(top) == {"c0-e0", "c1-e0"}
    assert betweenness_error(400) < betweenness_error(100) / 1.9  # shrinks as 1/sqrt(k)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("G", GRAPHS)
def test_components_equal_networkx(G: nx.Graph, engine: str) -> None:
    got = components(G, engine=engine)
    assert sorted(map(frozenset, got), key=sorted) == sorted(map(frozenset, nx.connected_components(G)), key=sorted)
    assert [len(c) for c in got] == sorted((len(c) for c in got), reverse=True)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("G", GRAPHS)
def test_bridges_equal_networkx(G: nx.Graph, engine: str) -> None:
    assert {frozenset(e) for e in bridges(G, engine=engine)} == {frozenset(e) for e in nx.bridges(G)}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("k", [1, 2, 3])
@pytest.mark.parametrize("G", GRAPHS)
def test_k_hop_reach_equals_networkx_bfs(G: nx.Graph, k: int, engine: str) -> None:
    expected = {n: len(nx.single_source_shortest_path_length(G, n, cutoff=k)) - 1 for n in G}
    assert k_hop_reach(G, k, engine=engine) == expected


@pytest.mark.parametrize("engine", ENGINES)
def test_modularity_equals_networkx(engine: str) -> None:
    G = nx.karate_club_graph()
    membership = {n: int(G.nodes[n]["club"] == "Officer") for n in G}
    groups = [{n for n in G if membership[n] == c} for c in (0, 1)]
    assert modularity(G, membership, engine=engine) == pytest.approx(
        nx.community.modularity(G, groups, weight=None), abs=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
def test_planted_communities_are_recovered_and_align_with_declared_clusters(engine: str) -> None:
    spec = planted_clusters(4, 25, p_in=0.4, seed=2)
    P = Projection.from_edges([(n["id"], n["type"]) for n in spec.nodes], spec.edges)
    found = communities(P, seed=1, engine=engine)
    clusters = declared_clusters(P)
    assert {frozenset(c) for c in found.communities} == {frozenset(m) for m in clusters.values()}
    assert found.modularity == pytest.approx(
        nx.community.modularity(P.networkx, [set(c) for c in found.communities]), abs=1e-12)
    alignment = cluster_alignment(found, clusters)
    assert alignment["nmi"] == pytest.approx(1.0)
    assert all(row["share"] == 1.0 and row["spread"] == 1 for row in alignment["clusters"])
    # numbering: by size, largest first, independent of the engine
    assert [len(c) for c in found.communities] == sorted((len(c) for c in found.communities), reverse=True)


def test_communities_are_repeatable_with_a_fixed_seed() -> None:
    G = nx.gnm_random_graph(300, 900, seed=4)
    for engine in ENGINES:
        first = communities(G, seed=3, engine=engine)
        assert communities(G, seed=3, engine=engine).membership == first.membership


def test_engine_is_chosen_by_size_unless_named() -> None:
    assert not use_igraph(100, None) and use_igraph(10_000, None)
    assert use_igraph(100, "igraph") and not use_igraph(10_000, "networkx")
    with pytest.raises(ValueError, match="unknown engine"):
        use_igraph(1, "graph-tool")


def test_known_bridge_and_brokers_between_planted_clusters() -> None:
    spec = planted_clusters(3, 15, p_in=0.5, seed=9)
    P = Projection.from_edges([(n["id"], n["type"]) for n in spec.nodes], spec.edges)
    clusters = declared_clusters(P)
    assert set(clusters) == {"c0", "c1", "c2"}
    # the one inter-cluster relationship is a bridge between c0 and c1
    assert bridges_between(P, clusters) == [{"source": "c0-e0", "target": "c1-e0", "groups": ["c0", "c1"]}]
    assert ("c0-e0", "c1-e0") in bridges(P)
    between = betweenness(P)
    found = brokers(P, clusters, betweenness=between)
    assert [b["id"] for b in found] == ["c0-e0", "c1-e0"] or [b["id"] for b in found] == ["c1-e0", "c0-e0"]
    assert all(b["groups"] == ["c0", "c1"] and b["span"] == 2 for b in found)
    links = group_links(P, clusters)
    assert links == [{"groups": ["c0", "c1"], "edges": 1, "brokers": 2}]


def test_a_bank_financing_two_clusters_is_their_broker() -> None:
    G = nx.MultiDiGraph()
    for c in ("a", "b"):
        G.add_node(c, type="Cluster")
        for i in range(3):
            G.add_edge(f"{c}{i}", c, key="MEMBER_OF")
    G.add_edge("bank", "a", key="FINANCES")
    G.add_edge("bank", "b", key="FINANCES")
    found = brokers(G, declared_clusters(G))
    assert [b["id"] for b in found] == ["bank"]  # the clusters themselves are not brokers
    assert group_links(G, declared_clusters(G)) == [{"groups": ["a", "b"], "edges": 0, "brokers": 1}]


def test_projection_wraps_networkx_graphs_of_every_kind() -> None:
    M = nx.MultiDiGraph()
    M.add_node("c", type="Cluster")
    M.add_edge("e", "c", key="MEMBER_OF")
    M.add_edge("e", "c", key="LEADS")
    M.add_edge("e", "e", key="PART_OF")
    P = Projection.from_networkx(M)
    assert sorted(P.edges()) == [("e", "LEADS", "c"), ("e", "MEMBER_OF", "c"), ("e", "PART_OF", "e")]
    # the metric graph: undirected, simple, no self-loops
    assert list(P.to_networkx().edges()) == [("c", "e")]
    assert degree(M) == {"c": 1, "e": 1}
    with pytest.raises(TypeError):
        degree([("a", "b")])


def test_nmi_of_unrelated_and_empty_labelings() -> None:
    assert normalized_mutual_information([], []) is None
    assert normalized_mutual_information([0, 0, 0], [1, 1, 1]) == 1.0
    value = normalized_mutual_information([0, 0, 1, 1, 2, 2], [0, 0, 1, 1, 1, 1])
    assert 0 < value < 1 and not math.isnan(value)
