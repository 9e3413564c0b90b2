"""Shared fixtures: one embedded store server per test session, and graphs on every engine.

Store-backed fixtures (``store``, ``settings``, ``filled_graph``…) are parametrised by ``engine``,
so every test that uses them runs on the embedded FalkorDB and on Neo4j. The Neo4j servers come
from ``python -m tests.services`` (``make test`` runs the suite under it); without them the Neo4j
run is skipped locally and fails in CI.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.settings import Settings
from graph.embedded import EmbeddedServer, MemoryLimits
from graph.store import GraphStore
from loaders.generate import generate
from loaders.load import load_paths
from tests.engines import (
    FALKORDB_URL_ENV,
    NEO4J_URIS_ENV,
    QUERY_MEMORY_MB,
    Engine,
    FalkorEngine,
    fresh_graph_name,
    neo4j_from_env,
    neo4j_required,
)

__all__ = ["filled_graph", "fresh_graph_name"]


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("ecomap-data")
    yield path
    EmbeddedServer(path).stop()


@pytest.fixture(scope="session")
def server(data_dir: Path) -> EmbeddedServer:
    srv = EmbeddedServer(data_dir, MemoryLimits(query_mb=QUERY_MEMORY_MB))
    srv.ensure_running()
    return srv


_ENGINES: dict[str, Engine | None] = {}


def _engine(kind: str, request: pytest.FixtureRequest) -> Engine:
    if kind not in _ENGINES:
        data_dir = request.getfixturevalue("data_dir")
        if kind == "embedded":
            request.getfixturevalue("server")
            _ENGINES[kind] = FalkorEngine(data_dir)
        elif kind == "falkordb-remote":
            url = os.environ.get(FALKORDB_URL_ENV)
            _ENGINES[kind] = FalkorEngine(data_dir, url) if url else None
        else:
            _ENGINES[kind] = neo4j_from_env(data_dir)
    engine = _ENGINES[kind]
    if engine is None:
        if kind == "neo4j":
            reason = f"Neo4j not configured: run the suite under `python -m tests.services` ({NEO4J_URIS_ENV})"
            if neo4j_required():
                pytest.fail(f"{reason}; in CI the Neo4j run is mandatory")
        else:
            reason = f"remote FalkorDB not configured: set {FALKORDB_URL_ENV}=redis://host:port"
        pytest.skip(reason)
    return engine


@pytest.fixture(scope="session", params=["embedded", "neo4j"])
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each engine the store-backed tests run on."""
    return _engine(request.param, request)


@pytest.fixture(params=["embedded", "falkordb-remote", "neo4j"])
def any_store(request: pytest.FixtureRequest) -> Iterator[GraphStore]:
    """The same empty, schema-ready graph on every engine, the remote FalkorDB included."""
    with _engine(request.param, request).graph() as store:
        yield store


@contextmanager
def filled_graph(engine: Engine, fill: Callable[[GraphStore], object]) -> Iterator[GraphStore]:
    """A graph of its own on ``engine``, with the ontology's schema and what ``fill`` writes;
    dropped on leaving."""
    with engine.graph() as store:
        fill(store)
        yield store


def planted_files(out_dir: Path, nodes: int = 2000, edges: int = 10000, seed: int = 5) -> tuple[list[Path], dict]:
    """Files of a generated ecosystem with planted chains, gaps and 招商 candidates, and the planted truth."""
    report = generate(nodes, edges, seed=seed, out_dir=out_dir)
    return report.files, json.loads(Path(report.truth).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def planted(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[GraphStore, dict]]:
    """A graph of the planted ecosystem of ``planted_files``, and its truth."""
    files, truth = planted_files(tmp_path_factory.mktemp("chains"))
    with filled_graph(engine, lambda store: load_paths(store, files)) as store:
        yield store, truth


@pytest.fixture
def store(engine: Engine) -> Iterator[GraphStore]:
    """An empty graph with the ontology's schema."""
    with engine.graph() as s:
        yield s


@pytest.fixture
def settings(engine: Engine, store: GraphStore) -> Settings:
    """Settings whose store is the test's ``store`` graph."""
    return engine.settings_for(store)


@pytest.fixture
def store_env(engine: Engine, store: GraphStore) -> dict[str, str]:
    """The environment of a CLI process working on the test's ``store`` graph."""
    return {**os.environ, **engine.env_for(store)}


_ENGINE_ID = re.compile(r"\[(?:.*-)?(embedded|falkordb-remote|neo4j)(?:-.*)?\]$")


def pytest_terminal_summary(terminalreporter) -> None:
    """Say how many tests ran on each engine, so that a log shows the Neo4j run was not skipped."""
    counts: dict[str, dict[str, int]] = {}
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") != "call" and outcome != "skipped":
                continue
            if match := _ENGINE_ID.search(getattr(report, "nodeid", "")):
                per = counts.setdefault(match[1], {})
                per[outcome] = per.get(outcome, 0) + 1
    for engine, per in sorted(counts.items()):
        terminalreporter.write_line(f"engine {engine}: " + ", ".join(f"{n} {o}" for o, n in sorted(per.items())))
