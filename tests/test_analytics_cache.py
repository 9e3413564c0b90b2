"""Results are cached per graph version: reused while the graph is unchanged, recomputed after
any write; write-back puts the results on the nodes and keeps the cache."""

from __future__ import annotations

import math

import pytest

from graph.analytics import Analytics, AnalyticsConfig, pagerank
from graph.analytics.planted import planted_clusters, random_ecosystem, write_spec
from graph.store import GraphStore


def test_results_are_reused_until_a_write_changes_the_graph(store: GraphStore) -> None:
    write_spec(store, planted_clusters(2, 8, seed=1))
    analytics = Analytics(store)
    first = analytics.importance()
    assert analytics.is_cached("importance") and analytics.is_cached("projection")
    assert analytics.importance() is first
    version = analytics.version

    store.write("MATCH (a:Entity {id: 'c0-e1'}), (b:Entity {id: 'c1-e1'}) CREATE (a)-[:COLLABORATES_WITH]->(b)")
    assert store.version() != version
    assert not analytics.is_cached("importance")
    second = analytics.importance()
    assert second is not first and analytics.version == store.version()
    assert second["degree"]["c0-e1"] == first["degree"]["c0-e1"] + 1
    assert second["pagerank"] == pytest.approx(pagerank(analytics.projection()))


def test_a_write_that_changes_nothing_keeps_the_cache(store: GraphStore) -> None:
    write_spec(store, planted_clusters(2, 5, seed=1))
    analytics = Analytics(store)
    gaps = analytics.gaps()
    store.write("MATCH (n:Entity {id: 'no-such-node'}) SET n.name = 'x'")
    assert analytics.gaps() is gaps


def test_the_completeness_report_follows_writes(store: GraphStore) -> None:
    write_spec(store, planted_clusters(1, 3, seed=1))
    analytics = Analytics(store)
    assert [r["present"] for r in analytics.gaps(["c0"])[0]["roles"] if r["role"] == "leader"] == [False]
    store.write("MATCH (e:Entity {id: 'c0-e2'}) SET e.is_leader = true")
    leader = next(r for r in analytics.gaps(["c0"])[0]["roles"] if r["role"] == "leader")
    kept = ("role", "label", "weight", "present", "status", "entities")
    assert {k: leader[k] for k in kept} == {"role": "leader", "label": "链主/龙头企业", "weight": 2.0,
                                           "present": True, "status": "present", "entities": ["c0-e2"]}
    assert [e["entity"] for e in leader["evidence"]] == ["c0-e2"]


def test_write_back_sets_the_declared_properties_and_keeps_the_cache(store: GraphStore) -> None:
    write_spec(store, random_ecosystem(300, 900, seed=2))
    analytics = Analytics(store, AnalyticsConfig(seed=5))
    imp = analytics.importance()["importance"]
    found = analytics.communities()
    between = analytics.betweenness()["values"]
    pages: list[int] = []
    written = analytics.write_back(batch_size=100, on_batch=pages.append)
    assert written == 300 and sum(pages) == 300 and len(pages) == 3
    rows = store.read("MATCH (n:Entity) RETURN n.id, n.importance, n.community, n.betweenness").rows
    assert len(rows) == 300
    for node, importance, community, betweenness in rows:
        assert importance == pytest.approx(imp[node])
        assert community == found.membership[node]
        assert betweenness == pytest.approx(between[node])
    assert max(row[1] for row in rows) == pytest.approx(1.0)
    # only our own writes happened: the cached results carry over to the new version
    assert analytics.version == store.version()
    assert analytics.importance()["importance"] is imp
    assert all(isinstance(row[2], int) and not math.isnan(row[1]) for row in rows)


def test_write_back_after_someone_elses_write_recomputes(store: GraphStore) -> None:
    write_spec(store, planted_clusters(2, 5, seed=1))
    analytics = Analytics(store)
    before = analytics.importance()
    store.write("MATCH (a:Entity {id: 'c0-e1'}), (b:Entity {id: 'c1-e2'}) CREATE (a)-[:COLLABORATES_WITH]->(b)")
    analytics.write_back()
    assert analytics.importance() is not before
    degree = store.read("MATCH (n:Entity {id: 'c1-e2'}) RETURN n.importance").scalar()
    assert degree == pytest.approx(analytics.importance()["importance"]["c1-e2"])
