"""``GET /api/paths``: shortest paths between two entities."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse

from app.auth import require
from app.deps import get_store
from app.errors import ApiError
from app.explore import HUB_TYPES, NotFound, SearchTooBroad, shortest_paths
from app.schemas import PathsOut, RelTypeName, error_responses, filter_values
from app.settings import Role
from graph.model import graph_parts, to_json
from graph.store import GraphStore

router = APIRouter(prefix="/api", tags=["entities"], dependencies=[Depends(require(Role.VIEWER))],
                   responses=error_responses(401, 403, 404, 422, 503))


@router.get("/paths", response_model=PathsOut)
def paths(
    source: str = Query(..., alias="from", min_length=1, max_length=200, description="Start entity id."),
    target: str = Query(..., alias="to", min_length=1, max_length=200, description="End entity id."),
    max_hops: int = Query(4, ge=1, le=6),
    rel_types: list[RelTypeName] | None = filter_values("Only follow these relationship types."),
    limit: int = Query(20, ge=1, le=100, description="Most paths returned."),
    include_hubs: bool = Query(False, description=(
        f"Also pass through {', '.join(HUB_TYPES)} nodes. By default a path never goes through "
        "them, because nearly every entity is two hops from every other through them; the path's two "
        "ends may be of those types either way.")),
    store: GraphStore = Depends(get_store),
) -> JSONResponse:
    """Every shortest path of at most ``max_hops`` (relationships followed in either direction), not
    passing through hub nodes unless ``include_hubs``."""
    try:
        found = shortest_paths(store, source, target, max_hops=max_hops,
                               rel_types=[r.value for r in rel_types or []], limit=limit,
                               include_hubs=include_hubs)
    except NotFound as exc:
        raise ApiError(404, "not_found", f"No entity has the id {exc.entity_id!r}.", {"id": exc.entity_id}) from None
    except SearchTooBroad as exc:
        raise ApiError(422, "search_too_broad", f"The path search was stopped: {exc}.") from None
    nodes, rels = graph_parts(found.paths)
    return JSONResponse({"nodes": [to_json(n) for n in nodes.values()],
                         "relationships": [to_json(r) for r in rels.values()], "truncated": found.truncated,
                         "source": source, "target": target, "hops": found.hops,
                         "paths": [to_json(p) for p in found.paths]})
