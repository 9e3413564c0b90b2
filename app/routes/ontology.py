"""``GET /api/ontology``: node types, relationship types, properties and display names."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from app.auth import require
from app.schemas import OntologyOut, error_responses
from app.settings import Role
from graph.ontology import ontology_summary

router = APIRouter(prefix="/api", tags=["graph"], dependencies=[Depends(require(Role.VIEWER))],
                   responses=error_responses(401, 403))


@router.get("/ontology", response_model=OntologyOut)
def ontology() -> dict:
    """The ontology the graph follows (also the map's legend)."""
    return ontology_summary()
