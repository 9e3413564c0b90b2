"""``/api/queries``: list, show, run and save parameterised saved Cypher queries."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, WithJsonSchema

from app.auth import Principal, rate_limited, require
from app.cypher_gate import check_query
from app.cypher_text import RejectedCypher
from app.deps import get_query_library, get_settings, get_store
from app.errors import ApiError
from app.fairness import heavy
from app.query_entities import entity_names, ids_to_name
from app.query_header import SavedQuery
from app.query_library import QueryDefinitionError, QueryLibrary, build
from app.query_params import QueryParam
from app.query_results import result_csv, result_json, run
from app.query_xlsx import XLSX_MEDIA_TYPE, result_xlsx
from app.routes.cypher import CypherWarning, QueryRunWarnedOut, rejected
from app.schemas import QueryParamOut, QueryRunIn, SavedQuerySummary, error_responses
from app.settings import Role, Settings
from graph.errors import QueryTimeout
from graph.store import GraphStore

router = APIRouter(prefix="/api", tags=["queries"], dependencies=[Depends(require(Role.VIEWER))],
                   responses=error_responses(401, 403, 422, 503))

QueryName = Path(min_length=1, max_length=64, description="The saved query's name (its file name).")
Format = Query("json", description="json; csv for the table only; xlsx for an Excel workbook with the "
                                   "declared column names, the parameters used and links to the sources.")
RowLimit = Query(1000, ge=1, le=10_000, description="Row cap.")
FILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}}, "description": "The result"}}


# -- what the API says about a query ------------------------------------------------------------------------
class ChoiceOut(BaseModel):
    value: Any
    zh: str
    en: str


class QueryParamDescribed(QueryParamOut):
    label: str = Field(description="Chinese name of the parameter, as the form shows it.")
    label_en: str
    description_en: str
    choice_labels: list[ChoiceOut] = Field(description="Chinese and English label of each choice.")
    items: str | None = Field(description="For string_list: what each item is.")
    entity_type: list[str] = Field(description="For entity ids: the node types expected (any when empty).")
    hint: str = Field(description="What to enter, in English.")
    hint_zh: str = Field(description="What to enter, in Chinese.")


class ColumnOut(BaseModel):
    name: str
    zh: str
    en: str
    kind: str
    of: str | None


class QuerySummaryOut(SavedQuerySummary):
    title_en: str
    description_en: str
    parameters: list[QueryParamDescribed]
    columns: list[ColumnOut] = Field(description="The declared result columns: headers in both languages.")


class QueryOut(QuerySummaryOut):
    cypher: str
    warnings: list[CypherWarning] = Field(description="Labels and relationship types the Cypher names that the "
                                                      "ontology does not define.")


class QueryPageOut(BaseModel):
    items: list[QuerySummaryOut]
    next_cursor: str | None
    total: int


def describe_param(name: str, p: QueryParam) -> dict[str, Any]:
    choices = list(p.effective_choices)
    return {"name": name, "type": p.type, "label": p.label_in(name, "zh"), "label_en": p.label_in(name, "en"),
            "description": p.description, "description_en": p.description_en, "required": p.required,
            "default": p.default, "choices": choices,
            "choice_labels": [{"value": c, "zh": p.choice_label(c, "zh"), "en": p.choice_label(c, "en")}
                              for c in choices],
            "items": p.items, "entity_type": list(p.entity_types), "minimum": p.minimum, "maximum": p.maximum,
            "max_length": p.max_length, "pattern": p.pattern, "hint": p.hint("en"), "hint_zh": p.hint("zh")}


def describe(query: SavedQuery, with_cypher: bool) -> dict[str, Any]:
    out = {"name": query.name, "title": query.title, "title_en": query.title_en or query.title,
           "description": query.description, "description_en": query.description_en or query.description,
           "returns": query.returns, "builtin": query.builtin,
           "parameters": [describe_param(name, p) for name, p in query.parameters.items()],
           "columns": [{"name": c, "zh": s.zh, "en": s.en, "kind": s.kind, "of": s.of}
                       for c, s in query.columns.items()]}
    if with_cypher:
        out["cypher"] = query.cypher
        out["warnings"] = query.warnings()
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


# -- running --------------------------------------------------------------------------------------------------
def execute(request: Request, store: GraphStore, settings: Settings, query: SavedQuery, params: dict[str, Any],
            limit: int, fmt: str) -> Response:
    try:
        result = run(store, query, params, limit=limit, timeout_ms=settings.query_timeout_ms)
    except RejectedCypher as exc:
        raise rejected(exc) from None
    if fmt == "csv":
        return Response(result_csv(result), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{query.name}.csv"'})
    if fmt == "xlsx":
        names = entity_names(store, ids_to_name(query, result.columns, result.rows, params),
                             timeout_ms=settings.query_timeout_ms)
        body = result_xlsx(query, result, params, names=names, base_url=str(request.base_url))
        disposition = f"attachment; filename=\"{query.name}.xlsx\"; filename*=UTF-8''{quote(query.title)}.xlsx"
        return Response(body, media_type=XLSX_MEDIA_TYPE, headers={"Content-Disposition": disposition})
    return JSONResponse(result_json(result, query.warnings()))


def url_values(request: Request) -> dict[str, Any]:
    """The saved query's parameters in the URL: one value as text, a repeated key as a list."""
    given: dict[str, Any] = {}
    for key in request.query_params:
        if key not in ("format", "limit"):
            values = request.query_params.getlist(key)
            given[key] = values[0] if len(values) == 1 else values
    return given


@router.get("/queries", response_model=QueryPageOut)
def list_queries(
    limit: int = Query(100, ge=1, le=500),
    cursor: str | None = Query(None, pattern=r"^\d{1,9}$"),
    library: QueryLibrary = Depends(get_query_library),
) -> dict:
    """The saved queries, by name, with titles, descriptions, parameter labels and column headers in
    Chinese and English."""
    queries, _ = library.all()
    offset = int(cursor or 0)
    items = [describe(q, with_cypher=False) for q in queries[offset:offset + limit]]
    more = offset + limit < len(queries)
    return {"items": items, "next_cursor": str(offset + limit) if more else None, "total": len(queries)}


@router.get("/queries/{name}", response_model=QueryOut, responses=error_responses(404))
def show_query(name: str = QueryName, library: QueryLibrary = Depends(get_query_library)) -> dict:
    """A saved query's header and Cypher."""
    return describe(lookup(library, name), with_cypher=True)


@router.get("/queries/{name}/run", response_model=QueryRunWarnedOut,
            responses={**error_responses(400, 404, 504), **FILE_RESPONSES})
def run_query_get(
    request: Request,
    _slot: None = heavy("query"),
    name: str = QueryName,
    format: Literal["json", "csv", "xlsx"] = Format,  # noqa: A002
    limit: int = RowLimit,
    store: GraphStore = Depends(get_store),
    library: QueryLibrary = Depends(get_query_library),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Run a saved query; its parameters are further URL query parameters (``?cluster=…``), converted
    to their declared types. A list parameter takes the key once per item (``?ids=a&ids=b``)."""
    query = lookup(library, name)
    try:
        params = query.bind(url_values(request), from_text=True)
    except RejectedCypher as exc:
        raise rejected(exc) from None
    return execute(request, store, settings, query, params, limit, format)


@router.post("/queries/{name}/run", response_model=QueryRunWarnedOut,
             responses={**error_responses(400, 404, 504), **FILE_RESPONSES})
def run_query_post(
    request: Request,
    body: QueryRunIn = Body(default_factory=QueryRunIn),
    _slot: None = heavy("query"),
    name: str = QueryName,
    format: Literal["json", "csv", "xlsx"] = Format,  # noqa: A002
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
    return execute(request, store, settings, query, params, limit, format)


# -- saving ----------------------------------------------------------------------------------------------------
def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema with its ``$defs`` written in place, so it can stand inside the OpenAPI document."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(dict(defs[ref.removeprefix("#/$defs/")]))
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(schema)


def _definition_schema() -> dict[str, Any]:
    schema = _inline_refs(SavedQuery.model_json_schema())
    schema["properties"].pop("builtin", None)
    schema["properties"]["name"].update(pattern=r"^[a-z][a-z0-9_]{0,63}$", maxLength=64,
                                        description="File name without extension.")
    schema["title"] = "SavedQueryIn"
    return schema


QueryDefinitionBody = Annotated[Any, WithJsonSchema(_definition_schema()), Body()]
"""The body of ``POST /api/queries``: documented as a query definition, validated by ``build`` so that
every problem is answered in words (field and what to enter), never as a validator's internals."""


def invalid(problems: list[dict[str, str]]) -> ApiError:
    parts = [f"{p['field']}: {p['message']}" if p["field"] else p["message"] for p in problems]
    message = "The query definition is not valid: " + "; ".join(parts)
    return ApiError(422, "invalid_query", message if message.endswith((".", "?", ")")) else message + ".", problems)


@router.post("/queries", response_model=QueryOut, status_code=201,
             responses=error_responses(400, 409, 429, 504))
def save_query(
    body: QueryDefinitionBody,
    principal: Principal = Depends(rate_limited("save", Role.ANALYST)),
    store: GraphStore = Depends(get_store),
    library: QueryLibrary = Depends(get_query_library),
) -> dict:
    """Save a new query (analyst; rate-limited). Its Cypher passes the same checks as ``POST /api/cypher``,
    its header is validated and it is dry-run read-only first. A problem is answered with 422
    ``invalid_query`` whose details list each field with what to enter; ``warnings`` in the answer name
    labels and relationship types the ontology does not define."""
    if not isinstance(body, dict):
        raise invalid([{"field": "", "message": "the body must be a JSON object with the fields name, title, "
                                               "cypher and optionally title_en, description, description_en, "
                                               "returns, parameters and columns"}])
    if isinstance(body.get("cypher"), str):
        try:
            check_query(body["cypher"])
        except RejectedCypher as exc:
            raise rejected(exc) from None
    try:
        query = build(body, builtin=False, where=str(body.get("name") or "query"))
    except QueryDefinitionError as exc:
        raise invalid(exc.fields) from None
    if library.get(query.name) is not None:
        raise ApiError(409, "query_exists", f"A saved query named {query.name!r} exists already; choose another name.",
                       {"name": query.name})
    sample = {name: p.sample() for name, p in query.parameters.items()}
    try:
        result = run(store, query, sample, limit=1, timeout_ms=2000)
    except QueryTimeout:
        result = None  # it parsed and planned read-only; only the sample run was slow
    if result is not None and result.columns:
        missing = [c for c in query.columns if c not in result.columns]
        if missing:
            raise invalid([{"field": f"columns.{c}", "message": f"the query returns no column {c} (it returns: "
                                                                 f"{', '.join(result.columns)})"} for c in missing])
    try:
        library.save(query)
    except FileExistsError:
        raise ApiError(409, "query_exists", f"A saved query named {query.name!r} exists already.",
                       {"name": query.name}) from None
    return describe(query, with_cypher=True)
