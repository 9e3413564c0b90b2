"""``ecomap serve``: what the README's run command ends in."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from graph.factory import Backend, StoreConfig, managed_server

DATASET = Path(__file__).resolve().parents[1] / "loaders" / "datasets" / "shanxi_liuxin"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "ECOMAP_DATA_DIR": str(data_dir), "ECOMAP_BACKEND": "embedded", "ECOMAP_API_KEYS": "",
            "COLUMNS": "200", **extra}


def _store_env(store_env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in store_env.items() if k.startswith(("ECOMAP_", "NEO4J_")) and k != "ECOMAP_DATA_DIR"}


@contextmanager
def _serving(env: dict[str, str]) -> Iterator[tuple[int, list[str]]]:
    """``ecomap serve`` on a free loopback port, up and answering; yields the port and, once stopped, its
    output (as the one item of the list)."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    try:
        deadline = time.monotonic() + 120
        health = None
        while time.monotonic() < deadline and health is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as resp:
                    health = json.load(resp)
            except OSError:
                time.sleep(0.3)
        assert health and health["status"] == "ok"
        yield port, output
    finally:
        proc.send_signal(signal.SIGINT)
        output.append(proc.communicate(timeout=60)[0])


def test_serve_loads_the_curated_dataset_into_an_empty_store_and_stops_its_store(store_env: dict[str, str],
                                                                                  tmp_path: Path) -> None:
    """The data dir is a new one: an embedded store is started for this server alone (and stopped with it)."""
    env = _env(tmp_path, **_store_env(store_env))
    with _serving(env) as (port, output):
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/stats", timeout=10) as resp:
            stats = json.load(resp)
        expected_ids = {n["id"] for f in DATASET.glob("*.yaml") for n in yaml.safe_load(f.read_text())["nodes"]}
        assert stats["nodes"] == len(expected_ids)
    assert f"http://127.0.0.1:{port}/" in output[0] and "curated" in output[0]
    started = managed_server(StoreConfig(backend=Backend(env["ECOMAP_BACKEND"]), data_dir=tmp_path))
    assert started is None or not started.status().running


def _raw_get(sock: socket.socket, path: str, header_bytes: int = 0) -> bytes:
    """Send a GET (with one ``X-Padding`` header of ``header_bytes`` when given), read the whole response
    and return its status line."""
    padding = f"X-Padding: {'a' * header_bytes}\r\n" if header_bytes else ""
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{padding}\r\n".encode())
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    head, _, body = received.partition(b"\r\n\r\n")
    length = int(next((line.split(b":")[1] for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), b"0"))
    while len(body) < length:
        body += sock.recv(65536)
    return head.split(b"\r\n")[0]


def test_serve_bounds_headers_idle_connections_and_concurrent_connections(store_env: dict[str, str],
                                                                         tmp_path: Path) -> None:
    env = _env(tmp_path, **_store_env(store_env), ECOMAP_KEEP_ALIVE_S="1", ECOMAP_MAX_CONNECTIONS="4")
    with _serving(env) as (port, _):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            assert _raw_get(sock, "/api/health", header_bytes=8 * 1024) == b"HTTP/1.1 200 OK"
            # the connection stays open for another request, then is closed once idle for the keep-alive time
            assert _raw_get(sock, "/api/health") == b"HTTP/1.1 200 OK"
            time.sleep(2.5)
            assert sock.recv(1024) == b""
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            refused = _raw_get(sock, "/api/health", header_bytes=100 * 1024)
            assert refused in (b"HTTP/1.1 400 Bad Request", b"HTTP/1.1 431 Request Header Fields Too Large")
        idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(4)]
        try:
            time.sleep(0.5)  # the server has accepted them
            with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
                assert _raw_get(sock, "/api/health") == b"HTTP/1.1 503 Service Unavailable"
        finally:
            for sock in idle:
                sock.close()


def test_serve_refuses_a_public_address_without_keys(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "app.cli", "serve", "--host", "0.0.0.0"], env=_env(tmp_path),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "ECOMAP_API_KEYS" in out.stderr and "0.0.0.0" in out.stderr
