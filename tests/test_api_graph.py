"""The graph endpoints answer what an independent networkx computation over the same graph says."""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter

import networkx as nx
import pytest

from graph.ontology import NODE_TYPES, REL_TYPES, Liuxin
from tests.api_helpers import (
    SAMPLE_NODES,
    SAMPLE_RELS,
    incident,
    make_client,
    to_nx,
    undirected_neighbours,
    write_graph,
)

pytest_plugins = ["tests.api_fixtures"]


def rel_keys(payload: dict) -> set[tuple[str, str, str]]:
    return {(r["start"], r["type"], r["end"]) for r in payload["relationships"]}


def node_ids(payload: dict) -> set[str]:
    return {n["id"] for n in payload["nodes"]}


def test_health_names_the_backend(client, graph) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["backend"] == graph.backend in ("falkordb", "neo4j")
    assert body["graph_version"] == graph.version()


def test_stats_count_every_type_relationship_type_and_liuxin_category(client, nxg) -> None:
    body = client.get("/api/stats").json()
    assert body["nodes"] == nxg.number_of_nodes()
    assert body["relationships"] == nxg.number_of_edges()
    assert body["by_type"] == dict(Counter(t for _, t in nxg.nodes(data="type")))
    assert body["by_relationship_type"] == dict(Counter(k for _, _, k in nxg.edges(keys=True)))
    for category in body["liuxin"]:
        members = [n for n, d in nxg.nodes(data=True) if category["name"] in (d.get("liuxin") or [])]
        assert category["nodes"] == len(members)
        assert category["by_type"] == dict(Counter(nxg.nodes[n]["type"] for n in members))
    assert [c["name"] for c in body["liuxin"]] == [c.value for c in Liuxin]


def test_ontology_lists_every_type_from_the_ontology_module(client) -> None:
    body = client.get("/api/ontology").json()
    assert [t["label"] for t in body["node_types"]] == [t.label for t in NODE_TYPES]
    assert [r["name"] for r in body["relationship_types"]] == [r.name for r in REL_TYPES]
    assert len(body["liuxin"]) == 6


def assert_degrees_equal_networkx(client, g) -> None:
    for node in g.nodes:
        body = client.get(f"/api/entities/{node}").json()
        expected = Counter(("out", k) for _, _, k in g.out_edges(node, keys=True))
        expected.update(("in", k) for _, _, k in g.in_edges(node, keys=True))
        assert {(d["direction"], d["type"]): d["count"] for d in body["degree"]} == dict(expected), node


def test_degree_per_type_and_direction_equals_networkx_for_every_node(client, nxg) -> None:
    assert_degrees_equal_networkx(client, nxg)


def test_degree_counts_parallel_relationships_of_different_types(store, tmp_path) -> None:
    # The hand-made sample joins node pairs by several relationships of different types (tisco LEADS
    # and is a MEMBER_OF the same cluster; the bank FINANCES and COLLABORATES_WITH…), which FalkorDB
    # undercounts in some query shapes.
    write_graph(store, SAMPLE_NODES, SAMPLE_RELS)
    g = to_nx(store)
    assert any(len(g[u][v]) > 1 for u, v in g.edges())
    assert_degrees_equal_networkx(make_client(store, tmp_path), g)


def test_entity_detail_has_properties_type_and_resolved_provenance(client, nxg) -> None:
    cited = [n for n, d in nxg.nodes(data=True) if d.get("sources") and d["type"] != "Source"]
    assert cited
    for node in cited:
        body = client.get(f"/api/entities/{node}").json()
        data = nxg.nodes[node]
        assert body["node"]["id"] == node and body["node"]["type"] == data["type"]
        assert body["node"]["properties"]["name"] == data["name"]
        assert len(body["provenance"]) == len(data["sources"])
        for item, citation in zip(body["provenance"], data["sources"], strict=True):
            source_id, _, section = citation.partition("#")
            source = nxg.nodes.get(source_id, {})
            assert item["source_id"] == source_id and item["title"] == source.get("title")
            assert item["section"] == (section or None)
            sections = source.get("sections") or []
            if section.isdigit() and int(section) < len(sections):
                assert item["section_title"] == sections[int(section)]


def test_unknown_entity_is_404_with_the_error_shape(client) -> None:
    for path in ("/api/entities/no-such-id", "/api/entities/no-such-id/neighbors"):
        r = client.get(path)
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found" and "no-such-id" in r.json()["error"]["message"]


def test_one_hop_neighbourhood_equals_networkx(client, nxg) -> None:
    for node in nxg.nodes:
        body = client.get(f"/api/entities/{node}/neighbors", params={"limit": 2000}).json()
        assert body["center"] == node and not body["truncated"]
        assert node_ids(body) == undirected_neighbours(nxg, node) | {node}
        assert rel_keys(body) == set(incident(nxg, node))
        for n in body["nodes"]:
            assert set(n) == {"kind", "id", "labels", "type", "properties"} and n["kind"] == "node"


def test_neighbourhood_filters_by_type_and_relationship_type(client, nxg) -> None:
    node = max(nxg.nodes, key=lambda n: nxg.degree(n))
    body = client.get(f"/api/entities/{node}/neighbors",
                      params={"types": ["Cluster", "Enterprise"], "rel_types": ["MEMBER_OF", "LEADS"]}).json()
    expected = {(u, k, v) for u, k, v in incident(nxg, node) if k in ("MEMBER_OF", "LEADS")
                and nxg.nodes[v if u == node else u]["type"] in ("Cluster", "Enterprise")}
    assert rel_keys(body) == expected
    assert node_ids(body) == {node} | {x for u, _, v in expected for x in (u, v)}


@pytest.mark.parametrize("depth", [2, 3])
def test_deeper_neighbourhoods_equal_networkx_ego_graphs(client, nxg, depth) -> None:
    undirected = nx.Graph(nxg.to_undirected())
    for node in list(nxg.nodes)[:: max(1, nxg.number_of_nodes() // 12)]:
        body = client.get(f"/api/entities/{node}/neighbors",
                          params={"depth": depth, "limit": 2000, "include_hubs": "true"}).json()
        ball = nx.single_source_shortest_path_length(undirected, node, cutoff=depth)
        assert node_ids(body) == set(ball)
        inner = {n for n, d in ball.items() if d < depth}
        expected = {(u, k, v) for u, v, k in nxg.edges(keys=True) if (u in inner or v in inner)
                    and u in ball and v in ball}
        assert rel_keys(body) == expected


def test_neighbourhood_limit_truncates_and_says_so(client, nxg) -> None:
    node = max(nxg.nodes, key=lambda n: len(undirected_neighbours(nxg, n)))
    body = client.get(f"/api/entities/{node}/neighbors", params={"limit": 2}).json()
    assert body["truncated"] and len(body["nodes"]) == 3
    assert all(r["start"] in node_ids(body) and r["end"] in node_ids(body) for r in body["relationships"])


def test_shortest_paths_equal_networkx_all_shortest_paths(client, nxg) -> None:
    undirected = nx.MultiGraph(nxg.to_undirected())
    nodes = sorted(nxg.nodes)
    pairs = [(a, b) for a in nodes[::5] for b in nodes[2::7] if a != b][:40]
    for a, b in pairs:
        body = client.get("/api/paths", params={"from": a, "to": b, "max_hops": 4, "limit": 100,
                                                "include_hubs": "true"}).json()
        try:
            expected_len = nx.shortest_path_length(undirected, a, b)
        except nx.NetworkXNoPath:
            expected_len = None
        if expected_len is None or expected_len > 4:
            assert body["hops"] is None and body["paths"] == []
            continue
        assert body["hops"] == expected_len
        # Every node sequence networkx finds, once per choice of relationship at each step.
        expected = Counter()
        for seq in nx.all_shortest_paths(undirected, a, b):
            ways = 1
            for u, v in zip(seq, seq[1:], strict=False):
                ways *= undirected.number_of_edges(u, v)
            expected[tuple(seq)] = ways
        got = Counter(tuple(n["id"] for n in p["nodes"]) for p in body["paths"])
        if not body["truncated"]:
            assert got == expected, (a, b)
        for p in body["paths"]:
            ids = [n["id"] for n in p["nodes"]]
            for (u, v), rel in zip(zip(ids, ids[1:], strict=False), p["relationships"], strict=True):
                assert {rel["start"], rel["end"]} == {u, v} and nxg.has_edge(rel["start"], rel["end"], rel["type"])


def test_paths_follow_only_the_given_relationship_types(client, nxg) -> None:
    only = nx.MultiGraph()
    only.add_nodes_from(nxg.nodes)
    only.add_edges_from((u, v, k) for u, v, k in nxg.edges(keys=True) if k in ("MEMBER_OF", "HAS_LINK"))
    nodes = sorted(nxg.nodes)
    for a, b in [(a, b) for a in nodes[::4] for b in nodes[1::6] if a != b][:20]:
        body = client.get("/api/paths", params={"from": a, "to": b, "max_hops": 6,
                                                "rel_types": ["MEMBER_OF", "HAS_LINK"]}).json()
        try:
            assert body["hops"] == nx.shortest_path_length(only, a, b)
        except nx.NetworkXNoPath:
            assert body["hops"] is None


def test_paths_to_an_unknown_entity_are_404_and_to_itself_zero_hops(client, nxg) -> None:
    node = next(iter(nxg.nodes))
    assert client.get("/api/paths", params={"from": node, "to": "nowhere"}).status_code == 404
    body = client.get("/api/paths", params={"from": node, "to": node}).json()
    assert body["hops"] == 0 and [n["id"] for n in body["paths"][0]["nodes"]] == [node]


ECOSYSTEM_TYPES = {"Enterprise", "Institution", "Platform", "FinancialInstitution", "Policy", "Project", "Park",
                   "ChainLink", "Technology", "Product"}


def expected_ecosystem(nxg: nx.MultiDiGraph, cluster: str) -> tuple[set[str], set[tuple[str, str, str]]]:
    """The cluster ecosystem as queries/cluster_ecosystem.cypher defines it, computed in networkx."""
    nodes, rels = {cluster}, set()
    for u, k, v in incident(nxg, cluster):
        m = v if u == cluster else u
        if nxg.nodes[m]["type"] in ("Source", "Category", "Region"):
            continue
        nodes.add(m)
        rels.add((u, k, v))
        if k not in ("MEMBER_OF", "HAS_LINK"):
            continue
        for a, k2, b in incident(nxg, m):
            x = b if a == m else a
            if x != cluster and nxg.nodes[x]["type"] in ECOSYSTEM_TYPES:
                nodes.add(x)
                rels.add((a, k2, b))
    return nodes, rels


def test_cluster_ecosystem_equals_networkx(client, nxg) -> None:
    clusters = [n for n, t in nxg.nodes(data="type") if t == "Cluster"]
    assert clusters
    for cluster in clusters:
        body = client.get(f"/api/clusters/{cluster}/ecosystem").json()
        assert body["cluster"]["id"] == cluster and not body["truncated"]
        nodes, rels = expected_ecosystem(nxg, cluster)
        assert node_ids(body) == nodes
        assert rel_keys(body) == rels


def test_ecosystem_of_a_non_cluster_is_404(client, nxg) -> None:
    other = next(n for n, t in nxg.nodes(data="type") if t == "Enterprise")
    for cluster in (other, "no-such-cluster", "Robert'); DROP"):
        r = client.get(f"/api/clusters/{cluster}/ecosystem")
        assert r.status_code == 404, cluster


def test_search_by_chinese_substring_pinyin_initials_and_alias(client, nxg) -> None:
    named = [(n, d) for n, d in nxg.nodes(data=True) if d.get("name") and not d["name"].isascii()]
    from app.search import pinyin_keys

    for node, data in named:
        name = data["name"]
        probes = [name, name[1:] or name, pinyin_keys(name)[0], pinyin_keys(name)[1]]
        probes += list(data.get("aliases") or [])
        probes += [pinyin_keys(a)[0] for a in data.get("aliases") or [] if not a.isascii()]
        for q in probes:
            items = client.get("/api/entities", params={"q": q, "limit": 100}).json()["items"]
            assert node in [i["id"] for i in items], (node, q)


def test_search_ranks_exact_before_prefix_substring_pinyin_initials(client) -> None:
    order = ["exact", "prefix", "substring", "pinyin", "initials"]
    for q in ("山西", "太", "taiyuan", "sx", "集群", "cl"):
        items = client.get("/api/entities", params={"q": q, "limit": 100}).json()["items"]
        ranks = [order.index(i["match"]) for i in items]
        assert ranks == sorted(ranks), q


def test_search_filters_and_pages(client, nxg) -> None:
    items = []
    cursor = None
    while True:
        params = {"type": "Enterprise", "limit": 1} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/entities", params=params).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(i["id"] for i in items) == sorted(n for n, t in nxg.nodes(data="type") if t == "Enterprise")
    material = client.get("/api/entities", params={"liuxin": "新材料", "limit": 100}).json()
    assert {i["id"] for i in material["items"]} == {
        n for n, d in nxg.nodes(data=True) if "新材料" in (d.get("liuxin") or [])}
    region = next(d["region"] for _, d in nxg.nodes(data=True) if d.get("region"))
    found = client.get("/api/entities", params={"region": region, "limit": 100}).json()
    assert {i["id"] for i in found["items"]} == {n for n, d in nxg.nodes(data=True) if d.get("region") == region}


def test_search_index_follows_writes(client, graph) -> None:
    assert client.get("/api/entities", params={"q": "新加的测试实体"}).json()["total"] == 0
    graph.write("CREATE (:Entity:Technology {id: 'tech-added-later', name: '新加的测试实体'})")
    try:
        items = client.get("/api/entities", params={"q": "xinjiade"}).json()["items"]
        assert [i["id"] for i in items] == ["tech-added-later"]
    finally:
        graph.write("MATCH (n:Entity {id: 'tech-added-later'}) DELETE n")


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"cursor": "abc"}, {"type": "NotAType"},
                                    {"liuxin": "旧基建"}])
def test_bad_search_parameters_are_422(client, params) -> None:
    r = client.get("/api/entities", params=params)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("path", ["/api/entities/x/neighbors?depth=4", "/api/entities/x/neighbors?depth=zero",
                                  "/api/entities/x/neighbors?rel_types=KNOWS", "/api/paths?from=a",
                                  "/api/paths?from=a&to=b&max_hops=7", "/api/export?format=pdf"])
def test_bad_graph_parameters_are_422(client, path) -> None:
    assert client.get(path).status_code == 422


def test_export_json_is_the_whole_graph(client, nxg) -> None:
    body = client.get("/api/export", params={"format": "json"}).json()
    assert node_ids(body) == set(nxg.nodes)
    assert rel_keys(body) == {(u, k, v) for u, v, k in nxg.edges(keys=True)}


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_export_graphml_and_gexf_read_back_in_networkx(client, nxg, fmt) -> None:
    r = client.get("/api/export", params={"format": fmt})
    assert r.status_code == 200
    read = nx.read_graphml if fmt == "graphml" else nx.read_gexf
    g = read(io.BytesIO(r.content))
    assert set(map(str, g.nodes)) == set(nxg.nodes)
    assert g.number_of_edges() == nxg.number_of_edges()


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_a_filtered_graph_file_is_labelled_by_name_with_relationship_types(client, nxg, fmt) -> None:
    r = client.get("/api/export", params={"format": fmt, "types": ["Cluster", "Enterprise"]})
    g = (nx.read_graphml if fmt == "graphml" else nx.read_gexf)(io.BytesIO(r.content))
    keep = {n for n, t in nxg.nodes(data="type") if t in ("Cluster", "Enterprise")}
    assert set(map(str, g.nodes)) == keep
    assert {str(n): d["label"] for n, d in g.nodes(data=True)} == {n: nxg.nodes[n]["name"] for n in keep}
    expected = sorted((u, k, v) for u, v, k in nxg.edges(keys=True) if u in keep and v in keep)
    assert sorted((str(u), d["rel_type"], str(v)) for u, v, d in g.edges(data=True)) == expected
    assert all("networkx_key" not in d for _, _, d in g.edges(data=True))


def test_export_of_a_filtered_subgraph(client, nxg) -> None:
    r = client.get("/api/export", params={"format": "csv", "types": ["Cluster", "Enterprise"],
                                          "rel_types": ["MEMBER_OF"]})
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        nodes = zf.read("nodes.csv").decode("utf-8-sig").splitlines()
        rels = zf.read("relationships.csv").decode("utf-8-sig").splitlines()
    keep = {n for n, t in nxg.nodes(data="type") if t in ("Cluster", "Enterprise")}
    assert len(nodes) - 1 == len(keep)
    assert len(rels) - 1 == sum(1 for u, v, k in nxg.edges(keys=True) if k == "MEMBER_OF" and u in keep and v in keep)
    body = client.get("/api/export", params={"liuxin": "新装备"}).json()
    assert node_ids(body) == {n for n, d in nxg.nodes(data=True) if "新装备" in (d.get("liuxin") or [])}
    assert json.dumps(body)  # plain JSON


def test_an_isolated_entity_has_an_empty_neighbourhood_and_no_degree(store, tmp_path) -> None:
    write_graph(store, [("Technology", {"id": "tech-alone", "name": "孤立技术"})], [])
    c = make_client(store, tmp_path)
    body = c.get("/api/entities/tech-alone/neighbors").json()
    assert node_ids(body) == {"tech-alone"} and body["relationships"] == [] and not body["truncated"]
    assert c.get("/api/entities/tech-alone").json()["degree"] == []
    for depth in (2, 3):
        assert node_ids(c.get(f"/api/entities/tech-alone/neighbors?depth={depth}").json()) == {"tech-alone"}
