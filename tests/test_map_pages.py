"""The 创新生态云图 pages in headless Chromium, on the curated dataset: what is drawn, search, details,
filters, expansion, saved queries, language, screenshots and the in-browser HTML export. Every request
to another host is aborted and counted; every test ends with none counted, no dialog and no script error.

Expected values come from the JSON API, never from the page itself.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph.analytics import Analytics
from graph.store import GraphStore
from loaders import load_dataset, load_paths
from loaders.generate import generate
from tests.test_map_support import (
    ARTIFACTS,
    OUTSIDE_VIEWPORT,
    READY,
    Blocker,
    api,
    chromium,
    node_point,
    open_map,
    pixel_stats,
    served_graph,
    settled_and_fitted,
    wait_until,
    watched_page,
)

pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def site(engine) -> Iterator[str]:
    """The app on a graph holding the curated dataset and the analytics written back (importance,
    community), served on a loopback port."""
    def fill(store: GraphStore) -> None:
        load_dataset(store, "shanxi")
        Analytics(store).write_back()

    with served_graph(engine, fill) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any, site: str) -> Iterator[Any]:
    with watched_page(browser, site) as pg:
        yield pg


def visible(page: Any) -> set[str]:
    return set(page.evaluate("ecomap.visibleNodeIds()"))


def all_entities(base: str) -> list[dict]:
    items, cursor = [], None
    while True:
        page = api(base, "/api/entities?limit=100" + (f"&cursor={cursor}" if cursor else ""))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


# -- the home map --------------------------------------------------------------------------------------------
def test_home_draws_the_curated_ecosystem_with_a_legend_of_every_type(page: Any, site: str) -> None:
    open_map(page, site + "/")
    drawn = visible(page)
    view = api(site, "/?format=json")
    assert drawn == {n["id"] for n in view["graph"]["nodes"]}
    # The home view is the whole curated graph but its source documents (shown in the details panel).
    entities = all_entities(site)
    assert drawn == {e["id"] for e in entities if e["type"] != "Source"}
    stats = api(site, "/api/stats")
    assert len(drawn) == stats["nodes"] - stats["by_type"].get("Source", 0)
    assert set(page.evaluate("ecomap.visibleEdgeIds()")) == {
        f"{r['start']}|{r['type']}|{r['end']}" for r in view["graph"]["relationships"]}
    types_present = {e["type"] for e in entities if e["id"] in drawn}
    legend = set(page.eval_on_selector_all("#legend-types li", "els => els.map(e => e.dataset.type)"))
    assert legend == types_present
    assert page.inner_text("#view-note").startswith(f"显示全部 {len(drawn)} 个节点")
    assert page.evaluate("ecomap.network.physics.physicsEnabled") is False  # stabilised, then stopped


def test_a_cut_home_map_says_what_it_shows_and_how_to_see_more(page: Any, site: str) -> None:
    open_map(page, site + "/?limit=12")
    view = api(site, "/?format=json&limit=12")
    assert view["graph"]["truncated"] is True
    assert visible(page) == {n["id"] for n in view["graph"]["nodes"]} and len(visible(page)) == 12
    note = page.inner_text("#view-note")
    assert "12" in note and str(view["note"]["total"]) in note and "?limit=" in note


def test_nodes_are_sized_by_importance_and_can_be_coloured_by_community(page: Any, site: str) -> None:
    open_map(page, site + "/")
    view = api(site, "/?format=json")
    importance = {n["id"]: n["properties"]["importance"] for n in view["graph"]["nodes"]}
    community = {n["id"]: n["properties"].get("community") for n in view["graph"]["nodes"]}
    values = page.evaluate("Object.fromEntries(ecomap.nodes.get().map(n => [n.id, n.value]))")
    assert values == importance
    page.select_option("#colour-by", "community")
    colours = page.evaluate("Object.fromEntries(ecomap.nodes.get().map(n => [n.id, n.color.background]))")
    by_community: dict[Any, set[str]] = {}
    for node_id, c in community.items():
        by_community.setdefault(c, set()).add(colours[node_id])
    assert all(len(found) == 1 for found in by_community.values()), by_community  # one colour per community
    assert len(set().union(*by_community.values())) > 1
    assert page.locator("#legend-communities li[data-community]").count() == min(12, len(by_community))
    page.select_option("#colour-by", "type")
    tisco = page.evaluate("ecomap.nodes.get('ent-tisco').color.background")
    assert tisco == next(t["color"] for t in api(site, "/api/ontology")["node_types"] if t["label"] == "Enterprise")


# -- search, details -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("query", ["太钢", "钢铁", "taigang", "tg"])
def test_search_by_chinese_alias_pinyin_or_initials_focuses_the_node(page: Any, site: str, query: str) -> None:
    expected = api(site, "/api/entities?limit=1&q=" + urllib.request.quote(query))["items"][0]["id"]
    if query in ("太钢", "钢铁", "taigang"):
        assert expected == "ent-tisco"
    open_map(page, site + "/")
    page.fill("#search", query)
    page.wait_for_selector(f"#search-results li[data-id='{expected}']")
    assert page.get_attribute("#search-results li:first-child", "data-id") == expected
    page.press("#search", "Enter")
    wait_until(page, f"ecomap.focused === {json.dumps(expected)} && ecomap.detailsFor === {json.dumps(expected)}")
    assert page.evaluate("ecomap.network.getSelectedNodes()") == [expected]
    name = api(site, f"/api/entities/{expected}")["node"]["properties"]["name"]
    assert page.inner_text("#details-name") == name


def test_clicking_a_node_shows_its_properties_and_sources(page: Any, site: str) -> None:
    open_map(page, site + "/")
    detail = api(site, "/api/entities/ent-tisco")
    point = node_point(page, "ent-tisco")
    page.mouse.click(point["x"], point["y"])
    wait_until(page, "ecomap.detailsFor === 'ent-tisco'")
    props = page.inner_text("#details-properties")
    for value in (detail["node"]["properties"]["name"], detail["node"]["properties"]["name_en"], "太钢"):
        assert value in props
    sources = page.inner_text("#details-provenance")
    assert detail["provenance"], "the curated entity cites its source"
    for p in detail["provenance"]:
        assert p["title"] in sources and f"{p['source_id']}#{p['section']}" in sources
        if p["section_title"]:
            assert p["section_title"] in sources
    hrefs = page.eval_on_selector_all("#details-provenance a.citation", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs == [f"/sources/{p['source_id']}/{p['section']}" for p in detail["provenance"]]
    # Links to the neighbours in the map and to the API JSON.
    links = page.eval_on_selector_all("#details a.api-link", "els => els.map(e => e.getAttribute('href'))")
    assert "/api/entities/ent-tisco" in links and "/api/entities/ent-tisco/neighbors" in links
    neighbour_ids = set(page.eval_on_selector_all("#details-neighbours a", "els => els.map(e => e.dataset.id)"))
    api_neighbours = api(site, "/api/entities/ent-tisco/neighbors?limit=500")
    drawn = visible(page)
    assert neighbour_ids == {n["id"] for n in api_neighbours["nodes"] if n["id"] in drawn} - {"ent-tisco"}


def test_hovering_a_relationship_names_its_type(page: Any, site: str) -> None:
    open_map(page, site + "/")
    edge = page.evaluate("ecomap.visibleEdgeIds().find(id => id.startsWith('ent-tisco|'))")
    start, rel_type, end = edge.split("|")
    page.evaluate("""([a, b]) => {
        const pa = ecomap.network.getPosition(a), pb = ecomap.network.getPosition(b);
        ecomap.network.moveTo({position: {x: (pa.x + pb.x) / 2, y: (pa.y + pb.y) / 2}, scale: 1.5, animation: false});
    }""", [start, end])
    mid = page.evaluate("""([a, b]) => {
        const pa = ecomap.network.canvasToDOM(ecomap.network.getPosition(a));
        const pb = ecomap.network.canvasToDOM(ecomap.network.getPosition(b));
        const r = document.getElementById('map').getBoundingClientRect();
        return {x: r.left + (pa.x + pb.x) / 2, y: r.top + (pa.y + pb.y) / 2};
    }""", [start, end])
    page.mouse.move(mid["x"] - 30, mid["y"] - 30)
    page.mouse.move(mid["x"], mid["y"], steps=5)
    wait_until(page, "!document.getElementById('tooltip').hidden")
    zh = next(r["zh"] for r in api(site, "/api/ontology")["relationship_types"] if r["name"] == rel_type)
    assert zh in page.inner_text("#tooltip") and rel_type in page.inner_text("#tooltip")


# -- filters ---------------------------------------------------------------------------------------------------
def _toggle(page: Any, group: str, value: str) -> None:
    page.click(f"input[data-filter='{group}'][value='{value}']")


def test_each_filter_hides_and_shows_the_right_nodes(page: Any, site: str) -> None:
    open_map(page, site + "/")
    view = api(site, "/?format=json")
    nodes = {n["id"]: n for n in view["graph"]["nodes"]}
    everything = set(nodes)
    assert visible(page) == everything

    def props(i: str) -> dict:
        return nodes[i]["properties"]

    _toggle(page, "type", "Enterprise")
    assert visible(page) == {i for i in everything if nodes[i]["type"] != "Enterprise"}
    _toggle(page, "type", "Enterprise")
    assert visible(page) == everything

    _toggle(page, "liuxin", "新材料")
    assert visible(page) == {i for i in everything if set(props(i).get("liuxin") or []) - {"新材料"}
                             or not props(i).get("liuxin")}
    _toggle(page, "liuxin", "新材料")
    assert visible(page) == everything

    _toggle(page, "region", "山西省")
    assert visible(page) == {i for i in everything if props(i).get("region") != "山西省"}
    _toggle(page, "region", "山西省")
    assert visible(page) == everything

    member_of = {f"{r['start']}|{r['type']}|{r['end']}" for r in view["graph"]["relationships"]
                 if r["type"] == "MEMBER_OF"}
    assert member_of
    _toggle(page, "rel", "MEMBER_OF")
    assert member_of.isdisjoint(page.evaluate("ecomap.visibleEdgeIds()"))
    assert visible(page) == everything  # a relationship filter hides relationships, not nodes
    _toggle(page, "rel", "MEMBER_OF")
    assert member_of <= set(page.evaluate("ecomap.visibleEdgeIds()"))


def test_the_depth_filter_keeps_what_is_within_that_many_hops(page: Any, site: str) -> None:
    open_map(page, site + "/entity/ent-tisco?depth=3")
    view_api = api(site, "/entity/ent-tisco?depth=3&format=json")["api"]  # the API call this view draws
    assert "depth=3" in view_api
    three = {n["id"] for n in api(site, view_api)["nodes"]}
    one = {n["id"] for n in api(site, view_api.replace("depth=3", "depth=1"))["nodes"]}
    two = {n["id"] for n in api(site, view_api.replace("depth=3", "depth=2"))["nodes"]}
    assert visible(page) == three and one < two < three
    page.select_option("#filter-depth", "1")
    assert visible(page) == one
    page.select_option("#filter-depth", "2")
    assert visible(page) == two
    page.select_option("#filter-depth", "0")
    assert visible(page) == three


def _only(page: Any, group: str, value: str) -> None:
    page.click(f"button[data-only='{group}'][data-value='{value}']")


def _edge_ids(rels: list[dict]) -> list[str]:
    return [f"{r['start']}|{r['type']}|{r['end']}" for r in rels]


def test_only_this_leaves_one_entry_the_banner_says_so_and_the_view_fits_it(page: Any, site: str) -> None:
    open_map(page, site + "/")
    view = api(site, "/?format=json")
    nodes = {n["id"]: n for n in view["graph"]["nodes"]}
    rels = view["graph"]["relationships"]
    ontology = api(site, "/api/ontology")
    type_zh = {t["label"]: t["zh"] for t in ontology["node_types"]}
    type_en = {t["label"]: t["en"] for t in ontology["node_types"]}
    banner = "#view-banner"
    assert page.inner_text(banner).startswith(page.inner_text("#view-note"))  # the view's note comes first
    everything = f"显示 {len(nodes)} / {len(nodes)} 个节点、{len(rels)} / {len(rels)} 条关系 · 未筛选"
    assert everything in page.inner_text(banner)

    # Zoomed in on one node, most of the map is off screen; "only this" then fits what is left.
    page.evaluate("ecomap.network.moveTo({position: ecomap.network.getPosition('ent-tisco'), scale: 3, "
                  "animation: false})")
    assert page.evaluate(OUTSIDE_VIEWPORT)
    _only(page, "type", "Enterprise")
    firms = {i for i, n in nodes.items() if n["type"] == "Enterprise"}
    assert visible(page) == firms and 1 < len(firms) < len(nodes)
    firm_rels = [r for r in rels if r["start"] in firms and r["end"] in firms]
    assert set(page.evaluate("ecomap.visibleEdgeIds()")) == set(_edge_ids(firm_rels))
    text = page.inner_text(banner)
    assert f"显示 {len(firms)} / {len(nodes)} 个节点、{len(firm_rels)} / {len(rels)} 条关系" in text
    assert f"筛选：类型 = {type_zh['Enterprise']}" in text
    assert settled_and_fitted(page) == []
    assert page.evaluate("ecomap.network.physics.physicsEnabled") is False  # settled again, then stopped
    page.click("#lang-toggle")
    text = page.inner_text(banner)
    assert f"Showing {len(firms)} / {len(nodes)} nodes, {len(firm_rels)} / {len(rels)} relationships" in text
    assert f"Filters: Type = {type_en['Enterprise']}" in text
    page.click("#lang-toggle")

    page.click("#filters-reset")
    assert visible(page) == set(nodes)
    page.click("#btn-fit")
    _only(page, "liuxin", "新材料")
    assert visible(page) == {i for i, n in nodes.items() if "新材料" in (n["properties"].get("liuxin") or [])}
    assert "筛选：六新 = 新材料" in page.inner_text(banner)
    page.click("#filters-reset")
    _only(page, "region", "山西省")
    assert visible(page) == {i for i, n in nodes.items() if n["properties"].get("region") == "山西省"}
    page.click("#filters-reset")
    _only(page, "rel", "MEMBER_OF")
    assert visible(page) == set(nodes)
    member_of = [r for r in rels if r["type"] == "MEMBER_OF"]
    assert set(page.evaluate("ecomap.visibleEdgeIds()")) == set(_edge_ids(member_of))
    assert f"{len(nodes)} / {len(nodes)} 个节点、{len(member_of)} / {len(rels)} 条关系" in page.inner_text(banner)
    page.click("#filters-reset")
    assert "未筛选" in page.inner_text(banner)


def test_regions_are_listed_by_level_with_unstated_last(page: Any, site: str) -> None:
    open_map(page, site + "/")
    view = api(site, "/?format=json")
    levels = {n["properties"]["name"]: n["properties"].get("level") for n in view["graph"]["nodes"]
              if n["type"] == "Region"}
    order = ["省", "市", "县", "区域"]
    listed = page.eval_on_selector_all("input[data-filter='region']", "els => els.map(e => e.value)")
    regions = {n["properties"].get("region") or "\u0000none" for n in view["graph"]["nodes"]}
    assert set(listed) == regions
    assert listed[-1] == "\u0000none"   # 未注明, last

    def rank(value: str) -> int:
        if value == "\u0000none":
            return len(order) + 1
        level = levels.get(value)
        return order.index(level) if level in order else len(order)

    ranks = [rank(v) for v in listed]
    assert ranks == sorted(ranks) and len(set(ranks)) > 2
    headings = page.eval_on_selector_all("#filter-region .filter-level", "els => els.map(e => e.dataset.level)")
    assert headings[:2] == [lvl for lvl in order if lvl in {levels.get(v) for v in listed}][:2]


# -- expansion ---------------------------------------------------------------------------------------------------
def test_double_click_adds_exactly_the_neighbours_the_api_returns(page: Any, site: str) -> None:
    open_map(page, site + "/?limit=8")
    before = visible(page)
    target = next(i for i in sorted(before) if {n["id"] for n in api(
        site, f"/api/entities/{i}/neighbors?limit=200")["nodes"]} - before)
    answer = api(site, f"/api/entities/{target}/neighbors?depth=1&limit=200")
    api_ids = {n["id"] for n in answer["nodes"]}
    point = node_point(page, target)
    page.mouse.dblclick(point["x"], point["y"])
    wait_until(page, f"ecomap.lastExpansion && ecomap.lastExpansion.id === {json.dumps(target)}")
    assert visible(page) == before | api_ids
    assert set(page.evaluate("ecomap.lastExpansion.added")) == api_ids - before
    edges = set(page.evaluate("ecomap.edges.getIds()"))
    assert {f"{r['start']}|{r['type']}|{r['end']}" for r in answer["relationships"]} <= edges
    held = len(before | api_ids)
    name = api(site, f"/api/entities/{target}")["node"]["properties"]["name"]
    banner = page.inner_text("#view-banner")
    assert f"显示 {held} / {held} 个节点" in banner and f"已展开：{name}" in banner


# -- saved queries -------------------------------------------------------------------------------------------
def test_a_saved_query_page_runs_with_parameters_and_shows_table_and_map(page: Any, site: str) -> None:
    page.goto(site + "/queries")
    assert page.locator("#query-list a[href='/queries/cluster_ecosystem']").count() == 1
    cluster = "cluster-rail-equipment"
    expected = api(site, f"/api/queries/cluster_ecosystem/run?cluster={cluster}")
    assert expected["rows"] and expected["graph"]["nodes"]
    page.goto(site + "/queries/cluster_ecosystem")
    page.fill("#p-cluster", cluster)
    page.click("#query-form button[type=submit]")
    wait_until(page, READY, 30)
    assert page.locator("#result-table tbody tr").count() == len(expected["rows"])
    # Each header names its column (shown in the reader's language, keyed by the query's column name).
    headers = page.eval_on_selector_all("#result-table th", "els => els.map(e => e.dataset.column || e.textContent)")
    assert headers == expected["columns"]
    assert visible(page) == {n["id"] for n in expected["graph"]["nodes"]}
    assert page.input_value("#query-form [name='cluster']") == cluster   # the form keeps what it sent


def test_a_table_query_checks_its_parameters(page: Any, site: str) -> None:
    page.goto(site + "/queries/top_connected?run=1&top=3")
    assert page.locator("#result-table tbody tr").count() == 3
    assert page.locator("#map").count() == 0
    page.goto(site + "/queries/top_connected?run=1&top=0")
    assert page.locator(".field.has-error").count() == 1
    assert page.locator("#result-table").count() == 0


# -- language ------------------------------------------------------------------------------------------------
def test_the_english_toggle_switches_labels_and_interface(page: Any, site: str) -> None:
    open_map(page, site + "/")
    page.click("#lang-toggle")
    name_en = api(site, "/api/entities/ent-tisco")["node"]["properties"]["name_en"]
    assert page.evaluate("ecomap.nodes.get('ent-tisco').label") == name_en[:17] + "…"
    assert page.inner_text(".nav a[href='/']") == "Map"
    assert page.inner_text("#view-note").startswith("All ")
    page.click("#lang-toggle")
    assert page.inner_text(".nav a[href='/']") == "云图"


# -- pictures and export ---------------------------------------------------------------------------------------
def _map_is_drawn(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    stats = pixel_stats(page, page.locator("#map").screenshot())
    assert stats["variance"] > 150 and stats["colours"] > 40, f"the map of {name} looks blank: {stats}"


def test_screenshots_of_home_and_a_cluster_are_not_blank(page: Any, site: str) -> None:
    open_map(page, site + "/")
    _map_is_drawn(page, "map-home")
    open_map(page, site + "/clusters/cluster-new-materials")
    wait_until(page, "document.querySelector('#gaps-score') !== null")
    expected = api(site, "/api/clusters/cluster-new-materials/ecosystem")
    assert visible(page) == {n["id"] for n in expected["nodes"]}
    gaps = api(site, "/api/analytics/gaps?cluster=cluster-new-materials")["clusters"][0]
    missing = {r["role"] for r in gaps["roles"] if not r["present"]}
    assert set(page.evaluate("ecomap.ghostIds()")) == {f"gap:{r}" for r in missing}
    assert page.locator("#gaps-roles li[data-role]:not(.present):not([data-status='present'])").count() == len(missing)
    _map_is_drawn(page, "map-cluster")


def test_png_export_is_the_drawn_canvas(page: Any, site: str) -> None:
    open_map(page, site + "/")
    with page.expect_download() as download:
        page.click("#btn-png")
    path = download.value.path()
    png = Path(path).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert pixel_stats(page, png)["variance"] > 150


def test_the_html_export_opened_from_file_draws_the_same_nodes(page: Any, site: str, browser: Any,
                                                                 tmp_path: Path) -> None:
    open_map(page, site + "/?limit=30")
    point = node_point(page, sorted(visible(page))[0])
    page.mouse.dblclick(point["x"], point["y"])
    wait_until(page, "ecomap.lastExpansion !== null")
    _toggle(page, "type", "Region")
    shown = visible(page)
    with page.expect_download() as download:
        page.click("#btn-html")
    target = tmp_path / "export.html"
    download.value.save_as(target)
    offline = browser.new_context(offline=True)
    try:
        copy = offline.new_page()
        blocker = Blocker(None)
        copy.route("**/*", blocker)
        errors: list[str] = []
        copy.on("pageerror", lambda e: errors.append(str(e)))
        copy.goto(target.as_uri())
        wait_until(copy, READY, 30)
        assert set(copy.evaluate("ecomap.visibleNodeIds()")) == shown
        assert copy.evaluate("ecomap.standalone") is True
        assert blocker.blocked == [] and errors == []
    finally:
        offline.close()


# -- a large view ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def large_site(engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A generated ecosystem above the server-layout threshold, with more relationships than the map
    hands to vis-network (it draws them itself) and more nodes than it labels before zooming in."""
    def fill(store: GraphStore) -> None:
        load_paths(store, generate(1100, 4400, seed=11, out_dir=tmp_path_factory.mktemp("gen"), fmt="csv").files)

    with served_graph(engine, fill) as base:
        yield base


def test_a_large_view_is_laid_out_on_the_server_and_draws_every_relationship(browser: Any, large_site: str) -> None:
    view = api(large_site, "/?format=json&limit=10000")
    rels = view["graph"]["relationships"]
    assert len(view["graph"]["nodes"]) > 1000 and len(rels) > 2500 and view["positions"]
    with watched_page(browser, large_site) as page:
        open_map(page, large_site + "/?limit=10000")
        assert visible(page) == {n["id"] for n in view["graph"]["nodes"]}
        assert page.evaluate("ecomap.network.physics.physicsEnabled") is False
        placed = page.evaluate("ecomap.network.getPositions()")
        assert all([round(placed[i]["x"]), round(placed[i]["y"])] == xy for i, xy in view["positions"].items())
        assert page.evaluate("ecomap.selfDrawnEdges()") == len(page.evaluate("ecomap.visibleEdgeIds()")) == len(rels)
        common = max({r["type"] for r in rels}, key=lambda t: sum(r["type"] == t for r in rels))
        _toggle(page, "rel", common)
        assert page.evaluate("ecomap.selfDrawnEdges()") == sum(r["type"] != common for r in rels)
        _toggle(page, "rel", common)
        some = view["graph"]["nodes"][0]
        # Hovering a relationship names its type: zoom onto a point of one that is far from every node.
        pos = view["positions"]

        def clear_point(rel: dict) -> dict | None:
            (x1, y1), (x2, y2) = pos[rel["start"]], pos[rel["end"]]
            for f in (0.5, 0.4, 0.6, 0.3, 0.7):
                x, y = x1 + f * (x2 - x1), y1 + f * (y2 - y1)
                if all((x - a) ** 2 + (y - b) ** 2 > 60 ** 2 for a, b in pos.values()):
                    return {"x": x, "y": y}
            return None

        hovered, point = next((r, p) for r in rels if (p := clear_point(r)))
        mid = page.evaluate("""(p) => {
            ecomap.network.moveTo({position: p, scale: 4, animation: false});
            const d = ecomap.network.canvasToDOM(p), r = document.getElementById('map').getBoundingClientRect();
            return {x: r.left + d.x, y: r.top + d.y};
        }""", point)
        page.mouse.move(mid["x"] + 1, mid["y"] + 1)
        page.mouse.move(mid["x"], mid["y"])
        wait_until(page, "!document.getElementById('tooltip').hidden")
        wait_until(page, f"ecomap.nodes.get({json.dumps(some['id'])}).label !== ''")  # labelled when zoomed in
        ontology = api(large_site, "/api/ontology")
        zh = next(r["zh"] for r in ontology["relationship_types"] if r["name"] == hovered["type"])
        assert zh in page.inner_text("#tooltip")
        _map_is_drawn(page, "map-large")
        # Laid out on the server: a filter change only fits the picture (positions stay as computed).
        kind = view["graph"]["nodes"][0]["type"]
        _only(page, "type", kind)
        assert visible(page) == {n["id"] for n in view["graph"]["nodes"] if n["type"] == kind}
        assert settled_and_fitted(page) == []
        placed = page.evaluate("ecomap.network.getPositions()")
        assert all([round(placed[i]["x"]), round(placed[i]["y"])] == pos[i] for i in visible(page))


@pytest.mark.parametrize(("path", "ready"), [("/docs", ".opblock-summary-path"),
                                               ("/redoc", "[data-section-id^='tag/']")])
def test_the_api_docs_render_their_operations_with_every_outside_request_blocked(
        page: Any, site: str, path: str, ready: str) -> None:
    page.goto(site + path)
    page.wait_for_selector(ready, timeout=30_000)
    text = page.inner_text("body")
    assert "/api/entities" in text or "entities" in text.lower()


@pytest.mark.parametrize(("path", "zh", "en"), [
    ("/entity/ent-tisco?depth=9", "参数 depth 应不大于 3", "depth must be at most 3"),
    ("/?limit=0", "参数 limit 应不小于 1", "limit must be at least 1"),
    ("/?limit=many", "参数 limit 应为整数", "limit must be a whole number"),
])
def test_a_page_address_with_a_bad_parameter_says_in_chinese_what_to_enter(site, path, zh, en) -> None:
    r = httpx.get(site + path, headers={"Accept": "text/html"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert zh in r.text and en in r.text  # Chinese shown, English for the toggle
    api = httpx.get(site + path, headers={"Accept": "application/json"})
    assert api.status_code == 422 and api.json()["error"]["code"] == "invalid_request"
