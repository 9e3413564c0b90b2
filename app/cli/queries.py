"""``ecomap query list|show|run``: the saved queries of ``queries/`` from the command line."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from app.cli.common import console, err_console, fail, open_store, print_result, settings
from app.cypher_text import RejectedCypher
from app.saved_queries import ParamError, QueryDefinitionError, QueryLibrary, SavedQuery, result_csv, run
from app.services import query_library
from graph.model import to_json

query_cli = typer.Typer(help="List, show and run saved Cypher queries (always read-only).", no_args_is_help=True)


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
        table.add_row(q.name, q.returns, params, q.title)
    console.print(table, markup=False, highlight=False)
    for problem in problems:
        err_console.print(f"invalid saved query {problem}", markup=False, highlight=False)
    if problems:
        raise typer.Exit(1)


@query_cli.command("show")
def show(name: str = typer.Argument(..., help="The saved query's name.")) -> None:
    """A saved query's header and Cypher."""
    q = _get(name)
    console.print(f"{q.name} — {q.title}  (returns {q.returns})", markup=False, highlight=False)
    if q.description:
        console.print(q.description, markup=False, highlight=False)
    for pname, p in q.parameters.items():
        extra = "required" if p.required else f"default {json.dumps(p.default, ensure_ascii=False)}"
        choices = f"; one of {', '.join(map(str, p.effective_choices))}" if p.effective_choices else ""
        console.print(f"  -p {pname}=…  {p.type}, {extra}{choices}  {p.description}", markup=False,
                      highlight=False)
    console.print(q.cypher, markup=False, highlight=False)


@query_cli.command("run")
def run_query(
    name: str = typer.Argument(..., help="The saved query's name."),
    param: list[str] = typer.Option(None, "--param", "-p", help="key=value, converted to the declared type."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, json or csv."),
    limit: int = typer.Option(1000, min=1, max=1_000_000, help="Row cap."),
) -> None:
    """Run a saved query read-only; parameters come as -p key=value."""
    if fmt not in ("table", "json", "csv"):
        fail("--format must be table, json or csv", 2)
    q = _get(name)
    given = {}
    for item in param or []:
        key, sep, value = item.partition("=")
        if not sep:
            fail(f"parameter {item!r} is not of the form key=value", 2)
        given[key] = value
    try:
        params = q.bind(given, from_text=True)
    except ParamError as exc:
        fail(f"invalid parameters: {exc}", 2)
    with open_store() as store:
        try:
            result = run(store, q, params, limit=limit)
        except RejectedCypher as exc:
            fail(str(exc), 2)
    if fmt == "csv":
        typer.echo(result_csv(result), nl=False)
    elif fmt == "json":
        typer.echo(json.dumps({"columns": result.columns, "rows": to_json(result.rows),
                               "truncated": result.truncated}, ensure_ascii=False))
    else:
        print_result(result, as_json=False)


def register(cli: typer.Typer) -> None:
    cli.add_typer(query_cli, name="query")
