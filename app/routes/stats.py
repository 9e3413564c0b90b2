"""``GET /api/stats``: counts per type and relationship type, and the 六新 breakdown."""

from __future__ import annotations

import threading

from fastapi import APIRouter, Depends, Request

from app.auth import require
from app.deps import get_store, services_of
from app.explore import liuxin_breakdown
from app.schemas import StatsOut, error_responses
from app.settings import Role
from graph.ontology import ENTITY_LABEL
from graph.store import GraphStore

router = APIRouter(prefix="/api", tags=["graph"], dependencies=[Depends(require(Role.VIEWER))],
                   responses=error_responses(401, 403, 503))

_lock = threading.Lock()


@router.get("/stats", response_model=StatsOut)
def stats(request: Request, store: GraphStore = Depends(get_store)) -> dict:
    """Nodes per type, relationships per type and nodes per 六新 category (cached per graph version)."""
    version = store.version()
    services = services_of(request)
    cached = services.stats_cache
    if cached is not None and cached["graph_version"] == version:
        return cached
    with _lock:
        s = store.stats()
        payload = {"nodes": s.nodes, "relationships": s.relationships,
                   "by_type": {k: v for k, v in s.labels.items() if k != ENTITY_LABEL},
                   "by_relationship_type": s.relationship_types, "liuxin": liuxin_breakdown(store),
                   "graph_version": version}
        services.stats_cache = payload
    return payload
