"""A local Neo4j 5.26 LTS Community server, run from Maven Central artifacts with no Docker.

``graph/neo4j_local_server`` is a Maven project of one class that embeds Neo4j with the Bolt connector.
It is built on first use (Maven resolves the jars into its own repository; nothing lands in the
source tree) and started as a separate Java process: Neo4j Community is GPLv3 and stays a program of
its own that this project only talks to over Bolt.

    python -m graph.neo4j_local            # one server in the foreground (``make neo4j``)
    python -m graph.neo4j_local --help

``Neo4jServer`` starts one Java process serving one or more independent servers (one database each,
on consecutive ports): the test suite uses a few so that tests can hold graphs of their own at once.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LAUNCHER_DIR = Path(__file__).resolve().parent / "neo4j_local_server"
_READY = "NEO4J READY "
_INSTALL_HINT = "install a JDK (17 or newer) and Maven: apt-get install -y default-jdk-headless maven"


class Neo4jServerError(RuntimeError):
    """Neo4j could not be built or started; the message says why and what to do."""


def build_dir() -> Path:
    return Path(os.environ.get("ECOMAP_NEO4J_BUILD") or Path.home() / ".cache" / "ecomap" / "neo4j-local-server")


def find_java() -> str:
    home = os.environ.get("JAVA_HOME")
    java = str(Path(home) / "bin" / "java") if home and (Path(home) / "bin" / "java").exists() else shutil.which("java")
    if not java:
        raise Neo4jServerError(f"No Java found to run Neo4j; {_INSTALL_HINT}")
    return java


def build(quiet: bool = True) -> list[str]:
    """Build the launcher if its sources changed since the last build; return its class path."""
    out = build_dir()
    jar, classpath = out / "neo4j-launcher-1.jar", out / "classpath.txt"
    sources = [LAUNCHER_DIR / "pom.xml", *LAUNCHER_DIR.rglob("*.java")]
    newest = max(p.stat().st_mtime for p in sources)
    if not (jar.exists() and classpath.exists() and min(jar.stat().st_mtime, classpath.stat().st_mtime) > newest):
        mvn = shutil.which("mvn")
        if not mvn:
            raise Neo4jServerError(f"Maven is needed to fetch Neo4j; {_INSTALL_HINT}")
        print("building the Neo4j launcher (Maven fetches Neo4j 5.26 the first time)…", file=sys.stderr)
        command = [mvn, "-B", *(["-q"] if quiet else []), "-f", str(LAUNCHER_DIR / "pom.xml"), "package",
                   "dependency:build-classpath", f"-Dbuild.dir={out}", f"-Dmdep.outputFile={classpath}"]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise Neo4jServerError("Building the Neo4j launcher failed:\n" + (done.stdout + done.stderr)[-3000:])
        jar.touch()
        classpath.touch()
    return [str(jar), *classpath.read_text().strip().split(os.pathsep)]


def free_ports(count: int) -> list[int]:
    """``count`` loopback ports that are free now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class Neo4jServer:
    """Neo4j servers on ``ports`` (loopback), data under ``data_dir/<port>``, user ``neo4j``."""

    def __init__(self, data_dir: str | Path, ports: list[int], password: str, *, heap: str = "1g",
                 page_cache: str = "128m", query_memory: str = "256m") -> None:
        if len(password) < 8:
            raise Neo4jServerError("NEO4J_PASSWORD must have at least 8 characters (Neo4j refuses shorter ones).")
        self.data_dir = Path(data_dir).resolve()
        self.ports = ports
        self.password = password
        self.heap = heap
        self.page_cache = page_cache
        self.query_memory = query_memory
        self.log = self.data_dir / "launcher.log"
        self._proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        """The JVM's process id while it runs (for measuring its CPU time)."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    @property
    def uris(self) -> list[str]:
        return [f"bolt://127.0.0.1:{port}" for port in self.ports]

    def start(self, timeout_s: float = 180.0) -> None:
        """Start the servers and wait until every one accepts Bolt connections."""
        classpath = build()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [find_java(), f"-Xms{self.heap}", f"-Xmx{self.heap}", "-XX:+UseG1GC",
                   # Neo4j reaches into these JDK internals for its page cache and network layer.
                   "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
                   "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
                   "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
                   "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "-Dio.netty.tryReflectionSetAccessible=true",
                   "-XX:+ExitOnOutOfMemoryError", "-Dfile.encoding=UTF-8",
                   "-cp", os.pathsep.join(classpath), "ecomap.Neo4jLauncher", str(self.data_dir), self.page_cache,
                   self.query_memory, *map(str, self.ports)]
        log = self.log.open("ab")
        self._proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True,
                                      env={**os.environ, "NEO4J_PASSWORD": self.password})
        log.close()
        ready: set[str] = set()
        deadline = time.monotonic() + timeout_s
        while len(ready) < len(self.ports):
            line = self._proc.stdout.readline()
            if not line:
                self._proc.wait(timeout=10)
                raise Neo4jServerError(f"Neo4j exited with code {self._proc.returncode} before it was ready. "
                                       f"Last lines of {self.log}:\n{self._log_tail()}")
            if line.startswith(_READY):
                ready.add(line[len(_READY):].strip())
            if time.monotonic() > deadline:
                self.stop()
                raise Neo4jServerError(f"Neo4j was not ready within {timeout_s:.0f} s. Last lines of {self.log}:\n"
                                       f"{self._log_tail()}")

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, grace_s: float = 30.0) -> None:
        """Shut the servers down cleanly (SIGTERM); kill them if they take longer than ``grace_s``."""
        if self._proc is None or self._proc.poll() is not None:
            return
        self._proc.terminate()
        try:
            self._proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()

    def __enter__(self) -> Neo4jServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _foreground(args: argparse.Namespace) -> int:
    password = os.environ.get("NEO4J_PASSWORD", "")
    if len(password) < 8:
        print("error: set NEO4J_PASSWORD (at least 8 characters), e.g. NEO4J_PASSWORD=change-me-please make neo4j",
              file=sys.stderr)
        return 2
    port = int(os.environ.get("NEO4J_PORT", "7687"))
    data = Path(os.environ.get("NEO4J_DATA", "./data/neo4j"))
    server = Neo4jServer(data, [port], password, heap=args.heap, page_cache=args.page_cache,
                         query_memory=args.query_memory)
    stop = False

    def on_signal(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        server.start()
    except Neo4jServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"Neo4j 5.26 Community is ready on {server.uris[0]} (data in {server.data_dir / str(port)}).\n"
          f"Use it with:\n  ECOMAP_BACKEND=neo4j NEO4J_URI={server.uris[0]} NEO4J_USER=neo4j "
          f"NEO4J_PASSWORD=… ecomap serve\nStop with Ctrl-C.", flush=True)
    try:
        while not stop and server._proc.poll() is None:
            time.sleep(0.2)
    finally:
        server.stop()
    return 0 if stop else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m graph.neo4j_local",
        description="Run Neo4j 5.26 LTS Community locally (no Docker): Bolt on 127.0.0.1:$NEO4J_PORT (7687), "
                    "user neo4j with password $NEO4J_PASSWORD (required, ≥ 8 characters), data in $NEO4J_DATA "
                    "(./data/neo4j, kept across restarts). Needs a JDK ≥ 17 and Maven; the first start fetches "
                    "Neo4j from Maven Central. Stops cleanly on Ctrl-C or SIGTERM.")
    parser.add_argument("--heap", default="1g", help="JVM heap (default 1g)")
    parser.add_argument("--page-cache", default="512m", help="Neo4j page cache (default 512m)")
    parser.add_argument("--query-memory", default="256m",
                        help="what one transaction may allocate before it is stopped (default 256m, a quarter "
                             "of the default heap)")
    return _foreground(parser.parse_args(argv))


def temporary(count: int, password: str, **memory: str) -> Neo4jServer:
    """``count`` servers on free loopback ports with data in a new temporary directory; ``memory`` as
    ``Neo4jServer`` takes it (``heap``, ``page_cache``, ``query_memory``)."""
    return Neo4jServer(tempfile.mkdtemp(prefix="ecomap-neo4j-"), free_ports(count), password, **memory)


if __name__ == "__main__":
    sys.exit(main())
