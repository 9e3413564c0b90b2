"""Writing a plan to the store: batched ``UNWIND $rows …`` Cypher, idempotent, changing only what
the plan says changes.

* nodes: new ones with ``CREATE (n:Entity:<Label> {…})`` (``MERGE`` by id instead for a batch the
  store already holds, e.g. after a crash and retry); existing ones with ``SET n += {…}``.
* relationships: ``MATCH`` both endpoints by ``:Entity {id}``, then ``MERGE (a)-[r:TYPE]->(b)
  SET r += {…}``: at most one relationship of a type between two nodes, whatever runs at the same
  time or is repeated (a batch retried after a store restart, two loads at once).
* a node or relationship the store already has is compared with the given properties inside the
  writing query, and written only when something differs; the query says how many records were
  created, updated or unchanged.
* derived edges whose ``liuxin``/``sources`` entry went away are deleted.

Records are sent in groups that give the same properties ("shapes"), each row a list of values, so
that a partial record never touches properties it does not give. Labels, relationship types and
property names are put into the Cypher text only from the ontology; every value travels in the
``$rows`` parameter (``GraphStore.send_rows``).

Into an empty store of an engine with a bulk build (FalkorDB), the whole graph is built at once
instead (``GraphStore.bulk_build``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from graph.errors import ConstraintViolation
from graph.ontology import NODE_TYPE_BY_LABEL, REL_TYPE_BY_NAME
from graph.store import DEFAULT_BATCH_SIZE, BulkTable, GraphStore, batched
from loaders.headers import fields_of
from loaders.plan import Plan
from loaders.progress import LoadProgress
from loaders.report import LoadReport
from loaders.validation import Table

STATUS = ("created", "updated", "unchanged")
_NAME = re.compile(r"[a-z][a-z0-9_]*")


def _label(name: str) -> str:
    if name not in NODE_TYPE_BY_LABEL:
        raise ValueError(f"not an ontology label: {name!r}")
    return name


def rel_type_name(name: str) -> str:
    """``name`` if it is a relationship type of the ontology (the only ones put into Cypher text)."""
    if name not in REL_TYPE_BY_NAME:
        raise ValueError(f"not an ontology relationship type: {name!r}")
    return name


def _map(keys: tuple[str, ...], offset: int = 0) -> str:
    """``{name: row[0], …}`` for the row layout of a shape."""
    for key in keys:
        if not _NAME.fullmatch(key):
            raise ValueError(f"not a property name: {key!r}")
    return "{" + ", ".join(f"{key}: row[{offset + i}]" for i, key in enumerate(keys)) + "}"


def _same(var: str, keys: tuple[str, ...], offset: int = 0) -> str:
    """True when ``var`` already holds every value of the row (null-safe)."""
    if not keys:
        return "true"
    return " AND ".join(f"coalesce({var}.{key} = row[{offset + i}], false)" for i, key in enumerate(keys))


# -- Cypher, per shape -----------------------------------------------------------------
def create_nodes_cypher(label: str, keys: tuple[str, ...]) -> str:
    return f"UNWIND $rows AS row CREATE (n:Entity:{_label(label)} {_map(keys)})"


def merge_nodes_cypher(label: str, keys: tuple[str, ...]) -> str:
    return (f"UNWIND $rows AS row MERGE (n:Entity:{_label(label)} {{id: row[{keys.index('id')}]}}) "
            f"SET n += {_map(keys)}")


def compare_nodes_cypher(label: str, keys: tuple[str, ...], write: bool) -> str:
    """How many rows differ from the stored node (and, with ``write``, set them). Returns ``count``."""
    head = (f"UNWIND $rows AS row MATCH (n:{_label(label)} {{id: row[{keys.index('id')}]}}) "
            f"WITH n, row, {_same('n', keys)} AS same WHERE NOT same ")
    return head + (f"SET n += {_map(keys)} RETURN count(n)" if write else "RETURN count(n)")


def new_rels_cypher(rel_type: str, keys: tuple[str, ...]) -> str:
    """Relationships the plan found no trace of. ``MERGE``, not ``CREATE``: a concurrent or repeated
    write of the same row finds the relationship and sets the same properties."""
    sets = f" SET r += {_map(keys, 2)}" if keys else ""
    return ("UNWIND $rows AS row MATCH (a:Entity {id: row[0]}) MATCH (b:Entity {id: row[1]}) "
            f"MERGE (a)-[r:{rel_type_name(rel_type)}]->(b){sets}")


def compare_rels_cypher(rel_type: str, keys: tuple[str, ...], write: bool) -> str:
    """Status of each row (0 created, 1 updated, 2 unchanged) against the stored relationship;
    with ``write``, also write the rows that are not unchanged. Returns ``status, count``."""
    t = rel_type_name(rel_type)
    head = ("UNWIND $rows AS row MATCH (a:Entity {id: row[0]}) MATCH (b:Entity {id: row[1]}) "
            f"OPTIONAL MATCH (a)-[old:{t}]->(b) "
            f"WITH a, b, row, CASE WHEN old IS NULL THEN 0 WHEN {_same('old', keys, 2)} THEN 2 ELSE 1 END AS status ")
    if not write:
        return head + "RETURN status, count(*)"
    sets = f" SET r += {_map(keys, 2)}" if keys else ""
    return head + f"WHERE status < 2 MERGE (a)-[r:{t}]->(b){sets} RETURN status, count(*)"


def delete_rels_cypher(rel_type: str) -> str:
    return (f"UNWIND $rows AS row MATCH (:Entity {{id: row[0]}})-[r:{rel_type_name(rel_type)}]->"
            "(:Entity {id: row[1]}) DELETE r")


def _shapes(table: Table, positions: list[int]) -> Iterator[tuple[tuple[str, ...], list[int]]]:
    """Positions grouped by the properties their records give."""
    names = list(table.columns)
    given = [[v is not None for v in table.columns[n]] for n in names]
    groups: dict[tuple[bool, ...], list[int]] = {}
    for pos in positions:
        groups.setdefault(tuple(g[pos] for g in given), []).append(pos)
    for mask, group in groups.items():
        yield tuple(n for n, m in zip(names, mask, strict=True) if m), group


def _node_rows(table: Table, keys: tuple[str, ...], positions: list[int]) -> list[list[Any]]:
    columns = [table.columns[k] for k in keys]
    return [[c[pos] for c in columns] for pos in positions]


def _rel_rows(table: Table, keys: tuple[str, ...], positions: list[int]) -> list[list[Any]]:
    columns = [table.columns[k] for k in keys]
    ends = table.keys
    return [[*ends[pos], *(c[pos] for c in columns)] for pos in positions]


# -- the plan --------------------------------------------------------------------------
def write_plan(store: GraphStore, plan: Plan, *, dry_run: bool, files: list[str],
               batch_size: int = DEFAULT_BATCH_SIZE, bar: LoadProgress | None = None) -> LoadReport:
    """Carry out the plan (or, with ``dry_run``, only find out what it would do)."""
    report = plan.report(dry_run, files)
    bar = bar or LoadProgress(False)
    if dry_run:
        report.method = "none"
        _compare_nodes(store, plan, report, bar, batch_size, write=False)
        _compare_rels(store, plan, report, bar, batch_size, write=False)
    elif plan.empty_store and store.can_bulk_build:
        report.method = "bulk"
        _bulk_build(store, plan, bar)
    else:
        report.method = "create" if plan.empty_store else "merge"
        _write_new_nodes(store, plan, bar, batch_size)
        _compare_nodes(store, plan, report, bar, batch_size, write=True)
        _write_new_rels(store, plan, bar, batch_size)
        _compare_rels(store, plan, report, bar, batch_size, write=True)
        _delete_stale(store, plan, bar, batch_size)
        if not report.changed:
            report.method = "none"
    return report


def _bulk_tables(tables: dict[str, Table]) -> list[BulkTable]:
    return [BulkTable(t.type, t.keys, t.columns, {name: f.type for name, f in fields_of(t.kind, t.type).items()
                                                  if name in t.columns})
            for t in tables.values()]


def _bulk_build(store: GraphStore, plan: Plan, bar: LoadProgress) -> None:
    nodes, rels = _bulk_tables(plan.collected.nodes), _bulk_tables(plan.collected.rels)
    bar.start("bulk build", sum(map(len, nodes)) + sum(map(len, rels)))
    store.bulk_build(nodes, rels, bar.advance)


def _shaped_batches(bar: LoadProgress, title: str, groups: dict[str, list[int]], tables: dict[str, Table],
                    rows_of: Callable[[Table, tuple[str, ...], list[int]], list[list[Any]]],
                    batch_size: int) -> Iterator[tuple[str, tuple[str, ...], list[list[Any]]]]:
    """Every batch of the given records as ``(type, keys, rows)``, records grouped by the properties they
    give; the progress bar advances once the caller has written a batch."""
    total = sum(map(len, groups.values()))
    if not total:
        return
    bar.start(title, total)
    for type_name, positions in groups.items():
        table = tables[type_name]
        for keys, group in _shapes(table, positions):
            for batch in batched(rows_of(table, keys, group), batch_size):
                yield type_name, keys, batch
                bar.advance(len(batch))


def _write_new_nodes(store: GraphStore, plan: Plan, bar: LoadProgress, batch_size: int) -> None:
    for label, keys, batch in _shaped_batches(bar, "nodes", plan.node_new, plan.collected.nodes, _node_rows,
                                              batch_size):
        try:
            store.send_rows(create_nodes_cypher(label, keys), batch)
        except ConstraintViolation:
            # The store already holds some of these nodes (a crashed load, retried): merge them.
            store.send_rows(merge_nodes_cypher(label, keys), batch)


def _compare_nodes(store: GraphStore, plan: Plan, report: LoadReport, bar: LoadProgress, batch_size: int,
                   write: bool) -> None:
    changed = dict.fromkeys(plan.node_existing, 0)
    for label, keys, batch in _shaped_batches(bar, "nodes (in the store)", plan.node_existing,
                                              plan.collected.nodes, _node_rows, batch_size):
        changed[label] += store.send_rows(compare_nodes_cypher(label, keys, write), batch, write=write).scalar() or 0
    for label, positions in plan.node_existing.items():
        report.count("node", label, "updated", changed[label])
        report.count("node", label, "unchanged", len(positions) - changed[label])


def _write_new_rels(store: GraphStore, plan: Plan, bar: LoadProgress, batch_size: int) -> None:
    for rel_type, keys, batch in _shaped_batches(bar, "relationships", plan.rel_new, plan.collected.rels,
                                                 _rel_rows, batch_size):
        store.send_rows(new_rels_cypher(rel_type, keys), batch)


def _compare_rels(store: GraphStore, plan: Plan, report: LoadReport, bar: LoadProgress, batch_size: int,
                  write: bool) -> None:
    seen = dict.fromkeys(plan.rel_existing_ends, 0)
    for rel_type, keys, batch in _shaped_batches(bar, "relationships (ends in the store)", plan.rel_existing_ends,
                                                 plan.collected.rels, _rel_rows, batch_size):
        for status, n in store.send_rows(compare_rels_cypher(rel_type, keys, write), batch, write=write).rows:
            report.count("rel", rel_type, STATUS[status], n)
            seen[rel_type] += n
    if write:
        # Rows left out of the written result were unchanged.
        for rel_type, positions in plan.rel_existing_ends.items():
            report.count("rel", rel_type, "unchanged", len(positions) - seen[rel_type])


def _delete_stale(store: GraphStore, plan: Plan, bar: LoadProgress, batch_size: int) -> None:
    total = sum(map(len, plan.stale.values()))
    if total:
        bar.start("derived edges no longer given", total)
    for rel_type, pairs in plan.stale.items():
        for batch in batched([list(pair) for pair in pairs], batch_size):
            store.send_rows(delete_rels_cypher(rel_type), batch)
            bar.advance(len(batch))
