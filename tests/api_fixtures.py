"""Fixtures of the API tests (registered with ``pytest_plugins = ["tests.api_fixtures"]``)."""

from __future__ import annotations

from collections.abc import Iterator

import networkx as nx
import pytest
from fastapi.testclient import TestClient

from graph.store import GraphStore
from tests.api_helpers import (
    SAMPLE_NODES,
    SAMPLE_RELS,
    auth,
    keys_setting,
    load_test_graph,
    make_client,
    to_nx,
    write_graph,
)
from tests.conftest import filled_graph


def _viewer_client(store: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """A client of an app with one key per role, on ``store``; sends the viewer key."""
    c = make_client(store, tmp_path_factory.mktemp("api"), keys_setting())
    c.headers.update(auth("viewer"))
    return c


@pytest.fixture(scope="module")
def graph(engine) -> Iterator[GraphStore]:
    """A module's own graph holding the test dataset (read-only tests share it)."""
    with filled_graph(engine, load_test_graph) as store:
        yield store


@pytest.fixture(scope="module")
def nxg(graph: GraphStore) -> nx.MultiDiGraph:
    return to_nx(graph)


@pytest.fixture(scope="module")
def client(graph: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """A client of an app with one key per role, on the module's graph; sends the viewer key."""
    return _viewer_client(graph, tmp_path_factory)


@pytest.fixture(scope="module")
def sample_graph(engine) -> Iterator[GraphStore]:
    """A module's own graph holding the hand-made sample, whose every saved query has rows."""
    with filled_graph(engine, lambda store: write_graph(store, SAMPLE_NODES, SAMPLE_RELS)) as store:
        yield store


@pytest.fixture(scope="module")
def sample_nxg(sample_graph: GraphStore) -> nx.MultiDiGraph:
    return to_nx(sample_graph)


@pytest.fixture(scope="module")
def sample_client(sample_graph: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    return _viewer_client(sample_graph, tmp_path_factory)
