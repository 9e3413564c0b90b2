"""Map benchmark: time until a generated ecosystem is drawn and still, in headless Chromium, for the
创新生态云图 page and for pyvis with its default settings on the same graph.

    python bench/map.py                     # 1k and 5k nodes (4 relationships per node), pyvis capped at 120 s
    python bench/map.py --sizes 300 --pyvis-limit 10    # quick, for development

For each size the graph comes from the project's generator (``loaders.generate``) and is loaded with
``loaders.load_paths`` into a private embedded store; the app serves it on 127.0.0.1. Times are
taken inside the page, from the start of navigation:

- this project, cold: the view is built and its layout computed for the request (view cache emptied);
- this project, warm: the same request again, the layout cached;
- pyvis: ``Network()`` with default settings (physics on) holding the same nodes and relationships,
  its HTML opened from a file. pyvis' template loads vis-network from a CDN; the bench answers those
  requests with pyvis' own bundled copy and aborts the rest (Bootstrap, styling only). The clock
  stops when vis-network has finished stabilising and stopped its simulation, or at the time limit.

Targets, 5,000 nodes / 20,000 relationships: ≤ 3 s warm, ≤ 5 s cold, ≥ 20× pyvis.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from app.main import create_app  # noqa: E402
from app.pages.views import MAX_LIMIT  # noqa: E402
from app.settings import load_settings  # noqa: E402
from graph.factory import Backend, StoreConfig, managed_server, open_store  # noqa: E402
from loaders import load_paths  # noqa: E402
from loaders.generate import generate  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 860}
PYVIS_LIB = Path(__import__("pyvis").__file__).parent / "templates" / "lib"

STILL_PROBE = """(() => {
    // pyvis keeps its network in the global `network`. Done: stabilisation finished (physics.ready)
    // and the simulation stopped (stabilized, no view function left running).
    function check() {
        const net = window.network;
        if (net && net.physics && net.physics.ready === true && net.physics.stabilized === true
                && net.physics.viewFunction === undefined) {
            requestAnimationFrame(() => { window.__stillAt = performance.now(); });
            return;
        }
        requestAnimationFrame(check);
    }
    requestAnimationFrame(check);
})();"""


class Server:
    """The app on a free loopback port, in a thread."""

    def __init__(self, app: Any) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def poll(page: Any, expression: str, limit_s: float) -> Any:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        value = page.evaluate(expression)
        if value:
            return value
        time.sleep(0.05)
    return None


def ours(browser: Any, base: str, app: Any, cold: bool) -> dict[str, float]:
    """One load of the home map holding the whole graph; milliseconds from navigation start."""
    if cold:
        cache = getattr(app.state, "view_cache", None)
        if cache is not None:
            cache.clear()
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
        page.goto(f"{base}/?limit={MAX_LIMIT}")
        if not poll(page, "window.ecomap && window.ecomap.ready", 120):
            raise RuntimeError("the map did not get ready within 120 s")
        t = page.evaluate("({ready: ecomap.readyAt, served: performance.getEntriesByType('navigation')[0]"
                          ".responseEnd, network: ecomap.timings.network - ecomap.timings.data,"
                          " nodes: ecomap.visibleNodeIds().length, physics: ecomap.physicsRunning()})")
        assert not t["physics"], "physics still running at ready"
        return t
    finally:
        context.close()


def pyvis_html(view: dict[str, Any], out_dir: Path) -> Path:
    """The same graph in pyvis with default settings, written as pyvis would (its lib/ beside it)."""
    from pyvis.edge import Edge
    from pyvis.network import Network

    net = Network()
    for node in view["graph"]["nodes"]:
        net.add_node(node["id"], label=str(node["properties"].get("name") or node["id"]))
    # What add_edge appends, without its quadratic duplicate scan (undirected: one edge per pair).
    seen: set[frozenset[str]] = set()
    for rel in view["graph"]["relationships"]:
        pair = frozenset((rel["start"], rel["end"]))
        if pair not in seen:
            seen.add(pair)
            net.edges.append(Edge(rel["start"], rel["end"], net.directed).options)
    path = out_dir / "pyvis.html"
    path.write_text(net.generate_html(), encoding="utf-8")
    shutil.copytree(PYVIS_LIB, out_dir / "lib", dirs_exist_ok=True)
    return path


def pyvis_time(browser: Any, page_path: Path, limit_s: float) -> tuple[float | None, list[str]]:
    """Milliseconds until pyvis' network is drawn and still (``None`` past ``limit_s``), and what was aborted."""
    aborted: list[str] = []
    vis_dir = PYVIS_LIB / "vis-9.1.2"

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith("file://"):
            r.continue_()
        elif "vis-network" in url and url.endswith(".js"):
            r.fulfill(path=vis_dir / "vis-network.min.js", content_type="application/javascript")
        elif "vis-network" in url and url.endswith(".css"):
            r.fulfill(path=vis_dir / "vis-network.css", content_type="text/css")
        else:
            aborted.append(url)
            r.abort()

    context = browser.new_context(viewport=VIEWPORT)
    try:
        context.add_init_script(STILL_PROBE)
        page = context.new_page()
        page.route("**/*", route)
        page.goto(page_path.as_uri(), wait_until="commit")
        return poll(page, "window.__stillAt", limit_s), aborted
    finally:
        context.close()


def fmt_s(ms: float | None, limit_s: float) -> str:
    return f"> {limit_s:.0f} s" if ms is None else f"{ms / 1000:.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000", help="Node counts, comma-separated (default 1000,5000).")
    parser.add_argument("--pyvis-limit", type=float, default=120.0, help="Seconds before the pyvis run is cut.")
    parser.add_argument("--repeat", type=int, default=3, help="Loads per measurement of this project (median).")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    tmp = Path(tempfile.mkdtemp(prefix="ecomap-bench-map-"))
    embedded = managed_server(StoreConfig(backend=Backend.EMBEDDED, data_dir=tmp / "data"))
    rows = []
    try:
        embedded.ensure_running()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for n in sizes:
                t0 = time.perf_counter()
                report = generate(n, 4 * n, seed=7, out_dir=tmp / f"gen-{n}", fmt="csv")
                store = open_store(StoreConfig(backend=Backend.EMBEDDED, data_dir=tmp / "data", graph=f"bench_map_{n}"))
                store.clear()
                load_paths(store, report.files)
                stats = store.stats()
                print(f"\n{n} nodes requested: generated and loaded {stats.nodes} nodes, {stats.relationships} "
                      f"relationships in {time.perf_counter() - t0:.1f} s", flush=True)
                app = create_app(load_settings(backend="embedded", data_dir=tmp / "data", graph=f"bench_map_{n}"),
                                 store=store)
                with Server(app) as base:
                    cold = [ours(browser, base, app, cold=True) for _ in range(args.repeat)]
                    warm = [ours(browser, base, app, cold=False) for _ in range(args.repeat)]
                    for label, runs in (("cold", cold), ("warm", warm)):
                        print(f"  ecomap {label}: " + ", ".join(
                            f"{r['ready'] / 1000:.2f} s (served {r['served'] / 1000:.2f} s, "
                            f"network {r['network'] / 1000:.2f} s)" for r in runs), flush=True)
                    with urllib.request.urlopen(f"{base}/?format=json&limit={MAX_LIMIT}", timeout=120) as resp:
                        view = json.loads(resp.read())
                drawn = cold[0]["nodes"]
                page_dir = tmp / f"pyvis-{n}"
                page_dir.mkdir()
                pv, aborted = pyvis_time(browser, pyvis_html(view, page_dir), args.pyvis_limit)
                print(f"  pyvis: {fmt_s(pv, args.pyvis_limit)} ({len(aborted)} CDN request(s) aborted: "
                      f"{', '.join(sorted({u.split('/')[2] for u in aborted}))})", flush=True)
                store.drop()
                store.close()
                rows.append((n, drawn, len(view["graph"]["relationships"]),
                             statistics.median(r["ready"] for r in cold),
                             statistics.median(r["ready"] for r in warm), pv))
            browser.close()
    finally:
        embedded.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    limit = args.pyvis_limit
    print("\nTime until drawn with no physics running (median of "
          f"{args.repeat} loads for ecomap; pyvis capped at {limit:.0f} s):")
    print(f"{'nodes':>7} {'rels':>7} {'ecomap cold':>12} {'ecomap warm':>12} {'pyvis':>10} {'pyvis/cold':>11} "
          f"{'pyvis/warm':>11}")
    for _, drawn, rels, cold_ms, warm_ms, pv in rows:
        ratios = [f"> {limit * 1000 / ms:.0f}×" if pv is None else f"{pv / ms:.0f}×" for ms in (cold_ms, warm_ms)]
        print(f"{drawn:>7} {rels:>7} {cold_ms / 1000:>10.2f} s {warm_ms / 1000:>10.2f} s {fmt_s(pv, limit):>10} "
              f"{ratios[0]:>11} {ratios[1]:>11}")
    print("Targets at 5,000 / 20,000: warm ≤ 3 s, cold ≤ 5 s, ≥ 20× faster than pyvis defaults.")


if __name__ == "__main__":
    main()
