"""The saved-query pages as a planner uses them, in headless Chromium on the curated dataset: the entity
picker (Chinese name, pinyin, initials), the form's messages in the page's language, localised choices and
defaults, the result table under its declared column names with links to the entity and source pages, the
Excel and CSV downloads, and the same form without JavaScript. Every request to another host is aborted
and counted; every test ends with none counted, no dialog and no script error.

Expected rows come from the JSON API and from a networkx copy of the graph, never from the page itself.
"""

from __future__ import annotations

import io
import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from app.query_library import QueryLibrary
from graph.store import GraphStore
from loaders import load_dataset
from tests.api_helpers import to_nx
from tests.test_map_support import chromium, served_graph, wait_until, watched_page

pytest.importorskip("playwright.sync_api")

SOURCE = "src-sxrb"
SOURCE_NAME = "《山西日报》：山西实践"
GRAPHS: dict[str, Any] = {}
"""The networkx copy of each served graph, by base URL (the independent side of the comparisons)."""


@pytest.fixture(scope="module")
def site(engine) -> Iterator[str]:
    """The app on a graph holding the curated dataset, served on a loopback port."""
    copies = []

    def fill(store: GraphStore) -> None:
        load_dataset(store, "shanxi")
        copies.append(to_nx(store))

    with served_graph(engine, fill) as base:
        GRAPHS[base] = copies[0]
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any, site: str) -> Iterator[Any]:
    with watched_page(browser, site, viewport={"width": 1400, "height": 900}) as pg:
        yield pg


def api(base: str, path: str, **params: Any) -> Any:
    query = urllib.parse.urlencode(params, doseq=True)
    with urllib.request.urlopen(f"{base}{path}{'?' + query if query else ''}", timeout=30) as resp:
        return json.loads(resp.read())


def citing(g: Any, source: str) -> set[tuple]:
    """(subject, relation, object) of every node and relationship citing ``source`` (any section)."""
    def cites(sources: Any) -> bool:
        return any(s == source or s.startswith(source + "#") for s in sources or [])

    return ({(n, None, None) for n, d in g.nodes(data=True) if cites(d.get("sources"))}
            | {(u, k, v) for u, v, k, d in g.edges(keys=True, data=True) if cites(d.get("sources"))})


def table_rows(page: Any) -> list[dict[str, str]]:
    """The result table as {column key: cell text}, plus {column key + "@": the entity a cell links to}."""
    keys = page.eval_on_selector_all("#result-table th", "els => els.map(e => e.dataset.column)")
    cells = page.eval_on_selector_all("#result-table tbody tr", """rows => rows.map(r => [...r.cells].map(c => {
        const a = c.querySelector(':scope > a.cell-node');
        return [c.textContent, a ? decodeURIComponent(a.getAttribute('href').replace('/entity/', '')) : null];
    }))""")
    out = []
    for row in cells:
        record = dict(zip(keys, (text for text, _ in row), strict=True))
        record.update({f"{k}@": link for k, (_, link) in zip(keys, row, strict=True)})
        out.append(record)
    return out


def headers(page: Any) -> list[str]:
    return page.eval_on_selector_all("#result-table th", "els => els.map(e => e.textContent)")


def statements_shown(page: Any) -> set[tuple]:
    """(subject, relation, object) of the rows the source-statements table shows: the entities its name
    columns link to, and the relation's Chinese name mapped back to its type."""
    from graph.ontology import REL_TYPES

    by_zh = {r.zh: r.name for r in REL_TYPES}
    return {(r["subject_name@"], by_zh.get(r["relation"]), r["object_name@"]) for r in table_rows(page)}


# -- the entity picker ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["山西日报", "shanxiribao", "sxrb"])
def test_the_picker_finds_the_source_by_name_or_pinyin_and_the_run_shows_its_statements(
        page: Any, site: str, typed: str) -> None:
    page.goto(site + "/queries/source_statements")
    page.locator("#p-source").press_sequentially(typed, delay=20)
    hit = page.wait_for_selector(f"#picker-source[data-query='{typed}'] li[data-id='{SOURCE}']")
    assert SOURCE_NAME in hit.inner_text() and "来源文献" in hit.inner_text()
    assert page.locator("#picker-source li[data-id]").count() == 1  # only sources are offered
    hit.click()
    assert page.input_value("#p-source") == SOURCE_NAME  # the planner sees the name …
    assert page.input_value("#query-form input[type=hidden][name=source]") == SOURCE  # … the form sends the id
    page.click("#query-form button[type=submit]")
    page.wait_for_selector("#result-table")
    expected = api(site, "/api/queries/source_statements/run", source=SOURCE, limit=10_000)
    assert page.locator("#result-table tbody tr").count() == len(expected["rows"])
    assert statements_shown(page) == citing(GRAPHS[site], SOURCE)
    assert page.input_value("#p-source") == SOURCE_NAME


def test_a_name_typed_without_choosing_is_enough(page: Any, site: str) -> None:
    page.goto(site + "/queries/source_statements")
    page.fill("#p-source", "山西日报")
    page.fill("#p-section", "3")
    page.click("#query-form button[type=submit]")
    page.wait_for_selector("#result-table")
    g = GRAPHS[site]
    cited = {(s, k, o) for s, k, o in citing(g, SOURCE)
             if f"{SOURCE}#3" in ((g.nodes[s] if k is None else g.edges[s, o, k]).get("sources") or [])}
    expected = api(site, "/api/queries/source_statements/run", source=SOURCE, section=3, limit=10_000)
    assert page.locator("#result-table tbody tr").count() == len(expected["rows"]) > 0
    assert statements_shown(page) == cited
    assert "source=src-sxrb" in page.get_attribute("#download-json", "href")


def test_without_javascript_the_form_takes_a_name_and_says_what_to_enter(browser: Any, site: str) -> None:
    with watched_page(browser, site, java_script_enabled=False) as pg:
        pg.goto(site + "/queries/source_statements")
        pg.fill("#p-source", "山西日报")
        pg.click("#query-form button[type=submit]")
        pg.wait_for_selector("#result-table")
        assert statements_shown(pg) == citing(GRAPHS[site], SOURCE)
        pg.goto(site + "/queries/source_statements")
        pg.fill("#p-source", "没有这份报纸")
        pg.click("#query-form button[type=submit]")
        error = pg.inner_text(".field.has-error .error")
        assert error.startswith("没有名称或编号为“没有这份报纸”的来源文献") and "从列表中选择" in error
        assert pg.locator("#result-table").count() == 0


# -- messages and choices in the page's language ------------------------------------------------------------------
def test_validation_messages_follow_the_page_language(page: Any, site: str) -> None:
    page.goto(site + "/queries/top_connected")
    page.fill("#p-top", "0")
    page.click("#query-form button[type=submit]")
    page.wait_for_selector(".field.has-error")
    assert page.inner_text(".field.has-error .error") == "请输入 1 到 1000 之间的整数"
    assert page.inner_text("#query-error") == "有些条件填写得不对，请按提示修改后再运行。"
    page.click("#lang-toggle")
    assert page.inner_text(".field.has-error .error") == "Enter a whole number from 1 to 1000"
    assert page.inner_text("#query-error").startswith("Some conditions are not filled in correctly")
    page.click("#lang-toggle")
    page.goto(site + "/queries/source_statements?run=1")
    assert page.inner_text("#error-source") == "必填：请从列表中选择一个来源文献（可输入名称、拼音或编号）"
    page.goto(site + "/queries/enterprise_collaborators?run=1&enterprise=ent-tisco&rel_types=LEADS%2CMEMBER_OF")
    assert "每行填写一项" in page.inner_text("#error-rel_types")


def test_choices_are_localised_and_defaults_filled_in(page: Any, site: str) -> None:
    page.goto(site + "/queries/top_connected")
    assert page.input_value("#p-top") == "20"
    options = page.eval_on_selector_all("#p-type option", "els => els.map(e => [e.value, e.textContent])")
    assert options[0] == ["", "（不限）"] and ["Enterprise", "企业"] in options and ["Cluster", "产业集群"] in options
    assert page.inner_text("label[for=p-top] .ptype") == "整数"
    page.click("#lang-toggle")
    options = page.eval_on_selector_all("#p-type option", "els => els.map(e => [e.value, e.textContent])")
    assert options[0] == ["", "(any)"] and ["Cluster", "Industry cluster"] in options
    assert page.inner_text("label[for=p-top]").startswith("How many")
    page.click("#lang-toggle")
    page.goto(site + "/queries/cluster_support_gaps")
    assert page.eval_on_selector("#p-only_gaps", "s => s.selectedOptions[0].textContent") == "是"
    page.goto(site + "/queries/enterprise_collaborators")
    query = QueryLibrary().get("enterprise_collaborators")
    checked = page.eval_on_selector_all("input[name=rel_types]:checked", "els => els.map(e => e.value)")
    assert sorted(checked) == sorted(query.parameters["rel_types"].default)
    assert "属于集群" in page.inner_text("#p-rel_types")


def test_the_list_page_reads_in_both_languages(page: Any, site: str) -> None:
    page.goto(site + "/queries")
    row = page.locator("#query-list tr[data-query=source_statements]")
    assert "来源所述" in row.inner_text() and "来源" in row.inner_text() and "表格与网络图" in row.inner_text()
    page.click("#lang-toggle")
    assert "Everything a source states" in row.inner_text() and "table and map" in row.inner_text()
    assert page.inner_text("h1") == "Saved queries"


# -- the result table ------------------------------------------------------------------------------------------
def test_the_table_has_the_declared_column_names_readable_values_and_links(page: Any, site: str) -> None:
    page.goto(site + "/queries/top_connected?run=1&top=5")
    assert headers(page) == ["主体", "类型", "联系条数"]  # the id column: in the downloads, not on screen
    expected = api(site, "/api/queries/top_connected/run", top=5)
    rows = table_rows(page)
    g = GRAPHS[site]
    from graph.ontology import NODE_TYPE_BY_LABEL

    assert [(r["name@"], r["name"], r["type"], int(r["degree"])) for r in rows] == [
        (i, g.nodes[i]["name"], NODE_TYPE_BY_LABEL[t].zh, d) for i, _, t, d in expected["rows"]]
    links = page.eval_on_selector_all("#result-table td a.cell-node", "els => els.map(e => e.getAttribute('href'))")
    assert links == [f"/entity/{urllib.parse.quote(r[0], safe='')}" for r in expected["rows"]]
    page.click("#lang-toggle")
    assert headers(page) == ["Entity", "Type", "Relationships"]
    assert table_rows(page)[0]["type"] == NODE_TYPE_BY_LABEL[expected["rows"][0][2]].en
    page.click("#lang-toggle")
    page.goto(site + "/queries/cluster_support_gaps?run=1&only_gaps=false")
    flags = {r["has_pilot_base"] for r in table_rows(page)}
    assert flags and flags <= {"是", "否"}


def test_citations_link_to_the_source_pages(page: Any, site: str) -> None:
    page.goto(site + f"/queries/source_statements?run=1&source={SOURCE}&section=3")
    wait_until(page, "document.querySelector('#result-table') !== null")
    hrefs = page.eval_on_selector_all("#result-table a.cell-citation", "els => els.map(e => e.getAttribute('href'))")
    texts = page.eval_on_selector_all("#result-table a.cell-citation", "els => els.map(e => e.textContent)")
    assert hrefs and all(h == "/sources/" + t.replace("#", "/") for h, t in zip(hrefs, texts, strict=True))
    assert f"/sources/{SOURCE}/3" in hrefs
    node_sources = page.eval_on_selector_all("#result-table .cell-sources a",
                                             "els => els.map(e => e.getAttribute('href'))")
    assert node_sources and all(h.startswith("/sources/") for h in node_sources)  # a node's own citations


# -- downloads ---------------------------------------------------------------------------------------------------
def test_the_page_offers_an_excel_file_with_the_chinese_headers_and_a_csv_with_a_bom(page: Any, site: str,
                                                                                      tmp_path: Any) -> None:
    from openpyxl import load_workbook

    page.goto(site + f"/queries/source_statements?run=1&source={SOURCE}&section=3")
    with page.expect_download() as download:
        page.click("#download-xlsx")
    target = tmp_path / "result.xlsx"
    download.value.save_as(target)
    sheet = load_workbook(target).active
    query = QueryLibrary().get("source_statements")
    header_row = next(i for i, row in enumerate(sheet.iter_rows(values_only=True), start=1)
                      if row and row[0] == query.columns["subject"].zh)
    header = [c.value for c in sheet[header_row]]
    assert header[:8] == [spec.zh for spec in query.columns.values()]
    rows = list(sheet.iter_rows(min_row=header_row + 1))
    assert len(rows) == page.locator("#result-table tbody tr").count() > 0
    assert any(c.hyperlink and c.hyperlink.target == f"{site}/sources/{SOURCE}/3" for row in rows for c in row)
    assert SOURCE_NAME in sheet["A2"].value
    csv_url = page.get_attribute("#download-csv", "href")
    with urllib.request.urlopen(site + csv_url, timeout=30) as resp:
        body = resp.read()
    assert body.startswith("\ufeff".encode()) and b"subject" in body.splitlines()[0]
    assert io.StringIO(body.decode("utf-8-sig")).readline().startswith("subject,subject_name")


def test_every_kind_of_cell_escapes_what_it_shows() -> None:
    from app.pages.render import render_cell

    xss = "<img src=x onerror=alert(1)>"
    cells = [render_cell(xss, "name", link_id='a"b'), render_cell(["x"], "ids", {"x": (xss, xss)}),
             render_cell([f"{xss}#1"], "citations"), render_cell(xss, "node_type"), render_cell([xss], "liuxin"),
             render_cell({"kind": "relationship", "type": xss, "start": xss, "end": "b",
                          "properties": {"sources": [xss]}}),
             render_cell({"kind": "node", "id": xss, "type": xss, "properties": {"name": xss, "sources": [xss]}})]
    for cell in cells:
        assert "<img" not in str(cell) and "&lt;img" in str(cell), cell
    assert 'href="/entity/a%22b"' in str(cells[0])
    assert str(render_cell([], "ids")) == str(render_cell(None)) == '<span class="muted">—</span>'
    assert 'data-i18n="query.yes"' in str(render_cell(True))
