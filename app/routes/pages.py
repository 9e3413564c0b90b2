"""The 创新生态云图 pages: the ecosystem map, an entity's neighbourhood, a cluster with its 补链 view,
and the saved queries (form, table and map). Every map page is also available as JSON (``?format=json``):
exactly the view the page draws."""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from app.auth import require
from app.cypher_bounds import ParamError
from app.cypher_text import RejectedCypher
from app.deps import get_query_library, get_settings, get_store, services_of
from app.fairness import heavy
from app.i18n import pair
from app.pages.render import (
    html_page,
    map_context,
    map_page,
    not_found_page,
    render,
    render_cell,
    standalone_html,
)
from app.pages.urls import cluster_url
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
from app.query_entities import entity_names, exact_matches, ids_to_name, resolve_entities
from app.query_header import SavedQuery
from app.query_library import QueryDefinitionError, QueryLibrary
from app.schemas import MapViewIn
from app.search import SearchIndex, get_search_index
from app.settings import Role, Settings
from graph.ontology import NODE_TYPES
from graph.store import GraphStore


async def page_language(lang: Literal["zh", "en"] | None = Query(None, description="Language the page's script "
                                                                "shows (default: the last one chosen).")) -> None:
    """Declares ``?lang=``, which only the page's script reads."""


router = APIRouter(include_in_schema=False, dependencies=[Depends(require(Role.VIEWER)), Depends(page_language)])

Format = Query("html", description="html, or json for the view the page draws.")


def _cache(request: Request) -> ViewCache:
    return services_of(request).view_cache


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


def _respond(page: str, fmt: str, title: str, text: str, cluster_id: str | None = None) -> Response:
    if fmt == "json":
        return Response(text, media_type="application/json")
    return html_page(map_page(page, title, text, cluster_url(cluster_id) if cluster_id else None))


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
        return not_found_page("page.not_found.entity", id=entity_id)
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
        return not_found_page("page.not_found.cluster", id=cluster_id)
    return _respond("cluster", format, title, text, cluster_id)


# -- saved queries ---------------------------------------------------------------------------------------
RETURNS_LABEL = {"table": "query.returns.table", "graph": "query.returns.graph", "both": "query.returns.both"}
"""Catalogue key of each kind of result a query returns."""


@router.get("/queries", response_class=HTMLResponse)
def queries(library: QueryLibrary = Depends(get_query_library)) -> Response:
    found, problems = library.all()
    return html_page(render("queries.html", page="queries", queries=found, problems=[str(p) for p in problems],
                        returns_label=RETURNS_LABEL))


def _text_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _entity_display(entry: Any, index: SearchIndex | None, types: tuple[str, ...]) -> str:
    """What the entity field shows for a chosen entity: its name, when typing that name back gives the
    same entity; its id otherwise."""
    if index is not None and entry.name and [e.id for e in exact_matches(index, entry.name, types)] == [entry.id]:
        return entry.name
    return entry.id


def form_fields(query: SavedQuery, given: dict[str, Any], problems: dict[str, dict[str, str]],
                chosen: dict[str, Any] | None = None, index: SearchIndex | None = None) -> list[dict[str, Any]]:
    """The form of a saved query, one field per declared parameter, from its header: labels, what to
    enter and error messages in both languages, choices with their labels, defaults filled in."""
    chosen = chosen or {}
    fields = []
    for name, p in query.parameters.items():
        raw = given.get(name, p.default)
        values = [_text_value(v) for v in (raw if isinstance(raw, list) else [] if raw is None else [raw])]
        value = "\n".join(values) if p.is_list else (values[0] if values else "")
        choices = [{"value": _text_value(c), "zh": p.choice_label(c, "zh"), "en": p.choice_label(c, "en")}
                   for c in p.effective_choices]
        if p.is_entity and not p.is_list:
            kind = "entity"
        elif p.is_list:
            kind = "checkboxes" if choices else "textarea"
        elif choices:
            kind = "select"
        else:
            kind = {"boolean": "boolean", "integer": "number", "float": "number"}.get(p.type, "text")
        entity = chosen.get(name)
        if entity is not None:
            value = _entity_display(entity, index, p.entity_types)
        error = problems.get(name)
        fields.append({
            "name": name, "input": kind, "value": value, "selected": set(values), "choices": choices,
            "required": p.required, "label": (p.label_in(name, "zh"), p.label_in(name, "en")),
            "type_name": (p.type_name("zh"), p.type_name("en")),
            "description": (p.description_in("zh"), p.description_in("en")),
            "hint": (p.hint("zh"), p.hint("en")), "entity_types": " ".join(p.entity_types),
            "entity": entity, "min": p.minimum, "max": p.maximum,
            "step": "1" if p.type == "integer" else "any" if p.type == "float" else None,
            "maxlength": p.max_length if p.type in ("string", "entity_id") else None,
            "error": (error["message_zh"], error["message"][:1].upper() + error["message"][1:]) if error else None})
    return fields


def _runs(request: Request) -> bool:
    return request.query_params.get("run", "").lower() in ("1", "true", "yes", "on")


def _form_values(request: Request, query: SavedQuery) -> dict[str, Any]:
    """The query's parameters as the form sends them: a repeated key (checkboxes) as a list; an empty
    field as not given, so that its default applies."""
    given: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in query.parameters and value.strip() != "":
            given.setdefault(key, []).append(value)
    return {k: v if query.parameters[k].is_list or len(v) > 1 else v[0] for k, v in given.items()}


def _run_urls(name: str, params: dict[str, Any], limit: int) -> dict[str, str]:
    pairs = [(k, _text_value(item)) for k, v in params.items() if v is not None
             for item in (v if isinstance(v, list) else [v])]
    args = urlencode([*pairs, ("limit", limit)])
    base = f"/api/queries/{quote(name)}/run?{args}"
    return {"api_url": base, "csv_url": f"{base}&format=csv", "xlsx_url": f"{base}&format=xlsx"}


def _result_table(query: SavedQuery, result: dict[str, Any], names: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """Headers (declared names in both languages) and escaped cells of a result. An id column whose
    entity a name column shows (and links to) is left out: the downloads keep it."""
    columns = result["columns"]
    kinds = [query.column_kind(c) for c in columns]
    of = [columns.index(query.columns[c].of) if kinds[i] == "name" and query.columns[c].of in columns else None
          for i, c in enumerate(columns)]
    shown = [i for i in range(len(columns)) if not (kinds[i] == "id" and i in of)]
    rows = [[render_cell(row[i], kinds[i], names, row[of[i]] if of[i] is not None else None) for i in shown]
            for row in result["rows"]]
    return {"headers": [(query.column_label(columns[i], "zh"), query.column_label(columns[i], "en"), columns[i])
                        for i in shown], "rows": rows}


@router.get("/queries/{name}", response_class=HTMLResponse, dependencies=[heavy("query", when=_runs)])
def query_page(request: Request, name: str = Path(min_length=1, max_length=64),
               limit: int = Query(1000, ge=1, le=10_000), run: bool = Query(False),
               store: GraphStore = Depends(get_store), library: QueryLibrary = Depends(get_query_library),
               settings: Settings = Depends(get_settings), index: SearchIndex = Depends(get_search_index)) -> Response:
    """The query's form; with ``run=1`` also its result as a table and a map. An entity may be given
    by id or by its exact name or alias (the picker fills in the id; without script a name is enough)."""
    try:
        query = library.get(name)
    except QueryDefinitionError as exc:
        return not_found_page("page.bad_query", name=name, problem=str(exc))
    if query is None:
        return not_found_page("page.not_found.query", name=name)
    given, found, chosen = resolve_entities(query, _form_values(request, query), index)
    problems = {p["param"]: p for p in found} if run else {}
    context: dict[str, Any] = {"result": None, "error": None, "has_map": False, "warnings": query.warnings()}
    if run:
        try:
            params = query.bind({k: v for k, v in given.items() if k not in problems}, from_text=True)
        except ParamError as exc:
            problems.update({p["param"]: p for p in exc.problems if p["param"] not in problems})
        if problems:
            context["error"] = pair("query.error.params")
        else:
            try:
                view, result = query_view(store, query, params, limit=limit, timeout_ms=settings.query_timeout_ms)
            except RejectedCypher as exc:  # parameters over the size limits
                refused_zh, refused_en = pair("query.error.rejected")
                context["error"] = (f"{refused_zh}：{exc}", f"{refused_en}: {exc}")
            else:
                names = entity_names(store, ids_to_name(query, result["columns"], result["rows"], params),
                                     timeout_ms=settings.query_timeout_ms)
                context.update(result=result, table=_result_table(query, result, names), title=query.title,
                               **_run_urls(name, params, limit))
                if result["graph"]["nodes"]:
                    context.update(map_context(script_json(place(view).to_json())))
    type_names = Markup(script_json({t.label: [t.zh, t.en] for t in NODE_TYPES}))
    return html_page(render("query.html", page="query", query=query, limit=limit, type_names_json=type_names,
                        fields=form_fields(query, given, problems, chosen, index), **context))


# -- export ----------------------------------------------------------------------------------------------
@router.post("/export/map.html", response_class=HTMLResponse, dependencies=[heavy("export")])
def export_html(body: MapViewIn = Body(...), store: GraphStore = Depends(get_store)) -> Response:
    """A standalone HTML file of the posted view: every asset inlined, no request when opened."""
    return Response(standalone_html(body.model_dump(), store), media_type="text/html; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="ecomap-{body.kind}.html"'})
