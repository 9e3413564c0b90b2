"""Saved views and stories through the API, stored in the graph store itself (both engines): saving,
listing, opening and deleting with the roles; 422s naming the field in both languages; a view leaves
the graph version, exports, search, map, analytics, stats and saved queries exactly as they were; it
survives a new connection; a view whose entities were removed names exactly those; and the key names
that stand for authors."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from app.pages.render import STATIC_DIR
from app.query_library import QueryLibrary
from app.settings import key_name, load_settings, parse_api_key_names, parse_api_keys
from graph.factory import open_store
from graph.ontology import RESERVED_LABELS, SAVED_VIEW_LABEL, STORY_LABEL
from graph.saved_views import get_record, list_records
from graph.store import GraphStore
from tests.api_helpers import SAMPLE_NODES, SAMPLE_RELS, make_client, to_nx, write_graph
from tests.conftest import filled_graph

KEYS = {"ana": "analyst-key-0001", "bo": "analyst-key-0002", "viewer": "viewer-key-0001", "ed": "editor-key-0001"}
ROLES = {"ana": "analyst", "bo": "analyst", "viewer": "viewer", "ed": "editor"}
UNNAMED_VIEWER = "plain-viewer-key"
KEY_SETTING = ",".join(f"{name}:{KEYS[name]}:{ROLES[name]}" for name in KEYS) + f",{UNNAMED_VIEWER}:viewer"
TITLE = "甲乙丙丁保存视图标题"
NOTE = "会议纪要：戊己庚辛"


def as_(who: str) -> dict[str, str]:
    return {"X-API-Key": UNNAMED_VIEWER if who == "unnamed" else KEYS[who]}


def state(nodes: list[str], **extra: Any) -> dict[str, Any]:
    return {"page": {"kind": "entity", "url": f"/entity/{nodes[0]}", "title": "太钢", "center": nodes[0], "depth": 2},
            "nodes": [{"id": n, "name": f"名{n}", "x": float(i), "y": -float(i)} for i, n in enumerate(nodes)],
            "edges": ["tisco|MEMBER_OF|cl-semi"], "hidden": {"type": ["Policy"], "region": [""]}, "depth": 1,
            "centre": nodes[0], "focus": nodes[0], "camera": {"x": 1.5, "y": 2.5, "scale": 0.8}, **extra}


def unthrottled(client: TestClient) -> TestClient:
    """The client, its saving rate limits refilled (saving is rate-limited per key)."""
    client.app.state.services.rate_limiters.clear()
    return client


def save(client: TestClient, who: str = "ana", nodes: list[str] | None = None, **body: Any) -> Any:
    unthrottled(client)
    payload = {"title": TITLE, "note": NOTE, "state": state(nodes or ["tisco", "cl-semi", "jinshang-bank"]), **body}
    return client.post("/api/views", json=payload, headers=as_(who))


@pytest.fixture(scope="module")
def graph(engine) -> Iterator[GraphStore]:
    with filled_graph(engine, lambda store: write_graph(store, SAMPLE_NODES, SAMPLE_RELS)) as store:
        yield store


@pytest.fixture(scope="module")
def client(graph: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return make_client(graph, tmp_path_factory.mktemp("views"), KEY_SETTING)


# -- key names -------------------------------------------------------------------------------------------
def test_key_names_are_given_or_derived_and_old_settings_keep_their_meaning() -> None:
    assert parse_api_keys("abcdefgh:editor,ijklmnop") == {"abcdefgh": "editor", "ijklmnop": "viewer"}
    assert parse_api_keys("ana:abcdefgh:analyst,ijklmnop:editor") == {"abcdefgh": "analyst", "ijklmnop": "editor"}
    names = parse_api_key_names("ana:abcdefgh:analyst,ijklmnop:editor,qrstuvwx")
    assert names == {"abcdefgh": "ana", "ijklmnop": "key-" + hashlib.sha256(b"ijklmnop").hexdigest()[:8],
                     "qrstuvwx": "key-" + hashlib.sha256(b"qrstuvwx").hexdigest()[:8]}
    assert key_name("ijklmnop") == names["ijklmnop"] and "ijklmnop" not in names["ijklmnop"]
    for bad, says in (("a:abcdefgh:viewer:x", "three"), ("bad name:abcdefgh:viewer", "key name"),
                      ("n:abcdefgh:viewer,n:ijklmnop:editor", "twice"), ("n:short:viewer", "shorter"),
                      ("n:abcdefgh:boss", "unknown role")):
        with pytest.raises(ValueError, match=says):
            parse_api_keys(bad)
    assert load_settings(api_keys_raw="ana:abcdefgh:analyst").api_key_names == {"abcdefgh": "ana"}


# -- save, list, open, delete ----------------------------------------------------------------------------
def test_save_list_open_and_who_may_delete(client: TestClient, graph: GraphStore) -> None:
    assert save(client, "viewer").status_code == 403
    answer = save(client)
    assert answer.status_code == 201, answer.text
    saved = answer.json()
    assert saved["author"] == "ana" and saved["title"] == TITLE and saved["nodes"] == 3
    assert saved["url"] == f"/views/{saved['id']}"
    record = get_record(graph, SAVED_VIEW_LABEL, saved["id"])
    assert all(key not in str(record) for key in KEYS.values()), "a key was stored"

    listed = client.get("/api/views", headers=as_("viewer")).json()
    assert saved["id"] in [v["id"] for v in listed["views"]]
    opened = client.get(f"/api/views/{saved['id']}", headers=as_("unnamed")).json()
    assert opened["note"] == NOTE and opened["missing"] == []
    assert opened["state"]["hidden"]["type"] == ["Policy"] and opened["state"]["camera"]["scale"] == 0.8
    page = client.get(saved["url"], headers={**as_("viewer"), "Accept": "text/html"})
    assert page.status_code == 200 and "ecomap-saved-view" in page.text and NOTE in page.text

    for who in ("viewer", "bo", "unnamed"):
        refused = client.delete(f"/api/views/{saved['id']}", headers=as_(who))
        assert refused.status_code == 403
        error = refused.json()["error"]
        assert "ana" in error["message"] and "编辑" in error["details"]["message_zh"]
    assert client.delete(f"/api/views/{saved['id']}", headers=as_("ana")).status_code == 204
    assert client.get(f"/api/views/{saved['id']}", headers=as_("viewer")).status_code == 404

    other = save(client, "bo").json()
    assert client.delete(f"/api/views/{other['id']}", headers=as_("ed")).status_code == 204
    assert client.delete(f"/api/views/{other['id']}", headers=as_("ed")).status_code == 404


@pytest.mark.parametrize(("change", "field", "zh"), [
    ({"title": "长" * 101}, "title", "最多 100 个字符"),
    ({"title": ""}, "title", "不能为空"),
    ({"note": "注" * 2001}, "note", "最多 2000 个字符"),
    ({"state": state(["tisco"]) | {"nodes": [{"id": f"n{i}"} for i in range(5001)]}}, "state.nodes", "最多 5000 项"),
    ({"state": state(["tisco"]) | {"page": {"kind": "nowhere", "url": "/", "title": "x"}}}, "state.page.kind",
     "应为以下之一"),
    ({"state": state(["tisco"]) | {"page": {"kind": "home", "url": "//evil.example", "title": "x"}}},
     "state.page.url", "格式不对"),
    ({"state": state(["Not An Id"])}, "state.nodes.0.id", "格式不对"),
    ({"secret": 1}, "secret", "不是可接受的字段"),
])
def test_bad_input_is_a_422_naming_the_field_in_both_languages(client: TestClient, change: dict, field: str,
                                                             zh: str) -> None:
    body = {"title": TITLE, "note": NOTE, "state": state(["tisco"])} | change
    answer = unthrottled(client).post("/api/views", json=body, headers=as_("ana"))
    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "invalid_input" and field in error["message"]
    named = [f for f in error["details"]["fields"] if f["field"] == field]
    assert named and zh in named[0]["message_zh"] and field in error["details"]["message_zh"]


# -- nothing else changes ----------------------------------------------------------------------------------
def _observed(client: TestClient, library: QueryLibrary) -> dict[str, Any]:
    """Everything a view must not show up in."""
    viewer = as_("viewer")
    queries = {}
    for query in library.all()[0]:
        params = {name: p.sample() for name, p in query.parameters.items()}
        run = client.post(f"/api/queries/{query.name}/run", json={"params": params}, headers=viewer)
        queries[query.name] = run.json() if run.status_code == 200 else run.status_code
    return {"export": client.get("/api/export?format=json", headers=viewer).content,
            "stats": client.get("/api/stats", headers=viewer).json(),
            "home": client.get("/?format=json", headers=viewer).json()["graph"],
            "importance": client.get("/api/analytics/importance?limit=1000", headers=viewer).json()["items"],
            "search": [client.get("/api/entities", params={"q": q}, headers=viewer).json()["items"]
                       for q in (TITLE, NOTE, "v-", "太钢")],
            "queries": queries}


def test_saving_changes_no_version_export_search_map_analytics_stats_or_query(client: TestClient, graph: GraphStore,
                                                                            tmp_path) -> None:
    library = QueryLibrary(user_dir=tmp_path)
    expected: nx.MultiDiGraph = to_nx(graph)
    version = graph.version()
    before = _observed(client, library)
    for who in ("ana", "bo", "ed"):
        assert save(client, who).status_code == 201
    views = [v["id"] for v in client.get("/api/views", headers=as_("viewer")).json()["views"]]
    story = {"title": "故事", "steps": [{"view": v, "note": "一步"} for v in views]}
    assert unthrottled(client).post("/api/stories", json=story, headers=as_("ana")).status_code == 201
    assert graph.version() == version
    after = _observed(client, library)
    assert after == before
    # and what they show is the graph alone (compared with an independent networkx copy)
    assert after["stats"]["nodes"] == expected.number_of_nodes()
    assert after["stats"]["relationships"] == expected.number_of_edges()
    assert {n["id"] for n in after["importance"]} == set(expected.nodes)
    home_ids = {n["id"] for n in after["home"]["nodes"]}
    assert home_ids == {n for n, d in expected.nodes(data=True) if d.get("type") != "Source"}
    assert not any(label in str(after) for label in RESERVED_LABELS)


# -- storage ---------------------------------------------------------------------------------------------
def test_a_view_and_a_story_survive_a_new_store_on_the_same_graph(engine, client: TestClient,
                                                                   graph: GraphStore) -> None:
    view = save(client).json()
    story = unthrottled(client).post("/api/stories", json={"title": "重开", "steps": [{"view": view["id"]}]},
                                     headers=as_("ana")).json()
    with open_store(engine.config(graph)) as again:
        record = get_record(again, SAVED_VIEW_LABEL, view["id"])
        assert record is not None and record["title"] == TITLE and record["author"] == "ana"
        stories, _ = list_records(again, STORY_LABEL, ("id", "title"), limit=100)
        assert {"id": story["id"], "title": "重开"} in stories


def test_a_view_of_removed_entities_names_exactly_those(engine) -> None:
    kept, removed = ["tisco", "cl-semi", "ent-rail-a"], ["jinshang-bank", "person-yanlin"]
    with filled_graph(engine, lambda store: write_graph(store, SAMPLE_NODES, SAMPLE_RELS)) as store:
        client = make_client(store, engine.data_dir, KEY_SETTING)
        saved = save(client, nodes=kept[:2] + removed[:1] + kept[2:] + removed[1:]).json()
        store.write("MATCH (n:Entity) WHERE n.id IN $ids DETACH DELETE n", {"ids": removed})
        opened = client.get(f"/api/views/{saved['id']}", headers=as_("viewer")).json()
        assert [m["id"] for m in opened["missing"]] == removed
        assert [m["name"] for m in opened["missing"]] == [f"名{i}" for i in removed]
        page = client.get(saved["url"], headers={**as_("viewer"), "Accept": "text/html"}).text
        view = _json_block(page, "ecomap-view")
        assert [n["id"] for n in view["graph"]["nodes"]] == kept
        assert set(view["positions"]) == set(kept)
        assert [m["id"] for m in _json_block(page, "ecomap-saved-view")["missing"]] == removed
        steps = client.post("/api/stories", json={"title": "s", "steps": [{"view": saved["id"]}]},
                            headers=as_("ana")).json()
        story = client.get(f"/api/stories/{steps['id']}", headers=as_("viewer")).json()
        assert [m["id"] for m in story["steps"][0]["missing"]] == removed


def test_a_story_needs_existing_views(client: TestClient) -> None:
    answer = unthrottled(client).post("/api/stories", json={"title": "s", "steps": [{"view": "v-0123456789abcdef"}]},
                         headers=as_("ana"))
    assert answer.status_code == 422
    assert answer.json()["error"]["details"]["fields"][0]["field"] == "steps.0.view"
    assert client.post("/api/stories", json={"title": "s", "steps": []}, headers=as_("ana")).status_code == 422


def _json_block(page: str, element_id: str) -> Any:
    match = re.search(rf'<script type="application/json" id="{element_id}">(.*?)</script>', page, re.S)
    assert match, element_id
    return json.loads(match[1])


def test_story_export_command_writes_one_offline_file(engine, client: TestClient, graph: GraphStore, tmp_path) -> None:
    views = [save(client, nodes=nodes).json()["id"] for nodes in (["tisco", "cl-semi"], ["cl-rail", "ent-rail-a"])]
    story = unthrottled(client).post("/api/stories", json={"title": "离线故事", "steps": [
        {"view": v, "note": f"第{i}步"} for i, v in enumerate(views)]}, headers=as_("ana")).json()
    out = tmp_path / "story.html"
    env = {**os.environ, **engine.env_for(graph)}
    done = subprocess.run([sys.executable, "-m", "app.cli", "story", "export", story["id"], "--out", str(out)],
                          env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    story_json = _json_block(html, "ecomap-story")
    assert [s["view"] for s in story_json["steps"]] == views and story_json["standalone"] is True
    assert all(f"@ecomap-asset-{story_json['nonce']}:vis_js@" in s["html"] for s in story_json["steps"])
    library = (STATIC_DIR / "vendor/vis-network/vis-network.min.js").read_text(encoding="utf-8")
    assert html.count(library[1000:1400]) == 1, "the library must be in the file exactly once"
    assert 'http-equiv="Content-Security-Policy"' in html and "https://" not in html.split("<body", 1)[0]
    missing = subprocess.run([sys.executable, "-m", "app.cli", "story", "export", "s-0000000000000000", "--out",
                              str(tmp_path / "none.html")], env=env, capture_output=True, text=True, timeout=180)
    assert missing.returncode == 1 and "No story" in missing.stderr
