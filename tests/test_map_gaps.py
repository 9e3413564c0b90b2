"""A cluster page's 补链 panel in headless Chromium: every supporting role with the status the API reports
(present, recorded as lacking, not recorded — never "missing"), why (the entity and the path of
relationships, the parent cluster it comes through, the citing source, the related entities to check),
its weight, and the score from the report's weights; on the map, a placeholder per role not present,
worded and drawn by status.

Expected values come from the JSON API (/api/analytics/gaps, /api/entities, /api/ontology) and the
message catalogue, never from the page itself. Every request to another host is aborted and counted;
every test ends with none counted, no dialog and no script error.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.i18n import text
from graph.store import GraphStore
from loaders import load_dataset
from tests.test_map_support import SRC, api, build_graph, chromium, served_graph, wait_until, watched_page

pytest.importorskip("playwright.sync_api")

READY = "window.ecomap && window.ecomap.ready"
PANEL_READY = "document.querySelector('#gaps-score') !== null && Ecomap.gaps.pending() === 0"
"""The panel is drawn and has the names and source titles it asked the API for."""
SHOWN = 5
"""Evidence and related entities the panel lists per role before folding the rest away."""
NEVER = ("缺失", "缺：", "missing")
"""Words the panel must not use: a role the data does not show is not thereby missing."""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b




def open_cluster(page: Any, base: str, cluster: str, lang: str | None = None) -> None:
    page.goto(f"{base}/clusters/{urllib.parse.quote(cluster)}" + (f"?lang={lang}" if lang else ""))
    wait_until(page, READY, 30)
    wait_until(page, PANEL_READY, 30)


def report(base: str, cluster: str) -> dict:
    return api(base, "/api/analytics/gaps?cluster=" + urllib.parse.quote(cluster))["clusters"][0]


def weight(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def score_text(c: dict, lang: str = "zh") -> str:
    percent = int(c["score"] * 100 + 0.5)
    return text("map_gaps.score", lang, percent=percent, present=weight(c["present_weight"]),
                total=weight(c["total_weight"]))


def rel_names(base: str) -> dict[str, tuple[str, str]]:
    return {r["name"]: (r["zh"], r["en"]) for r in api(base, "/api/ontology")["relationship_types"]}


def chain(entity: str, path: list[dict], name: dict[str, str], rel: dict[str, str]) -> str:
    """The path read from the entity back to the cluster, as a planner reads it: "A —牵头→ B"."""
    out, at = name[entity], entity
    for step in reversed(path):
        forward = step["start"] == at
        other = step["end"] if forward else step["start"]
        out += f" —{rel[step['rel']]}→ " if forward else f" ←{rel[step['rel']]}— "
        out += name[other]
        at = other
    return out


def panel_roles(page: Any) -> dict[str, dict]:
    """What the panel shows for each role: status, status word, weight text, and the whole text."""
    return page.evaluate("""() => Object.fromEntries(
      Array.from(document.querySelectorAll('#gaps-roles > li')).map(li => [
        li.dataset.role, {status: li.dataset.status,
                          word: li.querySelector('.gaps-status').textContent,
                          mark: getComputedStyle(li.querySelector('.gaps-mark')).borderTopColor + ' ' +
                                li.querySelector('.gaps-mark').textContent,
                          weight: li.querySelector('.gaps-weight').textContent,
                          text: li.textContent,
                          evidence: Array.from(li.querySelectorAll('.gaps-evidence-item')).map(e => ({
                              entity: e.dataset.entity, name: e.querySelector('a.gaps-entity').textContent,
                              path: e.querySelector('.gaps-path').textContent,
                              via: e.querySelector('.gaps-via') ? e.querySelector('.gaps-via').textContent : null})),
                          related: Array.from(li.querySelectorAll('.gaps-related-item')).map(e => ({
                              entity: e.dataset.entity, name: e.querySelector('a').textContent,
                              why: e.querySelector('.gaps-why').textContent})),
                          citations: Array.from(li.querySelectorAll('.gaps-sources .cite')).map(e => ({
                              citation: e.dataset.citation,
                              href: e.querySelector('a') ? e.querySelector('a').getAttribute('href') : null}))}]))""")


def evidence_link(role: str, entity: str) -> str:
    """The selector of the link to an entity given as evidence for a role."""
    return f"#gaps-roles > li[data-role='{role}'] .gaps-evidence-item[data-entity='{entity}'] a.gaps-entity"


def ghosts(page: Any) -> dict[str, dict]:
    return page.evaluate("""() => Object.fromEntries(ecomap.ghostIds().map(id => {
        const n = ecomap.nodes.get(id);
        return [id, {label: n.fullLabel, status: n.gapStatus, border: n.color.border,
                     dashed: !!(n.shapeProperties && n.shapeProperties.borderDashes)}];
    }))""")


def check_panel(page: Any, base: str, c: dict, lang: str = "zh") -> None:
    """The panel says, for every role of the report `c`, what the report says, in `lang`."""
    en = lang == "en"
    shown = panel_roles(page)
    assert list(shown) == [r["role"] for r in c["roles"]]
    assert page.inner_text("#gaps-score") == score_text(c, lang)
    rel = {k: v[1 if en else 0] for k, v in rel_names(base).items()}
    marks: dict[str, set[str]] = {}
    for r in c["roles"]:
        got = shown[r["role"]]
        assert got["status"] == r["status"]
        assert got["word"] == text(f"gaps.status.{r['status']}", lang)
        assert got["weight"] == text("map_gaps.weight", lang, weight=weight(r["weight"]))
        assert (r["label_en"] if en else r["label"]) in got["text"]
        marks.setdefault(r["status"], set()).add(got["mark"])
        if r["status"] == "present":
            assert r["evidence"], r
            listed = r["evidence"][:SHOWN]
            assert [e["entity"] for e in got["evidence"]][:len(listed)] == [e["entity"] for e in listed]
            names = {e["entity"]: e["name_en" if en else "name"] for e in r["evidence"]}
            for e, seen in zip(listed, got["evidence"], strict=False):
                # The name the entity has in the store, not only the one the report repeats.
                node = api(base, "/api/entities/" + urllib.parse.quote(e["entity"]))["node"]["properties"]
                assert seen["name"] == (node.get("name_en") or node["name"] if en else node["name"])
                ids = {s["start"] for s in e["path"]} | {s["end"] for s in e["path"]}
                for other in ids - set(names):
                    props = api(base, "/api/entities/" + urllib.parse.quote(other))["node"]["properties"]
                    names[other] = (props.get("name_en") or props["name"]) if en else props["name"]
                assert seen["path"] == chain(e["entity"], e["path"], names, rel)
                if e["scope"] == "parent":
                    assert seen["via"] == text("map_gaps.via_parent", lang, name=names[e["via_cluster"]])
                else:
                    assert seen["via"] is None
        elif r["status"] == "recorded_absent":
            assert [x["citation"] for x in got["citations"]] == r["absent_sources"]
        else:
            listed = r["related"][:SHOWN]
            assert [x["entity"] for x in got["related"]][:len(listed)] == [x["entity"] for x in listed]
            for x, seen in zip(listed, got["related"], strict=False):
                assert seen["why"] == x["why_en" if en else "why_zh"]
            if not r["related"]:
                assert text("map_gaps.no_related", lang) in got["text"]
    # One mark per status, different from the others'.
    assert all(len(m) == 1 for m in marks.values()), marks
    assert len({next(iter(m)) for m in marks.values()}) == len(marks)
    panel = page.text_content("#gaps")
    assert not any(word in panel for word in NEVER), panel
    # On the map: a placeholder for each role not present, worded by its status.
    drawn = ghosts(page)
    absent = [r for r in c["roles"] if r["status"] != "present"]
    assert set(drawn) == {f"gap:{r['role']}" for r in absent}
    for r in absent:
        ghost = drawn[f"gap:{r['role']}"]
        assert ghost["status"] == r["status"]
        assert ghost["label"] == text(f"map_gaps.ghost.{r['status']}", lang, role=r["label_en"] if en else r["label"])
        assert not ghost["label"].startswith("缺")


# -- the curated dataset ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(engine) -> Iterator[str]:
    """The app on a graph holding the curated dataset, served on a loopback port."""
    with served_graph(engine, lambda store: load_dataset(store, "shanxi")) as base:
        yield base


def test_every_curated_cluster_panel_states_each_role_as_the_api_reports(browser: Any, site: str) -> None:
    clusters = api(site, "/api/analytics/gaps")["clusters"]
    assert len(clusters) >= 3
    statuses = {r["status"] for c in clusters for r in c["roles"]}
    assert "present" in statuses and "not_recorded" in statuses
    with watched_page(browser, site) as page:
        for c in clusters:
            open_cluster(page, site, c["id"])
            check_panel(page, site, report(site, c["id"]))


def test_the_panel_switches_language_with_the_page(browser: Any, site: str) -> None:
    c = next(c for c in api(site, "/api/analytics/gaps")["clusters"]
             if any(r["status"] == "present" for r in c["roles"]))
    with watched_page(browser, site) as page:
        open_cluster(page, site, c["id"])
        page.click("#lang-toggle")
        wait_until(page, f"document.querySelector('#gaps-score').textContent === {json.dumps(score_text(c, 'en'))}")
        check_panel(page, site, c, "en")
        page.click("#lang-toggle")
        wait_until(page, f"document.querySelector('#gaps-score').textContent === {json.dumps(score_text(c))}")
        check_panel(page, site, c)


def test_clicking_a_role_entity_focuses_it_on_the_map(browser: Any, site: str) -> None:
    c, role = next((c, r) for c in api(site, "/api/analytics/gaps")["clusters"] for r in c["roles"]
                   if r["status"] == "present")
    entity = role["evidence"][0]["entity"]
    with watched_page(browser, site) as page:
        open_cluster(page, site, c["id"])
        page.click(evidence_link(role["role"], entity))
        wait_until(page, f"ecomap.focused === {json.dumps(entity)} && ecomap.detailsFor === {json.dumps(entity)}")
        assert page.evaluate("ecomap.network.getSelectedNodes()") == [entity]


# -- a small graph with every status: a lack a source states, and a role held by a parent cluster ---------------
PARENT = "cl-industry"
PARENT_POLICY = "pol-industry"
LACKING = "key_lab"


def with_every_status(store: GraphStore) -> None:
    """The map tests' ecosystem, where a source states the materials cluster has no key laboratory and a
    policy supports the industry the cluster belongs to."""
    build_graph(store)
    store.write("MATCH (c:Cluster {id: 'cl-material'}) SET c.absent_roles = $roles", {"roles": [LACKING]})
    store.write("CREATE (:Entity:Cluster {id: $id, name: '材料产业', name_en: 'Materials industry', sources: $src})",
                {"id": PARENT, "src": [f"{SRC}#2"]})
    store.write("CREATE (:Entity:Policy {id: $id, name: '材料产业扶持办法', "
                "name_en: 'Materials industry support rules', sources: $src})",
                {"id": PARENT_POLICY, "src": [f"{SRC}#2"]})
    store.write("MATCH (c:Cluster {id: 'cl-material'}), (p:Cluster {id: $parent}) CREATE (c)-[:PART_OF]->(p)",
                {"parent": PARENT})
    store.write("MATCH (x:Policy {id: $policy}), (p:Cluster {id: $parent}) CREATE (x)-[:SUPPORTS]->(p)",
                {"policy": PARENT_POLICY, "parent": PARENT})


@pytest.fixture(scope="module")
def every_status_site(engine) -> Iterator[str]:
    with served_graph(engine, with_every_status) as base:
        yield base


def test_a_stated_lack_cites_its_source_and_a_parents_role_says_through_which_cluster(
        browser: Any, every_status_site: str) -> None:
    base = every_status_site
    c = report(base, "cl-material")
    by_role = {r["role"]: r for r in c["roles"]}
    assert by_role[LACKING]["status"] == "recorded_absent"
    assert by_role[LACKING]["absent_sources"] == [f"{SRC}#2"]
    policy = {e["entity"]: e for e in by_role["policy"]["evidence"]}
    assert policy[PARENT_POLICY]["scope"] == "parent" and policy[PARENT_POLICY]["via_cluster"] == PARENT
    assert policy["pol-material"]["scope"] == "self"
    with watched_page(browser, base) as page:
        open_cluster(page, base, "cl-material")
        check_panel(page, base, c)
        shown = panel_roles(page)
        # The citing source links to its source page (the contracts' URL scheme), named by its title.
        assert shown[LACKING]["citations"] == [{"citation": f"{SRC}#2", "href": f"/sources/{SRC}/2"}]
        source_title = api(base, f"/api/entities/{SRC}")["node"]["properties"]["title"]
        wait_until(page, f"document.querySelector(\"#gaps-roles > li[data-role='{LACKING}']\").textContent"
                         f".includes({json.dumps(source_title)})")
        via = next(e for e in shown["policy"]["evidence"] if e["entity"] == PARENT_POLICY)
        assert via["via"] == "经上级集群 材料产业"
        assert via["path"] == "材料产业扶持办法 —支持→ 材料产业 ←隶属/组成— 新材料产业集群"
        # The two kinds of placeholder look different: a stated lack solid and red, silence dashed and grey.
        drawn = ghosts(page)
        lack = drawn[f"gap:{LACKING}"]
        silent = next(g for g in drawn.values() if g["status"] == "not_recorded")
        assert lack["label"] == "记载缺少：重点实验室" and silent["label"].startswith("未记载：")
        assert lack["border"] != silent["border"] and lack["dashed"] is False and silent["dashed"] is True
        entries = page.evaluate("Ecomap.gaps.legendEntries()")
        assert [e["status"] for e in entries] == ["recorded_absent", "not_recorded"]
        assert [e["text"] for e in entries] == [text("map_gaps.legend.recorded_absent", "zh"),
                                                 text("map_gaps.legend.not_recorded", "zh")]
        # The parent cluster is not drawn in the cluster's own map: its name still reads as a name.
        page.click(evidence_link("policy", PARENT_POLICY))
        wait_until(page, f"ecomap.focused === {json.dumps(PARENT_POLICY)}")


def test_the_standalone_copy_of_a_cluster_page_shows_the_same_panel(browser: Any, every_status_site: str,
                                                                     tmp_path: Path) -> None:
    base = every_status_site
    c = report(base, "cl-material")
    with watched_page(browser, base) as page:
        open_cluster(page, base, "cl-material")
        with page.expect_download() as download:
            page.click("#btn-html")
        target = tmp_path / "cluster.html"
        download.value.save_as(target)
    with watched_page(browser, None, offline=True) as copy:
        copy.goto(target.as_uri())
        wait_until(copy, READY, 30)
        wait_until(copy, PANEL_READY, 30)
        assert copy.evaluate("ecomap.standalone") is True
        shown = panel_roles(copy)
        assert {k: v["status"] for k, v in shown.items()} == {r["role"]: r["status"] for r in c["roles"]}
        assert copy.inner_text("#gaps-score") == score_text(c)
        # No server behind a file: the citing source is named, not linked.
        assert shown[LACKING]["citations"] == [{"citation": f"{SRC}#2", "href": None}]
        assert "创新生态测试文章" in shown[LACKING]["text"]
