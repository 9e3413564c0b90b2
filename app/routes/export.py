"""``GET /api/export``: the whole graph or a filtered subgraph as JSON, CSV, GraphML or GEXF."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from app.auth import require
from app.deps import get_store
from app.errors import ApiError
from app.fairness import heavy
from app.schemas import LiuxinName, NodeTypeName, RelTypeName, error_responses, filter_values
from app.settings import Role
from graph.model import Node
from graph.store import GraphStore
from loaders.cells import format_cell
from loaders.export import export_graph
from loaders.graph_files import write_graph_file
from loaders.headers import END, START, TYPE

router = APIRouter(prefix="/api", tags=["export"], dependencies=[Depends(require(Role.VIEWER))],
                   responses=error_responses(401, 403, 413, 422, 503, 504))

EXPORT_NODE_CAP = 200_000
"""Largest graph the API exports; bigger ones with ``ecomap export``."""

MEDIA = {"json": "application/json", "csv": "application/zip", "graphml": "application/graphml+xml",
         "gexf": "application/gexf+xml"}
EXTENSION = {"json": "json", "csv": "zip", "graphml": "graphml", "gexf": "gexf"}

NODES = ("MATCH (n:Entity) WHERE ($types IS NULL OR any(l IN labels(n) WHERE l IN $types)) "
         "AND ($liuxin IS NULL OR any(c IN coalesce(n.liuxin, []) WHERE c IN $liuxin)) "
         "AND ($region IS NULL OR n.region = $region) RETURN n")
RELS = ("MATCH (a:Entity)-[r]->(b:Entity) WHERE ($ids IS NULL OR (a.id IN $ids AND b.id IN $ids)) "
        "AND ($rel_types IS NULL OR type(r) IN $rel_types) "
        "RETURN a.id, type(r), b.id, properties(r)")


@router.get("/export", responses={200: {"content": {m: {} for m in MEDIA.values()},
                                        "description": "The graph file"}})
def export(
    format: Literal["json", "csv", "graphml", "gexf"] = Query("json"),  # noqa: A002
    types: list[NodeTypeName] | None = filter_values("Only nodes of these types."),
    liuxin: list[LiuxinName] | None = filter_values("Only nodes in one of these 六新 categories."),
    region: str | None = Query(None, max_length=200, description="Only nodes in this region."),
    rel_types: list[RelTypeName] | None = filter_values("Only relationships of these types."),
    store: GraphStore = Depends(get_store),
    _slot: None = heavy("export"),
) -> Response:
    """The graph (or the subgraph the filters select: matching nodes and the relationships between
    them) as a file of loader records, which ``ecomap load`` and POST /api/load read back. CSV comes as
    a zip of nodes.csv and relationships.csv."""
    filtered = bool(types or liuxin or region or rel_types)
    filename = f"ecomap-graph.{EXTENSION[format]}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if not filtered:
        if store.read("MATCH (n:Entity) RETURN count(n)").scalar() > EXPORT_NODE_CAP:
            raise _too_large()
        return Response(_loaders_export(store, format), media_type=MEDIA[format], headers=headers)
    params = {"types": [t.value for t in types] if types else None,
              "liuxin": [c.value for c in liuxin] if liuxin else None, "region": region}
    result = store.read(NODES, params, row_cap=EXPORT_NODE_CAP)
    if result.truncated:
        raise _too_large()
    nodes: list[Node] = [row[0] for row in result.rows]
    ids = [n.id for n in nodes] if (types or liuxin or region) else None
    rels = store.read(RELS, {"ids": ids, "rel_types": [r.value for r in rel_types] if rel_types else None},
                      row_cap=EXPORT_NODE_CAP * 20).rows
    return Response(_render(format, nodes, rels), media_type=MEDIA[format], headers=headers)


def _loaders_export(store: GraphStore, fmt: str) -> bytes:
    """The loaders' export of the whole graph (a CSV export is a folder: zipped)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = export_graph(store, fmt, Path(tmp) / f"graph.{fmt}")
        if out.is_dir():
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
                for path in sorted(out.rglob("*")):
                    if path.is_file():
                        zf.write(path, path.relative_to(out).as_posix())
            return buffer.getvalue()
        return out.read_bytes()


def _render(fmt: str, nodes: list[Node], rels: list[list[Any]]) -> bytes:
    """A subgraph in the same shapes as the loaders' export (loader records; CSV columns ``type``,
    ``start``, ``end``), so that an exported subgraph loads back with ``ecomap load`` or POST /api/load."""
    node_records = [{TYPE: n.type, **n.properties} for n in sorted(nodes, key=lambda n: n.id)]
    rel_records = [{TYPE: t, START: a, END: b, **(p or {})} for a, t, b, p in sorted(rels, key=lambda r: r[:3])]
    if fmt == "json":
        return json.dumps({"nodes": node_records, "relationships": rel_records}, ensure_ascii=False).encode()
    if fmt == "csv":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, records, fixed in (("nodes.csv", node_records, [TYPE]),
                                         ("relationships.csv", rel_records, [TYPE, START, END])):
                keys = fixed + sorted({k for r in records for k in r} - set(fixed))
                zf.writestr(name, _csv([keys] + [[format_cell(r.get(k)) for k in keys] for r in records]))
        return buffer.getvalue()
    buffer = io.BytesIO()
    write_graph_file(fmt, ((n.type, n.properties) for n in sorted(nodes, key=lambda n: n.id)),
                     ((t, a, b, p or {}) for a, t, b, p in sorted(rels, key=lambda r: r[:3])), buffer)
    return buffer.getvalue()


def _too_large() -> ApiError:
    return ApiError(413, "export_too_large", f"The graph has more than {EXPORT_NODE_CAP} nodes; export it with "
                    "`ecomap export`, or narrow it with types, liuxin or region.")


def _csv(rows: list[list[Any]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return "\ufeff" + out.getvalue()  # BOM: Excel opens UTF-8 Chinese text correctly
