"""The chain page (/clusters/{id}/chain), its what-if panel and the targets page (/clusters/{id}/targets)
in headless Chromium, on every engine.

Expected values come from the curated dataset's declared order, from the generator's planted truth
(written before the graph is loaded, never read from the pages) and from the JSON API. Every request to
another host is aborted and counted; every test ends with none counted, no dialog and no script error.
"""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.i18n import text
from graph.store import GraphStore
from loaders import load_dataset
from loaders.load import load_paths
from tests.conftest import planted_files
from tests.test_map_support import (
    XSS_IMG,
    XSS_SCRIPT,
    api,
    build_graph,
    chromium,
    served_graph,
    wait_until,
    watched_page,
)

pytest.importorskip("playwright.sync_api")

READY = "window.ecomapChain && window.ecomapChain.ready"
RAIL = "cluster-rail-equipment"
RAIL_ORDER = [["link-key-materials"], ["link-core-components"], ["link-electric-traction", "link-running-gear"],
              ["link-railway-vehicles", "link-urban-rail-vehicles"], ["link-operation-maintenance"]]
"""The rail cluster's links by declared position: 材料 → 零部件 → 系统 → 整车 → 服务."""
SHOTS = Path("/tmp/shots")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def curated(engine) -> Iterator[str]:
    with served_graph(engine, lambda store: load_dataset(store, "shanxi")) as base:
        yield base


@pytest.fixture(scope="module")
def generated(engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict]]:
    """The app on a generated ecosystem with planted chains, and the planted truth."""
    files, truth = planted_files(tmp_path_factory.mktemp("chain-gen"), 1500, 7000, seed=3)
    with served_graph(engine, lambda store: load_paths(store, files)) as base:
        yield base, truth


def hostile(store: GraphStore) -> None:
    """The map tests' graph, with the enterprises named like markup operating in the gap link."""
    build_graph(store)
    store.write("MATCH (e:Entity), (l:Entity {id: 'link-steel'}) WHERE e.id IN ['ent-xss-img', 'ent-xss-script'] "
                "CREATE (e)-[:OPERATES_IN]->(l)")


@pytest.fixture(scope="module")
def hostile_site(engine) -> Iterator[str]:
    with served_graph(engine, hostile) as base:
        yield base


def open_chain(page: Any, base: str, cluster: str, lang: str | None = None) -> list[dict]:
    page.goto(f"{base}/clusters/{urllib.parse.quote(cluster)}/chain" + (f"?lang={lang}" if lang else ""))
    wait_until(page, READY, 30)
    return page.evaluate("ecomapChain.links()")


def columns_by_x(links: list[dict]) -> list[list[str]]:
    """The link ids grouped by drawn x, left to right, top to bottom in each group."""
    xs = sorted({link["x"] for link in links})
    return [[link["id"] for link in sorted(links, key=lambda link: link["y"]) if link["x"] == x] for x in xs]


# -- the curated rail cluster ----------------------------------------------------------------------------------
def test_rail_chain_draws_every_link_in_the_declared_order_all_gaps(browser: Any, curated: str) -> None:
    chain = api(curated, f"/api/clusters/{RAIL}/chain")
    assert [c["links"] for c in chain["columns"]] == RAIL_ORDER
    with watched_page(browser, curated, viewport={"width": 1440, "height": 900}) as page:
        links = open_chain(page, curated, RAIL)
        assert len(links) == 7
        assert columns_by_x(links) == RAIL_ORDER
        assert {link["status"] for link in links} == {"gap"}
        assert all(text("chain.status.gap") in link["label"] for link in links)
        assert page.inner_text("#chain-basis") == text("chain.basis.position")
        rows = page.eval_on_selector_all("tr.chain-link", "rs => rs.map(r => [r.dataset.link, r.dataset.status])")
        assert rows == [[link, "gap"] for column in RAIL_ORDER for link in column]
        hrefs = page.eval_on_selector_all(".chain-nav a", "as => as.map(a => a.getAttribute('href'))")
        assert hrefs == [f"/clusters/{RAIL}", f"/clusters/{RAIL}/targets", f"/clusters/{RAIL}/report",
                         f"/clusters/{RAIL}/report.xlsx"]
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "chain-rail.png"))


def test_rail_chain_switches_to_english(browser: Any, curated: str) -> None:
    with watched_page(browser, curated) as page:
        open_chain(page, curated, RAIL)
        page.click("#lang-toggle")
        wait_until(page, "document.documentElement.lang === 'en'")
        assert page.inner_text("h1") == "Rail-transit equipment industry · " + text("chain.title", "en")
        assert page.inner_text("#chain-basis") == text("chain.basis.position", "en")
        links = page.evaluate("ecomapChain.links()")
        assert all(link["label"].split("\n")[1].startswith("gap") for link in links)
        assert any(link["label"].startswith("Key basic") for link in links)


def test_rail_targets_say_why_there_are_no_candidates(browser: Any, curated: str) -> None:
    targets = api(curated, f"/api/clusters/{RAIL}/targets")
    with watched_page(browser, curated) as page:
        page.goto(f"{curated}/clusters/{RAIL}/targets")
        shown = page.eval_on_selector_all("section.targets-link", """ss => ss.map(s => [s.dataset.link,
            s.querySelector('.no-candidates').textContent.trim()])""")
        assert shown == [[link["id"], link["no_candidates"]["zh"]] for link in targets["links"]]
        assert len(shown) == 7
        signals = page.eval_on_selector_all("#signals tr[data-signal]", "rs => rs.map(r => r.dataset.signal)")
        assert signals == [s["key"] for s in targets["signals"]]


def test_an_unknown_cluster_is_a_chinese_404_on_both_pages(curated: str) -> None:
    for page in ("chain", "targets"):
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{curated}/clusters/no-such-cluster/{page}", timeout=30)
        assert err.value.code == 404
        body = err.value.read().decode()
        assert text("page.not_found.cluster.heading") in body and "no-such-cluster" in body


# -- generated data with planted truth -------------------------------------------------------------------------
def planted(truth: dict) -> tuple[str, dict]:
    return next((c, t) for c, t in truth["clusters"].items() if t["gap"] and t["fragile"] and t["single_supplier"])


def test_a_planted_chain_is_drawn_in_its_order_with_its_gap_and_fragile_links(browser: Any, generated) -> None:
    base, truth = generated
    cluster, planted_truth = planted(truth)
    with watched_page(browser, base, viewport={"width": 1440, "height": 900}) as page:
        links = open_chain(page, base, cluster)
        assert [ids for column in columns_by_x(links) for ids in column] == planted_truth["links"]
        status = {link["id"]: link["status"] for link in links}
        assert {k for k, v in status.items() if v == "gap"} == set(planted_truth["gap"])
        assert {k for k, v in status.items() if v == "fragile"} == set(planted_truth["fragile"])
        assert {k for k, v in status.items() if v == "ok"} == set(planted_truth["covered"])
        leader = page.evaluate("(id) => ecomapChain.entities().filter(e => e.id === id)", planted_truth["leader"])
        assert leader and all(e["label"].startswith("★" + text("chain.mark.leader")) for e in leader)
        assert page.inner_text("#chain-basis") == text("chain.basis.upstream_of")
        page.screenshot(path=str(SHOTS / "chain-generated.png"))


def test_removing_the_single_supplier_makes_its_link_a_gap(browser: Any, generated) -> None:
    base, truth = generated
    cluster, planted_truth = planted(truth)
    link, supplier = planted_truth["single_supplier"]["link"], planted_truth["single_supplier"]["entity"]
    with watched_page(browser, base) as page:
        open_chain(page, base, cluster)
        page.click(f"tr.chain-link[data-link='{link}'] li.firm[data-entity='{supplier}'] input.wi-remove")
        assert page.evaluate("ecomapChain.whatif.removed()") == [supplier]
        assert all(e["removed"] for e in page.evaluate("(id) => ecomapChain.entities().filter(e => e.id === id)",
                                                       supplier))
        page.click("#wi-run")
        answer = wait_until(page, "ecomapChain.whatif.pending() === 0 && ecomapChain.whatif.answer()", 30)
        assert link in answer["became_gap"]
        shown = page.inner_text("#wi-result")
        assert text("chain.whatif.note") in shown
        name = api(base, f"/api/entities/{link}")["node"]["properties"]["name"]
        assert text("chain.whatif.became_gap") + "\n" + name in shown
        marked = {x["id"]: x for x in page.evaluate("ecomapChain.links()")}
        assert marked[link]["borderWidth"] > 1 and text("chain.status.gap") in marked[link]["label"].split("\n")[1]
        assert [i for i, x in marked.items() if x["borderWidth"] > 1] == [link]
        assert page.get_attribute(f"tr.chain-link[data-link='{link}']", "class").split()[-1] == "wi-changed"
        page.click("#wi-clear")
        assert page.evaluate("ecomapChain.whatif.removed()") == []
        assert not page.is_checked(f"li.firm[data-entity='{supplier}'] input.wi-remove")


def test_a_hypothetical_enterprise_fills_the_planted_gap(browser: Any, generated) -> None:
    base, truth = generated
    cluster, planted_truth = planted(truth)
    gap = planted_truth["gap"][0]
    with watched_page(browser, base) as page:
        open_chain(page, base, cluster)
        page.select_option("#wi-add-link", gap)
        page.fill("#wi-add-name", XSS_IMG)
        page.click("#wi-add-button")
        assert XSS_IMG in page.inner_text("#wi-added")
        page.click("#wi-run")
        answer = wait_until(page, "ecomapChain.whatif.pending() === 0 && ecomapChain.whatif.answer()", 30)
        after = {x["id"]: x for x in answer["links"]}
        assert after[gap]["before"] == "gap" and after[gap]["after"] != "gap"
        assert page.evaluate("document.querySelectorAll('#whatif img').length") == 0


def test_the_planted_best_candidate_is_listed_first_with_named_evidence(browser: Any, generated) -> None:
    base, truth = generated
    cluster, planted_truth = planted(truth)
    with watched_page(browser, base) as page:
        page.goto(f"{base}/clusters/{cluster}/targets")
        for link, ranked in planted_truth["candidates"].items():
            section = f"section.targets-link[data-link='{link}']"
            order = page.eval_on_selector_all(f"{section} tr.candidate", "rs => rs.map(r => r.dataset.entity)")
            assert order[:3] == [ranked["best"], ranked["second"], ranked["third"]]
        named = page.eval_on_selector_all("a.path-entity", "as => as.map(a => [a.dataset.entity, a.textContent])")
        assert len(named) > 10
        for entity, name in dict(named).items():
            assert api(base, "/api/entities/" + urllib.parse.quote(entity))["node"]["properties"]["name"] == name
        rels = page.eval_on_selector_all(".evidence .rel", "rs => rs.map(r => r.textContent)")
        assert any("合作" in r for r in rels)


# -- markup in names ---------------------------------------------------------------------------------------------
def test_names_like_markup_are_shown_as_text_on_both_pages(browser: Any, hostile_site: str) -> None:
    with watched_page(browser, hostile_site) as page:
        open_chain(page, hostile_site, "cl-material")
        firms = page.eval_on_selector_all("ul.firms li.firm a", "as => as.map(a => a.textContent)")
        assert XSS_IMG in firms and XSS_SCRIPT in firms
        assert page.evaluate("document.querySelectorAll('main img, main script').length") == 0
        drawn = [e["label"] for e in page.evaluate("ecomapChain.entities()")]
        assert any("<img" in label for label in drawn)
        page.goto(f"{hostile_site}/clusters/cl-material/targets")
        names = page.eval_on_selector_all("a.candidate-name", "as => as.map(a => a.textContent)")
        assert XSS_SCRIPT in names
        assert page.evaluate("document.querySelectorAll('main img, main script').length") == 0


def test_the_cluster_overview_links_every_cluster_to_its_chain_page(curated: str) -> None:
    with urllib.request.urlopen(f"{curated}/clusters", timeout=30) as resp:
        body = resp.read().decode()
    for cluster in api(curated, "/api/analytics/gaps")["clusters"]:
        assert f'class="chain-page-link" href="/clusters/{urllib.parse.quote(cluster["id"], safe="")}/chain"' in body
