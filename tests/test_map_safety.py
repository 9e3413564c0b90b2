"""Names are data: entities named ``<img src=x onerror=alert(1)>`` and ``<script>alert(1)</script>``
render as text on every page and panel, in tooltips, search results, filters, tables and exports, and
no dialog ever fires."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.test_map_support import (
    XSS_IMG,
    XSS_SCRIPT,
    Blocker,
    build_graph,
    chromium,
    served_graph,
    wait_until,
)

pytest.importorskip("playwright.sync_api")

READY = "window.ecomap && window.ecomap.ready"

NO_INJECTED_MARKUP = """() => ({
    images: document.images.length,
    scripts: [...document.scripts]
        .filter(s => s.type !== 'application/json' && s.textContent.includes('alert(1)')).length,
    handlers: [...document.querySelectorAll('*')]
        .filter(e => [...e.attributes].some(a => a.name.startsWith('on'))).length,
})"""


@pytest.fixture(scope="module")
def hostile(engine) -> Iterator[str]:
    with served_graph(engine, build_graph) as base:
        yield base


@pytest.fixture(scope="module")
def page(hostile: str) -> Iterator[Any]:
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1400, "height": 860}, accept_downloads=True)
        pg = context.new_page()
        blocker = Blocker(hostile + "/")
        dialogs: list[str] = []
        errors: list[str] = []
        pg.route("**/*", blocker)
        pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        yield pg
    assert dialogs == [], f"a dialog fired: {dialogs}"
    assert errors == [], f"script errors: {errors}"
    assert blocker.blocked == [], f"requests left the server: {blocker.blocked}"


def assert_inert(page: Any) -> None:
    assert page.evaluate(NO_INJECTED_MARKUP) == {"images": 0, "scripts": 0, "handlers": 0}


def click_node(page: Any, node_id: str) -> None:
    point = page.evaluate("""(id) => {
        ecomap.network.moveTo({position: ecomap.network.getPosition(id), scale: 1.6, animation: false});
        const d = ecomap.network.canvasToDOM(ecomap.network.getPosition(id));
        const r = document.getElementById('map').getBoundingClientRect();
        return {x: r.left + d.x, y: r.top + d.y};
    }""", node_id)
    page.mouse.move(point["x"] - 20, point["y"] - 20)
    page.mouse.move(point["x"], point["y"], steps=4)
    wait_until(page, "!document.getElementById('tooltip').hidden")
    tooltip = page.inner_text("#tooltip")
    page.mouse.click(point["x"], point["y"])
    wait_until(page, f"ecomap.detailsFor === {json.dumps(node_id)}")
    return tooltip


def test_hostile_names_are_text_on_the_map_tooltips_panels_and_filters(page: Any, hostile: str) -> None:
    page.goto(hostile + "/")
    wait_until(page, READY)
    assert page.evaluate("ecomap.nodes.get('ent-xss-img').label").startswith("<img src=x")
    tooltip = click_node(page, "ent-xss-img")
    assert XSS_IMG in tooltip
    details = page.inner_text("#details")
    assert XSS_IMG in details and XSS_SCRIPT in details  # name, region, alias, description
    assert XSS_IMG in page.inner_text("#filter-region")
    click_node(page, "ent-xss-script")
    assert page.inner_text("#details-name") == XSS_SCRIPT
    assert XSS_IMG in page.inner_text("#details")  # its note
    page.click("#lang-toggle")
    assert page.evaluate("ecomap.nodes.get('ent-xss-img').label").startswith("<img src=x")
    page.click("#lang-toggle")
    assert_inert(page)


def test_hostile_names_are_text_in_search_results_and_entity_pages(page: Any, hostile: str) -> None:
    page.goto(hostile + "/")
    wait_until(page, READY)
    page.fill("#search", "<script>")
    page.wait_for_selector("#search-results li[data-id]")
    assert XSS_SCRIPT in page.inner_text("#search-results")
    assert_inert(page)
    page.goto(hostile + "/entity/ent-xss-img")
    wait_until(page, READY)
    assert page.inner_text("#view-title") == XSS_IMG
    assert XSS_IMG in page.inner_text("#view-note")
    assert page.title().startswith(XSS_IMG)
    assert_inert(page)


def test_hostile_names_are_text_in_query_tables_and_error_pages(page: Any, hostile: str) -> None:
    page.goto(hostile + "/queries/top_connected?run=1&top=20")
    table = page.inner_text("#result-table")
    assert XSS_IMG in table and XSS_SCRIPT in table
    assert_inert(page)
    page.goto(hostile + "/queries/cluster_ecosystem?run=1&cluster=cl-material")
    wait_until(page, READY)
    assert XSS_IMG in page.inner_text("#result-table")
    assert_inert(page)
    page.goto(hostile + "/entity/" + "%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    assert XSS_IMG in page.inner_text("main")
    assert_inert(page)


def test_hostile_names_are_text_in_the_exported_file(page: Any, hostile: str, tmp_path: Path) -> None:
    page.goto(hostile + "/")
    wait_until(page, READY)
    with page.expect_download() as download:
        page.click("#btn-html")
    target = tmp_path / "hostile.html"
    download.value.save_as(target)
    assert "<img src=x" not in target.read_text(encoding="utf-8")
    offline = page.context.browser.new_context(offline=True, viewport={"width": 1400, "height": 860})
    try:
        copy = offline.new_page()
        blocker = Blocker(None)
        dialogs: list[str] = []
        copy.route("**/*", blocker)
        copy.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        copy.goto(target.as_uri())
        wait_until(copy, READY)
        click_node(copy, "ent-xss-img")
        assert XSS_IMG in copy.inner_text("#details")
        copy.fill("#search", "<script")
        copy.wait_for_selector("#search-results li[data-id]")
        assert XSS_SCRIPT in copy.inner_text("#search-results")
        assert_inert(copy)
        assert dialogs == [] and blocker.blocked == []
    finally:
        offline.close()
