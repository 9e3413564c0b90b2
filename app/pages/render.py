"""HTML of the map pages and of standalone map files.

Templates are Jinja2 with autoescaping on; data reaches the page only as JSON inside
``<script type="application/json">`` (see ``views.script_json``) and is put into the DOM by the scripts
under ``static/js/`` as text, never as markup. A standalone file is the same page with every asset
inlined, a Content-Security-Policy that forbids any request, and the facts the served page would fetch
from the API (source titles, pinyin for search) embedded.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from app.i18n import both, catalogue_json, pair, t, t_text
from app.pages.views import View, script_json
from graph.ontology import LIUXIN_EN, NODE_TYPES, REL_TYPES, Liuxin, node_props, rel_props
from graph.store import GraphStore

PAGES_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PAGES_DIR / "templates"
STATIC_DIR = PAGES_DIR / "static"
STATIC_URL = "/static"

SCRIPTS = ("js/core.js", "js/i18n.js", "js/state.js", "js/names.js", "js/facts.js", "js/filters.js",
           "js/legend.js", "js/network.js", "js/tooltip.js", "js/details.js", "js/expand.js", "js/search.js",
           "js/note.js", "js/export.js", "js/gaps.js", "js/main.js", "js/picker.js")
"""The page's scripts, in the order they run (each adds its part to the ``Ecomap`` namespace): linked by
the served pages, inlined in the same order into a standalone file."""

PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
            "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
"""Content-Security-Policy of every page: nothing is loaded from, or sent to, another host."""

STANDALONE_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                  "img-src data: blob:; base-uri 'none'; form-action 'none'")
"""A standalone file may run its own inline code and nothing else: no request of any kind."""


@cache
def _asset_version(path: str) -> str:
    return hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:12]


def static_url(path: str) -> str:
    """URL of a static asset, with a content hash so browsers never keep a stale copy."""
    return f"{STATIC_URL}/{path}?v={_asset_version(path)}"


def _inline_script(text: str) -> Markup:
    # Inside <script> only "</script" (any case) and "<!--" can end or disturb the element.
    return Markup(re.sub(r"</(script)", r"<\\/\1", text, flags=re.I).replace("<!--", "<\\!--"))


@cache
def inline_assets() -> dict[str, Markup]:
    def read(path: str) -> str:
        return (STATIC_DIR / path).read_text(encoding="utf-8")

    return {"vis_js": _inline_script(read("vendor/vis-network/vis-network.min.js")),
            "app_js": [_inline_script(read(path)) for path in SCRIPTS],
            "vis_css": Markup(read("vendor/vis-network/vis-network.css").replace("</", "<\\/")),
            "app_css": Markup(read("ecomap.css").replace("</", "<\\/"))}


PROP_EN = {"id": "Id", "liuxin": "六新 categories", "is_leader": "Leading enterprise (链主)",
           "absent_roles": "Roles a source says are missing", "position": "Position in the chain",
           "kind": "Kind", "level": "Administrative level", "betweenness": "Betweenness centrality",
           "measures": "Measures", "sections": "Sections", "synthetic": "Synthetic data"}
"""English names of properties where the key, humanised, would read badly."""


def english_label(key: str) -> str:
    """The English name of a property: ``name_en`` → "English name", ``is_leader`` → its entry above,
    otherwise the key with spaces for underscores, capitalised."""
    if key in PROP_EN:
        return PROP_EN[key]
    if key.endswith("_en") and len(key) > 3:
        return "English " + english_label(key[:-3]).lower()
    return key.replace("_", " ").strip().capitalize()


@cache
def ontology_json() -> str:
    """What the map needs from the ontology: type styles, names in both languages, property names
    (``props``: key → Chinese, ``props_en``: key → English)."""
    return script_json({
        "node_types": [{"label": t.label, "zh": t.zh, "en": t.en, "color": t.color, "shape": t.shape,
                        "props": {p.name: p.zh for p in node_props(t.label)},
                        "props_en": {p.name: english_label(p.name) for p in node_props(t.label)}}
                       for t in NODE_TYPES],
        "relationship_types": [{"name": r.name, "zh": r.zh, "en": r.en,
                                "props": {p.name: p.zh for p in rel_props(r.name)},
                                "props_en": {p.name: english_label(p.name) for p in rel_props(r.name)}}
                               for r in REL_TYPES],
        "liuxin": [{"name": c.value, "en": LIUXIN_EN[c]} for c in Liuxin],
    })


def render_cell(value: Any, kind: str = "text", names: dict[str, tuple[str, str]] | None = None,
                link_id: str | None = None) -> Markup:
    """One table cell of a query result (result JSON), escaped. Nodes, entity ids (``kind`` id, entity,
    ids) and names (``kind`` name, of the entity ``link_id``) link to the entity page; citations (``kind``
    citations, and a node's or relationship's ``sources``) to the source page; booleans read 是/否 and
    types, relationship types and 六新 categories their names, all switching with the page's language.
    ``names``: id → (Chinese, English) name of the entities an id column shows."""
    from app.query_param_fields import ENUM_LABELS

    names = names or {}
    if isinstance(value, dict) and value.get("kind") in ("node", "relationship", "path"):
        return _cell_graph(value)
    if value is None or value == []:
        return Markup('<span class="muted">—</span>')
    if isinstance(value, bool):
        return t("query.yes" if value else "query.no")
    items = value if isinstance(value, list) else [value]
    scalars = all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in items)
    if kind == "citations" and scalars:
        return _cell_citations([str(v) for v in items])
    if kind in ("id", "entity", "ids") and scalars:
        return Markup("、").join(_cell_entity(str(v), names.get(str(v)) if kind != "id" else None) for v in items)
    if kind == "name" and isinstance(value, str) and link_id:
        return Markup('<a class="cell-node" href="/entity/{}">{}</a>').format(_url_part(link_id), value)
    if kind in ENUM_LABELS and scalars:
        labels = ENUM_LABELS[kind]
        return Markup("、").join(both(*labels[v]) if v in labels else escape(v) for v in items)
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, list) and scalars:
        return escape("、".join(str(v) for v in value))
    return escape(json.dumps(value, ensure_ascii=False))


def _cell_graph(value: dict[str, Any]) -> Markup:
    """A node (its name, type and sources), a relationship or a path, linking to the entity pages."""
    from graph.ontology import NODE_TYPE_BY_LABEL, REL_TYPE_BY_NAME

    props = value.get("properties") or {}
    if value["kind"] == "node":
        name = props.get("name") or value.get("id")
        node_type = NODE_TYPE_BY_LABEL.get(value.get("type") or "")
        label = both(node_type.zh, node_type.en) if node_type else escape(value.get("type") or "")
        out = Markup('<a class="cell-node" href="/entity/{}">{}</a> <span class="cell-type">{}</span>').format(
            _url_part(str(value.get("id"))), both(str(name), str(props.get("name_en") or name)), label)
    elif value["kind"] == "relationship":
        rel = REL_TYPE_BY_NAME.get(str(value.get("type")))
        label = both(rel.zh, rel.en) if rel else escape(value.get("type"))
        out = Markup('{} <span class="cell-type">—{}→</span> {}').format(
            _cell_entity(str(value.get("start")), None), label, _cell_entity(str(value.get("end")), None))
    else:
        nodes, rels = value.get("nodes") or [], value.get("relationships") or []
        parts = [_cell_graph(nodes[0])] if nodes else []
        for rel_json, node in zip(rels, nodes[1:], strict=False):
            rel = REL_TYPE_BY_NAME.get(str(rel_json.get("type")))
            label = both(rel.zh, rel.en) if rel else escape(rel_json.get("type"))
            parts.append(Markup('<span class="cell-type">—{}→</span> {}').format(label, _cell_graph(node)))
        return Markup(" ").join(parts)
    sources = props.get("sources")
    if isinstance(sources, list) and sources and all(isinstance(s, str) for s in sources):
        out += Markup(' <span class="cell-sources">{}</span>').format(_cell_citations(sources))
    return out


def _cell_entity(entity_id: str, name: tuple[str, str] | None) -> Markup:
    if name:
        return Markup('<a class="cell-node" href="/entity/{}" title="{}">{}</a>').format(
            _url_part(entity_id), entity_id, both(*name))
    return Markup('<a class="cell-id" href="/entity/{}"><code>{}</code></a>').format(_url_part(entity_id), entity_id)


def _cell_citations(citations: list[str]) -> Markup:
    from app.query_results import citation_path

    return Markup(" ").join(Markup('<a class="cell-citation" href="{}">{}</a>').format(citation_path(c), c)
                            for c in citations)


def _url_part(text: str) -> str:
    return quote(text, safe="")


@cache
def environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(static=static_url, render_cell=render_cell, t=t, t_text=t_text, both=both,
                       catalogue_json=catalogue_json)
    return env


def render(template: str, **context: Any) -> str:
    context.setdefault("standalone", False)
    context.setdefault("has_map", False)
    context.setdefault("scripts", SCRIPTS)
    return environment().get_template(template).render(**context)


def html_page(text: str, status: int = 200) -> HTMLResponse:
    """A rendered page with the pages' security headers."""
    return HTMLResponse(text, status_code=status, headers={"Content-Security-Policy": PAGE_CSP,
                                                           "X-Content-Type-Options": "nosniff",
                                                           "Referrer-Policy": "same-origin"})


def not_found_page(key: str, **values: str) -> HTMLResponse:
    """The 404 page for message ``key`` of the catalogue (its heading is ``key.heading``)."""
    return html_page(render("error.html", page="error", heading=pair(f"{key}.heading"),
                            message=pair(key, **values)), 404)


def map_context(view_json: str) -> dict[str, Any]:
    """What a template including ``_map.html`` needs; ``view_json`` from ``script_json(view.to_json())``."""
    return {"has_map": True, "view_json": Markup(view_json), "ontology_json": Markup(ontology_json())}


def map_page(page: str, title: str, view_json: str, cluster_url: str | None = None) -> str:
    """A page that is a map (home, entity, cluster); a cluster's map links to its chain pages at
    ``cluster_url``."""
    return render("map.html", page=page, title=title, cluster_url=cluster_url, **map_context(view_json))


# -- standalone files -------------------------------------------------------------------------------------
SOURCES_QUERY = "MATCH (s:Source) RETURN s.id, s.title, s.sections"
SEARCH_NAME_MAX = 200
"""Longest name (or alias) a standalone file gets pinyin search keys for; no real name comes near it."""


def offline_facts(store: GraphStore | None, view_json: dict[str, Any]) -> dict[str, Any]:
    """What a standalone file shows without the API: source titles and sections, pinyin for search."""
    from app.search import pinyin_keys

    sources: dict[str, Any] = {}
    if store is not None:
        for source_id, title, sections in store.read(SOURCES_QUERY).rows:
            sources[str(source_id)] = {"title": title, "sections": sections if isinstance(sections, list) else []}
    search: dict[str, str] = {}
    for node in view_json["graph"]["nodes"]:
        props = node.get("properties") or {}
        aliases = props.get("aliases")
        names = [props.get("name"), props.get("name_en"), *(aliases if isinstance(aliases, list) else [aliases])]
        keys = []
        for name in names:
            if isinstance(name, str) and 0 < len(name) <= SEARCH_NAME_MAX and not name.isascii():
                keys.extend(pinyin_keys(name))
        search[str(node["id"])] = " ".join(keys)
    return {"sources": sources, "pinyin": search}


def standalone_html(view: View | dict[str, Any], store: GraphStore | None) -> str:
    """A single HTML file that draws ``view`` from ``file://`` with no server and no network."""
    data = view.to_json() if isinstance(view, View) else view
    page = data.get("kind") if data.get("kind") in ("home", "entity", "cluster", "query") else "export"
    return render("map.html", page=page, title=data.get("title") or "创新生态云图", has_map=True, standalone=True,
                  csp=Markup(STANDALONE_CSP), inline=inline_assets(), view_json=Markup(script_json(data)),
                  ontology_json=Markup(ontology_json()),
                  offline_json=Markup(script_json(offline_facts(store, data))))
