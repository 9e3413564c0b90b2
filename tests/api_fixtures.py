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


@pytest.fixture(scope="module")
def graph(server) -> Iterator[GraphStore]:
    """A module's own graph holding the test dataset (read-only tests share it)."""
    from graph.falkor import FalkorStore
    from tests.conftest import fresh_graph_name

    store = FalkorStore(fresh_graph_name(), server=server)
    store.setup_schema()
    load_test_graph(store)
    yield store
    store.drop()
    store.close()


@pytest.fixture(scope="module")
def nxg(graph: GraphStore) -> nx.MultiDiGraph:
    return to_nx(graph)


@pytest.fixture(scope="module")
def client(graph: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    """A client of an app with one key per role, on the module's graph; sends the viewer key."""
    c = make_client(graph, tmp_path_factory.mktemp("api"), keys_setting())
    c.headers.update(auth("viewer"))
    return c


@pytest.fixture(scope="module")
def sample_graph(server) -> Iterator[GraphStore]:
    """A module's own graph holding the hand-made sample, whose every saved query has rows."""
    from graph.falkor import FalkorStore
    from tests.conftest import fresh_graph_name

    store = FalkorStore(fresh_graph_name(), server=server)
    store.setup_schema()
    write_graph(store, SAMPLE_NODES, SAMPLE_RELS)
    yield store
    store.drop()
    store.close()


@pytest.fixture(scope="module")
def sample_nxg(sample_graph: GraphStore) -> nx.MultiDiGraph:
    return to_nx(sample_graph)


@pytest.fixture(scope="module")
def sample_client(sample_graph: GraphStore, tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    c = make_client(sample_graph, tmp_path_factory.mktemp("api"), keys_setting())
    c.headers.update(auth("viewer"))
    return c
