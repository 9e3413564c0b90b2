"""``make neo4j`` (``python -m graph.neo4j_local``): a Neo4j for a person, in the foreground, that keeps
its data across restarts and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graph.factory import Backend, StoreConfig, open_store
from graph.neo4j_local import free_ports

PASSWORD = "local-test-password"


def _start(data: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "NEO4J_PORT": str(port), "NEO4J_PASSWORD": PASSWORD, "NEO4J_DATA": str(data)}
    proc = subprocess.Popen([sys.executable, "-m", "graph.neo4j_local", "--heap", "512m", "--page-cache", "64m"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 240
    for line in proc.stdout:
        if "is ready on" in line:
            return proc
        if time.monotonic() > deadline:
            break
    proc.kill()
    pytest.fail(f"Neo4j did not become ready: {proc.stdout.read() if proc.stdout else ''}")


def _stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=60)


def test_the_foreground_server_keeps_its_data_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_ports(1)[0]
    config = StoreConfig(backend=Backend.NEO4J, neo4j_uri=f"bolt://127.0.0.1:{port}", neo4j_password=PASSWORD)
    proc = _start(tmp_path / "neo4j", port)
    try:
        with open_store(config) as store:
            store.setup_schema()
            store.write("CREATE (:Entity:Region {id: 'kept', name: '保留'})")
    finally:
        assert _stop(proc) == 0
    proc = _start(tmp_path / "neo4j", port)
    try:
        with open_store(config) as store:
            assert store.read("MATCH (n:Entity {id: 'kept'}) RETURN n.name").scalar() == "保留"
    finally:
        assert _stop(proc) == 0


def test_a_missing_or_short_password_is_refused_with_what_to_set() -> None:
    env = {**os.environ, "NEO4J_PASSWORD": "short"}
    done = subprocess.run([sys.executable, "-m", "graph.neo4j_local"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2 and "NEO4J_PASSWORD" in done.stderr and "8" in done.stderr
