"""The store engines the suite runs on, each able to hand out a fresh, isolated graph.

* ``embedded``: the embedded FalkorDB of the test session; every graph is a new graph key.
* ``falkordb-remote``: a FalkorDB server by URL (``ECOMAP_TEST_FALKORDB_URL``); also a new key.
* ``neo4j``: Neo4j Community serves one user database per server, so isolation comes from a pool of
  servers (``ECOMAP_TEST_NEO4J_URIS``, started by ``python -m tests.services``): a graph is a server
  taken from the pool and emptied; it goes back to the pool when the test (or module) is done.

An engine also says how the application reaches the same graph: ``settings_for`` (for an app made
in the test) and ``env_for`` (for a CLI started as a subprocess).
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from app.settings import Settings, load_settings
from graph.factory import Backend, StoreConfig, open_store
from graph.store import GraphStore

NEO4J_URIS_ENV = "ECOMAP_TEST_NEO4J_URIS"
FALKORDB_URL_ENV = "ECOMAP_TEST_FALKORDB_URL"
QUERY_MEMORY_MB = 256
"""What one query may allocate in the test stores (the embedded server's cap, and the Neo4j pool's
``db.memory.transaction.max``): enough for every test graph, small enough that a memory-heavy query
hits it within seconds."""


def fresh_graph_name() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


class Engine:
    """Hands out empty, schema-ready graphs of one engine."""

    name = ""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def config(self, store: GraphStore) -> StoreConfig:
        raise NotImplementedError

    @contextmanager
    def graph(self) -> Iterator[GraphStore]:
        raise NotImplementedError

    def settings_for(self, store: GraphStore, **overrides: Any) -> Settings:
        """Settings whose ``open_store`` reaches the graph of ``store``."""
        c = self.config(store)
        fields = {"backend": c.backend, "data_dir": self.data_dir, "graph": c.graph, "falkordb_url": c.falkordb_url,
                  "neo4j_uri": c.neo4j_uri, "neo4j_user": c.neo4j_user, "neo4j_password": c.neo4j_password,
                  "query_memory_mb": c.query_memory_mb}
        return load_settings(**{k: v for k, v in fields.items() if v is not None}, **overrides)

    def env_for(self, store: GraphStore) -> dict[str, str]:
        """Environment variables that point a CLI process at the graph of ``store``."""
        c = self.config(store)
        env = {"ECOMAP_BACKEND": c.backend.value, "ECOMAP_DATA_DIR": str(self.data_dir), "ECOMAP_GRAPH": c.graph}
        if c.falkordb_url:
            env["ECOMAP_FALKORDB_URL"] = c.falkordb_url
        if c.neo4j_uri:
            env.update(NEO4J_URI=c.neo4j_uri, NEO4J_USER=c.neo4j_user, NEO4J_PASSWORD=c.neo4j_password or "")
        return env

    def close(self) -> None:
        """Release what the engine holds for the session."""


class FalkorEngine(Engine):
    def __init__(self, data_dir: Path, url: str | None = None) -> None:
        super().__init__(data_dir)
        self.url = url
        self.name = "falkordb-remote" if url else "embedded"
        self._graphs: dict[int, str] = {}

    def _config(self, graph: str) -> StoreConfig:
        if self.url:
            return StoreConfig(backend=Backend.FALKORDB, falkordb_url=self.url, graph=graph)
        return StoreConfig(backend=Backend.EMBEDDED, data_dir=self.data_dir, graph=graph,
                           query_memory_mb=QUERY_MEMORY_MB)

    def config(self, store: GraphStore) -> StoreConfig:
        return self._config(self._graphs[id(store)])

    @contextmanager
    def graph(self) -> Iterator[GraphStore]:
        name = fresh_graph_name()
        store = open_store(self._config(name))
        self._graphs[id(store)] = name
        store.setup_schema()
        try:
            yield store
        finally:
            self._graphs.pop(id(store), None)
            store.drop()
            store.close()


class Neo4jEngine(Engine):
    name = "neo4j"

    def __init__(self, data_dir: Path, uris: list[str], user: str, password: str) -> None:
        super().__init__(data_dir)
        self.user, self.password = user, password
        self._free = list(uris)
        self._lock = threading.Lock()
        self._uris: dict[int, str] = {}

    def _config(self, uri: str) -> StoreConfig:
        return StoreConfig(backend=Backend.NEO4J, neo4j_uri=uri, neo4j_user=self.user, neo4j_password=self.password)

    def config(self, store: GraphStore) -> StoreConfig:
        return self._config(self._uris[id(store)])

    @contextmanager
    def graph(self) -> Iterator[GraphStore]:
        with self._lock:
            if not self._free:
                raise RuntimeError(f"every Neo4j server of the test pool is in use; start more ({NEO4J_URIS_ENV})")
            uri = self._free.pop()
        store = open_store(self._config(uri))
        self._uris[id(store)] = uri
        try:
            store.drop()
            store.setup_schema()
            yield store
        finally:
            self._uris.pop(id(store), None)
            store.close()
            with self._lock:
                self._free.append(uri)


def neo4j_from_env(data_dir: Path) -> Neo4jEngine | None:
    uris = [u for u in os.environ.get(NEO4J_URIS_ENV, "").split(",") if u]
    if not uris:
        return None
    return Neo4jEngine(data_dir, uris, os.environ.get("NEO4J_USER", "neo4j"), os.environ.get("NEO4J_PASSWORD", ""))


def neo4j_required() -> bool:
    """In CI the Neo4j run is mandatory: a missing server fails the run instead of skipping."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes") or bool(os.environ.get("ECOMAP_REQUIRE_NEO4J"))
