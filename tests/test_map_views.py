"""The map's server side without a browser: views, layout, caching, escaping, page responses."""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.pages.layout import EDGE_LENGTH, LAYOUT_THRESHOLD, layout_positions
from app.pages.render import render_cell, standalone_html
from app.pages.views import home_view, place, script_json
from app.settings import Settings
from graph.store import GraphStore
from tests.test_map_support import XSS_IMG, XSS_SCRIPT, build_graph


@pytest.fixture
def client(settings: Settings, store: GraphStore) -> Iterator[TestClient]:
    build_graph(store)
    with TestClient(create_app(settings, store=store)) as c:
        yield c


def _random_graph(n: int, m: int, seed: int = 3) -> tuple[list[str], list[tuple[str, str]]]:
    rng = random.Random(seed)
    ids = [f"n{i}" for i in range(n)]
    return ids, [(ids[rng.randrange(n)], ids[rng.randrange(n)]) for _ in range(m)]


# -- layout ---------------------------------------------------------------------------------------------------
def test_layout_is_deterministic_and_independent_of_input_order() -> None:
    ids, edges = _random_graph(300, 600)
    first = layout_positions(ids, edges)
    assert set(first) == set(ids)
    assert layout_positions(list(reversed(ids)), list(reversed(edges))) == first


def test_layout_spreads_edges_and_packs_components_apart() -> None:
    ids, edges = _random_graph(400, 900)
    edges += [(ids[i], ids[i + 1]) for i in range(399)]  # one connected main component
    ids += ["lonely-a", "lonely-b", "pair-a", "pair-b"]
    edges.append(("pair-a", "pair-b"))
    pos = layout_positions(ids, edges)
    lengths = sorted(math.dist(pos[a], pos[b]) for a, b in edges if a != b)
    assert lengths[len(lengths) // 2] >= EDGE_LENGTH * 0.9
    main = [pos[i] for i in ids[:400]]
    box = (min(p[0] for p in main), max(p[0] for p in main), min(p[1] for p in main), max(p[1] for p in main))
    for extra in ("lonely-a", "lonely-b", "pair-a", "pair-b"):
        x, y = pos[extra]
        assert not (box[0] <= x <= box[1] and box[2] <= y <= box[3]), f"{extra} was placed inside the main component"


# -- views ----------------------------------------------------------------------------------------------------
def test_home_view_leaves_out_sources_and_ranks_by_degree_then_importance(store: GraphStore) -> None:
    build_graph(store)
    whole = home_view(store)
    assert "src-test" not in {n["id"] for n in whole.graph["nodes"]}
    assert whole.note["shown"] == whole.note["total"] == len(whole.graph["nodes"])
    assert whole.graph["truncated"] is False and whole.note["ranked_by"] is None
    top = home_view(store, limit=2)
    assert [n["id"] for n in top.graph["nodes"]] == ["cl-material", "ent-tisco"]  # the two best connected
    assert top.note == {"shown": 2, "total": whole.note["total"], "ranked_by": "degree", "hidden_types": ["Source"],
                        "limit": 2}
    assert {(r["start"], r["end"]) for r in top.graph["relationships"]} == {("ent-tisco", "cl-material")}
    store.write("MATCH (n:Entity {id: 'person-li'}) SET n.importance = 1.0")
    store.write("MATCH (n:Entity {id: 'pol-material'}) SET n.importance = 0.5")
    ranked = home_view(store, limit=2)
    assert ranked.note["ranked_by"] == "importance"
    assert {n["id"] for n in ranked.graph["nodes"]} == {"person-li", "pol-material"}


def test_only_large_views_get_server_positions(store: GraphStore) -> None:
    store.write("UNWIND range(1, $n) AS i "
                "CREATE (:Entity:Enterprise {id: 'e' + toString(i), name: '企业' + toString(i)})",
                {"n": LAYOUT_THRESHOLD + 20})
    store.write("MATCH (a:Entity), (b:Entity) WHERE b.id = 'e' + toString(toInteger(substring(a.id, 1)) + 1) "
                "CREATE (a)-[:COLLABORATES_WITH]->(b)")
    big = place(home_view(store))
    assert set(big.positions) == {n["id"] for n in big.graph["nodes"]} and len(big.positions) == LAYOUT_THRESHOLD + 20
    small = place(home_view(store, limit=LAYOUT_THRESHOLD))
    assert small.positions is None


def test_views_are_cached_per_graph_version(client: TestClient, store: GraphStore) -> None:
    first = client.get("/?format=json").json()
    assert client.get("/?format=json").json() == first
    store.write("CREATE (:Entity:Technology {id: 'tech-new', name: '新技术X'})")
    second = client.get("/?format=json").json()
    assert {n["id"] for n in second["graph"]["nodes"]} == {n["id"] for n in first["graph"]["nodes"]} | {"tech-new"}


# -- escaping -------------------------------------------------------------------------------------------------
def test_script_json_cannot_close_its_element() -> None:
    text = script_json({"name": XSS_SCRIPT, "other": "<!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"name": XSS_SCRIPT, "other": "<!-- & \u2028"}


def test_table_cells_are_escaped() -> None:
    node = {"kind": "node", "id": "ent-x", "type": "Enterprise", "properties": {"name": XSS_IMG}}
    assert "<img" not in str(render_cell(node)) and "&lt;img src=x" in str(render_cell(node))
    assert str(render_cell(XSS_SCRIPT)) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert "<script>" not in str(render_cell({"x": XSS_SCRIPT}))


def test_pages_escape_data_and_load_nothing_from_other_hosts(client: TestClient) -> None:
    for path in ("/", "/entity/ent-xss-img", "/clusters/cl-material", "/queries",
                 "/queries/top_connected?run=1&top=50"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert "default-src 'none'" in resp.headers["content-security-policy"]
        html = resp.text
        assert "<img" not in html and "<script>alert" not in html, path
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), path


def test_the_standalone_file_has_everything_inline(store: GraphStore) -> None:
    build_graph(store)
    html = standalone_html(place(home_view(store)), store)
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["'](?!data:)""", html)  # nothing to fetch
    assert "<img" not in html
    assert "default-src 'none'" in html


# -- responses ------------------------------------------------------------------------------------------------
def test_static_assets_and_their_licence_are_served(client: TestClient) -> None:
    assert client.get("/static/vendor/vis-network/vis-network.min.js").status_code == 200
    assert "MIT" in client.get("/static/vendor/vis-network/LICENSE-MIT.txt").text


def test_unknown_things_get_a_404_page(client: TestClient) -> None:
    for path in ("/entity/nothing-here", "/clusters/ent-tisco", "/queries/no_such_query"):
        resp = client.get(path)
        assert resp.status_code == 404 and resp.headers["content-type"].startswith("text/html"), path


def test_export_returns_a_standalone_file_and_refuses_nonsense(client: TestClient) -> None:
    view = client.get("/?format=json").json()
    resp = client.post("/export/map.html", json=view)
    assert resp.status_code == 200 and "attachment" in resp.headers["content-disposition"]
    assert "ecomap-offline" in resp.text
    assert client.post("/export/map.html", json={"graph": {"nodes": "x"}}).status_code == 422
    assert client.post("/export/map.html", json={"title": "x"}).status_code == 422
