"""``/api/queries``: list, show, run and save parameterised saved Cypher queries."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from app.auth import Principal, rate_limited, require
from app.cypher_gate import check_query
from app.cypher_text import RejectedCypher
from app.deps import get_query_library, get_settings, get_store
from app.errors import ApiError
from app.fairness import heavy
from app.routes.cypher import rejected
from app.saved_queries import (
    QueryDefinitionError,
    QueryLibrary,
    SavedQuery,
    result_csv,
    result_json,
    run,
)
from app.schemas import (
    QueryRunIn,
    QueryRunOut,
    SavedQueryIn,
    SavedQueryOut,
    SavedQueryPage,
    error_responses,
)
from app.settings import Role, Settings
from graph.errors import QueryTimeout
from graph.store import GraphStore

router = APIRouter(prefix="/api", tags=["queries"], dependencies=[Depends(require(Role.VIEWER))],
                   responses=error_responses(401, 403, 422, 503))

QueryName = Path(min_length=1, max_length=64, description="The saved query's name (its file name).")
Format = Query("json", description="json, or csv for the table only.")
RowLimit = Query(1000, ge=1, le=10_000, description="Row cap.")
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}}, "description": "The result"}}


def describe(query: SavedQuery, with_cypher: bool) -> dict[str, Any]:
    params = [{"name": name, "type": p.type, "description": p.description, "required": p.required,
               "default": p.default, "choices": list(p.effective_choices), "minimum": p.minimum,
               "maximum": p.maximum, "max_length": p.max_length, "pattern": p.pattern}
              for name, p in query.parameters.items()]
    out = {"name": query.name, "title": query.title, "description": query.description, "returns": query.returns,
           "parameters": params, "builtin": query.builtin}
    if with_cypher:
        out["cypher"] = query.cypher
    return out


def lookup(library: QueryLibrary, name: str) -> SavedQuery:
    try:
        query = library.get(name)
    except QueryDefinitionError as exc:
        raise ApiError(500, "saved_query_invalid", f"The saved query file is not valid: {exc}",
                       {"problems": exc.problems}) from None
    if query is None:
        raise ApiError(404, "not_found", f"There is no saved query named {name!r}; GET /api/queries lists them.",
                       {"name": name})
    return query


def execute(store: GraphStore, settings: Settings, query: SavedQuery, params: dict[str, Any], limit: int,
            fmt: str) -> Response:
    try:
        result = run(store, query, params, limit=limit, timeout_ms=settings.query_timeout_ms)
    except RejectedCypher as exc:
        raise rejected(exc) from None
    if fmt == "csv":
        return Response(result_csv(result), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{query.name}.csv"'})
    return JSONResponse(result_json(result))


@router.get("/queries", response_model=SavedQueryPage)
def list_queries(
    limit: int = Query(100, ge=1, le=500),
    cursor: str | None = Query(None, pattern=r"^\d{1,9}$"),
    library: QueryLibrary = Depends(get_query_library),
) -> dict:
    """The saved queries, by name."""
    queries, _ = library.all()
    offset = int(cursor or 0)
    items = [describe(q, with_cypher=False) for q in queries[offset:offset + limit]]
    more = offset + limit < len(queries)
    return {"items": items, "next_cursor": str(offset + limit) if more else None, "total": len(queries)}


@router.get("/queries/{name}", response_model=SavedQueryOut, responses=error_responses(404))
def show_query(name: str = QueryName, library: QueryLibrary = Depends(get_query_library)) -> dict:
    """A saved query's header and Cypher."""
    return describe(lookup(library, name), with_cypher=True)


@router.get("/queries/{name}/run", response_model=QueryRunOut, responses={**error_responses(400, 404, 504),
                                                                          **CSV_RESPONSE})
def run_query_get(
    request: Request,
    _slot: None = heavy("query"),
    name: str = QueryName,
    format: Literal["json", "csv"] = Format,  # noqa: A002
    limit: int = RowLimit,
    store: GraphStore = Depends(get_store),
    library: QueryLibrary = Depends(get_query_library),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Run a saved query; its parameters are further URL query parameters (``?cluster=…``), converted
    to their declared types. Lists: repeat the parameter or separate values with commas."""
    query = lookup(library, name)
    given: dict[str, Any] = {}
    for key in request.query_params:
        if key not in ("format", "limit"):
            values = request.query_params.getlist(key)
            given[key] = values[0] if len(values) == 1 else ",".join(values)
    try:
        params = query.bind(given, from_text=True)
    except RejectedCypher as exc:
        raise rejected(exc) from None
    return execute(store, settings, query, params, limit, format)


@router.post("/queries/{name}/run", response_model=QueryRunOut, responses={**error_responses(400, 404, 504),
                                                                           **CSV_RESPONSE})
def run_query_post(
    body: QueryRunIn = Body(default_factory=QueryRunIn),
    _slot: None = heavy("query"),
    name: str = QueryName,
    format: Literal["json", "csv"] = Format,  # noqa: A002
    limit: int = RowLimit,
    store: GraphStore = Depends(get_store),
    library: QueryLibrary = Depends(get_query_library),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Run a saved query with JSON parameter values (``{"params": {"cluster": "…"}}``)."""
    query = lookup(library, name)
    try:
        params = query.bind(body.params, from_text=False)
    except RejectedCypher as exc:
        raise rejected(exc) from None
    return execute(store, settings, query, params, limit, format)


@router.post("/queries", response_model=SavedQueryOut, status_code=201,
             responses=error_responses(400, 409, 429, 504))
def save_query(
    body: SavedQueryIn,
    principal: Principal = Depends(rate_limited("save", Role.ANALYST)),
    store: GraphStore = Depends(get_store),
    library: QueryLibrary = Depends(get_query_library),
) -> dict:
    """Save a new query (analyst; rate-limited). Its Cypher passes the same checks as ``POST /api/cypher``,
    its header is validated and it is dry-run read-only first."""
    try:
        check_query(body.cypher)
    except RejectedCypher as exc:
        raise rejected(exc) from None
    try:
        query = SavedQuery(name=body.name, title=body.title, description=body.description, returns=body.returns,
                           parameters={k: p.model_dump() for k, p in body.parameters.items()},
                           cypher=body.cypher, builtin=False)
    except ValueError as exc:
        raise ApiError(422, "invalid_query", f"The query definition is not valid: {exc}") from None
    if library.get(query.name) is not None:
        raise ApiError(409, "query_exists", f"A saved query named {query.name!r} exists already; choose another name.",
                       {"name": query.name})
    sample = {name: p.sample() for name, p in query.parameters.items()}
    try:
        run(store, query, sample, limit=1, timeout_ms=2000)
    except QueryTimeout:
        pass  # it parsed and planned read-only; only the sample run was slow
    try:
        library.save(query)
    except FileExistsError:
        raise ApiError(409, "query_exists", f"A saved query named {query.name!r} exists already.",
                       {"name": query.name}) from None
    return describe(query, with_cypher=True)
