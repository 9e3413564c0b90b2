"""``ecomap check`` and ``ecomap repair``: what loads keep true in the stored graph, and the repair of
duplicate relationships that older versions could leave when two loads ran at once."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from app.cli.common import console, fail, open_store

_SHOWN = 50


def check(as_json: bool = typer.Option(False, "--json", help="Print the duplicates as JSON.")) -> None:
    """Look for duplicate relationships (more than one of a type between the same two entities).

    Exit code 0: none; 1: some were found (`ecomap repair` removes them)."""
    from loaders.integrity import duplicate_relationships

    with open_store() as store:
        found = duplicate_relationships(store)
    extra = sum(d.count - 1 for d in found)
    if as_json:
        typer.echo(json.dumps({"duplicate_relationships": [d.__dict__ for d in found], "extra": extra},
                              ensure_ascii=False))
    elif not found:
        console.print("no duplicate relationships", highlight=False)
    else:
        table = Table("start", "type", "end", "count")
        for d in found[:_SHOWN]:
            table.add_row(d.start, d.type, d.end, str(d.count))
        console.print(table, markup=False, highlight=False)
        more = f" (the first {_SHOWN} shown)" if len(found) > _SHOWN else ""
        console.print(f"{len(found):,} pairs hold {extra:,} relationships too many{more}; "
                      "`ecomap repair` keeps one of each", highlight=False)
    if found:
        raise typer.Exit(1)


def repair(wait: float = typer.Option(600.0, "--wait", min=0, metavar="SECONDS",
                                      help="How long to wait for a running load to finish (0: fail at once).")) -> None:
    """Delete duplicate relationships, keeping one of each, under the graph's write lock."""
    from graph.errors import WriteLocked
    from loaders.integrity import remove_duplicate_relationships
    from loaders.load import default_owner

    with open_store() as store:
        try:
            removed = remove_duplicate_relationships(store, default_owner("repair"),
                                                     lock_wait_s=wait)
        except WriteLocked as exc:
            fail(exc.message, 3)
        except ValueError as exc:
            fail(str(exc))
    console.print(f"removed {removed:,} duplicate relationships" if removed else "nothing to repair",
                  highlight=False)


def register(cli: typer.Typer) -> None:
    cli.command()(check)
    cli.command()(repair)
