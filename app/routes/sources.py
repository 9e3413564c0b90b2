"""The source documents every fact cites: ``/api/sources…`` as JSON and ``/sources…`` as pages.

A citation ``src-sxrb#3`` opens ``/sources/src-sxrb/3``, a bare ``src-sxrb`` opens ``/sources/src-sxrb``.
Both list exactly the nodes and relationships whose ``sources`` hold that citation (see ``app.sources``).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse

from app.auth import require
from app.deps import get_store
from app.errors import ApiError
from app.pages.render import html_page, not_found_page, render
from app.pages.urls import entity_url, source_url
from app.routes.pages import page_language
from app.schemas import error_responses
from app.schemas_sources import (
    SectionDetailOut,
    SourceDetailOut,
    SourcePage,
    facts_json,
    section_detail_json,
    source_json,
)
from app.settings import Role
from app.sources import (
    MAX_FACTS,
    Facts,
    Section,
    Source,
    all_sources,
    citing,
    get_source,
)
from graph.ontology import NODE_TYPE_BY_LABEL, REL_TYPE_BY_NAME
from graph.store import GraphStore

api = APIRouter(prefix="/api", tags=["sources"], dependencies=[Depends(require(Role.VIEWER))],
                responses=error_responses(401, 403, 422, 503))
pages = APIRouter(include_in_schema=False, dependencies=[Depends(require(Role.VIEWER)), Depends(page_language)])
router = APIRouter()

SourceId = Path(min_length=1, max_length=200, description="The Source node's id (before '#' in a citation).")
SectionKey = Path(min_length=1, max_length=64, description="The section (after '#' in a citation), e.g. 3.")
Limit = Query(MAX_FACTS, ge=1, le=MAX_FACTS, description="Most nodes, and most relationships, listed.")


# -- look-ups shared by the API and the pages ------------------------------------------------------------
class _Missing(Exception):
    """No source, or no such section of it: ``key`` names the message, ``values`` its placeholders."""

    def __init__(self, key: str, **values: str) -> None:
        super().__init__(key)
        self.key, self.values = key, values


def _source(store: GraphStore, source_id: str) -> Source:
    source = get_source(store, source_id)
    if source is None:
        raise _Missing("sources.not_found.source", id=source_id)
    return source


def _section(source: Source, key: str) -> Section:
    section = source.section(key)
    if section is None:
        raise _Missing("sources.not_found.section", id=source.id, section=key)
    return section


def _api_error(exc: _Missing) -> ApiError:
    source_id = exc.values["id"]
    if "section" in exc.values:
        section = exc.values["section"]
        return ApiError(404, "not_found", f"Source {source_id!r} has no section {section!r}. Its sections are "
                        f"listed at /api/sources/{source_id}.", {"id": source_id, "section": section})
    return ApiError(404, "not_found", f"No source has the id {source_id!r}. The sources are listed at /api/sources.",
                    {"id": source_id})


# -- JSON ------------------------------------------------------------------------------------------------
@api.get("/sources", response_model=SourcePage)
def list_sources(limit: int = Query(100, ge=1, le=100),
                 cursor: str | None = Query(None, pattern=r"^\d{1,9}$", description="From the previous page's "
                                            "next_cursor."),
                 store: GraphStore = Depends(get_store)) -> dict:
    """Every source document: its descriptive properties, its sections and how many facts cite each."""
    found = all_sources(store)
    offset = int(cursor or 0)
    more = offset + limit < len(found)
    return {"items": [source_json(s) for s in found[offset:offset + limit]],
            "next_cursor": str(offset + limit) if more else None, "total": len(found)}


@api.get("/sources/{source_id}", response_model=SourceDetailOut, responses=error_responses(404))
def one_source(source_id: str = SourceId, limit: int = Limit, store: GraphStore = Depends(get_store)) -> dict:
    """One source with its sections and their fact counts, and the facts citing the source as a whole
    (a citation without '#section')."""
    try:
        source = _source(store, source_id)
    except _Missing as exc:
        raise _api_error(exc) from None
    return {**source_json(source), "facts": facts_json(citing(store, source.id, limit))}


@api.get("/sources/{source_id}/{section}", response_model=SectionDetailOut, responses=error_responses(404))
def one_section(source_id: str = SourceId, section: str = SectionKey, limit: int = Limit,
                store: GraphStore = Depends(get_store)) -> dict:
    """Every node and relationship whose sources cite exactly ``source_id#section``."""
    try:
        source = _source(store, source_id)
        found = _section(source, section)
    except _Missing as exc:
        raise _api_error(exc) from None
    return section_detail_json(source, found, citing(store, f"{source.id}#{found.key}", limit))


# -- pages -----------------------------------------------------------------------------------------------
def _not_found(exc: _Missing) -> HTMLResponse:
    return not_found_page(exc.key, **exc.values)


def _groups(facts: Facts) -> list[dict]:
    """The nodes of ``facts`` grouped by type, in the ontology's order (``citing`` sorts them so)."""
    groups: list[dict] = []
    for node in facts.nodes:
        if not groups or groups[-1]["label"] != node.type:
            t = NODE_TYPE_BY_LABEL.get(node.type or "")
            groups.append({"label": node.type, "zh": t.zh if t else None, "en": t.en if t else None, "nodes": []})
        groups[-1]["nodes"].append(node)
    return groups


def _context(facts: Facts) -> dict:
    """What the templates need besides the source: the facts, and how to name and link things."""
    return {"groups": _groups(facts), "relationships": facts.relationships, "truncated": facts.truncated,
            "limit": MAX_FACTS, "rel_types": REL_TYPE_BY_NAME, "source_url": source_url, "entity_url": entity_url}


@pages.get("/sources", response_class=HTMLResponse)
def sources_list_page(store: GraphStore = Depends(get_store)) -> HTMLResponse:
    return html_page(render("sources.html", page="sources", sources=all_sources(store), source_url=source_url))


@pages.get("/sources/{source_id}", response_class=HTMLResponse)
def source_detail_page(source_id: str = Path(min_length=1, max_length=200),
                       store: GraphStore = Depends(get_store)) -> HTMLResponse:
    try:
        source = _source(store, source_id)
    except _Missing as exc:
        return _not_found(exc)
    return html_page(render("source.html", page="source", source=source, **_context(citing(store, source.id))))


@pages.get("/sources/{source_id}/{section}", response_class=HTMLResponse)
def source_section_page(source_id: str = Path(min_length=1, max_length=200),
                        section: str = Path(min_length=1, max_length=64),
                        store: GraphStore = Depends(get_store)) -> HTMLResponse:
    try:
        source = _source(store, source_id)
        found = _section(source, section)
    except _Missing as exc:
        return _not_found(exc)
    facts = citing(store, f"{source.id}#{found.key}")
    return html_page(render("source_section.html", page="source", source=source, section=found,
                        **_context(facts)))


router.include_router(api)
router.include_router(pages)
