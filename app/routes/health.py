"""``GET /api/health``."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from app.deps import get_store
from graph.store import GraphStore

router = APIRouter(prefix="/api", tags=["health"])


class Health(BaseModel):
    status: str
    backend: str
    graph_version: int


@router.get("/health", response_model=Health)
def health(store: GraphStore = Depends(get_store)) -> Health:
    """The store answers; its backend and current graph version."""
    store.ping()
    return Health(status="ok", backend=store.backend, graph_version=store.version())
