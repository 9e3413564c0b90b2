"""The Neo4j backend's conversion of driver values into the neutral model, checked on driver objects
built locally (a live Neo4j is exercised by the conformance suite when NEO4J_URI is set)."""

from __future__ import annotations

from neo4j.graph import Graph, Node, Path

from graph import model
from graph.neo4j_store import _convert


def _graph():
    g = Graph()
    tisco = Node(g, "4:x:1", 1, ["Entity", "Enterprise"], {"id": "tisco", "name": "太钢集团"})
    project = Node(g, "4:x:2", 2, ["Entity", "Project"], {"id": "silicon-steel", "quantity": 16.0})
    leads = g.relationship_type("LEADS")(g, "5:x:9", 9, {"sources": ["src-sxrb#3"]})
    leads._start_node, leads._end_node = tisco, project
    return tisco, project, leads


def test_nodes_keep_their_business_id_labels_and_properties() -> None:
    tisco, _, _ = _graph()
    node = _convert(tisco, {})
    assert node == model.Node("tisco", ("Entity", "Enterprise"), {"id": "tisco", "name": "太钢集团"})
    assert node.type == "Enterprise"


def test_a_relationship_on_its_own_uses_the_looked_up_endpoint_ids() -> None:
    _, _, leads = _graph()
    ids = {"4:x:1": "tisco", "4:x:2": "silicon-steel"}
    rel = _convert(leads, ids)
    assert isinstance(rel, model.Relationship)
    assert (rel.start, rel.type, rel.end, rel.properties) == ("tisco", "LEADS", "silicon-steel",
                                                             {"sources": ["src-sxrb#3"]})


def test_a_path_resolves_its_relationships_from_its_own_nodes() -> None:
    tisco, _, leads = _graph()
    path = _convert(Path(tisco, leads), {})
    assert [n.id for n in path.nodes] == ["tisco", "silicon-steel"]
    assert [(r.start, r.type, r.end) for r in path.relationships] == [("tisco", "LEADS", "silicon-steel")]


def test_lists_and_maps_are_converted_inside() -> None:
    tisco, project, _ = _graph()
    value = _convert({"members": [tisco, project], "n": 2}, {})
    assert [n.id for n in value["members"]] == ["tisco", "silicon-steel"] and value["n"] == 2
