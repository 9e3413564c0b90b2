"""The map speaks the reader's language, on the curated dataset in headless Chromium with every request
to another host aborted.

In Chinese the details panel and the tooltips name every property in Chinese — never by its key — and
show the Chinese note and description, not their English twins (which are never listed as properties of
their own); in English the English ones. A fact recorded in one language only is shown in that language,
marked as such. Citations show the source's title and section title and link to the source's page; a
standalone file shows them as text.

Expected values come from the JSON API and the ontology, never from the page itself.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.store import GraphStore
from loaders import load_dataset
from tests.test_map_support import (
    READY,
    Blocker,
    api,
    chromium,
    open_map,
    served_graph,
    wait_until,
    watched_page,
)

pytest.importorskip("playwright.sync_api")

ONLY_EN = "person-yan-lin"        # its Chinese note is removed below: only the English one is left
ONLY_ZH = "person-zhou-jixiang"   # its English note is removed below: only the Chinese one is left
LEADS = ("person-yan-lin", "LEADS", "agency-sx-miit-materials")   # a relationship with role and notes
MARK_ZH, MARK_EN = "（仅有英文）", "(Chinese only)"

PAGES = {"home": "/", "entity": "/entity/ent-tisco", "cluster": "/clusters/cluster-new-materials"}


@pytest.fixture(scope="module")
def site(engine) -> Iterator[str]:
    def fill(store: GraphStore) -> None:
        load_dataset(store, "shanxi")
        store.write("MATCH (n:Entity {id: $id}) SET n.note = null", {"id": ONLY_EN})
        store.write("MATCH (n:Entity {id: $id}) SET n.note_en = null", {"id": ONLY_ZH})

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


@pytest.fixture(scope="module")
def ontology(site: str) -> dict[str, Any]:
    return api(site, "/api/ontology")


def property_keys(ontology: dict[str, Any]) -> set[str]:
    return {p["name"] for t in ontology["node_types"] + ontology["relationship_types"] for p in t["properties"]}


def twin_names_zh(ontology: dict[str, Any]) -> set[str]:
    """Chinese names of the `_en` twins (英文名, 备注（英文）…): none may head a row of its own."""
    return {p["zh"] for t in ontology["node_types"] + ontology["relationship_types"] for p in t["properties"]
            if p["name"].endswith("_en")}


def screen_point(page: Any, canvas_point: str, arg: Any) -> dict[str, float]:
    """Centre the map on a point given in canvas coordinates (a JS expression of ``arg``) and return
    where that point is on the screen."""
    return page.evaluate(f"""(arg) => {{
        const p = {canvas_point};
        ecomap.network.moveTo({{position: p, scale: 1.6, animation: false}});
        const d = ecomap.network.canvasToDOM(p), r = document.getElementById('map').getBoundingClientRect();
        return {{x: r.left + d.x, y: r.top + d.y}};
    }}""", arg)


def node_spot(page: Any, node_id: str) -> dict[str, float]:
    """Centre the map on a node and return a point on the screen where that node, not a neighbour
    overlapping it, is under the pointer (zooming in further while a neighbour still covers it)."""
    return page.evaluate("""(id) => {
        const net = ecomap.network, c = net.getPosition(id), r = document.getElementById('map').getBoundingClientRect();
        const spots = [[0, 0], [0.5, 0], [-0.5, 0], [0, 0.5], [0, -0.5],
                       [0.5, 0.5], [-0.5, -0.5], [0.5, -0.5], [-0.5, 0.5]];
        for (const scale of [1.6, 2.5, 4]) {
            net.moveTo({position: c, scale: scale, animation: false});
            const box = net.getBoundingBox(id);
            const w = (box.right - box.left) / 2, h = (box.bottom - box.top) / 2;
            for (const [fx, fy] of spots) {
                const d = net.canvasToDOM({x: c.x + fx * w, y: c.y + fy * h});
                if (net.getNodeAt(d) === id) { return {x: r.left + d.x, y: r.top + d.y}; }
            }
        }
        const d = net.canvasToDOM(c);
        return {x: r.left + d.x, y: r.top + d.y};
    }""", node_id)


def look_at(page: Any, node_id: str) -> tuple[str, list[str], str]:
    """Hover a node, then click it: (tooltip text, property labels of the details panel, panel text).

    The hover is tried again from a fresh position if the picture moved under the pointer (a late
    re-fit or the last steps of the layout)."""
    shown = f"""(() => {{
        const t = document.getElementById('tooltip'), p = ecomap.records.get({json.dumps(node_id)}).properties;
        return !t.hidden && [p.name, p.name_en].includes(t.querySelector('.tt-title').textContent); }})()"""
    for attempt in range(3):
        page.evaluate("document.getElementById('tooltip').hidden = true")
        point = node_spot(page, node_id)
        page.mouse.move(point["x"] - 20, point["y"] - 20)
        page.mouse.move(point["x"], point["y"], steps=4)
        try:
            # The tooltip of this node (not of one passed on the way): its title is the node's name.
            wait_until(page, shown, timeout=8.0)
            break
        except TimeoutError:
            if attempt == 2:
                raise
    tooltip = page.inner_text("#tooltip")
    page.mouse.click(point["x"], point["y"])
    wait_until(page, f"ecomap.detailsFor === {json.dumps(node_id)}")
    labels = page.eval_on_selector_all("#details-properties dt", "els => els.map(e => e.textContent)")
    return tooltip, labels, page.inner_text("#details")


def hover_relationship(page: Any, start: str, end: str) -> str:
    """The tooltip text of the relationship between two drawn nodes, hovered at the point of it that is
    farthest from every other node."""
    page.evaluate("document.getElementById('tooltip').hidden = true")
    point = """(() => {
        const a = ecomap.network.getPosition(arg[0]), b = ecomap.network.getPosition(arg[1]);
        const others = Object.entries(ecomap.network.getPositions()).filter(([id]) => !arg.includes(id));
        let best = null, bestGap = -1;
        for (const f of [0.5, 0.4, 0.6, 0.3, 0.7]) {
            const p = {x: a.x + f * (b.x - a.x), y: a.y + f * (b.y - a.y)};
            const gap = Math.min(...others.map(([, q]) => Math.hypot(q.x - p.x, q.y - p.y)));
            if (gap > bestGap) { best = p; bestGap = gap; }
        }
        return best;
    })()"""
    mid = screen_point(page, point, [start, end])
    page.mouse.move(mid["x"] - 30, mid["y"] - 30)
    page.mouse.move(mid["x"], mid["y"], steps=5)
    wait_until(page, "!document.getElementById('tooltip').hidden && "
                     "document.getElementById('tooltip').textContent.includes('→')")
    return page.inner_text("#tooltip")


def records(site: str, path: str) -> dict[str, dict[str, Any]]:
    """The nodes a map page draws (its view JSON), by id."""
    return {n["id"]: n for n in api(site, path + "?format=json")["graph"]["nodes"]}


def sample(nodes: dict[str, dict[str, Any]], page_name: str) -> list[str]:
    """Every node of the smaller views; on the home map one node per type, plus the nodes whose notes are
    recorded in one language only."""
    if page_name != "home":
        return sorted(nodes)
    one_per_type: dict[str, str] = {}
    for node_id in sorted(nodes):
        one_per_type.setdefault(nodes[node_id]["type"], node_id)
    return sorted(set(one_per_type.values()) | {ONLY_EN, ONLY_ZH, "ent-tisco", "ent-leading-enterprises"})


def tooltip_labels(text: str) -> set[str]:
    """What heads each "label：value" line of a tooltip."""
    return {line.split("：", 1)[0].split(": ", 1)[0].strip() for line in text.splitlines()
            if "：" in line or ": " in line}


def assert_chinese(props: dict[str, Any], labels: list[str], text: str, keys: set[str], twins: set[str]) -> None:
    assert not set(labels) & keys, f"raw property keys shown as labels: {set(labels) & keys}"
    assert not set(labels) & twins, f"English twins listed as properties: {set(labels) & twins}"
    for key in ("note", "description"):
        zh, en = props.get(key), props.get(key + "_en")
        if zh and en:
            assert zh in text and en not in text, key
        elif en:
            assert en in text and MARK_ZH in text, key


# -- Chinese ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("page_name", sorted(PAGES))
def test_chinese_pages_name_every_fact_in_chinese_and_show_no_english_note(
        page: Any, site: str, ontology: dict[str, Any], page_name: str) -> None:
    path = PAGES[page_name]
    nodes = records(site, path)
    open_map(page, site + path)
    if page_name == "cluster":   # the 补链 report arrives later and re-fits the picture: wait for it
        wait_until(page, "document.querySelector('#gaps [data-i18n=\"map.loading\"]') === null"
                         " && Ecomap.gaps.pending() === 0 && !ecomap.refitting")
        page.wait_for_timeout(400)  # the placeholders are placed and the picture fitted in the next frames
    keys, twins = property_keys(ontology), twin_names_zh(ontology)
    drawn = set(page.evaluate("ecomap.visibleNodeIds()"))
    assert drawn == set(nodes)
    looked = [i for i in sample(nodes, page_name) if i in drawn]
    assert len(looked) >= 3
    for node_id in looked:
        tooltip, labels, text = look_at(page, node_id)
        props = nodes[node_id]["properties"]
        assert_chinese(props, labels, text, keys, twins)
        assert not tooltip_labels(tooltip) & keys, tooltip
        if props.get("note_en") and props.get("note"):
            assert props["note_en"] not in tooltip
    if page_name == "home":
        # A boolean reads 是/否; the English name is part of the name row, not a row of its own.
        _, labels, _ = look_at(page, "ent-leading-enterprises")
        rows = dict(zip(labels, page.eval_on_selector_all("#details-properties dd", "els => els.map(e => e.innerText)"),
                        strict=True))
        leader = next(p["zh"] for t in ontology["node_types"] if t["label"] == "Enterprise"
                      for p in t["properties"] if p["name"] == "is_leader")
        assert rows[leader] == "是"
        name_row = rows[next(p["zh"] for p in ontology["node_types"][0]["properties"] if p["name"] == "name")]
        assert nodes["ent-leading-enterprises"]["properties"]["name_en"] in name_row


def test_a_relationship_tooltip_names_its_type_and_facts_in_chinese(page: Any, site: str,
                                                                     ontology: dict[str, Any]) -> None:
    start, rel_type, end = LEADS
    rel = next(r for r in api(site, "/?format=json")["graph"]["relationships"]
               if (r["start"], r["type"], r["end"]) == LEADS)
    props = rel["properties"]
    assert props["role"] and props["note"] and props["note_en"]
    open_map(page, site + "/")
    tooltip = hover_relationship(page, start, end)
    rel_def = next(r for r in ontology["relationship_types"] if r["name"] == rel_type)
    names = {p["name"]: p["zh"] for p in rel_def["properties"]}
    assert rel_def["zh"] in tooltip
    assert f"{names['role']}：{props['role']}" in tooltip
    assert f"{names['note']}：{props['note']}" in tooltip
    assert props["note_en"] not in tooltip
    assert not tooltip_labels(tooltip) & property_keys(ontology), tooltip
    assert not re.search(r"\b(role|note|weight|sources)\b", tooltip), tooltip
    # Its citation: the source's title, and a link to the source's page.
    source = api(site, "/api/entities/src-sxrb")["node"]["properties"]
    wait_until(page, "document.querySelector('#tooltip a.citation') !== null")
    wait_until(page, "document.querySelector('#tooltip a.citation').textContent"
                     f".includes({json.dumps(source['title'])})")
    hrefs = page.eval_on_selector_all("#tooltip a.citation", "els => els.map(e => e.getAttribute('href'))")
    assert hrefs == ["/sources/" + c.replace("#", "/") for c in props["sources"]]


# -- English ----------------------------------------------------------------------------------------------
def test_english_shows_the_english_notes_and_names(page: Any, site: str, ontology: dict[str, Any]) -> None:
    nodes = records(site, "/")
    open_map(page, site + "/?lang=en")
    keys = property_keys(ontology)
    zh_names = {p["zh"] for t in ontology["node_types"] for p in t["properties"]}
    for node_id in ("ent-tisco", "cluster-rail-equipment", ONLY_EN, ONLY_ZH):
        _, labels, text = look_at(page, node_id)
        props = nodes[node_id]["properties"]
        assert not set(labels) & keys and not set(labels) & zh_names, labels
        if props.get("note") and props.get("note_en"):
            assert props["note_en"] in text and props["note"] not in text
        if props.get("description") and props.get("description_en"):
            assert props["description_en"] in text and props["description"] not in text
    _, _, text = look_at(page, ONLY_EN)
    assert nodes[ONLY_EN]["properties"]["note_en"] in text and MARK_EN not in text
    _, _, text = look_at(page, ONLY_ZH)
    assert nodes[ONLY_ZH]["properties"]["note"] in text and MARK_EN in text
    start, _, end = LEADS
    rel = next(r for r in api(site, "/?format=json")["graph"]["relationships"]
               if (r["start"], r["type"], r["end"]) == LEADS)
    tooltip = hover_relationship(page, start, end)
    assert rel["properties"]["note_en"] in tooltip and rel["properties"]["note"] not in tooltip
    assert "Role: " in tooltip and "Note: " in tooltip
    # Switching back re-renders the open panel in Chinese.
    page.click("#lang-toggle")
    panel = "document.getElementById('details').innerText"
    wait_until(page, f"{panel}.includes({json.dumps(nodes[ONLY_ZH]['properties']['note'])})"
                     f" && !{panel}.includes({json.dumps(MARK_EN)})")


# -- citations ----------------------------------------------------------------------------------------------
def test_citations_in_the_panel_show_the_source_and_link_to_its_page(page: Any, site: str) -> None:
    detail = api(site, "/api/entities/ent-tisco")
    open_map(page, site + "/entity/ent-tisco")
    wait_until(page, "ecomap.detailsFor === 'ent-tisco'")
    links = page.eval_on_selector_all("#details-provenance a.citation",
                                      "els => els.map(e => [e.getAttribute('href'), e.textContent])")
    assert len(links) == len(detail["provenance"]) > 0
    for (href, label), p in zip(links, detail["provenance"], strict=True):
        assert href == f"/sources/{p['source_id']}" + (f"/{p['section']}" if p["section"] else "")
        assert p["title"] in label and p["source_id"] not in label
        if p["section_title"]:
            assert p["section_title"] in label
    # The source pages are served by the sources part of the app; where it answers, the link works.
    status = _status(site + links[0][0])
    assert status in (200, 404)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def test_a_standalone_file_shows_citations_as_text(page: Any, site: str, browser: Any, tmp_path: Path) -> None:
    view = api(site, "/?format=json")
    request = urllib.request.Request(site + "/export/map.html", data=json.dumps(view).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=60) as resp:
        target = tmp_path / "home.html"
        target.write_bytes(resp.read())
    title = api(site, "/api/entities/src-sxrb")["node"]["properties"]["title"]
    offline = browser.new_context(offline=True, viewport={"width": 1400, "height": 860})
    try:
        copy = offline.new_page()
        blocker = Blocker(None)
        errors: list[str] = []
        copy.route("**/*", blocker)
        copy.on("pageerror", lambda e: errors.append(str(e)))
        copy.goto(target.as_uri())
        wait_until(copy, READY, 30)
        copy.evaluate("ecomap.focus('ent-tisco')")
        wait_until(copy, "ecomap.detailsFor === 'ent-tisco'")
        assert copy.locator("#details-provenance a").count() == 0
        assert title in copy.inner_text("#details-provenance")
        assert blocker.blocked == [] and errors == []
    finally:
        offline.close()
