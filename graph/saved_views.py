"""Saved map views and stories, kept in the graph store beside the data they show.

Each record is one node with a reserved label (``graph.ontology.RESERVED_LABELS``: never ``:Entity``, no
type label, no relationship), so every query over entities — the map, search, analytics, stats, exports,
saved queries — leaves it out. Its properties are flat: ``id``, ``title``, ``note``, ``author``,
``created`` and whatever summary fields the caller keeps, plus ``body``, the record's content as one JSON
string.

Records are written with the store's ``_run`` rather than ``GraphStore.write``: ``write`` moves the graph
version, which keys every result cache, and saving a view changes no data those caches hold.
"""

from __future__ import annotations

from typing import Any

from graph.ontology import RESERVED_LABELS
from graph.store import GraphStore

RECORD_TIMEOUT_MS = 10_000
"""Time limit of one record read or write: each touches a handful of nodes."""


def _label(label: str) -> str:
    if label not in RESERVED_LABELS:
        raise ValueError(f"{label!r} is not a reserved label ({', '.join(RESERVED_LABELS)})")
    return label


def _write(store: GraphStore, cypher: str, params: dict[str, Any]) -> Any:
    return store._run(cypher, params, read_only=False, timeout_ms=RECORD_TIMEOUT_MS, row_cap=10)


def create_record(store: GraphStore, label: str, props: dict[str, Any]) -> None:
    """Store a new record; ``props`` must hold its ``id`` (the caller makes it unique)."""
    _write(store, f"CREATE (r:{_label(label)}) SET r = $props", {"props": props})


def get_record(store: GraphStore, label: str, record_id: str) -> dict[str, Any] | None:
    """Every property of the record ``record_id``, or ``None`` when there is none."""
    rows = store.read(f"MATCH (r:{_label(label)} {{id: $id}}) RETURN properties(r)", {"id": record_id},
                      timeout_ms=RECORD_TIMEOUT_MS, row_cap=2).rows
    return dict(rows[0][0]) if rows else None


def list_records(store: GraphStore, label: str, fields: tuple[str, ...], *, limit: int,
                 offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """The records' ``fields`` (never ``body``), newest first, one page of them; and how many there are."""
    label = _label(label)
    total = store.read(f"MATCH (r:{label}) RETURN count(r)", timeout_ms=RECORD_TIMEOUT_MS).scalar() or 0
    if not all(name.isidentifier() for name in fields):
        raise ValueError("record fields are property names (identifiers) chosen by the code")
    returned = ", ".join(f"r.{name}" for name in fields)
    rows = store.read(f"MATCH (r:{label}) RETURN {returned} ORDER BY r.created DESC, r.id SKIP $skip LIMIT $limit",
                      {"skip": offset, "limit": limit}, timeout_ms=RECORD_TIMEOUT_MS, row_cap=limit + 1).rows
    return [dict(zip(fields, row, strict=True)) for row in rows], int(total)


def delete_record(store: GraphStore, label: str, record_id: str) -> bool:
    """Delete the record ``record_id``; False when there was none."""
    result = _write(store, f"MATCH (r:{_label(label)} {{id: $id}}) DELETE r RETURN count(*)", {"id": record_id})
    return bool(result.counters.get("nodes_deleted"))


def records_exist(store: GraphStore, label: str, ids: list[str]) -> set[str]:
    """Which of ``ids`` are records of ``label``."""
    rows = store.read(f"MATCH (r:{_label(label)}) WHERE r.id IN $ids RETURN r.id", {"ids": ids},
                      timeout_ms=RECORD_TIMEOUT_MS, row_cap=len(ids) + 1).rows
    return {row[0] for row in rows}
