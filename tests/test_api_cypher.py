"""Ad-hoc Cypher and saved queries are read-only, injection-proof and fail with clean errors."""

from __future__ import annotations

import time

import pytest

from app import cypher_bounds as bounds
from app.settings import load_settings
from graph.errors import StoreUnavailable
from graph.store import GraphStore
from tests.api_helpers import auth, fingerprint, make_client, write_graph
from tests.conftest import fresh_graph_name

WRITES = {
    "create": "CREATE (:Entity:Technology {id: 'evil', name: 'x'})",
    "merge": "MERGE (n:Entity {id: 'evil'}) RETURN n",
    "set": "MATCH (n:Entity) SET n.name = 'pwned' RETURN count(n)",
    "set-label": "MATCH (n:Entity) SET n:Pwned RETURN count(n)",
    "remove": "MATCH (n:Entity) REMOVE n.name RETURN count(n)",
    "delete-relationship": "MATCH ()-[r]->() DELETE r",
    "delete": "MATCH (n:Entity) WHERE NOT (n)--() DELETE n",
    "detach-delete": "MATCH (n:Entity) DETACH DELETE n",
    "write-after-with": "MATCH (n:Entity) WITH n LIMIT 1 CREATE (:Entity {id: 'evil'})",
    "write-after-union": "RETURN 1 AS x UNION CREATE (e:Entity {id: 'evil'}) RETURN 2 AS x",
    "write-in-subquery": "CALL { CREATE (e:Entity {id: 'evil'}) RETURN e } RETURN 1",
    "foreach": "MATCH (n:Entity) FOREACH (x IN [1] | SET n.name = 'pwned')",
    "create-index": "CREATE INDEX FOR (n:Pwned) ON (n.id)",
    "writing-procedure": "CALL db.idx.fulltext.createNodeIndex('Entity', 'name')",
    "drop-procedure": "CALL db.idx.fulltext.drop('Entity')",
    "load-csv": "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
    "lowercase-create": "create (:Entity {id: 'evil'})",
    "commented-create": "/* harmless */ MATCH (n) // comment\nCREATE (:Entity {id: 'evil'})",
}

NASTY = ["x' OR 1=1 //", 'a"b', "`tick`", "{brace}", "} RETURN 1 //", "line\nbreak", "MATCH (n) DETACH DELETE n",
         "\\'; CREATE (:X) //", "$id", "/* c */", "太钢' })-[r]-() DELETE r //", "%27%22"]

pytest_plugins = ["tests.api_fixtures"]


@pytest.fixture
def analyst(client):
    client.app.state.services.rate_limiters = {}
    return {**auth("analyst")}


@pytest.mark.parametrize("query", WRITES.values(), ids=WRITES.keys())
def test_cypher_endpoint_refuses_every_kind_of_write(client, graph, analyst, query) -> None:
    before = fingerprint(graph), graph.version()
    r = client.post("/api/cypher", json={"query": query}, headers=analyst)
    assert r.status_code in (400, 403), r.text
    assert set(r.json()["error"]) == {"code", "message", "details"}
    assert (fingerprint(graph), graph.version()) == before


@pytest.mark.parametrize("query", WRITES.values(), ids=WRITES.keys())
def test_saving_a_writing_query_is_refused_and_nothing_is_saved(client, graph, analyst, query) -> None:
    before = fingerprint(graph)
    r = client.post("/api/queries", json={"name": "sneaky_write", "title": "t", "cypher": query}, headers=analyst)
    assert r.status_code in (400, 403, 422), r.text
    assert client.get("/api/queries/sneaky_write").status_code == 404
    assert fingerprint(graph) == before


@pytest.mark.parametrize("query", list(WRITES.values())[:12], ids=list(WRITES)[:12])
def test_a_writing_query_file_is_refused_when_run(client, graph, query) -> None:
    # A file put into the saved-query folder by hand skips the dry run; the store still refuses it.
    user_dir = client.app.state.services.query_library.user_dir
    user_dir.mkdir(parents=True, exist_ok=True)
    path = user_dir / "hand_written_write.cypher"
    path.write_text(f"---\ntitle: looks harmless\n---\n{query}\n", encoding="utf-8")
    before = fingerprint(graph), graph.version()
    try:
        r = client.get("/api/queries/hand_written_write/run")
        assert r.status_code in (400, 403, 500), r.text
        assert (fingerprint(graph), graph.version()) == before
    finally:
        path.unlink()


def test_cypher_runs_reads_with_parameters_and_row_cap(client, graph, analyst) -> None:
    r = client.post("/api/cypher", json={"query": "UNWIND range(1, $n) AS i RETURN i", "params": {"n": 50},
                                         "limit": 10}, headers=analyst)
    body = r.json()
    assert r.status_code == 200 and body["columns"] == ["i"] and body["rows"] == [[i] for i in range(1, 11)]
    assert body["truncated"] is True
    r = client.post("/api/cypher", json={"query": "MATCH (n:Entity)-[r]->(m) RETURN n, r, m LIMIT 3"},
                    headers=analyst)
    graph_part = r.json()["graph"]
    assert graph_part["relationships"] and graph_part["nodes"]


def test_cypher_syntax_error_is_400_with_the_position(client, analyst) -> None:
    r = client.post("/api/cypher", json={"query": "MATCH (n) RETURN n SKIP 1 LIMIT"}, headers=analyst)
    error = r.json()["error"]
    assert r.status_code == 400 and error["code"] == "cypher_syntax_error"
    assert error["details"]["line"] == 1 and error["details"]["column"] > 0


def test_cypher_timeout_is_504(client, analyst) -> None:
    r = client.post("/api/cypher", json={"query": "UNWIND range(1, 4000) AS a UNWIND range(1, 4000) AS b "
                                                  "RETURN count(*)", "timeout_ms": 20}, headers=analyst)
    assert r.status_code == 504 and r.json()["error"]["code"] == "query_timeout"


def test_saved_query_timeout_is_504(graph, tmp_path) -> None:
    from tests.api_helpers import keys_setting

    c = make_client(graph, tmp_path, keys_setting())
    c.app.state.services.settings = load_settings(backend="embedded", data_dir=tmp_path, graph=fresh_graph_name(),
                                         api_keys_raw=keys_setting(), query_timeout_ms=20)
    heavy = "UNWIND range(1, 4000) AS a UNWIND range(1, 4000) AS b RETURN count(*) AS n"
    r = c.post("/api/queries", json={"name": "heavy", "title": "heavy", "cypher": heavy}, headers=auth("analyst"))
    assert r.status_code == 201, r.text
    r = c.get("/api/queries/heavy/run", headers=auth("viewer"))
    assert r.status_code == 504 and r.json()["error"]["code"] == "query_timeout"


@pytest.mark.parametrize("params", ['{"bad name": 1}', '{"x": 1180591620717411303424}', '{"x": NaN}',
                                    '{"x": Infinity}', '{"x": "a\\u0000b"}', '{"x": {"k`ey": 1}}',
                                    '{"x": [[[[[[[[[[1]]]]]]]]]]}'])
def test_bad_cypher_parameters_are_422(client, analyst, params) -> None:
    body = '{"query": "RETURN 1 AS one", "params": ' + params + "}"
    r = client.post("/api/cypher", content=body, headers={**analyst, "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_parameter", r.text


@pytest.mark.parametrize("body", [{}, {"query": ""}, {"query": "RETURN 1", "limit": 0},
                                  {"query": "RETURN 1", "limit": 10_001}, {"query": "RETURN 1", "extra": True},
                                  {"query": "RETURN 1", "timeout_ms": 0}])
def test_bad_cypher_requests_are_422(client, analyst, body) -> None:
    assert client.post("/api/cypher", json=body, headers=analyst).status_code == 422


def test_procedures_outside_the_read_list_are_refused(client, analyst) -> None:
    r = client.post("/api/cypher", json={"query": "CALL dbms.procedures() YIELD name RETURN name"}, headers=analyst)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_cypher"
    r = client.post("/api/cypher", json={"query": "CALL db.labels() YIELD label RETURN label"}, headers=analyst)
    assert r.status_code == 200
    # Words inside strings and comments are data, not code.
    r = client.post("/api/cypher", json={"query": "RETURN 'LOAD CSV and CALL x.y()' AS s // CALL evil.proc()"},
                    headers=analyst)
    assert r.status_code == 200 and r.json()["rows"] == [["LOAD CSV and CALL x.y()"]]


@pytest.mark.parametrize("query", [
    "SHOW TRANSACTIONS", "TERMINATE TRANSACTIONS 'neo4j-transaction-1'", "SHOW INDEXES YIELD name RETURN name",
    "CALL `db`.`labels`()", "CALL `dbms`.`listQueries`()", "USE system SHOW USERS", "DROP INDEX x IF EXISTS",
    "CREATE RANGE INDEX x IF NOT EXISTS FOR (n:Entity) ON (n.name)", "CALL db.indexes()"])
def test_administrative_commands_and_quoted_procedure_names_are_refused(client, analyst, query) -> None:
    r = client.post("/api/cypher", json={"query": query}, headers=analyst)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden_cypher", r.text


def test_reads_that_only_look_like_commands_are_run(client, analyst) -> None:
    query = ("MATCH (start:Entity) WITH start LIMIT 1 CALL { RETURN 1 AS one } "
             "RETURN start.id IS NOT NULL AS found, {use: 1, show: 2}.show AS shown")
    r = client.post("/api/cypher", json={"query": query}, headers=analyst)
    assert r.status_code == 200 and r.json()["rows"] == [[True, 2]], r.text


BYPASSES = {
    "backticked parts": ("CALL `dbms`.`listQueries`() YIELD query RETURN query", 403),
    "backticked last part": ("CALL db.`labels`() YIELD label RETURN label", 403),
    "comment between": ("CALL/**/dbms.listQueries() YIELD query RETURN query", 403),
    "line comment between": ("CALL // db.labels()\n dbms.listQueries() YIELD query RETURN query", 403),
    "escaped keyword": ("C\\u0041LL dbms.listQueries() YIELD query RETURN query", 400),
    "comment ended by an escape": ("RETURN 1 AS one // \\u000a CALL dbms.listQueries() YIELD query RETURN query", 400),
    "comment ended by CR": ("RETURN 1 AS one //\r CALL dbms.listQueries() YIELD query RETURN query", 400),
    "quote by an escape": ("RETURN '\\u0027 CALL dbms.listQueries() YIELD query RETURN query //' AS s", 400),
    "ideographic space": ("CALL\u3000dbms.listQueries() YIELD query RETURN query", 403),
    "writing procedure": ("CALL db.idx.fulltext.createNodeIndex('Entity', 'name')", 403),
    "load csv in a subquery": ("CALL { LOAD CSV FROM 'file:///etc/passwd' AS r RETURN r } RETURN r", 403),
}


@pytest.mark.parametrize("case", BYPASSES)
def test_tricks_do_not_get_a_procedure_or_command_past_the_gate(client, graph, analyst, case) -> None:
    query, status = BYPASSES[case]
    before = fingerprint(graph), graph.version()
    r = client.post("/api/cypher", json={"query": query}, headers=analyst)
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == {403: "forbidden_cypher", 400: "cypher_syntax_error"}[status]
    assert r.json()["error"]["message"].endswith((".", ")"))
    assert (fingerprint(graph), graph.version()) == before


def _nested(n: int) -> str:
    return "RETURN " + "[" * n + "1" + "]" * n + " AS deep"


@pytest.mark.parametrize(("body", "code", "limit"), [
    ({"query": _nested(bounds.MAX_NESTING + 1)}, "query_too_deep", "MAX_NESTING"),
    ({"query": "RETURN 1" + " + 1" * (bounds.MAX_OPERATOR_CHAIN + 1) + " AS n"}, "query_too_complex",
     "MAX_OPERATOR_CHAIN"),
    ({"query": "RETURN " + ", ".join(f"{'[' * 12}{i}{']' * 12} AS c{i}" for i in range(20))}, "query_too_complex",
     "MAX_PARSE_WORK"),
    ({"query": "RETURN size($grid) AS n", "params": {"grid": [[0] * 1000] * 1000}}, "params_too_large",
     "MAX_PARAM_VALUES"),
    ({"query": "RETURN size($a) AS n", "params": {"a": "x" * (bounds.MAX_PARAM_BYTES + 1)}}, "params_too_large",
     "MAX_PARAM_BYTES"),
])
def test_queries_past_a_limit_are_400_naming_it(client, analyst, body, code, limit) -> None:
    r = client.post("/api/cypher", json=body, headers=analyst)
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert error["code"] == code and error["details"]["limit"] == limit
    assert error["details"]["found"] > error["details"]["maximum"] == getattr(bounds, limit)
    assert f"{error['details']['maximum']:,}" in error["message"]


@pytest.mark.parametrize("query", [
    _nested(bounds.MAX_NESTING),
    "RETURN " + "NOT (" * (bounds.MAX_NESTING // 2) + "false" + ")" * (bounds.MAX_NESTING // 2) + " AS deep",
    "RETURN 1" + " + 1" * bounds.MAX_OPERATOR_CHAIN + " AS deep",
    "WITH 1 AS x " + "WITH x " * (bounds.MAX_CLAUSES - 2) + "RETURN x AS deep",
    "RETURN [" + ", ".join(["(1)"] * (bounds.MAX_BRACKETS - 1)) + "] AS deep",
])
def test_queries_at_the_limits_run_quickly_on_every_engine(client, analyst, query) -> None:
    started = time.monotonic()
    r = client.post("/api/cypher", json={"query": query}, headers=analyst)
    assert r.status_code == 200, r.text
    assert time.monotonic() - started < 5
    assert r.json()["rows"][0][0] is not None


@pytest.mark.parametrize(("params", "param"), [({"x": "bell\x07"}, "x"), ({"y": ["ok", "esc\x1b"]}, "y"),
                                               ({"z": {"k\x01": 1}}, "z")])
def test_control_characters_in_parameters_are_422_naming_the_parameter(client, analyst, params, param) -> None:
    r = client.post("/api/cypher", json={"query": "RETURN 1 AS one", "params": params}, headers=analyst)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "invalid_parameter" and error["details"][0]["param"] == param
    assert "control character" in error["message"]
    ok = client.post("/api/cypher", json={"query": "RETURN $x AS x", "params": {"x": "tab\tline\nreturn\r"}},
                     headers=analyst)
    assert ok.status_code == 200 and ok.json()["rows"] == [["tab\tline\nreturn\r"]]


@pytest.mark.parametrize("value", NASTY)
def test_injection_through_parameters_ids_and_search(client, graph, analyst, value) -> None:
    before = fingerprint(graph), graph.version()
    r = client.post("/api/cypher", json={"query": "RETURN $x AS x", "params": {"x": value}}, headers=analyst)
    assert r.status_code == 200 and r.json()["rows"] == [[value]]
    r = client.post("/api/cypher", json={"query": "MATCH (n:Entity {id: $id}) RETURN n", "params": {"id": value}},
                    headers=analyst)
    assert r.status_code == 200 and r.json()["rows"] == []
    for url in (f"/api/entities/{value}", f"/api/entities/{value}/neighbors", f"/api/clusters/{value}/ecosystem"):
        code = client.get(url.replace("\n", "%0A")).status_code
        assert code in (404, 422), url
    assert client.get("/api/paths", params={"from": value, "to": value}).status_code == 404
    assert client.get("/api/entities", params={"q": value}).status_code == 200
    for name, params in (("chain_gaps", {"cluster": value}), ("projects_by_category", {"region": value}),
                         ("source_statements", {"source": value}), ("top_connected", {"top": value})):
        r = client.get(f"/api/queries/{name}/run", params=params)
        assert r.status_code in (200, 422), (name, r.text)
        if r.status_code == 200:
            assert r.json()["rows"] == []
        r = client.post(f"/api/queries/{name}/run", json={"params": params})
        assert r.status_code in (200, 422), (name, r.text)
    assert (fingerprint(graph), graph.version()) == before


def test_names_holding_cypher_are_returned_as_data(store, tmp_path) -> None:
    nasty = [("Enterprise", {"id": f"ent-nasty-{i}", "name": f"恶意{i} {v}"}) for i, v in enumerate(NASTY)]
    write_graph(store, nasty, [])
    c = make_client(store, tmp_path)
    for i, value in enumerate(NASTY):
        items = c.get("/api/entities", params={"q": f"恶意{i} {value}"}).json()["items"]
        assert [it["id"] for it in items][:1] == [f"ent-nasty-{i}"]
        assert items[0]["name"] == f"恶意{i} {value}"


class DownStore(GraphStore):
    """A store whose server is gone: every call raises StoreUnavailable."""

    backend = "falkordb"

    def _down(self, *_, **__):
        raise StoreUnavailable("FalkorDB stopped answering; retry when it is back.", tried="unix socket /x")

    _run = setup_schema = version = _bump_version = clear = ping = _down
    take_write_lock = renew_write_lock = release_write_lock = _down

    def close(self) -> None:
        pass


@pytest.mark.parametrize(("method", "url", "kwargs"), [
    ("GET", "/api/health", {}), ("GET", "/api/stats", {}), ("GET", "/api/entities?q=太钢", {}),
    ("GET", "/api/entities/tisco", {}), ("GET", "/api/entities/tisco/neighbors", {}),
    ("GET", "/api/paths?from=a&to=b", {}), ("GET", "/api/clusters/c/ecosystem", {}),
    ("GET", "/api/queries/top_connected/run", {}), ("GET", "/api/export", {}),
    ("POST", "/api/cypher", {"json": {"query": "RETURN 1"}})])
def test_store_down_is_503_with_retry_after(tmp_path, method, url, kwargs) -> None:
    c = make_client(DownStore(), tmp_path, "analyst-key-0001:analyst")
    r = c.request(method, url, headers=auth("analyst"), **kwargs)
    assert r.status_code == 503 and r.headers["Retry-After"]
    assert r.json()["error"]["code"] == "store_unavailable"


# -- names the ontology does not define ------------------------------------------------------------------
@pytest.mark.parametrize(("query", "expected"), [
    ("MATCH (e:Enterprize) RETURN e", [("label", "Enterprize", "Enterprise")]),
    ("MATCH (e:Enterprise)-[:MEMBR_OF]->(c:Clustr) RETURN e",
     [("relationship_type", "MEMBR_OF", "MEMBER_OF"), ("label", "Clustr", "Cluster")]),
    ("MATCH (n:`Enterprize`) RETURN n", [("label", "Enterprize", "Enterprise")]),
    ("MATCH (n) WHERE n:enterprise OR n:Cluster RETURN n", [("label", "enterprise", "Enterprise")]),
    ("MATCH ()-[r:LEADS|FINANCE*1..2]->() RETURN r", [("relationship_type", "FINANCE", "FINANCES")]),
    ("MATCH ()<-[:LEADS|:SUPPORT]-() RETURN 1", [("relationship_type", "SUPPORT", "SUPPORTS")]),
    ("CALL { MATCH (x:Polcy) RETURN x } RETURN x", [("label", "Polcy", "Policy")]),
    ("RETURN [x IN [] WHERE x:Platfrom] AS l", [("label", "Platfrom", "Platform")]),
    ("MATCH (n:MEMBER_OF) RETURN n", [("label", "MEMBER_OF", None)]),
    ("MATCH (n:Zzzzzz) RETURN n", [("label", "Zzzzzz", None)]),
    # Not names of labels or types: strings, comments, property keys, map keys, parameters.
    ("MATCH (n {kind: 'Enterprize'}) RETURN n", []),
    ("MATCH (n) RETURN n // :Enterprize\n", []),
    ("MATCH (n) /* (m:Enterprize) */ RETURN n", []),
    ("MATCH (n) WHERE n.Enterprize = 1 RETURN n {.Enterprize, Clustr: 1} AS m", []),
    ("MATCH (n:Entity:Enterprise) RETURN {enterprize: n.id, `Polcy`: 2} AS m", []),
    ("MATCH (n) WHERE type($x) = 'MEMBR_OF' RETURN labels(n) = ['Enterprize'] AS same", []),
])
def test_unknown_labels_and_types_are_found_on_the_tokens(query, expected) -> None:
    from app.cypher_names import unknown_names

    found = [(w["kind"], w["name"], w["suggestion"]) for w in unknown_names(query)]
    assert found == expected


def test_every_shipped_query_names_only_what_the_ontology_defines() -> None:
    from app.cypher_names import unknown_names
    from app.query_library import QueryLibrary

    for query in QueryLibrary().all()[0]:
        assert unknown_names(query.cypher) == [], query.name


def test_cypher_with_an_unknown_label_returns_its_rows_and_a_warning(client, graph, analyst) -> None:
    r = client.post("/api/cypher", json={"query": "MATCH (e:Enterprize)-[:MEMBR_OF]->(c) RETURN count(e) AS n"},
                    headers=analyst)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["rows"] == [[0]]
    assert [(w["kind"], w["name"], w["suggestion"]) for w in body["warnings"]] == [
        ("label", "Enterprize", "Enterprise"), ("relationship_type", "MEMBR_OF", "MEMBER_OF")]
    assert "did you mean Enterprise?" in body["warnings"][0]["message"]
    assert "Enterprise" in body["warnings"][0]["message_zh"] and "节点类型" in body["warnings"][0]["message_zh"]
    right = client.post("/api/cypher", json={"query": "MATCH (e:Enterprise) RETURN count(e) AS n"}, headers=analyst)
    count = graph.read("MATCH (e:Entity) WHERE 'Enterprise' IN labels(e) RETURN count(e)").rows
    assert right.json()["rows"] == count and right.json()["warnings"] == []


def test_a_saved_query_with_an_unknown_label_warns_when_saved_shown_and_run(client, graph, analyst) -> None:
    body = {"name": "typo_label", "title": "拼错的类型", "cypher": "MATCH (e:Enterprize) RETURN e.id AS id"}
    saved = client.post("/api/queries", json=body, headers=analyst)
    assert saved.status_code == 201, saved.text
    assert [w["suggestion"] for w in saved.json()["warnings"]] == ["Enterprise"]
    assert [w["name"] for w in client.get("/api/queries/typo_label").json()["warnings"]] == ["Enterprize"]
    ran = client.get("/api/queries/typo_label/run")
    assert ran.status_code == 200 and ran.json()["rows"] == []
    assert [(w["name"], w["suggestion"]) for w in ran.json()["warnings"]] == [("Enterprize", "Enterprise")]
    page = client.get("/queries/typo_label")
    assert "Enterprize" in page.text and "是否想写“Enterprise”" in page.text
    assert client.get("/api/queries/top_connected/run").json()["warnings"] == []
