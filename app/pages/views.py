"""The views the map pages draw.

A view is the API's graph JSON (``{"nodes", "relationships", "truncated"}``, nodes and relationships
as in ``graph.model.to_json``) plus what the map needs around it: a title, the centre, a note when the
view is a cut of something larger, and — above ``LAYOUT_THRESHOLD`` nodes — positions computed on the
server, so the browser draws with physics off. Finished views are cached per graph version and view
parameters (``ViewCache``); a write to the graph changes the version and so the key.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from app.cypher_bounds import ParamError
from app.explore import NotFound, neighbours
from app.pages.layout import LAYOUT_THRESHOLD, layout_positions
from app.query_header import SavedQuery
from app.query_library import QueryLibrary
from app.query_results import graph_json, result_json, run
from graph.model import Node, to_json
from graph.ontology import NODE_TYPES
from graph.store import GraphStore

HOME_LIMIT = 2000
"""Nodes the home map shows at most by default; a larger graph shows its most important nodes."""

MAX_LIMIT = 10_000
"""Most nodes any map view may hold (``?limit=`` is capped to this)."""

HOME_HIDDEN_TYPES = ("Source",)
"""Types left out of the home map: every curated node cites a source document, so the documents
would be hubs tying everything together. Provenance is shown in the details panel instead."""

ENTITY_DEPTH = 2
ENTITY_LIMIT = 500
ENTITY_HIDDEN_TYPES = ("Source", "Category")
"""Types an entity's map does not walk into: a source document or a 六新 category is a hub two hops
from everything it touches. The entity's sources and categories are in its details panel and badges."""
CLUSTER_QUERY = "cluster_ecosystem"
"""The saved query that defines a cluster's ecosystem (the same one ``/api/clusters/{id}/ecosystem`` runs)."""


class ViewNotFound(LookupError):
    """The entity, cluster or saved query a view is about does not exist."""


@dataclass
class View:
    kind: str
    """home | entity | cluster | query | export"""
    title: str
    title_en: str
    graph: dict[str, Any]
    center: str | None = None
    api: str | None = None
    """Where this view's graph JSON comes from: the API call it draws (the home map: its own JSON)."""
    note: dict[str, Any] | None = None
    """For a cut view: ``{"shown", "total", "ranked_by", "hidden_types", "limit"}``."""
    extra: dict[str, Any] = field(default_factory=dict)
    positions: dict[str, list[int]] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "title": self.title, "title_en": self.title_en, "graph": self.graph,
                "center": self.center, "api": self.api, "note": self.note, "positions": self.positions,
                **self.extra}


def place(view: View) -> View:
    """Give a view above ``LAYOUT_THRESHOLD`` nodes server-computed positions (physics off in the browser)."""
    nodes = view.graph["nodes"]
    if len(nodes) > LAYOUT_THRESHOLD and view.positions is None:
        pos = layout_positions([n["id"] for n in nodes],
                               ((r["start"], r["end"]) for r in view.graph["relationships"]))
        view.positions = {k: [x, y] for k, (x, y) in pos.items()}
    return view


# -- home ------------------------------------------------------------------------------------------------
_NOT_HIDDEN = "NOT any(l IN labels(n) WHERE l IN $hidden)"
HOME_COUNT = f"MATCH (n:Entity) WHERE {_NOT_HIDDEN} RETURN count(n)"
HOME_ALL_NODES = f"MATCH (n:Entity) WHERE {_NOT_HIDDEN} RETURN n"
HOME_RANK = (f"MATCH (n:Entity) WHERE {_NOT_HIDDEN} OPTIONAL MATCH (n)-[r]-(:Entity) "
             "RETURN n.id, n.importance, count(r)")
HOME_NODES = "MATCH (n:Entity) WHERE n.id IN $ids RETURN n"
HOME_RELS = ("MATCH (n:Entity)-[r]->(m:Entity) WHERE n.id IN $ids "
             "RETURN n.id, type(r), m.id, properties(r)")


def home_view(store: GraphStore, limit: int = HOME_LIMIT) -> View:
    """The whole graph (documents left out), or its ``limit`` most important nodes when it is larger.

    Importance is the ``importance`` property analytics writes back, when present, else the degree.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    hidden = list(HOME_HIDDEN_TYPES)
    total = store.read(HOME_COUNT, {"hidden": hidden}).scalar() or 0
    ranked_by = None
    if total <= limit:
        nodes = [row[0] for row in store.read(HOME_ALL_NODES, {"hidden": hidden}, row_cap=total + 1).rows]
    else:
        ranks = store.read(HOME_RANK, {"hidden": hidden}, row_cap=total + 1).rows
        ranked_by = "importance" if any(r[1] is not None for r in ranks) else "degree"
        key = (lambda r: (-(r[1] or 0.0), -r[2], r[0])) if ranked_by == "importance" else \
            (lambda r: (-r[2], r[0]))
        ids = [r[0] for r in sorted(ranks, key=key)[:limit]]
        nodes = [row[0] for row in store.read(HOME_NODES, {"ids": ids}, row_cap=len(ids) + 1).rows]
    node_ids = {n.id for n in nodes}
    rels = []
    for start, rel_type, end, props in store.read(HOME_RELS, {"ids": sorted(node_ids)},
                                                  row_cap=10_000_000).rows:
        if end in node_ids:
            rels.append({"kind": "relationship", "type": rel_type, "start": start, "end": end,
                         "properties": to_json(props or {})})
    nodes.sort(key=lambda n: n.id)
    graph = {"nodes": [to_json(n) for n in nodes], "relationships": rels, "truncated": total > limit}
    note = {"shown": len(nodes), "total": total, "ranked_by": ranked_by, "hidden_types": hidden,
            "limit": limit}
    return View("home", "创新生态云图", "Innovation ecosystem map", graph, note=note,
                api="/?" + urlencode({"format": "json", "limit": limit}))


# -- one entity ------------------------------------------------------------------------------------------
def entity_view(store: GraphStore, entity_id: str, depth: int = ENTITY_DEPTH, limit: int = ENTITY_LIMIT) -> View:
    """An entity and its neighbourhood, as ``GET /api/entities/{id}/neighbors`` returns it (not
    entering ``ENTITY_HIDDEN_TYPES``)."""
    depth = max(1, min(depth, 3))
    limit = max(1, min(limit, 2000))
    types = sorted(t.label for t in NODE_TYPES if t.label not in ENTITY_HIDDEN_TYPES)
    try:
        sub = neighbours(store, entity_id, depth=depth, types=types, limit=limit)
    except NotFound:
        raise ViewNotFound(entity_id) from None
    centre = sub.nodes[entity_id].properties
    api = f"/api/entities/{quote(entity_id)}/neighbors?" + urlencode(
        [("depth", depth), ("limit", limit), *(("types", t) for t in types)])
    return View("entity", str(centre.get("name") or entity_id), str(centre.get("name_en") or centre.get("name")
                or entity_id), sub.to_json(), center=entity_id, api=api,
                extra={"depth": depth, "limit": limit})


# -- a cluster -------------------------------------------------------------------------------------------
def cluster_view(store: GraphStore, library: QueryLibrary, cluster_id: str, *, timeout_ms: int | None = None,
                 gaps: dict[str, Any] | None = None) -> View:
    """A cluster's ecosystem (the saved query ``cluster_ecosystem``), with its 补链 report when given."""
    query = library.get(CLUSTER_QUERY)
    if query is None:
        raise ViewNotFound(CLUSTER_QUERY)
    try:
        params = query.bind({"cluster": cluster_id}, from_text=True)
    except ParamError:
        raise ViewNotFound(cluster_id) from None
    result = run(store, query, params, limit=5000, timeout_ms=timeout_ms)
    cluster = result.rows[0][0] if result.rows else None
    if not isinstance(cluster, Node):
        raise ViewNotFound(cluster_id)
    name = cluster.properties.get("name") or cluster_id
    return View("cluster", str(name), str(cluster.properties.get("name_en") or name),
                graph_json(result.rows, result.truncated), center=cluster_id,
                api=f"/api/clusters/{quote(cluster_id)}/ecosystem", extra={"gaps": gaps})


# -- a saved query ---------------------------------------------------------------------------------------
def query_view(store: GraphStore, query: SavedQuery, params: dict[str, Any], *, limit: int = 1000,
               timeout_ms: int | None = None) -> tuple[View, dict[str, Any]]:
    """Run a saved query with bound parameters; its graph part as a view, and the full result JSON."""
    result = result_json(run(store, query, params, limit=limit, timeout_ms=timeout_ms))
    given = {k: v for k, v in params.items() if v is not None}
    api = f"/api/queries/{quote(query.name)}/run"
    if given:
        api += "?" + urlencode({k: json.dumps(v) if isinstance(v, bool) else v for k, v in given.items()}, doseq=True)
    view = View("query", query.title, query.title, result["graph"], api=api,
                extra={"query": query.name, "params": given})
    return view, result


# -- cache -----------------------------------------------------------------------------------------------
class ViewCache:
    """Finished views (title and JSON text, positions included) by key, least recently used dropped first."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._items: OrderedDict[tuple, tuple[str, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> tuple[str, str] | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
            return hit

    def put(self, key: tuple, value: tuple[str, str]) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def view_key(store: GraphStore, *parts: Any) -> tuple:
    """Cache key of a view: the store's identity and graph version, then the view's own parameters."""
    return (*store.identity, store.version(), *parts)


def script_json(value: Any) -> str:
    """JSON safe to place inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` left
    that an HTML parser could take for the end of the element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") \
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def cluster_gaps(store: GraphStore, cluster_id: str) -> dict[str, Any] | None:
    """The 补链 report of one cluster, shaped as ``GET /api/analytics/gaps?cluster=`` answers it
    (``None`` for an unknown cluster). Served pages ask the API, whose analytics are cached per
    process; a standalone file carries the report."""
    from graph.analytics import Analytics, UnknownCluster

    try:
        return {"clusters": Analytics(store).gaps([cluster_id])}
    except UnknownCluster:
        return None
