"""``/api/entities``: search, one entity's details, and its neighbourhood."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from app.auth import require
from app.deps import get_store
from app.errors import ApiError
from app.explore import HUB_TYPES, NotFound, Subgraph, detail, neighbours
from app.schemas import (
    EntityDetail,
    LiuxinName,
    NeighborsOut,
    NodeTypeName,
    RelTypeName,
    SearchPage,
    error_responses,
    filter_values,
)
from app.search import SearchIndex, get_search_index
from app.settings import Role
from graph.model import to_json
from graph.store import GraphStore

router = APIRouter(prefix="/api", tags=["entities"], dependencies=[Depends(require(Role.VIEWER))],
                   responses=error_responses(401, 403, 422, 503))

EntityId = Path(min_length=1, max_length=200, description="The entity's id.")


def not_found(entity_id: str) -> ApiError:
    return ApiError(404, "not_found", f"No entity has the id {entity_id!r}. Search with /api/entities?q=….",
                    {"id": entity_id})


@router.get("/entities", response_model=SearchPage)
def search(
    q: str = Query("", max_length=200, description="Chinese text, English, pinyin (taigang) or initials (tg)."),
    type: list[NodeTypeName] | None = filter_values("Only these types."),  # noqa: A002
    liuxin: list[LiuxinName] | None = filter_values("Only entities in one of these 六新 categories."),
    region: str | None = Query(None, max_length=200, description="Only entities in this region (exact)."),
    limit: int = Query(20, ge=1, le=100),
    cursor: str | None = Query(None, pattern=r"^\d{1,9}$", description="From the previous page's next_cursor."),
    index: SearchIndex = Depends(get_search_index),
) -> dict:
    """Search entities: exact > prefix > substring (name, English name, alias) > pinyin > initials."""
    hits = index.search(q, types={t.value for t in type} if type else None,
                        liuxin={c.value for c in liuxin} if liuxin else None, region=region)
    offset = int(cursor or 0)
    page = hits[offset:offset + limit]
    items = [{"id": h.entry.id, "type": h.entry.type, "name": h.entry.name, "name_en": h.entry.name_en,
              "liuxin": h.entry.liuxin, "region": h.entry.region, "aliases": h.entry.aliases, "match": h.match}
             for h in page]
    more = offset + limit < len(hits)
    return {"items": items, "next_cursor": str(offset + limit) if more else None, "total": len(hits)}


@router.get("/entities/{entity_id}", response_model=EntityDetail, responses=error_responses(404))
def entity(entity_id: str = EntityId, store: GraphStore = Depends(get_store)) -> JSONResponse:
    """Properties, type, degree per relationship type and direction, and provenance."""
    try:
        d = detail(store, entity_id)
    except NotFound:
        raise not_found(entity_id) from None
    return JSONResponse({"node": to_json(d.node), "degree": d.degree, "provenance": d.provenance})


@router.get("/entities/{entity_id}/neighbors", response_model=NeighborsOut, responses=error_responses(404))
async def entity_neighbours(
    entity_id: str = EntityId,
    depth: int = Query(1, ge=1, le=3, description="Hops from the entity."),
    types: list[NodeTypeName] | None = filter_values("Only enter nodes of these types."),
    rel_types: list[RelTypeName] | None = filter_values("Only follow these relationship types."),
    limit: int = Query(200, ge=1, le=2000, description="Most nodes returned besides the centre."),
    include_hubs: bool = Query(False, description=(
        f"Also expand from {', '.join(HUB_TYPES)} nodes. By default they are listed when "
        "reached but not walked through (the centre itself always is), because nearly every entity is "
        "two hops from every other through them.")),
    store: GraphStore = Depends(get_store),
) -> JSONResponse:
    """The entity's neighbourhood as graph JSON (``truncated`` when ``limit`` cut it); deeper than one
    hop it does not walk through hub nodes unless ``include_hubs``."""
    def look_up() -> Subgraph:
        return neighbours(store, entity_id, depth=depth, types=[t.value for t in types or []],
                          rel_types=[r.value for r in rel_types or []], limit=limit, include_hubs=include_hubs)

    try:
        # The 1-hop neighbourhood is one indexed round trip of well under a millisecond: answering it on
        # the event loop saves the thread hand-off that would cost more than the query. Deeper ones may
        # take longer and go to the thread pool.
        graph = look_up() if depth == 1 else await run_in_threadpool(look_up)
    except NotFound:
        raise not_found(entity_id) from None
    return JSONResponse({**graph.to_json(), "center": entity_id})
