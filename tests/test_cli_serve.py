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


def test_serve_loads_the_curated_dataset_into_an_empty_store_and_stops_its_store(store_env: dict[str, str],
                                                                                  tmp_path: Path) -> None:
    """The data dir is a new one: an embedded store is started for this server alone (and stopped with it)."""
    port = _free_port()
    env = _env(tmp_path, **{k: v for k, v in store_env.items() if k.startswith(("ECOMAP_", "NEO4J_"))
                            and k != "ECOMAP_DATA_DIR"})
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/stats", timeout=10) as resp:
            stats = json.load(resp)
        expected_ids = {n["id"] for f in DATASET.glob("*.yaml") for n in yaml.safe_load(f.read_text())["nodes"]}
        assert stats["nodes"] == len(expected_ids)
    finally:
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    assert f"http://127.0.0.1:{port}/" in output and "curated" in output
    started = managed_server(StoreConfig(backend=Backend(env["ECOMAP_BACKEND"]), data_dir=tmp_path))
    assert started is None or not started.status().running


def test_serve_refuses_a_public_address_without_keys(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "app.cli", "serve", "--host", "0.0.0.0"], env=_env(tmp_path),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "ECOMAP_API_KEYS" in out.stderr and "0.0.0.0" in out.stderr
