"""``ecomap query list|show|run``: the saved queries of ``queries/`` from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from app.cli.common import console, err_console, fail, open_store, print_result, settings
from app.cypher_bounds import ParamError
from app.cypher_text import RejectedCypher
from app.query_entities import entity_names, ids_to_name
from app.query_header import SavedQuery
from app.query_library import QueryDefinitionError, QueryLibrary
from app.query_results import result_csv, run
from app.query_xlsx import result_xlsx
from app.services import query_library
from graph.model import to_json

query_cli = typer.Typer(help="List, show and run saved Cypher queries (always read-only).", no_args_is_help=True)

FORMATS = ("table", "json", "csv", "xlsx")


def _library() -> QueryLibrary:
    return query_library(settings())


def _get(name: str) -> SavedQuery:
    try:
        query = _library().get(name)
    except QueryDefinitionError as exc:
        fail(str(exc))
    if query is None:
        fail(f"There is no saved query named {name!r}; `ecomap query list` shows them.")
    return query


@query_cli.command("list")
def list_queries() -> None:
    """The saved queries with their titles and parameters."""
    queries, problems = _library().all()
    table = Table("name", "returns", "parameters", "title")
    for q in queries:
        params = ", ".join(f"{n}{'' if p.required else '?'}:{p.type}" for n, p in q.parameters.items())
        table.add_row(q.name, q.returns, params, q.title + (f" · {q.title_en}" if q.title_en else ""))
    console.print(table, markup=False, highlight=False)
    for problem in problems:
        err_console.print(f"invalid saved query {problem}", markup=False, highlight=False)
    if problems:
        raise typer.Exit(1)


@query_cli.command("show")
def show(name: str = typer.Argument(..., help="The saved query's name.")) -> None:
    """A saved query's header and Cypher."""
    q = _get(name)
    title = q.title + (f" · {q.title_en}" if q.title_en else "")
    console.print(f"{q.name} — {title}  (returns {q.returns})", markup=False, highlight=False)
    for text in (q.description, q.description_en):
        if text:
            console.print(text, markup=False, highlight=False)
    for pname, p in q.parameters.items():
        extra = "required" if p.required else f"default {json.dumps(p.default, ensure_ascii=False)}"
        many = f"; repeat -p {pname}=… for each item" if p.is_list else ""
        console.print(f"  -p {pname}=…  {p.label_in(pname, 'zh')} / {p.label_in(pname, 'en')}: {p.type}, {extra}"
                      f"{many}. {p.hint('en')}. {p.description_in('en')}", markup=False, highlight=False)
    for warning in q.warnings():
        err_console.print(f"warning: {warning['message']}", markup=False, highlight=False)
    console.print(q.cypher, markup=False, highlight=False)


def _given(items: list[str] | None) -> dict[str, Any]:
    """``-p key=value`` pairs; a key given more than once is a list."""
    given: dict[str, list[str]] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep:
            fail(f"parameter {item!r} is not of the form key=value", 2)
        given.setdefault(key, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in given.items()}


@query_cli.command("run")
def run_query(
    name: str = typer.Argument(..., help="The saved query's name."),
    param: list[str] = typer.Option(None, "--param", "-p", help="key=value, converted to the declared type; "
                                    "repeat the key for each item of a list (-p ids=a -p ids=b)."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json, csv or xlsx (xlsx needs --out)."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the result to this file instead of the terminal."),
    limit: int = typer.Option(1000, min=1, max=1_000_000, help="Row cap."),
) -> None:
    """Run a saved query read-only; parameters come as -p key=value."""
    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}", 2)
    if fmt == "xlsx" and out is None:
        fail("--format xlsx writes a workbook: give the file with --out FILE.xlsx", 2)
    if fmt == "table" and out is not None:
        fail("--out writes json, csv or xlsx; choose one with --format", 2)
    q = _get(name)
    try:
        params = q.bind(_given(param), from_text=True)
    except ParamError as exc:
        fail(f"invalid parameters: {exc}", 2)
    for warning in q.warnings():
        err_console.print(f"warning: {warning['message']}", markup=False, highlight=False)
    with open_store() as store:
        try:
            result = run(store, q, params, limit=limit)
        except RejectedCypher as exc:
            fail(str(exc), 2)
        names = entity_names(store, ids_to_name(q, result.columns, result.rows, params)) if fmt == "xlsx" else {}
    if fmt == "xlsx":
        _write(out, result_xlsx(q, result, params, names=names))
        console.print(f"wrote {out} — {len(result.rows)} row(s)", markup=False, highlight=False)
        return
    if fmt == "table":
        print_result(result, as_json=False)
        return
    text = result_csv(result) if fmt == "csv" else json.dumps(
        {"columns": result.columns, "rows": to_json(result.rows), "truncated": result.truncated,
         "warnings": q.warnings()}, ensure_ascii=False) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        _write(out, text.encode("utf-8"))
        console.print(f"wrote {out} — {len(result.rows)} row(s)", markup=False, highlight=False)


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror}")


def register(cli: typer.Typer) -> None:
    cli.add_typer(query_cli, name="query")
