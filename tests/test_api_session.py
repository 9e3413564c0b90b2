"""Browsers sign in once: with keys configured, pages redirect to /login, and the key is then kept in
an HttpOnly cookie that the pages and their API calls use. Too many wrong keys from one address are
answered 429 for a while, for that address only."""

from __future__ import annotations

import time

import pytest

from app.auth import SESSION_COOKIE, FailureThrottle
from tests.api_helpers import KEYS, TestClient, keys_setting, make_client

pytest_plugins = ["tests.api_fixtures"]

HTML = {"Accept": "text/html"}
SERVER = "http://testserver"


@pytest.fixture
def browser(graph, tmp_path_factory):
    """A browser on the server's own pages: its posts carry the server's Origin."""
    client = make_client(graph, tmp_path_factory.mktemp("session"), keys_setting())
    client.headers["Origin"] = SERVER
    return client


def sign_in(client, key: str):
    return client.post("/login", data={"key": key, "next": "/"}, follow_redirects=False)


def test_a_page_without_a_key_redirects_to_the_sign_in_form(browser) -> None:
    page = browser.get("/clusters/x", headers=HTML, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/clusters/x"
    form = browser.get("/login?next=/clusters/x")
    assert form.status_code == 200 and 'name="key"' in form.text and 'value="/clusters/x"' in form.text
    # API clients keep getting the JSON error
    assert browser.get("/api/stats").status_code == 401


def test_a_wrong_key_is_refused_and_sets_no_cookie(browser) -> None:
    answer = browser.post("/login", data={"key": "not-a-configured-key", "next": "/"}, follow_redirects=False)
    assert answer.status_code == 401 and SESSION_COOKIE not in answer.cookies
    assert browser.get("/", headers=HTML, follow_redirects=False).status_code == 303


def test_signing_in_opens_pages_and_api_calls(browser) -> None:
    answer = browser.post("/login", data={"key": KEYS["viewer"], "next": "/queries"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/queries"
    set_cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in set_cookie and "samesite=strict" in set_cookie
    assert browser.get("/queries", headers=HTML).status_code == 200
    assert browser.get("/api/stats").json()["nodes"] > 0
    # the cookie carries the key's role, no more: a viewer cannot run ad-hoc Cypher
    assert browser.post("/api/cypher", json={"query": "RETURN 1"}).status_code == 403
    browser.post("/logout", follow_redirects=False)
    assert browser.get("/api/stats").status_code == 401


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_sign_in_never_redirects_to_another_host(browser, target: str) -> None:
    answer = browser.post("/login", data={"key": KEYS["viewer"], "next": target}, follow_redirects=False)
    assert answer.headers["location"] == "/"


def test_too_many_wrong_keys_are_answered_429_for_that_address_only(browser) -> None:
    services = browser.app.state.services
    services.failed_keys = FailureThrottle(limit=3, window_s=60)
    assert [sign_in(browser, f"wrong-key-{i:04d}").status_code for i in range(3)] == [401] * 3
    answer = sign_in(browser, KEYS["viewer"])
    assert answer.status_code == 429 and 55 <= int(answer.headers["Retry-After"]) <= 60
    assert "Too many wrong keys" in answer.text and SESSION_COOKIE not in answer.cookies
    # the throttled address's API calls with a key are refused too; another address is not affected
    r = browser.get("/api/stats", headers={"X-API-Key": KEYS["viewer"]})
    assert r.status_code == 429 and r.json()["error"]["code"] == "too_many_failed_keys"
    other = TestClient(browser.app, client=("198.51.100.7", 40000), headers={"Origin": SERVER})
    assert sign_in(other, KEYS["viewer"]).status_code == 303
    assert other.get("/api/stats").status_code == 200


def test_failures_are_forgotten_after_the_window(browser) -> None:
    throttle = browser.app.state.services.failed_keys = FailureThrottle(limit=2, window_s=0.5)
    for _ in range(2):
        sign_in(browser, "wrong-key-0000")
    assert sign_in(browser, KEYS["viewer"]).status_code == 429
    assert 0 < throttle.retry_after("testclient") <= 0.5
    time.sleep(0.6)
    assert sign_in(browser, KEYS["viewer"]).status_code == 303


def test_a_signed_in_post_from_another_origin_is_refused(browser) -> None:
    sign_in(browser, KEYS["viewer"])
    r = browser.post("/logout", headers={"Origin": "http://testserver:9999"}, follow_redirects=False)
    assert r.status_code == 403 and r.json()["error"]["code"] == "cross_origin"
    assert browser.get("/api/stats").status_code == 200  # still signed in
