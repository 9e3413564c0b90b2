"""The row cap inside the query: a capped read asks the engine for one row more than the cap, so a
huge result is never produced, sent or parsed; queries it cannot bound safely are left as written."""

from __future__ import annotations

import time
import tracemalloc

import pytest

from app.cypher_text import tokenize
from app.query_library import QueryLibrary
from app.row_limit import row_limited
from graph.store import GraphStore
from tests.api_helpers import KEYS, SAMPLE_NODES, SAMPLE_RELS, keys_setting, make_client, write_graph
from tests.conftest import filled_graph

CASES = [
    ("MATCH (n) RETURN n", "MATCH (n) RETURN n LIMIT 11"),
    ("MATCH (n) RETURN n LIMIT 5", "MATCH (n) RETURN n LIMIT 5"),
    ("MATCH (n) RETURN n LIMIT 500", "MATCH (n) RETURN n LIMIT 11"),
    ("MATCH (n) RETURN n.id AS id ORDER BY id SKIP 2", "MATCH (n) RETURN n.id AS id ORDER BY id SKIP 2 LIMIT 11"),
    ("MATCH (n) RETURN n LIMIT $k", "MATCH (n) RETURN n LIMIT $k"),
    ("MATCH (n) RETURN n LIMIT 100 + 1", "MATCH (n) RETURN n LIMIT 100 + 1"),
    ("RETURN 1 AS x UNION RETURN 2 AS x", "RETURN 1 AS x UNION RETURN 2 AS x"),
    ("CALL db.labels()", "CALL db.labels()"),
    ("CALL db.labels() YIELD label", "CALL db.labels() YIELD label"),
    ("CALL { MATCH (n) RETURN n LIMIT 99 } RETURN n", "CALL { MATCH (n) RETURN n LIMIT 99 } RETURN n LIMIT 11"),
    ("MATCH (n) RETURN n // the end", "MATCH (n) RETURN n LIMIT 11 // the end"),
    ("MATCH (n) RETURN n;", "MATCH (n) RETURN n LIMIT 11;"),
    ("MATCH (n) RETURN {limit: 500} AS m", "MATCH (n) RETURN {limit: 500} AS m LIMIT 11"),
    ("MATCH (n) WHERE EXISTS { MATCH (n)--() RETURN 1 } RETURN n.limit",
     "MATCH (n) WHERE EXISTS { MATCH (n)--() RETURN 1 } RETURN n.limit LIMIT 11"),
    ("MATCH (n) RETURN 'LIMIT 5' AS s", "MATCH (n) RETURN 'LIMIT 5' AS s LIMIT 11"),
    ("UNWIND [1] AS x WITH collect(x) AS c RETURN size(c)",
     "UNWIND [1] AS x WITH collect(x) AS c RETURN size(c) LIMIT 11"),
    ("MATCH (n) RETURN count(*)", "MATCH (n) RETURN count(*) LIMIT 11"),
    ("MATCH (n) RETURN [x IN range(1, 3) | x]", "MATCH (n) RETURN [x IN range(1, 3) | x] LIMIT 11"),
    ("MATCH (n) RETURN n {.id, .name}", "MATCH (n) RETURN n {.id, .name} LIMIT 11"),
]


@pytest.mark.parametrize(("cypher", "expected"), CASES)
def test_the_cap_goes_into_the_query_only_where_it_keeps_the_meaning(cypher: str, expected: str) -> None:
    assert row_limited(cypher, tokenize(cypher), 11) == expected


@pytest.fixture(scope="module")
def sample(engine):
    with filled_graph(engine, lambda store: write_graph(store, SAMPLE_NODES, SAMPLE_RELS)) as store:
        yield store


def test_every_shipped_query_gives_the_same_capped_answer(sample: GraphStore) -> None:
    queries, problems = QueryLibrary().all()
    assert queries and not problems
    for query in queries:
        params = {name: p.sample() for name, p in query.parameters.items()}
        if "cluster" in params:
            params["cluster"] = "cl-semi"
        for cap in (1, 3):
            plain = sample.read(query.cypher, params, row_cap=cap)
            capped = sample.read(row_limited(query.cypher, tokenize(query.cypher), cap + 1), params, row_cap=cap)
            assert (len(capped.rows), capped.truncated, capped.columns) == \
                (len(plain.rows), plain.truncated, plain.columns), query.name
            if "ORDER BY" in query.cypher.upper():
                assert capped.rows == plain.rows, query.name


def test_a_three_million_row_read_capped_at_ten_comes_back_fast_and_small(sample: GraphStore, tmp_path) -> None:
    client = make_client(sample, tmp_path, keys_setting())
    query = {"query": "UNWIND range(1, 3000000) AS x RETURN x, 'row ' + toString(x) AS label", "limit": 10}
    client.post("/api/cypher", json={"query": "RETURN 1"}, headers={"X-API-Key": KEYS["analyst"]})  # warm up
    tracemalloc.start()
    started = time.perf_counter()
    try:
        resp = client.post("/api/cypher", json=query, headers={"X-API-Key": KEYS["analyst"]})
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert [row[0] for row in body["rows"]] == list(range(1, 11)) and body["truncated"] is True
    assert seconds < 5, f"{seconds:.2f} s"
    assert peak < 30 * 2**20, f"the API allocated {peak / 2**20:.0f} MB at its peak"
