"""``ecomap serve``: the API and the 创新生态云图 pages."""

from __future__ import annotations

import ipaddress

import typer
import uvicorn

from app.cli.common import console, fail, open_store, settings
from loaders import load_dataset

SHUTDOWN_GRACE_S = 10
"""Seconds requests in progress get to finish when the server is stopped; slower ones are cut off."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: str = typer.Option(None, help="Address to bind (default ECOMAP_HOST, 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (default ECOMAP_PORT, 8000)."),
    workers: int = typer.Option(1, min=1, max=32, help="Worker processes."),
) -> None:
    """Serve the API (/api, OpenAPI at /docs) and the map."""
    s = settings()
    host, port = host or s.host, port or s.port
    if not _is_loopback(host) and not s.api_keys:
        fail(f"Refusing to bind {host}: it is not a loopback address and no API keys are configured. "
             "Set ECOMAP_API_KEYS (e.g. 'longsecretkey:editor') or bind 127.0.0.1.", 2)
    embedded = s.managed_server()
    started_here = embedded is not None and not embedded.status().running
    with open_store() as store:
        store.setup_schema()
        if store.is_empty():
            # another process may be loading it too: wait for it, then this load finds everything there
            report = load_dataset(store, "shanxi", lock_wait_s=600, on_lock_wait=lambda holder: console.print(
                f"waiting for another load to finish ({holder.owner}, since {holder.since_text})…", markup=False))
            console.print(f"The store was empty: loaded the curated 六新 dataset ({report.total('node', 'created')} "
                          f"nodes, {report.total('rel', 'created')} relationships).")
    console.print(f"创新生态云图 serving on [bold]http://{host}:{port}/[/]  (API docs: http://{host}:{port}/docs)")
    try:
        # h11 rather than httptools: it stops buffering a request line and headers that pass the limit
        # (answered 400, connection closed), which httptools does not; the app refuses any head that still
        # passes it, arrived in one read, with a 431.
        uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", http="h11", h11_max_incomplete_event_size=s.max_header_bytes,
                    timeout_keep_alive=s.keep_alive_s, limit_concurrency=s.max_connections,
                    timeout_graceful_shutdown=SHUTDOWN_GRACE_S)
    finally:
        if started_here:
            # The store was started for this server alone: stop it with the server.
            embedded.stop()


def register(cli: typer.Typer) -> None:
    cli.command()(serve)
