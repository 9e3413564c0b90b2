"""State-changing requests must come from the server's own origin: a page on another port of the same host
(same site, so the SameSite=Strict cookie goes along) is refused; API clients with a key header and no
Origin keep working."""

from __future__ import annotations

import io

import pytest

from app.auth import SESSION_COOKIE
from app.main import create_app
from app.origin import origin_of
from app.settings import load_settings
from tests.api_helpers import KEYS, TestClient, auth, keys_setting

pytest_plugins = ["tests.api_fixtures"]

SERVER = "http://127.0.0.1:8000"
OTHER_PORT = "http://127.0.0.1:9999"
PROBE_ID = "origin-probe-node"
VIEW = {"graph": {"nodes": [], "relationships": []}}


def probe_file() -> dict:
    return {"files": ("probe.csv", io.BytesIO(f"type,id,name\nRegion,{PROBE_ID},探针\n".encode()), "text/csv")}


# (method, url, request keyword arguments, role whose cookie the browser holds)
WRITES = [
    ("POST", "/api/load?dry_run=true", lambda: {"files": probe_file()}, "editor"),
    ("POST", "/api/queries", lambda: {"json": {"name": "origin_probe", "title": "t", "cypher": "RETURN 1 AS one"}},
     "analyst"),
    ("POST", "/api/cypher", lambda: {"json": {"query": "RETURN 1 AS one"}}, "analyst"),
    ("POST", "/api/queries/top_connected/run", lambda: {"json": {}}, "viewer"),
    ("POST", "/export/map.html", lambda: {"json": VIEW}, "viewer"),
    ("POST", "/login", lambda: {"data": {"key": KEYS["viewer"], "next": "/"}}, "viewer"),
    ("POST", "/logout", lambda: {}, "viewer"),
]
IDS = [f"{m} {u}" for m, u, *_ in WRITES]


@pytest.fixture
def browser(graph, tmp_path):
    """A browser signed in on the server at SERVER (cookie set per test)."""
    settings = load_settings(data_dir=tmp_path, api_keys_raw=keys_setting())
    return TestClient(create_app(settings, store=graph), base_url=SERVER)


def send(client, method, url, kwargs, role, headers):
    client.cookies.set(SESSION_COOKIE, KEYS[role])
    return client.request(method, url, headers=headers, follow_redirects=False, **kwargs())


def assert_refused(r) -> None:
    assert r.status_code == 403, r.text
    error = r.json()["error"]
    assert error["code"] == "cross_origin" and "X-API-Key" in error["message"]


@pytest.mark.parametrize(("method", "url", "kwargs", "role"), WRITES, ids=IDS)
def test_a_page_on_another_port_is_refused(browser, method, url, kwargs, role) -> None:
    r = send(browser, method, url, kwargs, role, {"Origin": OTHER_PORT})
    assert_refused(r)
    assert OTHER_PORT in r.json()["error"]["message"] and SERVER in r.json()["error"]["message"]
    assert r.json()["error"]["details"] == {"origin": OTHER_PORT, "expected": SERVER}
    # without Origin, the Referer decides
    assert_refused(send(browser, method, url, kwargs, role, {"Referer": f"{OTHER_PORT}/attack.html"}))
    # a cookie request that shows neither cannot be checked, and is refused
    assert_refused(send(browser, method, url, kwargs, role, {}))
    # sandboxed frames and file:// pages send Origin: null
    assert_refused(send(browser, method, url, kwargs, role, {"Origin": "null"}))


@pytest.mark.parametrize(("method", "url", "kwargs", "role"), WRITES, ids=IDS)
def test_the_servers_own_pages_may_post(browser, method, url, kwargs, role) -> None:
    for headers in ({"Origin": SERVER}, {"Referer": f"{SERVER}/queries"}):
        r = send(browser, method, url, kwargs, role, headers)
        assert r.status_code in (200, 201, 303, 409), r.text


def test_a_cross_origin_upload_writes_nothing(browser, graph) -> None:
    r = send(browser, "POST", "/api/load", lambda: {"files": probe_file()}, "editor", {"Origin": OTHER_PORT})
    assert_refused(r)
    assert graph.read("MATCH (n {id: $id}) RETURN count(n)", {"id": PROBE_ID}).scalar() == 0


def test_api_clients_with_a_key_header_and_no_origin_keep_working(browser) -> None:
    r = browser.post("/api/cypher", json={"query": "RETURN 1 AS one"}, headers=auth("analyst"))
    assert r.status_code == 200 and r.json()["rows"] == [[1]]
    r = browser.post("/api/load?dry_run=true", files=probe_file(),
                     headers={"Authorization": f"Bearer {KEYS['editor']}"})
    assert r.status_code == 200 and r.json()["dry_run"] is True
    # a key header sent from another origin's page is refused all the same
    assert_refused(browser.post("/api/cypher", json={"query": "RETURN 1"},
                                headers={**auth("analyst"), "Origin": OTHER_PORT}))


def test_reads_are_not_checked(browser) -> None:
    browser.cookies.set(SESSION_COOKIE, KEYS["viewer"])
    assert browser.get("/api/stats", headers={"Origin": OTHER_PORT}).status_code == 200


@pytest.mark.parametrize(("url", "expected"), [
    ("http://127.0.0.1:8000", ("http", "127.0.0.1", 8000)),
    ("http://Example.test", ("http", "example.test", 80)),
    ("https://example.test:443/path?q", ("https", "example.test", 443)),
    ("http://[::1]:8000/", ("http", "::1", 8000)),
    ("null", None),
    ("file:///tmp/x.html", None),
    ("http://example.test:99999", None),
])
def test_origin_of(url, expected) -> None:
    assert origin_of(url) == expected


def test_a_default_port_matches_the_host_without_one(graph, tmp_path) -> None:
    settings = load_settings(data_dir=tmp_path, api_keys_raw=keys_setting())
    client = TestClient(create_app(settings, store=graph), base_url="https://ecomap.example")
    client.cookies.set(SESSION_COOKIE, KEYS["analyst"])
    r = client.post("/api/cypher", json={"query": "RETURN 1 AS one"}, headers={"Origin": "https://ecomap.example:443"})
    assert r.status_code == 200
    assert_refused(client.post("/api/cypher", json={"query": "RETURN 1"}, headers={"Origin": "http://ecomap.example"}))
