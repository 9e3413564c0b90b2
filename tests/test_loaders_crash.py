"""Crash safety: a load interrupted by kill -9 of the store or of the loader, then run again,
leaves exactly the graph an uninterrupted load leaves. Each test has a private store server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from graph import falkor_bulk
from graph.embedded import EmbeddedServer
from graph.errors import StoreError
from graph.falkor import FalkorStore
from graph.write_lock import LEASE_MS
from loaders import load_paths
from loaders.export import export_graph
from loaders.generate import generate

NODES, EDGES = 3_000, 12_000
RECOVERY_S = 600
"""How long a restarted store may take to replay its append-only file."""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A base ecosystem; a second one over the same ids (every node changes, most edges are new,
    written with MERGE); and a third with ids of its own (all new, written with CREATE)."""
    root = tmp_path_factory.mktemp("crash-data")
    generate(NODES, EDGES, seed=1, out_dir=root / "base")
    generate(NODES, EDGES, seed=2, out_dir=root / "update")
    generate(NODES, EDGES, seed=3, out_dir=root / "add", id_prefix="more")
    return {"base": root / "base", "update": root / "update", "add": root / "add"}


@pytest.fixture
def private(tmp_path: Path) -> Iterator[EmbeddedServer]:
    server = EmbeddedServer(tmp_path / "data")
    server.ensure_running()
    yield server
    server.stop()


def open_graph(server: EmbeddedServer, name: str) -> FalkorStore:
    store = FalkorStore(name, server=server)
    store.setup_schema()
    return store


def snapshot(store: FalkorStore, path: Path) -> str:
    return export_graph(store, "json", path).read_text(encoding="utf-8")


def expected(server: EmbeddedServer, tmp_path: Path, *loads: Path) -> str:
    """The graph of uninterrupted loads, built on the session's store (so that the private store's
    append-only file, replayed after the crash, holds only the crashed graph)."""
    from tests.conftest import fresh_graph_name

    store = open_graph(server, fresh_graph_name())
    try:
        for path in loads:
            load_paths(store, [path])
        return snapshot(store, tmp_path / "expected.json")
    finally:
        store.drop()
        store.close()


def reopen(server: EmbeddedServer, name: str) -> FalkorStore:
    """The graph once the store answers again (a restarted store first replays its append-only file)."""
    deadline = time.monotonic() + RECOVERY_S
    while True:
        try:
            store = open_graph(server, name)
            store.read("RETURN 1")
            return store
        except StoreError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def start_loader(server: EmbeddedServer, graph: str, path: Path) -> subprocess.Popen:
    env = {**os.environ, "ECOMAP_BACKEND": "embedded", "ECOMAP_DATA_DIR": str(server.data_dir),
           "ECOMAP_GRAPH": graph}
    return subprocess.Popen([sys.executable, "-c", "from app.cli import main; main()", "load", str(path),
                             "--batch-size", "100", "--no-progress"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)


def wait_until(condition: Callable[[], bool], loader: subprocess.Popen, timeout: float = 120) -> bool:
    """Poll until ``condition`` holds (True) or the loader ended first (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if loader.poll() is not None:
            return False
        try:
            if condition():
                return True
        except StoreError:
            pass
        time.sleep(0.02)
    raise AssertionError("the load neither progressed nor ended")


def relationships(store: FalkorStore) -> int:
    return store.read("MATCH ()-[r]->() RETURN count(r)").scalar() or 0


def nodes(store: FalkorStore) -> int:
    return store.read("MATCH (n) RETURN count(n)").scalar() or 0


def weighted(store: FalkorStore) -> int:
    """Relationships with a weight: the update creates thousands of them."""
    return store.read("MATCH ()-[r]->() WHERE r.synthetic AND r.weight IS NOT NULL RETURN count(r)").scalar() or 0


def kill_store(server: EmbeddedServer) -> None:
    os.kill(server.pid(), signal.SIGKILL)


def finish(loader: subprocess.Popen) -> None:
    loader.wait(timeout=300)


@pytest.mark.parametrize("second", ["update", "add"])
@pytest.mark.parametrize("victim", ["store", "loader"])
def test_an_interrupted_incremental_load_completes_when_run_again(private: EmbeddedServer, server: EmbeddedServer,
                                                                  files: dict[str, Path], tmp_path: Path,
                                                                  victim: str, second: str) -> None:
    want = expected(server, tmp_path, files["base"], files[second])
    store = open_graph(private, "crash")
    load_paths(store, [files["base"]])
    before = weighted(store)
    loader = start_loader(private, "crash", files[second])
    try:
        interrupted = wait_until(lambda: weighted(store) > before + 1_000, loader)
        if interrupted:
            if victim == "store":
                kill_store(private)
                finish(loader)  # it reconnects (restarting the store) and goes on, or stops with an error
            else:
                loader.send_signal(signal.SIGKILL)
                loader.wait()
    finally:
        if loader.poll() is None:
            loader.kill()
    assert interrupted, "the load ended before it could be interrupted"
    store = reopen(private, "crash")
    # a killed loader still holds the write lock until its lease runs out
    load_paths(store, [files[second]], lock_wait_s=2 * LEASE_MS / 1000)
    assert snapshot(store, tmp_path / "got.json") == want


class LoaderKilled(BaseException):
    """Stands for the loader process dying: nothing after it runs."""


@pytest.mark.parametrize("victim", ["store", "loader"])
def test_an_interrupted_initial_load_completes_when_run_again(private: EmbeddedServer, server: EmbeddedServer,
                                                              files: dict[str, Path], tmp_path: Path, victim: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The initial load builds the graph in bulk calls; it is cut after the third call, by killing the
    store or by the loader stopping dead, so that the store holds part of the graph."""
    want = expected(server, tmp_path, files["base"])
    store = open_graph(private, "crash")
    monkeypatch.setattr(falkor_bulk, "CHUNK_ROWS", 1_000)
    connection = store.redis
    real, calls = connection.execute_command, []

    def cut(*args: object, **options: object) -> object:
        if args[0] == "GRAPH.BULK":
            calls.append(args)
            if len(calls) == 4:
                if victim == "loader":
                    raise LoaderKilled
                kill_store(private)
        return real(*args, **options)

    monkeypatch.setattr(connection, "execute_command", cut)
    with pytest.raises((LoaderKilled, StoreError)):
        load_paths(store, [files["base"]])
    monkeypatch.undo()
    store = reopen(private, "crash")
    held = nodes(store) + relationships(store)
    # The loader's death leaves part of the graph; a killed store may have lost its last second too.
    assert (0 < held if victim == "loader" else 0 <= held) and held < NODES + 6 + EDGES
    report = load_paths(store, [files["base"]])
    assert report.method == ("merge" if held else "bulk")
    assert snapshot(store, tmp_path / "got.json") == want
    assert store.stats().relationships == EDGES
