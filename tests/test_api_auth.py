"""Roles, keys and rate limits: 401 without a needed key, 403 for a weaker role, 429 past the limit."""

from __future__ import annotations

import io

import pytest

from app.auth import RateLimiter
from tests.api_helpers import KEYS, auth, keys_setting, make_client

VIEWER_ENDPOINTS = [("GET", "/api/stats"), ("GET", "/api/ontology"), ("GET", "/api/entities?q=x"),
                    ("GET", "/api/queries"), ("GET", "/api/export"), ("GET", "/api/paths?from=a&to=b"),
                    ("GET", "/api/queries/top_connected/run")]
CYPHER = ("POST", "/api/cypher", {"json": {"query": "RETURN 1 AS one"}})
SAVE = ("POST", "/api/queries", {"json": {"name": "auth_probe", "title": "t", "cypher": "RETURN 1 AS one"}})
LOAD = ("POST", "/api/load", {"files": {"files": ("x.csv", io.BytesIO(b"id,name\n"), "text/csv")}})

pytest_plugins = ["tests.api_fixtures"]


@pytest.fixture(scope="module")
def keyed(graph, tmp_path_factory):
    return make_client(graph, tmp_path_factory.mktemp("keyed"), keys_setting())


@pytest.fixture(scope="module")
def open_client(graph, tmp_path_factory):
    return make_client(graph, tmp_path_factory.mktemp("open"), "")


def call(client, method, url, kwargs=None, headers=None):
    return client.request(method, url, headers=headers or {}, **(kwargs or {}))


@pytest.mark.parametrize(("method", "url"), VIEWER_ENDPOINTS)
def test_viewer_endpoints_need_a_key_when_keys_are_configured(keyed, method, url) -> None:
    r = call(keyed, method, url)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    assert r.headers["WWW-Authenticate"] == "Bearer"
    assert call(keyed, method, url, headers={"X-API-Key": "not-a-valid-key"}).status_code == 401
    for role in ("viewer", "analyst", "editor"):
        code = call(keyed, method, url, headers=auth(role)).status_code
        assert code not in (401, 403) and code < 500, role


@pytest.mark.parametrize(("method", "url"), VIEWER_ENDPOINTS)
def test_viewer_endpoints_are_open_without_configured_keys(open_client, method, url) -> None:
    code = call(open_client, method, url).status_code
    assert code not in (401, 403) and code < 500


def test_bearer_token_works_like_the_header(keyed) -> None:
    assert keyed.get("/api/stats", headers={"Authorization": f"Bearer {KEYS['viewer']}"}).status_code == 200
    assert keyed.get("/api/stats", headers={"Authorization": "Bearer wrong-key-123"}).status_code == 401


@pytest.mark.parametrize("endpoint", [CYPHER, SAVE], ids=["cypher", "save-query"])
def test_analyst_endpoints_refuse_viewers_and_anonymous(keyed, open_client, endpoint) -> None:
    method, url, kwargs = endpoint
    assert call(keyed, method, url, kwargs).status_code == 401
    r = call(keyed, method, url, kwargs, auth("viewer"))
    assert r.status_code == 403 and "analyst" in r.json()["error"]["message"]
    r = call(open_client, method, url, kwargs)
    assert r.status_code == 401 and "ECOMAP_API_KEYS" in r.json()["error"]["message"]


def test_analysts_and_editors_may_run_cypher(keyed) -> None:
    for role in ("analyst", "editor"):
        r = call(keyed, *CYPHER[:2], CYPHER[2], auth(role))
        assert r.status_code == 200 and r.json()["rows"] == [[1]]


def test_load_needs_an_editor(keyed) -> None:
    method, url, kwargs = LOAD
    assert call(keyed, method, url, kwargs).status_code == 401
    for role in ("viewer", "analyst"):
        assert call(keyed, method, url, kwargs, auth(role)).status_code == 403, role
    assert call(keyed, method, url, kwargs, auth("editor")).status_code not in (401, 403)


def test_cypher_is_rate_limited_per_key_with_retry_after(keyed) -> None:
    keyed.app.state.services.rate_limiters = {"cypher": RateLimiter(per_minute=1, burst=2)}
    try:
        codes = [call(keyed, *CYPHER[:2], CYPHER[2], auth("analyst")).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        r = call(keyed, *CYPHER[:2], CYPHER[2], auth("analyst"))
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert r.json()["error"]["code"] == "rate_limited"
        # Another key has its own bucket.
        assert call(keyed, *CYPHER[:2], CYPHER[2], auth("editor")).status_code == 200
    finally:
        keyed.app.state.services.rate_limiters = {}


def test_load_is_rate_limited(keyed) -> None:
    keyed.app.state.services.rate_limiters = {"load": RateLimiter(per_minute=1, burst=1)}
    try:
        method, url, kwargs = LOAD
        first = call(keyed, method, url, kwargs, auth("editor"))
        kwargs = {"files": {"files": ("x.csv", io.BytesIO(b"id,name\n"), "text/csv")}}
        second = call(keyed, method, url, kwargs, auth("editor"))
        assert first.status_code != 429 and second.status_code == 429
        assert "Retry-After" in second.headers
    finally:
        keyed.app.state.services.rate_limiters = {}


def test_rate_limiter_refills_over_time() -> None:
    limiter = RateLimiter(per_minute=60, burst=1)
    assert limiter.take("k") == 0
    wait = limiter.take("k")
    assert 0 < wait <= 1.0
    limiter._buckets["k"] = (0.0, limiter._buckets["k"][1] - 1.0)  # one second later
    assert limiter.take("k") == 0
