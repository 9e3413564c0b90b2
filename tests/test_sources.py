"""The source pages and ``/api/sources``: for every source and section of the curated dataset, the facts
listed (JSON and HTML) are exactly the records of the dataset's YAML files that cite it, read here from
the files themselves; unknown sources and sections get a 404 that says where to look; names carrying
markup are shown as text; the section page switches its notes between Chinese and English.

Facts are the nodes and relationships whose ``sources`` list holds the citation. The CLASSIFIED_AS and
MENTIONED_IN relationships the loader derives are not facts (they restate a node's own citations), so
the expected values below never include them, and a hand-made graph checks that an explicit one carrying
``sources`` is left out too.
"""

from __future__ import annotations

import json
import urllib.request
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
import yaml
from fastapi.testclient import TestClient

from graph.ontology import DERIVED_REL_TYPES, NODE_TYPE_BY_LABEL, REL_TYPE_BY_NAME
from loaders import dataset_path, load_dataset
from tests.api_helpers import auth, keys_setting, make_client, write_graph
from tests.conftest import filled_graph
from tests.test_map_support import XSS_IMG, XSS_SCRIPT, Blocker, chromium, served_graph

pytest_plugins = ["tests.api_fixtures"]


# -- the dataset, read from its files ------------------------------------------------------------------------
def _dataset() -> tuple[dict[str, dict], dict[tuple[str, str, str], dict]]:
    nodes: dict[str, dict] = {}
    rels: dict[tuple[str, str, str], dict] = {}
    for path in sorted(dataset_path("shanxi").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for n in data.get("nodes") or []:
            nodes.setdefault(n["id"], {}).update(n)
        for r in data.get("relationships") or []:
            rels.setdefault((r["start"], r["type"], r["end"]), {}).update(r)
    assert not any(key[1] in DERIVED_REL_TYPES for key in rels), "the files were said to hold no derived types"
    return nodes, rels


NODES, RELS = _dataset()
SOURCES = {i: n for i, n in NODES.items() if n["type"] == "Source"}


def expected_nodes(citation: str) -> dict[str, dict]:
    return {i: {"id": i, "type": n["type"], "name": n["name"], "name_en": n.get("name_en"), "note": n.get("note"),
                "note_en": n.get("note_en")}
            for i, n in NODES.items() if citation in (n.get("sources") or [])}


def expected_rels(citation: str) -> dict[tuple[str, str, str], dict]:
    return {key: {"note": r.get("note"), "note_en": r.get("note_en"), "role": r.get("role"),
                  "start_name": NODES[key[0]]["name"], "end_name": NODES[key[2]]["name"]}
            for key, r in RELS.items() if citation in (r.get("sources") or [])}


def expected_sections(source_id: str) -> list[str]:
    """The source's listed sections in order, then the sections cited that it does not list."""
    listed = [str(i) for i in range(len(SOURCES[source_id].get("sections") or []))]
    cited = {c.partition("#")[2] for record in [*NODES.values(), *RELS.values()] for c in record.get("sources") or []
             if c.startswith(f"{source_id}#")}
    return listed + sorted(cited - set(listed))


CITATIONS = [(s, k) for s in sorted(SOURCES) for k in expected_sections(s)]


def test_the_dataset_gives_these_tests_something_to_compare() -> None:
    assert {"src-qiushi", "src-sxrb"} <= set(SOURCES)
    assert len(CITATIONS) >= 8
    assert sum(len(expected_nodes(f"{s}#{k}")) + len(expected_rels(f"{s}#{k}")) for s, k in CITATIONS) > 200
    assert expected_nodes("src-sxrb#0") == {} and expected_rels("src-sxrb#0") == {}  # the heading, cited by nothing


# -- a small DOM from html.parser -----------------------------------------------------------------------------
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Element:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Element | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element | str] = []

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def walk(self) -> Iterator[Element]:
        for c in self.children:
            if isinstance(c, Element):
                yield c
                yield from c.walk()

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list[Element]:
        return [e for e in self.walk() if (tag is None or e.tag == tag) and (cls is None or cls in e.classes())]

    def by_id(self, element_id: str) -> Element:
        found = [e for e in self.walk() if e.attrs.get("id") == element_id]
        assert len(found) == 1, f"expected one #{element_id}, found {len(found)}"
        return found[0]

    def ancestor(self, cls: str) -> Element | None:
        e = self.parent
        while e is not None and cls not in e.classes():
            e = e.parent
        return e


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {}, None)
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        e = Element(tag, dict(attrs), self.current)
        self.current.children.append(e)
        if tag not in VOID:
            self.current = e

    def handle_endtag(self, tag: str) -> None:
        e = self.current
        while e is not None and e.tag != tag:
            e = e.parent
        if e is not None and e.parent is not None:
            self.current = e.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def dom(html: str) -> Element:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def main_of(html: str) -> Element:
    mains = dom(html).find_all("main")
    assert len(mains) == 1
    return mains[0]


def zh_text(e: Element) -> str:
    """The text a reader sees without the page's script (the server renders Chinese)."""
    return " ".join(e.text().split())


def hrefs(e: Element) -> list[str]:
    return [a.attrs.get("href") or "" for a in e.find_all("a")]


def entity_href(entity_id: str) -> str:
    return f"/entity/{quote(entity_id, safe='')}"


def section_href(source_id: str, section: str) -> str:
    return f"/sources/{quote(source_id, safe='')}/{quote(section, safe='')}"


# -- the API on the curated dataset ---------------------------------------------------------------------------
def test_the_list_has_every_source_with_its_sections_and_their_counts(client: TestClient) -> None:
    body = client.get("/api/sources").json()
    assert body["total"] == len(SOURCES) and body["next_cursor"] is None
    assert [s["id"] for s in body["items"]] == sorted(SOURCES)
    for item in body["items"]:
        yaml_source = SOURCES[item["id"]]
        for name in ("name", "name_en", "title", "publisher", "date", "author", "description"):
            assert item[name] == yaml_source.get(name), (item["id"], name)
        assert [s["section"] for s in item["sections"]] == expected_sections(item["id"])
        titles = yaml_source.get("sections") or []
        for s in item["sections"]:
            citation = f"{item['id']}#{s['section']}"
            assert s["nodes"] == len(expected_nodes(citation)), citation
            assert s["relationships"] == len(expected_rels(citation)), citation
            index = int(s["section"])
            assert (s["title"], s["listed"]) == ((titles[index], True) if index < len(titles) else (None, False))
            assert s["page"] == section_href(item["id"], s["section"]) and s["api"] == "/api" + s["page"]
        assert item["whole_source"] == {"nodes": len(expected_nodes(item["id"])),
                                        "relationships": len(expected_rels(item["id"]))}


def test_the_list_pages_with_a_cursor(client: TestClient) -> None:
    first = client.get("/api/sources?limit=1").json()
    second = client.get(f"/api/sources?limit=1&cursor={first['next_cursor']}").json()
    assert [s["id"] for s in first["items"] + second["items"]] == sorted(SOURCES)
    assert second["next_cursor"] is None


@pytest.mark.parametrize(("source_id", "section"), CITATIONS)
def test_a_section_lists_exactly_the_records_of_the_files_that_cite_it(client: TestClient, source_id: str,
                                                                      section: str) -> None:
    citation = f"{source_id}#{section}"
    body = client.get(f"/api/sources/{source_id}/{section}").json()
    assert body["source"]["id"] == source_id and body["section"] == section and body["truncated"] is False
    assert body["title"] == SOURCES[source_id]["sections"][int(section)]
    nodes = {n["id"]: {k: n[k] for k in ("id", "type", "name", "name_en", "note", "note_en")} for n in body["nodes"]}
    assert len(nodes) == len(body["nodes"])
    assert nodes == expected_nodes(citation)
    assert all(n["page"] == entity_href(n["id"]) for n in body["nodes"])
    rels = {(r["start"], r["type"], r["end"]): {k: r[k] for k in ("note", "note_en", "role", "start_name", "end_name")}
            for r in body["relationships"]}
    assert len(rels) == len(body["relationships"])
    assert rels == expected_rels(citation)


@pytest.mark.parametrize("source_id", sorted(SOURCES))
def test_one_source_has_its_sections_and_the_records_citing_it_as_a_whole(client: TestClient, source_id: str) -> None:
    body = client.get(f"/api/sources/{source_id}").json()
    listed = next(s for s in client.get("/api/sources").json()["items"] if s["id"] == source_id)
    assert {k: v for k, v in body.items() if k != "facts"} == listed
    assert {n["id"] for n in body["facts"]["nodes"]} == set(expected_nodes(source_id))
    assert {(r["start"], r["type"], r["end"]) for r in body["facts"]["relationships"]} == set(expected_rels(source_id))


def test_a_limit_cuts_the_lists_and_says_so(client: TestClient) -> None:
    full = client.get("/api/sources/src-sxrb/3").json()
    cut = client.get("/api/sources/src-sxrb/3?limit=2").json()
    assert cut["truncated"] is True and len(cut["nodes"]) == 2 and len(cut["relationships"]) == 2
    assert {n["id"] for n in cut["nodes"]} <= {n["id"] for n in full["nodes"]}
    assert client.get("/api/sources/src-sxrb/3?limit=0").status_code == 422


def test_an_unknown_source_or_section_is_a_404_saying_where_to_look(client: TestClient) -> None:
    r = client.get("/api/sources/src-nowhere")
    assert r.status_code == 404
    error = r.json()["error"]
    assert error["code"] == "not_found" and "src-nowhere" in error["message"] and "/api/sources" in error["message"]
    assert error["details"] == {"id": "src-nowhere"}
    for path in ("/api/sources/src-nowhere/3", "/api/sources/src-sxrb/99", "/api/sources/src-sxrb/03"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert r.json()["error"]["code"] == "not_found"
    error = client.get("/api/sources/src-sxrb/99").json()["error"]
    assert "'99'" in error["message"] and "/api/sources/src-sxrb" in error["message"]
    assert error["details"] == {"id": "src-sxrb", "section": "99"}


def test_openapi_documents_the_source_routes_and_their_models(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    expected = {"/api/sources": "SourcePage", "/api/sources/{source_id}": "SourceDetailOut",
                "/api/sources/{source_id}/{section}": "SectionDetailOut"}
    for path, model in expected.items():
        responses = spec["paths"][path]["get"]["responses"]
        assert responses["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/" + model), path
        assert "404" in responses or path == "/api/sources"
    section_schema = spec["components"]["schemas"]["SectionDetailOut"]["properties"]
    assert {"nodes", "relationships", "source", "title", "truncated"} <= set(section_schema)
    assert not any(p.startswith("/sources") for p in spec["paths"]), "pages stay out of the API schema"


def test_the_api_needs_a_key(client: TestClient) -> None:
    r = client.get("/api/sources", headers={"X-API-Key": ""})
    assert r.status_code == 401


# -- the pages on the curated dataset ----------------------------------------------------------------------------
@pytest.mark.parametrize(("source_id", "section"), CITATIONS)
def test_a_section_page_lists_every_citing_record_with_links(client: TestClient, source_id: str, section: str) -> None:
    citation = f"{source_id}#{section}"
    r = client.get(section_href(source_id, section))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    main = main_of(r.text)
    assert zh_text(main.by_id("section-title")) == SOURCES[source_id]["sections"][int(section)]
    assert zh_text(main.by_id("citation")) == citation

    nodes = expected_nodes(citation)
    shown = main.find_all("li", "fact-node")
    assert Counter(li.attrs["data-id"] for li in shown) == Counter(set(nodes))
    for li in shown:
        node = nodes[li.attrs["data-id"]]
        assert entity_href(node["id"]) in hrefs(li)
        link = next(a for a in li.find_all("a") if a.attrs["href"] == entity_href(node["id"]))
        assert zh_text(link) == node["name"]
        group = li.ancestor("fact-group")
        assert group is not None and group.attrs["data-type"] == node["type"]
        assert zh_text(group.find_all("h3")[0]).split()[0] == NODE_TYPE_BY_LABEL[node["type"]].zh
        notes = li.find_all(cls="fact-note")
        assert [zh_text(n) for n in notes] == ([" ".join(node["note"].split())] if node["note"] else [])

    rels = expected_rels(citation)
    shown = main.find_all("li", "fact-rel")
    keys = [(li.attrs["data-start"], li.attrs["data-type"], li.attrs["data-end"]) for li in shown]
    assert Counter(keys) == Counter(set(rels))
    for li, key in zip(shown, keys, strict=True):
        start, rel_type, end = key
        assert hrefs(li)[:2] == [entity_href(start), entity_href(end)]
        assert zh_text(li.find_all(cls="fact-rel-type")[0]) == f"—{REL_TYPE_BY_NAME[rel_type].zh}→"
        assert zh_text(li.find_all(cls="fact-start")[0]) == rels[key]["start_name"]
        assert zh_text(li.find_all(cls="fact-end")[0]) == rels[key]["end_name"]
        role = rels[key]["role"]
        assert [zh_text(e) for e in li.find_all(cls="fact-role")] == ([f"（角色：{role}）"] if role else [])
    assert "见于" in zh_text(main), "the page says the derived relationships are left out"


def test_the_source_list_page_links_every_source(client: TestClient) -> None:
    r = client.get("/sources")
    assert r.status_code == 200
    main = main_of(r.text)
    rows = main.find_all("tr", "source")
    assert [row.attrs["data-id"] for row in rows] == sorted(SOURCES)
    for row in rows:
        assert f"/sources/{row.attrs['data-id']}" in hrefs(row)
        assert SOURCES[row.attrs["data-id"]]["name"] in zh_text(row)
    assert zh_text(main.find_all("h1")[0]) == "来源文献"


@pytest.mark.parametrize("source_id", sorted(SOURCES))
def test_a_source_page_shows_its_fields_and_links_each_section_with_its_counts(client: TestClient,
                                                                               source_id: str) -> None:
    main = main_of(client.get(f"/sources/{source_id}").text)
    source = SOURCES[source_id]
    assert zh_text(main.find_all("h1")[0]) == source["name"]
    fields = {dd.attrs["data-field"]: zh_text(dd) for dd in main.find_all("dd") if "data-field" in dd.attrs}
    assert fields["title"] == source["title"] and fields["publisher"] == source["publisher"]
    rows = main.find_all("tr", "section")
    assert [row.attrs["data-section"] for row in rows] == expected_sections(source_id)
    for row in rows:
        citation = f"{source_id}#{row.attrs['data-section']}"
        assert section_href(source_id, row.attrs["data-section"]) in hrefs(row)
        assert int(row.attrs["data-nodes"]) == len(expected_nodes(citation))
        assert int(row.attrs["data-relationships"]) == len(expected_rels(citation))
        assert source["sections"][int(row.attrs["data-section"])] in zh_text(row)


@pytest.mark.parametrize(("path", "heading", "named"), [
    ("/sources/src-nowhere", "未找到来源", "src-nowhere"),
    ("/sources/src-nowhere/3", "未找到来源", "src-nowhere"),
    ("/sources/src-sxrb/99", "未找到章节", "99"),
])
def test_an_unknown_source_or_section_page_is_a_404_in_chinese(client: TestClient, path: str, heading: str,
                                                              named: str) -> None:
    r = client.get(path, headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    main = main_of(r.text)
    assert zh_text(main.find_all("h1")[0]) == heading
    message = zh_text(main.find_all("p")[0])
    assert named in message and "/sources" in message and "没有" in message


# -- a hand-made graph: markup in names, whole-source and unlisted citations, derived types -------------------
SRC = "src-test"
HOSTILE_NODES = [
    ("Source", {"id": SRC, "name": f"来源{XSS_SCRIPT}", "title": XSS_IMG, "publisher": XSS_SCRIPT,
                "sections": ["导语", f"第一部分{XSS_IMG}"]}),
    ("Category", {"id": "liuxin-new-material", "name": "新材料"}),
    ("Enterprise", {"id": "ent-img", "name": XSS_IMG, "name_en": XSS_SCRIPT, "liuxin": ["新材料"],
                    "sources": [f"{SRC}#1"], "note": XSS_SCRIPT, "note_en": XSS_IMG}),
    ("Cluster", {"id": "cl-a", "name": "新材料集群", "sources": [f"{SRC}#1", SRC, f"{SRC}#9"], "note": "集群"}),
    ("Person", {"id": "person-b", "name": "乙", "sources": [f"{SRC}#0"]}),
]
HOSTILE_RELS = [
    ("ent-img", "MEMBER_OF", "cl-a", {"sources": [f"{SRC}#1"], "note": XSS_IMG, "role": XSS_SCRIPT}),
    ("person-b", "LEADS", "cl-a", {"sources": [SRC]}),
    ("ent-img", "CLASSIFIED_AS", "liuxin-new-material", {"sources": [f"{SRC}#1"]}),
]


@pytest.fixture(scope="module")
def hostile_client(engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with filled_graph(engine, lambda s: write_graph(s, HOSTILE_NODES, HOSTILE_RELS)) as store:
        c = make_client(store, tmp_path_factory.mktemp("sources"), keys_setting())
        c.headers.update(auth("viewer"))
        yield c


def _injected(main: Element) -> list[str]:
    return [e.tag for e in main.walk() if e.tag in ("img", "script")] + \
        [f"{e.tag}[{k}]" for e in main.walk() for k in e.attrs if k.startswith("on")]


def test_markup_in_names_notes_and_roles_is_shown_as_text(hostile_client: TestClient) -> None:
    main = main_of(hostile_client.get(f"/sources/{SRC}/1").text)
    assert _injected(main) == []
    node = next(li for li in main.find_all("li", "fact-node") if li.attrs["data-id"] == "ent-img")
    link = next(a for a in node.find_all("a") if a.attrs["href"] == "/entity/ent-img")
    assert zh_text(link) == XSS_IMG
    assert link.find_all("span")[0].attrs["data-i18n-en"] == XSS_SCRIPT
    note = node.find_all(cls="fact-note")[0]
    assert zh_text(note) == XSS_SCRIPT and note.find_all("span")[0].attrs["data-i18n-en"] == XSS_IMG
    rel = main.find_all("li", "fact-rel")[0]
    assert zh_text(rel.find_all(cls="fact-start")[0]) == XSS_IMG and XSS_SCRIPT in zh_text(rel)
    assert zh_text(main.by_id("section-title")) == f"第一部分{XSS_IMG}"
    for path in ("/sources", f"/sources/{SRC}"):
        page = main_of(hostile_client.get(path).text)
        assert _injected(page) == [], path
        assert XSS_IMG in zh_text(page) and XSS_SCRIPT in zh_text(page), path
    names = {n["id"]: n["name"] for n in hostile_client.get(f"/api/sources/{SRC}/1").json()["nodes"]}
    assert names["ent-img"] == XSS_IMG


def test_derived_relationships_are_not_facts_even_with_sources(hostile_client: TestClient) -> None:
    body = hostile_client.get(f"/api/sources/{SRC}/1").json()
    assert [(r["start"], r["type"], r["end"]) for r in body["relationships"]] == [("ent-img", "MEMBER_OF", "cl-a")]
    assert {n["id"] for n in body["nodes"]} == {"ent-img", "cl-a"}
    counts = {s["section"]: (s["nodes"], s["relationships"]) for s in
              hostile_client.get(f"/api/sources/{SRC}").json()["sections"]}
    assert counts == {"0": (1, 0), "1": (2, 1), "9": (1, 0)}


def test_whole_source_and_unlisted_citations_have_their_pages(hostile_client: TestClient) -> None:
    body = hostile_client.get(f"/api/sources/{SRC}").json()
    assert body["whole_source"] == {"nodes": 1, "relationships": 1}
    assert [n["id"] for n in body["facts"]["nodes"]] == ["cl-a"]
    whole = [(r["start"], r["type"], r["end"]) for r in body["facts"]["relationships"]]
    assert whole == [("person-b", "LEADS", "cl-a")]
    unlisted = next(s for s in body["sections"] if s["section"] == "9")
    assert unlisted["title"] is None and unlisted["listed"] is False
    assert [n["id"] for n in hostile_client.get(f"/api/sources/{SRC}/9").json()["nodes"]] == ["cl-a"]
    main = main_of(hostile_client.get(f"/sources/{SRC}").text)
    assert [li.attrs["data-id"] for li in main.find_all("li", "fact-node")] == ["cl-a"]
    assert [li.attrs["data-start"] for li in main.find_all("li", "fact-rel")] == ["person-b"]
    assert section_href(SRC, "9") in hrefs(main)
    assert hostile_client.get(section_href(SRC, "9")).status_code == 200


# -- in the browser ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(engine) -> Iterator[str]:
    """The app on the curated dataset, served on a loopback port."""
    with served_graph(engine, lambda store: load_dataset(store, "shanxi")) as base:
        yield base


def test_the_section_page_switches_its_notes_between_chinese_and_english(site: str) -> None:
    pytest.importorskip("playwright.sync_api")
    with urllib.request.urlopen(site + "/api/sources/src-sxrb/3", timeout=30) as resp:
        facts = json.loads(resp.read())
    records = facts["nodes"] + facts["relationships"]
    zh = sorted(" ".join(r["note"].split()) for r in records if r["note"])
    en = sorted(" ".join((r["note_en"] or r["note"]).split()) for r in records if r["note"] or r["note_en"])
    assert zh != en and all(any("\u4e00" <= ch <= "\u9fff" for ch in note) for note in zh), "Chinese notes"

    notes = ("() => [...document.querySelectorAll('main .fact-note')]"
             ".map(e => e.textContent.trim().split(/\\s+/).join(' '))")
    with chromium() as browser:
        context = browser.new_context()
        page = context.new_page()
        blocker = Blocker(site + "/")
        errors: list[str] = []
        page.route("**/*", blocker)
        page.on("pageerror", lambda e: errors.append(str(e)))
        # A load the Content-Security-Policy refused never reaches the router: count it from the console.
        page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
        page.goto(site + "/sources/src-sxrb/3")
        assert sorted(page.evaluate(notes)) == zh
        assert page.inner_text("#entities h2").startswith("实体")
        page.click("#lang-toggle")
        assert sorted(page.evaluate(notes)) == en
        assert page.inner_text("#entities h2").startswith("Entities")
        first = facts["nodes"][0]
        assert page.inner_text(f"li[data-id='{first['id']}'] a") == (first["name_en"] or first["name"])
        page.click("#lang-toggle")
        assert sorted(page.evaluate(notes)) == zh
        context.close()
    assert blocker.blocked == [], f"requests left the server: {blocker.blocked}"
    assert errors == [], f"script errors or loads refused by the CSP: {errors}"
