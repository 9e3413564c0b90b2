"""The same behaviour on every reachable backend (embedded always; others when configured)."""

from __future__ import annotations

import json

import pytest

from graph.errors import ConstraintViolation, CypherSyntaxError, QueryTimeout, ReadOnlyViolation
from graph.model import Node, Path, Relationship, to_json
from graph.store import GraphStore

NODES = [
    {"id": "taigang", "label": "Enterprise",
     "props": {"name": "太原钢铁（集团）有限公司", "aliases": ["太钢", "太钢集团"], "is_leader": True,
               "importance": 0.75, "region": None}},
    {"id": "silicon-steel", "label": "Project",
     "props": {"name": "年产16万吨高端冷轧取向硅钢", "quantity": 16.0, "unit": "万吨/年", "year": 2021}},
    {"id": "special-metal", "label": "Cluster", "props": {"name": "特种金属材料产业集群", "liuxin": ["新材料"]}},
]

TRICKY = [
    "it's \"quoted\"", "back\\slash\\\\", "{braces} and }{", "// not a comment", "`backticks`",
    "MATCH (n) DETACH DELETE n", "'; CREATE (x) //", "line\nbreak\ttab", "$param ${x}", "太钢（集团）“引号”",
    "\\\"", "",
]


def _load(store: GraphStore) -> None:
    for node in NODES:
        # Labels come from a fixed table in this test, never from input.
        store.write(f"MERGE (n:Entity:{node['label']} {{id: $id}}) SET n += $props",
                    {"id": node["id"], "props": node["props"]})
    store.write("MATCH (a:Entity {id: 'taigang'}), (p:Entity {id: 'silicon-steel'}) "
                "MERGE (a)-[r:LEADS]->(p) SET r.sources = ['sxrb#3'], r.weight = 1.5")
    store.write("MATCH (p:Entity {id: 'silicon-steel'}), (c:Entity {id: 'special-metal'}) "
                "MERGE (p)-[:MEMBER_OF]->(c)")


def test_nodes_round_trip_with_chinese_lists_booleans_floats_and_nulls(any_store: GraphStore) -> None:
    _load(any_store)
    node = any_store.read("MATCH (n:Entity {id: 'taigang'}) RETURN n").scalar()
    assert isinstance(node, Node)
    assert node.id == "taigang" and node.type == "Enterprise"
    assert set(node.labels) == {"Entity", "Enterprise"}
    assert node.properties["name"] == "太原钢铁（集团）有限公司"
    assert node.properties["aliases"] == ["太钢", "太钢集团"]
    assert node.properties["is_leader"] is True
    assert node.properties["importance"] == pytest.approx(0.75)
    assert "region" not in node.properties  # a null property is not stored
    project = any_store.read("MATCH (n {id: 'silicon-steel'}) RETURN n.quantity, n.unit, n.year").rows[0]
    assert project == [16.0, "万吨/年", 2021]


def test_merge_is_idempotent(any_store: GraphStore) -> None:
    _load(any_store)
    _load(any_store)
    stats = any_store.stats()
    assert stats.labels == {"Cluster": 1, "Entity": 3, "Enterprise": 1, "Project": 1}
    assert stats.relationship_types == {"LEADS": 1, "MEMBER_OF": 1}


def test_relationships_and_paths_come_back_neutral(any_store: GraphStore) -> None:
    _load(any_store)
    rel = any_store.read("MATCH (:Entity {id: 'taigang'})-[r]->() RETURN r").scalar()
    assert isinstance(rel, Relationship)
    assert (rel.start, rel.type, rel.end) == ("taigang", "LEADS", "silicon-steel")
    assert rel.properties == {"sources": ["sxrb#3"], "weight": 1.5}
    path = any_store.read("MATCH p = (:Entity {id: 'taigang'})-[*2]->(:Entity {id: 'special-metal'}) "
                          "RETURN p").scalar()
    assert isinstance(path, Path)
    assert [n.id for n in path.nodes] == ["taigang", "silicon-steel", "special-metal"]
    assert [r.type for r in path.relationships] == ["LEADS", "MEMBER_OF"]
    assert [(r.start, r.end) for r in path.relationships] == [("taigang", "silicon-steel"),
                                                                ("silicon-steel", "special-metal")]


def test_scalars_lists_and_maps(any_store: GraphStore) -> None:
    row = any_store.read("RETURN 1 AS i, 2.5 AS f, 'x' AS s, true AS b, null AS z, [1, 'a'] AS l, "
                         "{k: '六新', n: [1, 2]} AS m").rows[0]
    assert row == [1, 2.5, "x", True, None, [1, "a"], {"k": "六新", "n": [1, 2]}]


def test_stats_count_each_relationship_between_the_same_nodes(any_store: GraphStore) -> None:
    _load(any_store)
    any_store.write("MATCH (a {id: 'taigang'}), (p {id: 'silicon-steel'}) MERGE (a)-[:SUPPORTS]->(p)")
    stats = any_store.stats()
    assert stats.relationship_types == {"LEADS": 1, "MEMBER_OF": 1, "SUPPORTS": 1}
    assert stats.relationships == 3 and stats.nodes == 3


def test_duplicate_id_is_rejected(any_store: GraphStore) -> None:
    _load(any_store)
    with pytest.raises(ConstraintViolation):
        any_store.write("CREATE (:Entity:Enterprise {id: 'taigang', name: 'dup'})")
    with pytest.raises(ConstraintViolation):
        any_store.write("CREATE (:Entity:Cluster {id: 'taigang', name: 'dup in another type'})")
    assert any_store.read("MATCH (n {id: 'taigang'}) RETURN count(n)").scalar() == 1


@pytest.mark.parametrize("write", [
    "CREATE (:Entity:Enterprise {id: 'new', name: 'x'})",
    "MATCH (n {id: 'taigang'}) SET n.name = 'changed'",
    "MATCH (n {id: 'taigang'}) DETACH DELETE n",
    "MATCH (n {id: 'taigang'}) WITH n MERGE (n)-[:SUPPORTS]->(:Entity:Cluster {id: 'c2'})",
    "MATCH (n {id: 'taigang'}) REMOVE n.aliases",
])
def test_write_through_the_read_path_is_refused_and_changes_nothing(any_store: GraphStore, write: str) -> None:
    _load(any_store)
    before = any_store.read("MATCH (n) RETURN n ORDER BY n.id").rows
    before_rels = any_store.stats().relationship_types
    with pytest.raises(ReadOnlyViolation):
        any_store.read(write)
    assert any_store.read("MATCH (n) RETURN n ORDER BY n.id").rows == before
    assert any_store.stats().relationship_types == before_rels


def test_slow_query_hits_the_timeout(any_store: GraphStore) -> None:
    with pytest.raises(QueryTimeout) as info:
        # Small lists, many rows: the engine checks its clock while streaming rows.
        any_store.read("UNWIND range(1, 20000) AS x UNWIND range(1, 20000) AS y WITH x, y "
                       "WHERE (x * y) % 7 = 100 RETURN count(*)", timeout_ms=200)
    assert "200 ms" in info.value.message


def test_syntax_error_reports_its_position(any_store: GraphStore) -> None:
    with pytest.raises(CypherSyntaxError) as info:
        any_store.read("MATCH (n\nRETURN n")
    assert info.value.line == 2 and info.value.column is not None


def test_row_cap_is_reported_not_hidden(any_store: GraphStore) -> None:
    result = any_store.read("UNWIND range(1, 50) AS x RETURN x", row_cap=10)
    assert result.rows == [[x] for x in range(1, 11)] and result.truncated
    assert not any_store.read("UNWIND range(1, 10) AS x RETURN x", row_cap=10).truncated


@pytest.mark.parametrize("value", TRICKY)
def test_parameter_values_round_trip_byte_identical(any_store: GraphStore, value: str) -> None:
    any_store.write("CREATE (:Entity:Technology {id: 'tricky', name: $v, aliases: [$v, $v]})", {"v": value})
    row = any_store.read("MATCH (n:Technology {id: 'tricky'}) RETURN n.name, n.aliases, $v = n.name",
                         {"v": value}).rows[0]
    assert row[0].encode() == value.encode()
    assert row[1] == [value, value]
    assert row[2] is True
    assert any_store.stats().nodes == 1


def test_batched_write_sums_counters(any_store: GraphStore) -> None:
    rows = [{"id": f"e{i}", "props": {"name": f"企业{i}"}} for i in range(25)]
    counters = any_store.write_batches("UNWIND $rows AS row MERGE (n:Entity:Enterprise {id: row.id}) "
                                       "SET n += row.props", rows, batch_size=10)
    assert counters["nodes_created"] == 25
    assert any_store.stats().labels["Enterprise"] == 25


def test_version_changes_with_every_write(any_store: GraphStore) -> None:
    before = any_store.version()
    any_store.read("MATCH (n) RETURN count(n)")
    assert any_store.version() == before
    _load(any_store)
    assert any_store.version() > before


def test_schema_setup_is_idempotent(any_store: GraphStore) -> None:
    _load(any_store)
    version = any_store.version()
    any_store.setup_schema()
    any_store.setup_schema()
    assert any_store.version() == version  # nothing was (re)created
    with pytest.raises(ConstraintViolation):
        any_store.write("CREATE (:Entity:Enterprise {id: 'taigang', name: 'dup'})")


def test_temporal_and_spatial_values_come_back_as_the_same_plain_json(any_store: GraphStore) -> None:
    row = any_store.read("RETURN date('2024-03-05') AS d, localdatetime('2024-03-05T06:07:08') AS t, "
                         "duration('P1DT2H') AS du, point({latitude: 37.87, longitude: 112.55}) AS p").rows[0]
    assert row[0] == "2024-03-05" and row[1].startswith("2024-03-05T06:07:08")
    assert row[2] == "P1DT2H"
    assert row[3] == pytest.approx({"latitude": 37.87, "longitude": 112.55})
    assert json.loads(json.dumps(to_json(row))) == row


def test_an_unknown_variable_is_a_syntax_error_on_every_engine(any_store: GraphStore) -> None:
    with pytest.raises(CypherSyntaxError) as info:
        any_store.read("MATCH (n) RETURN m")
    assert "m" in info.value.message


def test_counters_have_the_same_names_on_every_engine(any_store: GraphStore) -> None:
    counters = any_store.write("CREATE (a:Entity:Region {id: 'r1', name: '甲'})-[:PART_OF]->"
                               "(b:Entity:Region {id: 'r2', name: '乙'})").counters
    assert counters["nodes_created"] == 2 and counters["relationships_created"] == 1
    assert counters["properties_set"] == 4
    assert counters.get("indexes_created", 0) == 0


def test_a_store_with_only_its_own_bookkeeping_is_empty(any_store: GraphStore) -> None:
    any_store.write("RETURN 1")
    assert any_store.version() >= 0 and any_store.is_empty()
    _load(any_store)
    assert not any_store.is_empty()
    any_store.clear()
    assert any_store.is_empty()
