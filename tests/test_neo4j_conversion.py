"""The Neo4j backend's conversion of driver values and driver errors into the project's own, checked on
driver objects built locally: failures a live server rarely shows on demand (deadlocks, out of memory,
a read-only database, lost connections). The live server runs every store-backed test."""

from __future__ import annotations

import pytest
from neo4j import exceptions as nx
from neo4j.graph import Graph, Node, Path

from graph import errors, model
from graph.neo4j_store import _convert, translate


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


@pytest.mark.parametrize(("code", "expected", "words"), [
    ("Neo.TransientError.General.MemoryPoolOutOfMemoryError", errors.QueryMemoryExceeded, "more memory"),
    ("Neo.TransientError.Transaction.DeadlockDetected", errors.StoreUnavailable, "retry shortly"),
    ("Neo.TransientError.General.DatabaseUnavailable", errors.StoreUnavailable, "retry shortly"),
    ("Neo.TransientError.General.ForbiddenOnReadOnlyDatabase", errors.StoreUnavailable, "read-only"),
    ("Neo.DatabaseError.General.UnknownError", errors.StoreUnavailable, "failed internally"),
    ("Neo.ClientError.Transaction.ForbiddenDueToTransactionType", errors.QueryError, "separate statements"),
    ("Neo.ClientError.Statement.AccessMode", errors.ReadOnlyViolation, "read-only"),
    ("Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration", errors.QueryTimeout, "500 ms"),
    ("Neo.ClientError.Procedure.ProcedureNotFound", errors.QueryError, "rejected the query"),
    ("Neo.ClientError.Security.Unauthorized", errors.StoreUnavailable, "NEO4J_PASSWORD"),
])
def test_every_server_error_family_becomes_a_project_error(code: str, expected: type, words: str) -> None:
    error = translate(nx.Neo4jError._hydrate_neo4j(code=code, message="detail"), 500, "bolt://x", "neo4j")
    assert type(error) is expected and words in error.message


@pytest.mark.parametrize("driver_error", [nx.SessionExpired("gone"), nx.ServiceUnavailable("down"),
                                          nx.IncompleteCommit("lost"), nx.ConnectionAcquisitionTimeoutError("busy"),
                                          nx.ResultConsumedError(None, "used"), OSError("reset")])
def test_client_side_failures_are_store_unavailable(driver_error: Exception) -> None:
    error = translate(driver_error, 500, "bolt://x", "neo4j")
    assert isinstance(error, errors.StoreUnavailable) and error.tried == "bolt://x"
