"""Exporting the whole graph, streamed page by page, in a stable order (nodes by id; relationships
by start id, type, end id).

* ``json``: one file ``{"nodes": [...], "relationships": [...]}`` of loader records.
* ``csv``: a folder with ``nodes.csv`` and ``relationships.csv`` (UTF-8 with BOM, a ``type`` column).
* ``xlsx``: a workbook with a sheet per node label and per relationship type (each with a ``type`` column).
* ``graphml``, ``gexf``: for graph tools (Gephi, yEd, networkx, igraph); see ``write_graph_file``.

``json``, ``csv`` and ``xlsx`` load back into an empty store as the same graph. CSV and Excel cells
are protected from formula injection and lists are written as described in ``loaders.cells``;
numbers keep the 15 significant digits the stores return.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import networkx as nx

from graph.ontology import ordered_properties, type_label
from graph.store import GraphStore
from loaders.cells import format_cell, format_list, neutralise
from loaders.graph_files import write_graph_file
from loaders.headers import END, START, TYPE

EXPORT_FORMATS = ("json", "csv", "xlsx", "graphml", "gexf")
PAGE = 10_000
XLSX_MAX_ROWS = 1_048_575
"""Rows per worksheet below the header (Excel's limit); larger types continue on more sheets."""

# -- reading the graph -----------------------------------------------------------------
def _node_id_pages(store: GraphStore) -> Iterator[list[tuple[str | None, str, dict[str, Any]]]]:
    after = ""
    while True:
        rows = store.read("MATCH (n:Entity) WHERE n.id > $after RETURN labels(n), n.id, properties(n) "
                          "ORDER BY n.id LIMIT $page", {"after": after, "page": PAGE}, row_cap=PAGE).rows
        if not rows:
            return
        yield [(type_label(labels), node_id, props) for labels, node_id, props in rows]
        after = rows[-1][1]


def iter_nodes(store: GraphStore) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """``(label, properties)`` of every node, by id."""
    for page in _node_id_pages(store):
        for label, _, props in page:
            yield label, props


def iter_relationships(store: GraphStore) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """``(type, start, end, properties)`` of every relationship between nodes, by start, type, end."""
    for page in _node_id_pages(store):
        ids = [node_id for _, node_id, _ in page]
        rows = store.read("UNWIND $ids AS id MATCH (a:Entity {id: id})-[r]->(b:Entity) "
                          "RETURN a.id, type(r), b.id, properties(r)", {"ids": ids}, row_cap=10_000_000).rows
        rows.sort(key=lambda r: (r[0], r[1], r[2]))
        for start, rel_type, end, props in rows:
            yield rel_type, start, end, props


def _keys(store: GraphStore) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """The property names used by each node label and relationship type."""
    node_keys: dict[str, set[str]] = {}
    for labels, key in store.read("MATCH (n:Entity) UNWIND keys(n) AS k RETURN DISTINCT labels(n), k",
                                  row_cap=10_000_000).rows:
        node_keys.setdefault(type_label(labels) or "", set()).add(key)
    rel_keys: dict[str, set[str]] = {r[0]: set() for r in store.read("MATCH ()-[r]->() RETURN DISTINCT type(r)").rows}
    for rel_type, key in store.read("MATCH ()-[r]->() UNWIND keys(r) AS k RETURN DISTINCT type(r), k",
                                    row_cap=10_000_000).rows:
        rel_keys[rel_type].add(key)
    return node_keys, rel_keys


def _node_record(label: str | None, props: dict[str, Any]) -> dict[str, Any]:
    return {TYPE: label, **{k: props[k] for k in ordered_properties(set(props))}}


def _rel_record(rel_type: str, start: str, end: str, props: dict[str, Any]) -> dict[str, Any]:
    return {TYPE: rel_type, START: start, END: end, **{k: props[k] for k in ordered_properties(set(props))}}


# -- formats ---------------------------------------------------------------------------
def _export_json(store: GraphStore, out: Path) -> None:
    def dump(record: dict[str, Any]) -> str:
        return json.dumps(record, ensure_ascii=False, allow_nan=False)

    with open(out, "w", encoding="utf-8") as fh:
        fh.write('{"nodes": [')
        for i, (label, props) in enumerate(iter_nodes(store)):
            fh.write(("," if i else "") + "\n  " + dump(_node_record(label, props)))
        fh.write('\n],\n"relationships": [')
        for i, rel in enumerate(iter_relationships(store)):
            fh.write(("," if i else "") + "\n  " + dump(_rel_record(*rel)))
        fh.write("\n]}\n")


def _export_csv(store: GraphStore, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    node_keys, rel_keys = _keys(store)
    node_columns = ordered_properties(set().union(*node_keys.values()) if node_keys else {"id"})
    rel_columns = ordered_properties(set().union(*rel_keys.values()) if rel_keys else set())
    with open(out / "nodes.csv", "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([TYPE, *node_columns])
        for label, props in iter_nodes(store):
            writer.writerow([label or "", *(format_cell(props.get(c)) for c in node_columns)])
    with open(out / "relationships.csv", "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([TYPE, START, END, *rel_columns])
        for rel_type, start, end, props in iter_relationships(store):
            writer.writerow([rel_type, format_cell(start), format_cell(end),
                             *(format_cell(props.get(c)) for c in rel_columns)])


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, list):
        return neutralise(format_list([str(v) for v in value]))
    if isinstance(value, str):
        return neutralise(value)
    return value


def _export_xlsx(store: GraphStore, out: Path) -> None:
    from openpyxl import Workbook

    node_keys, rel_keys = _keys(store)
    workbook = Workbook(write_only=True)
    sheets: dict[str, Any] = {}
    rows_in: dict[str, int] = {}
    part: dict[str, int] = {}

    def sheet(name: str, header: list[str]) -> Any:
        if name not in sheets or rows_in[name] >= XLSX_MAX_ROWS:
            part[name] = part.get(name, 0) + 1
            sheets[name] = workbook.create_sheet(name if part[name] == 1 else f"{name}-{part[name]}")
            sheets[name].append(header)
            rows_in[name] = 0
        rows_in[name] += 1
        return sheets[name]

    for label, props in iter_nodes(store):
        columns = ordered_properties(node_keys.get(label or "", set()))
        sheet(label or "Entity", [TYPE, *columns]).append([label, *(_xlsx_cell(props.get(c)) for c in columns)])
    for rel_type, start, end, props in iter_relationships(store):
        columns = ordered_properties(rel_keys.get(rel_type, set()))
        sheet(rel_type, [TYPE, START, END, *columns]).append(
            [rel_type, _xlsx_cell(start), _xlsx_cell(end), *(_xlsx_cell(props.get(c)) for c in columns)])
    if not sheets:
        workbook.create_sheet("Entity").append([TYPE, "id", "name"])
    workbook.save(out)


def to_networkx(store: GraphStore) -> nx.MultiDiGraph:
    """The whole graph as a networkx ``MultiDiGraph``: node key = id, node attributes = properties
    plus ``type`` (the label); edge key = relationship type, edge attributes = properties plus ``type``.

    Examples
    --------
    >>> g = to_networkx(store)  # doctest: +SKIP
    >>> g.nodes["taigang"]["type"], list(g["taigang"]["project-silicon-steel"])  # doctest: +SKIP
    ('Enterprise', ['LEADS'])
    """
    graph = nx.MultiDiGraph()
    for label, props in iter_nodes(store):
        graph.add_node(props["id"], **props, type=label)
    for rel_type, start, end, props in iter_relationships(store):
        graph.add_edge(start, end, key=rel_type, **props, type=rel_type)
    return graph


def export_graph(store: GraphStore, fmt: str, out: str | Path) -> Path:
    """Write the whole graph to ``out`` in ``fmt`` (``json``, ``csv`` — a folder —, ``xlsx``,
    ``graphml`` or ``gexf``); returns the path written."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    out = Path(out)
    if fmt != "csv":
        out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "json":
        _export_json(store, out)
    elif fmt == "csv":
        _export_csv(store, out)
    elif fmt == "xlsx":
        _export_xlsx(store, out)
    else:
        with open(out, "wb") as fh:
            write_graph_file(fmt, iter_nodes(store), iter_relationships(store), fh)
    return out
