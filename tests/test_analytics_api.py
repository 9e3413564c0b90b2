"""``/api/analytics/*`` answer in their documented shapes; an unknown cluster is a 404 in the
one error shape; results follow writes."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
import yaml

from app.main import create_app
from app.settings import Settings
from graph.analytics import Analytics
from graph.analytics.completeness import DEFAULT_RULES_PATH, completeness
from graph.analytics.planted import GraphSpec, planted_clusters, write_spec
from graph.store import GraphStore
from tests.test_analytics_completeness import _check_walk, _statuses, _store_graph

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx
    from fastapi.testclient import TestClient


def _ecosystem() -> GraphSpec:
    spec = planted_clusters(2, 6, p_in=0.6, seed=4)
    spec.node("c0-l1", "ChainLink", name="走行系统")
    spec.node("c0-l2", "ChainLink", name="运营维保")
    spec.edge("c0", "HAS_LINK", "c0-l1")
    spec.edge("c0", "HAS_LINK", "c0-l2")
    spec.edge("c0-e1", "OPERATES_IN", "c0-l1")
    spec.node("bank", "FinancialInstitution", name="晋商银行", kind="银行")
    spec.edge("bank", "FINANCES", "c0")
    spec.edge("bank", "FINANCES", "c1")
    return spec


@pytest.fixture
def client(settings: Settings, store: GraphStore) -> Iterator[TestClient]:
    write_spec(store, _ecosystem())
    with TestClient(create_app(settings, store)) as test_client:
        yield test_client


def test_gaps_answers_the_contract_for_one_cluster(client: TestClient) -> None:
    body = client.get("/api/analytics/gaps", params={"cluster": "c0"}).json()
    assert set(body) == {"version", "clusters"}
    [cluster] = body["clusters"]
    assert set(cluster) == {"id", "name", "name_en", "score", "present_weight", "total_weight", "roles", "links"}
    assert cluster["id"] == "c0" and cluster["name"] == "集群0"
    for role in cluster["roles"]:
        assert set(role) == {"role", "label", "label_en", "weight", "status", "present", "entities", "count",
                             "evidence", "absent_sources", "related"}
        assert isinstance(role["present"], bool) and isinstance(role["entities"], list)
        assert role["present"] == (role["status"] == "present")
        assert role["count"] == len(role["entities"])
    finance = next(r for r in cluster["roles"] if r["role"] == "finance")
    assert finance["present"] and finance["entities"] == ["bank"] and finance["label"] == "金融合作伙伴"
    assert finance["label_en"] == "Finance partner" and finance["status"] == "present"
    assert finance["evidence"] == [{"entity": "bank", "name": "晋商银行", "name_en": "晋商银行", "scope": "self",
                                    "via_cluster": None, "path": [{"rel": "FINANCES", "start": "bank", "end": "c0"}]}]
    assert cluster["links"] == [
        {"id": "c0-l1", "name": "走行系统", "enterprises": ["c0-e1"], "count": 1, "unknown_region": ["c0-e1"],
         "outside": [], "status": "fragile"},
        {"id": "c0-l2", "name": "运营维保", "enterprises": [], "count": 0, "unknown_region": [], "outside": [],
         "status": "gap"},
    ]
    assert 0 <= cluster["score"] <= 1


def test_gaps_lists_every_cluster_and_cuts_long_lists_at_the_limit(client: TestClient) -> None:
    body = client.get("/api/analytics/gaps").json()
    assert [c["id"] for c in body["clusters"]] == ["c0", "c1"]
    cut = client.get("/api/analytics/gaps", params={"cluster": "c0", "limit": 1}).json()["clusters"][0]
    assert all(len(r["entities"]) <= 1 and len(r["evidence"]) <= 1 for r in cut["roles"])


def test_unknown_cluster_is_a_404_in_the_error_shape(client: TestClient) -> None:
    response = client.get("/api/analytics/gaps", params={"cluster": "atlantis"})
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found" and "atlantis" in error["message"]
    assert client.get("/api/analytics/gaps", params={"cluster": "c0-e1"}).status_code == 404


def test_importance_ranks_by_pagerank_and_filters_by_type(client: TestClient) -> None:
    body = client.get("/api/analytics/importance", params={"limit": 5}).json()
    assert body["total"] == 17 and len(body["items"]) == 5 and body["betweenness"] == "exact"
    ranks = [item["pagerank"] for item in body["items"]]
    assert ranks == sorted(ranks, reverse=True)
    assert body["items"][0]["importance"] == pytest.approx(1.0)
    assert set(body["items"][0]) == {"id", "name", "type", "degree", "pagerank", "importance", "betweenness",
                                     "community"}
    firms = client.get("/api/analytics/importance", params={"type": "Enterprise", "limit": 100}).json()
    assert firms["total"] == 12 and {item["type"] for item in firms["items"]} == {"Enterprise"}
    assert client.get("/api/analytics/importance", params={"type": "Spaceship"}).status_code == 422
    assert client.get("/api/analytics/importance", params={"limit": 0}).status_code == 422
    assert client.get("/api/analytics/importance", params={"limit": 100_000}).status_code == 422


def test_communities_with_alignment_and_asked_membership(client: TestClient) -> None:
    body = client.get("/api/analytics/communities", params={"ids": "c0-e1,c1-e1,nobody", "top": 2}).json()
    assert body["count"] == len(body["communities"]) >= 2
    assert body["method"] == "louvain (networkx)" and body["seed"] == 0
    assert all(len(c["top"]) <= 2 and c["size"] >= 1 for c in body["communities"])
    assert {row["cluster"] for row in body["alignment"]} == {"c0", "c1"}
    assert body["membership"]["nobody"] is None
    assert body["membership"]["c0-e1"] != body["membership"]["c1-e1"]
    assert 0 <= body["nmi"] <= 1


def test_brokers_bridges_and_cluster_links(client: TestClient) -> None:
    body = client.get("/api/analytics/brokers").json()
    ids = [b["id"] for b in body["brokers"]]
    assert set(ids) == {"bank", "c0-e0", "c1-e0"} and body["total"] == 3
    bank = next(b for b in body["brokers"] if b["id"] == "bank")
    assert bank == {"id": "bank", "name": "晋商银行", "type": "FinancialInstitution", "clusters": ["c0", "c1"],
                    "span": 2, "betweenness": bank["betweenness"]}
    assert body["cluster_links"] == [{"clusters": ["c0", "c1"], "edges": 1, "brokers": 3}]
    assert body["bridges"] == []  # the bank is a second path between the clusters


def test_results_follow_writes(client: TestClient, store: GraphStore) -> None:
    before = client.get("/api/analytics/gaps", params={"cluster": "c1"}).json()
    store.write("MATCH (e:Entity {id: 'c1-e3'}) SET e.is_leader = true")
    after = client.get("/api/analytics/gaps", params={"cluster": "c1"}).json()
    assert after["version"] > before["version"]
    leader = next(r for r in after["clusters"][0]["roles"] if r["role"] == "leader")
    assert leader["present"] and leader["entities"] == ["c1-e3"]
    assert isinstance(client.app.state.services.analytics, Analytics)


def test_an_empty_graph_answers_with_empty_results(settings: Settings, store: GraphStore) -> None:
    with TestClient(create_app(settings, store)) as client:
        assert client.get("/api/analytics/importance").json()["items"] == []
        body = client.get("/api/analytics/communities").json()
        assert body["communities"] == [] and body["nmi"] is None and body["modularity"] == 0.0
        assert client.get("/api/analytics/brokers").json()["brokers"] == []
        assert client.get("/api/analytics/gaps").json()["clusters"] == []
        assert client.get("/api/analytics/gaps", params={"cluster": "c0"}).status_code == 404


@pytest.fixture
def status_client(settings: Settings, store: GraphStore) -> Iterator[TestClient]:
    """A client on a graph where each role of cluster ``steel`` has a known status (see ``_statuses``)."""
    write_spec(store, _statuses())
    with TestClient(create_app(settings, store)) as test_client:
        yield test_client


def test_gaps_says_present_recorded_absent_or_not_recorded(status_client: TestClient, store: GraphStore) -> None:
    body = status_client.get("/api/analytics/gaps", params={"cluster": "steel"}).json()
    [steel] = body["clusters"]
    roles = {r["role"]: r for r in steel["roles"]}
    assert {r: v["status"] for r, v in roles.items()} == {
        "leader": "present", "key_lab": "present", "engineering_centre": "not_recorded",
        "pilot_base": "recorded_absent", "incubator": "not_recorded", "finance": "present", "policy": "present",
        "tech_transfer": "not_recorded", "talent": "present"}
    assert roles["pilot_base"]["absent_sources"] == ["src-a#2", "src-a#5"] and not roles["pilot_base"]["present"]
    finance = roles["finance"]["evidence"][0]
    assert (finance["entity"], finance["scope"], finance["via_cluster"]) == ("bank", "parent", "materials")
    [inc] = roles["incubator"]["related"]
    assert inc["entity"] == "inc" and inc["name_en"] == "Incubator A"
    assert "孵化器甲 与 特钢集群 有关联" in inc["why_zh"] and inc["why_en"].startswith("Incubator A is linked to")
    assert steel["name_en"] == "Special steel"


def test_gaps_answers_what_the_report_computes_with_paths_in_the_store(status_client: TestClient,
                                                                       store: GraphStore) -> None:
    body = status_client.get("/api/analytics/gaps").json()
    expected = completeness(store)
    assert [c["id"] for c in body["clusters"]] == [c["id"] for c in expected] == ["materials", "steel"]
    G, _ = _store_graph(store)
    weights = {r["role"]: float(r["weight"]) for r in yaml.safe_load(DEFAULT_RULES_PATH.read_text("utf-8"))["roles"]}
    for got, want in zip(body["clusters"], expected, strict=True):
        assert {k: got[k] for k in want if k != "roles"} == {k: want[k] for k in want if k != "roles"}
        assert [{k: v for k, v in r.items() if k != "count"} for r in got["roles"]] == want["roles"]
        present = sum(weights[r["role"]] for r in got["roles"] if r["status"] == "present")
        assert got["present_weight"] == pytest.approx(present)
        assert got["total_weight"] == pytest.approx(sum(weights.values()))
        assert got["score"] == pytest.approx(present / sum(weights.values()), abs=1e-4)
        for role in got["roles"]:
            for entry in role["evidence"] + role["related"]:
                _check_walk(G, entry["path"], got["id"], entry["entity"])


def test_gaps_is_described_in_the_openapi_schema(status_client: TestClient) -> None:
    schemas = status_client.get("/openapi.json").json()["components"]["schemas"]
    status = schemas["RoleOut"]["properties"]["status"]
    assert status["enum"] == ["present", "recorded_absent", "not_recorded"]
    assert {"GapsEvidence", "GapsRelated", "GapsPathStep"} <= set(schemas)
    assert {"present_weight", "total_weight"} <= set(schemas["ClusterGaps"]["properties"])
