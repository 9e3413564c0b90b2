"""Backend-neutral result model. Both backends convert their driver's values into these."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from graph.ontology import type_label


@dataclass(frozen=True)
class Node:
    id: str
    labels: tuple[str, ...]
    properties: dict[str, Any]

    @property
    def type(self) -> str | None:
        return type_label(self.labels)


@dataclass(frozen=True)
class Relationship:
    type: str
    start: str
    end: str
    properties: dict[str, Any]

    @property
    def key(self) -> tuple[str, str, str]:
        """Identity of a relationship: at most one of a type between two nodes."""
        return (self.start, self.type, self.end)


@dataclass(frozen=True)
class Path:
    nodes: tuple[Node, ...]
    relationships: tuple[Relationship, ...]

    def __len__(self) -> int:
        return len(self.relationships)


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[list[Any]]
    counters: dict[str, int] = field(default_factory=dict)
    truncated: bool = False
    """True when the row cap cut the result; the caller must say so, never hide it."""

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def scalar(self) -> Any:
        return self.rows[0][0] if self.rows else None


@dataclass(frozen=True)
class Stats:
    labels: dict[str, int]
    relationship_types: dict[str, int]

    @property
    def nodes(self) -> int:
        from graph.ontology import ENTITY_LABEL

        return self.labels.get(ENTITY_LABEL, 0)

    @property
    def relationships(self) -> int:
        return sum(self.relationship_types.values())


def iso_temporal(value: dt.date | dt.time) -> str:
    """Dates, times and date-times as ISO 8601 text, the same from every engine."""
    return value.isoformat()


def iso_duration(months: int = 0, days: int = 0, seconds: float = 0) -> str:
    """A duration as ISO 8601 text (``P1Y2M3DT4H5M6S``), the same from every engine."""
    years, months = divmod(months, 12)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    date = "".join(f"{int(v)}{unit}" for v, unit in ((years, "Y"), (months, "M"), (days, "D")) if v)
    clock = "".join(f"{v:g}{unit}" if unit == "S" else f"{int(v)}{unit}"
                    for v, unit in ((hours, "H"), (minutes, "M"), (secs, "S")) if v)
    return "P" + date + (f"T{clock}" if clock else "") if date or clock else "PT0S"


def to_json(value: Any) -> Any:
    """JSON form of any result value (used by the CLI's --json and the API)."""
    if isinstance(value, Node):
        return {"kind": "node", "id": value.id, "labels": list(value.labels), "type": value.type,
                "properties": to_json(value.properties)}
    if isinstance(value, Relationship):
        return {"kind": "relationship", "type": value.type, "start": value.start, "end": value.end,
                "properties": to_json(value.properties)}
    if isinstance(value, Path):
        return {"kind": "path", "nodes": [to_json(n) for n in value.nodes],
                "relationships": [to_json(r) for r in value.relationships]}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    return value


def graph_parts(values: Any) -> tuple[dict[str, Node], dict[tuple[str, str, str], Relationship]]:
    """Every node and relationship found anywhere in ``values`` (rows, paths, lists, maps)."""
    nodes: dict[str, Node] = {}
    rels: dict[tuple[str, str, str], Relationship] = {}
    for v in leaves(values):
        if isinstance(v, Node):
            nodes[v.id] = v
        elif isinstance(v, Relationship):
            rels[v.key] = v
        elif isinstance(v, Path):
            for n in v.nodes:
                nodes[n.id] = n
            for r in v.relationships:
                rels[r.key] = r
    return nodes, rels


def leaves(value: Any) -> Iterator[Any]:
    """Every value inside ``value``'s nested lists, tuples and dict values, depth first (``value``
    itself when it is none of those)."""
    if isinstance(value, dict):
        for x in value.values():
            yield from leaves(x)
    elif isinstance(value, list | tuple):
        for x in value:
            yield from leaves(x)
    else:
        yield value
