"""``POST /api/cypher``: ad-hoc read-only Cypher for analysts."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from app.auth import Principal, rate_limited
from app.deps import get_settings, get_store
from app.errors import ApiError
from app.saved_queries import ForbiddenCypher, ParamError, check_allowed, check_params, result_json
from app.schemas import CypherIn, QueryRunOut, error_responses
from app.settings import Role, Settings
from graph.store import GraphStore

router = APIRouter(prefix="/api", tags=["queries"])


@router.post("/cypher", response_model=QueryRunOut,
             responses=error_responses(400, 401, 403, 422, 429, 503, 504))
def cypher(
    body: CypherIn,
    principal: Principal = Depends(rate_limited("cypher", Role.ANALYST)),
    store: GraphStore = Depends(get_store),
    settings: Settings = Depends(get_settings),
) -> JSONResponse:
    """Run read-only Cypher with parameters (analyst). The engine refuses any write; the time limit is
    the smaller of ``timeout_ms`` and the server's; at most ``limit`` rows come back."""
    try:
        check_allowed(body.query)
        check_params(body.params)
    except ForbiddenCypher as exc:
        raise ApiError(403, "forbidden_cypher", str(exc)) from None
    except ParamError as exc:
        raise ApiError(422, "invalid_parameter", f"Invalid parameters: {exc}", exc.problems) from None
    timeout = min(body.timeout_ms or settings.query_timeout_ms, settings.query_timeout_ms)
    result = store.read(body.query, body.params, timeout_ms=timeout, row_cap=body.limit)
    return JSONResponse(result_json(result))
