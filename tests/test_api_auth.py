"""Roles, keys and rate limits: 401 without a needed key, 403 for a weaker role, 429 past the limit, and
429 for an address that sent too many wrong keys (never for other addresses)."""

from __future__ import annotations

import hmac
import io

import pytest

from app.auth import FailureThrottle, RateLimiter, lookup_role
from app.settings import load_settings
from tests.api_helpers import KEYS, TestClient, auth, keys_setting, make_client

VIEWER_ENDPOINTS = [("GET", "/api/stats"), ("GET", "/api/ontology"), ("GET", "/api/entities?q=x"),
                    ("GET", "/api/queries"), ("GET", "/api/export"), ("GET", "/api/paths?from=a&to=b"),
                    ("GET", "/api/queries/top_connected/run")]
CYPHER = ("POST", "/api/cypher", {"json": {"query": "RETURN 1 AS one"}})
SAVE = ("POST", "/api/queries", {"json": {"name": "auth_probe", "title": "t", "cypher": "RETURN 1 AS one"}})
LOAD = ("POST", "/api/load", {"files": {"files": ("x.csv", io.BytesIO(b"id,name\n"), "text/csv")}})

pytest_plugins = ["tests.api_fixtures"]


@pytest.fixture
def keyed(graph, tmp_path_factory):
    """A client of an app with one key per role; a new app per test, so no test sees another's wrong keys."""
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


def test_an_address_sending_wrong_keys_is_throttled_and_others_are_not(keyed) -> None:
    keyed.app.state.services.failed_keys = FailureThrottle(limit=10, window_s=60)
    codes = [keyed.get("/api/stats", headers={"X-API-Key": f"guess-{i:010d}"}).status_code for i in range(10)]
    assert codes == [401] * 10
    for headers in ({"X-API-Key": "guess-0000000010"}, auth("editor"),
                    {"Authorization": f"Bearer {KEYS['viewer']}"}):
        r = keyed.get("/api/stats", headers=headers)
        assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
        error = r.json()["error"]
        assert error["code"] == "too_many_failed_keys" and "ECOMAP_API_KEYS" in error["message"]
    other = TestClient(keyed.app, client=("203.0.113.9", 51000))
    assert other.get("/api/stats", headers=auth("viewer")).status_code == 200
    assert other.get("/api/stats", headers={"X-API-Key": "guess-other-1"}).status_code == 401
    # requests that present no key are not key attempts
    assert keyed.get("/api/stats").status_code == 401


def test_the_failure_throttle_forgets_old_addresses_past_its_bound() -> None:
    throttle = FailureThrottle(limit=1, window_s=60, max_clients=3)
    for client in ("a", "b", "c", "d"):
        throttle.record(client)
    assert throttle.retry_after("d") > 0 and throttle.retry_after("a") == 0
    assert len(throttle._failures) == 3


def test_every_configured_key_is_compared_in_constant_time(monkeypatch) -> None:
    settings = load_settings(api_keys_raw=keys_setting())
    compared: list[tuple[bytes, bytes]] = []
    compare = hmac.compare_digest

    def recording(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(hmac, "compare_digest", recording)
    for presented in (KEYS["viewer"], KEYS["editor"], "no-such-key-00"):
        compared.clear()
        role = lookup_role(settings, presented)
        assert len(compared) == len(KEYS)  # no early exit on a match
        assert (role.value if role else None) == {v: k for k, v in KEYS.items()}.get(presented)
