"""Saved map views and stories: ``/api/views``, ``/api/stories`` and their pages (``/views``,
``/views/{id}``, ``/stories/{id}``, ``/stories/{id}/export.html``).

Roles: a viewer lists and opens views and stories; saving one takes an analyst (or editor) key, whose
name is recorded as the author; deleting one takes its author or an editor.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, WithJsonSchema

from app.auth import Principal, rate_limited, require
from app.deps import get_store
from app.errors import ApiError
from app.fairness import heavy
from app.pages.render import PAGE_CSP, SCRIPTS, html_page, not_found_page, render
from app.routes.pages import page_language
from app.saved_views import (
    RECORD_ID,
    STORY_FIELDS,
    VIEW_FIELDS,
    StoryIn,
    ViewIn,
    forbidden_delete,
    load_story,
    load_view,
    may_delete,
    parse,
    reopened,
    save_story,
    save_view,
    story_page_html,
    story_steps_json,
    story_summary,
    view_page_html,
    view_state,
    view_summary,
)
from app.schemas import error_responses
from app.settings import Role
from graph.ontology import SAVED_VIEW_LABEL, STORY_LABEL
from graph.saved_views import delete_record, list_records
from graph.store import GraphStore

api = APIRouter(prefix="/api", tags=["saved views"], responses=error_responses(401, 403, 422, 503))
pages = APIRouter(include_in_schema=False, dependencies=[Depends(require(Role.VIEWER)), Depends(page_language)])
router = APIRouter()

ViewId = Path(pattern=RECORD_ID, description="The saved view's id (v- and 16 hex digits).")
StoryId = Path(pattern=RECORD_ID, description="The story's id (s- and 16 hex digits).")
Limit = Query(100, ge=1, le=500, description="Most records listed.")
Offset = Query(0, ge=0, le=1_000_000, description="Records to skip (newest first).")


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its ``$defs`` written in place, as the OpenAPI document takes it."""
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return resolve(schema)


def _body(model: type[BaseModel]) -> Any:
    """A body documented as ``model`` and validated by ``app.saved_views.parse``, whose 422 names each
    field in Chinese and English."""
    return Annotated[Any, WithJsonSchema(_inline_refs(model.model_json_schema())), Body()]


ViewBody = _body(ViewIn)
StoryBody = _body(StoryIn)


def _page(records: list[dict[str, Any]], total: int, limit: int, offset: int, key: str) -> dict[str, Any]:
    nxt = offset + len(records)
    return {key: records, "total": total, "offset": offset, "next_offset": nxt if nxt < total else None,
            "limit": limit}


# -- saved views -----------------------------------------------------------------------------------------
@api.post("/views", status_code=201, responses=error_responses(429))
def create_view(body: ViewBody, principal: Principal = Depends(rate_limited("save", Role.ANALYST)),
                store: GraphStore = Depends(get_store)) -> dict[str, Any]:
    """Save the map view a planner arranged (role **analyst** or editor; viewers open and list views).
    The body: ``title`` (≤ 100 characters), ``note`` (≤ 2000) and ``state`` — the page (kind, address,
    parameters), every entity the map holds (≤ 5000, each with its name and, where drawn, its position),
    the relationships drawn (≤ 20000, ``start|TYPE|end``), the filters switched off, the depth and its
    centre, the focused node, the nodes expanded, the colour mode, the language and the camera. The
    author is the name of the caller's key (``ECOMAP_API_KEYS``: ``name:key:role``; a key without a name
    is ``key-`` and the first 8 hex digits of its sha256). Saving changes no entity and not the graph
    version. A field over its limit or of the wrong form is answered with 422 ``invalid_input`` naming
    it, in English in ``message`` and in Chinese in ``details.message_zh``."""
    return save_view(store, parse(ViewIn, body), principal.name or "anonymous")


@api.get("/views", dependencies=[Depends(require(Role.VIEWER))])
def list_views(limit: int = Limit, offset: int = Offset, store: GraphStore = Depends(get_store)) -> dict[str, Any]:
    """Saved views, newest first (viewer): title, note, author, date, the page they come from, how many
    entities they hold, and their page (``url``) and API (``api``) addresses."""
    records, total = list_records(store, SAVED_VIEW_LABEL, VIEW_FIELDS, limit=limit, offset=offset)
    return _page([view_summary(r) for r in records], total, limit, offset, "views")


@api.get("/views/{view_id}", dependencies=[Depends(require(Role.VIEWER))], responses=error_responses(404))
def get_view(view_id: str = ViewId, store: GraphStore = Depends(get_store)) -> dict[str, Any]:
    """A saved view (viewer): its summary, its saved ``state``, and ``missing`` — the saved entities
    no longer in the graph (id and name when saved); the page ``/views/{id}`` draws the rest."""
    record = load_view(store, view_id)
    return {**view_summary(record), "state": view_state(record).model_dump(),
            "missing": reopened(store, record)["missing"]}


@api.delete("/views/{view_id}", status_code=204, responses=error_responses(404))
def delete_view(view_id: str = ViewId, principal: Principal = Depends(require(Role.VIEWER)),
                store: GraphStore = Depends(get_store)) -> Response:
    """Delete a saved view: its author or an editor; anyone else gets 403 (in English in ``message``,
    in Chinese in ``details.message_zh``). Stories that show it say so at that step."""
    record = load_view(store, view_id)
    if not may_delete(principal, record):
        raise forbidden_delete("view", record)
    delete_record(store, SAVED_VIEW_LABEL, view_id)
    return Response(status_code=204)


# -- stories ---------------------------------------------------------------------------------------------
@api.post("/stories", status_code=201, responses=error_responses(429))
def create_story(body: StoryBody, principal: Principal = Depends(rate_limited("save", Role.ANALYST)),
                 store: GraphStore = Depends(get_store)) -> dict[str, Any]:
    """Save a story (analyst or editor): ``title`` (≤ 100 characters), ``note`` (≤ 2000) and ``steps``,
    1–50 saved views in order, each ``{"view": id, "note": …}``. A step naming no saved view is
    answered with 422 naming it (``steps.N.view``)."""
    return save_story(store, parse(StoryIn, body), principal.name or "anonymous")


@api.get("/stories", dependencies=[Depends(require(Role.VIEWER))])
def list_stories(limit: int = Limit, offset: int = Offset, store: GraphStore = Depends(get_store)) -> dict[str, Any]:
    """Stories, newest first (viewer), with their page (``url``) and offline file (``export``) addresses."""
    records, total = list_records(store, STORY_LABEL, STORY_FIELDS, limit=limit, offset=offset)
    return _page([story_summary(r) for r in records], total, limit, offset, "stories")


@api.get("/stories/{story_id}", dependencies=[Depends(require(Role.VIEWER))], responses=error_responses(404))
def get_story(story_id: str = StoryId, store: GraphStore = Depends(get_store)) -> dict[str, Any]:
    """A story (viewer) with its steps: each step's view (id, title, page), note and the entities of
    that view no longer in the graph."""
    record = load_story(store, story_id)
    return {**story_summary(record), "steps": story_steps_json(store, record)}


@api.delete("/stories/{story_id}", status_code=204, responses=error_responses(404))
def delete_story(story_id: str = StoryId, principal: Principal = Depends(require(Role.VIEWER)),
                 store: GraphStore = Depends(get_store)) -> Response:
    """Delete a story (its author or an editor); its saved views stay."""
    record = load_story(store, story_id)
    if not may_delete(principal, record):
        raise forbidden_delete("story", record)
    delete_record(store, STORY_LABEL, story_id)
    return Response(status_code=204)


# -- pages -----------------------------------------------------------------------------------------------
EMBED_CSP = PAGE_CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
"""A saved view shown in a story's frame: only this server's pages may frame it."""
STORY_CSP = PAGE_CSP.replace("default-src 'none';", "default-src 'none'; frame-src 'self';")
"""The story page frames this server's saved-view pages, and nothing else."""


def _with_csp(text: str, csp: str) -> HTMLResponse:
    response = html_page(text)
    response.headers["Content-Security-Policy"] = csp
    return response


@pages.get("/views", response_class=HTMLResponse)
def views_page(store: GraphStore = Depends(get_store)) -> HTMLResponse:
    views, _ = list_records(store, SAVED_VIEW_LABEL, VIEW_FIELDS, limit=500)
    stories, _ = list_records(store, STORY_LABEL, STORY_FIELDS, limit=500)
    return html_page(render("views.html", page="views", views=[view_summary(v) for v in views],
                            stories=[story_summary(s) for s in stories], scripts=(*SCRIPTS, "js/saved_views.js")))


@pages.get("/views/{view_id}", response_class=HTMLResponse)
def view_page(view_id: str = ViewId, embed: bool = Query(False, description="Without the page header (a story's "
                                                                          "frame)."),
              store: GraphStore = Depends(get_store)) -> HTMLResponse:
    try:
        record = load_view(store, view_id)
    except ApiError:
        return not_found_page("page.not_found.view", id=view_id)
    text = view_page_html(store, record, embed=embed)
    return _with_csp(text, EMBED_CSP) if embed else html_page(text)


@pages.get("/stories/{story_id}", response_class=HTMLResponse)
def story_page(story_id: str = StoryId, store: GraphStore = Depends(get_store)) -> HTMLResponse:
    try:
        record = load_story(store, story_id)
    except ApiError:
        return not_found_page("page.not_found.story", id=story_id)
    return _with_csp(story_page_html(store, record), STORY_CSP)


@pages.get("/stories/{story_id}/export.html", response_class=HTMLResponse, dependencies=[heavy("export")])
def story_export(story_id: str = StoryId, store: GraphStore = Depends(get_store)) -> Response:
    """The story as one offline HTML file: every step's map and every asset inlined."""
    try:
        record = load_story(store, story_id)
    except ApiError:
        return not_found_page("page.not_found.story", id=story_id)
    return Response(story_page_html(store, record, standalone=True), media_type="text/html; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="ecomap-story-{story_id}.html"'})


router.include_router(api)
router.include_router(pages)
