"""Saved views and stories in the browser: a view saved from a map page reopens with the same visible
nodes, positions, filters and note; a story steps by keyboard; its offline file opens from file:// with
every other request aborted and steps by keyboard too."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import filled_graph
from tests.test_map_support import (
    READY,
    build_graph,
    chromium,
    open_map,
    serve,
    wait_until,
    watched_page,
)

pytest.importorskip("playwright.sync_api")

ANALYST = "planner-key-0001"
KEYS = f"planner:{ANALYST}:analyst"
PIXELS = 2.0
"""How far (canvas and screen pixels) a reopened node may be from where it was saved."""

RESTORED = "document.body.getAttribute('data-view-restored') === '1'"
VIEW_STATE = """() => {
    const ids = ecomap.visibleNodeIds().sort();
    const pos = ecomap.network.getPositions(ids), screen = {};
    for (const id of ids) { screen[id] = ecomap.network.canvasToDOM(pos[id]); }
    const hidden = {};
    for (const g of ['type', 'liuxin', 'region', 'rel']) { hidden[g] = Array.from(Ecomap.filters.hidden[g]).sort(); }
    return {ids, pos, screen, hidden, depth: Ecomap.filters.depth(), colour: Ecomap.state.colourBy,
            focused: ecomap.focused};
}"""


@pytest.fixture(scope="module")
def base(engine) -> Iterator[str]:
    with filled_graph(engine, build_graph) as store:
        from app.main import create_app

        with serve(create_app(engine.settings_for(store, api_keys_raw=KEYS), store=store)) as url:
            yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def signed_in(base_url: str) -> dict[str, Any]:
    cookie = {"name": "ecomap_api_key", "value": ANALYST, "url": base_url}
    return {"storage_state": {"cookies": [cookie], "origins": []}}


def call(base_url: str, method: str, path: str, body: Any = None) -> Any:
    request = urllib.request.Request(base_url + path, method=method, headers={"X-API-Key": ANALYST,
                                                                           "Content-Type": "application/json"},
                                     data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(request, timeout=60) as resp:
        return resp.read()


def frame_of(page: Any) -> Any:
    return page.main_frame.child_frames[0]


def wait_frame(page: Any, step: int, timeout: float = 30) -> Any:
    """Wait until the story shows ``step`` and its frame's map is restored; the frame."""
    wait_until(page, f"document.body.getAttribute('data-step') === '{step}' && "
                     "document.body.getAttribute('data-frame-ready') === '1'", timeout)
    frame = frame_of(page)
    deadline = time.monotonic() + timeout
    while not frame.evaluate(f"!!({READY}) && {RESTORED}"):
        assert time.monotonic() < deadline, "the step's map was not restored"
        time.sleep(0.05)
    return frame


def save_from_page(page: Any, title: str, note: str) -> dict[str, Any]:
    page.click("#btn-save-view")
    page.fill("#save-view-title", title)
    page.fill("#save-view-note", note)
    page.click("#save-view-submit")
    return wait_until(page, "Ecomap.savedViews.last")


def test_saved_view_reopens_with_same_nodes_positions_filters_and_note(base: str, browser: Any) -> None:
    with watched_page(browser, base, **signed_in(base)) as page:
        open_map(page, base + "/entity/ent-tisco")
        page.uncheck("input[data-filter='type'][value='Policy']")
        page.select_option("#filter-depth", "1")
        wait_until(page, "ecomap.refits > 0 && !ecomap.refitting")
        before = page.evaluate(VIEW_STATE)
        assert before["hidden"]["type"] == ["Policy"] and before["depth"] == 1
        assert "pol-material" not in before["ids"] and before["ids"]
        note = "会上讨论：太钢周边的合作伙伴\n第二行"
        saved = save_from_page(page, "太钢一跳", note)
        assert saved["author"] == "planner" and saved["nodes"] >= len(before["ids"])

    with watched_page(browser, base, **signed_in(base)) as page:
        page.goto(base + saved["url"])
        wait_until(page, f"!!({READY}) && {RESTORED}", 30)
        after = page.evaluate(VIEW_STATE)
        assert after["ids"] == before["ids"]
        assert after["hidden"] == before["hidden"] and after["depth"] == 1
        for node_id in before["ids"]:
            for space in ("pos", "screen"):
                a, b = before[space][node_id], after[space][node_id]
                assert abs(a["x"] - b["x"]) <= PIXELS and abs(a["y"] - b["y"]) <= PIXELS, (space, node_id, a, b)
        assert page.is_checked("input[data-filter='type'][value='Enterprise']")
        assert not page.is_checked("input[data-filter='type'][value='Policy']")
        assert page.input_value("#filter-depth") == "1"
        assert page.text_content("#saved-view-note") == note
        assert page.text_content("#saved-view-title") == "太钢一跳"
        assert page.query_selector("#saved-view-missing") is None


def _view(base_url: str, title: str, note: str, nodes: list[str], kind_url: str) -> str:
    state = {"page": {"kind": "entity", "url": kind_url, "title": title, "center": nodes[0], "depth": 1},
             "nodes": [{"id": n, "x": 120.0 * i, "y": 40.0 * (i % 3)} for i, n in enumerate(nodes)],
             "camera": {"x": 120.0, "y": 40.0, "scale": 1.0}}
    return json.loads(call(base_url, "POST", "/api/views", {"title": title, "note": note, "state": state}))["id"]


@pytest.fixture(scope="module")
def story(base: str) -> dict[str, Any]:
    first = _view(base, "第一步：太钢", "太钢与其技术", ["ent-tisco", "tech-bim", "plat-pilot"], "/entity/ent-tisco")
    second = _view(base, "第二步：集群", "集群与银行", ["cl-material", "fin-jsbank", "pol-material", "ent-tisco"],
                   "/entity/cl-material")
    body = {"title": "新材料故事", "note": "给领导的汇报", "steps": [{"view": first, "note": "先看太钢"},
                                                               {"view": second, "note": "再看集群"}]}
    shown = [["ent-tisco", "plat-pilot", "tech-bim"], ["cl-material", "ent-tisco", "fin-jsbank", "pol-material"]]
    return {**json.loads(call(base, "POST", "/api/stories", body)), "ids": shown}


def test_story_advances_by_keyboard(base: str, browser: Any, story: dict[str, Any]) -> None:
    with watched_page(browser, base, **signed_in(base)) as page:
        page.goto(base + story["url"])
        frame = wait_frame(page, 1)
        assert sorted(frame.evaluate("ecomap.visibleNodeIds()")) == story["ids"][0]
        assert page.text_content("#story-note") == "先看太钢"
        page.keyboard.press("ArrowRight")
        frame = wait_frame(page, 2)
        assert sorted(frame.evaluate("ecomap.visibleNodeIds()")) == story["ids"][1]
        assert page.text_content("#story-note") == "再看集群"
        page.keyboard.press("PageUp")
        wait_frame(page, 1)
        page.keyboard.press("Space")
        frame = wait_frame(page, 2)
        frame.click("#map")   # the keys reach the story from inside the frame too
        page.keyboard.press("ArrowLeft")
        wait_frame(page, 1)
        page.click("#story-present")
        wait_until(page, "window.ecomapStory.presenting")
        page.keyboard.press("Escape")
        wait_until(page, "!window.ecomapStory.presenting")


def test_story_offline_export_opens_from_file_with_network_blocked(base: str, browser: Any, story: dict[str, Any],
                                                                   tmp_path: Path) -> None:
    html = call(base, "GET", story["export"])
    out = tmp_path / "story.html"
    out.write_bytes(html)
    with watched_page(browser, None, offline=True) as page:
        page.goto(out.as_uri())
        frame = wait_frame(page, 1)
        assert sorted(frame.evaluate("ecomap.visibleNodeIds()")) == story["ids"][0]
        assert frame.evaluate("ecomap.standalone") is True
        assert page.text_content("#story-note") == "先看太钢"
        page.keyboard.press("ArrowRight")
        frame = wait_frame(page, 2)
        assert sorted(frame.evaluate("ecomap.visibleNodeIds()")) == story["ids"][1]
        assert frame.text_content("#saved-view-title") == "第二步：集群"
