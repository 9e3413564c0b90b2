"""Bad input is refused at the API boundary with a 4xx that names the field, never a 500: malformed posted
views, unknown query parameters, control characters, deep or huge bodies, long headers. An unexpected
exception becomes a 500 with a correlation id, logged with its stack trace and never shown."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from app.main import create_app
from app.pages.views import MAX_LIMIT
from app.settings import load_settings
from graph.store import GraphStore
from tests.api_helpers import auth, keys_setting, write_graph
from tests.conftest import fresh_graph_name

pytest_plugins = ["tests.api_fixtures"]

VIEW = {"kind": "export", "title": "t", "graph": {"nodes": [], "relationships": []}}


def _app_client(store: GraphStore, data_dir: Path, **settings: object) -> TestClient:
    """A client of an app with its own settings (one key per role); 500s come back as responses."""
    app = create_app(load_settings(backend="embedded", data_dir=data_dir, graph=fresh_graph_name(),
                                   api_keys_raw=keys_setting(), **settings), store=store)
    client = TestClient(app, raise_server_exceptions=False)
    client.headers.update(auth("viewer"))
    return client


def _refused(resp, status: int, *fields: str) -> dict:
    assert resp.status_code == status, resp.text
    error = resp.json()["error"]
    for field in fields:
        assert field in error["message"], (field, error["message"])
    return error


# -- posted views (POST /export/map.html) ---------------------------------------------------------------
@pytest.mark.parametrize(("posted", "extra", "field"), [
    ({"nodes": [1]}, {}, "body.graph.nodes.0"),
    ({"nodes": ["tisco"]}, {}, "body.graph.nodes.0"),
    ({"nodes": [{"id": "a", "properties": "x"}]}, {}, "body.graph.nodes.0.properties"),
    ({"nodes": [{"id": {"x": 1}}]}, {}, "body.graph.nodes.0.id"),
    ({"nodes": [{"properties": {}}]}, {}, "body.graph.nodes.0.id"),
    ({"nodes": [], "relationships": [1]}, {}, "body.graph.relationships.0"),
    ({"nodes": [], "relationships": [{"type": "LEADS", "start": "a"}]}, {}, "body.graph.relationships.0.end"),
    ({"nodes": "x"}, {}, "body.graph.nodes"),
    ({"nodes": []}, {"positions": {"a": [1]}}, "body.positions.a"),
    ({"nodes": []}, {"positions": {"a": "x"}}, "body.positions.a"),
    ({"nodes": []}, {"kind": "../../etc"}, "body.kind"),
    ({"nodes": []}, {"depth": 99}, "body.depth"),
    ({"nodes": []}, {"gaps": ["not", "a", "report"]}, "body.gaps"),
    ({"nodes": []}, {"title": "t" * 501}, "body.title"),
])
def test_a_malformed_view_is_refused_naming_the_field(client: TestClient, posted: dict, extra: dict,
                                                      field: str) -> None:
    _refused(client.post("/export/map.html", json={"graph": posted, **extra}), 422, field)


def test_odd_but_well_formed_properties_are_exported(client: TestClient) -> None:
    node = {"id": "odd", "properties": {"name": 5, "aliases": "太钢", "name_en": None, "deep": {"a": [1, {"b": 2}]}}}
    resp = client.post("/export/map.html", json={**VIEW, "graph": {"nodes": [node], "relationships": []}})
    assert resp.status_code == 200 and "attachment" in resp.headers["content-disposition"]


def test_a_view_with_more_nodes_than_a_map_holds_is_refused(client: TestClient) -> None:
    nodes = [{"id": f"n{i}"} for i in range(MAX_LIMIT + 1)]
    _refused(client.post("/export/map.html", json={"graph": {"nodes": nodes}}), 422, "body.graph.nodes")


def test_a_deeply_nested_body_is_refused(client: TestClient) -> None:
    deep: list = []
    for _ in range(40):
        deep = [deep]
    error = _refused(client.post("/export/map.html", json={**VIEW, "note": {"x": deep}}), 422, "body.note.x")
    assert "nested deeper" in error["message"]


# -- one entity's details ---------------------------------------------------------------------------------
def test_details_of_an_entity_citing_an_odd_section_answer(store: GraphStore, tmp_path: Path) -> None:
    write_graph(store, [("Source", {"id": "src-x", "name": "x", "title": "X", "sections": ["一", "二"]}),
                        ("Enterprise", {"id": "ent-odd", "name": "奇", "sources": ["src-x#²", "src-x#1", "src-y"]})],
                [])
    resp = _app_client(store, tmp_path).get("/api/entities/ent-odd")
    assert resp.status_code == 200, resp.text
    assert [(p["source_id"], p["section"], p["section_title"]) for p in resp.json()["provenance"]] == [
        ("src-x", "²", None), ("src-x", "1", "二"), ("src-y", None, None)]


# -- unknown query parameters -------------------------------------------------------------------------------
@pytest.mark.parametrize(("url", "unknown"), [
    ("/api/entities?q=taigang&qq=1", "query.qq"),
    ("/api/entities/tisco?depth=2", "query.depth"),
    ("/api/stats?verbose=1", "query.verbose"),
    ("/api/paths?from=a&to=b&max_hop=2", "query.max_hop"),
    ("/api/export?format=json&type=Cluster", "query.type"),
    ("/api/analytics/gaps?clusters=x", "query.clusters"),
    ("/api/queries?offset=3", "query.offset"),
    ("/?limits=3", "query.limits"),
    ("/entity/tisco?deep=1", "query.deep"),
])
def test_an_unknown_query_parameter_is_named(client: TestClient, url: str, unknown: str) -> None:
    error = _refused(client.get(url), 422, unknown, "this endpoint takes")
    assert unknown.split(".") in [d["location"] for d in error["details"]]


def test_pages_take_the_language_their_script_reads(client: TestClient) -> None:
    assert client.get("/?lang=en").status_code == 200
    _refused(client.get("/?lang=fr"), 422, "query.lang")


def test_a_saved_query_still_takes_its_own_parameters_from_the_url(client: TestClient) -> None:
    assert client.get("/api/queries/cluster_ecosystem/run?cluster=cl-x&limit=5").status_code == 200
    assert client.get("/queries/cluster_ecosystem?cluster=cl-x&run=1").status_code == 200
    _refused(client.get("/api/queries/cluster_ecosystem/run?cluster=cl-x&bogus=1"), 422, "bogus")
    _refused(client.post("/api/queries/cluster_ecosystem/run?bogus=1", json={"params": {"cluster": "cl-x"}}),
             422, "query.bogus")


# -- control characters ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "url", "body", "field"), [
    ("GET", "/api/entities/ti%00sco", None, "path.entity_id"),
    ("GET", "/entity/ti%1Bsco", None, "path.entity_id"),
    ("GET", "/api/entities?q=%00", None, "query.q"),
    ("GET", "/api/entities?region=%E5%A4%AA%7F", None, "query.region"),
    ("GET", "/api/paths?from=tisco&to=a%08b", None, "query.to"),
    ("GET", "/api/analytics/gaps?cluster=%01", None, "query.cluster"),
    ("GET", "/api/queries/cluster_ecosystem/run?limit=5&format=js%00on", None, "query.format"),
    ("POST", "/export/map.html", {**VIEW, "title": "a\x00b"}, "body.title"),
    ("POST", "/export/map.html", {**VIEW, "graph": {"nodes": [{"id": "n", "properties": {"na\x1fme": "x"}}]}},
     "body.graph.nodes.0.properties.na\x1fme"),
    ("POST", "/export/map.html", {**VIEW, "graph": {"nodes": [{"id": "n", "labels": ["A\x00"]}]}},
     "body.graph.nodes.0.labels.0"),
    ("POST", "/api/cypher", {"query": "RETURN 1 // \x00"}, "body.query"),
    ("POST", "/api/queries", {"name": "q_nul", "title": "t\x07", "cypher": "RETURN 1"}, "body.title"),
])
def test_a_control_character_is_refused_naming_the_field(client: TestClient, method: str, url: str,
                                                         body: dict | None, field: str) -> None:
    error = _refused(client.request(method, url, json=body, headers=auth("analyst")), 422, field, "control character")
    assert any(".".join(map(str, d["location"])) == field for d in error["details"])


def test_tabs_and_newlines_are_ordinary_text(client: TestClient) -> None:
    assert client.get("/api/entities?q=%E5%A4%AA%09%0A%0D").status_code == 200
    assert client.post("/export/map.html", json={**VIEW, "title": "两行\n\t标题\r"}).status_code == 200


@pytest.mark.parametrize(("body", "field"), [
    (b'{"title": "\\ud800", "graph": {"nodes": []}}', "body.title"),
    (b'{"graph": {"nodes": [{"id": "n", "properties": {"a\\udfff": 1}}]}}', "body.graph.nodes.0.properties.a"),
])
def test_a_lone_surrogate_is_refused_naming_the_field(client: TestClient, body: bytes, field: str) -> None:
    """The 422 quotes the offending key, surrogate included: it is sent escaped rather than failing to encode."""
    error = _refused(client.post("/export/map.html", content=body, headers={"content-type": "application/json"}),
                     422, field)
    assert "surrogate" in error["message"]


# -- sizes ---------------------------------------------------------------------------------------------------
def test_a_body_over_the_limit_gets_a_413_before_it_is_processed(graph: GraphStore, tmp_path: Path) -> None:
    client = _app_client(graph, tmp_path, max_body_bytes=4096)
    big = {**VIEW, "title": "x", "note": {"padding": "x" * 5000}}
    error = _refused(client.post("/export/map.html", json=big), 413, "4096 bytes")
    assert error["code"] == "payload_too_large"

    def chunks():  # no Content-Length: refused once the bytes received pass the limit
        yield b'{"graph": {"nodes": []}, "note": {"padding": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}}'

    resp = client.post("/export/map.html", content=chunks(), headers={"content-type": "application/json"})
    assert _refused(resp, 413)["code"] == "payload_too_large"
    assert client.post("/export/map.html", json=VIEW).status_code == 200


def test_uploads_have_their_own_larger_limit(graph: GraphStore, tmp_path: Path) -> None:
    client = _app_client(graph, tmp_path, max_body_bytes=4096, max_upload_bytes=64 * 1024)
    csv = "type,id,name\n" + "".join(f"Enterprise,e{i},企业{i}\n" for i in range(400))
    files = {"files": ("e.csv", csv.encode(), "text/csv")}
    assert len(csv.encode()) > 4096
    assert client.post("/api/load?dry_run=true", files=files, headers=auth("editor")).status_code == 200
    files = {"files": ("e.csv", csv.encode() * 20, "text/csv")}
    _refused(client.post("/api/load?dry_run=true", files=files, headers=auth("editor")), 413, "65536 bytes")


def test_headers_over_the_limit_get_a_431(graph: GraphStore, tmp_path: Path) -> None:
    client = _app_client(graph, tmp_path, max_header_bytes=8192)
    assert client.get("/api/health", headers={"X-Padding": "a" * 4000}).status_code == 200
    error = _refused(client.get("/api/health", headers={"X-Padding": "a" * 9000}), 431, "8192")
    assert error["code"] == "headers_too_large"
    _refused(client.get("/api/entities?q=" + "a" * 9000), 431)


# -- unexpected errors ------------------------------------------------------------------------------------------
SECRET = "password=hunter2 at /srv/ecomap/secret.py"


def _failing_client(store: GraphStore, data_dir: Path) -> TestClient:
    client = _app_client(store, data_dir)
    router = APIRouter()

    @router.get("/api/test-fails")
    @router.get("/test-fails-page")
    def fails() -> None:
        raise RuntimeError(SECRET)

    client.app.include_router(router)
    return client


def test_an_unexpected_error_is_a_500_with_a_correlation_id_that_is_logged(
        graph: GraphStore, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    client = _failing_client(graph, tmp_path)
    with caplog.at_level(logging.ERROR, logger="app.errors"):
        resp = client.get("/api/test-fails", headers={"Accept": "text/html"})
    assert resp.status_code == 500 and resp.headers["content-type"].startswith("application/json")
    error = resp.json()["error"]
    assert error["code"] == "internal_error"
    correlation_id = error["details"]["correlation_id"]
    assert len(correlation_id) >= 16 and resp.headers["X-Correlation-ID"] == correlation_id
    for leak in ("Traceback", "RuntimeError", "hunter2", "/srv/", __file__, ".py"):
        assert leak not in resp.text
    logged = [r for r in caplog.records if correlation_id in r.getMessage()]
    assert logged and logged[0].exc_info and SECRET in str(logged[0].exc_info[1])
    assert "Traceback" in caplog.text and "/api/test-fails" in caplog.text


def test_a_page_that_fails_shows_the_error_page_with_its_id(graph: GraphStore, tmp_path: Path,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    client = _failing_client(graph, tmp_path)
    with caplog.at_level(logging.ERROR, logger="app.errors"):
        resp = client.get("/test-fails-page", headers={"Accept": "text/html,application/xhtml+xml"})
    assert resp.status_code == 500 and resp.headers["content-type"].startswith("text/html")
    correlation_id = resp.headers["X-Correlation-ID"]
    assert correlation_id in resp.text and correlation_id in caplog.text
    assert resp.text.index("服务器内部错误") < resp.text.index("An unexpected error occurred")
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]
    for leak in ("Traceback", "hunter2", "/srv/", __file__):
        assert leak not in resp.text
    assert client.get("/test-fails-page").headers["content-type"].startswith("application/json")
