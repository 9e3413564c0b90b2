"""``POST /api/cypher``: ad-hoc read-only Cypher for analysts."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from app.auth import Principal, rate_limited
from app.cypher_bounds import ParamError
from app.cypher_gate import check_query
from app.cypher_names import unknown_names
from app.cypher_text import RejectedCypher
from app.deps import get_settings, get_store
from app.errors import ApiError
from app.fairness import heavy
from app.query_results import result_json
from app.row_limit import row_limited
from app.schemas import CypherIn, QueryRunOut, error_responses
from app.settings import Role, Settings
from graph.store import GraphStore

router = APIRouter(prefix="/api", tags=["queries"])


class CypherWarning(BaseModel):
    kind: Literal["label", "relationship_type"]
    name: str = Field(description="The label or relationship type the query names.")
    suggestion: str | None = Field(description="The closest one the ontology defines, if any is close.")
    message: str
    message_zh: str


class QueryRunWarnedOut(QueryRunOut):
    warnings: list[CypherWarning] = Field(description="Labels and relationship types the query names that the "
                                                      "ontology does not define (they match nothing).")


def rejected(exc: RejectedCypher) -> ApiError:
    """The answer to Cypher or parameters refused before they reach the engine: 400 for a limit or
    unreadable text, 403 for what is not allowed, 422 for bad parameter values."""
    message = f"Invalid parameters: {exc}" if isinstance(exc, ParamError) else str(exc)
    return ApiError(exc.status, exc.code, message, exc.details)


@router.post("/cypher", response_model=QueryRunWarnedOut,
             responses=error_responses(400, 401, 403, 422, 429, 503, 504))
def cypher(
    body: CypherIn,
    principal: Principal = Depends(rate_limited("cypher", Role.ANALYST)),
    _slot: None = heavy("cypher"),
    store: GraphStore = Depends(get_store),
    settings: Settings = Depends(get_settings),
) -> JSONResponse:
    """Run read-only Cypher with parameters (analyst). The engine refuses any write; LOAD CSV,
    administrative commands and procedures other than db.labels, db.relationshipTypes and
    db.propertyKeys are refused (403), and so are queries above the size, nesting and parameter
    limits (400 ``query_too_large``, ``query_too_deep``, ``query_too_complex``, ``params_too_large``).
    The time limit is the smaller of ``timeout_ms`` and the server's; at most ``limit`` rows come back.
    A label or relationship type the ontology does not define is not an error (it matches nothing):
    ``warnings`` names each, with the closest known name."""
    try:
        tokens = check_query(body.query, body.params)
    except RejectedCypher as exc:
        raise rejected(exc) from None
    timeout = min(body.timeout_ms or settings.query_timeout_ms, settings.query_timeout_ms)
    result = store.read(row_limited(body.query, tokens, body.limit + 1), body.params, timeout_ms=timeout,
                        row_cap=body.limit)
    return JSONResponse(result_json(result, unknown_names(tokens)))
