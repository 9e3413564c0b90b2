"""What every CLI command shares: consoles, settings, the store, parameters, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from app.settings import ConfigError, Settings, load_settings
from graph.errors import StoreError
from graph.model import Node, Path, QueryResult, Relationship, to_json
from graph.store import GraphStore

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(Text.assemble(("error:", "bold red"), " ", message), highlight=False)
    raise typer.Exit(code)


def settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        fail(str(exc), 2)


@contextmanager
def open_store() -> Iterator[GraphStore]:
    """The configured store; configuration and store errors end the command with a clear message."""
    try:
        store = settings().open_store()
    except (ConfigError, StoreError) as exc:
        fail(str(exc), 2)
    try:
        yield store
    except StoreError as exc:
        fail(exc.message)
    finally:
        store.close()


def parse_params(items: list[str] | None) -> dict[str, Any]:
    """``key=value`` pairs; a value that is valid JSON (number, true, "text", [..]) is taken as JSON,
    anything else as a plain string."""
    params: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier():
            fail(f"parameter {item!r} is not of the form key=value (key: letters, digits, _)")
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params


def _cell(value: Any) -> str:
    if isinstance(value, Node):
        return f"({value.type or ':'.join(value.labels)} {value.id} {value.properties.get('name', '')})"
    if isinstance(value, Relationship):
        return f"[{value.start}]-[:{value.type}]->[{value.end}]"
    if isinstance(value, Path):
        return " ".join(_cell(n) for n in value.nodes)
    if isinstance(value, str):
        return value
    return json.dumps(to_json(value), ensure_ascii=False)


def print_result(result: QueryResult, as_json: bool, warnings: list[dict[str, Any]] | None = None) -> None:
    """A query's rows as a table, or as JSON (with the query's warnings, if any)."""
    if as_json:
        payload: dict[str, Any] = {"columns": result.columns, "rows": to_json(result.rows)}
        if result.truncated:
            payload["truncated"] = True
        if warnings:
            payload["warnings"] = warnings
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    table = Table(*result.columns, show_lines=False)
    for row in result.rows:
        table.add_row(*(Text(_cell(v)) for v in row))
    console.print(table, markup=False, highlight=False)
    console.print(f"{len(result.rows)} row(s)" + (" — cut at the row cap" if result.truncated else ""),
                  style="dim", markup=False)
