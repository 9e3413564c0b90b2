"""Shared fixtures: one embedded store server per test session, a fresh graph per test, and the
conformance backends (embedded always; remote FalkorDB and Neo4j when configured)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.settings import Settings, load_settings
from graph.embedded import EmbeddedServer
from graph.falkor import FalkorStore
from graph.store import GraphStore


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("ecomap-data")
    yield path
    EmbeddedServer(path).stop()


@pytest.fixture(scope="session")
def server(data_dir: Path) -> EmbeddedServer:
    srv = EmbeddedServer(data_dir)
    srv.ensure_running()
    return srv


def fresh_graph_name() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


@contextmanager
def filled_graph(server: EmbeddedServer, fill: Callable[[GraphStore], object]) -> Iterator[FalkorStore]:
    """A graph of its own on the embedded store, with the ontology's schema and what ``fill`` writes;
    dropped on leaving."""
    store = FalkorStore(fresh_graph_name(), server=server)
    store.setup_schema()
    fill(store)
    yield store
    store.drop()
    store.close()


@pytest.fixture
def settings(data_dir: Path, server: EmbeddedServer) -> Settings:
    """Settings for the embedded backend on the session's server with a graph of its own."""
    return load_settings(backend="embedded", data_dir=data_dir, graph=fresh_graph_name())


@pytest.fixture
def store(server: EmbeddedServer) -> Iterator[GraphStore]:
    """An empty graph with the ontology's schema on the embedded store."""
    s = FalkorStore(fresh_graph_name(), server=server)
    s.setup_schema()
    yield s
    s.drop()
    s.close()


def _conformance_params() -> list:
    params = [pytest.param(("embedded", None), id="embedded")]
    url = os.environ.get("ECOMAP_TEST_FALKORDB_URL")
    params.append(pytest.param(("falkordb", url), id="falkordb-remote", marks=pytest.mark.skipif(
        not url, reason="remote FalkorDB not configured: set ECOMAP_TEST_FALKORDB_URL=redis://host:port")))
    uri = os.environ.get("NEO4J_URI")
    params.append(pytest.param(("neo4j", uri), id="neo4j", marks=pytest.mark.skipif(
        not uri, reason="Neo4j not configured: set NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD (docker compose up neo4j)")))
    return params


@pytest.fixture(params=_conformance_params())
def any_store(request: pytest.FixtureRequest, server: EmbeddedServer) -> Iterator[GraphStore]:
    """The same empty, schema-ready graph on every reachable backend."""
    kind, address = request.param
    if kind == "embedded":
        s: GraphStore = FalkorStore(fresh_graph_name(), server=server)
    elif kind == "falkordb":
        s = FalkorStore(fresh_graph_name(), url=address)
    else:
        from graph.neo4j_store import Neo4jStore

        s = Neo4jStore(address, os.environ.get("NEO4J_USER", "neo4j"),
                       os.environ.get("NEO4J_PASSWORD", ""), os.environ.get("NEO4J_DATABASE", "neo4j"))
        s.clear()
    s.setup_schema()
    yield s
    s.clear()
    s.close()
