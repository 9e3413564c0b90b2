"""Neo4j backend through the official driver: sessions on the configured database, read
transactions for reads (the server refuses writes in them), timeouts passed through."""

from __future__ import annotations

import re
from typing import Any

import neo4j
from neo4j import GraphDatabase, unit_of_work
from neo4j import exceptions as nx
from neo4j import graph as ng

from graph.errors import (
    ConstraintViolation,
    CypherSyntaxError,
    QueryError,
    QueryTimeout,
    ReadOnlyViolation,
    StoreUnavailable,
)
from graph.model import Node, Path, QueryResult, Relationship, leaves
from graph.ontology import ENTITY_LABEL, INDEXED_PROPERTIES, NODE_TYPES
from graph.store import GraphStore

_POSITION = re.compile(r"line (\d+), column (\d+)")
_COUNTERS = ("nodes_created", "nodes_deleted", "relationships_created", "relationships_deleted",
             "properties_set", "labels_added", "labels_removed", "indexes_added", "indexes_removed",
             "constraints_added", "constraints_removed")
_META_LABEL = "EcomapMeta"


class Neo4jStore(GraphStore):
    backend = "neo4j"

    def __init__(self, uri: str, user: str, password: str, database: str = "neo4j", **limits: Any) -> None:
        super().__init__(**limits)
        self.uri = uri
        self.database = database
        try:
            self._driver = GraphDatabase.driver(uri, auth=(user, password))
            self._driver.verify_connectivity()
        except (nx.ServiceUnavailable, nx.AuthError, ValueError, OSError) as exc:
            raise StoreUnavailable(
                f"Cannot reach Neo4j: {exc}. Check NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD "
                "(`docker compose up -d neo4j` starts one).", tried=uri) from exc

    def _run(self, cypher: str, params: dict[str, Any], *, read_only: bool, timeout_ms: int,
             row_cap: int) -> QueryResult:
        @unit_of_work(timeout=timeout_ms / 1000)
        def work(tx: neo4j.ManagedTransaction) -> QueryResult:
            result = tx.run(cypher, params)
            columns = list(result.keys())
            raw: list[list[Any]] = []
            truncated = False
            for record in result:
                if len(raw) == row_cap:
                    truncated = True
                    break
                raw.append(list(record.values()))
            summary = result.consume()
            counters = {name: getattr(summary.counters, name) for name in _COUNTERS}
            ids = _endpoint_ids(tx, raw)
            rows = [[_convert(v, ids) for v in row] for row in raw]
            return QueryResult(columns=columns, rows=rows, counters=counters, truncated=truncated)

        mode = neo4j.READ_ACCESS if read_only else neo4j.WRITE_ACCESS
        try:
            with self._driver.session(database=self.database, default_access_mode=mode) as session:
                return session.execute_read(work) if read_only else session.execute_write(work)
        except nx.CypherSyntaxError as exc:
            line, column = _position(exc.message or "")
            raise CypherSyntaxError((exc.message or "").splitlines()[0], line, column) from None
        except nx.ConstraintError as exc:
            raise ConstraintViolation(f"{exc.message}. Each id must be unique across the graph.") from None
        except nx.ClientError as exc:
            code = exc.code or ""
            if "TransactionTimedOut" in code or "Timeout" in code:
                raise QueryTimeout(timeout_ms) from None
            if "AccessMode" in code or "ForbiddenDueToTransactionType" in code:
                raise ReadOnlyViolation(exc.message or code) from None
            raise QueryError(f"The store rejected the query: {exc.message}") from None
        except (nx.ServiceUnavailable, nx.SessionExpired) as exc:
            raise StoreUnavailable(f"Neo4j stopped answering: {exc}; retry when it is back.",
                                   tried=self.uri) from None

    def setup_schema(self) -> None:
        # Labels and properties come from the ontology module, never from user input.
        self.write(f"CREATE CONSTRAINT entity_id_unique IF NOT EXISTS FOR (n:{ENTITY_LABEL}) "
                   "REQUIRE n.id IS UNIQUE")
        for t in NODE_TYPES:
            for prop in ("id", *INDEXED_PROPERTIES):
                self.write(f"CREATE INDEX {t.label.lower()}_{prop} IF NOT EXISTS FOR (n:{t.label}) ON (n.{prop})")

    def version(self) -> int:
        return int(self.read(f"MATCH (m:{_META_LABEL} {{key: 'version'}}) RETURN m.value").scalar() or 0)

    def _bump_version(self) -> None:
        self._run(f"MERGE (m:{_META_LABEL} {{key: 'version'}}) SET m.value = coalesce(m.value, 0) + 1",
                  {}, read_only=False, timeout_ms=self.timeout_ms, row_cap=1)

    def clear(self) -> None:
        while self.write("MATCH (n) WHERE NOT n:EcomapMeta WITH n LIMIT 10000 DETACH DELETE n "
                         "RETURN count(*) AS n").scalar():
            pass
        self._bump_version()

    def ping(self) -> None:
        try:
            self._driver.verify_connectivity()
        except (nx.ServiceUnavailable, OSError) as exc:
            raise StoreUnavailable(f"Neo4j does not answer: {exc}", tried=self.uri) from None

    def close(self) -> None:
        self._driver.close()


def _position(message: str) -> tuple[int | None, int | None]:
    match = _POSITION.search(message)
    return (int(match[1]), int(match[2])) if match else (None, None)


def _node(n: ng.Node) -> Node:
    props = dict(n.items())
    return Node(id=props.get("id", n.element_id), labels=tuple(sorted(n.labels)), properties=props)


def _endpoint_ids(tx: neo4j.ManagedTransaction, rows: list[list[Any]]) -> dict[str, str]:
    """Business ids of relationship endpoints: a relationship returned on its own carries
    only its endpoints' element ids, so they are looked up in the same transaction."""
    wanted = {n.element_id for v in leaves(rows) if isinstance(v, ng.Relationship)
              for n in (v.start_node, v.end_node) if n is not None}
    if not wanted:
        return {}
    lookup = tx.run("MATCH (n) WHERE elementId(n) IN $ids RETURN elementId(n) AS e, n.id AS id",
                    ids=sorted(wanted))
    return {rec["e"]: rec["id"] if rec["id"] is not None else rec["e"] for rec in lookup}


def _convert(v: Any, ids: dict[str, str]) -> Any:
    if isinstance(v, ng.Node):
        return _node(v)
    if isinstance(v, ng.Relationship):
        return Relationship(type=v.type, start=ids[v.start_node.element_id], end=ids[v.end_node.element_id],
                            properties=dict(v.items()))
    if isinstance(v, ng.Path):
        # A path carries its nodes with their properties: its relationships' endpoints are among them.
        nodes = tuple(_node(n) for n in v.nodes)
        local = {**ids, **{raw.element_id: node.id for raw, node in zip(v.nodes, nodes, strict=True)}}
        return Path(nodes=nodes, relationships=tuple(_convert(r, local) for r in v.relationships))
    if isinstance(v, list):
        return [_convert(x, ids) for x in v]
    if isinstance(v, dict):
        return {k: _convert(x, ids) for k, x in v.items()}
    return v
