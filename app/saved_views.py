"""Saved map views and stories: what a request may contain (pydantic models with bounded sizes), how a
record is made from it, and how a saved view is drawn again on the graph as it is now.

A saved view records the map a planner arranged: the page it came from (home, entity, cluster, query
map, with its parameters), every entity the map held (with its name, and its position where drawn),
the relationships drawn, the filters, depth and centre, the focused node, the nodes expanded, the
colour mode, the language, the camera, a title and a note. Reopened, the map holds the entities that
still exist, at their saved positions, and says which are gone. A story is an ordered list of saved
views, each step with a note. Storage: ``graph.saved_views``.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Annotated, Any, Literal, TypeVar

from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field, JsonValue, ValidationError

from app.auth import Principal
from app.errors import ApiError
from app.i18n import pair
from app.pages.views import HOME_NODES, HOME_RELS
from app.settings import Role
from graph.model import to_json
from graph.ontology import ID_PATTERN, SAVED_VIEW_LABEL, STORY_LABEL
from graph.saved_views import create_record, get_record, records_exist
from graph.store import GraphStore

MAX_TITLE = 100
MAX_NOTE = 2000
MAX_NODES = 5000
"""Most entities (and node positions) one saved view holds."""
MAX_EDGES = 20_000
"""Most relationships one saved view draws."""
MAX_FILTER_VALUES = 500
MAX_EXPANDED = 500
MAX_STEPS = 50
"""Most views in one story."""

RECORD_ID = r"^[vs]-[0-9a-f]{16}$"
"""Ids of saved views (``v-…``) and stories (``s-…``): a prefix and 16 random hex digits."""

ViewText = Annotated[str, Field(max_length=200)]
EntityId = Annotated[str, Field(min_length=1, max_length=128, pattern=ID_PATTERN.pattern)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)


class PageIn(_Strict):
    """The page the view was arranged on and what it needs to be drawn as that page again."""

    kind: Literal["home", "entity", "cluster", "query", "export"]
    url: str = Field(max_length=2000, pattern=r"^/([^/\\].*)?$", description="The page's address on this server.")
    title: str = Field(max_length=500)
    title_en: str | None = Field(None, max_length=500)
    center: EntityId | None = None
    depth: int | None = Field(None, ge=1, le=3)
    query: str | None = Field(None, max_length=64)
    params: dict[Annotated[str, Field(max_length=64)], JsonValue] | None = Field(None, max_length=50)
    note: dict[Annotated[str, Field(max_length=100)], JsonValue] | None = Field(
        None, max_length=50, description="The page's own note on what it shows (a cut of the graph…).")


class NodeIn(_Strict):
    id: EntityId
    name: str | None = Field(None, max_length=500, description="Its name when saved, to say which are gone.")
    x: float | None = Field(None, ge=-1e7, le=1e7)
    y: float | None = Field(None, ge=-1e7, le=1e7)


class HiddenIn(_Strict):
    """Filter values switched off, per filter; "" stands for "not stated"."""

    type: list[ViewText] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    liuxin: list[ViewText] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    region: list[ViewText] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)
    rel: list[ViewText] = Field(default_factory=list, max_length=MAX_FILTER_VALUES)


class CameraIn(_Strict):
    x: float = Field(ge=-1e7, le=1e7)
    y: float = Field(ge=-1e7, le=1e7)
    scale: float = Field(gt=0, le=100)


class ViewStateIn(_Strict):
    page: PageIn
    nodes: list[NodeIn] = Field(max_length=MAX_NODES)
    edges: list[Annotated[str, Field(max_length=600)]] = Field(
        default_factory=list, max_length=MAX_EDGES, description="Relationships drawn, as start|TYPE|end.")
    hidden: HiddenIn = Field(default_factory=HiddenIn)
    depth: int = Field(0, ge=0, le=3)
    centre: EntityId | None = None
    focus: EntityId | None = None
    expanded: list[EntityId] = Field(default_factory=list, max_length=MAX_EXPANDED)
    colour_by: Literal["type", "community"] = "type"
    lang: Literal["zh", "en"] = "zh"
    camera: CameraIn | None = None


class ViewIn(_Strict):
    """A view to save: its title (at most 100 characters), a note (at most 2000) and the map's state."""

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    note: str = Field("", max_length=MAX_NOTE)
    state: ViewStateIn


class StoryStepIn(_Strict):
    view: str = Field(pattern=RECORD_ID, description="A saved view's id.")
    note: str = Field("", max_length=MAX_NOTE)


class StoryIn(_Strict):
    """A story: a title, a note and the saved views it shows in order, each with a note."""

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    note: str = Field("", max_length=MAX_NOTE)
    steps: list[StoryStepIn] = Field(min_length=1, max_length=MAX_STEPS)


# -- reading requests ------------------------------------------------------------------------------------
_PROBLEMS = {"string_too_long": "saved_views.error.too_long", "too_long": "saved_views.error.too_many",
             "string_too_short": "saved_views.error.empty", "too_short": "saved_views.error.too_few",
             "missing": "saved_views.error.missing", "extra_forbidden": "saved_views.error.unknown_field",
             "string_pattern_mismatch": "saved_views.error.pattern", "literal_error": "saved_views.error.choice"}
"""Pydantic's error types → the catalogue message saying what to enter."""

Model = TypeVar("Model", bound=BaseModel)


def parse(model: type[Model], body: Any) -> Model:
    """``body`` as ``model``, or a 422 ``invalid_input`` naming each field in Chinese and English."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise invalid_input(exc) from None


def invalid_input(exc: ValidationError) -> ApiError:
    fields = []
    for error in exc.errors()[:20]:
        field = ".".join(str(p) for p in error["loc"]) or "body"
        ctx = error.get("ctx") or {}
        limit = ctx.get("max_length", ctx.get("min_length", ctx.get("expected", ctx.get("pattern", ""))))
        key = _PROBLEMS.get(error["type"])
        zh, en = pair(key, field=field, limit=limit) if key else pair("saved_views.error.invalid", field=field,
                                                                       problem=error["msg"])
        fields.append({"field": field, "message": en, "message_zh": zh})
    zh = "；".join(f["message_zh"] for f in fields)
    en = "; ".join(f["message"] for f in fields)
    return ApiError(422, "invalid_input", f"The request is not valid: {en}.",
                    {"message_zh": f"请求内容有误：{zh}。", "fields": fields})


def unknown(kind: Literal["view", "story"], record_id: str) -> ApiError:
    zh, en = pair(f"saved_views.error.unknown_{kind}", id=record_id)
    return ApiError(404, "not_found", en, {"id": record_id, "message_zh": zh})


def may_delete(principal: Principal, record: dict[str, Any]) -> bool:
    """Its author (by key name) or an editor may delete a record."""
    return principal.role.rank >= Role.EDITOR.rank or (principal.name is not None
                                                       and principal.name == record.get("author"))


def forbidden_delete(kind: Literal["view", "story"], record: dict[str, Any]) -> ApiError:
    zh, en = pair(f"saved_views.error.delete_{kind}", author=record.get("author") or "?")
    return ApiError(403, "forbidden", en, {"id": record.get("id"), "message_zh": zh})


# -- records ---------------------------------------------------------------------------------------------
VIEW_FIELDS = ("id", "title", "note", "author", "created", "kind", "page_title", "nodes")
STORY_FIELDS = ("id", "title", "note", "author", "created", "steps")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def new_id(kind: Literal["view", "story"]) -> str:
    return ("v-" if kind == "view" else "s-") + secrets.token_hex(8)


def save_view(store: GraphStore, view: ViewIn, author: str) -> dict[str, Any]:
    """Store ``view`` by ``author``; the record's summary."""
    state = view.state
    record = {"id": new_id("view"), "title": view.title, "note": view.note, "author": author, "created": _now(),
              "kind": state.page.kind, "page_title": state.page.title, "nodes": len(state.nodes),
              "body": state.model_dump_json(exclude_none=True)}
    create_record(store, SAVED_VIEW_LABEL, record)
    return view_summary(record)


def save_story(store: GraphStore, story: StoryIn, author: str) -> dict[str, Any]:
    """Store ``story`` by ``author``; 422 naming each step whose view does not exist."""
    ids = [step.view for step in story.steps]
    known = records_exist(store, SAVED_VIEW_LABEL, ids)
    missing = [{"field": f"steps.{i}.view", **dict(zip(("message_zh", "message"),
                                                       pair("saved_views.error.unknown_view", id=view_id),
                                                       strict=True))}
               for i, view_id in enumerate(ids) if view_id not in known]
    if missing:
        raise ApiError(422, "invalid_input", "The request is not valid: " + "; ".join(
            f"{m['field']}: {m['message']}" for m in missing),
            {"message_zh": "请求内容有误：" + "；".join(f"{m['field']}：{m['message_zh']}" for m in missing),
             "fields": missing})
    record = {"id": new_id("story"), "title": story.title, "note": story.note, "author": author, "created": _now(),
              "steps": len(story.steps), "body": json.dumps([s.model_dump() for s in story.steps], ensure_ascii=False)}
    create_record(store, STORY_LABEL, record)
    return story_summary(record)


def view_summary(record: dict[str, Any]) -> dict[str, Any]:
    out = {name: record.get(name) for name in VIEW_FIELDS}
    return {**out, "url": f"/views/{record['id']}", "api": f"/api/views/{record['id']}"}


def story_summary(record: dict[str, Any]) -> dict[str, Any]:
    out = {name: record.get(name) for name in STORY_FIELDS}
    return {**out, "url": f"/stories/{record['id']}", "export": f"/stories/{record['id']}/export.html"}


def view_state(record: dict[str, Any]) -> ViewStateIn:
    return ViewStateIn.model_validate_json(record["body"])


def story_steps(record: dict[str, Any]) -> list[StoryStepIn]:
    return [StoryStepIn.model_validate(s) for s in json.loads(record["body"])]


def load_view(store: GraphStore, view_id: str) -> dict[str, Any]:
    record = get_record(store, SAVED_VIEW_LABEL, view_id)
    if record is None:
        raise unknown("view", view_id)
    return record


def load_story(store: GraphStore, story_id: str) -> dict[str, Any]:
    record = get_record(store, STORY_LABEL, story_id)
    if record is None:
        raise unknown("story", story_id)
    return record


# -- drawing a saved view again --------------------------------------------------------------------------
def edge_key(start: str, rel_type: str, end: str) -> str:
    """A relationship as the map names it (js/state.js ``edgeId``)."""
    return f"{start}|{rel_type}|{end}"


def reopened(store: GraphStore, record: dict[str, Any]) -> dict[str, Any]:
    """The saved view on the graph as it is now: ``view`` (the view JSON the map draws: the saved
    entities that still exist, the saved relationships among them that still exist, the saved
    positions), ``missing`` (the saved entities no longer in the graph, with their names when saved)
    and ``saved`` (what the page's script restores: filters, focus, camera, note…)."""
    state = view_state(record)
    ids = [n.id for n in state.nodes]
    found = {node.id: node for (node,) in store.read(HOME_NODES, {"ids": ids}, row_cap=len(ids) + 1).rows}
    drawn = set(state.edges)
    rels = [{"kind": "relationship", "type": t, "start": s, "end": e, "properties": to_json(props or {})}
            for s, t, e, props in store.read(HOME_RELS, {"ids": sorted(found)}, row_cap=10_000_000).rows
            if e in found and edge_key(s, t, e) in drawn]
    nodes = [to_json(found[i]) for i in ids if i in found]
    positions = {n.id: [n.x, n.y] for n in state.nodes if n.id in found and n.x is not None and n.y is not None}
    page = state.page
    view = {"kind": page.kind, "title": page.title, "title_en": page.title_en,
            "center": page.center if page.center in found else None, "api": f"/api/views/{record['id']}",
            "note": page.note, "positions": positions or None, "depth": page.depth, "query": page.query,
            "params": page.params, "graph": {"nodes": nodes, "relationships": rels, "truncated": False}}
    missing = [{"id": n.id, "name": n.name} for n in state.nodes if n.id not in found]

    def keep(entity_id: str | None) -> str | None:
        return entity_id if entity_id in found else None

    saved = {"id": record["id"], "title": record.get("title"), "note": record.get("note") or "",
             "author": record.get("author"), "created": record.get("created"), "page_url": page.url,
             "missing": missing,
             "hidden": state.hidden.model_dump(), "depth": state.depth, "centre": keep(state.centre),
             "focus": keep(state.focus), "expanded": [i for i in state.expanded if i in found],
             "colour_by": state.colour_by, "lang": state.lang,
             "camera": state.camera.model_dump() if state.camera else None}
    return {"view": view, "missing": missing, "saved": saved}


# -- pages -----------------------------------------------------------------------------------------------
MAP_PAGES = ("home", "entity", "cluster", "query")
VIEW_SCRIPT = "js/saved_views.js"
STORY_SCRIPTS = ("js/core.js", "js/i18n.js", "js/story.js")
"""The story page's own scripts (it holds the steps' maps in frames, not a map of its own)."""
STORY_CSS = "story.css"
STORY_STANDALONE_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                        "img-src data: blob:; frame-src 'self' about: data:; base-uri 'none'; form-action 'none'")
"""An offline story runs its own inline code and shows its steps in frames written from it, nothing else."""


def view_page_html(store: GraphStore, record: dict[str, Any], *, embed: bool = False) -> str:
    """The reopened view as the map page it was saved from (``embed``: without the page's header, for a
    story's frame)."""
    from app.pages.render import map_context, render
    from app.pages.urls import cluster_url
    from app.pages.views import script_json

    again = reopened(store, record)
    view = again["view"]
    page = view["kind"] if view["kind"] in MAP_PAGES else "export"
    link = cluster_url(view["center"]) if page == "cluster" and view["center"] else None
    return render("map.html", page=page, title=view["title"], cluster_url=link,
                  saved_view_json=Markup(script_json({**again["saved"], "embed": embed})),
                  **map_context(script_json(view)))


def _standalone_assets(nonce: str) -> tuple[dict[str, Any], dict[str, Markup]]:
    """What a standalone map inlines, as markers (for each step's document) and as the texts they stand
    for (written once into the story file; js/story.js puts them back when it shows a step). The markers
    carry a random ``nonce`` of the file, so that no text saved in a view can pass for one."""

    def _marker(name: str) -> Markup:
        return Markup(f"/*@ecomap-asset-{nonce}:{name}@*/")

    from app.pages.render import STATIC_DIR, _inline_script, inline_assets

    assets = inline_assets()
    scripts = [*assets["app_js"], _inline_script((STATIC_DIR / VIEW_SCRIPT).read_text(encoding="utf-8"))]
    texts = {"vis_js": assets["vis_js"], "vis_css": assets["vis_css"], "app_css": assets["app_css"],
             **{f"app_js_{i}": text for i, text in enumerate(scripts)}}
    markers = {"vis_js": _marker("vis_js"), "vis_css": _marker("vis_css"), "app_css": _marker("app_css"),
               "app_js": [_marker(f"app_js_{i}") for i in range(len(scripts))]}
    return markers, texts


def offline_view_html(store: GraphStore, record: dict[str, Any], inline: dict[str, Any]) -> str:
    """A saved view as a standalone map document whose assets are ``inline`` (markers, in a story)."""
    from app.pages.render import STANDALONE_CSP, offline_facts, ontology_json, render
    from app.pages.views import cluster_gaps, script_json

    again = reopened(store, record)
    view = again["view"]
    if view["kind"] == "cluster" and view["center"]:
        view["gaps"] = cluster_gaps(store, view["center"])
    page = view["kind"] if view["kind"] in MAP_PAGES else "export"
    return render("map.html", page=page, title=view["title"], has_map=True, standalone=True,
                  csp=Markup(STANDALONE_CSP), inline=inline, view_json=Markup(script_json(view)),
                  ontology_json=Markup(ontology_json()), offline_json=Markup(script_json(offline_facts(store, view))),
                  saved_view_json=Markup(script_json({**again["saved"], "embed": True})))


def story_steps_json(store: GraphStore, record: dict[str, Any],
                     inline: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Each step of a story: its view's id, title and link, its note, the entities gone since, and (with
    ``inline``) the step's whole offline document."""
    steps = []
    for step in story_steps(record):
        view_record = get_record(store, SAVED_VIEW_LABEL, step.view)
        entry: dict[str, Any] = {"view": step.view, "note": step.note, "url": f"/views/{step.view}"}
        if view_record is None:
            entry.update(title=step.view, gone=True, missing=[])
        else:
            entry.update(title=view_record.get("title"), view_note=view_record.get("note") or "", gone=False,
                         missing=reopened(store, view_record)["missing"])
            if inline is not None:
                entry["html"] = offline_view_html(store, view_record, inline)
        steps.append(entry)
    return steps


def story_page_html(store: GraphStore, record: dict[str, Any], *, standalone: bool = False) -> str:
    """The story page: its steps in order, presented one at a time in a frame; ``standalone``: one
    offline file holding every step's map and every asset once."""
    from app.pages.render import STATIC_DIR, _inline_script, render
    from app.pages.views import script_json

    story = {"id": record["id"], "title": record.get("title"), "note": record.get("note") or "",
             "author": record.get("author"), "created": record.get("created"), "standalone": standalone}
    if not standalone:
        story["steps"] = story_steps_json(store, record)
        return render("story.html", page="story", story=story, story_json=Markup(script_json(story)),
                      scripts=STORY_SCRIPTS, story_css=STORY_CSS)
    story["nonce"] = secrets.token_hex(8)
    markers, texts = _standalone_assets(story["nonce"])
    story["steps"] = story_steps_json(store, record, markers)
    own = {name: _inline_script((STATIC_DIR / name).read_text(encoding="utf-8")) for name in STORY_SCRIPTS}
    css = Markup("\n".join((STATIC_DIR / name).read_text(encoding="utf-8") for name in ("ecomap.css", STORY_CSS))
                 .replace("</", "<\\/"))
    return render("story.html", page="story", story=story, story_json=Markup(script_json(story)), standalone=True,
                  csp=Markup(STORY_STANDALONE_CSP), assets=texts, own_scripts=list(own.values()), inline_css=css)
