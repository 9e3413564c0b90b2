"""The cluster overview page ``/clusters``: its table of clusters × roles, read back with html.parser,
says for every cluster and role what ``GET /api/analytics/gaps`` says; the score is explained."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote

import pytest

from app.i18n import pair
from app.main import create_app
from app.settings import Settings
from graph.analytics.planted import GraphSpec, write_spec
from graph.store import GraphStore
from tests.test_analytics_completeness import _statuses

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's notice about httpx
    from fastapi.testclient import TestClient

WORDS = {status: pair(f"gaps.status.{status}")[0] for status in ("present", "recorded_absent", "not_recorded")}
VOID = {"br", "meta", "link", "input", "img", "hr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        found = []
        for child in self.children:
            if isinstance(child, Element):
                if (tag is None or child.tag == tag) and all(
                        child.attrs.get(k.rstrip("_").replace("_", "-")) == v if v is not True else
                        k.rstrip("_").replace("_", "-") in child.attrs for k, v in attrs.items()):
                    found.append(child)
                found += child.find_all(tag, **attrs)
        return found

    def has_class(self, name: str) -> bool:
        return name in self.attrs.get("class", "").split()


class Tree(HTMLParser):
    """The page as a tree of elements (the standard library's parser; no browser)."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def _page(client: TestClient, url: str = "/clusters") -> Element:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    return Tree(response.text).root


def _by_id(root: Element, element_id: str) -> Element:
    [element] = root.find_all(id=element_id)
    return element


def _matches_the_report(root: Element, report: list[dict], roles: list[str]) -> None:
    table = _by_id(root, "cluster-roles")
    headers = [th.attrs["data-role"] for th in table.find_all("th", data_role=True)]
    assert headers == roles
    rows = [tr for tr in table.find_all("tr") if tr.has_class("cluster")]
    assert [tr.attrs["data-cluster"] for tr in rows] == [c["id"] for c in report]
    for tr, cluster in zip(rows, report, strict=True):
        [name] = [a for a in tr.find_all("a") if a.has_class("cluster-name")]
        assert name.attrs["href"] == f"/clusters/{quote(cluster['id'], safe='')}"
        assert name.text() == cluster["name"]
        [score] = tr.find_all("td", class_="score")
        assert float(score.attrs["data-score"]) == cluster["score"]
        assert float(score.attrs["data-present-weight"]) == cluster["present_weight"]
        assert f"{cluster['score']:.2f}" in score.text()
        cells = [td for td in tr.find_all("td") if td.has_class("role-cell")]
        assert [td.attrs["data-role"] for td in cells] == roles
        for td, role in zip(cells, cluster["roles"], strict=True):
            where = (cluster["id"], role["role"])
            assert td.attrs["data-status"] == role["status"], where
            [word] = [s for s in td.find_all("span") if s.has_class("status-word")]
            assert word.text() == WORDS[role["status"]], where
            fillers = [a for a in td.find_all("a") if a.has_class("filler")]
            shown = role["evidence"][:5]
            assert [a.attrs["data-entity"] for a in fillers] == [e["entity"] for e in shown], where
            assert [a.text() for a in fillers] == [e["name"] for e in shown], where
            assert [a.attrs["href"] for a in fillers] == [f"/entity/{quote(e['entity'], safe='')}" for e in shown]
            vias = [s.attrs["data-via"] for s in td.find_all("span", data_via=True)]
            assert vias == [e["via_cluster"] for e in shown if e["scope"] == "parent"], where
            more = [s for s in td.find_all("span") if s.has_class("more")]
            assert [int(s.attrs["data-count"]) for s in more] == ([len(role["evidence"])] if len(role["evidence"]) > 5
                                                                  else []), where
            related = [a.attrs["data-entity"] for a in td.find_all("a") if a.has_class("related-entity")]
            assert related == [r["entity"] for r in role["related"]], where
            citations = [a.text() for a in td.find_all("a") if a.has_class("citation")]
            assert citations == role["absent_sources"], where
    by_role = _by_id(root, "roles-by-status")
    for i, role in enumerate(roles):
        [row] = by_role.find_all("tr", data_role=role)
        for td in row.find_all("td"):
            listed = [a.attrs["data-cluster"] for a in td.find_all("a")]
            assert listed == [c["id"] for c in report if c["roles"][i]["status"] == td.attrs["data-status"]], role


@pytest.fixture
def client(settings: Settings, store: GraphStore) -> Iterator[TestClient]:
    write_spec(store, _statuses())
    with TestClient(create_app(settings, store)) as test_client:
        yield test_client


def test_the_table_says_what_the_report_says(client: TestClient) -> None:
    report = client.get("/api/analytics/gaps").json()["clusters"]
    roles = [r["role"] for r in report[0]["roles"]]
    root = _page(client)
    _matches_the_report(root, report, roles)
    steel = next(tr for tr in root.find_all("tr", data_cluster="steel"))
    cells = {td.attrs["data-role"]: td for td in steel.find_all("td") if td.has_class("role-cell")}
    # the three statuses, each as its mark and word
    assert "✕" in cells["pilot_base"].text() and WORDS["recorded_absent"] in cells["pilot_base"].text()
    assert "?" in cells["incubator"].text() and "孵化器甲" in cells["incubator"].text()
    assert "✓" in cells["finance"].text() and "合作银行" in cells["finance"].text()
    citations = [a.attrs["href"] for a in cells["pilot_base"].find_all("a") if a.has_class("citation")]
    assert citations == ["/sources/src-a/2", "/sources/src-a/5"]


def test_the_page_explains_what_the_score_measures_and_what_it_does_not(client: TestClient) -> None:
    root = _page(client)
    for element_id, key in (("explain-score", "gaps.explain.score"),
                            ("explain-not-strength", "gaps.explain.not_strength")):
        [span] = _by_id(root, element_id).find_all("span", data_i18n=key)
        assert span.text() == pair(key)[0]
    assert "来源未记载的角色可能确实存在" in pair("gaps.explain.not_strength")[0]
    assert "not a judgement" in pair("gaps.explain.not_strength")[1]
    [link] = [a for a in root.find_all("a") if a.attrs.get("href") == "/clusters"]
    assert link.attrs.get("aria-current") == "page"  # the header leads here
    assert _page(client, "/clusters?lang=en").find_all(id="cluster-roles")


def test_unknown_parameters_are_refused(client: TestClient) -> None:
    response = client.get("/clusters", params={"role": "pilot_base"})
    assert response.status_code == 422
    assert "lang" in response.json()["error"]["details"][0]["message"]


def test_names_are_escaped(settings: Settings, store: GraphStore) -> None:
    spec = GraphSpec()
    spec.node("c-x", "Cluster", name="<img src=x onerror=alert(1)>集群")
    spec.node("e-x", "Enterprise", name="<b>企业</b>")
    spec.edge("e-x", "LEADS", "c-x")
    write_spec(store, spec)
    with TestClient(create_app(settings, store)) as client:
        html = client.get("/clusters").text
    assert "<img src=x" not in html and "<b>企业</b>" not in html
    assert "&lt;b&gt;企业&lt;/b&gt;" in html


def test_the_curated_data_matches_the_report(settings: Settings, store: GraphStore) -> None:
    loaders = pytest.importorskip("loaders", reason="the loaders package is not available")
    loaders.load_dataset(store, "shanxi")
    with TestClient(create_app(settings, store)) as client:
        report = client.get("/api/analytics/gaps").json()["clusters"]
        root = _page(client)
    assert len(report) >= 2
    _matches_the_report(root, report, [r["role"] for r in report[0]["roles"]])
    # which clusters lack a pilot base, and is that recorded or only not recorded: one row answers it
    [row] = _by_id(root, "roles-by-status").find_all("tr", data_role="pilot_base")
    answered = {a.attrs["data-cluster"] for td in row.find_all("td") for a in td.find_all("a")}
    assert answered == {c["id"] for c in report}


def test_an_empty_graph_says_so(settings: Settings, store: GraphStore) -> None:
    with TestClient(create_app(settings, store)) as client:
        root = _page(client)
    assert _by_id(root, "cluster-roles").find_all("span", data_i18n="gaps.overview.none")
