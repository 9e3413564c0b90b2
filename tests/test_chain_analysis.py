"""The chain analysis on both engines: chain order, gap and fragile links, 招商 targets and what-if,
checked against the generator's planted ground truth and against networkx computed from an export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from graph.analytics import Analytics, RulesError, UnknownCluster, load_rules, parse_rules
from graph.analytics.chain import chain
from graph.analytics.planted import GraphSpec, write_spec
from graph.analytics.targets import targets
from graph.analytics.targets_rules import load_target_rules, parse_target_rules
from graph.analytics.whatif import Addition, WhatIfError, whatif
from graph.store import GraphStore
from loaders import load_dataset
from tests.api_helpers import auth, fingerprint, keys_setting, make_client, to_nx
from tests.conftest import filled_graph

HUBS = ("Source", "Category", "Region")


@pytest.fixture(scope="module")
def nxg(planted) -> nx.MultiDiGraph:
    return to_nx(planted[0])


@pytest.fixture(scope="module")
def curated(engine) -> Iterator[GraphStore]:
    with filled_graph(engine, load_dataset) as store:
        yield store


def home_names(g: nx.MultiDiGraph, home: str) -> set[str]:
    """Names of the home region and every region PART_OF it (any depth), from the export."""
    regions = {n for n, d in g.nodes(data=True) if d.get("type") == "Region"}
    parts = nx.DiGraph((u, v) for u, v, k in g.edges(keys=True) if k == "PART_OF" and u in regions and v in regions)
    inside = {home} | (nx.ancestors(parts, home) if home in parts else set())
    return {g.nodes[r]["name"] for r in inside}


def local_operators(g: nx.MultiDiGraph, link: str, homes: set[str]) -> set[str]:
    return {u for u, _, k in g.in_edges(link, keys=True)
            if k == "OPERATES_IN" and g.nodes[u].get("type") == "Enterprise" and g.nodes[u].get("region") in homes}


def test_every_planted_cluster_was_planted(planted) -> None:
    _, truth = planted
    assert len(truth["clusters"]) >= 5


def test_chain_order_and_statuses_match_the_planted_ones(planted, nxg: nx.MultiDiGraph) -> None:
    store, truth = planted
    homes = home_names(nxg, truth["home_region"])
    for cluster, planted_chain in truth["clusters"].items():
        view = chain(store, cluster)
        assert view["basis"] == "upstream_of"
        assert [link for column in view["columns"] for link in column["links"]] == planted_chain["links"]
        status = {link["id"]: link["status"] for link in view["links"]}
        assert sorted(k for k, v in status.items() if v == "gap") == sorted(planted_chain["gap"])
        assert sorted(k for k, v in status.items() if v == "fragile") == sorted(planted_chain["fragile"])
        for link in view["links"]:
            # the enterprises counted as local are exactly those networkx finds in the home regions
            assert {op["id"] for op in link["local"]} == local_operators(nxg, link["id"], homes)
            assert {op["id"] for op in link["outside"]} == set(planted_chain["outside_operators"].get(link["id"], []))
        supplier = planted_chain["single_supplier"]
        fragile = next(link for link in view["links"] if link["id"] == supplier["link"])
        assert [(op["id"], op["leader"]) for op in fragile["local"]] == [(supplier["entity"], True)]


def test_the_planted_best_candidate_ranks_first_with_evidence_in_the_graph(planted, nxg: nx.MultiDiGraph) -> None:
    store, truth = planted
    for cluster, planted_chain in truth["clusters"].items():
        answer = targets(store, cluster)
        by_link = {link["id"]: link for link in answer["links"]}
        assert set(by_link) == set(planted_chain["gap"]) | set(planted_chain["fragile"])
        for link_id, expected in planted_chain["candidates"].items():
            ranked = [c["id"] for c in by_link[link_id]["candidates"]]
            assert ranked[0] == expected["best"]
            assert ranked.index(expected["second"]) < ranked.index(expected["third"])
            for candidate in by_link[link_id]["candidates"]:
                assert candidate["score"] == sum(p["points"] for p in candidate["parts"])
                for part in candidate["parts"]:
                    assert part["count"] <= part["cap"] and part["points"] == part["weight"] * part["count"]
                    for item in part["evidence"]:
                        for step in item["path"] + item["anchor_path"]:
                            assert nxg.has_edge(step["start"], step["end"], key=step["rel"]), step
                        assert item["path"][0]["start"] == candidate["id"] or item["path"][0]["end"] == candidate["id"]
            scores = {c["id"]: c["score"] for c in by_link[link_id]["candidates"]}
            # the third has no relationship besides its link and its region outside every transfer region
            assert scores[expected["third"]] == 0
            best_parts = {p["signal"]: p["count"] for p in by_link[link_id]["candidates"][0]["parts"]}
            assert best_parts["leader_partner"] == best_parts["transfer_region"] == 1


def test_what_if_the_single_supplier_leaves(planted, nxg: nx.MultiDiGraph) -> None:
    store, truth = planted
    rules = load_rules()
    leader_weight = next(r.weight for r in rules.roles if r.role == "leader")
    cluster, planted_chain = next(iter(truth["clusters"].items()))
    supplier = planted_chain["single_supplier"]
    before = fingerprint(store)
    answer = whatif(store, cluster, remove=[supplier["entity"]])
    assert fingerprint(store) == before
    assert answer["became_gap"] == [supplier["link"]] and answer["became_fragile"] == []
    # the supplier is the cluster's only leader: no other member leads, no LEADS relationship
    others = [u for u, _, k in nxg.in_edges(cluster, keys=True)
              if (k == "MEMBER_OF" and nxg.nodes[u].get("is_leader") and u != supplier["entity"]) or k == "LEADS"]
    assert others == []
    assert answer["roles_lost"][0]["role"] == "leader"
    assert answer["score"]["delta"] == pytest.approx(-leader_weight / rules.total_weight)
    # what the cluster's neighbourhood loses touch with, computed independently
    g = nx.Graph((u, v) for u, v in nxg.to_undirected(as_view=True).edges()
                 if nxg.nodes[u].get("type") not in HUBS and nxg.nodes[v].get("type") not in HUBS and u != v)
    hood = nx.ego_graph(g, cluster, radius=rules.related.max_hops)
    after = hood.copy()
    after.remove_node(supplier["entity"])
    lost = set(nx.node_connected_component(hood, cluster)) - set(nx.node_connected_component(after, cluster))
    assert {e["id"] for e in answer["structure"]["cut_off"]} == lost - {supplier["entity"]}
    points = set(nx.articulation_points(hood.subgraph(nx.node_connected_component(hood, cluster)))) - {cluster}
    points_after = set(nx.articulation_points(after.subgraph(nx.node_connected_component(after, cluster)))) - {cluster}
    assert {e["id"] for e in answer["structure"]["new_single_points"]} == points_after - points
    assert answer["structure"]["single_points_before"] == len(points)


def test_what_if_hypothetical_firms_fill_a_gap(planted) -> None:
    store, truth = planted
    cluster, planted_chain = next(iter(truth["clusters"].items()))
    gap = planted_chain["gap"][0]
    one = whatif(store, cluster, add=[Addition(gap, "设想企业甲")])
    assert [(link["id"], link["before"], link["after"]) for link in one["links"] if link["before"] != link["after"]] \
        == [(gap, "gap", "fragile")]
    two = whatif(store, cluster, add=[Addition(gap, "设想企业甲"), Addition(gap, "设想企业乙")])
    assert next(link for link in two["links"] if link["id"] == gap)["after"] == "ok"
    with pytest.raises(WhatIfError) as refused:
        whatif(store, cluster, add=[Addition("no-such-link", "x")])
    assert refused.value.code == "unknown_link" and "no-such-link" in refused.value.message_zh
    with pytest.raises(WhatIfError) as unknown:
        whatif(store, cluster, remove=["no-such-entity"])
    assert unknown.value.details == {"ids": ["no-such-entity"]}


def test_the_rail_chain_in_declared_order_all_gaps_with_what_data_would_help(curated: GraphStore) -> None:
    view = chain(curated, "cluster-rail-equipment")
    assert view["basis"] == "position"
    assert [column["positions"][0] for column in view["columns"]] == ["材料", "零部件", "系统", "整车", "服务"]
    assert [len(column["links"]) for column in view["columns"]] == [1, 1, 2, 2, 1]
    assert view["counts"] == {"gap": 7, "fragile": 0, "ok": 0}
    answer = targets(curated, "cluster-rail-equipment")
    assert len(answer["links"]) == 7
    assert all(link["candidates"] == [] and "OPERATES_IN" in link["no_candidates"]["zh"] for link in answer["links"])
    # the province attracts industry from the Yangtze delta and the Bay Area (regions.yaml): named as places to look
    assert {r["name"] for r in answer["transfer_regions"]} == {"长三角", "粤港澳"}
    with pytest.raises(UnknownCluster):
        chain(curated, "no-such-cluster")


def test_analytics_caches_chain_targets_per_version(curated: GraphStore) -> None:
    analytics = Analytics(curated)
    first = analytics.targets("cluster-rail-equipment")
    assert analytics.is_cached("targets:cluster-rail-equipment")
    assert analytics.targets("cluster-rail-equipment") is first
    assert analytics.chain("cluster-rail-equipment") == chain(curated, "cluster-rail-equipment")


def _located(store: GraphStore) -> None:
    nodes = [("home", "Region", {"name": "本省"}), ("city", "Region", {"name": "本市"}),
             ("away", "Region", {"name": "外省"}), ("c", "Cluster", {}), ("l", "ChainLink", {"position": "材料"}),
             ("in-city", "Enterprise", {"region": "本市"}), ("by-edge", "Enterprise", {}),
             ("far", "Enterprise", {"region": "外省"}), ("nowhere", "Enterprise", {})]
    rels = [("city", "PART_OF", "home"), ("c", "HAS_LINK", "l"), ("by-edge", "LOCATED_IN", "away")] + \
        [(e, "OPERATES_IN", "l") for e in ("in-city", "by-edge", "far", "nowhere")]
    write_spec(store, GraphSpec(nodes=[{"id": i, "type": t, "name": i, **p} for i, t, p in nodes], edges=rels))


def test_locality_follows_region_names_part_of_and_located_in(store: GraphStore) -> None:
    _located(store)
    rules = parse_rules({**_rules_data(), "links": {**_rules_data()["links"], "home_regions": ["本省"]}})
    link = chain(store, "c", rules)["links"][0]
    assert [(op["id"], op["locality"]) for op in link["local"]] == [("in-city", "local"), ("nowhere", "unknown")]
    assert [op["id"] for op in link["outside"]] == ["by-edge", "far"]
    assert link["status"] == "ok"


def _rules_data() -> dict[str, Any]:
    import yaml

    from graph.analytics.completeness_rules import DEFAULT_RULES_PATH
    return yaml.safe_load(DEFAULT_RULES_PATH.read_text(encoding="utf-8"))


def test_rules_files_are_checked_with_messages_that_name_the_entry() -> None:
    data = _rules_data()
    with pytest.raises(RulesError, match="材料.*more than one column"):
        parse_rules({**data, "links": {**data["links"], "order": [["材料"], ["材料", "服务"]]}})
    with pytest.raises(RulesError, match="leader_role"):
        parse_rules({**data, "links": {**data["links"], "leader_role": "nobody"}})
    import yaml

    from graph.analytics.targets_rules import DEFAULT_TARGET_RULES_PATH
    targets_data = yaml.safe_load(DEFAULT_TARGET_RULES_PATH.read_text(encoding="utf-8"))
    broken = {**targets_data, "signals": [{**targets_data["signals"][0], "anchor": "nowhere"}]}
    with pytest.raises(RulesError, match=r"signals\[0\] \(leader_partner\).*anchor 'nowhere'"):
        parse_target_rules(broken)
    wrong_way = {**targets_data, "signals": [{**targets_data["signals"][0],
                                              "match": [[{"rel": "FINANCES", "direction": "out", "type": "Region"}]]}]}
    with pytest.raises(RulesError, match="allows no"):
        parse_target_rules(wrong_way)
    assert load_target_rules().max_score == sum(s["weight"] * s["cap"] for s in targets_data["signals"])


def test_the_api_answers_chain_targets_and_what_if_without_writing(planted, tmp_path: Path) -> None:
    store, truth = planted
    client = make_client(store, tmp_path, keys_setting())
    client.headers.update(auth("viewer"))
    cluster, planted_chain = next(iter(truth["clusters"].items()))
    got = client.get(f"/api/clusters/{cluster}/chain").json()
    assert got["links"] == chain(store, cluster)["links"] and got["version"] == store.version()
    best = client.get(f"/api/clusters/{cluster}/targets").json()["links"]
    assert {link["id"]: link["candidates"][0]["id"] for link in best} == \
        {link: c["best"] for link, c in planted_chain["candidates"].items()}
    before = fingerprint(store)
    supplier = planted_chain["single_supplier"]
    answer = client.post(f"/api/clusters/{cluster}/whatif", json={"remove": [supplier["entity"]],
                                                                  "add": [{"link": planted_chain["gap"][0],
                                                                           "name": "设想企业"}]}).json()
    assert answer["became_gap"] == [supplier["link"]]
    assert answer["became_fragile"] == [planted_chain["gap"][0]]
    refused = client.post(f"/api/clusters/{cluster}/whatif", json={"add": [{"link": "nope", "name": "x"}]})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "unknown_link"
    assert "不是该集群的产业链环节" in refused.json()["error"]["details"]["message_zh"]
    missing = client.get("/api/clusters/no-such-cluster/targets")
    assert missing.status_code == 404 and "没有编号为" in missing.json()["error"]["details"]["message_zh"]
    assert fingerprint(store) == before
