"""Browsers sign in once: with keys configured, pages redirect to /login, and the key is then kept in
an HttpOnly cookie that the pages and their API calls use."""

from __future__ import annotations

import pytest

from app.auth import SESSION_COOKIE
from tests.api_helpers import KEYS, keys_setting, make_client

pytest_plugins = ["tests.api_fixtures"]

HTML = {"Accept": "text/html"}


@pytest.fixture
def browser(graph, tmp_path_factory):
    return make_client(graph, tmp_path_factory.mktemp("session"), keys_setting())


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
