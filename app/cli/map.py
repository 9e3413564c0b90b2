"""``ecomap map``: write the 创新生态云图 of a view as one standalone, offline HTML file."""

from __future__ import annotations

from pathlib import Path

import typer

from app.cli.common import console, fail, open_store, settings
from app.cypher_bounds import ParamError
from app.pages.render import standalone_html
from app.pages.views import (
    ENTITY_DEPTH,
    ENTITY_LIMIT,
    HOME_LIMIT,
    MAX_LIMIT,
    ViewNotFound,
    cluster_gaps,
    cluster_view,
    entity_view,
    home_view,
    place,
    query_view,
)
from app.query_library import QueryDefinitionError
from app.services import query_library


def _given(items: list[str] | None) -> dict[str, str]:
    given: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier():
            fail(f"parameter {item!r} is not of the form key=value")
        given[key] = value
    return given


def map_command(
    out: Path = typer.Option(..., "--out", "-o", help="The HTML file to write.", dir_okay=False, writable=True),
    query: str = typer.Option(None, "--query", "-q", help="Draw the result of this saved query."),
    param: list[str] = typer.Option(None, "--param", "-p", help="Query parameter key=value (with --query)."),
    entity: str = typer.Option(None, "--entity", "-e", help="Draw this entity's neighbourhood."),
    depth: int = typer.Option(ENTITY_DEPTH, "--depth", min=1, max=3, help="Hops around --entity."),
    cluster: str = typer.Option(None, "--cluster", "-c", help="Draw this cluster's ecosystem and its gaps."),
    limit: int = typer.Option(None, "--limit", min=1, max=MAX_LIMIT,
                              help=f"Most nodes (home map: default {HOME_LIMIT}; entity: default {ENTITY_LIMIT}; "
                              "query: row cap, default 1000)."),
) -> None:
    """Write a standalone map (vis-network and the data inlined): it opens from file:// with no server
    and makes no request to any host. Without --query, --entity or --cluster: the home map."""
    chosen = [name for name, value in (("--query", query), ("--entity", entity), ("--cluster", cluster)) if value]
    if len(chosen) > 1:
        fail(f"give at most one of --query, --entity, --cluster (got {', '.join(chosen)})", 2)
    if param and not query:
        fail("-p/--param needs --query", 2)
    s = settings()
    with open_store() as store:
        try:
            if entity:
                view = entity_view(store, entity, depth, limit or ENTITY_LIMIT)
            elif cluster:
                library = query_library(s)
                view = cluster_view(store, library, cluster, timeout_ms=s.query_timeout_ms,
                                    gaps=cluster_gaps(store, cluster))
            elif query:
                library = query_library(s)
                saved = library.get(query)
                if saved is None:
                    fail(f"there is no saved query named {query!r}; `ecomap query list` shows them")
                params = saved.bind(_given(param), from_text=True)
                view, _ = query_view(store, saved, params, limit=limit or 1000, timeout_ms=s.query_timeout_ms)
            else:
                view = home_view(store, limit or HOME_LIMIT)
        except ViewNotFound as exc:
            fail(f"not found: {exc.args[0]!r}")
        except ParamError as exc:
            fail(f"invalid query parameters: {exc}", 2)
        except QueryDefinitionError as exc:
            fail(f"the saved query file is not valid: {exc}")
        html = standalone_html(place(view), store)
    try:
        out.write_text(html, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}")
    if not view.graph["nodes"]:
        console.print("note: the view has no nodes to draw", style="yellow", markup=False)
    console.print(f"wrote {out} — {len(view.graph['nodes'])} nodes, {len(view.graph['relationships'])} "
                  f"relationships{' (truncated)' if view.graph.get('truncated') else ''}; open it in a browser",
                  markup=False, highlight=False)


def register(cli: typer.Typer) -> None:
    cli.command("map")(map_command)
