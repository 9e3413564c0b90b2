"""Shared by the map tests: a small ecosystem graph (with hostile names), a live server in a thread,
a headless Chromium that aborts and counts every request to another host, and helpers to drive a map
page. No tests here."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn

from app.main import create_app
from graph.store import GraphStore
from tests.conftest import filled_graph
from tests.engines import Engine

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
READY = "window.ecomap && window.ecomap.ready"

XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "<script>alert(1)</script>"

SRC = "src-test"
NODES: list[tuple[str, dict[str, Any]]] = [
    ("Source", {"id": SRC, "name": "测试来源", "title": "创新生态测试文章",
                "sections": ["导语", "一、新基建", "二、新材料"]}),
    ("Category", {"id": "liuxin-new-material", "name": "新材料", "liuxin": ["新材料"]}),
    ("Region", {"id": "region-taiyuan", "name": "太原市", "name_en": "Taiyuan", "level": "市",
                "sources": [f"{SRC}#2"]}),
    ("Cluster", {"id": "cl-material", "name": "新材料产业集群", "name_en": "New materials cluster",
                 "liuxin": ["新材料"], "region": "太原市", "sources": [f"{SRC}#2"], "note": "文章第二部分所述的集群"}),
    ("ChainLink", {"id": "link-steel", "name": "高端钢材", "position": "材料", "sources": [f"{SRC}#2"]}),
    ("ChainLink", {"id": "link-silicon", "name": "取向硅钢", "position": "材料", "sources": [f"{SRC}#2"]}),
    ("Enterprise", {"id": "ent-tisco", "name": "太原钢铁（集团）有限公司", "name_en": "TISCO", "aliases": ["太钢"],
                    "is_leader": True, "liuxin": ["新材料"], "region": "太原市", "sources": [f"{SRC}#2"],
                    "note": "年产16万吨高端冷轧取向硅钢项目"}),
    ("Enterprise", {"id": "ent-xss-img", "name": XSS_IMG, "name_en": XSS_IMG, "aliases": [XSS_SCRIPT],
                    "region": XSS_IMG, "liuxin": ["新材料"], "description": XSS_SCRIPT, "sources": [f"{SRC}#2"],
                    "synthetic": True}),
    ("Enterprise", {"id": "ent-xss-script", "name": XSS_SCRIPT, "region": "太原市", "synthetic": True,
                    "note": XSS_IMG}),
    ("Platform", {"id": "plat-pilot", "name": "中试基地", "kind": "中试基地", "region": "太原市", "liuxin": ["新技术"],
                  "sources": [f"{SRC}#1"]}),
    ("FinancialInstitution", {"id": "fin-jsbank", "name": "晋商银行", "name_en": "Jinshang Bank", "kind": "银行",
                              "liuxin": ["新材料"], "region": "太原市", "sources": [f"{SRC}#2"]}),
    ("Policy", {"id": "pol-material", "name": "新材料产业支持政策", "year": 2022, "sources": [f"{SRC}#2"]}),
    ("Agency", {"id": "ag-science", "name": "山西省科学技术厅", "aliases": ["省科技厅"], "level": "省",
                "region": "山西省", "sources": [f"{SRC}#1"]}),
    ("Technology", {"id": "tech-bim", "name": "建筑信息模型", "name_en": "BIM", "aliases": ["BIM"],
                    "liuxin": ["新技术"], "sources": [f"{SRC}#1"]}),
    ("Infrastructure", {"id": "infra-5g", "name": "5G基站", "liuxin": ["新基建"], "region": "山西省",
                        "sources": [f"{SRC}#1"]}),
    ("Project", {"id": "proj-silicon", "name": "高端冷轧取向硅钢项目", "quantity": 16, "unit": "万吨/年",
                 "liuxin": ["新材料"], "region": "太原市", "sources": [f"{SRC}#2"]}),
    ("Person", {"id": "person-li", "name": "李处长", "role": "处长", "sources": [f"{SRC}#1"]}),
]
RELS: list[tuple[str, str, str]] = [
    ("ent-tisco", "MEMBER_OF", "cl-material"),
    ("ent-xss-img", "MEMBER_OF", "cl-material"),
    ("cl-material", "HAS_LINK", "link-steel"),
    ("cl-material", "HAS_LINK", "link-silicon"),
    ("link-steel", "UPSTREAM_OF", "link-silicon"),
    ("ent-tisco", "OPERATES_IN", "link-silicon"),
    ("fin-jsbank", "FINANCES", "cl-material"),
    ("pol-material", "SUPPORTS", "cl-material"),
    ("ag-science", "ISSUES", "pol-material"),
    ("plat-pilot", "HOSTED_BY", "ent-tisco"),
    ("ent-tisco", "LOCATED_IN", "region-taiyuan"),
    ("ent-tisco", "USES", "tech-bim"),
    ("ent-xss-script", "COLLABORATES_WITH", "ent-tisco"),
    ("proj-silicon", "MEMBER_OF", "cl-material"),
    ("ent-tisco", "PRODUCES", "tech-bim"),
    ("infra-5g", "SUPPORTS", "cl-material"),
    ("person-li", "LEADS", "ag-science"),
    ("ent-tisco", "CLASSIFIED_AS", "liuxin-new-material"),
    ("fin-jsbank", "CLASSIFIED_AS", "liuxin-new-material"),
    ("ent-tisco", "MENTIONED_IN", SRC),
    ("cl-material", "MENTIONED_IN", SRC),
]


def build_graph(store: GraphStore) -> None:
    """Write the test ecosystem (labels come from this file, never from data)."""
    by_label: dict[str, list[dict]] = {}
    for label, props in NODES:
        by_label.setdefault(label, []).append(props)
    for label, rows in by_label.items():
        store.write(f"UNWIND $rows AS row CREATE (n:Entity:{label}) SET n = row", {"rows": rows})
    by_type: dict[str, list[dict]] = {}
    for start, rel_type, end in RELS:
        by_type.setdefault(rel_type, []).append({"s": start, "e": end, "p": {"sources": [f"{SRC}#2"]}})
    for rel_type, rows in by_type.items():
        store.write(f"UNWIND $rows AS row MATCH (a:Entity {{id: row.s}}), (b:Entity {{id: row.e}}) "
                    f"CREATE (a)-[r:{rel_type}]->(b) SET r = row.p", {"rows": rows})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run ``app`` with uvicorn on a free loopback port in a thread; yield its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def served_graph(engine: Engine, fill: Callable[[GraphStore], object]) -> Iterator[str]:
    """The app on a graph of its own filled by ``fill``, served on a loopback port; yield its base URL."""
    with filled_graph(engine, fill) as store, serve(app_on(engine, store)) as base:
        yield base


def app_on(engine: Engine, store: GraphStore) -> Any:
    """The app on ``store``'s graph."""
    return create_app(engine.settings_for(store), store=store)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (waiting for it to be installed), closed on leaving."""
    from playwright.sync_api import sync_playwright

    wait_for_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def wait_for_chromium(timeout: float = 600) -> None:
    """Chromium may still be being installed when the tests start; wait for it a while."""
    deadline = time.monotonic() + timeout
    while not Path(CHROMIUM).exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{CHROMIUM} is missing")
        time.sleep(5)


@dataclass
class Blocker:
    """Aborts every request that leaves the allowed origin (or every request at all) and records it."""

    allowed_prefix: str | None
    blocked: list[str] = field(default_factory=list)

    def __call__(self, route: Any) -> None:
        url = route.request.url
        if self.allowed_prefix and url.startswith(self.allowed_prefix):
            route.continue_()
        elif url.startswith(("data:", "blob:")) or (self.allowed_prefix is None and url.startswith("file://")):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()


def pixel_stats(page: Any, png: bytes) -> dict[str, float]:
    """Distinct colours and luminance variance of a PNG, decoded by the browser itself."""
    data_url = "data:image/png;base64," + base64.b64encode(png).decode()
    return page.evaluate("""async (src) => {
        const img = new Image(); img.src = src; await img.decode();
        const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
        const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        let sum = 0, sum2 = 0, n = 0; const colours = new Set();
        for (let i = 0; i < d.length; i += 16) {
            const y = 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
            sum += y; sum2 += y * y; n++; colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
        }
        const mean = sum / n;
        return {variance: sum2 / n - mean * mean, colours: colours.size};
    }""", data_url)


def wait_until(page: Any, expression: str, timeout: float = 20.0, interval: float = 0.05) -> Any:
    """Poll ``expression`` in the page until it is truthy; return its value.

    Playwright's ``wait_for_function`` compiles its predicate in the page, which the pages'
    Content-Security-Policy (no eval) rightly refuses; ``evaluate`` goes through the debugger protocol.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"still false after {timeout} s: {expression}")
        time.sleep(interval)


class Watch:
    """What a page did that it must not: requests to other hosts, dialogs, uncaught errors."""

    def __init__(self, page: Any, base: str | None) -> None:
        self.blocker = Blocker(base + "/" if base else None)
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.refused: list[str] = []
        page.route("**/*", self.blocker)
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        # A load the Content-Security-Policy refused never reaches the router: count it from the console.
        page.on("console", lambda m: self.refused.append(m.text) if "Content Security Policy" in m.text else None)

    def check(self) -> None:
        assert self.blocker.blocked == [], f"requests left the server: {self.blocker.blocked}"
        assert self.refused == [], f"loads refused by the page's CSP: {self.refused}"
        assert self.dialogs == [], f"a dialog fired: {self.dialogs}"
        assert self.errors == [], f"script errors: {self.errors}"


@contextmanager
def watched_page(browser: Any, base: str | None, **context: Any) -> Iterator[Any]:
    """A page in a fresh context (1400 × 860 unless told), watched; checked on leaving."""
    ctx = browser.new_context(**{"viewport": {"width": 1400, "height": 860}, "accept_downloads": True, **context})
    pg = ctx.new_page()
    watch = Watch(pg, base)
    yield pg
    ctx.close()
    watch.check()


def api(base: str, path: str) -> Any:
    with urllib.request.urlopen(base + path, timeout=30) as resp:
        return json.loads(resp.read())


def open_map(page: Any, url: str) -> None:
    page.goto(url)
    wait_until(page, READY, 30)


def node_point(page: Any, node_id: str) -> dict[str, float]:
    """Centre the map on a node and return its position on the screen."""
    return page.evaluate("""(id) => {
        ecomap.network.moveTo({position: ecomap.network.getPosition(id), scale: 1.6, animation: false});
        const d = ecomap.network.canvasToDOM(ecomap.network.getPosition(id));
        const r = document.getElementById('map').getBoundingClientRect();
        return {x: r.left + d.x, y: r.top + d.y};
    }""", node_id)


OUTSIDE_VIEWPORT = """() => {
    const net = ecomap.network, canvas = document.querySelector('#map canvas');
    const w = canvas.clientWidth, h = canvas.clientHeight, out = [];
    for (const id of ecomap.visibleNodeIds()) {
        const b = net.getBoundingBox(id);
        const a = net.canvasToDOM({x: b.left, y: b.top}), z = net.canvasToDOM({x: b.right, y: b.bottom});
        if (a.x < -2 || a.y < -2 || z.x > w + 2 || z.y > h + 2) { out.push(id); }
    }
    return out;
}"""
"""Ids of the visible nodes whose drawn box is not inside the map's canvas (on the screen)."""


def settled_and_fitted(page: Any) -> list[str]:
    """Wait for the fit that follows a filter change; return the visible nodes left outside the view."""
    wait_until(page, "ecomap.refits > 0 && !ecomap.refitting")
    return page.evaluate(OUTSIDE_VIEWPORT)
