"""Neo4j backend through the official driver: sessions on the configured database, read
transactions for reads (the server refuses writes in them), timeouts enforced by the server.

Every driver error becomes one of the project's own (``graph.errors``) with a message that says
what to do. Transient failures (a deadlock, a leader switch, a restarting server) are retried by the
driver for a short budget only, so that a caller waits seconds, not half a minute, before it hears
that the store is unavailable.
"""

from __future__ import annotations

import re
from typing import Any

import neo4j
from neo4j import GraphDatabase, spatial, time, unit_of_work
from neo4j import exceptions as nx
from neo4j import graph as ng

from graph.errors import (
    ConstraintViolation,
    CypherSyntaxError,
    QueryError,
    QueryMemoryExceeded,
    QueryTimeout,
    ReadOnlyViolation,
    StoreError,
    StoreUnavailable,
)
from graph.model import Node, Path, QueryResult, Relationship, iso_duration, iso_temporal, leaves
from graph.ontology import ENTITY_LABEL, INDEXED_PROPERTIES, NODE_TYPES
from graph.store import GraphStore
from graph.write_lock import LockHolder

_POSITION = re.compile(r"line (\d+), column (\d+)")
# the driver's counter names → the project's (the same as FalkorDB's, see graph.falkor)
_COUNTERS = {"nodes_created": "nodes_created", "nodes_deleted": "nodes_deleted",
             "relationships_created": "relationships_created", "relationships_deleted": "relationships_deleted",
             "properties_set": "properties_set", "labels_added": "labels_added", "labels_removed": "labels_removed",
             "indexes_added": "indexes_created", "indexes_removed": "indexes_deleted",
             "constraints_added": "constraints_created", "constraints_removed": "constraints_deleted"}
META_LABEL = "EcomapMeta"
"""The label of the store's own bookkeeping node (the graph version); never an :Entity."""
_SCHEMA_COUNTERS = ("indexes_created", "indexes_deleted", "constraints_created", "constraints_deleted")
_BUMP = f"MERGE (m:{META_LABEL} {{key: 'version'}}) SET m.value = coalesce(m.value, 0) + 1"
_LOCK = f"(m:{META_LABEL} {{key: 'write-lock'}})"
_TAKE_LOCK = (f"MERGE {_LOCK} SET m.claimed = timestamp() "
              "WITH m, m.token IS NULL OR m.expires < timestamp() AS free "
              "SET m.token = CASE WHEN free THEN $token ELSE m.token END, "
              "m.owner = CASE WHEN free THEN $owner ELSE m.owner END, "
              "m.since = CASE WHEN free THEN timestamp() ELSE m.since END, "
              "m.expires = CASE WHEN free THEN timestamp() + $lease ELSE m.expires END "
              "RETURN m.token = $token, m.owner, m.since")
_RENEW_LOCK = f"MATCH {_LOCK} WHERE m.token = $token SET m.expires = timestamp() + $lease RETURN count(m)"
_RELEASE_LOCK = f"MATCH {_LOCK} WHERE m.token = $token DELETE m"
"""The lock node exists only while the lock is held: a load refused before it wrote leaves no trace."""
_RETRY_BUDGET_S = 3.0
_CONNECT_TIMEOUT_S = 5.0

_MEMORY = ("MemoryPoolOutOfMemoryError", "OutOfMemory")
_MEMORY_LIMIT = "the server's db.memory.transaction.max; `make neo4j` takes --query-memory"
_TIMEOUT = ("TransactionTimedOut", "Transaction.Terminated")


class Neo4jStore(GraphStore):
    backend = "neo4j"

    def __init__(self, uri: str, user: str, password: str, database: str = "neo4j", **limits: Any) -> None:
        super().__init__(**limits)
        self.uri = uri
        self.database = database
        self._meta_key_ready = False
        try:
            self._driver = GraphDatabase.driver(uri, auth=(user, password), max_transaction_retry_time=_RETRY_BUDGET_S,
                                                connection_timeout=_CONNECT_TIMEOUT_S,
                                                connection_acquisition_timeout=2 * _CONNECT_TIMEOUT_S)
            self._driver.verify_connectivity()
        except nx.AuthError as exc:
            raise StoreUnavailable(f"Neo4j refused the credentials ({exc.message}). Check NEO4J_USER and "
                                   "NEO4J_PASSWORD.", tried=uri) from exc
        except (nx.Neo4jError, nx.DriverError, ValueError, OSError) as exc:
            raise StoreUnavailable(
                f"Cannot reach Neo4j: {exc}. Check NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD "
                "(`make neo4j` runs a local Neo4j; `docker compose up -d neo4j` another).", tried=uri) from exc

    def write(self, cypher: str, params: dict[str, Any] | None = None, *, timeout_ms: int | None = None,
              row_cap: int | None = None) -> QueryResult:
        # The version moves in the writing transaction itself: one commit per write, not two. Neo4j
        # refuses data and schema writes in one transaction, so a schema change moves it afterwards.
        result = self._run(cypher, params or {}, read_only=False, timeout_ms=timeout_ms or self.timeout_ms,
                           row_cap=row_cap or self.row_cap, bump=True)
        if any(result.counters[name] for name in _SCHEMA_COUNTERS):
            self._bump_version()
        return result

    def _run(self, cypher: str, params: dict[str, Any], *, read_only: bool, timeout_ms: int,
             row_cap: int, bump: bool = False) -> QueryResult:
        @unit_of_work(timeout=timeout_ms / 1000)
        def work(tx: neo4j.ManagedTransaction) -> QueryResult:
            try:
                return fetch(tx)
            except nx.TransientError as exc:
                if any(marker in (exc.code or "") for marker in _MEMORY):
                    # the driver would retry it, and the same query would need the same memory again
                    raise QueryMemoryExceeded(_MEMORY_LIMIT, exc.message or "") from None
                raise

        def fetch(tx: neo4j.ManagedTransaction) -> QueryResult:
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
            counters = {ours: getattr(summary.counters, theirs) for theirs, ours in _COUNTERS.items()}
            if bump and any(v for name, v in counters.items() if name not in _SCHEMA_COUNTERS):
                tx.run(_BUMP).consume()
            ids = _endpoint_ids(tx, raw)
            rows = [[_convert(v, ids) for v in row] for row in raw]
            return QueryResult(columns=columns, rows=rows, counters=counters, truncated=truncated)

        mode = neo4j.READ_ACCESS if read_only else neo4j.WRITE_ACCESS
        try:
            with self._driver.session(database=self.database, default_access_mode=mode) as session:
                return session.execute_read(work) if read_only else session.execute_write(work)
        except (nx.Neo4jError, nx.DriverError, OSError) as exc:
            raise translate(exc, timeout_ms, self.uri, self.database) from None

    # -- engine-specific paths -----------------------------------------------------------
    @property
    def identity(self) -> tuple[str, ...]:
        return (self.backend, self.uri, self.database)

    # -- write lock: a bookkeeping node; setting a property first takes its lock in the transaction,
    # so two writers trying at once are serialised and the second sees the first one's claim
    def take_write_lock(self, token: str, owner: str, lease_ms: int) -> LockHolder | None:
        self._ensure_meta_key()
        row = self._run(_TAKE_LOCK, {"token": token, "owner": owner, "lease": lease_ms}, read_only=False,
                        timeout_ms=self.timeout_ms, row_cap=1).rows[0]
        return None if row[0] else LockHolder(row[1], row[2] / 1000)

    def renew_write_lock(self, token: str, lease_ms: int) -> bool:
        return bool(self._run(_RENEW_LOCK, {"token": token, "lease": lease_ms}, read_only=False,
                              timeout_ms=self.timeout_ms, row_cap=1).scalar())

    def release_write_lock(self, token: str) -> None:
        self._run(_RELEASE_LOCK, {"token": token}, read_only=False, timeout_ms=self.timeout_ms, row_cap=1)

    def is_empty(self) -> bool:
        return not self.read(f"MATCH (n) WHERE NOT n:{META_LABEL} RETURN n LIMIT 1").rows

    # -- schema, version, admin ----------------------------------------------------------
    def _ensure_meta_key(self) -> None:
        """The unique key of the bookkeeping nodes: without it two writers claiming the write lock at
        once could each create a lock node."""
        if not self._meta_key_ready:
            self.write(f"CREATE CONSTRAINT ecomap_meta_key_unique IF NOT EXISTS FOR (m:{META_LABEL}) "
                       "REQUIRE m.key IS UNIQUE")
            self._meta_key_ready = True

    def setup_schema(self) -> None:
        # Labels and properties come from the ontology module, never from user input.
        self.write(f"CREATE CONSTRAINT entity_id_unique IF NOT EXISTS FOR (n:{ENTITY_LABEL}) "
                   "REQUIRE n.id IS UNIQUE")
        self._ensure_meta_key()
        for t in NODE_TYPES:
            for prop in ("id", *INDEXED_PROPERTIES):
                self.write(f"CREATE INDEX {t.label.lower()}_{prop} IF NOT EXISTS FOR (n:{t.label}) ON (n.{prop})")

    def version(self) -> int:
        return int(self.read(f"MATCH (m:{META_LABEL} {{key: 'version'}}) RETURN m.value").scalar() or 0)

    def _bump_version(self) -> None:
        self._run(_BUMP, {}, read_only=False, timeout_ms=self.timeout_ms, row_cap=1)

    def clear(self) -> None:
        # relationships first, then nodes, a bounded number per transaction: a node's relationships
        # would otherwise all go in its node's transaction, whatever their number
        for step in ("MATCH ()-[r]->() WITH r LIMIT 10000 DELETE r RETURN count(*)",
                     f"MATCH (n) WHERE NOT n:{META_LABEL} WITH n LIMIT 10000 DELETE n RETURN count(*)"):
            while self.write(step).scalar():
                pass
        self._bump_version()

    def ping(self) -> None:
        try:
            self._driver.verify_connectivity()
        except (nx.Neo4jError, nx.DriverError, OSError) as exc:
            raise StoreUnavailable(f"Neo4j does not answer: {exc}", tried=self.uri) from None

    def close(self) -> None:
        self._driver.close()


def translate(exc: Exception, timeout_ms: int, uri: str, database: str) -> StoreError:
    """The project's exception for a driver error."""
    if isinstance(exc, nx.CypherSyntaxError):
        message = exc.message or ""
        line, column = _position(message)
        return CypherSyntaxError(message.splitlines()[0] if message else str(exc), line, column)
    if isinstance(exc, nx.ConstraintError):
        return ConstraintViolation(f"{exc.message}. Each id must be unique across the graph.")
    code = (getattr(exc, "code", None) or "") if isinstance(exc, nx.Neo4jError) else ""
    message = (getattr(exc, "message", None) or str(exc)) if isinstance(exc, nx.Neo4jError) else str(exc)
    if any(marker in code for marker in _TIMEOUT):
        return QueryTimeout(timeout_ms)
    if any(marker in code for marker in _MEMORY):
        return QueryMemoryExceeded(_MEMORY_LIMIT, message)
    if "AccessMode" in code:
        return ReadOnlyViolation(message)
    if "ForbiddenDueToTransactionType" in code:
        return QueryError("Schema changes (indexes, constraints) and data writes cannot share one "
                          f"transaction; run them as separate statements. ({message})")
    if isinstance(exc, nx.ForbiddenOnReadOnlyDatabase) or "ForbiddenOnReadOnlyDatabase" in code:
        return StoreUnavailable(f"The Neo4j database {database!r} is read-only and refuses writes; "
                                "write to its primary or switch it back to read-write.", tried=uri)
    if isinstance(exc, nx.AuthError):
        return StoreUnavailable(f"Neo4j refused the credentials ({message}). Check NEO4J_USER and "
                                "NEO4J_PASSWORD.", tried=uri)
    if isinstance(exc, nx.ClientError):
        return QueryError(f"The store rejected the query: {message}")
    if isinstance(exc, nx.TransientError):
        return StoreUnavailable(f"Neo4j is busy or switching over and could not finish the request within "
                                f"{_RETRY_BUDGET_S:g} s of retries ({message}); retry shortly.", tried=uri)
    if isinstance(exc, nx.DatabaseError):
        return StoreUnavailable(f"Neo4j failed internally ({message}); its log (debug.log) says why. "
                                "Retry once it is healthy again.", tried=uri)
    return StoreUnavailable(f"Neo4j stopped answering ({message}); retry when it is back.", tried=uri)


def _position(message: str) -> tuple[int | None, int | None]:
    match = _POSITION.search(message)
    return (int(match[1]), int(match[2])) if match else (None, None)


def _labels(labels: frozenset[str]) -> tuple[str, ...]:
    """Labels in the order FalkorDB gives them: :Entity first, as every node is written."""
    return tuple(sorted(labels, key=lambda label: (label != ENTITY_LABEL, label)))


def _node(n: ng.Node) -> Node:
    props = {k: _scalar(v) for k, v in n.items()}
    return Node(id=props.get("id", n.element_id), labels=_labels(n.labels), properties=props)


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


def _scalar(v: Any) -> Any:
    """Temporal values as ISO 8601 text and points as maps (as FalkorDB gives them), so that every
    result is plain JSON and the same from both engines."""
    if isinstance(v, time.Date | time.DateTime | time.Time):
        return iso_temporal(v.to_native())
    if isinstance(v, time.Duration):
        return iso_duration(v.months, v.days, v.seconds + v.nanoseconds / 1e9)
    if isinstance(v, spatial.Point):
        names = ("longitude", "latitude", "height") if isinstance(v, spatial.WGS84Point) else ("x", "y", "z")
        return dict(zip(names, v, strict=False))
    if isinstance(v, list):
        return [_scalar(x) for x in v]
    return v


def _convert(v: Any, ids: dict[str, str]) -> Any:
    if isinstance(v, ng.Node):
        return _node(v)
    if isinstance(v, ng.Relationship):
        return Relationship(type=v.type, start=ids[v.start_node.element_id], end=ids[v.end_node.element_id],
                            properties={k: _scalar(x) for k, x in v.items()})
    if isinstance(v, ng.Path):
        # A path carries its nodes with their properties: its relationships' endpoints are among them.
        nodes = tuple(_node(n) for n in v.nodes)
        local = {**ids, **{raw.element_id: node.id for raw, node in zip(v.nodes, nodes, strict=True)}}
        return Path(nodes=nodes, relationships=tuple(_convert(r, local) for r in v.relationships))
    if isinstance(v, list):
        return [_convert(x, ids) for x in v]
    if isinstance(v, dict):
        return {k: _convert(x, ids) for k, x in v.items()}
    return _scalar(v)
