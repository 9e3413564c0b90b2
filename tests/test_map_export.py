"""``ecomap map --out FILE.html``: a standalone file per view that opens from file:// with the network
blocked and draws the same nodes as the API's view."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from loaders import load_dataset
from tests.conftest import filled_graph
from tests.test_map_support import Blocker, app_on, chromium, wait_until

pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def curated(engine) -> Iterator[tuple[dict[str, str], TestClient]]:
    with (filled_graph(engine, lambda store: load_dataset(store, "shanxi")) as store,
          TestClient(app_on(engine, store)) as client):
        yield engine.env_for(store), client


@pytest.fixture(scope="module")
def offline_page() -> Iterator[Any]:
    """A page that can reach nothing: the context is offline and every routed request is aborted."""
    with chromium() as browser:
        context = browser.new_context(offline=True, viewport={"width": 1300, "height": 800})
        page = context.new_page()
        blocker = Blocker(None)
        errors: list[str] = []
        page.route("**/*", blocker)
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page
    assert blocker.blocked == [], f"the file made requests: {blocker.blocked}"
    assert errors == [], f"script errors: {errors}"


def ecomap(store_env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **store_env}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True,
                          timeout=180)


VIEWS = {
    "home": ([], "/?format=json"),
    "entity": (["--entity", "ent-tisco", "--depth", "2"], "/entity/ent-tisco?depth=2&format=json"),
    "cluster": (["--cluster", "cluster-new-materials"], "/api/clusters/cluster-new-materials/ecosystem"),
    "query": (["--query", "cluster_ecosystem", "-p", "cluster=cluster-rail-equipment"],
              "/api/queries/cluster_ecosystem/run?cluster=cluster-rail-equipment"),
}


@pytest.mark.parametrize("kind", sorted(VIEWS))
def test_the_standalone_file_draws_the_api_view_with_the_network_blocked(
        kind: str, curated: tuple[dict[str, str], TestClient], offline_page: Any, tmp_path: Path) -> None:
    graph, client = curated
    args, api_path = VIEWS[kind]
    out = tmp_path / f"{kind}.html"
    done = ecomap(graph, "map", "--out", str(out), *args)
    assert done.returncode == 0, done.stdout + done.stderr
    answer = client.get(api_path).json()
    if kind == "entity":  # the map page's view names the API call it draws
        assert answer["api"].startswith("/api/entities/ent-tisco/neighbors?depth=2")
        answer = client.get(answer["api"]).json()
    expected = {n["id"] for n in (answer["graph"] if kind in ("home", "query") else answer)["nodes"]}
    assert expected
    offline_page.goto(out.as_uri())
    wait_until(offline_page, "window.ecomap && window.ecomap.ready", 30)
    assert set(offline_page.evaluate("ecomap.visibleNodeIds()")) == expected
    assert offline_page.evaluate("ecomap.standalone") is True
    assert "default-src 'none'" in out.read_text(encoding="utf-8")  # and its CSP forbids any request
    if kind == "cluster":
        # The 补链 report travels inside the file.
        gaps = client.get("/api/analytics/gaps?cluster=cluster-new-materials").json()["clusters"][0]
        wait_until(offline_page, "document.querySelector('#gaps-score') !== null")
        missing = {f"gap:{r['role']}" for r in gaps["roles"] if not r["present"]}
        assert set(offline_page.evaluate("ecomap.ghostIds()")) == missing


def test_the_standalone_file_searches_offline_by_pinyin(curated: tuple[dict[str, str], TestClient],
                                                        offline_page: Any, tmp_path: Path) -> None:
    graph, _ = curated
    out = tmp_path / "home.html"
    assert ecomap(graph, "map", "--out", str(out)).returncode == 0
    offline_page.goto(out.as_uri())
    wait_until(offline_page, "window.ecomap && window.ecomap.ready", 30)
    offline_page.fill("#search", "taigang")
    offline_page.wait_for_selector("#search-results li[data-id='ent-tisco']")
    offline_page.press("#search", "Enter")
    wait_until(offline_page, "ecomap.focused === 'ent-tisco' && ecomap.detailsFor === 'ent-tisco'")
    assert "src-sxrb" in offline_page.inner_text("#details-provenance")


def test_map_command_errors_are_clear(curated: tuple[dict[str, str], TestClient], tmp_path: Path) -> None:
    graph, _ = curated
    out = tmp_path / "x.html"
    both = ecomap(graph, "map", "--out", str(out), "--entity", "ent-tisco", "--cluster", "x")
    assert both.returncode == 2 and "at most one" in both.stderr
    missing = ecomap(graph, "map", "--out", str(out), "--entity", "no-such-entity")
    assert missing.returncode == 1 and "no-such-entity" in missing.stderr
    bad = ecomap(graph, "map", "--out", str(out), "--query", "top_connected", "-p", "top=0")
    assert bad.returncode == 2 and "top" in bad.stderr
    assert not out.exists()
