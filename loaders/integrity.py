"""Checks of a stored graph that loads keep true, and the repair of what older versions left behind:
at most one relationship of a type between two entities."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from graph.store import GraphStore, batched
from graph.write_lock import holding_write_lock
from loaders.writer import rel_type_name

_DUPLICATES = ("MATCH (a:Entity)-[r]->(b:Entity) WITH a.id AS start, type(r) AS type, b.id AS end, count(r) AS n "
               "WHERE n > 1 RETURN start, type, end, n ORDER BY start, type, end")
_BATCH = 1_000


@dataclass(frozen=True)
class Duplicate:
    start: str
    type: str
    end: str
    count: int
    """How many relationships of ``type`` lead from ``start`` to ``end`` (one is right)."""


def duplicate_relationships(store: GraphStore) -> list[Duplicate]:
    result = store.read(_DUPLICATES, row_cap=10_000_000)
    return [Duplicate(*row) for row in result.rows]


def _dedupe_cypher(rel_type: str) -> str:
    return (f"UNWIND $rows AS row MATCH (:Entity {{id: row[0]}})-[r:{rel_type_name(rel_type)}]->"
            "(:Entity {id: row[1]}) WITH row, collect(r) AS rs WHERE size(rs) > 1 "
            "UNWIND tail(rs) AS extra DELETE extra RETURN count(extra)")


def remove_duplicate_relationships(store: GraphStore, owner: str, *, lock_wait_s: float = 0.0) -> int:
    """Keep one relationship of each duplicated (start, type, end), under the graph's write lock;
    return how many were deleted. Duplicates of a type outside the ontology raise ``ValueError``."""
    with holding_write_lock(store, owner, wait_s=lock_wait_s):
        pairs: dict[str, list[list[str]]] = defaultdict(list)
        for dup in duplicate_relationships(store):
            pairs[rel_type_name(dup.type)].append([dup.start, dup.end])
        removed = 0
        for rel_type, rows in pairs.items():
            for batch in batched(rows, _BATCH):
                removed += store.send_rows(_dedupe_cypher(rel_type), batch).scalar() or 0
        return removed
