"""``ecomap doctor``, ``ecomap store start|stop|status`` and ``ecomap cypher``."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import typer

from app.cli.common import console, fail, open_store, parse_params, print_result, settings
from app.cypher_gate import check_query
from app.cypher_names import unknown_names
from app.cypher_text import RejectedCypher
from app.row_limit import row_limited
from app.settings import ConfigError, load_settings
from graph.errors import StoreError
from graph.factory import engine_checks

store_cli = typer.Typer(help="Start, stop and inspect the embedded FalkorDB store.", no_args_is_help=True)


def _embedded_only():
    s = settings()
    server = s.managed_server()
    if server is None:
        fail(f"ECOMAP_BACKEND is {s.backend.value}; `ecomap store` manages only the embedded store.", 2)
    return server


@store_cli.command("start")
def store_start() -> None:
    """Start the embedded store (no-op when it already runs for this data dir)."""
    server = _embedded_only()
    try:
        server.ensure_running()
    except StoreError as exc:
        fail(exc.message)
    status = server.status()
    console.print(f"[green]running[/] pid {status.pid} on {status.socket}")


@store_cli.command("stop")
def store_stop() -> None:
    """Stop the embedded store cleanly (its append-only file is flushed first)."""
    server = _embedded_only()
    console.print("[green]stopped[/]" if server.stop() else "not running")


@store_cli.command("status")
def store_status() -> None:
    """Say whether the embedded store runs, with its pid, socket and data dir. Exit 1 when stopped."""
    status = _embedded_only().status()
    state = f"[green]running[/] pid {status.pid}" if status.running else "[yellow]stopped[/]"
    console.print(f"{state}  socket {status.socket}  data {status.data_dir}")
    raise typer.Exit(0 if status.running else 1)


def doctor() -> None:
    """Check Python, the store binary, the data dir and the configured backend; exit 0 only if all pass."""
    checks: list[tuple[str, bool, str]] = []
    ok_py = sys.version_info >= (3, 11)
    checks.append(("Python ≥ 3.11", ok_py, f"found {sys.version.split()[0]}; install Python 3.11 or newer"))
    try:
        s = load_settings()
        checks.append(("configuration", True, ""))
    except ConfigError as exc:
        checks.append(("configuration", False, str(exc)))
        s = None
    if s is not None:
        checks.extend(engine_checks(s.store_config))
        if s.managed_server() is not None:
            checks.append(_data_dir_check(s.data_dir))
    if s is not None:
        try:
            with s.open_store() as store:
                store.ping()
            checks.append((f"backend {s.backend.value} reachable", True, ""))
        except (StoreError, ConfigError) as exc:
            checks.append((f"backend {s.backend.value} reachable", False, str(exc)))
    for name, ok, advice in checks:
        mark = "[green]✔[/]" if ok else "[red]✘[/]"
        console.print(f"{mark} {name}" + ("" if ok else f" — {advice}"), highlight=False)
    raise typer.Exit(0 if all(ok for _, ok, _ in checks) else 1)


def _data_dir_check(data_dir: Path) -> tuple[str, bool, str]:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir):
            pass
        return (f"data dir {data_dir} writable", True, "")
    except OSError as exc:
        return (f"data dir {data_dir} writable", False, f"{exc}; set ECOMAP_DATA_DIR to a writable folder")


def cypher(
    query: str = typer.Argument(..., help="The Cypher text."),
    param: list[str] = typer.Option(None, "--param", "-p", help="Parameter key=value (JSON values allowed)."),
    write: bool = typer.Option(False, "--write", help="Allow the query to write, to run administrative commands "
                               "and any procedure, and to LOAD CSV from a local file:/// URL (default: read-only)."),
    as_json: bool = typer.Option(False, "--json", help='Print {"columns": [...], "rows": [[...]]}.'),
) -> None:
    """Run a Cypher query. Read-only unless --write is given; parameters are never pasted into the text.

    Without --write the query passes the API's checks: LOAD CSV, administrative commands (SHOW,
    TERMINATE, USE, index, constraint, user and database commands) and procedures other than
    db.labels, db.relationshipTypes and db.propertyKeys are refused. With --write those run, except
    that LOAD CSV reads only a local file:/// URL written in the query, never the network. Queries
    longer, deeper or more complex than the limits, and oversized parameters, are always refused:
    they can stall or crash the embedded store."""
    params = parse_params(param)
    try:
        tokens = check_query(query, params, writes=write)
    except RejectedCypher as exc:
        fail(str(exc))
    warnings = unknown_names(tokens)
    for warning in warnings:
        typer.echo(f"警告 warning: {warning['message_zh']} {warning['message']}", err=True)
    with open_store() as store:
        result = store.write(query, params) if write else \
            store.read(row_limited(query, tokens, store.row_cap + 1), params)
    print_result(result, as_json, warnings)


def register(cli: typer.Typer) -> None:
    cli.add_typer(store_cli, name="store")
    cli.command()(doctor)
    cli.command()(cypher)
