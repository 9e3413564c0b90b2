"""``GET /api/clusters/{id}/ecosystem``: a cluster and everything around it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse

from app.auth import require
from app.cypher_bounds import ParamError
from app.deps import get_query_library, get_settings, get_store
from app.errors import ApiError
from app.query_library import QueryLibrary
from app.query_results import graph_json, run
from app.schemas import EcosystemOut, error_responses
from app.settings import Role, Settings
from graph.model import Node, to_json
from graph.store import GraphStore

router = APIRouter(prefix="/api", tags=["clusters"], dependencies=[Depends(require(Role.VIEWER))],
                   responses=error_responses(401, 403, 404, 422, 503, 504))

ECOSYSTEM_QUERY = "cluster_ecosystem"
"""The saved query that defines a cluster's ecosystem (queries/cluster_ecosystem.cypher)."""


@router.get("/clusters/{cluster_id}/ecosystem", response_model=EcosystemOut)
def ecosystem(
    cluster_id: str = Path(min_length=1, max_length=200),
    limit: int = Query(5000, ge=1, le=10_000, description="Row cap of the underlying query."),
    store: GraphStore = Depends(get_store),
    library: QueryLibrary = Depends(get_query_library),
    settings: Settings = Depends(get_settings),
) -> JSONResponse:
    """Members, chain links, platforms, finance, policies and projects of a cluster, as graph JSON."""
    query = library.get(ECOSYSTEM_QUERY)
    try:
        params = query.bind({"cluster": cluster_id}, from_text=True)
    except ParamError:
        params = None  # not an id at all: no such cluster
    result = run(store, query, params, limit=limit, timeout_ms=settings.query_timeout_ms) if params else None
    cluster = result.rows[0][0] if result and result.rows else None
    if not isinstance(cluster, Node):
        raise ApiError(404, "not_found", f"No cluster has the id {cluster_id!r}. List clusters with "
                       "/api/entities?type=Cluster.", {"id": cluster_id})
    return JSONResponse({**graph_json(result.rows, result.truncated), "cluster": to_json(cluster)})
