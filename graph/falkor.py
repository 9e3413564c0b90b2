"""FalkorDB backend: the embedded server (see ``graph.embedded``) or a remote one by URL.

Rows for ``$rows`` travel in the query's parameter header (``CYPHER rows=[…] <query>``), written with
``json`` rather than the client's generic encoder: FalkorDB's parameter syntax reads JSON arrays,
strings (``\\"``, ``\\\\``, ``\\n``, ``\\r``, ``\\t`` escapes), numbers, ``true``/``false``/``null`` —
everything validation lets through (no other control characters, no NaN) — and this is many times
faster on large batches. Rows are lists, never maps, because JSON's quoted keys are not Cypher's.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import redis
from dateutil.relativedelta import relativedelta
from falkordb import FalkorDB
from falkordb.edge import Edge as FEdge
from falkordb.node import Node as FNode
from falkordb.path import Path as FPath

from graph import falkor_bulk
from graph.embedded import EmbeddedServer
from graph.errors import (
    ConstraintViolation,
    CypherSyntaxError,
    QueryError,
    QueryMemoryExceeded,
    QueryTimeout,
    ReadOnlyViolation,
    StoreUnavailable,
)
from graph.model import Node, Path, QueryResult, Relationship, iso_duration, iso_temporal, leaves
from graph.ontology import ENTITY_LABEL, INDEXED_PROPERTIES, NODE_TYPES
from graph.paging import MAX_ROWS_PER_PAGE, GraphScan, PageProgress, RelFilter, read_parallel
from graph.store import BulkTable, GraphStore
from graph.write_lock import LockHolder

_SYNTAX = re.compile(r"errMsg: (?P<msg>.*?) line: (?P<line>\d+), column: (?P<col>\d+)", re.S)
_SOCKET_TIMEOUT_S = 660  # above the longest query time limit settings allow; the server enforces the limit
# the client's counter names → the project's (the same for every engine)
_COUNTERS = {name: name for name in ("nodes_created", "nodes_deleted", "relationships_created",
                                     "relationships_deleted", "properties_set", "properties_removed",
                                     "labels_added", "labels_removed")} | {
    "indices_created": "indexes_created", "indices_deleted": "indexes_deleted"}
_IF_MINE = ("if string.find(redis.call('get', KEYS[1]) or '', ARGV[1], 1, true) then return {then} "
            "end return 0")
"""A script acting on the lock key only while it holds the caller's token (ARGV[1])."""
_UNIT, _RECORD = "\x1f", "\x1e"
"""Separators of packed scan pages (ASCII unit and record separators, passed as parameters)."""
# Scan pages are ranges of internal node ids, each packed into one string by ``string.join`` (the
# client then parses one value instead of one per row, most of the cost of a large read). Paging by
# the business id does not work here: a range condition on an indexed string property returns
# nodes outside the range. The end node's label is not checked: every node the project writes is an
# Entity, and the check costs about as much as the traversal. The relationship variable is bound:
# parallel relationships collapse into one row when it is not.
_SCAN_MAX_ID = f"MATCH (n:{ENTITY_LABEL}) RETURN max(id(n))"
_SCAN_NODES = (f"MATCH (n:{ENTITY_LABEL}) WHERE id(n) >= $lo AND id(n) < $hi "
               "RETURN string.join(collect(n.id + $unit + string.join(labels(n), ',')), $record)")
_SCAN_EDGES = (f"MATCH (a:{ENTITY_LABEL})-[r]->(b) WHERE id(a) >= $lo AND id(a) < $hi AND {{condition}} "
               "RETURN string.join(collect(a.id + $unit + type(r) + $unit + b.id), $record)")


class FalkorStore(GraphStore):
    backend = "falkordb"
    can_bulk_build = True

    def __init__(self, graph: str, *, url: str | None = None, server: EmbeddedServer | None = None,
                 **limits: Any) -> None:
        super().__init__(**limits)
        if (url is None) == (server is None):
            raise ValueError("give exactly one of url (remote) or server (embedded)")
        self.graph_name = graph
        self.url = url
        self.server = server
        self._db: FalkorDB | None = None
        self._reconnecting = threading.Lock()
        self._connect()

    @property
    def where(self) -> str:
        return self.url if self.url else f"unix socket {self.server.socket}"

    def _connect(self) -> None:
        try:
            if self.server is not None:
                socket = self.server.ensure_running()
                self._db = FalkorDB(unix_socket_path=socket, socket_timeout=_SOCKET_TIMEOUT_S)
            else:
                self._db = FalkorDB.from_url(self.url, socket_timeout=_SOCKET_TIMEOUT_S, socket_connect_timeout=5)
            self._db.connection.ping()
            if self.server is not None:
                self.server.apply_limits(self._db.connection)
            self._graph = self._db.select_graph(self.graph_name)
            if not self._db.connection.exists(self.graph_name):
                # Reads on a graph key that does not exist yet fail in FalkorDB; create it empty.
                self._graph.query("RETURN 0")
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise StoreUnavailable(
                f"Cannot reach FalkorDB: {exc}. Check that the server runs and ECOMAP_FALKORDB_URL is right.",
                tried=self.where,
            ) from exc

    def _reconnect(self, failed: Any) -> None:
        """Connect again after the connection ``failed`` broke, once for all the threads that saw it
        break (the embedded server is started again if it died)."""
        with self._reconnecting:
            if self._graph is failed:
                self._connect()

    # -- queries -------------------------------------------------------------------------
    def _run(self, cypher: str, params: dict[str, Any], *, read_only: bool, timeout_ms: int,
             row_cap: int) -> QueryResult:
        raw = self._retrying(lambda: self._call(cypher, params, read_only, timeout_ms))
        rows = raw.result_set or []
        truncated = len(rows) > row_cap
        rows = rows[:row_cap]
        columns = [h[1] if isinstance(h, list | tuple) else h for h in (raw.header or [])]
        columns = [c.decode() if isinstance(c, bytes) else c for c in columns]
        counters = {ours: int(getattr(raw, theirs)) for theirs, ours in _COUNTERS.items()}
        return QueryResult(columns=columns, rows=self._convert_rows(rows), counters=counters,
                           truncated=truncated)

    @contextmanager
    def _answering(self) -> Iterator[None]:
        """Connection failures of a call become ``StoreUnavailable`` (a 503 with Retry-After), never a
        raw client error."""
        try:
            yield
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            raise StoreUnavailable(f"FalkorDB stopped answering ({exc}); retry when it is back.",
                                   tried=self.where) from None

    def _retrying(self, call: Callable[[], Any]) -> Any:
        """``call()``; when the connection breaks and the server is the embedded one (it died: a crash,
        kill -9), start it again and call once more. Connection failures end as ``StoreUnavailable``."""
        graph = self._graph
        try:
            return call()
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            if self.server is None:
                raise StoreUnavailable("FalkorDB stopped answering; retry when it is back.",
                                       tried=self.where) from None
            self._reconnect(graph)
            with self._answering():
                return call()

    def _command(self, call: Callable[[redis.Redis], Any]) -> Any:
        """``call(connection)`` for a server command outside a query (the version counter, the write
        lock), restarted and retried like queries."""
        return self._retrying(lambda: call(self._db.connection))

    def _call(self, cypher: str, params: dict[str, Any], read_only: bool, timeout_ms: int):
        try:
            if read_only:
                return self._graph.ro_query(cypher, params=params or None, timeout=int(timeout_ms))
            return self._graph.query(cypher, params=params or None, timeout=int(timeout_ms))
        except redis.ResponseError as exc:
            raise _translate(str(exc), timeout_ms, self.where) from None

    def send_rows(self, cypher: str, rows: list[Any], *, write: bool = True) -> QueryResult:
        header = json.dumps(rows, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        # json writes \uXXXX only for control characters, which FalkorDB would keep as six characters:
        # such rows (validation lets none through) go as ordinary parameters.
        if "\\u" in header:
            return super().send_rows(cypher, rows, write=write)
        text = f"CYPHER rows={header} {cypher}"
        return self.write(text) if write else self.read(text, row_cap=max(self.row_cap, len(rows) * 64))

    def bulk_build(self, nodes: Sequence[BulkTable], rels: Sequence[BulkTable],
                   advance: Callable[[int], None]) -> None:
        falkor_bulk.build_graph(self._db.connection, self.graph_name, nodes, rels, advance)
        self._bump_version()
        self.setup_schema()

    @property
    def identity(self) -> tuple[str, ...]:
        return (self.backend, self.where, self.graph_name)

    # -- write lock: a key beside the graph, set only if absent, expiring with its lease ------
    @property
    def _lock_key(self) -> str:
        return f"ecomap:write-lock:{self.graph_name}"

    def take_write_lock(self, token: str, owner: str, lease_ms: int) -> LockHolder | None:
        value = json.dumps({"token": token, "owner": owner, "since": time.time()}, ensure_ascii=False)
        while not self._command(lambda c: c.set(self._lock_key, value, nx=True, px=lease_ms)):
            held = self._command(lambda c: c.get(self._lock_key))
            if held is not None:  # else it expired in between: try again
                info = json.loads(held)
                return LockHolder(info["owner"], info["since"])
        return None

    def renew_write_lock(self, token: str, lease_ms: int) -> bool:
        return bool(self._command(lambda c: c.eval(_IF_MINE.format(then="redis.call('pexpire', KEYS[1], ARGV[2])"),
                                                   1, self._lock_key, token, lease_ms)))

    def release_write_lock(self, token: str) -> None:
        self._command(lambda c: c.eval(_IF_MINE.format(then="redis.call('del', KEYS[1])"), 1, self._lock_key, token))

    def scan(self, rel_filter: RelFilter, *, page_size: int, workers: int,
             on_page: Callable[[int, int], None] | None = None) -> GraphScan:
        max_id = self.read(_SCAN_MAX_ID).scalar()
        bounds = range(0, (max_id if max_id is not None else -1) + 1, page_size)
        progress = PageProgress(2 * len(bounds), on_page)

        def pages(query: str, width: int, extra: dict) -> Callable[[int], list[list]]:
            def fetch(lo: int) -> list[list]:
                params = {"lo": lo, "hi": lo + page_size, "unit": _UNIT, "record": _RECORD, **extra}
                text = self.read(query, params, row_cap=MAX_ROWS_PER_PAGE).scalar()
                # one split of the whole page; every width-th value then belongs to one column
                values = text.replace(_RECORD, _UNIT).split(_UNIT) if text else []
                if len(values) % width:
                    raise ValueError("an id contains an ASCII control separator; ids must be slugs")
                return [values[i::width] for i in range(width)]
            return fetch

        scan = GraphScan()
        scan.node_ids, scan.node_labels = read_parallel(pages(_SCAN_NODES, 2, {}), bounds, 2, workers, progress)
        edges = _SCAN_EDGES.format(condition=rel_filter.condition)
        scan.starts, scan.rel_types, scan.ends = read_parallel(
            pages(edges, 3, {"types": list(rel_filter.types)}), bounds, 3, workers, progress)
        return scan

    # -- conversion ----------------------------------------------------------------------
    def _convert_rows(self, rows: list[list[Any]]) -> list[list[Any]]:
        internal_ids: dict[int, str] = {}
        missing: set[int] = set()

        for value in leaves(rows):
            parts = (*value.nodes(), *value.edges()) if isinstance(value, FPath) else (value,)
            for v in parts:
                if isinstance(v, FNode):
                    internal_ids[v.id] = v.properties.get("id", f"_{v.id}")
                elif isinstance(v, FEdge):
                    missing.update((v.src_node, v.dest_node))
        missing -= internal_ids.keys()
        if missing:
            lookup = self.read("MATCH (n) WHERE id(n) IN $ids RETURN id(n), n.id", {"ids": sorted(missing)},
                               row_cap=len(missing))
            for internal, business in lookup.rows:
                internal_ids[internal] = business if business is not None else f"_{internal}"

        def convert(v: Any) -> Any:
            if isinstance(v, FNode):
                labels = tuple(v.labels or ())
                return Node(id=internal_ids[v.id], labels=labels, properties=dict(v.properties))
            if isinstance(v, FEdge):
                return Relationship(type=v.relation, start=internal_ids[v.src_node],
                                    end=internal_ids[v.dest_node], properties=dict(v.properties))
            if isinstance(v, FPath):
                return Path(nodes=tuple(convert(n) for n in v.nodes()),
                            relationships=tuple(convert(e) for e in v.edges()))
            if isinstance(v, list | tuple):
                return [convert(x) for x in v]
            if isinstance(v, dict):
                return {k: convert(x) for k, x in v.items()}
            return _scalar(v)

        return [[convert(v) for v in row] for row in rows]

    # -- schema, version, admin ----------------------------------------------------------
    def setup_schema(self) -> None:
        # db.indexes() gives one row per label, listing all its indexed properties. Missing ones are
        # created in one statement per label: FalkorDB rebuilds a label's index for every statement.
        have: dict[str, set[str]] = {}
        for label, props in self.read("CALL db.indexes() YIELD label, properties RETURN label, properties").rows:
            have.setdefault(label, set()).update(props)
        wanted = {ENTITY_LABEL: ("id",), **{t.label: ("id", *INDEXED_PROPERTIES) for t in NODE_TYPES}}
        for label, props in wanted.items():
            missing = [p for p in props if p not in have.get(label, set())]
            if missing:
                # Labels and properties come from the ontology module, never from user input.
                self.write(f"CREATE INDEX FOR (n:{label}) ON ({', '.join(f'n.{p}' for p in missing)})")
        self.ensure_unique_id()

    def ensure_unique_id(self) -> None:
        """Create (if missing) the unique-id constraint on :Entity and wait until it is enforced."""
        def constraints() -> dict[str, str]:
            rows = self.read("CALL db.constraints() YIELD type, label, properties, status "
                             "RETURN type, label, properties, status").rows
            return {row[1]: row[3] for row in rows if row[0] == "UNIQUE" and row[2] == ["id"]}

        if ENTITY_LABEL not in constraints():
            try:
                self._command(lambda c: c.execute_command(
                    "GRAPH.CONSTRAINT", "CREATE", self.graph_name, "UNIQUE", "NODE", ENTITY_LABEL,
                    "PROPERTIES", "1", "id"))
            except redis.ResponseError as exc:
                raise ConstraintViolation(
                    f"Cannot enforce unique ids: {exc}. The graph already holds duplicate ids; "
                    "export it, fix the duplicates and reload.") from None
        deadline = time.monotonic() + 60
        while (status := constraints().get(ENTITY_LABEL)) != "OPERATIONAL":
            if status == "FAILED" or time.monotonic() > deadline:
                raise ConstraintViolation(
                    "The unique-id constraint could not be built (duplicate ids in the graph?).")
            time.sleep(0.05)

    @property
    def _version_key(self) -> str:
        return f"ecomap:version:{self.graph_name}"

    def version(self) -> int:
        return int(self._command(lambda c: c.get(self._version_key)) or 0)

    def _bump_version(self) -> None:
        self._command(lambda c: c.incr(self._version_key))

    @property
    def redis(self) -> redis.Redis:
        """The server connection, for FalkorDB-specific commands (server info)."""
        return self._db.connection

    def drop(self) -> None:
        """Delete the graph key, schema included."""
        if self._command(lambda c: c.exists(self.graph_name)):
            with self._answering():
                self._graph.delete()
        self._bump_version()

    def clear(self) -> None:
        self.drop()
        self.write("RETURN 0")
        self.setup_schema()

    def ping(self) -> None:
        self._command(lambda c: c.ping())

    def close(self) -> None:
        if self._db is not None:
            self._db.connection.close()
            self._db = None


def _scalar(v: Any) -> Any:
    """Temporal values as ISO 8601 text, so that every result is plain JSON and the same from both engines."""
    if isinstance(v, dt.date | dt.time):
        return iso_temporal(v)
    if isinstance(v, relativedelta):
        return iso_duration(v.years * 12 + v.months, v.days,
                            v.hours * 3600 + v.minutes * 60 + v.seconds + v.microseconds / 1e6)
    return v


def _translate(message: str, timeout_ms: int, where: str) -> Exception:
    """Turn a FalkorDB error reply into the project's exception type."""
    if "timed out" in message.lower():
        return QueryTimeout(timeout_ms)
    if "mem consumption exceeded capacity" in message:
        return QueryMemoryExceeded("ECOMAP_QUERY_MEMORY_MB for the embedded store, QUERY_MEM_CAPACITY for a "
                                   "FalkorDB server")
    if message.startswith("OOM "):
        return StoreUnavailable("FalkorDB has reached its memory limit and refuses writes until memory is "
                                "freed; raise ECOMAP_STORE_MEMORY_MB (or the server's maxmemory) or drop data.",
                                tried=where)
    if "read-only queries" in message or "read only" in message.lower():
        return ReadOnlyViolation(message)
    if "constraint violation" in message.lower():
        return ConstraintViolation(f"{message}. Each id must be unique across the graph.")
    if match := _SYNTAX.search(message):
        return CypherSyntaxError(match["msg"].strip(), int(match["line"]), int(match["col"]))
    if message.endswith(" not defined"):
        # an unknown variable: Neo4j reports it as a syntax error too, with its position
        return CypherSyntaxError(message)
    return QueryError(f"The store rejected the query: {message}")
