"""The 创新生态云图 pages: the ecosystem map, an entity's neighbourhood, a cluster with its 补链 view,
and the saved queries (form, table and map). Every map page is also available as JSON (``?format=json``):
exactly the view the page draws."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from app.auth import require
from app.cypher_text import RejectedCypher
from app.deps import get_query_library, get_settings, get_store, services_of
from app.fairness import heavy
from app.i18n import pair
from app.pages.render import PAGE_CSP, map_context, map_page, render, standalone_html
from app.pages.views import (
    ENTITY_DEPTH,
    ENTITY_LIMIT,
    HOME_LIMIT,
    MAX_LIMIT,
    View,
    ViewCache,
    ViewNotFound,
    cluster_view,
    entity_view,
    home_view,
    place,
    query_view,
    script_json,
    view_key,
)
from app.saved_queries import ParamError, QueryDefinitionError, QueryLibrary, SavedQuery
from app.schemas import MapViewIn
from app.settings import Role, Settings
from graph.store import GraphStore


async def page_language(lang: Literal["zh", "en"] | None = Query(None, description="Language the page's script "
                                                                "shows (default: the last one chosen).")) -> None:
    """Declares ``?lang=``, which only the page's script reads."""


router = APIRouter(include_in_schema=False, dependencies=[Depends(require(Role.VIEWER)), Depends(page_language)])

Format = Query("html", description="html, or json for the view the page draws.")


def _cache(request: Request) -> ViewCache:
    return services_of(request).view_cache


def _html(text: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(text, status_code=status, headers={"Content-Security-Policy": PAGE_CSP,
                                                           "X-Content-Type-Options": "nosniff",
                                                           "Referrer-Policy": "same-origin"})


def _not_found(key: str, **values: str) -> HTMLResponse:
    """The 404 page for message ``key`` of the catalogue (its heading is ``key.heading``)."""
    return _html(render("error.html", page="error", heading=pair(f"{key}.heading"), message=pair(key, **values)), 404)


def _cached_view(request: Request, store: GraphStore, key: tuple, build) -> tuple[str, str]:
    """(title, view JSON text) of a view, built (and laid out) once per graph version and parameters."""
    cache = _cache(request)
    full_key = view_key(store, *key)
    hit = cache.get(full_key)
    if hit is None:
        view: View = place(build())
        hit = (view.title, script_json(view.to_json()))
        cache.put(full_key, hit)
    return hit


def _respond(page: str, fmt: str, title: str, text: str) -> Response:
    if fmt == "json":
        return Response(text, media_type="application/json")
    return _html(map_page(page, title, text))


@router.get("/", response_class=HTMLResponse)
def home(request: Request,
         limit: int = Query(HOME_LIMIT, ge=1, le=MAX_LIMIT, description="Most nodes to show."),
         format: Literal["html", "json"] = Format,  # noqa: A002
         store: GraphStore = Depends(get_store)) -> Response:
    title, text = _cached_view(request, store, ("home", limit), lambda: home_view(store, limit))
    return _respond("home", format, title, text)


@router.get("/entity/{entity_id}", response_class=HTMLResponse)
def entity(request: Request, entity_id: str = Path(min_length=1, max_length=200),
           depth: int = Query(ENTITY_DEPTH, ge=1, le=3),
           limit: int = Query(ENTITY_LIMIT, ge=1, le=2000),
           format: Literal["html", "json"] = Format,  # noqa: A002
           store: GraphStore = Depends(get_store)) -> Response:
    try:
        title, text = _cached_view(request, store, ("entity", entity_id, depth, limit),
                                   lambda: entity_view(store, entity_id, depth, limit))
    except ViewNotFound:
        return _not_found("page.not_found.entity", id=entity_id)
    return _respond("entity", format, title, text)


@router.get("/clusters/{cluster_id}", response_class=HTMLResponse)
def cluster(request: Request, cluster_id: str = Path(min_length=1, max_length=200),
            format: Literal["html", "json"] = Format,  # noqa: A002
            store: GraphStore = Depends(get_store), library: QueryLibrary = Depends(get_query_library),
            settings: Settings = Depends(get_settings)) -> Response:
    def build() -> View:
        # The 补链 report is fetched by the page from /api/analytics/gaps (cached analytics), not embedded.
        return cluster_view(store, library, cluster_id, timeout_ms=settings.query_timeout_ms)

    try:
        title, text = _cached_view(request, store, ("cluster", cluster_id), build)
    except ViewNotFound:
        return _not_found("page.not_found.cluster", id=cluster_id)
    return _respond("cluster", format, title, text)


# -- saved queries ---------------------------------------------------------------------------------------
RETURNS_LABEL = {"table": "表格", "graph": "图", "both": "表格与图"}


@router.get("/queries", response_class=HTMLResponse)
def queries(library: QueryLibrary = Depends(get_query_library)) -> Response:
    found, problems = library.all()
    return _html(render("queries.html", page="queries", queries=found, problems=[str(p) for p in problems],
                        returns_label=RETURNS_LABEL))


_INPUT = {"integer": "number", "float": "number"}
_PLACEHOLDER = {"string_list": "a, b, c", "entity_id": "id"}


def form_fields(query: SavedQuery, given: dict[str, str], problems: dict[str, str]) -> list[dict[str, Any]]:
    """The form of a saved query, one field per declared parameter, from its header."""
    fields = []
    for name, p in query.parameters.items():
        choices = [str(c) for c in p.effective_choices]
        if name in given:
            value = given[name]
        elif p.default is None:
            value = ""
        elif isinstance(p.default, bool):
            value = "true" if p.default else "false"
        elif isinstance(p.default, list):
            value = ",".join(map(str, p.default))
        else:
            value = str(p.default)
        kind = "select" if choices else "boolean" if p.type == "boolean" else _INPUT.get(p.type, "text")
        fields.append({"name": name, "type": p.type, "input": kind, "value": value, "choices": choices,
                       "required": p.required, "description": p.description, "min": p.minimum,
                       "max": p.maximum, "step": "1" if p.type == "integer" else "any" if p.type == "float" else None,
                       "maxlength": p.max_length, "error": problems.get(name),
                       "placeholder": _PLACEHOLDER.get(p.type)})
    return fields


def _runs(request: Request) -> bool:
    return request.query_params.get("run", "").lower() in ("1", "true", "yes", "on")


@router.get("/queries/{name}", response_class=HTMLResponse, dependencies=[heavy("query", when=_runs)])
def query_page(request: Request, name: str = Path(min_length=1, max_length=64),
               limit: int = Query(1000, ge=1, le=10_000), run: bool = Query(False),
               store: GraphStore = Depends(get_store), library: QueryLibrary = Depends(get_query_library),
               settings: Settings = Depends(get_settings)) -> Response:
    """The query's form; with ``run=1`` also its result as a table and a map."""
    try:
        query = library.get(name)
    except QueryDefinitionError as exc:
        return _not_found("page.bad_query", name=name, problem=str(exc))
    if query is None:
        return _not_found("page.not_found.query", name=name)
    given = {k: v for k, v in request.query_params.items() if k in query.parameters}
    problems: dict[str, str] = {}
    context: dict[str, Any] = {"result": None, "error": None, "has_map": False}
    if run:
        try:
            params = query.bind(given, from_text=True)
        except ParamError as exc:
            problems = {p["param"]: p["message"] for p in exc.problems}
            context["error"] = "参数有误，请修改后重试。Invalid parameters."
        else:
            try:
                view, result = query_view(store, query, params, limit=limit, timeout_ms=settings.query_timeout_ms)
            except RejectedCypher as exc:  # parameters over the size limits
                context["error"] = f"查询被拒绝：{exc}"
            else:
                args = urlencode({**{k: v for k, v in given.items() if v != ""}, "limit": limit})
                context.update(result=result, title=query.title, api_url=f"/api/queries/{quote(name)}/run?{args}",
                               csv_url=f"/api/queries/{quote(name)}/run?{args}&format=csv")
                if result["graph"]["nodes"]:
                    context.update(map_context(script_json(place(view).to_json())))
    return _html(render("query.html", page="query", query=query, fields=form_fields(query, given, problems),
                        limit=limit, **context))


# -- export ----------------------------------------------------------------------------------------------
@router.post("/export/map.html", response_class=HTMLResponse, dependencies=[heavy("export")])
def export_html(body: MapViewIn = Body(...), store: GraphStore = Depends(get_store)) -> Response:
    """A standalone HTML file of the posted view: every asset inlined, no request when opened."""
    return Response(standalone_html(body.model_dump(), store), media_type="text/html; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="ecomap-{body.kind}.html"'})
