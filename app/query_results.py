"""Running a saved query and its result as JSON and CSV.

A run is read-only, after the checks of ``app.cypher_gate.check_query``, with a time limit and a row
cap; the result comes as columns and rows plus the graph of its nodes, relationships and paths, or as
CSV that Excel opens with its Chinese text intact and that never runs a cell as a formula.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any
from urllib.parse import quote

from app.cypher_gate import check_query
from app.query_header import SavedQuery
from app.row_limit import row_limited
from graph.model import Node, QueryResult, Relationship, graph_parts, to_json
from graph.model import Path as GraphPath
from graph.store import GraphStore


def run(store: GraphStore, query: SavedQuery, params: dict[str, Any], *, limit: int,
        timeout_ms: int | None = None) -> QueryResult:
    """Run a saved query read-only with already bound parameters, after the checks of ``check_query``
    (a ``RejectedCypher`` when the parameters are too large)."""
    tokens = check_query(query.cypher, params)
    return store.read(row_limited(query.cypher, tokens, limit + 1), params, timeout_ms=timeout_ms, row_cap=limit)


def graph_json(values: Any, truncated: bool = False) -> dict[str, Any]:
    """Graph JSON (nodes, relationships, truncated) of every node, relationship and path in ``values``."""
    nodes, rels = graph_parts(values)
    return {"nodes": [to_json(n) for n in nodes.values()], "relationships": [to_json(r) for r in rels.values()],
            "truncated": truncated}


def result_json(result: QueryResult, warnings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"columns": result.columns, "rows": to_json(result.rows),
            "graph": graph_json(result.rows, result.truncated), "truncated": result.truncated,
            "warnings": warnings or []}


def citation_path(citation: str) -> str:
    """The source page of a citation: ``src-sxrb#3`` → ``/sources/src-sxrb/3``, ``src-sxrb`` → ``/sources/src-sxrb``."""
    source, _, section = citation.partition("#")
    path = "/sources/" + quote(source, safe="")
    return f"{path}/{quote(section, safe='')}" if section else path


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Node):
        text_ = value.id
    elif isinstance(value, Relationship):
        text_ = f"{value.start}-[:{value.type}]->{value.end}"
    elif isinstance(value, GraphPath):
        text_ = " -> ".join(n.id for n in value.nodes)
    elif isinstance(value, str):
        text_ = value
    else:
        text_ = json.dumps(to_json(value), ensure_ascii=False)
    return _no_formula(text_)


def _no_formula(text_: str) -> str:
    # A spreadsheet would run a cell starting with one of these as a formula.
    return "'" + text_ if text_[:1] in ("=", "+", "-", "@", "\t", "\r") else text_


BOM = "\ufeff"


def result_csv(result: QueryResult) -> str:
    """The result as CSV, starting with a byte-order mark so that Excel reads the UTF-8 Chinese text."""
    out = io.StringIO(BOM)
    out.seek(1)
    writer = csv.writer(out)
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return out.getvalue()
