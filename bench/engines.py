"""The engines the benchmarks compare, each on a private server started for one run, and each with its bare
client (the ``falkordb`` package, the official ``neo4j`` driver) beside the project's ``GraphStore``, so that
a benchmark can time the same query through the project and without it.

Stores are opened through ``graph.factory`` only; the bare clients are what a user without this project
would write. Neo4j Community serves one user database per server, so a "graph" there is the whole database
and ``fresh`` empties it, where FalkorDB gets a new graph key.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
import traceback
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from falkordb import FalkorDB
from neo4j import GraphDatabase

from graph.factory import Backend, StoreConfig, managed_server, open_store
from graph.store import GraphStore

ENGINES = ("embedded", "neo4j")
TITLES = {"embedded": "FalkorDB", "neo4j": "Neo4j"}
INSTALL_JAVA = "apt-get install -y default-jdk-headless maven"
LONG_TIMEOUT_MS = 600_000
"""Benchmark writes and whole-graph reads must not hit the interactive 30 s default."""


# -- command line ---------------------------------------------------------------------------------------
def add_engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=("embedded", "neo4j", "both"), default="both",
                        help="engine(s) to run, one after the other (default both)")
    parser.add_argument("--neo4j-heap", default=None, help="JVM heap of the private Neo4j (default 1g quick, 4g)")
    parser.add_argument("--neo4j-page-cache", default=None,
                        help="page cache of the private Neo4j (default 512m quick, 2g)")


def chosen_engines(args: argparse.Namespace) -> list[str]:
    """The engines to run, in order; exits with 2 when Neo4j is asked for and cannot run here."""
    names = list(ENGINES) if args.backend == "both" else [args.backend]
    if "neo4j" in names:
        _require_java_and_maven()
    return names


def _require_java_and_maven() -> None:
    from graph.neo4j_local import Neo4jServerError, find_java

    try:
        find_java()
        missing = None if shutil.which("mvn") else "Maven (mvn) is not installed"
    except Neo4jServerError as exc:
        missing = str(exc).split(";")[0]  # its own advice names a slightly different command
    if missing:
        print(f"error: the Neo4j runs need Java 17+ and Maven ({missing}). Install them with:\n  {INSTALL_JAVA}",
              file=sys.stderr)
        sys.exit(2)


# -- bare clients ---------------------------------------------------------------------------------------
class FalkorDirect:
    """The ``falkordb`` client on the embedded server's socket, nothing of this project in between."""

    def __init__(self, socket: str, graph: str) -> None:
        self.db = FalkorDB(unix_socket_path=socket)
        self.graph = self.db.select_graph(graph)

    def read(self, cypher: str, params: dict[str, Any] | None = None) -> list:
        return self.graph.ro_query(cypher, params or None).result_set

    def write(self, cypher: str, params: dict[str, Any] | None = None) -> None:
        self.graph.query(cypher, params or None)

    def close(self) -> None:
        self.db.connection.close()


class Neo4jDirect:
    """The official driver, one session per call as its documentation shows."""

    def __init__(self, uri: str, user: str, password: str, database: str = "neo4j") -> None:
        self.driver = GraphDatabase.driver(uri, auth=(user, password))
        self.database = database

    def read(self, cypher: str, params: dict[str, Any] | None = None) -> list:
        with self.driver.session(database=self.database) as session:
            return session.execute_read(lambda tx: list(tx.run(cypher, params or {})))

    def write(self, cypher: str, params: dict[str, Any] | None = None) -> None:
        with self.driver.session(database=self.database) as session:
            session.execute_write(lambda tx: tx.run(cypher, params or {}).consume())

    def close(self) -> None:
        self.driver.close()


# -- engines --------------------------------------------------------------------------------------------
class Engine:
    name = ""

    def __init__(self) -> None:
        self._opened: list[Any] = []

    @property
    def title(self) -> str:
        return TITLES[self.name]

    def config(self, graph: str, **limits: int) -> StoreConfig:
        raise NotImplementedError

    def store(self, graph: str, *, timeout_ms: int = LONG_TIMEOUT_MS, row_cap: int | None = None) -> GraphStore:
        limits = {"timeout_ms": timeout_ms} | ({"row_cap": row_cap} if row_cap else {})
        store = open_store(self.config(graph, **limits))
        self._opened.append(store)
        return store

    def fresh(self, graph: str, **limits: int) -> GraphStore:
        """An empty graph with the schema; on Neo4j the database is emptied, whatever ``graph`` says."""
        old = self.store(graph, **limits)
        old.drop()
        old.close()
        # FalkorDB's drop removed the graph key; a new store creates it again, empty.
        store = self.store(graph, **limits)
        store.setup_schema()
        return store

    def direct(self, graph: str) -> FalkorDirect | Neo4jDirect:
        raise NotImplementedError

    def app_env(self, graph: str) -> dict[str, str]:
        """Environment that points an ecomap process at ``graph`` of this engine."""
        raise NotImplementedError

    @property
    def server_pid(self) -> int | None:
        raise NotImplementedError

    def start(self) -> Engine:
        raise NotImplementedError

    def stop(self) -> None:
        for client in self._opened:
            try:
                client.close()
            except Exception:  # a client of a server already gone has nothing left to close
                pass
        self._opened.clear()

    def __enter__(self) -> Engine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class EmbeddedEngine(Engine):
    """The embedded FalkorDB in ``data_dir``; stopped at the end only if this run started it."""

    name = "embedded"

    def __init__(self, data_dir: Path, *, start_timeout_s: float = 30.0) -> None:
        super().__init__()
        self.data_dir = Path(data_dir)
        self.server = managed_server(StoreConfig(backend=Backend.EMBEDDED, data_dir=self.data_dir))
        self.start_timeout_s = start_timeout_s
        self.started_here = False
        self.socket = ""

    def config(self, graph: str, **limits: int) -> StoreConfig:
        return StoreConfig(backend=Backend.EMBEDDED, data_dir=self.data_dir, graph=graph, **limits)

    def start(self) -> EmbeddedEngine:
        self.started_here = not self.server.status().running
        self.socket = self.server.ensure_running(timeout_s=self.start_timeout_s)
        return self

    def stop(self) -> None:
        super().stop()
        if self.started_here:
            self.server.stop()

    def direct(self, graph: str) -> FalkorDirect:
        client = FalkorDirect(self.socket, graph)
        self._opened.append(client)
        return client

    def app_env(self, graph: str) -> dict[str, str]:
        return {"ECOMAP_BACKEND": "embedded", "ECOMAP_DATA_DIR": str(self.data_dir), "ECOMAP_GRAPH": graph}

    @property
    def server_pid(self) -> int | None:
        return self.server.status().pid


class Neo4jEngine(Engine):
    """A throwaway Neo4j 5 Community on a free loopback port; its data directory goes with it."""

    name = "neo4j"
    user = "neo4j"

    def __init__(self, *, heap: str, page_cache: str, query_memory: str) -> None:
        super().__init__()
        self.heap, self.page_cache, self.query_memory = heap, page_cache, query_memory
        self.password = secrets.token_urlsafe(18)
        self.server = None
        self.uri = ""

    def config(self, graph: str, **limits: int) -> StoreConfig:
        return StoreConfig(backend=Backend.NEO4J, neo4j_uri=self.uri, neo4j_user=self.user,
                           neo4j_password=self.password, graph=graph, **limits)

    def start(self) -> Neo4jEngine:
        from graph.neo4j_local import temporary

        self.server = temporary(1, self.password, heap=self.heap, page_cache=self.page_cache,
                                query_memory=self.query_memory)
        try:
            self.server.start()
        except BaseException:
            shutil.rmtree(self.server.data_dir, ignore_errors=True)
            raise
        self.uri = self.server.uris[0]
        return self

    def stop(self) -> None:
        super().stop()
        if self.server is not None:
            self.server.stop()
            shutil.rmtree(self.server.data_dir, ignore_errors=True)
            self.server = None

    def direct(self, graph: str) -> Neo4jDirect:
        client = Neo4jDirect(self.uri, self.user, self.password)
        self._opened.append(client)
        return client

    def app_env(self, graph: str) -> dict[str, str]:
        return {"ECOMAP_BACKEND": "neo4j", "NEO4J_URI": self.uri, "NEO4J_USER": self.user,
                "NEO4J_PASSWORD": self.password, "ECOMAP_GRAPH": graph}

    @property
    def server_pid(self) -> int | None:
        return self.server.pid if self.server else None

    @property
    def log(self) -> Path | None:
        return self.server.log if self.server else None


def make_engine(name: str, args: argparse.Namespace, *, data_dir: Path, quick: bool,
                start_timeout_s: float = 30.0) -> Engine:
    if name == "embedded":
        return EmbeddedEngine(data_dir, start_timeout_s=start_timeout_s)
    return Neo4jEngine(heap=args.neo4j_heap or ("1g" if quick else "4g"),
                       page_cache=args.neo4j_page_cache or ("512m" if quick else "2g"),
                       query_memory="256m" if quick else "1g")


# -- the store's own queries, for replaying them on the bare client ---------------------------------------
@contextmanager
def recording(store: GraphStore) -> Iterator[list[tuple[str, dict[str, Any], bool]]]:
    """Every query ``store`` sends while inside, as ``(cypher, params, read_only)``, in order.

    Replaying exactly these on the bare client is what makes "the same query" hold even where the project
    rewrites a call (FalkorDB's rows in the query header) or adds one (Neo4j's version bump after a write)."""
    calls: list[tuple[str, dict[str, Any], bool]] = []
    run = store._run

    def spy(cypher: str, params: dict[str, Any], *, read_only: bool, timeout_ms: int, row_cap: int):
        calls.append((cypher, params, read_only))
        return run(cypher, params, read_only=read_only, timeout_ms=timeout_ms, row_cap=row_cap)

    store._run = spy
    try:
        yield calls
    finally:
        del store._run


def replay(direct: FalkorDirect | Neo4jDirect, calls: list[tuple[str, dict[str, Any], bool]]) -> None:
    for cypher, params, read_only in calls:
        (direct.read if read_only else direct.write)(cypher, params)


# -- running every engine and printing them side by side --------------------------------------------------
def run_engines(names: list[str], run_one: Callable[[str], dict]) -> tuple[dict[str, dict], dict[str, str]]:
    """``run_one(name)`` for each engine; a failure is printed and recorded, and the others still run."""
    results: dict[str, dict] = {}
    failures: dict[str, str] = {}
    for name in names:
        print(f"\n=== {TITLES[name]} ({name}) " + "=" * 60, flush=True)
        try:
            results[name] = run_one(name)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # SystemExit from a helper is a failed run too
            traceback.print_exc()
            failures[name] = f"{type(exc).__name__}: {exc}".splitlines()[0][:100]
            print(f"{TITLES[name]} run FAILED: {failures[name]}", file=sys.stderr, flush=True)
    return results, failures


Row = tuple[str, Callable[[dict], str] | None]
"""A label and how to make one engine's cell from its results; ``None`` makes the label a section heading."""


def side_by_side(title: str, rows: list[Row], results: dict[str, dict], failures: dict[str, str]) -> None:
    """One line per row, one column per engine (FalkorDB | Neo4j); a cell that cannot be made shows —."""
    def cell(name: str, fmt: Callable[[dict], str]) -> str:
        if name not in results:
            return "FAILED" if name in failures else "not run"
        try:
            return fmt(results[name])
        except (KeyError, TypeError, ValueError, ZeroDivisionError, IndexError):
            return "—"

    def width(text: str) -> int:
        # Labels like 补链 take two terminal columns per character.
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    def pad(text: str, to: int, right: bool) -> str:
        fill = " " * max(0, to - width(text))
        return fill + text if right else text + fill

    table = [[label] if fmt is None else [label, *(cell(name, fmt) for name in ENGINES)] for label, fmt in rows]
    head = ["", *(TITLES[name] for name in ENGINES)]
    widths = [max(width(r[i]) for r in [head, *table] if len(r) > 1) for i in range(len(head))]

    def line(values: list[str]) -> str:
        return " | ".join(pad(v, w, right=i > 0) for i, (v, w) in enumerate(zip(values, widths, strict=True)))

    print(f"\n{title}")
    print(line(head))
    print("-+-".join("-" * w for w in widths))
    for values in table:
        print(line(values) if len(values) > 1 else values[0])
    for name, why in failures.items():
        print(f"{TITLES[name]} FAILED: {why}")
